"""How the page read an uploaded CSV, written out in pandas: the file, the value, the time axis, the steps.

The page's reader (`explorer.data.csv_series`) tries many forms; the script must say which one this
file needed. So each part is written as the simplest pandas code that gives exactly what the page
read from this very table: candidate snippets are run on the parsed cells and the first whose result
matches the page's (every value, every date) is written. Time axes have one writer per kind
(`TIME_AXES`, keyed by `calendar.TimeAxis.how`). Then the steps the page took: rows without a date
dropped, sorted, repeated dates averaged, missing steps of a regular grid inserted, values missing at
the ends dropped and inside filled by linear interpolation.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import pandas as pd

from explorer.data import calendar
from explorer.data.csv_series import CsvTable, safe_name
from explorer.tasks.series.checks import check_series

SEPARATORS = {",": "','", ";": "';'", "\t": "'\\t'", "|": "'|'"}
ENCODINGS = {"utf-8": "utf-8-sig"}  # UTF-8 with or without a byte-order mark


@dataclass(frozen=True)
class CsvChoices:
    """An uploaded CSV as the page read it: the parsed table (before a wide table was melted) and each choice."""

    table: CsvTable
    file_name: str
    value_column: str
    date_column: Optional[str] = None
    key_column: Optional[str] = None
    key_value: Optional[str] = None
    melted: bool = False  # a wide table (a column per month or quarter) read as one series
    values: Optional[np.ndarray] = None  # the series the page extracted (before its float-range check)


# ---------------------------------------------------------------- candidates, checked against the page's reading

NUMBERS = (  # (code for a column `{c}`, what it does)
    ("pd.to_numeric({c}, errors='coerce')", ""),
    ("pd.to_numeric({c}.str.strip(), errors='coerce')", ""),
    ("pd.to_numeric({c}.str.replace(',', ''), errors='coerce')", "thousands separators (1,234.5) removed"),
    ("pd.to_numeric({c}.str.replace(',', '.'), errors='coerce')", "decimal commas (3,14)"),
    ("pd.to_numeric({c}.str.replace('.', '').str.replace(',', '.'), errors='coerce')",
     "decimal commas and thousands points (1.234,5)"),
    ("pd.to_numeric({c}.str.replace(r\"[\\s'$€£¥%]\", '', regex=True), errors='coerce')",
     "spaces, currency and % signs removed"),
    ("pd.to_numeric({c}.str.replace(r\"[\\s'$€£¥%]\", '', regex=True).str.replace(',', ''), errors='coerce')",
     "spaces, currency and % signs and thousands separators removed"),
    ("pd.to_numeric({c}.str.replace(r\"[\\s'$€£¥%.]\", '', regex=True).str.replace(',', '.'), errors='coerce')",
     "spaces, currency and % signs removed, decimal commas"),
)


def _same(got, want) -> bool:
    """Equal values (NaN where NaN), for numbers or dates."""
    got, want = pd.Series(np.asarray(got)), pd.Series(np.asarray(want))
    if len(got) != len(want):
        return False
    if pd.api.types.is_datetime64_any_dtype(want) or pd.api.types.is_datetime64_any_dtype(got):
        try:
            g = pd.to_datetime(got).dt.as_unit("ns")
            w = pd.to_datetime(want).dt.as_unit("ns")
        except (TypeError, ValueError):
            return False
        return bool(((g == w) | (g.isna() & w.isna())).all())
    try:
        g, w = got.to_numpy(dtype=np.float64), want.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return bool(np.array_equal(np.where(np.isfinite(g), g, np.nan), w, equal_nan=True))


def _run(code: str, raw: pd.DataFrame, name: str):
    """The value `code` leaves in `name` when run on the parsed cells `raw` (None if it fails)."""
    space = {"pd": pd, "np": np, "raw": raw}
    try:
        exec(code, space)  # noqa: S102 - our own snippets, with the file's names as string literals
    except Exception:  # noqa: BLE001 - a candidate that does not fit this file
        return None
    return space.get(name)


def first_fit(candidates: list[tuple[str, str]], raw: pd.DataFrame, name: str, want) -> tuple[str, str, bool]:
    """(code, comment, matched): the first candidate assigning `name` that reproduces `want`, else the last one."""
    for code, note in candidates:
        got = _run(code, raw, name)
        if got is not None and _same(got, want):
            return code, note, True
    return candidates[-1][0], candidates[-1][1], False


def number_code(column: str, raw: pd.DataFrame, want, name: str = "value") -> tuple[str, bool]:
    """`name = …`: the column's text as the numbers the page read."""
    cands = [(f"{name} = " + code.format(c=f"raw[{column!r}]"), note) for code, note in NUMBERS]
    code, note, ok = first_fit(cands, raw, name, want)
    return code + (f"  # {note}" if note else ""), ok


