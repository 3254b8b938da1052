"""The scripts each page exports, without training: every knob shows in them, they read the data as the page
did (every CSV kind, the reviews' subset and validation split), and they import only keras, numpy and pandas.

Running the scripts and notebooks (a fresh Python that cannot import the project) is in test_export_runs.py."""
import ast
import dataclasses
import io
import json
import os

import nbformat
import numpy as np
import pandas as pd
import pytest

import csv_kinds as K
from explorer.data import imdb, synthetic
from explorer.data.csv_series import extract_series, read_table
from explorer.data.wide import wide_to_long
from explorer.data.windows import TARGETS, chronological_split
from explorer.export import csv_code, lab_code, sentiment_code, series_code
from explorer.nn.config import SeriesConfig
from explorer.tasks.sentiment import origin
from explorer.tasks.sentiment.encoding import split_parts
from explorer.tasks.sentiment.presets import BEST, QUICK
from explorer.tasks.sentiment.run import setup_from
from explorer.tasks.series.forecast import find_period
from explorer.tasks.series.run import resolve_target, series_model_config
from test_imdb_data import make_folder
from ui import knobs as KN

# Knobs that may not change the script (what the page shows, not what it trains): none so far. A knob added to a
# table must change the script its run exports, or be named here with the reason.
DISPLAY_ONLY: dict[str, str] = {}


# ---------------------------------------------------------------- each page's script, from its configs

def series_values(s: SeriesConfig) -> np.ndarray:
    if s.source == "stock":
        return synthetic.stock_series(s.length, s.drift, s.volatility, s.seasonality, s.jumps, seed=s.seed)
    return synthetic.sine_wave(s.length, s.frequency, s.amplitude, s.noise, s.seed)


def ts_script(cfgs: dict) -> str:
    """What a time-series run of these configs exports: its target and seasonal period found as the run finds them."""
    s, m, t = cfgs["series"], cfgs["model"], cfgs["train"]
    values = series_values(s)
    period = find_period(values, chronological_split(len(values), s.val_fraction, s.test_fraction).val_start)
    return series_code.write_series(s, series_model_config(m, s), t, resolve_target(values, s).target, period.steps,
                                    period.text).to_py()


def sent_script(cfgs: dict) -> str:
    return sentiment_code.sentiment_script(setup_from(cfgs["text"], cfgs["model"], cfgs["train"], cfgs["data"])).to_py()


def lab_script(cfgs: dict) -> str:
    return lab_code.lab_script(KN.lab_config(cfgs), cfgs["cells"].archs.split(",")).to_py()


def _with(cfgs: dict, part: str, **changes) -> dict:
    return {**cfgs, part: dataclasses.replace(cfgs[part], **changes)}


def _defaults(panel) -> dict:
    return {name: p.default for name, p in panel.parts.items()}


TS = _defaults(KN.TIME_SERIES)
SENT = _defaults(KN.SENTIMENT)
LAB = _defaults(KN.GRADIENT_LAB)
# Set-ups each knob is turned in (a knob need only show where it matters: the stock's drift on a stock series,
# the gate biases on a gated cell); the first is the page's default.
PAGES = {
    "time series": (KN.TIME_SERIES, ts_script, [TS, _with(_with(TS, "series", source="stock", seasonality=0.1,
                                                                 jumps=2.0), "model", cell="LSTM")]),
    "sentiment": (KN.SENTIMENT, sent_script, [SENT, {"text": BEST.text, "model": BEST.model, "train": BEST.train,
                                                     "data": BEST.data}]),
    "gradient lab": (KN.GRADIENT_LAB, lab_script, [LAB]),
}


def _other_value(knob, value):
    """A second value the knob's widget offers."""
    if knob.widget == "multiselect":
        return "GRU" if value != "GRU" else "LSTM"
    if knob.widget == "checkbox" and not knob.options:
        return not value
    if knob.options:
        return next(o for o in knob.options if o != value)
    step = knob.step or 1
    other = value + step if value + step <= knob.hi else value - step
    return type(value)(other)


