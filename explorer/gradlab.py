"""The gradient lab: SimpleRNN, LSTM and GRU trained side by side on a long-memory task.

Every architecture gets the same data, seed, units, optimizer and learning rate.
After every epoch the BPTT probe measures ‖∂L/∂h_t‖ at each timestep on a fixed
batch, so the lab can show how fast the gradient fades (or grows) with distance
from the loss, and the spectrum of W_hh, which bounds the per-step factor
(Pascanu et al., 2013: ‖∂h_t/∂h_{t−1}‖ ≤ γ·σ_max(W_hh), γ = max |φ'|).
A sweep over the recall lag shows where each architecture stops learning.
"""
from __future__ import annotations

import dataclasses
import math
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np

from explorer.config import CELLS, ModelConfig, TrainConfig
from explorer.data.memory_tasks import MAX_T, TASKS, MemoryTask, lag_recall, make_task
from explorer.magnitudes import power_of_ten

ARCHS = CELLS
PROBE_BATCH = 32
HELD_OUT = 512  # fresh sequences every lab and sweep run is scored on
DEFAULT_LAGS = (10, 25, 50, 100, 200, 500)


@dataclass(frozen=True)
class LabConfig:
    """One lab set-up; every architecture is trained with it. Lives in the URL (prefix 'gl_')."""

    task: str = "lag_recall"
    T: int = 105  # lag_recall: the answer sits T − 5 = 100 steps before the loss
    units: int = 32
    optimizer: str = "adam"
    lr: float = 0.01
    epochs: int = 4
    batch: int = 32
    activation: str = "tanh"
    recurrent_init: str = "orthogonal"
    recurrent_scale: float = 1.0
    gate_init: str = "chrono"
    clipnorm: float = 1.0  # Adam at 0.01 occasionally jumps out of a solution without it
    seed: int = 0
    samples: int = 2048
    # XLA for the gated cells (bench_gradients, paired runs of the lab default: GRU 0.67×, LSTM 0.97× the
    # time without it); SimpleRNN trains 1.28× slower with it, so it never compiles.
    jit_compile: bool = True


# The exploding side: a ReLU network whose W_hh starts at 1.05 × identity amplifies its state, and
# its gradient, by 1.05 per step (131× over 100 steps); plain SGD at 0.1 then throws the weights to NaN.
EXPLODE = LabConfig(task="adding", T=100, optimizer="sgd", lr=0.1, epochs=5, activation="relu",
                    recurrent_init="identity", recurrent_scale=1.05, clipnorm=0.0)
# The same run with every weight's gradient cut to norm 0.1: no step can exceed lr · 0.1.
CLIPPED = dataclasses.replace(EXPLODE, clipnorm=0.1)


def lab_problems(cfg: LabConfig) -> list[str]:
    """Plain-language reasons the set-up cannot run; empty when it can."""
    from explorer.models import config_problems

    out = []
    if cfg.task not in TASKS:
        out.append(f"Unknown task {cfg.task!r}: choose one of {', '.join(TASKS)}.")
    if not 2 <= cfg.T <= MAX_T:
        out.append(f"The sequence length must be between 2 and {MAX_T} steps.")
    if cfg.task == "lag_recall" and cfg.T < 6:
        out.append("Recall needs sequences of at least 6 steps.")
    if not 2 <= cfg.samples <= 20000:
        out.append("Use between 2 and 20,000 training sequences.")
    out += config_problems(model_config(cfg, "SimpleRNN", "binary"), train_config(cfg))
    return out


def model_config(cfg: LabConfig, arch: str, head: str) -> ModelConfig:
    return ModelConfig(cell=arch, units=cfg.units, activation=cfg.activation, recurrent_init=cfg.recurrent_init,
                       recurrent_scale=cfg.recurrent_scale, gate_init=cfg.gate_init, head=head)