def _text(column: str) -> str:
    return f"raw[{column!r}].str.strip()"


def _format_candidates(cells: pd.Series) -> list[str]:
    """pandas `to_datetime` arguments worth trying for a text column, simplest first."""
    filled = cells.str.strip()
    filled = filled[filled != ""]
    first = filled.iloc[0] if len(filled) else ""
    out = []
    for dayfirst in (False, True):
        guess = pd.tseries.api.guess_datetime_format(first, dayfirst=dayfirst) if first else None
        if guess and f"format={guess!r}" not in out:
            out.append(f"format={guess!r}")
    for fmt in ("%b %Y", "%B %Y", "%Y-%b", "%YM%m", "%Y年%m月"):
        out.append(f"format={fmt!r}")
    out += ["format='ISO8601'", "format='mixed'", "format='mixed', dayfirst=True"]
    return out


def _text_dates(axis: calendar.TimeAxis, raw: pd.DataFrame) -> list[tuple[str, str]]:
    c = axis.columns[0]
    col = _text(c)
    out = [(f"date = pd.to_datetime({col}, {args}, errors='coerce')", "") for args in _format_candidates(raw[c])]
    out.insert(len(out) - 3, (f"date = pd.PeriodIndex({col}.str.upper().str.replace(r'^Q([1-4])\\W*(\\d{{4}})$', "
                              r"r'\2Q\1', regex=True).str.replace(r'\W', '', regex=True), freq='Q').to_timestamp()",
                              "quarters: 2020Q1 → 2020-01-01"))
    out += [(f"date = pd.to_datetime({col}, format='ISO8601', utc=True, errors='coerce').dt.tz_localize(None)",
             "times with an offset, as UTC")]
    return out


def _digits(form: str) -> Callable:
    def candidates(axis: calendar.TimeAxis, raw: pd.DataFrame) -> list[tuple[str, str]]:
        c = axis.columns[0]
        return [(f"date = pd.to_datetime({_text(c)}, format={form!r}, errors='coerce')", ""),
                (f"date = pd.to_datetime(pd.to_numeric(raw[{c!r}], errors='coerce').astype('Int64').astype(str), "
                 f"format={form!r}, errors='coerce')", "")]
    return candidates


def _unit(unit: str) -> Callable:
    def candidates(axis: calendar.TimeAxis, raw: pd.DataFrame) -> list[tuple[str, str]]:
        return [(f"date = pd.to_datetime(pd.to_numeric(raw[{axis.columns[0]!r}], errors='coerce'), unit={unit!r})", "")]
    return candidates


def _spreadsheet_days(axis: calendar.TimeAxis, raw: pd.DataFrame) -> list[tuple[str, str]]:
    return [(f"date = pd.Timestamp('1899-12-30') + pd.to_timedelta(pd.to_numeric(raw[{axis.columns[0]!r}], "
             "errors='coerce'), unit='D')", "spreadsheet day numbers")]


