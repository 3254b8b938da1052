"""Forecasts, naive baselines, metrics and the verdict, on series whose answers are known."""
import numpy as np
import pytest

from explorer.data.synthetic import sine_wave, stock_series
from explorer.data.windows import prepare_series
from explorer.tasks.series import forecast as F


def test_persistence_and_moving_average_on_a_line():
    values = 3.0 * np.arange(100) + 7.0
    t = np.arange(20, 100)
    base = F.baseline_predictions(values, t, window=5)
    np.testing.assert_allclose(base[F.PERSISTENCE], values[t] - 3.0)
    np.testing.assert_allclose(base[F.MOVING_AVERAGE], values[t] - 3.0 * 3)  # mean lags by (w+1)/2 steps
    assert F.SEASONAL not in base  # no period given
    rows = F.metrics_table(values[t], base, F.mase_scale(values[:20]))
    assert {k: rows[0][k] for k in ("name", "mse", "mae", "mase")} == \
        {"name": F.PERSISTENCE, "mse": pytest.approx(9.0), "mae": pytest.approx(3.0), "mase": pytest.approx(1.0)}
    assert rows[1]["mse"] == pytest.approx(81.0) and rows[1]["mae"] == pytest.approx(9.0)
    assert rows[1]["mase"] == pytest.approx(3.0)  # 3× the last value's error on the training part
    assert np.isnan(F.metrics_table(values[t], base)[0]["mase"])  # no training part given: no scale


def test_mase_is_scaled_by_the_training_parts_seasonal_naive_error_and_smape_is_symmetric():
    train = np.tile([1.0, 5.0, 3.0, 9.0], 10) + np.arange(40) * 0.5  # seasonal naive errs 2 per step (4 × 0.5)
    assert F.mase_scale(train, 4) == pytest.approx(2.0) and F.mase_scale(train) == pytest.approx(np.mean(np.abs(np.diff(train))))
    assert np.isnan(F.mase_scale(np.full(10, 3.0), 4)) and np.isnan(F.mase_scale(np.ones(3), 4))
    truth, pred = np.array([100.0, 200.0, 0.0]), np.array([110.0, 180.0, 0.0])
    assert F.smape(truth, pred) == pytest.approx((200 * 10 / 210 + 200 * 20 / 380 + 0.0) / 3)
    assert F.smape(truth, pred) == pytest.approx(F.smape(pred, truth))
    big = F.metrics_table(truth * 1e6, {"x": pred * 1e6}, 1e6)[0]
    small = F.metrics_table(truth, {"x": pred}, 1.0)[0]
    assert big["mase"] == pytest.approx(small["mase"]) and big["smape"] == pytest.approx(small["smape"])  # any scale


def test_seasonal_period_found_only_when_there_is_one():
    assert F.seasonal_period(sine_wave(400, frequency=1 / 25)) == 25
    assert F.seasonal_period(sine_wave(400, frequency=1 / 40, noise=0.3, seed=3)) in (39, 40, 41)
    assert F.seasonal_period(stock_series(400, seed=1)) is None  # a random walk has no cycle
    assert F.seasonal_period(np.full(100, 5.0)) is None
    assert F.seasonal_period(np.arange(5.0)) is None


def test_seasonal_naive_is_exact_on_a_periodic_series_and_the_verdict_says_so():
    values = np.tile([1.0, 4.0, 2.0, 8.0, 5.0], 30)
    t = np.arange(50, 150)
    base = F.baseline_predictions(values, t, window=5, period=5)
    np.testing.assert_allclose(base[F.SEASONAL], values[t])
    rows = F.metrics_table(values[t], {"RNN": values[t] + 0.01, **base})
    v = F.verdict(rows, "RNN")
    assert not v.beats and v.best_baseline == F.SEASONAL and "essentially perfectly" in v.text
    assert "It does beat the last-value baseline" in v.text  # 1e-4 against persistence's large error
    future = F.baseline_forecast(values, 12, window=5, period=5)
    np.testing.assert_allclose(future[F.SEASONAL], np.tile(values[-5:], 3)[:12])
    np.testing.assert_allclose(future[F.PERSISTENCE], np.full(12, values[-1]))


