"""Does a series keep returning to its average, or wander and trend? Decided on the training part only.

A network that predicts the level can only output values like those it was trained
on (tanh units saturate), so a series that trends or wanders like a random walk must
be modelled as the change since the previous step. The augmented Dickey–Fuller test
(constant, no trend) asks whether a random walk can be ruled out; a strong linear
trend settles it too. `choose_target` returns the choice and one sentence saying why.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from explorer.data.windows import CHANGE, LEVEL

MAX_POINTS = 20_000  # the test reads the last part of long training data: enough, and fast


@dataclass(frozen=True)
class UnitRoot:
    """Augmented Dickey–Fuller test: `statistic` below `critical` (5%) rules out a random walk."""

    statistic: float
    critical: float
    lags: int
    degenerate: bool  # the series is a perfect linear recursion (no noise): the test says nothing

    @property
    def random_walk_ruled_out(self) -> bool:
        return not self.degenerate and self.statistic < self.critical


def adf(values: np.ndarray, lags: Optional[int] = None) -> Optional[UnitRoot]:
    """ADF regression Δy_t = a + γ·y_{t−1} + Σ δ_i·Δy_{t−i} + ε; the t-statistic of γ (None if too short)."""
    y = np.asarray(values, dtype=np.float64)[-MAX_POINTS:]
    y = y[np.isfinite(y)]
    n = len(y)
    if n < 20:
        return None
    scale = float(np.max(np.abs(y - y.mean()))) or 1.0
    y = (y - y.mean()) / scale
    p = lags if lags is not None else min(int(12 * (n / 100) ** 0.25), 30, n // 5)
    dy = np.diff(y)
    rows = len(dy) - p
    if rows < p + 10:
        return None
    cols = [np.ones(rows), y[p:-1]] + [dy[p - i:len(dy) - i] for i in range(1, p + 1)]
    X = np.column_stack(cols)
    target = dy[p:]
    coef, _, rank, _ = np.linalg.lstsq(X, target, rcond=None)
    resid = target - X @ coef
    rss = float(resid @ resid)
    degenerate = rank < X.shape[1] or rss <= 1e-12 * max(float(target @ target), 1e-300)
    crit = -2.8621 - 2.738 / rows - 8.36 / rows ** 2  # MacKinnon (2010), constant only, 5%
    if degenerate:
        return UnitRoot(float("nan"), crit, p, True)
    sigma2 = rss / (rows - X.shape[1])
    cov = sigma2 * np.linalg.pinv(X.T @ X)
    stat = float(coef[1] / np.sqrt(max(cov[1, 1], 1e-300)))
    return UnitRoot(stat, crit, p, False)


@dataclass(frozen=True)
class TargetChoice:
    """What the network should predict for this series, and one sentence why."""

    target: str  # one of explorer.data.transforms.TARGETS
    reason: str
    test: Optional[UnitRoot]
    period: Optional[int] = None  # the season a seasonal target differences over


def trend_drift(train: np.ndarray, steps_ahead: int) -> float:
    """How far the training part's straight-line trend moves the level over `steps_ahead` more steps."""
    train = np.asarray(train, dtype=np.float64)
    if len(train) < 3:
        return 0.0
    t = np.arange(len(train), dtype=np.float64)
    slope = np.polyfit(t - t.mean(), train - train.mean(), 1)[0]
    return float(slope * steps_ahead)


def choose_target(values: np.ndarray, val_start: int) -> TargetChoice:
    """Level or change for `values`, looking only at the training part values[:val_start].

    Change when a random walk cannot be ruled out, or when the trend would carry the level
    beyond half the training range by the end of the data; level otherwise.
    """
    values = np.asarray(values, dtype=np.float64)
    train = values[:val_start]
    if len(train) < 3 or np.ptp(train) == 0:
        return TargetChoice(LEVEL, "Predicting the level: the training part is too short or flat to test for a trend.",
                            None)
    test = adf(train)
    drift = trend_drift(train, len(values) - val_start)
    span = float(np.ptp(train))
    if abs(drift) > 0.5 * span:
        return TargetChoice(CHANGE, "Predicting the change since the previous step: the training part trends, and at "
                            "its pace the level would leave the range seen in training before the end of the data "
                            "(a network predicting the level cannot go beyond that range).", test)
    if test is None:
        return TargetChoice(LEVEL, "Predicting the level: the training part is too short for a unit-root test, and "
                            "it shows no strong trend.", test)
    if test.degenerate:
        return TargetChoice(LEVEL, "Predicting the level: the training part repeats a noise-free pattern without a "
                            "trend, so later values stay in the range seen in training.", test)
    if test.random_walk_ruled_out:
        return TargetChoice(LEVEL, "Predicting the level: the training part keeps returning to its average (a unit-root "
                            f"test rules out a random walk: ADF {test.statistic:.2f} < {test.critical:.2f}), so later "
                            "values should stay in the range seen in training.", test)
    return TargetChoice(CHANGE, "Predicting the change since the previous step: the training part wanders like a random "
                        f"walk or trends (a unit-root test cannot rule out a random walk: ADF {test.statistic:.2f} ≥ "
                        f"{test.critical:.2f}), so later values may lie outside the range seen in training, where a "
                        "network predicting the level cannot follow.", test)


def drift_is_significant(train: np.ndarray, z: float = 2.5) -> bool:
    """The mean change per step differs from 0 by more than `z` standard errors (a trend, not a drift-less walk)."""
    d = np.diff(np.asarray(train, dtype=np.float64))
    if len(d) == 0:
        return False
    sd = float(np.std(d))
    if sd == 0:
        return bool(np.mean(d) != 0)  # a straight line
    return len(d) >= 10 and abs(float(np.mean(d))) > z * sd / np.sqrt(len(d))
