"""CSV upload parsing: real-world messes become a clean series, bad files one clear sentence."""
import numpy as np
import pandas as pd
import pytest

from explorer.data.csv_series import (MAX_BYTES, CsvError, extract_series, minimum_length, parse_numbers,
                                      read_table)
from explorer.data.windows import prepare_series


def _csv(rows, header=("date", "price"), sep=","):
    lines = ([sep.join(header)] if header else []) + [sep.join(str(c) for c in r) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def _one(data, **kw):
    table = read_table(data)
    value = kw.pop("value", table.numeric_columns[0])
    date = kw.pop("date", table.date_columns[0] if table.date_columns else None)
    return table, extract_series(table, value, date, **kw)


@pytest.mark.parametrize("fmt", ["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y-%m-%dT%H:%M:%S", "%b %d, %Y",
                                 "%Y%m%d %H:%M"])
def test_date_formats_are_read_and_sorted(fmt):
    days = pd.date_range("2021-01-01", periods=40, freq="D")
    rng = np.random.default_rng(1)
    order = rng.permutation(40)
    values = np.arange(40, dtype=float) * 1.5
    quoted = '"' if "," in fmt else ""
    data = _csv([(f"{quoted}{days[i].strftime(fmt)}{quoted}", values[i]) for i in order])
    table, s = _one(data)
    assert table.date_columns == ["date"]
    np.testing.assert_allclose(s.values, values)  # back in date order
    assert pd.Timestamp(s.dates[0]) == days[0] and pd.Timestamp(s.dates[-1]) == days[-1]
    assert any("sorted by date" in line for line in s.report)


def test_a_single_date_format_gets_no_warning():
    days = pd.date_range("2021-01-01", periods=40, freq="D")
    table, _ = _one(_csv([(d.strftime("%d/%m/%Y"), i) for i, d in enumerate(days)]))
    assert not [n for n in table.notes if "date" in n.lower()], table.notes


def test_day_and_month_order_mixed_in_one_file_is_called_out():
    days = pd.date_range("2021-01-01", periods=40, freq="D")
    rows = [(d.strftime("%d/%m/%Y" if i % 2 else "%m/%d/%Y"), i) for i, d in enumerate(days)]
    table, _ = _one(_csv(rows))
    assert any("day first (31/01) and others the month first" in n for n in table.notes), table.notes


def test_dates_that_could_be_either_order_say_how_they_were_read():
    months = pd.date_range("2021-01-01", periods=12, freq="MS")  # the 1st of each month: 01/02/2021 …
    table, s = _one(_csv([(m.strftime("%d/%m/%Y"), i) for i, m in enumerate(months)]))
    note = next(n for n in table.notes if "could be day first or month first" in n)
    read_day_first = pd.Timestamp(s.dates[1]).month == 2
    assert note.endswith("read day first.") == read_day_first, (note, s.dates[:3])


def test_several_date_formats_and_an_empty_column_are_named():
    days = pd.date_range("2021-01-01", periods=30, freq="D")
    fmts = ["%Y-%m-%d", "%b %d %Y"]
    table, _ = _one(_csv([(d.strftime(fmts[i % 2]), "", i) for i, d in enumerate(days)], header=("date", "volume", "price")))
    assert any("written in 2 different formats" in n for n in table.notes), table.notes
    assert any("“volume” has no values" in n for n in table.notes) and "volume" not in table.numeric_columns


def test_several_numeric_columns_choose_one():
    data = _csv([(f"2020-01-{d:02d}", d, 10 * d, 100 - d) for d in range(1, 21)], header=("day", "open", "close", "volume"))
    table = read_table(data)
    assert table.numeric_columns == ["open", "close", "volume"]
    s = extract_series(table, "close", "day")
    np.testing.assert_allclose(s.values, 10 * np.arange(1, 21))


def test_long_format_by_key_column():
    rows = []
    for d in range(1, 16):
        rows += [("AAPL", f"2020-02-{d:02d}", 100 + d), ("MSFT", f"2020-02-{d:02d}", 200 + 2 * d)]
    table = read_table(_csv(rows, header=("symbol", "date", "price")))
    assert table.key_columns == ["symbol"] and table.numeric_columns == ["price"]
    assert set(table.key_values("symbol")) == {"AAPL", "MSFT"}
    s = extract_series(table, "price", "date", "symbol", "MSFT")
    np.testing.assert_allclose(s.values, 200 + 2 * np.arange(1, 16))
    with pytest.raises(CsvError):
        extract_series(table, "price", "date", "symbol", "GOOG")


def test_missing_values_interpolated_inside_dropped_at_ends():
    rows = [(f"2020-03-{d:02d}", v) for d, v in
            zip(range(1, 11), ["", "2", "3", "NA", "", "6", "n/a", "8", "9", ""])]
    _, s = _one(_csv(rows))
    np.testing.assert_allclose(s.values, [2, 3, 4, 5, 6, 7, 8, 9])
    text = " ".join(s.report)
    assert "5 missing" in text and "2 at the start or end were dropped" in text
    assert "3 inside the series were filled by linear interpolation" in text
    assert s.missing == 5


def test_duplicate_dates_are_averaged():
    rows = [("2020-01-01", 1), ("2020-01-02", 2), ("2020-01-02", 4), ("2020-01-03", 5), ("2020-01-01", 3)]
    _, s = _one(_csv(rows))
    np.testing.assert_allclose(s.values, [2, 3, 5])
    assert any("averaged" in line for line in s.report)


def test_thousands_separators_us_and_european():
    us = _csv([(f"2020-01-{d:02d}", f'"{1000 * d + 0.5:,.1f}"') for d in range(1, 13)])
    _, s = _one(us)
    np.testing.assert_allclose(s.values, 1000 * np.arange(1, 13) + 0.5)
    eu_rows = [(f"{d:02d}.01.2020", f"{1000 * d:,.2f}".replace(",", " ").replace(".", ",").replace(" ", "."))
               for d in range(1, 13)]
    _, s = _one(_csv(eu_rows, sep=";"))
    np.testing.assert_allclose(s.values, 1000 * np.arange(1, 13))
    assert list(parse_numbers(pd.Series(["1,234", "12"]))) == [1234.0, 12.0]
    assert list(parse_numbers(pd.Series(["1,5", "2,25"]), decimal_comma=True)) == [1.5, 2.25]


def test_header_less_files():
    table, s = _one(_csv([(f"2020-01-{d:02d}", d * 2) for d in range(1, 11)], header=None))
    assert not table.has_header and table.numeric_columns == ["column 2"] and table.date_columns == ["column 1"]
    np.testing.assert_allclose(s.values, 2 * np.arange(1, 11))
    table, s = _one(b"1.5\n2.5\n3.5\n4.5\n")
    assert not table.has_header and len(s.values) == 4


def test_semicolons_and_decimal_commas():
    table, s = _one(_csv([(f"2020-01-{d:02d}", f"{d},5") for d in range(1, 11)], header=("Datum", "Wert"), sep=";"))
    assert table.separator == ";"
    np.testing.assert_allclose(s.values, np.arange(1, 11) + 0.5)


def test_latin1_and_utf8_bom():
    text = "date;température\n" + "".join(f"2020-01-{d:02d};{d}\n" for d in range(1, 11))
    table, s = _one(text.encode("latin-1"))  # Windows-1252 is Latin-1 with € and curly quotes added
    assert table.encoding == "cp1252" and table.numeric_columns == ["température"]
    assert "Text encoding: Windows-1252 (Western European)." in table.notes
    assert len(s.values) == 10
    table, s = _one(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert table.encoding == "utf-8" and table.numeric_columns == ["température"]


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (b"   \n\n", "empty"),
    (b"date,price\n", "header row but no data"),
    (_csv([("a", "x"), ("b", "y"), ("c", "z")], header=("name", "city")), "no column of numbers"),
    (_csv([("2020-01-01", ""), ("2020-01-02", "NA"), ("2020-01-03", "")]), "empty or missing"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "does not look like text"),
])
def test_bad_files_get_one_sentence(data, words):
    with pytest.raises(CsvError) as err:
        read_table(data)
    msg = str(err.value)
    assert words in msg and "\n" not in msg and msg.endswith(".")


def test_one_row_is_too_few_for_the_window():
    need = minimum_length(10)
    table = read_table(b"date,price\n2020-01-01,5\n")
    with pytest.raises(CsvError, match="needs|need at least"):
        extract_series(table, "price", "date", min_length=need)
    # The minimum is exactly what prepare_series needs.
    prepare_series(np.arange(need, dtype=float), 10)
    with pytest.raises(ValueError):
        prepare_series(np.arange(need - 1, dtype=float), 10)


def test_too_large_file_is_refused_before_parsing():
    with pytest.raises(CsvError, match="limit is 50 MB"):
        read_table(b"1\n" * (MAX_BYTES // 2 + 1))


def test_messages_never_quote_raw_markup():
    table = read_table(_csv([("k[x](http://e.vil)", f"2020-01-{d:02d}", d) for d in range(1, 6)] +
                            [("k[x](http://e.vil)", f"2020-01-{d:02d}", d) for d in range(6, 11)],
                            header=("sym<b>", "date", "v")))
    s = extract_series(table, "v", "date", "sym<b>", "k[x](http://e.vil)")
    assert all("<" not in line and "](" not in line for line in s.report)
