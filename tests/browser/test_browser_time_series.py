"""Time series in a real browser: train live and watch the loss curve grow (CSV upload: see the concurrency test)."""
import re
import time

import numpy as np
import pytest
from playwright.sync_api import expect

from .harness import exceptions_on, figure, shoot, wait_figure, wait_idle

pytestmark = pytest.mark.browser

# Tiny but real: 240-point sine, SimpleRNN(8), window 10. The URL carries the set-up (as a shared link would).
TINY = "d_length=240&m_units=8&t_batch_size=16&t_patience=0"  # every epoch runs: no early stop
TRAINED = re.compile(r"Trained \d+ epoch\(s\)")


def train_button(page):
    return page.get_by_role("button", name="▶ Train")


def test_training_draws_a_growing_loss_curve(app_server, page):
    epochs = 100  # a few seconds of training: the live chart is redrawn every second (ui.live.POLL_S)
    page.goto(f"{app_server.url}/time_series?{TINY}&t_epochs={epochs}")
    expect(page.get_by_role("heading", name="Time series")).to_be_visible(timeout=90_000)
    expect(train_button(page)).to_be_enabled(timeout=90_000)
    wait_idle(page)
    train_button(page).click()
    # While it trains, the live loss chart gains a point per epoch: sample it until the run ends.
    seen: list[int] = []
    done = page.get_by_text(TRAINED)
    deadline = time.monotonic() + 400  # 20 s alone; several times that beside the suite's other worker
    while time.monotonic() < deadline and not done.is_visible():
        live = figure(page, "Loss while training")
        epochs_drawn = [t["n"] for t in (live or {"traces": []})["traces"] if t["name"] == "train"]
        if epochs_drawn:  # the per-epoch training curve (the batch points within an epoch are a trace of their own)
            n = epochs_drawn[0]
            if not seen or n != seen[-1]:
                seen.append(n)
        page.wait_for_timeout(50)
    expect(done).to_be_visible(timeout=5_000)
    assert seen, "the live loss chart never appeared"
    assert seen == sorted(seen), f"the curve lost points while training: {seen}"
    assert len(seen) >= 2 and seen[0] < epochs, f"the curve did not grow while training: {seen}"
    assert f"Trained {epochs} epoch(s)" in done.inner_text()
    # The results arrive: predictions against the truth, with baselines, and the inside of the network.
    expect(page.get_by_text("4 · Predictions, forecast and baselines")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("5 · Inside the network")).to_be_visible(timeout=60_000)
    wait_idle(page)
    # The live curve (drawn by the Train fragment) gives way to the run's own loss chart, every epoch in it.
    final = wait_figure(page, "SimpleRNN(8): loss (scaled units)", min_points=epochs)
    assert final["traces"][0]["n"] == epochs
    pred = wait_figure(page, "One-step-ahead predictions")
    assert pred is not None and pred["traces"][0]["name"] == "truth"
    truth, model = np.array(pred["traces"][0]["y"]), np.array(pred["traces"][1]["y"])
    assert len(truth) == len(model) > 0 and np.all(np.isfinite(model))
    assert exceptions_on(page) == []
    shoot(page, "time_series")
