"""The training queue as visitors meet it, on a server that trains one run at a time.

A trains a long run; B and D press Train and wait in line, told their place; D closes the tab
and, once its session is closed (ui.sessions.GRACE_S later), its run leaves the line, so C moves
up to second; C presses Stop while waiting and leaves the line with its page as before; A stops,
and B's run starts and finishes.
"""
import re

import pytest
from playwright.sync_api import expect

from ui.sessions import GRACE_S

from .conftest import VIEWPORT, serving
from .harness import ALERT_LOGS, ARTIFACTS, shoot, wait_idle, watch_alerts

pytestmark = pytest.mark.browser

QUICK = "m_units=4&d_window=6&t_batch_size=64"
TRAIN = "▶ Train"


@pytest.fixture(scope="module")
def one_slot_server(chromium_path):
    server = serving(env={"RNN_EXPLORER_TRAINING_SLOTS": "1"}, log_path=ARTIFACTS / "app-server-one-slot.log")
    yield server
    server.stop()


def _open(browser, server, epochs: int, more: str = ""):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(60_000)
    page = context.new_page()
    watch_alerts(page)
    page.goto(f"{server.url}/time_series?{QUICK}&t_epochs={epochs}{more}", wait_until="commit")
    return page


def _ready(page):
    expect(page.get_by_role("button", name=TRAIN)).to_be_enabled(timeout=90_000)
    wait_idle(page)


def _in_line(page, place: str):
    expect(page.get_by_text(re.compile(rf"you are {place} in line \(1 of 1 run\(s\) training on this server now\)\. "
                                       r"Your run starts in about \d+ (s|min)"))).to_be_visible(timeout=30_000)


def test_waiting_visitors_see_their_place_and_can_leave(browser, one_slot_server):
    server = one_slot_server
    # A's run must outlast the whole test (it is stopped near the end): 1,000 epochs of a long series, with no
    # early stopping (its default patience ended it after ~100 epochs, 21 s, before B had been told its place).
    a, b, c, d = pages = ([_open(browser, server, 1000, "&d_length=5000&t_patience=0")]
                          + [_open(browser, server, 3) for _ in "bcd"])
    try:
        for page in pages:
            _ready(page)
        a.get_by_role("button", name=TRAIN).click()
        expect(a.get_by_text(re.compile(r"Epoch \d+/1000"))).to_be_visible(timeout=60_000)
        b.get_by_role("button", name=TRAIN).click()
        _in_line(b, "1st")
        d.get_by_role("button", name=TRAIN).click()
        _in_line(d, "2nd")
        c.get_by_role("button", name=TRAIN).click()
        _in_line(c, "3rd")
        d.context.close()  # a closed tab: nobody watches D's run, so it leaves the line once the session ends
        expect(c.get_by_text(re.compile(r"you are 2nd in line"))).to_be_visible(timeout=(GRACE_S + 40) * 1000)
        # Stop while waiting: C leaves the line and its page is as before the click.
        c.get_by_role("button", name="⏹ Stop").click()
        wait_idle(c)
        expect(c.get_by_text("Waiting for a free training slot")).to_have_count(0)
        expect(c.get_by_text(re.compile(r"Trained \d+ epoch"))).to_have_count(0)
        _in_line(b, "1st")
        # A stops; B's run gets the slot and finishes.
        a.get_by_role("button", name="⏹ Stop").click()
        expect(a.get_by_text(re.compile(r"Stopped"))).to_be_visible(timeout=60_000)
        expect(b.get_by_text("Trained 3 epoch(s)")).to_be_visible(timeout=120_000)
        for page in (a, b, c):
            wait_idle(page)
    except BaseException:
        for name, page in zip("abc", (a, b, c)):
            shoot(page, f"queue-failed-{name}", full_page=True)
        raise
    finally:
        logs = [ALERT_LOGS.pop(p) for p in (a, b, c, d) if p in ALERT_LOGS]
        for page in (a, b, c):
            page.context.close()
    for log in logs:
        log.check()
