"""The gradient lab's conclusions: for each cell, the one cause its run measured, in one short sentence.

A cell's held-out score first places it (learned, partly, at chance, worse than chance, diverged:
"at chance" only within two standard errors of the chance score on the held-out sequences). A
cell that did not learn is then given the first cause its own numbers show:

1. diverged — the loss left every bound (the weight gradient before it broke);
2. exploding — the gradient grows going back in time (‖∂L/∂h₁‖ ≥ 10 ‖∂L/∂h_T‖), or the score is
   worse than chance while W_hh's spectral radius is above 1/γ (the state itself grows);
3. gate memory — a gated cell with Keras' default gate biases whose mean forget (LSTM) or update
   (GRU) gate started with a memory 1/(1 − f) shorter than the lag, and the signal did not reach;
4. vanishing — the gradient at the decisive input is below 10⁻³ of its size at the loss (the line
   the page's memory horizon is drawn at);
5. optimizer — the signal reached, but the training score stayed at chance: the steps found no way down;
6. budget — the signal reached and the training score rose, but the epochs ran out before it held out.

Clipping is named only where it acted: Keras' `clipnorm` clips each weight's gradient on its own, so
it acted at a step exactly when the largest single weight's gradient exceeded it (counted per step).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

from explorer.data.memory_tasks import MemoryTask
from explorer.data.numbers import power_of_ten
from explorer.tasks.lab.arch import ArchResult
from explorer.tasks.lab.config import LabConfig

REACHED = 1e-3  # the gradient at the decisive input / at the loss below which it vanished (the horizon's line)
GROWS = 10.0  # ‖∂L/∂h₁‖ / ‖∂L/∂h_T‖ at or above which the gradient grows back in time
CAUSES = ("learned", "diverged", "exploding", "gate_memory", "vanishing", "optimizer", "budget")


@dataclass(frozen=True)
class Finding:
    """One cell's conclusion: where its score stands, the cause its run measured, and the sentence."""

    arch: str
    standing: str  # learned | partly | chance | worse | diverged (see MemoryTask.standing)
    cause: str  # one of CAUSES
    clipped: int  # training steps at which clipping acted (0: never, or clipping off)
    steps: int  # training steps taken
    sentence: str


def gate_memory(carry: float) -> float:
    """Steps a gate that keeps `carry` of the state per step remembers: 1 / (1 − carry)."""
    return 1.0 / (1.0 - carry) if 0 <= carry < 1 else math.inf


def clipped_steps(r: ArchResult, clipnorm: float) -> int:
    """Training steps at which clipping acted: some weight's gradient norm exceeded `clipnorm` (0 when off)."""
    if clipnorm <= 0:
        return 0
    return sum(1 for g in r.max_weight_grad if not math.isfinite(g) or g > clipnorm)


def cause_of(r: ArchResult, cfg: LabConfig, task: MemoryTask) -> str:
    """The cause a cell's own numbers show, in the order of the module docstring."""
    if r.status == "diverged":
        return "diverged"
    standing = r.standing
    if standing == "learned":
        return "learned"
    rho = r.spectral_radius[-1] if r.spectral_radius else float("nan")
    if (math.isfinite(r.ratio) and r.ratio >= GROWS) or (standing == "worse" and rho > 1.0 / r.gamma):
        return "exploding"
    reached = math.isfinite(r.reach) and r.reach >= REACHED
    if not reached:
        if r.arch != "SimpleRNN" and cfg.model.gate_init == "keras" and gate_memory(r.carry[0]) < task.lag:
            return "gate_memory"
        return "vanishing"
    if r.train_standing in ("chance", "worse", "none"):
        return "optimizer"
    return "budget"


def _score(r: ArchResult) -> str:
    if r.metric == "accuracy":
        return f"{r.final_metric:.2f}; chance {r.chance:.2f} ± {r.chance_band:.2f}"
    return f"MSE {r.final_metric:.3g}; chance {r.chance:.3g} ± {r.chance_band:.2g}"


def _standing_words(r: ArchResult) -> str:
    if r.standing == "learned":
        return f"learned it ({_score(r)})"
    if r.standing == "partly":
        need = (f"{r.chance + 0.5 * (1 - r.chance):.2f}" if r.metric == "accuracy"
                else f"MSE {0.5 * r.chance:.3g}")
        return f"rose above chance but did not learn it ({_score(r)}; learned means {need})"
    if r.standing == "worse":
        return f"did worse than chance ({_score(r)})"
    return f"stayed at chance ({_score(r)})"


def _tries(cfg: LabConfig) -> str:
    """What stops an explosion, from what this set-up has not done yet."""
    tries = []
    if cfg.train.clipnorm <= 0:
        tries.append("gradient clipping")
    if cfg.model.recurrent_scale > 1:
        tries.append("a recurrent scale ≤ 1")
    if cfg.model.activation == "relu":
        tries.append("tanh")
    tries.append("a smaller learning rate")
    return ", ".join(tries[:-1]) + (" or " if len(tries) > 1 else "") + tries[-1]


