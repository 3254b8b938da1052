"""The browser helpers see every error alert: one the test did not expect fails it, word for word."""
import pytest
from playwright.sync_api import expect

from explorer.data.csv_series import minimum_length
from explorer.nn.config import SeriesConfig

from .harness import ALERT_LOGS, errors_on, wait_idle

pytestmark = pytest.mark.browser

NEED = minimum_length(200, 1, SeriesConfig().val_fraction, SeriesConfig().test_fraction, SeriesConfig().target)
TOO_SHORT = ("Splitting the series: the series has 100 points; a window of 200 and a horizon of 1 with this "
             f"split need at least {NEED}. Shorten the window or use more data.")


def test_an_error_alert_fails_unless_expected_exactly(app_server, page):
    page.goto(f"{app_server.url}/time_series?d_length=100&d_window=200")
    expect(page.get_by_role("heading", name="Time series")).to_be_visible(timeout=90_000)
    expect(page.get_by_text("Shorten the window")).to_be_visible(timeout=60_000)
    log = ALERT_LOGS[page]
    with pytest.raises(AssertionError, match="did not expect"):
        wait_idle(page)
    log.expect(TOO_SHORT[:-1])  # not the whole message: still unexpected
    with pytest.raises(AssertionError, match="did not expect"):
        wait_idle(page)
    log.expect(TOO_SHORT)
    wait_idle(page)
    assert len(errors_on(page)) == 1
