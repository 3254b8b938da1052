"""A model's forward pass over many inputs, in batches, in the original order.

Scoring many inputs in one call would hold every step's activations at once; batches bound the memory.
"""
from __future__ import annotations

import numpy as np

from explorer.data.buckets import batch_length, cut, groups, lengths_of


def predict_in_batches(forward, x: np.ndarray, batch_size: int = 128, padding: str | None = None) -> np.ndarray:
    """`forward(batch)` for every row of `x`, in batches of `batch_size`, in the original order: (n, outputs).

    Scoring many inputs in one call would hold every step's activations at once; batches bound the
    memory. Given a `padding` side (masked text models only), each batch holds (n, T) id rows of one
    length class and is cut to it: the same predictions in fewer steps.
    """
    x = np.asarray(x)
    if padding is None:
        batches = (np.arange(i, min(i + batch_size, len(x))) for i in range(0, len(x), batch_size))
    else:
        lengths = lengths_of(x, padding)
        batches = groups(lengths, batch_size, None)
    out = None
    for idx in batches:
        xb = x[idx] if padding is None else cut(x[idx], batch_length(lengths[idx], x.shape[1]), padding)
        values = np.asarray(forward(xb)).reshape(len(idx), -1)
        if out is None:  # the output width is known after the first batch
            out = np.empty((len(x), values.shape[1]), values.dtype)
        out[idx] = values
    return np.zeros((0, 1), np.float32) if out is None else out
