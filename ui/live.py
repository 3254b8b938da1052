"""Train inside the page run with a Stop button, live progress and curves; the one path every page trains through.

Training runs in the script thread, in one of the server's training slots (`ui.queue`):
a visitor who presses Train while all slots are busy waits in line and sees their place.
Any click (Stop included) makes Streamlit interrupt the wait or the run at the next redraw;
the run's record lives in session_state (from the moment it gets its slot) and the model is
trained in place, so the next run finds what was learned so far and marks it stopped (`recover`).
Stopping while still in line leaves the page as it was before the click.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType

from explorer.status import DIVERGED, FINISHED, RUNNING, STOPPED, STOPPED_MESSAGE, Status  # noqa: F401  (re-exported)
from ui.entry import wait_for_warmup
from ui.queue import report_progress, server_queue, training_slot
from ui.sessions import give_back_memory_soon

REDRAW_S = 0.5  # least seconds between two live redraws of the curves
PROGRESS_S = 0.25  # least seconds between two progress-bar updates


@dataclass
class LiveRun:
    """A run as the session keeps it: the model, its live result, and the page's typed record of it."""

    model: Any
    record: Any  # what produced the run and what was derived from it (a dataclass of the page's)
    result: Any = None  # explorer.training.RunResult (one model) or None (the record holds several)
    status: Status = RUNNING
    done: bool = False  # the page has finished it (scored, stored, added to its history)


def recover(key: str, on_stop: Optional[Callable[[LiveRun], None]] = None) -> Optional[LiveRun]:
    """The session's run under `key`; one left RUNNING by an interrupted script is marked stopped
    (`on_stop(run)` then lets the page close what the run was doing)."""
    run = st.session_state.get(key)
    if run is not None and run.status == RUNNING:
        run.status = STOPPED
        if run.result is not None:
            run.result.status = STOPPED
            run.result.message = STOPPED_MESSAGE.format(epochs=run.result.epochs_done)
        if on_stop is not None:
            on_stop(run)
    return run


def _in_fragment_run() -> bool:
    """Whether this script run reruns only fragments (a click inside one), not the whole page."""
    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def give_way_to_clicks() -> None:
    """Let a click interrupt a live run that a fragment runs, as it interrupts one in a full-page run.

    Streamlit holds a click on a fragment's own widgets (Stop, the queue's Stop) until that fragment's
    run ends, so a run started from a fragment would train to its end. A pending request is turned into
    a fragment-scoped rerun, which Streamlit lets interrupt the run at once. It reads the pending state
    of Streamlit's script requests (private, pinned with streamlit==1.67.0; the browser tests press Stop
    in a fragment and in the queue, and fail if this stops working). Called at every live event: cheap."""
    ctx = get_script_run_ctx()
    if _pending_request() is ScriptRequestType.RERUN and ctx.fragment_ids_this_run:
        st.rerun(scope="fragment")


def _pending_request() -> Optional[ScriptRequestType]:
    """What Streamlit asks of this script run now (RERUN: a click, STOP: the tab closed), None when nothing."""
    requests = getattr(get_script_run_ctx(), "script_requests", None)
    state = getattr(requests, "_state", None)
    return state if state in (ScriptRequestType.RERUN, ScriptRequestType.STOP) else None


def must_redraw() -> bool:
    """Whether a waiting script must send something now: in a full-page run only a redraw delivers a click,
    and in any run only a redraw delivers the end of a closed tab (Streamlit stops the script there)."""
    return not _in_fragment_run() or _pending_request() is not None


def top_first(key: str, seconds: float = 0.4) -> None:
    """Call below a page's top section: on the session's first run of the page, wait up to `seconds` before the
    rest is sent, so the browser draws the top (the review box) first; a click made meanwhile ends the wait
    and is served first (`clicks_first`). Sent in one burst, the whole page was drawn before the box showed:
    with the browser on the server's 2 cores, the box showed 3.1–3.3 s after navigation and the whole page
    3.2 s; with the wait, 1.2–1.7 s and 1.8–2.0 s (medians of 5 new visitors, two rounds). Later runs of
    the session do not wait."""
    if st.session_state.get(key) or _in_fragment_run():
        return
    st.session_state[key] = True
    end = time.monotonic() + seconds
    while time.monotonic() < end and _pending_request() is None:
        time.sleep(0.02)
    clicks_first()


def clicks_first() -> None:
    """Call between a page's sections: in a full-page run, a click on a fragment's widget (a typed review, Train)
    waits until the whole page has run (Streamlit lets only a full-page click cut a run short); restarting the
    page run now, with that click in it, shows what the click asked for first. Cheap when nothing is pending."""
    if _pending_request() is ScriptRequestType.RERUN and not _in_fragment_run():
        st.rerun()


@st.fragment
def train_button(key: str, label: str, button_key: str, disabled: bool, help: str, train: Callable[[], Any]) -> None:
    """The Train button and the live run as one fragment: a click reruns only this part, so the run starts
    without the page being run and redrawn first (with a class pressing Train at once, that CPU goes
    to the runs); when a run ends or a click stops it, the whole page reruns to show the results."""
    if _in_fragment_run() and (run := st.session_state.get(key)) is not None and run.status == RUNNING:
        st.rerun()  # a click in this fragment interrupted the run: the page marks it stopped (`recover`)
    if st.button(label, type="primary", key=button_key, disabled=disabled, help=help or None) and not disabled:
        train()
        if _in_fragment_run():
            st.rerun()


