"""The sentiment page's first section: a typed review answered at once by the model that answers.

That model is this session's last run, the stored model a person chose or a link names, or the
store's default (`explorer.tasks.sentiment.run`); the review box and its analysis are one fragment, so
typing reruns only that part and never waits for the reviews to load or a model to train (on a session's
first run they are plain widgets instead: see `try_it`).

A session's first answer pauses FIRST_ANSWER_PAUSE_S between its numbers and its charts. A browser's first Plotly
chart loads Plotly's code (4.7 MB, seconds of a slow machine's main thread), and when the numbers and that chart
reach the browser in one go it draws neither until the code has loaded: a new visitor saw P(positive) ~3 s late
in 6 of 28 visits measured (bench/bench_jobs.py); with the pause the numbers are drawn first.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.charts import text as charts_text
from explorer.tasks.sentiment import run as sr
from explorer.tasks.sentiment.reading import EXAMPLES, MAX_CHARS
from explorer.train.model_store import ModelStore, StoreProblem
from ui.entry import first_paint, first_run
from ui.guard import friendly

REVIEW_KEY = "sentiment_review"
VIEW_KEY = "sent_view_tab"  # which view of a typed review is open (only that one is computed)
FIRST_ANSWER_PAUSE_S = 0.3  # a session's first answer: between its numbers and its charts (see the module's note)
ANSWER_KEY = "sent_answer"  # which model answers: "run" (this session's last run) or a store key


def usable(run) -> bool:
    """Whether a session's run was scored on its test reviews (and so can answer)."""
    return run is not None and run.record is not None and run.record.test is not None


def answering(run, link_model: str) -> tuple[sr.ModelView | None, list[str]]:
    """The model that answers typed reviews (this session's run, the one chosen, the link's, or the store's
    default), and one sentence per stored model that could not be used."""
    choice = st.session_state.get(ANSWER_KEY)
    if choice is None:  # a new session: the model in the link, else the store's default
        choice = st.session_state[ANSWER_KEY] = link_model or "default"
    if choice == "run" and usable(run):
        return sr.view_of(run.record), []
    store = ModelStore()
    entries, _ = store.entries()
    skipped = []
    chosen = [e for e in entries if e.key == choice]
    if not chosen and choice not in ("run", "default"):
        skipped.append("The model in the link is no longer stored on this server; the store's default answers instead.")
        st.session_state[ANSWER_KEY] = "default"
    while True:
        entry = chosen.pop(0) if chosen else sr.default_entry(entries)
        if entry is None:
            return None, skipped
        try:
            return sr.open_stored(str(store.root), entry.key, entry.stamp), skipped
        except StoreProblem as err:
            skipped.append(str(err))
        except Exception as err:  # noqa: BLE001 - a stored model must never break the page
            skipped.append(f"Stored model {entry.key} could not be used ({type(err).__name__}) and was skipped.")
        entries = [e for e in entries if e.key != entry.key]


def _use_example(text: str) -> None:
    st.session_state[REVIEW_KEY] = text


def try_it(view: sr.ModelView | None, fragment: bool = True) -> None:
    """The review box and its analysis. As a fragment, typing reruns only this part, so the answer comes at once.

    Not a fragment (`fragment=False`) on a session's first run of the page: Streamlit runs a fragment's rerun
    only after the page's run is over, while a change of a plain widget restarts the page's run, so a review
    typed while the rest of a new visitor's page still loads is answered first."""
    if fragment:
        _review_fragment(view)
    else:
        with st.container():  # where a fragment draws (st.fragment wraps one): the page below keeps its places
            _review(view)


def _review(view: sr.ModelView | None) -> None:
    review_text = st.text_area("Your review (plain text; HTML is not rendered)", key=REVIEW_KEY, height=120,
                               placeholder=f"e.g. The plot was thin but the acting was wonderful. (Up to {MAX_CHARS:,} "
                                           "characters are read; a longer paste is cut, with a note.)")
    # The examples under the box: on a phone their buttons stack, and the box stays on the first screen.
    cols = st.columns(len(EXAMPLES))
    for col, (name, text) in zip(cols, EXAMPLES.items()):
        col.button(name, key=f"sent_ex_{name}", on_click=_use_example, args=(text,), width="stretch")

    if view is None:
        st.info("No trained model on this server yet: press **Train your own model** (the quick default takes about "
                "a minute on a 2-core CPU); it is then stored here, ready for every visitor.")
    else:
        with friendly("Reading the review"):
            from explorer.tasks.sentiment import pca, reading, saliency, word_states

            pipe, model = view.pipeline, view.model
            rv = reading.prepare(pipe, review_text)
            if not rv.ok:
                st.info(rv.message)
            else:
                for note in rv.notes:
                    st.info(note)
                p = reading.score(model, rv, pipe.cfg.padding)
                m1, m2, m3 = st.columns(3)
                m1.metric("P(positive)", f"{p:.3f}")
                m2.metric("Sentiment", reading.label_of(p).capitalize(), help="positive when P ≥ 0.5")
                m3.metric("Words read", f"{len(rv.words):,}", help=f"{rv.oov} not in the vocabulary ([UNK])")
                if first_run("sentiment answer"):  # this browser's first charts: Plotly's code loads
                    first_paint(FIRST_ANSWER_PAUSE_S)
                ks, traj = reading.trajectory(model, rv, pipe.cfg)
                st.plotly_chart(charts_text.trajectory(ks, traj, rv.words), width="stretch")
                # Lazy tabs: only the open one is computed and drawn (the others would cost a new visitor's
                # browser three more charts before the answer settles); a click on another reruns this fragment.
                t1, t2, t3 = st.tabs(["Word influence", "Hidden states", "Hidden-state path (PCA)"], key=VIEW_KEY,
                                     on_change="rerun")
                if t1.open:
                    with t1:
                        occ = reading.occlusion(model, rv, pipe.cfg)
                        st.plotly_chart(charts_text.word_influence(
                            rv.words, occ, "Occlusion: how much P(positive) drops when the word is removed",
                            "ΔP"), width="stretch")
                        sal = saliency.saliency(model, rv, pipe.cfg.padding)
                        st.plotly_chart(charts_text.word_influence(
                            rv.words, sal, "Gradient saliency ‖∂P/∂embedding‖ (how sensitive P is to each word)",
                            "‖∂P/∂e‖", diverging=False), width="stretch")
                        st.caption("Red words pushed towards negative, blue towards positive (occlusion). "
                                   "Saliency has no sign: dark = the prediction is sensitive to that word.")
                states = word_states.states(model, rv, pipe.cfg.padding) if t2.open or t3.open else []
                if t2.open:
                    with t2:
                        for s_ in states:
                            st.plotly_chart(charts_text.state_heatmap(s_.h, rv.words, f"{s_.layer} ({s_.direction}): h_t over the words"),
                                            width="stretch")
                if t3.open:
                    with t3:
                        last = [s_ for s_ in states if s_.direction == "forward"][-1]
                        pts, share = pca.pca_path(last.h)
                        probs_at = np.interp(np.arange(1, len(rv.words) + 1), ks, traj) if len(ks) else None
                        st.plotly_chart(charts_text.pca_path(pts, rv.words, probs_at, share,
                                                             f"{last.layer}: hidden-state path in 2 PCA dimensions"),
                                        width="stretch")
                        st.caption("Each dot is the hidden state after a word, coloured by the prediction at that point.")


_review_fragment = st.fragment(_review)  # later runs: typing reruns only the answer
