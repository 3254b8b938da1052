"""Start the real app and a headless Chromium, the way a user would; measure its memory.

Shared by the browser tests (tests/browser/) and the app benchmark (bench/bench_app.py),
so both start the app with the README's command and drive the same browser.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"

# Flags that work for headless Chromium as root in a container, with nothing phoning home.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
    "--disable-dev-shm-usage",
]


def find_chromium() -> Optional[str]:
    """The Chromium that `dev.py test` exported, else one on PATH; None when there is none."""
    path = os.environ.get("RNN_EXPLORER_CHROMIUM")
    if path and Path(path).exists():
        return path
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children() -> dict[int, list[int]]:
    """ppid -> pids for every process visible in /proc."""
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode(errors="replace")
        except OSError:
            continue
        # Fields after the ")" that closes the command name: state ppid ...
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def tree_rss(pid: int) -> int:
    """Resident memory in bytes of `pid` and all its descendants (0 where /proc is missing)."""
    total = 0
    for p in tree_pids(pid):
        try:
            with open(f"/proc/{p}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            pass
    return total


def tree_pids(pid: int) -> list[int]:
    """`pid` and all its descendants that exist now (just `pid` where /proc is missing)."""
    proc = Path("/proc").is_dir()
    kids, out, stack = (_children() if proc else {}), [], [pid]
    while stack:
        p = stack.pop()
        if p not in out and (not proc or Path(f"/proc/{p}").exists()):
            out.append(p)
            stack.extend(kids.get(p, []))
    return out


def _status_kib(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def tree_hwm(pid: int) -> dict[int, int]:
    """Each process's peak resident memory in bytes as the kernel tracks it (VmHWM), for `pid` and its descendants.

    Exact, unlike sampling: no short peak between two samples is missed. The sum over the tree
    is an upper bound of the tree's peak (the processes need not peak at the same moment); the
    app's memory is nearly all in one process (streamlit), whose own peak is the largest entry.
    """
    return {p: _status_kib(p, "VmHWM") * 1024 for p in tree_pids(pid)}


def reset_hwm(pid: int) -> bool:
    """Restart the kernel's peak counting (VmHWM := current RSS) for the tree; False where not allowed."""
    ok = True
    for p in tree_pids(pid):
        try:
            with open(f"/proc/{p}/clear_refs", "w") as fh:
                fh.write("5")
        except OSError:
            ok = False
    return ok


class RssSampler:
    """Samples a process tree's RSS in a background thread; keeps the peak."""

    def __init__(self, pid: int, every: float = 0.25):
        self.pid, self.every = pid, every
        self.peak = 0
        self.last = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.every)

    def sample(self) -> int:
        self.last = tree_rss(self.pid)
        self.peak = max(self.peak, self.last)
        return self.last

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


class AppServer:
    """`PORT=<free> python3 dev.py app --server.address 127.0.0.1 --server.headless true` in its own process group."""

    def __init__(self, port: Optional[int] = None, log_path: Optional[Path] = None, env: Optional[dict] = None,
                 root: Path = ROOT):
        """`root`: the checkout whose app to start (a bench compares two); this one by default."""
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        ARTIFACTS.mkdir(exist_ok=True)
        self.log_path = log_path or ARTIFACTS / "app-server.log"
        python = shutil.which("python3") or sys.executable
        env = dict(os.environ, **(env or {}), PORT=str(self.port), PYTHONUNBUFFERED="1")
        self._log = open(self.log_path, "wb")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [python, str(root / "dev.py"), "app", "--server.address", "127.0.0.1",
             "--server.headless", "true", "--server.fileWatcherType", "none"],
            cwd=root, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        self.rss = RssSampler(self.proc.pid)
        self.health_seconds: Optional[float] = None
        self.pages_opened = 0  # browser sessions opened on this server (the tests' fixtures count them)

    def wait_healthy(self, timeout: float = 120.0) -> float:
        """Poll /_stcore/health until it answers 'ok'; seconds since start. Raises with the log tail."""
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the app exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200 and resp.read().strip() == b"ok":
                        self.health_seconds = time.perf_counter() - self.started
                        return self.health_seconds
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the app did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the whole process group (dev.py and the streamlit it started)."""
        self.rss.stop()
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
            except ProcessLookupError:
                pass
        self._log.close()


def launch_chromium(playwright, executable: str):
    """A headless Chromium from the system package (Playwright's own download needs the internet)."""
    return playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)


# --- Driving Streamlit pages -------------------------------------------------------------

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
ERROR_BOXES = '[data-testid="stAlertContentError"], [data-testid="stException"]'

