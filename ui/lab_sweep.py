"""The gradient lab's sweep: each cell trained briefly at several recall lags, live, through ui.live;
where a curve falls to chance, that cell stopped learning within the budget."""
from __future__ import annotations

import streamlit as st

from explorer import charts_gradients as cg
from explorer.gradlab import DEFAULT_LAGS, HELD_OUT, SOLVED, SWEEP_EPOCHS, LabConfig, SweepResult
from ui.guard import friendly
from ui.live import FINISHED, STOPPED, LiveRun, LiveView, recover, training

SWEEP = "gl_sweep"


def sweep_section(cfg: LabConfig, archs: list) -> None:
    """The lags, epochs and sequences per run, the Run button, and the sweep's chart (kept in the session)."""
    from explorer.gradlab import sweep

    st.header("Sweep the dependency length")
    st.markdown("Train each architecture briefly on *recall the marked value k steps back* for several k "
                "and measure accuracy on fresh sequences: where a curve falls to chance, that architecture "
                "stopped learning within this budget. Uses the units, optimizer, learning rate, gate-bias "
                "initialisation (chrono's time scale follows each k), clipping and seed above. A run stops "
                f"early once it scores {SOLVED:g} on the fresh sequences. One to two minutes on two CPU cores.")
    lags = st.multiselect("Lags k", [5, 10, 25, 50, 100, 200, 500, 900], default=list(DEFAULT_LAGS), key="gl_lags")
    c2, c3 = st.columns(2)
    epochs = c2.slider("Epochs per run (at most)", 1, 10, SWEEP_EPOCHS, key="gl_sweep_epochs")
    samples = c3.select_slider("Sequences per run", [32, 64, 128, 256, 512, 1024, 2048, 4096], LabConfig().samples,
                               key="gl_sweep_samples")
    held = recover(SWEEP)
    if st.button("Run the sweep", key="gl_sweep_go", disabled=not lags or not archs):
        lags = sorted(lags)
        out = SweepResult(lags, list(archs), {a: [float("nan")] * len(lags) for a in archs}, 0.5, epochs, samples,
                          complete=False)
        view, landed = LiveView(SWEEP, stop_label="⏹ Stop the sweep"), []

        def on_result(arch, lag, value):
            out.values[arch][lags.index(lag)] = value
            landed.append(value)  # NaN too: a diverged run has landed
            view.progress(len(landed) / (len(lags) * len(archs)), f"{arch} at lag {lag}: {value:.3f}", force=True)
            view.draw(cg.sweep_lines(out.lags, out.values, out.chance))

        work = len(archs) * epochs * samples * sum(lag + 5 for lag in lags)  # at most: a solved run stops early
        with friendly("The sweep"), training(SWEEP, lambda: LiveRun(model=None, record=out), work) as held:
            result = sweep(cfg, lags, archs, epochs=epochs, samples=samples, on_result=on_result)
            held.record, held.status = result, FINISHED
        view.clear()
    if held is not None:
        out = held.record
        if held.status == STOPPED:
            st.warning("The sweep was stopped; the runs finished so far are shown.")
        st.plotly_chart(cg.sweep_lines(out.lags, out.values, out.chance), width="stretch", key="gl_sweep_chart")
        st.caption(f"At most {out.epochs} epoch(s) on {out.samples} sequences per run; accuracy on {HELD_OUT} fresh "
                   "sequences" + (f"; {out.seconds:.0f} s in all." if out.complete else "."))