def train_config(cfg: LabConfig, epochs: int | None = None, arch: str | None = None) -> TrainConfig:
    """The training settings of a set-up; for `arch`, XLA only where it pays (the gated cells)."""
    return TrainConfig(optimizer=cfg.optimizer, learning_rate=cfg.lr, batch_size=cfg.batch,
                       epochs=cfg.epochs if epochs is None else epochs, clipnorm=cfg.clipnorm,
                       seed=cfg.seed, batch_every=5, jit_compile=cfg.jit_compile and arch != "SimpleRNN")


def lab_task(cfg: LabConfig) -> MemoryTask:
    """The training data of a set-up (lag_recall asks for the value T − 5 steps before the end)."""
    return make_task(cfg.task, cfg.samples, cfg.T, seed=cfg.seed)


def lab_heldout(cfg: LabConfig) -> MemoryTask:
    """Fresh sequences of the same task (another seed), scored after every epoch: what "learned" means."""
    return make_task(cfg.task, HELD_OUT, cfg.T, seed=cfg.seed + 7919)


def gamma(activation: str) -> float:
    """γ = max |φ'(z)|, the most one step of the activation can stretch a gradient."""
    return {"tanh": 1.0, "relu": 1.0, "sigmoid": 0.25}[activation]


def bound_note(activation: str) -> str:
    """What the 1/γ line means for this activation, in one sentence."""
    if activation == "relu":
        return ("ReLU: φ' is 0 or 1, so γ = 1 too, but nothing saturates: above the line the "
                "hidden state itself can grow without bound, not only the gradient.")
    return ("tanh: φ' = 1 − tanh² ≤ 1, so γ = 1; below σ_max = 1 the gradient must vanish, "
            "above it it can explode (saturation usually damps it).")


def initial_spectrum(cfg: LabConfig, arch: str = "SimpleRNN") -> dict[str, float]:
    """σ_max and spectral radius of W_hh exactly as `build_model` will initialise it (no model built)."""
    from explorer.models import recurrent_initializer, spectrum

    gates = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}[arch]
    init = recurrent_initializer(model_config(cfg, arch, "binary"), cfg.seed)  # layer 0 is seeded with train.seed + 0
    return spectrum(np.asarray(init((cfg.units, gates * cfg.units))))


