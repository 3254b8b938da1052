"""One sentiment run as the page does it (and bench/ and the tuning script): encode → build → train → score → store.

`prepare_run` turns a `Setup` and the reviews into a model ready to train (encodings are
cached on disk, so a second run of the same text settings skips the vocabulary and the
encoding), `fit` trains it live (masked models in batches of similar length), `finish`
scores every test review once and puts the model into the local `ModelStore`, where the
next visitor finds it ready. `load_stored` brings a stored model back with everything the
page shows about it.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import os
import shutil
import threading
import uuid
from collections import OrderedDict
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from explorer.data.imdb import ImdbData
from explorer.data.text_pipeline import TextConfig, TextPipeline
from explorer.nn import config
from explorer.nn.config import ModelConfig, TrainConfig
from explorer.tasks.sentiment.encoding import Encoded, compact, split_parts
from explorer.tasks.sentiment.evaluation import TestResult, evaluate
from explorer.tasks.sentiment.presets import DataConfig, Setup
from explorer.train.model_store import Entry, ModelStore, StoreProblem, cache_root, key_for

FORMAT = 1
ENCODINGS = "encodings"  # folder under the cache root
KEEP_ENCODINGS = 4  # encodings kept on disk (each 10–50 MB), most recently used first
# XLA (`TrainConfig.jit_compile`) is used when asked and when it pays: fixed-length batches (not a masked
# model's length classes, which would compile once per length) and enough steps to earn back the compile
# time of each batch shape.
XLA_MIN_STEPS = 300
# Validation reviews the gradient probe reads after every epoch. Its float64 pass through all the steps
# of these reviews is what costs memory, growing faster than their number; 16 show the same fading over
# positions as 32 at a fraction of the cost.
PROBE_REVIEWS = 16
READOUT_WORDS = {"last": "last state", "mean": "mean of all states", "max": "max of all states",
                 "meanmax": "mean and max of all states"}
EMBEDDING_WORDS = {"random": "random", "cooccurrence": "from co-occurrence"}


def describe(model: ModelConfig, text: TextConfig) -> str:
    """The architecture in a few words, e.g. 'bidirectional GRU(64), mean and max of all states read, 500 words, masked'."""
    cell = f"{'bidirectional ' if model.bidirectional else ''}{model.cell}({model.units})"
    layers = f" × {model.layers} layers" if model.layers > 1 else ""
    mask = ", masked" if text.mask else f", {text.padding} padding"
    start = "" if model.embedding_init == "random" else \
        f", word vectors {EMBEDDING_WORDS.get(model.embedding_init, model.embedding_init)}"
    return (f"{cell}{layers}, {READOUT_WORDS.get(model.readout, model.readout)} read, "
            f"{text.vocab_size // 1000}k-word vocabulary, {text.max_len} words{mask}{start}")


# ---------------------------------------------------------------- encodings, cached on disk

def _encoding_key(data: ImdbData, text_cfg: TextConfig, data_cfg: DataConfig, parts) -> str:
    """Which reviews went where (not only the settings: the way validation is held out may change) and how."""
    h = hashlib.sha256()
    for part in (parts.train, parts.val, parts.test):
        h.update(np.asarray(part.labels, np.int8).tobytes())
        if part.ids is not None:
            h.update(np.asarray(part.ids, np.int64).tobytes())
        else:
            for text in part.texts:
                h.update(text.encode("utf-8", errors="replace") + b"\0")
    return key_for({"format": FORMAT, "data": data.fingerprint(), "text": asdict(text_cfg), "split": asdict(data_cfg),
                    "parts": h.hexdigest()})


def encode_cached(data: ImdbData, text_cfg: TextConfig, data_cfg: DataConfig = DataConfig(),
                  root: Optional[Path] = None) -> Encoded:
    """Like `sentiment.encode_dataset`, but the vocabulary and the id arrays are kept on disk under the cache.

    The split itself is recomputed (cheap and deterministic); a missing or unreadable cache entry is rebuilt.
    """
    parts = split_parts(data, data_cfg)
    folder = (root or cache_root() / ENCODINGS) / _encoding_key(data, text_cfg, data_cfg, parts)
    try:
        pipeline = TextPipeline.load(folder / "vocabulary.json")
        with np.load(folder / "ids.npz", allow_pickle=False) as z:
            x = {k: z[k] for k in ("train", "val", "test")}
        if [len(x["train"]), len(x["val"]), len(x["test"])] != [len(parts.train), len(parts.val), len(parts.test)]:
            raise ValueError("stale encoding")
        os.utime(folder)
    except Exception:  # noqa: BLE001 - anything wrong with the cache: encode afresh
        pipeline = TextPipeline.fit(parts.train.texts, text_cfg)
        x = {name: compact(pipeline.encode(getattr(parts, name).texts), pipeline.vocab_size)
             for name in ("train", "val", "test")}
        _save_encoding(folder, pipeline, x)
    y = {name: getattr(parts, name).labels.astype(np.float32) for name in ("train", "val", "test")}
    return Encoded(pipeline, x["train"], y["train"], x["val"], y["val"], x["test"], y["test"],
                   parts.test.texts, parts.validation)


_encoded: "OrderedDict[tuple, Encoded]" = OrderedDict()
_encoded_lock = threading.Lock()
ENCODINGS_IN_MEMORY = 2  # the last set-ups' encodings kept in memory, so a second run of one starts at once


def encoded_for(source_key: str, data: ImdbData, text_cfg: TextConfig, data_cfg: DataConfig) -> Encoded:
    """The reviews of `source_key` ("imdb:…" or "csv:…") encoded for these settings: from memory for the last
    ENCODINGS_IN_MEMORY set-ups, else `encode_cached` (IMDB; kept on disk too) or encoded afresh (an uploaded
    CSV is never written to disk)."""
    from explorer.tasks.sentiment.encoding import encode_dataset

    key = (source_key, text_cfg, data_cfg)
    with _encoded_lock:
        if key in _encoded:
            _encoded.move_to_end(key)
            return _encoded[key]
    enc = encode_cached(data, text_cfg, data_cfg) if source_key.startswith("imdb:") else \
        encode_dataset(data, text_cfg, data_cfg)
    with _encoded_lock:
        _encoded[key] = enc
        while len(_encoded) > ENCODINGS_IN_MEMORY:
            _encoded.popitem(last=False)
    return enc


def _save_encoding(folder: Path, pipeline: TextPipeline, x: dict[str, np.ndarray]) -> None:
    """Write atomically (temporary folder, one rename); keep the `KEEP_ENCODINGS` most recently used."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = folder.parent / f".tmp-{folder.name}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        pipeline.save(tmp / "vocabulary.json")
        np.savez(tmp / "ids.npz", **x)
        if folder.exists():  # unreadable (that is why we are here): make way
            shutil.rmtree(folder, ignore_errors=True)
        try:
            os.rename(tmp, folder)
        except OSError:  # another session wrote it first
            shutil.rmtree(tmp, ignore_errors=True)
        kept = sorted((p for p in folder.parent.iterdir() if not p.name.startswith(".")),
                      key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[KEEP_ENCODINGS:]:
            shutil.rmtree(old, ignore_errors=True)
    except OSError:
        pass  # a cache that cannot be written only costs time


# ---------------------------------------------------------------- one run

@dataclass
class SentimentRun:
    """A model built for a `Setup`, with its encoded reviews; `finish` adds the test result and the store entry."""

    setup: Setup  # model.vocab_size is the fitted vocabulary's size
    enc: Encoded
    model: Any
    probe: Optional[Callable] = None
    data_fingerprint: str = ""
    source: str = ""
    test: Optional[TestResult] = None
    metrics: dict = field(default_factory=dict)
    entry: Optional[Entry] = None
    store_message: str = ""
    keep: bool = True  # store the model once finished (IMDB runs; a model of an uploaded CSV stays in the session)
    origin: Any = None  # where the reviews came from (explorer.tasks.sentiment.origin.ReviewSource), for the run's script

    @property
    def bucketed(self) -> bool:
        """Masked models train and score in batches of similar length (same results, fewer steps)."""
        return bool(self.setup.text.mask and self.setup.model.mask_zero)

    @property
    def split(self) -> int:
        """Parts each training batch comes in, their gradients averaged into one update (`explorer.data.buckets.MAX_WORDS`)."""
        from explorer.data.buckets import parts_for

        return parts_for(self.setup.train.batch_size, self.bucketed)

    @property
    def description(self) -> dict:
        """Everything that determines the trained model, and how its run ended (a stopped run is another
        model than the finished one): its store key is a hash of this."""
        s = self.setup
        outcome = {k: self.metrics.get(k) for k in ("status", "epochs_done", "best_epoch")}
        return {"format": FORMAT, "text": asdict(s.text), "model": asdict(s.model), "train": asdict(s.train),
                "data": asdict(s.data), "data_fingerprint": self.data_fingerprint, "outcome": outcome}

    @property
    def key(self) -> str:
        return key_for(self.description)


def setup_from(text: TextConfig, model: ModelConfig, train: TrainConfig, data: DataConfig, label: str = "page") -> Setup:
    """A `Setup` from its four parts as a page sets them: the model reads the text's vocabulary and mask."""
    return Setup(label, text, replace(model, head="binary", vocab_size=text.vocab_size, mask_zero=text.mask), train, data)


def prepare_run(data: ImdbData, setup: Setup, encoded: Optional[Encoded] = None, probe: bool = True,
                cache_dir: Optional[Path] = None, pooled: bool = False) -> SentimentRun:
    """Encode (or take `encoded`), build the model for the fitted vocabulary, and the page's gradient probe.

    `pooled`: the model may be an idle one of the same set-up from `explorer.nn.model_pool` (in a fresh model's
    state, so it trains the same), and it goes back there when the run is dropped (the page's next run, a
    closed session). Each new model would leave its traces and XLA's compiled step in the process for good;
    a pooled one compiles once per set-up."""
    from explorer.data.buckets import parts_for
    from explorer.introspect.probe import GradientProbe
    from explorer.nn.model_pool import POOL, pool_key
    from explorer.nn.models import build_model
    from explorer.nn.word_vectors import from_cooccurrence
    from explorer.tasks.sentiment.origin import review_source

    enc = encoded if encoded is not None else encode_cached(data, setup.text, setup.data, cache_dir)
    if len(enc.y_train) < 2 or len(np.unique(enc.y_train)) < 2:
        raise ValueError("There are too few training reviews (both labels are needed).")
    masked = setup.text.mask and setup.model.mask_zero
    steps = len(enc.y_train) // setup.train.batch_size * setup.train.epochs
    xla = setup.train.jit_compile and not masked and steps >= XLA_MIN_STEPS
    setup = replace(setup, model=replace(setup.model, vocab_size=enc.pipeline.vocab_size),
                    train=replace(setup.train, jit_compile=xla))
    timesteps, accumulate = None if masked else setup.text.max_len, parts_for(setup.train.batch_size, masked)
    vectors = None
    if setup.model.embedding_init == "cooccurrence":  # from the training reviews' words only, no labels
        vectors = from_cooccurrence(enc.x_train, enc.pipeline.vocab_size, setup.model.embedding_dim)
    model = build_model(setup.model, setup.train, timesteps, time_scale=setup.text.max_len, accumulate=accumulate,
                        word_vectors=vectors)
    del vectors
    if pooled:
        key = pool_key(setup.model, setup.train, timesteps, time_scale=setup.text.max_len) + (accumulate,)
        model = POOL.lend(model, key)
    k = min(PROBE_REVIEWS, len(enc.x_val))
    gp = GradientProbe(enc.x_val[:k].astype(np.int32), enc.y_val[:k, None], layer_index=0) if probe and k else None
    run = SentimentRun(setup, enc, model, gp, data.fingerprint(), data.source, origin=review_source(data))
    if pooled:
        POOL.return_with(run, model, key)
    return run


def fit(run: SentimentRun, sink=None, result=None, should_stop=None, extra_callbacks: tuple = ()):
    """Train live (see `explorer.train.training.train`); returns its `RunResult`."""
    from explorer.data.buckets import length_batches
    from explorer.train.training import train

    s, enc = run.setup, run.enc
    xla = s.train.jit_compile  # fixed shapes: full training batches only, validation in near-equal batches
    batches = length_batches(enc.x_train, enc.y_train, s.train.batch_size, s.text.padding, run.bucketed,
                             seed=s.train.seed, drop_remainder=xla, split=run.split)
    n_val = len(enc.y_val)
    val_batch = math.ceil(n_val / math.ceil(n_val / 128)) if xla and n_val else max(s.train.batch_size, 128)
    val = length_batches(enc.x_val, enc.y_val, val_batch, s.text.padding, run.bucketed,
                         shuffle=False) if n_val else None
    return train(run.model, batches, None, s.train, val, sink=sink, should_stop=should_stop, probe=run.probe,
                 extra_callbacks=extra_callbacks, result=result)


def score_test(run: SentimentRun) -> TestResult:
    """Every test review of the run, scored once."""
    return evaluate(run.model, run.enc.x_test, run.enc.y_test, padding=run.setup.text.padding)


def metrics_of(run: SentimentRun, result, test: TestResult) -> dict:
    """What the page shows about a finished run, as JSON: test figures, curves, how it was trained."""
    val = result.history.get("val_accuracy", [])
    kept = (result.best_epoch or len(val)) - 1
    return {"accuracy": test.accuracy, "correct": test.correct, "n_test": test.n, "confusion": test.confusion,
            "val_accuracy": val[kept] if 0 <= kept < len(val) else None, "n_val": int(len(run.enc.y_val)),
            "n_train": int(len(run.enc.y_train)), "history": result.history,
            "batch_history": {k: [list(p) for p in v] for k, v in result.batch_history.items()},
            "epochs_done": result.epochs_done,
            "best_epoch": result.best_epoch, "status": result.status, "message": result.message,
            "seconds": result.seconds, "validation": run.enc.validation, "source": run.source,
            "probes": [np.asarray(p, np.float32).tolist() for p in result.probes],
            "probe_lengths": np.count_nonzero(np.asarray(run.enc.x_val[:PROBE_REVIEWS]), axis=1).tolist(),
            "trained_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")}


