"""Turn an uploaded CSV (bytes) into one clean univariate series, saying what was done.

Real exports are messy: unknown separator and encoding, decimal commas or thousands
separators, no header, time written in many forms (see `calendar`), several numeric
columns of which the first is often the year, long format (one row per symbol and
date) or wide format (one row per year, one column per month, see `wide`).
`read_table` checks the limits, parses the bytes and lists the choices (time axes,
numeric and key columns, the default value column and why); `extract_series` applies
the person's choices and returns float values on their dates plus a plain-language
report. Every unusable file raises `CsvError` with one sentence that can be shown as
is (it never quotes raw cell text).
"""
from __future__ import annotations

import csv
import io
import re
import warnings
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd

from explorer.data import calendar, columns, text_encoding, wide
from explorer.data.numbers import fmt_int

MAX_BYTES = 50 * 1024 * 1024  # same as server.maxUploadSize in .streamlit/config.toml
MAX_ROWS = 2_000_000  # data rows: counted before parsing; the default training plan copes with this many
MAX_COLUMNS = 500
LIMITS_TEXT = (f"Up to {MAX_BYTES // 2**20} MB, {fmt_int(MAX_ROWS)} rows and {MAX_COLUMNS} columns.")
SEPARATORS = (",", ";", "\t", "|")
NA_TOKENS = {"", "na", "n/a", "nan", "null", "none", "-", "--", "?", "#n/a", "missing", ".", "inf", "-inf"}
_SAMPLE_LINES = 200

# A number with optional thousands groups: US style 1,234.5 / European style 1.234,5.
_US = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d*)?([eE][+-]?\d+)?$")
_EU = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d*)?$")
_STRIP = re.compile(r"[\s\u00a0\u202f'$€£¥%]")
_MINUS = re.compile("[\u2212\u2012\u2013\u2014\ufe63\uff0d]")  # minus signs and dashes written for "-"


class CsvError(ValueError):
    """A CSV file that cannot become a series; the message is one sentence for the person."""


def safe_name(name: object, limit: int = 40) -> str:
    """A column name or key reduced to harmless characters, for messages shown as markdown."""
    text = re.sub(r"[^\w .:/()-]", "", str(name), flags=re.UNICODE).strip()
    text = text.replace("_", " ")
    return (text[:limit] + "…") if len(text) > limit else (text or "?")


@dataclass
class CsvTable:
    """A parsed file: raw text cells plus the columns that can serve as dates, values or keys."""

    frame: pd.DataFrame  # every cell as text, columns named
    numbers: dict[str, pd.Series]  # parsed numeric columns (NaN where a cell is not a number)
    dates: dict[str, pd.Series]  # time axes, best first: label → datetime per row (NaT where unreadable)
    key_columns: list[str]  # columns with repeated labels: long format keys
    separator: str
    encoding: str
    has_header: bool
    notes: list[str] = field(default_factory=list)
    axes: list[calendar.TimeAxis] = field(default_factory=list)  # how each entry of `dates` was read
    value: Optional[columns.ValueChoice] = None  # the default value column and why
    wide: Optional[wide.WideLayout] = None  # months (or quarters) as columns

    @property
    def numeric_columns(self) -> list[str]:
        return list(self.numbers)

    @property
    def date_columns(self) -> list[str]:
        return list(self.dates)

    def key_values(self, column: str) -> list[str]:
        """Distinct values of a key column, most frequent first."""
        return [str(v) for v in self.frame[column].value_counts().index if str(v).strip()]

    def axis(self, label: Optional[str]) -> Optional[calendar.TimeAxis]:
        return next((a for a in self.axes if a.label == label), None)


@dataclass
class CsvSeries:
    """The chosen series, cleaned: finite floats in time order, with what was done to get them."""

    values: np.ndarray
    dates: Optional[np.ndarray]  # datetime64 per value, or None without a date column
    name: str
    report: list[str]
    rows_read: int
    missing: int
    frequency: Optional[calendar.Frequency] = None  # inferred from the dates

    @property
    def changes(self) -> list[str]:
        """The report lines that say the data were altered or guessed (worth showing, not only filing)."""
        return [line for line in self.report if any(w in line for w in _CHANGE_WORDS)]


