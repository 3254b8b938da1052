"""Bad-input catalogue: what a person can throw at each page, and the one clear sentence they get back.

Every case checks three things through AppTest (the real page script, real tiny Keras models):
the message the person sees (an error word for word, announced with `expect_error`; warnings,
infos and texts by their content), that no exception or traceback reached the page, and that
the page still works afterwards (a normal action that follows succeeds). Any error alert a
case does not announce fails it (tests/alerts.py checks every AppTest run).
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from alerts import DIVERGED, expect_error
from conftest import ROOT
from jobs_at import press

TS = str(ROOT / "pages/time_series.py")
SENT = str(ROOT / "pages/sentiment.py")
GL = str(ROOT / "pages/gradient_lab.py")
TINY_TS = {"m_units": "4", "t_epochs": "2", "t_batch_size": "32", "d_window": "8"}


# ---------------------------------------------------------------- helpers

def shown(at: AppTest) -> str:
    """Everything the page said in words: errors, warnings, infos, successes, captions, plain text."""
    parts = [e.value for e in (*at.error, *at.warning, *at.info, *at.success, *at.caption, *at.text)]
    return "\n".join(str(p) for p in parts)


def errors(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in at.error)


def clean(at: AppTest) -> None:
    """No exception box and no traceback text anywhere on the page."""
    assert not at.exception, [e.value for e in at.exception]
    assert "Traceback (most recent call last)" not in shown(at)


def page(path: str, params: dict | None = None, timeout: int = 240) -> AppTest:
    at = AppTest.from_file(path, default_timeout=timeout)
    at.query_params.update(params or {})
    return at.run()


def metric(at: AppTest, label: str) -> str:
    return {m.label: m.value for m in at.metric}[label]


# ---------------------------------------------------------------- time series: CSV files

def _rows(n: int = 60) -> str:
    return "\n".join(f"{dt.date(2024, 1, 1) + dt.timedelta(days=i)},{100 + 10 * np.sin(i / 4):.3f}" for i in range(n))


GOOD_CSV = ("date,close\n" + _rows(60) + "\n").encode()


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    return at.file_uploader(key="ts_csv").set_value((name, data, "text/csv")).run()


def ts_csv_page() -> AppTest:
    return page(TS, {**TINY_TS, "d_source": "csv"})


def still_reads_a_good_csv(at: AppTest) -> None:
    """The follow-up action: a good file right after the bad one is read and previewed."""
    upload(at, "good.csv", GOOD_CSV)
    clean(at)
    assert not at.error, errors(at)
    assert "60 points · train" in shown(at)
    assert not at.button(key="ts_train").disabled


BAD_CSVS = {
    "empty": (b"", "The file is empty."),
    "blank_lines": (b"\n \n\t\n", "The file is empty."),
    "header_only": (b"date,close\n", "The file has a header row but no data rows."),
    "no_numeric_column": (b"name,city\nann,paris\nbob,rome\ncy,oslo\n", "The file has no column of numbers to forecast."),
    "all_nan": (("date,close\n" + "\n".join(f"2024-01-{i + 1:02d},NaN" for i in range(20))).encode(),
                "The file has no numbers to forecast: its value columns are empty or missing."),
    "one_row": (b"close\n42\n", "The series has 1 usable value(s); this window and split need at least 14. "
                                 "Use a longer series or a shorter window."),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 10,
               "This file does not look like text (it may be binary or in an unreadable encoding): "
               "save it as a CSV in UTF-8 and upload it again."),
    "over_50_mb": (b"1\n" * (26 * 2**20), "The file is 52.0 MB; the limit is 50 MB. Upload a shorter extract of the series."),
    "too_short_for_window": (("close\n" + "\n".join(str(i % 7) for i in range(12))).encode(),
                             "The series has 12 usable value(s); this window and split need at least 14. "
                             "Use a longer series or a shorter window."),
    # Millions of rows under the size cap: refused from a line count, before pandas parses anything.
    "over_row_limit": (b"v\n" + b"1\n" * 2_000_001, "The file has about 2,000,001 rows; the limit is 2,000,000. "
                       "Upload a shorter extract of the series (the most recent rows, for example)."),
    "over_column_limit": ((",".join(f"c{i}" for i in range(501)) + "\n" + ",".join("1" for _ in range(501)) + "\n")
                          .encode(), "The file has 501 columns; the limit is 500. "
                          "Keep the date and the columns you want to forecast, or put one series per row (long format)."),
    "utf16_binary_lookalike": (b"\x00\x01" * 400, "This file does not look like text (it may be binary or in an "
                               "unreadable encoding): save it as a CSV in UTF-8 and upload it again."),
}


@pytest.mark.parametrize("case", list(BAD_CSVS))
def test_bad_csv_gets_one_sentence_and_the_page_recovers(case):
    data, expected = BAD_CSVS[case]
    at = ts_csv_page()
    with expect_error(f"This CSV cannot be used: {expected}"):
        upload(at, f"{case}.csv", data)
    clean(at)
    assert at.button(key="ts_train").disabled  # nothing to train on, and nothing half-done
    still_reads_a_good_csv(at)


def _mixed_dates() -> bytes:
    fmts = ["%Y-%m-%d", "%d/%m/%Y", "%b %d %Y", "%m/%d/%Y"]
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(80)]
    return ("date,close\n" + "\n".join(f"{d.strftime(fmts[i % 4])},{100 + i % 7}" for i, d in enumerate(days))).encode()


MESSY_CSVS = {
    # The file is usable; the page says what it did to it in plain words.
    "text_in_numbers": (("close\n" + "\n".join(str(i) if i % 10 else "oops" for i in range(1, 81))).encode(),
                        "filled by linear interpolation"),
    "semicolons_decimal_commas": (("datum;kurs\n" + "\n".join(f"x{i};{1000 + i},5" for i in range(80))).encode(),
                                  "Separator: semicolon."),
    "latin1": (("café;prix\n" + "\n".join(f"é{i};{i},25" for i in range(80))).encode("latin-1"),
               "Text encoding: Windows-1252 (Western European)."),
    "utf16": (("close\n" + "\n".join(str(i % 9) for i in range(80))).encode("utf-16"), "Text encoding: UTF-16."),
    "mixed_date_formats": (_mixed_dates(), "sorted by date"),
    "ragged_lines": (("a,b\n" + "\n".join(f"{i},{i * 2}" + (",9" if i == 5 else "") for i in range(80))).encode(),
                     "malformed line(s)"),
    "infinity": (("close\n" + "\n".join("inf" if i == 40 else str(i % 13) for i in range(80))).encode(),
                 "1 inside the series were filled"),
    "utf16_without_bom": (("date,close\n" + _rows(60)).encode("utf-16-le"), "Text encoding: UTF-16."),
    "shift_jis": (("日付,終値\n" + _rows(60)).encode("shift_jis"), "Text encoding: Shift-JIS (Japanese)."),
    "gbk": (("日期,收盘价\n" + _rows(60)).encode("gbk"), "Text encoding: GBK (Simplified Chinese)."),
    "zero_width_and_rtl_names": (("\u200bdate,\u202eclose\u202c\n" + _rows(60)).encode(),
                                 "3 invisible formatting character(s) (zero-width or right-to-left marks) were removed"),
    "duplicate_timestamps": (("date,close\n" + _rows(60) + "\n" + _rows(60)).encode(),
                             "60 row(s) repeated an earlier date; the values of each date were averaged"),
}


@pytest.mark.parametrize("case", list(MESSY_CSVS))
def test_messy_csv_is_read_and_what_was_done_is_said(case):
    data, expected = MESSY_CSVS[case]
    at = upload(ts_csv_page(), f"{case}.csv", data)
    clean(at)
    assert not at.error, errors(at)
    assert expected in shown(at), shown(at)[:600]
    assert not at.button(key="ts_train").disabled


def test_mixed_day_month_order_is_called_out():
    at = upload(ts_csv_page(), "mixed.csv", _mixed_dates())
    clean(at)
    text = shown(at).lower()
    assert "format" in text or "ambiguous" in text or "day" in text and "month" in text


def test_unicode_minus_signs_are_read_as_negative_numbers():
    data = ("date,anomaly\n" + "\n".join(f"{dt.date(2024, 1, 1) + dt.timedelta(days=i)},\u2212{i % 7}.5"
                                         for i in range(60))).encode()
    at = upload(ts_csv_page(), "minus.csv", data)
    clean(at)
    assert not at.error, errors(at)
    y = at.session_state  # the preview draws the values as read
    preview = next(el for el in at.get("plotly_chart") if el.key == "ts_preview")
    import json

    from test_page_time_series import _values

    values = _values(json.loads(preview.proto.spec)["data"][0]["y"])
    np.testing.assert_allclose(values, -(np.arange(60) % 7 + 0.5))
    assert y is not None


def test_zero_width_and_right_to_left_marks_never_reach_a_column_name():
    at = upload(ts_csv_page(), "rtl.csv", ("\u200bdate,\u202eclose\u202c\n" + _rows(60)).encode())
    clean(at)
    value = next(s for s in at.selectbox if s.key and s.key.startswith("csv_value_"))
    assert value.options == ["close"] and value.value == "close"


def test_a_constant_series_says_why_it_cannot_be_trained_and_the_page_recovers():
    data = ("date,close\n" + "\n".join(f"{dt.date(2024, 1, 1) + dt.timedelta(days=i)},5" for i in range(60))).encode()
    at = upload(ts_csv_page(), "constant.csv", data)
    clean(at)
    assert not at.error, errors(at)
    assert "The series is constant: all 60 values are 5." in shown(at), shown(at)[:600]
    assert at.button(key="ts_train").disabled
    still_reads_a_good_csv(at)


def test_values_near_1e300_train_in_a_unit_that_keeps_every_error_finite():
    data = ("date,close\n" + "\n".join(f"{dt.date(2024, 1, 1) + dt.timedelta(days=i)},{1 + np.sin(i / 4):.4f}e300"
                                       for i in range(60))).encode()
    at = upload(ts_csv_page(), "huge.csv", data)
    clean(at)
    assert "so they are shown and modelled in units of 10^300" in shown(at), shown(at)[:600]
    press(at, "ts_train")
    clean(at)
    assert not at.error, errors(at)
    table = next(d.value for d in at.dataframe if "forecast" in d.value.columns)
    mse = [float(str(c).replace(",", "").replace("< ", "")) for c in table["test MSE"]]
    assert all(np.isfinite(mse)) and all(0 < m < 10 for m in mse), list(table["test MSE"])
    assert "Trained 2 epoch(s)" in shown(at)


def test_an_all_missing_value_column_is_mentioned():
    data = ("close,volume\n" + "\n".join(f"n/a,{i}" for i in range(60))).encode()
    at = upload(ts_csv_page(), "close_missing.csv", data)
    clean(at)
    assert "close" in shown(at).lower()


# ---------------------------------------------------------------- time series: knobs and training

def too_short(points: int, window: int, horizon: int, val: float = 0.15, test: float = 0.15) -> str:
    """The sentence for a series too short for its window; the length it needs is the engine's rule for the
    page's default target (auto, which may predict the change and then reads one value more)."""
    from explorer.data.csv_series import minimum_length
    from explorer.nn.config import SeriesConfig

    need = minimum_length(window, horizon, val, test, SeriesConfig().target)
    return (f"Splitting the series: the series has {points} points; a window of {window} and a horizon of {horizon} "
            f"with this split need at least {need}. Shorten the window or use more data.")


