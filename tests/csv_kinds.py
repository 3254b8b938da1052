"""Generated CSV files of the kinds real people upload (no copies of public data).

Each function returns the bytes of one file and is built the way its kind is exported:
statistics-office tables (a year column first, wide month tables, year + quarter,
2020Q1 labels), exchange exports (Date, Open, …, Volume), weather logs (date and time
columns, a numeric station id, 8-digit dates), in several encodings.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from explorer.data.synthetic import growth_series, stock_series, trend_and_season

MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()


def macro_table(years: int = 60) -> bytes:
    """One row per year; the first numeric column is the year, then GDP, unemployment and population."""
    rng = np.random.default_rng(1)
    gdp = growth_series(years, 1200.0, 0.03, 0.01, 0.5, seed=1)
    lines = ["year,gdp_bn,unemployment_rate,population_m"]
    for i in range(years):
        lines.append(f"{1961 + i},{gdp[i]:.1f},{5 + 2 * np.sin(i / 5) + rng.normal(0, 0.3):.1f},{52 + 0.31 * i:.2f}")
    return ("\n".join(lines) + "\n").encode()


def wide_months(first_year: int = 1958, years: int = 40, header=MONTHS, annual: bool = True) -> bytes:
    """Year, JAN … DEC (, ANNUAL): a monthly series with trend and season, the last year half empty."""
    v = trend_and_season(years * 12, 315.0, 0.12, 12, 3.0, 0.2, seed=2)
    head = ["YEAR", *header] + (["ANNUAL"] if annual else [])
    lines = [",".join(head)]
    for y in range(years):
        row = v[12 * y:12 * y + 12]
        cells = [f"{x:.2f}" for x in row]
        if y == years - 1:
            cells[6:] = [""] * 6  # the current year: months not published yet
        lines.append(",".join([str(first_year + y), *cells] + ([f"{row.mean():.2f}"] if annual else [])))
    return ("\n".join(lines) + "\n").encode()


def wide_quarters(years: int = 30) -> bytes:
    v = growth_series(years * 4, 500.0, 0.008, 0.006, 0.4, seed=3)
    lines = ["Year;Q1;Q2;Q3;Q4"]
    for y in range(years):
        lines.append(";".join([str(1990 + y), *(f"{x:.1f}".replace(".", ",") for x in v[4 * y:4 * y + 4])]))
    return ("\n".join(lines) + "\n").encode()


def weekly_yyyymmdd(weeks: int = 600) -> bytes:
    """Weekly CO₂-like values with a yearly cycle, dates as 8-digit integers (19580329)."""
    days = pd.date_range("1958-03-29", periods=weeks, freq="W-SAT")
    v = trend_and_season(weeks, 315.0, 0.035, 52.18, 3.0, 0.3, seed=4, ar=0.5)
    lines = ["yyyymmdd,co2_ppm,n_days"]
    lines += [f"{d.strftime('%Y%m%d')},{x:.2f},{7 - (i % 3 == 0)}" for i, (d, x) in enumerate(zip(days, v))]
    return ("\n".join(lines) + "\n").encode()


def monthly_yyyymm(months: int = 240) -> bytes:
    v = growth_series(months, 1000.0, 0.0015, 0.002, 0.6, 12, 0.01, seed=5)
    lines = ["period\temployment"]
    lines += [f"{d.strftime('%Y%m')}\t{x:.0f}" for d, x in zip(pd.date_range("2000-01-01", periods=months, freq="MS"), v)]
    return ("\n".join(lines) + "\n").encode()


def year_and_month_columns(months: int = 180) -> bytes:
    v = trend_and_season(months, 10.0, 0.0, 12, 8.0, 1.0, seed=6)
    lines = ["Station,Year,Month,Mean temperature"]
    lines += [f"ABC,{2005 + i // 12},{MONTHS[i % 12].title()},{x:.1f}" for i, x in enumerate(v)]
    return ("\n".join(lines) + "\n").encode()


def year_and_quarter_columns(quarters: int = 100) -> bytes:
    v = growth_series(quarters, 500.0, 0.008, 0.006, 0.4, seed=7)
    lines = ["Year,Quarter,GDP (bn)"]
    lines += [f"{1995 + i // 4},Q{i % 4 + 1},\"{x * 10:,.0f}\"" for i, x in enumerate(v)]
    return ("\n".join(lines) + "\n").encode()


def quarter_labels(quarters: int = 100) -> bytes:
    """SDMX-style export: TIME_PERIOD as 1995-Q1, OBS_VALUE."""
    v = growth_series(quarters, 500.0, 0.008, 0.006, 0.4, seed=8)
    lines = ["DATAFLOW,FREQ,TIME_PERIOD,OBS_VALUE"]
    lines += [f"NA_MAIN,Q,{1995 + i // 4}-Q{i % 4 + 1},{x:.1f}" for i, x in enumerate(v)]
    return ("\n".join(lines) + "\n").encode()


def stock_export(days: int = 750) -> bytes:
    """Date, Open, High, Low, Close, Adj Close, Volume on business days: a random walk."""
    close = stock_series(days, 0.08, 0.3, seed=9)
    rng = np.random.default_rng(9)
    lines = ["Date,Open,High,Low,Close,Adj Close,Volume"]
    for d, c in zip(pd.bdate_range("2021-01-04", periods=days), close):
        o = c * (1 + rng.normal(0, 0.005))
        lines.append(f"{d.date()},{o:.2f},{max(o, c) * 1.01:.2f},{min(o, c) * 0.99:.2f},{c:.2f},{c * 0.98:.2f},"
                     f"{int(rng.integers(1e5, 1e7))}")
    return ("\n".join(lines) + "\n").encode()


def weather_log(hours: int = 24 * 40, stations=(10381, 10384)) -> bytes:
    """Hourly log of two stations (numeric ids), date and time in separate columns, day first, shuffled."""
    rng = np.random.default_rng(10)
    when = pd.date_range("2024-03-01", periods=hours, freq="h")
    lines = ["STATIONS_ID;Datum;Uhrzeit;TT_TU"]
    rows = []
    for k, sid in enumerate(stations):
        temp = 8 + 5 * np.sin(2 * np.pi * (np.arange(hours) - 9) / 24) + np.cumsum(rng.normal(0, 0.2, hours)) + k
        rows += [f"{sid};{w.strftime('%d.%m.%Y')};{w.strftime('%H:%M')};{t:.1f}" for w, t in zip(when, temp)]
    return ("\n".join(lines + rows) + "\n").encode()


def hourly_yyyymmddhh(hours: int = 24 * 30) -> bytes:
    """A weather-service export: MESS_DATUM as a 10-digit integer (2024030100), quality flag, value, eor."""
    when = pd.date_range("2024-03-01", periods=hours, freq="h")
    temp = 8 + 5 * np.sin(2 * np.pi * (np.arange(hours) - 9) / 24) + np.random.default_rng(13).normal(0, 0.5, hours)
    lines = ["STATIONS_ID;MESS_DATUM;QN_9;TT_TU;eor"]
    lines += [f"433;{w.strftime('%Y%m%d%H')};3;{t:.1f};eor" for w, t in zip(when, temp)]
    return ("\n".join(lines) + "\n").encode()


def big_file(rows: int) -> bytes:
    """`rows` data rows of one-minute readings with a daily cycle, fast to build."""
    t = np.arange(rows)
    v = 20 + 5 * np.sin(2 * np.pi * t / 1440) + np.random.default_rng(11).normal(0, 0.3, rows)
    stamps = np.datetime_as_string(np.datetime64("2020-01-01T00:00") + t.astype("timedelta64[m]"), unit="m")
    return ("time,value\n" + "".join(f"{s},{x:.2f}\n" for s, x in zip(stamps.tolist(), v.tolist()))).encode()


def encoded(kind: str) -> bytes:
    """A small daily price file whose header needs a legacy or unusual encoding."""
    days = pd.date_range("2024-01-01", periods=60)
    values = 100 + np.cumsum(np.random.default_rng(12).normal(0, 1, 60))
    if kind == "shift_jis":
        head, enc = "日付,終値,出来高", "shift_jis"
    elif kind == "gbk":
        head, enc = "日期,收盘价,成交量", "gbk"
    else:
        head, enc = "date,close,volume", kind
    text = head + "\n" + "".join(f"{d.date()},{v:.2f},{1000 + i}\n" for i, (d, v) in enumerate(zip(days, values)))
    return text.encode(enc)
