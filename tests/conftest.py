"""Shared test set-up: quiet TensorFlow, paths to the offline datasets."""
import atexit
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Models and encodings the tests store go to a throw-away cache, never the user's (the app and the
# browser tests' server inherit this); a test that needs an empty store sets its own.
os.environ["RNN_EXPLORER_CACHE"] = tempfile.mkdtemp(prefix="rnn-explorer-test-cache-")
atexit.register(shutil.rmtree, os.environ["RNN_EXPLORER_CACHE"], True)

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """../shared/datasets, or skip when this machine has no offline copy."""
    if not (SHARED / "aclImdb_v1.tar.gz").exists():
        pytest.skip("../shared/datasets is not present on this machine")
    return SHARED
