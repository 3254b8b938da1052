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


def test_a_change_model_reads_and_predicts_changes_and_levels_come_back():
    from explorer.data.windows import CHANGE

    values = 100.0 + 2.0 * np.arange(60) + np.sin(np.arange(60))
    ds = prepare_series(values, window=5, target=CHANGE)
    d = np.diff(values)
    assert ds.t_train.min() == 6  # five changes need six values
    np.testing.assert_allclose(ds.scaler.inverse(ds.x_train[0, :, 0]), d[:5], rtol=1e-5)
    np.testing.assert_allclose(ds.scaler.inverse(ds.y_train[0]), d[5:6], rtol=1e-5)
    # The scaler saw only the training part's changes.
    assert ds.scaler.mean == pytest.approx(np.mean(d[:ds.split.val_start - 1]))
    # Perfect changes give back the exact levels, for every horizon step.
    ds2 = prepare_series(values, window=5, horizon=3, target=CHANGE)
    levels = ds2.to_levels(ds2.y_test, ds2.t_test)
    np.testing.assert_allclose(levels, np.stack([values[t:t + 3] for t in ds2.t_test]), rtol=1e-5)
    future = ds2.future_levels(ds2.scaler.transform(np.array([1.0, 1.0, -2.0])))
    np.testing.assert_allclose(future, values[-1] + np.array([1.0, 2.0, 0.0]))


def test_a_trend_leaves_the_training_range_of_levels_but_not_of_changes():
    from explorer.data.windows import CHANGE, LEVEL

    values = 3.0 * np.arange(300) + np.random.default_rng(0).normal(0, 1, 300)
    level, change = prepare_series(values, 10, target=LEVEL), prepare_series(values, 10, target=CHANGE)
    assert level.y_test.min() > level.y_train.max() + 0.5  # beyond anything a tanh network was trained on
    assert change.y_test.max() < change.y_train.max() and change.y_test.min() > change.y_train.min()


def test_a_long_series_is_sampled_for_training_and_validation_but_tested_whole():
    values = np.sin(np.arange(100_000) / 30.0)
    ds = prepare_series(values, 10, max_train_windows=1000, max_val_windows=300, seed=1)
    assert len(ds.x_train) == 1000 and ds.n_train_windows == 70_000 - 10
    assert len(ds.x_val) == 300 and ds.n_val_windows == 15_000
    assert len(ds.x_test) == 15_000  # the test part is always scored whole
    assert np.all(np.diff(ds.t_train) > 0) and ds.t_train.max() < ds.split.val_start
    assert ds.t_val.min() == ds.split.val_start and ds.t_val.max() == ds.split.test_start - 1  # spread evenly
    np.testing.assert_allclose(ds.scaler.inverse(ds.x_train[:, -1, 0]), values[ds.t_train - 1], atol=1e-5)


def test_the_scaler_survives_huge_and_tiny_magnitudes():
    big = Scaler.fit(np.array([1e300, -2e300, 3e300]))
    assert np.isfinite(big.mean) and np.isfinite(big.std) and big.std > 1e299
    tiny = Scaler.fit(np.array([1e-20, 3e-20, 2e-20]))
    assert tiny.std == pytest.approx(np.std([1e-20, 3e-20, 2e-20]))  # not mistaken for a constant


def test_choose_target_from_the_training_part_only():
    from explorer.data.stationarity import choose_target
    from explorer.data.synthetic import EXAMPLES

    sine = EXAMPLES["noisy sine"](0)
    walk = stock_series(800, seed=3)
    trend = 0.5 * np.arange(400) + np.random.default_rng(1).normal(0, 1, 400)
    assert choose_target(sine, 350).target == "level" and "rules out a random walk" in choose_target(sine, 350).reason
    assert choose_target(walk, 560).target == "change" and "random walk" in choose_target(walk, 560).reason
    assert choose_target(trend, 280).target == "change" and "trends" in choose_target(trend, 280).reason
    # Only the training part counts: a wild test part does not change the choice.
    wild = sine.copy()
    wild[350:] = np.linspace(0, 1e6, 150)
    assert choose_target(wild, 350) == choose_target(sine, 350)
    assert choose_target(np.sin(np.arange(300) / 5.0), 210).target == "level"  # noise-free: the test says nothing
