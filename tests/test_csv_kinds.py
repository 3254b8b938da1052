"""The series a person means, on its dates: generated files of each kind real people upload, through the engine."""
import numpy as np
import pandas as pd
import pytest

import csv_kinds as K
from explorer.data import calendar, text_encoding
from explorer.data.csv_series import CsvError, extract_series, read_table
from explorer.data.wide import wide_to_long
from explorer.tasks.series.forecast import find_period


def _series(data: bytes, **kw):
    """What the page does by default: melt a wide table, take the default value, first time axis and a key if dates repeat."""
    table = read_table(data)
    if table.wide is not None:
        table = wide_to_long(table)
    date = table.date_columns[0] if table.date_columns else None
    key = None
    if table.key_columns and date and table.dates[date].duplicated().any():
        key = table.key_columns[0]
    return table, extract_series(table, table.value.column, date, key, **kw)


def test_a_year_column_first_is_the_time_axis_not_the_value():
    table, s = _series(K.macro_table())
    assert table.value.column == "gdp_bn"  # the first column of numbers after the year
    assert "Left out: “year” (part of the time axis)" in table.value.reason
    assert table.date_columns == ["year"] and s.frequency.name == "yearly"
    assert pd.Timestamp(s.dates[0]).year == 1961 and len(s.values) == 60


def test_a_running_index_is_never_the_default_value():
    rows = "".join(f"{i},{i * 3 + 7},{np.sin(i / 3):.3f}\n" for i in range(80))
    table = read_table(("row,counter,signal\n" + rows).encode())
    assert table.value.column == "signal"
    assert "counts up in equal steps" in table.value.reason or "label or time" in table.value.reason


def test_the_value_is_the_first_measurement_not_a_flag_or_a_derived_change():
    rng = np.random.default_rng(5)
    temp = 37 + 0.3 * np.sin(np.arange(100) / 8) + rng.normal(0, 0.05, 100)
    active = (np.arange(100) > 70).astype(int)  # a 0/1 flag varies more, relative to its size, than the temperature
    clock = [(8 * 60 + 40 + 10 * i) // 60 * 100 + (8 * 60 + 40 + 10 * i) % 60 for i in range(100)]  # 840, 850, 900 …
    rows = "".join(f"346,{c},{t:.2f},{a}\n" for c, t, a in zip(clock, temp, active))
    table = read_table(("day,time,temp,activ\n" + rows).encode())
    assert table.value.column == "temp"
    assert "“activ” (it only takes two values, like a 0/1 flag)" in table.value.reason
    level = 100 + np.cumsum(rng.normal(0.5, 1, 80))
    days = pd.date_range("2020-01-01", periods=80)
    rows = "".join(f"{d.date()},{v:.2f},{c:.2f}\n" for d, v, c in zip(days, level, np.diff(level, prepend=level[0])))
    table = read_table(("date,output,output_change\n" + rows).encode())
    assert table.value.column == "output"
    assert table.value.reason.startswith("Value column: “output”, the first column of numbers that is not time, an "
                                         "index, a code or a 0/1 flag.")


@pytest.mark.parametrize("header", [K.MONTHS, [m.title() for m in K.MONTHS], [str(i) for i in range(1, 13)],
                                    ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
                                     "nov.", "déc."], [f"M{i:02d}" for i in range(1, 13)]],
                         ids=["upper", "title", "numbers", "french", "M01"])
def test_a_wide_month_table_is_one_monthly_series_in_time_order(header):
    table = read_table(K.wide_months(header=header))
    assert table.wide is not None and table.wide.per_year == 12 and table.wide.year_column == "YEAR"
    long = wide_to_long(table)
    s = extract_series(long, long.value.column, "date")
    wide_rows = pd.read_csv(__import__("io").BytesIO(K.wide_months()))
    expected = wide_rows[K.MONTHS].to_numpy().ravel()
    expected = expected[np.isfinite(expected)]
    np.testing.assert_allclose(s.values, expected)  # JAN … DEC of 1958, then of 1959, …
    assert s.frequency.name == "monthly" and pd.Timestamp(s.dates[13]) == pd.Timestamp("1959-02-01")
    assert any("one column per month" in n and "“ANNUAL”" in n for n in long.notes)
    assert find_period(s.values, int(0.7 * len(s.values)), s.frequency).steps == 12


