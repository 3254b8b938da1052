"""Gradient saliency of one review: ‖∂p/∂embedding_t‖ at each word, from a traced function kept per model."""
from __future__ import annotations

from typing import Optional

import numpy as np

from explorer.tasks.sentiment.prediction import free_shape, kept_on
from explorer.tasks.sentiment.reading import Review, review_input


def _saliency_fn(model):
    """A traced function x → ‖∂p/∂e_t‖ per position, cached per model."""
    return kept_on(model, "_explorer_saliency", lambda: _traced_saliency(model))


def _traced_saliency(model):
    import keras
    import tensorflow as tf

    from explorer.nn.models import run_layers

    if not any(isinstance(layer, keras.layers.Embedding) for layer in model.layers):
        raise ValueError("Saliency needs a text model that starts with an Embedding.")

    @tf.function(input_signature=[free_shape(model)])  # one trace for any review length
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


def saliency(model, review: Review, padding: Optional[str] = None) -> np.ndarray:
    """‖∂p/∂embedding‖ at each word of the review: how sensitive the prediction is to that word's vector."""
    if len(review.ids) == 0:
        return np.zeros(0, np.float32)
    x, positions = review_input(model, review, padding)
    g = _saliency_fn(model)(x).numpy()[0]
    return g[positions].astype(np.float32)
