"""The gradient lab's script, run where the project cannot be imported, is the run: the same task, the same
model per cell, a held-out accuracy within the spread of the app's own run over seeds 0–2 (cut down), and its
~20-line ‖∂L/∂h_t‖ (tf.GradientTape on the unrolled cell) equal to the app's probe on the same weights."""
import numpy as np
import pytest

import export_checks as X
from explorer.export.lab_code import lab_script
from explorer.introspect.probe import GradientProbe
from explorer.nn.models import build_model
from explorer.tasks.lab.arch import LabRun, run_lab
from explorer.tasks.lab.config import LabConfig, lab_task, model_config, train_config, with_fields

SETUPS = {  # (set-up, cells)
    "default": (with_fields(LabConfig(), samples=256, epochs=1), ["SimpleRNN", "LSTM", "GRU"]),  # at chance so briefly
    "lag 50": (with_fields(LabConfig(), T=55, samples=1024, epochs=3), ["SimpleRNN", "GRU"]),
}


def app_run(cfg: LabConfig, archs: list) -> LabRun:
    """A click on “Train side by side” (explorer.tasks.lab.arch.run_lab, as pages/gradient_lab.py)."""
    lab = LabRun(cfg, list(archs))
    run_lab(cfg, archs, lab=lab)
    assert all(r.status == "finished" for r in lab.results.values())
    return lab


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    app, scripts = {}, {}
    for name, (cfg, archs) in SETUPS.items():
        # Seeds 1 and 2 first, each let go at once, so the next run takes its models from the pool (as the page's
        # next click does: no new trace or XLA compile); seed 0's run is kept to compare with its script.
        held = {a: [] for a in archs}
        for seed in (1, 2, 0):
            lab = app_run(with_fields(cfg, seed=seed), archs)
            for a in archs:
                held[a].append(lab.results[a].final_metric)
        app[name] = (lab, held)
        scripts[name] = lab_script(lab.cfg, lab.archs)
    return app, X.run_scripts(scripts, tmp_path_factory.mktemp("lab"))


@pytest.mark.parametrize("name", SETUPS)
def test_the_exported_script_is_the_run(runs, name):
    (lab, held), got = runs[0][name], runs[1][name]
    task = lab.task
    for part, x, y in (("train", task.x, task.y), ("held", lab.runs[lab.archs[0]].held.x, lab.runs[lab.archs[0]].held.y)):
        assert got[f"x_{part}"]["shape"] == list(x.shape)  # the same sequences
        for end, i in (("first", 0), ("last", -1)):
            np.testing.assert_allclose(got[f"x_{part}"][end], x[i].ravel()[-12:], atol=1e-6)
            assert got[f"y_{part}"][end] == y[i].tolist()
    for arch in lab.archs:
        cell = got["cells"][arch]
        X.assert_same_model(lab.runs[arch].model, cell)
        X.assert_same_training(lab.runs[arch].model, cell["training"])
        X.assert_within_spread(got["held_out"][arch], held[arch], floor=0.05)
        # The script's ‖∂L/∂h_t‖ is the app's probe (float64, tf.scan with ε_t) on the script's trained weights.
        model = build_model(model_config(lab.cfg, arch, task.head), train_config(lab.cfg, arch=arch), task.timesteps,
                            task.features)
        model.set_weights([np.asarray(w, dtype=np.float32) for w in cell["weights"]])
        want = GradientProbe(task.x[:32], task.y[:32])(model)
        have = np.asarray(got["gradients"][arch])
        seen = want > 1e-30  # float32 flushes what lies below its range; the app's float64 probe does not
        assert seen[-10:].all()
        np.testing.assert_allclose(have[seen], want[seen], rtol=1e-4)
    assert {"held_out.png", "gradient_through_time.png"} <= set(got["files"])


def test_the_notebook_runs_top_to_bottom(tmp_path):
    lab = app_run(with_fields(LabConfig(), task="first_value", T=12, samples=64, epochs=1, units=4), ["SimpleRNN"])
    cells = X.run_notebook(lab_script(lab.cfg, lab.archs), tmp_path)
    text = X.outputs(cells)
    assert "held-out accuracy" in text and "SimpleRNN: ‖∂L/∂h_t‖ at the decisive step / at the loss" in text
    assert (tmp_path / "gradient_through_time.png").exists()
