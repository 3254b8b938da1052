"""How the app starts: every page inside app.py's navigation, TensorFlow warmed in the background."""
from __future__ import annotations

import sys
import threading
from typing import Optional

import streamlit as st

_warm: Optional[threading.Thread] = None
_warm_lock = threading.Lock()


def through_app() -> None:
    """Rerun through app.py when Streamlit ran this page on its own.

    Until `st.navigation` has run once, Streamlit treats the `pages/` folder as a legacy
    multipage app: a first visit to /time_series runs only that file (no app layout, no
    TensorFlow warm-up, raw file names in the sidebar). Clearing that mode and rerunning
    lets app.py build the real navigation, which then opens the same page.

    Why a private API: the documented alternative, moving the page files out of `pages/`,
    would break the design card (pages/ at the top level), and Streamlit has no public switch
    for the legacy mode. It is the app's only private Streamlit API; tests/test_app_home.py
    fails if an upgrade moves or renames it.
    """
    from streamlit.runtime.pages_manager import PagesManager  # pinned streamlit: see requirements.txt

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def page_start(title: str, intro: str):
    """A page's first paint, before any heavy import: its title, its intro, and a note while TensorFlow
    loads; returns the note's slot, which the page empties once its imports are done."""
    through_app()
    st.title(title)
    st.markdown(intro)
    note = st.empty()
    if "tensorflow" not in sys.modules:
        note.caption("Loading TensorFlow…")
    return note


def _warm_up() -> None:
    from explorer.warmup import freeze_startup_heap, warm_up

    try:
        from ui.queue import server_queue

        # one traced model per slot, so runs that start together do not trace; at most 4 (the warm-up
        # delays the first Train click, and each model costs a trace and an epoch)
        warm_up(models=min(server_queue().slots, 4))
    except Exception:  # noqa: BLE001 - warming is best effort; the pages import and train for real
        pass
    freeze_startup_heap()  # later full garbage collections (each holds up every session) skip start-up's objects


def start_warmup() -> None:
    """Once per server process: import TensorFlow and train a tiny model in a background thread."""
    global _warm
    with _warm_lock:
        if _warm is None:
            _warm = threading.Thread(target=_warm_up, name="warm-tensorflow", daemon=True)
            _warm.start()


def wait_for_warmup(timeout: float = 120.0) -> None:
    """Let a running warm-up finish first: it sets Keras' global seed, which a person's run relies on."""
    if _warm is not None:
        _warm.join(timeout)
