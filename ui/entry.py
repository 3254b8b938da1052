"""How the app starts: every page inside app.py's navigation, TensorFlow warmed in the background."""
from __future__ import annotations

import sys
import time

import streamlit as st

from ui.streamlit_private import leave_legacy_pages_mode


def page_start(title: str, intro: str):
    """A page's first paint, before any heavy import: its title, its intro, and a note while TensorFlow
    loads; returns the note's slot, which the page empties once its imports are done."""
    leave_legacy_pages_mode()
    st.title(title)
    st.markdown(intro)
    from explorer.server.jobs import notice

    if notice():  # the operator's training cluster cannot be reached (explorer.server.ray_executor)
        st.warning(notice(), icon="⚠️")
    note = st.empty()
    if "tensorflow" not in sys.modules:
        note.caption("Loading TensorFlow…")
    return note


FIRST_PAINT_S = 1.5  # how long a session's first run of a page waits below its top section


def first_run(page: str) -> bool:
    """True on this session's first run of `page`, or of a part of one named so (a new visitor, a reload), False on
    every later run."""
    key = f"first_run_done_{page}"
    first = not st.session_state.get(key)
    st.session_state[key] = True
    return first


def first_paint(seconds: float = FIRST_PAINT_S) -> None:
    """Call below a page's top section on a session's first run: wait, so that the browser draws the top before
    the rest arrives (sent in one burst, the whole page is laid out before any of it shows, as the browser shares
    the machine with the server) and a visitor can use it. (The sentiment page's first answer waits the same way
    before its first charts, `ui/sentiment_try.py`.) A change of a plain widget meanwhile does not wait:
    Streamlit starts the page's run again at once (its `runner.fastReruns`) and this one ends."""
    time.sleep(seconds)


def start_warmup() -> None:
    """Once per server process: import TensorFlow and train a tiny model in a background thread
    (one traced model per training slot, at most 4: runs that start together do not trace)."""
    from explorer.server import jobs, warmup
    from ui.streamlit_private import keep_keras_state

    warmup.start(models=min(jobs.queue().slots, 4), before=keep_keras_state)


def wait_for_warmup(timeout: float = 120.0) -> None:
    """Let a running warm-up finish first."""
    from explorer.server import warmup

    warmup.wait(timeout)
