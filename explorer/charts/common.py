"""Plotly figure builders shared by every page: pure functions from arrays to figures."""
from __future__ import annotations

import math
from typing import Mapping, Optional, Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

TEMPLATE = "plotly_white"
MARKERS_UP_TO = 60  # epochs: a longer curve is drawn as a line (a marker per epoch is a shape for the browser to draw)
BATCH_POINTS = 300  # live points within epochs drawn at most: a long run's are thinned evenly, the last one kept
COLORS = {"SimpleRNN": "#d62728", "LSTM": "#1f77b4", "GRU": "#2ca02c", "train": "#1f77b4",
          "val": "#ff7f0e", "truth": "#444444", "pred": "#d62728"}


def title_above_plot(title: str) -> dict:
    """A chart title just above the plot area, below the strip where Plotly's toolbar appears (a phone shows
    the toolbar on touch, and a title in that strip would sit under it)."""
    return dict(text=title, x=0, xanchor="left", y=1, yref="paper", yanchor="bottom", pad=dict(b=8),
                font=dict(size=15))


def _layout(fig: go.Figure, title: str, x: str, y: str, height: int = 320) -> go.Figure:
    """Title, axes and TEMPLATE. Where TEMPLATE is Plotly's default (the app sets it), every figure starts with it,
    and naming it again would have Plotly copy and check the whole template for each figure."""
    theme = {} if pio.templates.default == TEMPLATE else dict(template=TEMPLATE)
    fig.update_layout(title=title_above_plot(title), xaxis_title=x, yaxis_title=y, height=height,
                      margin=dict(l=50, r=20, t=64, b=40), legend=dict(orientation="h", y=-0.25), **theme)
    return fig


def loss_curves(history: Mapping[str, Sequence[float]], title: str = "Loss",
                metric: str = "loss", log_y: bool = False,
                running: Optional[tuple[float, float]] = None,
                batches: Optional[Mapping[str, Sequence[tuple[float, float]]]] = None) -> go.Figure:
    """Training and validation curves of one metric per epoch (epochs start at 1).

    `running` = (position on the epoch axis, value): the training metric averaged over the
    batches of the epoch in progress, drawn dotted from the last finished epoch, so a live
    curve moves before its first epoch ends. `batches` (a run's `batch_history`) adds the
    training metric at every live batch point, averaged within its epoch as Keras reports it:
    a run of one or two epochs then shows how it learned, not a dot per epoch.
    """
    fig = go.Figure()
    for key, name, color in ((metric, "train", COLORS["train"]), (f"val_{metric}", "validation", COLORS["val"])):
        values = np.asarray(history.get(key, []), dtype=float)  # arrays: Plotly checks a list value by value
        if values.size:
            mode = "lines+markers" if values.size <= MARKERS_UP_TO else "lines"
            fig.add_trace(go.Scatter(x=np.arange(1, values.size + 1), y=values, mode=mode,
                                     name=name, line=dict(color=color)))
    points = np.asarray(thinned(list((batches or {}).get(metric, [])), BATCH_POINTS), dtype=float).reshape(-1, 2)
    if points.size:
        fig.add_trace(go.Scatter(x=points[:, 0], y=points[:, 1], mode="lines",
                                 name="train, within each epoch", line=dict(color=COLORS["train"], width=1),
                                 opacity=0.45))
    if running is not None and math.isfinite(running[1]):
        done = list(history.get(metric, []))
        xs, ys = ([len(done)], [done[-1]]) if done else ([], [])
        fig.add_trace(go.Scatter(x=[*xs, running[0]], y=[*ys, running[1]], mode="lines+markers",
                                 name="train (epoch in progress)",
                                 line=dict(color=COLORS["train"], dash="dot"), marker=dict(symbol="circle-open")))
    if log_y:
        fig.update_yaxes(type="log")
    return _layout(fig, title, "epoch", metric)


def thinned(points: Sequence, most: int) -> list:
    """At most `most` of `points`, evenly spaced, first and last kept: a live chart redrawn every second stays
    small for the browser however long the run."""
    if len(points) <= most:
        return list(points)
    keep = np.unique(np.linspace(0, len(points) - 1, most).round().astype(int))
    return [points[i] for i in keep]


def overlay_curves(curves: Mapping[str, Sequence[float]], title: str, y: str = "loss",
                   x: str = "epoch", log_y: bool = False) -> go.Figure:
    """Several named curves on one axis, e.g. the validation loss of each run or architecture."""
    fig = go.Figure()
    for name, values in curves.items():
        fig.add_trace(go.Scatter(x=list(range(1, len(values) + 1)), y=list(values), mode="lines",
                                 name=name, line=dict(color=COLORS.get(name))))
    if log_y:
        fig.update_yaxes(type="log")
    return _layout(fig, title, x, y)


def series_lines(series: Mapping[str, tuple[Sequence, Sequence]], title: str, x: str = "t",
                 y: str = "value", shade: Sequence[tuple[float, float, str]] = ()) -> go.Figure:
    """Named (x, y) lines, with optional shaded spans (x0, x1, label), e.g. the data split."""
    fig = go.Figure()
    for name, (xs, ys) in series.items():
        fig.add_trace(go.Scatter(x=list(xs), y=list(ys), mode="lines", name=name,
                                 line=dict(color=COLORS.get(name))))
    palette = ["rgba(31,119,180,0.06)", "rgba(255,127,14,0.10)", "rgba(44,160,44,0.10)"]
    for i, (x0, x1, label) in enumerate(shade):
        fig.add_vrect(x0=x0, x1=x1, fillcolor=palette[i % len(palette)], line_width=0,
                      annotation_text=label, annotation_position="top left")
    return _layout(fig, title, x, y)


def heatmap(z: np.ndarray, title: str, x: str, y: str, log: bool = False,
            x_labels: Sequence | None = None, y_labels: Sequence | None = None,
            colorscale: str = "Viridis", zmid: float | None = None, colorbar: str = "") -> go.Figure:
    """A heatmap of z[y, x]; `log` colours by log10 so values spanning decades stay visible."""
    z = np.asarray(z, dtype=np.float64)
    shown, hover = z, "%{z:.3g}"
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            shown = np.where(z > 0, np.log10(np.where(z > 0, z, 1.0)), np.nan)
        colorbar = colorbar or "log10"
        hover = "10^%{z:.2f}"
    fig = go.Figure(go.Heatmap(z=shown, x=list(x_labels) if x_labels is not None else None,
                               y=list(y_labels) if y_labels is not None else None,
                               colorscale=colorscale, zmid=zmid, hovertemplate=f"{x} %{{x}}<br>{y} %{{y}}<br>{hover}<extra></extra>",
                               colorbar=dict(title=colorbar)))
    return _layout(fig, title, x, y, height=360)


def step_norms(norms: Mapping[str, Sequence[float]], title: str = "Weight-gradient norm per step",
               log_y: bool = True) -> go.Figure:
    """Per-training-step gradient norm of each layer: spikes show exploding gradients."""
    fig = go.Figure()
    for name, values in norms.items():
        fig.add_trace(go.Scatter(x=list(range(1, len(values) + 1)), y=list(values), mode="lines", name=name))
    if log_y:
        fig.update_yaxes(type="log")
    return _layout(fig, title, "training step", "‖∂L/∂W‖")