def test_window_longer_than_the_series():
    with expect_error(too_short(100, 200, 1)):
        at = page(TS, {**TINY_TS, "d_length": "100", "d_window": "200"})
    clean(at)
    assert at.button(key="ts_train").disabled
    at.number_input(key="d_window").set_value(10).run()
    clean(at)
    assert not at.error and "100 points · train" in shown(at)
    assert not at.button(key="ts_train").disabled


def test_horizon_too_long_for_the_test_part():
    with expect_error(too_short(60, 8, 50)):
        at = page(TS, {**TINY_TS, "d_length": "60", "d_horizon": "50"})
    clean(at)
    at.number_input(key="d_horizon").set_value(1).run()
    clean(at)
    assert not at.error and not at.button(key="ts_train").disabled


def test_split_fractions_that_leave_too_little_training_data():
    with expect_error(too_short(30, 8, 1, 0.4, 0.4)):
        at = page(TS, {**TINY_TS, "d_length": "30", "d_val_fraction": "0.4", "d_test_fraction": "0.4"})
    clean(at)
    assert at.button(key="ts_train").disabled


def test_zero_units_in_a_link_becomes_one_unit():
    # The widget cannot go below 1; a link saying 0 is clamped (the gap: nothing says it was changed).
    at = page(TS, {**TINY_TS, "m_units": "0"})
    clean(at)
    assert at.number_input(key="m_units").value == 1
    at.number_input(key="m_units").set_value(0).run()
    clean(at)
    assert at.number_input(key="m_units").value == 1


