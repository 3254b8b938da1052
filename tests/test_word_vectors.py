"""Word vectors from co-occurrence: counts, PPMI and the SVD checked against direct formulas; words used
alike end up alike; the Embedding starts from them and the page's knob reaches the model."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from explorer.nn.config import ModelConfig, TrainConfig
from explorer.nn.word_vectors import (SPECIALS, START_SD, cooccurrence, from_cooccurrence, neighbours, ppmi,
                                      top_directions)


def _counts_by_loop(ids, vocab, contexts, window):
    out = np.zeros((vocab, contexts))
    for row in ids:
        for i, w in enumerate(row):
            for j in range(max(0, i - window), min(len(row), i + window + 1)):
                c = row[j]
                if j != i and w >= SPECIALS and SPECIALS <= c < contexts:
                    out[w, c] += 1 / abs(i - j)
    return out


def test_cooccurrence_counts_every_neighbour_within_the_window_weighted_by_distance():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 30, size=(7, 12)).astype(np.uint16)
    ids[:, 9:] = 0  # padding
    got = cooccurrence(ids, vocab_size=30, contexts=20, window=3)
    assert got.shape == (30, 20) and got.dtype == np.float32
    np.testing.assert_allclose(got, _counts_by_loop(ids, 30, 20, 3), rtol=1e-6)
    assert not got[:SPECIALS].any() and not got[:, :SPECIALS].any()  # padding and OOV are no words
    full = rng.integers(SPECIALS, 30, size=(5, 8)).astype(np.int32)  # no padding: no pair may join two reviews
    np.testing.assert_allclose(cooccurrence(full, 30, 30, 4), _counts_by_loop(full, 30, 30, 4), rtol=1e-6)
    np.testing.assert_allclose(cooccurrence(full[:, :3], 30, 30, 5), _counts_by_loop(full[:, :3], 30, 30, 5), rtol=1e-6)


def test_ppmi_is_the_positive_log_ratio_with_smoothed_contexts():
    rng = np.random.default_rng(1)
    counts = rng.poisson(1.0, size=(9, 6)).astype(np.float32)
    total = counts.sum()
    p_wc = counts / total
    p_w = counts.sum(1, keepdims=True) / total
    c = counts.sum(0, keepdims=True) ** 0.75
    p_c = c / c.sum()
    with np.errstate(divide="ignore"):
        want = np.maximum(np.log(p_wc / (p_w * p_c)), 0)
    np.testing.assert_allclose(ppmi(counts.copy()), want, rtol=1e-5, atol=1e-6)


def test_top_directions_match_an_exact_svd():
    rng = np.random.default_rng(2)
    m = (rng.standard_normal((60, 5)) @ rng.standard_normal((5, 40)) + 0.01 * rng.standard_normal((60, 40)))
    m = m.astype(np.float32)
    got = top_directions(m, 4)
    u, s, _ = np.linalg.svd(m, full_matrices=False)
    want = u[:, :4] * np.sqrt(s[:4])
    np.testing.assert_allclose(got @ got.T, want @ want.T, rtol=1e-3, atol=1e-3 * s[0])  # signs may differ


def test_words_used_alike_start_alike_at_the_embeddings_own_scale():
    """Two topics: words 2–11 only ever occur among each other, as do 12–21. A word's nearest vectors are its
    own topic's, and the vectors have the per-value spread asked for."""
    rng = np.random.default_rng(3)
    docs = [rng.integers(2, 12, size=40) if i % 2 else rng.integers(12, 22, size=40) for i in range(400)]
    vectors = from_cooccurrence(np.array(docs, np.uint16), vocab_size=22, dim=4)
    assert vectors.shape == (22, 4) and not vectors[:SPECIALS].any()
    assert vectors[SPECIALS:].std() == pytest.approx(START_SD, rel=1e-4)
    assert from_cooccurrence(np.array(docs, np.uint16), 22, 4, scale=0.01)[SPECIALS:].std() == pytest.approx(0.01, rel=1e-4)
    for word in (3, 15):
        same = set(range(2, 12)) if word < 12 else set(range(12, 22))
        assert set(neighbours(vectors, word, k=5).tolist()) <= same


def test_on_imdb_reviews_awful_starts_next_to_its_synonyms(shared_datasets):
    from explorer.data.imdb import load_imdb, subset
    from explorer.data.text_pipeline import TextConfig, TextPipeline

    data = subset(load_imdb(shared_datasets / "aclImdb_v1.tar.gz", allow_download=False), 5_000, 0)
    pipe = TextPipeline.fit(data.train.texts, TextConfig(vocab_size=5_000, max_len=300, mask=True))
    vectors = from_cooccurrence(pipe.encode(data.train.texts), pipe.vocab_size, 32)
    vocab = pipe.vocabulary
    near = {vocab[i] for i in neighbours(vectors, vocab.index("awful"), k=10)}
    assert near & {"terrible", "horrible", "dreadful", "atrocious", "bad", "worst"}, near


def test_the_embedding_starts_from_the_vectors_and_asks_for_them():
    from explorer.nn.models import build_model, config_problems

    cfg = ModelConfig(cell="GRU", units=4, head="binary", vocab_size=30, embedding_dim=6, mask_zero=True,
                      readout="mean", embedding_init="cooccurrence")
    vectors = np.random.default_rng(4).standard_normal((30, 6)).astype(np.float32)
    model = build_model(cfg, TrainConfig(seed=1), timesteps=None, word_vectors=vectors)
    start = np.array(model.get_layer("embedding").embeddings)
    np.testing.assert_array_equal(start[SPECIALS:], vectors[SPECIALS:])
    plain = np.array(build_model(replace(cfg, embedding_init="random"), TrainConfig(seed=1), None)
                     .get_layer("embedding").embeddings)
    np.testing.assert_array_equal(start[:SPECIALS], plain[:SPECIALS])  # padding and OOV keep Keras' start
    with pytest.raises(ValueError, match="Co-occurrence word vectors"):
        build_model(cfg, TrainConfig(seed=1), timesteps=None)
    with pytest.raises(ValueError, match="Co-occurrence word vectors"):
        build_model(cfg, TrainConfig(seed=1), timesteps=None, word_vectors=vectors[:, :5])
    assert "Unknown embedding start" in " ".join(config_problems(replace(cfg, embedding_init="glove")))