NOT_TEXT = ("This file does not look like text (it may be binary or in an unreadable encoding): save it as a CSV "
            "in UTF-8 and upload it again.")


_CHANGE_WORDS = ("dropped", "filled", "averaged", "sorted", "skipped", "removed", "a guess", "inserted", "read month first",
                 "read day first", "different formats", "cannot be read for sure")


def _decode(data: bytes, encoding: Optional[str] = None) -> text_encoding.Decoded:
    try:
        return text_encoding.decode(data, encoding)
    except text_encoding.NotText:
        raise CsvError(NOT_TEXT) from None


def _sniff(lines: list[str]) -> str:
    """The separator whose field count is most consistent over the first lines (header included)."""
    best, best_score = ",", (0.0, 0.0, 0)
    for sep in SEPARATORS:
        counts = [len(row) for row in csv.reader(lines, delimiter=sep)]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode < 2:
            continue
        score = (float(counts[0] == mode), counts.count(mode) / len(counts), mode)
        if score > best_score:
            best, best_score = sep, score
    return best


def _clean_text(s: pd.Series) -> pd.Series:
    text = s.fillna("").astype(str).str.strip()
    odd = ~text.str.isascii()
    if odd.any():  # full-width digits (１２３) and minus signs written as − or – become plain ASCII
        text = text.copy()
        text[odd] = text[odd].str.normalize("NFKC").str.replace(_MINUS, "-", regex=True)
    return text


def _is_missing(s: pd.Series) -> pd.Series:
    return _clean_text(s).str.lower().isin(NA_TOKENS)


def parse_numbers(s: pd.Series, decimal_comma: bool = False) -> pd.Series:
    """Text → float: handles 1,234.5 and 1.234,5, spaces, currency and % signs; NaN otherwise."""
    raw = _clean_text(s)
    if not raw.str.contains(",", regex=False).any():
        # Fast path (most files): plain numbers; only cells that fail get the slower clean-up,
        # and only when a sample shows the clean-up helps (a date or text column would not).
        out = pd.to_numeric(raw, errors="coerce").astype("float64")
        retry = out.isna() & (raw != "")
        if retry.any():
            sample = raw[retry].iloc[:500]
            if pd.to_numeric(sample.str.replace(_STRIP, "", regex=True), errors="coerce").notna().mean() >= 0.5:
                out[retry] = pd.to_numeric(raw[retry].str.replace(_STRIP, "", regex=True), errors="coerce")
        return out.where(np.isfinite(out))
    text = raw.str.replace(_STRIP, "", regex=True)
    plain = pd.to_numeric(text.where(~text.str.contains(",", regex=False)), errors="coerce")
    us = pd.to_numeric(text.where(text.str.match(_US)).str.replace(",", "", regex=False), errors="coerce")
    eu = pd.to_numeric(text.where(text.str.match(_EU)).str.replace(".", "", regex=False)
                       .str.replace(",", ".", regex=False), errors="coerce")
    n_us, n_eu = int(us.notna().sum()), int(eu.notna().sum())
    out = eu if (n_eu > n_us or (n_eu == n_us and decimal_comma)) else us.fillna(plain)
    out = out.astype("float64")
    return out.where(np.isfinite(out))


def parse_dates(s: pd.Series) -> pd.Series:
    """Text → datetime: period labels (2020Q1, 2020M03), else the inferred format, day-first, ISO 8601, mixed.

    A column of times of day (13:00) is not a date by itself: all NaT (see `calendar.composite_axes`).
    """
    text = _clean_text(s)
    best = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    if not text.str.contains(r"\d", regex=True).any() or calendar.is_time_of_day(text):
        return best
    periods = calendar.period_dates(text)
    if periods is not None:
        return periods
    best_n = 0
    attempts = ({}, {"dayfirst": True}, {"format": "ISO8601"})
    if len(text) <= 200_000:  # element by element: too slow for a huge column
        attempts += ({"format": "mixed"},)
    for kwargs in attempts:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                parsed = pd.to_datetime(text.where(text != ""), errors="coerce", **kwargs)
        except (ValueError, TypeError, OverflowError):
            continue
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_convert(None)
        n = int(parsed.notna().sum())
        if n > best_n:
            best, best_n = parsed, n
        if n >= 0.98 * max(1, int((text != "").sum())):
            break
    return best


