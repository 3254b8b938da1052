"""Sentiment page: type a review and a trained model answers at once; train your own on IMDB live and look inside.

Try it first (ui.sentiment_try: a fragment, never waiting for the reviews or TensorFlow-heavy
sections) → data (ui.sentiment_data) → knobs (ui.knobs, all in the link) → train live
(explorer.sentiment_run through ui.live) → results (ui.sentiment_views). A model is ready the moment
a visitor arrives: the local model store keeps every model trained on IMDB here, and the one with
the best validation accuracy answers. The presets `explorer.sentiment.QUICK` and `BEST` were chosen
on validation reviews; their test accuracy over 3 seeds is in bench/RESULTS.md and the README.
"""
from __future__ import annotations

import streamlit as st

from ui.entry import page_start

loading = page_start("💬 Sentiment: IMDB movie reviews",
                     "Type a movie review and a recurrent network trained on the Large Movie Review Dataset "
                     "(Maas et al., 2011) tells its sentiment and shows how the prediction moves word by word. "
                     "Then train your own below, live, and compare.")

from explorer import sentiment_run as sr  # noqa: E402
from explorer.model_store import ModelStore  # noqa: E402
from explorer.sentiment import PRESETS  # noqa: E402
from ui import knobs as K  # noqa: E402
from ui import sentiment_data, sentiment_views  # noqa: E402
from ui.guard import friendly  # noqa: E402
from ui.live import DIVERGED, clicks_first, recover, top_first, train_live  # noqa: E402
from ui.sentiment_try import ANSWER_KEY, answering, try_it  # noqa: E402

RUN_KEY = "sentiment_run"
TOP_DRAWN = "sent_top_drawn"  # set by the session's first page run, which sends the top first
TRAIN_NOW = "sent_train_now"  # set by "Train your own model"; the Train section starts a run
KNOBS = K.SENTIMENT
COLUMNS = {"Text": ("x_vocab_size", "x_max_len", "x_padding", "x_mask"),
           "Network": ("m_embedding_dim", "m_embedding_init", "m_cell", "m_gate_init", "m_units", "m_layers",
                       "m_bidirectional", "m_word_dropout", "m_dropout", "m_readout", "m_head_dropout"),
           "Training": ("t_optimizer", "t_learning_rate", "t_schedule", "t_batch_size", "t_epochs", "t_patience"),
           "Reviews used": ("d_n_train", "d_n_test")}


def _finish(run) -> None:
    """Score a run's test reviews once and store its model (IMDB only); it then answers typed reviews."""
    job = run.record
    if job.test is None and run.result.epochs_done >= 1 and run.result.status != DIVERGED:
        with friendly("Testing on held-out reviews"), st.spinner(f"Scoring {len(job.enc.y_test):,} held-out test reviews…"):
            sr.finish(job, run.result, ModelStore() if job.keep else None)
            st.session_state[ANSWER_KEY] = "run"


def _train_own() -> None:
    st.session_state[TRAIN_NOW] = True


# ---------------------------------------------------------------- try it: the model that answers
KNOBS.start()
loading.empty()
run = recover(RUN_KEY)
if run is not None:
    _finish(run)  # a run stopped by a click is scored and stored here, before it answers
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
              + ("a stored model (nothing to train)" if view.stored else "trained in this session"))
b.button("Train your own model", key="sent_train_own", on_click=_train_own, width="stretch",
         help="Starts a run with the settings in section 2 (the quick preset unless you change them).")
try_it(view)

# ---------------------------------------------------------------- 1 · data, 2 · knobs
# (top_first: a new visitor's browser draws the box before the rest arrives; clicks_first: a review typed
# while the rest of the page still loads is answered first, not after it)
top_first(TOP_DRAWN)
st.header("1 · The data")
data, source_key, keep = sentiment_data.reviews()
clicks_first()
st.header("2 · The model")
for col, (name, setup) in zip(st.columns(len(PRESETS)), PRESETS.items()):
    col.button(setup.label, key=f"sent_preset_{name}", on_click=KNOBS.apply, width="stretch",
               args=({"text": setup.text, "model": setup.model, "train": setup.train, "data": setup.data},))
for col, (title, keys) in zip(st.columns(len(COLUMNS)), COLUMNS.items()):
    col.markdown(f"**{title}**")
    for key in keys:
        KNOBS.show(key, col, disabled=key == "m_gate_init" and KNOBS.value("m_cell") == "SimpleRNN")
cfgs = KNOBS.configs()
KNOBS.sync_url(cfgs, {"model": view.key} if view is not None and view.key else {})  # a reload finds this model
setup = sr.setup_from(cfgs["text"], cfgs["model"], cfgs["train"], cfgs["data"])
if data is not None:
    sentiment_data.data_views(data, source_key, setup.text.max_len)
clicks_first()

# ---------------------------------------------------------------- 3 · train
st.header("3 · Train live")
from explorer.models import config_problems  # noqa: E402  (TensorFlow loads here, after the data is on screen)

problems = config_problems(setup.model, setup.train)
for problem in problems:
    st.warning(problem)
start = st.button("▶ Train", type="primary", disabled=data is None or bool(problems), key="sent_train")
if (st.session_state.pop(TRAIN_NOW, False) or start) and data is not None and not problems:
    with friendly("Training"):
        with st.spinner("Building the vocabulary from the training reviews and encoding them (once per setting)…"):
            job = sr.prepare_run(data, setup, encoded=sentiment_data.encode(source_key, data, setup.text, setup.data),
                                 pooled=True)
            job.keep = keep
        run = train_live(RUN_KEY, lambda: (job.model, lambda sink, result: sr.fit(job, sink=sink, result=result), job),
                         epochs=setup.train.epochs, metric="accuracy", title="Accuracy", more=(("loss", "Loss"),),
                         work=setup.train.epochs * len(job.enc.y_train) * setup.text.max_len)
        _finish(run)
        st.rerun()  # redraw cleanly: the new model answers above, its curves and test figures below

# ---------------------------------------------------------------- results and the store
if run is not None and run.result.status == DIVERGED:
    st.error(run.result.message)
clicks_first()
if view is not None:
    sentiment_views.model_figures(view, run, data, source_key)
clicks_first()
st.header("Models on this server")
sentiment_views.store_table(view)
