"""A recurrent layer's own cell re-run step by step, with a zero tensor ε_t added to each hidden state
(so that ∂L/∂ε_t is exactly ∂L/∂h_t), for any cell, stacked, bidirectional or masked layer."""
from __future__ import annotations

import keras
import tensorflow as tf


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


def perturbed_layer(layer, seq, mask, eps_fwd, eps_bwd):
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


def units_of(layer) -> int:
    return directions(layer)[0][0].cell.units
