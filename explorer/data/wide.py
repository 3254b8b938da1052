"""Wide tables: one row per year, one column per month (or quarter), read as one series in time order.

Statistics offices publish monthly and quarterly series this way (Year, Jan … Dec,
Annual). Read column by column, the table gives twelve short series; melted row by
row it is the one series a person means, dated by the year in each row.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import numpy as np
import pandas as pd

from explorer.data import calendar, columns
from explorer.data.numbers import fmt_int

if TYPE_CHECKING:
    from explorer.data.csv_series import CsvTable


@dataclass(frozen=True)
class WideLayout:
    """Which columns hold the months (or quarters) of each row, and which holds its year."""

    columns: tuple[str, ...]  # in calendar order
    steps: tuple[int, ...]  # month 1–12 or quarter 1–4 of each column
    per_year: int  # 12 or 4
    year_column: Optional[str]
    ignored: tuple[str, ...]  # other numeric columns (Annual, Total, …)

    @property
    def unit(self) -> str:
        return "month" if self.per_year == 12 else "quarter"


def detect(columns: list[str], numbers: dict[str, pd.Series]) -> Optional[WideLayout]:
    """A wide layout when numeric columns are headed by all twelve months or all four quarters, each once."""
    for per_year, reader in ((12, calendar.month_number), (4, lambda c: calendar.quarter_number(c, roman=True))):
        found: dict[int, str] = {}
        for col in columns:
            if col not in numbers:
                continue
            step = reader(col)
            if step is None:
                continue
            if step in found:
                break
            found[step] = col
        else:
            if len(found) == per_year:
                ordered = tuple(found[k] for k in range(1, per_year + 1))
                year = _year_column(columns, numbers, set(ordered))
                ignored = tuple(c for c in columns if c in numbers and c not in ordered and c != year)
                return WideLayout(ordered, tuple(range(1, per_year + 1)), per_year, year, ignored)
    return None


def _year_column(columns: list[str], numbers: dict[str, pd.Series], taken: set) -> Optional[str]:
    """The row label: a column of whole numbers between 1000 and 2200 (a year name preferred)."""
    candidates = []
    for col in columns:
        if col in taken or col not in numbers:
            continue
        v = numbers[col].dropna()
        if len(v) and bool(np.all(v == np.round(v))) and v.between(1000, 2200).all():
            candidates.append((not calendar.named_like(col, calendar.YEAR_WORDS), columns.index(col), col))
    return min(candidates)[2] if candidates else None


def melt(frame: pd.DataFrame, numbers: dict[str, pd.Series], layout: WideLayout,
         keys: tuple[str, ...] = ()) -> tuple[pd.DataFrame, pd.Series, Optional[pd.Series]]:
    """Rows × months → one row per month in time order: (text cells of `keys`, values, dates or None).

    Rows are ordered by year (then file order); without a year column, by file order.
    """
    n = len(frame)
    order = np.arange(n)
    years = numbers[layout.year_column] if layout.year_column else None
    if years is not None:
        order = np.lexsort((np.arange(n), years.fillna(np.inf).to_numpy()))
    rows = np.repeat(order, layout.per_year)
    steps = np.tile(np.asarray(layout.steps), n)
    values = np.column_stack([numbers[c].to_numpy(dtype=np.float64) for c in layout.columns])[order].ravel()
    dates = None
    if years is not None:
        y = years.to_numpy(dtype=np.float64)[rows]
        month = (steps - 1) * (12 // layout.per_year) + 1
        dates = pd.to_datetime(pd.DataFrame({"year": y, "month": month, "day": 1}), errors="coerce")
    cells = frame.iloc[rows][list(keys)].reset_index(drop=True) if keys else pd.DataFrame(index=range(len(rows)))
    return cells, pd.Series(values), dates


def wide_to_long(table: CsvTable) -> CsvTable:
    """The wide table (rows × months or quarters) as one long series in time order, dated by each row's year."""
    from explorer.data.csv_series import CsvTable, safe_name  # csv_series finds wide tables with `detect`

    layout = table.wide
    if layout is None:
        return table
    keys = tuple(k for k in table.key_columns if k != layout.year_column)
    cells, values, dates = melt(table.frame, table.numbers, layout, keys)
    name = f"{'monthly' if layout.per_year == 12 else 'quarterly'} values"
    frame = cells.copy()
    frame[name] = values.map(lambda v: "" if np.isnan(v) else f"{v:g}")
    axes = []
    if dates is not None:
        frame.insert(0, "date", dates.dt.strftime("%Y-%m"))
        axes = [calendar.TimeAxis("date", dates, ("date",), f"the year in “{safe_name(layout.year_column)}” and "
                                  f"the {layout.unit} in each column")]
    first, last = layout.columns[0], layout.columns[-1]
    note = (f"The table has one row per {'year' if layout.year_column else 'row label'} and one column per "
            f"{layout.unit} ({safe_name(first)} … {safe_name(last)}): read as one {name.split()[0]} series of "
            f"{fmt_int(len(values))} values, row after row.")
    if layout.ignored:
        note += f" Other columns (“{safe_name(layout.ignored[0])}”" + (" …" if len(layout.ignored) > 1 else "") + \
            ") were left out."
    if dates is None:
        note += " No column of years was found, so the values have no dates."
    return CsvTable(frame=frame, numbers={name: values}, dates={a.label: a.dates for a in axes}, key_columns=list(keys),
                    separator=table.separator, encoding=table.encoding, has_header=table.has_header,
                    notes=[*table.notes, note], axes=axes,
                    value=columns.ValueChoice(name, f"Value column: all the {layout.unit}s of the table, in time order."),
                    wide=None)
