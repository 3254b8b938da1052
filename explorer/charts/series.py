"""Figures of the time-series page: the split, predictions, forecast and what is inside the RNN."""
from __future__ import annotations

from typing import Mapping, Optional, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from explorer.charts import common as charts
from explorer.data.windows import Split

BASELINE_DASH = {"last value": "dot", "seasonal naive": "dash", "moving average": "dashdot"}


MAX_POINTS = 4000  # per line: more adds nothing visible and slows the browser


def thin(n: int, max_points: int = MAX_POINTS) -> np.ndarray:
    """Indices of at most `max_points` evenly spaced samples of n, first and last included."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(int))


def _iso(dates: np.ndarray) -> np.ndarray:
    """Dates as ISO text, which plotly.js reads for any year (−6000 too); plotly.py would turn a datetime64
    outside Python's datetime range (before year 1) into a bare integer."""
    return np.datetime_as_string(np.asarray(dates, dtype="datetime64"))


def _x(t: np.ndarray, dates: Optional[np.ndarray]):
    """x values for indices `t`: the dates when the series has them, else the step index."""
    t = np.asarray(t, dtype=int)
    return _iso(dates[t]) if dates is not None else t


def split_preview(values: np.ndarray, split: Split, dates: Optional[np.ndarray] = None,
                  title: str = "The series and its chronological split", y: str = "value") -> go.Figure:
    """The whole series with the train / validation / test parts shaded."""
    t = np.arange(len(values))
    xs = _x(t, dates)
    keep = thin(len(values))
    parts = ((0, split.val_start, "train"), (split.val_start, split.test_start, "validation"),
             (split.test_start, split.n, "test"))
    shade = [(xs[lo], xs[min(hi, split.n - 1)], label) for lo, hi, label in parts if hi > lo]
    return charts.series_lines({"truth": (xs[keep], np.asarray(values)[keep])}, title, x="date" if dates is not None else "t",
                               y=y, shade=shade)


def predictions_chart(t: np.ndarray, truth: np.ndarray, pred: np.ndarray, name: str,
                      baselines: Mapping[str, np.ndarray] = (), dates: Optional[np.ndarray] = None,
                      title: str = "One-step-ahead predictions on the test part", y: str = "value") -> go.Figure:
    """Truth and the model's one-step predictions; baselines dotted (hidden until clicked)."""
    keep = thin(len(t))
    xs = _x(np.asarray(t)[keep], dates)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=xs, y=np.asarray(truth)[keep], mode="lines", name="truth",
                             line=dict(color=charts.COLORS["truth"])))
    fig.add_trace(go.Scatter(x=xs, y=np.asarray(pred)[keep], mode="lines", name=name,
                             line=dict(color=charts.COLORS["pred"])))
    for bname, values in dict(baselines).items():
        fig.add_trace(go.Scatter(x=xs, y=np.asarray(values)[keep], mode="lines", name=bname, visible="legendonly",
                                 line=dict(dash=BASELINE_DASH.get(bname, "dot"), width=1)))
    return charts._layout(fig, title, "date" if dates is not None else "t", y)


def _future_x(n: int, steps: int, dates: Optional[np.ndarray]):
    """x values past the end: the calendar's next dates (months stay months), else the median step."""
    if dates is None or len(dates) < 2:
        return np.arange(n, n + steps)
    recent = pd.DatetimeIndex(dates[-min(len(dates), 50):])
    try:
        freq = pd.infer_freq(recent) if len(recent) >= 3 else None
    except (TypeError, ValueError):
        freq = None
    if freq:
        return pd.date_range(recent[-1], periods=steps + 1, freq=freq)[1:].to_numpy()
    step = np.median(np.diff(dates[-min(len(dates), 50):]))
    return dates[-1] + step * np.arange(1, steps + 1)


def forecast_chart(values: np.ndarray, forecast: np.ndarray, name: str,
                   baselines: Mapping[str, np.ndarray] = (), dates: Optional[np.ndarray] = None,
                   context: int = 200, title: str = "Forecast past the end of the data", y: str = "value") -> go.Figure:
    """The last `context` observed values, then the model's autoregressive forecast and baselines."""
    n = len(values)
    lo = max(0, n - context)
    xs = _x(np.arange(lo, n), dates)
    fx = _future_x(n, len(forecast), dates)
    fx = _iso(fx) if dates is not None else fx
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=xs, y=values[lo:], mode="lines", name="observed",
                             line=dict(color=charts.COLORS["truth"])))
    # Start each forecast line at the last observation so it visibly continues the series.
    join_x = np.concatenate([xs[-1:], fx])
    for bname, vals in dict(baselines).items():
        fig.add_trace(go.Scatter(x=join_x, y=np.concatenate([values[-1:], vals]), mode="lines", name=bname,
                                 line=dict(dash=BASELINE_DASH.get(bname, "dot"), width=1)))
    fig.add_trace(go.Scatter(x=join_x, y=np.concatenate([values[-1:], forecast]), mode="lines",
                             name=f"{name} forecast", line=dict(color=charts.COLORS["pred"], width=2.5)))
    fig.add_vline(x=xs[-1], line_dash="dot", line_color="#888")
    return charts._layout(fig, title, "date" if dates is not None else "t", y)


def hidden_state_heatmap(h: np.ndarray, title: str = "Hidden state h_t (units × timesteps)") -> go.Figure:
    """A window's hidden states, h[t, unit], drawn as units × timesteps, red/blue around 0."""
    h = np.asarray(h, dtype=np.float64)
    T, U = h.shape
    return charts.heatmap(h.T, title, x="timestep", y="unit", x_labels=list(range(1, T + 1)),
                          y_labels=list(range(1, U + 1)), colorscale="RdBu", zmid=0.0, colorbar="h")


def probe_heatmap(probes: Sequence[np.ndarray],
                  title: str = "‖∂L/∂h_t‖ per timestep and epoch") -> go.Figure:
    """Gradient of the loss w.r.t. each hidden state, one column per epoch (0 = before training), log colour."""
    z = np.stack([np.asarray(p, dtype=np.float64) for p in probes], axis=1)  # (T, epochs)
    z = np.where(np.isfinite(z), z, np.nan)
    T, E = z.shape
    return charts.heatmap(z, title, x="epoch", y="timestep", log=True, x_labels=list(range(E)),
                          y_labels=list(range(1, T + 1)), colorbar="log10 ‖∂L/∂h_t‖")


def runs_overlay(histories: Mapping[str, Mapping[str, Sequence[float]]], metric: str = "val_loss",
                 title: str = "Validation loss of each run") -> go.Figure:
    """One curve per run for `metric` (falls back to the training loss when a run has no validation)."""
    curves = {name: list(h.get(metric) or h.get("loss") or []) for name, h in histories.items()}
    return charts.overlay_curves(curves, title, y=metric, log_y=True)


def with_noise_floor(fig: go.Figure, floor: Optional[float], label: str = "noise floor σ² (best possible)") -> go.Figure:
    """A dashed horizontal line at `floor` (nothing when it is unknown): how low the loss can honestly go."""
    if floor is not None and np.isfinite(floor) and floor > 0:
        fig.add_hline(y=floor, line_dash="dash", line_color="#2ca02c", annotation_text=label,
                      annotation_position="bottom right")
    return fig


def probes_show_something(probes: Sequence[np.ndarray]) -> bool:
    """Whether a ‖∂L/∂h_t‖ heatmap would have any colour: some finite norm above 0."""
    return any(np.any(np.isfinite(p) & (np.asarray(p) > 0)) for p in probes)