@pytest.mark.parametrize("model_mse, beats", [(0.5, True), (0.96, False), (1.0, False), (3.0, False)])
def test_verdict_beats_only_with_a_clear_lead(model_mse, beats):
    rows = [{"name": "LSTM(8)", "mse": model_mse, "mae": 0.1},
            {"name": F.PERSISTENCE, "mse": 1.0, "mae": 0.1}, {"name": F.MOVING_AVERAGE, "mse": 2.0, "mae": 0.1}]
    v = F.verdict(rows, "LSTM(8)")
    assert v.beats is beats and v.best_baseline == F.PERSISTENCE and v.baseline_mse == 1.0
    assert ("beats the best naive baseline" in v.text) is beats
    if not beats:
        assert "not" in v.text.lower()
    nan_rows = [{**rows[0], "mse": float("nan")}, *rows[1:]]
    assert not F.verdict(nan_rows, "LSTM(8)").beats


def _last_inputs_model(window: int, horizon: int):
    """A real Keras model (no weights) that outputs its last `horizon` inputs: persistence as a network."""
    import keras

    inp = keras.Input((window, 1))
    out = keras.layers.Lambda(lambda x: x[:, -horizon:, 0])(inp)
    return keras.Model(inp, out)


def test_predictions_and_forecast_are_in_original_units():
    values = 50.0 + 10.0 * np.sin(np.arange(200) / 7.0)
    ds = prepare_series(values, window=8)
    model = _last_inputs_model(8, 1)
    p = F.one_step_predictions(model, ds)
    np.testing.assert_array_equal(p.t, ds.t_test)
    np.testing.assert_allclose(p.truth, values[ds.t_test])
    np.testing.assert_allclose(p.pred, values[ds.t_test - 1], rtol=1e-5)  # the scaling is undone
    np.testing.assert_allclose(F.autoregressive_forecast(model, ds, 5), np.full(5, values[-1]), rtol=1e-5)
    ds2 = prepare_series(values, window=8, horizon=2)
    fc = F.autoregressive_forecast(_last_inputs_model(8, 2), ds2, 5)  # feeds back 2 values per call
    np.testing.assert_allclose(fc, [values[-2], values[-1]] * 2 + [values[-2]], rtol=1e-5)


def test_a_tiny_trained_rnn_and_its_verdict_agree():
    from explorer.nn.config import ModelConfig, TrainConfig
    from explorer.nn.models import build_model
    from explorer.train.training import train

    values = sine_wave(260, frequency=0.04, noise=0.1, seed=2)
    ds = prepare_series(values, window=10)
    tcfg = TrainConfig(epochs=12, learning_rate=1e-2, batch_size=32, batch_every=0)
    model = build_model(ModelConfig(units=8), tcfg, 10)
    result = train(model, ds.x_train, ds.y_train, tcfg, (ds.x_val, ds.y_val))
    assert result.status == "finished"
    assert result.history["loss"][-1] < result.history["loss"][0]
    ev = F.evaluate(model, ds, "SimpleRNN(8)", steps=30)
    rows = {r["name"]: r for r in ev.rows}
    assert set(rows) >= {"SimpleRNN(8)", F.PERSISTENCE, F.MOVING_AVERAGE}
    assert all(np.isfinite(r["mse"]) and r["mse"] >= r["mae"] ** 2 - 1e-12 for r in ev.rows)  # Jensen
    assert all(np.isfinite(r["mase"]) and np.isfinite(r["smape"]) for r in ev.rows)
    best = min((r for n, r in rows.items() if n != "SimpleRNN(8)"), key=lambda r: r["mase"])
    assert ev.verdict.best_baseline == best["name"] and ev.verdict.measure == "MASE"
    assert ev.verdict.beats == (rows["SimpleRNN(8)"]["mase"] < 0.95 * best["mase"])
    assert ("beats the best" in ev.verdict.text) == ev.verdict.beats
    assert ev.forecast.shape == (30,) and np.all(np.isfinite(ev.forecast))
    assert np.all(np.abs(ev.forecast) < 5)  # stays on the scale of a unit sine


