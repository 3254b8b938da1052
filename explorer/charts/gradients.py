"""Figures of the gradient lab: pure functions from measured arrays to Plotly figures.

Every curve here is a measurement from a trained model; the only drawn constants
are reference lines (the 1/γ bound, the chance level, the 10⁻³ floor).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from explorer.charts import common as charts
from explorer.charts.common import COLORS, _layout
from explorer.data.numbers import TINY, magnitude


def _log10_floor(values) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isfinite(v), np.log10(np.maximum(v, TINY)), np.nan)


def shared_log_range(probes: Sequence[np.ndarray]) -> tuple[float, float] | None:
    """One (min, max) of log₁₀ ‖∂L/∂h_t‖ over several architectures' probes, for a common colour scale."""
    logs = [_log10_floor(p) for p in probes if np.size(p)]
    finite = np.concatenate([l[np.isfinite(l)].ravel() for l in logs]) if logs else np.array([])
    if finite.size == 0:
        return None
    low, high = float(finite.min()), float(finite.max())
    return (low, high) if high > low else (low - 1.0, high + 1.0)


def grad_heatmap(probes: np.ndarray, arch: str, zrange: tuple[float, float] | None = None,
                 decisive: int | None = None) -> go.Figure:
    """‖∂L/∂h_t‖ with timesteps across and epochs down (row 0 = before training), log colour.

    Every cell carries its measured value (hover); values below 1e-300 are coloured at that floor
    and read "< 1e-300". `zrange` shares one colour scale between architectures; `decisive`
    (1-based t) marks the input the answer depends on.
    """
    probes = np.asarray(probes, dtype=np.float64)
    text = np.vectorize(magnitude, otypes=[object])(probes) if probes.size else probes
    fig = go.Figure(go.Heatmap(
        z=_log10_floor(probes), x=list(range(1, probes.shape[1] + 1)), y=list(range(probes.shape[0])),
        customdata=text, colorscale="Viridis", zmin=zrange[0] if zrange else None,
        zmax=zrange[1] if zrange else None, colorbar=dict(title="log₁₀ ‖∂L/∂h_t‖"),
        hovertemplate="timestep %{x}<br>epoch %{y}<br>‖∂L/∂h_t‖ = %{customdata}<extra></extra>"))
    if decisive is not None:
        fig.add_vline(x=decisive, line_dash="dash", line_color="white", annotation_text="decisive input",
                      annotation_font_color="black", annotation_position="top")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, f"{arch}: ‖∂L/∂h_t‖", "timestep t", "epoch", height=360)


def distance_lines(norms: Mapping[str, Sequence[float]], epoch_label: str = "", lag: int | None = None) -> go.Figure:
    """Each architecture's ‖∂L/∂h_t‖ against steps back from the loss, on one log axis.

    Values below 1e-300 sit on that floor (hover says "< 1e-300"); `lag` marks the decisive input.
    """
    fig = go.Figure()
    for name, values in norms.items():
        v = np.asarray(values, dtype=np.float64)[::-1]
        fig.add_trace(go.Scatter(x=np.arange(len(v)), y=np.where(np.isfinite(v), np.maximum(v, TINY), np.nan),
                                 customdata=[magnitude(x) for x in v], mode="lines", name=name,
                                 line=dict(color=COLORS.get(name)),
                                 hovertemplate="%{x} steps back: %{customdata}<extra>" + name + "</extra>"))
    if lag is not None:
        fig.add_vline(x=lag, line_dash="dash", line_color="gray", annotation_text="decisive input")
    fig.update_yaxes(type="log", exponentformat="power")
    title = "‖∂L/∂h_t‖ by distance from the loss" + (f" ({epoch_label})" if epoch_label else "")
    return _layout(fig, title, "steps back from the last timestep (T − t)", "‖∂L/∂h_t‖")


METRIC_NAMES = {"val_accuracy": "Held-out accuracy", "val_loss": "Held-out loss", "accuracy": "Training accuracy",
                "loss": "Training loss"}


def loss_together(histories: Mapping[str, Mapping[str, Sequence[float]]], metric: str = "loss",
                  chance: float | None = None) -> go.Figure:
    """One metric per epoch for every architecture on one axis, with the chance level dotted."""
    curves = {name: list(h.get(metric, [])) for name, h in histories.items() if h.get(metric)}
    name = METRIC_NAMES.get(metric, f"Training {metric}")
    fig = charts.overlay_curves(curves, name, y=name.lower(), log_y=False)
    for trace in fig.data:
        trace.mode = "lines+markers"
    if chance is not None and np.isfinite(chance):
        fig.add_hline(y=chance, line_dash="dot", line_color="gray", annotation_text="chance")
    return fig


def weight_grad_steps(norms: Mapping[str, Sequence[float]], clipnorm: float = 0.0) -> go.Figure:
    """Per-step ‖∂L/∂W_recurrent‖ (before clipping) of each architecture: spikes are explosions."""
    fig = go.Figure()
    for name, values in norms.items():
        v = np.asarray(values, dtype=np.float64)
        v = np.where(np.isfinite(v) & (v > 0), v, np.nan)
        fig.add_trace(go.Scatter(x=np.arange(1, len(v) + 1), y=v, mode="lines", name=name,
                                 line=dict(color=COLORS.get(name))))
    if clipnorm > 0:
        fig.add_hline(y=clipnorm, line_dash="dot", line_color="gray",
                      annotation_text=f"clipnorm {clipnorm:g} (each weight's gradient is cut to this)")
    fig.update_yaxes(type="log")
    return _layout(fig, "Recurrent-layer weight gradient per training step", "training step", "‖∂L/∂W‖")


def singular_vs_bound(spectra: Mapping[str, Sequence[float]], gamma: float = 1.0,
                      radius: Mapping[str, Sequence[float]] | None = None) -> go.Figure:
    """σ_max(W_hh) per epoch (epoch 0 = initial) against the 1/γ line of Pascanu et al. (2013)."""
    fig = go.Figure()
    for name, values in spectra.items():
        v = np.asarray(values, dtype=np.float64)
        fig.add_trace(go.Scatter(x=np.arange(len(v)), y=v, mode="lines+markers", name=f"{name} σ_max",
                                 line=dict(color=COLORS.get(name))))
    for name, values in (radius or {}).items():
        v = np.asarray(values, dtype=np.float64)
        if np.any(np.isfinite(v)):
            fig.add_trace(go.Scatter(x=np.arange(len(v)), y=v, mode="lines", name=f"{name} spectral radius",
                                     line=dict(color=COLORS.get(name), dash="dash")))
    fig.add_hline(y=1.0 / gamma, line_dash="dot", line_color="black",
                  annotation_text="1/γ", annotation_position="bottom right")
    return _layout(fig, "Largest singular value of W_hh vs the 1/γ line", "epoch", "σ_max(W_hh)")


def sweep_lines(lags: Sequence[int], values: Mapping[str, Sequence[float]], chance: float,
                metric: str = "held-out accuracy") -> go.Figure:
    """Final accuracy against the recall lag per architecture, with the chance level."""
    fig = go.Figure()
    for name, vals in values.items():
        fig.add_trace(go.Scatter(x=list(lags), y=[v if np.isfinite(v) else None for v in vals],
                                 mode="lines+markers", name=name, line=dict(color=COLORS.get(name))))
    fig.add_hline(y=chance, line_dash="dot", line_color="gray", annotation_text="chance")
    fig.update_xaxes(type="log")
    fig.update_yaxes(range=[0.0, 1.05])
    return _layout(fig, "Where each architecture stops learning", "lag k (steps between the answer and the loss)",
                   metric)
