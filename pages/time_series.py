"""Time series: train a real Keras RNN live on a sine, a stock-like series or your CSV, and look inside.

Thin page: widgets in, engine calls (explorer/), figures out. Heavy work (training,
evaluation) happens only on Train; its results live in session_state so other
reruns only redraw. The set-up lives in the URL (d_ data, m_ model, t_ training).
TensorFlow is imported only when a model is trained or inspected.
"""
from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from urllib.parse import urlencode

import numpy as np
import pandas as pd
import streamlit as st

from explorer import charts, charts_series
from explorer import config as C
from explorer.config import ModelConfig, RunRecord, SeriesConfig, TrainConfig
from explorer.data import synthetic, text_encoding
from explorer.data.csv_series import LIMITS_TEXT, CsvError, extract_series, minimum_length, read_table, wide_to_long
from explorer.data.windows import chronological_split
from explorer.numbers import fmt, fmt_int
from explorer.series_checks import check_series
from explorer.series_run import TARGET_WORDS, plan_run, series_model_config
from ui.entry import through_app
from ui.guard import UserError, friendly
from ui.live import RUNNING, recover, train_live

through_app()

RUN_KEY, HISTORY_KEY = "ts_run", "ts_history"
PREFIXES = {"series": "d_", "model": "m_", "train": "t_"}
CLASSES = {"series": SeriesConfig, "model": ModelConfig, "train": TrainConfig}
# The seed tutorial's set-up: 500-point sine (with observation noise σ = 0.1), window 10, SimpleRNN(50),
# batch 32; 40 epochs take 7–10 s on 2 CPU cores (bench/bench_timeseries.py). Training stops after 5 epochs
# without a better validation loss and keeps its best epoch: on a random walk a model trained 40 epochs
# learns the noise of the training part (bench/bench_timeseries.py, per-kind table).
DEFAULTS = {"series": SeriesConfig(), "model": ModelConfig(), "train": TrainConfig(epochs=40, patience=5)}
SOURCES = {"sine": "Sine wave", "stock": "Stock-like series", "csv": "Upload a CSV"}
FORECAST_MAX = 200
ss = st.session_state


# ---------------------------------------------------------------- config ⇄ URL ⇄ widgets
def _from_url(part: str, params: dict) -> object:
    """The page default for `part`, overridden by the URL's prefixed keys (bad values ignored)."""
    return C.from_query(CLASSES[part], params, PREFIXES[part], DEFAULTS[part])


def _to_url(part: str, cfg) -> dict[str, str]:
    """URL params for the fields that differ from the page default."""
    default, prefix = DEFAULTS[part], PREFIXES[part]
    return {prefix + f.name: str(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)
            if getattr(cfg, f.name) != getattr(default, f.name)}


# Widget ranges and choices: URL values outside them fall back to the page default or are clamped.
RANGES = {"d_length": (20, 20000), "d_frequency": (0.001, 0.5), "d_amplitude": (0.01, 1000.0),
          "d_noise": (0.0, 1000.0), "d_drift": (-1.0, 1.0), "d_volatility": (0.0, 2.0),
          "d_seasonality": (0.0, 0.9), "d_jumps": (0.0, 50.0), "d_seed": (0, 10**6), "t_seed": (0, 10**6),
          "d_window": (1, 500), "d_horizon": (1, 50), "d_val_fraction": (0.05, 0.4), "d_test_fraction": (0.05, 0.4),
          "m_units": (1, 512), "m_layers": (1, 4), "m_dropout": (0.0, 0.9), "t_learning_rate": (1e-6, 1.0),
          "t_batch_size": (1, 4096), "t_epochs": (1, 1000), "t_clipnorm": (0.0, 100.0), "t_patience": (0, 1000)}
CHOICES = {"d_source": tuple(SOURCES), "m_cell": C.CELLS, "m_gate_init": C.GATE_INITS, "m_activation": C.ACTIVATIONS,
           "t_optimizer": C.OPTIMIZERS, "d_target": C.SERIES_TARGETS}
TARGET_LABELS = {"auto": "auto (chosen for this series)", "level": "the level",
                 "change": "the change since the previous step"}


def _valid(key: str, value, default):
    if key in CHOICES and value not in CHOICES[key]:
        return default
    if key in RANGES:
        lo, hi = RANGES[key]
        return type(lo)(min(max(value, lo), hi))
    return value


