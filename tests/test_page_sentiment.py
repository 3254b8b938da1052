"""The sentiment page in AppTest: train a tiny model on a small IMDB subset, type reviews, never a traceback;
a second session answers from the stored model without training; a damaged stored model is skipped, never loaded."""
import json
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from alerts import expect_error
from conftest import ROOT
from jobs_at import press, shown
from ui import knobs as K

PAGE = str(ROOT / "pages/sentiment.py")


def _texts(at) -> str:
    parts = [e.value for e in (*at.info, *at.warning, *at.error, *at.caption, *at.markdown)]
    return "\n".join(str(p) for p in parts)


def _tiny(at) -> None:
    """The smallest IMDB set-up the page offers (a few seconds of training)."""
    at.select_slider(key="sent_d_n_train").set_value(1_000)
    at.select_slider(key="sent_d_n_test").set_value(500)
    at.select_slider(key="sent_x_max_len").set_value(50)
    at.select_slider(key="sent_x_vocab_size").set_value(2_000)
    at.select_slider(key="sent_m_units").set_value(8)
    at.select_slider(key="sent_m_embedding_dim").set_value(8)
    at.selectbox(key="sent_m_cell").set_value("GRU")
    at.slider(key="sent_t_epochs").set_value(1)


def _confusion_counts(at) -> int:
    """The counts written in the confusion-matrix figure's cells, added up."""
    spec = next(c.proto.spec for c in at.get("plotly_chart") if "Confusion matrix" in c.proto.spec)
    cells = json.loads(spec)["data"][0]["text"]
    return sum(int(re.match(r"([\d,]+)", cell).group(1).replace(",", "")) for row in cells for cell in row)


@pytest.mark.shared_data
def test_train_tiny_model_then_type_reviews(shared_datasets, tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_EXPLORER_CACHE", str(tmp_path))  # an empty store: nothing answers yet
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert {m.label: m.value for m in at.metric}["Training reviews"] == "25,000"
    assert "No trained model on this server yet" in _texts(at)
    _tiny(at)
    at.run()
    assert at.query_params["x_max_len"] == ["50"] or at.query_params["x_max_len"] == "50"
    press(at, "sent_train")
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    metrics = {m.label: m.value for m in at.metric}
    assert 0.0 <= float(metrics["Test accuracy"]) <= 1.0

    # The figures shown are the model's own: accuracy = evaluate() on the same model and test reviews,
    # and the confusion matrix counts every test review once.
    from explorer.tasks.sentiment import evaluation

    job = shown(at, "sent").result.record
    again = evaluation.evaluate(job.model, job.enc.x_test, job.enc.y_test)
    assert metrics["Test accuracy"] == f"{again.accuracy:.3f}"
    assert f"{again.correct:,} of {again.n:,} test reviews right" in _texts(at)
    assert again.n == 500 and _confusion_counts(at) == 500
    assert "Answering:" in _texts(at) and "your run (its link" in _texts(at)
    assert at.query_params["model"] in (job.entry.key, [job.entry.key])  # a reload finds it in the store

    # One click on an example review fills the box and shows probability, label and trajectory.
    at.button(key="sent_ex_Negation").click().run()
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert 0.0 <= float(metrics["P(positive)"]) <= 1.0
    assert metrics["Sentiment"] in ("Positive", "Negative")
    assert metrics["Words read"] == "15"
    charts = at.get("plotly_chart")
    assert any("Prediction after each word" in c.proto.spec for c in charts)
    assert any("Occlusion" in c.proto.spec for c in charts)
    # Lazy views: a closed tab or expander is neither computed nor sent; opened, it is drawn.
    def titled(part):
        return [c for c in at.get("plotly_chart") if part in c.proto.spec]
    assert not titled("h_t over the words") and not titled("PCA dimensions") and not titled("per epoch (log colour)")
    at.session_state["sent_view_tab"] = "Hidden states"
    at.run()
    assert titled("h_t over the words") and not titled("Occlusion") and not at.exception and not at.error
    at.session_state["sent_view_tab"] = "Hidden-state path (PCA)"
    at.run()
    assert titled("PCA dimensions") and not titled("h_t over the words") and not at.exception
    at.session_state["sent_grad_open"] = True
    at.run()
    assert titled("per epoch (log colour)") and not at.exception and not at.error
    from explorer.tasks.sentiment.run import PROBE_REVIEWS
    assert f"for {PROBE_REVIEWS} validation reviews" in " ".join(m.value for m in at.markdown)

    # Empty, punctuation-only and huge reviews: one clear message each, never a traceback.
    at.text_area(key="sentiment_review").input("").run()
    assert "it is empty" in _texts(at) and not at.exception and not at.error
    at.text_area(key="sentiment_review").input("?!... ,,,").run()
    assert "No words left" in _texts(at) and not at.error
    at.text_area(key="sentiment_review").input("good " * 10_000).run()
    assert "10,000 words" in _texts(at) and not at.exception and not at.error
    at.text_area(key="sentiment_review").input("great " * 30_000).run()  # 180,000 characters: cut, and said so
    assert "only the first 100,000 were read" in _texts(at) and not at.exception and not at.error
    assert "P(positive)" in {m.label for m in at.metric}
    at.text_area(key="sentiment_review").input("<script>alert(1)</script> <img src=x> 😀 magnifique").run()
    assert not at.exception and not at.error
    assert "P(positive)" in {m.label for m in at.metric}


def test_csv_upload_bad_then_good():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["sent_source"] = "My own labelled texts (CSV)"
    at.run()
    assert not at.exception
    assert "Upload a CSV" in _texts(at)
    assert at.button(key="sent_train").disabled
    bad = b"text,label\ngreat film,1\nawful film,maybe\nfine,0\nbad,1\n"
    with expect_error("Loading the reviews: Labels must be binary (0/1, pos/neg or positive/negative); found 'maybe'."):
        at.file_uploader(key="sent_upload").set_value(("mine.csv", bad, "text/csv")).run()
    assert at.button(key="sent_train").disabled
    good = "text,label\n" + "".join(f"review {i} {'great' if i % 2 else 'awful'},{i % 2}\n" for i in range(50))
    at.file_uploader(key="sent_upload").set_value(("mine.csv", good.encode(), "text/csv")).run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric}["Training reviews"] == "40"
    assert not at.button(key="sent_train").disabled