MONTHS = ("pd.to_numeric({c}, errors='coerce')",
          "pd.to_datetime({c}.str.strip().str[:3], format='%b', errors='coerce').dt.month",
          "pd.to_datetime({c}.str.strip(), format='%B', errors='coerce').dt.month",
          "pd.to_numeric({c}.str.extract(r'(\\d+)', expand=False), errors='coerce')")
QUARTERS = ("pd.to_numeric({c}.str.extract(r'([1-4])', expand=False), errors='coerce')",
            "{c}.str.strip().str.upper().map({{'I': 1, 'II': 2, 'III': 3, 'IV': 4}})")


def _parts(axis: calendar.TimeAxis, raw: pd.DataFrame) -> list[tuple[str, str]]:
    """Year + month (+ day), or year + quarter columns, assembled into dates."""
    year = f"pd.to_numeric(raw[{axis.columns[0]!r}], errors='coerce')"
    second = f"raw[{axis.columns[1]!r}]"
    day = f"pd.to_numeric(raw[{axis.columns[2]!r}], errors='coerce')" if len(axis.columns) > 2 else "1"
    if axis.how == "year and quarter columns":
        return [(f"quarter = {q.format(c=second)}\n"
                 f"date = pd.to_datetime(pd.DataFrame({{'year': {year}, 'month': (quarter - 1) * 3 + 1, 'day': 1}}), "
                 "errors='coerce')", "") for q in QUARTERS]
    return [(f"month = {m.format(c=second)}\n"
             f"date = pd.to_datetime(pd.DataFrame({{'year': {year}, 'month': month, 'day': {day}}}), errors='coerce')", "")
            for m in MONTHS]


def _date_and_clock(axis: calendar.TimeAxis, raw: pd.DataFrame) -> list[tuple[str, str]]:
    """A date column plus a time-of-day column (13:00 or 13:00:00)."""
    day_axis = calendar.TimeAxis(axis.columns[0], axis.dates, axis.columns[:1], "dates")
    clock = (f"clock = pd.to_timedelta({_text(axis.columns[1])}.str.replace(r'^(\\d{{1,2}}:\\d{{2}})$', r'\\1:00', "
             "regex=True), errors='coerce')")
    return [(code.replace("date = ", "day = ", 1) + f"\n{clock}\ndate = day.dt.normalize() + clock", "")
            for code, _ in _text_dates(day_axis, raw)]


# How each kind of time axis is written (keys: `calendar.TimeAxis.how`); each gives candidates to try in order.
TIME_AXES: dict[str, Callable] = {
    "dates": _text_dates,
    "12-digit date and time (YYYYMMDDHHMM)": _digits("%Y%m%d%H%M"),
    "10-digit date and hour (YYYYMMDDHH)": _digits("%Y%m%d%H"),
    "8-digit dates (YYYYMMDD)": _digits("%Y%m%d"),
    "6-digit year and month (YYYYMM)": _digits("%Y%m"),
    "years": _digits("%Y"),
    "seconds since 1970": _unit("s"),
    "milliseconds since 1970": _unit("ms"),
    "spreadsheet day numbers": _spreadsheet_days,
    "year and month columns": _parts,
    "year, month and day columns": _parts,
    "year and quarter columns": _parts,
    "date and time-of-day columns": _date_and_clock,
}


def date_code(axis: calendar.TimeAxis, raw: pd.DataFrame) -> tuple[str, bool]:
    """`date = …`: the axis as the dates the page read (a note to check them when no writer reproduces them)."""
    writer = TIME_AXES.get(axis.how)
    if writer is None:
        return (f"date = pd.to_datetime({_text(axis.columns[0])}, format='mixed', errors='coerce')  "
                f"# the page read {axis.how}: check the dates", False)
    code, note, ok = first_fit(writer(axis, raw), raw, "date", axis.dates)
    lines = code.split("\n")
    lines[-1] += f"  # {note}" if note else ""
    return "\n".join(lines) + ("" if ok else "  # the page read some of these dates differently: check them"), ok


# ---------------------------------------------------------------- the whole data step

