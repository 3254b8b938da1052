"""The model builder: every architecture builds, initialisers do what their knobs say."""
import threading
from dataclasses import replace

import numpy as np
import pytest

from explorer.nn.config import ModelConfig, TrainConfig
from explorer.nn.models import build_model, config_problems, recurrent_layers, recurrent_matrix, spectrum


@pytest.mark.parametrize("cell", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_every_architecture_builds_stacked_and_predicts(cell, bidirectional):
    cfg = ModelConfig(cell=cell, units=4, layers=2, bidirectional=bidirectional, outputs=3)
    model = build_model(cfg, TrainConfig(), timesteps=6)
    assert len(recurrent_layers(model)) == 2
    out = model.predict(np.zeros((2, 6, 1), np.float32), verbose=0)
    assert out.shape == (2, 3)


def test_simple_rnn_has_the_textbook_parameter_count():
    model = build_model(ModelConfig(units=50), TrainConfig(), timesteps=10)
    # W_hx (1×50) + W_hh (50×50) + b (50), then Dense 50→1.
    assert model.count_params() == (50 + 2500 + 50) + (50 + 1)


def test_text_model_has_an_embedding_and_a_sigmoid_head():
    cfg = ModelConfig(cell="LSTM", units=8, vocab_size=100, embedding_dim=5, head="binary", mask_zero=True)
    model = build_model(cfg, TrainConfig(), timesteps=12)
    p = model.predict(np.random.default_rng(0).integers(0, 100, (3, 12)), verbose=0)
    assert p.shape == (3, 1) and np.all((p > 0) & (p < 1))
    assert model.get_layer("embedding").mask_zero


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.5])
def test_orthogonal_scale_sets_every_singular_value(scale):
    model = build_model(ModelConfig(units=16, recurrent_scale=scale), TrainConfig(), timesteps=5)
    s = np.linalg.svd(recurrent_matrix(recurrent_layers(model)[0]), compute_uv=False)
    assert np.allclose(s, scale, rtol=1e-4)
    assert spectrum(recurrent_matrix(recurrent_layers(model)[0]))["spectral_radius"] == pytest.approx(scale, rel=1e-3)


def test_normal_init_scale_sets_the_spectral_radius_approximately():
    model = build_model(ModelConfig(units=128, recurrent_init="normal", recurrent_scale=1.5), TrainConfig(), 5)
    radius = spectrum(recurrent_matrix(recurrent_layers(model)[0]))["spectral_radius"]
    assert 1.2 < radius < 1.8


def test_same_seed_same_weights_other_seed_other_weights():
    a = build_model(ModelConfig(cell="GRU", units=6), TrainConfig(seed=1), 5).get_weights()
    b = build_model(ModelConfig(cell="GRU", units=6), TrainConfig(seed=1), 5).get_weights()
    c = build_model(ModelConfig(cell="GRU", units=6), TrainConfig(seed=2), 5).get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_bad_configs_are_explained_not_crashed():
    problems = config_problems(ModelConfig(units=0, dropout=1.5, cell="Transformer"),
                               TrainConfig(learning_rate=-1, epochs=0))
    text = " ".join(problems)
    for phrase in ("at least 1 unit", "Dropout", "Unknown cell", "learning rate", "one epoch"):
        assert phrase in text
    with pytest.raises(ValueError, match="at least 1 unit"):
        build_model(ModelConfig(units=0), TrainConfig(), 5)


def test_clipnorm_reaches_the_optimizer():
    model = build_model(ModelConfig(units=4), TrainConfig(clipnorm=0.5, optimizer="sgd"), 5)
    assert model.optimizer.clipnorm == 0.5
    assert build_model(ModelConfig(units=4), TrainConfig(), 5).optimizer.clipnorm is None


@pytest.mark.parametrize("readout", ["mean", "max", "meanmax"])
def test_pooled_readout_is_the_mean_or_max_of_the_hidden_states_padding_left_out(readout):
    import keras

    cfg = ModelConfig(cell="GRU", units=6, vocab_size=40, embedding_dim=4, head="binary", mask_zero=True,
                      bidirectional=True, readout=readout)
    model = build_model(cfg, TrainConfig(seed=4), timesteps=None)
    tokens = np.random.default_rng(1).integers(1, 40, (3, 10))
    tokens[:, :4] = 0  # front padding
    states = keras.Model(model.input, recurrent_layers(model)[0].output)(tokens).numpy()[:, 4:]
    pooled = {"mean": states.mean(axis=1), "max": states.max(axis=1),
              "meanmax": np.concatenate([states.mean(axis=1), states.max(axis=1)], axis=1)}[readout]
    expected = keras.ops.convert_to_numpy(model.get_layer("head")(pooled))
    p = model.predict(tokens, verbose=0)
    np.testing.assert_allclose(p, expected, atol=1e-6)
    # Masked, the prediction does not depend on how much padding there is.
    np.testing.assert_allclose(model.predict(tokens[:, 2:], verbose=0), p, atol=1e-6)


def test_unknown_readout_is_explained():
    assert "Unknown readout" in " ".join(config_problems(ModelConfig(readout="attention")))


