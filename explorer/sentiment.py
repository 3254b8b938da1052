"""Sentiment of one typed review with a trained model, and the views that look inside it.

Everything goes through the same `TextPipeline` as training (no refit). For one
review: the probability (fast path, one `predict_on_batch`), the prediction after
each word (each prefix is scored as if the review ended there), the hidden states
over the words, word influence by occlusion (drop the word, see the probability move)
and by gradient saliency (‖∂p/∂embedding_t‖), and the hidden-state path in 2 PCA
dimensions. Plus test-set accuracy and the confusion matrix.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from explorer.config import ModelConfig, TrainConfig
from explorer.buckets import batch_length, cut, predict_in_batches
from explorer.data.imdb import ImdbData, Reviews, split_validation, subset, validation_grouping
from explorer.text import OOV, TextConfig, TextPipeline, pad

MAX_CHARS = 100_000  # longer input is cut before tokenizing, with a note (a review is ~1,300 characters)
MAX_POINTS = 400  # trajectory points at most (longer reviews are sampled evenly)


@dataclass(frozen=True)
class DataConfig:
    """Which reviews a live run uses: training-subset size, test-subset size, validation share."""

    n_train: int = 25_000
    n_test: int = 5_000
    val_fraction: float = 0.1
    seed: int = 0


@dataclass(frozen=True)
class Setup:
    """A whole sentiment run, as a preset fills in the page: text pipeline, model, training, reviews."""

    label: str
    text: TextConfig
    model: ModelConfig
    train: TrainConfig
    data: DataConfig = DataConfig()


# The page's default: useful at once, trained in under a minute on 2 cores. Chosen on validation reviews only
# (bench/tuning.jsonl, 2026-11-29): LSTM(32) with 32-d embeddings reads as well as LSTM(64)/64-d (validation
# 0.854 vs 0.853 for seed 0) at half the CPU (≈40 vs ≈85 CPU-s an epoch), and one epoch is as good as two
# (mean validation accuracy over seeds 0, 1, 2: 0.8567 after epoch 1 and 0.8567 after epoch 2). XLA
# compiles the fixed-length batches (≈10 % less CPU). Dropping 30 % of the words while training keeps it
# from memorising reviews. bench/bench_sentiment.py scores the test reviews once, over 3 seeds.
QUICK = Setup("Quick default: LSTM, 200 words (under a minute)", TextConfig(vocab_size=20_000, max_len=200),
              ModelConfig(cell="LSTM", units=32, head="binary", vocab_size=20_000, embedding_dim=32, word_dropout=0.3),
              TrainConfig(optimizer="adam", learning_rate=1e-3, batch_size=64, epochs=1, batch_every=20,
                          jit_compile=True),
              DataConfig(n_test=25_000))
# The most accurate set-up offered within minutes. Whole reviews, a bidirectional GRU with the padding masked (the
# backward direction would otherwise read hundreds of zeros last), the mean and the max of its states read, whole
# words and embedding values dropped while training so that a second epoch still generalises, stopping early to keep
# the epoch with the lowest validation loss. Batch 128: 1.2× faster than 64 for this GRU (2.4× for the masked LSTM,
# which TensorFlow runs on one core at batch 64), at the same accuracy; its batches of long reviews are computed in
# halves (explorer.buckets.MAX_WORDS), for memory. Its word vectors start from co-occurrence in the training reviews
# (explorer.word_vectors, ~4 s, no labels read). How it was chosen, on validation reviews only: the random-start
# version was the variant with the highest validation accuracy of the ~40 in bench/tuning-history-test-in-view.jsonl
# (whose test figures are not used), and no one-knob change lifted it beyond noise (bench/gpu_search); starting from
# co-occurrence vectors did, for every model seed (kept epoch 0.8777 vs 0.8656 on average, seeds 0–2,
# bench/tuning.jsonl). Its test accuracy, scored once per seed by bench/bench_sentiment.py, is in bench/RESULTS.md.
BEST = Setup("Best accuracy: bidirectional GRU, 500 words, co-occurrence word vectors (5–7 minutes on 2 cores)",
             TextConfig(vocab_size=20_000, max_len=500, mask=True),
             ModelConfig(cell="GRU", units=64, bidirectional=True, head="binary", vocab_size=20_000,
                         embedding_dim=64, mask_zero=True, readout="meanmax", dropout=0.5, word_dropout=0.5,
                         embedding_init="cooccurrence"),
             TrainConfig(optimizer="adam", learning_rate=1e-3, batch_size=128, epochs=4, batch_every=10, patience=1),
             DataConfig(n_test=25_000))
# Both score every test review, so the page shows the very figure bench/RESULTS.md reports for them.
PRESETS = {"quick": QUICK, "best": BEST}


@dataclass
class Encoded:
    """A dataset turned into model inputs by one fitted pipeline (ids uint16 when the vocabulary fits)."""

    pipeline: TextPipeline
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    test_texts: list[str] = field(default_factory=list)
    validation: str = ""  # how the validation reviews were held out, in one plain sentence


@dataclass
class Parts:
    """The reviews of a run before encoding: training, validation (held out from training) and test."""

    train: Reviews
    val: Reviews
    test: Reviews
    validation: str


def split_parts(data: ImdbData, data_cfg: DataConfig = DataConfig()) -> Parts:
    """Subset both splits and hold validation out of the training reviews (grouped by movie when known)."""
    part = subset(data, data_cfg.n_train, data_cfg.n_test, data_cfg.seed)
    train, val = split_validation(part.train, data_cfg.val_fraction, data_cfg.seed)
    return Parts(train, val, part.test, validation_grouping(part.train)[1])


def compact(ids: np.ndarray, vocab_size: int) -> np.ndarray:
    """uint16 ids when the vocabulary fits (half the memory of int32), else int32."""
    return ids.astype(np.uint16 if vocab_size <= np.iinfo(np.uint16).max + 1 else np.int32)


def encode_dataset(data: ImdbData, text_cfg: TextConfig, data_cfg: DataConfig = DataConfig(),
                   pipeline: Optional[TextPipeline] = None) -> Encoded:
    """Subset, hold out validation, adapt the pipeline on the training part only, encode all three."""
    parts = split_parts(data, data_cfg)
    pipeline = pipeline or TextPipeline.fit(parts.train.texts, text_cfg)

    def enc(reviews: Reviews) -> np.ndarray:
        return compact(pipeline.encode(reviews.texts), pipeline.vocab_size)

    return Encoded(pipeline, enc(parts.train), parts.train.labels.astype(np.float32), enc(parts.val),
                   parts.val.labels.astype(np.float32), enc(parts.test), parts.test.labels.astype(np.float32),
                   parts.test.texts, parts.validation)


# ---------------------------------------------------------------- fast prediction

def can_cut(model) -> bool:
    """True when padding can be cut off before scoring: the Embedding masks it (so its length does not change
    a prediction) and the model takes any length."""
    masked = any(getattr(layer, "mask_zero", False) for layer in model.layers)
    return masked and model.inputs[0].shape[1] is None


def predict(model, x: np.ndarray, chunk: int = 128, padding: Optional[str] = None) -> np.ndarray:
    """P(positive) for each row of `x` (n, T), in chunks through a once-traced forward pass (~5 ms a review).

    Given the padding side, a masked model scores rows in batches of one length class, the padding
    cut off (the same predictions in fewer steps, see `explorer.buckets`).
    """
    x = np.asarray(x)
    if len(x) == 0:
        return np.zeros(0, np.float32)
    fn = _forward_fn(model)
    p = predict_in_batches(lambda xb: fn(xb.astype(np.int32)), x, chunk,
                           padding if padding is not None and can_cut(model) else None)
    return p.reshape(-1).astype(np.float32)


def _kept_on(model, name: str, make):
    """`make()` once per model, kept on the model itself, so it is freed with the model.

    A traced function refers to its model; kept in a module-level table keyed by the model it would
    keep every model ever scored alive (measured: ~30 MiB a quick-preset run, never returned)."""
    hit = model.__dict__.get(name)
    if hit is None:
        hit = make()
        object.__setattr__(model, name, hit)  # not a tracked Keras attribute: not saved, not a weight
    return hit


def _free_shape(model):
    """Input signature of a model's token ids: any batch, and any length when the model takes any."""
    import tensorflow as tf

    return tf.TensorSpec((None, model.inputs[0].shape[1]), tf.int32)


