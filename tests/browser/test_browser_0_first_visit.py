"""A shared link opened on a freshly started server must get the real app (the test starts its own server).

Streamlit treats a folder named `pages/` next to the entry script as a legacy multipage app
until `st.navigation` has run once: the very first visit by deep link would run the page
script alone (no wide layout from app.py, no TensorFlow warm-up, raw file names in the
sidebar). `ui.entry.through_app` reruns such a visit through app.py; this test holds it to that.
"""
import pytest
from playwright.sync_api import expect

from .conftest import VIEWPORT, serving
from .harness import ALERT_LOGS, ARTIFACTS, wait_idle, watch_alerts

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def fresh_server(chromium_path):
    """A server no page has visited yet, whatever ran before (and on whichever test worker)."""
    server = serving(log_path=ARTIFACTS / "app-server-first-visit.log")
    yield server
    server.stop()


def test_first_visit_by_deep_link_gets_the_apps_navigation(browser, fresh_server):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    log = watch_alerts(page)
    page.goto(f"{fresh_server.url}/time_series?m_cell=LSTM")
    expect(page.locator("h1").first).to_be_visible(timeout=90_000)
    wait_idle(page)
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link", name="Home", exact=True)).to_be_visible(timeout=3_000)
    expect(nav.get_by_role("link", name="Time series", exact=True)).to_be_visible()
    # The deep link still opens the page it named, now inside the app.
    expect(page.locator("h1").first).to_contain_text("Time series")
    assert "/time_series?" in page.url and "m_cell=LSTM" in page.url
    # ... with the set-up the link carried.
    expect(page.get_by_role("combobox", name="Cell")).to_have_value("LSTM", timeout=60_000)  # drawn after the title
    ALERT_LOGS.pop(page, None)
    context.close()
    log.check()
