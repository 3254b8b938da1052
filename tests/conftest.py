"""Shared test set-up: quiet TensorFlow, a throw-away model cache, paths to the offline datasets,
every page error checked.

Under CI (CI=true) nothing is skipped for want of data: a missing ../shared/datasets fails
the run with a message that says what to provide.
"""
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

import alerts  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"

alerts.install()  # every AppTest run fails on an error or exception the test did not expect


def in_ci() -> bool:
    """True when the run is CI's (CI=true/1/yes), where a missing prerequisite must fail, not skip."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def skip_or_fail(reason: str) -> None:
    """Skip with `reason` on a developer's machine; fail with it under CI."""
    if in_ci():
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fresh_alert_expectations():
    alerts.reset()
    yield
    alerts.reset()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    from browser.harness import find_chromium

    path = find_chromium()
    if path is None:
        skip_or_fail("Debian's chromium is not installed (python3 dev.py test installs it when run as "
                     "root; or: sudo apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    """One headless Chromium per test process: Playwright's sync API allows one at a time in a thread."""
    from playwright.sync_api import sync_playwright

    from browser.harness import launch_chromium

    with sync_playwright() as pw:
        chromium = launch_chromium(pw, chromium_path)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """../shared/datasets; skipped when this machine has no offline copy, a failure under CI."""
    if not (SHARED / "aclImdb_v1.tar.gz").exists():
        skip_or_fail(f"the offline datasets are missing: {SHARED / 'aclImdb_v1.tar.gz'} "
                     "(CI reads IMDB from ../shared/datasets next to the project; see its README)")
    return SHARED
