"""How read_table reads unusual cells: mixed Python objects from a notebook, numbers and yes/no
values stored with other types, odd text, time zones, and CSV files written by other tools.

Every case here reads exactly as it did when each cell was converted one by one in Python;
the tests pin that so that faster conversions cannot drift.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from allocation.adapters.tables import MAX_QUANTITY, Column, TableSpec, read_table
from allocation.domain.countries import normalize_country
from allocation.errors import TableError

pytestmark = pytest.mark.fast

THINGS = TableSpec(
    name="things",
    key=("thing_id",),
    columns=(
        Column("thing_id"),
        Column("label", optional=True),
        Column("count", "int", minimum=0, maximum=MAX_QUANTITY),
        Column("extra", "int", optional=True, minimum=0),
        Column("share", "float", optional=True, minimum=0, maximum=1),
        Column("ok", "bool"),
        Column("maybe", "bool", optional=True),
        Column("at", "datetime"),
        Column("day", "date", optional=True),
        Column("place", "country", optional=True),
        Column("kind", choices=frozenset({"a_b", "c"}), normalize=lambda s: s.lower()),
    ),
)


def things(rows: int = 3, **columns: list[object]) -> pd.DataFrame:
    """A valid things table of ``rows`` rows, with some columns replaced."""
    frame = pd.DataFrame(
        {
            "thing_id": [f"T{i}" for i in range(rows)],
            "label": ["x"] * rows,
            "count": [1] * rows,
            "extra": [None] * rows,
            "share": [0.5] * rows,
            "ok": [True] * rows,
            "maybe": [None] * rows,
            "at": ["2026-11-02T08:15:00"] * rows,
            "day": [None] * rows,
            "place": ["US"] * rows,
            "kind": ["c"] * rows,
        }
    )
    for name, values in columns.items():
        frame[name] = pd.Series(values, dtype=object)
    return frame


def read(source: pd.DataFrame | Path) -> pd.DataFrame:
    return read_table(source, THINGS, country=normalize_country)


def problems(source: pd.DataFrame | Path) -> list[str]:
    with pytest.raises(TableError) as caught:
        read(source)
    return caught.value.problems


def csv(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "things.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


HEADER = "thing_id,label,count,extra,share,ok,maybe,at,day,place,kind\n"
ROW = "T{i},x,1,,0.5,yes,,2026-11-02,,US,c\n"


# --- text -----------------------------------------------------------------------------------


def test_python_and_arrow_agree_on_what_whitespace_is() -> None:
    """Text is stripped with Arrow; every code point must strip as ``str.strip`` strips it."""
    points = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    stripped = pc.utf8_trim_whitespace(pa.array([f"{c}x{c}" for c in points])).to_pylist()
    assert [p for p, s in zip(points, stripped, strict=True) if s != f"{p}x{p}".strip()] == []


def test_a_nul_byte_in_a_text_cell_is_kept(tmp_path: Path) -> None:
    frame = things(label=["a\x00b", "\x00", " x "])
    assert read(frame)["label"].tolist() == ["a\x00b", "\x00", "x"]
    path = tmp_path / "things.csv"
    frame.to_csv(path, index=False)
    assert read(path)["label"].tolist() == ["a\x00b", "\x00", "x"]


def test_unicode_spaces_count_as_blank_and_are_stripped() -> None:
    table = read(things(label=["\u3000", "\xa0y\u2003", "\t\n"]))
    assert table["label"].tolist() == [None, "y", None]


def test_text_given_as_other_objects_is_their_str() -> None:
    frame = things(thing_id=[7, 2.5, True], label=[np.int64(3), None, np.nan])
    table = read(frame)
    assert table["thing_id"].tolist() == ["7", "2.5", "True"]
    assert table["label"].tolist() == ["3", None, None]
    assert table["thing_id"].dtype == object


def test_text_columns_of_every_string_dtype_read_alike() -> None:
    labels = ["a", None, " b "]
    for dtype in ("str", "string", pd.StringDtype("python"), object):
        frame = things()
        frame["label"] = pd.Series(labels, dtype=dtype)
        assert read(frame)["label"].tolist() == ["a", None, "b"], dtype


def test_a_choice_is_checked_after_normalising_and_named_as_written() -> None:
    assert read(things(kind=["A_B", " c ", "C"]))["kind"].tolist() == ["a_b", "c", "c"]
    assert problems(things(kind=["c", " D ", "c"])) == [
        "row 2, column 'kind', value ' D ': must be one of a_b, c"
    ]


# --- countries ------------------------------------------------------------------------------


def test_country_names_and_codes_become_alpha_2() -> None:
    table = read(things(place=["Uruguay", " deu ", None]))
    assert table["place"].tolist() == ["UY", "DE", None]


def test_an_unknown_country_in_a_dataframe_is_named_as_written() -> None:
    assert problems(things(place=["US", "Atlantis ", 7])) == [
        "row 2, column 'place', value 'Atlantis ': unknown country "
        "(use an ISO code, an English name or the data sheet's name)",
        "row 3, column 'place', value 7: unknown country "
        "(use an ISO code, an English name or the data sheet's name)",
    ]


# --- numbers --------------------------------------------------------------------------------


def test_a_nan_in_a_float_column_is_a_missing_number() -> None:
    frame = things()
    frame["count"] = [1.0, np.nan, 3.0]
    assert problems(frame) == ["row 2, column 'count', value 'NaN': a value is required"]
    frame["count"] = [1.0, 2.0, 3.0]
    assert read(frame)["count"].tolist() == [1, 2, 3]
    assert read(frame)["count"].dtype == "int64"


def test_a_huge_integer_is_over_the_maximum() -> None:
    assert problems(things(count=[1, 10**30, 1e30])) == [
        f"row 2, column 'count', value {10**30}: must be <= 1,000,000,000",
        "row 3, column 'count', value 1e+30: must be <= 1,000,000,000",
    ]


def test_an_optional_integer_beyond_int64_stays_a_python_int() -> None:
    table = read(things(extra=[2**70, None, "5"]))
    assert table["extra"].tolist() == [2**70, None, 5]
    assert [type(v) for v in table["extra"]] == [int, type(None), int]


def test_numbers_given_as_mixed_objects_are_read_one_by_one() -> None:
    table = read(things(5, count=[1, "2", 3.0, " 4 ", "1_000"], share=[None, "0.25", 1, 0, ""]))
    assert table["count"].tolist() == [1, 2, 3, 4, 1000]
    assert table["share"].tolist()[1:] == [0.25, 1.0, 0.0, pytest.approx(np.nan, nan_ok=True)]


@pytest.mark.parametrize(
    ("written", "read_as"),
    [("+5", 5), ("007", 7), ("-0", 0), ("1e3", 1000), ("5.", 5), ("1_0_0", 100), ("2.0", 2)],
)
def test_integers_written_in_other_ways(tmp_path: Path, written: str, read_as: int) -> None:
    path = csv(tmp_path, HEADER + ROW.format(i=0).replace(",x,1,", f",x,{written},"))
    assert read(path)["count"].tolist() == [read_as]


@pytest.mark.parametrize("written", ["0x10", "٣", "１", "1,000", "_", "1 000"])
def test_text_that_only_looks_like_an_integer_is_refused(tmp_path: Path, written: str) -> None:
    path = tmp_path / "things.csv"
    things(1, count=[written]).to_csv(path, index=False)
    assert problems(path) == [f"row 1 (line 2), column 'count', value {written!r}: not an integer"]


def test_each_check_lists_at_most_twenty_cells() -> None:
    counts: list[object] = [-1] * 25 + ["x"] * 25 + [1.5] * 3
    found = problems(things(len(counts), count=counts))
    assert len(found) == 20 + 20 + 3
    assert found[0] == "row 26, column 'count', value 'x': not an integer"
    assert sum("not an integer" in p for p in found) == 20
    assert found[20:23] == [
        f"row {row}, column 'count', value 1.5: not a whole number" for row in (51, 52, 53)
    ]
    assert found[-1] == "row 20, column 'count', value -1: must be >= 0"


# --- yes/no ---------------------------------------------------------------------------------


def test_yes_no_values_given_as_mixed_objects() -> None:
    table = read(
        things(5, ok=[True, "yes", 1, np.int64(0), " N "], maybe=[None, 1, "", "f", False])
    )
    assert table["ok"].tolist() == [True, True, True, False, False]
    assert table["maybe"].tolist() == [None, True, None, False, False]
    assert problems(things(ok=[True, 1.0, 2])) == [
        "row 2, column 'ok', value 1.0: not a yes/no value (use true/false, yes/no or 1/0)",
        "row 3, column 'ok', value 2: not a yes/no value (use true/false, yes/no or 1/0)",
    ]


def test_yes_no_values_stored_as_integers_in_parquet(tmp_path: Path) -> None:
    frame = things(4)
    frame["ok"] = np.array([0, 1, 1, 0], dtype="int64")
    frame["maybe"] = pd.Series([True, None, False, None], dtype=object)
    path = tmp_path / "things.parquet"
    frame.to_parquet(path)
    table = read(path)
    assert table["ok"].tolist() == [False, True, True, False]
    assert table["ok"].dtype == bool
    assert table["maybe"].tolist() == [True, None, False, None]
    frame["ok"] = np.array([0, 1, 2, 0], dtype="int64")
    frame.to_parquet(path)
    assert problems(path) == [
        "row 3, column 'ok', value np.int64(2): not a yes/no value (use true/false, yes/no or 1/0)"
    ]


# --- dates and times ------------------------------------------------------------------------


def test_time_zone_aware_times_in_parquet_become_utc(tmp_path: Path) -> None:
    frame = things(2)
    frame["at"] = pd.to_datetime(["2026-11-02 09:00", "2026-07-01 09:00"]).tz_localize(
        "Europe/Zurich"
    )
    frame["day"] = [date(2026, 1, 31), None]
    path = tmp_path / "things.parquet"
    frame.to_parquet(path)
    table = read(path)
    assert table["at"].tolist() == [
        pd.Timestamp("2026-11-02 08:00"),
        pd.Timestamp("2026-07-01 07:00"),
    ]
    assert table["at"].dtype == "datetime64[ns]"
    assert table["day"].tolist()[0] == pd.Timestamp("2026-01-31")
    assert pd.isna(table["day"].iloc[1])


def test_times_given_as_mixed_objects() -> None:
    moments = [
        datetime(2026, 11, 2, 8, 15, tzinfo=UTC),
        pd.Timestamp("2026-11-02 09:15", tz="Europe/Zurich"),
        " 2026-11-02T08:15:00Z ",
    ]
    table = read(things(at=moments, day=[date(2026, 1, 1), "2026-01-02", None]))
    assert table["at"].tolist() == [pd.Timestamp("2026-11-02 08:15")] * 3
    assert table["day"].tolist()[:2] == [pd.Timestamp("2026-01-01"), pd.Timestamp("2026-01-02")]


def test_a_date_keeps_only_the_day() -> None:
    assert read(things(1, day=["2026-01-02T23:59:00"]))["day"].tolist() == [
        pd.Timestamp("2026-01-02")
    ]


# --- keys -----------------------------------------------------------------------------------


def test_at_most_twenty_repeated_keys_are_listed_each_naming_its_first_row() -> None:
    ids = [f"T{i}" for i in range(30)] * 2
    found = problems(things(len(ids), thing_id=ids))
    assert len(found) == 20
    assert (
        found[0] == "row 31, column 'thing_id', value 'T0': duplicate thing_id, first seen on row 1"
    )
    assert found[-1] == (
        "row 50, column 'thing_id', value 'T19': duplicate thing_id, first seen on row 20"
    )


# --- CSV files ------------------------------------------------------------------------------


def test_spaces_after_a_comma_are_skipped_even_before_a_quote(tmp_path: Path) -> None:
    text = HEADER.replace(",", ", ") + 'T0, "a, b", 1,, 0.5, yes,, 2026-11-02,, US, c\n'
    table = read(csv(tmp_path, text))
    assert table["label"].tolist() == ["a, b"]
    assert table["count"].tolist() == [1]


def test_a_quoted_cell_may_hold_line_breaks_and_quotes(tmp_path: Path) -> None:
    text = HEADER + 'T0,"two\nlines ""quoted""",1,,0.5,yes,,2026-11-02,,US,c\n' + ROW.format(i=1)
    table = read(csv(tmp_path, text))
    assert table["label"].tolist() == ['two\nlines "quoted"', "x"]


