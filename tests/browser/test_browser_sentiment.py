"""Sentiment in a real browser: train a tiny model on a small IMDB subset, then type reviews."""
import re

import pytest
from playwright.sync_api import expect

from explorer.tasks.sentiment.presets import QUICK

from .harness import exceptions_on, figure, shoot, wait_figure, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.shared_data]

# Smallest set-up the page offers: 500 training and 500 test reviews, 2k words, 50 words per review.
TINY = ("m_cell=GRU&m_units=8&m_embedding_dim=8&t_epochs=1&t_batch_size=64&x_vocab_size=2000&x_max_len=50"
        "&d_n_train=500&d_n_test=500")
REVIEW = "Your review (plain text; HTML is not rendered)"


def type_review(page, text: str) -> None:
    box = page.get_by_label(REVIEW)
    box.fill(text)
    box.press("Control+Enter")  # submits a text area, as a person pressing Ctrl+Enter (or leaving it) does


def metric(page, label: str):
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def train_when_ready(page) -> None:
    """Once the reviews have loaded and the page is idle, press Train."""
    expect(page.get_by_text("Positive share (train)")).to_be_visible(timeout=120_000)  # the reviews loaded
    train = page.get_by_role("button", name="▶ Train")
    expect(train).to_be_enabled(timeout=60_000)
    wait_idle(page)
    train.click()


def test_train_a_tiny_model_then_type_a_review(app_server, page, shared_datasets):
    page.goto(f"{app_server.url}/sentiment?{TINY}")
    expect(page.get_by_role("heading", name="Sentiment")).to_be_visible(timeout=90_000)
    train_when_ready(page)
    expect(page.get_by_text(re.compile("^Your run: "))).to_be_visible(timeout=180_000)
    wait_idle(page)
    accuracy = wait_figure(page, "Accuracy")
    assert accuracy["traces"][0]["n"] == 1  # one epoch, one point
    within = [t for t in accuracy["traces"] if t["name"] == "train, within each epoch"]
    assert within and within[0]["n"] >= 5  # and a curve through its batches: 450 reviews, batches of 64

    good = "One of the best films I have seen this year. Wonderful acting, a moving story."
    type_review(page, good)
    words = str(len(good.split()))
    expect(metric(page, "Words read")).to_have_text(words, timeout=60_000)
    expect(metric(page, "P(positive)")).to_have_text(re.compile(r"^[01]\.\d{3}$"))
    expect(metric(page, "Sentiment")).to_have_text(re.compile("^(Positive|Negative)$"))
    wait_idle(page)
    wait_figure(page, "Occlusion", min_points=0)
    assert exceptions_on(page) == []
    shoot(page, "sentiment")

    # Markup in a review is shown as text, never run or rendered.
    type_review(page, "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">"
                      "<b id=\"injected\">great</b> movie")
    expect(metric(page, "Words read")).not_to_have_text(words, timeout=60_000)
    wait_idle(page)
    assert page.evaluate("() => window.__pwned === undefined")
    assert page.locator("#injected").count() == 0
    assert exceptions_on(page) == []

    # An empty review gets one plain sentence instead of a prediction.
    type_review(page, "   ")
    expect(page.get_by_text("Type or paste a review first")).to_be_visible(timeout=60_000)
    assert exceptions_on(page) == []


