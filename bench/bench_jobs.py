"""Runs as jobs the server owns: the first curve point, what watching costs, and a sweep that is left alone.

Starts the app with the README's command and drives it in headless Chromium; what a visitor waits for is timed
on the page's own clock (bench/page_clock.py), not on Playwright's polling grid:

1. first curve point: the time-series default, Train click → the live loss chart drawn, a new visitor each
   time, median of 5. With BENCH_JOBS_BEFORE naming a checkout of the code before runs were jobs (a git
   worktree), its server is measured the same way in the same run, alternating, so the two are paired;
2. a new visitor on the sentiment page: navigation → a review typed at once → its sentiment shown, median of
   12 new sessions, paired with the code before jobs as in 1;
3. idle cost: 8 sessions with a finished run on screen, the server's CPU over 20 s against 20 s with no
   session (no run in progress, so nothing polls): added share of one core;
4. watching cost: one time-series run trained while 8 sessions watch it live (its link, `?run=`) against the
   same run with nobody watching, 5 pairs in alternating order (3 with tabs): ratio of the seconds per epoch
   over the epochs trained once every session draws the run (the whole runs' ratio, the sessions' opening
   included, is in the note). `watching`: the sessions are bench/watcher.py clients, which speak Streamlit's
   protocol and draw nothing, so the ratio is the server's cost, as for a class whose browsers are on their own
   machines. `watching_tabs`: Chromium tabs, whose drawing on the same 2 cores as the server this ratio includes;
5. the sweep while its visitor moves every knob of the lab page twice: its values against the engine's
   sweep with the same settings and seeds, run undisturbed in this process.
"""
from __future__ import annotations

import math
import os
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from common import ROOT, row  # also puts ROOT on the import path

from tests.browser.harness import AppServer, find_chromium, figure, launch_chromium, tree_pids, wait_idle  # noqa: E402
import page_clock  # noqa: E402
from watcher import Watcher  # noqa: E402

VIEWPORT = {"width": 1280, "height": 860}
TRAIN = "▶ Train"
LIVE = "Loss while training"
DONE = re.compile(r"Trained (\d+) epoch\(s\) in ([\d.]+) s")
WATCHED = "d_length=300&m_units=8&t_patience=0&t_batch_size=16&t_epochs=600"
SETTLE_S = 15.0  # after a run ends, before a CPU window: the server's after-work is not the cost of polling
SWEEP = dict(lags=[10, 25])  # with the page's default sweep knobs: 4 epochs at most, 2,048 sequences



def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process tree so far."""
    total = 0.0
    for p in tree_pids(pid):
        try:
            with open(f"/proc/{p}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            pass
    return total


def _page(browser, url: str, **targets: tuple[str, str]):
    """A new visitor's page at `url`; the page notes when each of `targets` first shows (bench/page_clock.py)."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(300_000)
    page_clock.watch(context, **targets)
    page = context.new_page()
    page.goto(url)
    return page


def _ready(page) -> None:
    page.get_by_role("button", name=TRAIN).wait_for(state="visible", timeout=300_000)
    wait_idle(page, timeout=300_000)


def _first_point(browser, server: AppServer) -> float:
    """Train click → the live loss chart shows a point (the time-series default, a new visitor), on the page's
    clock: the chart is drawn only once the run has a point, so its title showing is the first point."""
    page = _page(browser, f"{server.url}/time_series", live=(".js-plotly-plot .gtitle", LIVE))
    _ready(page)
    page.get_by_role("button", name=TRAIN).click()
    seconds = page_clock.shown(page, "live") - page_clock.last_click(page)
    page.get_by_text(DONE).first.wait_for(state="visible", timeout=600_000)
    page.context.close()
    return seconds


def _server(root: Path = ROOT, name: str = "jobs", env: dict | None = None) -> AppServer:
    server = AppServer(root=root, log_path=ROOT / "test-artifacts" / f"bench-{name}.log", env=env)
    server.wait_healthy(timeout=300)
    return server


def _warm(browser, server: AppServer) -> None:
    """One default run, so TensorFlow's one-time costs and the warm-up are behind us."""
    _first_point(browser, server)


