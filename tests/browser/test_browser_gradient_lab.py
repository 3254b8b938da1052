"""Gradient lab in a real browser: SimpleRNN, LSTM and GRU trained side by side, measured live."""
import pytest
from playwright.sync_api import expect

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
    expect(page.get_by_text("At the decisive step")).to_be_visible(timeout=240_000)
    wait_idle(page)
    for arch in ("SimpleRNN", "LSTM", "GRU"):
        heat = wait_figure(page, f"{arch}: ‖∂L/∂h_t‖")
        # One row per epoch plus the untrained model.
        assert heat["traces"][0]["z_rows"] == EPOCHS + 1, (arch, heat["traces"][0])
    titles = [f["title"] for f in figures(page)]
    assert sum("‖∂L/∂h_t‖" in t for t in titles) >= 3, titles
    assert exceptions_on(page) == []
    shoot(page, "gradient_lab")
