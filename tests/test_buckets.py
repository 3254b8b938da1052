"""Length batches: a masked model's predictions do not depend on how much padding is cut off; every review once per epoch."""
import numpy as np
import pytest

from explorer import buckets
from explorer import sentiment as sa
from explorer.config import ModelConfig, TrainConfig
from explorer.models import build_model
from explorer.text import pad


def ragged(n: int, max_len: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, max_len * 2, size=n)  # some rows longer than max_len: truncated
    flat = rng.integers(1, 50, size=int(lengths.sum())).astype(np.int32)  # ids ≥ 1: never padding
    return flat, lengths


@pytest.mark.parametrize("padding", ["front", "end"])
def test_lengths_of_counts_the_columns_that_hold_words(padding):
    flat, lengths = ragged(40, 30)
    x = pad(flat, lengths, 30, padding)
    np.testing.assert_array_equal(buckets.lengths_of(x, padding), np.minimum(lengths, 30))
    assert buckets.lengths_of(np.zeros((2, 30), np.int32), padding).tolist() == [0, 0]
    cut = buckets.cut(x, 7, padding)
    assert cut.shape == (40, 7)
    np.testing.assert_array_equal(cut, x[:, -7:] if padding == "front" else x[:, :7])


@pytest.fixture(scope="module")
def masked_models():
    """One masked model per architecture, built once and read with either padding side."""
    return {}


@pytest.mark.parametrize("padding", ["front", "end"])
@pytest.mark.parametrize("cell,readout,bidirectional", [("GRU", "meanmax", True), ("LSTM", "last", False)])
def test_masked_model_predicts_the_same_with_the_padding_cut(masked_models, padding, cell, readout, bidirectional):
    flat, lengths = ragged(70, 40, seed=1)
    x = pad(flat, lengths, 40, padding)
    if (cell, readout) not in masked_models:
        masked_models[cell, readout] = build_model(
            ModelConfig(cell=cell, units=6, bidirectional=bidirectional, readout=readout, head="binary",
                        vocab_size=50, embedding_dim=4, mask_zero=True), TrainConfig(), timesteps=None)
    model = masked_models[cell, readout]
    full = model.predict(x, verbose=0).reshape(-1)
    np.testing.assert_allclose(sa.predict(model, x, chunk=16, padding=padding), full, atol=2e-6)
    assert sa.can_cut(model)


def test_unmasked_and_fixed_length_models_are_never_cut():
    model = build_model(ModelConfig(cell="GRU", units=4, head="binary", vocab_size=50, embedding_dim=4),
                        TrainConfig(), timesteps=None)
    fixed = build_model(ModelConfig(cell="GRU", units=4, head="binary", vocab_size=50, embedding_dim=4,
                                    mask_zero=True), TrainConfig(), timesteps=40)
    assert not sa.can_cut(model) and not sa.can_cut(fixed)
    flat, lengths = ragged(20, 40)
    x = pad(flat, lengths, 40, "front")
    np.testing.assert_allclose(sa.predict(model, x, padding="front"), model.predict(x, verbose=0).reshape(-1), atol=1e-6)


def test_length_batches_hold_every_review_once_per_epoch_and_change_between_epochs():
    flat, lengths = ragged(300, 60, seed=2)
    x = pad(flat, lengths, 60, "front")
    y = np.arange(300, dtype=np.float32)  # the label says which review it is
    ds = buckets.length_batches(x, y, batch_size=32, padding="front", by_length=True, seed=0)
    assert len(ds) == len(buckets.groups(buckets.lengths_of(x), 32, None)) == 11  # 4 length classes, 300 reviews
    epochs = []
    for _ in range(2):
        seen, widths = [], []
        for xb, yb in ds.as_numpy_iterator():
            rows = yb.astype(int)
            seen += rows.tolist()
            widths.append(xb.shape[1])
            longest = int(buckets.lengths_of(x[rows], "front").max())
            assert xb.shape[1] % buckets.ROUND == 0 or xb.shape[1] == 60
            assert longest <= xb.shape[1] < longest + buckets.ROUND or xb.shape[1] == 60
            np.testing.assert_array_equal(xb, x[rows, 60 - xb.shape[1]:])  # only padding was cut
        assert sorted(seen) == list(range(300))
        epochs.append(seen)
    assert epochs[0] != epochs[1]  # regrouped and reshuffled every epoch
    assert buckets.padded_share(x, 32) < 0.9


def test_unmasked_batches_keep_the_full_length():
    flat, lengths = ragged(50, 20)
    x = pad(flat, lengths, 20, "end")
    ds = buckets.length_batches(x, np.zeros(50), batch_size=16, padding="end", by_length=False)
    shapes = [xb.shape for xb, _ in ds.as_numpy_iterator()]
    assert shapes == [(16, 20), (16, 20), (16, 20), (2, 20)]
    # For XLA (one compiled shape): the smaller last batch is left out, other reviews each epoch.
    y = np.arange(50, dtype=np.float32)
    fixed = buckets.length_batches(x, y, batch_size=16, padding="end", by_length=False, drop_remainder=True)
    epochs = [[yb for _, yb in fixed.as_numpy_iterator()] for _ in range(2)]
    assert [b.shape for b in epochs[0]] == [(16,)] * 3 and len(fixed) == 3
    assert set(np.concatenate(epochs[0]).tolist()) != set(np.concatenate(epochs[1]).tolist())


def test_batches_of_long_reviews_hold_fewer_so_no_batch_costs_more_than_the_budget():
    lengths = np.random.default_rng(3).integers(1, 501, size=5_000)
    batches = buckets.groups(lengths, 128, np.random.default_rng(0))
    assert sorted(np.concatenate(batches).tolist()) == list(range(5_000))
    cost = [len(b) * buckets.batch_length(lengths[b], 500) for b in batches]
    assert max(cost) <= 128 * buckets.LONG
    assert max(len(b) for b in batches) == 128 and min(len(b) for b in batches if lengths[b].min() > 480) <= 66
