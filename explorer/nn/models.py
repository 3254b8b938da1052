"""Build a compiled recurrent network from a `ModelConfig` and a `TrainConfig`.

Models are plain functional Keras models of class `InstrumentedModel`, whose training
step also reports the gradient norm of every layer (before clipping), so the
training loop can show exploding and vanishing weight gradients at no extra cost.
"""
from __future__ import annotations

import math
import random
import threading

import numpy as np

from explorer.nn.config import (ACTIVATIONS, CELLS, EMBEDDING_INITS, GATE_INITS, HEADS, OPTIMIZERS, READOUTS,
                                RECURRENT_INITS, SCHEDULES, ModelConfig, TrainConfig)
from explorer.nn.word_vectors import SPECIALS

import keras  # noqa: E402  (after the cheap imports, on purpose)
import tensorflow as tf  # noqa: E402

GRAD_PREFIX = "gradnorm/"
# The largest gradient norm of any single weight at a step, before clipping: Keras' `clipnorm` clips each
# weight's gradient on its own, so clipping acted at a step exactly when this exceeded the clip norm.
MAX_WEIGHT_GRAD = "max_weight_grad"


def config_problems(model: ModelConfig, train: TrainConfig | None = None) -> list[str]:
    """Plain-language reasons a config cannot be built or trained; empty when it can."""
    out = []
    if model.cell not in CELLS:
        out.append(f"Unknown cell {model.cell!r}: choose one of {', '.join(CELLS)}.")
    if model.units < 1:
        out.append("A recurrent layer needs at least 1 unit.")
    if model.units > 1024:
        out.append("More than 1024 units is too large to train live on a CPU.")
    if not 1 <= model.layers <= 8:
        out.append("Use between 1 and 8 stacked layers.")
    for name in ("dropout", "recurrent_dropout", "head_dropout", "word_dropout"):
        if not 0 <= getattr(model, name) < 1:
            out.append(f"{name.replace('_', ' ').capitalize()} must be in [0, 1).")
    if model.activation not in ACTIVATIONS:
        out.append(f"Unknown activation {model.activation!r}.")
    if model.recurrent_init not in RECURRENT_INITS:
        out.append(f"Unknown recurrent initialiser {model.recurrent_init!r}.")
    if not (model.recurrent_scale > 0 and math.isfinite(model.recurrent_scale)):
        out.append("The recurrent weight scale must be a positive number.")
    if model.gate_init not in GATE_INITS:
        out.append(f"Unknown gate-bias initialisation {model.gate_init!r}: choose one of {', '.join(GATE_INITS)}.")
    if model.head not in HEADS:
        out.append(f"Unknown head {model.head!r}.")
    if model.readout not in READOUTS:
        out.append(f"Unknown readout {model.readout!r}: choose one of {', '.join(READOUTS)}.")
    if model.outputs < 1:
        out.append("The model must predict at least one value.")
    if model.vocab_size < 0 or (model.vocab_size and model.embedding_dim < 1):
        out.append("A text model needs a positive vocabulary and embedding size.")
    if model.embedding_init not in EMBEDDING_INITS:
        out.append(f"Unknown embedding start {model.embedding_init!r}: choose one of {', '.join(EMBEDDING_INITS)}.")
    if train is not None:
        if train.optimizer not in OPTIMIZERS:
            out.append(f"Unknown optimizer {train.optimizer!r}.")
        if not (train.learning_rate > 0 and math.isfinite(train.learning_rate)):
            out.append("The learning rate must be a positive number.")
        if train.batch_size < 1:
            out.append("The batch size must be at least 1.")
        if train.epochs < 1:
            out.append("Train for at least one epoch.")
        if train.schedule not in SCHEDULES:
            out.append(f"Unknown learning-rate schedule {train.schedule!r}: choose one of {', '.join(SCHEDULES)}.")
        if train.patience < 0:
            out.append("Early-stopping patience must be 0 (off) or a positive number of epochs.")
        if train.clipnorm < 0:
            out.append("The clipping threshold must be 0 (off) or positive.")
    return out


@keras.saving.register_keras_serializable(package="explorer")
class InstrumentedModel(keras.Model):
    """A functional model whose `train_step` also returns per-layer gradient norms."""

    def train_step(self, data):
        x, y = data[0], data[1]
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, training=True)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply(grads, self.trainable_variables)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        logs = {m.name: m.result() for m in self.metrics}
        logs["batch_loss"] = loss
        by_layer: dict[str, list] = {}
        for var, grad in zip(self.trainable_variables, grads):
            if grad is None:
                continue
            if isinstance(grad, tf.IndexedSlices):
                grad = tf.convert_to_tensor(grad)
            layer = var.path.split("/")[0]
            by_layer.setdefault(layer, []).append(tf.norm(grad))
        for layer, norms in by_layer.items():
            logs[GRAD_PREFIX + layer] = tf.norm(tf.stack(norms))  # the layer's global norm
        if by_layer:
            logs[MAX_WEIGHT_GRAD] = tf.reduce_max(tf.stack([n for ns in by_layer.values() for n in ns]))
        return logs


