"""The error check every AppTest run goes through (tests/alerts.py) catches what a user would see."""
import pytest
from streamlit.testing.v1 import AppTest

from alerts import UnexpectedAlert, expect_error

TIMEOUT = 30  # AppTest's default of 3 s ran out on a busy 2-core machine (load 6) for this one-button page


def _says_something_went_wrong():
    import streamlit as st

    st.title("A page")
    if st.button("Break", key="break"):
        st.error("Something went wrong", icon="⚠️")
    if st.button("Raise", key="raise"):
        st.exception(RuntimeError("boom"))


def test_an_error_nobody_expected_fails_the_run_that_showed_it():
    at = AppTest.from_function(_says_something_went_wrong, default_timeout=TIMEOUT).run()  # a clean run passes
    with pytest.raises(UnexpectedAlert, match="Something went wrong"):
        at.button(key="break").click().run()


def test_an_expected_exact_message_passes_and_must_appear():
    at = AppTest.from_function(_says_something_went_wrong, default_timeout=TIMEOUT).run()
    with expect_error("Something went wrong"):
        at.button(key="break").click().run()
    with pytest.raises(UnexpectedAlert, match="never shown"):
        with expect_error("Something went wrong"):
            at.run()  # the click is over: the message is gone
    with pytest.raises(UnexpectedAlert, match="did not expect"):
        with expect_error("Something went"):  # a part of the message is not the message
            at.button(key="break").click().run()


def test_an_exception_box_always_fails():
    at = AppTest.from_function(_says_something_went_wrong, default_timeout=TIMEOUT).run()
    with pytest.raises(UnexpectedAlert, match="exception box"):
        with expect_error("boom"):
            at.button(key="raise").click().run()


def test_a_pattern_must_match_the_whole_message():
    import re

    at = AppTest.from_function(_says_something_went_wrong, default_timeout=TIMEOUT).run()
    with expect_error(re.compile(r"Something went \w+")):
        at.button(key="break").click().run()
    with pytest.raises(UnexpectedAlert, match="did not expect"):
        with expect_error(re.compile(r"Something")):
            at.button(key="break").click().run()
