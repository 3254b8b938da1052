"""Run configuration as plain dataclasses that round-trip through dicts, JSON and URLs.

A config fully describes a run (data, model, training), so saving it or putting it
in a link reproduces the set-up. Unknown or malformed keys are ignored rather than
raising, because URLs are typed and edited by people.
"""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any, Mapping, TypeVar

T = TypeVar("T")

CELLS = ("SimpleRNN", "LSTM", "GRU")
ACTIVATIONS = ("tanh", "relu")
RECURRENT_INITS = ("orthogonal", "normal", "identity", "glorot_uniform")
OPTIMIZERS = ("adam", "rmsprop", "sgd")
HEADS = ("regression", "binary")
READOUTS = ("last", "mean", "max", "meanmax")
SCHEDULES = ("constant", "cosine")
GATE_INITS = ("keras", "chrono")
EMBEDDING_INITS = ("random", "cooccurrence")
GATE_INIT_LABELS = {"keras": "Keras default: forget bias 1", "chrono": "chrono: time scales up to T"}
GATE_NOTE = ("A gated cell keeps its memory as long as its forget gate (LSTM) or update gate (GRU) stays "
             "open, and the gate's bias sets that at the start. Keras' default starts every unit forgetting "
             "within a few steps; chrono initialisation (Tallec & Ollivier, 2018) gives each unit its own "
             "time scale between 1 and T steps (T: the sequence length), so a memory of T steps exists before "
             "training begins. SimpleRNN has no gates and ignores it.")
SERIES_TARGETS = ("auto", "level", "change", "seasonal", "log_change", "log_seasonal")  # explorer.data.transforms


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of a recurrent network; the builder in `explorer.nn.models` reads it."""

    cell: str = "SimpleRNN"
    units: int = 50
    layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    activation: str = "tanh"
    recurrent_init: str = "orthogonal"
    recurrent_scale: float = 1.0
    # Gated cells' bias initialisation, which sets how long the memory lasts at the start:
    # "keras" (forget-gate bias 1 for LSTM, 0 for GRU: a memory of a few steps) or "chrono"
    # (Tallec & Ollivier 2018: forget / update-gate biases log U(1, T−1), so each unit starts
    # with its own time scale up to the sequence length T). SimpleRNN has no gates and ignores it.
    gate_init: str = "keras"
    head: str = "regression"
    outputs: int = 1
    # What the head reads: the last hidden state, or the mean / max of all of them, or both side by
    # side ("meanmax"), masked steps left out. Pooling gives every timestep a direct path to the loss.
    readout: str = "last"
    # Dropout on what the head reads (the last state or the pooled states), during training only.
    head_dropout: float = 0.0
    # Text models only: an Embedding front end (vocab_size > 0 turns it on).
    vocab_size: int = 0
    embedding_dim: int = 32
    mask_zero: bool = False
    # Text models: where the word vectors start. "random" (Keras' uniform ±0.05) or "cooccurrence": vectors
    # from which words occur near which in the training reviews (explorer.nn.word_vectors; no labels read), so
    # words that are used alike start alike. Either way the vectors are trained with the rest.
    embedding_init: str = "random"
    # Text models: while training, each word's vector is zeroed with this probability (whole words
    # dropped, a fresh choice every epoch), so the model cannot memorise a review's exact words.
    word_dropout: float = 0.0


@dataclass(frozen=True)
class TrainConfig:
    """How to fit: optimizer, step size, batching, length, clipping and seed."""

    optimizer: str = "adam"
    learning_rate: float = 1e-3
    batch_size: int = 32
    epochs: int = 20
    clipnorm: float = 0.0  # 0 turns clipping off
    seed: int = 0
    batch_every: int = 10  # stream a live point every N batches (0: per epoch only)
    # Early stopping: end the run after this many epochs without a lower validation loss, and
    # keep the weights of the best epoch (0: off; train every epoch and keep the last).
    patience: int = 0
    # "constant", or "cosine": the step size falls along a half cosine from `learning_rate` to 0
    # over the run's `epochs`, so the last updates are small and the weights settle.
    schedule: str = "constant"
    # Compile the training step with XLA: faster for LSTM/GRU on CPU, at the cost of a longer first epoch.
    jit_compile: bool = False


@dataclass(frozen=True)
class SeriesConfig:
    """A time-series task: which series, how it is windowed and split."""

    source: str = "sine"  # sine | stock | csv
    length: int = 500
    frequency: float = 0.02  # cycles per step (sine)
    amplitude: float = 1.0
    # Observation noise σ of the sine: the best possible one-step MSE is σ², while the value one
    # period ago scores 2σ², so a network can honestly beat every rule that learns nothing.
    noise: float = 0.1
    drift: float = 0.05  # stock: yearly drift
    volatility: float = 0.2  # stock: yearly volatility
    seasonality: float = 0.0  # stock: amplitude of a yearly cycle, fraction of price
    jumps: float = 0.0  # stock: expected jumps per year
    seed: int = 0
    window: int = 10
    horizon: int = 1
    val_fraction: float = 0.15
    test_fraction: float = 0.15
    # What the network predicts: "level", "change" since the previous step (differencing: a trend or a
    # random walk stays in the range seen in training), "seasonal" change since one season before, those
    # changes of the log ("log_change", "log_seasonal": relative changes), or "auto": chosen per series
    # on its training and validation parts (explorer.tasks.series.run.resolve_target).
    target: str = "auto"


def to_dict(cfg: Any) -> dict[str, Any]:
    """A JSON-ready dict of a config dataclass (nested dataclasses become dicts)."""
    return dataclasses.asdict(cfg)


def _coerce(value: Any, typ: Any) -> Any:
    """Convert `value` (maybe a string from a URL) to the field type, or raise ValueError."""
    if typ is bool or typ == "bool":
        if isinstance(value, str):
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        return bool(value)
    if typ is int or typ == "int":
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        return int(float(value))
    if typ is float or typ == "float":
        out = float(value)
        if out != out or out in (float("inf"), float("-inf")):
            raise ValueError(value)
        return out
    if typ is str or typ == "str":
        return str(value)
    return value


def from_dict(cls: type[T], data: Mapping[str, Any] | None, base: T | None = None) -> T:
    """Build `cls` from a mapping; missing, unknown or malformed keys keep `base`'s values (or the defaults)."""
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if not data or f.name not in data:
            continue
        typ = hints.get(f.name, f.type)
        if dataclasses.is_dataclass(typ):  # a config within a config: from its dict, anything else is ignored
            if isinstance(data[f.name], Mapping):
                inner = getattr(base, f.name) if base is not None else getattr(cls(), f.name)
                kwargs[f.name] = from_dict(typ, data[f.name], inner)
            continue
        try:
            kwargs[f.name] = _coerce(data[f.name], typ)
        except (TypeError, ValueError):
            continue
    return dataclasses.replace(base, **kwargs) if base is not None else cls(**kwargs)


