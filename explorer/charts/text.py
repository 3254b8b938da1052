"""Plotly figures for the sentiment page: pure functions from arrays (and words) to figures.

Words are drawn as Plotly text, never as page HTML. Plotly itself understands a few
tags inside text (<b>, <a>, <br>), so every word is escaped before it is drawn.
"""
from __future__ import annotations

import html
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from explorer.charts.common import COLORS, TEMPLATE, _layout, title_above_plot

POS, NEG = "#2ca02c", "#d62728"


def safe(word: str) -> str:
    """A word as inert Plotly text (no tags, no entities)."""
    return html.escape(str(word), quote=True)


def length_histogram(counts: np.ndarray, max_len: int | None = None, clip: int = 1500, bins: int = 60) -> go.Figure:
    """Words per review; a line marks the model's maximum length (longer reviews are truncated).

    Binned here, not by Plotly in the browser: the page sends `bins` bars instead of every review's length
    (tens of thousands of numbers), which a new visitor's browser would have to bin before drawing."""
    counts = np.asarray(counts)
    top = int(min(counts.max(), clip)) if len(counts) else 1
    width = max(1, -(-(top + 1) // bins))  # whole words per bar, enough bars to reach the longest (clipped) review
    edges = np.arange(0, top + width + 1, width)
    n, edges = np.histogram(np.minimum(counts, clip), bins=edges)
    fig = go.Figure(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=n, width=width, marker_color=COLORS["train"],
                           customdata=np.stack([edges[:-1], edges[1:] - 1], axis=1),
                           hovertemplate="%{customdata[0]}–%{customdata[1]} words: %{y} reviews<extra></extra>"))
    fig.update_layout(bargap=0)
    if max_len:
        share = float(np.mean(counts > max_len)) if len(counts) else 0.0
        fig.add_vline(x=max_len, line_dash="dash", line_color=NEG,
                      annotation_text=f"max length {max_len}: {share:.0%} of reviews cut")
    return _layout(fig, "Review length", f"words (longer than {clip} shown at {clip})", "reviews", height=300)


def label_balance(splits: dict[str, np.ndarray]) -> go.Figure:
    """Negative/positive counts per split."""
    fig = go.Figure()
    names = list(splits)
    for label, name, color in ((0, "negative", NEG), (1, "positive", POS)):
        fig.add_trace(go.Bar(x=names, y=[int(np.sum(np.asarray(splits[s]) == label)) for s in names],
                             name=name, marker_color=color))
    fig.update_layout(barmode="group")
    return _layout(fig, "Label balance", "split", "reviews", height=300)


def trajectory(ks: np.ndarray, probs: np.ndarray, words: Sequence[str]) -> go.Figure:
    """P(positive) if the review ended after word k: the sentiment's path through the review."""
    ks = np.asarray(ks)
    labels = [safe(words[k - 1]) for k in ks]
    fig = go.Figure(go.Scatter(x=ks, y=probs, mode="lines+markers", line=dict(color=COLORS["train"]),
                               customdata=labels, hovertemplate="after word %{x} (%{customdata}): "
                               "P(positive) %{y:.3f}<extra></extra>"))
    fig.add_hrect(y0=0.5, y1=1.0, fillcolor=POS, opacity=0.06, line_width=0)
    fig.add_hrect(y0=0.0, y1=0.5, fillcolor=NEG, opacity=0.06, line_width=0)
    fig.add_hline(y=0.5, line_dash="dot", line_color="#888")
    if len(ks) <= 40:
        fig.update_xaxes(tickmode="array", tickvals=list(ks), ticktext=labels, tickangle=-45)
    fig.update_yaxes(range=[0, 1])
    return _layout(fig, "Prediction after each word", "word", "P(positive)", height=340)


def word_influence(words: Sequence[str], values: np.ndarray, title: str, colorbar: str,
                   diverging: bool = True, per_row: int = 14) -> go.Figure:
    """The review's words in reading order, each cell coloured by `values` (a text-like grid)."""
    n = len(words)
    rows = max(1, -(-n // per_row))
    z = np.full((rows, per_row), np.nan)
    text = np.full((rows, per_row), "", dtype=object)
    vals = np.asarray(values, dtype=np.float64)
    for i in range(n):
        z[i // per_row, i % per_row] = vals[i]
        text[i // per_row, i % per_row] = safe(words[i])
    limit = float(np.nanmax(np.abs(vals))) if n and np.isfinite(vals).any() else 1.0
    limit = limit or 1.0
    kwargs = dict(colorscale="RdBu", zmid=0, zmin=-limit, zmax=limit) if diverging else dict(colorscale="Oranges", zmin=0)
    fig = go.Figure(go.Heatmap(z=z, text=text, texttemplate="%{text}", textfont=dict(size=12),
                               hovertemplate="%{text}: %{z:.3g}<extra></extra>", xgap=2, ygap=2,
                               colorbar=dict(title=colorbar), **kwargs))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed")
    fig.update_layout(title=title_above_plot(title), template=TEMPLATE, height=114 + 34 * rows,
                      margin=dict(l=10, r=10, t=64, b=10))
    return fig


def state_heatmap(h: np.ndarray, words: Sequence[str], title: str = "Hidden state over the words") -> go.Figure:
    """h_t[unit] with words along x (h is (n_words, units)); blue/red = negative/positive activation."""
    h = np.asarray(h, dtype=np.float64)
    x = np.arange(1, len(words) + 1)
    labels = [safe(w) for w in words]
    fig = go.Figure(go.Heatmap(z=h.T, x=x, colorscale="RdBu", zmid=0, customdata=np.tile(labels, (h.shape[1], 1)),
                               hovertemplate="word %{x} (%{customdata})<br>unit %{y}: %{z:.3f}<extra></extra>",
                               colorbar=dict(title="h")))
    if len(words) <= 60:
        fig.update_xaxes(tickmode="array", tickvals=list(x), ticktext=labels, tickangle=-45)
    return _layout(fig, title, "word", "unit", height=380)


def pca_path(points: np.ndarray, words: Sequence[str], probs: np.ndarray | None = None,
             share: Sequence[float] = (), title: str = "Hidden-state path (2 PCA dimensions)") -> go.Figure:
    """The hidden state's walk through the review, projected on its two main directions."""
    points = np.asarray(points, dtype=np.float64)
    labels = [safe(w) for w in words]
    colour = dict(color=np.asarray(probs), colorscale="RdYlGn", cmin=0, cmax=1, showscale=True,
                  colorbar=dict(title="P(pos)")) if probs is not None else dict(color=COLORS["train"])
    show_text = len(words) <= 40
    fig = go.Figure(go.Scatter(x=points[:, 0], y=points[:, 1], mode="lines+markers+text" if show_text else "lines+markers",
                               text=labels if show_text else None, textposition="top center",
                               marker=dict(size=9, **colour), line=dict(color="#bbb"), customdata=labels,
                               hovertemplate="%{customdata}<extra></extra>"))
    if len(points):
        fig.add_trace(go.Scatter(x=[points[0, 0]], y=[points[0, 1]], mode="markers", name="start",
                                 marker=dict(symbol="diamond", size=14, color="#444")))
    share = list(share)
    pc = [f"PC{i + 1}" + (f" ({share[i]:.0%} of variance)" if i < len(share) else "") for i in range(2)]
    fig.update_layout(showlegend=False)
    return _layout(fig, title, pc[0], pc[1], height=380)


def confusion_matrix(cm: np.ndarray, title: str = "Confusion matrix (test reviews)") -> go.Figure:
    """2×2 counts: rows true, columns predicted, each cell with its count and share of the row."""
    cm = np.asarray(cm, dtype=np.int64)
    names = ["negative", "positive"]
    share = cm / np.maximum(1, cm.sum(axis=1, keepdims=True))
    text = [[f"{cm[i, j]:,}<br>({share[i, j]:.0%})" for j in range(2)] for i in range(2)]
    fig = go.Figure(go.Heatmap(z=share, x=[f"predicted {n}" for n in names], y=[f"true {n}" for n in names],
                               text=text, texttemplate="%{text}", colorscale="Blues", zmin=0, zmax=1,
                               showscale=False, hovertemplate="%{y}, %{x}: %{text}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, "", "", height=300)


def grad_over_positions(norms: np.ndarray, n_words: np.ndarray | None = None, padding: str = "front",
                        title: str = "‖∂L/∂h_t‖ over input positions") -> go.Figure:
    """Gradient reaching each position of the input (log scale); with end padding the real words sit far from the loss."""
    norms = np.asarray(norms, dtype=np.float64)
    T = len(norms)
    fig = go.Figure(go.Scatter(x=np.arange(1, T + 1), y=np.where(norms > 0, norms, np.nan), mode="lines",
                               line=dict(color=COLORS["SimpleRNN"])))
    if n_words is not None and T:
        typical = int(np.clip(np.median(n_words), 0, T))
        x0, x1 = (T - typical, T) if padding == "front" else (0, typical)
        fig.add_vrect(x0=x0 + 0.5, x1=x1 + 0.5, fillcolor=POS, opacity=0.08, line_width=0,
                      annotation_text="where a typical review's words sit", annotation_position="top left")
    fig.update_yaxes(type="log")
    return _layout(fig, title, "position in the model input (the loss is read after the last one)", "‖∂L/∂h_t‖")
