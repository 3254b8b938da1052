"""The app as a user meets it: start-up, first paint of the home page in headless Chromium, memory.

Starts the app with the README's command (`python3 dev.py app`) on a free loopback port,
times the health endpoint and the home page's title becoming visible, opens every page
(TensorFlow gets imported there) and reports the process tree's peak resident memory; a full
run also drives the sentiment page: the quick preset trained three times (Train click → test
accuracy, median of 3), new visitors typing a review at once from the stored model, the best preset
(the heaviest thing the app does) and a reload; then the app's peak memory from the kernel's
high-water marks (VmHWM), for issue 18's 1.6 GiB target.
What a visitor waits for in the browser is timed on the page's own clock (bench/page_clock.py).
Targets are the project's own goals for a responsive app on a 2-core laptop.
"""
from __future__ import annotations

import os
import re
import statistics
import sys
import time

from common import row  # also puts the project on the import path

import page_clock  # noqa: E402
from tests.browser.harness import AppServer, find_chromium, launch_chromium, tree_hwm, wait_idle  # noqa: E402

from ui.live import POLL_S  # noqa: E402

PAGES = ("time_series", "sentiment", "gradient_lab")
MIB = 2**20



def _paint(browser, url: str) -> float:
    """Seconds from navigation start until the home page's title is visible, in a fresh session."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page_clock.watch(context, title=("h1", "RNN Explorer"))
    page = context.new_page()
    page.goto(url)
    seconds = page_clock.shown(page, "title", timeout_s=120)
    context.close()
    return seconds


def _default_sine_run(page, url: str, quick: bool) -> dict:
    """Seconds from the Train click to the first drawn loss point and to the run's end message."""
    from playwright.sync_api import expect

    page_clock.watch(page.context, live=(".js-plotly-plot .gtitle", "Loss while training"),
                     done=('[data-testid="stMain"]', " epoch(s) in "))
    page.goto(f"{url}/time_series" + ("?t_epochs=10" if quick else ""))
    button = page.get_by_role("button", name="▶ Train")
    expect(button).to_be_enabled(timeout=180_000)
    wait_idle(page, timeout=180_000)
    button.click()
    first = page_clock.shown(page, "live", timeout_s=180) - page_clock.last_click(page)
    total = page_clock.shown(page, "done", timeout_s=600) - page_clock.last_click(page)
    done = page.get_by_text(re.compile(r"Trained \d+ epoch\(s\) in"))
    wait_idle(page, timeout=180_000)
    return {"first": first, "total": total, "results": page_clock.now(page) - page_clock.last_click(page),
            "message": done.first.inner_text()}


RIGHT = r"([\d,]+) of ([\d,]+) test reviews right"


def _sentiment_page(browser, url: str):
    """A fresh session (a new visitor) on the sentiment page, once the reviews are loaded and the page is idle."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.goto(f"{url}/sentiment")
    expect(page.get_by_role("button", name="▶ Train")).to_be_enabled(timeout=180_000)  # IMDB loaded and shown
    wait_idle(page, timeout=180_000)
    return context, page


def _train_in_browser(page, preset: str | None = None, timeout_s: float = 1_200) -> dict:
    """Click a preset (optional) and Train; seconds from the click until the run's test accuracy is shown."""
    from playwright.sync_api import expect

    if preset:
        page.get_by_role("button", name=re.compile(f"^{preset}")).click()
        expect(page.get_by_role("checkbox", name="Bidirectional")).to_be_checked(timeout=30_000)
        wait_idle(page, timeout=60_000)
    t0 = time.perf_counter()
    page.get_by_role("button", name="▶ Train").click()
    page.get_by_text(re.compile("^Your run: ")).first.wait_for(state="visible", timeout=timeout_s * 1000)
    caption = page.get_by_text(re.compile(RIGHT)).first
    caption.wait_for(state="visible", timeout=60_000)
    seconds = time.perf_counter() - t0
    wait_idle(page, timeout=180_000)  # read the figures once the page has settled: not a stale caption of the model before
    right, n = (int(g.replace(",", "")) for g in re.search(RIGHT, caption.inner_text()).groups())
    return {"seconds": seconds, "accuracy": right / n, "right": right, "n": n}


