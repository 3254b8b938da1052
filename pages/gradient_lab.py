"""Gradient lab: watch gradients vanish and explode through time, and gates and clipping fix it.

Thin page: widgets → `explorer.gradlab` (training, probe, sweep) → `explorer.charts_gradients`.
Results live in st.session_state, so reruns only redraw. Any click during training
interrupts the run; the next run keeps the finished epochs and marks it stopped.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import streamlit as st

from explorer import config
from explorer.data.memory_tasks import TASK_LABELS, TASKS
from explorer.gradlab import (ARCHS, CLIPPED, DEFAULT_LAGS, EXPLODE, HELD_OUT, MAX_T, SOLVED, SWEEP_EPOCHS,
                             LabConfig, bound_note, lab_problems)
from explorer.magnitudes import power_of_ten
from ui.entry import through_app, wait_for_warmup
from ui.guard import friendly
from ui.queue import training_slot

through_app()

PREFIX = "gl_"
W = "gl_w_"  # widget keys
LAB, SWEEP = "gl_lab", "gl_sweep"
ARCHS_KEY = "gl_archs"  # widget key and URL key of the chosen cells

PRESETS = {
    "memory": ("① Long memory: recall 100 steps back", LabConfig()),
    "keras": ("② Same, Keras' default gate biases", dataclasses.replace(LabConfig(), gate_init="keras")),
    "explode": ("③ Explode: ReLU, scale 1.05, SGD 0.1", EXPLODE),
    "clip": (f"④ Same, with clipnorm {CLIPPED.clipnorm:g}", CLIPPED),
}
LRS = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3]
CLIPS = [0.0, 0.1, 0.5, 1.0, 5.0, 10.0]
UNITS = [4, 8, 16, 32, 64, 128]
SAMPLES = [64, 128, 256, 512, 1024, 2048, 4096]
BATCHES = [8, 16, 32, 64, 128]
INITS = {"orthogonal": "orthogonal (Keras default)", "identity": "identity (IRNN)",
         "normal": "Gaussian N(0, s²/n)", "glorot_uniform": "Glorot uniform"}
GATE_INITS = {k: config.GATE_INIT_LABELS[k] for k in ("chrono", "keras")}  # the lab offers its default first


@dataclass
class LabState:
    """What the session keeps of the last side-by-side run."""

    cfg: LabConfig
    archs: list
    task: object = None
    runs: dict = field(default_factory=dict)  # arch -> gradlab.ArchRun (live, with the model)
    results: dict = field(default_factory=dict)  # arch -> gradlab.ArchResult
    running: bool = False
    note: str = ""


# ---------------------------------------------------------------- configuration

def _with(options: list, value) -> list:
    return sorted(set(options) | {value})


def _apply(cfg: LabConfig) -> None:
    for f in dataclasses.fields(LabConfig):
        st.session_state[W + f.name] = getattr(cfg, f.name)


def _init_widgets() -> None:
    """First visit of the session: the URL's config (or the defaults) fills the widgets."""
    if W + "task" not in st.session_state:
        url_cfg = config.from_query(LabConfig, st.query_params.to_dict(), PREFIX)
        if problems := lab_problems(url_cfg):
            st.warning("The link's settings were not usable, so the defaults are shown: " + problems[0])
            url_cfg = LabConfig()
        _apply(url_cfg)
        linked = [a for a in st.query_params.get(ARCHS_KEY, "").split(",") if a in ARCHS]
        st.session_state[ARCHS_KEY] = linked or list(ARCHS)


