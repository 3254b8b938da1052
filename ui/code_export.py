"""“The code”: a finished run as a plain Keras script beside its results, with a copy button and downloads.

One section for every page: `show` draws a `explorer.export.script.Script` (written once per run, kept
beside it) as code with Streamlit's copy button, and offers it as a `.py` file and a Jupyter notebook.
The pages call `time_series`, `sentiment` or `lab` with their run, one line each.
"""
from __future__ import annotations

import weakref
from typing import Callable

import streamlit as st

from ui.guard import friendly

TITLE = "🐍 The code: this run as a plain Keras script"
CAPTION = ("The run you see, as a short script that needs Keras (with TensorFlow), numpy and pandas, not this app: the "
           "data, the same split, the same model and training, the test score against rules that learn nothing. Copy it "
           "(the icon at its top right) or download it, and run it in your own notebook or on your own data. The page's "
           "link gives the same script. It draws its own random start, so its numbers vary as another seed's would.")


def show(key: str, run: object, write: Callable[[], object]) -> None:
    """The script of `run` (written by `write()` the first time it is shown, then kept), code and downloads."""
    cache, script = st.session_state.get(f"{key}_script"), None
    if cache is not None and cache[0]() is run:
        script = cache[1]
    else:
        with friendly("Writing this run's code"):
            script = write()
            st.session_state[f"{key}_script"] = (weakref.ref(run), script)  # weak: the run's model may go back
    if script is None:  # writing it failed, and `friendly` said why
        return
    text = script.to_py()
    with st.expander(TITLE, expanded=False):
        st.caption(CAPTION)
        a, b = st.columns(2)
        a.download_button("Script (.py)", text, file_name=f"{script.file_stem}.py", mime="text/x-python",
                          on_click="ignore", key=f"{key}_dl_py", icon=":material/download:")
        b.download_button("Notebook (.ipynb)", script.to_ipynb, file_name=f"{script.file_stem}.ipynb",
                          mime="application/x-ipynb+json", on_click="ignore", key=f"{key}_dl_ipynb",
                          icon=":material/download:")
        st.code(text, language="python", line_numbers=False)


def time_series(record) -> None:
    """A time-series run (`explorer.tasks.series.run.SeriesRecord`)."""
    from explorer.export.series_code import series_script

    show("ts", record, lambda: series_script(record))


def sentiment(view) -> None:
    """The sentiment model answering on the page (`explorer.tasks.sentiment.run.ModelView`): trained here or stored."""
    from explorer.export.sentiment_code import sentiment_script
    from explorer.tasks.sentiment.origin import stored_source

    origin = view.origin or stored_source(view.metrics.get("validation", ""))
    show("sent", view.model, lambda: sentiment_script(view.setup, origin))


def lab(lab_run) -> None:
    """A gradient-lab run (`explorer.tasks.lab.arch.LabRun`): every cell it trained."""
    from explorer.export.lab_code import lab_script

    show("gl", lab_run, lambda: lab_script(lab_run.cfg, list(lab_run.archs)))