def test_learning_rate_10_in_a_link_is_capped_at_1():
    at = page(TS, {**TINY_TS, "t_learning_rate": "10"})
    clean(at)
    assert at.number_input(key="t_learning_rate").value == 1.0


def test_a_clamped_link_value_is_called_out():
    at = page(TS, {**TINY_TS, "m_units": "0", "t_learning_rate": "10"})
    assert at.warning or at.info, "no message about the changed link values"


def test_garbage_in_the_link_is_ignored():
    # The clamped values do not fit together, and the page says so in one sentence.
    with expect_error(too_short(20, 500, 1)):
        at = page(TS, {"t_epochs": "lots", "d_length": "-5", "m_cell": "Transformer", "t_optimizer": "magic",
                       "d_window": "1e9", "m_dropout": "nan"})
    clean(at)
    assert at.selectbox(key="m_cell").value == "SimpleRNN" and at.selectbox(key="t_optimizer").value == "adam"
    assert at.number_input(key="d_length").value == 20 and at.number_input(key="d_window").value == 500
    at.number_input(key="d_window").set_value(5).run()
    clean(at)
    assert not at.error and "20 points · train" in shown(at), errors(at)


def test_relu_with_a_large_recurrent_scale_diverges_with_a_clear_message_then_recovers():
    at = page(TS, {**TINY_TS, "m_activation": "relu", "m_recurrent_init": "identity", "m_recurrent_scale": "3",
                   "m_units": "16", "d_window": "30"})
    with expect_error(DIVERGED):
        press(at, "ts_train")
        clean(at)
        # Follow the advice: tanh instead of relu (the diverged run stays on screen), and train again.
        at.selectbox(key="m_activation").set_value("tanh").run()
    press(at, "ts_train")
    clean(at)
    assert "Trained 2 epoch(s)" in shown(at), shown(at)[:600]
    assert not at.error, errors(at)


