"""A teacher uploads series exported from R (decimal years; years before 0) and sees real dates on the charts."""
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from .harness import exceptions_on, shoot, wait_figure, wait_idle

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import r_exports as R  # noqa: E402

pytestmark = pytest.mark.browser

TINY = "d_source=csv&m_units=8&t_epochs=3&t_batch_size=16"


def _upload(page, name: str, data: bytes) -> None:
    page.locator('input[type="file"]').set_input_files(files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    expect(page.get_by_text("What was read from the file")).to_be_visible(timeout=60_000)
    wait_idle(page)


def _x_ticks(page, title_part: str) -> list[str]:
    """The x-axis tick labels plotly.js drew on the chart whose title contains `title_part`."""
    chart = page.locator(".js-plotly-plot").filter(has_text=title_part).first
    return [t.strip() for t in chart.locator(".xtick text").all_text_contents() if t.strip()]


def test_an_r_monthly_export_trains_on_dates_and_a_tree_ring_series_shows_years_before_0(app_server, page):
    page.goto(f"{app_server.url}/time_series?{TINY}")
    expect(page.get_by_text("Upload a CSV to continue")).to_be_visible(timeout=90_000)
    _upload(page, "AirPassengers.csv", R.r_ts_csv(R.seasonal_values(144, 12, seed=3, growth=0.01), 1949, 12))
    expect(page.get_by_text(re.compile(r"Time: decimal years, monthly \(steps of 1/12\) in “time”"))).to_be_visible(
        timeout=90_000)
    wait_figure(page, "and its split")
    ticks = _x_ticks(page, "and its split")
    assert any(re.fullmatch(r"(Jan )?19[456]\d", t) for t in ticks), ticks  # years on the axis, not row numbers
    page.get_by_role("button", name="▶ Train").click()
    expect(page.get_by_text("4 · Predictions, forecast and baselines")).to_be_visible(timeout=120_000)
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"(its|their) test MASEs? (is|are)"))).to_be_visible()  # the verdict
    assert any(re.search(r"19[56]\d", t) for t in _x_ticks(page, "One-step-ahead predictions"))
    shoot(page, "time_series_r_export")
    _upload(page, "treering.csv", R.r_ts_csv(1 + 0.3 * np.random.default_rng(2).standard_normal(400), -6000, 1))
    # The page already shows the first file's expander: wait for the new file's own caption (slow on a busy machine).
    expect(page.get_by_text(re.compile(r"Time: whole years, some before year 0 in “time”"))).to_be_visible(
        timeout=90_000)
    wait_idle(page)
    wait_figure(page, "and its split")
    ticks = _x_ticks(page, "and its split")
    assert ticks and all(re.fullmatch(r"[-−]\d{4}", t) for t in ticks), ticks
    assert exceptions_on(page) == []
