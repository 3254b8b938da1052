"""P(positive) for many reviews through one traced forward pass per model, padding cut where the model masks it."""
from __future__ import annotations

from typing import Optional

import numpy as np

from explorer.nn.predict import predict_in_batches


def can_cut(model) -> bool:
    """True when padding can be cut off before scoring: the Embedding masks it (so its length does not change
    a prediction) and the model takes any length."""
    masked = any(getattr(layer, "mask_zero", False) for layer in model.layers)
    return masked and model.inputs[0].shape[1] is None


def predict(model, x: np.ndarray, chunk: int = 128, padding: Optional[str] = None) -> np.ndarray:
    """P(positive) for each row of `x` (n, T), in chunks through a once-traced forward pass.

    Given the padding side, a masked model scores rows in batches of one length class, the padding
    cut off (the same predictions in fewer steps, see `explorer.data.buckets`).
    """
    x = np.asarray(x)
    if len(x) == 0:
        return np.zeros(0, np.float32)
    fn = _forward_fn(model)
    p = predict_in_batches(lambda xb: fn(xb.astype(np.int32)), x, chunk,
                           padding if padding is not None and can_cut(model) else None)
    return p.reshape(-1).astype(np.float32)


def kept_on(model, name: str, make):
    """`make()` once per model, kept on the model itself, so it is freed with the model.

    A traced function refers to its model; kept in a module-level table keyed by the model it would
    keep every model ever scored alive."""
    hit = model.__dict__.get(name)
    if hit is None:
        hit = make()
        object.__setattr__(model, name, hit)  # not a tracked Keras attribute: not saved, not a weight
    return hit


def free_shape(model):
    """Input signature of a model's token ids: any batch, and any length when the model takes any."""
    import tensorflow as tf

    return tf.TensorSpec((None, model.inputs[0].shape[1]), tf.int32)


def _forward_fn(model):
    """x (any batch, any length the model takes) → P(positive), traced once per model.

    Keras' `predict_on_batch` traces again for each new batch shape before it generalises
    (slow for a masked bidirectional GRU); a fixed signature
    with free dimensions traces once.
    """
    import tensorflow as tf

    return kept_on(model, "_explorer_forward",
                    lambda: tf.function(lambda x: model(x, training=False), input_signature=[free_shape(model)]))
