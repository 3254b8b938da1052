"""Forecasts, naive baselines, metrics and the verdict, on series whose answers are known."""
import numpy as np
import pytest

from explorer import forecast as F
from explorer.data.synthetic import sine_wave, stock_series
from explorer.data.windows import prepare_series


def test_persistence_and_moving_average_on_a_line():
    values = 3.0 * np.arange(100) + 7.0
    t = np.arange(20, 100)
    base = F.baseline_predictions(values, t, window=5)
    np.testing.assert_allclose(base[F.PERSISTENCE], values[t] - 3.0)
    np.testing.assert_allclose(base[F.MOVING_AVERAGE], values[t] - 3.0 * 3)  # mean lags by (w+1)/2 steps
    assert F.SEASONAL not in base  # no period given
    rows = F.metrics_table(values[t], base)
    assert rows[0] == {"name": F.PERSISTENCE, "mse": pytest.approx(9.0), "mae": pytest.approx(3.0)}
    assert rows[1]["mse"] == pytest.approx(81.0) and rows[1]["mae"] == pytest.approx(9.0)


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
    from explorer.config import ModelConfig, TrainConfig
    from explorer.models import build_model
    from explorer.training import train

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
    best = min((r for n, r in rows.items() if n != "SimpleRNN(8)"), key=lambda r: r["mse"])
    assert ev.verdict.best_baseline == best["name"]
    assert ev.verdict.beats == (rows["SimpleRNN(8)"]["mse"] < 0.95 * best["mse"])
    assert ("beats the best" in ev.verdict.text) == ev.verdict.beats
    assert ev.forecast.shape == (30,) and np.all(np.isfinite(ev.forecast))
    assert np.all(np.abs(ev.forecast) < 5)  # stays on the scale of a unit sine
