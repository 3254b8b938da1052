"""Time in the forms real files write it, how often a series is observed, and its seasonal periods.

Statistics offices, exchanges and weather services write time in many ways: ISO or
local dates, 8-digit integers (19580329), year-month integers (195803), "2020Q1",
"2020M03", separate year / month / day or year / quarter columns, a date column
next to a time-of-day column, epoch seconds. `time_axes` finds every way a table's
columns can be read as one point in time per row, best first. `infer_frequency`
names the step (daily, weekly, monthly, …) and the seasonal periods it implies
(weekly data repeats every 52 steps, monthly every 12, hourly every 24).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

# Month names and abbreviations (lower case, accents removed) in English, German, French,
# Spanish, Italian, Dutch and Portuguese.
_MONTHS = {
    1: "jan january januar janner janvier janv enero ene gennaio gen januari janeiro",
    2: "feb february februar fevrier fevr febrero febbraio februari fevereiro fev",
    3: "mar march marz maerz mrz mars marzo maart mrt marco",
    4: "apr april avril avr abril abr aprile",
    5: "may mai mayo maggio mag mei maio",
    6: "jun june juni juin junio giugno giu junho",
    7: "jul july juli juillet juil julio luglio lug julho",
    8: "aug august aout agosto ago augustus",
    9: "sep sept september septembre septiembre setiembre settembre set setembro",
    10: "oct october oktober okt octobre octubre ottobre ott outubro out",
    11: "nov november novembre noviembre novembro",
    12: "dec december dezember dez decembre diciembre dic dicembre dezembro",
}
MONTH_NAMES = {name: month for month, names in _MONTHS.items() for name in names.split()}
_MONTH_NUMBER = re.compile(r"^(?:m\s*)?(0?[1-9]|1[0-2])(?:\s*(?:月|월))?$")
_QUARTER = re.compile(r"^(?:q|qtr|quarter|quartal|trimestre|t|kw)\s*[-.]?\s*([1-4])$"
                      r"|^([1-4])\s*(?:q|qtr|st quarter|nd quarter|rd quarter|th quarter|\.?\s*quartal|\.?\s*trimestre)$")
_ROMAN_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4}

# Names that say what a column is (lower case, accents removed, whole words).
YEAR_WORDS = ("year", "yr", "yyyy", "jahr", "annee", "ano", "anno", "jaar", "年")
MONTH_WORDS = ("month", "mon", "mm", "monat", "mois", "mes", "mese", "maand", "月")
DAY_WORDS = ("day", "dd", "tag", "jour", "dia", "giorno", "dag", "日")
QUARTER_WORDS = ("quarter", "qtr", "quartal", "trimestre", "kwartaal", "q")
DATE_WORDS = ("date", "datetime", "timestamp", "time", "datum", "fecha", "day", "period", "periode", "日付", "日期",
              "年月日")

_TIME_OF_DAY = re.compile(r"^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([ap]\.?m\.?)?$", re.IGNORECASE)
_PERIOD_PATTERNS = (
    (re.compile(r"^(\d{4})\s*[-/:._ ]?\s*[qQ]([1-4])$"), "yq"),  # 2020Q1, 2020-Q1, 1990:Q1
    (re.compile(r"^[qQ]([1-4])\s*[-/:._ ]?\s*(\d{4})$"), "qy"),  # Q1 2020
    (re.compile(r"^(\d{4})\s*[mM]\s*(\d{1,2})$"), "ym"),  # 2020M03 (Eurostat, Stats NZ)
    (re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月$"), "ym"),  # 2020年3月
    (re.compile(r"^([^\W\d_]+)\.?[-/ ]?(\d{4})$"), "ny"),  # Jan 2020, January-2020, janv. 2020
    (re.compile(r"^(\d{4})[-/ ]?([^\W\d_]+)\.?$"), "yn"),  # 2020-Jan
)


def plain(text: object) -> str:
    """Lower case, accents removed, outer spaces and dots stripped: how names are compared."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode() or str(text)
    return text.strip().strip(".").lower()


def _words(name: str) -> set[str]:
    raw = str(name).strip().lower()
    return set(re.split(r"[^\w:]+|_", plain(name))) | set(re.split(r"[^\w:]+|_", raw)) | {raw, plain(name)}


def named_like(name: str, words: tuple[str, ...]) -> bool:
    """The column name is one of `words` or contains one as a whole word (or, for CJK names, anywhere)."""
    found = _words(name)
    return any(w in found or (not w.isascii() and w in str(name)) for w in words)


