"""The one place the app touches Streamlit's private state, each use with its reason and a test that fails on
upgrade (tests/test_app_home.py). Nothing in the live-training path is here: runs are jobs drawn by
`st.fragment(run_every=…)`, Streamlit's documented way."""
from __future__ import annotations

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
