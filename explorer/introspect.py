"""Look inside a trained recurrent network: hidden states, LSTM gates, and BPTT gradients.

The gradient probe measures ‖∂L/∂h_t‖ for every timestep t of one recurrent layer:
the total derivative of the loss through the recurrence, not just the direct term.
It re-runs the layer's own cell in a `tf.scan` while adding a zero tensor ε_t to each
hidden state; ∂L/∂ε_t is then exactly ∂L/∂h_t, for any cell, stacked, bidirectional
or masked model, in one backward pass (~40 ms at T = 500 on 2 CPU cores).
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

import keras
import tensorflow as tf

from explorer.models import build_model, recurrent_layers, run_layers


def unroll(rnn: keras.layers.RNN, seq, eps, mask, all_states: bool = False):
    """Run `rnn`'s cell over `seq` with h_t += ε_t; returns hidden states (B, T, U) in time order.

    The states Keras computes, with each one reachable (ε = 0 adds nothing): what every probe reads.

    With `all_states`, returns every state tensor (LSTM: [h, c]) in time order.
    """
    cell = rnn.cell
    batch = tf.shape(seq)[0]
    sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]
    init = [tf.zeros((batch, s), dtype=seq.dtype) for s in sizes]
    xs = tf.transpose(seq, [1, 0, 2])
    es = tf.transpose(eps, [1, 0, 2])
    ms = (tf.ones(tf.shape(xs)[:2], tf.bool) if mask is None else tf.transpose(mask, [1, 0]))
    if rnn.go_backwards:
        xs, es, ms = tf.reverse(xs, [0]), tf.reverse(es, [0]), tf.reverse(ms, [0])

    def step(states, inputs):
        x_t, e_t, m_t = inputs
        _, new = cell(x_t, list(states) if len(states) > 1 else states[0], training=False)
        new = list(new) if isinstance(new, (list, tuple)) else [new]
        new[0] = new[0] + e_t
        keep = m_t[:, None]
        return [tf.where(keep, n, o) for n, o in zip(new, states)]

    states = tf.scan(step, (xs, es, ms), initializer=init)
    if rnn.go_backwards:
        states = [tf.reverse(s, [0]) for s in states]
    states = [tf.transpose(s, [1, 0, 2]) for s in states]
    return states if all_states else states[0]


def _layer_output(rnn: keras.layers.RNN, hs, mask):
    """What the layer returns, given hidden states in time order: the sequence or the final state."""
    if rnn.return_sequences:
        return tf.reverse(hs, [1]) if rnn.go_backwards else hs
    # The final state; masked steps carry it over, so it is the state after the last real step.
    return hs[:, 0] if rnn.go_backwards else hs[:, -1]


def _perturbed_layer(layer, seq, mask, eps_fwd, eps_bwd):
    """Call a (maybe bidirectional) recurrent layer with ε added to its hidden states."""
    if isinstance(layer, keras.layers.Bidirectional):
        f = unroll(layer.forward_layer, seq, eps_fwd, mask)
        b = unroll(layer.backward_layer, seq, eps_bwd, mask)
        fo = _layer_output(layer.forward_layer, f, mask)
        bo = _layer_output(layer.backward_layer, b, mask)
        if layer.return_sequences:
            bo = tf.reverse(bo, [1])  # Bidirectional flips the backward sequence into time order
        return tf.concat([fo, bo], axis=-1)
    return _layer_output(layer, unroll(layer, seq, eps_fwd, mask), mask)


def directions(layer) -> list[tuple[keras.layers.RNN, str]]:
    """A recurrent layer's directions: [(forward RNN, "forward"), (backward RNN, "backward")] or [(layer, "forward")]."""
    if isinstance(layer, keras.layers.Bidirectional):
        return [(layer.forward_layer, "forward"), (layer.backward_layer, "backward")]
    return [(layer, "forward")]


def _units(layer) -> int:
    return directions(layer)[0][0].cell.units


def _loss_fn(model: keras.Model):
    return keras.losses.get(model.loss)


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


def forget_cached_probes() -> None:
    """Drop every cached twin, as a fresh process starts (for benchmarks of first runs)."""
    with _TWINS_LOCK:
        _TWINS.clear()


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
    units, dtype = _units(layer), layer.compute_dtype  # float64 on a twin

    @tf.function(reduce_retracing=True)
    def probe(x, y):
        shape = (tf.shape(x)[0], tf.shape(x)[1], units)
        eps_f, eps_b = tf.zeros(shape, dtype), tf.zeros(shape, dtype)
        with tf.GradientTape() as tape:
            tape.watch([eps_f, eps_b])

            def on_rnn(i, lyr, seq, mask):
                if i == target:
                    return _perturbed_layer(lyr, seq, mask, eps_f, eps_b)
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


