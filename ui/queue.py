"""The server's one training queue on the page: a waiting visitor sees their place and an estimate.

Waiting happens in the script thread, polling every half second. In a full-page run each poll
redraws the notice, because a redraw is where Streamlit delivers a click (Stop, any widget): it
raises out of the wait. In a fragment run (the Train button's) a click is delivered without one
(`ui.live.give_way_to_clicks`), so the notice is sent only when its text changes or Streamlit
asks the script to stop (a closed tab): with a class waiting, half-second redraws of unchanged
text in every visitor's browser took CPU from the runs. The place in line is given back on the
way out, as is the slot when a run ends, stops or fails; a session closed while it waited
(`ui.sessions`) ends the wait too.
"""
from __future__ import annotations

import contextlib
import logging
import threading
from typing import Iterator, Optional

import streamlit as st

from explorer import settings
from explorer.run_queue import LeftLine, Place, RunQueue, slots_for

log = logging.getLogger("rnn_explorer")
_queue: Optional[RunQueue] = None
_lock = threading.Lock()


def server_queue() -> RunQueue:
    """The process's queue, sized once: the operator's slots setting, else fitted to cores and memory."""
    global _queue
    with _lock:
        if _queue is None:
            try:
                chosen = settings.load().slots
            except settings.SettingsProblem as err:
                log.error("%s Fitting the training slots to this machine instead.", err)
                chosen = "auto"
            _queue = RunQueue(slots_for(chosen))
            log.info("training queue: %d run(s) at once", _queue.slots)
        return _queue


def _session_id() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "no-session"


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def waiting_text(where: Place, slots: int) -> str:
    """What a waiting visitor reads: their place, what is running, and about how long."""
    # Whole seconds under 20 s, whole 5 s to 90 s, then minutes: finer than the estimate would claim too much.
    s = where.wait_s
    wait = (f"about {max(1, round(s)):.0f} s" if s < 20 else f"about {5 * round(s / 5):.0f} s" if s < 90
            else f"about {s / 60:.0f} min")
    return (f"⏳ Waiting for a free training slot: you are {_ordinal(where.ahead + 1)} in line "
            f"({where.running} of {slots} run(s) training on this server now). Your run starts in {wait} "
            "(estimated from recent runs). Press **Stop** to leave the line.")


_current = threading.local()  # the ticket of the run this thread trains (for `report_progress`)


def report_progress(fraction: float) -> None:
    """The run this thread trains is `fraction` done: visitors waiting behind it get estimates at its pace."""
    ticket = getattr(_current, "ticket", None)
    if ticket is not None:
        server_queue().report(ticket, fraction)


@contextlib.contextmanager
def training_slot(kind: str, work: float = 1.0) -> Iterator[None]:
    """Hold one of the server's training slots for the block; show the place in line while waiting.

    `work`: the run's size in its page's unit (explorer.run_queue.Ticket), so estimates follow the set-up."""
    queue = server_queue()
    notice = st.empty()
    shown = [""]
    from ui.live import give_way_to_clicks, must_redraw

    def on_wait(where: Place) -> None:
        give_way_to_clicks()  # Stop while waiting, when the wait runs in a fragment
        text = waiting_text(where, queue.slots)
        if text != shown[0] or must_redraw():
            notice.info(text)
            shown[0] = text

    try:
        with queue.slot(_session_id(), kind, on_wait=on_wait, work=work) as ticket:
            notice.empty()
            _current.ticket = ticket
            try:
                yield
            finally:
                _current.ticket = None
    except LeftLine:  # the session ended while it waited (a closed tab): nothing left to show
        st.stop()