@keras.saving.register_keras_serializable(package="explorer")
class MaskedGlobalMaxPooling1D(keras.layers.Layer):
    """Max over time of a sequence, skipping masked steps (Keras' GlobalMaxPooling1D ignores the mask)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return keras.ops.max(inputs, axis=1)
        keep = keras.ops.cast(mask, "bool")[:, :, None]
        low = keras.ops.min(inputs) - 1.0
        pooled = keras.ops.max(keras.ops.where(keep, inputs, low), axis=1)
        return keras.ops.where(keras.ops.any(keep, axis=1), pooled, 0.0)  # an all-padding row reads 0

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


@keras.saving.register_keras_serializable(package="explorer")
class MaskedMeanMaxPooling1D(keras.layers.Layer):
    """[mean, max] over time of a sequence, masked steps skipped: the concat pooling of ULMFiT
    (Howard & Ruder, 2018). One layer, so the model stays a plain chain that the probes can walk."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.mean = keras.layers.GlobalAveragePooling1D()
        self.max = MaskedGlobalMaxPooling1D()

    def call(self, inputs, mask=None):
        return keras.ops.concatenate([self.mean(inputs, mask=mask), self.max(inputs, mask=mask)], axis=-1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 2 * input_shape[2])


POOLINGS = {"mean": keras.layers.GlobalAveragePooling1D, "max": MaskedGlobalMaxPooling1D,
            "meanmax": MaskedMeanMaxPooling1D}


def readout_layer(cfg: ModelConfig):
    """The pooling layer between the last recurrent layer and the head; None for the last state."""
    pool = POOLINGS.get(cfg.readout)
    return pool(name="readout") if pool is not None else None


RECURRENT = (keras.layers.RNN, keras.layers.Bidirectional)


def call_layer(layer, h, mask):
    """Call one non-recurrent layer of a built model eagerly or in a trace: (output, mask after it).

    The pooling readout reads the mask (padding left out of the mean or max) and ends it.
    """
    if isinstance(layer, tuple(POOLINGS.values())):
        return layer(h, mask=mask, training=False), None
    return layer(h, training=False), mask


def recurrent_initializer(cfg: ModelConfig, seed: int | None = None):
    """W_hh initialiser of `cfg.cell`; `recurrent_scale` sets its spectral radius (≈ for 'normal', exactly otherwise).

    Identity needs a square matrix; gated cells stack 3–4 blocks, so they get orthogonal instead.
    """
    scale = cfg.recurrent_scale
    if cfg.recurrent_init == "orthogonal" or (cfg.recurrent_init == "identity" and cfg.cell != "SimpleRNN"):
        return keras.initializers.Orthogonal(gain=scale, seed=seed)
    if cfg.recurrent_init == "identity":
        return keras.initializers.Identity(gain=scale)
    if cfg.recurrent_init == "normal":
        # Circular law: an n×n matrix of N(0, s²/n) entries has spectral radius ≈ s.
        return keras.initializers.RandomNormal(stddev=scale / math.sqrt(cfg.units), seed=seed)
    return keras.initializers.VarianceScaling(scale=scale * scale, mode="fan_avg", distribution="uniform", seed=seed)


@keras.saving.register_keras_serializable(package="explorer")
class ChronoBias(keras.initializers.Initializer):
    """Chrono initialisation of a gated cell's bias (Tallec & Ollivier, ICLR 2018).

    Each unit's "keep" gate starts with bias log u, u ~ U(1, t_max − 1), so it forgets at a rate
    ≈ 1/u per step: time scales spread from 1 to the sequence length. LSTM: forget bias log u and
    input bias −log u; GRU (Keras' h = z·h₋₁ + (1 − z)·h̃): update-gate bias log u. Other biases 0.
    """

    def __init__(self, cell: str, units: int, t_max: int, seed: int | None = None):
        self.cell, self.units, self.t_max, self.seed = cell, int(units), int(t_max), seed

    def __call__(self, shape, dtype=None):
        u = self.units
        keep = np.log(np.random.default_rng(self.seed).uniform(1.0, max(self.t_max - 1, 2), u))
        bias = np.zeros(shape, dtype="float64")
        if self.cell == "LSTM":  # [input, forget, candidate, output]
            bias[:u], bias[u:2 * u] = -keep, keep
        elif self.cell == "GRU":  # [update z, reset, candidate]; reset_after keeps (input, recurrent) rows
            (bias[0] if bias.ndim == 2 else bias)[:u] = keep
        return keras.ops.convert_to_tensor(bias, dtype=dtype or "float32")

    def get_config(self):
        return {"cell": self.cell, "units": self.units, "t_max": self.t_max, "seed": self.seed}