def test_a_wide_quarter_table_with_decimal_commas():
    table = read_table(K.wide_quarters())
    assert table.wide is not None and table.wide.per_year == 4
    long = wide_to_long(table)
    s = extract_series(long, long.value.column, "date")
    assert len(s.values) == 120 and s.frequency.name == "quarterly"
    assert pd.Timestamp(s.dates[1]) == pd.Timestamp("1990-04-01")


def test_eight_digit_dates_and_a_weekly_yearly_cycle():
    table, s = _series(K.weekly_yyyymmdd())
    assert table.axes[0].how == "8-digit dates (YYYYMMDD)" and table.value.column == "co2_ppm"
    assert pd.Timestamp(s.dates[0]) == pd.Timestamp("1958-03-29") and s.frequency.name == "weekly"
    period = find_period(s.values, 420, s.frequency)
    assert period.steps == 52 and "a year" in period.text


@pytest.mark.parametrize("maker, how, freq, first", [
    (K.monthly_yyyymm, "6-digit year and month (YYYYMM)", "monthly", "2000-01-01"),
    (K.year_and_month_columns, "year and month columns", "monthly", "2005-01-01"),
    (K.year_and_quarter_columns, "year and quarter columns", "quarterly", "1995-01-01"),
    (K.quarter_labels, "dates", "quarterly", "1995-01-01"),
    (K.hourly_yyyymmddhh, "10-digit date and hour (YYYYMMDDHH)", "hourly", "2024-03-01"),
    (K.stock_export, "dates", "business daily (weekdays)", "2021-01-04"),
], ids=["yyyymm", "year+month", "year+quarter", "1995-Q1", "yyyymmddhh", "business days"])
def test_time_in_the_forms_real_files_use(maker, how, freq, first):
    table, s = _series(maker())
    assert table.axes[0].how == how, [(a.label, a.how) for a in table.axes]
    assert s.frequency.name == freq and pd.Timestamp(s.dates[0]) == pd.Timestamp(first)
    assert np.all(np.diff(s.dates.astype("datetime64[s]").astype(np.int64)) > 0)
    assert not set(table.axes[0].columns) & {table.value.column}


def test_a_weather_log_by_station_with_date_and_time_columns():
    table, s = _series(K.weather_log())
    assert table.axes[0].label == "Datum + Uhrzeit" and table.key_columns == ["STATIONS_ID"]
    assert table.value.column == "TT_TU" and s.frequency.name == "hourly" and len(s.values) == 24 * 40
    assert pd.Timestamp(s.dates[25]) == pd.Timestamp("2024-03-02 01:00")
    period = find_period(s.values, 600, s.frequency)
    assert period.steps in (24, 168)


def test_a_stock_export_models_the_close():
    table, s = _series(K.stock_export())
    assert table.value.column == "Adj Close" and "named like a value" in table.value.reason
    assert find_period(s.values, 500, s.frequency).steps in (5, 260)


def test_gaps_in_a_regular_calendar_are_inserted_and_filled():
    days = pd.date_range("2024-01-01", periods=120)
    keep = [i for i in range(120) if i % 10 != 4]
    data = ("date,value\n" + "".join(f"{days[i].date()},{i}\n" for i in keep)).encode()
    _, s = _series(data)
    np.testing.assert_allclose(s.values, np.arange(120.0))  # a line: the inserted days interpolate exactly
    assert any("12 missing daily step(s) were inserted" in r for r in s.report)


def test_duplicate_timestamps_are_averaged_and_said():
    data = ("date,value\n" + "".join(f"2024-01-{1 + i // 2:02d},{i}\n" for i in range(60))).encode()
    _, s = _series(data)
    np.testing.assert_allclose(s.values, np.arange(30) * 2 + 0.5)
    assert any("30 row(s) repeated an earlier date" in r and "choose a key column" in r for r in s.report)


