"""Pay TensorFlow's one-time costs before the first Train click.

The first `fit` in a process is slow for reasons that have nothing to do with the
model (graph machinery, kernels, allocator, the first traced functions). The app calls
`warm_up` in a background thread at start, so the person's first run starts as fast as
their later ones (the warm-up's trained models go to `explorer.nn.model_pool`, so the time-series
default's first run starts without tracing), and the gradient probes of the time-series page's and the gradient
lab's default set-ups are already traced (they are cached per architecture, see
`explorer.introspect.probe.CachedProbe`), and the stored sentiment model a new visitor meets is loaded.
"""
from __future__ import annotations

import gc
import sys
import threading
from typing import Callable, Optional

import numpy as np

# A training thread gives up the GIL for every TensorFlow op and waits for it back after; while the pages'
# redraws hold it (a script run, a figure), Python hands it over only after this many seconds (its default: 5 ms).
# Measured in bench/bench_jobs.py (watching) and bench/bench_switch.py (two runs at once).
SWITCH_S = 0.001
_thread: Optional[threading.Thread] = None
_lock = threading.Lock()


def start(models: int = 1, before: Optional[Callable[[], None]] = None) -> None:
    """Once per process: the GIL's switch interval (SWITCH_S), `before()` (the app's own set-up of Keras),
    `warm_up` in a background thread, then `freeze_startup_heap`."""
    global _thread

    def work() -> None:
        if before is not None:
            before()
        try:
            warm_up(models)
        except Exception:  # noqa: BLE001 - warming is best effort; runs import and train for real
            pass
        freeze_startup_heap()  # later full garbage collections (each holds up every session) skip start-up's objects

    with _lock:
        if _thread is None:
            sys.setswitchinterval(SWITCH_S)
            _thread = threading.Thread(target=work, name="warm-tensorflow", daemon=True)
            _thread.start()


def wait(timeout: float = 120.0) -> None:
    """Let a running warm-up finish first (a job's thread calls it): it sets Keras' global seed, which runs rely on."""
    if _thread is not None:
        _thread.join(timeout)


def warm_up(models: int = 1) -> float:
    """Train the time-series default for one epoch on `models` models (one per training slot, so the first
    runs that start together all find a traced model in the pool) and trace the gradient lab's default
    probes; returns seconds."""
    import time

    t0 = time.perf_counter()
    from explorer.nn.model_pool import POOL
    from explorer.tasks.lab.arch import start_arch
    from explorer.tasks.lab.config import ARCHS, LabConfig, lab_task

    warmed = [traced_default() for _ in range(max(1, models))]
    for r in warmed:
        POOL.give_back(r.model, r.pool_key)  # the first visitors' default runs reuse their traces
    POOL.keep_spare(warmed[0].pool_key, lambda: traced_default().model)  # and so do the later visitors'
    POOL.refill()
    lab = LabConfig()
    task = lab_task(lab)
    for arch in ARCHS:
        run = start_arch(lab, arch, task)
        run.probe(run.model)
    from explorer.tasks.sentiment.run import warm_default

    warm_default()  # the stored sentiment model that answers a new visitor: loaded and traced
    return time.perf_counter() - t0


def traced_default():
    """A time-series default run (explorer.tasks.series.run.SeriesRun) trained for one epoch on its own model,
    whose training, validation, prediction and probe functions are therefore traced."""
    from explorer.data.synthetic import sine_wave
    from explorer.nn.config import ModelConfig, SeriesConfig, TrainConfig
    from explorer.tasks.series.run import prepare_run
    from explorer.train.training import train

    s, cfg = SeriesConfig(), TrainConfig(epochs=1, batch_every=0)
    values = sine_wave(s.length, s.frequency, s.amplitude, s.noise, s.seed)
    r = prepare_run(values, s, ModelConfig(), cfg)  # a new model: none idle yet, or the pool's refill asks
    train(r.model, r.ds.x_train, r.ds.y_train, cfg, r.validation, probe=r.probe)
    r.model.predict_on_batch(np.asarray(r.ds.x_test[:4]))
    return r


def freeze_startup_heap() -> int:
    """Once, after the warm-up: free what start-up left, then put everything still alive (TensorFlow, Keras,
    the pool's traced models: objects that live as long as the server) out of the cyclic garbage
    collector's reach (`gc.freeze`); returns how many objects were frozen.

    Why: a full collection holds the GIL, so every session on the server waits through it; without the freeze
    it would scan all of these after every finished run, every closed tab and every so many allocations.
    Frozen, they are left out and only what came after start-up is scanned (bench/bench_pauses.py). Reference
    counting still frees frozen objects; only a reference cycle among them that later became garbage would
    stay, and start-up objects live as long as the process."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
