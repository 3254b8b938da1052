"""bench/page_clock.py: the page's own clock times what shows, off Playwright's polling grid.

A page served from memory shows its target 0.3 s after a click. Read after `locator.wait_for`, that would land on
Playwright's next poll (~0.77 s after the wait began); the page clock must give 0.3 s and a bit, and must not
count the same text while it is hidden.
"""
import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
spec = importlib.util.spec_from_file_location("page_clock", BENCH / "page_clock.py")
page_clock = importlib.util.module_from_spec(spec)
spec.loader.exec_module(page_clock)

DELAY_S = 0.3
PAGE = f"""<!doctype html><html><body>
<div class="t" style="display:none">Loss while training</div>
<button onclick="setTimeout(() => {{ const d = document.createElement('div'); d.className = 't';
  d.textContent = 'Loss while training'; document.body.appendChild(d); }}, {DELAY_S * 1000})">Train</button>
</body></html>"""


def test_the_page_clock_times_a_target_from_the_click_to_the_frame_that_shows_it(browser):
    context = browser.new_context()
    try:
        page_clock.watch(context, live=(".t", "Loss while training"), never=(".t", "not on the page"))
        context.route("http://clock.test/", lambda route: route.fulfill(body=PAGE, content_type="text/html"))
        page = context.new_page()
        page.goto("http://clock.test/")
        assert page.evaluate("() => window.__pageClock.shown") == {}  # the hidden copy does not count
        page.get_by_role("button", name="Train").click()
        seconds = page_clock.shown(page, "live", timeout_s=10) - page_clock.last_click(page)
        assert DELAY_S <= seconds < DELAY_S + 0.4, seconds
        assert "never" not in page.evaluate("() => window.__pageClock.shown")
    finally:
        context.close()