def finish(run: SentimentRun, result, store: Optional[ModelStore] = None) -> Optional[TestResult]:
    """Score the test reviews (once) and, given a store, save the model there; None when nothing was learned."""
    from explorer.train.training import DIVERGED

    if result.epochs_done < 1 or result.status == DIVERGED:
        return None
    if run.test is None:
        run.test = score_test(run)
        run.metrics = metrics_of(run, result, run.test)
    if store is not None and run.entry is None:
        try:
            run.entry = store.save(run.key, run.model, run.enc.pipeline, run.description, run.metrics,
                                   {"probabilities": run.test.probabilities})
        except (OSError, StoreProblem) as err:
            run.store_message = f"The model could not be stored on this server ({type(err).__name__}); it stays in this session."
    return run.test


# ---------------------------------------------------------------- stored models

@dataclass
class ModelView:
    """The model that answers on the page (trained in this session, or from the store) and what the page says about it."""

    model: Any
    pipeline: TextPipeline
    setup: Setup
    test: TestResult
    metrics: dict = field(default_factory=dict)  # see `metrics_of`
    key: str = ""  # its store key ("" when it is not stored)
    stored: bool = False  # loaded from the store rather than trained in this session
    origin: Any = None  # where its reviews came from (`SentimentRun.origin`; None for a stored model: the server's IMDB)

    @property
    def label(self) -> str:
        return describe(self.setup.model, self.setup.text)


