"""The lab's set-up composes ModelConfig and TrainConfig: every set-up trains exactly as the flat LabConfig did,
and links with the lab's old URL keys open the same set-up."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from explorer.nn import config
from explorer.nn.config import ModelConfig, TrainConfig
from explorer.tasks.lab.config import LAB_MODEL, LAB_TRAIN, LabConfig, model_config, train_config, with_fields
from explorer.tasks.lab.presets import CLIPPED, EXPLODE


# ---------------------------------------------------------------- the flat set-up as it was (the reference)
@dataclass(frozen=True)
class FlatLabConfig:
    task: str = "lag_recall"
    T: int = 105
    units: int = 32
    optimizer: str = "adam"
    lr: float = 0.01
    epochs: int = 4
    batch: int = 32
    activation: str = "tanh"
    recurrent_init: str = "orthogonal"
    recurrent_scale: float = 1.0
    gate_init: str = "chrono"
    clipnorm: float = 1.0
    seed: int = 0
    samples: int = 2048
    jit_compile: bool = True


def flat_model_config(cfg: FlatLabConfig, arch: str, head: str) -> ModelConfig:
    return ModelConfig(cell=arch, units=cfg.units, activation=cfg.activation, recurrent_init=cfg.recurrent_init,
                       recurrent_scale=cfg.recurrent_scale, gate_init=cfg.gate_init, head=head)


def flat_train_config(cfg: FlatLabConfig, epochs: int | None = None, arch: str | None = None) -> TrainConfig:
    return TrainConfig(optimizer=cfg.optimizer, learning_rate=cfg.lr, batch_size=cfg.batch,
                       epochs=cfg.epochs if epochs is None else epochs, clipnorm=cfg.clipnorm,
                       seed=cfg.seed, batch_every=5, jit_compile=cfg.jit_compile and arch != "SimpleRNN")


RENAMED = {"lr": "learning_rate", "batch": "batch_size"}


def composed(flat: FlatLabConfig) -> LabConfig:
    """The composed set-up with the flat one's values."""
    return with_fields(LabConfig(), **{RENAMED.get(k, k): v for k, v in dataclasses.asdict(flat).items()})


# The presets as the flat LabConfig wrote them.
FLAT_EXPLODE = FlatLabConfig(task="adding", T=100, optimizer="sgd", lr=0.1, epochs=5, activation="relu",
                             recurrent_init="identity", recurrent_scale=1.05, clipnorm=0.0)
FLAT_CLIPPED = dataclasses.replace(FLAT_EXPLODE, clipnorm=0.1)
SETUPS = {
    "default": (FlatLabConfig(), LabConfig()),
    "explode": (FLAT_EXPLODE, EXPLODE),
    "clipped": (FLAT_CLIPPED, CLIPPED),
    "keras gates": (FlatLabConfig(gate_init="keras"), with_fields(LabConfig(), gate_init="keras")),
    "tiny": (FlatLabConfig(task="first_value", T=12, units=4, samples=64, epochs=2, batch=16, seed=3,
                           jit_compile=False),
             with_fields(LabConfig(), task="first_value", T=12, units=4, samples=64, epochs=2, batch_size=16, seed=3,
                         jit_compile=False)),
    "rmsprop, normal": (FlatLabConfig(optimizer="rmsprop", lr=3e-4, recurrent_init="normal", recurrent_scale=0.5,
                                      units=128, batch=128, clipnorm=5.0, epochs=40),
                        with_fields(LabConfig(), optimizer="rmsprop", learning_rate=3e-4, recurrent_init="normal",
                                    recurrent_scale=0.5, units=128, batch_size=128, clipnorm=5.0, epochs=40)),
}


def test_the_lab_defaults_are_the_flat_defaults():
    assert composed(FlatLabConfig()) == LabConfig()
    assert LabConfig().model == LAB_MODEL and LabConfig().train == LAB_TRAIN


@pytest.mark.parametrize("name", SETUPS)
def test_each_set_up_trains_as_the_flat_one_did(name):
    flat, cfg = SETUPS[name]
    assert composed(flat) == cfg
    for arch in ("SimpleRNN", "LSTM", "GRU"):
        for head in ("binary", "regression"):
            assert model_config(cfg, arch, head) == flat_model_config(flat, arch, head), (arch, head)
        for epochs in (None, 1, 7):
            assert train_config(cfg, epochs, arch) == flat_train_config(flat, epochs, arch), (arch, epochs)
    assert train_config(cfg) == flat_train_config(flat)


def test_with_fields_refuses_a_field_no_config_has():
    with pytest.raises(TypeError):
        with_fields(LabConfig(), lr=0.1)