def test_divergent_learning_rate_then_a_sane_one():
    at = page(TS, {**TINY_TS, "t_optimizer": "sgd", "t_learning_rate": "1.0", "m_units": "16",
                   "m_activation": "relu", "d_source": "stock", "d_length": "300", "d_volatility": "2",
                   "d_target": "level"})
    with expect_error(DIVERGED):
        press(at, "ts_train")
        clean(at)
        assert "Model (.keras)" not in [b.label for b in at.get("download_button")]  # no diverged model to download
        at.number_input(key="t_learning_rate").set_value(0.01).run()  # the diverged run is still shown
    press(at, "ts_train")
    clean(at)
    assert "Trained 2 epoch(s)" in shown(at) and not at.error, shown(at)[:600]
    # The run history keeps both runs, the diverged one marked as such.
    runs = at.session_state["ts_history"]
    assert [r.status for r in runs] == ["diverged", "finished"]


# ---------------------------------------------------------------- gradient lab: links and extremes

@pytest.mark.parametrize("params,expected,knob,value", [
    ({"gl_T": "100000"}, "Sequence length T 100000 → 1000", "gl_T", 1000),
    ({"gl_units": "0"}, "Units 0 → 4", "gl_units", 4),
    ({"gl_task": "telepathy"}, "Task that needs long memory telepathy → lag_recall", "gl_task", "lag_recall"),
    ({"gl_samples": "1"}, "Training sequences 1 → 64", "gl_samples", 64),
    ({"gl_lr": "-1"}, "Learning rate -1 → 0.0001", "gl_learning_rate", 1e-4),
], ids=["T_huge", "units_0", "unknown_task", "one_sample", "negative_lr"])
def test_gradient_lab_bad_link_is_clamped_to_the_nearest_valid_value_and_says_so(params, expected, knob, value):
    # One policy on every page: a link's value the page does not offer becomes the nearest one it does, said once.
    at = page(GL, params)
    clean(at)
    warnings = "\n".join(w.value for w in at.warning)
    assert "The link asked for values this page does not offer" in warnings and expected in warnings, warnings
    assert not at.button(key="gl_train").disabled  # the clamped set-up is ready to train
    assert at.session_state[knob] == value


