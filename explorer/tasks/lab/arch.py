"""The gradient lab's training: SimpleRNN, LSTM and GRU trained side by side on a long-memory task.

Every architecture gets the same data, seed, units, optimizer and learning rate. After every epoch the
BPTT probe measures ‖∂L/∂h_t‖ at each timestep on a fixed batch, and the spectrum of W_hh is recorded, so
the lab can show how fast the gradient fades (or grows) with distance from the loss."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np

from explorer.data.memory_tasks import MemoryTask
from explorer.data.numbers import power_of_ten
from explorer.tasks.lab.cells import carry_per_step
from explorer.tasks.lab.config import (ARCHS, LabConfig, PROBE_BATCH, lab_heldout, lab_problems, lab_task, model_config,
                                       train_config)
from explorer.tasks.lab.theory import gamma


class TimedProbe:
    """`GradientProbe` on a fixed batch that also records how long each call took.

    With a `twin` factory it is a `CachedProbe`: traced once per shape per process
    instead of once per trained model, so later runs with the same shape pay no trace.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, twin_key: tuple | None = None,
                 make_twin: Optional[Callable[[], object]] = None):
        from explorer.introspect.probe import CachedProbe, GradientProbe

        self.x, self.y = x, y
        self.probe = GradientProbe(x, y) if make_twin is None else CachedProbe(x, y, twin_key, make_twin)
        self.seconds: list[float] = []

    def __call__(self, model) -> np.ndarray:
        t0 = time.perf_counter()
        out = self.probe(model)
        self.seconds.append(time.perf_counter() - t0)
        return out


