"""Gradient saliency of one review: ‖∂p/∂embedding_t‖ at each word, from a traced function kept per model."""
from __future__ import annotations

from typing import Optional

import numpy as np

from explorer.data.buckets import batch_length, cut
from explorer.tasks.sentiment.prediction import _free_shape, _kept_on, can_cut
from explorer.tasks.sentiment.reading import Review


def _saliency_fn(model):
    """A traced function x → ‖∂p/∂e_t‖ per position, cached per model."""
    return _kept_on(model, "_explorer_saliency", lambda: _traced_saliency(model))


def _traced_saliency(model):
    import keras
    import tensorflow as tf

    from explorer.nn.models import run_layers

    if not any(isinstance(layer, keras.layers.Embedding) for layer in model.layers):
        raise ValueError("Saliency needs a text model that starts with an Embedding.")

    @tf.function(input_signature=[_free_shape(model)])  # one trace for any review length
    def fn(x):
        embedded = []

        def watch(e):
            tape.watch(e)
            embedded.append(e)
            return e

        with tf.GradientTape() as tape:
            p = tf.reduce_sum(run_layers(model, x, on_embedding=watch))
        g = tape.gradient(p, embedded[0])
        return tf.sqrt(tf.reduce_sum(tf.square(g), axis=-1))

    return fn


def _input(model, review: Review, padding: Optional[str]) -> tuple[np.ndarray, np.ndarray]:
    """(1, T') model input and the words' positions in it: for a masked model of any length, padding cut
    to the review's length class (the same values, a 10-word review runs 16 steps instead of 500)."""
    x = np.asarray(review.x[None], np.int32)
    if padding is None or not can_cut(model):
        return x, review.positions
    keep = batch_length(np.array([len(review.ids)]), x.shape[1])
    shift = x.shape[1] - keep if padding == "front" else 0
    return cut(x, keep, padding), review.positions - shift


def saliency(model, review: Review, padding: Optional[str] = None) -> np.ndarray:
    """‖∂p/∂embedding‖ at each word of the review: how sensitive the prediction is to that word's vector."""
    if len(review.ids) == 0:
        return np.zeros(0, np.float32)
    x, positions = _input(model, review, padding)
    g = _saliency_fn(model)(x).numpy()[0]
    return g[positions].astype(np.float32)
