#!/usr/bin/env python3
"""Gradient lab speed: probe cost, its overhead per epoch, XLA, and gradient ratios.

    .venv/bin/python bench/bench_gradients.py [--quick]

Rows {name, value, unit, target, met, note} (see bench/run_all.py).
- The BPTT probe ‖∂L/∂h_t‖ at T = 500, batch 32 on a SimpleRNN(32) trained for one epoch, on its
  float64 twin (what the app runs) and, for the cost of the precision, the same probe in float32:
  first call (includes building and tracing the twin) and steady state (median of 5); target ≤ 1 s.
- The overhead of probing every epoch (the lab's default set-up, each architecture): wall time of
  training with the probe over the same run without it, same seed and data, three interleaved pairs
  after the app's warm-up; the median ratio, target ≤ 1.15.
- XLA (`jit_compile`) on and off for the lab's default run, per architecture: three interleaved pairs,
  the median ratio of wall times.
- ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ per architecture on the lab's default task and at T = 500, before and after
  training (a measurement, no target: the page teaches from it); float64, so no 0 from underflow.
TensorFlow is imported before the clock starts, as the app warms it at start-up.
"""
from __future__ import annotations

import dataclasses
import os
import statistics
import sys
import time

from common import row  # also puts the project on the import path
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")



def _timed(fn, repeats: int = 5) -> tuple[float, float]:
    """(first call, median of `repeats` later calls) in seconds."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    later = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        later.append(time.perf_counter() - t0)
    return first, statistics.median(later)


def _probe_time(quick: bool) -> list[dict]:
    import keras
    import numpy as np
    import tensorflow as tf

    from explorer.introspect import probe
    from explorer.introspect.probe import GradientProbe, _probe_fn
    from explorer.tasks.lab.arch import fit_arch, start_arch
    from explorer.tasks.lab.config import LabConfig, lab_task, with_fields

    T = 200 if quick else 500
    cfg = with_fields(LabConfig(), task="first_value", T=T, units=32, epochs=1, samples=128 if quick else 256)
    task = lab_task(cfg)
    run = start_arch(cfg, "SimpleRNN", task)
    fit_arch(run, cfg, task)
    x, y = task.x[:32], task.y[:32]
    with probe._TWINS_LOCK:  # every cached twin dropped, as a fresh process starts
        probe._TWINS.clear()
    f64_first, f64 = _timed(lambda: GradientProbe(x, y)(run.model))
    fn32 = _probe_fn(run.model, keras.losses.get(run.model.loss), 0)  # the same probe on the float32 model
    f32_first, f32 = _timed(lambda: [g.numpy() for g in fn32(tf.constant(x), tf.constant(y))])
    norms = GradientProbe(x, y)(run.model)
    name = f"probe ‖∂L/∂h_t‖, SimpleRNN(32), T={T}, batch 32"
    return [
        row(f"{name}, float64 twin: first call", round(f64_first, 3), "s", "≤ 1 s", f64_first <= 1.0,
             "builds the float64 twin and traces it (once per architecture per process)"),
        row(f"{name}, float64 twin: steady", round(f64, 4), "s", "≤ 1 s", f64 <= 1.0,
             f"median of 5; float32 on the model itself: {f32:.4f} s (first {f32_first:.3f} s), so float64 costs "
             f"{f64 / f32:.2f}×; smallest norm measured {np.min(norms):.3g}"),
    ]


def _interleaved(a, b, pairs: int = 3) -> tuple[float, list[float], list[float]]:
    """Median of b()/a() over `pairs` back-to-back pairs (order alternating), and both time lists."""
    ta, tb = [], []
    for i in range(pairs):
        for fn, out in ((a, ta), (b, tb)) if i % 2 == 0 else ((b, tb), (a, ta)):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return statistics.median(y / x for x, y in zip(ta, tb)), ta, tb


def _overhead(quick: bool) -> list[dict]:
    """Same seed and data: the lab's training with the probe every epoch vs without it (paired, repeated)."""
    from explorer.nn.models import build_model
    from explorer.tasks.lab.arch import fit_arch, start_arch
    from explorer.tasks.lab.config import (ARCHS, LabConfig, lab_heldout, lab_task, model_config, train_config,
                                           with_fields)
    from explorer.train.training import train

    cfg = with_fields(LabConfig(), epochs=2, samples=512) if quick else LabConfig()
    task, held = lab_task(cfg), lab_heldout(cfg)
    rows = []
    for arch in ARCHS:
        def bare():
            model = build_model(model_config(cfg, arch, task.head), train_config(cfg), task.timesteps, task.features)
            train(model, task.x, task.y, train_config(cfg), (held.x, held.y))

        def probed():
            run = start_arch(cfg, arch, task, held=held)
            fit_arch(run, cfg, task)

        bare(), probed()  # both traced once, as after the app's warm-up
        ratio, tb, tp = _interleaved(bare, probed, 1 if quick else 3)
        rows.append(row(f"probe every epoch: wall time with / without, {arch}({cfg.model.units}) T={cfg.T}, "
                         f"{cfg.train.epochs} epochs, {cfg.samples} seqs", round(ratio, 3), "×",
                         None if quick else "≤ 1.15", None if quick else ratio <= 1.15,
                         "median of paired runs; without " + ", ".join(f"{t:.2f}" for t in tb) + " s; with "
                         + ", ".join(f"{t:.2f}" for t in tp) + " s (build, probe twin, training, held-out scoring)"))
    return rows


