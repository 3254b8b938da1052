"""The gradient lab's results: the numbers per cell, the pictures, the theory with this run's numbers.

Each function draws one section from an `explorer.tasks.lab.arch.LabRun` (plain results, no training here).
"""
from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from explorer.charts import gradients as cg
from explorer.data.numbers import power_of_ten
from explorer.server import jobs
from explorer.tasks.lab.arch import LabRun
from explorer.tasks.lab.config import HELD_OUT, LabConfig, with_fields
from explorer.tasks.lab.theory import bound_note
from explorer.tasks.lab.verdict import verdict
from ui.guard import friendly
from explorer.server.jobs import Job
from ui.live import shared, status_banner


def live_cells(job: Job) -> None:
    """A lab job in progress: every cell's held-out curve so far, and the latest ‖∂L/∂h_t‖ of each by distance."""
    def figures() -> list:
        archs = list(job.spec.args["archs"])
        histories = {a: jobs.curves(job.events, a)[0] for a in archs}
        probes = {e.data["arch"]: e for e in job.events_of("probe")}  # the latest per cell
        if not probes:
            return []
        first = next(iter(probes.values())).data
        return [cg.loss_together({a: h for a, h in histories.items() if h}, first["metric"], first["chance"]),
                cg.distance_lines({a: e.data["norms"] for a, e in probes.items()}, "latest epoch", first["lag"])]

    drawn = shared(job, "cells", figures)
    for col, fig in zip(st.columns(2) if drawn else [], drawn):
        col.plotly_chart(fig, width="stretch")


def numbers(lab: LabRun) -> None:
    """The two live numbers per architecture, then every measured number in one table."""
    cols = st.columns(len(lab.results))
    T = lab.task.timesteps
    held = "Held-out accuracy" if lab.task.metric == "accuracy" else "Held-out MSE"
    for col, (arch, r) in zip(cols, lab.results.items()):
        with col:
            st.markdown(f"**{arch}**")
            status_banner(r.status, r.message, "")
            chance = f"{r.chance:.2f}" if r.metric == "accuracy" else f"{r.chance:.3g}"
            st.metric(held, "—" if not math.isfinite(r.final_metric) else f"{r.final_metric:.3g}",
                      delta=("learned" if r.learned else f"chance is {chance}"), delta_color="normal" if r.learned else "off",
                      help=f"On {HELD_OUT} fresh sequences the model never trained on, after the last epoch.")
            st.metric("Gradient at the decisive input", power_of_ten(r.reach),
                      help=f"‖∂L/∂h_t‖ at t = {r.decisive_step}, the input the answer depends on, as a fraction of "
                           "its size at the loss (last epoch): how much learning signal reaches that input.")
            st.metric("Memory horizon", f"{r.horizon}/{T}",
                      help="How many steps back ‖∂L/∂h_t‖ stays above 10⁻³ of its maximum (last epoch), "
                           "out of the T steps of the sequence.")
    st.dataframe(pd.DataFrame(lab.rows()).set_index("architecture"), width="stretch")
    st.caption("Carry per step: the mean slope φ′ (plain RNN), forget gate f (LSTM) or update gate z (GRU) "
               "along the probe batch. 'Learned' means closing half the gap from chance to perfect on the "
               "held-out sequences. Gradients are measured in float64: '< 1e-300' is below what it can hold.")


