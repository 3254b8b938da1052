"""Forecasts of a trained series model, naive baselines, metrics and an honest verdict.

A network only earns its keep when it beats forecasts that need no learning: the
last value (persistence), the value one season ago, and the mean of the input
window. Everything here is in the series' own units (the scaling is undone), and
the test targets are the same for the model and the baselines.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

import numpy as np

from explorer.data.windows import SeriesDataset

PERSISTENCE, SEASONAL, MOVING_AVERAGE = "last value", "seasonal naive", "moving average"


@dataclass(frozen=True)
class Predictions:
    """One-step-ahead predictions on a split: target index, truth and prediction (original units)."""

    t: np.ndarray
    truth: np.ndarray
    pred: np.ndarray


def _predict(model, x: np.ndarray, batch: int = 4096) -> np.ndarray:
    """Model outputs for many windows, (n, outputs); fast path without `predict`'s overhead."""
    if len(x) == 0:
        return np.zeros((0, 1))
    outs = [np.asarray(model.predict_on_batch(x[i:i + batch])) for i in range(0, len(x), batch)]
    return np.concatenate(outs).reshape(len(x), -1).astype(np.float64)


def one_step_predictions(model, ds: SeriesDataset, part: str = "test") -> Predictions:
    """The model's next-value prediction for every window of `part` ('train', 'val', 'test')."""
    x, t = getattr(ds, f"x_{part}"), getattr(ds, f"t_{part}")
    pred = ds.scaler.inverse(_predict(model, x)[:, 0]) if len(x) else np.zeros(0)
    return Predictions(t=np.asarray(t), truth=ds.values[np.asarray(t, dtype=int)], pred=pred)


def autoregressive_forecast(model, ds: SeriesDataset, steps: int) -> np.ndarray:
    """Forecast `steps` values past the end: each prediction is fed back as the next input.

    A model with several outputs (direct horizon h) contributes h values per call.
    Errors compound: the further out, the less the forecast can be trusted.
    """
    if steps < 1:
        return np.zeros(0)
    window = list(ds.scaler.transform(ds.values[-ds.window:]))
    out: list[float] = []
    while len(out) < steps:
        x = np.asarray(window[-ds.window:], dtype=np.float32)[None, :, None]
        y = np.asarray(model.predict_on_batch(x), dtype=np.float64).ravel()
        if not np.all(np.isfinite(y)):
            out.extend([float("nan")] * (steps - len(out)))
            break
        out.extend(y.tolist())
        window.extend(y.tolist())
    return ds.scaler.inverse(np.asarray(out[:steps]))


def seasonal_period(values: np.ndarray, min_period: int = 2, max_period: Optional[int] = None,
                    threshold: float = 0.3) -> Optional[int]:
    """The lag of the highest autocorrelation peak (after it first turns negative), or None.

    Returns None for series without a clear cycle (e.g. a random walk, whose
    autocorrelation only decays) or when the peak is below `threshold`.
    """
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


def metrics_table(truth: np.ndarray, preds: Mapping[str, np.ndarray]) -> list[dict]:
    """Rows {name, mse, mae} for each named forecast of the same targets, in the given order."""
    return [{"name": name, "mse": mse(truth, p), "mae": mae(truth, p)} for name, p in preds.items()]


def _times(ratio: float) -> str:
    return f"{ratio:,.0f}×" if ratio >= 10 else f"{ratio:.2g}×"


@dataclass(frozen=True)
class Verdict:
    """Whether the model beats the best naive baseline on the test part, and a sentence saying so."""

    beats: bool
    model_mse: float
    best_baseline: str
    baseline_mse: float
    text: str


def verdict(rows: list[dict], model_name: str, margin: float = 0.05) -> Verdict:
    """Compare the model's test MSE with the best baseline's; 'beats' needs a `margin` (5%) lead.

    A tie or a loss is said plainly: if a baseline that learns nothing is as good,
    the network has not learned anything useful beyond it.
    """
    by_name = {r["name"]: r for r in rows}
    model = by_name[model_name]
    base = [r for r in rows if r["name"] != model_name and np.isfinite(r["mse"])]
    if not np.isfinite(model["mse"]):
        return Verdict(False, model["mse"], "", float("nan"),
                       "The model's predictions are not finite numbers, so it does not beat any baseline.")
    if not base:
        return Verdict(False, model["mse"], "", float("nan"), "There is no baseline to compare with.")
    best = min(base, key=lambda r: r["mse"])
    m, b = model["mse"], best["mse"]
    beats = m < (1 - margin) * b
    scale = float(np.mean([r["mse"] for r in base if r["name"] == PERSISTENCE] or [b]))
    if b <= 1e-12 * max(scale, 1e-300) or b < 1e-300:
        text = (f"The {best['name']} baseline predicts the test part essentially perfectly "
                f"(MSE {b:.2g}): the series repeats itself exactly, so no model can beat that rule "
                f"(the {model_name}'s test MSE is {m:.4g}).")
        return Verdict(False, m, best["name"], b, text + _also_beats(by_name, best["name"], m, margin))
    if beats:
        text = (f"The {model_name} beats the best naive baseline ({best['name']}): its test MSE is "
                f"{m:.4g} against {b:.4g}, {100 * (1 - m / b):.0f}% lower.")
    elif m <= b * (1 + margin):
        text = (f"The {model_name} does not clearly beat the {best['name']} baseline: their test MSEs "
                f"are within {100 * margin:.0f}% ({m:.4g} against {b:.4g}), so it has learned little "
                f"beyond that rule.")
    else:
        text = (f"The {model_name} does NOT beat the {best['name']} baseline: its test MSE is "
                f"{_times(m / b)} larger ({m:.4g} against {b:.4g}). A rule that learns nothing forecasts "
                f"this series better; train longer, change the set-up, or accept that the series "
                f"may be close to unpredictable.")
    return Verdict(beats, m, best["name"], b, text + ("" if beats else _also_beats(by_name, best["name"], m, margin)))


def _also_beats(by_name: dict, best: str, m: float, margin: float) -> str:
    """When losing to a cleverer baseline, say whether the model at least beats the last value."""
    last = by_name.get(PERSISTENCE)
    if best == PERSISTENCE or last is None or not np.isfinite(last["mse"]):
        return ""
    if m < (1 - margin) * last["mse"]:
        return f" It does beat the last-value baseline (MSE {last['mse']:.4g})."
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


def evaluate(model, ds: SeriesDataset, model_name: str, steps: int,
             period: Optional[int] = None) -> Evaluation:
    """Predict the test part, score the model against the baselines, and forecast `steps` ahead.

    The seasonal period is estimated on the training part only, unless given.
    """
    preds = one_step_predictions(model, ds, "test")
    if period is None:
        period = seasonal_period(ds.values[:ds.split.val_start])
    baselines = baseline_predictions(ds.values, preds.t, ds.window, period)
    rows = metrics_table(preds.truth, {model_name: preds.pred, **baselines})
    return Evaluation(
        predictions=preds, baselines=baselines, rows=rows, verdict=verdict(rows, model_name),
        period=period, forecast=autoregressive_forecast(model, ds, steps),
        forecast_baselines=baseline_forecast(ds.values, steps, ds.window, period),
    )
