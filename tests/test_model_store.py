"""The local model store: atomic entries, checksums before loading, Keras safe mode, LRU size cap, concurrent saves."""
import threading

import numpy as np
import pytest

import keras

from explorer.data.text_pipeline import TextConfig, TextPipeline
from explorer.nn.config import ModelConfig, TrainConfig
from explorer.nn.models import build_model
from explorer.train import model_store as ms

TEXTS = ["a great film", "an awful film", "great fun", "dull and awful", "loved it", "hated it"]


@pytest.fixture(scope="module")
def pipe():
    return TextPipeline.fit(TEXTS, TextConfig(vocab_size=100, max_len=8))


def tiny(pipe, seed: int = 0):
    return build_model(ModelConfig(cell="GRU", units=4, head="binary", vocab_size=pipe.vocab_size, embedding_dim=4),
                       TrainConfig(seed=seed), timesteps=8)


def save(store, key, pipe, seed=0, **metrics):
    return store.save(key, tiny(pipe, seed), pipe, {"seed": seed}, {"trained_at": f"2026-01-01 00:00:0{seed}",
                                                                   **metrics}, {"probabilities": np.zeros(3)})


def test_round_trip_gives_the_same_predictions(tmp_path, pipe):
    store = ms.ModelStore(tmp_path)
    model = tiny(pipe)
    x = pipe.encode(["great fun film", "awful"])
    entry = store.save("k1", model, pipe, {"a": 1}, {"accuracy": 0.5, "trained_at": "t"}, {"probabilities": np.ones(4)})
    assert {p.name for p in entry.path.iterdir()} == {ms.MODEL, ms.VOCAB, ms.CONFIG, ms.METRICS, ms.MANIFEST,
                                                      "probabilities.npy"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left
    entries, problems = store.entries()
    assert [e.key for e in entries] == ["k1"] and problems == []
    loaded, loaded_pipe, arrays = store.load(entries[0])
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert loaded_pipe.vocabulary == pipe.vocabulary and arrays["probabilities"].tolist() == [1, 1, 1, 1]
    assert entries[0].config == {"a": 1} and entries[0].metrics["accuracy"] == 0.5


def test_a_half_written_entry_is_invisible(tmp_path, pipe):
    store = ms.ModelStore(tmp_path)
    save(store, "good", pipe)
    partial = tmp_path / ".tmp-other-1234"  # what a writer that died mid-way leaves
    partial.mkdir()
    (partial / ms.MODEL).write_bytes(b"half")
    entries, problems = store.entries()
    assert [e.key for e in entries] == ["good"] and problems == []


def test_damaged_entries_are_skipped_with_a_clear_message_and_never_loaded(tmp_path, pipe, monkeypatch):
    store = ms.ModelStore(tmp_path)
    flipped, truncated, broken = (save(store, k, pipe) for k in ("flipped", "truncated", "broken"))
    raw = bytearray((flipped.path / ms.MODEL).read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # same size, other bytes: only the checksum sees it
    (flipped.path / ms.MODEL).write_bytes(bytes(raw))
    (truncated.path / ms.MODEL).write_bytes(raw[:100])
    (broken.path / ms.METRICS).write_text("{not json")
    entries, problems = store.entries()
    assert [e.key for e in entries] == ["flipped"]
    assert sorted(problems) == [
        "Stored model broken is damaged (unreadable JSON) and was skipped.",
        "Stored model truncated is damaged (model.keras is missing or has the wrong size) and was skipped."]
    calls = []
    monkeypatch.setattr(keras.saving, "load_model", lambda *a, **k: calls.append(a))
    with pytest.raises(ms.StoreProblem, match="flipped is damaged \\(model.keras does not match its checksum\\)"):
        store.load(entries[0])
    assert calls == []  # Keras never opened the damaged file


def test_loading_uses_keras_safe_mode(tmp_path, pipe):
    """A model with a Python lambda inside would run code when loaded; safe mode refuses it."""
    store = ms.ModelStore(tmp_path)
    inputs = keras.Input((8,), dtype="int32")
    x = keras.layers.Embedding(pipe.vocab_size, 4)(inputs)
    x = keras.layers.Lambda(lambda t: t * 2.0)(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(keras.layers.GRU(2)(x))
    entry = store.save("lambda", keras.Model(inputs, outputs), pipe, {}, {"trained_at": "t"})
    with pytest.raises(ms.StoreProblem, match="could not be loaded"):
        store.load(entry)


def test_least_recently_used_entries_go_first_when_the_store_is_full(tmp_path, pipe):
    first = save(ms.ModelStore(tmp_path), "first", pipe)
    cap = int(first.size * 3.5)  # room for three entries
    store = ms.ModelStore(tmp_path, cap_bytes=cap)
    save(store, "second", pipe, seed=1)
    save(store, "third", pipe, seed=2)
    import os
    import time
    now = time.time()
    for i, key in enumerate(("first", "second", "third")):
        os.utime(tmp_path / key, (now - 100 + i, now - 100 + i))
    store.touch("first")  # used just now: "second" is now the least recently used
    save(store, "fourth", pipe, seed=3)
    assert sorted(e.key for e in store.entries()[0]) == ["first", "fourth", "third"]
    assert sum(e.size for e in store.entries()[0]) <= cap


def test_two_sessions_saving_the_same_model_at_once_leave_one_good_copy(tmp_path, pipe):
    store = ms.ModelStore(tmp_path)
    models = [tiny(pipe, seed=s) for s in range(4)]  # four sessions, each with its own model object
    barrier = threading.Barrier(len(models))
    errors = []

    def session(model):
        try:
            barrier.wait()
            store.save("same", model, pipe, {"config": "same"}, {"trained_at": "t"})
        except Exception as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=session, args=(m,)) for m in models]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    entries, problems = store.entries()
    assert [e.key for e in entries] == ["same"] and problems == []
    assert [p.name for p in tmp_path.iterdir()] == ["same"]  # no temporary folders left behind
    store.load(entries[0])  # intact: the checksums match and Keras loads it


def test_cache_root_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(ms.ENV_DIR, str(tmp_path / "c"))
    assert ms.ModelStore().root == tmp_path / "c" / "models"
    monkeypatch.delenv(ms.ENV_DIR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert ms.cache_root() == tmp_path / "xdg" / "rnn-explorer"
    monkeypatch.setenv(ms.ENV_CAP, "12")
    assert ms.ModelStore(tmp_path).cap == 12_000_000
    assert ms.key_for({"a": 1, "b": [1, 2]}) == ms.key_for({"b": [1, 2], "a": 1}) != ms.key_for({"a": 2})