def _forward_fn(model):
    """x (any batch, any length the model takes) → P(positive), traced once per model.

    Keras' `predict_on_batch` traces again for each new batch shape before it generalises
    (~2 s each for a masked bidirectional GRU on a busy 2-core machine); a fixed signature
    with free dimensions traces once.
    """
    import tensorflow as tf

    return _kept_on(model, "_explorer_forward",
                    lambda: tf.function(lambda x: model(x, training=False), input_signature=[_free_shape(model)]))


# ---------------------------------------------------------------- one review

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


def _saliency_fn(model):
    """A traced function x → ‖∂p/∂e_t‖ per position, cached per model."""
    return _kept_on(model, "_explorer_saliency", lambda: _traced_saliency(model))


def _traced_saliency(model):
    import keras
    import tensorflow as tf

    from explorer.models import run_layers

    if not any(isinstance(layer, keras.layers.Embedding) for layer in model.layers):
        raise ValueError("Saliency needs a text model that starts with an Embedding.")

    @tf.function(input_signature=[_free_shape(model)])  # one trace for any review length
    def fn(x):
        embedded = []

        def watch(e):
            tape.watch(e)
            embedded.append(e)
            return e

        with tf.GradientTape() as tape:
            p = tf.reduce_sum(run_layers(model, x, on_embedding=watch))
        g = tape.gradient(p, embedded[0])
        return tf.sqrt(tf.reduce_sum(tf.square(g), axis=-1))

    return fn


