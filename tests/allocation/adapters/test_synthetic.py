"""The synthetic world generator: valid, consistent, realistic and reproducible tables."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import allocation.adapters.synthetic
from allocation.adapters.inputs import load_entitlement_inputs
from allocation.adapters.synthetic import TABLE_NAMES, generate_world, write_world
from allocation.adapters.tables import TableSpec, read_table
from allocation.domain import tables as schemas
from allocation.domain.countries import normalize_country
from allocation.domain.rulebook import default_rulebook
from allocation.errors import InputError

START = datetime(2026, 11, 1)
SPECS: dict[str, TableSpec] = {name: getattr(schemas, name.upper()) for name in TABLE_NAMES}


@pytest.fixture(scope="module")
def world() -> dict[str, pd.DataFrame]:
    return generate_world(4_000, 400, 8, seed=11)


@pytest.fixture(scope="module")
def large_world() -> dict[str, pd.DataFrame]:
    return generate_world(20_000, 1_000, 12, seed=5)


def _demand(world: dict[str, pd.DataFrame]) -> pd.Series:
    return world["orders"].groupby("part_number")["quantity"].sum()


def _supply(world: dict[str, pd.DataFrame]) -> pd.Series:
    return (
        pd.concat(
            [
                world["stock"].groupby("part_number")["on_hand"].sum(),
                world["inbound"].groupby("part_number")["quantity"].sum(),
                world["supply_options"].groupby("part_number")["capacity"].sum(),
            ],
            axis=1,
        )
        .fillna(0)
        .sum(axis=1)
    )


def _site_countries(world: dict[str, pd.DataFrame]) -> pd.Series:
    orders, customers = world["orders"], world["customers"]
    home = orders["customer_id"].map(customers.set_index("customer_id")["country"])
    return orders["ship_to_country"].fillna(home)


def test_the_same_seed_gives_identical_tables() -> None:
    first = generate_world(500, 60, 4, seed=42)
    second = generate_world(500, 60, 4, seed=42)
    assert list(first) == list(second) == list(TABLE_NAMES)
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(first[name], second[name])


def test_a_different_seed_gives_different_tables() -> None:
    first = generate_world(500, 60, 4, seed=42)
    second = generate_world(500, 60, 4, seed=43)
    assert not first["orders"].equals(second["orders"])
    assert not first["customers"].equals(second["customers"])


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_every_table_passes_its_column_spec(world: dict[str, pd.DataFrame], name: str) -> None:
    table = read_table(world[name], SPECS[name], country=normalize_country)
    # Every column but the orders' response-time target: generated worlds have none.
    assert list(world[name].columns) == [c.name for c in SPECS[name].columns if c.name != "need_by"]
    assert len(table) == len(world[name])


def test_customers_contracts_and_orders_load_as_entitlement_inputs(
    world: dict[str, pd.DataFrame],
) -> None:
    inputs = load_entitlement_inputs(world["customers"], world["contracts"], world["orders"])
    assert len(inputs.orders) == 4_000


def test_a_tiny_world_is_still_valid() -> None:
    tiny = generate_world(1, 1, 1, seed=0)
    for name in TABLE_NAMES:
        read_table(tiny[name], SPECS[name], country=normalize_country)
    assert len(tiny["orders"]) == len(tiny["parts"]) == len(tiny["depots"]) == 1


def test_ids_are_unique_and_every_reference_resolves(world: dict[str, pd.DataFrame]) -> None:
    customers = set(world["customers"]["customer_id"])
    parts = set(world["parts"]["part_number"])
    depots = set(world["depots"]["depot_id"])
    for name, key in [
        ("customers", "customer_id"),
        ("contracts", "contract_id"),
        ("orders", "order_id"),
        ("parts", "part_number"),
        ("depots", "depot_id"),
    ]:
        assert world[name][key].is_unique, name
    assert set(world["orders"]["customer_id"]) <= customers
    assert set(world["contracts"]["customer_id"]) <= customers
    assert set(world["orders"]["part_number"]) <= parts
    for name in ("stock", "inbound", "supply_options"):
        assert set(world[name]["part_number"]) <= parts, name
    for name in ("stock", "inbound"):
        assert set(world[name]["depot_id"]) <= depots, name
    substitutes = world["parts"]["substitutes"].dropna().str.split(";").explode()
    assert len(substitutes) > 0
    assert set(substitutes) <= parts


def test_supersession_chains_point_to_other_parts_of_the_same_kind(
    world: dict[str, pd.DataFrame],
) -> None:
    parts = world["parts"].set_index("part_number")
    kind = parts["description"].str.split(",").str[0].to_dict()
    chains = parts["substitutes"].dropna()
    assert (chains.str.count(";") <= 1).all()
    assert (chains.str.count(";") == 1).any(), "expected some A -> B -> C chains"
    for part, listed in chains.items():
        for newer in str(listed).split(";"):
            assert newer != part
            assert kind[newer] == kind[part]


def test_stock_is_unique_per_part_and_depot_and_never_negative(
    world: dict[str, pd.DataFrame],
) -> None:
    stock = world["stock"]
    assert not stock.duplicated(["part_number", "depot_id"]).any()
    assert (stock["on_hand"] >= 0).all()


def test_orders_fall_in_the_thirty_days_before_start_and_receipts_land_after(
    world: dict[str, pd.DataFrame],
) -> None:
    created = world["orders"]["created_at"]
    assert created.min() >= pd.Timestamp(START - timedelta(days=30))
    assert created.max() < pd.Timestamp(START)
    assert created.is_monotonic_increasing
    assert (world["inbound"]["eta"] > created.max()).all()
    assert (world["inbound"]["quantity"] > 0).all()


def test_the_customer_tier_mix_looks_like_a_real_installed_base(
    large_world: dict[str, pd.DataFrame],
) -> None:
    book = default_rulebook()
    customers, contracts = large_world["customers"], large_world["contracts"]
    tier = contracts["sku"].map(lambda sku: book.skus[sku].tier.value)
    best = (
        pd.DataFrame({"customer_id": contracts["customer_id"], "tier": tier})
        .drop_duplicates("customer_id")
        .set_index("customer_id")["tier"]
    )
    share = best.reindex(customers["customer_id"]).fillna("standard").value_counts(normalize=True)
    assert share["standard"] == pytest.approx(0.55, abs=0.02)
    assert share["PA"] == pytest.approx(0.20, abs=0.02)
    assert share["PA+"] == pytest.approx(0.12, abs=0.02)
    assert share["PM"] == pytest.approx(0.13, abs=0.02)
    pm = customers.set_index("customer_id").loc[best.index[best == "PM"]]
    base = pm["installed_base_pcs"] + pm["installed_base_printers"]
    assert (base >= 1_000).mean() > 0.85
    assert (base < 1_000).any(), "a few PM customers should fall just below the minimum"


def test_most_contracts_are_active_in_the_order_window_and_a_few_are_not(
    large_world: dict[str, pd.DataFrame],
) -> None:
    book = default_rulebook()
    contracts = large_world["contracts"]
    begin = contracts["activation_date"].fillna(
        contracts["purchase_date"] + pd.Timedelta(days=book.start_days_after_purchase)
    )
    years = contracts["sku"].map(lambda sku: book.skus[sku].term_years)
    end = pd.Series(
        [b + pd.DateOffset(years=int(y)) for b, y in zip(begin, years, strict=True)],
        index=contracts.index,
    )
    active = (begin <= pd.Timestamp(START - timedelta(days=30))) & (end > pd.Timestamp(START))
    assert active.mean() > 0.8
    assert (end <= pd.Timestamp(START - timedelta(days=30))).any(), "some expired"
    assert (begin > pd.Timestamp(START)).any(), "some not yet active"
    assert contracts["activation_date"].isna().any()
    assert set(years) == set(book.terms_years)


def test_demand_is_skewed_toward_a_few_hot_parts(large_world: dict[str, pd.DataFrame]) -> None:
    demand = _demand(large_world).sort_values(ascending=False)
    top = len(large_world["parts"]) // 10
    assert demand.iloc[:top].sum() / demand.sum() > 0.6


@pytest.mark.parametrize("share", [0.3, 0.7, 1.0])
def test_supply_covers_the_coverable_share_of_demand(share: float) -> None:
    world = generate_world(10_000, 800, 6, seed=3, coverable_share=share)
    demand = _demand(world)
    supply = _supply(world).reindex(demand.index).fillna(0)
    covered = np.minimum(demand, supply).sum() / demand.sum()
    # The generator hands out round(share x demand) covered units exactly (largest remainder),
    # so only rounding separates the two; half a percentage point is far above that.
    assert covered == pytest.approx(share, abs=0.005)


def test_the_hottest_parts_are_the_most_short(large_world: dict[str, pd.DataFrame]) -> None:
    demand = _demand(large_world).sort_values(ascending=False)
    supply = _supply(large_world).reindex(demand.index).fillna(0)
    hottest = demand.index[:10]
    assert supply[hottest].sum() / demand[hottest].sum() < 0.5
    stocked_at = large_world["stock"].groupby("part_number")["depot_id"].nunique()
    assert stocked_at.reindex(hottest).fillna(0).median() >= 4


def test_hot_parts_have_supply_options_with_plausible_terms(
    large_world: dict[str, pd.DataFrame],
) -> None:
    options = large_world["supply_options"]
    hot = _demand(large_world).sort_values(ascending=False).index[:100]
    assert pd.Index(hot).isin(options["part_number"]).mean() > 0.7
    brokers = options[options["source"] == "broker"]["success_probability"]
    assert brokers.between(0.6, 0.95).all()
    assert (options[options["source"] == "expedite"]["success_probability"] == 1.0).all()
    assert (options["capacity"] > 0).all()


def test_every_order_site_country_has_a_lane_from_a_depot(
    world: dict[str, pd.DataFrame],
) -> None:
    lanes = world["lanes"]
    from_depot = lanes[lanes["origin"].isin(world["depots"]["depot_id"])]
    assert set(_site_countries(world)) <= set(from_depot["destination"])


def test_lanes_join_depots_both_ways_and_suppliers_to_depots(
    world: dict[str, pd.DataFrame],
) -> None:
    lanes = world["lanes"]
    pairs = set(zip(lanes["origin"], lanes["destination"], strict=True))
    depots = list(world["depots"]["depot_id"])
    assert all((a, b) in pairs for a in depots for b in depots if a != b)
    suppliers = set(world["supply_options"]["supplier_id"])
    assert all((s, d) in pairs for s in suppliers for d in depots)
    same_country = lanes[
        lanes["origin"].str.startswith("D-") & (lanes["destination"].str.len() == 2)
    ]
    depot_country = world["depots"].set_index("depot_id")["country"]
    local = same_country["origin"].map(depot_country) == same_country["destination"]
    assert same_country[local]["transit_hours"].max() <= 24
    assert same_country[~local]["transit_hours"].min() >= 24


def test_a_world_of_a_few_thousand_orders_has_customers_in_excluded_and_uncovered_countries(
    world: dict[str, pd.DataFrame],
) -> None:
    book = default_rulebook()
    countries = set(world["customers"]["country"])
    assert countries & book.parts_priority_excluded
    assert countries - book.covered_countries
    assert {"US", "DE", "JP"} <= countries


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"orders": 0}, "orders"),
        ({"parts": -1}, "parts"),
        ({"depots": 0}, "depots"),
        ({"seed": -5}, "seed"),
        ({"coverable_share": 0.0}, "coverable_share"),
        ({"coverable_share": 1.5}, "coverable_share"),
        ({"customers": 0}, "customers"),
        ({"orders": 2.5}, "orders"),
    ],
)
def test_bad_arguments_raise_an_input_error_naming_the_argument(
    kwargs: dict[str, object], named: str
) -> None:
    arguments: dict[str, object] = {"orders": 10, "parts": 5, "depots": 2, "seed": 1}
    arguments.update(kwargs)
    with pytest.raises(InputError, match=named):
        generate_world(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_written_tables_read_back_equal(
    world: dict[str, pd.DataFrame], tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "world"
    write_world(world, out, fmt)  # type: ignore[arg-type]
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.{fmt}" for n in TABLE_NAMES)
    for name in TABLE_NAMES:
        expected = read_table(world[name], SPECS[name], country=normalize_country)
        found = read_table(out / f"{name}.{fmt}", SPECS[name], country=normalize_country)
        pd.testing.assert_frame_equal(found, expected)
        if fmt == "parquet":
            pd.testing.assert_frame_equal(pd.read_parquet(out / f"{name}.parquet"), world[name])


def test_writing_into_a_non_empty_folder_needs_overwrite(
    world: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="not empty"):
        write_world(world, tmp_path)
    write_world(world, tmp_path, overwrite=True)
    assert (tmp_path / "orders.csv").exists()
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_writing_rejects_an_unknown_format_and_a_file_as_folder(
    world: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    with pytest.raises(InputError, match="fmt"):
        write_world(world, tmp_path / "out", "xlsx")  # type: ignore[arg-type]
    target = tmp_path / "file"
    target.write_text("")
    with pytest.raises(InputError, match="not a folder"):
        write_world(world, target)


@pytest.fixture(params=[0o022, 0o027], ids=oct)
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    mask: int = request.param
    old = os.umask(mask)
    try:
        yield mask
    finally:
        os.umask(old)


@pytest.mark.skipif(os.name != "posix", reason="file modes and the umask are POSIX")
def test_written_tables_get_the_mode_an_ordinary_file_gets_under_the_umask(
    world: dict[str, pd.DataFrame], tmp_path: Path, umask: int
) -> None:
    write_world(world, tmp_path / "world")
    for name in TABLE_NAMES:
        mode = stat.S_IMODE((tmp_path / "world" / f"{name}.csv").stat().st_mode)
        assert oct(mode) == oct(0o666 & ~umask), name


def test_the_package_exports_exactly_its_public_api() -> None:
    assert sorted(allocation.adapters.synthetic.__all__) == [
        "TABLE_NAMES",
        "generate_world",
        "write_world",
    ]