def _settings() -> tuple[LabConfig, list]:
    _init_widgets()
    cols = st.columns(len(PRESETS))
    for col, (key, (label, preset)) in zip(cols, PRESETS.items()):
        col.button(label, key=f"gl_preset_{key}", on_click=_apply, args=(preset,), width="stretch")
    s = st.session_state
    c1, c2, c3 = st.columns(3)
    with c1:
        st.markdown("**Task**")
        st.selectbox("Task that needs long memory", TASKS, key=W + "task", format_func=TASK_LABELS.get)
        st.slider("Sequence length T", 6, MAX_T, key=W + "T",
                  help="How many steps lie between the decisive input and the loss.")
        st.select_slider("Training sequences", _with(SAMPLES, s[W + "samples"]), key=W + "samples")
        st.number_input("Seed", 0, 10_000, key=W + "seed", step=1)
    with c2:
        st.markdown("**Training** (the same for all three)")
        st.select_slider("Units", _with(UNITS, s[W + "units"]), key=W + "units")
        st.selectbox("Optimizer", ("adam", "rmsprop", "sgd"), key=W + "optimizer")
        st.select_slider("Learning rate", _with(LRS, s[W + "lr"]), key=W + "lr", format_func=lambda v: f"{v:g}")
        st.slider("Epochs", 1, 40, key=W + "epochs")
        st.select_slider("Batch size", _with(BATCHES, s[W + "batch"]), key=W + "batch")
        st.checkbox("Compile with XLA", key=W + "jit_compile",
                    help="Keras' jit_compile: the training step as one compiled program; on a CPU it trains "
                         "LSTM and GRU faster after a longer first step. SimpleRNN, which it slows, always "
                         "runs without it.")
    with c3:
        st.markdown("**Recurrent weights and clipping**")
        st.radio("Activation φ", ("tanh", "relu"), key=W + "activation", horizontal=True)
        st.selectbox("W_hh initialiser", list(INITS), key=W + "recurrent_init", format_func=INITS.get)
        st.slider("Recurrent weight scale", 0.1, 3.0, key=W + "recurrent_scale", step=0.05,
                  help="Multiplies W_hh at initialisation; it sets the spectral radius.")
        st.select_slider("Gradient clipping (clipnorm, 0 = off)", _with(CLIPS, s[W + "clipnorm"]),
                         key=W + "clipnorm", format_func=lambda v: "off" if v == 0 else f"{v:g}")
        st.radio("Gate-bias initialisation (LSTM, GRU)", list(GATE_INITS), key=W + "gate_init",
                 format_func=GATE_INITS.get, help=config.GATE_NOTE)
    cfg = LabConfig(**{f.name: s[W + f.name] for f in dataclasses.fields(LabConfig)})
    with c3:
        _spectrum_before(cfg)
    archs = st.multiselect("Architectures", ARCHS, key=ARCHS_KEY)
    wanted = config.to_query(cfg, PREFIX)
    if archs != list(ARCHS):
        wanted[ARCHS_KEY] = ",".join(archs)
    current = {k: v for k, v in st.query_params.to_dict().items() if k.startswith(PREFIX)}
    if wanted != current:  # the link reproduces the set-up; other pages' params stay
        for key in current:
            del st.query_params[key]
        st.query_params.update(wanted)
    return cfg, archs


@st.cache_data(show_spinner=False, max_entries=64)
def _initial_spectrum(init: str, scale: float, units: int, seed: int) -> dict:
    from explorer.gradlab import initial_spectrum

    return initial_spectrum(LabConfig(recurrent_init=init, recurrent_scale=scale, units=units, seed=seed))


def _spectrum_before(cfg: LabConfig) -> None:
    with friendly("Computing the spectrum of W_hh"):
        spec = _initial_spectrum(cfg.recurrent_init, cfg.recurrent_scale, cfg.units, cfg.seed)
        a, b = st.columns(2)
        a.metric("Spectral radius ρ(W_hh)", f"{spec['spectral_radius']:.3f}",
                 help="Plain RNN, before training: the largest |eigenvalue| of W_hh.")
        side = "above" if spec["max_singular"] > 1.0 + 1e-6 else ("on" if spec["max_singular"] > 1 - 1e-6 else "below")
        b.metric("σ_max(W_hh) vs 1/γ = 1", f"{spec['max_singular']:.3f}", delta=side, delta_color="off")
        st.caption(bound_note(cfg.activation))


