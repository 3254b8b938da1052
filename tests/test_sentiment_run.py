"""One sentiment run through the engine (as the page and the bench do it): encode (cached) → train → score → store → load."""
import numpy as np
import pytest

from explorer.data.imdb import ImdbData, Reviews
from explorer.data.text_pipeline import TextConfig
from explorer.nn.config import ModelConfig, TrainConfig
from explorer.tasks.sentiment import encoding, evaluation, presets, reading, saliency, word_states
from explorer.tasks.sentiment import run as sr
from explorer.train.model_store import ModelStore

GOOD = ["great", "wonderful", "superb", "loved", "brilliant", "fun"]
BAD = ["awful", "boring", "terrible", "hated", "dull", "worst"]
FILLER = ["the", "movie", "film", "was", "a", "plot", "actors", "story", "and", "it", "i", "this"]


def corpus(n: int, seed: int) -> Reviews:
    """Synthetic reviews of 3 to 40 words (so length batches differ), one or two sentiment words each."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        words = list(rng.choice(FILLER, size=rng.integers(2, 38)))
        for _ in range(rng.integers(1, 3)):
            words.insert(int(rng.integers(0, len(words) + 1)), str(rng.choice(GOOD if i % 2 else BAD)))
        texts.append(" ".join(words))
        labels.append(i % 2)
    return Reviews(texts, np.array(labels, np.int8), np.arange(n))


@pytest.fixture(scope="module")
def data():
    return ImdbData(corpus(600, 0), corpus(200, 1), "synthetic reviews")


SETUP = presets.Setup("tiny", TextConfig(vocab_size=100, max_len=40, mask=True),
                 ModelConfig(cell="GRU", units=8, bidirectional=True, head="binary", embedding_dim=8, mask_zero=True,
                             readout="meanmax"),
                 TrainConfig(batch_size=32, epochs=3, learning_rate=1e-2, batch_every=0, patience=1),
                 presets.DataConfig(n_train=600, n_test=200))


def test_a_run_trains_scores_stores_and_comes_back_the_same(data, tmp_path):
    run = sr.prepare_run(data, SETUP, cache_dir=tmp_path / "enc")
    assert run.bucketed and run.enc.x_train.dtype == np.uint16 and "NOT grouped by movie" in run.enc.validation
    result = sr.fit(run)
    assert result.status in ("finished", "stopped") and result.epochs_done >= 2
    store = ModelStore(tmp_path / "models")
    test = sr.finish(run, result, store)
    assert test.accuracy > 0.8, test.accuracy  # the sentiment words decide; chance is 0.5
    # The figure is the model's own: the same as scoring every test review with full padding.
    full = evaluation.evaluate(run.model, run.enc.x_test, run.enc.y_test)
    assert full.correct == test.correct and test.confusion.sum() == 200
    assert run.entry is not None and run.entry.key == run.key
    assert sr.finish(run, result, store) is test  # scored and stored once
    assert run.description["outcome"] == {"status": result.status, "epochs_done": result.epochs_done,
                                          "best_epoch": result.best_epoch}  # a stopped run is another entry

    stored = sr.load_stored(store, store.entries()[0][0])
    assert stored.stored and stored.key == run.key and stored.label == sr.describe(run.setup.model, run.setup.text)
    assert stored.test.accuracy == test.accuracy and stored.metrics["n_val"] == 60
    assert stored.metrics["history"] == result.history and len(stored.metrics["probes"]) == result.epochs_done + 1
    rv = reading.prepare(stored.pipeline, "a wonderful brilliant film")
    assert reading.score(stored.model, rv, "front") == pytest.approx(reading.score(run.model, rv, "front"), abs=1e-6)
    # The views of a masked model read the review without its padding: the same values in fewer steps.
    np.testing.assert_allclose(saliency.saliency(run.model, rv, "front"), saliency.saliency(run.model, rv), rtol=1e-4, atol=1e-7)
    for cut_, full_ in zip(word_states.states(run.model, rv, "front"), word_states.states(run.model, rv)):
        np.testing.assert_allclose(cut_.h, full_.h, atol=1e-5)
    assert sr.default_entry(store.entries()[0]).key == run.key


def test_encodings_are_cached_on_disk_and_rebuilt_when_damaged(data, tmp_path):
    first = sr.encode_cached(data, SETUP.text, SETUP.data, tmp_path)
    (folder,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    again = sr.encode_cached(data, SETUP.text, SETUP.data, tmp_path)
    np.testing.assert_array_equal(again.x_train, first.x_train)
    assert again.pipeline.vocabulary == first.pipeline.vocabulary and again.test_texts == first.test_texts
    (folder / "ids.npz").write_bytes(b"damaged")
    rebuilt = sr.encode_cached(data, SETUP.text, SETUP.data, tmp_path)
    np.testing.assert_array_equal(rebuilt.x_test, first.x_test)
    np.testing.assert_array_equal(np.load(folder / "ids.npz")["test"], first.x_test)  # the damaged file was replaced
    # Other reviews held out (here: another split seed) never reuse the cached ids, even at the same sizes.
    moved = sr.encode_cached(data, SETUP.text, presets.DataConfig(n_train=600, n_test=200, seed=5), tmp_path)
    assert moved.y_val.tolist() != first.y_val.tolist() or not np.array_equal(moved.x_val, first.x_val)
    np.testing.assert_array_equal(moved.x_val, encoding.encode_dataset(data, SETUP.text, presets.DataConfig(
        n_train=600, n_test=200, seed=5), moved.pipeline).x_val)
    other = sr.encode_cached(data, TextConfig(vocab_size=200, max_len=20), SETUP.data, tmp_path)
    assert other.x_train.shape[1] == 20 and len([p for p in tmp_path.iterdir() if not p.name.startswith(".")]) == 3


def test_the_default_model_is_chosen_on_validation_never_test(tmp_path):
    from explorer.train.model_store import Entry

    def entry(key, val, n_val, test, status="finished"):
        return Entry(key, tmp_path, {}, {"val_accuracy": val, "n_val": n_val, "accuracy": test, "status": status,
                                         "trained_at": key}, 1, 0.0)

    lucky_small = entry("a", 0.95, 20, 0.70)  # high validation accuracy on 20 reviews: not trusted
    solid = entry("b", 0.88, 2500, 0.86)
    best_test = entry("c", 0.86, 2500, 0.99)  # the test figure plays no part
    stopped = entry("d", 0.90, 2500, 0.90, status="stopped")
    assert sr.default_entry([lucky_small, solid, best_test, stopped]).key == "b"
    assert sr.default_entry([entry("e", 0.9, 100, 0.9, status="diverged")]) is None


def test_xla_only_where_it_pays_fixed_shapes_and_enough_steps(data, tmp_path):
    from dataclasses import replace

    asked = replace(SETUP.train, jit_compile=True)
    masked = sr.prepare_run(data, replace(SETUP, train=asked), cache_dir=tmp_path, probe=False)
    assert not masked.setup.train.jit_compile  # length classes: one compile per length, never worth it
    plain = replace(SETUP, text=replace(SETUP.text, mask=False), model=replace(SETUP.model, mask_zero=False))
    few = sr.prepare_run(data, replace(plain, train=asked), cache_dir=tmp_path, probe=False)
    assert not few.setup.train.jit_compile  # 540 reviews × 3 epochs / 32 = 48 steps: compiling costs more
    many = sr.prepare_run(data, replace(plain, train=replace(asked, epochs=20)), cache_dir=tmp_path, probe=False)
    assert many.setup.train.jit_compile and many.model.jit_compile
    assert many.key != few.key  # the stored description says how it was trained


def test_a_pooled_run_reuses_the_last_runs_model_and_trains_as_a_fresh_one(data, tmp_path):
    """The page's runs take their model from the pool (no new traces or XLA step per Train click), same results."""
    import gc

    from explorer.nn.model_pool import POOL

    fresh = sr.prepare_run(data, SETUP, cache_dir=tmp_path)
    expected = sr.fit(fresh).history
    first = sr.prepare_run(data, SETUP, cache_dir=tmp_path, pooled=True)
    sr.fit(first)
    model, reused = first.model, POOL.reused
    del first  # the page drops its record: the model goes back to the pool
    gc.collect()
    second = sr.prepare_run(data, SETUP, cache_dir=tmp_path, pooled=True)
    assert second.model is model and POOL.reused == reused + 1
    again = sr.fit(second).history
    assert again.keys() == expected.keys()
    for name in expected:
        np.testing.assert_allclose(again[name], expected[name], rtol=1e-5, err_msg=name)
    assert sr.prepare_run(data, SETUP, cache_dir=tmp_path, pooled=True).model is not model  # in use: not lent twice


