"""One time-series run as the page sets it up: target, plan, windows, model and gradient probe.

Shared by the time-series page, the app's start-up warm-up and the benchmarks, so the
warm-up traces exactly the probe the page's default run will use, and the benchmarks
time exactly what the page does.

The plan keeps a run short whatever the length of the series: a long series trains on
a random sample of its windows (the same every epoch) and checks validation on an even
spread of its validation windows; the test part is always scored whole.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional

import numpy as np

from explorer.data import transforms
from explorer.data.numbers import fmt_int
from explorer.data.seasonal_choice import choose_form
from explorer.data.stationarity import TargetChoice, choose_target
from explorer.data.transforms import target_words
from explorer.data.windows import SeriesDataset, chronological_split, first_target, prepare_series
from explorer.nn.config import ModelConfig, RunRecord, SeriesConfig, TrainConfig

PROBE_WINDOWS = 32  # the fixed validation batch whose ‖∂L/∂h_t‖ is measured after every epoch
# Sized so the page's default model (SimpleRNN(50), window 10, batch 32, 40 epochs) trains in the time the
# plan's sentence promises, however long the series (bench/bench_timeseries.py checks it).
MAX_TRAIN_WINDOWS = 6_000
MAX_VAL_WINDOWS = 2_000
DEFAULT_EPOCHS = 40

def series_model_config(model: ModelConfig, series: SeriesConfig) -> ModelConfig:
    """`model` with what a series needs: a regression head, one output per forecast step, no text front."""
    return dataclasses.replace(model, head="regression", vocab_size=0, outputs=series.horizon)


def resolve_target(values: np.ndarray, series: SeriesConfig, frequency=None) -> TargetChoice:
    """The person's target, or for "auto" the one the training and validation parts call for, with a sentence why.

    `frequency` (`explorer.data.calendar.Frequency`, from the dates) gives the seasonal period; without
    it the period comes from the training part's autocorrelation (`explorer.tasks.series.forecast.find_period`).
    Raises ValueError (one sentence) when the chosen target cannot apply: no season, values at or below 0.
    """
    from explorer.tasks.series.forecast import find_period

    split = chronological_split(len(values), series.val_fraction, series.test_fraction)
    period = find_period(values, split.val_start, frequency).steps
    if series.target != "auto":
        lag = transforms.lag_of(series.target, period)  # raises without a season
        if transforms.is_log(series.target):
            transforms.log_values(values)  # raises at values <= 0
        return TargetChoice(series.target, f"Predicting {target_words(series.target, period)}, as chosen.", None,
                            period if lag > 1 else None)
    plain = choose_target(values, split.val_start)
    calendar = bool(frequency is not None and period in frequency.periods)
    form = choose_form(values, plain.target, period, series.window, split.val_start, split.test_start, calendar)
    if form.target == plain.target:
        return plain
    return TargetChoice(form.target, form_reason(form, period), plain.test, period if "seasonal" in form.target else None)


def form_reason(form, period: Optional[int]) -> str:
    """One sentence for a seasonal or log target chosen by `choose_form`, with the measured figures."""
    what = f"Predicting {target_words(form.target, period)}"
    why = []
    if "seasonal" in form.target:
        other = ("a linear forecast of the level" if form.plain == transforms.LEVEL else
                 "“same as the step before” (where a change model starts)")
        if form.ratio < 1:
            measured = f"erred {100 * (1 - form.ratio):.0f}% less than {other}"
        else:
            measured = f"erred about as much as {other} (so the season is removed first, as forecasting practice does)"
        why.append(f"the series repeats every {period} steps, and on the training and validation parts “same as one "
                   f"season before” (where this model starts) {measured}")
    if transforms.is_log(form.target):
        why.append(f"its swings grow with its level (slope {form.growth.slope:.2f} of log spread on log level in "
                   f"training), which a log scale evens out")
    return f"{what}: " + "; ".join(why) + "."


@dataclass(frozen=True)
class Plan:
    """What a run will train on: the target, and how many windows of each part it uses."""

    choice: TargetChoice
    train_total: int
    train_used: int
    val_total: int
    val_used: int

    @property
    def sampled(self) -> bool:
        return self.train_used < self.train_total or self.val_used < self.val_total

    def describe(self, epochs: int, default_model: bool = True) -> str:
        """What each epoch trains on, for the page (said only for a long series), and how long that takes."""
        if not self.sampled:
            return ""
        text = (f"A long series: its training part holds {fmt_int(self.train_total)} windows, so each epoch trains on "
                f"{fmt_int(self.train_used)} of them drawn at random (the same ones every epoch) and validates on "
                f"{fmt_int(self.val_used)} of {fmt_int(self.val_total)} spread evenly; the test part is scored whole.")
        if default_model and epochs <= DEFAULT_EPOCHS:
            return text + f" With the default model, {epochs} epochs take under 2 minutes on 2 CPU cores."
        return text + (" The default model trains in under 2 minutes on 2 CPU cores; this one is larger or trains "
                       "longer, so it takes more (Stop keeps what it has learned).")


def _count(lo: int, hi: int, first: int, horizon: int) -> int:
    return max(0, hi - horizon + 1 - max(lo, first))


def plan_run(values: np.ndarray, series: SeriesConfig, frequency=None) -> Plan:
    """The target and the sampling of a run on `values`, decided before any window is built."""
    choice = resolve_target(values, series, frequency)
    split = chronological_split(len(values), series.val_fraction, series.test_fraction)
    first = first_target(series.window, choice.target, choice.period)
    n_train = _count(0, split.val_start, first, series.horizon)
    n_val = _count(split.val_start, split.test_start, first, series.horizon)
    return Plan(choice, n_train, min(n_train, MAX_TRAIN_WINDOWS), n_val, min(n_val, MAX_VAL_WINDOWS))


HEAD_START_SCALE = 0.01  # chosen on validation: bench/bench_timeseries.py per-kind table


def start_near_no_change(model, scale: float = HEAD_START_SCALE) -> None:
    """Shrink a change model's output layer so that, untrained, it predicts the training part's usual change.

    Its first forecasts are then "next = last + drift" (the last-value rule), or for a seasonal change
    "next = one season ago" (seasonal naive; plus the drift where every season shows one,
    `explorer.data.windows.drift_is_clear`), and training (with early stopping on validation)
    moves away from it only as far as that helps; on a random walk, where the last-value rule is the best
    there is, a model starting anywhere else learns noise.
    """
    head = model.get_layer("head")
    kernel, bias = head.get_weights()
    head.set_weights([kernel * scale, np.zeros_like(bias)])


@dataclass
class SeriesRun:
    """What `explorer.train.training.train` needs for one run, ready to go."""

    ds: SeriesDataset
    model: object  # keras.Model
    probe: object  # explorer.introspect.probe.CachedProbe
    validation: Optional[tuple]
    plan: Optional[Plan] = None
    pool_key: Optional[tuple] = None  # the model's key in explorer.nn.model_pool.POOL


def prepare_run(values: np.ndarray, series: SeriesConfig, model: ModelConfig, train: TrainConfig,
                frequency=None) -> SeriesRun:
    """Plan, window and scale `values`, a model in a fresh model's state, and its probe on the first validation windows.

    The model may be a pooled one of the same configuration (`explorer.nn.model_pool`): give it back with
    `POOL.give_back(run.model, run.pool_key)` or tie it to what keeps it (`start_run` does)."""
    from explorer.introspect.probe import model_probe
    from explorer.nn.model_pool import POOL, pool_key
    from explorer.nn.models import build_model

    plan = plan_run(values, series, frequency)
    ds = prepare_series(values, series.window, series.horizon, series.val_fraction, series.test_fraction,
                        target=plan.choice.target, max_train_windows=MAX_TRAIN_WINDOWS,
                        max_val_windows=MAX_VAL_WINDOWS, seed=train.seed, period=plan.choice.period)
    cfg = series_model_config(model, series)
    net = build_model(cfg, train, series.window)
    if ds.lag > 0:
        start_near_no_change(net)
    key = pool_key(cfg, train, series.window)
    net = POOL.lend(net, key)
    xv, yv = (ds.x_val, ds.y_val) if len(ds.x_val) else (ds.x_train, ds.y_train)
    probe = model_probe(cfg, train, series.window, 1, xv[:PROBE_WINDOWS], yv[:PROBE_WINDOWS], model=net)
    validation = (ds.x_val, ds.y_val) if len(ds.x_val) else None
    return SeriesRun(ds, net, probe, validation, plan, key)


# ---------------------------------------------------------------- a run as the page keeps it
# The page's default training: at most 40 epochs, stopping after 5 without a better validation loss and
# keeping the best epoch (on a random walk a model trained 40 epochs learns the training part's noise).
DEFAULT_TRAIN = TrainConfig(epochs=DEFAULT_EPOCHS, patience=5)


def short_name(model: ModelConfig) -> str:
    """A model's name in tables and legends: "LSTM(32)×2", "Bi-GRU(8)"."""
    name = f"{model.cell}({model.units})" + (f"×{model.layers}" if model.layers > 1 else "")
    return ("Bi-" + name) if model.bidirectional else name


