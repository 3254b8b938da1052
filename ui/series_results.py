"""The time-series page's results: how the run ended, predictions and forecast against the baselines,
inside the network, the runs compared, and downloads. Each function draws one section from the run's job
(explorer.server.jobs) or its result, a `TrainedRun` whose record is an `explorer.tasks.series.run.SeriesRecord`."""
from __future__ import annotations

import json
import os
import tempfile

import numpy as np
import pandas as pd
import streamlit as st

from explorer.charts import common as charts
from explorer.charts import series as charts_series
from explorer.data.numbers import fmt, fmt_int
from explorer.tasks.series.run import history_row, target_words
from ui.guard import friendly
from explorer.server.jobs import Job
from explorer.train.runner import TrainedRun
from ui.live import DIVERGED, ended_banner

FORECAST_MAX = 200


def outcome(job: Job) -> None:
    """How the run ended, and its loss curve."""
    if job.result is None:
        ended_banner(job, "")
        return
    res, rec = job.result.result, job.result.record
    ended_banner(job, f"Trained {res.epochs_done} epoch(s) in {res.seconds:.1f} s. {res.message}".strip())
    if not res.history:
        st.info("No loss curve: the run stopped before its first epoch ended.")
    else:
        fig = charts.loss_curves(res.history, title=f"{rec.name}: loss (scaled units)", log_y=True,
                                 batches=res.batch_history)
        st.plotly_chart(charts_series.with_noise_floor(fig, rec.loss_floor), width="stretch", key="ts_loss")
    if rec.loss_floor:
        st.caption(f"The dashed line is the noise floor: the sine's noise σ² = {fmt(rec.noise_var)}, "
                   "in the loss's scaled units. No forecast can go below it on new data.")


def forecasts(run: TrainedRun) -> None:
    """Step 4: one-step predictions on the test part, the forecast past the end, metrics against the baselines."""
    rec, ev = run.record, run.record.evaluation
    if ev is None:
        return
    st.subheader("4 · Predictions, forecast and baselines")
    p, y, ds = ev.predictions, "value" + rec.unit, rec.ds
    st.plotly_chart(charts_series.predictions_chart(p.t, p.truth, p.pred, rec.model_name, ev.baselines, rec.dates, y=y),
                    width="stretch", key="ts_pred")
    steps = st.slider("Forecast steps past the end", 1, FORECAST_MAX, min(50, FORECAST_MAX), key="ts_steps")
    if np.all(np.isfinite(ev.forecast[:steps])):
        fb = {k: v[:steps] for k, v in ev.forecast_baselines.items()}
        st.plotly_chart(charts_series.forecast_chart(ds.values, ev.forecast[:steps], rec.model_name, fb, rec.dates, y=y),
                        width="stretch", key="ts_forecast")
    else:
        st.info("No forecast to draw: fed its own predictions back, the model produced numbers that are not "
                "finite (its outputs grew without bound).")
    table = pd.DataFrame([{"forecast": r["name"], "test MSE": fmt(r["mse"], exact_zero=False),
                           "test MAE": fmt(r["mae"], exact_zero=False), "MASE": fmt(r["mase"], exact_zero=False),
                           "sMAPE %": fmt(r["smape"], exact_zero=False)} for r in ev.rows])
    st.dataframe(table, hide_index=True, key="ts_metrics")
    st.caption(f"One step ahead on the {fmt_int(len(p.t))} test targets, in the series' own units; the model "
               f"predicts {target_words(ds.target, ds.period)}; {rec.period.text}. MASE: the mean absolute error over "
               "the one the seasonal-naive rule made on the training part (below 1: better than that rule was "
               "there), so series of any scale read alike; sMAPE: the symmetric mean absolute percentage error.")
    (st.success if ev.verdict.beats else st.warning)(ev.verdict.text)