# ---------------------------------------------------------------- training

def _recover() -> LabState | None:
    """A run interrupted by a click keeps its finished epochs and is marked stopped."""
    from explorer.gradlab import summarize

    lab = st.session_state.get(LAB)
    if lab is not None and lab.running:
        lab.running = False
        for arch, run in lab.runs.items():
            if arch not in lab.results:
                if run.result.status == "finished":
                    run.result.status = "stopped"
                    run.result.message = (f"Stopped after {run.result.epochs_done} epoch(s); "
                                          "the model keeps what it learned so far.")
                lab.results[arch] = summarize(run, lab.cfg, lab.task)
        lab.note = "Training was stopped; the epochs finished so far are shown."
    return lab


def _train(cfg: LabConfig, archs: list) -> None:
    from explorer import charts_gradients as cg
    from explorer.gradlab import fit_arch, lab_heldout, lab_task, start_arch, summarize
    from explorer.introspect import memory_horizon

    wait_for_warmup()
    lab = LabState(cfg, list(archs), running=True)
    st.session_state[LAB] = lab
    st.button("⏹ Stop", key="gl_stop", help="Stop after the current batch; finished epochs are kept")
    progress = st.progress(0.0, text="Preparing the data…")
    left, right = st.columns(2)
    loss_box, dist_box = left.empty(), right.empty()
    lab.task, held = lab_task(cfg), lab_heldout(cfg)
    total = cfg.epochs * len(archs)
    metric = "val_accuracy" if lab.task.metric == "accuracy" else "val_loss"

    draws = [0]

    def redraw() -> None:
        draws[0] += 1  # a fresh key per frame: identical frames must not collide
        hist = {a: r.result.history for a, r in lab.runs.items()}
        loss_box.plotly_chart(cg.loss_together(hist, metric, held.chance), width="stretch",
                              key=f"gl_live_loss_{draws[0]}")
        latest = {a: r.result.probes[-1] for a, r in lab.runs.items() if r.result.probes}
        dist_box.plotly_chart(cg.distance_lines(latest, "latest epoch", lab.task.lag), width="stretch",
                              key=f"gl_live_dist_{draws[0]}")

    for i, arch in enumerate(archs):
        progress.progress(i * cfg.epochs / total, text=f"Building {arch} and tracing its gradient probe…")
        run = start_arch(cfg, arch, lab.task, held=held)
        lab.runs[arch] = run

        def sink(event, arch=arch, i=i):
            done = i * cfg.epochs + event.epoch + (1 if event.kind == "epoch" else 0)
            name = metric if event.kind == "epoch" else metric[4:]
            value = event.logs.get(name, float("nan"))
            probes = lab.runs[arch].result.probes
            reach = f" · memory horizon {memory_horizon(probes[-1])} steps" if probes else ""
            where = "held-out" if event.kind == "epoch" else "training"
            progress.progress(min(1.0, done / total),
                              text=f"{arch}: epoch {event.epoch + 1}/{cfg.epochs} · {where} {name.replace('val_', '')} "
                                   f"{value:.4g}{reach}")
            if event.kind == "epoch":
                redraw()

        fit_arch(run, cfg, lab.task, sink=sink)
        lab.results[arch] = summarize(run, cfg, lab.task)
        redraw()
    lab.running = False
    loss_box.empty()
    dist_box.empty()
    progress.progress(1.0, text="Done: " + ", ".join(f"{a} {r.status}" for a, r in lab.results.items()))


# ---------------------------------------------------------------- results

