"""Sessions that end free their memory: a closed tab's models and data leave the server.

Streamlit keeps a disconnected session for two minutes so that a flaky network can
reconnect to it, and drops it only when that store is next touched. Here a session-scoped
resource notices the disconnect (Streamlit releases those then, on its event loop); unless
the visitor is back within GRACE_S, the session is closed for good (`Runtime.close_session`),
the jobs only it watched stop (explorer.server.jobs.JobBoard.release: a run nobody can see gives its
slot to those who wait), and the freed memory is returned to the operating system.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass

import streamlit as st

from explorer.server import jobs, memory

log = logging.getLogger("rnn_explorer")
GRACE_S = 20.0  # a tab that reconnects within this keeps its session (a network hiccup, a reload)


@dataclass(frozen=True)
class _Watch:
    session_id: str


def _close_if_gone(session_id: str) -> None:
    from streamlit import runtime

    if not runtime.exists():
        return
    rt = runtime.get_instance()
    if rt.is_active_session(session_id):
        return  # the visitor came back
    rt.close_session(session_id)
    stopped = jobs.board().release(session_id)
    log.info("session %s ended: closed%s", session_id, f", {stopped} run(s) nobody watches stopped" if stopped else "")
    give_back_memory_soon()


def give_back_memory_soon() -> None:
    """`explorer.server.memory.give_back` in a background thread: the page does not wait for it."""
    threading.Thread(target=memory.give_back, name="give-back-memory", daemon=True).start()


def _released(watch: _Watch) -> None:
    """Streamlit dropped the session's resources (it disconnected): close it after the grace period."""
    try:
        loop = asyncio.get_running_loop()  # the runtime's event loop, where sessions may be closed
    except RuntimeError:
        return  # not a real server (AppTest): nothing to close
    loop.call_later(GRACE_S, _close_if_gone, watch.session_id)


@st.cache_resource(scope="session", on_release=_released, show_spinner=False)
def _watch(session_id: str) -> _Watch:
    return _Watch(session_id)


def free_on_close() -> None:
    """Arm the watch for the current session (app.py calls it on every run; cached after the first)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is not None:
        _watch(ctx.session_id)
