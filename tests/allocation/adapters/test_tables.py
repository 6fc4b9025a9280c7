"""Loading customers, contracts and orders from CSV, Parquet and DataFrames.

A good table comes back fully typed; a bad one raises one TableError whose message names the
file, the row (and the CSV line), the column and the value, and nothing is half-loaded.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from allocation.adapters.inputs import EntitlementInputs, load_entitlement_inputs
from allocation.domain.model import Contract, Customer, OrderLine
from allocation.errors import InputError, TableError

pytestmark = pytest.mark.fast

CUSTOMERS_CSV = """\
customer_id,name,country,installed_base_pcs,installed_base_printers,has_it_helpdesk
C-ACME,Acme,US,4200,310,yes
C-GLOBO,Globo,Uruguay,1800,0,TRUE
C-SMALL,Small,乌拉圭,40,2,no
"""
CONTRACTS_CSV = """\
contract_id,customer_id,sku,purchase_date,activation_date
K-1,C-ACME,U1PV9E,2024-03-01,2024-03-10
K-2,C-GLOBO,u7d01e,2025-02-01,
"""
ORDERS_CSV = """\
order_id,customer_id,part_number,quantity,created_at,product_type,warranty_valid,ship_to_country
O-1,C-ACME,SSD-512,1,2026-11-02T08:15:00,notebook,yes,
O-2,C-ACME,MB-Z4,3,2026-11-03T11:05:00+09:00,Thin Client,0,Ecuador
O-3,C-GLOBO,FUSER,2,2026-11-04,business-printer,Y,  US
"""

EXPECTED_CUSTOMERS = {
    "C-ACME": Customer("C-ACME", "Acme", "US", 4200, 310, True),
    "C-GLOBO": Customer("C-GLOBO", "Globo", "UY", 1800, 0, True),
    "C-SMALL": Customer("C-SMALL", "Small", "UY", 40, 2, False),
}
EXPECTED_CONTRACTS = [
    Contract("K-1", "C-ACME", "U1PV9E", date(2024, 3, 1), date(2024, 3, 10)),
    Contract("K-2", "C-GLOBO", "U7D01E", date(2025, 2, 1), None),
]
EXPECTED_ORDERS = [
    OrderLine("O-1", "C-ACME", "SSD-512", 1, datetime(2026, 11, 2, 8, 15), "notebook", True, None),
    # 11:05 in Tokyo is 02:05 UTC.
    OrderLine("O-2", "C-ACME", "MB-Z4", 3, datetime(2026, 11, 3, 2, 5), "thin_client", False, "EC"),
    OrderLine("O-3", "C-GLOBO", "FUSER", 2, datetime(2026, 11, 4), "business_printer", True, "US"),
]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def load_csv(
    folder: Path,
    customers: str = CUSTOMERS_CSV,
    contracts: str = CONTRACTS_CSV,
    orders: str = ORDERS_CSV,
) -> EntitlementInputs:
    return load_entitlement_inputs(
        write(folder, "customers.csv", customers),
        write(folder, "contracts.csv", contracts),
        write(folder, "orders.csv", orders),
    )


def orders_with(old: str, new: str) -> str:
    """The orders CSV with one exact edit (which must apply exactly once)."""
    assert ORDERS_CSV.count(old) == 1, old
    return ORDERS_CSV.replace(old, new)


def table_error(folder: Path, **tables: str) -> str:
    with pytest.raises(TableError) as caught:
        load_csv(folder, **tables)
    return str(caught.value)


def frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The same three tables as typed DataFrames, as a notebook would build them."""
    customers = pd.DataFrame(
        {
            "customer_id": ["C-ACME", "C-GLOBO", "C-SMALL"],
            "name": ["Acme", "Globo", "Small"],
            "country": ["US", "Uruguay", "乌拉圭"],
            "installed_base_pcs": [4200, 1800, 40],
            "installed_base_printers": [310, 0, 2],
            "has_it_helpdesk": [True, True, False],
        }
    )
    contracts = pd.DataFrame(
        {
            "contract_id": ["K-1", "K-2"],
            "customer_id": ["C-ACME", "C-GLOBO"],
            "sku": ["U1PV9E", "u7d01e"],
            "purchase_date": [date(2024, 3, 1), date(2025, 2, 1)],
            "activation_date": [date(2024, 3, 10), None],
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": ["O-1", "O-2", "O-3"],
            "customer_id": ["C-ACME", "C-ACME", "C-GLOBO"],
            "part_number": ["SSD-512", "MB-Z4", "FUSER"],
            "quantity": [1, 3, 2],
            "created_at": pd.to_datetime(
                ["2026-11-02T08:15:00Z", "2026-11-03T02:05:00Z", "2026-11-04T00:00:00Z"]
            ).tz_convert("Asia/Tokyo"),
            "product_type": ["notebook", "Thin Client", "business-printer"],
            "warranty_valid": [True, False, True],
            "ship_to_country": [None, "Ecuador", "US"],
        }
    )
    return customers, contracts, orders


