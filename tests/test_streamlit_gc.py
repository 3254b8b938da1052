"""The server does no full garbage collection after each script run (`.streamlit/config.toml`, runner.postScriptGC).

Every live page reruns its fragment every second while a run trains; Streamlit's default collects all
generations after each of those runs, holding the GIL while the training threads wait.
"""
import inspect
from pathlib import Path

from streamlit import config
from streamlit.runtime.scriptrunner import script_runner

ROOT = Path(__file__).resolve().parents[1]


def test_the_project_config_turns_the_post_run_collection_off(monkeypatch):
    monkeypatch.chdir(ROOT)  # Streamlit reads the project's .streamlit/config.toml from the working directory
    try:
        options = config.get_config_options(force_reparse=True)
        assert options["runner.postScriptGC"].value is False
        assert "config.toml" in options["runner.postScriptGC"].where_defined
    finally:
        monkeypatch.undo()
        config.get_config_options(force_reparse=True)


def test_streamlit_still_collects_after_a_run_only_when_that_option_says_so():
    """Fails on a Streamlit upgrade that renames the option or moves the collection elsewhere."""
    source = inspect.getsource(script_runner.ScriptRunner._on_script_finished)
    assert 'config.get_option("runner.postScriptGC")' in source and "gc.collect(" in source