CHRONO_DEFAULT_T = 100  # time scale when a model's length is not fixed


def _gate_kwargs(cfg: ModelConfig, timesteps: int | None, seed: int) -> dict:
    """Bias arguments of a gated layer for `cfg.gate_init` (none for SimpleRNN or Keras' default)."""
    if cfg.gate_init != "chrono" or cfg.cell == "SimpleRNN":
        return {}
    init = ChronoBias(cfg.cell, cfg.units, timesteps or CHRONO_DEFAULT_T, seed=seed + 2)
    return {"bias_initializer": init, **({"unit_forget_bias": False} if cfg.cell == "LSTM" else {})}


def _recurrent_layer(cfg: ModelConfig, return_sequences: bool, name: str, seed: int,
                     timesteps: int | None = None):
    cls = {"SimpleRNN": keras.layers.SimpleRNN, "LSTM": keras.layers.LSTM, "GRU": keras.layers.GRU}[cfg.cell]
    kwargs = dict(units=cfg.units, activation=cfg.activation, dropout=cfg.dropout,
                  recurrent_dropout=cfg.recurrent_dropout, return_sequences=return_sequences,
                  recurrent_initializer=recurrent_initializer(cfg, seed),
                  kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 1),
                  **_gate_kwargs(cfg, timesteps, seed))
    layer = cls(**kwargs, name=name)
    if cfg.bidirectional:
        layer = keras.layers.Bidirectional(layer, name=f"bi_{name}")
    return layer


def make_optimizer(train: TrainConfig, accumulate: int = 1):
    """The optimizer; with `accumulate` ≥ 2 it averages that many steps' gradients into one update."""
    kwargs = {"learning_rate": train.learning_rate}
    if accumulate > 1:
        kwargs["gradient_accumulation_steps"] = accumulate
    if train.clipnorm > 0:
        kwargs["clipnorm"] = train.clipnorm
    return {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop,
            "sgd": keras.optimizers.SGD}[train.optimizer](**kwargs)


_BUILDING = threading.RLock()  # two runs built at once in threads (the lab's sweep, two visitors) start as if alone


def seed_keras(seed: int) -> None:
    """Seed what Keras draws a layer's default seeds from (Python's and NumPy's generators).

    Not `keras.utils.set_random_seed`: it also sets TensorFlow's global seed, which clears TensorFlow's
    kernel caches, so every traced function (a pooled model's train step, the probe) is instantiated
    again at its next call, which delays a run's first step. Nothing here draws from TF's
    global seed (layers get explicit seeds, `explorer.train.training` shuffles with its own generator)."""
    with _BUILDING:  # never between another thread's seeding and its build's draws
        random.seed(seed)
        np.random.seed(seed)


def build_model(cfg: ModelConfig, train: TrainConfig, timesteps: int | None,
                features: int = 1, time_scale: int | None = None, accumulate: int = 1,
                word_vectors: np.ndarray | None = None) -> InstrumentedModel:
    """A compiled model: [Embedding] → recurrent layers → [pooling readout] → Dense head; seeded by `train.seed`.

    `time_scale` is the longest memory chrono gate biases aim for (default: `timesteps`); a model
    that takes any length (masked text) passes the longest input it will read. `accumulate`: see
    `make_optimizer` (for batches that come in halves, `explorer.data.buckets.MAX_WORDS`). `word_vectors`
    (vocab_size, embedding_dim): where the embedding starts when `cfg.embedding_init` is "cooccurrence"
    (`explorer.nn.word_vectors.from_cooccurrence`); the padding and out-of-vocabulary rows keep Keras' start."""
    problems = config_problems(cfg, train)
    wanted = cfg.vocab_size and cfg.embedding_init == "cooccurrence"
    if wanted and (word_vectors is None or tuple(word_vectors.shape) != (cfg.vocab_size, cfg.embedding_dim)):
        problems.append(f"Co-occurrence word vectors of shape ({cfg.vocab_size}, {cfg.embedding_dim}) are needed "
                        "(explorer.nn.word_vectors.from_cooccurrence).")
    if problems:
        raise ValueError(" ".join(problems))
    with _BUILDING:  # the layers Keras seeds by default draw from the generators seed_keras sets: one build at a time
        return _build(cfg, train, timesteps, features, time_scale, accumulate, word_vectors, wanted)


