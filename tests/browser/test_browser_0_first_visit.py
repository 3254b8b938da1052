"""A shared link opened on a freshly started server must get the real app (named first so it runs first).

Streamlit treats a folder named `pages/` next to the entry script as a legacy multipage app
until `st.navigation` has run once: the very first visit by deep link runs the page script
alone (no wide layout from app.py, no TensorFlow warm-up) and the sidebar lists raw file
names ("app", "time series"). The fix is to name the folder anything but `pages/`.
"""
import pytest
from playwright.sync_api import expect

from .harness import wait_idle

pytestmark = pytest.mark.browser


@pytest.mark.xfail(strict=True, reason="known app bug: the page folder is named pages/, so a first deep link "
                                       "bypasses app.py (legacy multipage mode); rename the folder, then "
                                       "drop this marker")
def test_first_visit_by_deep_link_gets_the_apps_navigation(app_server, page):
    if app_server.pages_opened > 1:
        pytest.skip("another test visited this server first; run this module first or alone")
    page.goto(f"{app_server.url}/time_series")
    expect(page.locator("h1").first).to_be_visible(timeout=90_000)
    wait_idle(page)
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link", name="Home", exact=True)).to_be_visible(timeout=3_000)
    expect(nav.get_by_role("link", name="Time series", exact=True)).to_be_visible()
