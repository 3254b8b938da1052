"""The app shell: home page renders and links to every page, without importing TensorFlow."""
from streamlit.testing.v1 import AppTest

from conftest import ROOT

APP = str(ROOT / "app.py")


def test_home_renders_and_links_every_page():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value.startswith("🔁 RNN Explorer")
    text = " ".join(m.value for m in at.markdown)
    for word in ("Time series", "Sentiment", "Gradient lab"):
        assert word in " ".join(s.value for s in at.subheader) or word in text


def test_each_page_opens_from_the_app():
    for page in ("pages/time_series.py", "pages/sentiment.py", "pages/gradient_lab.py"):
        at = AppTest.from_file(APP, default_timeout=120).run()
        at.switch_page(page).run()
        assert not at.exception, page


def test_the_deep_link_workaround_still_has_its_private_switch():
    """ui.streamlit_private.leave_legacy_pages_mode clears Streamlit's legacy-pages mode through a private class attribute; an upgrade
    that moves or renames it must fail here, not silently bring back deep links without the app's navigation."""
    from streamlit.runtime.pages_manager import PagesManager

    assert "uses_pages_directory" in vars(PagesManager)
    assert PagesManager.uses_pages_directory in (None, True, False)


def test_every_page_paints_its_title_before_tensorflow_loads():
    """No blank first paint: each page's title and its "Loading TensorFlow…" note come before any heavy import."""
    import ast

    for name in ("time_series", "sentiment", "gradient_lab"):
        tree = ast.parse((ROOT / "pages" / f"{name}.py").read_text())
        first_call = next(i for i, node in enumerate(tree.body) if isinstance(node, (ast.Expr, ast.Assign))
                          and "page_start" in ast.dump(node))
        heavy = [node for node in tree.body[:first_call] if isinstance(node, (ast.Import, ast.ImportFrom))
                 and not (getattr(node, "module", "") or "").startswith(("__future__", "dataclasses", "streamlit",
                                                                        "ui.entry"))
                 and not any(a.name in ("streamlit", "dataclasses") for a in node.names)]
        assert not heavy, (name, [ast.dump(n) for n in heavy])


def test_the_apps_warm_up_freezes_the_startup_heap():
    """app.py's background warm-up ends with `freeze_startup_heap`, so a full garbage collection (which holds
    every session) no longer scans TensorFlow's objects; and the server hands the GIL back to a training thread
    within `SWITCH_S`, not Python's 5 ms, while the pages' redraws hold it."""
    import gc
    import sys

    from explorer.server.warmup import SWITCH_S
    from ui.entry import wait_for_warmup

    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    wait_for_warmup(timeout=300)
    assert gc.get_freeze_count() > 10_000
    assert sys.getswitchinterval() == SWITCH_S < 0.005


def test_no_private_streamlit_state_outside_its_one_module():
    """The live path draws jobs with st.fragment(run_every=…) and reads no private Streamlit state; the one private
    use left (the pages/ folder's legacy mode) sits in ui/streamlit_private.py with its reason."""
    private = ("script_requests", "ScriptRequestType", "scriptrunner_utils", "PagesManager", "_pending_request",
               "fragment_ids_this_run")
    offenders = []
    for folder in ("ui", "pages", "explorer"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "streamlit_private.py":
                continue
            text = path.read_text()
            offenders += [f"{path.relative_to(ROOT)}: {name}" for name in private if name in text]
    offenders += [f"app.py: {name}" for name in private if name in (ROOT / "app.py").read_text()]
    assert not offenders, offenders
    assert "PagesManager" in (ROOT / "ui" / "streamlit_private.py").read_text()
