"""Pay TensorFlow's one-time costs before the first Train click.

The first `fit` in a process is slow for reasons that have nothing to do with the
model (graph machinery, kernels, allocator, the first traced functions). The app calls
`warm_up` in a background thread at start, so the person's first run starts as fast as
their later ones.
"""
from __future__ import annotations

import numpy as np


def warm_up() -> float:
    """Import Keras and train a tiny recurrent model for one epoch with the gradient probe; returns seconds."""
    import time

    t0 = time.perf_counter()
    from explorer.config import ModelConfig, TrainConfig
    from explorer.data.synthetic import sine_wave
    from explorer.data.windows import prepare_series
    from explorer.introspect import GradientProbe
    from explorer.models import build_model
    from explorer.training import train

    ds = prepare_series(sine_wave(120), window=6)
    cfg = TrainConfig(epochs=1, batch_size=32, batch_every=0)
    model = build_model(ModelConfig(units=4), cfg, timesteps=ds.window)
    train(model, ds.x_train, ds.y_train, cfg, (ds.x_val, ds.y_val),
          probe=GradientProbe(ds.x_val[:8], ds.y_val[:8]))
    model.predict_on_batch(np.asarray(ds.x_test[:4]))
    return time.perf_counter() - t0