def _read_code(t: CsvTable, file_name: str) -> str:
    sep = SEPARATORS.get(t.separator, repr(t.separator))
    enc = ENCODINGS.get(t.encoding, t.encoding)
    header = "" if t.has_header else f"\n                  header=None, names={list(t.frame.columns)!r},"
    return (f"raw = pd.read_csv(CSV_PATH, sep={sep}, encoding={enc!r},{header} dtype=str, keep_default_na=False,\n"
            "                  skipinitialspace=True, on_bad_lines='skip')  # every cell as text, parsed below\n"
            + ("raw = raw.rename(columns=str.strip)\n" if t.has_header else ""))


def _wide_code(c: CsvChoices) -> tuple[str, pd.Series, Optional[pd.Series], bool]:
    """Melt a table of rows × months (or quarters) into one series: (code, values, dates, matched)."""
    from explorer.data import wide

    t, layout = c.table, c.table.wide
    cols = list(layout.columns)
    code = [f"COLUMNS = {cols!r}  # the {layout.unit}s, in calendar order"]
    ok = True
    parse = []
    for col in cols:  # one parsing rule for every month column
        line, fits = number_code(col, t.frame, t.numbers[col], "cells")
        parse.append(line.replace(f"raw[{col!r}]", "column").replace("cells = ", "", 1))
        ok &= fits
    rule = max(set(parse), key=parse.count)
    keys = tuple(k for k in t.key_columns if k != layout.year_column)
    _, values, dates = wide.melt(t.frame, t.numbers, layout, keys)
    if layout.year_column:
        code += [f"year = pd.to_numeric(raw[{layout.year_column!r}], errors='coerce')",
                 "order = np.argsort(year.to_numpy(), kind='stable')  # rows in year order (then file order)",
                 "raw, year = raw.iloc[order], year.iloc[order]"]
    code += [f"cells = raw[COLUMNS].apply(lambda column: {rule.split('  #')[0]})",
             f"value = pd.Series(cells.to_numpy().ravel())  # row after row: each year's {layout.unit}s in order"]
    if layout.year_column:
        step = 12 // layout.per_year
        months = "np.arange(1, 13)" if layout.per_year == 12 else f"np.arange(1, 13, {step})"
        code += [f"date = pd.to_datetime(pd.DataFrame({{'year': np.repeat(year.to_numpy(), {layout.per_year}),\n"
                 f"                                   'month': np.tile({months}, len(raw)), 'day': 1}}), errors='coerce')"]
    return "\n".join(code), values, dates, ok and len(set(parse)) == 1


def csv_code(c: CsvChoices) -> tuple[list, str, str]:
    """(settings rows, prose, code) of the data step that reads the CSV as the page did, ending in `values`."""
    t = c.table
    rows = [("CSV_PATH", c.file_name or "data.csv", "the file you uploaded; put it next to this script")]
    code = [_read_code(t, c.file_name).rstrip("\n")]
    key = None
    if c.key_column:
        rows.append(("KEY_VALUE", c.key_value, f"the series kept (long format: one row per {safe_name(c.key_column)} "
                                                "and date)"))
        code.append(f"raw = raw[raw[{c.key_column!r}].astype(str).str.strip() == str(KEY_VALUE).strip()]  "
                    "# the rows of one series")
        key = (t.frame[c.key_column].astype(str).str.strip() == str(c.key_value).strip()).to_numpy()
    checks = []
    if c.melted and t.wide is not None:
        wide_code, value, dates, ok = _wide_code(c)
        code.append(wide_code)
        checks.append(ok)
        if key is not None:  # the melted rows of the kept key (each row's key repeats for its months)
            keep = pd.Series(np.repeat(key[_wide_order(t)], t.wide.per_year))
            value, dates = value[keep.to_numpy()], None if dates is None else dates[keep.to_numpy()]
        dates = dates if c.date_column else None
        if not c.date_column and "date = " in code[-1]:
            code[-1] = code[-1][:code[-1].rindex("\ndate = ")]
    else:
        line, ok = number_code(c.value_column, t.frame, t.numbers[c.value_column])
        code.append(line)
        checks.append(ok)
        value = t.numbers[c.value_column]
        dates = None
        if c.date_column:
            axis = t.axis(c.date_column)
            line, ok = date_code(axis, t.frame)
            code.append(line)
            checks.append(ok)
            dates = axis.dates
        if key is not None:
            value, dates = value[key], None if dates is None else dates[key]
    code.append(_steps(value, dates))
    exponent = check_series(c.values).unit_exponent if c.values is not None else 0
    if exponent:
        half = exponent // 2
        code.append(f"values = values / 10.0**{half} / 10.0**{exponent - half}  # modelled in units of 10^{exponent}, so "
                    "squared errors stay in floating-point range")
    # Names from the file go into comments and prose only through `safe_name` (code quotes them with repr).
    axis = t.axis(c.date_column) if c.date_column else None
    prose = (f"Your CSV, read with the choices the page made: the column “{safe_name(c.value_column)}”"
             + (f", time from {axis.how if axis else safe_name(c.date_column)}" if c.date_column
                else ", rows in file order (no dates)") + ", missing values filled by linear interpolation.")
    if not all(checks):
        prose += " Some values or dates are read differently from the page here: the comments say which."
    return rows, prose, "\n".join(code)


