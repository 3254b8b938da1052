"""Runs as a page sees them: Train submits a job (explorer.server.jobs) and the page goes on at once.

While the job waits or trains, `train_section` draws it in a fragment that Streamlit reruns every POLL_S
(`st.fragment(run_every=…)`, its documented way to stream): its place in line or its progress, its
live curves, and a Stop button. When the job ends, the fragment reruns the whole page, which draws
the results; with no job in progress nothing polls. The job's id is in the page's link (`?run=…`),
so a reload, another page and back, or a second tab with the link find the same run, live or done.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable, Optional, TypeVar

import plotly.io as pio
import streamlit as st

from explorer.charts import common as charts
from explorer.server import jobs
from explorer.server.jobs import KEEP_S, KEEP_UNWATCHED, STOPPED_IN_LINE, Job, JobSpec
from explorer.train.status import (DIVERGED, FAILED, FINISHED, RUNNING, STOPPED, STOPPED_MESSAGE, WAITING,  # noqa: F401
                                   Status)
from ui.queue import waiting_text
from ui.streamlit_private import keep_keras_state

keep_keras_state()  # before this process trains any job: the pages' redraws must not reset Keras under it
pio.templates.default = charts.TEMPLATE  # every figure starts with the app's template, checked once (charts._layout)

POLL_S = 1.0  # seconds between two redraws of a job in progress
SHARE_S = POLL_S / 2  # a job's live figures are built at most once in this long, however many tabs watch it
FIRST_STEP_WAIT_S = 1.0  # the longest the first draw of a new run waits for its first step
_IDS = "live_jobs"  # session_state: page key → id of the job the page shows
_PREVIOUS = "live_previous"  # page key → the job shown before the one in line (shown again if that one leaves)
_SEEN = "live_seen"  # ids of ended jobs the page has taken in (history, answering model)
ON_THE_SERVER = ("This run trains on the server: move knobs, open other pages or reload, and it goes on; its link "
                 "(`run=` in the address) opens it in another tab too. Each visitor trains one run at a time while "
                 "others wait; a second one starts when a slot is free.")
KEEP_NOTE = (f"Runs are kept on this server while a page shows them, then {KEEP_S / 3600:.0f} hour for their link "
             f"(the newest {KEEP_UNWATCHED} of those, for all visitors together).")


def session_id() -> str:
    """This visitor's session (the owner and watcher of the jobs it submits or opens)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "no-session"


def current(page: str, param: str = "run") -> Optional[Job]:
    """The job the page shows: the one its link names (`?run=…`, a reload or a shared link), else this session's
    latest; None when there is none. A link to a run the server no longer has says so."""
    ids, board = st.session_state.setdefault(_IDS, {}), jobs.board()
    linked = st.query_params.get(param)
    if linked and linked != ids.get(page):
        job = board.get(linked)
        if job is None:
            st.info("The run in this link is no longer on this server. " + KEEP_NOTE, icon="🔗")
            del st.query_params[param]
        else:
            board.watch(job, session_id())
            ids[page] = job.id
    job = board.get(ids[page]) if page in ids else None
    previous = board.get(st.session_state.setdefault(_PREVIOUS, {}).pop(page, ""))
    if job is not None and job.done and job.result is None and job.message == STOPPED_IN_LINE:
        board.drop(job, session_id())  # it left the line: the page shows what it showed before
        job = previous
        if previous is None:
            ids.pop(page, None)
            st.query_params.pop(param, None)
        else:
            ids[page] = st.query_params[param] = previous.id
    elif previous is not None and job is not None and job.status == WAITING:
        st.session_state[_PREVIOUS][page] = previous.id  # still in line: the old run may be shown again
    elif previous is not None:
        board.drop(previous, session_id())  # the new run has started: the old one goes
    return job


def submit(page: str, spec: JobSpec, param: str = "run") -> Job:
    """Start a run for the page (it waits in line if the slots are busy); its id goes into the link at once."""
    board, ids = jobs.board(), st.session_state.setdefault(_IDS, {})
    job = board.submit(spec, session_id())
    if page in ids and board.get(ids[page]) is not None:
        st.session_state.setdefault(_PREVIOUS, {})[page] = ids[page]
    ids[page] = job.id
    st.query_params[param] = job.id
    return job


def first_sight(job: Job) -> bool:
    """True the first time this session's page sees `job` ended (to add it to a history, answer with it …)."""
    seen = st.session_state.setdefault(_SEEN, set())
    if not job.done or job.id in seen:
        return False
    seen.add(job.id)
    return True


def train_section(page: str, label: str, key: str, spec: Callable[[], JobSpec], draw: Callable[[Job], None], *,
                  disabled: bool = False, help: str = "", primary: bool = True, param: str = "run",
                  stop_label: str = "⏹ Stop", start_key: str = "", idle: Optional[Callable[[], None]] = None) -> None:
    """The page's Train button and its run's live view (redrawn every POLL_S, with Stop), as one fragment.

    A click submits `spec()` and reruns only this part when the page shows no run yet, so the first curve point
    arrives without the whole page being run and laid out again; when the page shows an earlier run, the whole
    page reruns, for the new run replaces its results. When the run ends the whole page reruns to draw them.
    `start_key` in session_state (set by another button's callback) starts a run as a click does; `idle` draws
    what the part shows while the page has no run (a hint)."""
    _train_section(page, (label, key, disabled, help, primary), spec, draw, param, stop_label, start_key, idle)


