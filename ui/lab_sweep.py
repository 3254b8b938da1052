"""The gradient lab's sweep: each cell trained briefly at several recall lags, as a job of its own (explorer.server.jobs)
drawn live by ui.live; where a curve falls to chance, that cell stopped learning within the budget."""
from __future__ import annotations

import math

import streamlit as st

from explorer.charts import gradients as cg
from explorer.server.jobs import Job, JobSpec
from explorer.tasks.lab.config import DEFAULT_LAGS, HELD_OUT, LabConfig
from explorer.tasks.lab.sweep import SOLVED, SWEEP_EPOCHS
from ui import live
from ui.live import FAILED, STOPPED

PAGE = "gl_sweep"
CHANCE = 0.5  # lag recall's labels are half +1, half −1 (explorer.data.memory_tasks.lag_recall)


def _draw(job: Job) -> None:
    """The sweep so far: each cell's held-out accuracy at every lag that has landed."""
    def figure():
        lags, archs = job.spec.args["lags"], job.spec.args["archs"]
        values = {a: [math.nan] * len(lags) for a in archs}
        for e in job.events_of("cell"):
            values[e.data["arch"]][lags.index(e.data["lag"])] = e.data["value"]
        return cg.sweep_lines(lags, values, CHANCE)

    st.plotly_chart(live.shared(job, "sweep", figure), width="stretch")


def sweep_section(cfg: LabConfig, archs: list, job: Job | None) -> None:
    """The lags, epochs and sequences per run, the Run button, and the sweep's chart."""
    st.header("Sweep the dependency length")
    st.markdown("Train each architecture briefly on *recall the marked value k steps back* for several k "
                "and measure accuracy on fresh sequences: where a curve falls to chance, that architecture "
                "stopped learning within this budget. Uses the units, optimizer, learning rate, gate-bias "
                "initialisation (chrono's time scale follows each k), clipping and seed above. A run stops "
                f"early once it scores {SOLVED:g} on the fresh sequences. One to two minutes on two CPU cores; "
                "the page stays yours meanwhile (train the cells above, read the theory).")
    lags = st.multiselect("Lags k", [5, 10, 25, 50, 100, 200, 500, 900], default=list(DEFAULT_LAGS), key="gl_lags")
    c2, c3 = st.columns(2)
    epochs = c2.slider("Epochs per run (at most)", 1, 10, SWEEP_EPOCHS, key="gl_sweep_epochs")
    samples = c3.select_slider("Sequences per run", [32, 64, 128, 256, 512, 1024, 2048, 4096], LabConfig().samples,
                               key="gl_sweep_samples")
    work = len(archs) * epochs * samples * sum(lag + 5 for lag in lags)  # at most: a solved run stops early
    live.train_section(PAGE, "Run the sweep", "gl_sweep_go",
                       lambda: JobSpec("sweep", dict(cfg=cfg, lags=sorted(lags), archs=list(archs), epochs=epochs,
                                                     samples=samples), work=work),
                       _draw, disabled=not lags or not archs, primary=False, param="sweep",
                       stop_label="⏹ Stop the sweep")
    if job is not None and job.done and job.result is not None:
        out = job.result
        if job.status == STOPPED:
            st.warning(job.message)
        st.plotly_chart(cg.sweep_lines(out.lags, out.values, out.chance), width="stretch", key="gl_sweep_chart")
        st.caption(f"At most {out.epochs} epoch(s) on {out.samples} sequences per run; accuracy on {HELD_OUT} fresh "
                   "sequences" + (f"; {out.seconds:.0f} s in all." if out.complete else "."))
    elif job is not None and job.status == FAILED:
        st.error(job.message, icon="⚠️")
