"""A click on a fragment's widget that arrives while the whole page runs (a review typed the moment the box
shows) restarts the page run at `ui.live.clicks_first`, instead of waiting for the rest of the page."""
from streamlit.testing.v1 import AppTest


def _page(call_clicks_first: bool):
    import streamlit as st
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData

    from ui.live import clicks_first

    st.session_state["runs"] = st.session_state.get("runs", 0) + 1
    if st.session_state["runs"] == 1:
        ctx = get_script_run_ctx()  # what the browser sends for a click on a fragment's widget, mid-run
        ctx.script_requests.request_rerun(RerunData(query_string=ctx.query_string, page_script_hash=ctx.page_script_hash,
                                                    fragment_id_queue=["a-fragment"]))
        st.write("the rest of the page")  # Streamlit itself lets the page run on: a fragment's click waits
        if call_clicks_first:
            clicks_first()
        st.session_state["first_run_ended"] = True
    st.write("end")


def test_a_fragment_click_mid_run_restarts_the_page_at_clicks_first():
    at = AppTest.from_function(_page, args=(True,), default_timeout=30).run()
    assert not at.exception
    assert at.session_state["runs"] == 2 and "first_run_ended" not in at.session_state


def test_without_it_the_click_waits_for_the_whole_page():
    at = AppTest.from_function(_page, args=(False,), default_timeout=30).run()
    assert not at.exception
    assert at.session_state["first_run_ended"] and at.session_state["runs"] >= 1


def test_nothing_pending_costs_nothing():
    def page():
        import streamlit as st

        from ui.live import clicks_first

        st.session_state["runs"] = st.session_state.get("runs", 0) + 1
        clicks_first()
        st.write("end")

    at = AppTest.from_function(page, default_timeout=30).run()
    assert not at.exception and at.session_state["runs"] == 1 and at.markdown[0].value == "end"


def _top_page():
    import streamlit as st
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData

    from ui.live import top_first

    st.session_state["runs"] = st.session_state.get("runs", 0) + 1
    st.text_area("the top: a box to type in")
    if st.session_state.get("click") and st.session_state["runs"] == 1:
        ctx = get_script_run_ctx()  # a review typed the moment the box shows
        ctx.script_requests.request_rerun(RerunData(query_string=ctx.query_string, page_script_hash=ctx.page_script_hash,
                                                    fragment_id_queue=["a-fragment"]))
    top_first("top_drawn", seconds=st.session_state.get("wait", 60.0))
    st.session_state["rest_sent_in_run"] = st.session_state["runs"]
    st.write("the rest of the page")


def test_a_new_sessions_first_run_waits_before_the_rest_of_the_page():
    import time

    at = AppTest.from_function(_top_page, default_timeout=30)
    at.session_state["wait"] = 1.0
    t0 = time.perf_counter()
    at.run()
    assert not at.exception and time.perf_counter() - t0 >= 1.0  # the browser's time to draw the top
    assert at.session_state["rest_sent_in_run"] == 1 and at.markdown[-1].value == "the rest of the page"
    at.session_state["wait"] = 60.0  # a later run of the session does not wait (it would time out the run)
    at.run(timeout=20)
    assert not at.exception and at.session_state["rest_sent_in_run"] == 2


def test_a_click_during_that_wait_ends_it_and_is_served_first():
    at = AppTest.from_function(_top_page, default_timeout=20)
    at.session_state["click"] = True
    at.run()  # waiting its 60 s would time out this run: the click ends the wait, and the page restarts
    assert not at.exception
    assert at.session_state["runs"] == 2 and at.session_state["rest_sent_in_run"] == 2
