"""The bound on the per-step gradient factor (Pascanu et al., 2013: ‖∂h_t/∂h_{t−1}‖ ≤ γ·σ_max(W_hh)),
γ per activation, its sentence, and W_hh's spectrum as a set-up initialises it."""
from __future__ import annotations

import numpy as np

from explorer.tasks.lab.config import LabConfig, model_config


def gamma(activation: str) -> float:
    """γ = max |φ'(z)|, the most one step of the activation can stretch a gradient."""
    return {"tanh": 1.0, "relu": 1.0, "sigmoid": 0.25}[activation]


def bound_note(activation: str) -> str:
    """What the 1/γ line means for this activation, in one sentence."""
    if activation == "relu":
        return ("ReLU: φ' is 0 or 1, so γ = 1 too, but nothing saturates: above the line the "
                "hidden state itself can grow without bound, not only the gradient.")
    return ("tanh: φ' = 1 − tanh² ≤ 1, so γ = 1; below σ_max = 1 the gradient must vanish, "
            "above it it can explode (saturation usually damps it).")


def initial_spectrum(cfg: LabConfig, arch: str = "SimpleRNN") -> dict[str, float]:
    """σ_max and spectral radius of W_hh exactly as `build_model` will initialise it (no model built)."""
    from explorer.nn.models import recurrent_initializer, spectrum

    gates = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}[arch]
    init = recurrent_initializer(model_config(cfg, arch, "binary"), cfg.train.seed)  # layer 0 is seeded with train.seed + 0
    return spectrum(np.asarray(init((cfg.model.units, gates * cfg.model.units))))