def test_pooled_readout_and_early_stopping_on_own_texts():
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.session_state["sent_source"] = "My own labelled texts (CSV)"
    at.run()
    rows = "".join(f"review {i} {'great fun loved' if i % 2 else 'awful dull hated'},{i % 2}\n" for i in range(200))
    at.file_uploader(key="sent_upload").set_value(("mine.csv", ("text,label\n" + rows).encode(), "text/csv")).run()
    at.select_slider(key="sent_m_units").set_value(8)
    at.select_slider(key="sent_m_embedding_dim").set_value(8)
    at.select_slider(key="sent_x_max_len").set_value(50)
    at.selectbox(key="sent_m_readout").set_value("mean")
    at.checkbox(key="sent_t_patience").check()
    at.slider(key="sent_t_epochs").set_value(3)
    at.checkbox(key="sent_x_mask").check()
    at.select_slider(key="sent_m_head_dropout").set_value(0.3)
    at.radio(key="sent_t_schedule").set_value("cosine")
    at.select_slider(key="sent_m_word_dropout").set_value(0.2)
    at.radio(key="sent_m_embedding_init").set_value("cooccurrence")
    at.run()
    assert at.query_params["m_embedding_init"] in ("cooccurrence", ["cooccurrence"])
    assert at.query_params["m_readout"] in ("mean", ["mean"]) and at.query_params["t_patience"] in ("1", ["1"])
    assert at.query_params["m_head_dropout"] in ("0.3", ["0.3"]) and at.query_params["t_schedule"] in ("cosine", ["cosine"])
    assert at.query_params["m_word_dropout"] in ("0.2", ["0.2"])
    press(at, "sent_train")
    assert not at.exception and not at.error, [e.value for e in at.error]
    text = _texts(at)
    assert "mean of all states read" in text and "(weights of epoch " in text and "word vectors from co-occurrence" in text
    assert "each word gets gradient directly" not in text  # the padding-gradient expander is lazy: closed, not sent
    at.session_state["sent_grad_open"] = True
    at.run()
    assert "each word gets gradient directly" in _texts(at) and not at.exception and not at.error
    trained = shown(at, "sent").result.model  # the knobs reached the model that was trained
    assert trained.get_layer("word_dropout").rate == 0.2 and trained.get_layer("head_dropout").rate == 0.3
    # The run's code: the script its link's settings write (the run resolves the vocabulary's size and XLA).
    import dataclasses

    from explorer.export.sentiment_code import sentiment_script
    from explorer.tasks.sentiment.run import setup_from
    from export_checks import configs_from_link
    from ui.knobs import SENTIMENT

    job = shown(at, "sent").result.record
    cfgs = configs_from_link(SENTIMENT, {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()})
    linked = setup_from(cfgs["text"], cfgs["model"], cfgs["train"], cfgs["data"])
    linked = dataclasses.replace(linked, model=dataclasses.replace(linked.model, vocab_size=job.setup.model.vocab_size),
                                 train=dataclasses.replace(linked.train, jit_compile=job.setup.train.jit_compile))
    assert linked == job.setup
    code = next(c.value for c in at.code if c.value.startswith('"""'))
    assert code == sentiment_script(linked, job.origin).to_py().strip() and "CSV_PATH = 'mine.csv'" in code
    assert "MeanAndMax" not in code and "GlobalAveragePooling1D" in code and "cooccurrence_vectors" in code
    at.text_area(key="sentiment_review").input("great fun, loved it").run()
    assert not at.exception and not at.error
    assert 0.0 <= float({m.label: m.value for m in at.metric}["P(positive)"]) <= 1.0


