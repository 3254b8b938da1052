"""Giving memory back to the system once a run or a session is over."""
from __future__ import annotations

import ctypes
import gc


def give_back() -> None:
    """Collect what a finished run or a closed session left, then ask glibc to return free heap pages to the
    OS (a run frees hundreds of MB of temporaries that would otherwise count against the next run's peak)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory is reused by the process instead
        pass
