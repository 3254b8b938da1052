"""Word vectors from co-occurrence in the training reviews, to start an Embedding from.

A randomly initialised embedding learns a word only from the labelled reviews it occurs in, so a
rare word ("abysmal", "atrocious") stays near noise. Words that occur near the same words mean
similar things: count, for every word, its neighbours within a few words (closer ones weigh more),
turn the counts into positive pointwise mutual information (PPMI, with the context distribution
smoothed by the power 0.75) and keep the top singular directions (Levy, Goldberg & Dagan, TACL
2015). No labels are read; on the training reviews it puts
"awful" next to "terrible", "horrible", "dreadful" and "kubrick" next to "hitchcock".
"""
from __future__ import annotations

import numpy as np

from explorer.data.text_pipeline import OOV

CONTEXTS = 2_000  # the most frequent words serve as contexts (ids are ranked by frequency)
WINDOW = 5  # neighbours counted on each side, weighted 1/distance
BLOCK = 1_024  # words whose counts are gathered at once (bounds the temporary memory: ~16 MiB)
SPECIALS = OOV + 1  # ids 0 (padding) and 1 (out of vocabulary) are no words
KERAS_SD = 0.05 / np.sqrt(3)  # per-value sd of Keras' own Embedding start, uniform(−0.05, 0.05)
# The vectors' per-value sd: 6× Keras' start, so the co-occurrence structure is not drowned by the first
# updates. Chosen on validation reviews over several model seeds (bench/tuning.jsonl).
START_SD = 6 * KERAS_SD


def cooccurrence(ids: np.ndarray, vocab_size: int, contexts: int = CONTEXTS, window: int = WINDOW) -> np.ndarray:
    """Counts (vocab_size, contexts), float32: how often context word c occurs within `window` words of word w,
    each occurrence weighted 1/distance. `ids`: (n, T) token ids, 0 for padding.

    Pairs are read from the flat ids (views, no copies), those that would join two reviews masked out."""
    contexts = min(contexts, vocab_size)
    counts = np.zeros((vocab_size, contexts), np.float32)
    ids = np.ascontiguousarray(ids)
    n, length = ids.shape if ids.ndim == 2 else (0, 0)
    flat = ids.ravel()
    for d in range(1, min(window, length - 1) + 1):
        left, right = flat[:-d], flat[d:]  # right[i] is d words after left[i] …
        same_review = np.tile(np.arange(length) < length - d, n)[:-d]  # … within one review
        for word, context in ((left, right), (right, left)):
            keep = same_review & (word >= SPECIALS) & (context >= SPECIALS) & (context < contexts)
            w, c = word[keep], context[keep]  # the ids' own type (uint16 for the app's vocabularies)
            del keep
            for lo in range(SPECIALS, vocab_size, BLOCK):
                hi = min(lo + BLOCK, vocab_size)
                part = (w >= lo) & (w < hi)
                cell = (w[part].astype(np.int32) - lo) * contexts + c[part]
                block = np.bincount(cell, minlength=(hi - lo) * contexts)
                block = block.reshape(hi - lo, contexts).astype(np.float32)
                block /= np.float32(d)
                counts[lo:hi] += block
    return counts


def ppmi(counts: np.ndarray, smoothing: float = 0.75) -> np.ndarray:
    """Positive pointwise mutual information of a count matrix, in place (returns it)."""
    total = counts.sum(dtype=np.float64)
    if total <= 0:
        return counts
    rows = counts.sum(axis=1, keepdims=True, dtype=np.float64)
    cols = counts.sum(axis=0, keepdims=True, dtype=np.float64) ** smoothing
    cols *= total / cols.sum()
    # P(w, c) / (P(w) P(c)) = count · total / (row · col); words or contexts never seen have no counts: factor 0
    by_row = np.divide(total, rows, out=np.zeros_like(rows), where=rows > 0).astype(np.float32)
    by_col = np.divide(1.0, cols, out=np.zeros_like(cols), where=cols > 0).astype(np.float32)
    with np.errstate(divide="ignore"):
        np.multiply(counts, by_row, out=counts)
        np.multiply(counts, by_col, out=counts)
        np.log(counts, out=counts, where=counts > 0)  # zero counts stay 0 (log skipped), as PPMI wants
    np.maximum(counts, 0, out=counts)
    return counts


def top_directions(matrix: np.ndarray, dim: int, seed: int = 0, oversample: int = 16, iterations: int = 2) -> np.ndarray:
    """Rows projected on the top `dim` singular directions, scaled by √σ: U_k·√Σ_k (randomised SVD, Halko et al.)."""
    rng = np.random.default_rng(seed)
    k = min(dim + oversample, *matrix.shape)
    y = matrix @ rng.standard_normal((matrix.shape[1], k)).astype(np.float32)
    for _ in range(iterations):  # power iterations sharpen the leading directions
        q, _ = np.linalg.qr(y)
        y = matrix @ (matrix.T @ q)
    q, _ = np.linalg.qr(y)
    u, s, _ = np.linalg.svd(q.T @ matrix, full_matrices=False)
    vectors = np.zeros((matrix.shape[0], dim), np.float32)
    keep = min(dim, len(s))
    vectors[:, :keep] = (q @ u[:, :keep]) * np.sqrt(s[:keep])
    return vectors


def from_cooccurrence(ids: np.ndarray, vocab_size: int, dim: int, scale: float | None = None) -> np.ndarray:
    """Embedding weights (vocab_size, dim) from `ids` of unlabelled text, with per-value standard deviation
    `scale` (default `START_SD`). Rows 0 and 1 (padding, out of vocabulary) are zero."""
    scale = START_SD if scale is None else scale
    vectors = top_directions(ppmi(cooccurrence(ids, vocab_size)), dim)
    vectors[:SPECIALS] = 0
    sd = float(vectors[SPECIALS:].std()) if vocab_size > SPECIALS else 0.0
    return (vectors * (scale / sd) if sd > 0 else vectors).astype(np.float32)


def neighbours(vectors: np.ndarray, index: int, k: int = 8) -> np.ndarray:
    """The `k` rows nearest to row `index` by cosine similarity (itself left out), nearest first."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    sims = unit @ unit[index]
    sims[index] = -np.inf
    return np.argsort(-sims, kind="stable")[:k]
