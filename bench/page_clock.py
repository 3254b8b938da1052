"""The page's own clock, for timing what a visitor sees.

A time read in Python after Playwright's `locator.wait_for` or `expect` lands on their polling grid: they look
at the page 0, 20, 50, 100, 100 ms apart, then every 500 ms, so a chart drawn 0.30 s after a click reads as
~0.8 s and one drawn at 0.25 s as ~0.3 s. Medians of such readings are bimodal
and can differ by more than the change measured. Here the page times itself: a capture listener notes each
click, and a watcher notes the animation frame in which each named target first shows (its element in the
DOM, with its text, laid out). Times are `performance.now()` in seconds, whose origin is the navigation's start.
"""
from __future__ import annotations

import json

_JS = """
(() => {
  let clock = window.__pageClock;
  if (!clock) {  // the first of the context's watches in this document
    clock = window.__pageClock = {clicks: [], shown: {}};
    document.addEventListener('click', () => clock.clicks.push(performance.now()), true);
  }
  const targets = %s;
  const left = new Set(Object.keys(targets));
  let asked = false;
  const check = () => {
    asked = false;
    const now = performance.now();
    for (const name of [...left]) {
      const [selector, text] = targets[name];
      const match = e => e.textContent.includes(text) && e.getClientRects().length > 0;  // there, and laid out
      if ([...document.querySelectorAll(selector)].some(match)) {
        clock.shown[name] = now;
        left.delete(name);
      }
    }
    if (!left.size) observer.disconnect();
  };
  const observer = new MutationObserver(() => { if (!asked) { asked = true; requestAnimationFrame(check); } });
  observer.observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
})();
"""


def watch(context, **targets: tuple[str, str]) -> None:
    """In every page `context` opens, note when each target first shows: name=(CSS selector, text it contains).
    Watches add up (a context can be given more targets later); they start with the next navigation."""
    context.add_init_script(_JS % json.dumps(targets))


def shown(page, name: str, timeout_s: float = 300.0) -> float:
    """Seconds from the navigation's start to the frame that first showed target `name` (waits for it)."""
    page.wait_for_function("name => window.__pageClock.shown[name] !== undefined", arg=name,
                           timeout=timeout_s * 1000)
    return page.evaluate("name => window.__pageClock.shown[name]", name) / 1000


def last_click(page) -> float:
    """Seconds from the navigation's start to the page's latest click."""
    return page.evaluate("() => window.__pageClock.clicks.at(-1)") / 1000


def now(page) -> float:
    """Seconds from the navigation's start to this moment, on the page's clock."""
    return page.evaluate("() => performance.now()") / 1000


def shown_epoch(page, name: str) -> float | None:
    """When target `name` first showed, in seconds since the epoch (None if it has not): to compare pages, whose
    own clocks start at their own navigations."""
    ms = page.evaluate("name => { const t = window.__pageClock.shown[name];"
                       " return t === undefined ? null : performance.timeOrigin + t; }", name)
    return None if ms is None else ms / 1000
