"""The knob table: each knob's field exists in its config, bad link values become the nearest valid one,
and a page's link carries every knob that differs from the page's default (and nothing else)."""
import dataclasses

import pytest

from ui import knobs as K
from ui.knob_panel import Knob

PANELS = {"time series": K.TIME_SERIES, "sentiment": K.SENTIMENT, "gradient lab": K.GRADIENT_LAB}


@pytest.mark.parametrize("name", PANELS)
def test_every_knob_sets_a_field_of_its_config_and_its_default_is_valid(name):
    for part in PANELS[name].parts.values():
        fields = {f.name for f in dataclasses.fields(part.default)}
        for knob in part.knobs:
            assert knob.field in fields, (name, knob.field)
            default = getattr(part.default, knob.field)
            assert knob.valid(default, default) == default, (name, knob.field, default)  # the default is offered


def test_shared_knobs_are_declared_once_and_narrowed_per_page():
    units = {name: next(k for p in panel.parts.values() for k in p.knobs if k.field == "units")
             for name, panel in PANELS.items()}
    assert units["time series"] is K.UNITS
    assert units["sentiment"].label == units["gradient lab"].label == "Units"
    assert units["sentiment"].options == (8, 16, 32, 64, 128) and units["sentiment"].field == K.UNITS.field


def test_bad_values_become_the_nearest_valid_one():
    units = K.UNITS
    assert units.valid(0, 50) == 1 and units.valid(100_000, 50) == 512 and isinstance(units.valid(7.0, 50), int)
    snap = K.UNITS.at(widget="select_slider", options=(8, 16, 32))
    assert snap.valid(20, 8) == 16 and snap.valid(1000, 8) == 32
    assert K.CELL.valid("Transformer", "SimpleRNN") == "SimpleRNN" and K.CELL.valid("GRU", "SimpleRNN") == "GRU"
    cells = Knob("archs", "Architectures", "multiselect", ("SimpleRNN", "LSTM", "GRU"))
    assert cells.valid("GRU,Transformer", "SimpleRNN,LSTM,GRU") == "GRU"
    assert cells.valid("Transformer", "SimpleRNN,LSTM,GRU") == "SimpleRNN,LSTM,GRU"
    keep_best = K.PATIENCE.at(widget="checkbox", options=(0, 1))
    assert keep_best.valid(3, 0) == 1 and keep_best.to_widget(1) is True and keep_best.from_widget(False) == 0


def test_a_link_carries_every_knob_that_differs_from_the_page_default():
    panel = K.TIME_SERIES
    cfgs = {name: part.default for name, part in panel.parts.items()}
    assert panel.query(cfgs) == {}
    cfgs["model"] = dataclasses.replace(cfgs["model"], units=7, cell="LSTM")
    cfgs["train"] = dataclasses.replace(cfgs["train"], patience=0)  # the class default, not the page's (5)
    assert panel.query(cfgs) == {"m_units": "7", "m_cell": "LSTM", "t_patience": "0"}
    lab = K.GRADIENT_LAB
    cfgs = {name: part.default for name, part in lab.parts.items()}
    cfgs["cells"] = dataclasses.replace(cfgs["cells"], archs="SimpleRNN,GRU")
    assert lab.query(cfgs) == {"gl_archs": "SimpleRNN,GRU"}  # the lab's link carries the chosen cells


def test_the_lab_link_reads_its_old_keys_and_only_its_knobs():
    train, model = K.GRADIENT_LAB.parts["train"], K.GRADIENT_LAB.parts["model"]
    assert train.params({"gl_lr": "0.1", "gl_batch": "64", "gl_patience": "3", "m_units": "7"}) == \
        {"gl_learning_rate": "0.1", "gl_batch_size": "64"}  # old names read, fields the lab has no knob for not
    assert train.params({"gl_lr": "0.1", "gl_learning_rate": "0.3"}) == {"gl_learning_rate": "0.3"}  # the new key wins
    assert model.params({"gl_layers": "3", "gl_units": "8", "gl_cell": "GRU"}) == {"gl_units": "8"}
    cfgs = {**K.lab_parts(K.LAB_PRESETS["explode"][1]), "cells": K.Cells()}
    assert K.GRADIENT_LAB.query(cfgs) == {"gl_task": "adding", "gl_T": "100", "gl_activation": "relu",
                                          "gl_recurrent_init": "identity", "gl_recurrent_scale": "1.05",
                                          "gl_optimizer": "sgd", "gl_learning_rate": "0.1", "gl_epochs": "5",
                                          "gl_clipnorm": "0.0"}
    assert K.lab_config(cfgs) == K.LAB_PRESETS["explode"][1]
