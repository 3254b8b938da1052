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

from explorer import config  # noqa: E402
from explorer import sentiment_run as sr  # noqa: E402
from explorer.config import READOUTS, SCHEDULES  # noqa: E402
from explorer.model_store import ModelStore  # noqa: E402
from explorer.sentiment import PRESETS, QUICK  # noqa: E402
from explorer.text import PADDINGS  # noqa: E402
from ui import knobs as K  # noqa: E402
from ui import sentiment_data, sentiment_views  # noqa: E402
from ui.guard import friendly  # noqa: E402
from ui.live import DIVERGED, recover, train_live  # noqa: E402
from ui.sentiment_try import ANSWER_KEY, answering, try_it  # noqa: E402

RUN_KEY = "sentiment_run"
TRAIN_NOW = "sent_train_now"  # set by "Train your own model"; the Train section starts a run
RATES = (0.0, 0.1, 0.2, 0.3, 0.5)
KNOBS = K.Panel("sent", widget_prefix="sent_", extra_url_keys=("model",), parts={
    "text": K.Part("x_", QUICK.text, (
        K.Knob("vocab_size", "Vocabulary (words)", "select_slider", (2_000, 5_000, 10_000, 20_000)),
        K.Knob("max_len", "Words read per review", "select_slider", (50, 100, 200, 300, 500),
               help="Longer reviews are cut; shorter ones are padded with zeros."),
        K.Knob("padding", "Padding side", "radio", tuple(PADDINGS), horizontal=True,
               help="front: zeros before the review, long reviews keep their end (Keras pad_sequences). "
                    "end: zeros after the review (TextVectorization's default)."),
        K.Knob("mask", "Mask padding (mask_zero)", "checkbox"),
    )),
    "model": K.Part("m_", QUICK.model, (
        K.Knob("embedding_dim", "Embedding size", "select_slider", (8, 16, 32, 64, 128)),
        K.CELL,
        K.GATE_INIT.at(label="Gate-bias initialisation", help=config.GATE_NOTE + " Here T is the number of words "
                                                                                 "read per review."),
        K.UNITS.at(label="Units", widget="select_slider", options=(8, 16, 32, 64, 128)),
        K.LAYERS.at(widget="select_slider", options=(1, 2, 3)),
        K.BIDIRECTIONAL,
        K.Knob("word_dropout", "Word dropout", "select_slider", RATES,
               help="While training, each word of a review is blanked with this probability, a fresh choice every "
                    "epoch: the model sees a different version of each review and cannot memorise its exact words."),
        K.DROPOUT.at(widget="select_slider", options=RATES, help="Drops a share of the words' embedding values on "
                     "their way into each recurrent layer, while training only."),
        K.Knob("readout", "Readout", "select", READOUTS, labels=sr.READOUT_WORDS,
               help="What the classifier reads. Last state: the classic RNN; every word's signal must travel "
                    "through time to the end. Mean or max over the states at every word (padding left out when "
                    "masked): each word has a direct path to the loss. Mean and max: both, side by side "
                    "(ULMFiT's concat pooling)."),
        K.Knob("head_dropout", "Dropout before the classifier", "select_slider", (0.0, 0.2, 0.3, 0.5),
               help="Drops a share of what the classifier reads (the readout), while training only: it cannot "
                    "lean on a few units."),
    )),
    "train": K.Part("t_", QUICK.train, (
        K.OPTIMIZER,
        K.LEARNING_RATE.at(widget="select_slider", options=(1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1)),
        K.Knob("schedule", "Learning-rate schedule", "radio", SCHEDULES, horizontal=True,
               help="constant: the same step size throughout. cosine: the step size falls along a half cosine to "
                    "0 by the last epoch, so the final updates are small and the weights settle."),
        K.BATCH_SIZE.at(widget="select_slider", options=(16, 32, 64, 128, 256)),
        K.EPOCHS.at(widget="slider", hi=10, step=1),
        K.PATIENCE.at(label="Stop early, keep the best epoch", widget="checkbox", options=(0, 1),
                      help="Keras EarlyStopping: stop once the validation loss stops falling and keep the weights "
                           "of the epoch where it was lowest (IMDB models overfit within a few epochs)."),
    )),
    "data": K.Part("d_", QUICK.data, (
        K.Knob("n_train", "Training reviews", "select_slider", (500, 1_000, 2_000, 5_000, 10_000, 25_000),
               help="10% of them are held out for validation. Fewer = faster, less accurate."),
        K.Knob("n_test", "Test reviews", "select_slider", (500, 1_000, 5_000, 25_000),
               help="25,000 = every test review in the copy."),
    )),
})
COLUMNS = {"Text": ("x_vocab_size", "x_max_len", "x_padding", "x_mask"),
           "Network": ("m_embedding_dim", "m_cell", "m_gate_init", "m_units", "m_layers", "m_bidirectional",
                       "m_word_dropout", "m_dropout", "m_readout", "m_head_dropout"),
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
KNOBS.sync_url(cfgs, {"model": view.key} if view is not None and view.key else {})  # a reload finds this model
setup = sr.setup_from(cfgs["text"], cfgs["model"], cfgs["train"], cfgs["data"])
if data is not None:
    sentiment_data.data_views(data, source_key, setup.text.max_len)

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
            job = sr.prepare_run(data, setup, encoded=sentiment_data.encode(source_key, data, setup.text, setup.data))
            job.keep = keep
        run = train_live(RUN_KEY, job.model, lambda sink, result: sr.fit(job, sink=sink, result=result),
                         epochs=setup.train.epochs, record=job, metric="accuracy", title="Accuracy",
                         more=(("loss", "Loss"),))
        _finish(run)
        st.rerun()  # redraw cleanly: the new model answers above, its curves and test figures below

# ---------------------------------------------------------------- results and the store
if run is not None and run.result.status == DIVERGED:
    st.error(run.result.message)
if view is not None:
    sentiment_views.model_figures(view, run, data, source_key)
st.header("Models on this server")
sentiment_views.store_table(view)
