"""Time series: train a real Keras RNN live on a sine, a stock-like series or your CSV, and look inside.

Knobs (ui.knobs, all in the link: d_ series, m_ model, t_ training) → data (ui.series_data) → Train
submits a job (explorer.tasks.series.run.run_job) that the server trains while the page draws it live (ui.live)
→ results (ui.series_results). Clicks, other pages and reloads leave the run alone.
"""
from __future__ import annotations

import streamlit as st

from ui.entry import page_start

loading = page_start("📈 Time series", "Train a recurrent network to forecast a series, live, then check it against "
                     "rules that learn nothing.")

from explorer.charts import series as charts_series  # noqa: E402
from explorer.server.jobs import JobSpec  # noqa: E402
from explorer.tasks.series.run import history_entry  # noqa: E402
from ui import knobs as K  # noqa: E402
from ui import code_export, live, series_data, series_results  # noqa: E402
from ui.guard import friendly  # noqa: E402

PAGE, HISTORY_KEY, TRAIN_KEY = "ts", "ts_history", "ts_train"
KNOBS = K.TIME_SERIES


def _model_section() -> None:
    """Step 2: architecture, window and training knobs, in the page's flow (a phone reads 1, 2, 3)."""
    st.subheader("2 · Model")
    net, window, training = st.columns(3)
    net.markdown("**Network**")
    KNOBS.show("m_cell", net)
    KNOBS.show("m_gate_init", net, disabled=KNOBS.value("m_cell") == "SimpleRNN")
    for key in ("m_units", "m_layers", "m_bidirectional", "m_dropout", "m_activation"):
        KNOBS.show(key, net)
    window.markdown("**Window**")
    for key in ("d_window", "d_horizon", "d_target", "d_val_fraction", "d_test_fraction"):
        KNOBS.show(key, window)
    training.markdown("**Training**")
    for key in ("t_optimizer", "t_learning_rate", "t_batch_size", "t_epochs", "t_clipnorm", "t_seed", "t_patience"):
        KNOBS.show(key, training)


def _spec(data, cfgs: dict) -> JobSpec:
    """The run a Train click submits: this data and these settings, numbered in the session's history."""
    s, m, t = cfgs["series"], cfgs["model"], cfgs["train"]
    number = len(st.session_state.get(HISTORY_KEY, [])) + 1
    return JobSpec("series", dict(data=data, series=s, model=m, train=t, number=number,
                                  forecast_steps=series_results.FORECAST_MAX), work=t.epochs * len(data.values))


def _with_floor(fig, job):
    """The live loss chart with the noise floor, once the run has said where it lies."""
    floor = next((e.data["loss_floor"] for e in job.events_of("setup")), None)
    return charts_series.with_noise_floor(fig, floor)


# ---------------------------------------------------------------- the page: knobs → data → train → results
KNOBS.start()
loading.empty()
st.subheader("1 · Data")
KNOBS.show("d_source", st)
data = None
with friendly("Preparing the data"):
    if KNOBS.value("d_source") == "csv":
        data = series_data.uploaded_series(KNOBS.configs()["series"])
    else:
        data = series_data.synthetic_series(KNOBS)
cfgs = KNOBS.configs()
job = live.current(PAGE)
KNOBS.sync_url(cfgs, {"run": job.id} if job else None)
with st.expander("Share this set-up"):
    st.code(KNOBS.link(cfgs), language=None)
    st.caption("Add this to the page address: the link reproduces the data, model and training settings "
               "(an uploaded CSV must be uploaded again). The address bar's link also opens your run (`run=`).")
ready = False
if data is not None:
    with friendly("Splitting the series"):
        ready = series_data.split_preview(data, cfgs["series"], cfgs["model"] == KNOBS.parts["model"].default,
                                          cfgs["train"].epochs)

_model_section()
st.subheader("3 · Train")
live.train_section(PAGE, "▶ Train", TRAIN_KEY, lambda: _spec(data, cfgs),
                   live.model_curves(title="Loss while training (scaled units)", decorate=_with_floor),
                   disabled=not ready, help="Trains a fresh model with the settings above, on the server: change "
                   "knobs, visit other pages or reload meanwhile; Stop keeps what it learned.")
if job is not None and job.done:
    if live.first_sight(job) and job.result is not None:
        st.session_state.setdefault(HISTORY_KEY, []).append(history_entry(job.result.record, job.result.result))
    with friendly("Showing the results"):
        series_results.outcome(job)
        if job.result is not None:
            series_results.forecasts(job.result)
            series_results.inside(job.result)
            code_export.time_series(job.result.record)
series_results.compare(HISTORY_KEY)
if job is not None and job.done and job.result is not None:
    with friendly("Preparing the downloads"):
        series_results.downloads(job.result)
