"""One time-series run as the page sets it up: windows, model and gradient probe from the configs.

Shared by the time-series page, the app's start-up warm-up and the benchmarks, so the
warm-up traces exactly the probe the page's default run will use, and the benchmarks
time exactly what the page does.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional

import numpy as np

from explorer.config import ModelConfig, SeriesConfig, TrainConfig
from explorer.data.windows import SeriesDataset, prepare_series

PROBE_WINDOWS = 32  # the fixed validation batch whose ‖∂L/∂h_t‖ is measured after every epoch


def series_model_config(model: ModelConfig, series: SeriesConfig) -> ModelConfig:
    """`model` with what a series needs: a regression head, one output per forecast step, no text front."""
    return dataclasses.replace(model, head="regression", vocab_size=0, outputs=series.horizon)


@dataclass
class SeriesRun:
    """What `explorer.training.train` needs for one run, ready to go."""

    ds: SeriesDataset
    model: object  # keras.Model
    probe: object  # explorer.introspect.CachedProbe
    validation: Optional[tuple]


def prepare_run(values: np.ndarray, series: SeriesConfig, model: ModelConfig, train: TrainConfig) -> SeriesRun:
    """Window and scale `values`, build a fresh model, and its probe on the first validation windows."""
    from explorer.introspect import model_probe
    from explorer.models import build_model

    ds = prepare_series(values, series.window, series.horizon, series.val_fraction, series.test_fraction)
    cfg = series_model_config(model, series)
    net = build_model(cfg, train, series.window)
    xv, yv = (ds.x_val, ds.y_val) if len(ds.x_val) else (ds.x_train, ds.y_train)
    probe = model_probe(cfg, train, series.window, 1, xv[:PROBE_WINDOWS], yv[:PROBE_WINDOWS])
    validation = (ds.x_val, ds.y_val) if len(ds.x_val) else None
    return SeriesRun(ds, net, probe, validation)