GL_TINY = {"gl_T": "20", "gl_units": "8", "gl_epochs": "1", "gl_samples": "64"}


def test_gradient_lab_no_architecture_selected():
    at = page(GL, GL_TINY)
    at.multiselect(key="gl_archs").set_value([]).run()
    clean(at)
    assert at.button(key="gl_train").disabled and at.button(key="gl_sweep_go").disabled
    at.multiselect(key="gl_archs").set_value(["GRU"]).run()
    press(at, "gl_train")
    clean(at)
    assert "What this run measured" in shown(at) and not at.error, errors(at)


def test_gradient_lab_exploding_run_is_called_out():
    at = page(GL, {**GL_TINY, "gl_activation": "relu", "gl_recurrent_init": "identity",
                   "gl_recurrent_scale": "3.0", "gl_optimizer": "sgd", "gl_lr": "0.3", "gl_clipnorm": "0"})
    at.multiselect(key="gl_archs").set_value(["SimpleRNN"]).run()
    with expect_error(DIVERGED):
        press(at, "gl_train")
    clean(at)


# ---------------------------------------------------------------- sentiment: typed reviews

SENT_TINY = {"m_cell": "GRU", "m_units": "8", "m_embedding_dim": "8", "t_epochs": "1", "t_batch_size": "64",
             "x_vocab_size": "2000", "x_max_len": "50", "d_n_train": "500", "d_n_test": "500"}
NORMAL_REVIEW = "A wonderful film with a great cast, I loved every minute of it."


POS = "wonderful great loved brilliant superb moving funny charming".split()
NEG = "awful boring hated terrible dull painful silly clumsy".split()
FILLER = "the film movie cast plot acting a with of it i every minute story was and this".split()


def labelled_texts(n: int = 600, seed: int = 0) -> bytes:
    """A CSV of short movie-review-like texts whose label its words decide (no IMDB needed)."""
    rng = np.random.default_rng(seed)
    rows = ["text,label"]
    for i in range(n):
        label = i % 2
        words = list(rng.choice(FILLER, 8)) + list(rng.choice(POS if label else NEG, 3))
        rng.shuffle(words)
        rows.append(f"{' '.join(words)},{'pos' if label else 'neg'}")
    return ("\n".join(rows) + "\n").encode()


