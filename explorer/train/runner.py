"""What a task's runner may raise and return when a job runs it (`explorer.server.jobs` runs it).

A runner is `runner(ctx, **inputs)`: it reports through the job's context and ends by returning its result
(`TrainedRun` for a single model) or raising `JobFailed` with one sentence for the person. These types sit
below the tasks so that a runner never imports the server that runs it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class JobFailed(Exception):
    """A runner's way to end a job with one sentence for the person (bad settings, unusable data)."""


@dataclass
class TrainedRun:
    """A single-model job's result: the trained model, the page's record of the run, and its RunResult."""

    model: Any
    record: Any
    result: Any  # explorer.train.training.RunResult
