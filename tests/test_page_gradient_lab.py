"""The gradient lab page driven by Streamlit's AppTest with tiny, real training runs."""
from __future__ import annotations

import json

import numpy as np

from streamlit.testing.v1 import AppTest

from alerts import DIVERGED, expect_error
from conftest import ROOT
from jobs_at import press, shown
from explorer.tasks.lab.config import LabConfig, with_fields
from explorer.tasks.lab.presets import CLIPPED
from ui import knobs as K

PAGE = str(ROOT / "pages/gradient_lab.py")
TINY = {"gl_task": "first_value", "gl_T": "12", "gl_units": "4", "gl_samples": "64", "gl_epochs": "2"}


def _page(params: dict) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=240)
    at.query_params.update(params)
    return at.run()


def _chart_types(at: AppTest) -> list[str]:
    types = []
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        types += [trace.get("type", "scatter") for trace in spec.get("data", [])]
    return types


def test_side_by_side_training_shows_heatmaps_numbers_and_theory():
    at = _page(TINY)
    assert not at.exception
    assert [m.label for m in at.metric][:1] == ["Spectral radius ρ(W_hh)"]
    assert at.selectbox(key="gl_task").value == "first_value"  # the URL filled the knobs
    press(at, "gl_train")
    assert not at.exception and not at.error
    labels = [m.label for m in at.metric]
    assert labels.count("Memory horizon") == 3
    assert all(m.value.endswith("/12") for m in at.metric if m.label == "Memory horizon")
    table = at.dataframe[0].value
    assert list(table.index) == ["SimpleRNN", "LSTM", "GRU"] and set(table["status"]) == {"finished"}
    assert _chart_types(at).count("heatmap") == 3
    heat = [t for c in at.get("plotly_chart") for t in json.loads(c.proto.spec)["data"] if t.get("type") == "heatmap"]
    assert len({(t["zmin"], t["zmax"]) for t in heat}) == 1  # one colour scale for the three cells
    assert all("e-" in str(t["customdata"]) or "e+" in str(t["customdata"]) or "." in str(t["customdata"])
               for t in heat)  # every cell carries its measured value
    assert at.latex and "varphi" in at.latex[0].value
    verdict = " ".join(i.value for i in at.info)
    lines = [line for line in verdict.splitlines() if line.startswith("- ")]  # one conclusion per cell
    assert [line.split()[1] for line in lines] == ["SimpleRNN", "LSTM", "GRU"]
    assert all("decisive input" in line for line in lines)  # each names the gradient that reached the first input
    assert [m.label for m in at.metric].count("Held-out accuracy") == 3
    text = " ".join(m.value for m in at.markdown)
    assert "This run, plain RNN" in text and "This run, LSTM" in text
    assert at.query_params["gl_T"] == ["12"] or at.query_params["gl_T"] == "12"
    # Every instrument, per architecture, from the same run (the job's result, the engine's own objects).
    job = shown(at, "gl")
    lab = job.result
    assert list(lab.results) == ["SimpleRNN", "LSTM", "GRU"] and job.status == "finished"
    for r in lab.results.values():
        assert r.status == "finished", r.message
        assert r.probes.shape == (3, 12)  # before training + one row per epoch
        assert len(r.horizons) == 3 and 0 < r.horizon <= 12
        assert len(r.max_singular) == 3 and all(s > 0 for s in r.max_singular)
        assert len(r.step_grad_norms) == 2 * 2  # 64 sequences / batch 32, two epochs
        assert r.probe_calls == 3 and 0 < r.probe_seconds < r.train_seconds
        assert r.metric == "accuracy" and 0 <= r.final_metric <= 1 and 0.5 <= r.chance < 0.6
        assert r.history["val_accuracy"][-1] == r.final_metric and 0 <= r.train_metric <= 1
        assert r.decisive_step == 1 and r.reach == r.probes[-1][0] / r.probes[-1][-1]
        assert len(r.carry) == 2 and np.isfinite(r.decay) and r.gamma == 1.0
    assert np.isfinite(lab.results["SimpleRNN"].spectral_radius[-1])
    assert np.isnan(lab.results["LSTM"].spectral_radius[-1])  # no square W_hh in a gated cell
    # The run's code: the script its link's settings write, with its downloads.
    from explorer.export.lab_code import lab_script
    from export_checks import configs_from_link
    from ui.knobs import GRADIENT_LAB

    link = {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}
    cfgs = configs_from_link(GRADIENT_LAB, link)
    code = next(c.value for c in at.code if c.value.startswith('"""'))
    assert code == lab_script(K.lab_config(cfgs), cfgs["cells"].archs.split(",")).to_py().strip() and "def first_value(" in code
    assert {"gl_dl_py", "gl_dl_ipynb"} <= {el.key for el in at.get("download_button")}


