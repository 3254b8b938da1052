"""Numbers that span hundreds of decades, shown truthfully.

Gradients through time fade to 1e-100 and beyond. The probe measures them in float64,
whose range ends near 1e-308, so everything below `FLOOR` is reported as "< 1e-300",
never as 0 ("vanished completely") and never as a float32 artefact.
"""
from __future__ import annotations

import math

FLOOR = 1e-300


def power_of_ten(x: float) -> str:
    """A positive ratio as 10^k (one decimal); "< 1e-300" below the floor; "—" if undefined."""
    if not math.isfinite(x) or x < 0:
        return "—"
    if x < FLOOR:
        return "< 1e-300"
    return f"10^{math.log10(x):.1f}"


def magnitude(x: float) -> str:
    """A gradient norm for a label or hover: 3 significant digits, "< 1e-300" below the floor."""
    if not math.isfinite(x):
        return "not a number (diverged)"
    return "< 1e-300" if x < FLOOR else f"{x:.3g}"