# Reports every error alert and exception box the moment it appears (even one that is gone by
# the next check) to the Python side, in every page and frame of a context, across navigations.
_ALERT_WATCH_JS = """(() => {
  const seen = new Set();
  const scan = () => document.querySelectorAll('%s').forEach(el => {
    const kind = el.getAttribute('data-testid') === 'stException' ? 'exception' : 'error';
    const text = (el.innerText || '').trim();
    if (text && !seen.has(kind + text)) { seen.add(kind + text); window.__rnnAlert(kind, text); }
  });
  let queued = false;
  new MutationObserver(() => {
    if (!queued) { queued = true; setTimeout(() => { queued = false; scan(); }, 50); }
  }).observe(document, {childList: true, subtree: true, characterData: true});
})();""" % ERROR_BOXES


def _plain(text: str) -> str:
    """An alert's text as comparable words: whitespace collapsed, a leading icon dropped."""
    words = " ".join(text.split())
    return re.sub(r"^[^\w*(\[\"'“]+\s*", "", words)


class AlertLog:
    """Every error alert and exception box shown in one browser context; fails on any not expected.

    `expect("exact message")` allows that error message (compared as plain words); exceptions
    are never allowed. `wait_idle` checks the page's log each time, the fixtures at the end.
    """

    def __init__(self, context):
        self.seen: list[tuple[str, str]] = []
        self.expected: set[str] = set()
        context.expose_binding("__rnnAlert", lambda source, kind, text: self.seen.append((kind, text)))
        context.add_init_script(_ALERT_WATCH_JS)

    def expect(self, *messages: str) -> None:
        self.expected.update(_plain(m) for m in messages)

    def unexpected(self) -> list[str]:
        return [f"{kind}: {text}" for kind, text in self.seen
                if kind == "exception" or _plain(text) not in self.expected]

    def check(self) -> None:
        bad = self.unexpected()
        if bad:
            raise AssertionError(f"the page showed error(s) the test did not expect: {bad}")


ALERT_LOGS: dict = {}  # page -> its context's AlertLog (filled by the browser fixtures and benches)


def watch_alerts(page) -> AlertLog:
    """Start recording `page`'s error alerts (call before its context opens any page)."""
    log = AlertLog(page.context)
    ALERT_LOGS[page] = log
    return log


def wait_idle(page, timeout: float = 120_000) -> None:
    """Wait until the page's script run is over (Streamlit marks its root with the run state).

    Fails when the page has shown an error alert or exception its test did not expect.
    """
    page.wait_for_selector(IDLE, timeout=timeout)
    log = ALERT_LOGS.get(page)
    if log is not None:
        page.wait_for_timeout(60)  # the watcher reports a change within 50 ms
        log.check()


def exceptions_on(page) -> list[str]:
    """Texts of any exception boxes Streamlit drew (a traceback reaching the user)."""
    return page.locator('[data-testid="stException"]').all_inner_texts()


def errors_on(page) -> list[str]:
    """Texts of every error alert and exception box on the page now."""
    return page.locator(ERROR_BOXES).all_inner_texts()


_FIGURES_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => {
    const layout = gd._fullLayout || gd.layout || {};
    const title = (layout.title && (layout.title.text || layout.title)) || '';
    const traces = (gd._fullData || gd.data || []).map(t => {
        const y = (t.y && typeof t.y.length === 'number') ? Array.from(t.y) : [];
        const z = (t.z && typeof t.z.length === 'number') ? t.z.length : 0;
        return {name: t.name || '', type: t.type || '', n: y.length, y: y, z_rows: z};
    });
    return {title: String(title), traces: traces};
})"""


def figures(page) -> list[dict]:
    """Every Plotly chart on the page as drawn: {title, traces: [{name, type, n, y, z_rows}]}."""
    return page.evaluate(_FIGURES_JS)


def figure(page, title_part: str) -> dict | None:
    """The first chart whose title contains `title_part`, or None."""
    for fig in figures(page):
        if title_part in fig["title"]:
            return fig
    return None


def wait_figure(page, title_part: str, timeout: float = 60.0, min_points: int = 1) -> dict:
    """The chart titled `title_part` once Plotly has drawn it (charts load and draw asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        fig = figure(page, title_part)
        if fig and fig["traces"] and fig["traces"][0]["n"] >= min_points:
            return fig
        if time.monotonic() > deadline:
            titles = [f["title"] for f in figures(page)]
            raise AssertionError(f"no chart titled {title_part!r} was drawn within {timeout:.0f} s; charts: {titles}")
        page.wait_for_timeout(100)


def shoot(page, name: str, full_page: bool = False) -> Path:
    """Save a screenshot to test-artifacts/<name>.png and, if asked, to $RNN_EXPLORER_SCREENSHOTS."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    target = os.environ.get("RNN_EXPLORER_SCREENSHOTS")
    if target:
        folder = Path(target) if Path(target).is_absolute() else ROOT / target
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, folder / path.name)
    return path
