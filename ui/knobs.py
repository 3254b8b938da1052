"""The knob table: every setting each page offers, declared once, driving its widget, its URL key and its check.

Knobs shared by pages (cell, units, learning rate …) are declared first; a page's table narrows one
with `knob.at(...)` (other bounds, options or words), never by writing it again. Widget keys are the
URL keys (`m_units`, `gl_T`, `gl_learning_rate`; the sentiment page's are prefixed `sent_`), so one knob can be
followed from its widget to its config field in this file. How a table works: `ui/knob_panel.py`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

from explorer.data.memory_tasks import MAX_T, TASK_LABELS, TASKS
from explorer.data.text_pipeline import PADDINGS
from explorer.nn.config import (ACTIVATIONS, CELLS, EMBEDDING_INITS, GATE_INIT_LABELS, GATE_INITS, GATE_NOTE,
                                OPTIMIZERS, READOUTS, SCHEDULES, SERIES_TARGETS, ModelConfig, SeriesConfig)
from explorer.tasks.lab.config import ARCHS, LINK_ALIASES, LabConfig, with_fields
from explorer.tasks.lab.presets import CLIPPED, EXPLODE
from explorer.tasks.sentiment.presets import QUICK
from explorer.tasks.sentiment.run import EMBEDDING_WORDS, READOUT_WORDS
from explorer.tasks.series.run import DEFAULT_TRAIN
from ui.knob_panel import Knob, Panel, Part

# ---------------------------------------------------------------- the knobs pages share
# Model (ModelConfig)
CELL = Knob("cell", "Cell", "select", CELLS)
GATE_INIT = Knob("gate_init", "Gate-bias initialisation (LSTM, GRU)", "select", GATE_INITS, labels=GATE_INIT_LABELS,
                 help=GATE_NOTE)
UNITS = Knob("units", "Units per layer", "number", lo=1, hi=512, step=1)
LAYERS = Knob("layers", "Stacked layers", "number", lo=1, hi=4, step=1)
BIDIRECTIONAL = Knob("bidirectional", "Bidirectional", "checkbox")
DROPOUT = Knob("dropout", "Dropout", "slider", lo=0.0, hi=0.9, step=0.05)
ACTIVATION = Knob("activation", "Activation", "select", ACTIVATIONS)
# Training (TrainConfig)
OPTIMIZER = Knob("optimizer", "Optimizer", "select", OPTIMIZERS)
LEARNING_RATE = Knob("learning_rate", "Learning rate", "number", lo=1e-6, hi=1.0, step=1e-4, number_format="%g")
BATCH_SIZE = Knob("batch_size", "Batch size", "number", lo=1, hi=4096, step=8)
EPOCHS = Knob("epochs", "Epochs", "number", lo=1, hi=1000, step=10)
CLIPNORM = Knob("clipnorm", "Clip norm (0 = off)", "number", lo=0.0, hi=100.0, step=0.5)
SEED = Knob("seed", "Seed", "number", lo=0, hi=10**6, step=1)
PATIENCE = Knob("patience", "Early stopping: patience in epochs (0 = off)", "number", lo=0, hi=1000, step=1,
                help="Stop after this many epochs without a lower validation loss and keep the best epoch's "
                     "weights: the number of epochs is chosen on the validation part, never on the test part.")
XLA = Knob("jit_compile", "Compile with XLA", "checkbox",
           help="Keras' jit_compile: the training step as one compiled program; on a CPU it trains LSTM and GRU "
                "faster after a longer first step.")


# ---------------------------------------------------------------- time series (d_ series, m_ model, t_ training)
SOURCES = {"sine": "Sine wave", "stock": "Stock-like series", "csv": "Upload a CSV"}
TARGET_LABELS = {"auto": "auto (chosen for this series)", "level": "the level",
                 "change": "the change since the previous step", "seasonal": "the change since one season before",
                 "log_change": "the change of the log (relative change)",
                 "log_seasonal": "the change of the log since one season before"}
# The seed tutorial's set-up: 500-point sine (observation noise σ = 0.1), window 10, SimpleRNN(50), batch 32,
# 40 epochs with early stopping: quick enough for a first click (bench/bench_timeseries.py times it).
TIME_SERIES = Panel("ts", extra_url_keys=("run",), parts={
    "series": Part("d_", SeriesConfig(), (
        Knob("source", "Data source", "radio", tuple(SOURCES), labels=SOURCES, horizontal=True),
        Knob("length", "Length (points)", lo=20, hi=20000, step=50),
        Knob("frequency", "Frequency (cycles/step)", lo=0.001, hi=0.5, step=0.005, number_format="%.3f"),
        Knob("amplitude", "Amplitude", lo=0.01, hi=1000.0, step=0.5),
        Knob("noise", "Noise (std)", lo=0.0, hi=1000.0, step=0.05,
               help="Observation noise σ: no forecast can beat an error of σ², the noise floor."),
        Knob("drift", "Yearly drift", lo=-1.0, hi=1.0, step=0.05),
        Knob("volatility", "Yearly volatility", lo=0.0, hi=2.0, step=0.05),
        Knob("seasonality", "Seasonality", lo=0.0, hi=0.9, step=0.05,
               help="Amplitude of a yearly cycle, as a fraction of the price"),
        Knob("jumps", "Jumps / year", lo=0.0, hi=50.0, step=1.0),
        SEED,
        Knob("window", "Window (past steps the RNN reads)", lo=1, hi=500, step=1),
        Knob("horizon", "Forecast horizon h (values each window predicts)", lo=1, hi=50, step=1,
               help="1 predicts the next value (the tutorial). With h > 1 the network outputs the next h values at "
                    "once; test metrics score the first one and the forecast past the end feeds h values back at a "
                    "time."),
        Knob("target", "Predict", "select", SERIES_TARGETS, labels=TARGET_LABELS,
               help="The level itself, or the change since the previous step (differencing): changes stay in the "
                    "range seen in training when the level trends out of it. The change since one season before "
                    "(seasonal differencing) removes the season first: the network starts from “same as last year” "
                    "and learns what that misses. On a log scale the changes are relative, for a season whose "
                    "swings grow with the level. Auto decides on the training and validation parts and says why."),
        Knob("val_fraction", "Validation part", "slider", lo=0.05, hi=0.4, step=0.05),
        Knob("test_fraction", "Test part", "slider", lo=0.05, hi=0.4, step=0.05),
    )),
    "model": Part("m_", ModelConfig(), (CELL, GATE_INIT, UNITS, LAYERS, BIDIRECTIONAL, DROPOUT,
                                          ACTIVATION)),
    "train": Part("t_", DEFAULT_TRAIN, (OPTIMIZER, LEARNING_RATE, BATCH_SIZE, EPOCHS, CLIPNORM, SEED,
                                          PATIENCE)),
})


# ---------------------------------------------------------------- sentiment (x_ text, m_ model, t_ training, d_ reviews)
RATES = (0.0, 0.1, 0.2, 0.3, 0.5)
SENTIMENT = Panel("sent", widget_prefix="sent_", extra_url_keys=("model", "run"), parts={
    "text": Part("x_", QUICK.text, (
        Knob("vocab_size", "Vocabulary (words)", "select_slider", (2_000, 5_000, 10_000, 20_000)),
        Knob("max_len", "Words read per review", "select_slider", (50, 100, 200, 300, 500),
               help="Longer reviews are cut; shorter ones are padded with zeros."),
        Knob("padding", "Padding side", "radio", tuple(PADDINGS), horizontal=True,
               help="front: zeros before the review, long reviews keep their end (Keras pad_sequences). "
                    "end: zeros after the review (TextVectorization's default)."),
        Knob("mask", "Mask padding (mask_zero)", "checkbox"),
    )),
    "model": Part("m_", QUICK.model, (
        Knob("embedding_dim", "Embedding size", "select_slider", (8, 16, 32, 64, 128)),
        Knob("embedding_init", "Word vectors start", "radio", EMBEDDING_INITS, labels=EMBEDDING_WORDS, horizontal=True,
               help="random: Keras' default, each word learns only from the labelled reviews it occurs in. "
                    "co-occurrence: each word starts from the words it occurs near in the training reviews (PPMI "
                    "and SVD, a few seconds, no labels read), so a rare word like 'atrocious' starts next to "
                    "'awful'. Both are trained further."),
        CELL,
        GATE_INIT.at(label="Gate-bias initialisation", help=GATE_NOTE + " Here T is the number of words "
                                                                                 "read per review."),
        UNITS.at(label="Units", widget="select_slider", options=(8, 16, 32, 64, 128)),
        LAYERS.at(widget="select_slider", options=(1, 2, 3)),
        BIDIRECTIONAL,
        Knob("word_dropout", "Word dropout", "select_slider", RATES,
               help="While training, each word of a review is blanked with this probability, a fresh choice every "
                    "epoch: the model sees a different version of each review and cannot memorise its exact words."),
        DROPOUT.at(widget="select_slider", options=RATES, help="Drops a share of the words' embedding values on "
                     "their way into each recurrent layer, while training only."),
        Knob("readout", "Readout", "select", READOUTS, labels=READOUT_WORDS,
               help="What the classifier reads. Last state: the classic RNN; every word's signal must travel "
                    "through time to the end. Mean or max over the states at every word (padding left out when "
                    "masked): each word has a direct path to the loss. Mean and max: both, side by side "
                    "(ULMFiT's concat pooling)."),
        Knob("head_dropout", "Dropout before the classifier", "select_slider", (0.0, 0.2, 0.3, 0.5),
               help="Drops a share of what the classifier reads (the readout), while training only: it cannot "
                    "lean on a few units."),
    )),
    "train": Part("t_", QUICK.train, (
        OPTIMIZER,
        LEARNING_RATE.at(widget="select_slider", options=(1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1)),
        Knob("schedule", "Learning-rate schedule", "radio", SCHEDULES, horizontal=True,
               help="constant: the same step size throughout. cosine: the step size falls along a half cosine to "
                    "0 by the last epoch, so the final updates are small and the weights settle."),
        BATCH_SIZE.at(widget="select_slider", options=(16, 32, 64, 128, 256)),
        EPOCHS.at(widget="slider", hi=10, step=1),
        PATIENCE.at(label="Stop early, keep the best epoch", widget="checkbox", options=(0, 1),
                      help="Keras EarlyStopping: stop once the validation loss stops falling and keep the weights "
                           "of the epoch where it was lowest (IMDB models overfit within a few epochs)."),
    )),
    "data": Part("d_", QUICK.data, (
        Knob("n_train", "Training reviews", "select_slider", (500, 1_000, 2_000, 5_000, 10_000, 25_000),
               help="10% of them are held out for validation. Fewer = faster, less accurate."),
        Knob("n_test", "Test reviews", "select_slider", (500, 1_000, 5_000, 25_000),
               help="25,000 = every test review in the copy."),
    )),
})


# ---------------------------------------------------------------- gradient lab (gl_: task, model and training)
LAB_PRESETS = {
    "memory": ("① Long memory: recall 100 steps back", LabConfig()),
    "keras": ("② Same, Keras' default gate biases", with_fields(LabConfig(), gate_init="keras")),
    "explode": ("③ Explode: ReLU, scale 1.05, SGD 0.1", EXPLODE),
    "clip": (f"④ Same, with clipnorm {CLIPPED.train.clipnorm:g}", CLIPPED),
}
INITS = {"orthogonal": "orthogonal (Keras default)", "identity": "identity (IRNN)",
         "normal": "Gaussian N(0, s²/n)", "glorot_uniform": "Glorot uniform"}


@dataclass(frozen=True)
class Cells:
    """Which cells train side by side (in the link as gl_archs=SimpleRNN,GRU)."""

    archs: str = ",".join(ARCHS)


# One prefix for the whole set-up, as before the lab composed ModelConfig and TrainConfig: its links keep their
# keys (gl_units, gl_T …); gl_lr and gl_batch, renamed gl_learning_rate and gl_batch_size, still open.
LAB = LabConfig()
GRADIENT_LAB = Panel("gl", extra_url_keys=("run", "sweep"), parts={
    "lab": Part("gl_", LAB, (
        Knob("task", "Task that needs long memory", "select", TASKS, labels=TASK_LABELS),
        Knob("T", "Sequence length T", "slider", lo=6, hi=MAX_T,
               help="How many steps lie between the decisive input and the loss."),
        Knob("samples", "Training sequences", "select_slider", (64, 128, 256, 512, 1024, 2048, 4096)),
    ), only_knobs=True),
    "model": Part("gl_", LAB.model, (
        UNITS.at(label="Units", widget="select_slider", options=(4, 8, 16, 32, 64, 128)),
        ACTIVATION.at(label="Activation φ", widget="radio", horizontal=True),
        Knob("recurrent_init", "W_hh initialiser", "select", tuple(INITS), labels=INITS),
        Knob("recurrent_scale", "Recurrent weight scale", "slider", lo=0.1, hi=3.0, step=0.05,
               help="Multiplies W_hh at initialisation; it sets the spectral radius."),
        GATE_INIT.at(widget="radio", options=("chrono", "keras")),  # the lab offers its default first
    ), only_knobs=True),
    "train": Part("gl_", LAB.train, (
        SEED.at(hi=10_000),
        OPTIMIZER,
        LEARNING_RATE.at(widget="select_slider", options=(1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3)),
        EPOCHS.at(widget="slider", hi=40, step=1),
        BATCH_SIZE.at(widget="select_slider", options=(8, 16, 32, 64, 128)),
        XLA.at(help=XLA.help + " SimpleRNN, which it slows, always runs without it."),
        CLIPNORM.at(label="Gradient clipping (clipnorm, 0 = off)", widget="select_slider",
                      options=(0.0, 0.1, 0.5, 1.0, 5.0, 10.0), labels={0.0: "off"}),
    ), only_knobs=True, aliases=LINK_ALIASES),
    "cells": Part("gl_", Cells(), (Knob("archs", "Architectures", "multiselect", ARCHS),)),
})


def lab_config(cfgs: Mapping[str, Any]) -> LabConfig:
    """The lab set-up of the panel's configs (its task, model and training parts)."""
    return dataclasses.replace(cfgs["lab"], model=cfgs["model"], train=cfgs["train"])


def lab_parts(cfg: LabConfig) -> dict[str, Any]:
    """The panel's parts of a lab set-up (what a preset or a link fills in)."""
    return {"lab": cfg, "model": cfg.model, "train": cfg.train}
