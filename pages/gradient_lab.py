"""Gradient lab: watch gradients vanish and explode through time, and gates and clipping fix it.

Knobs (ui.knobs, all in the link) → Train submits a job (explorer.tasks.lab.arch.run_job) drawn live (ui.live)
→ results (ui.lab_views); the sweep is a job of its own (ui.lab_sweep). Clicks, other pages and reloads
leave both alone.
"""
from __future__ import annotations

import dataclasses

import streamlit as st

from ui.entry import page_start

loading = page_start("🧪 Gradient lab", "Plain RNNs forget long-range information because the gradient that teaches "
                     "them fades as it travels back through time, and they can blow up when it grows instead. Train "
                     "**SimpleRNN, LSTM and GRU side by side** on the same data and seed and see it measured: every "
                     "curve below is computed from the trained models.")

from explorer.server.jobs import JobSpec  # noqa: E402
from explorer.tasks.lab.config import LabConfig, changed_fields, lab_problems  # noqa: E402
from ui import knobs as K  # noqa: E402
from ui import code_export, lab_sweep, lab_views, live  # noqa: E402
from ui.guard import friendly  # noqa: E402
from ui.live import FAILED, STOPPED  # noqa: E402

PAGE = "gl"
KNOBS = K.GRADIENT_LAB
PRESETS = K.LAB_PRESETS


def _settings(links: dict) -> tuple[LabConfig, list]:
    for col, (key, (label, preset)) in zip(st.columns(len(PRESETS)), PRESETS.items()):
        col.button(label, key=f"gl_preset_{key}", on_click=KNOBS.apply, args=(K.lab_parts(preset),), width="stretch")
    c1, c2, c3 = st.columns(3)
    c1.markdown("**Task**")
    for key in ("gl_task", "gl_T", "gl_samples", "gl_seed"):
        KNOBS.show(key, c1)
    c2.markdown("**Training** (the same for all three)")
    for key in ("gl_units", "gl_optimizer", "gl_learning_rate", "gl_epochs", "gl_batch_size", "gl_jit_compile"):
        KNOBS.show(key, c2)
    c3.markdown("**Recurrent weights and clipping**")
    for key in ("gl_activation", "gl_recurrent_init", "gl_recurrent_scale", "gl_clipnorm", "gl_gate_init"):
        KNOBS.show(key, c3)
    KNOBS.show("gl_archs")
    cfgs = KNOBS.configs()
    cfg = K.lab_config(cfgs)
    with c3:
        lab_views.spectrum_before(cfg)
    KNOBS.sync_url(cfgs, links)
    return cfg, KNOBS.value("gl_archs").split(",") if KNOBS.value("gl_archs") else []


def _hint() -> None:
    st.info("Press **Train side by side** (about 20 s on two CPU cores). Preset ① asks all three cells to "
            "recall a value 100 steps back; ② is the same with Keras' default gate biases; ③ makes the "
            "gradient explode and ④ clips it.", icon="👉")


# ---------------------------------------------------------------- the page: knobs → train → results → sweep
KNOBS.start()
loading.empty()
job, sweep_job = live.current(PAGE), live.current(lab_sweep.PAGE, param="sweep")
cfg, archs = _settings({k: j.id for k, j in (("run", job), ("sweep", sweep_job)) if j is not None})
problems = lab_problems(cfg)
for problem in problems[:1]:
    st.error(problem, icon="⚠️")
live.train_section(PAGE, "▶ Train side by side", "gl_train",
                   lambda: JobSpec("lab", dict(cfg=cfg, archs=archs),
                                   work=len(archs) * cfg.train.epochs * cfg.samples * cfg.T),
                   lab_views.live_cells, disabled=bool(problems) or not archs, idle=_hint,
                   help="Trains on the server: change knobs, read the theory or visit other pages meanwhile.")
if job is not None and job.done and job.result is not None and job.result.results:
    lab = job.result
    if job.status == STOPPED:
        st.warning(job.message or "Training was stopped; the epochs finished so far are shown.")
    changed = changed_fields(lab.cfg, cfg)
    if changed:
        st.caption("Showing the last run; the knobs above have changed since: " + ", ".join(changed) + ".")
    lab_views.conclusion(lab)
    st.caption(f"This run's set-up: `{KNOBS.link({**K.lab_parts(lab.cfg), 'cells': K.Cells(','.join(lab.archs))})}`")
    lab_views.numbers(lab)
    with friendly("Drawing the results"):
        lab_views.pictures(lab)
    with st.expander("The theory, with this run's numbers", expanded=True):
        lab_views.theory(lab)
    code_export.lab(lab)
elif job is not None and job.status == FAILED:
    st.error(job.message, icon="⚠️")
elif job is not None and job.done:
    _hint()  # stopped before its first epoch: nothing to show
lab_sweep.sweep_section(cfg, archs, sweep_job)