def month_number(text: object) -> Optional[int]:
    """1–12 for a month name, abbreviation or number ("Jan", "janvier", "03", "M03", "3月"), else None."""
    key = plain(text)
    if key in MONTH_NAMES:
        return MONTH_NAMES[key]
    m = _MONTH_NUMBER.match(str(text).strip().lower())
    return int(m.group(1)) if m else None


def quarter_number(text: object, roman: bool = False) -> Optional[int]:
    """1–4 for "Q1", "qtr 2", "3rd quarter", "T4", "1. Quartal" (and I–IV when `roman`), else None."""
    key = plain(text)
    m = _QUARTER.match(key)
    if m:
        return int(m.group(1) or m.group(2))
    return _ROMAN_QUARTERS.get(key) if roman else None


def sample(cells: pd.Series, n: int = 2000) -> pd.Series:
    """At most `n` cells spread evenly: enough to tell a column's form, fast on millions of rows."""
    return cells if len(cells) <= n else cells.iloc[np.linspace(0, len(cells) - 1, n).astype(int)]


def period_dates(text: pd.Series) -> Optional[pd.Series]:
    """Dates from period labels ("2020Q1", "Q1 2020", "2020M03", "Jan 2020"), when nearly all cells are one."""
    cells = text.fillna("").astype(str).str.strip()
    filled = cells[cells != ""]
    if filled.empty:
        return None
    probe = sample(filled)
    for pattern, order in _PERIOD_PATTERNS:
        if probe.str.match(pattern).mean() < 0.9:
            continue
        parts = filled.str.extract(pattern)
        ok = parts.notna().all(axis=1)
        if ok.mean() < 0.9:
            continue
        parts = parts[ok]
        if order in ("yq", "qy"):
            year, q = (parts[0], parts[1]) if order == "yq" else (parts[1], parts[0])
            month = (q.astype(int) - 1) * 3 + 1
        elif order == "ym":
            year, month = parts[0], parts[1].astype(int)
        else:
            name, year = (parts[0], parts[1]) if order == "ny" else (parts[1], parts[0])
            month = name.map(month_number)
            if month.isna().mean() > 0.1:
                continue
        out = pd.to_datetime(pd.DataFrame({"year": year.astype(int), "month": month, "day": 1}), errors="coerce")
        return out.reindex(text.index)
    return None


def is_time_of_day(text: pd.Series) -> bool:
    """Cells like 13:00, 7:05:30 or 9:30 pm: a time of day that needs a date column beside it."""
    cells = sample(text.fillna("").astype(str).str.strip())
    filled = cells[cells != ""]
    return bool(len(filled)) and filled.str.match(_TIME_OF_DAY).mean() >= 0.9


@dataclass(frozen=True)
class TimeAxis:
    """One way to read a point in time from each row: its label on the page, the dates, and how."""

    label: str
    dates: pd.Series  # datetime64 per row, NaT where unreadable
    columns: tuple[str, ...]
    how: str  # a phrase for the page: "8-digit dates (YYYYMMDD)", "year and month columns"
    frequency: Optional["Frequency"] = None  # the step as the column states it (decimal years), else inferred


def _whole(v: pd.Series) -> bool:
    v = v.dropna()
    return len(v) > 0 and bool(np.all(v == np.round(v)))