def assert_expected(inputs: EntitlementInputs) -> None:
    assert inputs.customer_objects() == EXPECTED_CUSTOMERS
    assert inputs.contract_objects() == EXPECTED_CONTRACTS
    assert inputs.order_objects() == EXPECTED_ORDERS


# --- good tables ----------------------------------------------------------------------------


def test_csv_tables_load_as_customers_contracts_and_orders(tmp_path: Path) -> None:
    assert_expected(load_csv(tmp_path))


def test_every_column_is_parsed_to_its_type(tmp_path: Path) -> None:
    inputs = load_csv(tmp_path)
    assert inputs.customers.dtypes.astype(str).to_dict() == {
        "customer_id": "object",
        "name": "object",
        "country": "object",
        "installed_base_pcs": "int64",
        "installed_base_printers": "int64",
        "has_it_helpdesk": "bool",
    }
    assert inputs.contracts.dtypes.astype(str).to_dict() == {
        "contract_id": "object",
        "customer_id": "object",
        "sku": "object",
        "purchase_date": "datetime64[ns]",
        "activation_date": "datetime64[ns]",
        "covered_units": "object",  # an optional whole number: int or None
    }
    assert inputs.orders.dtypes.astype(str).to_dict() == {
        "order_id": "object",
        "customer_id": "object",
        "part_number": "object",
        "quantity": "int64",
        "created_at": "datetime64[ns]",
        "product_type": "object",
        "warranty_valid": "bool",
        "ship_to_country": "object",
        "need_by": "datetime64[ns]",
    }


def test_domain_objects_carry_python_types_not_numpy_ones(tmp_path: Path) -> None:
    inputs = load_csv(tmp_path)
    acme = inputs.customer_objects()["C-ACME"]
    assert type(acme.installed_base_pcs) is int
    assert type(acme.has_it_helpdesk) is bool
    first = inputs.order_objects()[0]
    assert type(first.quantity) is int
    assert type(first.created_at) is datetime
    assert type(first.warranty_valid) is bool
    assert type(inputs.contract_objects()[0].purchase_date) is date


def test_parquet_tables_load_like_csv(tmp_path: Path) -> None:
    paths = []
    for name, frame in zip(("customers", "contracts", "orders"), frames(), strict=True):
        path = tmp_path / f"{name}.parquet"
        frame.to_parquet(path)
        paths.append(path)
    assert_expected(load_entitlement_inputs(*paths))


def test_dataframes_load_like_csv() -> None:
    assert_expected(load_entitlement_inputs(*frames()))


def test_loading_a_dataframe_leaves_the_callers_frame_untouched() -> None:
    customers, contracts, orders = frames()
    before = orders.copy()
    load_entitlement_inputs(customers, contracts, orders)
    pd.testing.assert_frame_equal(orders, before)


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("yes", True),
        ("YES", True),
        ("y", True),
        ("true", True),
        ("True", True),
        ("t", True),
        ("1", True),
        ("no", False),
        ("N", False),
        ("false", False),
        ("F", False),
        ("0", False),
    ],
)
def test_yes_no_columns_accept_the_usual_spellings(tmp_path: Path, typed: str, value: bool) -> None:
    inputs = load_csv(tmp_path, orders=orders_with("notebook,yes,", f"notebook,{typed},"))
    assert inputs.order_objects()[0].warranty_valid is value


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_ship_to_country_means_the_customers_country(tmp_path: Path, blank: str) -> None:
    inputs = load_csv(tmp_path, orders=orders_with("notebook,yes,\n", f"notebook,yes,{blank}\n"))
    assert inputs.orders["ship_to_country"].iloc[0] is None
    assert inputs.order_objects()[0].ship_to_country is None


