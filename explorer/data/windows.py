"""Chronological split, train-only scaling and windowing of a univariate series.

Time series must never leak the future into training: the split is by time, the
scaler sees only the training part, and every target of a split lies inside it
(its input windows may reach back into the earlier part, which is the past).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Scaler:
    """z-score scaling fitted on the training part only."""

    mean: float
    std: float

    @classmethod
    def fit(cls, values: np.ndarray) -> "Scaler":
        values = np.asarray(values, dtype=np.float64)
        std = float(np.std(values))
        return cls(float(np.mean(values)), std if std > 1e-12 else 1.0)

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


def make_windows(values: np.ndarray, window: int, horizon: int = 1,
                 targets_from: int = 0, targets_to: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Samples (window → next `horizon` values) whose targets start in [targets_from, targets_to).

    Returns X (n, window, 1), Y (n, horizon) and the index of each sample's first target.
    """
    values = np.asarray(values, dtype=np.float64)
    end = len(values) if targets_to is None else targets_to
    first = max(targets_from, window)
    starts = np.arange(first, end - horizon + 1)
    if len(starts) == 0:
        return (np.zeros((0, window, 1), np.float32), np.zeros((0, horizon), np.float32),
                np.zeros(0, dtype=np.int64))
    X = np.stack([values[s - window:s] for s in starts])[..., None]
    Y = np.stack([values[s:s + horizon] for s in starts])
    return X.astype(np.float32), Y.astype(np.float32), starts


@dataclass(frozen=True)
class SeriesDataset:
    """A windowed, scaled series ready for `model.fit`, plus what is needed to undo the scaling."""

    values: np.ndarray  # the raw series, original units
    split: Split
    scaler: Scaler
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


class SeriesTooShort(ValueError):
    """The series cannot give every split at least one window."""


def prepare_series(values: np.ndarray, window: int, horizon: int = 1,
                   val_fraction: float = 0.15, test_fraction: float = 0.15) -> SeriesDataset:
    """Split by time, scale on the training part, and window each part."""
    values = np.asarray(values, dtype=np.float64).ravel()
    if window < 1 or horizon < 1:
        raise ValueError("window and horizon must be at least 1")
    if not np.all(np.isfinite(values)):
        raise ValueError("the series has missing or infinite values")
    split = chronological_split(len(values), val_fraction, test_fraction)
    if split.val_start < window + horizon:
        raise SeriesTooShort(
            f"The series has {len(values)} points: too few for a window of {window} "
            f"and a horizon of {horizon} with this split (the training part needs at least "
            f"{window + horizon} points)."
        )
    scaler = Scaler.fit(values[:split.val_start])
    scaled = scaler.transform(values)
    parts = {}
    bounds = {"train": (0, split.val_start), "val": (split.val_start, split.test_start),
              "test": (split.test_start, split.n)}
    for name, (lo, hi) in bounds.items():
        parts[name] = make_windows(scaled, window, horizon, lo, hi)
        if len(parts[name][0]) == 0 and hi > lo:
            raise SeriesTooShort(
                f"The {name} part ({hi - lo} points) is shorter than the horizon of {horizon}.")
    return SeriesDataset(
        values=values, split=split, scaler=scaler, window=window, horizon=horizon,
        x_train=parts["train"][0], y_train=parts["train"][1], t_train=parts["train"][2],
        x_val=parts["val"][0], y_val=parts["val"][1], t_val=parts["val"][2],
        x_test=parts["test"][0], y_test=parts["test"][1], t_test=parts["test"][2],
    )