def _init_from_url() -> None:
    """Once per session: seed every widget's state from the URL (or the page defaults)."""
    if ss.get("ts_base") is None:
        params = {k: st.query_params.get(k) for k in st.query_params}
        base, changed = {}, []
        for p in CLASSES:
            default = C.to_dict(DEFAULTS[p])
            for k, v in C.to_dict(_from_url(p, params)).items():
                key = PREFIXES[p] + k
                base[key] = _valid(key, v, default[k])
                if key in params and base[key] != v:
                    changed.append(f"{k.replace('_', ' ')} {v} → {base[key]}")
        ss["ts_base"] = base
        if changed:
            st.warning("The link asked for values this page does not offer, so they were changed: "
                       + ", ".join(changed) + ".")


def _key(name: str) -> str:
    """A widget key; restores its value from the URL-seeded base when Streamlit dropped it."""
    if name not in ss:
        ss[name] = ss["ts_base"][name]
    return name


def _current(part: str):
    prefix = PREFIXES[part]
    data = {k[len(prefix):]: v for k, v in ss["ts_base"].items() if k.startswith(prefix)}
    data.update({k[len(prefix):]: ss[k] for k in list(ss.keys()) if isinstance(k, str) and k.startswith(prefix)})
    return C.from_dict(CLASSES[part], data)


def _sync_url(cfgs: dict) -> str:
    """Write the set-up into the page URL (only our keys) and return it as a query string."""
    wanted = {k: v for p, cfg in cfgs.items() for k, v in _to_url(p, cfg).items()}
    ours = {k: st.query_params.get(k) for k in st.query_params if k[:2] in PREFIXES.values()}
    if ours != wanted:
        for k in ours:
            if k not in wanted:
                del st.query_params[k]
        st.query_params.update(wanted)
    return "?" + urlencode(wanted) if wanted else "(the defaults: no parameters)"


# ---------------------------------------------------------------- data
@st.cache_data(max_entries=32, show_spinner=False)
def _synthetic(source: str, length: int, frequency: float, amplitude: float, noise: float, drift: float,
               volatility: float, seasonality: float, jumps: float, seed: int) -> np.ndarray:
    if source == "stock":
        return synthetic.stock_series(length, drift, volatility, seasonality, jumps, seed=seed)
    return synthetic.sine_wave(length, frequency, amplitude, noise, seed)


@st.cache_resource(max_entries=4, show_spinner="Reading the CSV…")
def _read_csv(file_id: str, _data: bytes, encoding: str | None = None):
    """The parsed table of one upload (file ids are unique per upload), shared as is: never modified, and a
    big one is not copied on every rerun as `st.cache_data` would."""
    return read_table(_data, encoding=encoding)


@dataclasses.dataclass
class Data:
    """The series step 1 produced: values, dates, names and what is known about it."""

    values: np.ndarray
    dates: np.ndarray | None
    label: str
    report: list[str]
    frequency: object = None  # explorer.data.calendar.Frequency, from the dates
    noise_var: float | None = None  # σ² of a synthetic series' noise: the best any forecast can do
    unit: str = ""  # " (×10^300)" when the values were rescaled to keep their errors in range


def _drop_noise() -> None:
    ss["d_noise"] = 0.0


def _add_noise() -> None:
    ss["d_noise"] = SeriesConfig().noise