def _rows(model, **baselines):
    return [{"name": "RNN", "mse": model, "mae": 0.1}] + [{"name": n.replace("_", " "), "mse": v, "mae": 0.1}
                                                          for n, v in baselines.items()]


# Set-ups → what the verdict says the series is, and the one thing it advises ("" when nothing would help).
ADVICE = [
    ("trend, level model", dict(target="level", trend=True, outside=True), dict(last_value=1.0, moving_average=9.0),
     "This series trends", F.PREDICT_CHANGE),
    ("trend, change model", dict(target="change", trend=True), dict(last_value=1.0, moving_average=9.0),
     "This series trends", ""),
    ("random walk, change model", dict(target="change", random_walk=True, outside=True), dict(last_value=1.0),
     "tie is the honest best", ""),
    ("random walk, level model", dict(target="level", random_walk=True), dict(last_value=1.0),
     "behaves like a random walk", F.PREDICT_CHANGE),
    ("seasonal, change model", dict(target="change", period=12), dict(last_value=3.0, seasonal_naive=1.0),
     "repeats every 12 steps", F.PREDICT_SEASONAL),
    ("seasonal, window shorter than the season", dict(target="level", period=52, window=10),
     dict(last_value=3.0, seasonal_naive=1.0), "repeats every 52 steps", F.PREDICT_SEASONAL),
    ("seasonal, seasonal-change model", dict(target="seasonal", period=4), dict(last_value=3.0, seasonal_naive=1.0),
     "the season is most of what the series holds", ""),
    ("seasonal on a log scale", dict(target="log_seasonal", period=12), dict(last_value=3.0, seasonal_naive=1.0),
     "already predicts the change since one season before", ""),
    ("slow level, seasonal-change model", dict(target="seasonal", period=12), dict(last_value=1.0, seasonal_naive=2.0),
     "changes slowly from step to step", F.FROM_LAST_VALUE),
    ("noise", dict(target="level", test_variance=1.0), dict(last_value=2.0, moving_average=1.0),
     "moves like noise around its mean", ""),
    ("noisy slow level", dict(target="level", test_variance=100.0), dict(last_value=2.0, moving_average=1.0),
     "noisy around a slowly moving level", ""),
]


@pytest.mark.parametrize("facts, baselines, kind, todo", [a[1:] for a in ADVICE], ids=[a[0] for a in ADVICE])
def test_a_lost_verdict_names_the_kind_of_series_and_advises_only_what_would_help(facts, baselines, kind, todo):
    facts = F.SeriesFacts(**{"test_variance": 100.0, **facts})
    v = F.verdict(_rows(5.0, **baselines), "RNN", facts=facts)
    assert not v.beats and "does NOT beat" in v.text and kind in v.text
    best = min(baselines.items(), key=lambda kv: kv[1])[0].replace("_", " ")
    said, advised = F.advice(best, min(baselines.values()), facts)
    assert advised == todo and (todo in v.text if todo else "Try" not in v.text)
    assert "more epochs" not in v.text and "unpredictable" not in said.replace("an unpredictable step", "")


def test_a_tie_and_a_loss_are_said_with_their_figures():
    trend = F.SeriesFacts(target="level", window=10, trend=True, outside=True, test_variance=100.0)
    v = F.verdict(_rows(30.0, last_value=1.0, moving_average=9.0), "RNN", facts=trend)
    assert "30× larger" in v.text and v.measure == "MSE"
    walk = F.SeriesFacts(target="change", window=10, random_walk=True, outside=True, test_variance=100.0)
    v = F.verdict(_rows(1.02, last_value=1.0), "RNN", facts=walk)
    assert "within 5%" in v.text and "wandered beyond the range seen in training" in v.text
    rows = [{"name": "RNN", "mse": 4.0, "mae": 1.9, "mase": 0.95}, {"name": F.PERSISTENCE, "mse": 3.0, "mae": 2.0, "mase": 1.0}]
    v = F.verdict(rows, "RNN", facts=walk)  # MASE decides when the rows have it, and MSE is quoted beside it
    assert v.measure == "MASE" and not v.beats and "test MASEs are within 5% (0.95 against 1; MSE 4 against 3)" in v.text
    rows[0]["mase"] = 0.5
    v = F.verdict(rows, "RNN", facts=walk)
    assert v.beats and "its test MASE is 0.5 against 1, 50% lower (MSE 4 against 3)" in v.text