def first_points(browser, before: Path | None, repeats: int) -> list[dict]:
    servers = {"jobs": _server()}
    if before is not None:
        servers["before"] = _server(before, "before")
    try:
        for server in servers.values():
            _warm(browser, server)
        seconds = {name: [] for name in servers}
        for i in range(repeats):
            order = list(servers) if i % 2 == 0 else list(reversed(servers))
            for name in order:
                seconds[name].append(_first_point(browser, servers[name]))
    finally:
        for server in servers.values():
            server.stop()
    now = statistics.median(seconds["jobs"])
    rows = [row("time series default, Train click → first loss point drawn (median)", round(now, 3), "s",
                "≤ the code before jobs" if before else "<= 2", None if before else now <= 2,
                f"median of {repeats}, a new visitor each time, on the page's clock; "
                + ", ".join(f"{s:.3f}" for s in seconds["jobs"]))]
    if before is not None:
        then = statistics.median(seconds["before"])
        rows[0]["met"] = now <= then * 1.05
        rows.append(row(f"the same, code before jobs ({before.name}), alternating with it", round(then, 3), "s",
                        note=", ".join(f"{s:.3f}" for s in seconds["before"])))
    return rows


def _typed_review(browser, server: AppServer) -> float:
    """A new visitor: navigation to the sentiment page → a review typed the moment its box shows → its sentiment
    shown (the stored model answers; the whole path, as bench_app's "navigation → sentiment shown"), on the
    page's clock."""
    page = _page(browser, f"{server.url}/sentiment", box=('[data-testid="stTextArea"]', "Your review"),
                 answer=('[data-testid="stMetric"]', "P(positive)"))
    page_clock.shown(page, "box", timeout_s=120)
    box = page.get_by_label(re.compile(r"^Your review"))
    box.fill("A wonderful film: moving, funny and beautifully acted.")
    box.press("Control+Enter")
    seconds = page_clock.shown(page, "answer", timeout_s=120)
    page.context.close()
    return seconds


def typed_reviews(browser, before: Path | None, repeats: int) -> list[dict]:
    """New visitors on the sentiment page typing a review at once, alternating with the code before jobs.

    Both servers answer from one model store, in a cache folder of their own, where a first visitor stores the
    quick preset's model by training it on the page (as bench_app's visitors find it)."""
    import tempfile

    from bench_app import _sentiment_page, _train_in_browser

    cache = {"RNN_EXPLORER_CACHE": tempfile.mkdtemp(prefix="bench-jobs-cache-")}
    servers = {"jobs": _server(env=cache)}
    if before is not None:
        servers["before"] = _server(before, "before", env=cache)
    try:
        context, page = _sentiment_page(browser, servers["jobs"].url)
        _train_in_browser(page, timeout_s=900)
        context.close()
        for server in servers.values():
            _typed_review(browser, server)  # the stored model loaded and the page's code warm, as for later visitors
        seconds = {name: [] for name in servers}
        for i in range(repeats):
            for name in (list(servers) if i % 2 == 0 else list(reversed(servers))):
                seconds[name].append(_typed_review(browser, servers[name]))
    finally:
        for server in servers.values():
            server.stop()
    now = statistics.median(seconds["jobs"])
    rows = [row("sentiment, a new visitor: navigation → typed review's sentiment shown (median)",
                round(now, 3), "s", "≤ the code before jobs" if before else "<= 3",
                None if before is None else now <= statistics.median(seconds["before"]) * 1.05,
                f"median of {repeats} new visitors, on the page's clock; "
                + ", ".join(f"{x:.3f}" for x in seconds["jobs"]))]
    if before is not None:
        rows.append(row(f"the same new visitors' review, code before jobs ({before.name}), alternating with it",
                        round(statistics.median(seconds["before"]), 3), "s",
                        note=", ".join(f"{x:.3f}" for x in seconds["before"])))
    return rows


