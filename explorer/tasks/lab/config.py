"""A gradient-lab set-up (`LabConfig`, kept in the URL) and what it means for models, training and data."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from explorer.data.memory_tasks import MAX_T, TASKS, MemoryTask, make_task
from explorer.nn.config import CELLS, ModelConfig, TrainConfig


ARCHS = CELLS
PROBE_BATCH = 32
HELD_OUT = 512  # fresh sequences every lab and sweep run is scored on
DEFAULT_LAGS = (10, 25, 50, 100, 200, 500)

# The lab's model: 32 units whose gated cells start with chrono gate biases (each unit its own memory up to T).
# Its cell and head are placeholders: every architecture is trained, with the task's head (`model_config`).
LAB_MODEL = ModelConfig(units=32, gate_init="chrono")
# The lab's training: Adam at 0.01, clipped to norm 1 (without it Adam at 0.01 occasionally jumps out of a
# solution), 4 epochs of batches of 32, a live point every 5 batches. XLA for the gated cells, where it saves
# time; SimpleRNN trains slower with it, so it never compiles (`train_config`; bench/bench_gradients.py compares).
LAB_TRAIN = TrainConfig(optimizer="adam", learning_rate=0.01, batch_size=32, epochs=4, clipnorm=1.0, seed=0,
                        batch_every=5, jit_compile=True)
# URL keys the lab read before it composed ModelConfig and TrainConfig (gl_lr, gl_batch): old links still open.
LINK_ALIASES = {"lr": "learning_rate", "batch": "batch_size"}


@dataclass(frozen=True)
class LabConfig:
    """One lab set-up; every architecture is trained with it. Lives in the URL (prefix 'gl_').

    The task and its data are the lab's own; the network and its training are the shared `ModelConfig`
    and `TrainConfig` (with the lab's defaults), so one name means one thing on every page."""

    task: str = "lag_recall"
    T: int = 105  # lag_recall: the answer sits T − 5 = 100 steps before the loss
    samples: int = 2048
    model: ModelConfig = LAB_MODEL
    train: TrainConfig = LAB_TRAIN


def with_fields(cfg: LabConfig, **changes: Any) -> LabConfig:
    """`cfg` with each named field changed in the config that has it (the lab's own, its model's or its training's)."""
    parts: dict[str, dict[str, Any]] = {"lab": {}, "model": {}, "train": {}}
    for name, value in changes.items():
        part = next((p for p, c in (("lab", cfg), ("model", cfg.model), ("train", cfg.train))
                     if name in {f.name for f in dataclasses.fields(c)} and name not in ("model", "train")), None)
        if part is None:
            raise TypeError(f"a lab set-up has no field {name!r}")
        parts[part][name] = value
    return dataclasses.replace(cfg, **parts["lab"], model=dataclasses.replace(cfg.model, **parts["model"]),
                               train=dataclasses.replace(cfg.train, **parts["train"]))


def changed_fields(a: LabConfig, b: LabConfig) -> list[str]:
    """The names of the fields in which two set-ups differ (the lab's own, then the model's, then training's)."""
    out = [f.name for f in dataclasses.fields(LabConfig) if f.name not in ("model", "train")
           and getattr(a, f.name) != getattr(b, f.name)]
    for x, y in ((a.model, b.model), (a.train, b.train)):
        out += [f.name for f in dataclasses.fields(x) if getattr(x, f.name) != getattr(y, f.name)]
    return out


def lab_problems(cfg: LabConfig) -> list[str]:
    """Plain-language reasons the set-up cannot run; empty when it can."""
    from explorer.nn.models import config_problems

    out = []
    if cfg.task not in TASKS:
        out.append(f"Unknown task {cfg.task!r}: choose one of {', '.join(TASKS)}.")
    if not 2 <= cfg.T <= MAX_T:
        out.append(f"The sequence length must be between 2 and {MAX_T} steps.")
    if cfg.task == "lag_recall" and cfg.T < 6:
        out.append("Recall needs sequences of at least 6 steps.")
    if not 2 <= cfg.samples <= 20000:
        out.append("Use between 2 and 20,000 training sequences.")
    out += config_problems(model_config(cfg, "SimpleRNN", "binary"), train_config(cfg))
    return out


def model_config(cfg: LabConfig, arch: str, head: str) -> ModelConfig:
    """The set-up's model as cell `arch` with the task's `head`."""
    return dataclasses.replace(cfg.model, cell=arch, head=head)


def train_config(cfg: LabConfig, epochs: int | None = None, arch: str | None = None) -> TrainConfig:
    """The training settings of a set-up; for `arch`, XLA only where it pays (the gated cells)."""
    return dataclasses.replace(cfg.train, epochs=cfg.train.epochs if epochs is None else epochs,
                               jit_compile=cfg.train.jit_compile and arch != "SimpleRNN")


def lab_task(cfg: LabConfig) -> MemoryTask:
    """The training data of a set-up (lag_recall asks for the value T − 5 steps before the end)."""
    return make_task(cfg.task, cfg.samples, cfg.T, seed=cfg.train.seed)


def lab_heldout(cfg: LabConfig) -> MemoryTask:
    """Fresh sequences of the same task (another seed), scored after every epoch: what "learned" means."""
    return make_task(cfg.task, HELD_OUT, cfg.T, seed=cfg.train.seed + 7919)