@pytest.fixture(scope="module")
def sentiment():
    """The sentiment page with a tiny model trained on 600 uploaded labelled texts (shared by the review cases)."""
    at = page(SENT, SENT_TINY)
    at.radio(key="sent_source").set_value("My own labelled texts (CSV)").run()
    at.file_uploader(key="sent_upload").set_value(("reviews.csv", labelled_texts(), "text/csv")).run()
    press(at, "sent_train")
    clean(at)
    assert 0.0 <= float(metric(at, "Test accuracy")) <= 1.0
    return at


def review(at: AppTest, text: str) -> AppTest:
    return at.text_area(key="sentiment_review").input(text).run()


def still_scores_a_normal_review(at: AppTest) -> None:
    review(at, NORMAL_REVIEW)
    clean(at)
    assert not at.error, errors(at)
    assert 0.0 <= float(metric(at, "P(positive)")) <= 1.0
    assert metric(at, "Words read") == str(len(NORMAL_REVIEW.split()))


REVIEWS = {
    "empty": ("", "Type or paste a review first (it is empty)."),
    "whitespace": ("   \n\t  ", "Type or paste a review first (it is empty)."),
    "punctuation_only": ("?!... ,,, ;-)", "No words left after removing punctuation"),
    "emoji_only": ("😀😀 🎬🍿 👍", "None of these words is in the training vocabulary"),
    "ten_thousand_words": ("good " * 10_000, "The review has 10,000 words; the model reads at most 50"),
    "unknown_words": ("Qwzx blorf snargle vrumpf zzyzx", "None of these words is in the training vocabulary"),
    "box_full": ("bad " * 25_000, "The review has 25,000 words"),
    # A longer paste reaches the page whole (the box has no length cap) and is cut there, with a note.
    "past_the_limit": ("bad " * 40_000, "The review has 160,000 characters; only the first 100,000 were read"),
}


@pytest.mark.parametrize("case", list(REVIEWS))
def test_odd_review_gets_one_sentence_then_a_normal_review_works(sentiment, case):
    text, expected = REVIEWS[case]
    at = review(sentiment, text)
    clean(at)
    assert not at.error, errors(at)
    assert expected in shown(at), shown(at)[:600]
    still_scores_a_normal_review(at)


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script> great movie",
    "<img src=x onerror=alert(1)> <b>bold</b> [a link](javascript:alert(1)) ![img](http://x/y.png) terrible",
    "I 😍 this film 🎬, magnifique! ünïcödé wörds",
    "null\x00byte and \x1b[31mcontrol\x07 characters good",
    "x" * 5_000,
], ids=["script_tag", "html_and_markdown", "emoji_and_accents", "control_chars", "one_huge_word"])
def test_markup_and_odd_characters_are_read_as_plain_words(sentiment, text):
    at = review(sentiment, text)
    clean(at)
    assert not at.error, errors(at)
    assert 0.0 <= float(metric(at, "P(positive)")) <= 1.0
    # The review is never rendered as markup: no markdown or HTML element carries its text.
    for md in at.markdown:
        assert "<script" not in md.value and "onerror" not in md.value and "javascript:" not in md.value
    still_scores_a_normal_review(at)


# ---------------------------------------------------------------- sentiment: own labelled CSV

def sent_csv_page() -> AppTest:
    at = page(SENT, SENT_TINY)
    at.radio(key="sent_source").set_value("My own labelled texts (CSV)").run()
    return at


GOOD_TEXTS = ("text,label\n" + "\n".join(f"\"{'great fun loved it' if i % 2 else 'awful boring hated it'} {i}\","
                                          f"{'pos' if i % 2 else 'neg'}" for i in range(40)) + "\n").encode()

def not_read(what: str) -> str:
    return f"Loading the reviews: {what}"