def to_query(cfg: Any, prefix: str = "") -> dict[str, str]:
    """Flat string params for a URL; only fields that differ from the defaults.

    A config within a config (the lab's model and training) is flattened under the same prefix, its fields
    compared with the outer default's, so their names must not collide."""
    return _query(cfg, type(cfg)(), prefix)


def _query(cfg: Any, default: Any, prefix: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if dataclasses.is_dataclass(value):
            out.update(_query(value, getattr(default, f.name), prefix))
        elif value != getattr(default, f.name):
            out[prefix + f.name] = str(value)
    return out


def from_query(cls: type[T], params: Mapping[str, Any], prefix: str = "", base: T | None = None) -> T:
    """Inverse of `to_query`: read `prefix`-ed keys of a URL's params (keys not there keep `base`'s values)."""
    data = {k[len(prefix):]: v for k, v in params.items() if k.startswith(prefix)}
    return _from_flat(cls, data, base)


def _from_flat(cls: type[T], data: Mapping[str, Any], base: T | None) -> T:
    out = from_dict(cls, {k: v for k, v in data.items() if not isinstance(v, Mapping)}, base)
    inner = {f.name: _from_flat(type(getattr(out, f.name)), data, getattr(out, f.name))
             for f in dataclasses.fields(out) if dataclasses.is_dataclass(getattr(out, f.name))}  # type: ignore[arg-type]
    return dataclasses.replace(out, **inner) if inner else out


@dataclass
class RunRecord:
    """A finished or stopped run as kept in a session's run history."""

    name: str
    configs: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)
    status: str = "finished"
