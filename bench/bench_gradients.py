#!/usr/bin/env python3
"""Gradient lab speed and the measured lesson: probe cost, its overhead per epoch, ratios.

    .venv/bin/python bench/bench_gradients.py [--quick]

Rows {name, value, unit, target, met, note} (see bench/run_all.py).
- The BPTT probe ‖∂L/∂h_t‖ at T = 500, batch 32 on a SimpleRNN(32) trained for one epoch:
  first call (includes the tf.function trace) and steady state (median of 5); target ≤ 1 s.
- The overhead of probing every epoch (the lab's default set-up, each architecture):
  training with the probe vs the same seed without it; target ≤ 15 %.
- ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ per architecture at T = 100 and 500, before training and after
  the lab's brief training (a measurement, no target: the page teaches from it).
TensorFlow is imported before the clock starts, as the app warms it at start-up.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _row(name, value, unit, target=None, met=None, note=""):
    return {"name": name, "value": value, "unit": unit, "target": target, "met": met, "note": note}


def _probe_time(quick: bool) -> list[dict]:
    from explorer.gradlab import LabConfig, fit_arch, lab_task, start_arch

    T = 200 if quick else 500
    cfg = LabConfig(task="first_value", T=T, units=32, epochs=1, samples=128 if quick else 256)
    task = lab_task(cfg)
    run = start_arch(cfg, "SimpleRNN", task)
    fit_arch(run, cfg, task)  # trained-ish: one epoch (its two probe calls trace the function)
    fresh = type(run.probe)(task.x[:32], task.y[:32])
    t0 = time.perf_counter()
    fresh(run.model)
    first = time.perf_counter() - t0
    steady = []
    for _ in range(5):
        t0 = time.perf_counter()
        fresh(run.model)
        steady.append(time.perf_counter() - t0)
    med = statistics.median(steady)
    return [
        _row(f"probe ‖∂L/∂h_t‖, SimpleRNN(32), T={T}, batch 32: first call", round(first, 3), "s", "≤ 1 s",
             first <= 1.0, "includes tracing the tf.function once per model"),
        _row(f"probe ‖∂L/∂h_t‖, SimpleRNN(32), T={T}, batch 32: steady", round(med, 4), "s", "≤ 1 s",
             med <= 1.0, f"median of 5 (min {min(steady):.4f} s)"),
    ]


def _overhead(quick: bool) -> list[dict]:
    """Same seed, same data: training with the probe every epoch vs without it.

    The value is the time spent inside probe calls as a share of the bare training time
    (the difference of two wall-clock runs is noted too; it is noisier). Run 1 is the first
    in a cold process: it traces the probe on a twin of the architecture. Run 2 comes after
    the app's start-up warm-up, which traces the lab default's twins, as a person's first
    Train click does; run 3 reuses the trace, as every later click with the same shape does.
    """
    from explorer.gradlab import ARCHS, LabConfig, fit_arch, lab_task, model_config, start_arch, train_config
    from explorer.introspect import forget_cached_probes
    from explorer.models import build_model
    from explorer.training import train
    from explorer.warmup import warm_up

    cfg = LabConfig(epochs=3, samples=256) if quick else LabConfig()
    task = lab_task(cfg)
    rows = []
    for arch in ARCHS:
        model = build_model(model_config(cfg, arch, task.head), train_config(cfg), task.timesteps, task.features)
        t0 = time.perf_counter()
        train(model, task.x, task.y, train_config(cfg))
        bare = time.perf_counter() - t0
        for attempt in (1, 2, 3):
            if attempt == 2:
                forget_cached_probes()  # as in a fresh app process …
                warm_up()  # … that ran its start-up warm-up
            run = start_arch(cfg, arch, task)
            t0 = time.perf_counter()
            fit_arch(run, cfg, task)
            probed = time.perf_counter() - t0
            share = sum(run.probe.seconds) / bare
            what = {1: "first run in a cold process (traces the probe)",
                    2: "first run after the app's start-up warm-up", 3: "later runs (trace reused)"}[attempt]
            target = attempt > 1 and not quick  # the warm-up traces the default set-up only
            rows.append(_row(f"probe every epoch: overhead, {arch}({cfg.units}) T={cfg.T}, {cfg.epochs} epochs, "
                             f"{cfg.samples} seqs, {what}", round(100 * share, 1), "%",
                             "≤ 15 %" if target else None, share <= 0.15 if target else None,
                             f"{len(run.probe.seconds)} probe calls {sum(run.probe.seconds):.2f} s "
                             f"(first {run.probe.seconds[0]:.2f} s); train {bare:.2f} s bare vs "
                             f"{probed:.2f} s probed"))
    return rows


def _ratios(quick: bool) -> list[dict]:
    from explorer.gradlab import ARCHS, LabConfig, lab_task, train_arch

    rows = []
    for T in ((100,) if quick else (100, 500)):
        cfg = LabConfig(task="adding", T=T, epochs=2 if quick else (8 if T <= 100 else 3),
                        samples=256 if quick or T > 100 else 512)
        task = lab_task(cfg)
        for arch in ARCHS:
            r = train_arch(cfg, arch, task)
            before = r.probes[0][0] / r.probes[0][-1]
            note = (f"adding task, {arch}({cfg.units}), adam lr {cfg.lr:g}, {cfg.samples} seqs; "
                    f"horizon {r.horizons[0]} → {r.horizon} steps; decay/step {r.decay:.3f}; "
                    f"carry {r.carry[0]:.3f} → {r.carry[-1]:.3f}; {r.status}")
            rows.append(_row(f"‖∂L/∂h_1‖/‖∂L/∂h_T‖ {arch} T={T}, before training", f"{before:.2e}", "", note=note))
            rows.append(_row(f"‖∂L/∂h_1‖/‖∂L/∂h_T‖ {arch} T={T}, after {r.epochs_done} epochs",
                             f"{r.ratio:.2e}", "", note=f"MSE {r.final_metric:.3f} vs chance {r.chance:.3f}"))
    return rows


def run(quick: bool = False) -> list[dict]:
    import keras  # noqa: F401  (imported before any clock starts)

    return _probe_time(quick) + _overhead(quick) + _ratios(quick)


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        met = {True: "met", False: "NOT MET", None: ""}[r["met"]]
        target = f"(target {r['target']})" if r["target"] else ""
        print(f"{r['name']:<80} {r['value']:>9} {r['unit']:<2} {target:<12} {met:<8} {r['note']}", flush=True)
