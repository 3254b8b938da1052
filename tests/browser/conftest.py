"""Real-browser fixtures: one app server for the whole session and a page per test (Chromium itself, one per
worker, comes from tests/conftest.py: the Ray tests drive it too).

Without Chromium the browser tests skip with a reason; in CI (CI=true) they fail instead,
because CI must prove the app in a real browser. Screenshots go to test-artifacts/ and,
when RNN_EXPLORER_SCREENSHOTS names a folder (e.g. docs/screenshots), also there.
"""
from __future__ import annotations

import re

import pytest

from .harness import ALERT_LOGS, ARTIFACTS, AppServer, watch_alerts

VIEWPORT = {"width": 1280, "height": 860}


def serving(**kwargs) -> AppServer:
    """An app server (AppServer's arguments) that answers; the test fails with its log if it does not."""
    server = AppServer(**kwargs)
    try:
        server.wait_healthy(timeout=180)
    except RuntimeError as err:
        server.stop()
        pytest.fail(str(err), pytrace=False)
    return server


@pytest.fixture(scope="session")
def app_server(chromium_path):
    """The app started with the README's command on a free loopback port, stopped at the end."""
    server = serving()
    yield server
    server.stop()
    (ARTIFACTS / "app-peak-rss.txt").write_text(f"{server.rss.peak / 2**20:.0f} MiB\n")


@pytest.fixture
def new_page(browser, app_server):
    """A factory of pages, each in its own context (= its own Streamlit session).

    Every error alert or exception box a page shows is recorded as it appears; `wait_idle`
    and the end of the test fail on any the test did not announce with
    `ALERT_LOGS[page].expect("exact message")`.
    """
    pages = []

    def make(viewport: dict = VIEWPORT):
        app_server.pages_opened += 1
        context = browser.new_context(viewport=viewport)
        context.set_default_timeout(60_000)
        pg = context.new_page()
        watch_alerts(pg)
        pages.append(pg)
        return pg

    yield make
    logs = [ALERT_LOGS.pop(pg) for pg in pages]
    for pg in pages:
        pg.context.close()
    for log in logs:
        log.check()


@pytest.fixture
def page(new_page, request):
    """One page in a fresh session; a screenshot of where it ended is saved as an artefact."""
    pg = new_page()
    yield pg
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"{name}-end.png"), full_page=True)
    except Exception:  # noqa: BLE001 - a failed artefact must not hide the test's own result
        pass

