"""The lag sweep: each architecture trained at a series of recall lags, in threads, to show where it stops learning."""
from __future__ import annotations

import dataclasses
import math
import os
import time
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from explorer.data.memory_tasks import MAX_T, lag_recall
from explorer.tasks.lab.config import ARCHS, DEFAULT_LAGS, HELD_OUT, LabConfig, model_config, train_config


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

    from explorer.nn.model_pool import POOL, pool_key
    from explorer.nn.models import build_model
    from explorer.train.training import train

    lags = sorted({int(k) for k in lags})
    if not lags or lags[0] < 1 or lags[-1] > MAX_T - 5:
        raise ValueError(f"Lags must be between 1 and {MAX_T - 5} steps.")
    samples = cfg.samples if samples is None else samples
    values = {a: [float("nan")] * len(lags) for a in archs}
    out = SweepResult(lags, list(archs), values, 0.5, epochs, samples, complete=False)
    data = {lag: (lag_recall(samples, lag, seed=cfg.train.seed), lag_recall(val_samples, lag, seed=cfg.train.seed + 7919))
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
    """The lab's sweep as a job (explorer.server.jobs): each (cell, lag) lands as a "cell" event."""
    from explorer.train.status import STOPPED

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
