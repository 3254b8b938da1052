"""The time-series page driven like a person would: each data source, tiny real training, bad CSVs, URLs."""
import base64
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from alerts import expect_error
from conftest import ROOT
from jobs_at import press, shown

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


def _numbers(cells) -> np.ndarray:
    """Numbers as the page prints them for people (1,234 / 2.1e-30 / < 1e-300) back to floats."""
    return np.array([float(str(c).replace(",", "").replace("< ", "")) for c in cells])


def _figures(at) -> dict:
    return {el.key: json.loads(el.proto.spec) for el in at.get("plotly_chart") if el.key}


def _no_problems(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _train_and_check(at, n_epochs=2):
    press(at, "ts_train")
    _no_problems(at)
    assert not [b.label for b in at.button if b.label.startswith("⏹")]  # no stale Stop button once it ended
    figs = _figures(at)
    for key in ("ts_pred", "ts_forecast", "ts_hidden", "ts_probe", "ts_gradnorms", "ts_overlay"):
        assert key in figs, key
    # Predictions and forecast: finite, on the scale of the data.
    run = shown(at, "ts").result
    values = run.record.ds.values
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
    mse, mae = _numbers(table["test MSE"]), _numbers(table["test MAE"])
    assert list(table["forecast"])[1] == "last value" and np.all(np.isfinite(mse))
    assert np.all(mse >= 0) and np.all(mae >= 0)
    verdicts = [m.value for m in at.success] + [m.value for m in at.warning]
    assert any("baseline" in v for v in verdicts)
    # Heatmaps: hidden states (units × timesteps) and ‖∂L/∂h_t‖ (timesteps × epochs, 0 = untrained).
    window, units = run.record.ds.window, run.model.get_layer("rnn_0").cell.units
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
    assert run.record.configs["model"]["units"] == 4 and run.record.configs["train"]["epochs"] == 2
    assert run.record.configs["series"]["source"] == "sine"
    downloads = {el.key for el in at.get("download_button")}
    assert {"ts_dl_model", "ts_dl_pred", "ts_dl_cfg", "ts_dl_py", "ts_dl_ipynb"} <= downloads
    # The run's code beside it is the script its link's settings write (a reload of the link trains the same run).
    from urllib.parse import parse_qsl

    from explorer.export.series_code import write_series
    from explorer.tasks.series.run import series_model_config
    from export_checks import configs_from_link
    from ui.knobs import TIME_SERIES

    code = next(c.value for c in at.code if c.value.startswith('"""'))
    cfgs = configs_from_link(TIME_SERIES, dict(parse_qsl(at.code[0].value.lstrip("?"))))
    s, rec = cfgs["series"], run.record
    linked = write_series(s, series_model_config(cfgs["model"], s), cfgs["train"], rec.ds.target, rec.period.steps,
                          rec.period.text)
    assert code == linked.to_py().strip() and "keras.layers.SimpleRNN(UNITS)" in code and "UNITS = 4" in code


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
def test_the_trained_model_saves_and_loads_as_keras(tmp_path):
    """What the model download does: the page's InstrumentedModel round-trips through a .keras file."""
    import keras

    from explorer.nn.config import ModelConfig, TrainConfig
    from explorer.nn.models import build_model

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
    assert run.record.configs["series"]["source"] == "stock"
    assert run.record.configs["series"]["volatility"] == pytest.approx(0.4)
    assert run.record.ds.values.min() > 0  # prices stay positive


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
    values = run.record.ds.values
    assert len(values) == 150 and 5 < values.mean() < 80  # BBB's prices, gap filled
    assert run.record.dates is not None and np.all(np.diff(run.record.dates).astype(int) > 0)


def test_bad_csv_gets_one_sentence_and_the_page_keeps_working():
    at = _page(d_source="csv", **TINY)
    with expect_error("This CSV cannot be used: The file has no column of numbers to forecast."):
        at.file_uploader(key="ts_csv").set_value(("bad.csv", b"name,city\nann,paris\nbob,rome\n", "text/csv")).run()
    assert at.button(key="ts_train").disabled
    with expect_error("This CSV cannot be used: The series has 1 usable value(s); this window and split need at "
                      "least 12. Use a longer series or a shorter window."):
        at.file_uploader(key="ts_csv").set_value(("one.csv", b"date,v\n2020-01-01,3\n", "text/csv")).run()
    with expect_error("This CSV cannot be used: This file does not look like text (it may be binary or in an "
                      "unreadable encoding): save it as a CSV in UTF-8 and upload it again."):
        at.file_uploader(key="ts_csv").set_value(("binary.csv", b"\x00\x01\x02\x03" * 50, "text/csv")).run()
    good = "t,v\n" + "".join(f"{i},{np.sin(i / 5):.4f}\n" for i in range(120))
    at.file_uploader(key="ts_csv").set_value(("good.csv", good.encode(), "text/csv")).run()
    _no_problems(at)
    assert "ts_preview" in _figures(at) and not at.button(key="ts_train").disabled


def test_url_reproduces_the_set_up_and_survives_bad_values():
    at = _page(m_cell="LSTM", m_gate_init="chrono", m_units="7", m_bidirectional="true", t_optimizer="rmsprop",
               t_learning_rate="0.005", d_window="12", d_source="stock", d_drift="0.1", t_epochs="3")
    _no_problems(at)
    assert at.selectbox(key="m_cell").value == "LSTM" and at.number_input(key="m_units").value == 7
    assert at.selectbox(key="m_gate_init").value == "chrono"
    assert at.checkbox(key="m_bidirectional").value and at.selectbox(key="t_optimizer").value == "rmsprop"
    assert at.number_input(key="t_learning_rate").value == pytest.approx(0.005)
    assert at.radio(key="d_source").value == "stock" and at.number_input(key="d_drift").value == pytest.approx(0.1)
    link = at.code[0].value
    for part in ("m_cell=LSTM", "m_gate_init=chrono", "m_units=7", "m_bidirectional=True", "t_optimizer=rmsprop", "d_window=12",
                 "d_source=stock", "t_epochs=3", "t_learning_rate=0.005"):
        assert part in link, part
    at.number_input(key="m_units").set_value(9).run()
    assert "m_units=9" in at.code[0].value
    # Typed-in nonsense falls back to defaults or is clamped, never a traceback.
    at = _page(m_cell="Transformer", m_gate_init="magic", m_units="100000", t_learning_rate="abc", d_window="-4")
    _no_problems(at)
    assert at.selectbox(key="m_cell").value == "SimpleRNN" and at.number_input(key="m_units").value == 512
    assert at.selectbox(key="m_gate_init").value == "keras"
    assert at.number_input(key="t_learning_rate").value == pytest.approx(0.001)
    assert at.number_input(key="d_window").value == 1


def test_default_train_uses_the_probe_and_the_model_the_apps_warm_up_traced(monkeypatch):
    """The page's own default set-up (read from its widgets) must hit the warm-up's cached probe and
    pooled model, or a person's first Train click waits for traces the warm-up was meant to pay; and
    each Train click gives the previous run's model back to the pool, so a session does not grow."""
    import gc

    from explorer.introspect import probe as introspect
    from explorer.nn import model_pool
    from explorer.server.warmup import warm_up

    monkeypatch.setattr(model_pool, "POOL", model_pool.ModelPool())  # counts from zero, for this test only
    warm_up()
    traced = set(introspect._TWINS)
    warmed = {id(m) for m in model_pool.POOL.waiting()}
    assert warmed
    at = _page(t_epochs="1")  # only the epochs differ from the defaults; they are not part of the model
    press(at, "ts_train")
    _no_problems(at)
    run = shown(at, "ts").result
    assert run.result.epochs_done == 1 and len(run.result.probes) == 2
    assert set(introspect._TWINS) == traced  # no new twin: the page's probe was already traced
    assert model_pool.POOL.reused == 1 and id(run.model) in warmed  # a model the warm-up traced
    first = run.model
    del run
    press(at, "ts_train")
    _no_problems(at)
    assert shown(at, "ts").result.model is not first
    at.run()  # Streamlit lets go of the state before the click at the next rerun (or when the session ends)
    gc.collect()
    assert any(m is first for m in model_pool.POOL.waiting())  # the first run's model is back for the next run


# ---------------------------------------------------------------- the series a person means, through the page
import csv_kinds as K  # noqa: E402


def _upload(at, name: str, data: bytes):
    return at.file_uploader(key="ts_csv").set_value((name, data, "text/csv")).run()


def _selected(at, prefix: str):
    return next(s for s in at.selectbox if s.key and s.key.startswith(prefix))


def _captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


def test_a_macro_table_models_a_value_on_yearly_dates_not_the_year():
    at = _upload(_page(d_source="csv", **TINY), "macro.csv", K.macro_table())
    _no_problems(at)
    assert _selected(at, "csv_value_").value == "gdp_bn" and _selected(at, "csv_date_").value == "year"
    assert "Left out: “year” (part of the time axis)" in _captions(at) and "Time: years in “year”" in _captions(at)
    preview = _figures(at)["ts_preview"]
    assert preview["layout"]["xaxis"]["title"]["text"] == "date"
    assert str(preview["data"][0]["x"][0]).startswith("1961-01-01")


def test_a_wide_month_table_is_read_as_one_series_and_trains_with_a_yearly_season():
    at = _upload(_page(d_source="csv", **TINY), "wide.csv", K.wide_months())
    _no_problems(at)
    assert at.radio(key=next(r.key for r in at.radio if r.key.startswith("csv_wide_"))).value is True
    run = _train_and_check(at)
    ev = run.record.evaluation
    assert len(run.record.ds.values) == 474 and ev.period == 12
    assert "seasonal naive" in {r["name"] for r in ev.rows}
    assert "seasonal period 12 steps (monthly data: 12 steps make a year)" in _captions(at)
    # The months as separate columns stay one click away.
    wide = next(r for r in at.radio if r.key.startswith("csv_wide_"))
    wide.set_value(False).run()
    _no_problems(at)
    assert _selected(at, "csv_value_").value in K.MONTHS


def test_a_trending_series_predicts_the_change_and_says_why():
    at = _upload(_page(d_source="csv", **TINY), "co2.csv", K.weekly_yyyymmdd())
    _no_problems(at)
    assert "Predicting the change since the previous step" in _captions(at)
    run = _train_and_check(at)
    assert run.record.ds.target == "change" and run.record.evaluation.period == 52
    assert at.session_state["ts_history"][-1].configs["resolved"] == {"target": "change"}
    # The level stays one setting away, and the page says it was chosen.
    at.selectbox(key="d_target").set_value("level").run()
    _no_problems(at)
    assert "Predicting the level, as chosen." in _captions(at)


def test_the_default_sine_has_noise_and_a_noise_floor_and_the_noise_free_sine_is_one_click_away():
    at = _page(t_epochs="2", m_units="4", d_length="200", t_batch_size="32")
    _no_problems(at)
    assert at.number_input(key="d_noise").value == pytest.approx(0.1)
    press(at, "ts_train")
    _no_problems(at)
    run = shown(at, "ts").result
    assert run.record.noise_var == pytest.approx(0.01)
    assert run.record.loss_floor == pytest.approx(0.01 / run.record.ds.scaler.std ** 2)
    at.run()  # the next rerun draws the finished loss chart with the floor line
    shapes = _figures(at)["ts_loss"]["layout"]["shapes"]
    assert any(sh.get("y0") == pytest.approx(run.record.loss_floor) for sh in shapes)
    assert "noise floor" in _captions(at)
    at.button(key="ts_noise_free").click().run()
    _no_problems(at)
    assert at.number_input(key="d_noise").value == 0.0 and "d_noise=0.0" in at.code[0].value


def test_a_long_file_gets_a_plan_that_samples_its_windows():
    at = _upload(_page(d_source="csv", **TINY), "minutes.csv", K.big_file(60_000))
    _no_problems(at)
    plan = next(i.value for i in at.info if "A long series" in i.value)
    assert "its training part holds 41,994 windows" in plan and "trains on 6,000 of them" in plan
    assert "under 2 minutes" in plan and not at.button(key="ts_train").disabled


def test_a_guessed_encoding_is_named_and_can_be_overridden():
    at = _upload(_page(d_source="csv", **TINY), "gbk.csv", K.encoded("gbk"))
    _no_problems(at)
    assert _selected(at, "csv_value_").value == "收盘价"
    assert "Text encoding: GBK (Simplified Chinese)." in "\n".join(t.value for t in at.text)
    _selected(at, "csv_enc_").set_value("cp932").run()  # the person says it is Japanese
    _no_problems(at)
    assert "Text encoding: Shift-JIS (Japanese)." in "\n".join(t.value for t in at.text)
    assert "收盘价" not in _selected(at, "csv_value_").options


def test_an_r_export_of_a_seasonal_series_is_dated_seasonal_and_scored_with_mase():
    import r_exports as R

    values = R.seasonal_values(144, 12, seed=3, growth=0.01, missing=[40])  # grows like airline passengers
    at = _upload(_page(d_source="csv", **TINY), "AirPassengers.csv", R.r_ts_csv(values, 1949, 12))
    _no_problems(at)
    assert _selected(at, "csv_value_").value == "value" and _selected(at, "csv_date_").value == "time"
    captions = _captions(at)
    assert "Time: decimal years, monthly (steps of 1/12) in “time”." in captions
    assert "144 values of value from 1949-01-01 to 1960-12-01 (monthly)" in captions
    assert "Predicting the relative change since the same point one season (12 steps) before (on a log scale)" in captions
    assert str(_figures(at)["ts_preview"]["data"][0]["x"][0]).startswith("1949-01-01")
    run = _train_and_check(at)
    assert run.record.ds.target == "log_seasonal" and run.record.ds.period == 12
    assert at.session_state["ts_history"][-1].configs["resolved"] == {"target": "log_seasonal", "period": 12}
    table = next(d.value for d in at.dataframe if "forecast" in d.value.columns)
    assert list(table.columns) == ["forecast", "test MSE", "test MAE", "MASE", "sMAPE %"]
    assert np.all(_numbers(table["MASE"]) > 0) and np.all(_numbers(table["sMAPE %"]) < 200)
    assert "MASE" in next(v for v in [m.value for m in at.success] + [m.value for m in at.warning] if "baseline" in v)
