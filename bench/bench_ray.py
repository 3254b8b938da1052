"""Runs on a Ray cluster against runs in the app's own process, on the same machine.

A real local cluster (tests/ray_cluster.py: a head and a worker node, each `ray start`, 1 CPU each) and the
embedded executor in this process, both warmed as the app warms them (explorer.server.warmup):

1. the time-series default and the gradient lab's default, paired (alternating which goes first) and
   repeated: Train (a job submitted) → its first curve point here, and → its whole result here (the model
   loaded back from its `.keras` bytes included); the ratios Ray / embedded, median over pairs;
2. 8 time-series default runs submitted at once to the cluster: the time until all are done, and how many
   each node trained.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from collections import Counter

from common import ROOT, row  # also puts ROOT on the import path

from tests import ray_cluster  # noqa: E402



def _series_spec():
    from explorer.data.synthetic import sine_wave
    from explorer.nn.config import ModelConfig, SeriesConfig
    from explorer.server.jobs import JobSpec
    from explorer.tasks.series.run import DEFAULT_TRAIN, SeriesData

    s = SeriesConfig()
    data = SeriesData(sine_wave(s.length, s.frequency, s.amplitude, s.noise, s.seed), None, "sine", [], noise_var=s.noise**2)
    return JobSpec("series", dict(data=data, series=s, model=ModelConfig(), train=DEFAULT_TRAIN, number=1,
                                  forecast_steps=200), work=DEFAULT_TRAIN.epochs * s.length)


def _lab_spec():
    from explorer.server.jobs import JobSpec
    from explorer.tasks.lab.config import ARCHS, LabConfig

    cfg = LabConfig()
    return JobSpec("lab", dict(cfg=cfg, archs=list(ARCHS)), work=len(ARCHS) * cfg.train.epochs * cfg.samples * cfg.T)


def _timed(board, spec) -> tuple[float, float]:
    """(seconds to the first curve point, seconds to the whole result) of one job on `board`."""
    t0 = time.perf_counter()
    job = board.submit(spec, owner="bench")
    first = None
    while not job.done:
        if first is None and any(e.kind in ("batch", "epoch") for e in list(job.events)):
            first = time.perf_counter() - t0
        time.sleep(0.005)
    whole = time.perf_counter() - t0
    if job.status not in ("finished", "stopped"):
        raise RuntimeError(f"a {spec.kind} job ended {job.status}: {job.message}")
    return (first if first is not None else whole), whole


def _paired(boards: dict, spec, repeats: int) -> dict:
    times = {name: [] for name in boards}
    for i in range(repeats):
        for name in (list(boards) if i % 2 == 0 else list(reversed(boards))):
            times[name].append(_timed(boards[name], spec))
    return times


def _ratio_rows(label: str, times: dict, repeats: int) -> list[dict]:
    rows = []
    for k, (what, target) in enumerate((("first curve point", 1.5), ("whole run", 1.2))):
        pairs = [r[k] / e[k] for r, e in zip(times["ray"], times["embedded"])]
        ratio = statistics.median(pairs)
        rows.append(row(f"{label}: {what}, Ray / embedded (median of {repeats} pairs)", round(ratio, 3), "×",
                        f"≤ {target}", ratio <= target,
                        "Ray " + ", ".join(f"{r[k]:.2f}" for r in times["ray"]) + " s; embedded "
                        + ", ".join(f"{e[k]:.2f}" for e in times["embedded"]) + " s"))
    return rows


def run(quick: bool = False) -> list[dict]:
    from explorer.server import warmup
    from explorer.server.jobs import EmbeddedExecutor, JobBoard
    from explorer.server.ray_executor import RayExecutor
    from explorer.server.run_queue import RunQueue

    repeats, crowd = (1, 4) if quick else (int(os.environ.get("BENCH_RAY_REPEATS", "3")), 8)
    cluster = ray_cluster.LocalCluster(str(ROOT / ".venv" / "bin" / "ray"), workers=1, cpus=1)
    t0 = time.perf_counter()
    cluster.start()
    started = time.perf_counter() - t0
    try:
        ray_ex = RayExecutor(cluster.address)
        ray_ex._ready.wait()
        if not ray_ex.connected:
            raise RuntimeError(ray_ex.notice)
        ray_ex.cluster.warmed(timeout=600)
        warmup.warm_up(1)  # the embedded executor's process, warmed as the app's is
        boards = {"ray": JobBoard(ray_ex), "embedded": JobBoard(EmbeddedExecutor(RunQueue(1)))}
        rows = [row("local cluster start (head + 1 worker node, `ray start` each)", round(started, 1), "s")]
        rows += _ratio_rows("time-series default", _paired(boards, _series_spec(), repeats), repeats)
        rows += _ratio_rows("gradient lab default", _paired(boards, _lab_spec(), repeats), repeats)

        t0 = time.perf_counter()
        many = [boards["ray"].submit(_series_spec(), owner=f"visitor {i}") for i in range(crowd)]
        for job in many:
            job.wait()
        took = time.perf_counter() - t0
        nodes = Counter(job.events_of("placed")[0].data["node"][:8] for job in many if job.events_of("placed"))
        done = sum(job.status == "finished" for job in many)
        rows.append(row(f"{crowd} time-series default runs at once on the cluster: all done", round(took, 1), "s",
                        f"{crowd} finished, both nodes used", done == crowd and len(nodes) == 2,
                        f"{done} finished; runs per node: " + ", ".join(f"{n}: {c}" for n, c in nodes.items())))
        return rows
    finally:
        try:
            import ray

            ray.shutdown()
        finally:
            cluster.stop()


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(r)
