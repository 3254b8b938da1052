"""Live training: a real `model.fit` whose progress streams to a caller's sink.

The caller gets `TrainEvent`s per epoch (and every N batches), can ask the run to
stop at any batch (the partial history is kept), and gets a `RunResult` whose
status says plainly whether the run finished, was stopped or diverged.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from explorer.nn.config import TrainConfig
from explorer.nn.models import GRAD_PREFIX, MAX_WEIGHT_GRAD, seed_keras

import keras  # noqa: E402

from explorer.train.status import DIVERGED, FINISHED, STOPPED, STOPPED_MESSAGE, Status  # noqa: F401  (re-exported)

DIVERGED_MESSAGE = (
    "Training diverged: the loss became {value} at epoch {epoch}, batch {batch}. "
    "The network's values or its updates grew without bound (exploding gradients). Try a smaller "
    "learning rate, gradient clipping (clipnorm), tanh instead of relu, or a smaller recurrent scale."
)
# A finite loss this many times above the first step's (or above 1), or above MAX_LOSS, has exploded:
# the numbers are garbage even though no NaN has appeared yet, so the run is reported as diverged.
# Losses here are on scaled targets or probabilities, so a sane run stays far below both lines.
EXPLODE_FACTOR = 1e6
MAX_LOSS = 1e10
MIN_LIVE_POINTS = 20  # a run streams at least about this many batch points (TrainConfig.batch_every at most)


@dataclass
class TrainEvent:
    """One live update: `kind` is 'batch' or 'epoch'; `logs` holds the metrics at that point."""

    kind: str
    epoch: int
    batch: int
    logs: dict[str, float]
    elapsed: float
    steps: int = 0  # batches per epoch (0: unknown); a batch event is (batch + 1) / steps through its epoch

    @property
    def at_epoch(self) -> float:
        """Where the event sits on an epoch axis that starts at 1: epoch e ends at e + 1, mid-epoch in between."""
        if self.kind == "batch" and self.steps:
            return self.epoch + (self.batch + 1) / self.steps
        return float(self.epoch + 1)


@dataclass
class RunResult:
    """What a run produced, even when it stopped early."""

    status: Status = FINISHED
    message: str = ""
    epochs_done: int = 0
    history: dict[str, list[float]] = field(default_factory=dict)  # per epoch
    grad_norms: dict[str, list[float]] = field(default_factory=dict)  # per step, per layer
    max_weight_grad: list[float] = field(default_factory=list)  # per step: the largest single weight's, unclipped
    # Every live batch point: metric -> (position on the epoch axis, the metric averaged over the epoch so far),
    # so a run of one or two epochs still draws a curve, not a dot per epoch.
    batch_history: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    step_loss: list[float] = field(default_factory=list)  # per step
    probes: list[np.ndarray] = field(default_factory=list)  # per epoch, from the probe callable
    seconds: float = 0.0
    best_epoch: int = 0  # with early stopping: the epoch whose weights the model kept (1-based; 0: off)
    kept_start: bool = False  # no epoch beat the untrained model on validation, so it kept its starting weights


def _instrument(key: str) -> bool:
    """Whether a log entry is the instrumented step's gradient report, not a metric."""
    return key.startswith(GRAD_PREFIX) or key == MAX_WEIGHT_GRAD


