"""Sentiment page: type a review and a trained model answers at once; train your own on IMDB live and look inside.

Thin glue: widgets in, `explorer` calls, figures out. A model is ready the moment a visitor
arrives: the local model store (`explorer.model_store`) keeps every model trained on IMDB here,
so a new session (or the same after a reload or a server restart) answers from the stored model
with the best validation accuracy, and says which model answers. Nothing trained is shipped:
on a fresh machine the first visitor's quick run fills the store. The presets
`explorer.sentiment.QUICK` and `BEST` were chosen on validation reviews; their test accuracy
over 3 seeds is in bench/RESULTS.md and the README.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, replace

import numpy as np
import streamlit as st

from explorer import charts, charts_text, config, settings
from explorer import sentiment_run as sr
from explorer.config import CELLS, OPTIMIZERS, READOUTS, SCHEDULES, ModelConfig, TrainConfig
from explorer.data import datafolder, imdb
from explorer.model_store import ModelStore, StoreProblem
from explorer.sentiment import EXAMPLES, MAX_CHARS, PRESETS, QUICK, DataConfig, Setup
from explorer.text import PADDINGS, TextConfig
from ui.entry import through_app
from ui.guard import friendly
from ui.live import recover, train_live

through_app()

RUN_KEY = "sentiment_run"
REVIEW_KEY = "sentiment_review"
ANSWER_KEY = "sent_answer"  # which model answers: "run" (this session's last run) or a store key
TRAIN_NOW = "sent_train_now"  # set by "Train your own model"; the Train section starts a run
# Knob → the values it offers (URL values snap to the nearest one).
OPTIONS = {"sent_vocab": [2_000, 5_000, 10_000, 20_000], "sent_maxlen": [50, 100, 200, 300, 500],
           "sent_emb": [8, 16, 32, 64, 128], "sent_units": [8, 16, 32, 64, 128], "sent_layers": [1, 2, 3],
           "sent_dropout": [0.0, 0.1, 0.2, 0.3, 0.5], "sent_lr": [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1],
           "sent_batch": [16, 32, 64, 128, 256], "sent_ntrain": [500, 1_000, 2_000, 5_000, 10_000, 25_000],
           "sent_ntest": [500, 1_000, 5_000, 25_000], "sent_padding": list(PADDINGS), "sent_cell": list(CELLS),
           "sent_gate_init": list(config.GATE_INITS),
           "sent_readout": list(READOUTS), "sent_opt": list(OPTIMIZERS), "sent_head_dropout": [0.0, 0.2, 0.3, 0.5],
           "sent_word_dropout": [0.0, 0.1, 0.2, 0.3, 0.5],
           "sent_schedule": list(SCHEDULES)}
IMDB_SOURCE, FOLDER_SOURCE, UPLOAD_SOURCE = "IMDB reviews", "A file in the server's data folder", "My own labelled texts (CSV)"
UPLOAD_MB = int(st.get_option("server.maxUploadSize"))
LIMITS = (f"Limits: an archive up to {imdb.MAX_ARCHIVE_BYTES / 2**20:,.0f} MB that unpacks to at most "
          f"{imdb.MAX_UNPACKED_BYTES / 2**30:,.0f} GB, at most {imdb.MAX_REVIEWS:,} reviews of at most "
          f"{imdb.MAX_REVIEW_BYTES / 2**20:,.0f} MB each; a CSV up to {imdb.MAX_CSV_ROWS:,} rows.")
READOUT_LAST_NOTE = ("The loss is read after the last position. With end padding and no mask, hundreds of zeros "
                     "come after the words and the gradient that reaches the words has vanished by orders of "
                     "magnitude, so a plain RNN stays at chance. Flip *Padding side* and train again to compare.")
READOUT_POOLED_NOTE = ("The loss reads a pool of the states at every position, so each word gets gradient directly, "
                       "not only through time: the curve stays high over the whole review. Set *Readout* to "
                       "*last state* and train again to see the gradient fade towards the first words.")
READOUT_LABELS = {"last": "last state", "mean": "mean of all states", "max": "max of all states",
                  "meanmax": "mean and max of all states"}

st.title("💬 Sentiment: IMDB movie reviews")
st.caption("Type a movie review and a recurrent network trained on the Large Movie Review Dataset "
           "(Maas et al., 2011) tells its sentiment and shows how the prediction moves word by word. "
           "Then train your own below, live, and compare.")

# ---------------------------------------------------------------- settings from the URL
params = st.query_params.to_dict()
t0 = config.from_query(TrainConfig, params, "t_", QUICK.train)  # its seed and patience outlive the knobs
d0 = config.from_query(DataConfig, params, "d_", QUICK.data)


def _query(text: TextConfig, model: ModelConfig, train: TrainConfig, data: DataConfig) -> dict:
    return {**config.to_query(model, "m_"), **config.to_query(train, "t_"), **config.to_query(text, "x_"),
            **config.to_query(data, "d_")}


def _pick(options, value):
    """`value` when it is one of `options`, else the option nearest to it (URLs are typed by people)."""
    if value in options:
        return value
    try:
        return min(options, key=lambda o: abs(float(o) - float(value)))
    except (TypeError, ValueError):
        return options[0]


def _set_knobs(setup: Setup) -> None:
    """Every knob shows `setup` (a preset, or the URL's settings on the first visit)."""
    x, m, t, d = setup.text, setup.model, setup.train, setup.data
    values = {"sent_vocab": x.vocab_size, "sent_maxlen": x.max_len, "sent_padding": x.padding, "sent_mask": x.mask,
              "sent_emb": m.embedding_dim, "sent_cell": m.cell, "sent_gate_init": m.gate_init, "sent_units": m.units, "sent_layers": m.layers,
              "sent_bidir": m.bidirectional, "sent_dropout": m.dropout, "sent_readout": m.readout,
              "sent_head_dropout": m.head_dropout, "sent_word_dropout": m.word_dropout, "sent_schedule": t.schedule,
              "sent_opt": t.optimizer, "sent_lr": t.learning_rate, "sent_batch": t.batch_size,
              "sent_epochs": int(min(10, max(1, t.epochs))), "sent_keep_best": t.patience > 0,
              "sent_ntrain": d.n_train, "sent_ntest": d.n_test}
    for key, value in values.items():
        st.session_state[key] = _pick(OPTIONS[key], value) if key in OPTIONS else value


if "sent_vocab" not in st.session_state:
    _set_knobs(Setup("link", config.from_query(TextConfig, params, "x_", QUICK.text),
                     config.from_query(ModelConfig, params, "m_", QUICK.model), t0, d0))


@st.cache_resource(show_spinner="Loading the IMDB reviews (downloaded once on first use, 84 MB)…", max_entries=2)
def load_imdb(path: str, stamp: str) -> imdb.ImdbData:
    """All reviews from the first available source; `stamp` changes when the file changes."""
    return imdb.load_imdb(path or None)


@st.cache_resource(show_spinner=False, max_entries=3)
def load_csv(data: bytes, name: str) -> imdb.ImdbData:
    import io

    return imdb.read_csv(io.BytesIO(data), name=f"uploaded CSV ({len(data) / 1e6:.1f} MB)", max_bytes=UPLOAD_MB * 2**20)


@st.cache_resource(show_spinner=False, max_entries=2)
def encode(source_key: str, _data: imdb.ImdbData, text_cfg: TextConfig, data_cfg: DataConfig):
    """Subset + adapt the vocabulary on the training reviews + encode; cached per knobs (IMDB also on disk)."""
    from explorer.sentiment import encode_dataset

    if source_key.startswith("imdb:"):
        return sr.encode_cached(_data, text_cfg, data_cfg)
    return encode_dataset(_data, text_cfg, data_cfg)  # an uploaded CSV's encoding is never written to disk


def _usable(run) -> bool:
    return run is not None and "job" in run.record and run.record["job"].test is not None


def _finish(run) -> None:
    """Score a run's test reviews once and store its model (IMDB only); it then answers typed reviews."""
    job = run.record["job"]
    if job.test is None and run.result.epochs_done >= 1 and run.result.status != "diverged":
        with friendly("Testing on held-out reviews"), \
                st.spinner(f"Scoring {len(job.enc.y_test):,} held-out test reviews…"):
            sr.finish(job, run.result, ModelStore() if run.record.get("imdb") else None)
            st.session_state[ANSWER_KEY] = "run"


def answering() -> tuple[sr.ModelView | None, list[str]]:
    """The model that answers typed reviews (this session's run, the one chosen, the link's, or the store's
    default), and one sentence per stored model that could not be used."""
    run = st.session_state.get(RUN_KEY)
    choice = st.session_state.get(ANSWER_KEY)
    if choice is None:  # a new session: the model in the link, else the store's default
        choice = st.session_state[ANSWER_KEY] = str(params.get("model", "")) or "default"
    if choice == "run" and _usable(run):
        return sr.view_of(run.record["job"]), []
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


def _train_own() -> None:
    st.session_state[TRAIN_NOW] = True


# ---------------------------------------------------------------- try it: the model that answers
run = recover(RUN_KEY)
if run is not None and "job" in run.record:
    _finish(run)  # a run stopped by a click is scored and stored here, before it answers
st.header("Try it: type a review")
view, skipped = answering()
for problem in skipped:
    st.warning(problem)
if run is not None and run.result.status == "diverged":
    st.warning("Your last run diverged, so its predictions mean nothing: train again with a smaller learning rate.")
a, b = st.columns([4, 1])
if view is not None:
    m = view.metrics
    a.caption(f"Answering: **{view.label}** · test accuracy {view.test.accuracy:.3f} on {view.test.n:,} test "
              f"reviews · trained {m.get('trained_at', '?')} · "
              + ("a stored model (nothing to train)" if view.stored else "trained in this session"))
b.button("Train your own model", key="sent_train_own", on_click=_train_own, width="stretch",
         help="Starts a run with the settings in section 2 (the quick preset unless you change them).")


def _use_example(text: str) -> None:
    st.session_state[REVIEW_KEY] = text


@st.fragment
def try_it(view: sr.ModelView | None) -> None:
    """The review box and its analysis: typing reruns only this part, so the answer comes at once."""
    cols = st.columns(len(EXAMPLES))
    for col, (name, text) in zip(cols, EXAMPLES.items()):
        col.button(name, key=f"sent_ex_{name}", on_click=_use_example, args=(text,), width="stretch")
    review_text = st.text_area("Your review (plain text; HTML is not rendered)", key=REVIEW_KEY, height=120,
                               placeholder=f"e.g. The plot was thin but the acting was wonderful. (Up to {MAX_CHARS:,} "
                                           "characters are read; a longer paste is cut, with a note.)")

    if view is None:
        st.info("No trained model on this server yet: press **Train your own model** (the quick default takes about "
                "a minute on a 2-core CPU); it is then stored here, ready for every visitor.")
    else:
        with friendly("Reading the review"):
            from explorer import sentiment as sa

            pipe, model = view.pipeline, view.model
            rv = sa.prepare(pipe, review_text)
            if not rv.ok:
                st.info(rv.message)
            else:
                for note in rv.notes:
                    st.info(note)
                p = sa.score(model, rv, pipe.cfg.padding)
                m1, m2, m3 = st.columns(3)
                m1.metric("P(positive)", f"{p:.3f}")
                m2.metric("Sentiment", sa.label_of(p).capitalize(), help="positive when P ≥ 0.5")
                m3.metric("Words read", f"{len(rv.words):,}", help=f"{rv.oov} not in the vocabulary ([UNK])")
                ks, traj = sa.trajectory(model, rv, pipe.cfg)
                st.plotly_chart(charts_text.trajectory(ks, traj, rv.words), width="stretch")
                t1, t2, t3 = st.tabs(["Word influence", "Hidden states", "Hidden-state path (PCA)"])
                with t1:
                    occ = sa.occlusion(model, rv, pipe.cfg)
                    st.plotly_chart(charts_text.word_influence(
                        rv.words, occ, "Occlusion: how much P(positive) drops when the word is removed",
                        "ΔP"), width="stretch")
                    sal = sa.saliency(model, rv, pipe.cfg.padding)
                    st.plotly_chart(charts_text.word_influence(
                        rv.words, sal, "Gradient saliency ‖∂P/∂embedding‖ (how sensitive P is to each word)",
                        "‖∂P/∂e‖", diverging=False), width="stretch")
                    st.caption("Red words pushed towards negative, blue towards positive (occlusion). "
                               "Saliency has no sign: dark = the prediction is sensitive to that word.")
                states = sa.states(model, rv, pipe.cfg.padding)
                with t2:
                    for s_ in states:
                        st.plotly_chart(charts_text.state_heatmap(s_.h, rv.words, f"{s_.layer} ({s_.direction}): h_t over the words"),
                                        width="stretch")
                with t3:
                    last = [s_ for s_ in states if s_.direction == "forward"][-1]
                    pts, share = sa.pca_path(last.h)
                    probs_at = np.interp(np.arange(1, len(rv.words) + 1), ks, traj) if len(ks) else None
                    st.plotly_chart(charts_text.pca_path(pts, rv.words, probs_at, share,
                                                         f"{last.layer}: hidden-state path in 2 PCA dimensions"),
                                    width="stretch")
                    st.caption("Each dot is the hidden state after a word, coloured by the prediction at that point.")


try_it(view)


@st.cache_data(show_spinner=False, max_entries=4)
def review_lengths(source_key: str, _data: imdb.ImdbData) -> np.ndarray:
    return imdb.word_counts(_data.train.texts)


def _stamp(path) -> str:
    try:
        p = imdb.resolve_source(path)
    except imdb.DataProblem:
        return "missing"
    return f"{p}:{p.stat().st_mtime_ns}" if p is not None else "download"


# ---------------------------------------------------------------- 1 · data
st.header("1 · The data")
data = None
source_key = ""
# A visitor never names a server path: the operator's settings decide what the server reads,
# or the visitor picks one of the files the operator put in the data folder, or uploads.
operator, folder_files = settings.Settings(), []
with friendly("Reading the server's data settings"):
    operator = settings.load()
    folder_files = datafolder.list_files(operator.data_dir)
with st.expander("Where the reviews come from", expanded=False):
    choice = st.radio("Train on", [IMDB_SOURCE, *([FOLDER_SOURCE] if folder_files else []), UPLOAD_SOURCE],
                      horizontal=True, key="sent_source")
    picked = st.selectbox("File", folder_files, key="sent_data_file",
                          help="The aclImdb folders, archives and CSVs the server's operator put in its data "
                               "folder.") if choice == FOLDER_SOURCE else None
    if choice == IMDB_SOURCE:
        st.caption(f"The server's copy, set by its operator (`{imdb.ENV_VAR}` or `[data] imdb` in "
                   "`.streamlit/rnn_explorer.toml`), else the project's shared copy, else the original download.")
    upload = st.file_uploader(f"CSV with a text column and a label column (0/1, pos/neg or positive/negative), "
                              f"UTF-8, at most {UPLOAD_MB} MB and {imdb.MAX_CSV_ROWS:,} rows",
                              type=["csv"], key="sent_upload") if choice == UPLOAD_SOURCE else None
    st.caption(LIMITS)
with friendly("Loading the reviews"):
    if choice == UPLOAD_SOURCE:
        if upload is None:
            st.info("Upload a CSV of labelled texts above, or switch back to the IMDB reviews.")
        else:
            raw = upload.getvalue()
            data = load_csv(raw, upload.name)
            source_key = "csv:" + hashlib.sha256(raw).hexdigest()[:16]
    else:
        path = datafolder.resolve(operator.data_dir, picked) if choice == FOLDER_SOURCE else None
        stamp = _stamp(path)
        data = load_imdb(str(path or ""), stamp)
        source_key = f"imdb:{stamp}"

# ---------------------------------------------------------------- 2 · knobs
st.header("2 · The model")
for col, (name, setup) in zip(st.columns(len(PRESETS)), PRESETS.items()):
    col.button(setup.label, key=f"sent_preset_{name}", on_click=_set_knobs, args=(setup,), width="stretch")
c1, c2, c3, c4 = st.columns(4)
O = OPTIONS
with c1:
    st.markdown("**Text**")
    vocab = st.select_slider("Vocabulary (words)", O["sent_vocab"], key="sent_vocab")
    max_len = st.select_slider("Words read per review", O["sent_maxlen"], key="sent_maxlen",
                               help="Longer reviews are cut; shorter ones are padded with zeros.")
    padding = st.radio("Padding side", O["sent_padding"], horizontal=True, key="sent_padding",
                       help="front: zeros before the review, long reviews keep their end (Keras pad_sequences). "
                            "end: zeros after the review (TextVectorization's default).")
    mask = st.checkbox("Mask padding (mask_zero)", key="sent_mask")
with c2:
    st.markdown("**Network**")
    emb = st.select_slider("Embedding size", O["sent_emb"], key="sent_emb")
    cell = st.selectbox("Cell", O["sent_cell"], key="sent_cell")
    gate_init = st.selectbox("Gate-bias initialisation", O["sent_gate_init"], key="sent_gate_init",
                             format_func=config.GATE_INIT_LABELS.get, disabled=cell == "SimpleRNN",
                             help=config.GATE_NOTE + " Here T is the number of words read per review.")
    units = st.select_slider("Units", O["sent_units"], key="sent_units")
    layers = st.select_slider("Stacked layers", O["sent_layers"], key="sent_layers")
    bidir = st.checkbox("Bidirectional", key="sent_bidir")
    word_dropout = st.select_slider("Word dropout", O["sent_word_dropout"], key="sent_word_dropout",
                                    help="While training, each word of a review is blanked with this probability, "
                                         "a fresh choice every epoch: the model sees a different version of each "
                                         "review and cannot memorise its exact words.")
    dropout = st.select_slider("Dropout", O["sent_dropout"], key="sent_dropout",
                               help="Drops a share of the words' embedding values on their way into each recurrent "
                                    "layer, while training only.")
    readout = st.selectbox("Readout", O["sent_readout"], format_func=READOUT_LABELS.get, key="sent_readout",
                           help="What the classifier reads. Last state: the classic RNN; every word's signal must "
                                "travel through time to the end. Mean or max over the states at every word "
                                "(padding left out when masked): each word has a direct path to the loss. Mean and max: "
                                "both, side by side (ULMFiT's concat pooling).")
    head_dropout = st.select_slider("Dropout before the classifier", O["sent_head_dropout"], key="sent_head_dropout",
                                    help="Drops a share of what the classifier reads (the readout), while training "
                                         "only: it cannot lean on a few units.")
with c3:
    st.markdown("**Training**")
    opt = st.selectbox("Optimizer", O["sent_opt"], key="sent_opt")
    lr = st.select_slider("Learning rate", O["sent_lr"], key="sent_lr")
    schedule = st.radio("Learning-rate schedule", O["sent_schedule"], horizontal=True, key="sent_schedule",
                        help="constant: the same step size throughout. cosine: the step size falls along a half "
                             "cosine to 0 by the last epoch, so the final updates are small and the weights settle.")
    batch = st.select_slider("Batch size", O["sent_batch"], key="sent_batch")
    epochs = st.slider("Epochs", 1, 10, key="sent_epochs")
    keep_best = st.checkbox("Stop early, keep the best epoch", key="sent_keep_best",
                            help="Keras EarlyStopping: stop once the validation loss stops falling and keep the "
                                 "weights of the epoch where it was lowest (IMDB models overfit within a few epochs).")
with c4:
    st.markdown("**Reviews used**")
    n_train = st.select_slider("Training reviews", O["sent_ntrain"], key="sent_ntrain",
                               help="10% of them are held out for validation. Fewer = faster, less accurate.")
    n_test = st.select_slider("Test reviews", O["sent_ntest"], key="sent_ntest",
                              help="25,000 = every test review in the copy.")

text_cfg = TextConfig(vocab_size=int(vocab), max_len=int(max_len), padding=padding, mask=bool(mask))
data_cfg = DataConfig(n_train=int(n_train), n_test=int(n_test), seed=d0.seed)
model_cfg = ModelConfig(cell=cell, gate_init=gate_init, units=int(units), layers=int(layers), bidirectional=bool(bidir),
                        dropout=float(dropout), head="binary", vocab_size=int(vocab), embedding_dim=int(emb),
                        mask_zero=bool(mask), readout=readout, head_dropout=float(head_dropout),
                        word_dropout=float(word_dropout))
train_cfg = replace(QUICK.train, optimizer=opt, learning_rate=float(lr), schedule=schedule, batch_size=int(batch),
                    epochs=int(epochs), seed=t0.seed, patience=max(1, t0.patience) if keep_best else 0,
                    jit_compile=t0.jit_compile)  # XLA: the quick preset's, or the link's (used where it pays)
query = _query(text_cfg, model_cfg, train_cfg, data_cfg)
if view is not None and view.key:
    query["model"] = view.key  # a reload or a shared link finds this model again in the store
if query != params:
    st.query_params.from_dict(query)

# ---------------------------------------------------------------- data views (after knobs: they use max_len)
if data is not None:
    with st.container():
        st.caption(f"Source: {data.source}")
        for note in data.notes:
            st.caption(note)
        a, b, c = st.columns(3)
        a.metric("Training reviews", f"{len(data.train):,}")
        b.metric("Test reviews", f"{len(data.test):,}")
        c.metric("Positive share (train)", f"{float(np.mean(data.train.labels)):.0%}")
        f1, f2 = st.columns(2)
        f1.plotly_chart(charts_text.label_balance({"train": data.train.labels, "test": data.test.labels}),
                        width="stretch")
        f2.plotly_chart(charts_text.length_histogram(review_lengths(source_key, data), max_len),
                        width="stretch")
        with st.expander("A few training reviews (plain text)"):
            rng = np.random.default_rng(0)
            for i in rng.choice(len(data.train), size=min(3, len(data.train)), replace=False):
                label = "positive" if data.train.labels[i] else "negative"
                st.caption(f"Review {i + 1} · {label}")
                st.text(data.train.texts[i].replace("<br />", "\n")[:1500])

# ---------------------------------------------------------------- 3 · train
st.header("3 · Train live")
from explorer.models import config_problems  # noqa: E402  (TensorFlow loads here, after the data is on screen)

problems = config_problems(model_cfg, train_cfg)
if problems:
    for problem in problems:
        st.warning(problem)
start = st.button("▶ Train", type="primary", disabled=data is None or bool(problems), key="sent_train")
start = st.session_state.pop(TRAIN_NOW, False) or start
if start and data is not None and not problems:
    with friendly("Training"):
        with st.spinner("Building the vocabulary from the training reviews and encoding them (once per setting)…"):
            enc = encode(source_key, data, text_cfg, data_cfg)
            job = sr.prepare_run(data, Setup("page", text_cfg, model_cfg, train_cfg, data_cfg), encoded=enc)
        live_curves = st.empty()

        def fit(sink, result):
            def both(event):
                sink(event)
                if event.kind == "epoch":
                    live_curves.plotly_chart(charts.loss_curves(result.history, title="Loss", metric="loss"),
                                             width="stretch")
            return sr.fit(job, sink=both, result=result)

        run = train_live(RUN_KEY, job.model, fit, epochs=train_cfg.epochs, metric="accuracy",
                         record={"job": job, "imdb": choice == IMDB_SOURCE}, title="Accuracy")
        live_curves.empty()
        _finish(run)
        st.rerun()  # redraw cleanly: the new model answers above, its curves and test figures below

if run is not None and run.result.status == "diverged":
    st.error(run.result.message)
if view is not None:
    m = view.metrics
    st.subheader(("Your run" if not view.stored else "The stored model answering above") + f": {view.label}")
    if m.get("message"):
        st.info(m["message"])
    history = m.get("history") or {}
    if history:
        g1, g2 = st.columns(2)
        g1.plotly_chart(charts.loss_curves(history, title="Loss", metric="loss"), width="stretch")
        g2.plotly_chart(charts.loss_curves(history, title="Accuracy", metric="accuracy"), width="stretch")
    test = view.test
    a, b = st.columns([1, 2])
    a.metric("Test accuracy", f"{test.accuracy:.3f}",
             help=f"{test.correct:,} of {test.n:,} reviews the model never saw were classified right")
    kept = f" (weights of epoch {m['best_epoch']})" if m.get("best_epoch") else ""
    a.caption(f"{test.correct:,} of {test.n:,} test reviews right. {m.get('epochs_done', '?')} epoch(s){kept}, "
              f"{float(m.get('seconds') or 0):.0f} s, on {m.get('n_train', 0):,} training reviews. "
              f"{m.get('validation', '')}")
    b.plotly_chart(charts_text.confusion_matrix(test.confusion), width="stretch")
    texts = None
    if not view.stored and _usable(run):
        texts, labels = run.record["job"].enc.test_texts, run.record["job"].enc.y_test
    elif data is not None and source_key.startswith("imdb:") and view.stored \
            and view.metrics.get("source") == data.source and len(test.probabilities) == test.n:
        part = sr.split_parts(data, view.setup.data).test
        if len(part) == test.n:
            texts, labels = part.texts, part.labels
    if texts is not None:
        with st.expander("The test reviews it got most confidently wrong (plain text)"):
            from explorer.sentiment import hardest

            for text, truth, p in hardest(texts, labels, test.probabilities, k=3):
                st.caption(f"True label {'positive' if truth else 'negative'} · P(positive) = {p:.3f}")
                st.text(text.replace("<br />", "\n")[:1500])
    probes = m.get("probes") or []
    if probes:
        with st.expander("Why padding side matters: the gradient reaching each word position", expanded=False):
            tc = view.setup.text
            st.markdown(
                "‖∂L/∂h_t‖ of the first recurrent layer for 32 validation reviews, at every input "
                "position, before training (epoch 0) and after each epoch. "
                f"With **{tc.padding}** padding the words of a typical review sit in the shaded band. "
                + (READOUT_LAST_NOTE if view.setup.model.readout == "last" else READOUT_POOLED_NOTE))
            probes = np.asarray(probes, dtype=np.float64)
            lengths = np.asarray(m.get("probe_lengths") or [], dtype=np.int64)
            st.plotly_chart(charts_text.grad_over_positions(probes[-1], lengths if len(lengths) else None, tc.padding),
                            width="stretch")
            st.plotly_chart(charts.heatmap(probes, "‖∂L/∂h_t‖ per epoch (log colour)", "position", "epoch", log=True),
                            width="stretch")
    if run is not None and "job" in run.record and run.record["job"].store_message:
        st.warning(run.record["job"].store_message)

# ---------------------------------------------------------------- the store: every model trained here
st.header("Models on this server")
with friendly("Reading the model store"):
    store = ModelStore()
    entries, damaged = store.entries()
    for problem in damaged:
        st.warning(problem)
    if not entries:
        st.caption("None yet. Every model trained on the IMDB reviews here is stored (models trained on your own "
                   "CSV stay in your session), so the next visitor, a reload or a server restart finds it.")
    else:
        import pandas as pd

        st.dataframe(pd.DataFrame([sr.entry_row(e) for e in entries]), hide_index=True, key="sent_store_table")
        labels = {e.key: f"{sr.entry_row(e)['model']} · trained {e.created}" for e in entries}

        def _answer_with() -> None:
            st.session_state[ANSWER_KEY] = st.session_state["sent_answer_pick"]

        current = view.key if view is not None and view.key in labels else None
        st.selectbox("Answer typed reviews with", list(labels), format_func=labels.get, key="sent_answer_pick",
                     index=list(labels).index(current) if current else None, on_change=_answer_with,
                     placeholder="Choose a stored model")
        st.caption(f"Newest first. The store keeps at most {store.cap / 1e6:,.0f} MB (the least recently used go "
                   "first); a model is loaded with Keras safe mode after a checksum check.")