def pictures(lab: LabRun) -> None:
    """The gradient heatmaps, the distance plot, the curves, the weight-gradient steps and the spectrum."""
    results = lab.results
    st.subheader("‖∂L/∂h_t‖ over timesteps and epochs")
    st.caption("Each row is one epoch (0 = before training), each column a timestep; colour is "
               "log₁₀ of the gradient reaching h_t from the loss at the last step, on one scale for all "
               "panels, so a difference of 10⁵ looks like one. Measured in float64 by back-propagating "
               "through the trained model on a fixed batch of 32 sequences; hover a cell for its value "
               "('< 1e-300' when it is below what float64 holds). The dashed line marks the decisive input.")
    zrange = cg.shared_log_range([r.probes for r in results.values()])
    step = next(iter(results.values())).decisive_step
    cols = st.columns(len(results))
    for col, (arch, r) in zip(cols, results.items()):
        if len(r.probes):
            col.plotly_chart(cg.grad_heatmap(r.probes, arch, zrange, step), width="stretch", key=f"gl_heat_{arch}")
    rows = max(len(r.probes) for r in results.values())
    epoch = rows - 1
    if rows > 1:
        epoch = st.slider("Epoch for the distance plot", 0, rows - 1, rows - 1, key="gl_epoch")
    norms = {a: r.probes[min(epoch, len(r.probes) - 1)] for a, r in results.items() if len(r.probes)}
    left, right = st.columns(2)
    left.plotly_chart(cg.distance_lines(norms, f"epoch {epoch}", lab.task.lag), width="stretch", key="gl_dist")
    metric = lab.metric
    chance = next(iter(results.values())).chance
    right.plotly_chart(cg.loss_together({a: r.history for a, r in results.items()}, metric, chance),
                       width="stretch", key="gl_loss")
    left, right = st.columns(2)
    left.plotly_chart(cg.weight_grad_steps({a: r.step_grad_norms for a, r in results.items()}, lab.cfg.train.clipnorm),
                      width="stretch", key="gl_steps")
    gamma = next(iter(results.values())).gamma
    shown = {a: r for a, r in results.items() if a == "SimpleRNN"} or results
    right.plotly_chart(cg.singular_vs_bound({a: r.max_singular for a, r in shown.items()}, gamma,
                                            {a: r.spectral_radius for a, r in shown.items()}),
                       width="stretch", key="gl_sv")
    st.caption("The 1/γ bound is about the plain RNN, whose Jacobian is diag(φ′)·W_hh; a gated cell's "
               "stacked gate matrix has no such line (its σ_max is in the table above).")


