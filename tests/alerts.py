"""Every error a page shows is visible to the test that drives it.

`install()` (called by tests/conftest.py) wraps `AppTest._run`, which every AppTest run goes
through (`at.run()`, `at.button(...).click().run()`, fixtures included): after each run it
fails at once when the page shows an exception box, or an `st.error` whose exact text the
test did not announce with `expect_error`. A "Something went wrong" anywhere fails the test
that caused it, whether or not the test looks at errors itself.

    with expect_error("This CSV cannot be used: The file is empty."):
        at.file_uploader(key="ts_csv").set_value(("e.csv", b"", "text/csv")).run()

Leaving the block also fails when an announced message was never shown: a test that expects
a message proves it appeared, word for word. Where a message carries a measured number (the
loss at which a run diverged), pass a compiled pattern: it must match the whole message.
"""
from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from typing import Union

Message = Union[str, "re.Pattern[str]"]

# The sentence a diverging run shows, spelled out; only the loss and where it broke are measured.
DIVERGED = re.compile(re.escape("Training diverged: the loss became ") + r"\S+ at epoch \d+, batch \w+\. "
                      + re.escape("The network's values or its updates grew without bound (exploding gradients). "
                                  "Try a smaller learning rate, gradient clipping (clipnorm), tanh instead of relu, "
                                  "or a smaller recurrent scale.") + r"( .+)?")

_stack: list["Expectation"] = []  # open expect_error blocks, innermost last
_installed = False


class UnexpectedAlert(AssertionError):
    """The page showed an error or an exception the test did not expect."""


@dataclass
class Expectation:
    messages: tuple[Message, ...]
    seen: set[int] = field(default_factory=set)  # indices of the messages shown so far

    def matching(self, text: str) -> set[int]:
        return {i for i, m in enumerate(self.messages)
                if (m.fullmatch(text) if isinstance(m, re.Pattern) else m == text)}


def page_alerts(at) -> tuple[list[str], list[str]]:
    """(error texts, exception texts) the last run of `at` put on the page, sidebar included."""
    return [str(e.value) for e in at.error], [str(e.value) for e in at.exception]


def check(at) -> None:
    """Raise `UnexpectedAlert` unless every error on the page is an expected exact message."""
    errors, exceptions = page_alerts(at)
    if exceptions:
        raise UnexpectedAlert(f"the page showed an exception box: {exceptions}")
    unexpected = [e for e in errors if not any(exp.matching(e) for exp in _stack)]
    if unexpected:
        allowed = [getattr(m, "pattern", m) for exp in _stack for m in exp.messages]
        hint = f" (expected: {allowed})" if allowed else ""
        raise UnexpectedAlert(f"the page showed error(s) the test did not expect: {unexpected}{hint}")
    for exp in _stack:
        for e in errors:
            exp.seen |= exp.matching(e)


@contextlib.contextmanager
def expect_error(*messages: Message):
    """Within the block the page may show exactly these error messages, and must show each at least once."""
    exp = Expectation(tuple(messages))
    _stack.append(exp)
    try:
        yield exp
    finally:
        _stack.remove(exp)
    missing = [getattr(m, "pattern", m) for i, m in enumerate(exp.messages) if i not in exp.seen]
    if missing:
        raise UnexpectedAlert(f"expected error(s) never shown: {missing}")


def reset() -> None:
    """Forget open expectations (between tests)."""
    _stack.clear()


def install() -> None:
    """Wrap `AppTest._run` once per process so every run is checked."""
    global _installed
    if _installed:
        return
    from streamlit.testing.v1 import AppTest

    original = AppTest._run

    def _run_and_check(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        check(self)
        return result

    AppTest._run = _run_and_check
    _installed = True
