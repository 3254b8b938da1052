"""Gradient lab: watch gradients vanish and explode through time, and gates and clipping fix it.

Knobs (ui.knobs, all in the link) → the engine's lab run (explorer.gradlab) trained live through
ui.live → results (ui.lab_views). Results live in st.session_state, so reruns only redraw.
"""
from __future__ import annotations

import dataclasses

import streamlit as st

from ui.entry import page_start

loading = page_start("🧪 Gradient lab", "Plain RNNs forget long-range information because the gradient that teaches "
                     "them fades as it travels back through time, and they can blow up when it grows instead. Train "
                     "**SimpleRNN, LSTM and GRU side by side** on the same data and seed and see it measured: every "
                     "curve below is computed from the trained models.")

from explorer import charts_gradients as cg  # noqa: E402
from explorer.gradlab import LabConfig, LabRun, lab_problems  # noqa: E402
from ui import knobs as K  # noqa: E402
from ui import lab_sweep, lab_views  # noqa: E402
from ui.guard import friendly  # noqa: E402
from ui.live import FINISHED, STOPPED, LiveRun, LiveView, recover, training  # noqa: E402

LAB = "gl_lab"
KNOBS = K.GRADIENT_LAB
PRESETS = K.LAB_PRESETS


def _settings() -> tuple[LabConfig, list]:
    for col, (key, (label, preset)) in zip(st.columns(len(PRESETS)), PRESETS.items()):
        col.button(label, key=f"gl_preset_{key}", on_click=KNOBS.apply, args=({"lab": preset},), width="stretch")
    c1, c2, c3 = st.columns(3)
    c1.markdown("**Task**")
    for key in ("gl_task", "gl_T", "gl_samples", "gl_seed"):
        KNOBS.show(key, c1)
    c2.markdown("**Training** (the same for all three)")
    for key in ("gl_units", "gl_optimizer", "gl_lr", "gl_epochs", "gl_batch", "gl_jit_compile"):
        KNOBS.show(key, c2)
    c3.markdown("**Recurrent weights and clipping**")
    for key in ("gl_activation", "gl_recurrent_init", "gl_recurrent_scale", "gl_clipnorm", "gl_gate_init"):
        KNOBS.show(key, c3)
    KNOBS.show("gl_archs")
    cfgs = KNOBS.configs()
    with c3:
        lab_views.spectrum_before(cfgs["lab"])
    KNOBS.sync_url(cfgs)
    return cfgs["lab"], KNOBS.value("gl_archs").split(",") if KNOBS.value("gl_archs") else []


def _train(cfg: LabConfig, archs: list) -> None:
    """All chosen cells, one after the other, through the engine's lab run; curves and progress live."""
    from explorer.gradlab import run_lab
    from explorer.introspect import memory_horizon

    lab = LabRun(cfg, list(archs))
    view = LiveView(LAB, stop_help="Stop after the current batch; finished epochs are kept", charts=2)
    total = cfg.epochs * len(archs)

    def sink(arch: str, event) -> None:
        i = lab.archs.index(arch)
        if event is None:
            view.progress(i / len(archs), f"Building {arch} and tracing its gradient probe…", force=True)
            return
        name = lab.metric if event.kind == "epoch" else lab.metric[4:]
        probes = lab.runs[arch].result.probes
        reach = f" · memory horizon {memory_horizon(probes[-1])} steps" if probes else ""
        where = "held-out" if event.kind == "epoch" else "training"
        view.progress((i * cfg.epochs + event.epoch + (event.kind == "epoch")) / total,
                      f"{arch}: epoch {event.epoch + 1}/{cfg.epochs} · {where} {name.replace('val_', '')} "
                      f"{event.logs.get(name, float('nan')):.4g}{reach}")
        if event.kind == "epoch":
            latest = {a: r.result.probes[-1] for a, r in lab.runs.items() if r.result.probes}
            chance = lab.runs[arch].held.chance
            view.draw(cg.loss_together({a: r.result.history for a, r in lab.runs.items()}, lab.metric, chance),
                      cg.distance_lines(latest, "latest epoch", lab.task.lag))

    with training(LAB, lambda: LiveRun(model=None, record=lab), work=total * cfg.samples * cfg.T) as run:
        run_lab(cfg, archs, lab=lab, sink=sink)
        run.status = FINISHED
    view.clear()


# ---------------------------------------------------------------- the page: knobs → train → results → sweep
KNOBS.start()
loading.empty()
cfg, archs = _settings()
problems = lab_problems(cfg)
for problem in problems[:1]:
    st.error(problem, icon="⚠️")
go = st.button("▶ Train side by side", key="gl_train", type="primary", disabled=bool(problems) or not archs)
if go:
    with friendly("Training"):
        _train(cfg, archs)
run = recover(LAB, on_stop=lambda r: r.record.stop())
if run is not None and run.record.results:
    lab = run.record
    if run.status == STOPPED:
        st.warning("Training was stopped; the epochs finished so far are shown.")
    changed = [f.name for f in dataclasses.fields(LabConfig) if getattr(lab.cfg, f.name) != getattr(cfg, f.name)]
    if changed:
        st.caption("Showing the last run; the knobs above have changed since: " + ", ".join(changed) + ".")
    lab_views.conclusion(lab)
    st.caption(f"This run's set-up: `{KNOBS.link({'lab': lab.cfg, 'cells': K.Cells(','.join(lab.archs))})}`")
    lab_views.numbers(lab)
    with friendly("Drawing the results"):
        lab_views.pictures(lab)
    with st.expander("The theory, with this run's numbers", expanded=True):
        lab_views.theory(lab)
elif not go:
    st.info("Press **Train side by side** (about a minute on two CPU cores). Preset ① asks all three cells to "
            "recall a value 100 steps back; ② is the same with Keras' default gate biases; ③ makes the "
            "gradient explode and ④ clips it.", icon="👉")
lab_sweep.sweep_section(cfg, archs)