def _data_section(s: SeriesConfig) -> Data | None:
    """Step 1: the series, or None when there is none yet."""
    st.radio("Data source", list(SOURCES), format_func=SOURCES.get, horizontal=True, key=_key("d_source"),
             label_visibility="collapsed")
    src = ss["d_source"]
    if src in ("sine", "stock"):
        cols = st.columns(5)
        cols[0].number_input("Length (points)", 20, 20000, step=50, key=_key("d_length"))
        if src == "sine":
            cols[1].number_input("Frequency (cycles/step)", 0.001, 0.5, step=0.005, format="%.3f", key=_key("d_frequency"))
            cols[2].number_input("Amplitude", 0.01, 1000.0, step=0.5, key=_key("d_amplitude"))
            cols[3].number_input("Noise (std)", 0.0, 1000.0, step=0.05, key=_key("d_noise"),
                                 help="Observation noise σ: no forecast can beat an error of σ², the noise floor.")
            if ss["d_noise"] > 0:
                cols[3].button("Noise-free sine", key="ts_noise_free", on_click=_drop_noise,
                               help="Without noise the value one period ago is exact, and no model can beat it.")
            else:
                cols[3].button("Add noise back", key="ts_noise_back", on_click=_add_noise)
        else:
            cols[1].number_input("Yearly drift", -1.0, 1.0, step=0.05, key=_key("d_drift"))
            cols[2].number_input("Yearly volatility", 0.0, 2.0, step=0.05, key=_key("d_volatility"))
            c3a, c3b = cols[3].columns(2)
            c3a.number_input("Seasonality", 0.0, 0.9, step=0.05, key=_key("d_seasonality"),
                             help="Amplitude of a yearly cycle, as a fraction of the price")
            c3b.number_input("Jumps / year", 0.0, 50.0, step=1.0, key=_key("d_jumps"))
        cols[4].number_input("Seed", 0, 10**6, step=1, key=_key("d_seed"))
        s = _current("series")
        values = _synthetic(src, s.length, s.frequency, s.amplitude, s.noise, s.drift, s.volatility,
                            s.seasonality, s.jumps, s.seed)
        if src == "sine":
            return Data(values, None, "sine wave", [], noise_var=s.noise ** 2 if s.noise > 0 else None)
        return Data(values, None, "stock-like series", [])
    upload = st.file_uploader(f"CSV file. {LIMITS_TEXT} One value per row; a date column, several columns, long "
                              "format (a key column) or wide format (a column per month) are fine.",
                              type=["csv", "txt", "tsv"], key="ts_csv")
    if upload is None:
        st.info("Upload a CSV to continue. The file stays in this session; the link cannot carry it.")
        return None
    fid = upload.file_id
    try:
        table = _read_csv(fid, upload.getvalue())
        chosen = ss.get(f"csv_enc_{fid}")
        if chosen and chosen != table.encoding:  # the person picked another text encoding
            table = _read_csv(fid, upload.getvalue(), chosen)
    except CsvError as err:
        st.error(f"This CSV cannot be used: {err}", icon="⚠️")
        return None
    if table.wide is not None:
        unit = table.wide.unit
        melt = st.radio("Read the table as", [True, False], horizontal=True, key=f"csv_wide_{fid}",
                        format_func={True: f"one series, {unit} after {unit} in time order",
                                     False: "separate columns"}.get)
        if melt:
            table = wide_to_long(table)
    nums, axes, keys = table.numeric_columns, table.date_columns, table.key_columns
    c1, c2, c3, c4 = st.columns(4)
    value_col = c1.selectbox("Value column", nums, index=nums.index(table.value.column), key=f"csv_value_{fid}")
    date_col = c2.selectbox("Date column", ["(none)", *axes], index=1 if axes else 0, key=f"csv_date_{fid}")
    key_default = 0
    if keys and axes and table.dates[axes[0]].duplicated().any():
        key_default = 1  # dates repeat: long format, one series per key
    key_col = c3.selectbox("Key column (long format)", ["(none)", *keys], index=key_default, key=f"csv_key_{fid}")
    key_val = None
    if key_col != "(none)":
        key_val = c4.selectbox("Series", table.key_values(key_col), key=f"csv_keyval_{fid}")
    need = minimum_length(s.window, s.horizon, s.val_fraction, s.test_fraction, s.target)
    try:
        series = extract_series(table, value_col, None if date_col == "(none)" else date_col,
                                None if key_col == "(none)" else key_col, key_val, min_length=need)
    except CsvError as err:
        st.error(f"This CSV cannot be used: {err}", icon="⚠️")
        return None
    axis = table.axis(None if date_col == "(none)" else date_col)
    time = f"Time: {axis.how} in “{date_col}”." if axis else "No dates: the rows are taken in file order."
    st.caption((f"{table.value.reason} " if value_col == table.value.column else "") + f"{time} {series.report[-1]}")
    if series.changes:
        st.caption("What was done to the data: " + " ".join(series.changes))
    with st.expander("What was read from the file", expanded=False):
        st.text("\n".join(series.report))
        if table.encoding in text_encoding.LEGACY:
            codecs = list(text_encoding.LEGACY)
            st.selectbox("Text encoding", codecs, index=codecs.index(table.encoding), format_func=text_encoding.NAMES.get,
                         key=f"csv_enc_{fid}",
                         help="The file is not UTF-8, so its encoding was guessed; pick another if names look garbled.")
        st.dataframe(table.frame.head(8), hide_index=True)
    return Data(series.values, series.dates, series.name, series.report, series.frequency)