class TimedProbe:
    """`GradientProbe` on a fixed batch that also records how long each call took.

    With a `twin` factory it is a `CachedProbe`: traced once per shape per process
    instead of once per trained model, so later runs with the same shape pay no trace.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, twin_key: tuple | None = None,
                 make_twin: Optional[Callable[[], object]] = None):
        from explorer.introspect import CachedProbe, GradientProbe

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

    from explorer.models import recurrent_layers, recurrent_matrix, spectrum

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
    result: object  # explorer.training.RunResult
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
    """Build `arch` for `task` (seeded by cfg.seed) with its probe on the first 32 sequences.

    `held` (default: `lab_heldout(cfg)`) is scored after every epoch.

    `twin=False` probes the model itself (one trace per model) instead of a cached twin.
    """
    from explorer.model_pool import POOL, pool_key
    from explorer.models import build_model, recurrent_layers, recurrent_matrix, spectrum
    from explorer.training import RunResult

    mc, tc = model_config(cfg, arch, task.head), train_config(cfg, arch=arch)
    pooled = pool_key(mc, tc, task.timesteps, task.features)
    model = POOL.lend(build_model(mc, tc, task.timesteps, task.features), pooled)
    n = min(PROBE_BATCH, len(task.x))
    key = (arch, cfg.units, cfg.activation, task.head, task.timesteps, task.features, n)
    make_twin = (lambda: model) if twin else None  # the twin is found (or built) from this model's config
    probe = TimedProbe(task.x[:n], task.y[:n], key, make_twin)
    run = ArchRun(arch, model, probe, RunResult(), held=lab_heldout(cfg) if held is None else held)
    run.spectra.append(spectrum(recurrent_matrix(recurrent_layers(model)[0])))
    run.carry0 = carry_per_step(model, run.probe.x, cfg.activation)
    POOL.return_with(run, model, pooled)  # back to the pool when the run is dropped
    return run


def fit_arch(run: ArchRun, cfg: LabConfig, task: MemoryTask, sink: Optional[Callable] = None,
             should_stop: Optional[Callable[[], bool]] = None):
    """Train in place (`run.result` fills as it goes, so an interrupted call keeps its epochs)."""
    from explorer.training import train

    run.started = time.perf_counter()
    return train(run.model, task.x, task.y, train_config(cfg, arch=run.arch), (run.held.x, run.held.y), sink=sink,
                 should_stop=should_stop, probe=run.probe, extra_callbacks=(_spectral_callback(run.spectra),),
                 result=run.result)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def carry_per_step(model, x: np.ndarray, activation: str = "tanh") -> float:
    """How much of the state each step carries to the next, averaged over `x` (see `numpy_unroll`)."""
    return numpy_unroll(model, x, activation)[1]


def numpy_unroll(model, x: np.ndarray, activation: str = "tanh") -> tuple[np.ndarray, float]:
    """The first recurrent layer re-run in numpy: (last hidden state, mean carry per step).

    How much of the state each step carries to the next, averaged over `x` (recomputed in numpy).

    SimpleRNN: the mean slope φ'(z_t) (the factor diag(φ') in ∂h_t/∂h_{t−1} = diag(φ')·W_hhᵀ);
    LSTM: the mean forget gate f_t (∂c_t/∂c_{t−1} = diag(f_t)); GRU: the mean update gate z_t
    (the share of h_{t−1} kept). NaN for anything else or a broken model.
    """
    from explorer.models import recurrent_layers

    cell = getattr(recurrent_layers(model)[0], "cell", None)
    kind = type(cell).__name__
    if kind not in ("SimpleRNNCell", "LSTMCell", "GRUCell"):
        return np.full((len(x), 0), np.nan), float("nan")
    x = np.asarray(x, dtype=np.float64)
    w_x = cell.kernel.numpy().astype(np.float64)
    w_h = cell.recurrent_kernel.numpy().astype(np.float64)
    b = cell.bias.numpy().astype(np.float64) if cell.use_bias else np.zeros(w_x.shape[1])
    units = w_h.shape[0]
    h = np.zeros((x.shape[0], units))
    c = np.zeros_like(h)
    act = (lambda z: np.maximum(z, 0.0)) if activation == "relu" else np.tanh
    carried = []
    with np.errstate(all="ignore"):
        for t in range(x.shape[1]):
            if kind == "SimpleRNNCell":
                z = x[:, t] @ w_x + h @ w_h + b
                h = act(z)
                carried.append(((z > 0) if activation == "relu" else 1.0 - h * h).mean())
            elif kind == "LSTMCell":
                z = x[:, t] @ w_x + h @ w_h + b
                zi, zf, zc, zo = np.split(z, 4, axis=-1)
                f = _sigmoid(zf)
                c = f * c + _sigmoid(zi) * act(zc)
                h = _sigmoid(zo) * act(c)
                carried.append(f.mean())
            else:  # Keras GRU, reset_after=True: bias rows are (input, recurrent)
                bx, bh = (b[0], b[1]) if b.ndim == 2 else (b, np.zeros_like(b))
                xz, xr, xh = np.split(x[:, t] @ w_x + bx, 3, axis=-1)
                hz, hr, hh = np.split(h @ w_h + bh, 3, axis=-1)
                zg = _sigmoid(xz + hz)
                cand = act(xh + _sigmoid(xr + hr) * hh)
                h = zg * h + (1.0 - zg) * cand
                carried.append(zg.mean())
    value = float(np.mean(carried))
    return h, (value if math.isfinite(value) else float("nan"))


def summarize(run: ArchRun, cfg: LabConfig, task: MemoryTask) -> ArchResult:
    """Derive the lab's numbers from a (finished, stopped or diverged) run."""
    from explorer.introspect import decay_per_step, memory_horizon

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
        gamma=gamma(cfg.activation),
        metric=task.metric, final_metric=final, chance=run.held.chance, chance_band=run.held.chance_band(),
        standing=run.held.standing(final),
        learned=run.held.learned(final) if r.status != "diverged" else False,
        train_metric=train_final, train_standing=run.held.standing(train_final), decisive_step=decisive + 1,
        reach=float(last[decisive] / last[-1]) if finite else float("nan"),
        carry=[run.carry0, carry_per_step(run.model, run.probe.x, cfg.activation)
               if r.status != "diverged" else float("nan")],
        train_seconds=float(r.seconds), probe_seconds=float(sum(run.probe.seconds)),
        probe_calls=len(run.probe.seconds),
    )