def test_head_dropout_drops_while_training_and_never_at_inference():
    cfg = ModelConfig(cell="LSTM", units=16, vocab_size=40, embedding_dim=4, head="binary", readout="mean",
                      head_dropout=0.5)
    model = build_model(cfg, TrainConfig(seed=3), timesteps=12)
    assert model.get_layer("head_dropout").rate == 0.5
    tokens = np.random.default_rng(2).integers(1, 40, (8, 12))
    p = model.predict(tokens, verbose=0)
    np.testing.assert_array_equal(model.predict(tokens, verbose=0), p)
    train_mode = [np.asarray(model(tokens, training=True)) for _ in range(2)]
    assert not np.allclose(train_mode[0], train_mode[1])
    # Without it, the same seed builds the same network minus the layer: identical predictions.
    plain = build_model(replace(cfg, head_dropout=0.0), TrainConfig(seed=3), timesteps=12)
    assert "head_dropout" not in [l.name for l in plain.layers]
    np.testing.assert_allclose(plain.predict(tokens, verbose=0), p, atol=1e-6)


def test_bad_head_dropout_and_schedule_are_explained():
    text = " ".join(config_problems(ModelConfig(head_dropout=1.0), TrainConfig(schedule="step")))
    assert "Head dropout must be in [0, 1)" in text and "Unknown learning-rate schedule" in text


def test_word_dropout_drops_whole_words_while_training_only():
    import keras

    cfg = ModelConfig(cell="GRU", units=4, vocab_size=50, embedding_dim=6, head="binary", mask_zero=True,
                      readout="mean", word_dropout=0.5)
    model = build_model(cfg, TrainConfig(seed=3), timesteps=12)
    tokens = np.random.default_rng(5).integers(1, 50, (16, 12))
    dropped_view = keras.Model(model.input, model.get_layer("word_dropout").output)
    out = np.asarray(dropped_view(tokens, training=True))
    dropped = np.all(out == 0, axis=-1)
    np.testing.assert_array_equal(dropped, np.any(out == 0, axis=-1))  # a word goes whole or not at all
    assert 0.3 < dropped.mean() < 0.7
    kept = ~dropped
    raw = np.asarray(model.get_layer("embedding")(tokens))
    np.testing.assert_allclose(out[kept], raw[kept] / 0.5, rtol=1e-5)  # the rest is rescaled, as Keras' Dropout does
    # At inference it is the identity: the same seed without it predicts the same.
    plain = build_model(replace(cfg, word_dropout=0.0), TrainConfig(seed=3), timesteps=12)
    np.testing.assert_allclose(plain.predict(tokens, verbose=0), model.predict(tokens, verbose=0), atol=1e-6)
    assert "Word dropout must be in [0, 1)" in " ".join(config_problems(replace(cfg, word_dropout=1.0)))


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_chrono_gate_bias_spreads_time_scales_up_to_the_sequence_length(cell):
    units, T = 64, 200
    model = build_model(ModelConfig(cell=cell, units=units, gate_init="chrono"), TrainConfig(), timesteps=T)
    bias = np.asarray(recurrent_layers(model)[0].cell.bias.numpy())
    if cell == "LSTM":
        i, f = bias[:units], bias[units:2 * units]
        keep, rest = f, bias[2 * units:]
        assert np.allclose(i, -f)
    else:
        keep, rest = bias[0, :units], np.concatenate([bias[0, units:], bias[1]])
    assert np.all(keep >= 0) and np.all(keep <= np.log(T - 1) + 1e-6)
    assert keep.max() > np.log(T / 4)  # some units remember for about the whole sequence
    assert np.all(rest == 0)


def test_a_model_of_any_length_takes_its_chrono_time_scale_from_the_longest_input():
    cfg = ModelConfig(cell="LSTM", units=64, gate_init="chrono", vocab_size=50, embedding_dim=4, mask_zero=True,
                      head="binary")
    forget = {}
    for scale in (None, 500):
        model = build_model(cfg, TrainConfig(), timesteps=None, time_scale=scale)
        forget[scale] = np.asarray(recurrent_layers(model)[0].cell.bias.numpy())[64:128]
    assert forget[None].max() <= np.log(99) + 1e-6  # no length known: the default scale, 100 steps
    assert np.log(99) < forget[500].max() <= np.log(499) + 1e-6


def test_keras_gate_bias_default_is_left_alone():
    model = build_model(ModelConfig(cell="LSTM", units=8), TrainConfig(), timesteps=50)
    bias = np.asarray(recurrent_layers(model)[0].cell.bias.numpy())
    assert np.all(bias[8:16] == 1) and np.all(bias[:8] == 0)  # Keras' unit forget bias


def test_chrono_model_saves_and_loads_in_safe_mode(tmp_path):
    import keras
    cfg = ModelConfig(cell="GRU", units=4, gate_init="chrono", bidirectional=True)
    model = build_model(cfg, TrainConfig(jit_compile=True), timesteps=30)
    x = np.random.default_rng(1).normal(size=(2, 30, 1)).astype("float32")
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    assert np.allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_unknown_gate_init_is_explained():
    assert any("gate-bias" in p for p in config_problems(ModelConfig(gate_init="magic")))


def test_models_built_at_once_in_threads_start_as_one_built_alone():
    cfg, train = ModelConfig(cell="SimpleRNN", units=16), TrainConfig(seed=3, batch_every=0)
    alone = [w.copy() for w in build_model(cfg, train, 10).get_weights()]
    for _ in range(4):
        gate, built = threading.Barrier(3), []

        def build():
            gate.wait()
            built.append(build_model(cfg, train, 10).get_weights())

        threads = [threading.Thread(target=build) for _ in range(3)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        for weights in built:
            assert all(np.array_equal(a, b) for a, b in zip(alone, weights))
