"""What the network reads and predicts instead of the raw series, and the way back: small pure functions.

Forecasting practice rarely feeds a network the raw level: a trend or a random walk leaves
the range seen in training (a tanh network cannot follow), a season makes the network spend
its capacity on a pattern that "the same month last year" already gives, and a season whose
swings grow with the level changes its size as the series grows. So a series is modelled as

- the **level** y_t itself;
- the **change** since the previous step, y_t − y_{t−1} (differencing);
- the **seasonal change** since the same point one season before, y_t − y_{t−s} (seasonal differencing);
- either change of **log** y_t, where the season's swings grow with the level (relative changes).

Each target is a log flag and a lag (0, 1 or the season s). Forward: `log_values` then
`difference`; back: `undifference` then `exp_values`. Every step here is a plain NumPy function
of arrays, so a generated script can spell out the same transform.
"""
from __future__ import annotations

import numpy as np

LEVEL, CHANGE, SEASONAL, LOG_CHANGE, LOG_SEASONAL = "level", "change", "seasonal", "log_change", "log_seasonal"
TARGETS = (LEVEL, CHANGE, SEASONAL, LOG_CHANGE, LOG_SEASONAL)
TARGET_WORDS = {LEVEL: "the level", CHANGE: "the change since the previous step",
                SEASONAL: "the change since the same point one season before",
                LOG_CHANGE: "the relative change since the previous step (the change of the log)",
                LOG_SEASONAL: "the relative change since the same point one season before (on a log scale)"}


def target_words(target: str, period: int | None = None) -> str:
    """What a target predicts, in words, with the season's length when it has one."""
    words = TARGET_WORDS[target]
    if period and target in (SEASONAL, LOG_SEASONAL):
        words = words.replace("one season before", f"one season ({period} steps) before")
    return words


def is_log(target: str) -> bool:
    """Whether `target` models the logarithm of the series (relative changes)."""
    _check(target)
    return target in (LOG_CHANGE, LOG_SEASONAL)


def lag_of(target: str, period: int | None = None) -> int:
    """How many steps back a target's difference reaches: 0 (level), 1 (change) or the seasonal `period`."""
    _check(target)
    if target in (SEASONAL, LOG_SEASONAL):
        if not period or period < 2:
            raise ValueError("predicting the seasonal change needs a seasonal period of at least 2 steps, and none "
                             "was found in the training part: choose another “Predict” setting")
        return int(period)
    return 0 if target == LEVEL else 1


def _check(target: str) -> None:
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}: choose one of {', '.join(TARGETS)}")


def log_values(values: np.ndarray) -> np.ndarray:
    """The natural log of a positive series (its changes are relative changes)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size and not np.all(values > 0):
        raise ValueError("a log scale needs every value above 0, and this series has values at or below 0: "
                         "choose a “Predict” setting without log")
    return np.log(values)


def exp_values(values: np.ndarray) -> np.ndarray:
    """Back from the log scale."""
    return np.exp(np.asarray(values, dtype=np.float64))


def difference(values: np.ndarray, lag: int) -> np.ndarray:
    """d[t] = v[t] − v[t−lag] (the first `lag` entries are 0: nothing to subtract); `lag` 0 returns v."""
    values = np.asarray(values, dtype=np.float64)
    if lag == 0:
        return values
    out = np.zeros_like(values)
    out[lag:] = values[lag:] - values[:-lag]
    return out


def undifference(history: np.ndarray, t: np.ndarray, predicted: np.ndarray, lag: int) -> np.ndarray:
    """Levels from predicted differences: row i predicts d[t_i], d[t_i+1], … (n, h), given the true
    `history` before each t_i. A step that reaches back to a predicted step adds onto that prediction."""
    predicted = np.asarray(predicted, dtype=np.float64)
    if lag == 0:
        return predicted
    history = np.asarray(history, dtype=np.float64)
    t = np.asarray(t, dtype=np.int64)
    out = np.empty_like(predicted)
    for k in range(predicted.shape[1]):
        before = out[:, k - lag] if k >= lag else history[t + k - lag]
        out[:, k] = before + predicted[:, k]
    return out


def to_modelled(values: np.ndarray, target: str, period: int | None = None) -> np.ndarray:
    """The series as the network reads it: log (if the target says so), then differenced at the target's lag."""
    base = log_values(values) if is_log(target) else np.asarray(values, dtype=np.float64)
    return difference(base, lag_of(target, period))


def from_modelled(values: np.ndarray, t: np.ndarray, predicted: np.ndarray, target: str,
                  period: int | None = None) -> np.ndarray:
    """Predicted modelled values (n, h) for first targets `t` → the series' own levels (n, h)."""
    log = is_log(target)
    base = log_values(values) if log else np.asarray(values, dtype=np.float64)
    levels = undifference(base, t, predicted, lag_of(target, period))
    return exp_values(levels) if log else levels
