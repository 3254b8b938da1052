"""Numbers as a person reads them: a few significant digits, scientific notation when tiny or huge.

`f"{x:.4g}"` is almost right; what it gets wrong on a page is thousands separators,
values too small for float64 (shown as "0" though they are not) and infinities.
Gradients through time fade to 1e-100 and beyond; the probe measures them in float64, whose range
ends near 1e-308, so everything below `TINY` reads "< 1e-300", never 0 and never a float32 artefact.
"""
from __future__ import annotations

import math

TINY = 1e-300  # below this a float64 is subnormal or zero: say "< 1e-300", never "0"


def fmt(x: float, digits: int = 4, exact_zero: bool = True) -> str:
    """`x` with `digits` significant digits (whole numbers in full): 12,346, 0.01235, 1.23e-7, 4.6e+12; "—" for NaN.

    A true 0 prints as "0" unless `exact_zero` is False (a computed error that underflowed),
    when it prints as "< 1e-300".
    """
    try:
        x = float(x)
    except (TypeError, ValueError):
        return "—"
    if math.isnan(x):
        return "—"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == 0:
        return "0" if exact_zero else f"< {TINY:.0e}"
    mag = abs(x)
    if mag < TINY:
        return ("< " if x > 0 else "> -") + f"{TINY:.0e}"
    if 1e-4 <= mag < 1e6:
        return f"{x:,.0f}" if mag >= 10 ** (digits - 1) else f"{x:.{digits}g}"
    mant, exp = f"{x:.{max(0, digits - 2)}e}".split("e")
    if "." in mant:
        mant = mant.rstrip("0").rstrip(".")
    return f"{mant}e{exp[0]}{exp[1:].lstrip('0') or '0'}"


def fmt_int(n: int) -> str:
    """A count with thousands separators: 1,399,990."""
    return f"{int(n):,}"


def times(ratio: float) -> str:
    """A ratio as "1.3×", "58×" or "1,200×"."""
    if not math.isfinite(ratio):
        return "—"
    if ratio >= 1e6:
        return fmt(ratio, 2) + "×"
    return f"{ratio:,.0f}×" if ratio >= 10 else f"{ratio:.2g}×"


def power_of_ten(x: float) -> str:
    """A positive ratio as 10^k (one decimal); "< 1e-300" below `TINY`; "—" if undefined."""
    if not math.isfinite(x) or x < 0:
        return "—"
    if x < TINY:
        return "< 1e-300"
    return f"10^{math.log10(x):.1f}"


def magnitude(x: float) -> str:
    """A gradient norm for a label or hover: 3 significant digits, "< 1e-300" below `TINY`."""
    if not math.isfinite(x):
        return "not a number (diverged)"
    return "< 1e-300" if x < TINY else f"{x:.3g}"
