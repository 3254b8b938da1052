"""The model part every generated script shares: layers, gate-bias start, optimizer, compile and fit.

Written from a `ModelConfig` and a `TrainConfig` the way `explorer.nn.models.build_model` reads them, as a
`keras.Sequential` of standard layers; only what Keras lacks is written out (chrono gate biases, a max
over time that skips padding). Settings at their Keras default are left out, so the code stays short.
"""
from __future__ import annotations

from explorer.export.script import lit
from explorer.nn.config import ModelConfig, TrainConfig

OPTIMIZER_CLASSES = {"adam": "Adam", "rmsprop": "RMSprop", "sgd": "SGD"}


def model_constants(model: ModelConfig, train: TrainConfig, text: bool = False) -> list[tuple[str, object, str]]:
    """The model's and training's knobs as the script's constants (those at 0 that switch something off are left out)."""
    rows: list[tuple[str, object, str]] = [("", None, "the model")]
    if text:
        rows.append(("EMBEDDING_DIM", model.embedding_dim, "size of each word's vector"))
    rows.append(("UNITS", model.units, "units per recurrent layer" + (" and direction" if model.bidirectional else "")))
    if model.word_dropout:
        rows.append(("WORD_DROPOUT", model.word_dropout, "share of the words blanked while training"))
    if model.dropout:
        rows.append(("DROPOUT", model.dropout, "dropout on each recurrent layer's inputs, while training"))
    if model.head_dropout:
        rows.append(("HEAD_DROPOUT", model.head_dropout, "dropout on what the output layer reads, while training"))
    rows += [("", None, ""), ("", None, "training"),
             ("LEARNING_RATE", train.learning_rate, ""),
             ("BATCH_SIZE", train.batch_size, ""),
             ("EPOCHS", train.epochs, "at most" if train.patience else "")]
    if train.clipnorm:
        rows.append(("CLIPNORM", train.clipnorm, "every weight's gradient is cut to this norm"))
    if train.patience:
        rows.append(("PATIENCE", train.patience, "stop after this many epochs without a lower validation loss"))
    rows.append(("SEED", train.seed, "weights and shuffling"))
    return rows


def chrono_name(cell: str) -> str:
    """The class name of a cell's chrono initialiser in the scripts."""
    return f"{cell}ChronoBias"


def chrono_code(cell: str) -> str:
    """A bias initialiser giving each unit of a gated cell its own memory time scale up to T_MAX steps.

    A registered `keras.initializers.Initializer`, not a function: Bidirectional builds its backward layer
    from the forward one's config, and a model with it can be saved and loaded."""
    if cell == "LSTM":
        body = ("        units = shape[0] // 4  # Keras' LSTM biases: [input, forget, candidate, output]\n"
                "        keep = np.log(np.random.uniform(1.0, max(T_MAX - 1, 2), units))\n"
                "        bias = np.zeros(shape)\n"
                "        bias[:units], bias[units:2 * units] = -keep, keep  # input gate −log u, forget gate log u\n")
        what = "the forget gate's bias log u and the input gate's −log u"
    else:
        body = ("        units = shape[-1] // 3  # Keras' GRU biases: rows (input, recurrent) × [update, reset, candidate]\n"
                "        keep = np.log(np.random.uniform(1.0, max(T_MAX - 1, 2), units))\n"
                "        bias = np.zeros(shape)\n"
                "        bias[0, :units] = keep  # update gate log u: h = z·h_prev + (1 − z)·candidate keeps h\n")
        what = "the update gate's bias log u"
    return ("@keras.saving.register_keras_serializable()\n"
            f"class {chrono_name(cell)}(keras.initializers.Initializer):\n"
            f'    """Chrono initialisation (Tallec & Ollivier, 2018) of a {cell}\'s biases: each unit keeps its memory for\n'
            f'    about u steps, u ~ U(1, T_MAX − 1), through {what}."""\n\n'
            "    def __call__(self, shape, dtype=None):\n"
            f"{body}"
            "        return keras.ops.convert_to_tensor(bias, dtype=dtype)\n\n"
            "    def get_config(self):\n"
            "        return {}")


POOL_CODE = {
    "max": '''@keras.saving.register_keras_serializable()
class MaskedMax(keras.layers.Layer):
    """The max of the states over time, padding left out (Keras' GlobalMaxPooling1D ignores the mask)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, states, mask=None):
        if mask is None:
            return keras.ops.max(states, axis=1)
        keep = keras.ops.cast(mask, "bool")[:, :, None]
        pooled = keras.ops.max(keras.ops.where(keep, states, keras.ops.min(states) - 1.0), axis=1)
        return keras.ops.where(keras.ops.any(keep, axis=1), pooled, 0.0)  # a review of padding only reads 0

    def compute_mask(self, states, mask=None):
        return None
''',
    "meanmax": '''@keras.saving.register_keras_serializable()
class MeanAndMax(keras.layers.Layer):
    """The mean and the max of the states over time, side by side (ULMFiT's concat pooling), padding left out."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.mean = keras.layers.GlobalAveragePooling1D()

    def call(self, states, mask=None):
        mean = self.mean(states, mask=mask)
        if mask is None:
            return keras.ops.concatenate([mean, keras.ops.max(states, axis=1)], axis=-1)
        keep = keras.ops.cast(mask, "bool")[:, :, None]
        pooled = keras.ops.max(keras.ops.where(keep, states, keras.ops.min(states) - 1.0), axis=1)
        pooled = keras.ops.where(keras.ops.any(keep, axis=1), pooled, 0.0)  # a review of padding only reads 0
        return keras.ops.concatenate([mean, pooled], axis=-1)

    def compute_mask(self, states, mask=None):
        return None
''',
}