def _typed_review_seconds(browser, url: str, settled: bool = False) -> dict:
    """A new session on the sentiment page (a stored model answers): seconds from navigation until the review box
    is shown ("opened"), and from then, a review typed and sent at once, until its sentiment is shown ("answer").
    `settled`: the review is typed once the page has loaded and a second has passed (a person reading first);
    "answer" then counts from the send. Times are on the page's clock."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page_clock.watch(context, box=('[data-testid="stTextArea"]', "Your review"),
                     answer=('[data-testid="stMetric"]', "P(positive)"))
    page = context.new_page()
    page.goto(f"{url}/sentiment")
    shown = opened = page_clock.shown(page, "box", timeout_s=120)
    box = page.get_by_label("Your review (plain text; HTML is not rendered)")
    if settled:
        wait_idle(page, timeout=120_000)
        page.wait_for_timeout(1000)
        opened = page_clock.now(page)
    box.fill("A wonderful film: moving, funny and beautifully acted.")
    box.press("Control+Enter")
    done = page_clock.shown(page, "answer", timeout_s=120)
    context.close()
    return {"opened": shown, "answer": done - opened, "total": done}


def _sentiment_rows(browser, server) -> list[dict]:
    """The sentiment page as visitors meet it: quick runs, a new visitor typing at once, the best preset, a reload."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    quick = []
    for _ in range(3):  # each in a new session, so each click trains afresh
        context, page = _sentiment_page(browser, server.url)
        quick.append(_train_in_browser(page, timeout_s=600))
        context.close()
    typed = [_typed_review_seconds(browser, server.url) for _ in range(3)]
    settled = [_typed_review_seconds(browser, server.url, settled=True) for _ in range(3)]
    hwm = sum(tree_hwm(server.proc.pid).values())  # each process's kernel high-water mark, summed
    seconds = sorted(r["seconds"] for r in quick)
    median = statistics.median(seconds)
    rows = [
        row("sentiment, quick preset in the browser: Train click → test accuracy shown (median of 3)", round(median, 1),
            "s", "<= 60", median <= 60, "each run in a new session; runs took " + ", ".join(f"{r['seconds']:.1f}" for r in quick)
            + " s (the first may include building the vocabulary and encoding, paid once per setting and machine); "
            "test accuracy shown " + ", ".join(f"{r['accuracy']:.4f}" for r in quick)),
        row("sentiment, a new session: page opened (review box shown) → typed review's sentiment shown (median of 3)",
            round(statistics.median(t["answer"] for t in typed), 2), "s", "<= 3",
            statistics.median(t["answer"] for t in typed) <= 3,
            "no training: a stored model answers; the review is typed and sent the moment the box shows, while the "
            "rest of the page still loads; " + ", ".join(f"{t['answer']:.2f}" for t in typed) + " s"),
        row("sentiment, a new session: review typed once the page has loaded → its sentiment shown (median of 3)",
            round(statistics.median(t["answer"] for t in settled), 2), "s", None, None,
            "a person who reads the page first: typed a second after the page's run is over; "
            + ", ".join(f"{t['answer']:.2f}" for t in settled) + " s. The row above types the moment the box shows, "
            "while this browser, on the server's own 2 cores, still draws the rest of the page"),
        row("sentiment, a new session: navigation → review box shown (median of 3)",
            round(statistics.median(t["opened"] for t in typed), 2), "s", None, None,
            "whole path, navigation → sentiment shown: " + ", ".join(f"{t['total']:.2f}" for t in typed)
            + " s (the home page's first paint on a warm server is its own row above)"),
    ]
    if os.environ.get("BENCH_APP_NO_BEST"):  # the best preset takes ~15 min here: left out on request
        return rows + [row("peak memory of the app (VmHWM of the process tree), quick preset only", round(hwm / MIB),
                           "MiB", None, None, "BENCH_APP_NO_BEST was set: the best preset was not trained, so this "
                           "is not the figure the ≤ 1.6 GiB target is on")]
    before = {"rss": server.rss.sample(), "hwm": hwm}  # what the best preset starts from
    context, page = _sentiment_page(browser, server.url)
    best = _train_in_browser(page, "Best accuracy")
    hwm = sum(tree_hwm(server.proc.pid).values())  # each process's kernel high-water mark, summed
    figures = f"{best['right']:,} of {best['n']:,} test reviews right"
    page_clock.watch(context, figures=('[data-testid="stMain"]', figures))
    page.reload()  # the run is found by its link (`?run=`) while the server keeps it, else the stored model answers
    answering = page.get_by_text("Answering:").first
    expect(answering).to_contain_text(re.compile(r"your run|a stored model"), timeout=120_000)
    which = "the run, by its link" if "your run" in answering.inner_text() else "the stored model"
    try:
        reload_s = page_clock.shown(page, "figures", timeout_s=120)
        reload_note = f"page reload → 'Answering: …' {which}, with the same test figures"
    except PlaywrightTimeout:  # the store kept an earlier copy of this configuration (one copy per configuration)
        reload_s = page_clock.now(page)
        reload_note = (f"page reload → 'Answering: …' {which}, but NOT this run's test figures: the store already "
                       "held a model of this configuration and seed (kept, one copy per configuration)")
    context.close()
    return rows + [
        row("sentiment, best preset in the browser: Train click → test accuracy shown", round(best["seconds"]), "s",
            None, None, f"{best['right']:,} of {best['n']:,} test reviews right"),
        row("sentiment, best preset: test accuracy shown (one seed; bench_sentiment has the 3-seed mean)",
            round(best["accuracy"], 4), "acc", None, None, f"exactly {best['right']}/{best['n']}"),
        row("sentiment, a reload finds the session's model and its figures", round(reload_s, 2), "s",
            None, None, reload_note),
        row("peak memory of the app (VmHWM of the process tree), best preset trained", round(hwm / MIB), "MiB",
            "≤ 1.6 GiB", hwm <= 1.6 * 1024 * MIB, "dev.py + streamlit, each process's kernel high-water mark over "
            "the whole run (home, every page, the time-series default, 3 quick runs, 6 visitors who type a review, "
            "the best preset); "
            f"before the best preset: RSS {before['rss'] / MIB:.0f} MiB, VmHWM {before['hwm'] / MIB:.0f} MiB"),
    ]