def _sidebar() -> None:
    """Step 2: architecture, window and training knobs (all in the URL)."""
    sb = st.sidebar
    sb.header("2 · Model")
    sb.selectbox("Cell", C.CELLS, key=_key("m_cell"))
    sb.selectbox("Gate-bias initialisation (LSTM, GRU)", C.GATE_INITS, format_func=C.GATE_INIT_LABELS.get,
                 key=_key("m_gate_init"), help=C.GATE_NOTE, disabled=ss.get("m_cell") == "SimpleRNN")
    sb.number_input("Units per layer", 1, 512, step=1, key=_key("m_units"))
    sb.number_input("Stacked layers", 1, 4, step=1, key=_key("m_layers"))
    sb.checkbox("Bidirectional", key=_key("m_bidirectional"))
    sb.slider("Dropout", 0.0, 0.9, step=0.05, key=_key("m_dropout"))
    sb.selectbox("Activation", C.ACTIVATIONS, key=_key("m_activation"))
    sb.header("Window")
    sb.number_input("Window (past steps the RNN reads)", 1, 500, step=1, key=_key("d_window"))
    sb.number_input("Forecast horizon h (values each window predicts)", 1, 50, step=1, key=_key("d_horizon"),
                    help="1 predicts the next value (the tutorial). With h > 1 the network outputs the next h "
                         "values at once; test metrics score the first one and the forecast past the end "
                         "feeds h values back at a time.")
    sb.selectbox("Predict", C.SERIES_TARGETS, format_func=TARGET_LABELS.get, key=_key("d_target"),
                 help="The level itself, or the change since the previous step (differencing): changes stay in the "
                      "range seen in training when the level trends out of it. Auto decides from the training part.")
    c1, c2 = sb.columns(2)
    c1.slider("Validation part", 0.05, 0.4, step=0.05, key=_key("d_val_fraction"))
    c2.slider("Test part", 0.05, 0.4, step=0.05, key=_key("d_test_fraction"))
    sb.header("Training")
    sb.selectbox("Optimizer", C.OPTIMIZERS, key=_key("t_optimizer"))
    sb.number_input("Learning rate", 1e-6, 1.0, step=1e-4, format="%g", key=_key("t_learning_rate"))
    c1, c2 = sb.columns(2)
    c1.number_input("Batch size", 1, 4096, step=8, key=_key("t_batch_size"))
    c2.number_input("Epochs", 1, 1000, step=10, key=_key("t_epochs"))
    c1, c2 = sb.columns(2)
    c1.number_input("Clip norm (0 = off)", 0.0, 100.0, step=0.5, key=_key("t_clipnorm"))
    c2.number_input("Seed", 0, 10**6, step=1, key=_key("t_seed"))
    sb.number_input("Early stopping: patience in epochs (0 = off)", 0, 1000, step=1, key=_key("t_patience"),
                    help="Stop after this many epochs without a lower validation loss and keep the best epoch's "
                         "weights: the number of epochs is chosen on the validation part, never on the test part.")


# ---------------------------------------------------------------- training and results
def _model_name(m: ModelConfig) -> str:
    name = f"{m.cell}({m.units})" + (f"×{m.layers}" if m.layers > 1 else "")
    return ("Bi-" + name) if m.bidirectional else name


def _train(data: Data, cfgs: dict) -> None:
    """Step 3: build, train live (with the BPTT probe each epoch), then evaluate once."""
    from explorer.forecast import find_period, scaled_noise_floor
    from explorer.models import config_problems
    from explorer.series_run import prepare_run
    from explorer.training import train

    s, m, t = cfgs["series"], cfgs["model"], cfgs["train"]
    problems = config_problems(m, t)
    if problems:
        raise UserError(" ".join(problems))
    r = prepare_run(data.values, s, m, t)
    n = len(ss.get(HISTORY_KEY, [])) + 1
    floor = scaled_noise_floor(r.ds, data.noise_var)
    extra = {"ds": r.ds, "dates": data.dates, "label": data.label, "name": f"#{n} {_model_name(m)}",
             "configs": {**{p: C.to_dict(c) for p, c in cfgs.items()}, "resolved": {"target": r.ds.target}},
             "model_name": _model_name(m),
             "period": find_period(data.values, r.ds.split.val_start, data.frequency), "noise_var": data.noise_var,
             "loss_floor": floor, "unit": data.unit}
    train_live(RUN_KEY, r.model,
               lambda sink, result: train(r.model, r.ds.x_train, r.ds.y_train, t, r.validation, sink=sink,
                                          result=result, probe=r.probe),
               epochs=t.epochs, record=extra, title="Loss while training (scaled units)",
               decorate=lambda fig: charts_series.with_noise_floor(fig, floor))


