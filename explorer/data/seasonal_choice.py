"""Should the network see the series with its season removed, or on a log scale? Decided on training and validation.

`stationarity.choose_target` decides between the level and the change since the previous
step (a tanh network cannot leave the range it was trained on). A seasonal series asks two
more questions:

- **Seasonal change** y_t − y_{t−s}: the season is removed before the network sees the
  series (what "same month last year" already knows, the network need not learn), as
  forecasting practice does (the M4 winner, ES-RNN, deseasonalised before its LSTM). It is
  measured against the plain form, one step ahead in the series' own units on the training
  and validation parts, by where a network of each form starts: "same as one season before"
  against "same as the step before, plus the drift" (a change model's naive rules: with the
  untrained model a candidate on validation, training only moves away from them where that
  helps). A level model starts from nothing, so the level is scored by a linear
  autoregression on the window, fitted on the earlier part and scored on the later training
  part and on the validation part (two folds, so a short validation part does not decide
  alone). A linear fit of the changes would credit the change form with a season that a
  small network mostly did not learn in development runs. The seasonal form is kept unless the plain one errs clearly less
  (`MARGIN`).
- **Log**: when the swings (within each season) grow with the level, a season of fixed
  shape in relative terms is a season of fixed size in logs. Measured as the slope of the
  log spread of each season against its log level over the training part. Without a season
  the log is taken only for growth (a clear drift), not for a random walk.

The test part is never read, but for the sign of its values: a log needs every value above 0.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from explorer.data import transforms
from explorer.data.stationarity import drift_is_significant
from explorer.data.transforms import CHANGE, LEVEL, LOG_CHANGE, LOG_SEASONAL, SEASONAL
from explorer.data.windows import drift_is_clear

MARGIN = 0.1  # the plain form must err 10 % less than the seasonal one to be kept instead
MAX_ROWS = 5_000  # windows per fit: enough for a linear model, fast on a two-million-row series
MIN_SLOPE, MIN_RATIO = 0.5, 1.5  # log when the spread grows at least half as fast as the level, over a 1.5× range


@dataclass(frozen=True)
class Growth:
    """How the training part's swings scale with its level: slope of log spread on log level across seasons."""

    slope: float
    ratio: float  # highest season's mean level over the lowest's

    @property
    def multiplicative(self) -> bool:
        return self.slope >= MIN_SLOPE and self.ratio >= MIN_RATIO


def swings_grow(train: np.ndarray, block: int) -> Optional[Growth]:
    """Split the training part into blocks of `block` steps (a season); the spread of each block around its
    own straight line against its mean level, on log scales. None when not positive or fewer than 4 blocks."""
    train = np.asarray(train, dtype=np.float64)
    n = len(train) // block
    if block < 2 or n < 4 or not np.all(train > 0):
        return None
    blocks = train[len(train) - n * block:].reshape(n, block)
    t = np.arange(block) - (block - 1) / 2
    slope = blocks @ t / (t @ t)
    resid = blocks - blocks.mean(axis=1, keepdims=True) - slope[:, None] * t
    spread, level = resid.std(axis=1), blocks.mean(axis=1)
    if np.any(spread <= 0):
        return None
    b = np.polyfit(np.log(level), np.log(spread), 1)[0]
    return Growth(float(b), float(level.max() / level.min()))


def _rows(modelled: np.ndarray, window: int, targets: np.ndarray) -> np.ndarray:
    view = np.lib.stride_tricks.sliding_window_view(modelled, window)
    return view[targets - window]


def linear_error(values: np.ndarray, target: str, period: Optional[int], window: int, fit_to: int,
                 score_from: int, score_to: int) -> Optional[float]:
    """Mean squared one-step error, in the series' own units, of a ridge autoregression on windows of the
    modelled series fitted on targets before `fit_to` and scored on targets in [score_from, score_to)."""
    lag = transforms.lag_of(target, period)
    first = window + lag
    fit_targets = np.arange(first, fit_to)[-MAX_ROWS:]
    score = np.arange(max(score_from, first), score_to)
    if len(fit_targets) < window + 10 or len(score) == 0 or score_from < first:
        return None
    if len(score) > MAX_ROWS:
        score = score[np.linspace(0, len(score) - 1, MAX_ROWS).astype(int)]
    m = transforms.to_modelled(values[:score_to], target, period)
    mean, sd = float(m[lag:fit_to].mean()), float(m[lag:fit_to].std()) or 1.0
    z = (m - mean) / sd
    X = np.column_stack([_rows(z, window, fit_targets), np.ones(len(fit_targets))])
    ridge = 1e-2 * len(fit_targets) * np.eye(X.shape[1])
    ridge[-1, -1] = 0.0
    coef = np.linalg.solve(X.T @ X + ridge, X.T @ z[fit_targets])
    pred = np.column_stack([_rows(z, window, score), np.ones(len(score))]) @ coef
    levels = transforms.from_modelled(values, score, (pred * sd + mean)[:, None], target, period)[:, 0]
    err = float(np.mean((values[score] - levels) ** 2))
    return err if np.isfinite(err) else None