def test_presets_fill_every_knob_and_the_link():
    from explorer.tasks.sentiment.presets import BEST, QUICK

    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["sent_source"] = "My own labelled texts (CSV)"  # no data needed to set knobs
    at.run()
    at.select_slider(key="sent_m_units").set_value(8).run()
    at.button(key="sent_preset_best").click().run()
    assert not at.exception and not at.error
    knob = lambda url_key: K.SENTIMENT.key(url_key, at.session_state)  # noqa: E731  (a preset renews the keys)
    assert at.select_slider(key=knob("x_max_len")).value == BEST.text.max_len
    assert at.select_slider(key=knob("x_vocab_size")).value == BEST.text.vocab_size
    assert at.select_slider(key=knob("m_units")).value == BEST.model.units
    assert at.checkbox(key=knob("m_bidirectional")).value and at.checkbox(key=knob("x_mask")).value
    assert at.selectbox(key=knob("m_readout")).value == BEST.model.readout
    assert at.checkbox(key=knob("t_patience")).value == (BEST.train.patience > 0)
    assert at.slider(key=knob("t_epochs")).value == BEST.train.epochs
    assert at.select_slider(key=knob("m_head_dropout")).value == BEST.model.head_dropout
    assert at.radio(key=knob("t_schedule")).value == BEST.train.schedule
    assert at.select_slider(key=knob("m_word_dropout")).value == BEST.model.word_dropout
    assert at.radio(key=knob("m_embedding_init")).value == BEST.model.embedding_init
    assert at.query_params["m_bidirectional"] in ("true", ["true"], "True", ["True"])
    at.button(key="sent_preset_quick").click().run()
    assert at.select_slider(key=knob("x_max_len")).value == QUICK.text.max_len
    assert at.selectbox(key=knob("m_cell")).value == QUICK.model.cell and not at.checkbox(key=knob("m_bidirectional")).value
    assert at.slider(key=knob("t_epochs")).value == QUICK.train.epochs
    assert at.selectbox(key=knob("m_gate_init")).value == QUICK.model.gate_init
    at.selectbox(key=knob("m_gate_init")).set_value("chrono").run()
    assert at.query_params["m_gate_init"] in ("chrono", ["chrono"])
    # A link carries it to a new session.
    again = AppTest.from_file(PAGE, default_timeout=120)
    again.session_state["sent_source"] = "My own labelled texts (CSV)"
    again.query_params["m_gate_init"] = "chrono"
    again.run()
    assert again.selectbox(key="sent_m_gate_init").value == "chrono"


@pytest.mark.shared_data
def test_a_second_session_answers_from_the_store_and_skips_a_damaged_model(shared_datasets, tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_EXPLORER_CACHE", str(tmp_path))
    first = AppTest.from_file(PAGE, default_timeout=180).run()
    _tiny(first)
    first.run()
    press(first, "sent_train")
    assert not first.exception and not first.error, [e.value for e in first.error]
    key = shown(first, "sent").result.record.entry.key
    accuracy = {m.label: m.value for m in first.metric}["Test accuracy"]

    # A new session (a new visitor, a reload or a server restart): no training, it types at once.
    second = AppTest.from_file(PAGE, default_timeout=180).run()
    assert not second.exception and not second.error, [e.value for e in second.error]
    assert "a stored model (nothing to train)" in _texts(second) and "GRU(8)" in _texts(second)
    assert shown(second, "sent") is None  # nothing of the first session's run: it answers from the store
    second.text_area(key="sentiment_review").input("A wonderful, moving film.").run()
    assert not second.exception and not second.error
    metrics = {m.label: m.value for m in second.metric}
    assert 0.0 <= float(metrics["P(positive)"]) <= 1.0 and metrics["Test accuracy"] == accuracy
    assert second.query_params["model"] in (key, [key])

    # Damage the stored model (same size, other bytes): the next session says so and never loads it.
    model_file = tmp_path / "models" / key / "model.keras"
    raw = bytearray(model_file.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    model_file.write_bytes(bytes(raw))
    third = AppTest.from_file(PAGE, default_timeout=180).run()
    assert not third.exception and not third.error, [e.value for e in third.error]
    assert f"Stored model {key} is damaged (model.keras does not match its checksum)" in _texts(third)
    assert "No trained model on this server yet" in _texts(third)
    assert "P(positive)" not in {m.label for m in third.metric}