@pytest.mark.parametrize("kind, codec, label", [
    ("shift_jis", "cp932", "Shift-JIS (Japanese)"),
    ("gbk", "gb18030", "GBK (Simplified Chinese)"),
    ("utf-16-le", "utf-16-le", "UTF-16"),
    ("utf-16-be", "utf-16-be", "UTF-16"),
])
def test_encodings_are_recognised_and_named(kind, codec, label):
    table, s = _series(K.encoded(kind))
    assert table.encoding == codec and f"Text encoding: {label}." in table.notes
    assert table.value.column in ("終値", "收盘价", "close")
    assert len(s.values) == 60


def test_a_legacy_file_can_be_read_in_another_encoding():
    data = K.encoded("gbk")
    table = read_table(data, encoding="cp1252")  # the person's pick overrides the guess
    assert table.encoding == "cp1252" and "收盘价" not in table.numeric_columns


def test_unicode_minus_full_width_digits_and_invisible_characters():
    rows = "".join(f"2024-01-{i + 1:02d},\u2212{i}.5,{'１２'}\n" for i in range(30))
    data = ("\u200bdate,\u202etemp\u202c,\ufeffcount\n" + rows).encode()
    table, s = _series(data)
    assert table.numeric_columns == ["temp", "count"] and table.date_columns == ["date"]
    np.testing.assert_allclose(s.values, -(np.arange(30) + 0.5))
    np.testing.assert_allclose(table.numbers["count"], 12.0)
    assert any("invisible formatting character(s)" in n for n in table.notes)
    assert text_encoding.INVISIBLE.search("".join(table.frame.columns)) is None


def test_row_and_column_limits_are_enforced_before_parsing():
    with pytest.raises(CsvError, match=r"about 1,001 rows; the limit is 1,000"):
        read_table(K.big_file(1001), max_rows=1000)
    wide = ",".join(f"c{i}" for i in range(600)) + "\n" + ",".join("1" for _ in range(600)) + "\n"
    with pytest.raises(CsvError, match="600 columns; the limit is 500"):
        read_table(wide.encode())


def test_a_long_file_under_the_limit_reads_quickly_and_whole():
    import time

    data = K.big_file(200_000)
    t0 = time.process_time()
    table, s = _series(data)
    seconds = time.process_time() - t0
    assert len(s.values) == 200_000 and s.frequency.name == "every minute"
    assert seconds < 60, seconds  # a generous bound for a loaded 2-core machine; bench/ measures 2M rows


def test_period_labels_and_month_names():
    assert calendar.month_number("Sept.") == 9 and calendar.month_number("März") == 3
    assert calendar.month_number("3月") == 3 and calendar.month_number("13") is None
    assert calendar.quarter_number("3rd quarter") == 3 and calendar.quarter_number("T2") == 2
    assert calendar.quarter_number("iv") is None and calendar.quarter_number("iv", roman=True) == 4
    dates = calendar.period_dates(pd.Series(["2020Q1", "2020Q2", "2020 Q3"]))
    assert list(dates.dt.month) == [1, 4, 7]
    dates = calendar.period_dates(pd.Series(["2019M11", "2019M12", "2020M01"]))
    assert list(dates.dt.strftime("%Y-%m")) == ["2019-11", "2019-12", "2020-01"]
    dates = calendar.period_dates(pd.Series(["Jan 2020", "Feb 2020", "Mar 2020"]))
    assert list(dates.dt.month) == [1, 2, 3]


@pytest.mark.parametrize("dates, name, periods", [
    (pd.date_range("2020-01-01", periods=50, freq="h"), "hourly", (24, 168)),
    (pd.date_range("2020-01-01", periods=50, freq="D"), "daily", (7, 365)),
    (pd.bdate_range("2020-01-01", periods=50), "business daily (weekdays)", (5, 260)),
    (pd.date_range("2020-01-01", periods=50, freq="W-SUN"), "weekly", (52,)),
    (pd.date_range("2020-01-01", periods=50, freq="ME"), "monthly", (12,)),
    (pd.date_range("2020-01-01", periods=50, freq="QS"), "quarterly", (4,)),
    (pd.date_range("1950-01-01", periods=50, freq="YS"), "yearly", ()),
])
def test_frequency_and_its_seasonal_periods(dates, name, periods):
    f = calendar.infer_frequency(dates.to_numpy())
    assert f.name == name and f.periods == periods