def _finalize(run) -> None:
    """Once per run: evaluate on the test part, forecast, and add the run to the history."""
    if run is None or run.status == RUNNING or "done" in run.record:
        return
    run.record["done"] = True
    ev = None
    if run.result.status != "diverged":
        from explorer.forecast import evaluate

        with friendly("Evaluating the model"):
            ev = evaluate(run.model, run.record["ds"], run.record["model_name"], FORECAST_MAX,
                          period=run.record["period"].steps, noise_floor=run.record["noise_var"])
    run.record["evaluation"] = ev
    metrics = {"epochs": float(run.result.epochs_done), "seconds": float(run.result.seconds)}
    if ev is not None:
        by = {r["name"]: r for r in ev.rows}
        me = by[run.record["model_name"]]
        metrics.update({"test MSE": me["mse"], "test MAE": me["mae"],
                        "best baseline MSE": ev.verdict.baseline_mse, "beats baseline": float(ev.verdict.beats)})
    ss.setdefault(HISTORY_KEY, []).append(RunRecord(
        name=run.record["name"], configs=run.record["configs"], metrics=metrics,
        history={k: list(v) for k, v in run.result.history.items()}, status=run.result.status))


def _results(run, just_trained: bool = False) -> None:
    """Steps 4–5 and 7: predictions, forecast, metrics vs baselines, inside the RNN, downloads."""
    res, ds, dates = run.result, run.record["ds"], run.record["dates"]
    name = run.record["model_name"]
    if res.status == "diverged":
        st.error(res.message, icon="💥")
    elif res.status == "stopped":
        st.warning(res.message or "Stopped early; the model keeps what it learned.", icon="⏹")
    else:
        st.success(f"Trained {res.epochs_done} epoch(s) in {res.seconds:.1f} s. {res.message}".strip(), icon="✅")
    floor = run.record.get("loss_floor")
    if not res.history:
        st.info("No loss curve: the run stopped before its first epoch ended.")
    elif not just_trained:
        fig = charts.loss_curves(res.history, title=f"{run.record['name']}: loss (scaled units)", log_y=True)
        st.plotly_chart(charts_series.with_noise_floor(fig, floor), width="stretch", key="ts_loss")
    if floor:
        st.caption(f"The dashed line is the noise floor: the sine's noise σ² = {fmt(run.record['noise_var'])}, "
                   "in the loss's scaled units. No forecast can go below it on new data.")
    ev = run.record.get("evaluation")
    if ev is not None:
        st.subheader("4 · Predictions, forecast and baselines")
        p, y = ev.predictions, "value" + run.record.get("unit", "")
        st.plotly_chart(charts_series.predictions_chart(p.t, p.truth, p.pred, name, ev.baselines, dates, y=y),
                        width="stretch", key="ts_pred")
        steps = st.slider("Forecast steps past the end", 1, FORECAST_MAX, min(50, FORECAST_MAX), key="ts_steps")
        fb = {k: v[:steps] for k, v in ev.forecast_baselines.items()}
        if np.all(np.isfinite(ev.forecast[:steps])):
            st.plotly_chart(charts_series.forecast_chart(ds.values, ev.forecast[:steps], name, fb, dates, y=y),
                            width="stretch", key="ts_forecast")
        else:
            st.info("No forecast to draw: fed its own predictions back, the model produced numbers that are not "
                    "finite (its outputs grew without bound).")
        table = pd.DataFrame([{"forecast": r["name"], "test MSE": fmt(r["mse"], exact_zero=False),
                               "test MAE": fmt(r["mae"], exact_zero=False)} for r in ev.rows])
        st.dataframe(table, hide_index=True, key="ts_metrics")
        target = TARGET_WORDS[ds.target]
        st.caption(f"One step ahead on the {fmt_int(len(p.t))} test targets, in the series' own units; the model "
                   f"predicts {target}; {run.record['period'].text}.")
        (st.success if ev.verdict.beats else st.warning)(ev.verdict.text)
    st.subheader("5 · Inside the network")
    c1, c2 = st.columns(2)
    with c1:
        if res.status != "diverged":
            _hidden_states(run)
    with c2:
        if res.probes and charts_series.probes_show_something(res.probes):
            st.plotly_chart(charts_series.probe_heatmap(res.probes), width="stretch", key="ts_probe")
            st.caption("How strongly the loss depends on each hidden state h_t of the first recurrent layer, "
                       "measured exactly through time after each epoch. Fading toward early timesteps is "
                       "the vanishing gradient.")
        elif res.probes:
            st.info("No ‖∂L/∂h_t‖ heatmap: every gradient through time is 0 or not a number (the loss is exactly 0, "
                    "or training diverged), so there is nothing to colour.")
        else:
            st.info("No ‖∂L/∂h_t‖ heatmap: the run ended before the gradients through time were measured.")
    norms = {k: np.where(np.isfinite(v) & (np.asarray(v) > 0), v, np.nan) for k, v in res.grad_norms.items()}
    if any(np.any(np.isfinite(v)) for v in norms.values()):
        st.plotly_chart(charts.step_norms(norms, title="Weight-gradient norm per layer and training step"),
                        width="stretch", key="ts_gradnorms")
    else:
        st.info("No weight-gradient chart: no training step produced a finite, non-zero gradient norm "
                "(the run stopped before its first step, diverged at once, or its loss was exactly 0).")


