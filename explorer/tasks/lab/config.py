"""A gradient-lab set-up (`LabConfig`, kept in the URL) and what it means for models, training and data."""
from __future__ import annotations

from dataclasses import dataclass

from explorer.data.memory_tasks import MAX_T, TASKS, MemoryTask, make_task
from explorer.nn.config import CELLS, ModelConfig, TrainConfig


ARCHS = CELLS
PROBE_BATCH = 32
HELD_OUT = 512  # fresh sequences every lab and sweep run is scored on
DEFAULT_LAGS = (10, 25, 50, 100, 200, 500)


@dataclass(frozen=True)
class LabConfig:
    """One lab set-up; every architecture is trained with it. Lives in the URL (prefix 'gl_')."""

    task: str = "lag_recall"
    T: int = 105  # lag_recall: the answer sits T − 5 = 100 steps before the loss
    units: int = 32
    optimizer: str = "adam"
    lr: float = 0.01
    epochs: int = 4
    batch: int = 32
    activation: str = "tanh"
    recurrent_init: str = "orthogonal"
    recurrent_scale: float = 1.0
    gate_init: str = "chrono"
    clipnorm: float = 1.0  # Adam at 0.01 occasionally jumps out of a solution without it
    seed: int = 0
    samples: int = 2048
    # XLA for the gated cells, where it saves time; SimpleRNN trains slower with it, so it never compiles
    # (bench/bench_gradients.py compares both).
    jit_compile: bool = True


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
    return ModelConfig(cell=arch, units=cfg.units, activation=cfg.activation, recurrent_init=cfg.recurrent_init,
                       recurrent_scale=cfg.recurrent_scale, gate_init=cfg.gate_init, head=head)


def train_config(cfg: LabConfig, epochs: int | None = None, arch: str | None = None) -> TrainConfig:
    """The training settings of a set-up; for `arch`, XLA only where it pays (the gated cells)."""
    return TrainConfig(optimizer=cfg.optimizer, learning_rate=cfg.lr, batch_size=cfg.batch,
                       epochs=cfg.epochs if epochs is None else epochs, clipnorm=cfg.clipnorm,
                       seed=cfg.seed, batch_every=5, jit_compile=cfg.jit_compile and arch != "SimpleRNN")


def lab_task(cfg: LabConfig) -> MemoryTask:
    """The training data of a set-up (lag_recall asks for the value T − 5 steps before the end)."""
    return make_task(cfg.task, cfg.samples, cfg.T, seed=cfg.seed)


def lab_heldout(cfg: LabConfig) -> MemoryTask:
    """Fresh sequences of the same task (another seed), scored after every epoch: what "learned" means."""
    return make_task(cfg.task, HELD_OUT, cfg.T, seed=cfg.seed + 7919)
