"""Chronological split, train-only scaling and windowing of a univariate series.

Time series must never leak the future into training: the split is by time, the
scaler sees only the training part, and every target of a split lies inside it
(its input windows may reach back into the earlier part, which is the past).

The network can model the level itself, the change since the previous step, the change
since one season before, or those changes of the log (`explorer.data.transforms`). Changes
stay in the range seen in training even when the level trends out of it, which a tanh
network cannot follow.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from explorer.data import transforms
from explorer.data.transforms import CHANGE, LEVEL, TARGETS  # noqa: F401  (the names callers import from here)


@dataclass(frozen=True)
class Scaler:
    """z-score scaling fitted on the training part only."""

    mean: float
    std: float

    @classmethod
    def fit(cls, values: np.ndarray, centre: bool = True) -> "Scaler":
        """Mean and standard deviation of `values`; with `centre=False` the mean is 0 and the spread is taken around 0."""
        values = np.asarray(values, dtype=np.float64)
        if values.size == 0:
            return cls(0.0, 1.0)
        # Divide by the largest magnitude first, so values near 1e300 do not overflow their squares.
        big = float(np.max(np.abs(values)))
        unit = big if np.isfinite(big) and big > 0 else 1.0
        mean = float(np.mean(values / unit)) * unit if centre else 0.0
        std = float(np.sqrt(np.mean((values / unit - mean / unit) ** 2))) * unit
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


def modelled_series(values: np.ndarray, target: str, period: Optional[int] = None) -> np.ndarray:
    """What the network reads and predicts: the levels, or their changes at the target's lag (the first lag
    entries are 0), of the log where the target says so (`explorer.data.transforms.to_modelled`)."""
    return transforms.to_modelled(values, target, period)


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
    period: Optional[int] = None  # the season a seasonal target differences over

    @property
    def lag(self) -> int:
        """How far back the modelled change reaches: 0 (level), 1 (change) or the season."""
        return transforms.lag_of(self.target, self.period)

    @property
    def modelled(self) -> np.ndarray:
        """The unscaled series the network reads (levels, or changes at the target's lag, maybe of the log)."""
        return modelled_series(self.values, self.target, self.period)

    def to_levels(self, outputs: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Network outputs (n, horizon, scaled) for first targets `t` → predicted levels (n, horizon).

        A change model's outputs add onto the value one step (or one season) before each target.
        """
        out = self.scaler.inverse(np.asarray(outputs, dtype=np.float64).reshape(len(t), -1))
        return transforms.from_modelled(self.values, t, out, self.target, self.period)

    def future_levels(self, outputs: np.ndarray) -> np.ndarray:
        """Scaled outputs fed back past the end of the data → the forecast levels."""
        out = self.scaler.inverse(np.asarray(outputs, dtype=np.float64).ravel())
        return transforms.from_modelled(self.values, np.array([len(self.values)]), out[None, :], self.target,
                                        self.period)[0]


def drift_is_clear(changes: np.ndarray, lag: int, z: float = 2.5) -> bool:
    """Whether the training part's mean change is a drift worth starting from (the scaler then centres on it).

    Changes since the previous step: always (many steps average out). Changes since one season before overlap,
    so their mean rests on a few seasons (one year's jump can set it): kept only when the mean change of each
    whole season is clearly one way, `z` standard errors over at least 3 seasons (steady growth), else 0, and
    an untrained model starts at "same as one season before" exactly.
    """
    if lag <= 1:
        return True
    changes = np.asarray(changes, dtype=np.float64)
    k = len(changes) // lag
    if k < 3:
        return False
    seasons = changes[len(changes) - k * lag:].reshape(k, lag).mean(axis=1)
    sd = float(np.std(seasons, ddof=1))
    return abs(float(seasons.mean())) > z * sd / np.sqrt(k) if sd > 0 else bool(seasons.mean() != 0)


class SeriesTooShort(ValueError):
    """The series cannot give every split at least one window."""


def first_target(window: int, target: str = LEVEL, period: Optional[int] = None) -> int:
    """The earliest index a window can predict: a change model reads `window` changes, each reaching `lag` back."""
    return window + transforms.lag_of(target, period)


def prepare_series(values: np.ndarray, window: int, horizon: int = 1,
                   val_fraction: float = 0.15, test_fraction: float = 0.15, target: str = LEVEL,
                   max_train_windows: Optional[int] = None, max_val_windows: Optional[int] = None,
                   seed: int = 0, period: Optional[int] = None) -> SeriesDataset:
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
    series = modelled_series(values, target, period)
    split = chronological_split(len(values), val_fraction, test_fraction)
    first = first_target(window, target, period)
    if split.val_start < first + horizon:
        raise SeriesTooShort(
            f"The series has {len(values)} points: too few for a window of {window} "
            f"and a horizon of {horizon} with this split (the training part needs at least "
            f"{first + horizon} points).")
    lag = transforms.lag_of(target, period)
    scaler = Scaler.fit(series[lag:split.val_start], centre=drift_is_clear(series[lag:split.val_start], lag))
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
        period=period if transforms.lag_of(target, period) > 1 else None,
    )
