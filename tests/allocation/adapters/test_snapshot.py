"""Loading a snapshot: a folder of CSV or Parquet files, or a mapping of DataFrames; all or
nothing, with errors that name the file, row, column and value."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from allocation.adapters.snapshot import load_snapshot
from allocation.errors import InputError, TableError
from tests.allocation.engine.builders import AS_OF, World, order, world

REQUIRED = ("customers", "contracts", "orders", "parts", "depots", "stock", "lanes")


def _small() -> World:
    return world(
        [order("O1", age=5), order("O2", "STD", part="B", quantity=2, age=2, country="DE")],
        depots=[("D1", "US"), ("D2", "DE")],
        stock=[("A", "D1", 3), ("B", "D2", 1)],
        lanes=[("D1", "DE", 48, 20), ("S1", "D1", 24, 5)],
        inbound=[("A", "D2", 2, 12)],
        options=[("B", "broker", "S1", 4, 24, 80)],
        substitutes={"A": "B"},
    )


def _write(tables: dict[str, pd.DataFrame], folder: Path, suffix: str) -> Path:
    folder.mkdir(exist_ok=True)
    for name, table in tables.items():
        if suffix == ".csv":
            table.to_csv(folder / f"{name}.csv", index=False)
        else:
            table.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_snapshot_loads_from_a_folder_of_csv_or_parquet_files(
    tmp_path: Path, suffix: str
) -> None:
    folder = _write(_small().tables(), tmp_path / "snap", suffix)
    snapshot = load_snapshot(folder, as_of=AS_OF)
    assert snapshot.source == str(folder)
    assert list(snapshot.orders["order_id"]) == ["O1", "O2"]
    assert snapshot.stock["on_hand"].tolist() == [3, 1]
    assert snapshot.inbound["eta"].iloc[0] == pd.Timestamp(datetime(2025, 6, 11, 0, 0))
    assert snapshot.supply_options["supplier_id"].tolist() == ["S1"]
    assert snapshot.parts.set_index("part_number")["substitutes"].to_dict() == {
        "A": "B",
        "B": None,
    }


def test_a_snapshot_loads_from_a_mapping_of_dataframes() -> None:
    snapshot = load_snapshot(_small().tables(), as_of=AS_OF)
    assert snapshot.source == "snapshot"
    assert snapshot.orders["ship_to_country"].tolist() == ["US", "DE"]
    assert snapshot.lanes[["origin", "destination"]].values.tolist() == [
        ["D1", "DE"],
        ["S1", "D1"],
    ]


def test_csv_and_parquet_folders_load_the_same_tables(tmp_path: Path) -> None:
    tables = _small().tables()
    from_csv = load_snapshot(_write(tables, tmp_path / "csv", ".csv"), as_of=AS_OF)
    from_parquet = load_snapshot(_write(tables, tmp_path / "pq", ".parquet"), as_of=AS_OF)
    for name in ("orders", "parts", "stock", "inbound", "lanes", "supply_options"):
        pd.testing.assert_frame_equal(
            getattr(from_csv, name), getattr(from_parquet, name), check_dtype=False
        )


@pytest.mark.parametrize("missing", REQUIRED)
def test_a_missing_required_table_is_an_input_error_naming_it(tmp_path: Path, missing: str) -> None:
    tables = _small().tables()
    del tables[missing]
    with pytest.raises(InputError, match=rf"missing table\(s\) {missing}"):
        load_snapshot(tables)
    folder = _write(tables, tmp_path / "snap", ".csv")
    with pytest.raises(InputError, match=rf"missing table\(s\) {missing}") as raised:
        load_snapshot(folder)
    assert str(folder) in str(raised.value)


@pytest.mark.parametrize("optional", ["inbound", "supply_options"])
def test_inbound_and_supply_options_may_be_left_out(tmp_path: Path, optional: str) -> None:
    tables = _small().tables()
    del tables[optional]
    if optional == "supply_options":  # nothing may then name the supplier
        tables["lanes"] = tables["lanes"][tables["lanes"]["origin"] != "S1"]
    for source in (tables, _write(tables, tmp_path / "snap", ".csv")):
        snapshot = load_snapshot(source, as_of=AS_OF)
        assert len(getattr(snapshot, optional)) == 0
        assert "part_number" in getattr(snapshot, optional).columns


def test_a_folder_that_does_not_exist_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a folder"):
        load_snapshot(tmp_path / "nowhere")


def test_the_same_table_as_csv_and_parquet_is_an_input_error(tmp_path: Path) -> None:
    tables = _small().tables()
    folder = _write(tables, tmp_path / "snap", ".csv")
    tables["stock"].to_parquet(folder / "stock.parquet", index=False)
    with pytest.raises(InputError, match=r"stock\.csv and stock\.parquet"):
        load_snapshot(folder)


def _broken(table: str, row: int, column: str, value: object) -> dict[str, pd.DataFrame]:
    tables = _small().tables()
    tables[table].loc[row, column] = value
    return tables


BROKEN = [
    pytest.param("orders", 1, "part_number", "NOPE", "unknown part", id="order-unknown-part"),
    pytest.param("stock", 1, "part_number", "NOPE", "unknown part", id="stock-unknown-part"),
    pytest.param("stock", 0, "depot_id", "D9", "unknown depot", id="stock-unknown-depot"),
    pytest.param("parts", 0, "substitutes", "B;ZZ", "unknown part 'ZZ'", id="unknown-substitute"),
    pytest.param("parts", 0, "substitutes", "A", "cannot substitute itself", id="self-substitute"),
    pytest.param("lanes", 0, "destination", "D7", "not a depot id", id="unknown-lane-end"),
    pytest.param("stock", 1, "on_hand", -1, "must be >= 0", id="negative-on-hand"),
]


@pytest.mark.parametrize(("table", "row", "column", "value", "words"), BROKEN)
def test_a_bad_cell_in_a_folder_is_a_table_error_naming_file_row_column_and_value(
    tmp_path: Path, table: str, row: int, column: str, value: object, words: str
) -> None:
    folder = _write(_broken(table, row, column, value), tmp_path / "snap", ".csv")
    with pytest.raises(TableError) as raised:
        load_snapshot(folder)
    message = str(raised.value)
    assert str(folder / f"{table}.csv") in message
    # Data row n of a CSV file is line n + 1 (the header is line 1).
    assert f"row {row + 1} (line {row + 2})" in message
    assert f"column {column!r}" in message
    assert repr(str(value)) in message  # a CSV cell is text
    assert words in message


@pytest.mark.parametrize(("table", "row", "column", "value", "words"), BROKEN)
def test_a_bad_cell_in_a_dataframe_is_a_table_error_naming_table_row_column_and_value(
    table: str, row: int, column: str, value: object, words: str
) -> None:
    with pytest.raises(TableError) as raised:
        load_snapshot(_broken(table, row, column, value))
    message = str(raised.value)
    assert f"{table} table" in message
    assert f"row {row + 1}" in message
    assert f"column {column!r}" in message
    assert repr(value) in message
    assert words in message


def test_nothing_is_returned_when_one_table_is_bad() -> None:
    tables = _broken("stock", 0, "depot_id", "D9")
    with pytest.raises(TableError):
        load_snapshot(tables)
    # The same mapping loads once it is fixed: nothing was half-applied to it.
    tables["stock"].loc[0, "depot_id"] = "D1"
    assert len(load_snapshot(tables).stock) == 2


def test_as_of_defaults_to_the_moment_of_the_latest_order() -> None:
    snapshot = load_snapshot(_small().tables())
    # O2 is 2 hours old at AS_OF, O1 5 hours: the latest is O2.
    assert snapshot.as_of == datetime(2025, 6, 10, 10, 0)
    assert load_snapshot(_small().tables(), as_of=AS_OF).as_of == AS_OF


def test_a_lane_endpoint_may_be_a_country_name_or_alpha3_code() -> None:
    tables = _small().tables()
    tables["lanes"].loc[0, "destination"] = "Germany"
    tables["lanes"] = pd.concat(
        [
            tables["lanes"],
            pd.DataFrame([["D2", "USA", 30.0, 9.0]], columns=tables["lanes"].columns),
        ],
        ignore_index=True,
    )
    lanes = load_snapshot(tables).lanes
    assert lanes["destination"].tolist() == ["DE", "D1", "US"]


def test_substitutes_may_be_separated_by_semicolons_bars_or_commas() -> None:
    tables = _small().tables()
    tables["parts"]["substitutes"] = ["B | Z1, A;;", " "]
    with pytest.raises(TableError) as raised:
        load_snapshot(tables)
    assert raised.value.problems == [
        "row 1, column 'substitutes', value 'B | Z1, A;;': unknown part 'Z1'",
        "row 1, column 'substitutes', value 'B | Z1, A;;': a part cannot substitute itself",
    ]
    tables["parts"]["substitutes"] = ["B|B, B", None]
    assert load_snapshot(tables).parts["substitutes"].tolist() == ["B|B, B", None]


def test_every_bad_substitute_is_counted(tmp_path: Path) -> None:
    tables = _small().tables()
    tables["parts"]["substitutes"] = [";".join(f"X{i}" for i in range(15)), "B"]
    folder = _write(tables, tmp_path / "snap", ".csv")
    with pytest.raises(TableError) as raised:
        load_snapshot(folder)
    assert len(raised.value.problems) == 16
    assert raised.value.problems[-1] == (
        "row 2 (line 3), column 'substitutes', value 'B': a part cannot substitute itself"
    )
    assert str(raised.value).endswith("... and 6 more problem(s)")


def test_unknown_lane_ends_are_listed_up_to_twenty_and_one_more_for_destinations() -> None:
    tables = _small().tables()
    lanes = pd.DataFrame(
        [(f"Nowhere{i}", "Elsewhere" if i % 10 == 0 else "D1", 1.0, 1.0) for i in range(25)],
        columns=tables["lanes"].columns,
    )
    tables["lanes"] = lanes
    with pytest.raises(TableError) as raised:
        load_snapshot(tables)
    found = raised.value.problems
    assert len(found) == 21
    assert found[0] == (
        "row 1, column 'origin', value 'Nowhere0': not a depot id, a supplier id or a country"
    )
    assert found[19].startswith("row 20, column 'origin'")
    assert found[20] == (
        "row 1, column 'destination', value 'Elsewhere': not a depot id, a supplier id or a country"
    )


def test_a_reloaded_snapshot_has_the_same_tables() -> None:
    snapshot = load_snapshot(_small().tables())
    again = load_snapshot(snapshot.tables(), as_of=snapshot.as_of)
    for name in ("customers", "contracts", "orders", "parts", "stock", "lanes", "supply_options"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(snapshot, name))
