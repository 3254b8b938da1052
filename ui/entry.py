"""How the app starts: every page inside app.py's navigation, TensorFlow warmed in the background."""
from __future__ import annotations

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
    """
    from streamlit.runtime.pages_manager import PagesManager  # pinned streamlit: see requirements.txt

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def _warm_up() -> None:
    try:
        from explorer.warmup import warm_up

        warm_up()
    except Exception:  # noqa: BLE001 - warming is best effort; the pages import and train for real
        pass


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
