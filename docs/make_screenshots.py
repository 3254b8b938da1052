#!/usr/bin/env python3
"""Fresh README screenshots: the real app in headless Chromium, with set-ups that show something.

    .venv/bin/python docs/make_screenshots.py [PAGE ...]   # about 3 minutes on 2 CPU cores; writes docs/screenshots/

PAGE: home, time_series, gradient_lab, sentiment (default: all).

Unlike the browser tests (tiny models, for speed), these runs are the page defaults or
close to them, so the pictures show what a person sees: a fitted sine, gradients fading
in a plain RNN, a sentiment model that reads a typed review. Needs Debian's chromium
(`python3 dev.py test` installs it) and, for the sentiment picture, the IMDB data.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from tests.browser.harness import AppServer, find_chromium, launch_chromium, wait_idle  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
VIEW = {"width": 1400, "height": 900}
PAGES = ("home", "time_series", "gradient_lab", "sentiment")


def shot(page, name: str, anchor: str | None = None) -> None:
    """Scroll `anchor` (a heading's text) to the top of the view, then save the viewport."""
    if anchor:
        page.get_by_text(anchor, exact=False).first.evaluate("el => el.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(800)
    page.screenshot(path=str(OUT / f"{name}.png"))
    print("wrote", OUT / f"{name}.png")


def click_train(page, name: str, done: str, timeout: float) -> None:
    button = page.get_by_role("button", name=name)
    expect(button).to_be_enabled(timeout=120_000)
    wait_idle(page)
    button.click()
    expect(page.get_by_text(done).first).to_be_visible(timeout=timeout)
    wait_idle(page, timeout)


def main(wanted: list[str]) -> int:
    unknown = set(wanted) - set(PAGES)
    if unknown:
        print(f"unknown page(s) {', '.join(sorted(unknown))}: choose from {', '.join(PAGES)}")
        return 2
    wanted = wanted or list(PAGES)
    chromium = find_chromium()
    if not chromium:
        print("no chromium found: run `python3 dev.py test` once (it installs Debian's chromium)")
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    server = AppServer()
    try:
        server.wait_healthy()
        with sync_playwright() as p:
            browser = launch_chromium(p, chromium)
            page = browser.new_page(viewport=VIEW)
            if "home" in wanted:
                page.goto(server.url)
                expect(page.get_by_role("heading", name="RNN Explorer")).to_be_visible(timeout=60_000)
                wait_idle(page)
                shot(page, "home")

            if "time_series" in wanted:  # the page default: SimpleRNN(50) on a sine, 40 epochs
                page.goto(f"{server.url}/time_series")
                click_train(page, "▶ Train", "4 · Predictions, forecast and baselines", 300_000)
                shot(page, "time_series", "4 · Predictions, forecast and baselines")
                shot(page, "time_series_inside", "5 · Inside the network")

            if "gradient_lab" in wanted:
                page.goto(f"{server.url}/gradient_lab")  # the default lesson: lag 100, about a minute
                click_train(page, "▶ Train side by side", "At the decisive step", 600_000)
                shot(page, "gradient_lab", "‖∂L/∂h_t‖ over timesteps and epochs")

            if "sentiment" in wanted:  # a review that turns from negative to positive: the trajectory shows it
                page.goto(f"{server.url}/sentiment?m_cell=GRU&m_units=32&t_epochs=2&x_max_len=200"
                          "&d_n_train=5000&d_n_test=2000")
                click_train(page, "▶ Train", "Test accuracy", 600_000)
                page.get_by_role("button", name="Turns around", exact=True).click()
                expect(page.get_by_text("Prediction after each word")).to_be_visible(timeout=60_000)
                wait_idle(page)
                shot(page, "sentiment", "4 · Type a review")
            browser.close()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