_NUMERIC_DATE = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{2,4}\b"


def date_notes(col: str, cells: pd.Series, parsed: pd.Series) -> list[str]:
    """Warnings for a date column that may have been misread: several formats, or day/month order unclear."""
    text = _clean_text(cells)
    text = text[text != ""]
    if len(text) > 20_000:  # an even sample keeps big files fast and still sees every format and order
        text = text.iloc[:: len(text) // 20_000 + 1]
    notes = []
    shapes = text.str.replace(r"[A-Za-z]+", "a", regex=True).str.replace(r"\d+", "9", regex=True)
    if (n := shapes.nunique()) > 1:
        notes.append(f"The dates in “{col}” are written in {n} different formats; each was read on its own, "
                     "so check the dates on the chart.")
    parts = text.str.extract(_NUMERIC_DATE).dropna().astype(int)
    if parts.empty:
        return notes
    day_first, month_first = bool((parts[0] > 12).any()), bool((parts[1] > 12).any())
    if day_first and month_first:
        notes.append(f"Some dates in “{col}” put the day first (31/01) and others the month first (01/31), "
                     "so a date such as 03/04 cannot be read for sure: check the dates on the chart.")
    elif not (day_first or month_first) and (unclear := parts[parts[0] != parts[1]]).shape[0]:
        i = unclear.index[0]
        read = parsed.loc[i]
        order = "month first" if pd.notna(read) and read.month == unclear.loc[i, 0] else "day first"
        notes.append(f"Dates in “{col}” such as {text.loc[i]} could be day first or month first; "
                     f"they were read {order}.")
    return notes


def _typed(s: pd.Series, decimal_comma: bool) -> tuple[pd.Series, pd.Series]:
    """Per cell: parses as a number; parses as a date (only tried for non-numeric text)."""
    is_num = parse_numbers(s, decimal_comma).notna()
    looks_date = _clean_text(s).str.contains(r"\d", regex=True) & _clean_text(s).str.contains(r"[-/.: ]|[A-Za-z]", regex=True)
    is_date = pd.Series(False, index=s.index)
    if (looks_date & ~is_num).any():
        is_date = parse_dates(s.where(looks_date & ~is_num, "")).notna()
    return is_num, is_date


def _detect_header(raw: pd.DataFrame, decimal_comma: bool) -> bool:
    """A first row is a header when it is text over columns whose other cells are numbers or dates."""
    first = raw.iloc[0]
    if len(raw) == 1:
        return not parse_numbers(first, decimal_comma).notna().any()
    rest = raw.iloc[1:min(len(raw), _SAMPLE_LINES + 1)]
    any_typed_column = False
    for col in raw.columns:
        num, date = _typed(rest[col], decimal_comma)
        filled = ~_is_missing(rest[col])
        typed_frac = float((num | date)[filled].mean()) if filled.any() else 0.0
        head_num, head_date = _typed(first[[col]], decimal_comma)
        head_typed = bool(head_num.iloc[0] or head_date.iloc[0])
        if typed_frac >= 0.8:
            any_typed_column = True
            if not head_typed and str(first[col]).strip():
                return True
    if not any_typed_column:
        # Text only: a header if the first row's cells never occur again below.
        return all(str(v).strip() and not (rest[c] == v).any() for c, v in first.items())
    return False


def _unique_names(names: list[str]) -> list[str]:
    out: list[str] = []
    for i, name in enumerate(names):
        name = str(name).strip() or f"column {i + 1}"
        base, k = name, 2
        while name in out:
            name, k = f"{base} ({k})", k + 1
        out.append(name)
    return out


def _too_big(text: str, sample: list[str], sep: str, max_rows: int, max_columns: int) -> None:
    """Refuse a file over the row or column limit before pandas parses it (counting lines is cheap)."""
    newline = "\n" if "\n" in text else "\r"  # old Mac files end lines with \r alone
    rows = text.count(newline) + (0 if text.endswith(newline) else 1) - 1
    if rows > max_rows:
        raise CsvError(f"The file has about {fmt_int(rows)} rows; the limit is {fmt_int(max_rows)}. Upload a shorter "
                       "extract of the series (the most recent rows, for example).")
    widest = max((len(row) for row in csv.reader(sample, delimiter=sep)), default=0)
    if widest > max_columns:
        raise CsvError(f"The file has {fmt_int(widest)} columns; the limit is {max_columns}. Keep the date and the "
                       "columns you want to forecast, or put one series per row (long format).")


def _numeric_keys(numbers: dict[str, pd.Series], n: int, taken: set) -> list[str]:
    """Numeric columns that label series rather than measure them: station or product ids that repeat."""
    out = []
    for col, v in numbers.items():
        if col in taken or not calendar.named_like(col, columns.KEY_WORDS):
            continue
        x = v.dropna()
        if len(x) and bool(np.all(x == np.round(x))) and 1 < x.nunique() <= max(1, min(5000, n // 2)):
            out.append(col)
    return out


def _time_axes(raw: pd.DataFrame, numbers: dict[str, pd.Series], dates: dict[str, pd.Series]) -> list[calendar.TimeAxis]:
    """Every way to read time from the table, best first: dates as text, as numbers, then made of several columns."""
    text_axes = [calendar.TimeAxis(c, d, (c,), "dates") for c, d in dates.items()]
    number_axes = [a for c, v in numbers.items()
                   if (a := calendar.integer_dates(c, v) or calendar.decimal_years(c, v)) is not None]
    composite = calendar.composite_axes(raw, numbers, dates)
    # A date + time pair beats its date alone; year + month beats the year or the day alone; a lone year is last.
    clocked = [a for a in composite if a.how.startswith("date and time")]
    parts = [a for a in composite if a not in clocked]
    in_parts = {c for a in parts for c in a.columns}
    years = [a for a in number_axes if a.how in ("years", "whole years") or a.columns[0] in in_parts]
    number_axes = [a for a in number_axes if a not in years]
    return clocked + text_axes + number_axes + parts + years


def read_table(data: bytes, max_bytes: int = MAX_BYTES, encoding: Optional[str] = None,
               max_rows: int = MAX_ROWS, max_columns: int = MAX_COLUMNS) -> CsvTable:
    """Parse uploaded CSV bytes; raise `CsvError` with one sentence when it cannot be used.

    The size, row and column limits are checked before the table is parsed. `encoding`
    (a key of `text_encoding.NAMES`) overrides the detected text encoding.
    """
    if len(data) > max_bytes:
        raise CsvError(f"The file is {len(data) / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB. "
                       "Upload a shorter extract of the series.")
    if not data.strip():
        raise CsvError("The file is empty.")
    decoded = _decode(data, encoding)
    text = decoded.text
    lines = [ln for ln in text[:1_000_000].splitlines()[:_SAMPLE_LINES + 50] if ln.strip()]
    if not lines or not text.strip():
        raise CsvError("The file is empty.")
    sep = _sniff(lines[:_SAMPLE_LINES])
    _too_big(text, lines[:_SAMPLE_LINES], sep, max_rows, max_columns)
    notes = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            raw = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=str, keep_default_na=False,
                              skip_blank_lines=True, on_bad_lines="warn", engine="python" if len(sep) > 1 else "c",
                              skipinitialspace=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, csv.Error):
            raise CsvError("The file could not be read as a table: check that it is a CSV with one "
                           "row per line and the same separator throughout.") from None
    del text
    skipped = sum(str(w.message).count("Skipping line") for w in caught)
    if skipped:
        notes.append(f"{skipped} malformed line(s) with the wrong number of fields were skipped.")
    raw = raw.fillna("")
    raw = raw.loc[~(raw.apply(lambda c: c.str.strip()) == "").all(axis=1)]
    if raw.empty:
        raise CsvError("The file is empty.")
    decimal_comma = sep != ","
    has_header = _detect_header(raw, decimal_comma)
    if has_header:
        names = _unique_names(list(raw.iloc[0]))
        raw = raw.iloc[1:]
    else:
        names = [f"column {i + 1}" for i in range(raw.shape[1])]
        notes.append("No header row was found; the columns were named column 1, column 2, …")
    raw.columns = names
    raw = raw.reset_index(drop=True)
    if raw.empty:
        raise CsvError("The file has a header row but no data rows.")
    numbers: dict[str, pd.Series] = {}
    dates: dict[str, pd.Series] = {}
    keys: list[str] = []
    for col in names:
        cells = raw[col]
        filled = ~_is_missing(cells)
        if not filled.any():
            notes.append(f"Column “{safe_name(col)}” has no values (every cell is empty or missing), so it is not offered.")
            continue
        sample = calendar.sample(cells[filled])  # a column of dates or names fails fast on a sample
        if parse_numbers(sample, decimal_comma).notna().mean() >= 0.5:
            parsed = parse_numbers(cells, decimal_comma)
            if parsed[filled].notna().mean() >= 0.8:
                numbers[col] = parsed
                continue
        when = parse_dates(cells)
        if when[filled].notna().mean() >= 0.8:
            dates[col] = when
            notes += date_notes(col, cells, when)
            continue
        distinct = cells[filled].nunique()
        if 2 <= distinct <= max(2, min(5000, len(cells) // 2)):  # one value throughout labels nothing
            keys.append(col)
    if not numbers:
        if any(_is_missing(raw[c]).all() for c in names):
            raise CsvError("The file has no numbers to forecast: its value columns are empty or missing.")
        raise CsvError("The file has no column of numbers to forecast.")
    axes = _time_axes(raw, numbers, dates)
    time_columns = {c for a in axes for c in a.columns}
    keys += _numeric_keys(numbers, len(raw), time_columns)
    keys = [k for k in keys if k not in time_columns]
    layout = wide.detect(names, numbers)
    if sep != ",":
        notes.append({";": "Separator: semicolon.", "\t": "Separator: tab.", "|": "Separator: vertical bar."}[sep])
    if decoded.encoding != "utf-8":
        notes.append(f"Text encoding: {decoded.label}" + ("." if decoded.sure else
                     " (a guess: if names look garbled, save the file as UTF-8 or pick the encoding)."))
    if decoded.invisible_removed:
        notes.append(f"{fmt_int(decoded.invisible_removed)} invisible formatting character(s) (zero-width or "
                     "right-to-left marks) were removed from names and cells.")
    return CsvTable(frame=raw, numbers=numbers, dates={a.label: a.dates for a in axes}, key_columns=keys,
                    separator=sep, encoding=decoded.encoding, has_header=has_header, notes=notes, axes=axes,
                    value=columns.choose_value(numbers, time_columns), wide=layout)


def minimum_length(window: int, horizon: int = 1, val_fraction: float = 0.15,
                   test_fraction: float = 0.15, target: str = "level") -> int:
    """The fewest points that give every split at least one window (as `prepare_series` needs).

    A change model (`target` "change", or "auto", which may become one) reads one value more.
    """
    from explorer.data.windows import LEVEL, chronological_split

    first = window + (0 if target == LEVEL else 1)
    n = first + horizon
    while n < 10_000_000:
        split = chronological_split(n, val_fraction, test_fraction)
        parts_ok = all(hi - lo >= horizon or hi == lo for lo, hi in
                       ((split.val_start, split.test_start), (split.test_start, split.n)))
        if split.val_start >= first + horizon and parts_ok:
            return n
        n += 1
    return n


def extract_series(table: CsvTable, value_column: str, date_column: Optional[str] = None,
                   key_column: Optional[str] = None, key_value: Optional[str] = None,
                   min_length: int = 2) -> CsvSeries:
    """One clean series from `table`: filter by key, order by date, merge duplicates, fill gaps.

    With dates, the step (daily, monthly, …) is inferred; missing steps of a regular
    grid are inserted and, like missing values inside the series, filled by linear
    interpolation; values at the start or end that are missing are dropped (there is
    nothing to interpolate from). Raises `CsvError` when nothing usable is left or fewer
    than `min_length` points remain.
    """
    if value_column not in table.numbers:
        raise CsvError("Choose a column of numbers for the series.")
    report: list[str] = list(table.notes)
    frame = pd.DataFrame({"value": table.numbers[value_column]})
    rows_read = len(frame)
    report.insert(0, f"{fmt_int(rows_read)} data row(s) read.")
    if date_column:
        frame["date"] = table.dates[date_column] if date_column in table.dates else parse_dates(table.frame[date_column])
    if key_column:
        keys = table.frame[key_column].astype(str).str.strip()
        if key_value is None:
            key_value = table.key_values(key_column)[0]
        frame = frame.loc[keys == str(key_value).strip()]
        report.append(f"Kept the {fmt_int(len(frame))} row(s) where {safe_name(key_column)} is {safe_name(key_value)}.")
        if frame.empty:
            raise CsvError("No rows have the chosen key value.")
    missing = int(frame["value"].isna().sum())
    freq = None
    inserted = np.zeros(len(frame), dtype=bool)
    if date_column:
        bad = int(frame["date"].isna().sum())
        if bad:
            frame = frame.loc[frame["date"].notna()]
            report.append(f"{fmt_int(bad)} row(s) without a readable date were dropped.")
            if frame.empty:
                raise CsvError("No row has a readable date in the chosen date column: choose another one, or none.")
        if not frame["date"].is_monotonic_increasing:
            frame = frame.sort_values("date", kind="stable")
            report.append("The rows were not in date order; they were sorted by date.")
        dup = int(frame["date"].duplicated().sum())
        if dup:
            frame = frame.groupby("date", sort=True, as_index=False)["value"].mean()
            report.append(f"{fmt_int(dup)} row(s) repeated an earlier date; the values of each date were averaged"
                          + (" (if the file holds several series, choose a key column)." if not key_column else "."))
        axis = table.axis(date_column)
        freq = axis.frequency if axis is not None and axis.frequency else calendar.infer_frequency(frame["date"].to_numpy())
        when, vals, inserted, merged = calendar.regularize(frame["date"].to_numpy(), frame["value"].to_numpy(), freq)
        if merged:
            report.append(f"{fmt_int(merged)} row(s) fell on a step ({freq.name}) that already had a value; the "
                          "values of each step were averaged.")
        if inserted.any():
            report.append(f"{fmt_int(int(inserted.sum()))} missing {freq.name} step(s) were inserted; their values "
                          "are filled by linear interpolation.")
        frame = pd.DataFrame({"value": vals, "date": when})
    values = frame["value"].to_numpy(dtype=np.float64)
    finite = np.isfinite(values)
    if not finite.any():
        raise CsvError("The chosen column has no numbers in it (every value is missing).")
    first, last = int(np.argmax(finite)), len(values) - int(np.argmax(finite[::-1]))
    trimmed = first + (len(values) - last)
    inner_all = int((~finite[first:last]).sum())
    inner = inner_all - int(inserted[first:last].sum())
    if trimmed or inner:
        done = []
        if trimmed:
            done.append(f"{fmt_int(trimmed)} at the start or end were dropped")
        if inner:
            done.append(f"{fmt_int(inner)} inside the series were filled by linear interpolation")
        report.append(f"{fmt_int(trimmed + inner)} missing or non-numeric value(s): " + " and ".join(done) + ".")
    values = values[first:last]
    dates = frame["date"].to_numpy()[first:last] if date_column else None
    if inner_all:
        idx = np.arange(len(values))
        ok = np.isfinite(values)
        values = values.copy()
        values[~ok] = np.interp(idx[~ok], idx[ok], values[ok])
    if len(values) < min_length:
        raise CsvError(f"The series has {fmt_int(len(values))} usable value(s); this window and split need at "
                       f"least {fmt_int(min_length)}. Use a longer series or a shorter window.")
    span = ""
    if dates is not None:
        span = f" from {_day(dates[0])} to {_day(dates[-1])}"
        if freq is not None:
            span += f" ({freq.name})"
    report.append(f"Series: {fmt_int(len(values))} values of {safe_name(value_column)}{span}.")
    return CsvSeries(values=values, dates=dates, name=safe_name(value_column), report=report,
                     rows_read=rows_read, missing=missing, frequency=freq)


def _day(when) -> str:
    """A date as the page shows it: the day, or the time too when it is not midnight."""
    when = np.datetime64(when, "s")  # years before 1 AD too (tree rings), which Python's datetime cannot hold
    day = str(when.astype("datetime64[D]"))
    return day if when == when.astype("datetime64[D]") else str(when.astype("datetime64[m]")).replace("T", " ")
