"""Runs exported scripts in a fresh Python where the project cannot be imported, and reports what they built.

Usage: python export_runner.py OUT.json SCRIPT.py [SCRIPT.py …]. Each script runs as `__main__` in its own
folder (so its files land there); what it left in its globals (the model, the windows or reviews, the
test figures) is summarised as JSON for the test that called it. Several scripts share one process, so
TensorFlow is imported once. Run only by tests/test_export_*.py, never imported by them.
"""
import importlib.util
import json
import os
import runpy
import sys
import time

import numpy as np


def _plain(value):
    """JSON-ready: arrays and numpy numbers to lists and floats, anything else to its repr."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def layers_of(model) -> list:
    """Each layer's class and config, as Keras writes them (the input layer left out)."""
    import keras

    return [{"class": type(layer).__name__, "config": _plain(keras.saving.serialize_keras_object(layer)["config"])}
            for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def training_of(model) -> dict:
    """The compiled loss and the optimizer's class, step size and clipping."""
    opt = model.optimizer.get_config()
    return {"loss": str(model.loss), "optimizer": type(model.optimizer).__name__,
            "learning_rate": _plain(opt.get("learning_rate")), "clipnorm": opt.get("clipnorm")}


def summary(g: dict) -> dict:
    """What a script built, read from its globals (names the generated scripts use)."""
    out = {}
    if "model" in g:
        out["layers"] = layers_of(g["model"])
        out["params"] = int(g["model"].count_params())
        out["training"] = training_of(g["model"])
    if "models" in g:  # the gradient lab: one model per cell
        out["cells"] = {name: {"layers": layers_of(m), "params": int(m.count_params()), "training": training_of(m),
                               "weights": [w.tolist() for w in m.get_weights()]} for name, m in g["models"].items()}
    for name in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test", "x_held", "y_held"):
        if name in g:
            arr = np.asarray(g[name])
            out[name] = {"n": int(len(arr)), "shape": list(arr.shape),  # the end of the first and the last sample
                         "first": _plain(arr[0].ravel()[-12:]) if len(arr) else None,
                         "last": _plain(arr[-1].ravel()[-12:]) if len(arr) else None}
    for name in ("test_mse", "test_accuracy", "majority_accuracy", "held_out", "gradients", "vocabulary_size",
                 "train_texts", "val_texts", "test_texts"):
        if name in g:
            value = g[name]
            if name.endswith("_texts"):
                value = [len(value), value[0][:80], value[-1][:80]]
            out[name] = _plain(value)
    if "history" in g:
        out["history"] = _plain(g["history"].history)
    return out


def main(out_path: str, scripts: list[str]) -> None:
    assert importlib.util.find_spec("explorer") is None, "the project must not be importable here"
    results = {}
    for path in scripts:
        folder = os.path.dirname(os.path.abspath(path))
        os.chdir(folder)
        t0 = time.perf_counter()
        g = runpy.run_path(path, run_name="__main__")
        results[path] = {**summary(g), "seconds": time.perf_counter() - t0,
                         "files": sorted(os.listdir(folder))}
        import keras

        keras.backend.clear_session()
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump(results, fh)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