def integer_dates(name: str, numbers: pd.Series) -> Optional[TimeAxis]:
    """A numeric column that is really time: YYYYMMDD(HH(MM)), YYYYMM, a year, spreadsheet days or epoch seconds."""
    v = numbers.dropna()
    if len(v) < 2 or not _whole(v):
        return None
    lo, hi = float(v.min()), float(v.max())
    if lo < 0 or hi > 4.2e12:  # no date form below: not time (and not castable to whole numbers)
        return None
    as_text = numbers.astype("Int64").astype(str)
    for low, high, form, how in ((100_001_010_000, 299_912_312_359, "%Y%m%d%H%M", "12-digit date and time (YYYYMMDDHHMM)"),
                                 (1_000_010_100, 2_999_123_123, "%Y%m%d%H", "10-digit date and hour (YYYYMMDDHH)")):
        if low <= lo and hi <= high:
            dates = pd.to_datetime(as_text, format=form, errors="coerce")
            if dates.notna().sum() >= 0.98 * len(v):
                return TimeAxis(name, dates, (name,), how)
    if 10_000_101 <= lo and hi <= 29_991_231:
        dates = pd.to_datetime(as_text, format="%Y%m%d", errors="coerce")
        if dates.notna().sum() >= 0.98 * len(v):
            return TimeAxis(name, dates, (name,), "8-digit dates (YYYYMMDD)")
    if 100_001 <= lo and hi <= 299_912 and (v % 100).between(1, 12).all():
        dates = pd.to_datetime(as_text, format="%Y%m", errors="coerce")
        if dates.notna().sum() >= 0.98 * len(v):
            return TimeAxis(name, dates, (name,), "6-digit year and month (YYYYMM)")
    if 1000 <= lo and hi <= 2200 and (named_like(name, YEAR_WORDS) or v.is_unique):
        dates = pd.to_datetime(pd.DataFrame({"year": numbers, "month": 1, "day": 1}), errors="coerce")
        return TimeAxis(name, dates, (name,), "years")
    if named_like(name, DATE_WORDS):
        if 1e8 <= lo and hi <= 4.2e9:
            return TimeAxis(name, pd.to_datetime(numbers, unit="s", errors="coerce"), (name,), "seconds since 1970")
        if 1e11 <= lo and hi <= 4.2e12:
            return TimeAxis(name, pd.to_datetime(numbers, unit="ms", errors="coerce"), (name,),
                            "milliseconds since 1970")
        if 10_000 <= lo and hi <= 110_000:  # 1927 to 2201
            dates = pd.Timestamp("1899-12-30") + pd.to_timedelta(numbers, unit="D")
            return TimeAxis(name, dates, (name,), "spreadsheet day numbers")
    return None


# Steps a year that a decimal-year column is read as, and their names; any other whole number of steps a
# year (or a step of whole years) is read too and named by its count.
_PER_YEAR_NAMES = {12: "monthly", 4: "quarterly", 1: "yearly", 2: "half-yearly", 6: "every two months",
                   3: "every four months", 52: "weekly", 365: "daily"}


def _regular_step(x: np.ndarray) -> Optional[float]:
    """The constant step of increasing numbers `x` (rows may be missing: a gap is a whole number of steps), else None.

    The step is measured over the whole span, so times written with few decimals (1949.083, 1949.167)
    still give 1/12 exactly enough."""
    d = np.diff(x)
    if len(d) < 2 or not np.all(d > 0):
        return None
    typical = float(np.median(d))
    steps = np.round(d / typical)
    if np.any(steps < 1) or np.any(np.abs(d - steps * typical) > 0.05 * typical) or (steps == 1).mean() < 0.75:
        return None
    return float((x[-1] - x[0]) / steps.sum())


def decimal_years(name: str, numbers: pd.Series) -> Optional[TimeAxis]:
    """A column of decimal years, as R's `ts` objects and many statistics exports write time (1949, 1949.0833…,
    1960.25; −6000 for tree rings), read as dates: monthly, quarterly, yearly or any other regular step.

    A step of 1/12 gives the first of each month, 1/4 the first of each quarter, whole years 1 January;
    other steps a year (52, 365 …) the point of the year they reach. Whole numbers counting 0 or 1, 2, 3 …
    are a row number, not years; numbers that never go below 0 and never reach 1000 (R's time of a
    series without dates, measurements) are not read as years either.
    """
    v = numbers.dropna()
    if len(v) < 3 or len(v) < 0.9 * len(numbers):
        return None
    x = v.to_numpy(dtype=np.float64)
    step = _regular_step(x)
    if step is None or not (-10_000 <= x[0] and x[-1] <= 3_000):
        return None
    whole = bool(np.all(x == np.round(x)))
    if whole and x[0] in (0, 1):
        return None  # a row number (R's own time axis of a series without dates counts 1, 2, 3 …)
    if not (x[0] < 0 or x[-1] >= 1000):
        return None
    per_year = 1.0 / step
    k = round(per_year)
    if step < 1 and abs(per_year - k) > 0.02 * per_year:
        return None  # not a whole number of steps a year (and not whole years): some other measure
    year = np.floor(x + 1e-6 * min(step, 1.0))
    frac = np.clip(x - year, 0.0, None)
    years = (year - 1970).astype("int64").astype("datetime64[Y]")
    if step >= 1 or 12 % k == 0:  # whole months: the first day of the month (or quarter, or year) reached
        month = np.round(frac * 12).astype("int64")
        dates = (years.astype("datetime64[M]") + month).astype("datetime64[s]")
    else:  # weeks, days: that fraction of the year's own length
        start, end = years.astype("datetime64[D]"), (years + 1).astype("datetime64[D]")
        days = np.round(frac * (end - start).astype(np.float64)).astype("int64")
        dates = (start + days).astype("datetime64[s]")
    out = pd.Series(pd.NaT, index=numbers.index, dtype="datetime64[s]")
    out[v.index] = dates
    if step >= 1:
        n = round(step)
        kind = "whole years" if n == 1 else f"years, every {n}"
    else:
        kind = f"decimal years, {_PER_YEAR_NAMES.get(k, f'{k} steps a year')} (steps of 1/{k})"
    return TimeAxis(name, out, (name,), kind + (", some before year 0" if x[0] < 0 else ""), per_year_frequency(1 / step))


