"""Make every page run inside app.py's navigation, even on a server's very first visit by deep link."""
import streamlit as st


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
