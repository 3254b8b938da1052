"""Configs round-trip through dicts, JSON and URL params, and shrug off malformed input."""
import json

from explorer.nn.config import ModelConfig, SeriesConfig, TrainConfig, from_dict, from_query, to_dict, to_query


def test_json_round_trip_keeps_every_field():
    """As a stored model's description and the time-series page's config download keep it."""
    cfg = ModelConfig(cell="GRU", units=7, layers=2, bidirectional=True, dropout=0.25, recurrent_scale=1.5)
    assert from_dict(ModelConfig, json.loads(json.dumps(to_dict(cfg)))) == cfg


def test_url_params_hold_only_changes_and_round_trip():
    cfg = TrainConfig(learning_rate=0.01, epochs=3, clipnorm=1.0)
    params = to_query(cfg, prefix="t.")
    assert params == {"t.learning_rate": "0.01", "t.epochs": "3", "t.clipnorm": "1.0"}
    assert from_query(TrainConfig, params, prefix="t.") == cfg


def test_url_strings_are_coerced_to_field_types():
    cfg = from_query(ModelConfig, {"m.units": "12", "m.bidirectional": "true", "m.dropout": "0.1"}, "m.")
    assert (cfg.units, cfg.bidirectional, cfg.dropout) == (12, True, 0.1)


def test_a_partial_link_keeps_the_base_config_for_keys_it_lacks():
    base = TrainConfig(epochs=2, batch_size=64, learning_rate=3e-3)
    cfg = from_query(TrainConfig, {"t_patience": "1", "t_epochs": "many"}, "t_", base=base)
    assert cfg == TrainConfig(epochs=2, batch_size=64, learning_rate=3e-3, patience=1)
    assert from_query(TrainConfig, {}, "t_", base=base) == base


def test_malformed_and_unknown_keys_keep_defaults():
    cfg = from_dict(SeriesConfig, {"window": "ten", "length": "nan", "evil": "1", "noise": "0.5",
                                   "seed": 1.5})
    assert cfg.window == SeriesConfig().window
    assert cfg.length == SeriesConfig().length
    assert cfg.seed == SeriesConfig().seed
    assert cfg.noise == 0.5
