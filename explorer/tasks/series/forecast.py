"""Forecasts of a trained series model, naive baselines, metrics and an honest verdict.

A network only earns its keep when it beats forecasts that need no learning: the
last value (persistence), the value one season ago, and the mean of the input
window. Everything here is in the series' own units (the scaling is undone), and
the test targets are the same for the model and the baselines. Besides MSE and MAE,
forecasting's own scale-free measures: MASE (the mean absolute error over the one the
seasonal-naive rule made on the training part; below 1 beats that rule's in-sample
error, on a series of any scale) and sMAPE (the symmetric mean absolute percentage error).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

import numpy as np

from explorer.data import calendar, stationarity, transforms
from explorer.data.numbers import fmt, times
from explorer.data.windows import LEVEL, SeriesDataset
from explorer.nn.predict import predict_in_batches

PERSISTENCE, SEASONAL, MOVING_AVERAGE = "last value", "seasonal naive", "moving average"


@dataclass(frozen=True)
class Predictions:
    """One-step-ahead predictions on a split: target index, truth and prediction (original units)."""

    t: np.ndarray
    truth: np.ndarray
    pred: np.ndarray


def _predict(model, x: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    """Model outputs for many windows, (n, outputs); fast path without `predict`'s overhead."""
    if len(x) == 0:
        return np.zeros((0, 1))
    return predict_in_batches(model.predict_on_batch, x, batch_size).astype(np.float64)


def one_step_predictions(model, ds: SeriesDataset, part: str = "test") -> Predictions:
    """The model's next-value prediction for every window of `part` ('train', 'val', 'test')."""
    x, t = getattr(ds, f"x_{part}"), getattr(ds, f"t_{part}")
    pred = ds.to_levels(_predict(model, x), t)[:, 0] if len(x) else np.zeros(0)
    return Predictions(t=np.asarray(t), truth=ds.values[np.asarray(t, dtype=int)], pred=pred)


def autoregressive_forecast(model, ds: SeriesDataset, steps: int) -> np.ndarray:
    """Forecast `steps` values past the end: each prediction is fed back as the next input.

    A model with several outputs (direct horizon h) contributes h values per call.
    Errors compound: the further out, the less the forecast can be trusted.
    """
    if steps < 1:
        return np.zeros(0)
    window = list(ds.scaler.transform(ds.modelled[-ds.window:]))
    out: list[float] = []
    while len(out) < steps:
        x = np.asarray(window[-ds.window:], dtype=np.float32)[None, :, None]
        y = np.asarray(model.predict_on_batch(x), dtype=np.float64).ravel()
        if not np.all(np.isfinite(y)):
            out.extend([float("nan")] * (steps - len(out)))
            break
        out.extend(y.tolist())
        window.extend(y.tolist())
    return ds.future_levels(np.asarray(out[:steps]))


def seasonal_period(values: np.ndarray, min_period: int = 2, max_period: Optional[int] = None,
                    threshold: float = 0.3) -> Optional[int]:
    """The lag of the highest autocorrelation peak (after it first turns negative), or None.

    A trend hides a cycle (the autocorrelation stays positive), so when the series
    itself shows none, its changes d[t] = v[t] − v[t−1] are searched too. Returns None
    for series without a clear cycle (e.g. a random walk, whose changes are noise) or
    when the peak is below `threshold`.
    """
    found = _acf_peak(values, min_period, max_period, threshold)
    if found is None:
        x = np.asarray(values, dtype=np.float64)
        found = _acf_peak(np.diff(x[np.isfinite(x)]), min_period, max_period, threshold)
    return found


