"""What the network predicts: level, change, seasonal change and their log forms, the way back, and auto's choice."""
import dataclasses

import numpy as np
import pandas as pd
import pytest

from explorer.data import seasonal_choice, transforms as T
from explorer.data.calendar import infer_frequency, per_year_frequency
from explorer.data.synthetic import EXAMPLES, SEASONAL_KINDS, seasonal_series, stock_series
from explorer.data.windows import chronological_split, prepare_series
from explorer.nn.config import ModelConfig, SeriesConfig, TrainConfig
from explorer.tasks.series.run import resolve_target

MONTHLY, QUARTERLY = per_year_frequency(12), per_year_frequency(4)


@pytest.mark.parametrize("target", T.TARGETS)
@pytest.mark.parametrize("horizon", [1, 3, 14])
def test_every_target_gives_the_exact_levels_back(target, horizon):
    values = seasonal_series(120, 12, 100.0, 0.01, 0.2, 0.03, True, seed=1)
    ds = prepare_series(values, window=6, horizon=horizon, target=target, period=12)
    assert ds.t_train.min() == 6 + T.lag_of(target, 12)  # each window reads changes that reach `lag` back
    truth = np.stack([values[t:t + horizon] for t in ds.t_test])
    np.testing.assert_allclose(ds.to_levels(ds.y_test, ds.t_test), truth, rtol=1e-5)  # float32 windows
    future = T.to_modelled(np.concatenate([values, values[-12:] * 1.1]), target, 12)[-12:]
    np.testing.assert_allclose(ds.future_levels(ds.scaler.transform(future)), values[-12:] * 1.1, rtol=1e-9)


def test_the_transforms_are_plain_functions_of_arrays():
    v = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0])
    np.testing.assert_allclose(T.difference(v, 2), [0, 0, 3, 6, 12, 24])
    np.testing.assert_allclose(T.to_modelled(v, T.LOG_CHANGE), [0] + [np.log(2)] * 5)
    # Three steps of a seasonal change of lag 2 from t = 4: the third adds onto the first prediction.
    np.testing.assert_allclose(T.undifference(v, np.array([4]), np.array([[1.0, 1.0, 1.0]]), 2), [[5.0, 9.0, 6.0]])
    np.testing.assert_allclose(T.exp_values(T.log_values(v)), v)
    with pytest.raises(ValueError, match="every value above 0"):
        T.log_values(np.array([3.0, 0.0]))
    with pytest.raises(ValueError, match="seasonal period"):
        T.lag_of(T.SEASONAL, None)


def test_a_seasonal_change_keeps_a_drift_only_when_every_season_shows_it():
    """Without a clear drift an untrained seasonal model is "same as one season ago" exactly (one year's jump
    is no forecast of the next); with steady growth it starts from that plus the growth."""
    flat = seasonal_series(120, 12, 100.0, 0.0, 8.0, 1.0, False, seed=2)
    ds = prepare_series(flat, window=6, target=T.SEASONAL, period=12)
    assert ds.scaler.mean == 0.0 and ds.period == 12 and ds.lag == 12
    zero = ds.to_levels(np.zeros((len(ds.t_test), 1)), ds.t_test)[:, 0]
    np.testing.assert_allclose(zero, flat[ds.t_test - 12])
    growing = seasonal_series(120, 12, 100.0, 0.5, 8.0, 1.0, False, seed=2)
    ds = prepare_series(growing, window=6, target=T.SEASONAL, period=12)
    assert ds.scaler.mean == pytest.approx(6.0, abs=0.5)  # 12 steps × 0.5
    change = prepare_series(flat, window=6, target=T.CHANGE)  # the previous step's change: always its mean
    assert change.scaler.mean == pytest.approx(np.mean(np.diff(flat[:change.split.val_start])))


@pytest.mark.parametrize("kind, frequency, expected", [
    ("monthly additive season", MONTHLY, {T.SEASONAL}),
    ("monthly multiplicative season", MONTHLY, {T.LOG_SEASONAL, T.LOG_CHANGE}),
    ("quarterly additive season", QUARTERLY, {T.SEASONAL}),
    ("quarterly multiplicative season", QUARTERLY, {T.LOG_SEASONAL, T.LOG_CHANGE}),
    ("noisy sine", None, {T.LEVEL}),
    ("daily random walk (prices)", infer_frequency(pd.bdate_range("2001-01-01", periods=50).to_numpy()),
     {T.CHANGE, T.LOG_CHANGE}),
    ("daily weather", per_year_frequency(365), {T.CHANGE}),
])
def test_auto_removes_the_season_and_takes_logs_where_the_swings_grow(kind, frequency, expected):
    for seed in (1, 2):
        values = EXAMPLES[kind](seed)
        choice = resolve_target(values, SeriesConfig(source="csv"), frequency)
        assert choice.target in expected, (kind, seed, choice)
        assert choice.reason.startswith("Predicting ") and choice.reason.endswith(".")
        if "seasonal" in choice.target:
            assert choice.period == frequency.periods[0] and "repeats every" in choice.reason
        if T.is_log(choice.target):
            assert "its swings grow with its level" in choice.reason


