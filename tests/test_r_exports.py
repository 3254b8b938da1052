"""R's `ts` exports (decimal years, NA, negative years) read on a real time axis, with the period from the step."""
import numpy as np
import pandas as pd
import pytest

import r_exports as R
from explorer.charts import series as charts_series
from explorer.data.calendar import decimal_years
from explorer.data.csv_series import extract_series, read_table
from explorer.data.windows import chronological_split
from explorer.tasks.series.forecast import find_period


def _read(data: bytes):
    table = read_table(data)
    date = table.date_columns[0] if table.date_columns else None
    return table, extract_series(table, table.value.column, date)


@pytest.mark.parametrize("per_year, start, decimals, name, first, last, period", [
    (12, 1949.0, None, "monthly", "1949-01-01", "1960-12-01", 12),
    (12, 1949.0, 3, "monthly", "1949-01-01", "1960-12-01", 12),  # 1949.083: fewer decimals, same months
    (4, 1960.25, None, "quarterly", "1960-04-01", "1996-01-01", 4),
    (1, 1871, None, "yearly", "1871-01-01", "2014-01-01", None),
    (52, 1990.0, None, "weekly", "1990-01-01", None, 52),
], ids=["monthly", "monthly-4-decimals", "quarterly", "yearly", "weekly"])
def test_decimal_years_are_a_time_axis_with_real_dates_and_the_period_of_their_step(per_year, start, decimals, name,
                                                                                    first, last, period):
    n = max(144, 8 * per_year)
    values = R.seasonal_values(n, per_year, seed=1) if per_year > 1 else 100 + np.random.default_rng(1).normal(0, 1, n)
    table, s = _read(R.r_ts_csv(values, start, per_year, decimals))
    assert table.value.column == "value"  # not the row names, not the time
    axis = table.axis(table.date_columns[0])
    assert axis.columns == ("time",) and s.frequency.name == name
    assert ("decimal years" in axis.how) == (per_year > 1)
    assert str(np.datetime64(s.dates[0], "D")) == first
    if last:
        assert str(np.datetime64(s.dates[-1], "D")) == last
    assert len(s.values) == n and np.all(np.diff(s.dates.astype("datetime64[s]").astype(np.int64)) > 0)
    p = find_period(s.values, chronological_split(n, 0.15, 0.15).val_start, s.frequency)
    assert p.steps == period
    if period:
        assert f"{name} data: {period} steps make a year" in p.text


def test_negative_years_of_a_tree_ring_series_are_dates_before_year_0():
    values = 1.0 + 0.3 * np.random.default_rng(2).standard_normal(400)
    table, s = _read(R.r_ts_csv(values, -6000, 1))
    axis = table.axis("time")
    assert axis.how == "whole years, some before year 0" and s.frequency.name == "yearly"
    assert str(np.datetime64(s.dates[0], "D")) == "-6000-01-01" and str(np.datetime64(s.dates[-1], "Y")) == "-5601"
    assert s.report[-1] == "Series: 400 values of value from -6000-01-01 to -5601-01-01 (yearly)."
    fig = charts_series.split_preview(s.values, chronological_split(400, 0.15, 0.15), s.dates)
    assert str(fig.data[0].x[0]).startswith("-6000-01-01")  # dates on the axis, as plotly.js reads them
    assert fig.layout.xaxis.title.text == "date"
    fig = charts_series.forecast_chart(s.values, np.zeros(3), "RNN", dates=s.dates)
    assert [str(x)[:5] for x in fig.data[-1].x] == ["-5601", "-5600", "-5599", "-5598"]  # the forecast's years follow


def test_missing_values_written_NA_are_filled_and_said_and_the_first_one_dropped():
    values = R.seasonal_values(96, 4, seed=3, missing=[0, 10, 11, 50])
    table, s = _read(R.r_ts_csv(values, 1945.0, 4))
    assert len(s.values) == 95 and str(np.datetime64(s.dates[0], "D")) == "1945-04-01"
    assert np.all(np.isfinite(s.values))
    assert any("4 missing or non-numeric value(s): 1 at the start or end were dropped and 3 inside the series were "
               "filled by linear interpolation" in line for line in s.report), s.report


def test_r_time_that_only_counts_rows_is_not_read_as_years():
    values = np.cumsum(np.random.default_rng(4).standard_normal(150))
    table, s = _read(R.r_ts_csv(values, 1, 1))  # ts(x): time 1, 2, 3 …
    assert table.date_columns == [] and s.dates is None and table.value.column == "value"


@pytest.mark.parametrize("cells", [[1.5, 2.7, 3.1, 4.0], [52.0, 52.31, 52.62, 52.93], [1949.0, 1949.5, 1949.6, 1950.0]],
                         ids=["measurements", "not-years", "irregular"])
def test_numbers_that_are_not_decimal_years_are_left_alone(cells):
    assert decimal_years("x", pd.Series(cells)) is None


def test_a_missing_row_of_a_monthly_export_is_inserted_on_the_calendar():
    values = R.seasonal_values(60, 12, seed=5)
    data = R.r_ts_csv(values, 2000.0, 12).decode().splitlines()
    del data[20]  # the row of 2000 + 19/12 (August 2001) is not in the file
    table, s = _read(("\n".join(data) + "\n").encode())
    assert len(s.values) == 60 and str(np.datetime64(s.dates[19], "D")) == "2001-08-01"
    assert any("1 missing monthly step(s) were inserted" in line for line in s.report)
