"""Tabs that watch one job share its live figures: the server builds them once per redraw, not once per tab."""
from __future__ import annotations

import secrets
import threading
import time
from types import SimpleNamespace

from ui import live


def _job():
    return SimpleNamespace(id=secrets.token_urlsafe(16))


def test_tabs_watching_one_job_share_its_figures_within_half_a_redraw():
    job, other, built = _job(), _job(), []

    def build():
        built.append(object())
        return built[-1]

    first = live.shared(job, "curves", build)
    assert live.shared(job, "curves", build) is first and len(built) == 1  # a second tab, the same moment
    assert live.shared(job, "cells", build) is not first  # another view of the job
    assert live.shared(other, "curves", build) is not first  # another job: never another's figures
    assert len(built) == 3
    time.sleep(live.SHARE_S + 0.05)
    assert live.shared(job, "curves", build) is not first and len(built) == 4  # later redraws show newer data
    assert 0 < live.SHARE_S < live.POLL_S


def test_tabs_that_redraw_at_the_same_moment_wait_for_one_build():
    job, built, gate = _job(), [], threading.Event()

    def build():
        built.append(object())
        gate.wait(5)  # the first tab is still building while the others ask
        return built[-1]

    got = []
    tabs = [threading.Thread(target=lambda: got.append(live.shared(job, "curves", build))) for _ in range(8)]
    for tab in tabs:
        tab.start()
    time.sleep(0.2)
    gate.set()
    for tab in tabs:
        tab.join(10)
    assert len(built) == 1 and len(got) == 8 and all(g is built[0] for g in got)
