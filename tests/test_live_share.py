"""Tabs that watch one job share its live figures: the server builds them once per redraw, not once per tab."""
from __future__ import annotations

import secrets
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
