"""Chronological split, train-only scaling and windowing of a univariate series.

Time series must never leak the future into training: the split is by time, the
scaler sees only the training part, and every target of a split lies inside it
(its input windows may reach back into the earlier part, which is the past).

The network can model the level itself or the change since the previous step
(`target="change"`: differencing). Changes stay in the range seen in training even
when the level trends out of it, which a tanh network cannot follow.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

LEVEL, CHANGE = "level", "change"
TARGETS = (LEVEL, CHANGE)


@dataclass(frozen=True)
class Scaler:
    """z-score scaling fitted on the training part only."""

    mean: float
    std: float

    @classmethod
    def fit(cls, values: np.ndarray) -> "Scaler":
        values = np.asarray(values, dtype=np.float64)
        if values.size == 0:
            return cls(0.0, 1.0)
        # Divide by the largest magnitude first, so values near 1e300 do not overflow their squares.
        big = float(np.max(np.abs(values)))
        unit = big if np.isfinite(big) and big > 0 else 1.0
        mean = float(np.mean(values / unit)) * unit
        std = float(np.std(values / unit)) * unit
        return cls(mean, std if std > 1e-12 * max(unit, 1e-300) and std > 0 else 1.0)

    def transform(self, values: np.ndarray) -> np.ndarray:
        return (np.asarray(values, dtype=np.float64) - self.mean) / self.std

    def inverse(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=np.float64) * self.std + self.mean


@dataclass(frozen=True)
class Split:
    """Index boundaries: train is [0, val_start), validation [val_start, test_start), test [test_start, n)."""

    n: int
    val_start: int
    test_start: int


def chronological_split(n: int, val_fraction: float, test_fraction: float) -> Split:
    """Split n time steps into consecutive train / validation / test parts."""
    if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ValueError("validation and test fractions must be in [0, 1) and sum below 1")
    n_test = int(round(n * test_fraction))
    n_val = int(round(n * val_fraction))
    return Split(n=n, val_start=n - n_test - n_val, test_start=n - n_test)


def window_starts(window: int, horizon: int, targets_from: int, targets_to: int) -> np.ndarray:
    """First-target indices s of every window (values[s-window:s] → values[s:s+horizon]) inside the bounds."""
    return np.arange(max(targets_from, window), targets_to - horizon + 1)


def make_windows(values: np.ndarray, window: int, horizon: int = 1,
                 targets_from: int = 0, targets_to: int | None = None,
                 starts: Optional[np.ndarray] = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Samples (window → next `horizon` values) whose targets start in [targets_from, targets_to).

    `starts` picks a subset of those first-target indices (a sample of a long series).
    Returns X (n, window, 1), Y (n, horizon) and the index of each sample's first target.
    """
    values = np.asarray(values, dtype=np.float64)
    end = len(values) if targets_to is None else targets_to
    if starts is None:
        starts = window_starts(window, horizon, targets_from, end)
    starts = np.asarray(starts, dtype=np.int64)
    if len(starts) == 0:
        return (np.zeros((0, window, 1), np.float32), np.zeros((0, horizon), np.float32),
                np.zeros(0, dtype=np.int64))
    # Views, not copies, so a long series only materialises the windows asked for.
    view = np.lib.stride_tricks.sliding_window_view(values.astype(np.float32), window + horizon)
    rows = view[starts - window]
    return np.ascontiguousarray(rows[:, :window, None]), np.ascontiguousarray(rows[:, window:]), starts


def sample_starts(starts: np.ndarray, limit: Optional[int], seed: int = 0, spread: bool = False) -> np.ndarray:
    """At most `limit` of `starts`: drawn at random (training), or evenly spaced (`spread`, validation)."""
    if limit is None or len(starts) <= limit:
        return starts
    if spread:
        return starts[np.unique(np.linspace(0, len(starts) - 1, limit).round().astype(int))]
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(starts, size=limit, replace=False))


def modelled_series(values: np.ndarray, target: str) -> np.ndarray:
    """What the network reads and predicts: the levels, or the changes d[t] = v[t] − v[t−1] (d[0] = 0)."""
    values = np.asarray(values, dtype=np.float64)
    if target == LEVEL:
        return values
    if target == CHANGE:
        return np.concatenate([[0.0], np.diff(values)])
    raise ValueError(f"unknown target {target!r}: choose one of {', '.join(TARGETS)}")