def _input(model, review: Review, padding: Optional[str]) -> tuple[np.ndarray, np.ndarray]:
    """(1, T') model input and the words' positions in it: for a masked model of any length, padding cut
    to the review's length class (the same values, a 10-word review runs 16 steps instead of 500)."""
    x = np.asarray(review.x[None], np.int32)
    if padding is None or not can_cut(model):
        return x, review.positions
    keep = batch_length(np.array([len(review.ids)]), x.shape[1])
    shift = x.shape[1] - keep if padding == "front" else 0
    return cut(x, keep, padding), review.positions - shift


def saliency(model, review: Review, padding: Optional[str] = None) -> np.ndarray:
    """‖∂p/∂embedding‖ at each word of the review: how sensitive the prediction is to that word's vector."""
    if len(review.ids) == 0:
        return np.zeros(0, np.float32)
    x, positions = _input(model, review, padding)
    g = _saliency_fn(model)(x).numpy()[0]
    return g[positions].astype(np.float32)


@dataclass
class WordStates:
    """Hidden states h_t of one recurrent layer (one direction) at the review's words, (n_words, units)."""

    layer: str
    direction: str
    h: np.ndarray


def _states_fn(model):
    """A traced function x → every recurrent layer's h_t sequence (both directions), cached per model.

    Uses `introspect`'s unroll of the layer's own cell (the states Keras computes), inside one
    `tf.function`: ~10 ms a review instead of ~2 s eagerly. Returns (function, [(layer name, direction)]).
    """
    return _kept_on(model, "_explorer_states", lambda: _traced_states(model))


def _traced_states(model):
    import tensorflow as tf

    from explorer.introspect import directions, unroll
    from explorer.models import recurrent_layers, run_layers

    names = [(layer.name, direction) for layer in recurrent_layers(model) for _, direction in directions(layer)]

    @tf.function(input_signature=[_free_shape(model)])  # one trace for any review length
    def fn(x):
        outs = []

        def record(index, layer, seq, mask):
            for rnn, _ in directions(layer):
                zeros = tf.zeros((tf.shape(seq)[0], tf.shape(seq)[1], rnn.cell.units))
                outs.append(unroll(rnn, seq, zeros, mask))
            return layer(seq, mask=mask, training=False)

        run_layers(model, x, on_recurrent=record)
        return outs

    return fn, names


