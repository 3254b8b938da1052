"""Which numeric column is the series a person means? Never the time axis or a row number.

A table's first numeric column is often the year, a running id or a date written as a
number; forecasting it is meaningless (each value is the previous one plus 1). The
value is the column named like a value (close, price, value), or else the first numeric
column that is not the time axis, an index, a code, a 0/1 flag or a constant: the
column spreadsheet and pandas users expect, where "the one that varies most" would pick
an activity flag over a body temperature or a derived change over the series itself.
The choice comes with one line saying why.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd

from explorer.data import calendar

INDEX_WORDS = ("id", "index", "idx", "no", "nr", "num", "number", "row", "code", "key", "rank", "seq", "#",
               *calendar.YEAR_WORDS, *calendar.MONTH_WORDS, *calendar.DAY_WORDS, *calendar.DATE_WORDS,
               "quarter", "qtr", "week", "hour", "minute", "second", "lat", "latitude", "lon", "longitude")
KEY_WORDS = ("id", "code", "station", "symbol", "ticker", "series", "sensor", "site", "region", "country", "key",
             "no", "nr", "number", "product", "item", "store", "location")
# Names that say "this is the measurement" in exchange and statistics exports; a broader list would
# pick, say, an unemployment rate over GDP in a macro table only for its name.
VALUE_WORDS = ("adj close", "adjusted close", "close", "closing price", "price", "value", "obs_value", "y")


@dataclass(frozen=True)
class ValueChoice:
    column: str
    reason: str  # one line for the page


def _index_like(name: str, v: pd.Series) -> str:
    """Why a column looks like a time axis, a row number or a label ('' if it does not)."""
    if calendar.named_like(name, KEY_WORDS):
        return "its name says it labels rows: an id or a code"
    if calendar.named_like(name, INDEX_WORDS):
        return "its name says it is a label or time"
    if _value_word(name) < len(VALUE_WORDS):
        return ""
    x = v.dropna().to_numpy()
    if len(x) > 2 and np.all(x == np.round(x)):
        d = np.diff(x)
        if np.all(d > 0) and np.ptp(d) == 0:
            return "it counts up in equal steps, like a row number or a year"
        if np.all(d >= 0) and (np.all(d > 0) or (len(np.unique(x)) > 1 and np.all(np.isin(d, (0, 1))))):
            return "its whole numbers only ever rise, like an index"
    return ""


def _not_a_measurement(v: pd.Series) -> str:
    """Why a column's values cannot be the series (a constant, or a 0/1 flag: two values only), or ''.

    Codes and ids are told by their names (`KEY_WORDS`, `INDEX_WORDS`): a small count (0–5 strikes a
    year) has few whole values too, and is a series."""
    x = v.dropna().to_numpy(dtype=np.float64)
    if len(x) < 3:
        return ""
    distinct = len(np.unique(x))
    if distinct == 1:
        return "it never changes"
    if distinct == 2:
        return "it only takes two values, like a 0/1 flag"
    return ""


def _variation(v: pd.Series) -> float:
    """How much a column moves: the typical step relative to its typical size (0 for a constant)."""
    x = v.dropna().to_numpy(dtype=np.float64)
    if len(x) < 3 or np.ptp(x) == 0:
        return 0.0
    distinct = min(1.0, len(np.unique(x)) / len(x))
    scale = float(np.median(np.abs(x))) or float(np.std(x))
    return distinct * float(np.std(x)) / (scale + float(np.std(x)))


def _value_word(name: str) -> int:
    """Rank of the first value-like word the name matches (lower is better), or len(VALUE_WORDS)."""
    low = calendar.plain(name)
    for i, word in enumerate(VALUE_WORDS):
        if low == word or calendar.named_like(name, (word,)) or (" " in word and word in low):
            return i
    return len(VALUE_WORDS)


def choose_value(numbers: dict[str, pd.Series], time_columns: Iterable[str] = ()) -> ValueChoice:
    """The default value column among `numbers`, leaving out `time_columns` and index-like columns."""
    names = list(numbers)
    if not names:
        raise ValueError("no numeric columns")
    time_columns = set(time_columns)
    skipped = {c: ("part of the time axis" if c in time_columns else
                   ("" if _value_word(c) < len(VALUE_WORDS) else _not_a_measurement(numbers[c])) or
                   _index_like(c, numbers[c])) for c in names}
    candidates = [c for c in names if not skipped[c]]
    if not candidates:
        col = max(names, key=lambda c: _variation(numbers[c]))
        return ValueChoice(col, f"Value column: “{col}”, the only kind of numbers in the file (it may be a label or "
                                "time; pick another if so).")
    named = min(candidates, key=_value_word)
    left_out = [c for c in names if skipped[c]]
    tail = ""
    if left_out:
        named = "; ".join(f"“{c}” ({skipped[c]})" for c in left_out[:3])
        more = f"; and {len(left_out) - 3} more" if len(left_out) > 3 else ""
        tail = f" Left out: {named}{more}."
    if _value_word(named) < len(VALUE_WORDS):
        return ValueChoice(named, f"Value column: “{named}”, named like a value.{tail}")
    col = next((c for c in candidates if numbers[c].notna().mean() >= 0.8), candidates[0])
    why = ("the only other column of numbers" if len(candidates) == 1 else
           "the first column of numbers that is not time, an index, a code or a 0/1 flag")
    return ValueChoice(col, f"Value column: “{col}”, {why}.{tail}")
