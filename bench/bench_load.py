"""A class on one server: eight visitors press Train at once; twenty come, train and leave.

Starts the app with the README's command (training slots fitted to the machine unless
RNN_EXPLORER_TRAINING_SLOTS says otherwise), warms it with one run, then in headless Chromium:

1. one session trains the time-series default 8 times, one run after another (the baseline);
2. 8 sessions, each its own browser context, press Train on the time-series default at once:
   every run must finish without an error, the last within 1.3 × the baseline's 8 runs, and
   the first run's first curve point must be drawn within 3 s of its click; the server's peak
   memory over this phase is the kernel's VmHWM (reset before the phase, read after).
   Steps 1 and 2 are a pair, repeated `PAIRS` times in alternating order; the target is on the
   median of the pairs' ratios (single pairs have read from 0.95 to 1.38 on this machine);
3. 20 sessions open, train (the default, in 4 waves of 5) and close; once the closed sessions
   are cleaned up, the server's RSS must be within 10 % of its level before them.

A full run also repeats phase 2 on servers limited to 1, 2, 3 and 8 slots: the measurement
the default (`explorer.server.run_queue.CORES_PER_RUN`) is fitted on (BENCH_LOAD_NO_FIT=1 leaves it out).
"""
from __future__ import annotations

import os
import re
import statistics
import sys
import time

from common import ROOT, row  # also puts ROOT on the import path

import page_clock  # noqa: E402
from tests.browser.harness import (AppServer, find_chromium, figure, launch_chromium, reset_hwm, tree_hwm,  # noqa: E402
                     tree_rss, wait_idle, watch_alerts)

from explorer.server.run_queue import auto_slots  # noqa: E402
from ui.sessions import GRACE_S  # noqa: E402

MIB = 2**20
VIEWPORT = {"width": 1280, "height": 860}
TRAIN = "▶ Train"
DONE = re.compile(r"Trained \d+ epoch\(s\) in")
LIVE = "Loss while training"
HISTORY = "Validation loss of each run"



def _session(browser, url: str, query: str = ""):
    """A fresh visitor on the time-series page, ready to train (its error alerts recorded)."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(180_000)
    page_clock.watch(context, live=(".js-plotly-plot .gtitle", LIVE))  # drawn once its run has a point
    page = context.new_page()
    log = watch_alerts(page)
    page.goto(f"{url}/time_series{query}")
    page.get_by_role("button", name=TRAIN).wait_for(state="visible")
    wait_idle(page, timeout=180_000)
    return page, log


def _close(page) -> None:
    page.context.close()


def _runs_listed(page) -> int:
    fig = figure(page, HISTORY)
    return len(fig["traces"]) if fig else 0


def _train_once(page) -> float:
    """Seconds from the Train click until this run's end message shows (its run listed in the history)."""
    before = _runs_listed(page)
    t0 = time.perf_counter()
    page.get_by_role("button", name=TRAIN).click()
    while _runs_listed(page) <= before or not page.get_by_text(DONE).first.is_visible():
        if time.perf_counter() - t0 > 600:
            raise TimeoutError("the run did not finish within 10 minutes")
        time.sleep(0.05)
    seconds = time.perf_counter() - t0
    wait_idle(page, timeout=180_000)
    return seconds


# Runs in each page: the first waiting notice it shows (text and when) and when it goes (the run got its slot).
_WAIT_JS = """() => {
    window.__wait = null;
    const timer = setInterval(() => {
        const el = [...document.querySelectorAll('[data-testid="stAlertContentInfo"]')]
            .find(e => (e.innerText || '').includes('Waiting for a free training slot'));
        if (el && !window.__wait) window.__wait = {shown: Date.now(), text: el.innerText};
        if (!el && window.__wait) { window.__wait.gone = Date.now(); clearInterval(timer); }
    }, 20);
}"""


def _estimate_s(text: str) -> float | None:
    """The wait a notice promised ("starts in about 12 s" / "about 2 min"), in seconds."""
    found = re.search(r"starts in about (\d+) (s|min)", text)
    return None if not found else float(found.group(1)) * (60 if found.group(2) == "min" else 1)


def _wait_errors(pages) -> list[tuple[float, float]]:
    """(promised, real) seconds for every visitor who waited: the first estimate shown against the real wait."""
    out = []
    for page in pages:
        wait = page.evaluate("window.__wait")
        if wait and wait.get("gone") and _estimate_s(wait["text"]) is not None:
            out.append((_estimate_s(wait["text"]), (wait["gone"] - wait["shown"]) / 1000))
    return out