def test_divergent_setup_shows_the_plain_message_and_no_traceback():
    explode = {"gl_task": "adding", "gl_T": "100", "gl_units": "16", "gl_samples": "256", "gl_epochs": "1",
               "gl_optimizer": "sgd", "gl_lr": "0.1", "gl_activation": "relu",
               "gl_recurrent_init": "identity", "gl_recurrent_scale": "1.05", "gl_clipnorm": "0"}
    at = _page(explode)
    at.multiselect(key="gl_archs").set_value(["SimpleRNN"]).run()
    radius = next(m for m in at.metric if m.label == "Spectral radius ρ(W_hh)")
    assert float(radius.value) > 1.0  # shown before training
    with expect_error(DIVERGED):
        press(at, "gl_train")
        assert at.dataframe[0].value.loc["SimpleRNN", "status"] == "diverged"
        assert shown(at, "gl").result.results["SimpleRNN"].status == "diverged"
        # The clipping preset keeps the explosion's set-up and only turns clipnorm on.
        at.button(key="gl_preset_clip").click().run()
    knob = lambda url_key: K.GRADIENT_LAB.key(url_key, at.session_state)  # noqa: E731  (a preset renews the keys)
    assert knob("gl_clipnorm") == "gl_clipnorm~1"
    assert at.select_slider(key=knob("gl_clipnorm")).value == CLIPPED.train.clipnorm > 0
    assert at.radio(key=knob("gl_activation")).value == "relu" and not at.exception


def test_sweep_runs_on_a_tiny_grid_and_bad_links_are_clamped():
    at = _page({"gl_units": "4", "gl_T": "99999"})
    assert not at.exception
    assert any("Sequence length T 99999 → 1000" in w.value for w in at.warning)  # clamped, and said so
    at.multiselect(key="gl_archs").set_value(["SimpleRNN", "GRU"])
    at.multiselect(key="gl_lags").set_value([5])
    at.slider(key="gl_sweep_epochs").set_value(1)
    at.select_slider(key="gl_sweep_samples").set_value(32)
    press(at, "gl_sweep_go")
    assert not at.exception and not at.error
    assert not [b.label for b in at.button if b.label.startswith("⏹")]  # no stale Stop button once it ended
    sweep = [c for c in at.get("plotly_chart") if "Where each architecture" in c.proto.spec]
    assert len(sweep) == 1
    spec = json.loads(sweep[0].proto.spec)
    assert {t["name"] for t in spec["data"]} == {"SimpleRNN", "GRU"}
    assert all(t["y"][0] is not None for t in spec["data"])


# A link as the lab wrote it before it composed ModelConfig and TrainConfig: every knob off its default, with the
# keys of then (gl_lr, gl_batch), and the set-up that link opened then.
OLD_LINK = {"gl_task": "adding", "gl_T": "50", "gl_samples": "512", "gl_seed": "11", "gl_units": "16",
            "gl_optimizer": "rmsprop", "gl_lr": "0.003", "gl_epochs": "7", "gl_batch": "64", "gl_jit_compile": "False",
            "gl_activation": "relu", "gl_recurrent_init": "identity", "gl_recurrent_scale": "1.5",
            "gl_clipnorm": "5.0", "gl_gate_init": "keras", "gl_archs": "SimpleRNN,GRU"}
OLD_SETUP = with_fields(LabConfig(), task="adding", T=50, samples=512, seed=11, units=16, optimizer="rmsprop",
                        learning_rate=0.003, epochs=7, batch_size=64, jit_compile=False, activation="relu",
                        recurrent_init="identity", recurrent_scale=1.5, clipnorm=5.0, gate_init="keras")


def test_a_link_with_the_old_keys_opens_the_same_set_up():
    at = _page(OLD_LINK)
    assert not at.exception and not at.warning  # every value understood, none clamped
    panel = K.GRADIENT_LAB
    assert {p.prefix + k.field for p in panel.parts.values() for k in p.knobs} >= {"gl_learning_rate", "gl_batch_size"}
    shown_cfgs = {name: {k.field: k.from_widget(at.session_state[panel.key(p.prefix + k.field, at.session_state)])
                         for k in p.knobs} for name, p in panel.parts.items()}
    expected = {**K.lab_parts(OLD_SETUP), "cells": K.Cells("SimpleRNN,GRU")}
    for name, fields in shown_cfgs.items():
        assert fields == {f: getattr(expected[name], f) for f in fields}, name
    # The page's link now carries the canonical keys, and that link opens the same set-up again.
    link = {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}
    assert "gl_lr" not in link and "gl_batch" not in link
    assert link["gl_learning_rate"] == "0.003" and link["gl_batch_size"] == "64"
    assert link == panel.query(expected)
    again = _page(link)
    assert not again.exception and not again.warning
    assert all(again.session_state[panel.key(url_key, again.session_state)] == at.session_state[url_key]
               for url_key in (p.prefix + k.field for p in panel.parts.values() for k in p.knobs))
