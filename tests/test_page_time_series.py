"""The time-series page driven like a person would: each data source, tiny real training, bad CSVs, URLs."""
import base64
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from alerts import expect_error
from conftest import ROOT

PAGE = str(ROOT / "pages/time_series.py")
TINY = {"t_epochs": "2", "m_units": "4", "d_window": "6", "t_batch_size": "32", "t_learning_rate": "0.01"}


def _page(**params) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=240)
    at.query_params.update(params)
    return at.run()


def _values(v) -> np.ndarray:
    """A plotly array from the spec JSON: a list or plotly's typed-array dict."""
    if isinstance(v, dict) and "bdata" in v:
        arr = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        return arr.reshape([int(n) for n in str(v["shape"]).split(",")]) if "shape" in v else arr
    return np.asarray(v, dtype=np.float64)


def _figures(at) -> dict:
    return {el.key: json.loads(el.proto.spec) for el in at.get("plotly_chart") if el.key}


def _no_problems(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _train_and_check(at, n_epochs=2):
    at.button(key="ts_train").click().run()
    _no_problems(at)
    figs = _figures(at)
    for key in ("ts_pred", "ts_forecast", "ts_hidden", "ts_probe", "ts_gradnorms", "ts_overlay"):
        assert key in figs, key
    # Predictions and forecast: finite, on the scale of the data.
    run = at.session_state["ts_run"]
    values = run.extra["ds"].values
    spread = values.max() - values.min()
    for trace in figs["ts_pred"]["data"][:2] + figs["ts_forecast"]["data"][-1:]:
        y = _values(trace["y"])
        assert np.all(np.isfinite(y)) and np.all(np.abs(y - values.mean()) < 10 * spread + 1), trace["name"]
    # Curves: one loss per epoch, finite and positive.
    history = at.session_state["ts_history"][-1].history
    assert len(history["loss"]) == n_epochs == len(history["val_loss"])
    assert all(np.isfinite(history["loss"])) and min(history["loss"]) > 0
    # Metrics table against the baselines, and an honest verdict either way.
    table = next(d.value for d in at.dataframe if "forecast" in d.value.columns)
    assert list(table["forecast"])[1] == "last value" and np.all(np.isfinite(table["test MSE"]))
    assert np.all(table["test MSE"] >= 0) and np.all(table["test MAE"] >= 0)
    verdicts = [m.value for m in at.success] + [m.value for m in at.warning]
    assert any("baseline" in v for v in verdicts)
    # Heatmaps: hidden states (units × timesteps) and ‖∂L/∂h_t‖ (timesteps × epochs, 0 = untrained).
    window, units = run.extra["ds"].window, run.model.get_layer("rnn_0").cell.units
    h = _values(figs["ts_hidden"]["data"][0]["z"])
    assert h.shape == (units, window) and np.all(np.abs(h) <= 1.0 + 1e-6)  # tanh states
    g = _values(figs["ts_probe"]["data"][0]["z"])  # log10 of the norms
    assert g.shape == (window, n_epochs + 1) and np.all(np.isfinite(g)) and np.all(g < 3)
    assert len(run.result.grad_norms) >= 2 and all(np.all(np.isfinite(v)) for v in run.result.grad_norms.values())
    return run


def test_sine_from_the_url_trains_live_and_shows_everything():
    at = _page(d_length="150", **TINY)
    _no_problems(at)
    assert "ts_preview" in _figures(at)
    run = _train_and_check(at)
    assert run.extra["configs"]["model"]["units"] == 4 and run.extra["configs"]["train"]["epochs"] == 2
    assert run.extra["configs"]["series"]["source"] == "sine"
    downloads = {el.key for el in at.get("download_button")}
    assert {"ts_dl_model", "ts_dl_pred", "ts_dl_cfg"} <= downloads


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
def test_the_trained_model_saves_and_loads_as_keras(tmp_path):
    """What the model download does: the page's InstrumentedModel round-trips through a .keras file."""
    import keras

    from explorer.config import ModelConfig, TrainConfig
    from explorer.models import build_model

    model = build_model(ModelConfig(units=3), TrainConfig(), 6)
    x = np.random.default_rng(0).normal(size=(4, 6, 1)).astype("float32")
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(again.predict_on_batch(x), model.predict_on_batch(x), rtol=1e-6)


def test_stock_like_series_chosen_with_the_widget():
    at = _page(d_length="160", **TINY)
    at.radio(key="d_source").set_value("stock").run()
    at.number_input(key="d_volatility").set_value(0.4).run()
    _no_problems(at)
    run = _train_and_check(at)
    assert run.extra["configs"]["series"]["source"] == "stock"
    assert run.extra["configs"]["series"]["volatility"] == pytest.approx(0.4)
    assert run.extra["ds"].values.min() > 0  # prices stay positive


def _long_csv() -> bytes:
    """Long format, semicolons, decimal commas, shuffled dates and a gap: a realistic export."""
    rng = np.random.default_rng(0)
    days = np.arange("2022-01-01", "2022-06-30", dtype="datetime64[D]")[:150]
    lines = ["symbol;date;close"]
    for sym, base in (("AAA", 100.0), ("BBB", 20.0)):
        price = base * np.exp(np.cumsum(rng.normal(0, 0.01, len(days))))
        for d, p in zip(days, price):
            lines.append(f"{sym};{d};{p:.2f}".replace(".", ","))
    body = lines[1:]
    rng.shuffle(body)
    body[5] = body[5].rsplit(";", 1)[0] + ";"  # one missing value
    return ("\n".join([lines[0], *body]) + "\n").encode()


def test_csv_upload_long_format_trains():
    at = _page(d_source="csv", **TINY)
    _no_problems(at)
    at.file_uploader(key="ts_csv").set_value(("prices.csv", _long_csv(), "text/csv")).run()
    _no_problems(at)
    keysel = [s for s in at.selectbox if s.key and s.key.startswith("csv_keyval_")]
    assert keysel and set(keysel[0].options) == {"AAA", "BBB"}
    keysel[0].set_value("BBB").run()
    _no_problems(at)
    run = _train_and_check(at)
    values = run.extra["ds"].values
    assert len(values) == 150 and 5 < values.mean() < 80  # BBB's prices, gap filled
    assert run.extra["dates"] is not None and np.all(np.diff(run.extra["dates"]).astype(int) > 0)


def test_bad_csv_gets_one_sentence_and_the_page_keeps_working():
    at = _page(d_source="csv", **TINY)
    with expect_error("This CSV cannot be used: The file has no column of numbers to forecast."):
        at.file_uploader(key="ts_csv").set_value(("bad.csv", b"name,city\nann,paris\nbob,rome\n", "text/csv")).run()
    assert at.button(key="ts_train").disabled
    with expect_error("This CSV cannot be used: The series has 1 usable value(s); this window and split need at "
                      "least 9. Use a longer series or a shorter window."):
        at.file_uploader(key="ts_csv").set_value(("one.csv", b"date,v\n2020-01-01,3\n", "text/csv")).run()
    with expect_error("This CSV cannot be used: This file does not look like text (it may be binary or in an "
                      "unreadable encoding): save it as a CSV in UTF-8 and upload it again."):
        at.file_uploader(key="ts_csv").set_value(("binary.csv", b"\x00\x01\x02\x03" * 50, "text/csv")).run()
    good = "t,v\n" + "".join(f"{i},{np.sin(i / 5):.4f}\n" for i in range(120))
    at.file_uploader(key="ts_csv").set_value(("good.csv", good.encode(), "text/csv")).run()
    _no_problems(at)
    assert "ts_preview" in _figures(at) and not at.button(key="ts_train").disabled


def test_url_reproduces_the_set_up_and_survives_bad_values():
    at = _page(m_cell="LSTM", m_units="7", m_bidirectional="true", t_optimizer="rmsprop",
               t_learning_rate="0.005", d_window="12", d_source="stock", d_drift="0.1", t_epochs="3")
    _no_problems(at)
    assert at.selectbox(key="m_cell").value == "LSTM" and at.number_input(key="m_units").value == 7
    assert at.checkbox(key="m_bidirectional").value and at.selectbox(key="t_optimizer").value == "rmsprop"
    assert at.number_input(key="t_learning_rate").value == pytest.approx(0.005)
    assert at.radio(key="d_source").value == "stock" and at.number_input(key="d_drift").value == pytest.approx(0.1)
    link = at.code[0].value
    for part in ("m_cell=LSTM", "m_units=7", "m_bidirectional=True", "t_optimizer=rmsprop", "d_window=12",
                 "d_source=stock", "t_epochs=3", "t_learning_rate=0.005"):
        assert part in link, part
    at.number_input(key="m_units").set_value(9).run()
    assert "m_units=9" in at.code[0].value
    # Typed-in nonsense falls back to defaults or is clamped, never a traceback.
    at = _page(m_cell="Transformer", m_units="100000", t_learning_rate="abc", d_window="-4")
    _no_problems(at)
    assert at.selectbox(key="m_cell").value == "SimpleRNN" and at.number_input(key="m_units").value == 512
    assert at.number_input(key="t_learning_rate").value == pytest.approx(0.001)
    assert at.number_input(key="d_window").value == 1


def test_default_train_uses_the_probe_the_apps_warm_up_traced():
    """The page's own default set-up (read from its widgets) must hit the warm-up's cached probe,
    or a person's first Train click waits for a trace the warm-up was meant to pay."""
    from explorer import introspect
    from explorer.warmup import warm_up

    warm_up()
    traced = set(introspect._TWINS)
    at = _page(t_epochs="1")  # only the epochs differ from the defaults; they are not part of the model
    at.button(key="ts_train").click().run()
    _no_problems(at)
    run = at.session_state["ts_run"]
    assert run.result.epochs_done == 1 and len(run.result.probes) == 2
    assert set(introspect._TWINS) == traced  # no new twin: the page's probe was already traced
