"""A job's result on the wire: what a run trained on another machine sends home, and how it is unpacked.

A job's result (explorer.server.jobs) holds live objects: Keras models, their gradient probes (traced
TensorFlow functions), a text pipeline's Keras layer. None of these cross a process boundary as
they are, so each kind of run has a pair of functions here: `to_wire` in the process that trained it
(models become Keras `.keras` bytes, probes and layers are left behind, the rest is plain data) and
`from_wire` in the app's process (models loaded with Keras' `safe_mode`, so a file can carry no code;
the same typed result the page draws, with everything its views use).
"""
from __future__ import annotations

import dataclasses
import os
import tempfile
import threading
from typing import Any, Callable

import numpy as np

# Keras turns a subclass of Model into a functional one by rewriting the class's bases while it loads; two
# loads at once (two runs ending together) can see the class half rewritten, so loads take turns.
_LOADING = threading.Lock()


def model_bytes(model) -> bytes:
    """A Keras model as the bytes of its `.keras` file (architecture, weights, optimizer state)."""
    with tempfile.TemporaryDirectory(prefix="rnn-explorer-wire-") as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        with open(path, "rb") as fh:
            return fh.read()


def load_model(blob: bytes, compile: bool = True):
    """A model from `.keras` bytes, loaded with `safe_mode` (no code from the file, only registered classes)."""
    import keras

    from explorer.nn import models  # noqa: F401  (registers the project's serializable layers)

    with tempfile.TemporaryDirectory(prefix="rnn-explorer-wire-") as tmp, _LOADING:
        path = os.path.join(tmp, "model.keras")
        with open(path, "wb") as fh:
            fh.write(blob)
        return keras.saving.load_model(path, compile=compile, safe_mode=True)


# ---------------------------------------------------------------- time series: TrainedRun(model, SeriesRecord, RunResult)

def series_to_wire(run) -> dict:
    record = dataclasses.replace(run.record, hidden={})  # hidden states are read on demand where the model is
    return {"model": model_bytes(run.model), "record": record, "result": run.result}


def series_from_wire(wire: dict, args: dict):
    from explorer.train.runner import TrainedRun

    return TrainedRun(load_model(wire["model"]), wire["record"], wire["result"])


# ---------------------------------------------------------------- sentiment: TrainedRun(model, SentimentRun, RunResult)

def sentiment_to_wire(run) -> dict:
    """The record without its encoded reviews (they stay where they were encoded), its probe or its pipeline's
    layer: the vocabulary goes as words, the test reviews' labels and scores as arrays."""
    rec = run.record
    enc = rec.enc
    return {"model": model_bytes(run.model), "result": run.result,
            "record": dataclasses.replace(rec, model=None, probe=None, enc=None),
            "text": (dataclasses.asdict(enc.pipeline.cfg), enc.pipeline.vocabulary),
            "y_test": enc.y_test, "validation": enc.validation}


def sentiment_from_wire(wire: dict, args: dict):
    """The record as the page uses it: the trained model, its pipeline, the test reviews' texts (taken from the
    reviews the job was given, split the same way) and labels; the encoded ids are empty (they stayed on the node)."""
    from explorer.data.text_pipeline import TextConfig, TextPipeline
    from explorer.tasks.sentiment.encoding import Encoded, split_parts
    from explorer.train.runner import TrainedRun

    cfg, vocabulary = wire["text"]
    pipeline = TextPipeline(TextConfig(**cfg), vocabulary)
    record = wire["record"]
    none = np.zeros((0, record.setup.text.max_len), np.int32)
    empty = np.zeros(0, np.float32)
    texts = split_parts(args["data"], record.setup.data).test.texts
    record.enc = Encoded(pipeline, none, empty, none, empty, none, wire["y_test"], list(texts), wire["validation"])
    record.model = load_model(wire["model"], compile=False)
    return TrainedRun(record.model, record, wire["result"])


# ---------------------------------------------------------------- the lab: LabRun (each cell's model in its ArchRun)

def lab_to_wire(lab) -> dict:
    runs = {arch: {"model": model_bytes(r.model), "result": r.result, "spectra": r.spectra, "started": r.started,
                   "carry0": r.carry0, "held": r.held} for arch, r in lab.runs.items()}
    return {"lab": dataclasses.replace(lab, runs={}), "runs": runs}


def lab_from_wire(wire: dict, args: dict):
    """The LabRun with each cell's trained model; its probe stays behind (every number it measured is in the
    cell's ArchResult)."""
    from explorer.tasks.lab.arch import ArchRun

    lab = wire["lab"]
    lab.runs = {arch: ArchRun(arch, load_model(r["model"]), None, r["result"], r["spectra"], r["started"],
                              r["carry0"], r["held"]) for arch, r in wire["runs"].items()}
    return lab


# ---------------------------------------------------------------- the sweep: SweepResult is plain data

def _plain(result) -> Any:
    return result


def _plain_back(wire, args: dict) -> Any:
    return wire


WIRE: dict[str, tuple[Callable[[Any], Any], Callable[[Any, dict], Any]]] = {
    "series": (series_to_wire, series_from_wire),
    "sentiment": (sentiment_to_wire, sentiment_from_wire),
    "lab": (lab_to_wire, lab_from_wire),
    "sweep": (_plain, _plain_back),
}


def to_wire(kind: str, result) -> Any:
    """A job's result of `kind` as plain, picklable data (None stays None)."""
    return None if result is None else WIRE[kind][0](result)


def from_wire(kind: str, wire, args: dict):
    """The typed result of `kind` back from `to_wire`'s form; `args` are the job's own inputs."""
    return None if wire is None else WIRE[kind][1](wire, args)