def helpers_code(model: ModelConfig, time_scale: str, masked: bool = False) -> str:
    """Code the model needs before it is built: the chrono initialiser, a masked pooling layer ('' if none)."""
    parts = []
    if model.gate_init == "chrono" and model.cell != "SimpleRNN":
        parts.append(f"T_MAX = {time_scale}  # the longest memory the gates start with (steps)")
        parts.append(chrono_code(model.cell))
    if model.readout == "meanmax" or (model.readout == "max" and masked):
        parts.append(POOL_CODE[model.readout])
    return "\n\n\n".join(p.strip("\n") for p in parts)


def _recurrent_initializer(model: ModelConfig) -> str:
    """The W_hh initialiser as `explorer.nn.models.recurrent_initializer` makes it; '' for Keras' default."""
    scale, init = model.recurrent_scale, model.recurrent_init
    if init == "identity" and model.cell != "SimpleRNN":
        init = "orthogonal"  # a gated cell's W_hh stacks 3–4 blocks: no identity, orthogonal instead (as the app)
    if init == "orthogonal":
        return "" if scale == 1.0 else f"keras.initializers.Orthogonal(gain={lit(scale)})"
    if init == "identity":
        return f"keras.initializers.Identity(gain={lit(scale)})"
    if init == "normal":  # an n×n matrix of N(0, s²/n) entries has spectral radius ≈ s
        return f"keras.initializers.RandomNormal(stddev={lit(scale)} / np.sqrt(UNITS))"
    return f"keras.initializers.VarianceScaling(scale={lit(scale * scale)}, mode='fan_avg', distribution='uniform')"


def cell_args(model: ModelConfig) -> list[str]:
    """The arguments of a recurrent layer of `model`."""
    args = ["UNITS"]
    if model.activation != "tanh":
        args.append(f"activation={model.activation!r}")
    if model.dropout:
        args.append("dropout=DROPOUT")
    if model.recurrent_dropout:
        args.append(f"recurrent_dropout={lit(model.recurrent_dropout)}")
    init = _recurrent_initializer(model)
    if init:
        args.append(f"recurrent_initializer={init}")
    if model.gate_init == "chrono" and model.cell != "SimpleRNN":
        args.append(f"bias_initializer={chrono_name(model.cell)}()")
        if model.cell == "LSTM":
            args.append("unit_forget_bias=False")
    return args


def recurrent_lines(model: ModelConfig, indent: str = "    ") -> list[str]:
    """One line per recurrent layer: the cell with its settings, wrapped in Bidirectional when chosen."""
    args = cell_args(model)
    lines = []
    for i in range(model.layers):
        sequences = i < model.layers - 1 or model.readout != "last"
        layer = f"keras.layers.{model.cell}({', '.join(args + (['return_sequences=True'] if sequences else []))})"
        line = f"{indent}{f'keras.layers.Bidirectional({layer})' if model.bidirectional else layer},"
        if len(line) > 110:  # one argument a line
            inner = f",\n{indent}    ".join(args + (["return_sequences=True"] if sequences else []))
            line = (f"{indent}keras.layers.Bidirectional(keras.layers.{model.cell}(\n{indent}    {inner})),"
                    if model.bidirectional else f"{indent}keras.layers.{model.cell}(\n{indent}    {inner}),")
        lines.append(line)
    return lines


def readout_lines(model: ModelConfig, masked: bool, indent: str = "    ") -> list[str]:
    """The pooling between the last recurrent layer and the head ([] when the head reads the last state)."""
    if model.readout == "last":
        return []
    if model.readout == "mean":
        return [f"{indent}keras.layers.GlobalAveragePooling1D(),  # the mean of the states at every step"]
    if model.readout == "max":
        return [f"{indent}MaskedMax(),  # the max of the states at every step" if masked else
                f"{indent}keras.layers.GlobalMaxPooling1D(),  # the max of the states at every step"]
    return [f"{indent}MeanAndMax(),  # the mean and the max of the states at every step"]


def optimizer_code(train: TrainConfig, steps_per_epoch: str = "") -> str:
    """`optimizer = keras.optimizers.…(…)` with the run's step size, schedule and clipping."""
    head = ""
    rate = "LEARNING_RATE"
    if train.schedule == "cosine":
        head = (f"steps = EPOCHS * {steps_per_epoch}  # training steps in all\n"
                "schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, decay_steps=steps)  # to 0 along a "
                "half cosine\n")
        rate = "schedule"
    args = [f"learning_rate={rate}"] + (["clipnorm=CLIPNORM"] if train.clipnorm else [])
    return head + f"optimizer = keras.optimizers.{OPTIMIZER_CLASSES[train.optimizer]}({', '.join(args)})"


def compile_code(train: TrainConfig, loss: str, metrics: list[str], steps_per_epoch: str = "",
                 jit_compile: bool | None = None) -> str:
    """The optimizer and `model.compile` (XLA when the run compiled with it)."""
    xla = train.jit_compile if jit_compile is None else jit_compile
    return (optimizer_code(train, steps_per_epoch) + "\n" +
            f"model.compile(optimizer=optimizer, loss={loss!r}, metrics={metrics!r}"
            + (", jit_compile=True" if xla else "") + ")")


def callbacks_code(train: TrainConfig) -> str:
    """`callbacks = [...]`: Keras' early stopping that keeps the best epoch, when the run used it."""
    if not train.patience:
        return "callbacks = []"
    return ("# Stop once the validation loss has not improved for PATIENCE epochs, and keep the best epoch's weights\n"
            "callbacks = [keras.callbacks.EarlyStopping(monitor='val_loss', patience=PATIENCE, "
            "restore_best_weights=True)]")