def _all_at_once(browser, url: str, n: int) -> dict:
    """n sessions press Train together; when each draws its first point and finishes, seconds after the first click.

    Each page notes the moment its live chart first shows a point itself (bench/page_clock.py), so the first
    run's first point is seen whichever session's run starts first.
    """
    sessions = [_session(browser, url) for _ in range(n)]
    pages = [p for p, _ in sessions]
    for page in pages:
        page.evaluate(_WAIT_JS)
    t0, wall0 = time.perf_counter(), time.time()
    for page in pages:
        page.get_by_role("button", name=TRAIN).click(no_wait_after=True)
    clicked = time.perf_counter() - t0
    done = {}
    while len(done) < n and time.perf_counter() - t0 < 900:
        for i, page in enumerate(pages):
            if i not in done and page.get_by_text(DONE).first.is_visible():
                done[i] = time.perf_counter() - t0
        time.sleep(0.05)
    marks = [page_clock.shown_epoch(page, "live") for page in pages]
    waits = _wait_errors(pages)
    firsts = sorted(m - wall0 for m in marks if m is not None)
    first_point = firsts[0] if firsts else None
    errors = []
    for page, log in sessions:
        wait_idle(page, timeout=180_000)
        errors += log.unexpected()
    for page in pages:
        _close(page)
    return {"first_point": first_point, "firsts": firsts, "finished": sorted(done.values()), "n_done": len(done),
            "errors": errors, "clicked": clicked, "waits": waits}


def _settle(server: AppServer, seconds: float) -> int:
    """RSS of the app after `seconds` of quiet (closed sessions cleaned up), median of 5 readings."""
    time.sleep(seconds)
    readings = []
    for _ in range(5):
        readings.append(tree_rss(server.proc.pid))
        time.sleep(0.4)
    return int(statistics.median(readings))


PAIRS = 3  # the 8-at-once phase is repeated: one pair alone varies more than the target's margin


def _pair(browser, server: AppServer, n: int, at_once_first: bool) -> dict:
    """The same n runs one after another in one session, and from n sessions at once (order alternated)."""
    def sequential():
        page, log = _session(browser, server.url)
        singles = [_train_once(page) for _ in range(n)]
        errors = log.unexpected()
        _close(page)
        return singles, errors

    def together():
        reset_hwm(server.proc.pid)
        rss0 = tree_rss(server.proc.pid)
        out = _all_at_once(browser, server.url, n)
        out["hwm"], out["rss0"] = tree_hwm(server.proc.pid), rss0
        return out

    if at_once_first:
        out = together()
        singles, errors = sequential()
    else:
        singles, errors = sequential()
        out = together()
    out["singles"], out["errors"] = singles, errors + out["errors"]
    out["seq"] = sum(singles)
    out["last"] = out["finished"][-1] if out["finished"] else float("nan")
    out["ratio"] = out["last"] / out["seq"]
    return out


def _phase_eight(browser, server: AppServer, n: int, quick: bool) -> list[dict]:
    pairs = [_pair(browser, server, n, at_once_first=i % 2 == 1) for i in range(1 if quick else PAIRS)]
    ratios = [p["ratio"] for p in pairs]
    ratio = statistics.median(ratios)
    errors = [e for p in pairs for e in p["errors"]]
    all_done = all(p["n_done"] == n for p in pairs)
    firsts = [p["first_point"] for p in pairs]
    first = None if None in firsts else statistics.median(firsts)
    waits = [w for p in pairs for w in p["waits"]]
    wait_err = [(promised - real) / real for promised, real in waits if real > 0]
    median_err = statistics.median(wait_err) if wait_err else None
    hwm = max(pairs, key=lambda p: sum(p["hwm"].values()))
    peak, biggest = sum(hwm["hwm"].values()), max(hwm["hwm"].values(), default=0)
    each = "; ".join(f"pair {i + 1}{' (at once first)' if i % 2 else ''}: last finished {p['last']:.1f} s after the "
                     f"first click, one after another {p['seq']:.1f} s (runs {', '.join(f'{s:.1f}' for s in p['singles'])})"
                     for i, p in enumerate(pairs))
    return [
        row(f"{n} time-series default runs one after another, one session (median of {len(pairs)})",
            round(statistics.median(p["seq"] for p in pairs), 1), "s", note="click → 'Trained' message each"),
        row(f"{n} sessions press Train at once: all finish, no error", min(p["n_done"] for p in pairs), "runs", f"= {n}",
            all_done and not errors, "; ".join(errors)[:300] or
            f"{len(pairs)} times; no error alert or exception on any page"),
        row(f"{n} at once: the last finishes, vs the same runs one after another (median of {len(pairs)} pairs)", ratio,
            "×", "≤ 1.3", ratio <= 1.3, f"ratios {', '.join(f'{r:.3f}' for r in ratios)}; {each}"),
        row(f"{n} at once: first curve point of the first run (median of {len(pairs)})", first, "s", "≤ 3",
            first is not None and first <= 3.0, "first click → the first live loss chart (any session) shows a point: "
            + ", ".join("not seen" if f is None else f"{f:.2f}" for f in firsts) + " s"),
        row(f"{n} at once: waiting visitors' first estimate vs their real wait, median error", None if median_err is None
            else round(100 * median_err, 1), "%", "within ±30", median_err is not None and abs(median_err) <= 0.30,
            f"{len(wait_err)} waiting visitors over {len(pairs)} pair(s); (promised, real) s: "
            + ", ".join(f"({a:.0f}, {b:.1f})" for a, b in waits)
            + (f"; median |error| {100 * statistics.median(abs(e) for e in wait_err):.1f} %" if wait_err else "")),
        row(f"{n} at once: peak memory of the app (kernel VmHWM)", round(peak / MIB), "MiB", note=(
            f"the highest of the {len(pairs)} phases; sum over the process tree, reset before each phase; the streamlit "
            f"process alone {biggest / MIB:.0f} MiB; RSS before that phase {hwm['rss0'] / MIB:.0f} MiB")),
    ]


