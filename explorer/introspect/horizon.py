"""What a gradient-norm profile says: how far back the gradient still reaches, and its decay per step."""
from __future__ import annotations

import numpy as np


def memory_horizon(norms: np.ndarray, threshold: float = 1e-3) -> int:
    """How many steps back from the end ‖∂L/∂h_t‖ stays above `threshold` × its maximum."""
    norms = np.asarray(norms, dtype=np.float64)
    if norms.size == 0 or not np.all(np.isfinite(norms)) or norms.max() <= 0:
        return 0
    above = norms >= threshold * norms.max()
    # Count back from the last step until the first step that falls below.
    below = np.flatnonzero(~above[::-1])
    return int(below[0]) if below.size else int(norms.size)


def decay_per_step(norms: np.ndarray) -> float:
    """Geometric mean factor by which ‖∂L/∂h_t‖ changes per step back in time (<1 vanishes).

    A least-squares line through log ‖∂L/∂h_t‖ over every step. A step whose gradient left
    float64's range (returned as 0) counts at the range's floor (~2.2e-308), so the factor is then
    an upper bound: the gradient fades at least that fast.
    """
    norms = np.asarray(norms, dtype=np.float64)
    if norms.size < 2 or not np.all(np.isfinite(norms)) or norms.max() <= 0:
        return float("nan")
    logs = np.log(np.maximum(norms, np.finfo(np.float64).tiny))
    slope = np.polyfit(np.arange(norms.size), logs, 1)[0]
    return float(np.exp(-slope))