@pytest.mark.parametrize("end", ["", "\n"])
def test_a_quote_left_open_at_the_end_is_malformed_csv(tmp_path: Path, end: str) -> None:
    text = HEADER + ROW.format(i=0) + 'T1,x,1,,0.5,yes,,2026-11-02,,US,"c' + end
    found = problems(csv(tmp_path, text))
    assert len(found) == 1
    assert found[0].startswith("not valid CSV")


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\n"])
def test_any_line_ending_reads_the_same(tmp_path: Path, newline: str) -> None:
    text = (HEADER + ROW.format(i=0) + ROW.format(i=1)).replace("\n", newline)
    assert read(csv(tmp_path, text))["thing_id"].tolist() == ["T0", "T1"]


def test_blank_lines_and_lines_of_only_spaces_or_tabs_are_skipped(tmp_path: Path) -> None:
    text = HEADER + ROW.format(i=0) + "\n \t \n\t\n" + ROW.format(i=1) + "\n"
    table = read(csv(tmp_path, text))
    assert table["thing_id"].tolist() == ["T0", "T1"]


def test_a_repeated_column_name_reads_the_first(tmp_path: Path) -> None:
    text = "label," + HEADER + "y," + ROW.format(i=0)
    assert read(csv(tmp_path, text))["label"].tolist() == ["y"]


def test_a_cell_that_is_not_utf8_is_refused_naming_the_byte(tmp_path: Path) -> None:
    data = (HEADER + ROW.format(i=0)).encode().replace(b",x,", b",\xff,")
    assert problems(csv(tmp_path, data)) == [f"not UTF-8 text (byte {len(HEADER) + 3})"]


@pytest.mark.parametrize("marks", [1, 2])
def test_byte_order_marks_are_dropped_from_the_header(tmp_path: Path, marks: int) -> None:
    table = read(csv(tmp_path, "\ufeff" * marks + HEADER + ROW.format(i=0)))
    assert table["thing_id"].tolist() == ["T0"]