@pytest.mark.parametrize("page", PAGES)
def test_every_knob_changes_the_script_or_is_listed_as_display_only(page):
    panel, write, bases = PAGES[page]
    missing = []
    for part_name, part in panel.parts.items():
        for knob in part.knobs:
            url_key = part.prefix + knob.field
            if url_key in DISPLAY_ONLY:
                continue
            changed = False
            for base in bases:
                value = getattr(base[part_name], knob.field)
                other = _other_value(knob, value)
                if write(base) != write(_with(base, part_name, **{knob.field: other})):
                    changed = True
                    break
            if not changed:
                missing.append(url_key)
    assert not missing, f"{page}: these knobs do not change the exported script: {missing}"


def test_every_target_the_page_offers_has_a_transform():
    assert set(TARGETS) <= set(series_code.TRANSFORMS)


def test_the_same_run_gives_the_same_files():
    a, b = ts_script(TS), ts_script(TS)
    assert a == b
    s = lab_code.lab_script(KN.lab_config(LAB), ["GRU"])
    assert s.to_ipynb() == lab_code.lab_script(KN.lab_config(LAB), ["GRU"]).to_ipynb()  # numbered cell ids, no random ones


# ---------------------------------------------------------------- plain Keras: what the scripts import

ALLOWED = {"keras", "numpy", "pandas", "os", "pathlib", "re", "tarfile"}


def _imports(code: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0])
    return names


SCRIPTS = {
    "time series, default": lambda: series_code.write_series(*[TS[k] for k in ("series", "model", "train")], "level"),
    "time series, stacked bidirectional chrono GRU on changes": lambda: series_code.write_series(
        TS["series"], dataclasses.replace(TS["model"], cell="GRU", gate_init="chrono", layers=3, bidirectional=True,
                                          dropout=0.1), dataclasses.replace(TS["train"], clipnorm=1.0), "change", 50),
    "sentiment, best preset": lambda: sentiment_code.sentiment_script(BEST),
    "sentiment, labelled CSV, cosine, max": lambda: sentiment_code.sentiment_script(
        dataclasses.replace(QUICK, model=dataclasses.replace(QUICK.model, readout="max"),
                            train=dataclasses.replace(QUICK.train, schedule="cosine")),
        origin.ReviewSource("csv", "random", "review", "sentiment", "split", "mine.csv")),
    "gradient lab, all cells": lambda: lab_code.lab_script(KN.lab_config(LAB), ["SimpleRNN", "LSTM", "GRU"]),
    "gradient lab, adding, exploding": lambda: lab_code.lab_script(KN.LAB_PRESETS["explode"][1], ["SimpleRNN"]),
}


@pytest.mark.parametrize("name", SCRIPTS)
def test_scripts_are_plain_python_importing_only_keras_numpy_pandas(name):
    script = SCRIPTS[name]()
    text = script.to_py()
    allowed = ALLOWED | ({"tensorflow"} if "gradient lab" in name else set())  # tf.GradientTape, as the lab's
    assert _imports(text) <= allowed, _imports(text) - allowed
    assert "explorer" not in _imports(text) and "from explorer" not in text
    assert max(len(line) for line in text.splitlines()) <= 120  # readable
    compile(text, name, "exec")
    nb = nbformat.reads(script.to_ipynb(), as_version=4)
    nbformat.validate(nb)
    code = "\n\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert code == script.code and all(c.source in text for c in nb.cells if c.cell_type == "code")
    assert nb.metadata.kernelspec.name == "python3"


# ---------------------------------------------------------------- the CSV as the page read it

