"""How a training run stands: one enum for the engine and every page (no TensorFlow import, so pages can use it)."""
from __future__ import annotations

import enum


class Status(str, enum.Enum):
    """A run's state. A `str`, so it compares, hashes, prints and serialises as its plain value ("finished")."""

    RUNNING = "running"  # only while a page's script still trains it
    FINISHED = "finished"
    STOPPED = "stopped"
    DIVERGED = "diverged"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


RUNNING, FINISHED, STOPPED, DIVERGED = Status.RUNNING, Status.FINISHED, Status.STOPPED, Status.DIVERGED
STOPPED_MESSAGE = "Stopped after {epochs} epoch(s); the model keeps what it learned so far."