def _build(cfg: ModelConfig, train: TrainConfig, timesteps, features, time_scale, accumulate, word_vectors, wanted):
    seed_keras(train.seed)
    if cfg.vocab_size:
        inputs = keras.Input(shape=(timesteps,), dtype="int32", name="tokens")
        embedding = keras.layers.Embedding(cfg.vocab_size, cfg.embedding_dim, mask_zero=cfg.mask_zero,
                                           name="embedding")
        x = embedding(inputs)
        if wanted:
            start = np.array(embedding.embeddings)
            start[SPECIALS:] = word_vectors[SPECIALS:]
            embedding.embeddings.assign(start)
        if cfg.word_dropout:  # one coin per word, shared by all its vector's values
            x = keras.layers.Dropout(cfg.word_dropout, noise_shape=(None, None, 1), seed=train.seed + 3,
                                     name="word_dropout")(x)
    else:
        inputs = keras.Input(shape=(timesteps, features), name="series")
        x = inputs
    for i in range(cfg.layers):
        last = i == cfg.layers - 1
        x = _recurrent_layer(cfg, return_sequences=not last or cfg.readout != "last", name=f"rnn_{i}",
                             seed=train.seed + 10 * i, timesteps=time_scale or timesteps)(x)
    pool = readout_layer(cfg)
    if pool is not None:
        x = pool(x)
    if cfg.head_dropout:
        x = keras.layers.Dropout(cfg.head_dropout, seed=train.seed + 2, name="head_dropout")(x)
    if cfg.head == "binary":
        outputs = keras.layers.Dense(1, activation="sigmoid", name="head")(x)
        loss, metrics = "binary_crossentropy", ["accuracy"]
    else:
        outputs = keras.layers.Dense(cfg.outputs, name="head")(x)
        loss, metrics = "mse", ["mae"]
    model = InstrumentedModel(inputs, outputs, name=f"{cfg.cell.lower()}_explorer")
    model.compile(optimizer=make_optimizer(train, accumulate), loss=loss, metrics=metrics, jit_compile=train.jit_compile)
    return model


def recurrent_layers(model: keras.Model) -> list:
    """The model's recurrent layers in order (a Bidirectional wrapper counts as one)."""
    return [l for l in model.layers if isinstance(l, RECURRENT)]


def run_layers(model: keras.Model, x, on_recurrent=None, on_embedding=None):
    """Call `model` on `x` layer by layer, eagerly or in a trace, carrying the padding mask by hand.

    `on_recurrent(index, layer, seq, mask)` replaces the call of the index-th recurrent layer (a
    Bidirectional wrapper counts as one) and `on_embedding(e)` sees the embedded input first: the
    hooks through which the probes read and perturb hidden states. Our builder makes a plain chain.
    """
    h, mask, index = x, None, 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.layers.Embedding):
            h = layer(h)
            mask = tf.not_equal(x, 0) if layer.mask_zero else None  # id 0 is padding
            if on_embedding is not None:
                h = on_embedding(h)
        elif isinstance(layer, RECURRENT):
            h = (layer(h, mask=mask, training=False) if on_recurrent is None
                 else on_recurrent(index, layer, h, mask))
            index += 1
            if not layer.return_sequences:
                mask = None
        else:
            h, mask = call_layer(layer, h, mask)
    return h


def recurrent_matrix(layer) -> np.ndarray:
    """W_hh of a recurrent layer (forward direction), shape (units, gates·units)."""
    if isinstance(layer, keras.layers.Bidirectional):
        layer = layer.forward_layer
    return np.asarray(layer.cell.recurrent_kernel.numpy())


def spectrum(w: np.ndarray) -> dict[str, float]:
    """Largest singular value and, for a square (SimpleRNN) W_hh, spectral radius (Pascanu et al., 2013).

    A gated cell's W_hh stacks 3–4 blocks: its spectral radius is NaN, as is everything for a broken matrix.
    """
    w = np.asarray(w, dtype=np.float64)
    if not np.all(np.isfinite(w)):
        return {"max_singular": float("nan"), "spectral_radius": float("nan")}
    out = {"max_singular": float(np.linalg.norm(w, 2)), "spectral_radius": float("nan")}
    if w.shape[0] == w.shape[1]:
        out["spectral_radius"] = float(np.max(np.abs(np.linalg.eigvals(w))))
    return out
