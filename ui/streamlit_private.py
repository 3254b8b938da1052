"""The one place the app touches Streamlit's private state, each use with its reason and a test that fails on
upgrade (tests/test_app_home.py, tests/test_keras_state.py). The live path reads no private state: runs are
jobs drawn by `st.fragment(run_every=…)`, Streamlit's documented way; `keep_keras_state` only stops
Streamlit's own clean-up from resetting Keras under those jobs."""
from __future__ import annotations

import sys

import streamlit as st


def leave_legacy_pages_mode() -> None:
    """Rerun through app.py when Streamlit ran a page of `pages/` on its own.

    Until `st.navigation` has run once, Streamlit treats the `pages/` folder as a legacy
    multipage app: a first visit to /time_series runs only that file (no app layout, no
    TensorFlow warm-up, raw file names in the sidebar). Clearing that mode and rerunning
    lets app.py build the real navigation, which then opens the same page.

    Why a private API: the documented alternative, moving the page files out of `pages/`,
    would break the design card (pages/ at the top level), and Streamlit has no public switch
    for the legacy mode.
    """
    from streamlit.runtime.pages_manager import PagesManager  # pinned streamlit: see requirements.txt

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def keep_keras_state() -> None:
    """Make Streamlit's end-of-run `keras.backend.clear_session()` a no-op in this process; idempotent.

    Streamlit ends every script run, each `st.fragment` rerun included, with
    `ScriptRunner._clean_problem_modules`, which calls `keras.backend.clear_session()` when Keras is loaded
    (for apps that build a model on each rerun). Here runs train in job threads while their pages redraw
    every second, so each redraw would reset Keras' global state under a model being built, clear
    TensorFlow's kernel cache under a running `fit` and force a full garbage collection. Only that caller
    is turned away: a deliberate `clear_session()` still works.

    Why private: Streamlit has no public switch for this clean-up; the test names the function it relies on.
    """
    import keras

    if getattr(keras.backend.clear_session, "_streamlit_calls_ignored", False):
        return
    original = keras.backend.clear_session

    def clear_session(*args, **kwargs):
        if sys._getframe(1).f_code.co_name == "_clean_problem_modules":
            return None
        return original(*args, **kwargs)

    clear_session._streamlit_calls_ignored = True
    clear_session.__wrapped__ = original
    clear_session.__doc__ = original.__doc__
    keras.backend.clear_session = clear_session
