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