def page_reading(data: bytes, name: str = "upload.csv", key_value=None):
    """What the time-series page does with an upload by default (ui.series_data.uploaded_series)."""
    read = read_table(data)
    table = wide_to_long(read) if read.wide is not None else read
    date = table.date_columns[0] if table.date_columns else None
    key = table.key_columns[0] if table.key_columns and date and table.dates[date].duplicated().any() else None
    value = key_value or (table.key_values(key)[0] if key else None)
    series = extract_series(table, table.value.column, date, key, value)
    return csv_code.CsvChoices(read, name, table.value.column, date, key, value, table is not read, series.values), series


def _gappy_daily() -> bytes:
    days = pd.date_range("2023-01-01", periods=200, freq="D")
    rows = [f"{d.date()},{np.sin(i / 7):.4f}" for i, d in enumerate(days)]
    del rows[50]  # a missing day
    rows.insert(10, rows[30])  # a repeated day, out of order
    rows[100] = rows[100].split(",")[0] + ",NA"  # a missing value
    return ("day,level\n" + "\n".join(rows) + "\n").encode()


def _long_format() -> bytes:
    rng = np.random.default_rng(0)
    rows = [f"{s};{d.date()};{100 * np.exp(rng.normal(0, 0.01)):.2f}".replace(".", ",", 1).replace(".", ",")
            for d in pd.date_range("2022-01-01", periods=80) for s in ("AAA", "BBB")]
    rng.shuffle(rows)
    return ("symbol;date;close\n" + "\n".join(rows) + "\n").encode()


CSVS = {
    **{name: getattr(K, name) for name in ("macro_table", "wide_months", "wide_quarters", "weekly_yyyymmdd",
                                           "monthly_yyyymm", "year_and_month_columns", "year_and_quarter_columns",
                                           "quarter_labels", "stock_export", "weather_log", "hourly_yyyymmddhh")},
    **{f"encoded {enc}": (lambda enc=enc: K.encoded(enc)) for enc in ("shift_jis", "gbk", "cp1252", "utf-16")},
    "one-minute readings": lambda: K.big_file(3000),
    "daily, a missing and a repeated day": _gappy_daily,
    "long format, decimal commas, shuffled": _long_format,
    "no header": lambda: ("\n".join(f"{i},{np.cos(i / 4):.3f}" for i in range(100)) + "\n").encode(),
    "US dates, thousands separators": lambda: ("when,price\n" + "".join(
        f"{d.month}/{d.day}/{d.year},\"{1000 + 3.5 * i:,.2f}\"\n" for i, d in
        enumerate(pd.date_range("2020-01-01", periods=150)))).encode(),
    "huge values": lambda: ("t,v\n" + "".join(f"{i},{(1 + np.sin(i / 3)) * 1e300:.6g}\n" for i in range(60))).encode(),
    "names that are not code": lambda: ('"when\n#x",\'"Price"\' # (€)\n' + "".join(
        f"2021-03-{d:02d},{100 + d}\n" for d in range(1, 29))).encode(),
}


@pytest.mark.parametrize("kind", CSVS)
def test_the_script_reads_a_csv_exactly_as_the_page_did(kind, tmp_path):
    data = CSVS[kind]()
    choices, series = page_reading(data)
    rows, prose, code = csv_code.csv_code(choices)
    assert "differently from the page" not in prose and "check the dates" not in code
    (tmp_path / "upload.csv").write_bytes(data)
    space = {"pd": pd, "np": np, **{name: value for name, value, _ in rows if name}}
    space["CSV_PATH"] = str(tmp_path / "upload.csv")
    exec(code, space)  # noqa: S102 - the generated data step, on the uploaded file
    from explorer.tasks.series.checks import check_series

    want = check_series(series.values).values  # the page models huge values in a power-of-ten unit
    np.testing.assert_allclose(space["values"], want, rtol=1e-12)