def _numbers(lab: LabState) -> None:
    """The two live numbers per architecture, then every measured number in one table."""
    import pandas as pd

    cols = st.columns(len(lab.results))
    T = lab.task.timesteps
    held = "Held-out accuracy" if lab.task.metric == "accuracy" else "Held-out MSE"
    for col, (arch, r) in zip(cols, lab.results.items()):
        with col:
            st.markdown(f"**{arch}**")
            if r.status == "diverged":
                st.error(r.message, icon="💥")
            elif r.status == "stopped":
                st.warning(r.message, icon="⏹")
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
    rows = []
    for arch, r in lab.results.items():
        smax = r.max_singular[-1] if r.max_singular else float("nan")
        rows.append({
            "architecture": arch, "status": r.status, "epochs": r.epochs_done,
            f"{held.lower()}": r.final_metric, "chance": r.chance, "learned": r.learned,
            "training " + ("accuracy" if r.metric == "accuracy" else "MSE"): r.train_metric,
            "‖∂L/∂h‖ at the decisive input / at the loss": power_of_ten(r.reach),
            "‖∂L/∂h₁‖ / ‖∂L/∂h_T‖": power_of_ten(r.ratio),
            "memory horizon (steps)": r.horizon, "decay per step back": r.decay,
            "σ_max(W_hh)": smax,
            "spectral radius": r.spectral_radius[-1] if r.spectral_radius else float("nan"),
            "carry per step, before → after": f"{r.carry[0]:.3f} → {r.carry[-1]:.3f}",
            "train s": r.train_seconds, "probe s": r.probe_seconds,
        })
    st.dataframe(pd.DataFrame(rows).set_index("architecture"), width="stretch")
    st.caption("Carry per step: the mean slope φ′ (plain RNN), forget gate f (LSTM) or update gate z (GRU) "
               "along the probe batch. 'Learned' means closing half the gap from chance to perfect on the "
               "held-out sequences. Gradients are measured in float64: '< 1e-300' is below what it can hold.")


def _pictures(lab: LabState) -> None:
    from explorer import charts_gradients as cg

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
    metric = "val_accuracy" if lab.task.metric == "accuracy" else "val_loss"
    chance = next(iter(results.values())).chance
    right.plotly_chart(cg.loss_together({a: r.history for a, r in results.items()}, metric, chance),
                       width="stretch", key="gl_loss")
    left, right = st.columns(2)
    left.plotly_chart(cg.weight_grad_steps({a: r.step_grad_norms for a, r in results.items()}, lab.cfg.clipnorm),
                      width="stretch", key="gl_steps")
    gamma = next(iter(results.values())).gamma
    shown = {a: r for a, r in results.items() if a == "SimpleRNN"} or results
    right.plotly_chart(cg.singular_vs_bound({a: r.max_singular for a, r in shown.items()}, gamma,
                                            {a: r.spectral_radius for a, r in shown.items()}),
                       width="stretch", key="gl_sv")
    st.caption("The 1/γ bound is about the plain RNN, whose Jacobian is diag(φ′)·W_hh; a gated cell's "
               "stacked gate matrix has no such line (its σ_max is in the table above).")


def _theory(lab: LabState) -> None:
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


def _verdict(lab: LabState) -> None:
    """What this run shows, computed from its numbers."""
    from explorer.gradlab import verdict

    text = verdict(lab.results, lab.task, lab.cfg)
    if text:
        st.info(text, icon="📏")


# ---------------------------------------------------------------- sweep