def test_a_won_verdict_quotes_the_noise_floor():
    v = F.verdict(_rows(0.013, seasonal_naive=0.02, last_value=0.03), "RNN", facts=F.SeriesFacts(noise_floor=0.01))
    assert v.beats and "noise floor σ² is 0.01" in v.text and "1.3×" in v.text


def test_tiny_and_huge_numbers_are_written_for_people():
    from explorer.data.numbers import fmt

    values = np.tile([1.0, 4.0, 2.0, 8.0, 5.0], 30)
    rows = [{"name": "RNN", "mse": 0.01, "mae": 0.1}, {"name": F.SEASONAL, "mse": 2.1e-30, "mae": 1e-15}]
    assert "MSE 2.1e-30" in F.verdict(rows, "RNN").text
    assert [fmt(x) for x in (2.1e-30, 1e-320, 12345.678, 0.012345, 1.5e300, 0.0)] == \
        ["2.1e-30", "< 1e-300", "12,346", "0.01235", "1.5e+300", "0"]
    assert fmt(0.0, exact_zero=False) == "< 1e-300" and fmt(float("nan")) == "—"
    assert len(values) == 150


def test_the_seasonal_period_of_a_trending_series_and_from_the_calendar():
    from explorer.data import calendar
    from explorer.data.synthetic import EXAMPLES

    co2 = EXAMPLES["weekly trend + yearly cycle"](0)
    assert F.seasonal_period(co2[:420]) in (51, 52, 53)  # found in the changes: the trend hides it in the levels
    weekly = calendar.infer_frequency(np.arange("2000-01-01", "2011-01-01", 7, dtype="datetime64[D]"))
    p = F.find_period(co2, 420, weekly)
    assert p.steps == 52 and p.text == "seasonal period 52 steps (weekly data: 52 steps make a year)"
    yearly = calendar.infer_frequency(np.arange("1950", "2000", dtype="datetime64[Y]").astype("datetime64[D]"))
    assert F.find_period(np.arange(50.0), 35, yearly).steps is None


def test_a_change_model_of_a_trend_stays_on_the_trend():
    """A network that outputs 'no change' (zero) is last value plus the training drift: it follows any trend."""
    from explorer.data.windows import CHANGE

    values = 50.0 + 2.0 * np.arange(300) + np.random.default_rng(0).normal(0, 0.5, 300)
    ds = prepare_series(values, window=8, target=CHANGE)
    zero = _zero_model(8)
    p = F.one_step_predictions(zero, ds)
    drift = ds.scaler.mean
    np.testing.assert_allclose(p.pred, values[ds.t_test - 1] + drift, rtol=1e-6)
    fc = F.autoregressive_forecast(zero, ds, 20)
    np.testing.assert_allclose(fc, values[-1] + drift * np.arange(1, 21), rtol=1e-6)
    assert F.scaled_noise_floor(ds, 0.25) == pytest.approx(0.25 / ds.scaler.std ** 2)


def _zero_model(window: int):
    import keras

    inp = keras.Input((window, 1))
    return keras.Model(inp, keras.layers.Lambda(lambda x: x[:, -1:, 0] * 0.0)(inp))


def test_a_change_model_starts_at_the_last_value_rule():
    """Untrained, the page's change model predicts next = last + the training drift (within a sliver of a step)."""
    from explorer.data.synthetic import stock_series
    from explorer.nn.config import ModelConfig, SeriesConfig, TrainConfig
    from explorer.tasks.series.run import prepare_run

    values = stock_series(400, seed=5)
    r = prepare_run(values, SeriesConfig(source="csv", window=8), ModelConfig(units=8), TrainConfig())
    assert r.ds.target == "change" and r.plan.choice.target == "change"
    p = F.one_step_predictions(r.model, r.ds)
    start = values[r.ds.t_test - 1] + r.ds.scaler.mean
    assert np.max(np.abs(p.pred - start)) < 0.05 * r.ds.scaler.std
