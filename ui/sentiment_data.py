"""The sentiment page's data step: the reviews a run trains on (the server's IMDB copy, a file the operator
put in its data folder, or a person's labelled CSV), loaded once and cached, and their encoding per knobs.

A visitor never names a server path: the operator's settings decide what the server reads.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io

import numpy as np
import streamlit as st

from explorer.charts import text as charts_text
from explorer.data import datafolder, imdb
from explorer.data.text_pipeline import TextConfig
from explorer.server import settings
from explorer.tasks.sentiment import run as sr
from explorer.tasks.sentiment.presets import DataConfig
from ui.guard import friendly

IMDB_SOURCE, FOLDER_SOURCE, UPLOAD_SOURCE = "IMDB reviews", "A file in the server's data folder", "My own labelled texts (CSV)"
UPLOAD_MB = int(st.get_option("server.maxUploadSize"))
LIMITS = (f"Limits: an archive up to {imdb.MAX_ARCHIVE_BYTES / 2**20:,.0f} MB that unpacks to at most "
          f"{imdb.MAX_UNPACKED_BYTES / 2**30:,.0f} GB, at most {imdb.MAX_REVIEWS:,} reviews of at most "
          f"{imdb.MAX_REVIEW_BYTES / 2**20:,.0f} MB each; a CSV up to {imdb.MAX_CSV_ROWS:,} rows.")


@st.cache_resource(show_spinner="Loading the IMDB reviews (downloaded once on first use, 84 MB)…", max_entries=2)
def load_imdb(path: str, stamp: str) -> imdb.ImdbData:
    """All reviews from the first available source; `stamp` changes when the file changes."""
    return imdb.load_imdb(path or None)


@st.cache_resource(show_spinner=False, max_entries=3)
def load_csv(data: bytes, name: str) -> imdb.ImdbData:
    read = imdb.read_csv(io.BytesIO(data), name=f"uploaded CSV ({len(data) / 1e6:.1f} MB)", max_bytes=UPLOAD_MB * 2**20)
    return dataclasses.replace(read, file_name=name)  # the run's script reads the file by the name it was uploaded as


@st.cache_resource(show_spinner=False, max_entries=2)
def encode(source_key: str, _data: imdb.ImdbData, text_cfg: TextConfig, data_cfg: DataConfig):
    """Subset + adapt the vocabulary on the training reviews + encode; cached per knobs (IMDB also on disk)."""
    from explorer.tasks.sentiment.encoding import encode_dataset

    if source_key.startswith("imdb:"):
        return sr.encode_cached(_data, text_cfg, data_cfg)
    return encode_dataset(_data, text_cfg, data_cfg)  # an uploaded CSV's encoding is never written to disk


@st.cache_data(show_spinner=False, max_entries=4)
def review_lengths(source_key: str, _data: imdb.ImdbData) -> np.ndarray:
    return imdb.word_counts(_data.train.texts)


def _stamp(path) -> str:
    try:
        p = imdb.resolve_source(path)
    except imdb.DataProblem:
        return "missing"
    return f"{p}:{p.stat().st_mtime_ns}" if p is not None else "download"


def reviews() -> tuple[imdb.ImdbData | None, str, bool]:
    """The reviews chosen, a key naming their source ("imdb:…" or "csv:…"), and whether a model trained on them
    is stored for every visitor (the server's IMDB copy only); None and "" when there are none."""
    data, source_key = None, ""
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
            path = datafolder.resolve(operator.data_dir, picked) if choice == FOLDER_SOURCE else settings.load().imdb
            stamp = _stamp(path)
            data = load_imdb(str(path or ""), stamp)
            source_key = f"imdb:{stamp}"
    return data, source_key, choice == IMDB_SOURCE


def data_views(data: imdb.ImdbData, source_key: str, max_len: int) -> None:
    """How many reviews, their labels and lengths (against the words read), and a few of them."""
    st.caption(f"Source: {data.source}")
    for note in data.notes:
        st.caption(note)
    a, b, c = st.columns(3)
    a.metric("Training reviews", f"{len(data.train):,}")
    b.metric("Test reviews", f"{len(data.test):,}")
    c.metric("Positive share (train)", f"{float(np.mean(data.train.labels)):.0%}")
    f1, f2 = st.columns(2)
    f1.plotly_chart(charts_text.label_balance({"train": data.train.labels, "test": data.test.labels}), width="stretch")
    f2.plotly_chart(charts_text.length_histogram(review_lengths(source_key, data), max_len), width="stretch")
    with st.expander("A few training reviews (plain text)"):
        rng = np.random.default_rng(0)
        for i in rng.choice(len(data.train), size=min(3, len(data.train)), replace=False):
            st.caption(f"Review {i + 1} · {'positive' if data.train.labels[i] else 'negative'}")
            st.text(data.train.texts[i].replace("<br />", "\n")[:1500])
