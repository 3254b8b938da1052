"""The design card's split: the engine never imports streamlit; cheap modules never import TensorFlow."""
import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def _imports(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_engine_never_imports_streamlit():
    for path in sorted((ROOT / "explorer").rglob("*.py")):
        text = path.read_text()
        assert "import streamlit" not in text and "from streamlit" not in text, path


def test_config_data_and_charts_load_without_tensorflow():
    mods = _imports("import explorer.nn.config, explorer.charts.common, explorer.data.windows, explorer.data.synthetic")
    assert "tensorflow" not in mods and "keras" not in mods and "streamlit" not in mods


def test_home_page_script_does_not_import_tensorflow_itself():
    text = Path(ROOT / "app.py").read_text()
    assert "import tensorflow" not in text and "import keras" not in text


def test_settings_queue_and_data_readers_load_without_tensorflow_or_streamlit():
    mods = _imports("import explorer.server.settings, explorer.server.run_queue, explorer.data.imdb, explorer.data.datafolder")
    assert "tensorflow" not in mods and "keras" not in mods and "streamlit" not in mods


def test_the_script_writers_load_without_tensorflow_or_streamlit():
    mods = _imports("import explorer.export.series_code, explorer.export.csv_code, explorer.export.sentiment_code, "
                    "explorer.export.lab_code")
    assert "tensorflow" not in mods and "keras" not in mods and "streamlit" not in mods