@dataclass
class SeriesData:
    """The series a run trains on: values, dates, names and what is known about it."""

    values: np.ndarray
    dates: Optional[np.ndarray]
    label: str
    report: list
    frequency: object = None  # explorer.data.calendar.Frequency, from the dates
    noise_var: Optional[float] = None  # σ² of a synthetic series' noise: the best any forecast can do
    unit: str = ""  # " (×10^300)" when the values were rescaled to keep their errors in range
    origin: object = None  # how an uploaded CSV was read (explorer.export.csv_code.CsvChoices), for the run's script


@dataclass
class SeriesRecord:
    """What one run trained on and what was derived from it; the page keeps it beside the model."""

    name: str
    configs: dict
    ds: SeriesDataset
    dates: Optional[np.ndarray]
    model_name: str
    period: object  # explorer.tasks.series.forecast.Period
    noise_var: Optional[float]
    loss_floor: Optional[float]
    unit: str = ""
    evaluation: object = None  # explorer.tasks.series.forecast.Evaluation, once scored
    hidden: dict = dataclasses.field(default_factory=dict)  # test window → hidden states, read on demand
    origin: object = None  # `SeriesData.origin`: how an uploaded CSV was read

    def predictions_frame(self):
        """The test part's truth, the model's and the baselines' one-step predictions, as a table to download."""
        import pandas as pd

        ev, p = self.evaluation, self.evaluation.predictions
        frame = pd.DataFrame({"t": p.t, "truth": p.truth, self.model_name: p.pred, **ev.baselines})
        if self.unit:  # values rescaled by a power of ten: say so in every header
            frame.columns = ["t", *(f"{c}{self.unit}" for c in frame.columns[1:])]
        if self.dates is not None:
            frame.insert(1, "date", self.dates[p.t])
        return frame