def test_a_blank_activation_date_means_purchase_plus_30_days(tmp_path: Path) -> None:
    inputs = load_csv(tmp_path)
    assert pd.isna(inputs.contracts["activation_date"].iloc[1])
    assert inputs.contract_objects()[1].activation_date is None


def test_the_optional_ship_to_column_may_be_left_out(tmp_path: Path) -> None:
    lines = [line.rsplit(",", 1)[0] for line in ORDERS_CSV.splitlines()]
    inputs = load_csv(tmp_path, orders="\n".join(lines) + "\n")
    assert [o.ship_to_country for o in inputs.order_objects()] == [None, None, None]


@pytest.mark.parametrize(
    ("written", "utc"),
    [
        ("2026-11-02T08:15:00+09:00", datetime(2026, 11, 1, 23, 15)),
        ("2026-11-02T08:15:00Z", datetime(2026, 11, 2, 8, 15)),
        ("2026-11-02T08:15:00-05:00", datetime(2026, 11, 2, 13, 15)),
        ("2026-11-02T08:15:00", datetime(2026, 11, 2, 8, 15)),
    ],
)
def test_a_time_with_an_offset_is_converted_to_utc(
    tmp_path: Path, written: str, utc: datetime
) -> None:
    inputs = load_csv(tmp_path, orders=orders_with("2026-11-02T08:15:00", written))
    assert inputs.order_objects()[0].created_at == utc


def test_a_tz_aware_dataframe_column_is_converted_to_utc() -> None:
    customers, contracts, orders = frames()
    orders["created_at"] = pd.to_datetime(["2026-11-02 09:00"] * 3).tz_localize("Europe/Zurich")
    inputs = load_entitlement_inputs(customers, contracts, orders)
    assert inputs.order_objects()[0].created_at == datetime(2026, 11, 2, 8, 0)


def test_a_header_only_orders_file_is_an_empty_order_book(tmp_path: Path) -> None:
    inputs = load_csv(tmp_path, orders=ORDERS_CSV.splitlines()[0] + "\n")
    assert inputs.order_objects() == []


def test_a_byte_order_mark_does_not_hide_the_first_column(tmp_path: Path) -> None:
    inputs = load_csv(tmp_path, customers="\ufeff" + CUSTOMERS_CSV)
    assert set(inputs.customer_objects()) == set(EXPECTED_CUSTOMERS)


# --- bad tables -----------------------------------------------------------------------------


def test_a_missing_column_is_named_with_the_file(tmp_path: Path) -> None:
    header = ORDERS_CSV.splitlines()[0]
    message = table_error(
        tmp_path, orders=ORDERS_CSV.replace(header, header.replace("quantity", "qty"))
    )
    assert str(tmp_path / "orders.csv") in message
    assert "missing column 'quantity'" in message


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    message = table_error(tmp_path, contracts="")
    assert f"{tmp_path / 'contracts.csv'}: the file is empty" in message


def test_a_row_with_too_many_fields_is_refused_naming_its_line(tmp_path: Path) -> None:
    message = table_error(
        tmp_path, orders=orders_with("Thin Client,0,Ecuador", "Thin Client,0,EC,x,y")
    )
    assert str(tmp_path / "orders.csv") in message
    assert "not valid CSV" in message
    assert "line 3" in message


def test_an_unclosed_quote_is_refused_as_malformed_csv(tmp_path: Path) -> None:
    message = table_error(tmp_path, orders=orders_with("O-2,C-ACME,MB-Z4", 'O-2,C-ACME,"MB-Z4'))
    assert str(tmp_path / "orders.csv") in message
    assert "not valid CSV" in message