def train_arch(cfg: LabConfig, arch: str, task: MemoryTask | None = None, sink: Optional[Callable] = None,
               should_stop: Optional[Callable[[], bool]] = None, held: Optional[MemoryTask] = None) -> ArchResult:
    """Build, train with the probe every epoch, and summarise one architecture."""
    task = lab_task(cfg) if task is None else task
    run = start_arch(cfg, arch, task, held=held)
    fit_arch(run, cfg, task, sink=sink, should_stop=should_stop)
    return summarize(run, cfg, task)


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
        from explorer.status import FINISHED, STOPPED, STOPPED_MESSAGE

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
    """The lab's side-by-side run as a job (explorer.jobs): each cell's batches and epochs stream as events, and
    after every epoch its latest ‖∂L/∂h_t‖ row ("probe"), so a view draws the curves and the distances live."""
    from explorer.introspect import memory_horizon
    from explorer.status import STOPPED

    lab = LabRun(cfg, list(archs))
    total = cfg.epochs * len(lab.archs)

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
        ctx.progress((i * cfg.epochs + event.epoch + (event.kind == "epoch")) / total,
                     f"{arch}: epoch {event.epoch + 1}/{cfg.epochs} · {where} {name.replace('val_', '')} "
                     f"{event.logs.get(name, float('nan')):.4g}{reach}")

    run_lab(cfg, lab.archs, lab=lab, sink=sink, should_stop=ctx.should_stop)
    if ctx.should_stop():
        lab.stop()
        ctx.end(STOPPED, "Training was stopped; the epochs finished so far are shown.")
    return lab


@dataclass
class SweepResult:
    """Held-out accuracy after brief training, per architecture and recall lag."""

    lags: list[int]
    archs: list[str]
    values: dict[str, list[float]]  # arch -> one value per lag (NaN: diverged or not run)
    chance: float
    epochs: int
    samples: int
    seconds: float = 0.0
    complete: bool = True

    def longest_learned(self, arch: str, margin: float = 0.5) -> int:
        """The longest lag at which `arch` closed `margin` of the gap from chance to perfect (0: none)."""
        good = [lag for lag, v in zip(self.lags, self.values[arch])
                if math.isfinite(v) and v >= self.chance + margin * (1 - self.chance)]
        return max(good, default=0)


SWEEP_EPOCHS = 4  # most epochs per sweep run
SOLVED = 0.99  # a sweep run whose held-out accuracy reaches this has learned the lag: it stops early