def states(model, review: Review, padding: Optional[str] = None) -> list[WordStates]:
    """Hidden states of every recurrent layer at the review's words (padding cut), in word order."""
    if len(review.ids) == 0:
        return []
    fn, names = _states_fn(model)
    x, positions = _input(model, review, padding)
    outs = fn(x)
    return [WordStates(name, direction, np.asarray(h[0])[positions].astype(np.float64))
            for (name, direction), h in zip(names, outs)]


def every_view(model, review: Review, cfg: TextConfig) -> tuple:
    """Every view of one prepared review, as the page shows them: (probability, trajectory, occlusion,
    saliency, hidden states). Running it once on a new model traces each view's function."""
    return (score(model, review, cfg.padding), trajectory(model, review, cfg), occlusion(model, review, cfg),
            saliency(model, review, cfg.padding), states(model, review, cfg.padding))


def pca_path(h: np.ndarray, dims: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Project states (T, U) onto their top `dims` principal components: (T, dims) and explained-variance shares."""
    h = np.asarray(h, dtype=np.float64)
    if h.ndim != 2 or len(h) == 0:
        return np.zeros((0, dims)), np.zeros(dims)
    centred = h - h.mean(axis=0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    proj = centred @ vt[:dims].T if len(s) else np.zeros((len(h), 0))
    if proj.shape[1] < dims:
        proj = np.pad(proj, ((0, 0), (0, dims - proj.shape[1])))
    var = s**2
    share = var[:dims] / var.sum() if var.sum() > 0 else np.zeros(min(dims, len(s)))
    return proj, np.pad(share, (0, dims - len(share)))


# ---------------------------------------------------------------- test set

def confusion(y_true: Sequence[int], y_pred: Sequence[int]) -> np.ndarray:
    """2×2 counts, rows = true (negative, positive), columns = predicted."""
    y_true = np.asarray(y_true).astype(int).reshape(-1)
    y_pred = np.asarray(y_pred).astype(int).reshape(-1)
    return np.bincount(y_true * 2 + y_pred, minlength=4).reshape(2, 2)


@dataclass
class TestResult:
    accuracy: float
    confusion: np.ndarray
    probabilities: np.ndarray
    n: int

    @property
    def correct(self) -> int:
        """Reviews classified right (accuracy = correct / n exactly)."""
        return int(np.trace(self.confusion))


def result_of(y: np.ndarray, p: np.ndarray) -> TestResult:
    """Accuracy and confusion matrix of probabilities `p` against labels `y` at threshold 0.5."""
    p = np.asarray(p, dtype=np.float32).reshape(-1)
    pred = (p >= 0.5).astype(int)
    y = np.asarray(y).astype(int).reshape(-1)
    acc = float(np.mean(pred == y)) if len(y) else float("nan")
    return TestResult(acc, confusion(y, pred), p, len(y))


def evaluate(model, x: np.ndarray, y: np.ndarray, batch_size: int = 128, padding: Optional[str] = None) -> TestResult:
    """Accuracy and confusion matrix on held-out reviews at threshold 0.5.

    Batch 128 scores as fast as 512 on 2 cores, and for 500-word reviews through a bidirectional
    GRU it needs ~70 MB instead of ~720 MB of working memory. A masked model with its `padding`
    side given is scored in batches of similar length (same predictions, fewer steps).
    """
    return result_of(y, predict(model, x, batch_size, padding))


def hardest(texts: Sequence[str], y: np.ndarray, p: np.ndarray, k: int = 3) -> list[tuple[str, int, float]]:
    """The k most confidently wrong reviews: (text, true label, predicted probability)."""
    y = np.asarray(y).astype(int)
    wrong = np.flatnonzero((p >= 0.5).astype(int) != y)
    order = wrong[np.argsort(-np.abs(p[wrong] - 0.5))][:k]
    return [(texts[i], int(y[i]), float(p[i])) for i in order]


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