def idle_cost(browser, server: AppServer, n: int = 8, seconds: float = 20.0) -> list[dict]:
    pid = server.proc.pid
    time.sleep(SETTLE_S)  # the last run's after-work (the pool's spares, memory given back) is not polling
    c0 = _cpu_seconds(pid)
    time.sleep(seconds)
    alone = (_cpu_seconds(pid) - c0) / seconds
    pages = []
    for _ in range(n):
        page = _page(browser, f"{server.url}/time_series?t_epochs=3")
        _ready(page)
        page.get_by_role("button", name=TRAIN).click()
        page.get_by_text(DONE).first.wait_for(state="visible", timeout=600_000)
        wait_idle(page, timeout=300_000)
        pages.append(page)
    time.sleep(SETTLE_S)
    c0 = _cpu_seconds(pid)
    time.sleep(seconds)
    watched = (_cpu_seconds(pid) - c0) / seconds
    for page in pages:
        page.context.close()
    added = 100 * (watched - alone)
    return [row(f"{n} idle sessions with a finished run on screen: server CPU added", round(added, 2) + 0.0,
                "% of a core", "< 2", added < 2,
                f"{100 * watched:.2f} % with them, {100 * alone:.2f} % alone, over {seconds:.0f} s each")]


# In the page that trains: the wall-clock second at which its progress bar first shows each epoch.
EPOCH_CLOCK = """() => { window.__epochs = {}; setInterval(() => {
  const bar = document.querySelector('[data-testid="stProgress"]');
  const m = bar && bar.textContent.match(/Epoch (\\d+)\\/\\d+/);
  if (m && !(m[1] in window.__epochs)) window.__epochs[m[1]] = Date.now() / 1000; }, 50); }"""


def _train_watched(browser, server: AppServer, watchers: int, protocol: bool = False) -> dict:
    """One run of WATCHED with `watchers` more sessions on its link: its training seconds (from its page), when each
    epoch showed on its page, and when every watcher had drawn the run live (None without watchers).
    `protocol`: the watchers are sessions of bench/watcher.py (no browser), not Chromium tabs."""
    page = _page(browser, f"{server.url}/time_series?{WATCHED}")
    _ready(page)
    page.evaluate(EPOCH_CLOCK)
    cpu0 = _cpu_seconds(server.proc.pid)
    page.get_by_role("button", name=TRAIN).click()
    page.get_by_text(re.compile(r"Epoch \d+/\d+")).first.wait_for(state="visible", timeout=300_000)
    run = parse_qs(urlparse(page.url).query)["run"][0]
    if protocol:
        tabs = [Watcher(server.url, "time_series", f"{WATCHED}&run={run}", LIVE.encode()) for _ in range(watchers)]
        for tab in tabs:
            tab.start()
        deadline = time.monotonic() + 300  # as long as a tab is given to draw the run
        while any(tab.seen_at is None and tab.error is None for tab in tabs) and time.monotonic() < deadline:
            time.sleep(0.05)
        failed = [tab.error or "did not draw the run live within 300 s" for tab in tabs if tab.seen_at is None]
        if failed:
            for tab in tabs:
                tab.close()
            raise RuntimeError(f"a watcher failed: {failed[0]}")
    else:
        tabs = [_page(browser, f"{server.url}/time_series?{WATCHED}&run={run}") for _ in range(watchers)]
        for tab in tabs:
            tab.get_by_text(LIVE).first.wait_for(state="visible", timeout=300_000)
    live_at = time.time() if tabs else None
    done = page.get_by_text(DONE).first
    done.wait_for(state="visible", timeout=900_000)
    seconds = float(DONE.search(done.inner_text()).group(2))
    cpu = (_cpu_seconds(server.proc.pid) - cpu0) / seconds
    epochs = {int(k): t for k, t in page.evaluate("() => window.__epochs").items()}
    for tab in tabs:
        tab.close() if protocol else tab.context.close()
    page.context.close()
    return {"seconds": seconds, "epochs": epochs, "live_at": live_at, "cpu": cpu,
            "runs": [tab.runs for tab in tabs] if protocol else None}


def _pace(epochs: dict, first: int) -> float:
    """Seconds per epoch from epoch `first` on: the least-squares slope of the page's clock against the epochs it
    showed (a page shows the epoch of the moment it redraws, so a fast run shows every few epochs)."""
    ks = sorted(k for k in epochs if k >= first)
    return statistics.linear_regression(ks, [epochs[k] for k in ks]).slope