def _hidden_states(run) -> None:
    ds = run.record["ds"]
    xs, part = (ds.x_test, "test") if len(ds.x_test) else (ds.x_train, "training")
    if not len(xs):
        return
    run_key = run.record["name"]  # widgets keyed per run: a new run may have fewer windows or other layers
    i = st.slider(f"Window of the {part} part", 1, len(xs), len(xs), key=f"ts_window_pick {run_key}") - 1
    cache = run.record.setdefault("hidden", {})
    if i not in cache:
        from explorer.introspect import hidden_states

        with friendly("Reading the hidden states"):
            cache[i] = hidden_states(run.model, xs[i])
    layers = cache.get(i) or []
    if not layers:
        return
    labels = [f"{ls.layer} ({ls.direction})" for ls in layers]
    pick = st.selectbox("Layer", labels, key=f"ts_layer_pick {run_key}") if len(labels) > 1 else labels[0]
    st.plotly_chart(charts_series.hidden_state_heatmap(layers[labels.index(pick)].h),
                    width="stretch", key="ts_hidden")


def _model_bytes(model) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "rnn_explorer_model.keras")
        model.save(path)
        with open(path, "rb") as fh:
            return fh.read()


def _downloads(run, ev) -> None:
    st.subheader("7 · Take it away")
    c1, c2, c3 = st.columns(3)
    if run.result.status != "diverged":
        c1.download_button("Model (.keras)", data=lambda: _model_bytes(run.model), file_name="rnn_explorer_model.keras",
                           mime="application/octet-stream", on_click="ignore", key="ts_dl_model")
    if ev is not None:
        p, dates = ev.predictions, run.record["dates"]
        frame = pd.DataFrame({"t": p.t, "truth": p.truth, run.record["model_name"]: p.pred, **ev.baselines})
        if run.record.get("unit"):  # values rescaled by a power of ten: say so in every header
            frame.columns = ["t", *(f"{c}{run.record['unit']}" for c in frame.columns[1:])]
        if dates is not None:
            frame.insert(1, "date", dates[p.t])
        c2.download_button("Predictions (.csv)", frame.to_csv(index=False), file_name="predictions.csv",
                           mime="text/csv", on_click="ignore", key="ts_dl_pred")
    c3.download_button("Config (.json)", json.dumps(run.record["configs"], indent=2), file_name="config.json",
                       mime="application/json", on_click="ignore", key="ts_dl_cfg")