class LiveCallback(keras.callbacks.Callback):
    """Records per-step gradient norms and per-epoch metrics; streams, stops, detects divergence."""

    def __init__(self, result: RunResult, sink: Optional[Callable[[TrainEvent], None]],
                 should_stop: Optional[Callable[[], bool]], batch_every: int,
                 probe: Optional[Callable[[keras.Model], np.ndarray]] = None):
        super().__init__()
        self.result, self.sink, self.should_stop = result, sink, should_stop
        self.batch_every, self.probe = batch_every, probe
        self.t0 = time.perf_counter()
        self.epoch = 0
        self.first_loss = float("nan")

    def _emit(self, kind: str, batch: int, logs: dict) -> None:
        steps = int((self.params or {}).get("steps") or 0)
        event = TrainEvent(kind, self.epoch, batch, dict(logs), time.perf_counter() - self.t0, steps)
        if kind == "batch":
            for key, value in logs.items():
                if key != "batch_loss":
                    self.result.batch_history.setdefault(key, []).append((event.at_epoch, float(value)))
        if self.sink is not None:
            self.sink(event)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        step_loss = float(logs.get("batch_loss", logs.get("loss", float("nan"))))
        self.result.step_loss.append(step_loss)
        for key, value in logs.items():
            if key.startswith(GRAD_PREFIX):
                self.result.grad_norms.setdefault(key[len(GRAD_PREFIX):], []).append(float(value))
        if MAX_WEIGHT_GRAD in logs:
            self.result.max_weight_grad.append(float(logs[MAX_WEIGHT_GRAD]))
        if math.isnan(self.first_loss):
            self.first_loss = step_loss
        exploded = step_loss > MAX_LOSS or (math.isfinite(self.first_loss)
                                            and step_loss > EXPLODE_FACTOR * max(1.0, self.first_loss))
        if not math.isfinite(step_loss) or exploded:
            self.result.status = DIVERGED
            self.result.message = DIVERGED_MESSAGE.format(value=f"{step_loss:.3g}", epoch=self.epoch + 1,
                                                          batch=batch + 1)
            self.model.stop_training = True
            return
        first_step = self.epoch == 0 and batch == 0  # a live curve's first point comes after one step, not N
        if self.batch_every and ((batch + 1) % self.batch_every == 0 or first_step):
            self._emit("batch", batch, {k: v for k, v in logs.items() if not _instrument(k)})
        if self.should_stop is not None and self.should_stop():
            self.result.status = STOPPED
            self.result.message = f"Stopped by request during epoch {self.epoch + 1}."
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self.result.status == DIVERGED:
            return
        logs = {k: float(v) for k, v in (logs or {}).items() if not _instrument(k) and k != "batch_loss"}
        # A stop in mid-epoch still counts the epoch's partial metrics: they are what was learned.
        for key, value in logs.items():
            self.result.history.setdefault(key, []).append(value)
        self.result.epochs_done = epoch + 1
        if self.probe is not None:
            self.result.probes.append(self.probe(self.model))
        self._emit("epoch", -1, logs)


class CosineSchedule(keras.callbacks.Callback):
    """Sets the optimizer's step size before every batch: a half cosine from its start value to 0 over `steps`.

    A callback, not a schedule object in the optimizer, so it also works on a model whose
    train function was traced with a plain learning rate, and the page's knob stays a float.
    """

    def __init__(self, learning_rate: float, steps: int):
        super().__init__()
        self.schedule = keras.optimizers.schedules.CosineDecay(learning_rate, max(1, steps))
        self.step = 0

    def on_train_batch_begin(self, batch, logs=None):
        self.model.optimizer.learning_rate = float(self.schedule(self.step))
        self.step += 1


def shuffled_batches(x, y, batch_size: int, epochs: int, seed: int):
    """A dataset of `epochs` passes over (x, y) in batches, each pass in a new order drawn from `seed` alone,
    and the number of batches per pass. Not Keras' own shuffling: it draws from TensorFlow's global seed,
    which `explorer.nn.models.seed_keras` leaves alone."""
    import tensorflow as tf

    n = len(x)
    rng = np.random.default_rng(seed)
    orders = np.stack([rng.permutation(n).astype(np.int32) for _ in range(epochs)])
    xs, ys = tf.constant(x), tf.constant(y)
    ds = (tf.data.Dataset.from_tensor_slices(orders)
          .flat_map(lambda order: tf.data.Dataset.from_tensor_slices(order).batch(batch_size))
          .map(lambda idx: (tf.gather(xs, idx), tf.gather(ys, idx)))
          .prefetch(2))
    return ds, math.ceil(n / batch_size)


def _batches(dataset) -> int:
    """Batches per epoch of a dataset of batches; 0 when it does not know its length."""
    try:
        return len(dataset)
    except TypeError:
        return 0