def _sweep_section(cfg: LabConfig, archs: list) -> None:
    from explorer import charts_gradients as cg

    st.header("Sweep the dependency length")
    st.markdown("Train each architecture briefly on *recall the marked value k steps back* for several k "
                "and measure accuracy on fresh sequences: where a curve falls to chance, that architecture "
                "stopped learning within this budget. Uses the units, optimizer, learning rate, gate-bias "
                "initialisation (chrono's time scale follows each k), clipping and seed above. A run stops "
                f"early once it scores {SOLVED:g} on the fresh sequences. About two minutes on two CPU cores.")
    lags = st.multiselect("Lags k", [5, 10, 25, 50, 100, 200, 500, 900], default=list(DEFAULT_LAGS), key="gl_lags")
    c2, c3 = st.columns(2)
    epochs = c2.slider("Epochs per run (at most)", 1, 10, SWEEP_EPOCHS, key="gl_sweep_epochs")
    samples = c3.select_slider("Sequences per run", [32, 64, 128, 256, 512, 1024, 2048, 4096], LabConfig().samples,
                               key="gl_sweep_samples")
    held = st.session_state.get(SWEEP)
    if held is not None and held.get("running"):
        held["running"] = False
        held["note"] = "The sweep was stopped; the runs finished so far are shown."
    if st.button("Run the sweep", key="gl_sweep_go", disabled=not lags or not archs):
        from explorer.gradlab import sweep

        held = {"lags": sorted(lags), "values": {a: [float("nan")] * len(lags) for a in archs},
                "chance": 0.5, "running": True, "note": "", "epochs": epochs, "samples": samples}
        st.session_state[SWEEP] = held
        st.button("⏹ Stop the sweep", key="gl_sweep_stop")
        progress, chart = st.progress(0.0, text="Starting the sweep…"), st.empty()
        count = [0]

        def on_result(arch, lag, value):
            held["values"][arch][held["lags"].index(lag)] = value
            count[0] += 1
            progress.progress(count[0] / (len(lags) * len(archs)), text=f"{arch} at lag {lag}: {value:.3f}")
            chart.plotly_chart(cg.sweep_lines(held["lags"], held["values"], held["chance"]), width="stretch",
                               key=f"gl_sweep_live_{count[0]}")

        with friendly("The sweep"), training_slot("gradient lab sweep"):
            wait_for_warmup()
            out = sweep(cfg, lags, archs, epochs=epochs, samples=samples, on_result=on_result)
            held.update(values=out.values, chance=out.chance, seconds=out.seconds)
        held["running"] = False
        chart.empty()
        progress.empty()
    if held is not None:
        if held.get("note"):
            st.warning(held["note"])
        st.plotly_chart(cg.sweep_lines(held["lags"], held["values"], held["chance"]), width="stretch",
                        key="gl_sweep_chart")
        st.caption(f"At most {held['epochs']} epoch(s) on {held['samples']} sequences per run; accuracy on "
                   f"{HELD_OUT} fresh sequences" + (f"; {held['seconds']:.0f} s in all." if "seconds" in held else "."))


# ---------------------------------------------------------------- page

st.title("🧪 Gradient lab")
st.markdown("Plain RNNs forget long-range information because the gradient that teaches them fades as "
            "it travels back through time, and they can blow up when it grows instead. Train "
            "**SimpleRNN, LSTM and GRU side by side** on the same data and seed and see it measured: "
            "every curve below is computed from the trained models.")

cfg, archs = _settings()
problems = lab_problems(cfg)
for problem in problems[:1]:
    st.error(problem, icon="⚠️")
go = st.button("▶ Train side by side", key="gl_train", type="primary", disabled=bool(problems) or not archs)
lab = _recover()
if go:
    with friendly("Training"), training_slot("gradient lab"):
        _train(cfg, archs)
    lab = _recover()
if lab is not None and lab.results:
    if lab.note:
        st.warning(lab.note)
    changed = [f.name for f in dataclasses.fields(LabConfig) if getattr(lab.cfg, f.name) != getattr(cfg, f.name)]
    if changed:
        st.caption("Showing the last run; the knobs above have changed since: " + ", ".join(changed) + ".")
    _verdict(lab)
    _numbers(lab)
    with friendly("Drawing the results"):
        _pictures(lab)
    with st.expander("The theory, with this run's numbers", expanded=True):
        _theory(lab)
elif not go:
    st.info("Press **Train side by side** (about a minute on two CPU cores). Preset ① asks all three cells to "
            "recall a value 100 steps back; ② is the same with Keras' default gate biases; ③ makes the "
            "gradient explode and ④ clips it.", icon="👉")
_sweep_section(cfg, archs)