def per_year_frequency(per_year: float) -> "Frequency":
    """The frequency of `per_year` steps a year (12, 4, 1, 52, 0.1 …) and the seasonal period it implies.

    Steps that fill whole months keep a calendar grid (missing steps can be inserted); weekly or daily
    steps counted per year do not fall on the calendar's weeks and days, so they keep their own rows."""
    k = round(per_year)
    if per_year < 0.99:
        return Frequency(f"every {round(1 / per_year)} years", (), {})
    if k in (12, 4, 1):
        return Frequency(_PER_YEAR_NAMES[k], (k,) if k > 1 else (), {k: "a year"} if k > 1 else {}, "MQY"[(12, 4, 1).index(k)])
    if k >= 300:
        return Frequency(_PER_YEAR_NAMES[365], (7, k), {7: "a week", k: "a year"})
    return Frequency(_PER_YEAR_NAMES.get(k, f"{k} steps a year"), (k,), {k: "a year"})


def _part_column(frame: pd.DataFrame, numbers: dict, words: tuple[str, ...], reader, lo: int, hi: int,
                 exclude: tuple = ()) -> Optional[tuple[str, pd.Series]]:
    """The first column named like `words` whose cells read (by `reader`, or as whole numbers) into [lo, hi]."""
    for col in frame.columns:
        if col in exclude or not named_like(col, words):
            continue
        if col in numbers and _whole(numbers[col]):
            values = numbers[col]
        else:
            values = frame[col].map(reader).astype("float64")
        filled = values.notna()
        if filled.mean() >= 0.9 and values[filled].between(lo, hi).all():
            return col, values
    return None


def composite_axes(frame: pd.DataFrame, numbers: dict, single: dict) -> list[TimeAxis]:
    """Time made of several columns: year + quarter, year + month (+ day), date + time of day."""
    out = []
    year = _part_column(frame, numbers, YEAR_WORDS, lambda s: pd.to_numeric(s, errors="coerce"), 1000, 2200)
    if year is not None:
        ycol, years = year
        month = _part_column(frame, numbers, MONTH_WORDS, month_number, 1, 12, (ycol,))
        quarter = _part_column(frame, numbers, QUARTER_WORDS, lambda s: quarter_number(s, roman=True), 1, 4, (ycol,))
        if month is not None:
            mcol, months = month
            day = _part_column(frame, numbers, DAY_WORDS, lambda s: pd.to_numeric(s, errors="coerce"), 1, 31,
                               (ycol, mcol))
            days = day[1] if day is not None else 1
            dates = pd.to_datetime(pd.DataFrame({"year": years, "month": months, "day": days}), errors="coerce")
            cols = (ycol, mcol) + ((day[0],) if day is not None else ())
            label = " + ".join(cols)
            out.append(TimeAxis(label, dates, cols, "year, month and day columns" if day else "year and month columns"))
        elif quarter is not None:
            qcol, quarters = quarter
            dates = pd.to_datetime(pd.DataFrame({"year": years, "month": (quarters - 1) * 3 + 1, "day": 1}),
                                   errors="coerce")
            out.append(TimeAxis(f"{ycol} + {qcol}", dates, (ycol, qcol), "year and quarter columns"))
    for tcol in frame.columns:
        if tcol in single or not is_time_of_day(frame[tcol]):
            continue
        for dcol, dates in single.items():
            if dcol == tcol:
                continue
            clock = pd.to_timedelta(frame[tcol].fillna("").astype(str).str.strip()
                                    .str.replace(r"^(\d{1,2}:\d{2})$", r"\1:00", regex=True), errors="coerce")
            if clock.notna().mean() >= 0.9:
                out.append(TimeAxis(f"{dcol} + {tcol}", dates.dt.normalize() + clock, (dcol, tcol),
                                    "date and time-of-day columns"))
                break
        break
    return out


