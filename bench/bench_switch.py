"""How soon a training thread gets the GIL back: the server's switch interval (`explorer.server.warmup.SWITCH_S`).

A training thread gives up the GIL for each TensorFlow op and needs it back after; Python takes it from a thread
that holds it only after the switch interval. Measured in-process: two runs training at once in two threads (two
training slots; a small SimpleRNN on a sine wave, 60 epochs of batches of 16, every batch streamed), seconds until
both end, with Python's default interval (5 ms) and the app's, in 6 pairs alternating which comes first.
"""
from __future__ import annotations

import statistics
import sys
import threading
import time

from common import row  # also puts the project on the import path

DEFAULT_S = 0.005  # Python's own


def _two_at_once(models, ds, cfg) -> float:
    from explorer.train.training import train

    threads = [threading.Thread(target=train, args=(m, ds.x_train, ds.y_train, cfg, (ds.x_val, ds.y_val)),
                                kwargs=dict(sink=lambda e: None)) for m in models]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def run(quick: bool = False) -> list[dict]:
    from explorer.data.synthetic import sine_wave
    from explorer.data.windows import prepare_series
    from explorer.nn.config import ModelConfig, TrainConfig
    from explorer.nn.models import build_model
    from explorer.server.warmup import SWITCH_S

    ds = prepare_series(sine_wave(300, frequency=0.05), window=20)
    cfg = TrainConfig(epochs=10 if quick else 60, batch_size=16, batch_every=1, patience=0)
    models = [build_model(ModelConfig(units=8), cfg, timesteps=ds.window) for _ in range(2)]
    before = sys.getswitchinterval()
    try:
        _two_at_once(models, ds, cfg)  # traced once
        seconds = {DEFAULT_S: [], SWITCH_S: []}
        for i in range(2 if quick else 6):
            for s in (DEFAULT_S, SWITCH_S) if i % 2 == 0 else (SWITCH_S, DEFAULT_S):
                sys.setswitchinterval(s)
                seconds[s].append(_two_at_once(models, ds, cfg))
    finally:
        sys.setswitchinterval(before)
    app, default = statistics.median(seconds[SWITCH_S]), statistics.median(seconds[DEFAULT_S])
    return [row(f"two runs training at once in one process, switch interval {SWITCH_S * 1000:g} ms vs "
                f"{DEFAULT_S * 1000:g} ms: seconds until both end (median of {len(seconds[SWITCH_S])} pairs)",
                round(app / default, 3), "×", "≤ 1.00", app <= default,
                f"{SWITCH_S * 1000:g} ms: " + ", ".join(f"{x:.2f}" for x in seconds[SWITCH_S])
                + f" s; {DEFAULT_S * 1000:g} ms: " + ", ".join(f"{x:.2f}" for x in seconds[DEFAULT_S]) + " s")]


if __name__ == "__main__":
    import json

    for r in run(quick="--quick" in sys.argv):
        print(json.dumps(r))