def _acf_peak(values: np.ndarray, min_period: int, max_period: Optional[int], threshold: float) -> Optional[int]:
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = len(x)
    max_period = min(n // 2, max_period or n // 2)
    if n < 8 or max_period <= min_period:
        return None
    x = x - x.mean()
    if not np.any(x):
        return None
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spec = np.fft.rfft(x, size)
    acf = np.fft.irfft(spec * np.conj(spec), size)[:max_period + 1]
    acf = acf / acf[0]
    negative = np.flatnonzero(acf < 0)
    if negative.size == 0:
        return None
    start = max(int(negative[0]), min_period)
    peaks = [k for k in range(start + 1, max_period)
             if acf[k] >= acf[k - 1] and acf[k] >= acf[k + 1]]
    if not peaks:
        return None
    best = max(peaks, key=lambda k: acf[k])
    return int(best) if acf[best] >= threshold else None


@dataclass(frozen=True)
class Period:
    """The seasonal period used by the seasonal-naive baseline, and where it came from (for the page)."""

    steps: Optional[int]
    text: str


def find_period(values: np.ndarray, val_start: int, frequency: Optional[calendar.Frequency] = None) -> Period:
    """The seasonal period: from the calendar when the series has dates, else the autocorrelation.

    Only the training part values[:val_start] is looked at.
    """
    train = np.asarray(values, dtype=np.float64)[:val_start]
    if frequency is not None and frequency.periods:
        p = calendar.choose_period(train, frequency.periods)
        if p is not None:
            others = [q for q in frequency.periods if q != p]
            text = (f"seasonal period {p} steps ({frequency.name} data: {p} steps make {frequency.describe(p)})"
                    + (f"; of the calendar's periods ({', '.join(str(q) for q in frequency.periods)}) it is the one "
                       "whose seasonal-naive rule errs least on the training part" if others else ""))
            return Period(p, text)
        return Period(None, f"no seasonal-naive baseline: the training part is shorter than two seasons of "
                            f"{frequency.periods[0]} steps ({frequency.describe(frequency.periods[0])})")
    p = seasonal_period(train)
    if p is not None:
        return Period(p, f"seasonal period {p} steps (autocorrelation of the training part)")
    if frequency is not None and frequency.name == "yearly":
        return Period(None, "yearly data have no seasonal period, so no seasonal-naive baseline")
    return Period(None, "no clear seasonal period in the training part, so no seasonal-naive baseline")


def baseline_predictions(values: np.ndarray, t: np.ndarray, window: int,
                         period: Optional[int] = None) -> dict[str, np.ndarray]:
    """Naive one-step forecasts of values[t] from values before t, one array per baseline.

    last value: values[t-1]; seasonal naive: values[t-period]; moving average: mean of
    the `window` values before t (the same inputs the network sees).
    """
    values = np.asarray(values, dtype=np.float64)
    t = np.asarray(t, dtype=int)
    out = {PERSISTENCE: values[t - 1]}
    if period is not None and len(t) and t.min() - period >= 0:
        out[SEASONAL] = values[t - period]
    csum = np.concatenate([[0.0], np.cumsum(values)])
    start = np.maximum(t - window, 0)
    out[MOVING_AVERAGE] = (csum[t] - csum[start]) / (t - start)
    return out


def baseline_forecast(values: np.ndarray, steps: int, window: int,
                      period: Optional[int] = None) -> dict[str, np.ndarray]:
    """Naive forecasts past the end: repeat the last value, the last season, or the window mean."""
    values = np.asarray(values, dtype=np.float64)
    out = {PERSISTENCE: np.full(steps, values[-1])}
    if period is not None and period <= len(values):
        season = values[-period:]
        out[SEASONAL] = np.resize(season, steps)
    out[MOVING_AVERAGE] = np.full(steps, values[-window:].mean())
    return out


def mse(truth: np.ndarray, pred: np.ndarray) -> float:
    truth, pred = np.asarray(truth, np.float64), np.asarray(pred, np.float64)
    return float(np.mean((truth - pred) ** 2)) if truth.size else float("nan")


def mae(truth: np.ndarray, pred: np.ndarray) -> float:
    truth, pred = np.asarray(truth, np.float64), np.asarray(pred, np.float64)
    return float(np.mean(np.abs(truth - pred))) if truth.size else float("nan")


def smape(truth: np.ndarray, pred: np.ndarray) -> float:
    """Symmetric mean absolute percentage error, 0–200 %: mean of 200·|y − ŷ| / (|y| + |ŷ|) (0 where both are 0)."""
    truth, pred = np.asarray(truth, np.float64), np.asarray(pred, np.float64)
    if not truth.size:
        return float("nan")
    den = np.abs(truth) + np.abs(pred)
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(den > 0, 200.0 * np.abs(truth - pred) / np.where(den > 0, den, 1.0), 0.0)
    return float(np.mean(terms))


def mase_scale(train: np.ndarray, period: Optional[int] = None) -> float:
    """The seasonal-naive rule's mean absolute error on the training part (the last value's without a period):
    what MASE divides by (Hyndman & Koehler, 2006). NaN when the training part is too short or never changes."""
    train = np.asarray(train, dtype=np.float64)
    m = period if period and period < len(train) else 1
    if len(train) <= m:
        return float("nan")
    scale = float(np.mean(np.abs(train[m:] - train[:-m])))
    return scale if scale > 0 else float("nan")


def metrics_table(truth: np.ndarray, preds: Mapping[str, np.ndarray], scale: float = float("nan")) -> list[dict]:
    """Rows {name, mse, mae, mase, smape} for each named forecast of the same targets, in the given order.

    `scale` is MASE's divisor (`mase_scale` of the training part); without it MASE is NaN."""
    return [{"name": name, "mse": mse(truth, p), "mae": mae(truth, p), "mase": mae(truth, p) / scale,
             "smape": smape(truth, p)} for name, p in preds.items()]


@dataclass(frozen=True)
class SeriesFacts:
    """What is known about the series, so a verdict can say what kind it is and what to try."""

    target: str = LEVEL  # what the network predicts (explorer.data.transforms.TARGETS)
    window: int = 10
    period: Optional[int] = None
    random_walk: bool = False  # a unit-root test on the training part cannot rule out a random walk
    trend: bool = False  # the training part drifts: its mean change is clearly not 0
    outside: bool = False  # the test part leaves the range seen in training
    test_variance: float = float("nan")  # variance of the test targets: the error of forecasting their mean
    noise_floor: Optional[float] = None  # σ² of the observation noise, when known: the best any forecast can do


def series_facts(ds: SeriesDataset, period: Optional[int] = None, noise_floor: Optional[float] = None) -> SeriesFacts:
    """Facts for the verdict: the kind of series from its training part, and the spread of the test targets."""
    train = ds.values[:ds.split.val_start]
    test = ds.values[ds.t_test] if len(ds.t_test) else np.zeros(0)
    unit_root = stationarity.adf(train)
    span = float(np.ptp(train)) if len(train) else 0.0
    outside = bool(len(test)) and (test.max() > train.max() + 0.1 * span or test.min() < train.min() - 0.1 * span)
    return SeriesFacts(target=ds.target, window=ds.window, period=period,
                       random_walk=bool(unit_root is not None and not unit_root.random_walk_ruled_out),
                       trend=stationarity.drift_is_significant(train), outside=outside,
                       test_variance=float(np.var(test)) if len(test) else float("nan"), noise_floor=noise_floor)


@dataclass(frozen=True)
class Verdict:
    """Whether the model beats the best naive baseline on the test part, and a sentence saying so."""

    beats: bool
    model_mse: float
    best_baseline: str
    baseline_mse: float
    text: str
    measure: str = "MSE"  # what the comparison used: "MASE" when the rows have it, else "MSE"


def _measure(rows: list[dict]) -> tuple[str, str]:
    """The row key and name the verdict compares by: MASE (scale-free) when every row has a finite one."""
    if all(np.isfinite(r.get("mase", float("nan"))) for r in rows):
        return "mase", "MASE"
    return "mse", "MSE"


def verdict(rows: list[dict], model_name: str, margin: float = 0.05, facts: Optional[SeriesFacts] = None) -> Verdict:
    """Compare the model's test error with the best baseline's; 'beats' needs a `margin` (5%) lead.

    The comparison uses MASE when the rows have it (so series of any scale read alike), else MSE.
    A tie or a loss is said plainly, with what kind of series makes the baseline strong and, only
    where it would help, what to try (from `facts`): if a rule that learns nothing is as good, the
    network has not learned anything useful beyond it.
    """
    facts = facts or SeriesFacts()
    by_name = {r["name"]: r for r in rows}
    model = by_name[model_name]
    base = [r for r in rows if r["name"] != model_name and np.isfinite(r["mse"])]
    if not np.isfinite(model["mse"]):
        return Verdict(False, model["mse"], "", float("nan"),
                       "The model's predictions are not finite numbers, so it does not beat any baseline.")
    if not base:
        return Verdict(False, model["mse"], "", float("nan"), "There is no baseline to compare with.")
    key, label = _measure([model, *base])
    best = min(base, key=lambda r: r[key])
    m, b = model[key], best[key]
    m_mse, b_mse = model["mse"], best["mse"]
    beats = m < (1 - margin) * b
    scale = max([r["mse"] for r in base if r["name"] == PERSISTENCE] + [m_mse])
    if b_mse <= 1e-12 * max(scale, 1e-300) or b_mse < 1e-300:
        text = (f"The {best['name']} baseline predicts the test part essentially perfectly "
                f"(MSE {fmt(b_mse, exact_zero=False)}): the series repeats itself exactly, so no model can beat that "
                f"rule (the {model_name}'s test MSE is {fmt(m_mse)}).")
        return Verdict(False, m_mse, best["name"], b_mse, text + _also_beats(by_name, best["name"], m, margin, key),
                       label)
    mse_too = f"MSE {fmt(m_mse)} against {fmt(b_mse)}" if key != "mse" else ""
    if beats:
        text = (f"The {model_name} beats the best naive baseline ({best['name']}): its test {label} is "
                f"{fmt(m)} against {fmt(b)}, {100 * (1 - m / b):.0f}% lower" + (f" ({mse_too})" if mse_too else "")
                + ".") + _floor(m_mse, facts)
        return Verdict(True, m_mse, best["name"], b_mse, text, label)
    figures = f"{fmt(m)} against {fmt(b)}" + (f"; {mse_too}" if mse_too else "")
    if m <= b * (1 + margin):
        text = (f"The {model_name} does not clearly beat the {best['name']} baseline: their test {label}s "
                f"are within {100 * margin:.0f}% ({figures}), so it has learned little beyond that rule.")
    else:
        text = (f"The {model_name} does NOT beat the {best['name']} baseline: its test {label} is "
                f"{times(m / b)} larger ({figures}).")
    text += " " + _explain(best["name"], b_mse, facts)
    return Verdict(False, m_mse, best["name"], b_mse, text + _also_beats(by_name, best["name"], m, margin, key), label)


def _floor(m: float, facts: SeriesFacts) -> str:
    f = facts.noise_floor
    if not f or not np.isfinite(f):
        return ""
    if m <= f:
        return f" That is at the noise floor σ² = {fmt(f)}, the best any forecast can do."
    return f" The noise floor σ² is {fmt(f)} (the best any forecast can do): the model's error is {times(m / f)} that."


PREDICT_SEASONAL = ("Try predicting the change since one season before (the “Predict” setting): the network then "
                    "starts from this very rule and learns only what it misses.")
PREDICT_CHANGE = ("Try predicting the change since the previous step (the “Predict” setting): a network "
                  "predicting the level cannot go beyond the values it was trained on.")
FROM_LAST_VALUE = ("Try predicting the change since the previous step (the “Predict” setting): the network then "
                   "starts from this very rule instead of from the value one season before.")


def advice(best: str, b: float, facts: SeriesFacts) -> tuple[str, str]:
    """What kind of series lets the `best` rule win, and the one change of set-up that would help ('' if none).

    Only advice that addresses the cause is given: a level model of a trending or wandering series cannot
    leave its training range (predict the change); a season that a rule repeats is removed before the
    network sees it (predict the seasonal change); a seasonal-change model that the last value beats starts
    from the wrong rule (predict the change). More epochs never: training already keeps the epoch that did
    best on the validation part."""
    seasonal = facts.target in (transforms.SEASONAL, transforms.LOG_SEASONAL)
    if np.isfinite(facts.test_variance) and facts.test_variance > 0 and b > 0.9 * facts.test_variance:
        return ("Neither the model nor any rule forecasts the test part much better than its average: the series "
                "moves like noise around its mean there, which nothing can predict step by step."), ""
    wanders = facts.trend or facts.random_walk or facts.outside
    if best == PERSISTENCE:
        beyond = " Its test part wandered beyond the range seen in training." if facts.outside else ""
        if facts.random_walk and not facts.trend:
            kind = ("This series behaves like a random walk (prices often do): each value is the last one plus an "
                    "unpredictable step, so “next = last” is about the best any forecast can do, and a tie is the "
                    "honest best." + beyond)
        elif facts.trend or facts.outside:
            kind = ("This series trends: " + ("the test part lies beyond the range seen in training, " if facts.outside
                                              else "it keeps moving one way, ") + "and “next = last” follows it step by step.")
        else:
            kind = "This series changes slowly from step to step, so the last value is a strong forecast."
        if seasonal:
            return kind, FROM_LAST_VALUE
        return kind, PREDICT_CHANGE if facts.target == LEVEL and wanders else ""
    if best == SEASONAL:
        every = f"every {facts.period} steps" if facts.period else "itself season after season"
        kind = f"This series repeats {every}, so the value one season ago predicts it well."
        if seasonal:
            return kind + (" The model already predicts the change since one season before, starting from that "
                           "rule: the season is most of what the series holds."), ""
        return kind, PREDICT_SEASONAL if facts.period else ""
    return (f"This series is noisy around a slowly moving level, so the average of the last {facts.window} values "
            "predicts it well."), (PREDICT_CHANGE if facts.target == LEVEL and wanders else "")


def _explain(best: str, b: float, facts: SeriesFacts) -> str:
    kind, todo = advice(best, b, facts)
    return f"{kind} {todo}".strip()


def _also_beats(by_name: dict, best: str, m: float, margin: float, key: str = "mse") -> str:
    """When losing to a cleverer baseline, say whether the model at least beats the last value."""
    last = by_name.get(PERSISTENCE)
    if best == PERSISTENCE or last is None or not np.isfinite(last[key]):
        return ""
    if m < (1 - margin) * last[key]:
        return f" It does beat the last-value baseline ({key.upper()} {fmt(last[key])})."
    return ""


@dataclass
class Evaluation:
    """Everything the page shows after training: predictions, baselines, metrics, verdict, forecast."""

    predictions: Predictions
    baselines: dict[str, np.ndarray]
    rows: list[dict]
    verdict: Verdict
    period: Optional[int]
    forecast: np.ndarray
    forecast_baselines: dict[str, np.ndarray]
    facts: Optional[SeriesFacts] = None


def evaluate(model, ds: SeriesDataset, model_name: str, steps: int,
             period: Optional[int] = None, noise_floor: Optional[float] = None) -> Evaluation:
    """Predict the test part, score the model against the baselines, and forecast `steps` ahead.

    The seasonal period is estimated on the training part only, unless given;
    `noise_floor` (σ², when known) is quoted by the verdict.
    """
    preds = one_step_predictions(model, ds, "test")
    if period is None:
        period = seasonal_period(ds.values[:ds.split.val_start])
    baselines = baseline_predictions(ds.values, preds.t, ds.window, period)
    rows = metrics_table(preds.truth, {model_name: preds.pred, **baselines},
                         mase_scale(ds.values[:ds.split.val_start], period))
    facts = series_facts(ds, period, noise_floor)
    return Evaluation(
        predictions=preds, baselines=baselines, rows=rows, verdict=verdict(rows, model_name, facts=facts),
        period=period, forecast=autoregressive_forecast(model, ds, steps),
        forecast_baselines=baseline_forecast(ds.values, steps, ds.window, period), facts=facts,
    )


def scaled_noise_floor(ds: SeriesDataset, noise_var: Optional[float]) -> Optional[float]:
    """σ² in the units of the training loss (the model's scaled targets), for a line on the loss chart.

    One step ahead, a change model's error equals the level's error, so the same σ² holds;
    with several outputs only a level model's floor is known.
    """
    if not noise_var or (ds.horizon > 1 and ds.target != LEVEL):
        return None
    return float(noise_var) / ds.scaler.std ** 2