@dataclass(frozen=True)
class Frequency:
    """How often the series is observed, and the seasonal periods (in steps) that follow from it."""

    name: str  # "daily", "weekly", "monthly", … or "irregular"
    periods: tuple[int, ...]  # candidate seasonal periods in steps, most natural first
    period_words: dict  # period → what it is, e.g. {52: "a year", 7: "a week"}
    code: Optional[str] = None  # pandas period code for a regular grid ("D", "W", "M", "Q", "Y", "h"), or None

    def describe(self, period: Optional[int]) -> str:
        return self.period_words.get(period, f"{period} steps") if period else ""


def infer_frequency(dates: np.ndarray) -> Optional[Frequency]:
    """The observation step of sorted `dates` (median gap), or None without at least 3 distinct dates."""
    d = pd.DatetimeIndex(pd.to_datetime(np.asarray(dates))).dropna().unique().sort_values()
    if len(d) < 3:
        return None
    gaps = np.diff(d.as_unit("s").asi8).astype(np.float64)  # seconds (years before 1677 too)
    step = float(np.median(gaps))
    day = 86_400.0
    if step <= 0:
        return None
    if step < day * 0.99:
        per_day = day / step
        if abs(per_day - round(per_day)) > 0.01:
            return Frequency(f"every {step:g} s (irregular)", (), {})
        per_day = int(round(per_day))
        name = {24: "hourly", 1440: "every minute", 48: "half-hourly", 96: "every 15 minutes",
                144: "every 10 minutes", 288: "every 5 minutes"}.get(per_day, f"{per_day} times a day")
        code = {24: "h", 1440: "min"}.get(per_day)
        return Frequency(name, (per_day, 7 * per_day), {per_day: "a day", 7 * per_day: "a week"}, code)
    days = step / day
    if 0.99 <= days <= 1.01:
        weekend = (d.dayofweek >= 5).mean()
        if weekend < 0.01 and (gaps / day > 2.5).mean() > 0.1:
            return Frequency("business daily (weekdays)", (5, 260), {5: "a week", 260: "a year"})
        return Frequency("daily", (7, 365), {7: "a week", 365: "a year"}, "D")
    if 6.5 <= days <= 7.5:
        return Frequency("weekly", (52,), {52: "a year"}, "W")
    if 27 <= days <= 32:
        return Frequency("monthly", (12,), {12: "a year"}, "M")
    if 88 <= days <= 93:
        return Frequency("quarterly", (4,), {4: "a year"}, "Q")
    if 360 <= days <= 370:
        return Frequency("yearly", (), {}, "Y")
    years = days / 365.25
    if years > 1.5 and abs(years - round(years)) < 0.02 * years:
        return Frequency(f"every {round(years)} years", (), {})
    return Frequency(f"irregular (a step of about {days:.3g} days)", (), {})


def regularize(dates: np.ndarray, values: np.ndarray, freq: Optional[Frequency],
               max_missing: float = 0.25) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Values on a regular grid of `freq`: a missing step gets NaN (for the caller to fill), values of one step averaged.

    Returns (dates, values, inserted: a mask of the steps added, rows merged); the input
    unchanged when there is no grid, nothing is missing or merged, or more than
    `max_missing` of the grid would be invented.
    """
    unchanged = dates, values, np.zeros(len(values), dtype=bool), 0
    if freq is None or freq.code is None or len(dates) < 3:
        return unchanged
    idx = pd.DatetimeIndex(pd.to_datetime(np.asarray(dates)))
    periods = idx.to_period(freq.code)
    span = periods.max().ordinal - periods.min().ordinal + 1
    distinct = periods.nunique()
    if (distinct == len(periods) and span == distinct) or (span - distinct) > max_missing * span:
        return unchanged
    series = pd.Series(np.asarray(values, dtype=np.float64), index=periods).groupby(level=0).mean()
    grid = pd.period_range(periods.min(), periods.max(), freq=periods.freq)
    inserted = ~grid.isin(series.index)
    series = series.reindex(grid)
    start = grid.to_timestamp(how="start")
    if freq.code in ("D", "W", "h", "min"):
        start = start + (idx.min() - grid[0].to_timestamp(how="start"))  # keep the file's weekday / time of day
    return start.to_numpy(), series.to_numpy(), np.asarray(inserted), int(len(periods) - distinct)


def choose_period(train: np.ndarray, candidates: tuple[int, ...]) -> Optional[int]:
    """Of the calendar's `candidates`, the one whose seasonal-naive rule errs least on the training part."""
    train = np.asarray(train, dtype=np.float64)
    fits = [p for p in candidates if 2 <= p and len(train) > 2 * p]
    if not fits:
        return None
    return min(fits, key=lambda p: float(np.mean((train[p:] - train[:-p]) ** 2)))