def view_of(run: SentimentRun) -> Optional[ModelView]:
    """A finished run as the page shows it; None before `finish` scored it."""
    if run.test is None:
        return None
    return ModelView(run.model, run.enc.pipeline, run.setup, run.test, run.metrics,
                     run.entry.key if run.entry is not None else "", False, run.origin)


def setup_of(description: dict) -> Setup:
    """The `Setup` a stored description was trained with (unknown keys ignored, missing ones default)."""
    return Setup("stored", config.from_dict(TextConfig, description.get("text")),
                 config.from_dict(ModelConfig, description.get("model")),
                 config.from_dict(TrainConfig, description.get("train")),
                 config.from_dict(DataConfig, description.get("data")))


def load_stored(store: ModelStore, entry: Entry) -> ModelView:
    """Load an entry (checksums, then Keras safe mode); StoreProblem with one sentence when it cannot be used."""
    model, pipeline, arrays = store.load(entry)
    m = entry.metrics
    try:
        test = TestResult(float(m["accuracy"]), np.asarray(m["confusion"], dtype=np.int64),
                          arrays.get("probabilities", np.zeros(0, np.float32)), int(m["n_test"]))
    except (KeyError, TypeError, ValueError) as err:
        raise StoreProblem(f"Stored model {entry.key} has no usable test figures and was skipped.") from err
    return ModelView(model, pipeline, setup_of(entry.config), test, m, entry.key, True)