def _history() -> None:
    """Step 6: every run of this session, overlaid and tabulated."""
    runs = ss.get(HISTORY_KEY) or []
    if not runs:
        return
    st.subheader("6 · Compare runs")
    if any(r.history.get("loss") for r in runs):
        st.plotly_chart(charts_series.runs_overlay({r.name: r.history for r in runs}), width="stretch",
                        key="ts_overlay")
    else:
        st.info("No curves to compare: every run so far stopped before its first epoch ended.")
    rows = []
    for r in runs:
        s, m, t = r.configs["series"], r.configs["model"], r.configs["train"]
        num = {k: fmt(r.metrics[k], exact_zero=False) if k in r.metrics else "—"
               for k in ("test MSE", "test MAE", "best baseline MSE")}
        rows.append({"run": r.name, "status": r.status, **num,
                     "beats baseline": bool(r.metrics["beats baseline"]) if "beats baseline" in r.metrics else None,
                     "data": s["source"], "predicts": r.configs.get("resolved", {}).get("target", s["target"]),
                     "cell": m["cell"], "units": m["units"], "layers": m["layers"],
                     "bidirectional": m["bidirectional"], "dropout": m["dropout"], "activation": m["activation"],
                     "window": s["window"], "horizon": s["horizon"], "optimizer": t["optimizer"],
                     "lr": fmt(t["learning_rate"]), "batch": t["batch_size"], "clipnorm": t["clipnorm"],
                     "epochs": int(r.metrics.get("epochs", 0)), "seconds": round(r.metrics.get("seconds", 0.0), 1)})
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="ts_history_table")
    if st.button("Clear history", key="ts_clear"):
        ss[HISTORY_KEY] = []
        st.rerun()


# ---------------------------------------------------------------- the page
st.title("📈 Time series")
st.caption("Train a recurrent network to forecast a series, live, then check it against rules that learn nothing.")
_init_from_url()
_sidebar()
st.subheader("1 · Data")
data = None
with friendly("Preparing the data"):
    data = _data_section(_current("series"))
cfgs = {p: _current(p) for p in CLASSES}
cfgs["model"] = series_model_config(cfgs["model"], cfgs["series"])
link = _sync_url(cfgs)
with st.expander("Share this set-up"):
    st.code(link, language=None)
    st.caption("Add this to the page address: the link reproduces the data, model and training settings "
               "(an uploaded CSV must be uploaded again).")

ready = False
if data is not None:
    s = cfgs["series"]
    with friendly("Splitting the series"):
        check = check_series(data.values)
        for note in check.notes:
            st.info(note)
        data.values, data.unit = check.values, check.unit
        split = chronological_split(len(data.values), s.val_fraction, s.test_fraction)
        st.plotly_chart(charts_series.split_preview(data.values, split, data.dates, f"The {data.label} and its split",
                                                    y="value" + data.unit), width="stretch", key="ts_preview")
        need = minimum_length(s.window, s.horizon, s.val_fraction, s.test_fraction, s.target)
        if check.problem:
            st.warning(check.problem)
        elif len(data.values) < need:
            raise UserError(f"the series has {fmt_int(len(data.values))} points; a window of {s.window} and a horizon "
                            f"of {s.horizon} with this split need at least {fmt_int(need)}. Shorten the window or use "
                            "more data.")
        else:
            plan = plan_run(data.values, s)
            st.caption(f"{fmt_int(len(data.values))} points · train {fmt_int(split.val_start)} · validation "
                       f"{fmt_int(split.test_start - split.val_start)} · test {fmt_int(split.n - split.test_start)}. "
                       f"Scaling is fitted on the training part only. {plan.choice.reason}")
            if plan.sampled:
                default_model = cfgs["model"] == series_model_config(DEFAULTS["model"], s)
                st.info(plan.describe(cfgs["train"].epochs, default_model))
            ready = True

st.subheader("3 · Train")
clicked = st.button("▶ Train", type="primary", key="ts_train", disabled=not ready,
                    help="Trains a fresh model with the settings on the left; Stop keeps what it learned.")
if clicked and ready:
    with friendly("Training"):
        _train(data, cfgs)
run = recover(RUN_KEY)
with friendly("Showing the results"):
    _finalize(run)
    if run is not None and run.status != RUNNING:
        _results(run, just_trained=clicked)
_history()
if run is not None and run.status != RUNNING:
    with friendly("Preparing the downloads"):
        _downloads(run, run.record.get("evaluation"))
