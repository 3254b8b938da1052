"""Synthetic series and windowing: the split never leaks the future into training or scaling."""
import numpy as np
import pytest

from explorer.data.synthetic import sine_wave, stock_series
from explorer.data.windows import (SeriesTooShort, Scaler, chronological_split, make_windows,
                                   prepare_series)


def test_sine_wave_has_the_asked_period_amplitude_and_seeded_noise():
    clean = sine_wave(400, frequency=0.05, amplitude=2.0)
    assert np.allclose(clean[:20], clean[20:40], atol=1e-9)  # period 1/0.05 = 20 steps
    assert np.isclose(np.max(clean), 2.0, atol=1e-6)
    a, b = sine_wave(100, noise=0.1, seed=3), sine_wave(100, noise=0.1, seed=3)
    assert np.array_equal(a, b) and not np.array_equal(a, sine_wave(100, noise=0.1, seed=4))


def test_stock_series_is_positive_reproducible_and_follows_its_drift():
    p = stock_series(2520, drift=0.3, volatility=0.1, seed=1)
    assert np.all(p > 0) and p[0] == 100.0
    assert np.array_equal(p, stock_series(2520, drift=0.3, volatility=0.1, seed=1))
    log_growth_per_year = np.log(p[-1] / p[0]) / 10
    assert 0.15 < log_growth_per_year < 0.35  # drift − σ²/2 = 0.295, ± noise
    jumpy = stock_series(2520, volatility=0.1, jumps=20, seed=1)
    assert np.max(np.abs(np.diff(np.log(jumpy)))) > np.max(np.abs(np.diff(np.log(p))))


def test_windows_pair_each_input_with_the_values_that_follow():
    values = np.arange(20, dtype=float)
    X, Y, t = make_windows(values, window=4, horizon=2)
    assert X.shape == (15, 4, 1) and Y.shape == (15, 2)
    assert np.array_equal(X[0, :, 0], [0, 1, 2, 3]) and np.array_equal(Y[0], [4, 5])
    assert np.array_equal(t, np.arange(4, 19))


def test_split_is_chronological_and_targets_stay_in_their_part():
    values = np.arange(200, dtype=float)
    ds = prepare_series(values, window=10, horizon=3, val_fraction=0.2, test_fraction=0.2)
    s = ds.split
    assert (s.val_start, s.test_start, s.n) == (120, 160, 200)
    # Every target of a part lies in that part: no training target comes from the future.
    assert ds.t_train.max() + 3 <= s.val_start
    assert ds.t_val.min() >= s.val_start and ds.t_val.max() + 3 <= s.test_start
    assert ds.t_test.min() >= s.test_start and ds.t_test.max() + 3 <= s.n
    # Inputs only look back in time.
    raw_inputs = ds.scaler.inverse(ds.x_test[:, :, 0])
    assert np.all(raw_inputs.max(axis=1) < ds.t_test)


def test_scaler_is_fitted_on_the_training_part_only():
    values = np.concatenate([np.random.default_rng(0).normal(0, 1, 140), np.full(60, 1e6)])
    ds = prepare_series(values, window=5, val_fraction=0.15, test_fraction=0.15)
    expected = Scaler.fit(values[:ds.split.val_start])
    assert ds.scaler == expected
    assert abs(ds.scaler.mean) < 1.0  # the huge future values did not leak into the statistics
    future_changed = values.copy()
    future_changed[ds.split.val_start:] = -5.0
    assert prepare_series(future_changed, window=5).scaler == ds.scaler


def test_scaler_inverts_and_survives_a_constant_series():
    sc = Scaler.fit(np.full(10, 3.0))
    assert sc.std == 1.0
    assert np.allclose(sc.inverse(sc.transform([1.0, 5.0])), [1.0, 5.0])


@pytest.mark.parametrize("n, window", [(20, 15), (5, 1)])
def test_too_short_series_is_refused_with_a_reason(n, window):
    with pytest.raises(SeriesTooShort, match="too few|shorter"):
        prepare_series(np.arange(n, dtype=float), window=window, horizon=3)


def test_bad_split_fractions_and_missing_values_are_refused():
    with pytest.raises(ValueError):
        chronological_split(100, 0.6, 0.5)
    with pytest.raises(ValueError, match="missing"):
        prepare_series(np.array([1.0, np.nan] * 50), window=3)