def _xla(quick: bool) -> list[dict]:
    from explorer.nn.models import build_model
    from explorer.tasks.lab.config import (ARCHS, LabConfig, lab_heldout, lab_task, model_config, train_config,
                                           with_fields)
    from explorer.train.training import train

    cfg = with_fields(LabConfig(), epochs=2, samples=512) if quick else LabConfig()
    task, held = lab_task(cfg), lab_heldout(cfg)
    rows = []
    for arch in ARCHS:
        def fit(jit: bool):
            tc = dataclasses.replace(train_config(cfg), jit_compile=jit)
            model = build_model(model_config(cfg, arch, task.head), tc, task.timesteps, task.features)
            train(model, task.x, task.y, tc, (held.x, held.y))

        ratio, t_off, t_on = _interleaved(lambda: fit(False), lambda: fit(True), 1 if quick else 3)
        rows.append(row(f"XLA on / off, lab default {arch}({cfg.model.units}) T={cfg.T}, {cfg.train.epochs} epochs", round(ratio, 3),
                         "×", note="median of paired runs, each a fresh model (compile included); off "
                         + ", ".join(f"{t:.2f}" for t in t_off) + " s; on " + ", ".join(f"{t:.2f}" for t in t_on)
                         + " s. The lab compiles with XLA when this is below 1."))
    return rows


def _ratios(quick: bool) -> list[dict]:
    from explorer.data.numbers import power_of_ten
    from explorer.tasks.lab.arch import fit_arch, start_arch, summarize
    from explorer.tasks.lab.config import ARCHS, LabConfig, lab_task, with_fields

    rows = []
    sets = ([with_fields(LabConfig(), samples=512, epochs=2)] if quick else
            [LabConfig(), with_fields(LabConfig(), task="adding", T=500, epochs=3, samples=256)])
    for cfg in sets:
        task = lab_task(cfg)
        for arch in ARCHS:
            run = start_arch(cfg, arch, task)
            fit_arch(run, cfg, task)
            r = summarize(run, cfg, task)
            before = r.probes[0][0] / r.probes[0][-1]
            what = f"{cfg.task} T={cfg.T}"
            note = (f"{arch}({cfg.model.units}), gate biases {cfg.model.gate_init}, adam lr {cfg.train.learning_rate:g}, "
                    f"{cfg.samples} seqs; "
                    f"horizon {r.horizons[0]} → {r.horizon} steps; decay/step {r.decay:.3f}; "
                    f"carry {r.carry[0]:.3f} → {r.carry[-1]:.3f}; {r.status}")
            rows.append(row(f"‖∂L/∂h_1‖/‖∂L/∂h_T‖ {arch} {what}, before training", power_of_ten(before), "", note=note))
            rows.append(row(f"‖∂L/∂h_1‖/‖∂L/∂h_T‖ {arch} {what}, after {r.epochs_done} epochs", power_of_ten(r.ratio),
                             "", note=f"held-out {r.metric} {r.final_metric:.3f} vs chance {r.chance:.3f}; exact value "
                                      f"{r.ratio:.3e}"))
    return rows


def run(quick: bool = False) -> list[dict]:
    import keras  # noqa: F401  (imported before any clock starts)

    from explorer.server.warmup import warm_up

    warm_up()
    return _probe_time(quick) + _overhead(quick) + _xla(quick) + _ratios(quick)


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        met = {True: "met", False: "NOT MET", None: ""}[r["met"]]
        target = f"(target {r['target']})" if r["target"] else ""
        print(f"{r['name']:<80} {r['value']:>9} {r['unit']:<2} {target:<12} {met:<8} {r['note']}", flush=True)
