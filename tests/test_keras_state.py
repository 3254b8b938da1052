"""Streamlit's end-of-run Keras clean-up must not reach runs that train in job threads (ui.streamlit_private)."""
import inspect

import keras
from streamlit.runtime.scriptrunner import script_runner
from streamlit.testing.v1 import AppTest

from ui.streamlit_private import keep_keras_state


def _next_name() -> str:
    return keras.layers.Dense(1).name


def test_streamlit_still_clears_the_keras_session_after_every_run():
    """Fails on a Streamlit upgrade that renames or drops the clean-up keep_keras_state turns away."""
    source = inspect.getsource(script_runner._clean_problem_modules)
    assert "clear_session()" in source and "keras" in source
    assert "_clean_problem_modules" in inspect.getsource(script_runner.ScriptRunner._run_script)


def test_a_script_run_leaves_keras_state_alone_and_a_deliberate_clear_still_works():
    keep_keras_state()
    keep_keras_state()  # idempotent: one wrapper, not two
    assert keras.backend.clear_session.__wrapped__.__name__ == "clear_session"
    keras.backend.clear_session()
    first = _next_name()
    assert first == "dense"  # a deliberate call resets the layer-name counter
    at = AppTest.from_string("import keras\nkeras.layers.Dense(1)\n").run()  # its run ends with Streamlit's clean-up
    assert not at.exception
    script_runner._clean_problem_modules()
    assert _next_name() not in (first, "dense")  # the counter went on: no clean-up reset it