def _phase_twenty(browser, server: AppServer, total: int, wave: int) -> list[dict]:
    before = _settle(server, GRACE_S + 5)
    peak, errors = before, []
    for start in range(0, total, wave):
        sessions = [_session(browser, server.url, "?t_epochs=20") for _ in range(min(wave, total - start))]
        for page, _ in sessions:
            page.get_by_role("button", name=TRAIN).click(no_wait_after=True)
        for page, log in sessions:
            page.get_by_text(DONE).first.wait_for(state="visible", timeout=600_000)
            wait_idle(page, timeout=180_000)
            errors += log.unexpected()
        peak = max(peak, tree_rss(server.proc.pid))
        for page, _ in sessions:
            _close(page)
    after = _settle(server, GRACE_S + 15)
    ratio = after / before
    return [row(f"{total} sessions open, train and close: app RSS after / before", ratio, "×", "≤ 1.10", ratio <= 1.10 and not errors,
                f"before {before / MIB:.0f} MiB, highest between waves {peak / MIB:.0f} MiB, after {after / MIB:.0f} MiB "
                f"({GRACE_S + 15:.0f} s after the last tab closed; closed sessions are shut down after {GRACE_S:.0f} s); "
                f"{total} runs of 20 epochs in waves of {wave}" + (f"; errors: {errors}"[:300] if errors else ""))]


def _server(slots: str | None = None) -> AppServer:
    env = {"RNN_EXPLORER_TRAINING_SLOTS": slots} if slots else None
    name = f"bench-load-{slots or 'auto'}.log"
    server = AppServer(env=env, log_path=ROOT / "test-artifacts" / name)
    server.wait_healthy(timeout=240)
    return server


def _warm(browser, server: AppServer) -> None:
    """One run, so TensorFlow's one-time costs are paid and the queue knows how long a run takes."""
    page, _ = _session(browser, server.url)
    _train_once(page)
    _close(page)


def run(quick: bool = False) -> list[dict]:
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        return [row("load test", None, "", note="Debian's chromium is not installed; run python3 dev.py test once")]
    n, total, wave = (3, 6, 3) if quick else (8, 20, 5)
    rows = [row("training slots (auto)", auto_slots(), "runs at once",
                note="explorer.server.run_queue.auto_slots: one run per core, no more than memory holds at 2 GiB each")]
    with sync_playwright() as pw:
        browser = launch_chromium(pw, chromium)
        server = _server()
        try:
            _warm(browser, server)
            rows += _phase_eight(browser, server, n, quick)
            rows += _phase_twenty(browser, server, total, wave)
        finally:
            server.stop()
        if not quick and not os.environ.get("BENCH_LOAD_NO_FIT"):  # the fit: the 8-at-once phase, slots fixed
            for slots in ("1", "2", "3", "8"):
                server = _server(slots)
                try:
                    _warm(browser, server)
                    out = _all_at_once(browser, server.url, n)
                finally:
                    server.stop()
                last = out["finished"][-1] if out["finished"] else float("nan")
                first = f"{out['first_point']:.2f} s" if out["first_point"] is not None else "not seen"
                rows.append(row(f"fit: {n} at once with {slots} slot(s): the last finishes", round(last, 1), "s", note=(
                    f"first curve point {first}; {out['n_done']} of {n} finished"
                    + (f"; errors {out['errors']}"[:200] if out["errors"] else ""))))
        browser.close()
    return rows


if __name__ == "__main__":
    import json

    for r in run(quick="--quick" in sys.argv):
        print(json.dumps(r))
