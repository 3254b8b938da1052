"""Batches for training and scoring; for masked text models, batches of one length class, cut short.

A masked recurrent layer skips padding steps (its state and output are carried through) and
a masked pooling readout leaves them out, so a review padded to 120 words gets the same
prediction as padded to 500, in a quarter of the steps. IMDB reviews are short on the whole
(median 174 words), so a 500-word model spends more than half of its steps on padding when
every batch is padded to the full length. For masked models each batch holds reviews of one
length class (lengths rounded up to 16 words) and is cut to it; the classes are reshuffled
every epoch. Unmasked models keep the full padding: for them the amount of padding changes the
prediction (the lesson of the padding-side view).

Ids may be stored compactly (uint16); batches are int32.
"""
from __future__ import annotations

import math
import weakref

import numpy as np

from explorer.data.text_pipeline import PAD

ROUND = 16  # batch lengths are rounded up to a multiple of this (fewer distinct shapes)
# Training memory grows with batch size × length (every step's activations are kept for the backward
# pass). Batches of reviews
# longer than this many words hold proportionally fewer reviews, so no batch costs more than
# `batch_size` reviews of this length.
LONG = 256
# A batch of more words than this is computed in two halves whose gradients the optimizer averages
# (Keras' `gradient_accumulation_steps=2`): the same update as the whole batch, at the activation memory
# of half of it, in about the same time. With Adam one thing differs: accumulated gradients are dense, so every embedding row's moments decay at
# every update, as in standard Adam (a whole batch's sparse gradient has Keras update the moments of its own
# words only).
MAX_WORDS = 16_384


def lengths_of(x: np.ndarray, padding: str = "front") -> np.ndarray:
    """Columns each row of a padded (n, T) id array needs: from its first word to the end (front padding),
    or from the start to its last word (end padding); 0 for a row of padding only."""
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] == 0:
        return np.zeros(len(x), np.int64)
    words = x != PAD
    any_word = words.any(axis=1)
    if padding == "front":
        span = x.shape[1] - np.argmax(words, axis=1)
    else:
        span = x.shape[1] - np.argmax(words[:, ::-1], axis=1)
    return np.where(any_word, span, 0).astype(np.int64)


def cut(x: np.ndarray, length: int, padding: str) -> np.ndarray:
    """Keep the `length` columns that hold the words: the last ones for front padding, the first for end."""
    length = max(1, min(int(length), x.shape[1]))
    return x[:, x.shape[1] - length:] if padding == "front" else x[:, :length]


def batch_length(lengths: np.ndarray, max_len: int) -> int:
    """The columns a batch needs: its longest row, rounded up to `ROUND`, at most `max_len`."""
    longest = int(np.max(lengths)) if len(lengths) else 1
    return min(max_len, max(ROUND, int(math.ceil(longest / ROUND)) * ROUND))


def parts_for(batch_size: int, by_length: bool) -> int:
    """Into how many consecutive parts each training batch is split (see `MAX_WORDS`): 1 or 2."""
    return 2 if by_length and batch_size * LONG > MAX_WORDS else 1


def halves(batches: list[np.ndarray]) -> list[np.ndarray]:
    """Each batch as two consecutive halves (a batch of one review twice), to be averaged by the optimizer."""
    out = []
    for b in batches:
        out += [b, b] if len(b) < 2 else [b[:len(b) // 2], b[len(b) // 2:]]
    return out


def groups(lengths: np.ndarray, batch_size: int, rng: np.random.Generator | None,
           by_length: bool = True) -> list[np.ndarray]:
    """Index batches, shuffled when `rng` is given.

    With `by_length`, each batch holds reviews of one length class (lengths rounded up to `ROUND`),
    at most `batch_size` of them and, past `LONG` words, proportionally fewer; the classes' members
    are shuffled every time, so batches differ between epochs while their number stays the same.
    """
    n = len(lengths)
    order = rng.permutation(n) if rng is not None else np.arange(n)
    if not by_length:
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]
    lengths = np.asarray(lengths)[order]
    classes = np.maximum(ROUND, np.ceil(lengths / ROUND).astype(np.int64) * ROUND)
    out = []
    for c in np.unique(classes):
        members = order[classes == c]
        size = max(1, min(batch_size, batch_size * LONG // int(c)))
        out += [members[i:i + size] for i in range(0, len(members), size)]
    if rng is not None:
        rng.shuffle(out)
    return out


def length_batches(x: np.ndarray, y: np.ndarray | None, batch_size: int, padding: str = "front",
                   by_length: bool = True, seed: int = 0, shuffle: bool = True, drop_remainder: bool = False,
                   split: int = 1):
    """A `tf.data.Dataset` of (x, y) int32/float32 batches for `model.fit`; new batches at every pass when `shuffle`.

    With `by_length` each batch is cut to its length class (masked models only; the time dimension
    then varies, so build the model with `timesteps=None`). Without it, `drop_remainder` leaves out
    the last, smaller batch (a different shape that XLA would compile again; different reviews each epoch).
    With `split=2` every batch comes as two consecutive halves, for an optimizer that accumulates
    gradients over 2 steps.
    """
    import tensorflow as tf

    x = np.asarray(x)
    y = None if y is None else np.asarray(y, dtype=np.float32)
    lengths = lengths_of(x, padding)
    rng = np.random.default_rng(seed)
    n_batches = len(groups(lengths, batch_size, None, by_length))
    drop = drop_remainder and not by_length and len(x) % batch_size and n_batches > 1
    n_batches -= int(bool(drop))
    if split not in (1, 2):
        raise ValueError("A batch is split into 1 or 2 parts.")

    # TensorFlow's registry of Python functions keeps `gen` for the life of the process, after the dataset is
    # gone (from_generator): it reaches the arrays through `held`, emptied when the dataset is collected (an
    # iterator keeps its dataset), or every run's reviews would stay in memory.
    held = {"x": x, "y": y, "lengths": lengths}

    def gen():
        x, y, lengths = held["x"], held["y"], held["lengths"]
        chosen = groups(lengths, batch_size, rng if shuffle else None, by_length)[:n_batches]
        for idx in (halves(chosen) if split == 2 else chosen):
            xb = x[idx]
            if by_length:
                xb = cut(xb, batch_length(lengths[idx], x.shape[1]), padding)
            xb = xb.astype(np.int32)
            yield (xb,) if y is None else (xb, y[idx])

    xs = tf.TensorSpec((None, None if by_length else x.shape[1]), tf.int32)
    spec = (xs,) if y is None else (xs, tf.TensorSpec((None,), tf.float32))
    ds = tf.data.Dataset.from_generator(gen, output_signature=spec)
    ds = ds.apply(tf.data.experimental.assert_cardinality(n_batches * split)).prefetch(2)
    weakref.finalize(ds, held.clear)
    return ds
