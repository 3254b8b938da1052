"""A shared link opened on a freshly started server must get the real app (named first so it runs first).

Streamlit treats a folder named `pages/` next to the entry script as a legacy multipage app
until `st.navigation` has run once: the very first visit by deep link would run the page
script alone (no wide layout from app.py, no TensorFlow warm-up, raw file names in the
sidebar). `ui.entry.through_app` reruns such a visit through app.py; this test holds it to that.
"""
import pytest
from playwright.sync_api import expect

from .harness import wait_idle

pytestmark = pytest.mark.browser


def test_first_visit_by_deep_link_gets_the_apps_navigation(app_server, page):
    if app_server.pages_opened > 1:
        pytest.skip("another test visited this server first; run this module first or alone")
    page.goto(f"{app_server.url}/time_series?m_cell=LSTM")
    expect(page.locator("h1").first).to_be_visible(timeout=90_000)
    wait_idle(page)
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link", name="Home", exact=True)).to_be_visible(timeout=3_000)
    expect(nav.get_by_role("link", name="Time series", exact=True)).to_be_visible()
    # The deep link still opens the page it named, now inside the app.
    expect(page.locator("h1").first).to_contain_text("Time series")
    assert "/time_series?" in page.url and "m_cell=LSTM" in page.url
    # ... with the set-up the link carried.
    expect(page.get_by_role("combobox", name="Cell")).to_have_value("LSTM")
