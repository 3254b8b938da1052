"""Live training: streams, learns, stops on request keeping its history, reports divergence."""
import math

import numpy as np
import pytest

from explorer.data.synthetic import sine_wave
from explorer.data.windows import prepare_series
from explorer.introspect.probe import GradientProbe
from explorer.nn.config import ModelConfig, TrainConfig
from explorer.nn.models import build_model
from explorer.train.training import (DIVERGED, EXPLODE_FACTOR, FINISHED, MAX_LOSS, STOPPED, LiveCallback, RunResult,
                                     shuffled_batches, train)


@pytest.fixture(scope="module")
def sine():
    return prepare_series(sine_wave(300, frequency=0.05), window=8)


def _fit(ds, model_cfg=ModelConfig(units=8), **train_kw):
    cfg = TrainConfig(**{"epochs": 3, "batch_size": 32, "batch_every": 2, **train_kw})
    model = build_model(model_cfg, cfg, timesteps=ds.window)
    return model, cfg


def test_training_learns_and_streams_every_epoch_and_batch_point(sine):
    model, cfg = _fit(sine, epochs=6, learning_rate=0.01)
    events = []
    result = train(model, sine.x_train, sine.y_train, cfg, (sine.x_val, sine.y_val), sink=events.append)
    assert result.status == FINISHED and result.epochs_done == 6
    assert len(result.history["loss"]) == len(result.history["val_loss"]) == 6
    assert result.history["loss"][-1] < 0.5 * result.history["loss"][0]
    epochs = [e for e in events if e.kind == "epoch"]
    batches = [e for e in events if e.kind == "batch"]
    steps_per_epoch = math.ceil(len(sine.x_train) / 32)
    assert [e.epoch for e in epochs] == list(range(6))
    assert len(batches) == 6 * (steps_per_epoch // 2) + 1  # every 2nd batch, and the very first step
    assert all(e.elapsed >= 0 for e in events)
    # Each batch event knows where it sits on the epoch axis (epoch e ends at e + 1): live curves move mid-epoch.
    assert all(e.steps == steps_per_epoch for e in events)
    assert batches[0].batch == 0 and batches[0].at_epoch == pytest.approx(1 / steps_per_epoch)
    assert batches[1].at_epoch == pytest.approx(2 / steps_per_epoch) and epochs[0].at_epoch == 1.0
    positions = [e.at_epoch for e in events]
    assert positions == sorted(positions) and positions[-1] == 6.0
    # Per-step weight-gradient norms for every trainable layer, one per step.
    assert set(result.grad_norms) == {"rnn_0", "head"}
    assert all(len(v) == 6 * steps_per_epoch for v in result.grad_norms.values())
    assert all(np.isfinite(v).all() and min(v) > 0 for v in result.grad_norms.values())
    # The largest single weight's gradient per step (what Keras' clipnorm compares): no layer's norm below it.
    assert len(result.max_weight_grad) == 6 * steps_per_epoch
    assert all(0 < m <= max(v[i] for v in result.grad_norms.values()) + 1e-6
               for i, m in enumerate(result.max_weight_grad))
    # Every batch point is kept where the live curve drew it, so a finished run still shows them.
    assert [x for x, _ in result.batch_history["loss"]] == [e.at_epoch for e in batches]
    assert [v for _, v in result.batch_history["loss"]] == [e.logs["loss"] for e in batches]


def test_a_one_epoch_run_draws_a_curve_not_a_dot(sine):
    from explorer.charts import common as charts

    model, cfg = _fit(sine, epochs=1, batch_every=1)
    result = train(model, sine.x_train, sine.y_train, cfg, (sine.x_val, sine.y_val))
    fig = charts.loss_curves(result.history, batches=result.batch_history)
    within = [t for t in fig.data if t.name == "train, within each epoch"]
    assert len(result.history["loss"]) == 1 and len(within) == 1
    assert len(within[0].x) == math.ceil(len(sine.x_train) / 32) >= 5 and max(within[0].x) == 1.0
    assert within[0].y[-1] == pytest.approx(result.history["loss"][0], rel=1e-5)  # ends at the epoch's value


def test_clipnorm_changes_a_step_exactly_when_a_single_weights_gradient_exceeds_it(sine):
    """What the lab calls "clipping acted": Keras clips each weight's gradient on its own, so a step changes
    exactly when the largest single weight's gradient (logged before clipping) is above the clip norm."""
    from explorer.nn.models import MAX_WEIGHT_GRAD

    x, y = sine.x_train[:32], sine.y_train[:32]

    def one_step(clipnorm: float):
        cfg = TrainConfig(optimizer="sgd", learning_rate=0.1, clipnorm=clipnorm, seed=0)
        model = build_model(ModelConfig(units=8), cfg, timesteps=sine.window)
        logs = model.train_on_batch(x, y, return_dict=True)
        return float(logs[MAX_WEIGHT_GRAD]), model.get_weights()

    largest, free = one_step(0.0)
    seen, above = one_step(1.01 * largest)  # every weight's gradient is under the clip norm: nothing is cut
    _, below = one_step(0.99 * largest)  # the largest one is over it: its step is cut
    assert seen == pytest.approx(largest, rel=1e-6) and largest > 0
    assert all(np.array_equal(a, b) for a, b in zip(free, above))
    assert not all(np.allclose(a, b) for a, b in zip(free, below))


def test_stop_keeps_the_partial_history_and_what_was_learned(sine):
    model, cfg = _fit(sine, epochs=50)
    before = [w.copy() for w in model.get_weights()]
    calls = {"n": 0}

    def should_stop():
        calls["n"] += 1
        return calls["n"] >= 10  # mid-way through the second epoch

    result = train(model, sine.x_train, sine.y_train, cfg, (sine.x_val, sine.y_val), should_stop=should_stop)
    assert result.status == STOPPED and "Stopped" in result.message
    assert result.epochs_done == 2 and len(result.history["loss"]) == 2
    assert len(result.step_loss) == 10
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_divergent_config_is_reported_not_crashed(sine):
    model, cfg = _fit(sine, ModelConfig(units=16, activation="relu", recurrent_scale=3.0), learning_rate=10.0, epochs=5)
    result = train(model, sine.x_train, sine.y_train, cfg)
    assert result.status == DIVERGED
    assert "diverged" in result.message and "learning rate" in result.message
    assert result.epochs_done < 5
    assert all(math.isfinite(v) for v in result.history.get("loss", []))


def test_a_finite_but_exploded_loss_counts_as_diverged(sine):
    # Relu with a large recurrent scale can reach a loss of 1e16 without a NaN: the weights are
    # garbage already, so the run must stop and say so instead of "finishing".
    model, _ = _fit(sine)
    result = RunResult()
    callback = LiveCallback(result, None, None, batch_every=0)
    callback.set_model(model)
    callback.on_train_batch_end(0, {"batch_loss": 0.5})
    callback.on_train_batch_end(1, {"batch_loss": 0.9 * EXPLODE_FACTOR})  # bad, but below the line
    assert result.status == FINISHED and not model.stop_training
    callback.on_train_batch_end(2, {"batch_loss": 2 * EXPLODE_FACTOR})
    assert result.status == DIVERGED and model.stop_training
    assert "loss became 2e+06 at epoch 1, batch 3" in result.message
    # A network whose forward pass explodes from the start never had a sane first loss.
    result = RunResult()
    callback = LiveCallback(result, None, None, batch_every=0)
    callback.set_model(model)
    callback.on_train_batch_end(0, {"batch_loss": 10 * MAX_LOSS})
    assert result.status == DIVERGED


def test_clipping_and_a_sane_learning_rate_keep_the_same_model_finite(sine):
    model, cfg = _fit(sine, ModelConfig(units=16, activation="relu", recurrent_scale=3.0),
                      learning_rate=1e-3, clipnorm=1.0, epochs=2)
    assert train(model, sine.x_train, sine.y_train, cfg).status == FINISHED


def test_same_seed_reproduces_the_run_even_after_the_apps_warm_up(sine):
    from explorer.server.warmup import warm_up

    runs = []
    for i in range(2):
        if i:
            assert warm_up() > 0  # what app.py runs in the background: it must not change a person's run
        model, cfg = _fit(sine, ModelConfig(cell="GRU", units=6, dropout=0.2), seed=7, epochs=2)
        runs.append(train(model, sine.x_train, sine.y_train, cfg).history["loss"])
    assert np.allclose(runs[0], runs[1], rtol=1e-5)


def test_each_pass_sees_every_window_once_in_an_order_the_seed_alone_decides():
    x = np.arange(10, dtype=np.float32)[:, None]
    y = x[:, 0] * 2

    def passes(seed):
        ds, steps = shuffled_batches(x, y, 4, 3, seed)
        batches = list(ds.as_numpy_iterator())
        assert steps == 3 and len(batches) == 9 and [len(b[0]) for b in batches[:3]] == [4, 4, 2]
        assert all(np.array_equal(xb[:, 0] * 2, yb) for xb, yb in batches)  # rows stay paired
        return [np.concatenate([b[0][:, 0] for b in batches[i * 3:(i + 1) * 3]]) for i in range(3)]

    first = passes(5)
    assert all(sorted(p) == list(range(10)) for p in first)
    assert not np.array_equal(first[0], first[1])  # a new order every pass
    assert all(np.array_equal(a, b) for a, b in zip(first, passes(5)))
    assert not all(np.array_equal(a, b) for a, b in zip(first, passes(6)))


def test_training_leaves_tensorflows_global_seed_alone(sine):
    """Setting it clears TensorFlow's kernel caches: a pooled model's traced step would start cold again."""
    import tensorflow as tf

    tf.random.set_seed(1234)
    model, cfg = _fit(sine, seed=3, epochs=1)
    train(model, sine.x_train, sine.y_train, cfg)
    assert tf.compat.v1.get_seed(None)[0] == 1234


def test_probe_runs_before_training_and_after_every_epoch(sine):
    model, cfg = _fit(sine, epochs=3)
    probe = GradientProbe(sine.x_val[:8], sine.y_val[:8])
    result = train(model, sine.x_train, sine.y_train, cfg, probe=probe)
    assert len(result.probes) == 4 and all(p.shape == (sine.window,) for p in result.probes)
    assert not np.allclose(result.probes[0], result.probes[-1])


def test_early_stopping_ends_an_overfitting_run_and_keeps_its_best_epoch():
    rng = np.random.default_rng(0)
    # 64 noise sequences with noise targets: a 32-unit GRU memorises them, so the loss on other
    # noise (validation) rises after the first epochs.
    x, y = rng.normal(size=(64, 6, 1)).astype(np.float32), rng.normal(size=(64, 1)).astype(np.float32)
    xv, yv = rng.normal(size=(64, 6, 1)).astype(np.float32), rng.normal(size=(64, 1)).astype(np.float32)
    cfg = TrainConfig(epochs=60, batch_size=16, learning_rate=0.02, patience=2, batch_every=0)
    model = build_model(ModelConfig(cell="GRU", units=32), cfg, timesteps=6)
    result = train(model, x, y, cfg, (xv, yv))
    val = result.history["val_loss"]
    assert result.status == FINISHED and result.epochs_done < 60 and "Stopped early" in result.message
    assert result.best_epoch == int(np.argmin(val)) + 1 == result.epochs_done - 2
    assert f"epoch {result.best_epoch}" in result.message
    # The model now holds the best epoch's weights, not the last epoch's.
    assert model.evaluate(xv, yv, verbose=0)[0] == pytest.approx(min(val), rel=1e-5)
    assert min(val) < val[-1]


def test_without_patience_every_epoch_runs_and_the_last_is_kept(sine):
    model, cfg = _fit(sine, epochs=3)
    result = train(model, sine.x_train, sine.y_train, cfg, (sine.x_val, sine.y_val))
    assert result.epochs_done == 3 and result.best_epoch == 0 and result.message == ""


def test_cosine_schedule_falls_from_the_learning_rate_to_zero_over_the_run(sine):
    import keras

    model, cfg = _fit(sine, epochs=3, learning_rate=0.01, schedule="cosine")
    seen = []

    class Watch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(float(self.model.optimizer.learning_rate))

    result = train(model, sine.x_train, sine.y_train, cfg, (sine.x_val, sine.y_val), extra_callbacks=(Watch(),))
    steps = 3 * math.ceil(len(sine.x_train) / cfg.batch_size)
    assert result.status == FINISHED and len(seen) == steps
    expected = [0.005 * (1 + math.cos(math.pi * k / steps)) for k in range(steps)]
    np.testing.assert_allclose(seen, expected, rtol=1e-4, atol=1e-9)
    # Constant: the step size never moves.
    model, cfg = _fit(sine, epochs=1, learning_rate=0.01)
    seen.clear()
    train(model, sine.x_train, sine.y_train, cfg, extra_callbacks=(Watch(),))
    assert seen == [pytest.approx(0.01)] * len(seen)