def test_a_new_visitor_types_at_once_and_a_reload_keeps_the_model(app_server, new_page, shared_datasets):
    # A first visitor trains the tiny model: it goes into the server's model store.
    first = new_page()
    # Its own seed: a model of the same configuration stored by another test would be kept instead (one copy
    # per configuration), and this visitor's reload would show that copy's figures.
    first.goto(f"{app_server.url}/sentiment?{TINY}&t_seed=7")
    train_when_ready(first)
    # Read the run's figures from the caption that names it ("your run (its link"): until the page has
    # redrawn, the figures below can still be the previous model's (Streamlit keeps stale elements on a rerun).
    answering = first.get_by_text("Answering:").first
    expect(answering).to_contain_text("your run (its link", timeout=180_000)
    found = re.search(r"test accuracy (\d\.\d{3}) on 500 test reviews · trained ([^·]+UTC)", answering.inner_text())
    assert found, answering.inner_text()
    accuracy, trained_at = found.groups()
    right = f"{round(float(accuracy) * 500)} of 500 test reviews right"  # n/500 has at most three decimals
    expect(first.get_by_text(re.compile("^Your run: "))).to_be_visible(timeout=60_000)
    expect(first.get_by_text(right).first).to_be_visible(timeout=60_000)
    expect(first).to_have_url(re.compile(r"[?&]model=[0-9a-f]{16}(&|$)"), timeout=30_000)
    wait_idle(first)

    # A second visitor types at once: no training, a stored model answers and the page says which.
    second = new_page()
    second.goto(f"{app_server.url}/sentiment")
    expect(second.get_by_text("Answering:").first).to_contain_text("a stored model", timeout=120_000)
    type_review(second, "A wonderful film, moving and beautifully acted.")
    expect(metric(second, "P(positive)")).to_have_text(re.compile(r"^[01]\.\d{3}$"), timeout=60_000)
    expect(second.get_by_text(re.compile("^Your run: "))).to_have_count(0)
    # The views are lazy tabs: a click on one computes and draws it.
    wait_idle(second)
    assert figure(second, "h_t over the words") is None
    second.get_by_role("tab", name="Hidden states").click()
    wait_figure(second, "h_t over the words", min_points=0)
    assert exceptions_on(second) == []

    # A paste over the limit reaches the page whole and is cut there, with a note.
    type_review(second, "great " * 20_000)
    expect(second.get_by_text("The review has 120,000 characters; only the first 100,000 were read")).to_be_visible(
        timeout=60_000)
    expect(metric(second, "P(positive)")).to_be_visible()
    assert exceptions_on(second) == []

    # A reload of the first visitor's page shows their run again (the job behind its link), with its figures.
    first.reload()
    expect(first.get_by_text("Answering:").first).to_contain_text("your run (its link", timeout=120_000)
    expect(first.get_by_text("Answering:").first).to_contain_text(
        f"test accuracy {accuracy} on 500 test reviews · trained {trained_at}")  # this very model, not a namesake
    expect(first.get_by_text(re.compile(r"^Your run: "))).to_be_visible(timeout=120_000)
    expect(first.get_by_text(right).first).to_be_visible(timeout=60_000)
    assert exceptions_on(first) == []


def test_a_preset_shows_in_every_knob_and_a_partial_link_keeps_the_defaults(app_server, page):
    # A link with one setting: the others stay the page's defaults (the quick preset's epochs, not TrainConfig's 20).
    page.goto(f"{app_server.url}/sentiment?t_patience=1")
    expect(page.get_by_role("checkbox", name="Stop early, keep the best epoch")).to_be_checked(timeout=90_000)
    expect(page.get_by_role("slider", name="Epochs")).to_have_attribute("aria-valuetext", str(QUICK.train.epochs))
    expect(page).to_have_url(re.compile(r"[?&]t_patience=1(&|$)"), timeout=30_000)
    expect(page).not_to_have_url(re.compile(r"[?&]t_epochs="))  # the link carries what differs from the page's default
    words = page.get_by_role("slider", name="Words read per review")
    bidir = page.get_by_role("checkbox", name="Bidirectional")
    expect(words).to_have_attribute("aria-valuetext", "200")
    wait_idle(page)
    # The knobs the person sees change with the preset, not only the server's values and the link.
    page.get_by_role("button", name=re.compile("^Best accuracy")).click()
    expect(bidir).to_be_checked(timeout=30_000)
    expect(words).to_have_attribute("aria-valuetext", "500")
    expect(page.get_by_role("checkbox", name="Mask padding (mask_zero)")).to_be_checked()
    expect(page).to_have_url(re.compile(r"[?&]x_max_len=500(&|$)"), timeout=30_000)
    wait_idle(page)
    page.get_by_role("button", name=re.compile("^Quick default")).click()
    expect(bidir).not_to_be_checked(timeout=30_000)
    expect(words).to_have_attribute("aria-valuetext", "200")
    expect(page).not_to_have_url(re.compile("m_bidirectional"), timeout=30_000)
    assert exceptions_on(page) == []


def test_a_link_starts_the_word_vectors_from_cooccurrence_and_the_run_says_so(app_server, page, shared_datasets):
    page.goto(f"{app_server.url}/sentiment?{TINY}&m_embedding_init=cooccurrence")
    expect(page.get_by_role("radio", name="from co-occurrence")).to_be_checked(timeout=120_000)
    train_when_ready(page)
    expect(page.get_by_text(re.compile("^Your run: .*word vectors from co-occurrence"))).to_be_visible(timeout=180_000)
    wait_idle(page)
    assert exceptions_on(page) == []
