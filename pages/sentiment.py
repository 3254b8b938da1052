"""Sentiment page: type a review and a trained model answers at once; train your own on IMDB live and look inside.

Try it first (ui.sentiment_try: a fragment, never waiting for the reviews or TensorFlow-heavy
sections) → data (ui.sentiment_data) → knobs (ui.knobs, all in the link) → Train submits a job
(explorer.tasks.sentiment.run.run_job) drawn live (ui.live) → results (ui.sentiment_views). A model is ready the moment
a visitor arrives: the local model store keeps every model trained on IMDB here, and the one with
the best validation accuracy answers. The presets `explorer.tasks.sentiment.presets.QUICK` and `BEST` were chosen
on validation reviews; their test accuracy over 3 seeds is in bench/RESULTS.md.
"""
from __future__ import annotations

import streamlit as st

from ui.entry import first_paint, first_run, page_start

loading = page_start("💬 Sentiment: IMDB movie reviews",
                     "Type a movie review and a recurrent network trained on the Large Movie Review Dataset "
                     "(Maas et al., 2011) tells its sentiment and shows how the prediction moves word by word. "
                     "Then train your own below, live, and compare.")

from explorer.server.jobs import JobSpec  # noqa: E402
from explorer.tasks.sentiment import run as sr  # noqa: E402
from explorer.tasks.sentiment.presets import PRESETS  # noqa: E402
from ui import knobs as K  # noqa: E402
from ui import code_export, live, sentiment_data, sentiment_views  # noqa: E402
from ui.live import DIVERGED, FAILED  # noqa: E402
from ui.sentiment_try import ANSWER_KEY, answering, try_it  # noqa: E402

PAGE = "sent"
TRAIN_NOW = "sent_train_now"  # set by "Train your own model"; the Train section starts a run
KNOBS = K.SENTIMENT
COLUMNS = {"Text": ("x_vocab_size", "x_max_len", "x_padding", "x_mask"),
           "Network": ("m_embedding_dim", "m_embedding_init", "m_cell", "m_gate_init", "m_units", "m_layers",
                       "m_bidirectional", "m_word_dropout", "m_dropout", "m_readout", "m_head_dropout"),
           "Training": ("t_optimizer", "t_learning_rate", "t_schedule", "t_batch_size", "t_epochs", "t_patience"),
           "Reviews used": ("d_n_train", "d_n_test")}


def _train_own() -> None:
    st.session_state[TRAIN_NOW] = True


# ---------------------------------------------------------------- try it: the model that answers
KNOBS.start()
loading.empty()
job = live.current(PAGE)
run = job.result if job is not None and job.done else None  # a TrainedRun, scored and stored by the job
if run is not None and live.first_sight(job) and run.record.test is not None:
    st.session_state[ANSWER_KEY] = "run"  # a run that just ended answers the typed reviews
st.header("Try it: type a review")
view, skipped = answering(run, str(st.query_params.get("model", "")))
for problem in skipped:
    st.warning(problem)
if run is not None and run.result.status == DIVERGED:
    st.warning("Your last run diverged, so its predictions mean nothing: train again with a smaller learning rate.")
a, b = st.columns([4, 1])
if view is not None:
    a.caption(f"Answering: **{view.label}** · test accuracy {view.test.accuracy:.3f} on {view.test.n:,} test reviews "
              f"· trained {view.metrics.get('trained_at', '?')} · "
              + ("a stored model (nothing to train)" if view.stored else "your run (its link: ?run=…)"))
b.button("Train your own model", key="sent_train_own", on_click=_train_own, width="stretch",
         help="Starts a run with the settings in section 2 (the quick preset unless you change them).")
first = first_run(PAGE)
try_it(view, fragment=not first)  # a new visitor's review, typed at once, restarts this run and is answered first
if first:
    first_paint()  # and the browser draws the box before the rest of the page arrives

# ---------------------------------------------------------------- 1 · data, 2 · knobs
st.header("1 · The data")
data, source_key, keep = sentiment_data.reviews()
st.header("2 · The model")
for col, (name, setup) in zip(st.columns(len(PRESETS)), PRESETS.items()):
    col.button(setup.label, key=f"sent_preset_{name}", on_click=KNOBS.apply, width="stretch",
               args=({"text": setup.text, "model": setup.model, "train": setup.train, "data": setup.data},))
for col, (title, keys) in zip(st.columns(len(COLUMNS)), COLUMNS.items()):
    col.markdown(f"**{title}**")
    for key in keys:
        KNOBS.show(key, col, disabled=key == "m_gate_init" and KNOBS.value("m_cell") == "SimpleRNN")
cfgs = KNOBS.configs()
# a reload finds this model, and the run in progress
KNOBS.sync_url(cfgs, {**({"model": view.key} if view is not None and view.key else {}),
                     **({"run": job.id} if job else {})})
setup = sr.setup_from(cfgs["text"], cfgs["model"], cfgs["train"], cfgs["data"])
if data is not None:
    sentiment_data.data_views(data, source_key, setup.text.max_len)

# ---------------------------------------------------------------- 3 · train
st.header("3 · Train live")
from explorer.nn.models import config_problems  # noqa: E402  (TensorFlow loads here, after the data is on screen)

problems = config_problems(setup.model, setup.train)
for problem in problems:
    st.warning(problem)
live.train_section(PAGE, "▶ Train", "sent_train",
                   lambda: JobSpec("sentiment", dict(data=data, source_key=source_key, setup=setup, keep=keep),
                                   work=setup.train.epochs * setup.data.n_train * setup.text.max_len),
                   live.model_curves(metric="accuracy", title="Accuracy", more=(("loss", "Loss"),)),
                   disabled=data is None or bool(problems), start_key=TRAIN_NOW,
                   help="Trains on the server: change knobs, visit other pages or reload meanwhile; Stop keeps what "
                        "it learned.")
if job is not None and job.done and job.status in (DIVERGED, FAILED):
    st.error(job.message)

# ---------------------------------------------------------------- results and the store
if view is not None:
    sentiment_views.model_figures(view, run, data, source_key)
    code_export.sentiment(view)
st.header("Models on this server")
sentiment_views.store_table(view)