def live_every(cfg: TrainConfig, per_epoch: int) -> int:
    """Batches between two live points: `cfg.batch_every`, fewer in a short run, so that even one epoch
    streams about MIN_LIVE_POINTS points and draws a curve (0: per epoch only)."""
    if not cfg.batch_every or not per_epoch:
        return cfg.batch_every
    return min(cfg.batch_every, max(1, per_epoch * cfg.epochs // MIN_LIVE_POINTS))


def train(model: keras.Model, x, y, cfg: TrainConfig, validation_data=None,
          sink: Optional[Callable[[TrainEvent], None]] = None,
          should_stop: Optional[Callable[[], bool]] = None,
          probe: Optional[Callable[[keras.Model], np.ndarray]] = None,
          extra_callbacks: tuple = (), result: Optional[RunResult] = None, keep_start: bool = False) -> RunResult:
    """Fit `model` live; never raises for a diverging run, returns its status instead.

    `probe(model)` runs after every epoch (e.g. the BPTT gradient probe) and its
    results are kept in `RunResult.probes`, so heatmaps over epochs come for free.
    With `cfg.patience` and validation data, Keras' EarlyStopping ends the run when the
    validation loss stops improving and the model keeps its best epoch's weights.
    Pass your own `result` to hold a live reference that survives an interrupted call.
    With `y=None`, `x` is a dataset of (x, y) batches that shuffles itself (see `explorer.data.buckets`).
    `keep_start` (with early stopping) makes the untrained model a candidate too, for a model whose
    start is a rule worth keeping (a change model starts at "next = last"): when no epoch lowers the
    validation loss below the start's, the model ends with its starting weights.
    """
    result = RunResult() if result is None else result
    seed_keras(cfg.seed)
    batched = y is None  # x is a dataset of (x, y) batches (e.g. reviews batched by length)
    per_epoch = _batches(x) if batched else math.ceil(len(x) / cfg.batch_size)
    callback = LiveCallback(result, sink, should_stop, live_every(cfg, per_epoch), probe)
    stopper = None
    if cfg.patience > 0 and validation_data is not None:
        stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=cfg.patience, restore_best_weights=True)
    scheduler = ()
    if cfg.schedule == "cosine":
        scheduler = (CosineSchedule(cfg.learning_rate, cfg.epochs * per_epoch),)
    t0 = time.perf_counter()
    if probe is not None:
        result.probes.append(probe(model))  # epoch 0: the untrained model
    start = None
    if keep_start and stopper is not None:
        xv, yv = validation_data
        start = (model.evaluate(xv, yv, batch_size=cfg.batch_size, verbose=0, return_dict=True)["loss"],
                 model.get_weights())
    steps = None
    if not batched:
        x, steps = shuffled_batches(x, y, cfg.batch_size, cfg.epochs, cfg.seed)
    model.fit(x, None, epochs=cfg.epochs, steps_per_epoch=steps, validation_data=validation_data, shuffle=False, verbose=0,
              callbacks=[*scheduler, callback, *([stopper] if stopper else []), *extra_callbacks])
    result.seconds = time.perf_counter() - t0
    if stopper is not None and stopper.best_weights is not None:
        result.best_epoch = stopper.best_epoch + 1
    val = [v for v in result.history.get("val_loss", []) if math.isfinite(v)]
    if start is not None and result.status != DIVERGED and val and math.isfinite(start[0]) and start[0] <= min(val):
        model.set_weights(start[1])
        result.best_epoch, result.kept_start = 0, True
    if result.status == FINISHED and stopper is not None and stopper.stopped_epoch > 0:
        result.message = (f"Stopped early after epoch {result.epochs_done}: the validation loss had not improved "
                          f"for {cfg.patience} epoch(s).")
    elif result.status == FINISHED and result.epochs_done < cfg.epochs:
        result.status = STOPPED
        result.message = result.message or STOPPED_MESSAGE.format(epochs=result.epochs_done)
    if result.best_epoch and result.best_epoch != result.epochs_done and result.status != DIVERGED:
        result.message = (f"{result.message} The model keeps the weights of epoch {result.best_epoch}, "
                          "the one with the lowest validation loss.").strip()
    elif result.kept_start:
        result.message = (f"{result.message} No epoch lowered the validation loss below the untrained model's, so "
                          "the model keeps its starting weights.").strip()
    if result.status == FINISHED:
        last = result.history.get("loss", [float("nan")])[-1]
        if not math.isfinite(last):
            result.status = DIVERGED
            result.message = DIVERGED_MESSAGE.format(value=last, epoch=result.epochs_done, batch="last")
    return result
