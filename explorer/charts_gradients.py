"""Figures of the gradient lab: pure functions from measured arrays to Plotly figures.

Every curve here is a measurement from a trained model; the only drawn constants
are reference lines (the 1/γ bound, the chance level, the 10⁻³ floor).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from explorer import charts
from explorer.charts import COLORS, _layout


def grad_heatmap(probes: np.ndarray, arch: str) -> go.Figure:
    """‖∂L/∂h_t‖ with timesteps across and epochs down (row 0 = before training), log colour."""
    probes = np.asarray(probes, dtype=np.float64)
    epochs = list(range(probes.shape[0]))
    steps = list(range(1, probes.shape[1] + 1))
    fig = charts.heatmap(probes, f"{arch}: ‖∂L/∂h_t‖", "timestep t", "epoch", log=True,
                         x_labels=steps, y_labels=epochs, colorbar="log₁₀ ‖∂L/∂h_t‖")
    return fig


def distance_lines(norms: Mapping[str, Sequence[float]], epoch_label: str = "") -> go.Figure:
    """Each architecture's ‖∂L/∂h_t‖ against steps back from the loss, on one log axis."""
    clean = {}
    for name, values in norms.items():
        v = np.asarray(values, dtype=np.float64)
        clean[name] = np.where(v > 0, v, np.nan)  # log axis: an exact zero (underflow) is a gap
    title = "‖∂L/∂h_t‖ by distance from the loss" + (f" ({epoch_label})" if epoch_label else "")
    return charts.grad_vs_distance(clean, title=title)


def loss_together(histories: Mapping[str, Mapping[str, Sequence[float]]], metric: str = "loss",
                  chance: float | None = None) -> go.Figure:
    """One metric per epoch for every architecture on one axis, with the chance level dotted."""
    curves = {name: list(h.get(metric, [])) for name, h in histories.items() if h.get(metric)}
    fig = charts.overlay_curves(curves, f"Training {metric}", y=metric, log_y=False)
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