def test_auto_never_reads_the_test_part():
    values = EXAMPLES["monthly multiplicative season"](1)
    split = chronological_split(len(values), 0.15, 0.15)
    wild = values.copy()
    wild[split.test_start:] = np.linspace(1.0, 1e6, len(values) - split.test_start)  # still positive
    s = SeriesConfig(source="csv")
    assert resolve_target(wild, s, MONTHLY) == resolve_target(values, s, MONTHLY)


def test_the_log_is_for_swings_that_grow_not_for_a_constant_season():
    train = seasonal_series(200, 12, 100.0, 0.01, 0.2, 0.02, True, seed=3)[:140]
    additive = seasonal_series(200, 12, 100.0, 1.0, 10.0, 1.0, False, seed=3)[:140]
    assert seasonal_choice.swings_grow(train, 12).multiplicative
    assert not seasonal_choice.swings_grow(additive, 12).multiplicative
    assert seasonal_choice.swings_grow(additive - 500, 12) is None  # not positive: no log scale


def test_a_chosen_target_that_cannot_apply_says_so():
    walk = stock_series(300, seed=4)
    s = SeriesConfig(source="csv", target="seasonal")
    with pytest.raises(ValueError, match="needs a seasonal period"):
        resolve_target(walk, s)  # a random walk has no season
    with pytest.raises(ValueError, match="every value above 0"):
        resolve_target(walk - 200, dataclasses.replace(s, target="log_change"))
    choice = resolve_target(EXAMPLES["quarterly additive season"](0), s, QUARTERLY)
    assert choice.reason == "Predicting the change since the same point one season (4 steps) before, as chosen."


def test_a_change_model_that_training_cannot_improve_keeps_its_start():
    """With keep_start, the untrained model (here: the seasonal-naive rule) is a candidate on validation too."""
    from explorer.nn.models import build_model
    from explorer.tasks.series.run import series_model_config, start_near_no_change
    from explorer.train.training import train

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 4, 1)).astype("float32"), np.full((64, 1), 3.0, "float32")
    val = (rng.normal(size=(16, 4, 1)).astype("float32"), np.zeros((16, 1), "float32"))  # the start is exact here
    cfg = TrainConfig(epochs=4, patience=2, learning_rate=0.05, batch_every=0)
    results = {}
    for keep in (False, True):
        model = build_model(series_model_config(ModelConfig(units=4), SeriesConfig()), cfg, 4)
        start_near_no_change(model)
        start = [w.copy() for w in model.get_weights()]
        results[keep] = train(model, x, y, cfg, val, keep_start=keep)
        same = all(np.array_equal(a, b) for a, b in zip(start, model.get_weights()))
        assert same == keep
    assert results[True].kept_start and results[True].best_epoch == 0
    assert "keeps its starting weights" in results[True].message
    assert not results[False].kept_start and results[False].best_epoch == 1


@pytest.mark.parametrize("kind", SEASONAL_KINDS)
def test_a_small_default_run_ties_or_beats_seasonal_naive_on_every_seasonal_kind(kind):
    """The page's plan on each synthetic seasonal kind, trained briefly: at worst within 5% of seasonal naive."""
    from explorer.tasks.series.forecast import SEASONAL, evaluate, find_period
    from explorer.tasks.series.run import DEFAULT_TRAIN, prepare_run
    from explorer.train.training import train

    values = EXAMPLES[kind](0)
    freq = MONTHLY if kind.startswith("monthly") else QUARTERLY
    s, t = SeriesConfig(source="csv"), dataclasses.replace(DEFAULT_TRAIN, epochs=12, batch_every=0)
    r = prepare_run(values, s, ModelConfig(units=16), t, freq)
    train(r.model, r.ds.x_train, r.ds.y_train, t, r.validation, keep_start=True)
    ev = evaluate(r.model, r.ds, "model", 5, period=find_period(values, r.ds.split.val_start, freq).steps)
    mse = {row["name"]: row["mse"] for row in ev.rows}
    assert mse["model"] <= 1.05 * mse[SEASONAL], (r.ds.target, mse)


def test_a_cycle_found_in_the_values_alone_must_clearly_win_to_be_removed():
    """A calendar's season repeats exactly; a cycle found by autocorrelation may drift (sunspots: 10 to 12 years),
    so without dates the seasonal form must err clearly less, not merely about as much."""
    values = EXAMPLES["weekly trend + yearly cycle"](1)
    split = chronological_split(len(values), 0.15, 0.15)
    dated = seasonal_choice.choose_form(values, T.CHANGE, 52, 10, split.val_start, split.test_start, calendar=True)
    assert 1 - seasonal_choice.MARGIN < dated.ratio < 1 + seasonal_choice.MARGIN and dated.target == T.SEASONAL
    undated = seasonal_choice.choose_form(values, T.CHANGE, 52, 10, split.val_start, split.test_start, calendar=False)
    assert undated.ratio == dated.ratio and undated.target == T.CHANGE