@st.fragment
def _train_section(page, button, spec, draw, param, stop_label, start_key, idle) -> None:
    board, ids = jobs.board(), st.session_state.setdefault(_IDS, {})
    job = board.get(ids[page]) if page in ids else None
    label, key, disabled, help, primary = button
    clicked = st.button(label, type="primary" if primary else "secondary", key=key, disabled=disabled,
                        help=help or None)
    if (st.session_state.pop(start_key, False) if start_key else False) or clicked:
        if not disabled:
            shown, job = job, submit(page, spec(), param)
            if shown is not None:
                st.rerun()  # the whole page: the new run replaces the one it shows
    if job is not None and not job.done:
        _live(job.id, draw, page, stop_label)
    elif job is None and idle is not None:
        idle()


def _first_step(job: Job) -> None:
    """A run just submitted with a free slot: wait a moment for its first step, so this very draw shows its
    first curve point instead of the next one, POLL_S later."""
    deadline = time.monotonic() + FIRST_STEP_WAIT_S
    while (time.time() - job.created < 2 * FIRST_STEP_WAIT_S and time.monotonic() < deadline and not job.done
           and job.place is None and not job.events_of("batch", "epoch")):  # not in line, no step yet
        time.sleep(0.02)


@st.fragment(run_every=POLL_S)
def _live(job_id: str, draw: Callable[[Job], None], key: str, stop_label: str) -> None:
    job = jobs.board().get(job_id)
    if job is not None:
        _first_step(job)
    if job is None or job.done:
        st.rerun()  # the whole page: the results replace the live view, and nothing polls any more
    if st.button(stop_label, key=f"{key}__stop", disabled=job.stop_requested,
                 help="Stop after the current batch and keep what was learned; in line, leave the line"):
        job.stop()
    if job.status == WAITING:
        where = job.place
        st.info(waiting_text(where, jobs.queue().slots) if where is not None else job.progress_text, icon="⏳")
        return
    st.progress(job.progress, text="Stopping after this batch…" if job.stop_requested else job.progress_text)
    st.caption(ON_THE_SERVER)
    draw(job)


T = TypeVar("T")
_built: dict[tuple[str, str], tuple[float, Any]] = {}  # (job id, view) → (when, figures), for every tab
_building: dict[tuple[str, str], threading.Lock] = {}  # (job id, view) → held while one tab builds them
_built_lock = threading.Lock()


def shared(job: Job, view: str, build: Callable[[], T]) -> T:
    """`build()` (a live view's figures of `job`), built at most once per SHARE_S for all the tabs that watch the
    job: a Plotly figure costs the server milliseconds of the GIL that its training threads share, so a class
    watching one run costs one figure a redraw, not one per tab. Tabs that ask while one builds wait for it
    (their redraws often come at the same moment). Only a holder of the job's id asks."""
    key = (job.id, view)

    def fresh() -> Any:
        with _built_lock:
            hit = _built.get(key)
            return hit if hit is not None and time.monotonic() - hit[0] < SHARE_S else None

    if (hit := fresh()) is not None:
        return hit[1]
    with _built_lock:
        building = _building.setdefault(key, threading.Lock())
    with building:
        if (hit := fresh()) is not None:  # another tab built them while this one waited
            return hit[1]
        value = build()
        now = time.monotonic()
        with _built_lock:
            for old in [k for k, (t, _) in _built.items() if now - t > 10 * POLL_S]:
                del _built[old]
                if old != key:
                    _building.pop(old, None)
            _built[key] = (now, value)
    return value


def model_curves(metric: str = "loss", title: str = "Live training", more: tuple = (),
                 decorate: Optional[Callable[[Any, Job], Any]] = None) -> Callable[[Job], None]:
    """A live view of a one-model job: `metric`'s curves (and `more`'s (metric, title) beside them), growing
    with every batch point; `decorate(figure, job)` adds to each (a reference line)."""
    panels = ((metric, title), *more)

    def figures(job: Job) -> list:
        history, batches, running = jobs.curves(job.events)
        if not history and running is None:
            return []
        out = []
        for m, t in panels:
            point = (running.data["x"], float(running.data["logs"][m])) if running and m in running.data["logs"] \
                else None
            fig = charts.loss_curves(history, title=t, metric=m, running=point, batches=batches)
            out.append(decorate(fig, job) if decorate else fig)
        return out

    def draw(job: Job) -> None:
        drawn = shared(job, f"curves {panels}", lambda: figures(job))
        for col, fig in zip(st.columns(len(panels)) if len(panels) > 1 else [st.container()], drawn):
            col.plotly_chart(fig, width="stretch")
    return draw


def ended_banner(job: Job, done_text: str) -> None:
    """How a job ended, in one line: failed or diverged (error), stopped (warning) or finished (success)."""
    if job.status == FAILED:
        st.error(job.message, icon="⚠️")
    else:
        status_banner(job.status, job.message, done_text)


def status_banner(status: str, message: str, done_text: str) -> None:
    """One line that says how a run ended: diverged (error), stopped (warning) or finished (success)."""
    if status == DIVERGED:
        st.error(message, icon="💥")
    elif status == STOPPED:
        st.warning(message or "Stopped early; the model keeps what it learned.", icon="⏹")
    elif done_text:
        st.success(done_text, icon="✅")