def start_run(data: SeriesData, series: SeriesConfig, model: ModelConfig, train: TrainConfig,
              number: int) -> tuple[SeriesRun, SeriesRecord]:
    """Everything a Train click sets up: the run (`prepare_run`) and the record the page keeps of it.

    The model goes back to the pool when the record is dropped (the next run, a closed session)."""
    from explorer.nn import config
    from explorer.nn.model_pool import POOL
    from explorer.tasks.series.forecast import find_period, scaled_noise_floor

    run = prepare_run(data.values, series, model, train, data.frequency)
    cfg = series_model_config(model, series)
    configs = {"series": config.to_dict(series), "model": config.to_dict(cfg), "train": config.to_dict(train),
               "resolved": {"target": run.ds.target, **({"period": run.ds.period} if run.ds.period else {})}}
    record = SeriesRecord(f"#{number} {short_name(cfg)}", configs, run.ds, data.dates, short_name(cfg),
                          find_period(data.values, run.ds.split.val_start, data.frequency), data.noise_var,
                          scaled_noise_floor(run.ds, data.noise_var), data.unit, origin=data.origin)
    POOL.return_with(record, run.model, run.pool_key)
    return run, record


def evaluate_run(record: SeriesRecord, model, steps: int):
    """Score the test part against the baselines and forecast `steps` past the end (kept in the record)."""
    from explorer.tasks.series.forecast import evaluate

    record.evaluation = evaluate(model, record.ds, record.model_name, steps, period=record.period.steps,
                                 noise_floor=record.noise_var)
    return record.evaluation


