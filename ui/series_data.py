"""The time-series page's data step: a synthetic series from its knobs, or an uploaded CSV read and chosen from.

Returns the engine's `SeriesData`; every choice a person makes about a CSV (value, date and key
column, wide or long, text encoding) is a widget here, and everything it decides is said.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.charts import series as charts_series
from explorer.data import synthetic, text_encoding
from explorer.data.csv_series import LIMITS_TEXT, CsvError, extract_series, minimum_length, read_table
from explorer.data.numbers import fmt_int
from explorer.data.wide import wide_to_long
from explorer.data.windows import chronological_split
from explorer.export.csv_code import CsvChoices
from explorer.nn.config import SeriesConfig
from explorer.tasks.series.checks import check_series
from explorer.tasks.series.run import SeriesData, plan_run, target_words
from ui.guard import UserError
from ui.knob_panel import Panel

NONE = "(none)"


@st.cache_data(max_entries=32, show_spinner=False)
def _synthetic(source: str, length: int, frequency: float, amplitude: float, noise: float, drift: float,
               volatility: float, seasonality: float, jumps: float, seed: int) -> np.ndarray:
    if source == "stock":
        return synthetic.stock_series(length, drift, volatility, seasonality, jumps, seed=seed)
    return synthetic.sine_wave(length, frequency, amplitude, noise, seed)


@st.cache_resource(max_entries=4, show_spinner="Reading the CSV…")
def _read_csv(file_id: str, _data: bytes, encoding: str | None = None):
    """The parsed table of one upload (file ids are unique per upload), shared as is: never modified, and a
    big one is not copied on every rerun as `st.cache_data` would."""
    return read_table(_data, encoding=encoding)


def _set_noise(key: str, value: float) -> None:
    st.session_state[key] = value


def synthetic_series(knobs: Panel) -> SeriesData:
    """A sine wave or a stock-like series, its knobs in one row."""
    src = knobs.value("d_source")
    cols = st.columns(5)
    knobs.show("d_length", cols[0])
    if src == "sine":
        for col, key in zip(cols[1:4], ("d_frequency", "d_amplitude", "d_noise")):
            knobs.show(key, col)
        if knobs.value("d_noise") > 0:
            cols[3].button("Noise-free sine", key="ts_noise_free", on_click=_set_noise, args=(knobs.key("d_noise"), 0.0),
                           help="Without noise the value one period ago is exact, and no model can beat it.")
        else:
            cols[3].button("Add noise back", key="ts_noise_back", on_click=_set_noise,
                           args=(knobs.key("d_noise"), SeriesConfig().noise))
    else:
        knobs.show("d_drift", cols[1])
        knobs.show("d_volatility", cols[2])
        c3a, c3b = cols[3].columns(2)
        knobs.show("d_seasonality", c3a)
        knobs.show("d_jumps", c3b)
    knobs.show("d_seed", cols[4])
    s = knobs.configs()["series"]
    values = _synthetic(src, s.length, s.frequency, s.amplitude, s.noise, s.drift, s.volatility, s.seasonality,
                        s.jumps, s.seed)
    if src == "sine":
        return SeriesData(values, None, "sine wave", [], noise_var=s.noise ** 2 if s.noise > 0 else None)
    return SeriesData(values, None, "stock-like series", [])


def uploaded_series(s: SeriesConfig) -> SeriesData | None:
    """A CSV the person uploads, with the columns it offers; None (and one sentence) when it cannot be used."""
    upload = st.file_uploader(f"CSV file. {LIMITS_TEXT} One value per row; a date column, several columns, long "
                              "format (a key column) or wide format (a column per month) are fine.",
                              type=["csv", "txt", "tsv"], key="ts_csv")
    if upload is None:
        st.info("Upload a CSV to continue. The file stays in this session; the link cannot carry it.")
        return None
    fid = upload.file_id
    try:
        table = _read_csv(fid, upload.getvalue())
        chosen = st.session_state.get(f"csv_enc_{fid}")
        if chosen and chosen != table.encoding:  # the person picked another text encoding
            table = _read_csv(fid, upload.getvalue(), chosen)
    except CsvError as err:
        st.error(f"This CSV cannot be used: {err}", icon="⚠️")
        return None
    read = table  # as parsed, before a wide table is melted: the run's script reads the file the same way
    if table.wide is not None:
        unit = table.wide.unit
        melt = st.radio("Read the table as", [True, False], horizontal=True, key=f"csv_wide_{fid}",
                        format_func={True: f"one series, {unit} after {unit} in time order",
                                     False: "separate columns"}.get)
        if melt:
            table = wide_to_long(table)
    nums, axes, keys = table.numeric_columns, table.date_columns, table.key_columns
    c1, c2, c3, c4 = st.columns(4)
    value_col = c1.selectbox("Value column", nums, index=nums.index(table.value.column), key=f"csv_value_{fid}")
    date_col = c2.selectbox("Date column", [NONE, *axes], index=1 if axes else 0, key=f"csv_date_{fid}")
    long_format = keys and axes and table.dates[axes[0]].duplicated().any()  # dates repeat: one series per key
    key_col = c3.selectbox("Key column (long format)", [NONE, *keys], index=1 if long_format else 0,
                           key=f"csv_key_{fid}")
    key_val = c4.selectbox("Series", table.key_values(key_col), key=f"csv_keyval_{fid}") if key_col != NONE else None
    date_col, key_col = (None if date_col == NONE else date_col), (None if key_col == NONE else key_col)
    try:
        series = extract_series(table, value_col, date_col, key_col, key_val, min_length=_need(s))
    except CsvError as err:
        st.error(f"This CSV cannot be used: {err}", icon="⚠️")
        return None
    axis = table.axis(date_col)
    time = f"Time: {axis.how} in “{date_col}”." if axis else "No dates: the rows are taken in file order."
    st.caption((f"{table.value.reason} " if value_col == table.value.column else "") + f"{time} {series.report[-1]}")
    if series.changes:
        st.caption("What was done to the data: " + " ".join(series.changes))
    with st.expander("What was read from the file", expanded=False):
        st.text("\n".join(series.report))
        if table.encoding in text_encoding.LEGACY:
            codecs = list(text_encoding.LEGACY)
            st.selectbox("Text encoding", codecs, index=codecs.index(table.encoding), format_func=text_encoding.NAMES.get,
                         key=f"csv_enc_{fid}",
                         help="The file is not UTF-8, so its encoding was guessed; pick another if names look garbled.")
        st.dataframe(table.frame.head(8), hide_index=True)
    origin = CsvChoices(read, upload.name, value_col, date_col, key_col, key_val, table is not read, series.values)
    return SeriesData(series.values, series.dates, series.name, series.report, series.frequency, origin=origin)


def _need(s: SeriesConfig) -> int:
    return minimum_length(s.window, s.horizon, s.val_fraction, s.test_fraction, s.target)


def split_preview(data: SeriesData, s: SeriesConfig, default_model: bool, epochs: int) -> bool:
    """The series, checked and split, drawn; True when it is ready to train on (else one sentence why not)."""
    check = check_series(data.values)
    for note in check.notes:
        st.info(note)
    data.values, data.unit = check.values, check.unit
    split = chronological_split(len(data.values), s.val_fraction, s.test_fraction)
    st.plotly_chart(charts_series.split_preview(data.values, split, data.dates, f"The {data.label} and its split",
                                                y="value" + data.unit), width="stretch", key="ts_preview")
    if check.problem:
        st.warning(check.problem)
        return False
    if len(data.values) < _need(s):
        raise UserError(f"the series has {fmt_int(len(data.values))} points; a window of {s.window} and a horizon "
                        f"of {s.horizon} with this split need at least {fmt_int(_need(s))}. Shorten the window or "
                        "use more data.")
    plan = plan_run(data.values, s, data.frequency)
    if plan.train_total < 1:
        raise UserError(f"the series has {fmt_int(len(data.values))} points: too few for a window of {s.window} "
                        f"of {target_words(plan.choice.target, plan.choice.period)} with this split. Shorten the window, predict "
                        "something else or use more data.")
    st.caption(f"{fmt_int(len(data.values))} points · train {fmt_int(split.val_start)} · validation "
               f"{fmt_int(split.test_start - split.val_start)} · test {fmt_int(split.n - split.test_start)}. "
               f"Scaling is fitted on the training part only. {plan.choice.reason}")
    if plan.sampled:
        st.info(plan.describe(epochs, default_model))
    return True