def _spectral_callback(store: list):
    """A Keras callback appending W_hh's spectrum after every epoch (a 32×32 SVD: microseconds)."""
    import keras

    from explorer.nn.models import recurrent_layers, recurrent_matrix, spectrum

    class SpectralTracker(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            store.append(spectrum(recurrent_matrix(recurrent_layers(self.model)[0])))

    return SpectralTracker()


@dataclass
class ArchRun:
    """A live run of one architecture: the model, its growing result, and its instruments."""

    arch: str
    model: object
    probe: TimedProbe
    result: object  # explorer.train.training.RunResult
    spectra: list = field(default_factory=list)  # per epoch, first entry = before training
    started: float = 0.0
    carry0: float = float("nan")  # carry_per_step before training
    held: Optional[MemoryTask] = None  # fresh sequences scored after every epoch


@dataclass
class ArchResult:
    """Everything the lab shows about one trained architecture (plain arrays and numbers)."""

    arch: str
    status: str
    message: str
    epochs_done: int
    history: dict[str, list[float]]
    step_grad_norms: list[float]  # per training step: ‖∂L/∂W‖ of the recurrent layer (before clipping)
    max_weight_grad: list[float]  # per training step: the largest single weight's gradient norm (before clipping)
    probes: np.ndarray  # (epochs_done + 1, T): ‖∂L/∂h_t‖, row 0 before training
    horizons: list[int]  # memory horizon per probe row
    horizon: int  # at the last probe
    decay: float  # geometric factor per step back in time at the last probe (<1 fades)
    ratio: float  # ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ at the last probe
    max_singular: list[float]  # σ_max(W_hh) per probe row
    spectral_radius: list[float]  # ρ(W_hh) per probe row (NaN for gated cells)
    gamma: float
    metric: str
    final_metric: float  # on the held-out sequences, at the last epoch
    chance: float  # of the held-out sequences
    chance_band: float  # two standard errors of the chance score on the held-out sequences
    standing: str  # learned | partly | chance | worse | none (MemoryTask.standing of final_metric)
    learned: bool
    train_metric: float  # on the training sequences (the epoch's running value)
    train_standing: str  # where train_metric stands against the same chance band (MemoryTask.standing)
    decisive_step: int  # 1-based t of the input the answer depends on (the earliest one)
    reach: float  # ‖∂L/∂h_decisive‖ / ‖∂L/∂h_T‖ at the last probe: how much learning signal reaches it
    carry: list[float]  # carry_per_step before and after training (φ' / forget gate / update gate)
    train_seconds: float  # wall time of the fit, probes included
    probe_seconds: float  # wall time of all probe calls (first one includes tracing)
    probe_calls: int


def start_arch(cfg: LabConfig, arch: str, task: MemoryTask, twin: bool = True,
               held: Optional[MemoryTask] = None) -> ArchRun:
    """Build `arch` for `task` (seeded by cfg.train.seed) with its probe on the first 32 sequences.

    `held` (default: `lab_heldout(cfg)`) is scored after every epoch.

    `twin=False` probes the model itself (one trace per model) instead of a cached twin.
    """
    from explorer.nn.model_pool import POOL, pool_key
    from explorer.nn.models import build_model, recurrent_layers, recurrent_matrix, spectrum
    from explorer.train.training import RunResult

    mc, tc = model_config(cfg, arch, task.head), train_config(cfg, arch=arch)
    pooled = pool_key(mc, tc, task.timesteps, task.features)
    model = POOL.lend(build_model(mc, tc, task.timesteps, task.features), pooled)
    n = min(PROBE_BATCH, len(task.x))
    key = (arch, cfg.model.units, cfg.model.activation, task.head, task.timesteps, task.features, n)
    make_twin = (lambda: model) if twin else None  # the twin is found (or built) from this model's config
    probe = TimedProbe(task.x[:n], task.y[:n], key, make_twin)
    run = ArchRun(arch, model, probe, RunResult(), held=lab_heldout(cfg) if held is None else held)
    run.spectra.append(spectrum(recurrent_matrix(recurrent_layers(model)[0])))
    run.carry0 = carry_per_step(model, run.probe.x, cfg.model.activation)
    POOL.return_with(run, model, pooled)  # back to the pool when the run is dropped
    return run


def fit_arch(run: ArchRun, cfg: LabConfig, task: MemoryTask, sink: Optional[Callable] = None,
             should_stop: Optional[Callable[[], bool]] = None):
    """Train in place (`run.result` fills as it goes, so an interrupted call keeps its epochs)."""
    from explorer.train.training import train

    run.started = time.perf_counter()
    return train(run.model, task.x, task.y, train_config(cfg, arch=run.arch), (run.held.x, run.held.y), sink=sink,
                 should_stop=should_stop, probe=run.probe, extra_callbacks=(_spectral_callback(run.spectra),),
                 result=run.result)


def summarize(run: ArchRun, cfg: LabConfig, task: MemoryTask) -> ArchResult:
    """Derive the lab's numbers from a (finished, stopped or diverged) run."""
    from explorer.introspect.horizon import decay_per_step, memory_horizon

    r = run.result
    if not r.seconds and run.started:  # interrupted mid-fit: `train` never set it
        r.seconds = time.perf_counter() - run.started
    T = task.timesteps
    probes = np.stack(r.probes) if r.probes else np.zeros((0, T))
    last = probes[-1] if len(probes) else np.full(T, np.nan)
    finite = len(probes) and np.all(np.isfinite(last)) and last[-1] > 0
    metric_key = "accuracy" if task.metric == "accuracy" else "loss"
    held = r.history.get("val_" + metric_key, [])
    trained = r.history.get(metric_key, [])
    final = float(held[-1]) if held and r.status != "diverged" else float("nan")
    train_final = float(trained[-1]) if trained and r.status != "diverged" else float("nan")
    decisive = T - 1 - task.lag  # 0-based index of the earliest decisive input
    grads = r.grad_norms.get("rnn_0", [])
    message = r.message
    if r.status == "diverged":
        peak = max((g for g in grads if math.isfinite(g)), default=float("nan"))
        message = (f"{r.message} Before it broke, the recurrent layer's weight gradient peaked at "
                   f"‖∂L/∂W‖ = {peak:.3g}.")
    spectra = run.spectra[: len(probes)] if len(probes) else run.spectra[:1]
    return ArchResult(
        arch=run.arch, status=r.status, message=message, epochs_done=r.epochs_done,
        history={k: list(v) for k, v in r.history.items()},
        step_grad_norms=[float(g) for g in grads],
        max_weight_grad=[float(g) for g in r.max_weight_grad],
        probes=probes,
        horizons=[memory_horizon(p) for p in probes],
        horizon=memory_horizon(last) if finite else 0,
        decay=decay_per_step(last) if finite else float("nan"),
        ratio=float(last[0] / last[-1]) if finite else float("nan"),
        max_singular=[s["max_singular"] for s in spectra],
        spectral_radius=[s["spectral_radius"] for s in spectra],
        gamma=gamma(cfg.model.activation),
        metric=task.metric, final_metric=final, chance=run.held.chance, chance_band=run.held.chance_band(),
        standing=run.held.standing(final),
        learned=run.held.learned(final) if r.status != "diverged" else False,
        train_metric=train_final, train_standing=run.held.standing(train_final), decisive_step=decisive + 1,
        reach=float(last[decisive] / last[-1]) if finite else float("nan"),
        carry=[run.carry0, carry_per_step(run.model, run.probe.x, cfg.model.activation)
               if r.status != "diverged" else float("nan")],
        train_seconds=float(r.seconds), probe_seconds=float(sum(run.probe.seconds)),
        probe_calls=len(run.probe.seconds),
    )


@dataclass
class LabRun:
    """One side-by-side run as it grows: the set-up, the task, each cell's live run and, once done, its result.

    Filled in place by `run_lab`, so a run interrupted part-way keeps what it finished (`stop`).
    """

    cfg: LabConfig
    archs: list
    task: Optional[MemoryTask] = None
    runs: dict = field(default_factory=dict)  # arch -> ArchRun (live, with the model)
    results: dict = field(default_factory=dict)  # arch -> ArchResult

    @property
    def metric(self) -> str:
        """The held-out figure the curves show: accuracy for a classification task, else the loss."""
        return "val_accuracy" if self.task is None or self.task.metric == "accuracy" else "val_loss"

    def stop(self) -> None:
        """Mark the cells still training as stopped and summarise the epochs they finished."""
        from explorer.train.status import FINISHED, STOPPED, STOPPED_MESSAGE

        for arch, run in self.runs.items():
            if arch not in self.results:
                if run.result.status == FINISHED:
                    run.result.status = STOPPED
                    run.result.message = STOPPED_MESSAGE.format(epochs=run.result.epochs_done)
                self.results[arch] = summarize(run, self.cfg, self.task)

    def rows(self) -> list[dict]:
        """One table row per cell: every number the lab measured."""
        held = "held-out accuracy" if self.task.metric == "accuracy" else "held-out MSE"
        rows = []
        for arch, r in self.results.items():
            rows.append({
                "architecture": arch, "status": r.status, "epochs": r.epochs_done,
                held: r.final_metric, "chance": r.chance, "learned": r.learned,
                "training " + ("accuracy" if r.metric == "accuracy" else "MSE"): r.train_metric,
                "‖∂L/∂h‖ at the decisive input / at the loss": power_of_ten(r.reach),
                "‖∂L/∂h₁‖ / ‖∂L/∂h_T‖": power_of_ten(r.ratio),
                "memory horizon (steps)": r.horizon, "decay per step back": r.decay,
                "σ_max(W_hh)": r.max_singular[-1] if r.max_singular else float("nan"),
                "spectral radius": r.spectral_radius[-1] if r.spectral_radius else float("nan"),
                "carry per step, before → after": f"{r.carry[0]:.3f} → {r.carry[-1]:.3f}",
                "train s": r.train_seconds, "probe s": r.probe_seconds,
            })
        return rows


def run_lab(cfg: LabConfig, archs: Sequence[str] = ARCHS, lab: Optional[LabRun] = None,
            sink: Optional[Callable[[str, Optional[object]], None]] = None,
            should_stop: Optional[Callable[[], bool]] = None) -> dict[str, ArchResult]:
    """Train every architecture on the same data and seed; one `ArchResult` each, in order.

    `lab` (filled in place) keeps the runs of an interrupted call; `sink(arch, event)` gets each
    cell's live `TrainEvent`s, and `None` as it starts building that cell. `should_stop()` ends the
    cell in training after its current batch, and the cells after it never start.
    """
    problems = lab_problems(cfg)
    if problems:
        raise ValueError(" ".join(problems))
    lab = LabRun(cfg, list(archs)) if lab is None else lab
    lab.task, held = lab_task(cfg), lab_heldout(cfg)
    for arch in lab.archs:
        if should_stop is not None and should_stop():
            break
        if sink is not None:
            sink(arch, None)
        lab.runs[arch] = start_arch(cfg, arch, lab.task, held=held)
        fit_arch(lab.runs[arch], cfg, lab.task, sink=None if sink is None else (lambda e, a=arch: sink(a, e)),
                 should_stop=should_stop)
        lab.results[arch] = summarize(lab.runs[arch], cfg, lab.task)
    return lab.results


def run_job(ctx, cfg: LabConfig, archs: Sequence[str]) -> LabRun:
    """The lab's side-by-side run as a job (explorer.server.jobs): each cell's batches and epochs stream as events, and
    after every epoch its latest ‖∂L/∂h_t‖ row ("probe"), so a view draws the curves and the distances live."""
    from explorer.introspect.horizon import memory_horizon
    from explorer.train.status import STOPPED

    lab = LabRun(cfg, list(archs))
    total = cfg.train.epochs * len(lab.archs)

    def sink(arch: str, event) -> None:
        i = lab.archs.index(arch)
        if event is None:
            ctx.emit("building", arch=arch)
            ctx.progress(i / len(lab.archs), f"Building {arch} and tracing its gradient probe…")
            return
        ctx.emit(event.kind, arch=arch, epoch=event.epoch, batch=event.batch, x=event.at_epoch, logs=dict(event.logs))
        name = lab.metric if event.kind == "epoch" else lab.metric[4:]
        probes = lab.runs[arch].result.probes
        if event.kind == "epoch" and probes:
            ctx.emit("probe", arch=arch, epoch=event.epoch, norms=np.asarray(probes[-1], np.float64).tolist(),
                     lag=lab.task.lag, chance=lab.runs[arch].held.chance, metric=lab.metric)
        reach = f" · memory horizon {memory_horizon(probes[-1])} steps" if probes else ""
        where = "held-out" if event.kind == "epoch" else "training"
        ctx.progress((i * cfg.train.epochs + event.epoch + (event.kind == "epoch")) / total,
                     f"{arch}: epoch {event.epoch + 1}/{cfg.train.epochs} · {where} {name.replace('val_', '')} "
                     f"{event.logs.get(name, float('nan')):.4g}{reach}")

    run_lab(cfg, lab.archs, lab=lab, sink=sink, should_stop=ctx.should_stop)
    if ctx.should_stop():
        lab.stop()
        ctx.end(STOPPED, "Training was stopped; the epochs finished so far are shown.")
    return lab
