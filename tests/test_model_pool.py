"""A pooled model trains exactly as a fresh one would, keeps its traces, and comes back when its record goes."""
import gc
import threading

import numpy as np
import pytest

from explorer.data.synthetic import sine_wave
from explorer.nn.config import ModelConfig, SeriesConfig, TrainConfig
from explorer.nn.model_pool import SPARES, ModelPool, copy_state, pool_key
from explorer.nn.models import build_model
from explorer.tasks.series.run import SeriesData, prepare_run, start_run
from explorer.train.training import train

SERIES = SeriesConfig(length=300, window=12)
MODEL = ModelConfig(cell="LSTM", units=8, dropout=0.2)


def _values():
    return sine_wave(SERIES.length, SERIES.frequency, SERIES.amplitude, SERIES.noise, SERIES.seed)


def _fit(run, cfg):
    return train(run.model, run.ds.x_train, run.ds.y_train, cfg, run.validation).history


@pytest.fixture
def pool(monkeypatch):
    fresh = ModelPool()
    monkeypatch.setattr("explorer.nn.model_pool.POOL", fresh)
    return fresh


def test_a_reused_model_trains_bit_for_bit_like_a_fresh_one_of_its_seed(pool):
    seed0, seed1 = TrainConfig(epochs=2, seed=0, batch_every=0), TrainConfig(epochs=2, seed=1, batch_every=0)
    first = prepare_run(_values(), SERIES, MODEL, seed0)
    h0 = _fit(first, seed0)
    traced = first.model.train_function
    pool.give_back(first.model, first.pool_key)

    again = prepare_run(_values(), SERIES, MODEL, seed1)  # another seed: other weights, other dropout coins
    assert again.model is first.model and pool.reused == 1
    h1 = _fit(again, seed1)
    assert again.model.train_function is traced  # the traces of the first run, not new ones

    fresh = prepare_run(_values(), SERIES, MODEL, seed1)  # the pool is empty now: a model nobody trained
    assert pool.idle() == 0
    assert fresh.model is not first.model and fresh.model is not again.model
    assert _fit(fresh, seed1) == h1  # bit for bit: weights, dropout seeds and optimizer state all reset
    assert h1 != h0


def test_other_structure_is_not_reused_but_another_learning_rate_is(pool):
    cfg = TrainConfig(epochs=1, batch_every=0)
    run = prepare_run(_values(), SERIES, MODEL, cfg)
    pool.give_back(run.model, run.pool_key)
    assert prepare_run(_values(), SERIES, ModelConfig(cell="GRU", units=8), cfg).model is not run.model
    assert prepare_run(_values(), SERIES, MODEL, TrainConfig(clipnorm=1.0, batch_every=0)).model is not run.model
    other_lr = prepare_run(_values(), SERIES, MODEL, TrainConfig(learning_rate=0.05, batch_every=0))
    assert other_lr.model is run.model
    assert float(other_lr.model.optimizer.learning_rate) == pytest.approx(0.05)
    assert int(other_lr.model.optimizer.iterations) == 0


def test_the_model_comes_back_when_the_page_drops_its_record(pool):
    data = SeriesData(_values(), None, "sine", [])
    cfg = TrainConfig(epochs=1, batch_every=0)
    run, record = start_run(data, SERIES, MODEL, cfg, number=1)
    model, key = run.model, run.pool_key
    _fit(run, cfg)
    assert pool.idle(key) == 0
    del run, record
    gc.collect()
    assert pool.idle(key) == 1
    assert prepare_run(_values(), SERIES, MODEL, cfg).model is model


def test_copy_state_refuses_a_model_of_another_shape():
    cfg = TrainConfig(batch_every=0)
    a = build_model(ModelConfig(units=8), cfg, 12)
    b = build_model(ModelConfig(units=4), cfg, 12)
    before = [w.copy() for w in a.get_weights()]
    assert not copy_state(a, b)
    assert all(np.array_equal(x, y) for x, y in zip(before, a.get_weights()))


def test_the_pool_keeps_at_most_max_idle_models():
    small = ModelPool(max_idle=2)
    cfg = TrainConfig(batch_every=0)
    models = [build_model(ModelConfig(units=4), cfg, 6) for _ in range(3)]
    key = pool_key(ModelConfig(units=4), cfg, 6)
    for m in models:
        small.give_back(m, key)
    assert small.idle(key) == 2
    assert small.lend(models[0], key) is models[2]  # the most recently returned first


def test_a_spare_key_is_refilled_after_runs_take_its_models(pool):
    cfg = TrainConfig(epochs=1, batch_every=0)
    made = []

    def make():
        run = prepare_run(_values(), SERIES, MODEL, cfg)  # the maker's own lend: a new model, not a spare
        _fit(run, cfg)
        made.append(run.model)
        return run.model

    key = prepare_run(_values(), SERIES, MODEL, cfg).pool_key
    pool.keep_spare(key, make)
    assert pool.refill() == SPARES and pool.idle(key) == SPARES and len({id(m) for m in made}) == SPARES
    assert pool.refill() == 0  # none missing
    taken = prepare_run(_values(), SERIES, MODEL, cfg).model
    assert taken in made and pool.idle(key) == SPARES - 1
    assert pool.refill() == 1 and pool.idle(key) == SPARES and made[-1] is not taken
    assert pool.idle() == SPARES  # nothing else kept


def test_a_run_that_comes_while_the_spare_is_made_waits_for_it(pool):
    cfg = TrainConfig(epochs=1, batch_every=0)
    key = prepare_run(_values(), SERIES, MODEL, cfg).pool_key
    started, made = threading.Event(), []

    def make():
        started.set()
        run = prepare_run(_values(), SERIES, MODEL, cfg)
        _fit(run, cfg)
        made.append(run.model)
        return run.model

    pool.keep_spare(key, make)
    refill = threading.Thread(target=pool.refill)
    refill.start()
    assert started.wait(30)
    assert pool.refill() == 0  # one maker at a time
    lent = prepare_run(_values(), SERIES, MODEL, cfg).model
    refill.join()
    assert lent is made[0] and pool.reused == 1