@pytest.mark.parametrize(
    ("table", "old", "new", "column", "value"),
    [
        ("customers", "C-GLOBO,Globo", "C-ACME,Globo", "customer_id", "C-ACME"),
        ("contracts", "K-2,C-GLOBO", "K-1,C-GLOBO", "contract_id", "K-1"),
        ("orders", "O-2,C-ACME", "O-1,C-ACME", "order_id", "O-1"),
    ],
)
def test_a_duplicate_id_is_refused_naming_both_rows(
    tmp_path: Path, table: str, old: str, new: str, column: str, value: str
) -> None:
    text = {"customers": CUSTOMERS_CSV, "contracts": CONTRACTS_CSV, "orders": ORDERS_CSV}[table]
    assert text.count(old) == 1
    message = table_error(tmp_path, **{table: text.replace(old, new)})
    assert (
        f"{tmp_path / (table + '.csv')}: row 2 (line 3), column {column!r}, value {value!r}: "
        f"duplicate {column}, first seen on row 1 (line 2)"
    ) in message


def test_an_order_of_an_unknown_customer_is_refused(tmp_path: Path) -> None:
    message = table_error(tmp_path, orders=orders_with("O-3,C-GLOBO", "O-3,C-NOBODY"))
    assert (
        f"{tmp_path / 'orders.csv'}: row 3 (line 4), column 'customer_id', value 'C-NOBODY': "
        "unknown customer"
    ) in message


def test_a_contract_of_an_unknown_customer_is_refused(tmp_path: Path) -> None:
    message = table_error(tmp_path, contracts=CONTRACTS_CSV.replace("K-2,C-GLOBO", "K-2,C-GONE"))
    assert (
        f"{tmp_path / 'contracts.csv'}: row 2 (line 3), column 'customer_id', value 'C-GONE': "
        "unknown customer"
    ) in message


def test_an_unknown_customer_in_a_dataframe_names_the_table() -> None:
    customers, contracts, orders = frames()
    orders.loc[2, "customer_id"] = "C-NOBODY"
    with pytest.raises(TableError) as caught:
        load_entitlement_inputs(customers, contracts, orders)
    assert "orders table: row 3, column 'customer_id', value 'C-NOBODY': unknown customer" in str(
        caught.value
    )


@pytest.mark.parametrize(
    ("quantity", "problem"),
    [
        ("-1", "must be > 0"),
        ("0", "must be > 0"),
        ("1.5", "not a whole number"),
        ("two", "not an integer"),
        ("1000000001", "must be <= 1,000,000,000"),
        ("1e12", "must be <= 1,000,000,000"),
        ("99999999999999999999999", "must be <= 1,000,000,000"),
        ("", "a value is required"),
    ],
)
def test_a_bad_quantity_is_refused_naming_file_row_line_column_and_value(
    tmp_path: Path, quantity: str, problem: str
) -> None:
    message = table_error(tmp_path, orders=orders_with("MB-Z4,3,", f"MB-Z4,{quantity},"))
    assert (
        f"{tmp_path / 'orders.csv'}: row 2 (line 3), column 'quantity', value {quantity!r}: "
        f"{problem}"
    ) in message


def test_the_largest_allowed_quantity_is_one_billion(tmp_path: Path) -> None:
    inputs = load_csv(tmp_path, orders=orders_with("MB-Z4,3,", "MB-Z4,1000000000,"))
    assert inputs.order_objects()[1].quantity == 1_000_000_000


@pytest.mark.parametrize(
    ("column", "bad", "shown"),
    [
        ("quantity", np.nan, "'NaN'"),
        ("quantity", None, "None"),
        ("installed_base_pcs", np.nan, "'NaN'"),
    ],
)
def test_a_missing_number_in_a_dataframe_is_refused_naming_row_and_column(
    column: str, bad: object, shown: str
) -> None:
    customers, contracts, orders = frames()
    frame, name = (orders, "orders") if column == "quantity" else (customers, "customers")
    frame[column] = frame[column].astype(object)
    frame.loc[1, column] = bad
    with pytest.raises(TableError) as caught:
        load_entitlement_inputs(customers, contracts, orders)
    assert f"{name} table: row 2, column {column!r}, value {shown}: a value is required" in str(
        caught.value
    )


