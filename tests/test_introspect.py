"""The BPTT probe and hidden states agree with Keras, full autodiff and finite differences."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from explorer.config import ModelConfig, TrainConfig
from explorer.introspect import (GradientProbe, decay_per_step, hidden_states, memory_horizon, model_probe,
                                 perturbed_output)
from explorer.models import build_model, recurrent_layers

RNG = np.random.default_rng(0)
X = RNG.normal(size=(4, 7, 1)).astype(np.float32)
Y = RNG.normal(size=(4, 1)).astype(np.float32)


def _model(cell, **kw):
    return build_model(ModelConfig(cell=cell, units=5, **kw), TrainConfig(seed=3), timesteps=7)


def _mse(pred):
    return float(np.mean((pred.astype(np.float64) - Y) ** 2))


def _eager_reference(model, x, y):
    """‖∂L/∂h_t‖ by plain autodiff through a Python loop over the cell (the slow, obvious way)."""
    cell = recurrent_layers(model)[0].cell
    head = model.get_layer("head")
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        sizes = cell.state_size if isinstance(cell.state_size, list) else [cell.state_size]
        states = [tf.zeros((x.shape[0], s)) for s in sizes]
        hs = []
        for t in range(x.shape[1]):
            _, new = cell(x[:, t], states if len(states) > 1 else states[0])
            states = list(new) if isinstance(new, (list, tuple)) else [new]
            hs.append(states[0])
        loss = tf.reduce_mean((head(states[0]) - y) ** 2)
    grads = tape.gradient(loss, hs)
    return np.array([np.linalg.norm(g.numpy()) for g in grads])


@pytest.mark.parametrize("cell", ["SimpleRNN", "LSTM", "GRU"])
def test_probe_matches_full_autodiff_through_the_recurrence(cell):
    model = _model(cell)
    probe = GradientProbe(X, Y)(model)
    reference = _eager_reference(model, X, Y)
    assert probe.shape == (7,)
    np.testing.assert_allclose(probe, reference, rtol=1e-4, atol=1e-8)
    # Not only the direct term: early steps get gradient only through the recurrence.
    assert probe[0] > 0


@pytest.mark.parametrize("cell", ["SimpleRNN", "LSTM", "GRU"])
def test_probe_matches_finite_differences(cell):
    model = _model(cell)
    probe = GradientProbe(X, Y)
    g, g_back = probe.gradients(model)
    assert g.shape == (4, 7, 5) and not g_back.any()
    np.testing.assert_allclose(np.sqrt((g ** 2).sum(axis=(0, 2))), probe(model), rtol=1e-5)
    delta = 1e-2
    for (b, t, u) in [(0, 0, 0), (1, 3, 2), (3, 6, 4), (2, 1, 1)]:
        d = np.zeros((4, 7, 5), np.float32)
        d[b, t, u] = delta
        fd = (_mse(perturbed_output(model, X, eps=d)) - _mse(perturbed_output(model, X, eps=-d))) / (2 * delta)
        assert fd == pytest.approx(g[b, t, u], rel=2e-2, abs=1e-5)


@pytest.mark.parametrize("cell", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_unperturbed_unroll_reproduces_keras_output(cell, bidirectional):
    model = build_model(ModelConfig(cell=cell, units=4, layers=2, bidirectional=bidirectional),
                        TrainConfig(seed=1), timesteps=7)
    np.testing.assert_allclose(perturbed_output(model, X), model.predict(X, verbose=0), atol=1e-6)


@pytest.mark.parametrize("readout", ["last", "mean", "max", "meanmax"])
def test_masked_text_model_unroll_and_probe_ignore_padding(readout):
    cfg = ModelConfig(cell="LSTM", units=4, vocab_size=30, embedding_dim=3, mask_zero=True,
                      head="binary", bidirectional=True, readout=readout)
    model = build_model(cfg, TrainConfig(seed=2), timesteps=9)
    tokens = RNG.integers(1, 30, size=(3, 9))
    tokens[:, :4] = 0  # front padding
    np.testing.assert_allclose(perturbed_output(model, tokens), model.predict(tokens, verbose=0), atol=1e-6)
    norms = GradientProbe(tokens, np.array([[1.0], [0.0], [1.0]], np.float32))(model)
    assert np.all(norms[:4] == 0) and np.all(norms[4:] > 0)


def test_probe_of_a_bidirectional_layer_counts_both_directions():
    model = build_model(ModelConfig(units=4, bidirectional=True), TrainConfig(seed=1), timesteps=7)
    g_f, g_b = GradientProbe(X, Y).gradients(model)
    # Forward states near the end and backward states near the start sit closest to the loss.
    assert g_f.any() and g_b.any()
    assert np.linalg.norm(g_f[:, -1]) > np.linalg.norm(g_f[:, 0])
    assert np.linalg.norm(g_b[:, 0]) > np.linalg.norm(g_b[:, -1])


@pytest.mark.parametrize("cell", ["SimpleRNN", "LSTM", "GRU"])
def test_hidden_states_end_where_the_layer_ends(cell):
    model = _model(cell)
    states = hidden_states(model, X[0])
    assert len(states) == 1 and states[0].h.shape == (7, 5)
    sub = keras.Model(model.inputs, recurrent_layers(model)[0].output)
    np.testing.assert_allclose(states[0].h[-1], sub.predict(X[:1], verbose=0)[0], atol=1e-6)


def test_lstm_gates_reproduce_the_cell_and_hidden_states():
    model = _model("LSTM")
    s = hidden_states(model, X[1])[0]
    g = s.gates
    assert set(g) == {"input", "forget", "cell", "output"}
    for name in ("input", "forget", "output"):
        assert np.all((g[name] > 0) & (g[name] < 1))
    c_prev = np.vstack([np.zeros((1, 5)), s.c[:-1]])
    np.testing.assert_allclose(s.c, g["forget"] * c_prev + g["input"] * g["cell"], atol=1e-5)
    np.testing.assert_allclose(s.h, g["output"] * np.tanh(s.c), atol=1e-5)


def test_memory_horizon_and_decay_on_known_curves():
    decaying = 0.5 ** np.arange(20)[::-1]  # largest at the end, halves per step back
    assert memory_horizon(decaying, 1e-3) == 10  # 2^-9 ≥ 1e-3 > 2^-10
    assert decay_per_step(decaying) == pytest.approx(0.5)
    assert memory_horizon(np.ones(30)) == 30
    assert memory_horizon(np.zeros(5)) == 0 and memory_horizon(np.array([np.nan, 1.0])) == 0


def test_cached_probe_equals_probing_each_model_and_shares_one_twin():
    cfg, train_cfg = ModelConfig(cell="GRU", units=5), TrainConfig(seed=3)
    a = build_model(cfg, train_cfg, timesteps=7)
    b = build_model(cfg, TrainConfig(seed=4), timesteps=7)  # same architecture, other weights
    pa = model_probe(cfg, train_cfg, 7, 1, X, Y)
    pb = model_probe(cfg, train_cfg, 7, 1, X, Y)
    assert pa._twin is pb._twin  # one twin, traced once, for every model of this architecture and shape
    for probe, model in ((pa, a), (pb, b), (pa, a)):
        np.testing.assert_allclose(probe(model), GradientProbe(X, Y)(model), rtol=1e-5, atol=1e-9)
    assert not np.allclose(pa(a), pb(b))


def test_warm_up_leaves_the_time_series_default_probe_traced():
    from explorer import introspect
    from explorer.config import SeriesConfig
    from explorer.data.synthetic import sine_wave
    from explorer.series_run import prepare_run
    from explorer.warmup import warm_up

    warm_up()
    before = dict(introspect._TWINS)
    s = SeriesConfig()
    run = prepare_run(sine_wave(s.length, s.frequency, s.amplitude, s.noise, s.seed), s, ModelConfig(),
                      TrainConfig())  # the page's defaults (training settings are not part of the key)
    assert run.probe._twin in before.values()
    assert run.probe(run.model).shape == (s.window,)


def test_pooled_readout_gives_early_steps_a_direct_path_to_the_loss():
    """With the last state read, a contracting SimpleRNN's gradient vanishes towards t = 1; pooled, it does not."""
    ratios = {}
    x = RNG.normal(size=(8, 40, 1)).astype(np.float32)
    y = RNG.normal(size=(8, 1)).astype(np.float32)
    for readout in ("last", "mean"):
        model = build_model(ModelConfig(units=8, recurrent_scale=0.3, readout=readout), TrainConfig(seed=1), 40)
        norms = GradientProbe(x, y)(model)
        np.testing.assert_allclose(perturbed_output(model, x), model.predict(x, verbose=0), atol=1e-6)
        ratios[readout] = norms[0] / norms[-1]
    assert ratios["last"] < 1e-6 < 1e-2 < ratios["mean"]