def _stop_when_solved(threshold: float = SOLVED):
    """A Keras callback that ends a run once the held-out accuracy reaches `threshold`."""
    import keras

    class StopWhenSolved(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if (logs or {}).get("val_accuracy", 0.0) >= threshold:
                self.model.stop_training = True

    return StopWhenSolved()


def sweep(cfg: LabConfig = LabConfig(), lags: Sequence[int] = DEFAULT_LAGS, archs: Sequence[str] = ARCHS,
          epochs: int = SWEEP_EPOCHS, samples: int | None = None, val_samples: int = HELD_OUT,
          on_result: Optional[Callable[[str, int, float], None]] = None,
          should_stop: Optional[Callable[[], bool]] = None, workers: int | None = None) -> SweepResult:
    """Train each architecture briefly on lag-k recall (T = k + 5) for each k; held-out accuracy.

    Uses the set-up's units, optimizer, learning rate, gate-bias initialisation, clipping and seed
    (chrono's time scale follows each run's T). A run stops once its held-out accuracy reaches
    `SOLVED`; otherwise it trains `epochs` epochs. Runs are independent, so `workers` of them
    (default: 2, or 1 on a one-core machine) train at once in threads: a model of 32 units keeps
    about one core busy. `on_result(arch, lag, value)` is called on the caller's thread as each
    cell lands, and `should_stop()` ends the sweep between runs.
    """
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    from explorer.model_pool import POOL, pool_key
    from explorer.models import build_model
    from explorer.training import train

    lags = sorted({int(k) for k in lags})
    if not lags or lags[0] < 1 or lags[-1] > MAX_T - 5:
        raise ValueError(f"Lags must be between 1 and {MAX_T - 5} steps.")
    samples = cfg.samples if samples is None else samples
    values = {a: [float("nan")] * len(lags) for a in archs}
    out = SweepResult(lags, list(archs), values, 0.5, epochs, samples, complete=False)
    data = {lag: (lag_recall(samples, lag, seed=cfg.seed), lag_recall(val_samples, lag, seed=cfg.seed + 7919))
            for lag in lags}
    out.chance = data[lags[0]][1].chance

    def one(lag: int, arch: str) -> float:
        task, held = data[lag]
        tc = dataclasses.replace(train_config(cfg, epochs, arch), batch_every=0)
        mc = model_config(cfg, arch, task.head)
        key = pool_key(mc, tc, task.timesteps, task.features)
        model = POOL.lend(build_model(mc, tc, task.timesteps, task.features), key)
        try:
            result = train(model, task.x, task.y, tc, (held.x, held.y), extra_callbacks=(_stop_when_solved(),))
        finally:
            POOL.give_back(model, key)
        scores = result.history.get("val_accuracy", [])
        value = float(scores[-1]) if scores and result.status != "diverged" else float("nan")
        return value if math.isfinite(value) else float("nan")

    jobs = [(i, lag, arch) for i, lag in enumerate(lags) for arch in archs]
    workers = workers or min(2, os.cpu_count() or 1)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lab-sweep") as pool:
        running: dict = {}
        stopped = False
        while jobs or running:
            stopping = should_stop is not None and should_stop()
            stopped = stopped or (stopping and bool(jobs))
            while jobs and len(running) < workers and not stopping:
                i, lag, arch = jobs.pop(0)
                running[pool.submit(one, lag, arch)] = (i, lag, arch)
            if stopping:
                jobs.clear()
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                i, lag, arch = running.pop(future)
                values[arch][i] = future.result()
                if on_result is not None:
                    on_result(arch, lag, values[arch][i])
    out.seconds = time.perf_counter() - t0
    out.complete = not stopped
    return out


def sweep_job(ctx, cfg: LabConfig, lags: Sequence[int], archs: Sequence[str], epochs: int, samples: int
              ) -> SweepResult:
    """The lab's sweep as a job (explorer.jobs): each (cell, lag) lands as a "cell" event."""
    from explorer.status import STOPPED

    total, landed = len(set(lags)) * len(archs), []

    def on_result(arch: str, lag: int, value: float) -> None:
        landed.append(value)  # NaN too: a diverged run has landed
        ctx.emit("cell", arch=arch, lag=int(lag), value=float(value))
        ctx.progress(len(landed) / total, f"{arch} at lag {lag}: {value:.3f}")

    ctx.progress(0.0, "Building the first runs…")
    out = sweep(cfg, lags, archs, epochs=epochs, samples=samples, on_result=on_result, should_stop=ctx.should_stop)
    if not out.complete:
        ctx.end(STOPPED, "The sweep was stopped; the runs finished so far are shown.")
    return out
