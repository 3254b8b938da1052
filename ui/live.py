"""Train a model inside the page run with live curves, progress and a Stop button.

Training runs in the script thread, in one of the server's training slots (`ui.queue`):
a visitor who presses Train while all slots are busy waits in line and sees their place.
Any click (Stop included) makes Streamlit interrupt the wait or the run at the next redraw;
the run's record lives in session_state (from the moment it gets its slot) and the model is
trained in place, so the next run finds what was learned so far and marks it stopped.
Stopping while still in line leaves the page as it was before the click.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import streamlit as st

from explorer import charts
from explorer.training import RunResult, STOPPED, TrainEvent
from ui.entry import wait_for_warmup
from ui.queue import training_slot


RUNNING = "running"
REDRAW_S = 0.5  # least seconds between two live redraws of the curves
PROGRESS_S = 0.25  # least seconds between two progress-bar updates


@dataclass
class LiveRun:
    """A run as the session keeps it: the model, its live result, and what produced it."""

    model: Any
    result: RunResult = field(default_factory=RunResult)
    status: str = RUNNING
    extra: dict = field(default_factory=dict)


def recover(key: str) -> Optional[LiveRun]:
    """The session's run under `key`; one left 'running' by an interrupted script is marked stopped."""
    run = st.session_state.get(key)
    if run is not None and run.status == RUNNING:
        run.status = run.result.status = STOPPED
        run.result.message = (f"Stopped after {run.result.epochs_done} epoch(s); "
                              "the model keeps what it learned so far.")
    return run


def train_live(key: str, model, fit: Callable[..., RunResult], epochs: int, metric: str = "loss",
               extra: Optional[dict] = None, title: str = "Live training",
               decorate: Optional[Callable[[Any], Any]] = None) -> LiveRun:
    """Call `fit(sink=..., result=...)` while drawing its curves; the run is kept under `key`.

    `fit` is a closure over `explorer.training.train` with the data and config bound;
    `decorate(figure)` adds to each drawing of the curves (e.g. a reference line).
    """
    run = LiveRun(model=model, extra=dict(extra or {}))
    st.button("⏹ Stop", key=f"{key}__stop", help="Stop after the current batch and keep the model; "
                                                  "before the run starts, leave the line")
    progress = st.progress(0.0, text="Starting…")
    chart = st.empty()

    drawn = [0.0, 0, False]  # when the chart was last drawn, with how many epochs, and whether at all

    def draw(running: Optional[tuple[float, float]] = None) -> None:
        fig = charts.loss_curves(run.result.history, title=title, metric=metric, running=running)
        chart.plotly_chart(decorate(fig) if decorate else fig, width="stretch")
        drawn[:] = [time.perf_counter(), run.result.epochs_done, True]

    told = [0.0]  # when the progress bar was last updated

    def sink(event: TrainEvent) -> None:
        # Short epochs: update at most every PROGRESS_S / REDRAW_S, so the page (and the browser
        # on the same cores) does not slow training down.
        now = time.perf_counter()
        due = not drawn[2] or now - drawn[0] >= REDRAW_S
        redraw = event.kind == "epoch" and (drawn[1] == 0 or due)
        if event.kind == "batch" and due and metric in event.logs:  # the epoch in progress: its running mean
            draw(running=(event.at_epoch, float(event.logs[metric])))
        if redraw or now - told[0] >= PROGRESS_S:
            done = event.epoch + (1 if event.kind == "epoch" else 0)
            loss = event.logs.get("loss", float("nan"))
            progress.progress(min(1.0, done / max(1, epochs)),
                              text=f"Epoch {event.epoch + 1}/{epochs} · {metric} {event.logs.get(metric, loss):.4g}")
            told[0] = now
        if redraw:
            draw()

    wait_for_warmup()
    with training_slot(key):
        st.session_state[key] = run
        fit(sink=sink, result=run.result)
    if run.result.epochs_done != drawn[1]:
        draw()
    run.status = run.result.status
    progress.progress(1.0 if run.status != STOPPED else min(1.0, run.result.epochs_done / max(1, epochs)),
                      text=f"Done: {run.status} after {run.result.epochs_done} epoch(s) in {run.result.seconds:.1f} s")
    return run
