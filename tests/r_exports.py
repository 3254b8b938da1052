"""CSV files written the way R exports its `ts` objects (write.csv of time(x) and x): no copies of public data.

R writes `"rownames","time","value"`, the time in decimal years with 15 significant digits
(1949, 1949.08333333333, 1960.25), `NA` for a missing value, whole years for yearly series
(negative before year 0: tree rings), and 1, 2, 3 … when the series has no dates.
"""
from __future__ import annotations

from typing import Optional

import numpy as np


def r_ts_csv(values, start: float, per_year: int, decimals: Optional[int] = None, header: bool = True) -> bytes:
    """`rownames,time,value` as R's write.csv gives it (or with the time rounded to `decimals`); NaN is written NA."""
    lines = ['"rownames","time","value"'] if header else []
    for i, v in enumerate(values):
        t = start + i / per_year
        cell = "NA" if not np.isfinite(v) else f"{v:.10g}"
        time = f"{t:.15g}" if decimals is None else f"{t:.{decimals}f}"
        lines.append(f'"{i + 1}",{time},{cell}')
    return ("\n".join(lines) + "\n").encode()


def seasonal_values(n: int, period: int, seed: int = 0, level: float = 100.0, growth: float = 0.004,
                    amplitude: float = 0.15, noise: float = 0.02, multiplicative: bool = True,
                    missing: Optional[list[int]] = None) -> np.ndarray:
    """A growing series with a fixed seasonal pattern (its amplitude grows with the level when multiplicative)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    pattern = amplitude * np.sin(2 * np.pi * (t % period) / period + 0.5) + 0.5 * amplitude * np.cos(4 * np.pi * t / period)
    trend = level * np.exp(growth * t)
    out = trend * (1 + pattern) if multiplicative else trend + level * pattern
    out = out * (1 + rng.normal(0, noise, n))
    if missing:
        out[missing] = np.nan
    return out