def naive_error(values: np.ndarray, target: str, period: Optional[int], fit_to: int, score_from: int,
                score_to: int) -> float:
    """Mean squared one-step error of the form's own naive rule, the value `lag` steps back plus the training
    part's drift where it is clear (`windows.drift_is_clear`): where an untrained change model starts
    (`series_run.start_near_no_change`)."""
    lag = transforms.lag_of(target, period)
    m = transforms.to_modelled(values[:score_to], target, period)
    drift = float(m[lag:fit_to].mean()) if drift_is_clear(m[lag:fit_to], lag) else 0.0
    t = np.arange(score_from, score_to)
    levels = transforms.from_modelled(values, t, np.full((len(t), 1), drift), target, period)[:, 0]
    return float(np.mean((values[t] - levels) ** 2))


def held_out_error(values: np.ndarray, target: str, period: Optional[int], window: int, val_start: int,
                   test_start: int, score_from: int) -> Optional[float]:
    """What a network of this form can be counted on to err one step ahead, on the training and validation
    targets from `score_from` on. A change form: its naive rule's error, where an untrained model of that form
    starts (and, trained with `keep_start`, never ends worse on validation). The level, where a network starts
    from nothing: a linear autoregression's over two folds (the last third of the training part, fitted before
    it, and the validation part)."""
    if target != LEVEL:
        return naive_error(values, target, period, val_start, score_from, test_start)
    cut = val_start - max(1, (val_start - window) // 3)
    folds = [linear_error(values, target, period, window, cut, cut, val_start),
             linear_error(values, target, period, window, val_start, val_start, test_start)]
    return None if any(e is None for e in folds) else float(np.mean(folds))


@dataclass(frozen=True)
class SeasonalVerdict:
    """The form chosen, the plain form it was measured against, and the figures for the sentence."""

    target: str
    plain: str
    ratio: Optional[float]  # held-out error of the chosen seasonal form over the plain one's
    growth: Optional[Growth]


def choose_form(values: np.ndarray, plain: str, period: Optional[int], window: int, val_start: int,
                test_start: int, calendar: bool = True) -> SeasonalVerdict:
    """`plain` (the level or the change), or its seasonal and log forms where they are measured to help.

    `calendar`: the period is the calendar's (months in a year), so the season repeats exactly and the
    seasonal form is kept unless the plain one errs clearly less. A period found in the values alone may
    be a cycle that drifts (the sunspots' 10 to 12 years): the seasonal form must then err clearly less."""
    values = np.asarray(values, dtype=np.float64)
    train = values[:val_start]
    growth = swings_grow(train, period or max(window, 12)) if plain == CHANGE else None
    log = growth is not None and growth.multiplicative and bool(np.all(values > 0))
    # Without a season, relative changes only for growth (a clear drift): a random walk's swings grow with its
    # level too, but a log scale then turns a forecast's small bias into compound growth.
    base = LOG_CHANGE if log and drift_is_significant(np.log(train)) else plain
    if not period or period < 2:
        return SeasonalVerdict(base, plain, None, growth)
    seasonal = LOG_SEASONAL if log else SEASONAL
    score_from = window + period  # the first target both forms can predict
    if score_from + 2 * period > test_start:
        return SeasonalVerdict(base, plain, None, growth)  # too short to tell the forms apart
    e_base = held_out_error(values, base, period, window, val_start, test_start, score_from)
    e_season = held_out_error(values, seasonal, period, window, val_start, test_start, score_from)
    if e_base is None or e_season is None or e_base <= 0:
        return SeasonalVerdict(base, plain, None, growth)
    ratio = e_season / e_base
    return SeasonalVerdict(seasonal if ratio < (1 + MARGIN if calendar else 1 - MARGIN) else base, plain, ratio, growth)