@functools.lru_cache(maxsize=4)
def open_stored(root: str, key: str, stamp: str) -> ModelView:
    """`load_stored`, once per process for each (store, key, file stamp): every session shares the loaded model.

    `stamp` (`Entry.stamp`) changes when a file of the entry is rewritten, so a damaged file is checked afresh.
    """
    store = ModelStore(root)
    entry = store.get(key)
    if entry is None:
        raise StoreProblem(f"Stored model {key} is no longer in the store.")
    return load_stored(store, entry)


def warm_default(store: Optional[ModelStore] = None) -> Optional[ModelView]:
    """Load the store's default model and run every view of one review once (each is traced once per model):
    the first visitor after a start is served as fast as the next."""
    from explorer.tasks.sentiment.reading import EXAMPLES, prepare
    from explorer.tasks.sentiment.views import every_view

    store = store or ModelStore()
    entry = default_entry(store.entries()[0])
    if entry is None:
        return None
    view = open_stored(str(store.root), entry.key, entry.stamp)
    every_view(view.model, prepare(view.pipeline, EXAMPLES["Loved it"]), view.pipeline.cfg)
    return view


def val_lower_bound(entry: Entry) -> float:
    """Validation accuracy minus two standard errors: a small lucky validation set does not win."""
    acc, n = entry.metrics.get("val_accuracy"), entry.metrics.get("n_val") or 0
    if acc is None or not n:
        return -1.0
    return float(acc) - 2 * math.sqrt(max(acc * (1 - acc), 1e-4) / n)


