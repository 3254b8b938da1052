"""Runs are jobs the server owns: a student presses Train, wanders around the app, reloads, and finds the run.

Each test drives the real app in Chromium: knobs, tabs, expanders and other pages leave a run alone;
a reload or the run's link in a second tab shows it live and then its results; Stop ends it within a
batch and keeps what it learned; one visitor can have runs on two pages at once.
"""
import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from .harness import exceptions_on, wait_figure, wait_idle

pytestmark = pytest.mark.browser

TRAIN = "▶ Train"
# The page's default model (the warm-up traced it, so a run starts at once) on a shorter series, trained long.
LONG = "d_length=300&t_patience=0"
RUNNING = re.compile(r"Epoch (\d+)/(\d+)")
START_S = 300_000  # a first run waits for the server's start-up warm-up (TensorFlow), slow on a busy machine


def _ts(page, url: str, epochs: int) -> None:
    page.goto(f"{url}/time_series?{LONG}&t_epochs={epochs}")
    expect(page.get_by_role("button", name=TRAIN)).to_be_enabled(timeout=90_000)
    wait_idle(page)


def _epoch(page) -> int:
    """The epoch the live progress bar shows now."""
    text = page.get_by_text(RUNNING).first.inner_text(timeout=60_000)
    return int(RUNNING.search(text).group(1))


def _run_id(page) -> str:
    return parse_qs(urlparse(page.url).query)["run"][0]


def test_a_run_goes_on_through_knobs_tabs_other_pages_and_a_reload(app_server, page):
    epochs = 150
    _ts(page, app_server.url, epochs)
    page.get_by_role("button", name=TRAIN).click()
    expect(page.get_by_text(RUNNING).first).to_be_visible(timeout=START_S)
    run = _run_id(page)
    # A knob moved for the next run, an expander opened: the run trains on.
    units = page.get_by_label("Units per layer")
    units.fill("16")
    units.press("Enter")
    page.get_by_text("Share this set-up").click()
    wait_idle(page)
    at = _epoch(page)
    page.wait_for_timeout(1_500)
    assert _epoch(page) > at, "the run stopped when a knob moved"
    # Another page and back: still running, or done, never stopped.
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Gradient lab").click()
    expect(page.get_by_role("heading", name="Gradient lab")).to_be_visible(timeout=60_000)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Time series").click()
    expect(page.get_by_role("heading", name="Time series")).to_be_visible(timeout=60_000)
    expect(page.get_by_text(RUNNING).first.or_(page.get_by_text(f"Trained {epochs} epoch(s)"))).to_be_visible(
        timeout=60_000)
    assert _run_id(page) == run
    # A reload: the same run, live, then its results; the knob the student moved is kept by the link.
    page.reload()
    expect(page.get_by_text(RUNNING).first.or_(page.get_by_text(f"Trained {epochs} epoch(s)"))).to_be_visible(
        timeout=90_000)
    expect(page.get_by_text(f"Trained {epochs} epoch(s)")).to_be_visible(timeout=180_000)
    expect(page.get_by_text("Stopped")).to_have_count(0)
    assert _run_id(page) == run
    wait_idle(page)
    assert wait_figure(page, "loss (scaled units)", min_points=epochs)["traces"][0]["n"] == epochs
    assert exceptions_on(page) == []


def test_the_runs_link_opens_it_live_in_a_second_tab(app_server, page):
    epochs = 100
    _ts(page, app_server.url, epochs)
    page.get_by_role("button", name=TRAIN).click()
    expect(page.get_by_text(RUNNING).first).to_be_visible(timeout=START_S)
    second = page.context.new_page()  # a second tab of the same browser, with the address of the first
    second.goto(page.url)
    expect(second.get_by_text(RUNNING).first).to_be_visible(timeout=90_000)
    live = wait_figure(second, "Loss while training")
    assert live["traces"], "the second tab shows no live curve"
    expect(second.get_by_text(f"Trained {epochs} epoch(s)")).to_be_visible(timeout=180_000)
    expect(page.get_by_text(f"Trained {epochs} epoch(s)")).to_be_visible(timeout=60_000)
    wait_idle(second)
    assert exceptions_on(second) == []
    second.close()


def test_stop_ends_the_run_within_a_batch_and_keeps_what_it_learned(app_server, page):
    _ts(page, app_server.url, 2000)
    page.get_by_role("button", name=TRAIN).click()
    expect(page.get_by_text(RUNNING).first).to_be_visible(timeout=START_S)
    page.wait_for_timeout(1_500)
    page.get_by_role("button", name="⏹ Stop").click()
    stopped = page.get_by_text(re.compile(r"Stopped by request during epoch (\d+)"))
    expect(stopped).to_be_visible(timeout=30_000)
    epoch = int(re.search(r"epoch (\d+)", stopped.inner_text()).group(1))
    expect(page.get_by_text("4 · Predictions, forecast and baselines")).to_be_visible(timeout=60_000)
    wait_idle(page)
    loss = wait_figure(page, "loss (scaled units)")
    assert loss["traces"][0]["n"] in (epoch - 1, epoch)  # the finished epochs (and the partial one) are kept
    assert wait_figure(page, "One-step-ahead predictions")["traces"][1]["n"] > 0  # the model it learned predicts
    assert exceptions_on(page) == []


def test_one_visitor_trains_on_two_pages_at_once(app_server, page):
    nav = page.get_by_test_id("stSidebarNav")
    page.goto(f"{app_server.url}/gradient_lab?gl_epochs=2&gl_samples=64")  # the default cells, briefly
    expect(page.get_by_role("button", name="▶ Train side by side")).to_be_enabled(timeout=90_000)
    wait_idle(page)
    nav.get_by_role("link", name="Time series").click()  # the same session: the lab keeps its knobs
    expect(page.get_by_role("button", name=TRAIN)).to_be_enabled(timeout=90_000)
    wait_idle(page)
    page.get_by_role("button", name=TRAIN).click()
    expect(page.get_by_text(RUNNING).first).to_be_visible(timeout=START_S)
    nav.get_by_role("link", name="Gradient lab").click()
    train = page.get_by_role("button", name="▶ Train side by side")
    expect(train).to_be_enabled(timeout=90_000)
    wait_idle(page)
    train.click()
    expect(page.get_by_text("What this run measured")).to_be_visible(timeout=240_000)
    nav.get_by_role("link", name="Time series").click()
    expect(page.get_by_text(re.compile(r"Trained \d+ epoch\(s\)"))).to_be_visible(timeout=120_000)
    wait_idle(page)
    assert exceptions_on(page) == []
