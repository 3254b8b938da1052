"""Turn any failure into one clear sentence on the page: never a traceback."""
from __future__ import annotations

import contextlib
import logging

import streamlit as st

log = logging.getLogger("rnn_explorer")


class UserError(ValueError):
    """A problem with what the person chose or uploaded; its message is shown as is."""


@contextlib.contextmanager
def friendly(what: str):
    """Run a block; on error show `what` failed and why, log the traceback, keep the page alive.

    Streamlit's own control-flow exceptions (rerun, stop) pass through untouched.
    """
    try:
        yield
    except (UserError, ValueError) as err:
        st.error(f"{what}: {err}", icon="⚠️")
    except Exception as err:  # noqa: BLE001 - the page must survive anything
        if type(err).__module__.startswith("streamlit"):
            raise
        log.exception("%s failed", what)
        st.error(f"{what} failed unexpectedly ({type(err).__name__}). "
                 "The rest of the page still works; try other settings.", icon="⚠️")
