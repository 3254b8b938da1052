"""How a training run stands: one enum for the engine and every page (no TensorFlow import, so pages can use it)."""
from __future__ import annotations

import enum


class Status(str, enum.Enum):
    """A run's state. A `str`, so it compares, hashes, prints and serialises as its plain value ("finished")."""

    WAITING = "waiting"  # a job in line for a training slot
    RUNNING = "running"
    FINISHED = "finished"
    STOPPED = "stopped"
    DIVERGED = "diverged"
    FAILED = "failed"  # a job that could not run (its message says why)

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


WAITING, RUNNING, FINISHED, STOPPED, DIVERGED, FAILED = (Status.WAITING, Status.RUNNING, Status.FINISHED, Status.STOPPED,
                                                         Status.DIVERGED, Status.FAILED)
STOPPED_MESSAGE = "Stopped after {epochs} epoch(s); the model keeps what it learned so far."