def run(quick: bool = False) -> list[dict]:
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        raise RuntimeError("chromium not found: run `python3 dev.py test` once as root, or apt-get install chromium")
    repeats = 2 if quick else 5
    server = AppServer()
    try:
        health = server.wait_healthy(timeout=180)
        with sync_playwright() as pw:
            browser = launch_chromium(pw, chromium)
            cold = _paint(browser, server.url)
            cold_total = time.perf_counter() - server.started
            rss_home = server.rss.sample()
            warm = [_paint(browser, server.url) for _ in range(repeats)]
            # Every page once, in one session: the pages import TensorFlow, so this is the working size.
            context = browser.new_context()
            page = context.new_page()
            page_seconds = {}
            for path in PAGES:
                t0 = time.perf_counter()
                page.goto(f"{server.url}/{path}")
                page.locator("h1").first.wait_for(state="visible", timeout=180_000)
                wait_idle(page, timeout=180_000)
                page_seconds[path] = time.perf_counter() - t0
            # The time-series default in the browser, drawing included: Train → first curve → done.
            train_s = _default_sine_run(page, server.url, quick)
            time.sleep(1.0)
            rss_pages = server.rss.sample()
            peak = server.rss.peak
            context.close()
            # The sentiment page (full run only): quick runs, new visitors, the best preset, a reload, memory.
            sentiment = [] if quick else _sentiment_rows(browser, server)
            browser.close()
    finally:
        server.stop()
    median_warm = statistics.median(warm)
    rows = [
        row("server start → health endpoint answers", round(health, 2), "s", "≤ 10 s", health <= 10,
            "`python3 dev.py app` with an up-to-date .venv"),
        row("server start → home title visible (cold)", round(cold_total, 2), "s", "≤ 15 s", cold_total <= 15,
            "includes the first page load of the JS bundle"),
        row("first paint, first browser session", round(cold, 2), "s", "≤ 5 s", cold <= 5,
            "navigation start → title visible"),
        row(f"first paint, warm server (median of {repeats})", round(median_warm, 2), "s", "≤ 3 s",
            median_warm <= 3, f"min {min(warm):.2f} s, max {max(warm):.2f} s; fresh session each"),
    ]
    for path, seconds in page_seconds.items():
        rows.append(row(f"open {path} page (deep link, until idle)", round(seconds, 2), "s", None, None,
                        "first visit imports TensorFlow" if path == PAGES[0] else ""))
    scale = " (quick: 10 epochs)" if quick else ""
    rows += [
        row("time series default, in the browser: Train → first loss point drawn", round(train_s["first"], 2), "s",
            "<= 2", train_s["first"] <= 2, "the whole path: click, server, chart drawn in Chromium on the same 2 cores"),
        row("time series default, in the browser: Train → run finished" + scale, round(train_s["total"], 2), "s",
            None if quick else "<= 15", None if quick else train_s["total"] <= 15,
            f"page says “{train_s['message']}”; live curves redrawn every {POLL_S:g} s"),
        row("time series default, in the browser: Train → every result drawn" + scale, round(train_s["results"], 2),
            "s", None, None, "predictions, forecast, baselines, hidden states, gradient heatmaps, downloads"),
    ]
    rows += [
        row("RSS after home page", round(rss_home / MIB), "MiB", None, None,
            "streamlit process tree (dev.py + streamlit); TensorFlow is warming in a background thread"),
        row("RSS after opening every page", round(rss_pages / MIB), "MiB", None, None, ""),
        row("peak RSS of the app", round(peak / MIB), "MiB", "≤ 1500 MiB", peak <= 1500 * MIB,
            "sampled every 0.25 s from /proc while opening every page and training the time-series default"),
    ]
    rows += sentiment
    return rows


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(r)
