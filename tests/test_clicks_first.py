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
