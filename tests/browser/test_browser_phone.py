"""A class on phones: at 390 × 844 every page reads in its order, nothing is wider than the screen,
the review box is on the first screen, and chart toolbars leave the titles readable."""
import pytest
from playwright.sync_api import expect

from .harness import exceptions_on, shoot, wait_figure, wait_idle

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TINY = "d_length=300&m_units=8&t_epochs=3"

# Each chart's title box and toolbar box (the toolbar is in the page while hidden, and a tap shows it).
_OVERLAPS_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => {
    const title = gd.querySelector('.gtitle'), bar = gd.querySelector('.modebar');
    if (!title || !bar) return null;
    const a = title.getBoundingClientRect(), b = bar.getBoundingClientRect();
    const overlap = a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    return {title: title.textContent, overlap: overlap};
}).filter(x => x)"""


def _wider_than_screen(page) -> int:
    """How many pixels the page is wider than the screen (0: nothing cut off, tables scroll inside)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def test_time_series_reads_data_model_train_in_order_on_a_phone(new_page, app_server):
    page = new_page(PHONE)
    page.goto(f"{app_server.url}/time_series?{TINY}")
    train = page.get_by_role("button", name="▶ Train")
    expect(train).to_be_enabled(timeout=90_000)
    wait_idle(page)
    main = page.get_by_test_id("stMain")
    tops = [main.get_by_text(h, exact=True).bounding_box()["y"] for h in ("1 · Data", "2 · Model", "3 · Train")]
    assert tops == sorted(tops), tops  # not the model knobs hidden in a closed sidebar
    expect(main.get_by_label("Units per layer")).to_be_attached()
    train.click()
    expect(page.get_by_text("4 · Predictions, forecast and baselines")).to_be_visible(timeout=120_000)
    wait_idle(page)
    wait_figure(page, "One-step-ahead predictions")
    assert _wider_than_screen(page) <= 0
    charts = page.evaluate(_OVERLAPS_JS)
    assert charts and not [c["title"] for c in charts if c["overlap"]], charts
    assert exceptions_on(page) == []
    shoot(page, "phone-time_series", full_page=True)


def test_the_review_box_is_on_a_phones_first_screen(new_page, app_server):
    page = new_page(PHONE)
    page.goto(f"{app_server.url}/sentiment")
    box = page.get_by_label("Your review (plain text; HTML is not rendered)")
    expect(box).to_be_visible(timeout=90_000)
    wait_idle(page)
    top = box.bounding_box()["y"]
    assert top + 60 < PHONE["height"], top  # the box starts on the first screen, with room to type
    assert _wider_than_screen(page) <= 0
    shoot(page, "phone-sentiment")


def test_the_gradient_lab_fits_a_phone(new_page, app_server):
    page = new_page(PHONE)
    page.goto(f"{app_server.url}/gradient_lab")
    expect(page.get_by_role("button", name="▶ Train side by side")).to_be_enabled(timeout=90_000)
    wait_idle(page)
    assert _wider_than_screen(page) <= 0
    shoot(page, "phone-gradient_lab")
