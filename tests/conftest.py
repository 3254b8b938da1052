"""Shared test set-up: quiet TensorFlow, paths to the offline datasets."""
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """../shared/datasets, or skip when this machine has no offline copy."""
    if not (SHARED / "aclImdb_v1.tar.gz").exists():
        pytest.skip("../shared/datasets is not present on this machine")
    return SHARED
