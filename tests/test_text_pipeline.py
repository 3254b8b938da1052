"""The text pipeline: adapted on training texts only, typed text gets the training ids, padding rules."""
import numpy as np
import pytest

from explorer.data.text_pipeline import OOV, PAD, TextConfig, TextPipeline, pad, text_problems

TRAIN = [
    "The movie was great, GREAT fun!<br /><br />Loved the actors.",
    "A boring movie. The plot was dull and the actors were bad.",
    "Great story, great music; the movie is a must-see.",
    "Bad, bad, bad. I hated the movie and the ending.",
]


@pytest.fixture(scope="module")
def pipe():
    return TextPipeline.fit(TRAIN, TextConfig(vocab_size=100, max_len=8, padding="front"))


def test_vocabulary_from_training_texts_only(pipe):
    vocab = pipe.vocabulary
    assert vocab[PAD] == "" and vocab[OOV] == "[UNK]"
    assert vocab[2] == "the" and "movie" in vocab[:6]  # most frequent first
    assert "br" not in vocab and all(w == w.lower() for w in vocab[2:])  # '<br />' and case removed
    assert not any(ch in w for w in vocab for ch in ",.!;<>")
    before = list(vocab)
    pipe.encode(["zebras and quokkas are wonderful unseen words"])
    assert pipe.vocabulary == before  # encoding never refits


def test_typed_text_gets_the_training_ids(pipe):
    training_ids = pipe.ids([TRAIN[0]])[0]
    typed = pipe.ids(["the MOVIE was great,   great fun!<br />loved the actors"])[0]
    np.testing.assert_array_equal(training_ids, typed)
    assert pipe.decode(training_ids) == ["the", "movie", "was", "great", "great", "fun", "loved", "the", "actors"]
    assert pipe.words(TRAIN[0]) == pipe.decode(training_ids)
    unknown = pipe.ids(["quokka movie"])[0]
    assert list(unknown) == [OOV, pipe.vocabulary.index("movie")]


def test_vocab_cap_maps_rare_words_to_oov():
    small = TextPipeline.fit(TRAIN, TextConfig(vocab_size=100, max_len=8))
    assert small.vocab_size < 100  # fewer distinct words than the cap: the id space is smaller
    capped = TextPipeline.fit(TRAIN * 3 + [f"word{i}" for i in range(300)], TextConfig(vocab_size=120, max_len=8))
    assert capped.vocab_size == 120
    ids = capped.ids([" ".join(f"word{i}" for i in range(300))])[0]
    assert len(ids) == 300 and ids.max() < 120
    kept = set(capped.vocabulary)
    assert [i == OOV for i in ids] == [f"word{k}" not in kept for k in range(300)]
    assert (ids == OOV).sum() >= 300 - 120


def test_front_padding_keeps_the_end_and_end_padding_keeps_the_start():
    flat = np.arange(1, 11, dtype=np.int32)  # rows [1..3], [4..10]
    lengths = np.array([3, 7])
    front = pad(flat, lengths, 5, "front")
    end = pad(flat, lengths, 5, "end")
    np.testing.assert_array_equal(front, [[0, 0, 1, 2, 3], [6, 7, 8, 9, 10]])
    np.testing.assert_array_equal(end, [[1, 2, 3, 0, 0], [4, 5, 6, 7, 8]])
    np.testing.assert_array_equal(pad(np.zeros(0, np.int32), np.array([0, 0]), 3, "end"), np.zeros((2, 3)))
    with pytest.raises(ValueError):
        pad(flat, lengths, 5, "middle")


def test_encode_pads_and_truncates_on_the_configured_side(pipe):
    long = "the movie was great great fun loved the actors and the plot"
    ids = pipe.ids([long])[0]
    front = pipe.encode([long, "great"])
    assert front.shape == (2, 8) and front.dtype == np.int32
    np.testing.assert_array_equal(front[0], ids[-8:])
    assert list(front[1][:-1]) == [PAD] * 7 and front[1][-1] == pipe.vocabulary.index("great")
    end = TextPipeline(TextConfig(vocab_size=100, max_len=8, padding="end"), pipe.vocabulary).encode([long, "great"])
    np.testing.assert_array_equal(end[0], ids[:8])
    assert end[1][0] == pipe.vocabulary.index("great") and list(end[1][1:]) == [PAD] * 7


def test_save_and_load_round_trip(pipe, tmp_path):
    path = tmp_path / "vocab.json"
    pipe.save(path)
    again = TextPipeline.load(path)
    assert again.vocabulary == pipe.vocabulary and again.cfg == pipe.cfg
    np.testing.assert_array_equal(again.encode(TRAIN), pipe.encode(TRAIN))


def test_bad_configs_and_inputs():
    assert text_problems(TextConfig(vocab_size=10, max_len=1, padding="middle")) and not text_problems(TextConfig())
    with pytest.raises(ValueError):
        TextPipeline.fit(TRAIN, TextConfig(padding="middle"))
    with pytest.raises(ValueError):
        TextPipeline.fit([], TextConfig())


def test_words_are_standardized_as_the_model_reads_them(pipe):
    assert pipe.words("Hi<br />THERE, you!") == ["hi", "there", "you"]


def test_empty_and_symbol_texts_give_no_ids(pipe):
    assert [len(i) for i in pipe.ids(["", "!!! ...", "great"])] == [0, 0, 1]
    x = pipe.encode(["", "!!!"])
    assert (x == PAD).all()
