"""The sentiment page's results: the answering model's figures (curves, test accuracy, confusion matrix,
the reviews it got most wrong, the gradient over word positions), and the table of stored models."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from explorer.charts import common as charts
from explorer.charts import text as charts_text
from explorer.tasks.sentiment import run as sr
from explorer.train.model_store import ModelStore
from ui.guard import friendly
from explorer.train.runner import TrainedRun
from ui.sentiment_try import ANSWER_KEY, usable

READOUT_LAST_NOTE = ("The loss is read after the last position. With end padding and no mask, hundreds of zeros "
                     "come after the words and the gradient that reaches the words has vanished by orders of "
                     "magnitude, so a plain RNN stays at chance. Flip *Padding side* and train again to compare.")
READOUT_POOLED_NOTE = ("The loss reads a pool of the states at every position, so each word gets gradient directly, "
                       "not only through time: the curve stays high over the whole review. Set *Readout* to "
                       "*last state* and train again to see the gradient fade towards the first words.")


def model_figures(view: sr.ModelView, run: TrainedRun | None, data, source_key: str) -> None:
    """What the answering model was trained on and how it scores on the test reviews it never saw."""
    m = view.metrics
    st.subheader(("Your run" if not view.stored else "The stored model answering above") + f": {view.label}")
    if m.get("message"):
        st.info(m["message"])
    history = m.get("history") or {}
    if history:
        g1, g2 = st.columns(2)
        batches = m.get("batch_history") or {}
        g1.plotly_chart(charts.loss_curves(history, title="Loss", metric="loss", batches=batches), width="stretch")
        g2.plotly_chart(charts.loss_curves(history, title="Accuracy", metric="accuracy", batches=batches),
                        width="stretch")
    test = view.test
    a, b = st.columns([1, 2])
    a.metric("Test accuracy", f"{test.accuracy:.3f}",
             help=f"{test.correct:,} of {test.n:,} reviews the model never saw were classified right")
    kept = f" (weights of epoch {m['best_epoch']})" if m.get("best_epoch") else ""
    a.caption(f"{test.correct:,} of {test.n:,} test reviews right. {m.get('epochs_done', '?')} epoch(s){kept}, "
              f"{float(m.get('seconds') or 0):.0f} s, on {m.get('n_train', 0):,} training reviews. "
              f"{m.get('validation', '')}")
    b.plotly_chart(charts_text.confusion_matrix(test.confusion), width="stretch")
    _hardest(view, run, data, source_key)
    _gradient_over_positions(view)
    if usable(run) and run.record.store_message:
        st.warning(run.record.store_message)


def _hardest(view: sr.ModelView, run: TrainedRun | None, data, source_key: str) -> None:
    test, texts = view.test, None
    if not view.stored and usable(run):
        texts, labels = run.record.enc.test_texts, run.record.enc.y_test
    elif data is not None and source_key.startswith("imdb:") and view.stored \
            and view.metrics.get("source") == data.source and len(test.probabilities) == test.n:
        part = sr.split_parts(data, view.setup.data).test
        if len(part) == test.n:
            texts, labels = part.texts, part.labels
    if texts is not None:
        with st.expander("The test reviews it got most confidently wrong (plain text)"):
            from explorer.tasks.sentiment.evaluation import hardest

            for text, truth, p in hardest(texts, labels, test.probabilities, k=3):
                st.caption(f"True label {'positive' if truth else 'negative'} · P(positive) = {p:.3f}")
                st.text(text.replace("<br />", "\n")[:1500])


def _gradient_over_positions(view: sr.ModelView) -> None:
    m = view.metrics
    probes = m.get("probes") or []
    if not probes:
        return
    # Lazy: its two charts are drawn only once it is opened (a click reruns the page), not for every visitor.
    box = st.expander("Why padding side matters: the gradient reaching each word position", expanded=False,
                      key="sent_grad_open", on_change="rerun")
    if not box.open:
        return
    with box:
        tc = view.setup.text
        n_reviews = len(m.get("probe_lengths") or []) or sr.PROBE_REVIEWS  # the reviews the run's probe read
        st.markdown(
            f"‖∂L/∂h_t‖ of the first recurrent layer for {n_reviews} validation reviews, at every input "
            "position, before training (epoch 0) and after each epoch. "
            f"With **{tc.padding}** padding the words of a typical review sit in the shaded band. "
            + (READOUT_LAST_NOTE if view.setup.model.readout == "last" else READOUT_POOLED_NOTE))
        probes = np.asarray(probes, dtype=np.float64)
        lengths = np.asarray(m.get("probe_lengths") or [], dtype=np.int64)
        st.plotly_chart(charts_text.grad_over_positions(probes[-1], lengths if len(lengths) else None, tc.padding),
                        width="stretch")
        st.plotly_chart(charts.heatmap(probes, "‖∂L/∂h_t‖ per epoch (log colour)", "position", "epoch", log=True),
                        width="stretch")


def _answer_with() -> None:
    st.session_state[ANSWER_KEY] = st.session_state["sent_answer_pick"]


def store_table(view: sr.ModelView | None) -> None:
    """Every model trained on IMDB here, newest first, and the choice of which one answers."""
    with friendly("Reading the model store"):
        store = ModelStore()
        entries, damaged = store.entries()
        for problem in damaged:
            st.warning(problem)
        if not entries:
            st.caption("None yet. Every model trained on the IMDB reviews here is stored (models trained on your own "
                       "CSV stay in your session), so the next visitor, a reload or a server restart finds it.")
            return
        st.dataframe(pd.DataFrame([sr.entry_row(e) for e in entries]), hide_index=True, key="sent_store_table")
        labels = {e.key: f"{sr.entry_row(e)['model']} · trained {e.created}" for e in entries}
        current = view.key if view is not None and view.key in labels else None
        st.selectbox("Answer typed reviews with", list(labels), format_func=labels.get, key="sent_answer_pick",
                     index=list(labels).index(current) if current else None, on_change=_answer_with,
                     placeholder="Choose a stored model")
        st.caption(f"Newest first. The store keeps at most {store.cap / 1e6:,.0f} MB (the least recently used go "
                   "first); a model is loaded with Keras safe mode after a checksum check.")
