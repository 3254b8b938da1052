"""Hidden states of every recurrent layer at a review's words, from the layers' own cells unrolled."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from explorer.tasks.sentiment.prediction import free_shape, kept_on
from explorer.tasks.sentiment.reading import Review, review_input


@dataclass
class WordStates:
    """Hidden states h_t of one recurrent layer (one direction) at the review's words, (n_words, units)."""

    layer: str
    direction: str
    h: np.ndarray


def _states_fn(model):
    """A traced function x → every recurrent layer's h_t sequence (both directions), cached per model.

    Uses `introspect`'s unroll of the layer's own cell (the states Keras computes), inside one
    `tf.function`, far faster than eagerly. Returns (function, [(layer name, direction)]).
    """
    return kept_on(model, "_explorer_states", lambda: _traced_states(model))


def _traced_states(model):
    import tensorflow as tf

    from explorer.introspect.unroll import directions, unroll
    from explorer.nn.models import recurrent_layers, run_layers

    names = [(layer.name, direction) for layer in recurrent_layers(model) for _, direction in directions(layer)]

    @tf.function(input_signature=[free_shape(model)])  # one trace for any review length
    def fn(x):
        outs = []

        def record(index, layer, seq, mask):
            for rnn, _ in directions(layer):
                zeros = tf.zeros((tf.shape(seq)[0], tf.shape(seq)[1], rnn.cell.units))
                outs.append(unroll(rnn, seq, zeros, mask))
            return layer(seq, mask=mask, training=False)

        run_layers(model, x, on_recurrent=record)
        return outs

    return fn, names


def states(model, review: Review, padding: Optional[str] = None) -> list[WordStates]:
    """Hidden states of every recurrent layer at the review's words (padding cut), in word order."""
    if len(review.ids) == 0:
        return []
    fn, names = _states_fn(model)
    x, positions = review_input(model, review, padding)
    outs = fn(x)
    return [WordStates(name, direction, np.asarray(h[0])[positions].astype(np.float64))
            for (name, direction), h in zip(names, outs)]