def watching_cost(browser, server: AppServer, watchers: int = 8, pairs: int = 3, protocol: bool = True) -> list[dict]:
    """Training pace while `watchers` sessions draw the run live against the same run unwatched: the epochs trained
    after every one has drawn it (opening a tab is a visit, not watching; its cost shows in the whole-run ratio).
    `protocol`: the sessions are bench/watcher.py clients (the server's cost alone, as for a class whose browsers
    are on its own machines: the target's figure); otherwise Chromium tabs drawing on the server's 2 cores, a row
    for comparison without a target, as the browsers' drawing is not the server's cost."""
    _train_watched(browser, server, 0)  # the set-up's model traced once
    ratios, whole, notes = [], [], []
    for i in range(pairs):
        order = (0, watchers) if i % 2 == 0 else (watchers, 0)
        took = {w: _train_watched(browser, server, w, protocol) for w in order}
        seen, alone = took[watchers], took[0]
        whole.append(seen["seconds"] / alone["seconds"])
        first = min((k for k, t in seen["epochs"].items() if t >= seen["live_at"]), default=None)
        shown = [len([k for k in run["epochs"] if first is not None and k >= first]) for run in (seen, alone)]
        if min(shown) < 5:
            notes.append(f"pair {i + 1}: too few epochs shown after the tabs were live (from epoch {first}: {shown})")
            continue
        watched_s, alone_s = _pace(seen["epochs"], first), _pace(alone["epochs"], first)
        ratios.append(watched_s / alone_s)
        notes.append(f"from epoch {first} of {max(seen['epochs'])}: {watched_s * 1000:.1f} ms per epoch watched, "
                     f"{alone_s * 1000:.1f} ms not; whole runs {seen['seconds']:.1f} s watched, "
                     f"{alone['seconds']:.1f} s not; server CPU {seen['cpu']:.2f} vs {alone['cpu']:.2f} core-seconds "
                     f"per training second" + (f"; script runs per watcher {min(seen['runs'])}–{max(seen['runs'])}"
                                               if protocol else ""))
    ratio = statistics.median(ratios) if ratios else float("nan")
    who = (f"{watchers} sessions without a browser (bench/watcher.py)" if protocol else f"{watchers} tabs")
    return [row(f"one run watched live by {who} vs by none: its training pace once every "
                f"{'one' if protocol else 'tab'} draws it (median of {len(ratios)} pairs)", round(ratio, 3), "×",
                "≤ 1.10" if protocol else None, (bool(ratios) and ratio <= 1.10) if protocol else None,
                "per pair " + ", ".join(f"{r:.3f}" for r in ratios) + "; " + "; ".join(notes)
                + f"; whole-run ratios (the {watchers} opening included) "
                + ", ".join(f"{r:.2f}" for r in whole)
                + ("" if protocol else "; the tabs' Chromium draws on the server's 2 cores"))]


def _wiggle_every_knob(page) -> int:
    """Move every knob of the lab's settings twice (and back where it can); how many widgets were moved."""
    moved = 0
    main = page.get_by_test_id("stMain")
    for slider in main.get_by_role("slider").all():
        for key in ("ArrowRight", "ArrowLeft"):
            slider.focus()
            slider.press(key)
            wait_idle(page, timeout=120_000)
        moved += 1
    for box in main.get_by_role("spinbutton").all():
        value = box.input_value()
        for new in (str(int(float(value or 0)) + 1), value):
            box.fill(new)
            box.press("Enter")
            wait_idle(page, timeout=120_000)
        moved += 1
    for group in main.get_by_role("radiogroup").all():
        radios = group.get_by_role("radio").all()
        checked = next((r for r in radios if r.is_checked()), None)
        other = next((r for r in radios if not r.is_checked()), None)
        if other is None or checked is None:
            continue
        for target in (other, checked):
            target.check(force=True)
            wait_idle(page, timeout=120_000)
        moved += 1
    for box in main.get_by_role("checkbox").all():
        for _ in range(2):
            box.click(force=True)
            wait_idle(page, timeout=120_000)
        moved += 1
    return moved


