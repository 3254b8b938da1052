"""Gradient lab in a real browser: SimpleRNN, LSTM and GRU trained side by side, measured live."""
import pytest
from playwright.sync_api import expect

from explorer.tasks.lab.presets import CLIPPED
from ui.knobs import GRADIENT_LAB, Cells, lab_parts

from .harness import exceptions_on, figures, shoot, wait_figure, wait_idle

pytestmark = pytest.mark.browser

EPOCHS = 2
TINY = f"gl_T=20&gl_units=8&gl_epochs={EPOCHS}&gl_samples=64&gl_batch=32"


def test_side_by_side_comparison(app_server, page):
    page.goto(f"{app_server.url}/gradient_lab?{TINY}")
    expect(page.get_by_role("heading", name="Gradient lab")).to_be_visible(timeout=90_000)
    train = page.get_by_role("button", name="▶ Train side by side")
    expect(train).to_be_enabled(timeout=60_000)
    wait_idle(page)
    train.click()
    expect(page.get_by_text("What this run measured")).to_be_visible(timeout=240_000)
    wait_idle(page)
    for arch in ("SimpleRNN", "LSTM", "GRU"):
        heat = wait_figure(page, f"{arch}: ‖∂L/∂h_t‖")
        # One row per epoch plus the untrained model.
        assert heat["traces"][0]["z_rows"] == EPOCHS + 1, (arch, heat["traces"][0])
    titles = [f["title"] for f in figures(page)]
    assert sum("‖∂L/∂h_t‖" in t for t in titles) >= 3, titles
    assert exceptions_on(page) == []
    shoot(page, "gradient_lab")


def test_a_preset_clicked_just_before_train_is_what_trains(app_server, page):
    """Preset ④ and, 50 ms later, Train: the browser has not drawn the preset's values yet when it sends the
    Train click (with the old values in it); the run must still be the preset's, and the knobs show it."""
    page.goto(f"{app_server.url}/gradient_lab")
    train = page.get_by_role("button", name="▶ Train side by side")
    expect(train).to_be_enabled(timeout=90_000)
    wait_idle(page)
    page.evaluate("""() => {
        const button = (start) => [...document.querySelectorAll('button')].find(b => b.innerText.trim().startsWith(start));
        button('④').click();
        setTimeout(() => button('▶ Train side by side').click(), 50);
    }""")
    expect(page.get_by_text("What this run measured")).to_be_visible(timeout=300_000)
    wait_idle(page)
    wanted = GRADIENT_LAB.link({**lab_parts(CLIPPED), "cells": Cells()})
    assert page.get_by_text("This run's set-up:").inner_text().split(": ", 1)[1].strip() == wanted
    changed = page.get_by_text("the knobs above have changed since")
    try:
        expect(changed).to_have_count(0)
    except AssertionError:  # say which knobs differ from the run
        raise AssertionError(changed.first.inner_text()) from None
    verdict = page.get_by_test_id("stAlertContentInfo").filter(has_text="What this run measured").inner_text()
    assert "Clipping acted on" in verdict and "exploding gradients" in verdict
    assert exceptions_on(page) == []