def test_a_cooccurrence_run_starts_from_its_training_reviews_vectors_pooled_or_not(data, tmp_path):
    """The embedding starts from vectors of the training part only (no validation or test review, no label);
    a pooled model lent again starts from them again, not from where its last run left it."""
    import gc
    from dataclasses import replace

    from explorer.nn.word_vectors import SPECIALS, from_cooccurrence

    setup = replace(SETUP, model=replace(SETUP.model, embedding_init="cooccurrence"))
    first = sr.prepare_run(data, setup, cache_dir=tmp_path, probe=False, pooled=True)
    vectors = from_cooccurrence(first.enc.x_train, first.enc.pipeline.vocab_size, setup.model.embedding_dim)
    start = lambda run: np.array(run.model.get_layer("embedding").embeddings)[SPECIALS:]  # noqa: E731
    np.testing.assert_array_equal(start(first), vectors[SPECIALS:])
    assert "word vectors from co-occurrence" in sr.describe(setup.model, setup.text)
    sr.fit(first)
    model = first.model
    assert not np.array_equal(start(first), vectors[SPECIALS:])  # trained further
    del first
    gc.collect()
    second = sr.prepare_run(data, setup, cache_dir=tmp_path, probe=False, pooled=True)
    assert second.model is model
    np.testing.assert_array_equal(start(second), vectors[SPECIALS:])