def _sentence(r: ArchResult, cfg: LabConfig, task: MemoryTask, cause: str) -> str:
    lag = task.lag
    reach = power_of_ten(r.reach)
    if cause == "diverged":
        peak = max((g for g in r.max_weight_grad if math.isfinite(g)), default=float("nan"))
        return (f"{r.arch} diverged: its loss left every bound in epoch {r.epochs_done + 1} (the largest weight "
                f"gradient had reached {peak:.3g}): the gradients exploded. Try {_tries(cfg)}.")
    head = f"{r.arch} {_standing_words(r)}"
    if cause == "learned":
        return f"{head}: the gradient at the decisive input, {lag} steps back, was {reach} of its size at the loss."
    if cause == "exploding":
        rho = r.spectral_radius[-1] if r.spectral_radius else float("nan")
        why = (f"W_hh's spectral radius is {rho:.2f}, above 1/γ = {1 / r.gamma:g}, so the state and its gradient grow "
               f"step by step" if math.isfinite(rho) and rho > 1 / r.gamma else "the gradient grows going back in time")
        return (f"{head}: {why} (‖∂L/∂h₁‖/‖∂L/∂h_T‖ = {power_of_ten(r.ratio)}): exploding gradients. "
                f"Try {_tries(cfg)}.")
    if cause == "gate_memory":
        gate = "forget gate f" if r.arch == "LSTM" else "update gate z"
        return (f"{head}: with Keras' default gate biases its {gate} started at {r.carry[0]:.2f}, a memory of about "
                f"{gate_memory(r.carry[0]):.0f} steps against a lag of {lag}, and the gradient at the decisive input "
                f"was {reach} of its size at the loss. Switch the gate-bias initialisation to chrono.")
    if cause == "vanishing":
        rho = r.spectral_radius[-1] if r.spectral_radius else float("nan")
        slope = (f" (W_hh's spectral radius {rho:.2f} is above 1/γ, but the slope φ′ averaged {r.carry[-1]:.2f})"
                 if r.arch == "SimpleRNN" and math.isfinite(rho) and rho > 1 / r.gamma else "")
        fix = ("Try an LSTM or GRU, or a shorter lag" if r.arch == "SimpleRNN"
               else "Try more epochs, chrono gate biases if they are off, or a shorter lag")
        return (f"{head}: the gradient at the decisive input, {lag} steps back, was {reach} of its size at the loss: "
                f"it vanished{slope}. {fix}.")
    train = f"{r.train_metric:.2f}" if r.metric == "accuracy" else f"MSE {r.train_metric:.3g}"
    if cause == "optimizer":
        other = "Adam or another learning rate" if cfg.train.optimizer == "sgd" else "another learning rate"
        return (f"{head}: its training score stayed at chance too ({train}): {cfg.train.optimizer} at learning rate "
                f"{cfg.train.learning_rate:g} made no headway, although the gradient at the decisive input was {reach} of its size at "
                f"the loss. Try {other}, or more epochs.")
    return (f"{head}: the gradient reached the decisive input ({reach} of its size at the loss) and the training "
            f"score rose ({train}), but {r.epochs_done} epoch(s) were not enough to hold out. Try more epochs or "
            "training sequences.")


def _clip_words(r: ArchResult, cfg: LabConfig, clipped: int) -> str:
    """What clipping did in this cell's run, only when it was on."""
    if cfg.train.clipnorm <= 0 or r.status == "diverged":
        return ""
    peak = max((g for g in r.max_weight_grad if math.isfinite(g)), default=float("nan"))
    if clipped == 0:
        return f" Clipping never acted (the largest weight gradient was {peak:.3g}, below {cfg.train.clipnorm:g})."
    return (f" Clipping acted on {clipped} of {len(r.max_weight_grad)} steps (largest weight gradient {peak:.3g} "
            f"before clipping, cut to {cfg.train.clipnorm:g}).")


def finding(r: ArchResult, cfg: LabConfig, task: MemoryTask) -> Finding:
    """The conclusion about one cell, from its own measured numbers."""
    cause = cause_of(r, cfg, task)
    clipped = clipped_steps(r, cfg.train.clipnorm)
    sentence = _sentence(r, cfg, task, cause) + _clip_words(r, cfg, clipped)
    standing = "diverged" if r.status == "diverged" else r.standing
    return Finding(r.arch, standing, cause, clipped, len(r.max_weight_grad), sentence)


def findings(results: Mapping[str, ArchResult], task: MemoryTask, cfg: LabConfig) -> list[Finding]:
    """One finding per cell, in the order the cells ran."""
    return [finding(r, cfg, task) for r in results.values()]


def verdict(results: Mapping[str, ArchResult], task: MemoryTask, cfg: LabConfig) -> str:
    """What this run shows: one line per cell, each naming the cause its run measured."""
    return "\n".join(f"- {f.sentence}" for f in findings(results, task, cfg))