@pytest.mark.parametrize(
    ("table", "old", "new", "column", "value", "problem"),
    [
        ("orders", "2026-11-03T11:05:00+09:00", "2026-02-30", "created_at", "2026-02-30", "not a"),
        ("orders", "2026-11-03T11:05:00+09:00", "yesterday", "created_at", "yesterday", "not a"),
        ("contracts", "2025-02-01", "01/02/2025", "purchase_date", "01/02/2025", "not a date"),
        (
            "contracts",
            "u7d01e,2025-02-01,",
            "u7d01e,2025-02-01,soon",
            "activation_date",
            "soon",
            "not a date",
        ),
        ("contracts", "u7d01e", "U0000E", "sku", "U0000E", "must be one of"),
        ("customers", "Uruguay", "Atlantis", "country", "Atlantis", "unknown country"),
        ("orders", "Ecuador", "Atlantis", "ship_to_country", "Atlantis", "unknown country"),
        (
            "orders",
            "Thin Client,0,",
            "Thin Client,maybe,",
            "warranty_valid",
            "maybe",
            "not a yes/no",
        ),
        ("orders", "Thin Client,0,", "Thin Client,2,", "warranty_valid", "2", "not a yes/no"),
        ("customers", "1800,0,TRUE", "1800,0,sometimes", "has_it_helpdesk", "sometimes", "yes/no"),
        ("customers", "Globo,Uruguay,1800", "Globo,Uruguay,-5", "installed_base_pcs", "-5", ">= 0"),
    ],
)
def test_a_bad_cell_is_refused_naming_file_row_line_column_and_value(
    tmp_path: Path, table: str, old: str, new: str, column: str, value: str, problem: str
) -> None:
    text = {"customers": CUSTOMERS_CSV, "contracts": CONTRACTS_CSV, "orders": ORDERS_CSV}[table]
    assert text.count(old) == 1
    message = table_error(tmp_path, **{table: text.replace(old, new)})
    where = f"{tmp_path / (table + '.csv')}: row 2 (line 3), column {column!r}, value {value!r}: "
    assert where in message
    assert problem in message.split(where, 1)[1].splitlines()[0]


def test_every_bad_cell_of_a_table_is_listed_at_once(tmp_path: Path) -> None:
    orders = orders_with("SSD-512,1,", "SSD-512,-1,").replace("Thin Client,0,", "Thin Client,x,")
    with pytest.raises(TableError) as caught:
        load_csv(tmp_path, orders=orders)
    assert caught.value.source == str(tmp_path / "orders.csv")
    assert caught.value.problems == [
        "row 1 (line 2), column 'quantity', value '-1': must be > 0",
        "row 2 (line 3), column 'warranty_valid', value 'x': not a yes/no value "
        "(use true/false, yes/no or 1/0)",
    ]


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    customers = write(tmp_path, "customers.csv", CUSTOMERS_CSV)
    contracts = write(tmp_path, "contracts.csv", CONTRACTS_CSV)
    with pytest.raises(InputError, match="no such file") as caught:
        load_entitlement_inputs(customers, contracts, tmp_path / "missing.csv")
    assert str(tmp_path / "missing.csv") in str(caught.value)


def test_an_unsupported_file_type_is_refused(tmp_path: Path) -> None:
    customers = write(tmp_path, "customers.csv", CUSTOMERS_CSV)
    contracts = write(tmp_path, "contracts.csv", CONTRACTS_CSV)
    orders = write(tmp_path, "orders.xlsx", "not really a workbook")
    with pytest.raises(InputError, match=r"unsupported file type '\.xlsx'"):
        load_entitlement_inputs(customers, contracts, orders)


def test_a_table_error_is_an_input_error_so_the_cli_exits_2() -> None:
    assert issubclass(TableError, InputError)
