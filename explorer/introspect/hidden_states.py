"""Hidden states (and LSTM gates) of every recurrent layer of a trained model for one input."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import keras
import tensorflow as tf

from explorer.introspect.unroll import directions, unroll
from explorer.nn.models import run_layers


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