@dataclass(frozen=True)
class SeriesDataset:
    """A windowed, scaled series ready for `model.fit`, plus what is needed to get levels back."""

    values: np.ndarray  # the raw series, original units
    split: Split
    scaler: Scaler  # fitted on the training part of what the model reads (levels or changes)
    window: int
    horizon: int
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    t_train: np.ndarray  # index of each sample's first target
    t_val: np.ndarray
    t_test: np.ndarray
    target: str = LEVEL
    n_train_windows: int = 0  # before sampling: how many windows the training part holds
    n_val_windows: int = 0

    @property
    def modelled(self) -> np.ndarray:
        """The unscaled series the network reads (levels, or changes since the previous step)."""
        return modelled_series(self.values, self.target)

    def to_levels(self, outputs: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Network outputs (n, horizon, scaled) for first targets `t` → predicted levels (n, horizon).

        A change model's outputs add up from the last value before each target.
        """
        out = self.scaler.inverse(np.asarray(outputs, dtype=np.float64).reshape(len(t), -1))
        if self.target == LEVEL:
            return out
        return self.values[np.asarray(t, dtype=int) - 1][:, None] + np.cumsum(out, axis=1)

    def future_levels(self, outputs: np.ndarray) -> np.ndarray:
        """Scaled outputs fed back past the end of the data → the forecast levels."""
        out = self.scaler.inverse(np.asarray(outputs, dtype=np.float64).ravel())
        return out if self.target == LEVEL else self.values[-1] + np.cumsum(out)


class SeriesTooShort(ValueError):
    """The series cannot give every split at least one window."""


def first_target(window: int, target: str = LEVEL) -> int:
    """The earliest index a window can predict: a change model reads `window` changes, so one more value."""
    return window + (1 if target == CHANGE else 0)


def prepare_series(values: np.ndarray, window: int, horizon: int = 1,
                   val_fraction: float = 0.15, test_fraction: float = 0.15, target: str = LEVEL,
                   max_train_windows: Optional[int] = None, max_val_windows: Optional[int] = None,
                   seed: int = 0) -> SeriesDataset:
    """Split by time, scale on the training part, and window each part.

    A long series can be sampled: at most `max_train_windows` training windows drawn at
    random and `max_val_windows` validation windows spread evenly; the test part is
    always scored whole.
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    if window < 1 or horizon < 1:
        raise ValueError("window and horizon must be at least 1")
    if not np.all(np.isfinite(values)):
        raise ValueError("the series has missing or infinite values")
    series = modelled_series(values, target)
    split = chronological_split(len(values), val_fraction, test_fraction)
    first = first_target(window, target)
    if split.val_start < first + horizon:
        raise SeriesTooShort(
            f"The series has {len(values)} points: too few for a window of {window} "
            f"and a horizon of {horizon} with this split (the training part needs at least "
            f"{first + horizon} points).")
    lo = 1 if target == CHANGE else 0
    scaler = Scaler.fit(series[lo:split.val_start])
    scaled = scaler.transform(series)
    parts, totals = {}, {}
    bounds = {"train": (0, split.val_start), "val": (split.val_start, split.test_start),
              "test": (split.test_start, split.n)}
    limits = {"train": (max_train_windows, False), "val": (max_val_windows, True), "test": (None, False)}
    for name, (a, b) in bounds.items():
        starts = window_starts(first, horizon, a, b)
        totals[name] = len(starts)
        limit, spread = limits[name]
        parts[name] = make_windows(scaled, window, horizon, starts=sample_starts(starts, limit, seed, spread))
        if len(parts[name][0]) == 0 and b > a:
            raise SeriesTooShort(
                f"The {name} part ({b - a} points) is shorter than the horizon of {horizon}.")
    return SeriesDataset(
        values=values, split=split, scaler=scaler, window=window, horizon=horizon,
        x_train=parts["train"][0], y_train=parts["train"][1], t_train=parts["train"][2],
        x_val=parts["val"][0], y_val=parts["val"][1], t_val=parts["val"][2],
        x_test=parts["test"][0], y_test=parts["test"][1], t_test=parts["test"][2],
        target=target, n_train_windows=totals["train"], n_val_windows=totals["val"],
    )