def history_entry(record: SeriesRecord, result) -> RunRecord:
    """The run as the session's history keeps it: its configs, curves and test figures."""
    metrics = {"epochs": float(result.epochs_done), "seconds": float(result.seconds)}
    ev = record.evaluation
    if ev is not None:
        me = {r["name"]: r for r in ev.rows}[record.model_name]
        metrics.update({"test MSE": me["mse"], "test MAE": me["mae"], "test MASE": me["mase"],
                        "best baseline MSE": ev.verdict.baseline_mse, "beats baseline": float(ev.verdict.beats)})
    return RunRecord(name=record.name, configs=record.configs, metrics=metrics,
                     history={k: list(v) for k, v in result.history.items()}, status=result.status)


def history_row(run) -> dict:
    """One row of the runs table for a history entry (`RunRecord`): its set-up and test figures."""
    from explorer.data.numbers import fmt

    s, m, t = run.configs["series"], run.configs["model"], run.configs["train"]
    num = {k: fmt(run.metrics[k], exact_zero=False) if k in run.metrics else "—"
           for k in ("test MSE", "test MAE", "test MASE", "best baseline MSE")}
    return {"run": run.name, "status": run.status, **num,
            "beats baseline": bool(run.metrics["beats baseline"]) if "beats baseline" in run.metrics else None,
            "data": s["source"], "predicts": run.configs.get("resolved", {}).get("target", s["target"]),
            "cell": m["cell"], "units": m["units"], "layers": m["layers"], "bidirectional": m["bidirectional"],
            "dropout": m["dropout"], "activation": m["activation"], "window": s["window"], "horizon": s["horizon"],
            "optimizer": t["optimizer"], "lr": fmt(t["learning_rate"]), "batch": t["batch_size"],
            "clipnorm": t["clipnorm"], "epochs": int(run.metrics.get("epochs", 0)),
            "seconds": round(run.metrics.get("seconds", 0.0), 1)}


def run_job(ctx, data: SeriesData, series: SeriesConfig, model: ModelConfig, train: TrainConfig, number: int,
            forecast_steps: int):
    """The time-series page's run as a job (explorer.server.jobs): build, train live, score the test part and forecast.

    Returns a `TrainedRun` whose record holds the evaluation (none when the run diverged)."""
    from explorer.nn.models import config_problems
    from explorer.train.runner import JobFailed, TrainedRun
    from explorer.train.status import DIVERGED, STOPPED
    from explorer.train.training import RunResult, train as fit

    if problems := config_problems(model, train):
        raise JobFailed(" ".join(problems))
    ctx.progress(0.0, "Building the model…")
    r, record = start_run(data, series, model, train, number)
    ctx.emit("setup", loss_floor=record.loss_floor)
    result, sink = RunResult(), ctx.train_sink()

    def on_event(event) -> None:
        sink(event)
        done = event.epoch + (1 if event.kind == "epoch" else 0)
        loss = event.logs.get("loss", float("nan"))
        ctx.progress(done / max(1, train.epochs), f"Epoch {event.epoch + 1}/{train.epochs} · loss {loss:.4g}")

    fit(r.model, r.ds.x_train, r.ds.y_train, train, r.validation, sink=on_event, should_stop=ctx.should_stop,
        result=result, probe=r.probe, keep_start=True)
    if result.status in (DIVERGED, STOPPED):
        ctx.end(result.status, result.message)
    else:
        ctx.message = result.message
    if result.status != DIVERGED:
        ctx.progress(1.0, "Scoring the test part and forecasting…")
        evaluate_run(record, r.model, forecast_steps)
    return TrainedRun(r.model, record, result)