def inside(run: TrainedRun) -> None:
    """Step 5: hidden states of a chosen window, ‖∂L/∂h_t‖ through time per epoch, weight-gradient norms."""
    res = run.result
    st.subheader("5 · Inside the network")
    c1, c2 = st.columns(2)
    with c1:
        if res.status != DIVERGED:
            _hidden_states(run)
    with c2:
        if res.probes and charts_series.probes_show_something(res.probes):
            st.plotly_chart(charts_series.probe_heatmap(res.probes), width="stretch", key="ts_probe")
            st.caption("How strongly the loss depends on each hidden state h_t of the first recurrent layer, "
                       "measured exactly through time after each epoch. Fading toward early timesteps is "
                       "the vanishing gradient.")
        elif res.probes:
            st.info("No ‖∂L/∂h_t‖ heatmap: every gradient through time is 0 or not a number (the loss is exactly 0, "
                    "or training diverged), so there is nothing to colour.")
        else:
            st.info("No ‖∂L/∂h_t‖ heatmap: the run ended before the gradients through time were measured.")
    norms = {k: np.where(np.isfinite(v) & (np.asarray(v) > 0), v, np.nan) for k, v in res.grad_norms.items()}
    if any(np.any(np.isfinite(v)) for v in norms.values()):
        st.plotly_chart(charts.step_norms(norms, title="Weight-gradient norm per layer and training step"),
                        width="stretch", key="ts_gradnorms")
    else:
        st.info("No weight-gradient chart: no training step produced a finite, non-zero gradient norm "
                "(the run stopped before its first step, diverged at once, or its loss was exactly 0).")


def _hidden_states(run: TrainedRun) -> None:
    rec = run.record
    ds = rec.ds
    xs, part = (ds.x_test, "test") if len(ds.x_test) else (ds.x_train, "training")
    if not len(xs):
        return
    # Widgets keyed per run: a new run may have fewer windows or other layers.
    i = st.slider(f"Window of the {part} part", 1, len(xs), len(xs), key=f"ts_window_pick {rec.name}") - 1
    if i not in rec.hidden:
        from explorer.introspect.hidden_states import hidden_states

        with friendly("Reading the hidden states"):
            rec.hidden[i] = hidden_states(run.model, xs[i])
    layers = rec.hidden.get(i) or []
    if not layers:
        return
    labels = [f"{ls.layer} ({ls.direction})" for ls in layers]
    pick = st.selectbox("Layer", labels, key=f"ts_layer_pick {rec.name}") if len(labels) > 1 else labels[0]
    st.plotly_chart(charts_series.hidden_state_heatmap(layers[labels.index(pick)].h), width="stretch", key="ts_hidden")


def compare(history_key: str) -> None:
    """Step 6: every run of this session, overlaid and tabulated."""
    runs = st.session_state.get(history_key) or []
    if not runs:
        return
    st.subheader("6 · Compare runs")
    if any(r.history.get("loss") for r in runs):
        st.plotly_chart(charts_series.runs_overlay({r.name: r.history for r in runs}), width="stretch",
                        key="ts_overlay")
    else:
        st.info("No curves to compare: every run so far stopped before its first epoch ended.")
    st.dataframe(pd.DataFrame([history_row(r) for r in runs]), hide_index=True, key="ts_history_table")
    if st.button("Clear history", key="ts_clear"):
        st.session_state[history_key] = []
        st.rerun()


def _model_bytes(model) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "rnn_explorer_model.keras")
        model.save(path)
        with open(path, "rb") as fh:
            return fh.read()


def downloads(run: TrainedRun) -> None:
    """Step 7: the model, its test predictions and its configuration, as files."""
    st.subheader("7 · Take it away")
    c1, c2, c3 = st.columns(3)
    if run.result.status != DIVERGED:
        c1.download_button("Model (.keras)", data=lambda: _model_bytes(run.model), file_name="rnn_explorer_model.keras",
                           mime="application/octet-stream", on_click="ignore", key="ts_dl_model")
    if run.record.evaluation is not None:
        c2.download_button("Predictions (.csv)", run.record.predictions_frame().to_csv(index=False),
                           file_name="predictions.csv", mime="text/csv", on_click="ignore", key="ts_dl_pred")
    c3.download_button("Config (.json)", json.dumps(run.record.configs, indent=2), file_name="config.json",
                       mime="application/json", on_click="ignore", key="ts_dl_cfg")