class LiveView:
    """What a run shows while it trains: a Stop button, a progress bar and chart slots, all gone when it ends."""

    def __init__(self, key: str, stop_label: str = "⏹ Stop", stop_help: str = "", charts: int = 1):
        self._stop = st.empty()
        self._stop.button(stop_label, key=f"{key}__stop", help=stop_help or None)
        self._bar = st.empty()
        self._bar.progress(0.0, text="Starting…")
        cols = st.columns(charts) if charts > 1 else [st.container()]
        self.slots = [c.empty() for c in cols]
        self._told = 0.0
        self._drawn = 0.0
        self.frames = 0  # charts drawn so far (a fresh chart key per frame)

    def progress(self, fraction: float, text: str, force: bool = False) -> None:
        """Move the bar, at most every PROGRESS_S: short epochs must not slow training down."""
        give_way_to_clicks()
        report_progress(fraction)
        now = time.perf_counter()
        if force or now - self._told >= PROGRESS_S:
            self._bar.progress(min(1.0, max(0.0, fraction)), text=text)
            self._told = now

    def redraw_due(self) -> bool:
        """Whether the curves may be redrawn now (the first time, then every REDRAW_S)."""
        return self.frames == 0 or time.perf_counter() - self._drawn >= REDRAW_S

    def draw(self, *figures) -> None:
        self.frames += 1
        for slot, fig in zip(self.slots, figures):
            slot.plotly_chart(fig, width="stretch", key=f"live_{id(self)}_{self.frames}_{id(slot)}")
        self._drawn = time.perf_counter()

    def end(self, text: str, fraction: float = 1.0) -> None:
        """The run is over: the Stop button goes, the bar says how it ended, the curves stay."""
        self._stop.empty()
        self._bar.progress(min(1.0, fraction), text=text)

    def clear(self) -> None:
        self._stop.empty()
        self._bar.empty()
        for slot in self.slots:
            slot.empty()


@contextlib.contextmanager
def training(key: str, start: Callable[[], LiveRun], work: float = 1.0) -> Iterator[LiveRun]:
    """Wait for the warm-up and a training slot, then `start()` the run; it is kept under `key` from
    then on, RUNNING until the block ends (an interrupt leaves it RUNNING, for `recover`).

    The run is built only once it has its slot: a visitor waiting in line holds no model and takes
    no CPU from the runs that train (their first curve point comes sooner). `work`: the run's size
    (explorer.run_queue.Ticket), so those waiting behind it get estimates for this set-up."""
    wait_for_warmup()
    try:
        with training_slot(key, work):
            run = start()
            st.session_state[key] = run
            yield run
    finally:
        give_back_memory_soon()


def train_live(key: str, start: Callable[[], tuple[Any, Callable[..., Any], Any]], epochs: int, metric: str = "loss",
               title: str = "Live training", decorate: Optional[Callable[[Any, Any], Any]] = None,
               more: tuple = (), work: float = 1.0) -> LiveRun:
    """Train one model while its curves grow; the run is kept under `key`.

    `start()` builds the run once it has a training slot and returns (model, fit, record): `fit(sink=...,
    result=...)` is a closure over the engine's training with the data and config bound, `record` the
    page's typed record of the run. `decorate(figure, record)` adds to each drawing of the curves (e.g.
    a reference line); `more` holds (metric, title) pairs of further curves drawn beside it; `work`
    is the run's size for the queue's estimates (`training`).
    """
    from explorer import charts
    from explorer.training import RunResult

    view = LiveView(key, stop_help="Stop after the current batch and keep the model; before the run starts, "
                                   "leave the line", charts=1 + len(more))
    fit: Callable[..., Any] = lambda sink, result: None  # set by begin(), once the run has its slot
    started: Callable[[], None] = lambda: None  # lets the next run start (explorer.run_queue.StartGate)

    def begin() -> LiveRun:
        nonlocal fit, started
        started = server_queue().start_gate.enter()
        model, fit, record = start()
        return LiveRun(model=model, record=record, result=RunResult())

    def draw(run: LiveRun, event=None) -> None:
        """The curves so far; mid-epoch (`event` a batch event) also the epoch in progress, dotted."""
        def curves(m: str, t: str):
            running = (event.at_epoch, float(event.logs[m])) if event is not None and m in event.logs else None
            return charts.loss_curves(run.result.history, title=t, metric=m, running=running,
                                      batches=run.result.batch_history)

        fig = curves(metric, title)
        view.draw(decorate(fig, run.record) if decorate else fig, *(curves(m, t) for m, t in more))

    with contextlib.ExitStack() as ends:
        ends.callback(lambda: started())  # the run failed, stopped or ended before its first step
        run = ends.enter_context(training(key, begin, work))

        def sink(event) -> None:
            done = event.epoch + (1 if event.kind == "epoch" else 0)
            value = event.logs.get(metric, event.logs.get("loss", float("nan")))
            view.progress(done / max(1, epochs), f"Epoch {event.epoch + 1}/{epochs} · {metric} {value:.4g}")
            if view.redraw_due():  # the curve moves from the first step on, not only at epoch ends
                draw(run, event if event.kind == "batch" else None)
            started()  # the first point is on its way: the next run may start

        fit(sink=sink, result=run.result)
    if run.result.history:
        draw(run)
    run.status = run.result.status
    view.end(f"Done: {run.status} after {run.result.epochs_done} epoch(s) in {run.result.seconds:.1f} s",
             1.0 if run.status != STOPPED else run.result.epochs_done / max(1, epochs))
    return run


def status_banner(status: str, message: str, done_text: str) -> None:
    """One line that says how a run ended: diverged (error), stopped (warning) or finished (success)."""
    if status == DIVERGED:
        st.error(message, icon="💥")
    elif status == STOPPED:
        st.warning(message or "Stopped early; the model keeps what it learned.", icon="⏹")
    elif done_text:
        st.success(done_text, icon="✅")