def _time_axis_kinds() -> set[str]:
    """Every `how` the reader's calendar can give a time axis: the strings its TimeAxis(…) calls pass, and the
    forms its loops hand them (read from the source, so a kind added there is seen here)."""
    from pathlib import Path

    tree = ast.parse((Path(__file__).resolve().parents[1] / "explorer" / "data" / "calendar.py").read_text("utf-8"))
    hows = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "TimeAxis" and len(node.args) == 4:
            hows |= {c.value for c in ast.walk(node.args[3]) if isinstance(c, ast.Constant) and isinstance(c.value, str)}
        if isinstance(node, ast.For) and "how" in {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}:
            hows |= {row.elts[-1].value for row in node.iter.elts}
    return hows


def test_every_time_axis_kind_the_reader_names_has_a_writer():
    hows = _time_axis_kinds()
    assert {"years", "8-digit dates (YYYYMMDD)", "year and quarter columns"} <= hows  # the reading of the source works
    assert hows <= set(csv_code.TIME_AXES), hows - set(csv_code.TIME_AXES)


# ---------------------------------------------------------------- the reviews as the run used them

def _sections(script, upto: str) -> str:
    out = []
    for s in script.sections:
        out.append(s.code)
        if s.heading == upto:
            break
    return "\n\n".join(out)


def _run_reviews(script, env: dict, monkeypatch, cwd) -> dict:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.chdir(cwd)
    space: dict = {"__name__": "__main__"}
    exec(_sections(script, "The reviews this run used"), space)  # noqa: S102 - the generated reading and split
    return space


@pytest.mark.parametrize("movies", [False, True], ids=["id blocks", "grouped by movie"])
def test_the_script_holds_out_the_same_reviews_as_the_run(tmp_path, monkeypatch, movies):
    base = make_folder(tmp_path / "src", n_per_label=120)
    if movies:
        for split in ("train", "test"):
            for label in ("pos", "neg"):
                (base / split / f"urls_{label}.txt").write_text(
                    "".join(f"http://www.imdb.com/title/tt{split}{i // 3:04d}/usercomments\n" for i in range(120)))
    data = imdb.read_any(base)
    cfg = origin.review_source(data)
    assert cfg.grouping == ("movie" if movies else "id-blocks")
    setup = dataclasses.replace(QUICK, data=dataclasses.replace(QUICK.data, n_train=150, n_test=100, seed=3))
    space = _run_reviews(sentiment_code.sentiment_script(setup, cfg), {"RNN_EXPLORER_IMDB": str(base)}, monkeypatch,
                         tmp_path)
    parts = split_parts(data, setup.data)
    assert space["train_texts"] == parts.train.texts and space["val_texts"] == parts.val.texts
    assert space["test_texts"] == parts.test.texts
    np.testing.assert_array_equal(space["train_labels"], parts.train.labels)


def test_a_csv_of_labelled_texts_is_split_as_the_run_split_it(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"Review": [f"text {i} " + rng.choice(["good", "bad"]) for i in range(300)],
                          "Sentiment": rng.choice(["pos", "neg", "Positive", "negative"], 300)})
    (tmp_path / "mine.csv").write_bytes(frame.to_csv(index=False).encode())
    data = imdb.read_csv(tmp_path / "mine.csv")
    source = origin.review_source(data)
    assert (source.kind, source.text_column, source.label_column, source.file_name) == \
        ("csv", "Review", "Sentiment", "mine.csv")
    setup = dataclasses.replace(QUICK, data=dataclasses.replace(QUICK.data, n_train=200, n_test=50))
    space = _run_reviews(sentiment_code.sentiment_script(setup, source), {}, monkeypatch, tmp_path)
    parts = split_parts(data, setup.data)
    assert space["train_texts"] == parts.train.texts and space["val_texts"] == parts.val.texts
    assert space["test_texts"] == parts.test.texts


def test_notebook_json_is_what_nbformat_writes():
    script = SCRIPTS["time series, default"]()
    nb = json.loads(script.to_ipynb())
    assert nb["nbformat"] == 4 and [c["cell_type"] for c in nb["cells"]][:3] == ["markdown", "markdown", "code"]
    assert io.StringIO(script.to_py()).readline().startswith('"""')
    assert os.path.splitext(script.file_stem)[1] == ""