def _wide_order(t: CsvTable) -> np.ndarray:
    layout = t.wide
    n = len(t.frame)
    if not layout.year_column:
        return np.arange(n)
    return np.lexsort((np.arange(n), t.numbers[layout.year_column].fillna(np.inf).to_numpy()))


def _steps(value: pd.Series, dates: Optional[pd.Series]) -> str:
    """The cleaning the page did, as code, decided on the page's own values and dates."""
    lines = []
    if dates is not None:
        frame = pd.DataFrame({"date": pd.to_datetime(np.asarray(dates)), "value": np.asarray(value, dtype=np.float64)})
        if frame["date"].isna().any():
            lines.append("frame = frame[frame['date'].notna()]  # rows without a readable date dropped")
            frame = frame[frame["date"].notna()]
        if not frame["date"].is_monotonic_increasing:
            lines.append("frame = frame.sort_values('date', kind='stable')  # in date order")
            frame = frame.sort_values("date", kind="stable")
        if frame["date"].duplicated().any():
            lines.append("frame = frame.groupby('date', as_index=False)['value'].mean()  # repeated dates averaged")
            frame = frame.groupby("date", sort=True, as_index=False)["value"].mean()
        freq = calendar.infer_frequency(frame["date"].to_numpy())
        _, _, inserted, merged = calendar.regularize(frame["date"].to_numpy(), frame["value"].to_numpy(), freq)
        if inserted.any() or merged:
            missing = f": {int(inserted.sum())} missing step(s) inserted" if inserted.any() else ""
            lines += [f"steps = frame['date'].dt.to_period({freq.code!r})  # {freq.name} steps{missing}",
                      "by_step = frame.groupby(steps)['value'].mean()" + ("  # values of one step averaged" if merged else ""),
                      f"values = by_step.reindex(pd.period_range(steps.min(), steps.max(), freq={freq.code!r})).to_numpy()"]
        elif lines:
            lines.append("values = frame['value'].to_numpy(dtype=float)")
        if lines:
            lines.insert(0, "frame = pd.DataFrame({'date': date.to_numpy(), 'value': value.to_numpy()})")
    if not lines:
        lines.append("values = value.to_numpy(dtype=float)" +
                     ("  # already one value per step, in date order" if dates is not None else ""))
    lines += ["ok = np.isfinite(values)",
              "values = values[ok.argmax():len(values) - ok[::-1].argmax()]  # missing values at the start or end dropped",
              "values = pd.Series(values).interpolate().to_numpy()  # missing values inside filled linearly",
              "print(f'{len(values)} values')"]
    return "\n".join(lines)
