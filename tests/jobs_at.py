"""Driving pages whose runs are jobs (explorer.server.jobs) with AppTest: press, wait for the session's runs, redraw.

A Train click submits a job and the page returns at once, drawing it live; these helpers wait until every
run the session's pages show has ended (trained in the server's own threads, as in the app) and run the
page again, which then draws the results.
"""
from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest

from explorer.server import jobs


def shown(at: AppTest, page: str):
    """The job the page `page` ("ts", "sent", "gl", "gl_sweep") shows in this AppTest session, or None."""
    ids = at.session_state["live_jobs"] if "live_jobs" in at.session_state else {}
    return jobs.board().get(ids[page]) if page in ids else None


def session_jobs(at: AppTest) -> list:
    """The jobs this AppTest session's pages show."""
    ids = at.session_state["live_jobs"] if "live_jobs" in at.session_state else {}
    return [job for job in (jobs.board().get(i) for i in ids.values()) if job is not None]


def wait_runs(at: AppTest, timeout: float = 600.0) -> AppTest:
    """Wait until the session's runs have ended, then run the page again (it draws their results)."""
    deadline = time.monotonic() + timeout
    for job in session_jobs(at):
        if not job.wait(max(0.0, deadline - time.monotonic())):
            raise AssertionError(f"the {job.spec.kind} run did not end within {timeout:.0f} s ({job.status})")
    return at.run()


def press(at: AppTest, key: str, timeout: float = 600.0) -> AppTest:
    """Click the button `key` (Train, Run the sweep), wait for the runs it started, and draw their results."""
    at.button(key=key).click().run()
    return wait_runs(at, timeout)