def perturbed_output(model: keras.Model, x: np.ndarray, layer_index: int = 0,
                     eps: Optional[np.ndarray] = None) -> np.ndarray:
    """The model's output with ε added to one layer's hidden states (ε = 0 reproduces `model(x)`)."""
    layer = recurrent_layers(model)[layer_index]
    units = _units(layer)
    x = tf.constant(x)
    shape = (x.shape[0], x.shape[1], units)
    e = tf.zeros(shape) if eps is None else tf.constant(eps, tf.float32)

    def on_rnn(i, lyr, seq, mask):
        if i == layer_index:
            return _perturbed_layer(lyr, seq, mask, e, tf.zeros(shape))
        return lyr(seq, mask=mask, training=False)

    return run_layers(model, x, on_rnn).numpy()


def memory_horizon(norms: np.ndarray, threshold: float = 1e-3) -> int:
    """How many steps back from the end ‖∂L/∂h_t‖ stays above `threshold` × its maximum."""
    norms = np.asarray(norms, dtype=np.float64)
    if norms.size == 0 or not np.all(np.isfinite(norms)) or norms.max() <= 0:
        return 0
    above = norms >= threshold * norms.max()
    # Count back from the last step until the first step that falls below.
    below = np.flatnonzero(~above[::-1])
    return int(below[0]) if below.size else int(norms.size)


def decay_per_step(norms: np.ndarray) -> float:
    """Geometric mean factor by which ‖∂L/∂h_t‖ changes per step back in time (<1 vanishes).

    A least-squares line through log ‖∂L/∂h_t‖ over every step. A step whose gradient left
    float64's range (returned as 0) counts at the range's floor (~2.2e-308), so the factor is then
    an upper bound: the gradient fades at least that fast.
    """
    norms = np.asarray(norms, dtype=np.float64)
    if norms.size < 2 or not np.all(np.isfinite(norms)) or norms.max() <= 0:
        return float("nan")
    logs = np.log(np.maximum(norms, np.finfo(np.float64).tiny))
    slope = np.polyfit(np.arange(norms.size), logs, 1)[0]
    return float(np.exp(-slope))


@dataclass
class LayerStates:
    """Hidden states of one recurrent layer (one direction) for one input, each (T, units)."""

    layer: str
    direction: str  # "forward" or "backward"
    cell: str
    h: np.ndarray
    c: Optional[np.ndarray] = None
    gates: dict[str, np.ndarray] = field(default_factory=dict)  # LSTM: input, forget, cell, output


def _lstm_gates(cell, seq: np.ndarray, h_prev: np.ndarray) -> dict[str, np.ndarray]:
    """Recompute the four LSTM gates (Keras order i, f, c, o) from the cell's weights."""
    bias = cell.bias.numpy() if cell.use_bias else 0.0
    z = seq @ cell.kernel.numpy() + h_prev @ cell.recurrent_kernel.numpy() + bias
    zi, zf, zc, zo = np.split(z, 4, axis=-1)
    ract = keras.activations.get(cell.recurrent_activation)
    act = keras.activations.get(cell.activation)
    gates = {"input": ract(zi), "forget": ract(zf), "cell": act(zc), "output": ract(zo)}
    return {k: np.asarray(v, dtype=np.float64) for k, v in gates.items()}


def hidden_states(model: keras.Model, x: np.ndarray) -> list[LayerStates]:
    """Hidden states h_t (and for LSTM c_t and the four gates) of every recurrent layer, for one input.

    `x` is a single sample without the batch axis. Timesteps run in input order for
    both directions; on masked (padding) steps the state is carried over, as Keras does.
    """
    xb = tf.constant(np.asarray(x)[None])
    out: list[LayerStates] = []

    def record(rnn, seq, mask, direction, name):
        zeros = tf.zeros((1, seq.shape[1], rnn.cell.units))
        states = [s[0].numpy().astype(np.float64) for s in unroll(rnn, seq, zeros, mask, all_states=True)]
        kind = type(rnn.cell).__name__.replace("Cell", "")
        h = states[0]
        c = states[1] if len(states) > 1 else None
        gates = {}
        if kind == "LSTM":
            # The state each step starts from: the previous one in processing order.
            shift = -1 if rnn.go_backwards else 1
            h_prev = np.roll(h, shift, axis=0)
            h_prev[-1 if rnn.go_backwards else 0] = 0.0
            gates = _lstm_gates(rnn.cell, seq[0].numpy(), h_prev)
        out.append(LayerStates(name, direction, kind, h, c, gates))

    def on_rnn(i, layer, seq, mask):
        for rnn, direction in directions(layer):
            record(rnn, seq, mask, direction, layer.name)
        return layer(seq, mask=mask, training=False)

    run_layers(model, xb, on_rnn)
    return out