def default_entry(entries: list[Entry]) -> Optional[Entry]:
    """The model offered to a visitor who has none: finished runs first, then the best validation accuracy (never test)."""
    usable = [e for e in entries if e.metrics.get("status") != "diverged"]
    if not usable:
        return None
    return max(usable, key=lambda e: (e.metrics.get("status") == "finished", val_lower_bound(e), e.created))


def entry_row(entry: Entry) -> dict:
    """One line of the page's table of stored runs."""
    setup = setup_of(entry.config)
    m = entry.metrics
    return {"trained": entry.created, "model": describe(setup.model, setup.text),
            "epochs": m.get("epochs_done"), "status": m.get("status"),
            "validation accuracy": m.get("val_accuracy"), "test accuracy": m.get("accuracy"),
            "test reviews": m.get("n_test"), "key": entry.key}


def run_job(ctx, data: ImdbData, source_key: str, setup: Setup, keep: bool):
    """The sentiment page's run as a job (explorer.server.jobs): encode, build, train live, score the test reviews once
    and, for the server's IMDB reviews (`keep`), store the model for every visitor. Returns a `TrainedRun`."""
    from explorer.nn.models import config_problems
    from explorer.train.runner import JobFailed, TrainedRun
    from explorer.train.status import DIVERGED, STOPPED
    from explorer.train.training import RunResult

    if problems := config_problems(setup.model, setup.train):
        raise JobFailed(" ".join(problems))
    ctx.progress(0.0, "Building the vocabulary from the training reviews and encoding them (once per setting)…")
    run = prepare_run(data, setup, encoded=encoded_for(source_key, data, setup.text, setup.data), pooled=True)
    run.keep = keep
    result, sink, epochs = RunResult(), ctx.train_sink(), setup.train.epochs
    ctx.progress(0.0, "Training…")

    def on_event(event) -> None:
        sink(event)
        done = event.epoch + (event.at_epoch - event.epoch if event.kind == "batch" else 1)
        accuracy = event.logs.get("accuracy", float("nan"))
        ctx.progress(done / max(1, epochs), f"Epoch {event.epoch + 1}/{epochs} · accuracy {accuracy:.4g}")

    fit(run, sink=on_event, result=result, should_stop=ctx.should_stop)
    if result.status in (DIVERGED, STOPPED):
        ctx.end(result.status, result.message)
    else:
        ctx.message = result.message
    if result.epochs_done >= 1 and result.status != DIVERGED:
        ctx.progress(1.0, f"Scoring {len(run.enc.y_test):,} held-out test reviews…")
        finish(run, result, ModelStore() if keep else None)
    return TrainedRun(run.model, run, result)
