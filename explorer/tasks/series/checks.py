"""Before training: is there anything to forecast, and are the numbers in a range float32 can hold?

A constant series has nothing to learn (every rule predicts it exactly, the loss is 0
and the gradients vanish for a dull reason). Values like 1e300 overflow their own
squared errors, and values like 1e-300 underflow them to 0, so the series is shown
and modelled in a power-of-ten unit that keeps every number on the page true.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from explorer.data.numbers import fmt, fmt_int

EXTREME = 1e100  # beyond 1e±100, squared errors leave float64's range: change the unit


@dataclass(frozen=True)
class SeriesCheck:
    """The series to model (maybe in a new unit), what stops training (None if nothing), and notes."""

    values: np.ndarray
    problem: Optional[str]
    unit_exponent: int  # values shown = original / 10**unit_exponent
    notes: tuple[str, ...]

    @property
    def unit(self) -> str:
        return f" (×10^{self.unit_exponent})" if self.unit_exponent else ""


def check_series(values: np.ndarray) -> SeriesCheck:
    """Refuse a constant series with a reason; rescale one whose magnitude would overflow or underflow its errors."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return SeriesCheck(values, "The series has no finite values.", 0, ())
    lo, hi = float(finite.min()), float(finite.max())
    if lo == hi:
        return SeriesCheck(values, f"The series is constant: all {fmt_int(len(values))} values are {fmt(lo)}. There "
                           "is nothing to forecast (every rule predicts it exactly and the model's loss would be 0, "
                           "so its gradients would show nothing); choose another column or series.", 0, ())
    big = max(abs(lo), abs(hi))
    exponent = 0
    if big >= EXTREME or big <= 1 / EXTREME:
        exponent = int(math.floor(math.log10(big)))
    if not exponent:
        return SeriesCheck(values, None, 0, ())
    # Scale in two steps, so 10**exponent itself never overflows or underflows.
    half = exponent // 2
    scaled = values / 10.0 ** half / 10.0 ** (exponent - half)
    note = (f"The values reach {fmt(big)}, so they are shown and modelled in units of 10^{exponent} "
            "(their squared errors would otherwise leave the range of floating-point numbers).")
    return SeriesCheck(scaled, None, exponent, (note,))