LABELS = "0/1, pos/neg or positive/negative"
BAD_TEXT_CSVS = {
    "empty": (b"", not_read("Could not read uploaded CSV (0.0 MB) as CSV: No columns to parse from file.")),
    "no_label_column": (b"text,stars\ngood,5\nbad,1\nok,3\nmeh,2\n",
                        not_read("uploaded CSV (0.0 MB) needs a text column (text/review/sentence/content) and a label "
                                 "column (label/sentiment/target/class/polarity); it has 'text', 'stars'.")),
    "one_class": (("text,label\n" + "\n".join(f"t{i},pos" for i in range(10))).encode(),
                  not_read("All labels are the same: a sentiment model needs both positive and negative texts.")),
    "non_binary_labels": (("text,label\n" + "\n".join(f"t{i},{i % 5}" for i in range(10))).encode(),
                          not_read(f"Labels must be binary ({LABELS}); found '2', '3', '4'.")),
    "too_few_rows": (b"text,label\ngood,1\nbad,0\n", not_read("uploaded CSV (0.0 MB) has 2 row(s): too few to train and test on.")),
    "missing_labels": (b"text,label\na,1\nb,\nc,0\nd,1\ne,0\n",
                       not_read(f"1 row(s) have no label (first at row 2); every text needs a label {LABELS}.")),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40,
               not_read("uploaded CSV (0.0 MB) does not look like text: save it as a CSV file and upload that.")),
    "excel_workbook": (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 40,
                       not_read("uploaded CSV (0.0 MB) does not look like text (it looks like an Excel workbook or a zip "
                                "file): save it as a CSV file and upload that.")),
    "shift_jis": (("text,label\n" + "\n".join(f"この映画は最高でした {i},{i % 2}" for i in range(20))).encode("shift_jis"),
                  not_read("uploaded CSV (0.0 MB) is not UTF-8 text (byte 0x82 on line 2 is not UTF-8): save it as "
                           "UTF-8, for example as \"CSV UTF-8\" in Excel, and upload it again.")),
    "windows_1252": (("text,label\n" + "\n".join(f"It\u2019s a caf\u00e9 film {i},{i % 2}" for i in range(20))).encode("cp1252"),
                     not_read("uploaded CSV (0.0 MB) is not UTF-8 text (byte 0x92 on line 2 is not UTF-8): save it as "
                              "UTF-8, for example as \"CSV UTF-8\" in Excel, and upload it again.")),
    "over_the_upload_limit": (b"text,label\n" + b"x" * (50 * 2**20),
                              not_read("uploaded CSV (52.4 MB) is larger than 50 MB (the limit): use a part of it.")),
    "too_many_rows": (b"text,label\n" + b"good,1\nbad,0\n" * 100_001,
                      not_read("uploaded CSV (1.3 MB) has more than 200,000 rows (the limit): use a part of it.")),
}


@pytest.mark.parametrize("case", list(BAD_TEXT_CSVS))
def test_bad_labelled_csv_gets_one_sentence_and_a_good_one_loads(case):
    data, expected = BAD_TEXT_CSVS[case]
    at = sent_csv_page()
    with expect_error(expected):
        at.file_uploader(key="sent_upload").set_value((f"{case}.csv", data, "text/csv")).run()
    clean(at)
    assert at.button(key="sent_train").disabled
    at.file_uploader(key="sent_upload").set_value(("good.csv", GOOD_TEXTS, "text/csv")).run()
    clean(at)
    assert metric(at, "Training reviews") == "32" and not at.button(key="sent_train").disabled


def test_labelled_csv_in_utf16_without_a_bom_is_read_right():
    # Every UTF-16 and BOM variant is read by the engine (tests/test_data_limits.py); here one goes through the page.
    text = "text,label\n" + "\n".join(f"\"{'très bien, j’ai adoré' if i % 2 else 'nul, ennuyeux'} {i}\",{i % 2}"
                                       for i in range(40))
    at = sent_csv_page()
    at.file_uploader(key="sent_upload").set_value(("fr.csv", text.encode("utf-16-le"), "text/csv")).run()
    clean(at)
    assert metric(at, "Training reviews") == "32" and not at.button(key="sent_train").disabled
    shown_texts = "\n".join(t.value for t in at.text)
    assert "très bien, j’ai adoré" in shown_texts or "nul, ennuyeux" in shown_texts  # the words, not mojibake
