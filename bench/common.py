"""What every bench module shares: the project's root on the import path, and a result row.

A bench module runs as `python bench/bench_x.py` or from `bench/run_all.py`; either way this folder is on the
import path, so `from common import ROOT, row` works, and with ROOT on it, so do the project's own packages and
the test helpers (`from tests.browser.harness import AppServer`, `from tests import csv_kinds`).
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def row(name: str, value, unit: str, target=None, met=None, note: str = "") -> dict:
    """One line of a module's table in bench/RESULTS.md (see bench/run_all.py for the protocol)."""
    return {"name": name, "value": value, "unit": unit, "target": target, "met": met, "note": note}
