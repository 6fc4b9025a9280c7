"""The static side of a simulated world, built once per scenario and shared by replications.

Everything here is decided before the clock starts and never changes during a run: the
snapshot, the engine's context (routes, home depots, part groups), base-stock levels, the
demand mix, the disruptions resolved to parts, depots and countries. The moving state lives
in :mod:`simulation.world.state`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation import (
    AllocationError,
    AllocationPolicy,
    EntitlementPolicy,
    Snapshot,
    generate_world,
    load_snapshot,
    normalize_country,
)
from allocation.adapters import (
    Column,
    TableSpec,
    allocation_policy_from,
    entitlement_policy_from,
    read_table,
)
from allocation.engine import Context, Engine
from simulation.errors import ScenarioError
from simulation.scenario.load import ScenarioFile
from simulation.scenario.model import (
    BrokerMarket,
    DemandSurge,
    DepotOffline,
    Scenario,
    SupplyCut,
)
from simulation.scenario.parts import match_parts

__all__ = ["WorldSetup", "build_setup", "match_parts"]

BASE_STOCK = TableSpec(
    name="base_stock",
    key=("part_number", "depot_id"),
    columns=(
        Column("part_number", description="a part of the world"),
        Column("depot_id", description="a depot of the world"),
        Column("base_stock", "int", minimum=0, maximum=10**9, description="base-stock level"),
    ),
)

RATES = TableSpec(
    name="rates",
    key=("customer_id", "part_number", "product_type", "warranty_valid", "ship_to_country"),
    columns=(
        Column("customer_id", description="a customer of the world"),
        Column("part_number", description="a part of the world"),
        Column("per_day", "float", minimum=0, maximum=1e6, description="orders per day"),
        Column("product_type", description="type of the failed units"),
        Column("warranty_valid", "bool", optional=True, description="blank means yes"),
        Column("ship_to_country", "country", optional=True, description="blank: the customer's"),
        Column("quantity", "int", optional=True, minimum=1, maximum=10**6, description="units"),
    ),
)


@dataclass(frozen=True)
class WorldSetup:
    """A scenario made concrete against its world.

    Arrays indexed ``[part code, depot code]`` follow the engine's context (parts in the
    parts table's order, depots sorted by id). ``has_targets``: some order may have a
    response-time target (a ``need_by``), so the world carries them (:func:`_has_targets`).
    """

    scenario: Scenario
    snapshot: Snapshot
    engine: Engine
    context: Context
    policy: AllocationPolicy
    entitlement_policy: EntitlementPolicy
    start: pd.Timestamp
    depot_ids: list[str]
    base_stock: npt.NDArray[np.int64]
    initial_stock: npt.NDArray[np.int64]
    mix: pd.DataFrame
    replay: pd.DataFrame | None
    offline: list[tuple[float, float, npt.NDArray[np.int64], str]]
    cuts: list[tuple[float, float, npt.NDArray[np.bool_], float, float, str]]
    surges: list[DemandSurge]
    markets: list[tuple[float, float, npt.NDArray[np.bool_], BrokerMarket, str]]
    part_rate_per_hour: npt.NDArray[np.float64]
    scheduled: list[tuple[int, int, int, float]]
    has_targets: bool = False

    @property
    def horizon_hours(self) -> float:
        """Hours during which orders arrive."""
        return self.scenario.horizon_days * 24.0

    @property
    def end_hours(self) -> float:
        """Hours until the run stops: the horizon plus the drain."""
        return (self.scenario.horizon_days + self.scenario.drain_days) * 24.0

    @property
    def part_count(self) -> int:
        """How many parts the world has."""
        return len(self.context.part_numbers)


def build_setup(source: ScenarioFile) -> WorldSetup:
    """Load the world a scenario names and resolve everything in it against that world.

    Raises
    ------
    ScenarioError
        For names in the scenario that the world does not have (a depot, a part pattern
        matching nothing, an unknown country), or files it names that cannot be read.
    AllocationError
        For a snapshot whose tables do not validate (the message names file, row, column).
    """
    scenario = source.scenario
    snapshot = _load_world(source)
    where = str(source.path)
    try:
        # A protection table named in the scenario is read from the scenario's folder, as
        # simulation.whatif.protection_of reads it.
        policy = allocation_policy_from(
            dict(scenario.policy.options), f"{where}: policy.options", source.folder
        )
        entitlement = entitlement_policy_from(
            dict(scenario.policy.entitlement), f"{where}: policy.entitlement"
        )
    except AllocationError as exc:
        raise ScenarioError(str(exc)) from None
    if policy.fair_share.split != "off":
        # The split needs a full solve of every pool it governs; the world's exact no-solve
        # paths (one lone order per event) know nothing of quotas.
        raise ScenarioError(
            f"{where}: policy.options.fair_share.split: the proportional split is for plans, "
            "not simulated (remove it from the scenario's policy)"
        )
    if policy.fair_share:
        # A cap counts what a party took in a period; a plan knows only its own lines, and a
        # simulated world ships and re-plans for months: the cap would not mean what it says.
        raise ScenarioError(
            f"{where}: policy.options.fair_share: fair-share caps are for plans, "
            "not simulated (remove them from the scenario's policy)"
        )
    # The world holds broker backups itself (simulation.world.backups), after a decision is
    # applied; its decisions are plans of who gets what, with no held units in them.
    planning = replace(policy, broker_backup=False) if policy.broker_backup else policy
    engine = Engine(snapshot, planning, entitlement)
    context = engine.context
    start = pd.Timestamp(scenario.start or snapshot.as_of)
    if start.tzinfo is not None:
        start = start.tz_convert("UTC").tz_localize(None)
    depot_ids = sorted(context.depot_code, key=context.depot_code.__getitem__)
    parts = context.part_numbers
    initial = _grid(snapshot.stock, "on_hand", context)
    base = _base_stock(source, context, initial)
    mix = _mix(source, snapshot)
    replay = _replay(source, snapshot, start) if scenario.demand.model == "replay" else None
    rate = _part_rates(mix, replay, context, scenario)
    offline, cuts, surges, markets = [], [], [], []
    for i, disruption in enumerate(scenario.disruptions):
        label = disruption.name or f"{disruption.kind} #{i + 1}"
        window = (disruption.start_day * 24.0, disruption.end_day * 24.0)
        if isinstance(disruption, DepotOffline):
            unknown = [d for d in disruption.depots if d not in context.depot_code]
            if unknown:
                raise ScenarioError(
                    f"{where}: disruptions.{i}.depots: unknown depot {unknown[0]!r} "
                    f"(the world has {', '.join(depot_ids)})"
                )
            codes = np.array([context.depot_code[d] for d in disruption.depots], dtype=np.int64)
            offline.append((*window, codes, label))
        elif isinstance(disruption, SupplyCut):
            mask = _parts_mask(disruption.parts, parts, f"{where}: disruptions.{i}.parts")
            cuts.append((*window, mask, disruption.volume_lost, disruption.lead_time_factor, label))
        elif isinstance(disruption, DemandSurge):
            if scenario.demand.model == "replay":
                raise ScenarioError(
                    f"{where}: disruptions.{i}: a demand_surge scales Poisson demand; with "
                    "demand model 'replay' the order log is the demand (put the surge in it)"
                )
            _parts_mask(disruption.parts, parts, f"{where}: disruptions.{i}.parts")
            for j, country in enumerate(disruption.countries):
                try:
                    normalize_country(country)
                except AllocationError:
                    raise ScenarioError(
                        f"{where}: disruptions.{i}.countries.{j}: unknown country {country!r}"
                    ) from None
            surges.append(disruption)
        else:
            mask = _parts_mask(disruption.parts, parts, f"{where}: disruptions.{i}.parts")
            markets.append((*window, mask, disruption, label))
    return WorldSetup(
        scenario=scenario,
        snapshot=snapshot,
        engine=engine,
        context=context,
        policy=policy,
        entitlement_policy=entitlement,
        start=start,
        depot_ids=depot_ids,
        base_stock=base,
        initial_stock=initial,
        mix=mix,
        replay=replay,
        offline=offline,
        cuts=cuts,
        surges=surges,
        markets=markets,
        part_rate_per_hour=rate,
        scheduled=_scheduled(snapshot, context, start),
        has_targets=_has_targets(policy, snapshot, replay, scenario),
    )


def _has_targets(
    policy: AllocationPolicy, snapshot: Snapshot, replay: pd.DataFrame | None, scenario: Scenario
) -> bool:
    """Whether any order of the world may have a response-time target (a ``need_by``):
    the policy sets response times, or the backlog or the order log gives some order its
    own. Only then does the world carry targets; without, it runs exactly as before."""
    if policy.response_hours:
        return True
    tables = [replay] if replay is not None else []
    if scenario.demand.backlog:
        tables.append(snapshot.orders)
    return any("need_by" in t and bool(t["need_by"].notna().any()) for t in tables)


def _scheduled(
    snapshot: Snapshot, context: Context, start: pd.Timestamp
) -> list[tuple[int, int, int, float]]:
    """The snapshot's receipts as (part, depot, units, hours after the start); late ones
    land at the start."""
    inbound = snapshot.inbound
    hours = (pd.to_datetime(inbound["eta"]) - start).dt.total_seconds().to_numpy() / 3600.0
    return [
        (context.part_code[p], context.depot_code[d], int(q), max(float(h), 0.0))
        for p, d, q, h in zip(
            inbound["part_number"], inbound["depot_id"], inbound["quantity"], hours, strict=True
        )
    ]


def _load_world(source: ScenarioFile) -> Snapshot:
    world = source.scenario.world
    if world.generate is not None:
        spec = world.generate
        start = source.scenario.start
        tables = generate_world(
            orders=spec.orders,
            parts=spec.parts,
            depots=spec.depots,
            seed=spec.seed,
            coverable_share=spec.coverable_share,
            customers=spec.customers,
            start=start.replace(tzinfo=None) if isinstance(start, datetime) else None,
        )
        return load_snapshot(tables)
    assert world.snapshot is not None
    folder = source.resolve(world.snapshot)
    if not folder.is_dir():
        raise ScenarioError(f"{source.path}: world.snapshot: no folder {str(folder)!r}")
    snapshot = load_snapshot(folder)
    if len(snapshot.overrides):
        # A planner's overrides name the orders of one plan; a simulated world re-plans its
        # own orders for months, and its exact shortcuts do not read them.
        raise ScenarioError(
            f"{source.path}: world.snapshot: {str(folder)!r} has an overrides table; "
            "a simulated world takes none (remove it, or copy the snapshot without it)"
        )
    return snapshot


def _grid(table: pd.DataFrame, column: str, context: Context) -> npt.NDArray[np.int64]:
    grid = np.zeros((len(context.part_numbers), len(context.depot_code)), dtype=np.int64)
    if len(table):
        rows = table["part_number"].map(context.part_code).to_numpy(dtype=np.int64)
        cols = table["depot_id"].map(context.depot_code).to_numpy(dtype=np.int64)
        np.add.at(grid, (rows, cols), table[column].to_numpy(dtype=np.int64))
    return grid


def _base_stock(
    source: ScenarioFile, context: Context, initial: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    spec = source.scenario.replenishment
    if spec.policy == "none":
        return np.zeros_like(initial)
    if spec.base_stock == "world":
        return initial.copy()
    path = source.resolve(spec.base_stock)
    table = _read(path, BASE_STOCK, source)
    for column, known in (("part_number", context.part_code), ("depot_id", context.depot_code)):
        bad = ~table[column].isin(list(known))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ScenarioError(
                f"{path}: row {row + 1} (line {row + 2}): {column}: unknown "
                f"{table[column].iloc[row]!r}"
            )
    return _grid(table, "base_stock", context)


def _mix(source: ScenarioFile, snapshot: Snapshot) -> pd.DataFrame:
    """Order templates with their rate per hour: customer, part, product type, warranty,
    ship-to, quantity, country."""
    demand = source.scenario.demand
    customers = snapshot.customers.set_index("customer_id")["country"]
    if demand.rates is not None:
        path = source.resolve(demand.rates)
        table = _read(path, RATES, source, country=normalize_country)
        for column, known in (
            ("customer_id", set(customers.index)),
            ("part_number", set(snapshot.parts["part_number"])),
        ):
            bad = ~table[column].isin(known)
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise ScenarioError(
                    f"{path}: row {row + 1} (line {row + 2}): {column}: unknown "
                    f"{table[column].iloc[row]!r}"
                )
        mix = pd.DataFrame(
            {
                "customer_id": table["customer_id"],
                "part_number": table["part_number"],
                "product_type": table["product_type"],
                "warranty_valid": table["warranty_valid"].fillna(True).astype(bool),
                "ship_to_country": table["ship_to_country"],
                "quantity": table["quantity"].fillna(1).astype(np.int64),
                "per_hour": table["per_day"].to_numpy(dtype=np.float64) / 24.0,
            }
        )
        if demand.orders_per_day is not None and mix["per_hour"].sum() > 0:
            mix["per_hour"] *= demand.orders_per_day / 24.0 / mix["per_hour"].sum()
    elif demand.model == "poisson":
        orders = snapshot.orders
        if len(orders) == 0:
            raise ScenarioError(
                f"{source.path}: demand: the world has no orders to take the customer × part "
                "mix from; give demand.rates (a CSV)"
            )
        keys = ["customer_id", "part_number", "product_type", "warranty_valid", "quantity"]
        frame = orders[[*keys, "ship_to_country"]].copy()
        frame["ship_to_country"] = frame["ship_to_country"].fillna("")
        counted = frame.groupby([*keys, "ship_to_country"], sort=True).size()
        mix = counted.rename("weight").reset_index()
        mix["ship_to_country"] = mix["ship_to_country"].replace("", None)
        total = float(mix["weight"].sum())
        assert demand.orders_per_day is not None
        mix["per_hour"] = mix["weight"] / total * demand.orders_per_day / 24.0
        mix = mix.drop(columns="weight")
    else:
        return pd.DataFrame()
    ship = mix["ship_to_country"].to_numpy(dtype=object)
    home = customers.reindex(mix["customer_id"]).to_numpy(dtype=object)
    mix["country"] = np.where(pd.isna(ship), home, ship)
    return mix[mix["per_hour"] > 0].reset_index(drop=True)


def _replay(source: ScenarioFile, snapshot: Snapshot, start: pd.Timestamp) -> pd.DataFrame:
    from allocation.adapters import ORDERS

    assert source.scenario.demand.log is not None
    path = source.resolve(source.scenario.demand.log)
    log = _read(path, ORDERS, source, country=normalize_country)
    for column, known in (
        ("customer_id", set(snapshot.customers["customer_id"])),
        ("part_number", set(snapshot.parts["part_number"])),
    ):
        bad = ~log[column].isin(known)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            value = log[column].iloc[row]
            raise ScenarioError(
                f"{path}: row {row + 1} (line {row + 2}): {column}: unknown {value!r}"
            )
    clash = log["order_id"].isin(set(snapshot.orders["order_id"]))
    if clash.any():
        row = int(np.flatnonzero(clash.to_numpy())[0])
        raise ScenarioError(
            f"{path}: row {row + 1} (line {row + 2}): order_id: "
            f"{log['order_id'].iloc[row]!r} is already in the world's backlog"
        )
    hours = (log["created_at"] - start).dt.total_seconds().to_numpy() / 3600.0
    horizon = source.scenario.horizon_days * 24.0
    outside = (hours < 0) | (hours >= horizon)
    if outside.any():
        row = int(np.flatnonzero(outside)[0])
        raise ScenarioError(
            f"{path}: row {row + 1} (line {row + 2}): created_at: "
            f"{log['created_at'].iloc[row]} is outside the scenario's period "
            f"({start} + {source.scenario.horizon_days:g} days)"
        )
    log = log.assign(time=hours)
    return log.sort_values(["time", "order_id"], kind="stable").reset_index(drop=True)


def _part_rates(
    mix: pd.DataFrame, replay: pd.DataFrame | None, context: Context, scenario: Scenario
) -> npt.NDArray[np.float64]:
    """Mean units per hour of each part, for supply cuts stated as a share of volume."""
    rate = np.zeros(len(context.part_numbers))
    if replay is not None and len(replay):
        codes = replay["part_number"].map(context.part_code).to_numpy(dtype=np.int64)
        np.add.at(rate, codes, replay["quantity"].to_numpy(dtype=np.float64))
        return rate / (scenario.horizon_days * 24.0)
    if len(mix):
        codes = mix["part_number"].map(context.part_code).to_numpy(dtype=np.int64)
        np.add.at(rate, codes, (mix["per_hour"] * mix["quantity"]).to_numpy(dtype=np.float64))
    return rate


def _parts_mask(patterns: list[str], parts: list[str], where: str) -> npt.NDArray[np.bool_]:
    mask = match_parts(patterns, parts)
    for j, pattern in enumerate(patterns):
        if not match_parts([pattern], parts).any():
            raise ScenarioError(f"{where}.{j}: {pattern!r} matches no part of the world")
    return mask


def _read(
    path: Path,
    spec: TableSpec,
    source: ScenarioFile,
    country: object = None,
) -> pd.DataFrame:
    if not path.exists():
        raise ScenarioError(f"{source.path}: no file {str(path)!r}")
    try:
        return read_table(path, spec, country=country)  # type: ignore[arg-type]
    except AllocationError as exc:
        raise ScenarioError(str(exc)) from None
