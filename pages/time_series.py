"""Time series: train a real Keras RNN live on a sine, a stock-like series or your CSV, and look inside.

Knobs (ui.knobs, all in the link: d_ series, m_ model, t_ training) → data (ui.series_data) →
train live (explorer.series_run through ui.live) → results (ui.series_results). Results live in
session_state, so other reruns only redraw; TensorFlow is imported only when a model is trained.
"""
from __future__ import annotations

import streamlit as st

from ui.entry import page_start

loading = page_start("📈 Time series", "Train a recurrent network to forecast a series, live, then check it against "
                     "rules that learn nothing.")

from explorer import charts_series  # noqa: E402
from explorer.series_run import evaluate_run, history_entry, start_run  # noqa: E402
from ui import knobs as K  # noqa: E402
from ui import series_data, series_results  # noqa: E402
from ui.guard import UserError, friendly  # noqa: E402
from ui.live import DIVERGED, RUNNING, recover, train_button, train_live  # noqa: E402

RUN_KEY, HISTORY_KEY, TRAIN_KEY = "ts_run", "ts_history", "ts_train"
KNOBS = K.TIME_SERIES


def _sidebar() -> None:
    """Step 2: architecture, window and training knobs."""
    sb = st.sidebar
    sb.header("2 · Model")
    KNOBS.show("m_cell", sb)
    KNOBS.show("m_gate_init", sb, disabled=KNOBS.value("m_cell") == "SimpleRNN")
    for key in ("m_units", "m_layers", "m_bidirectional", "m_dropout", "m_activation"):
        KNOBS.show(key, sb)
    sb.header("Window")
    for key in ("d_window", "d_horizon", "d_target"):
        KNOBS.show(key, sb)
    c1, c2 = sb.columns(2)
    KNOBS.show("d_val_fraction", c1)
    KNOBS.show("d_test_fraction", c2)
    sb.header("Training")
    KNOBS.show("t_optimizer", sb)
    KNOBS.show("t_learning_rate", sb)
    for pair in (("t_batch_size", "t_epochs"), ("t_clipnorm", "t_seed")):
        for col, key in zip(sb.columns(2), pair):
            KNOBS.show(key, col)
    KNOBS.show("t_patience", sb)


def _train(data, cfgs: dict) -> None:
    """Step 3: build (once the run has a training slot), train live with the BPTT probe each epoch;
    evaluation follows in `_finish`."""
    from explorer.models import config_problems
    from explorer.training import train

    s, m, t = cfgs["series"], cfgs["model"], cfgs["train"]

    def start():
        r, record = start_run(data, s, m, t, number=len(st.session_state.get(HISTORY_KEY, [])) + 1)
        return r.model, (lambda sink, result: train(r.model, r.ds.x_train, r.ds.y_train, t, r.validation, sink=sink,
                                                    result=result, probe=r.probe, keep_start=True)), record

    with friendly("Training"):
        if problems := config_problems(m, t):
            raise UserError(" ".join(problems))
        train_live(RUN_KEY, start, epochs=t.epochs, title="Loss while training (scaled units)",
                   decorate=lambda fig, record: charts_series.with_noise_floor(fig, record.loss_floor))


def _finish(run) -> None:
    """Once per run: score the test part, forecast, and add the run to the history."""
    if run is None or run.status == RUNNING or run.done:
        return
    run.done = True
    if run.result.status != DIVERGED:
        with friendly("Evaluating the model"):
            evaluate_run(run.record, run.model, series_results.FORECAST_MAX)
    st.session_state.setdefault(HISTORY_KEY, []).append(history_entry(run.record, run.result))


# ---------------------------------------------------------------- the page: knobs → data → train → results
KNOBS.start()
loading.empty()
_sidebar()
st.subheader("1 · Data")
KNOBS.show("d_source", st)
data = None
with friendly("Preparing the data"):
    if KNOBS.value("d_source") == "csv":
        data = series_data.uploaded_series(KNOBS.configs()["series"])
    else:
        data = series_data.synthetic_series(KNOBS)
cfgs = KNOBS.configs()
with st.expander("Share this set-up"):
    st.code(KNOBS.sync_url(cfgs), language=None)
    st.caption("Add this to the page address: the link reproduces the data, model and training settings "
               "(an uploaded CSV must be uploaded again).")
ready = False
if data is not None:
    with friendly("Splitting the series"):
        ready = series_data.split_preview(data, cfgs["series"], cfgs["model"] == KNOBS.parts["model"].default,
                                          cfgs["train"].epochs)

st.subheader("3 · Train")
train_button(RUN_KEY, "▶ Train", TRAIN_KEY, not ready, "Trains a fresh model with the settings on the left; Stop "
             "keeps what it learned.", lambda: _train(data, cfgs))
clicked = bool(st.session_state.get(TRAIN_KEY))  # trained in this very run: its live curve is on screen
run = recover(RUN_KEY)
if run is not None and run.status != RUNNING:
    with friendly("Showing the results"):
        _finish(run)
        series_results.outcome(run, just_trained=clicked)
        series_results.forecasts(run)
        series_results.inside(run)
series_results.compare(HISTORY_KEY)
if run is not None and run.status != RUNNING:
    with friendly("Preparing the downloads"):
        series_results.downloads(run)
