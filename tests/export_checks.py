"""Shared by the tests of exported scripts: run them where the project cannot be imported, and compare what
they built and scored with the app's own run of the same set-up."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from conftest import ROOT

RUNNER = Path(__file__).with_name("export_runner.py")
# Weightless pooling layers: the app's and the scripts' are different classes doing the same thing.
POOLS = {"GlobalAveragePooling1D": "mean", "GlobalMaxPooling1D": "max", "MaskedGlobalMaxPooling1D": "max",
         "MaskedMax": "max", "MaskedMeanMaxPooling1D": "meanmax", "MeanAndMax": "meanmax"}
CHRONO = "ChronoBias"  # the app's chrono initialiser class; the scripts' are named LSTMChronoBias, GRUChronoBias
DROP = {"name", "seed", "dtype", "trainable"}  # names and seeds differ; nothing else may


def clean_env(**extra) -> dict:
    """The environment of a fresh Python that cannot import the project (no PYTHONPATH, run elsewhere)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(TF_CPP_MIN_LOG_LEVEL="2", MPLBACKEND="Agg", **extra)
    return env


def run_scripts(scripts: dict, folder: Path, files: dict | None = None, timeout: int = 600, **env) -> dict:
    """Write each `Script` to its own folder (with `files[name]`: {file name: bytes}), run them all in one fresh
    process (tests/export_runner.py), and return what each built and scored, by name."""
    paths = {}
    for name, script in scripts.items():
        d = folder / name.replace(" ", "_")
        d.mkdir(parents=True)
        for fname, data in (files or {}).get(name, {}).items():
            (d / fname).write_bytes(data)
        paths[name] = d / f"{script.file_stem}.py"
        paths[name].write_text(script.to_py(), encoding="utf-8")
    out = folder / "results.json"
    done = subprocess.run([sys.executable, str(RUNNER), str(out), *map(str, paths.values())], cwd=folder,
                          env=clean_env(**env), capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-4000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    return {name: results[str(p)] for name, p in paths.items()}


def app_layers(model) -> list:
    """The app model's layers as the runner reports a script's (class and Keras config, JSON round-tripped)."""
    sys.path.insert(0, str(RUNNER.parent))
    from export_runner import layers_of

    return json.loads(json.dumps(layers_of(model)))


def _norm(node):
    if isinstance(node, dict):
        if "class_name" in node and "config" in node:  # an initialiser (or another Keras object)
            return "chrono" if node["class_name"].endswith(CHRONO) else [node["class_name"], _norm(node["config"])]
        return {k: _norm(v) for k, v in node.items() if k not in DROP}
    if isinstance(node, list):
        return [_norm(v) for v in node]
    return node


def signature(layers: list) -> list:
    """Each layer's class and config, names and seeds left out (pooling layers by what they pool)."""
    return [("pool", POOLS[l["class"]]) if l["class"] in POOLS else (l["class"], _norm(l["config"])) for l in layers]


def assert_same_model(app_model, got: dict) -> None:
    """The script built the app's model: the same layers with the same settings, and as many weights."""
    want = signature(app_layers(app_model))
    have = signature(got["layers"])
    assert [w[0] for w in want] == [h[0] for h in have]
    for w, h in zip(want, have):
        assert w == h, (w, h)
    assert got["params"] == app_model.count_params()


def assert_same_training(app_model, got: dict) -> None:
    """The same loss, optimizer, step size and clipping."""
    opt = app_model.optimizer.get_config()
    assert got["loss"] == str(app_model.loss) and got["optimizer"] == type(app_model.optimizer).__name__
    assert got["learning_rate"] == float(np.float32(opt["learning_rate"])) or \
        np.isclose(got["learning_rate"], opt["learning_rate"], rtol=1e-6)
    assert got["clipnorm"] == opt.get("clipnorm")


def assert_within_spread(value: float, app_values: list[float], floor: float) -> None:
    """`value` within the app's runs over seeds 0–2, widened on each side by their range (at least `floor`).

    Three seeds measure the spread only roughly, and the script is a fourth draw (Keras' own initial weights and
    shuffling, not the app's seeded ones): a fresh draw lands outside the bare range of three about half the time."""
    lo, hi = min(app_values), max(app_values)
    width = max(hi - lo, floor)
    assert lo - width <= value <= hi + width, (value, app_values, width)


def run_notebook(script, folder: Path, timeout: int = 300):
    """Execute the script's notebook top to bottom in a fresh kernel (nbclient), in `folder`; the executed cells."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.reads(script.to_ipynb(), as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(
        "import importlib.util\nassert importlib.util.find_spec('explorer') is None, 'the project is importable'"))
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute(env=clean_env())  # a kernel without PYTHONPATH
    (folder / f"{script.file_stem}.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
    return [c for c in nb.cells if c.cell_type == "code"]


def outputs(cells) -> str:
    """All text a notebook's cells printed or displayed."""
    out = []
    for cell in cells:
        for o in cell.get("outputs", []):
            out.append(o.get("text", "") or o.get("data", {}).get("text/plain", ""))
    return "\n".join(out)


def configs_from_link(panel, params: dict) -> dict:
    """A page's configs as a link sets them (what a reload of the page would train with)."""
    from explorer.nn import config

    return {name: config.from_query(type(p.default), p.params(params), p.prefix, p.default)
            for name, p in panel.parts.items()}


__all__ = ["ROOT"]
