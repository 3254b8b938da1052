"""How long the garbage collector stops every session on the server.

A full collection holds the GIL: while it runs no session's script, no websocket message and no
training step moves. The app runs one after every finished run and every closed tab (to give memory
back), and Python runs them by itself every so many allocations. Measured in-process after the app's
own start-up (Streamlit, Plotly, TensorFlow imported; `warm_up` with two models, as on a 2-core
server), in pairs, alternating which comes first, with the start-up heap frozen (what the app does
after its warm-up: `explorer.server.warmup.freeze_startup_heap`) and without it (`gc.unfreeze`):

1. every collection during the time-series default run (Train with the page's defaults), timed with
   `gc.callbacks`: their total and the longest single pause (median of the pairs);
2. the full collection the app runs once that run has finished (`explorer.server.memory.give_back`), with the
   run's model still held, as the session holds it (median of the pairs).
"""
from __future__ import annotations

import gc
import statistics
import sys
import time

from common import row  # also puts the project on the import path



class _Pauses:
    """Every collection's duration while active (gc.callbacks)."""

    def __init__(self):
        self.seconds: list[float] = []
        self._t0 = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.seconds.append(time.perf_counter() - self._t0)

    def __enter__(self):
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self)


def _full_collection() -> float:
    t0 = time.perf_counter()
    gc.collect()
    return time.perf_counter() - t0


def _default_run() -> dict:
    """The time-series page's default Train, with every collection during it timed."""
    from explorer.data.synthetic import sine_wave
    from explorer.nn.config import ModelConfig, SeriesConfig, TrainConfig
    from explorer.tasks.series.run import prepare_run
    from explorer.train.training import train

    s, cfg = SeriesConfig(), TrainConfig()
    values = sine_wave(s.length, s.frequency, s.amplitude, s.noise, s.seed)
    gc.collect()
    t0 = time.perf_counter()
    with _Pauses() as pauses:
        r = prepare_run(values, s, ModelConfig(), cfg)
        train(r.model, r.ds.x_train, r.ds.y_train, cfg, r.validation, probe=r.probe)
    seconds = time.perf_counter() - t0
    after = _full_collection()  # what explorer.server.memory.give_back runs when a run ends; the session still holds its run
    del r
    return {"total": sum(pauses.seconds), "longest": max(pauses.seconds, default=0.0), "n": len(pauses.seconds),
            "run": seconds, "collect": after, "tracked": len(gc.get_objects())}


def _measure(frozen: bool) -> dict:
    from explorer.server.warmup import freeze_startup_heap

    gc.unfreeze()
    if frozen:
        freeze_startup_heap()
    return {"frozen": gc.get_freeze_count(), **_default_run()}


def run(quick: bool = False) -> list[dict]:
    import pandas  # noqa: F401 - what the server has imported by the time visitors train
    import plotly.graph_objects  # noqa: F401
    import streamlit  # noqa: F401

    from explorer.server.warmup import warm_up

    warm_up(models=2)
    pairs = 2 if quick else 5
    results = {True: [], False: []}
    for i in range(pairs):
        for frozen in ((True, False) if i % 2 == 0 else (False, True)):
            results[frozen].append(_measure(frozen))
    gc.unfreeze()
    med = {f: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for f, rs in results.items()}
    on, off = med[True], med[False]

    def each(key: str, frozen: bool) -> str:
        return ", ".join(f"{r[key] * 1000:.2f}" for r in results[frozen])

    return [
        row(f"full collection when a run ends (gc.collect), start-up heap frozen, what the app does (median of {pairs} "
            "pairs)", round(on["collect"] * 1000, 2), "ms", None, None,
            f"{on['frozen']:,.0f} objects frozen after the warm-up, {on['tracked']:,.0f} left to scan; "
            f"each pair: {each('collect', True)} ms"),
        row("full collection when a run ends (gc.collect), nothing frozen (the app before)",
            round(off["collect"] * 1000, 2), "ms", None, None,
            f"{off['tracked']:,.0f} objects to scan; each pair: {each('collect', False)} ms"),
        row("collector pauses during the time-series default run, frozen: total", round(on["total"] * 1000, 1), "ms",
            None, None, f"longest single pause {on['longest'] * 1000:.2f} ms (median), {on['n']:.0f} collections; "
                        f"the run took {on['run']:.2f} s; each pair's total: {each('total', True)} ms"),
        row("collector pauses during the time-series default run, nothing frozen: total",
            round(off["total"] * 1000, 1), "ms", None, None,
            f"longest single pause {off['longest'] * 1000:.2f} ms (median), {off['n']:.0f} collections; the run "
            f"took {off['run']:.2f} s; each pair's total: {each('total', False)} ms"),
    ]

if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(r)
