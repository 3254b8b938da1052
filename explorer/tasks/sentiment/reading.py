"""One typed review as the model reads it: tokenized with the training pipeline, its probability, the
prediction after each word and each word's influence by occlusion."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from explorer.data.buckets import batch_length, cut
from explorer.data.text_pipeline import OOV, TextConfig, TextPipeline, pad
from explorer.tasks.sentiment.prediction import can_cut, predict


MAX_CHARS = 100_000  # longer input is cut before tokenizing, with a note (a review is ~1,300 characters)
MAX_POINTS = 400  # trajectory points at most (longer reviews are sampled evenly)


@dataclass
class Review:
    """A typed review as the model reads it. `ok` False means there is nothing to score; `message` says why."""

    ok: bool
    message: str = ""
    notes: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)  # standardized words the model reads, in order
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    x: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # (max_len,) model input
    positions: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # where each word sits in x
    total_words: int = 0
    oov: int = 0


def prepare(pipeline: TextPipeline, text: Optional[str]) -> Review:
    """Tokenize `text` with the training pipeline; handles empty, punctuation-only, huge and unknown-word input."""
    text = "" if text is None else str(text)
    notes = []
    if not text.strip():
        return Review(False, "Type or paste a review first (it is empty).")
    if len(text) > MAX_CHARS:
        notes.append(f"The review has {len(text):,} characters; only the first {MAX_CHARS:,} were read "
                     "(the rest was cut off).")
        text = text[:MAX_CHARS]
    ids = pipeline.ids([text])[0]
    words = pipeline.words(text)
    if len(words) != len(ids):  # cannot happen with one standardize+split; guard the display anyway
        words = pipeline.decode(ids) if len(ids) else []
    if len(ids) == 0:
        return Review(False, "No words left after removing punctuation and symbols: type some words.")
    total = len(ids)
    cfg = pipeline.cfg
    max_len = cfg.max_len
    if total > max_len:
        if cfg.padding == "front":
            ids, words = ids[-max_len:], words[-max_len:]
            notes.append(f"The review has {total:,} words; the model reads at most {max_len} and, with front "
                         f"padding, keeps the last {max_len} (the first {total - max_len:,} were dropped).")
        else:
            ids, words = ids[:max_len], words[:max_len]
            notes.append(f"The review has {total:,} words; the model reads at most {max_len} and, with end "
                         f"padding, keeps the first {max_len} (the last {total - max_len:,} were dropped).")
    n = len(ids)
    oov = int(np.sum(ids == OOV))
    if oov == n:
        notes.append("None of these words is in the training vocabulary (the model sees only [UNK]); "
                     "the prediction is close to a guess. The model learned English movie reviews.")
    elif oov > n / 2:
        notes.append(f"{oov} of {n} words are not in the vocabulary (shown as [UNK]); the model knows "
                     "English movie-review words, so the prediction rests on few words.")
    x = pad(ids.astype(np.int32), np.array([n]), max_len, cfg.padding)[0]
    positions = np.arange(max_len - n, max_len) if cfg.padding == "front" else np.arange(n)
    return Review(True, "", notes, list(words), ids.astype(np.int32), x, positions, total, oov)


def review_input(model, review: Review, padding: Optional[str]) -> tuple[np.ndarray, np.ndarray]:
    """(1, T') model input and the words' positions in it: for a masked model of any length, padding cut
    to the review's length class (the same values, a 10-word review runs 16 steps instead of 500)."""
    x = np.asarray(review.x[None], np.int32)
    if padding is None or not can_cut(model):
        return x, review.positions
    keep = batch_length(np.array([len(review.ids)]), x.shape[1])
    shift = x.shape[1] - keep if padding == "front" else 0
    return cut(x, keep, padding), review.positions - shift


def label_of(p: float, threshold: float = 0.5) -> str:
    return "positive" if p >= threshold else "negative"


def score(model, review: Review, padding: Optional[str] = None) -> float:
    """P(positive) of a prepared review (the fast path)."""
    return float(predict(model, review.x[None], padding=padding)[0])


def trajectory(model, review: Review, cfg: TextConfig, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """(k, p_k): the prediction if the review ended after word k, for k = 1…n (evenly sampled beyond `max_points`)."""
    n = len(review.ids)
    ks = np.unique(np.linspace(1, n, num=min(n, max_points)).round().astype(int)) if n else np.zeros(0, int)
    lengths = ks.astype(np.int64)
    flat = np.concatenate([review.ids[:k] for k in ks]) if n else np.zeros(0, np.int32)
    x = pad(flat, lengths, cfg.max_len, cfg.padding)
    return ks, predict(model, x, padding=cfg.padding)


def occlusion(model, review: Review, cfg: TextConfig) -> np.ndarray:
    """For each word: p(full review) − p(review without that word). Positive = the word pushed towards positive."""
    n = len(review.ids)
    if n == 0:
        return np.zeros(0, np.float32)
    keep = ~np.eye(n, dtype=bool)
    flat = np.broadcast_to(review.ids, (n, n))[keep]
    x = pad(flat, np.full(n, n - 1), cfg.max_len, cfg.padding)
    return (score(model, review, cfg.padding) - predict(model, x, padding=cfg.padding)).astype(np.float32)
EXAMPLES = {
    "Loved it": "One of the best films I have seen this year. The acting is superb, the story is moving "
                "and the ending left me smiling. Highly recommended.",
    "Hated it": "A dull, boring mess. The plot makes no sense, the acting is terrible and I wanted my "
                "two hours back. Avoid this waste of time.",
    "Negation": "This movie was not good. It was not funny, not clever and not worth watching.",
    "Double negation": "I can't say I didn't enjoy it: not bad at all, actually.",
    "Sarcasm": "Oh great, another two hours of my life I will never get back. What a masterpiece of "
               "boredom. Truly brilliant.",
    "Turns around": "The first half is slow, clumsy and badly acted, and I almost left. But the second "
                    "half is brilliant, beautiful and unforgettable. A wonderful film.",
    "Mixed": "Great cast and beautiful music, but the script is awful and the story is predictable.",
}
