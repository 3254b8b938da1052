"""The app as a user first meets it: the home page paints, links to every page, and each page opens."""
import re

import pytest
from playwright.sync_api import expect

from .harness import exceptions_on, shoot, wait_idle

pytestmark = pytest.mark.browser

LINKS = {"time_series": "Open time series", "sentiment": "Open sentiment", "gradient_lab": "Open gradient lab"}
NAV = {"time_series": "Time series", "sentiment": "Sentiment", "gradient_lab": "Gradient lab"}


def test_home_paints_and_every_page_opens(app_server, page):
    page.goto(app_server.url)
    expect(page.get_by_role("heading", name="RNN Explorer")).to_be_visible(timeout=60_000)
    for label in LINKS.values():
        expect(page.get_by_role("link", name=label)).to_be_visible()
    wait_idle(page)
    assert exceptions_on(page) == []
    shoot(page, "home")
    # Home link, then the sidebar navigation: one browser session walks through every page.
    page.get_by_role("link", name=LINKS["time_series"]).click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(app_server.url)}/time_series(\?.*)?$"), timeout=30_000)
    expect(page.locator("h1").first).to_be_visible(timeout=90_000)
    wait_idle(page)
    assert exceptions_on(page) == []
    for path in ("sentiment", "gradient_lab"):
        page.get_by_test_id("stSidebarNav").get_by_role("link", name=NAV[path]).click()
        # A page may put its settings in the URL at once (a link reproduces the set-up).
        expect(page).to_have_url(re.compile(rf"^{re.escape(app_server.url)}/{path}(\?.*)?$"), timeout=30_000)
        expect(page.locator("h1").first).to_be_visible(timeout=90_000)
        wait_idle(page)
        assert exceptions_on(page) == [], path


def test_a_page_opens_by_deep_link(app_server, page):
    page.goto(f"{app_server.url}/gradient_lab")
    expect(page.locator("h1").first).to_be_visible(timeout=90_000)
    wait_idle(page)
    assert exceptions_on(page) == []