def theory(lab: LabRun) -> None:
    """The product of Jacobians and the gates, with this run's measured numbers."""
    r = lab.results
    plain, lstm, gru = r.get("SimpleRNN"), r.get("LSTM"), r.get("GRU")
    st.subheader("Why: the product of Jacobians")
    st.latex(r"h_t = \varphi\left(W_{hx} x_t + W_{hh} h_{t-1} + b_h\right)")
    st.latex(r"\frac{\partial L}{\partial h_k} = \frac{\partial L}{\partial h_T}"
             r"\prod_{t=k+1}^{T} \operatorname{diag}\!\big(\varphi'(z_t)\big)\, W_{hh}, \qquad"
             r"\Big\|\prod_{t=k+1}^{T} \operatorname{diag}(\varphi')\,W_{hh}\Big\| \le (\gamma\,\sigma_{\max})^{T-k}")
    st.markdown("Each step back multiplies the gradient by the slope of the activation and by W_hh. "
                "With γ = max|φ′| (1 for tanh and ReLU), σ_max(W_hh) < 1/γ forces the gradient to "
                "shrink geometrically: it **vanishes**. Above the line it *can* grow: it may **explode** "
                "(Pascanu, Mikolov & Bengio, 2013). Keras starts W_hh orthogonal, σ_max = 1: exactly on the "
                "line, so at epoch 0 only the slope φ′ shrinks the gradient; watch how that slope changes "
                "as training drives the state into saturation or out of it.")
    if plain is not None:
        smax = plain.max_singular[-1] if plain.max_singular else float("nan")
        rho = plain.spectral_radius[-1] if plain.spectral_radius else float("nan")
        slope = plain.carry[-1]
        st.markdown(
            f"**This run, plain RNN (last epoch):** σ_max(W_hh) = {smax:.3f}, spectral radius "
            f"ρ = {rho:.3f}, mean slope φ′ along the batch = {slope:.3f} (it was {plain.carry[0]:.3f} "
            f"before training). Measured decay per step back: **{plain.decay:.3f}**, so over the "
            f"{lab.task.timesteps} steps the gradient changed by {power_of_ten(plain.ratio)}.")
    st.latex(r"f_t = \sigma(W_f x_t + U_f h_{t-1} + b_f),\; i_t = \sigma(\cdot),\; o_t = \sigma(\cdot),\;"
             r"\tilde c_t = \tanh(W_c x_t + U_c h_{t-1} + b_c)")
    st.latex(r"c_t = f_t \odot c_{t-1} + i_t \odot \tilde c_t,\qquad h_t = o_t \odot \tanh(c_t),\qquad"
             r"\frac{\partial c_t}{\partial c_{t-1}} = \operatorname{diag}(f_t) + \dots")
    st.markdown("The LSTM's cell state is carried by the forget gate, not squeezed through W_hh and φ′: "
                "when f_t ≈ 1 the gradient passes almost unchanged, so a memory lasts about 1/(1 − f) steps. "
                "Keras adds 1 to the forget bias, so f starts near σ(1) ≈ 0.73: a memory of a few steps, which "
                "training must first stretch, and on a long task the signal to stretch it is already gone. "
                "Chrono initialisation (Tallec & Ollivier, 2018) sets b_f = log u with u ~ U(1, T − 1), "
                "so f = u/(1 + u) and each unit starts with a memory of about u steps: time scales up to T.")
    if lstm is not None:
        st.markdown(f"**This run, LSTM:** mean forget gate {lstm.carry[0]:.3f} before → {lstm.carry[-1]:.3f} "
                    f"after training; measured decay per step back **{lstm.decay:.3f}**; "
                    f"‖∂L/∂h₁‖/‖∂L/∂h_T‖ = {power_of_ten(lstm.ratio)}.")
    st.latex(r"h_t = z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t \quad\text{(GRU, Keras convention)}")
    if gru is not None:
        st.markdown(f"**This run, GRU:** mean update gate z {gru.carry[0]:.3f} before → {gru.carry[-1]:.3f} "
                    f"after training; measured decay per step back **{gru.decay:.3f}**.")
    st.latex(r"g \leftarrow g \cdot \min\!\left(1, \frac{c}{\|g\|}\right) \quad\text{(clipnorm c, per weight)}")
    st.markdown("Clipping does not stop the gradient from exploding; it caps the step the optimizer takes, "
                "so one huge gradient cannot throw the weights to infinity. The weight-gradient curve above "
                "is measured before clipping.")


def conclusion(lab: LabRun) -> None:
    """What this run shows, computed from its numbers."""
    text = verdict(lab.results, lab.task, lab.cfg)
    if text:
        st.info("**What this run measured**\n\n" + text, icon="📏")


@st.cache_data(show_spinner=False, max_entries=64)
def _initial_spectrum(init: str, scale: float, units: int, seed: int) -> dict:
    from explorer.tasks.lab.theory import initial_spectrum

    return initial_spectrum(with_fields(LabConfig(), recurrent_init=init, recurrent_scale=scale, units=units, seed=seed))


def spectrum_before(cfg: LabConfig) -> None:
    """The plain RNN's W_hh before training: spectral radius, σ_max against the 1/γ line."""
    with friendly("Computing the spectrum of W_hh"):
        spec = _initial_spectrum(cfg.model.recurrent_init, cfg.model.recurrent_scale, cfg.model.units, cfg.train.seed)
        a, b = st.columns(2)
        a.metric("Spectral radius ρ(W_hh)", f"{spec['spectral_radius']:.3f}",
                 help="Plain RNN, before training: the largest |eigenvalue| of W_hh.")
        side = "above" if spec["max_singular"] > 1.0 + 1e-6 else ("on" if spec["max_singular"] > 1 - 1e-6 else "below")
        b.metric("σ_max(W_hh) vs 1/γ = 1", f"{spec['max_singular']:.3f}", delta=side, delta_color="off")
        st.caption(bound_note(cfg.model.activation))
