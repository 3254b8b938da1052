"""Length batches: a masked model's predictions do not depend on how much padding is cut off; every review once per epoch."""
import numpy as np
import pytest

from explorer.data import buckets
from explorer.data.text_pipeline import pad
from explorer.nn.config import ModelConfig, TrainConfig
from explorer.nn.models import build_model
from explorer.tasks.sentiment import prediction


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
    np.testing.assert_allclose(prediction.predict(model, x, chunk=16, padding=padding), full, atol=2e-6)
    assert prediction.can_cut(model)


def test_unmasked_and_fixed_length_models_are_never_cut():
    model = build_model(ModelConfig(cell="GRU", units=4, head="binary", vocab_size=50, embedding_dim=4),
                        TrainConfig(), timesteps=None)
    fixed = build_model(ModelConfig(cell="GRU", units=4, head="binary", vocab_size=50, embedding_dim=4,
                                    mask_zero=True), TrainConfig(), timesteps=40)
    assert not prediction.can_cut(model) and not prediction.can_cut(fixed)
    flat, lengths = ragged(20, 40)
    x = pad(flat, lengths, 40, "front")
    np.testing.assert_allclose(prediction.predict(model, x, padding="front"), model.predict(x, verbose=0).reshape(-1), atol=1e-6)


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


def test_a_batch_comes_in_two_consecutive_halves_that_together_hold_it():
    batches = [np.arange(7), np.array([9]), np.arange(10, 14)]
    parts = buckets.halves(batches)
    assert [p.tolist() for p in parts] == [[0, 1, 2], [3, 4, 5, 6], [9], [9], [10, 11], [12, 13]]
    x = pad(*ragged(300, 60), 60, "front")
    whole = list(buckets.length_batches(x, np.zeros(300), 32, "front", seed=4))
    split = list(buckets.length_batches(x, np.zeros(300), 32, "front", seed=4, split=2))
    assert len(split) == 2 * len(whole)
    for (xb, _), (a, _), (b, _) in zip(whole, split[::2], split[1::2]):
        # the same batch, in halves of one length (a batch of one review comes twice)
        np.testing.assert_array_equal(a if len(xb) == 1 else np.concatenate([a, b]), xb)
        np.testing.assert_array_equal(b if len(xb) == 1 else np.concatenate([a, b]), xb)
    assert buckets.parts_for(128, by_length=True) == 2  # the best preset's batches: 128 × 256 words at most
    assert buckets.parts_for(128, by_length=False) == 1 and buckets.parts_for(32, by_length=True) == 1


def test_two_halves_with_accumulated_gradients_make_the_same_update_as_the_whole_batch():
    # SGD: the update is the gradient itself. (Adam differs in the embedding alone: a whole batch hands it a
    # sparse gradient whose rows Keras updates by themselves, while accumulated gradients are dense.)
    cfg = ModelConfig(cell="GRU", units=8, bidirectional=True, head="binary", vocab_size=50, embedding_dim=8,
                      mask_zero=True, readout="meanmax")
    train = TrainConfig(optimizer="sgd", learning_rate=0.5, batch_size=32, seed=0)
    whole, halved = build_model(cfg, train, None), build_model(cfg, train, None, accumulate=2)
    halved.set_weights(whole.get_weights())
    x = pad(*ragged(32, 40, seed=5), 40, "front")
    y = (np.arange(32) % 2).astype(np.float32)
    start = [w.copy() for w in whole.get_weights()]
    whole.train_on_batch(x, y)
    halved.train_on_batch(x[:16], y[:16])
    assert all(np.array_equal(a, b) for a, b in zip(halved.get_weights(), start))  # gradients kept, no update yet
    halved.train_on_batch(x[16:], y[16:])
    moved = [not np.allclose(a, b) for a, b in zip(whole.get_weights(), start)]
    assert sum(moved) >= len(start) - 1  # the update moved (nearly) every weight
    for a, b in zip(halved.get_weights(), whole.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_a_dropped_dataset_lets_its_reviews_go():
    """TensorFlow keeps a from_generator dataset's generator for good: the reviews must not be reachable from it,
    or every run leaves its training reviews in the server's memory."""
    import gc
    import weakref

    flat, lengths = ragged(64, 20)
    x, y = pad(flat, lengths, 20, "end"), np.arange(64, dtype=np.float32)
    gone = [weakref.ref(x), weakref.ref(y)]
    ds = buckets.length_batches(x, y, batch_size=16, padding="end", by_length=True)
    it = iter(ds)
    del ds  # an iterator keeps its dataset: the batches still come
    assert sum(len(yb) for _, yb in it) == 64
    del x, y, it
    gc.collect()
    assert [ref() for ref in gone] == [None, None]
