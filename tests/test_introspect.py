"""The BPTT probe and hidden states agree with Keras, full autodiff and finite differences."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from explorer.introspect.hidden_states import hidden_states
from explorer.introspect.horizon import decay_per_step, memory_horizon
from explorer.introspect.probe import GradientProbe, model_probe
from explorer.nn.config import ModelConfig, TrainConfig
from probe_checks import perturbed_output
from explorer.nn.models import build_model, recurrent_layers

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
    from explorer.data.synthetic import sine_wave
    from explorer.introspect import probe as introspect
    from explorer.nn.config import SeriesConfig
    from explorer.server.warmup import warm_up
    from explorer.tasks.series.run import prepare_run

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


# ---------------------------------------------------------------- float64: nothing lost to underflow

def _reference_log10_norms(model, x, y):
    """log10 ‖∂L/∂h_t‖ of a last-state SimpleRNN + Dense + MSE, by hand in numpy float64.

    Independent of TensorFlow's autodiff: the backward recursion ∂L/∂h_{t−1} = (∂L/∂h_t ⊙ (1 − h_t²)) Rᵀ
    renormalised every step (the scale kept as a logarithm), so it is exact far below 1e-308.
    """
    cell = recurrent_layers(model)[0].cell
    k, r, b = (np.asarray(v.numpy(), np.float64) for v in (cell.kernel, cell.recurrent_kernel, cell.bias))
    w, c = (np.asarray(v.numpy(), np.float64) for v in model.get_layer("head").weights)
    x = np.asarray(x, np.float64)
    hs, h = [], np.zeros((x.shape[0], r.shape[0]))
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ k + h @ r + b)
        hs.append(h)
    g = 2.0 / y.size * (h @ w + c - y) @ w.T  # ∂L/∂h_T of the batch-mean squared error
    log_scale, out = 0.0, np.zeros(x.shape[1])
    for t in range(x.shape[1] - 1, -1, -1):
        out[t] = log_scale + np.log10(np.linalg.norm(g))
        g = (g * (1.0 - hs[t] ** 2)) @ r.T
        n = np.abs(g).max()
        g, log_scale = g / n, log_scale + np.log10(n)
    return out


def test_probe_is_float64_and_right_down_to_1e_minus_300_at_T_400():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(16, 400, 1)).astype(np.float32)
    y = rng.normal(size=(16, 1)).astype(np.float32)
    model = build_model(ModelConfig(units=16, recurrent_scale=0.15), TrainConfig(seed=5), timesteps=400)
    norms = GradientProbe(x, y)(model)
    ref = _reference_log10_norms(model, x, y)
    assert norms.dtype == np.float64
    inside = ref >= -300
    assert (ref[inside] < -38).sum() >= 100  # many steps that float32 could not hold at all
    assert (~inside).sum() >= 10  # and some that leave even float64's range
    np.testing.assert_allclose(norms[inside], 10.0 ** ref[inside], rtol=0.01)
    assert np.all(norms[~inside] < 1.01e-300)  # below the range: tiny or 0, shown as "< 1e-300"


def test_decay_and_horizon_use_every_step():
    norms = 10.0 ** -np.arange(400, dtype=np.float64)[::-1]  # falls ten-fold per step back, to 1e-399
    norms[norms < 1e-320] = 0.0  # what float64 gives back beyond its range
    assert 0.1 <= decay_per_step(norms) < 0.2  # the zeros count at float64's floor: an upper bound
    assert memory_horizon(norms) == 4  # 1, 0.1, 0.01 and 0.001 of the maximum
    assert decay_per_step(np.array([0.0, 0.0, 1e-5, 1.0])) < 1e-5  # not NaN, not only the last two steps


# ---------------------------------------------------------------- beyond the simple case

def _eager_layer_grads(model, x, y, layer_index):
    """(forward, backward) ∂L/∂(state computed at t) of recurrent layer `layer_index`, by a Python loop.

    Every other layer is called by Keras; the target layer's cell is stepped by hand (masked steps keep
    the previous state, as Keras does), and the tape differentiates the loss w.r.t. each new state.
    """
    from explorer.nn.models import call_layer

    loss_fn = keras.losses.get(model.loss)
    xs = tf.constant(x)
    with tf.GradientTape(persistent=True) as tape:
        h, mask, index, watched = xs, None, 0, {"forward": [], "backward": []}
        for layer in model.layers[1:]:
            if isinstance(layer, keras.layers.Embedding):
                h = layer(h)
                mask = tf.not_equal(xs, 0) if layer.mask_zero else None
            elif isinstance(layer, (keras.layers.RNN, keras.layers.Bidirectional)):
                if index == layer_index:
                    parts = ([("forward", layer.forward_layer), ("backward", layer.backward_layer)]
                             if isinstance(layer, keras.layers.Bidirectional) else [("forward", layer)])
                    outs = []
                    for direction, rnn in parts:
                        cell = rnn.cell
                        sizes = cell.state_size if isinstance(cell.state_size, list) else [cell.state_size]
                        states = [tf.zeros((h.shape[0], s)) for s in sizes]
                        order = range(h.shape[1] - 1, -1, -1) if rnn.go_backwards else range(h.shape[1])
                        seq = [None] * h.shape[1]
                        for t in order:
                            _, new = cell(h[:, t], states if len(states) > 1 else states[0], training=False)
                            new = list(new) if isinstance(new, (list, tuple)) else [new]
                            watched[direction].append((t, new[0]))
                            keep = tf.ones((h.shape[0], 1), bool) if mask is None else mask[:, t, None]
                            states = [tf.where(keep, n, o) for n, o in zip(new, states)]
                            seq[t] = states[0]
                        outs.append(tf.stack(seq, axis=1) if rnn.return_sequences else states[0])
                    h = tf.concat(outs, axis=-1)
                else:
                    h = layer(h, mask=mask, training=False)
                index += 1
                if not layer.return_sequences:
                    mask = None
            else:
                h, mask = call_layer(layer, h, mask)
        loss = tf.reduce_mean(loss_fn(tf.constant(y), h))
    out = {}
    for direction, pairs in watched.items():
        g = np.zeros((x.shape[0], x.shape[1], _units_of(model, layer_index)))
        grads = tape.gradient(loss, [state for _, state in pairs]) if pairs else []  # one backward pass
        for (t, _), grad in zip(pairs, grads):
            if grad is not None:
                g[:, t] = grad.numpy()
        out[direction] = g
    return out["forward"], out["backward"]


def _units_of(model, layer_index):
    layer = recurrent_layers(model)[layer_index]
    return (layer.forward_layer if isinstance(layer, keras.layers.Bidirectional) else layer).cell.units


@pytest.mark.parametrize("case", ["stacked second layer", "bidirectional", "masked bidirectional text"])
def test_probe_matches_autodiff_beyond_the_simple_case(case):
    if case == "stacked second layer":
        model = build_model(ModelConfig(cell="LSTM", units=4, layers=2), TrainConfig(seed=2), timesteps=7)
        x, y, layer = X, Y, 1
    elif case == "bidirectional":
        model = build_model(ModelConfig(cell="GRU", units=4, bidirectional=True), TrainConfig(seed=2), timesteps=7)
        x, y, layer = X, Y, 0
    else:
        cfg = ModelConfig(cell="LSTM", units=4, vocab_size=30, embedding_dim=3, mask_zero=True, head="binary",
                          bidirectional=True, layers=2, readout="mean")
        model = build_model(cfg, TrainConfig(seed=2), timesteps=9)
        x = RNG.integers(1, 30, size=(3, 9))
        x[0, :4] = 0
        x[1, :2] = 0  # front padding of different lengths
        y, layer = np.array([[1.0], [0.0], [1.0]], np.float32), 0
    ref_f, ref_b = _eager_layer_grads(model, x, y, layer)
    g_f, g_b = GradientProbe(x, y, layer_index=layer).gradients(model)
    scale = max(np.abs(ref_f).max(), np.abs(ref_b).max())
    np.testing.assert_allclose(g_f, ref_f, rtol=1e-4, atol=1e-6 * scale)
    np.testing.assert_allclose(g_b, ref_b, rtol=1e-4, atol=1e-6 * scale)
    assert np.abs(g_f).max() > 0
    if case != "stacked second layer":
        assert np.abs(g_b).max() > 0
    if case.startswith("masked"):
        assert not g_f[0, :4].any() and not g_b[0, :4].any() and g_f[0, 4:].any()