def undisturbed_sweep(browser, server: AppServer) -> list[dict]:
    from explorer.tasks.lab.config import DEFAULT_LAGS, LabConfig
    from explorer.tasks.lab.sweep import sweep

    lags = ",".join(map(str, SWEEP["lags"]))
    page = _page(browser, f"{server.url}/gradient_lab")
    page.get_by_role("button", name="Run the sweep").wait_for(state="visible", timeout=300_000)
    wait_idle(page, timeout=300_000)
    # The sweep's lags, set before it runs, as a person would.
    lag_box = page.get_by_test_id("stMultiSelect").filter(has_text="Lags k")
    for lag in sorted(set(DEFAULT_LAGS) - set(SWEEP["lags"])):  # the sweep's lags are among the defaults
        lag_box.get_by_role("button", name=f"Remove {lag}", exact=True).click()
        wait_idle(page, timeout=120_000)
    t0 = time.perf_counter()
    page.get_by_role("button", name="Run the sweep").click()
    page.get_by_text("⏹ Stop the sweep").first.wait_for(state="visible", timeout=300_000)
    moved = _wiggle_every_knob(page)
    page.get_by_text(re.compile(r"accuracy on \d+ fresh sequences")).first.wait_for(state="visible", timeout=900_000)
    took = time.perf_counter() - t0
    wait_idle(page, timeout=300_000)
    drawn = figure(page, "Where each architecture")
    shown = {t["name"]: t["y"] for t in drawn["traces"]} if drawn else {}
    page.context.close()
    reference = sweep(LabConfig(), SWEEP["lags"], epochs=4, samples=LabConfig().samples)
    diffs = [abs(a - b) for arch, ys in reference.values.items() for a, b in zip(ys, shown.get(arch, []))
             if not (math.isnan(a) and (b is None or math.isnan(b)))]
    same = bool(shown) and len(diffs) == len(SWEEP["lags"]) * len(reference.values) and max(diffs, default=1) < 1e-6
    return [row("the sweep while its visitor moves every knob twice: same values as undisturbed", "same" if same
                else "different", "", "same", same,
                f"{moved} knobs moved twice during a {took:.0f} s sweep (lags {lags}); largest difference "
                f"{max(diffs, default=float('nan')):.2g}; page {shown}; undisturbed {reference.values}")]


def run(quick: bool = False) -> list[dict]:
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        return [row("jobs", None, "", note="Debian's chromium is not installed; run python3 dev.py test once")]
    before = Path(os.environ["BENCH_JOBS_BEFORE"]) if os.environ.get("BENCH_JOBS_BEFORE") else None
    # BENCH_JOBS_ONLY=first,review,idle,watching,watching_tabs,sweep: some measures only (bench/run_all.py keeps
    # the others' rows).
    parts = (set(filter(None, os.environ.get("BENCH_JOBS_ONLY", "").split(",")))
             or {"first", "review", "idle", "watching", "watching_tabs", "sweep"})
    rows = []
    with sync_playwright() as pw:
        browser = launch_chromium(pw, chromium)
        if "first" in parts:
            rows += first_points(browser, before, 3 if quick else int(os.environ.get("BENCH_JOBS_REPEATS", "5")))
        if "review" in parts:
            rows += typed_reviews(browser, before, 4 if quick else 12)
        server = _server() if parts - {"first", "review"} else None
        try:
            if server is not None:
                _warm(browser, server)
            if "idle" in parts:
                rows += idle_cost(browser, server, 3 if quick else 8, 10 if quick else 20)
            pairs = 1 if quick else int(os.environ.get("BENCH_JOBS_PAIRS", "5"))
            if "watching" in parts:
                rows += watching_cost(browser, server, 3 if quick else 8, pairs)
            if "watching_tabs" in parts:
                rows += watching_cost(browser, server, 3 if quick else 8, min(pairs, 3), protocol=False)
            if "sweep" in parts:
                rows += undisturbed_sweep(browser, server)
        finally:
            if server is not None:
                server.stop()
        browser.close()
    return rows


if __name__ == "__main__":
    import json

    for r in run(quick="--quick" in sys.argv):
        print(json.dumps(r))
