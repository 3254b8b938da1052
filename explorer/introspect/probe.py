"""The BPTT gradient probe: ‖∂L/∂h_t‖ for every timestep t of one recurrent layer.

The total derivative of the loss through the recurrence, not just the direct term, from the layer's cell
unrolled (`introspect.unroll`) in a float64 twin of the model, in one backward pass."""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
import keras
import tensorflow as tf

from explorer.introspect.unroll import perturbed_layer, units_of
from explorer.nn.models import build_model, recurrent_layers, run_layers


def _as_float64(node):
    """A model config with every float32 dtype (layer policies, float inputs) turned to float64."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "dtype" and value == "float32":
                value = "float64"
            elif key == "dtype" and isinstance(value, dict) and value.get("class_name") == "DTypePolicy":
                value = {**value, "config": {**value["config"], "name": "float64"}}
            elif key.endswith("_initializer") and value is not None:
                value = "zeros"  # weights are copied in; drawing random ones would only move the RNG
            else:
                value = _as_float64(value)
            out[key] = value
        return out
    if isinstance(node, list):
        return [_as_float64(v) for v in node]
    return node


def _signature(node):
    """The config without what does not change the computation's shape (seeds, initialisers)."""
    if isinstance(node, dict):
        return {k: _signature(v) for k, v in node.items() if k != "seed" and not k.endswith("_initializer")}
    if isinstance(node, list):
        return [_signature(v) for v in node]
    return node


def float64_twin(model: keras.Model) -> keras.Model:
    """A copy of `model` that computes in float64 (same layers, weights not copied)."""
    import random

    py_state, np_state = random.getstate(), np.random.get_state()
    try:  # building must not move the random streams a seeded training run is about to use
        return type(model).from_config(_as_float64(model.get_config()))
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


def _scaled_norms(g_f: np.ndarray, g_b: np.ndarray) -> np.ndarray:
    """‖g_t‖ over batch, units and both directions, per t, without squaring tiny numbers to 0."""
    g = np.concatenate([g_f, g_b], axis=-1).astype(np.float64)
    g = np.moveaxis(g, 1, 0).reshape(g.shape[1], -1)  # (T, batch·units)
    scale = np.max(np.abs(g), axis=1)
    safe = np.where(scale > 0, scale, 1.0)
    return scale * np.sqrt(np.sum((g / safe[:, None]) ** 2, axis=1))


@dataclass
class _Twin:
    model: keras.Model
    fn: Callable
    lock: threading.Lock = field(default_factory=threading.Lock)


_TWINS: "OrderedDict[str, _Twin]" = OrderedDict()
_TWINS_LOCK = threading.Lock()
MAX_TWINS = 12  # least recently used twins beyond this are dropped


def _twin_for(model: keras.Model, layer_index: int) -> _Twin:
    """The float64 twin of `model`'s architecture with its traced probe, built once per process."""
    config = model.get_config()
    key = json.dumps([_signature(config), layer_index, type(model).__name__], sort_keys=True, default=str)
    with _TWINS_LOCK:
        twin = _TWINS.get(key)
        if twin is None:
            twin_model = float64_twin(model)
            twin = _Twin(twin_model, _probe_fn(twin_model, keras.losses.get(model.loss), layer_index))
            _TWINS[key] = twin
            while len(_TWINS) > MAX_TWINS:
                _TWINS.popitem(last=False)
        _TWINS.move_to_end(key)
        return twin


def _probe_fn(model: keras.Model, loss_fn, target: int):
    """A traced (x, y) → (∂L/∂h_t forward, backward) for recurrent layer `target` of `model`."""
    layer = recurrent_layers(model)[target]
    units, dtype = units_of(layer), layer.compute_dtype  # float64 on a twin

    @tf.function(reduce_retracing=True)
    def probe(x, y):
        shape = (tf.shape(x)[0], tf.shape(x)[1], units)
        eps_f, eps_b = tf.zeros(shape, dtype), tf.zeros(shape, dtype)
        with tf.GradientTape() as tape:
            tape.watch([eps_f, eps_b])

            def on_rnn(i, lyr, seq, mask):
                if i == target:
                    return perturbed_layer(lyr, seq, mask, eps_f, eps_b)
                return lyr(seq, mask=mask, training=False)

            y_pred = run_layers(model, x, on_rnn)
            loss = tf.reduce_mean(loss_fn(tf.cast(y, y_pred.dtype), y_pred))
        return tape.gradient(loss, [eps_f, eps_b], unconnected_gradients="zero")

    return probe


@dataclass
class GradientProbe:
    """‖∂L/∂h_t‖ for one recurrent layer over a fixed batch; call it after every epoch.

    Returns a float64 array of shape (T,): the norm over batch and units of the gradient of
    the batch-mean loss w.r.t. the hidden state at t (both directions for a bidirectional
    layer). It runs on a float64 twin of the model (weights copied in), so a gradient that
    fades to 1e-300 is measured, not flushed to 0 as float32 would at ~1e-38; only values below
    float64's range (~1e-308) come back as 0. The twin is built and traced once per
    architecture per process and shared by every model of that architecture.
    """

    x: np.ndarray
    y: np.ndarray
    layer_index: int = 0

    def __call__(self, model: keras.Model) -> np.ndarray:
        return _scaled_norms(*self.gradients(model))

    def gradients(self, model: keras.Model) -> tuple[np.ndarray, np.ndarray]:
        """The full ∂L/∂h_t in float64, shape (batch, T, units), forward and backward direction (zeros if none)."""
        twin = _twin_for(model, self.layer_index)
        x = np.asarray(self.x)
        x = x if np.issubdtype(x.dtype, np.integer) else x.astype(np.float64)
        with twin.lock:
            twin.model.set_weights([np.asarray(w, dtype=np.float64) if np.issubdtype(np.asarray(w).dtype, np.floating)
                                    else w for w in model.get_weights()])
            g_f, g_b = twin.fn(tf.constant(x), tf.constant(np.asarray(self.y, dtype=np.float64)))
            return g_f.numpy(), g_b.numpy()


class CachedProbe(GradientProbe):
    """A `GradientProbe` whose twin is built (and traced, with `trace=True`) now, outside any training run.

    Every `GradientProbe` shares one float64 twin per architecture; building it here, before a
    seeded run starts, keeps the first probe call of a fresh run from waiting for a build.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, key: tuple, make_model: Callable[[], keras.Model],
                 layer_index: int = 0):
        super().__init__(x, y, layer_index)
        self._twin = _twin_for(make_model(), layer_index)


def model_probe(model_cfg, train_cfg, timesteps: int, features: int, x: np.ndarray, y: np.ndarray,
                layer_index: int = 0, model: Optional[keras.Model] = None) -> CachedProbe:
    """The probe for models that `build_model(model_cfg, train_cfg, timesteps, features)` makes, twin ready
    (pass one such `model` if you have it: then none is built to find the twin)."""
    return CachedProbe(x, y, (model_cfg, timesteps, features),
                       (lambda: model) if model is not None else
                       (lambda: build_model(model_cfg, train_cfg, timesteps, features)), layer_index)
