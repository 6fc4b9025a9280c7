"""Tiny simulated worlds for tests: a few depots, parts and customers, written as a real
snapshot folder and scenario file, so every test goes through the same loading path as a
planner's scenario.

Times are hours after ``START``. Customers are ``PM`` (an active Priority Management PC
contract) or ``standard`` (no contract); a PM customer in an excluded country keeps its tier
but has no parts priority.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import simpy
import yaml

from simulation.records import Recorder
from simulation.scenario.load import ScenarioFile, load_scenario
from simulation.world.demand import ORDER_COLUMNS
from simulation.world.model import ShortageWorld
from simulation.world.sampling import Streams
from simulation.world.setup import WorldSetup, build_setup

START = datetime(2026, 1, 5)
PM_PC_3Y = "U7D01E"


def at(hours: float) -> str:
    """The ISO time ``hours`` after the start."""
    return (START + timedelta(hours=hours)).isoformat()


@dataclass
class TinyWorld:
    """A world in a few lines; each test states only what it is about."""

    depots: dict[str, str] = field(default_factory=lambda: {"D1": "DE"})
    parts: list[str] = field(default_factory=lambda: ["P1"])
    substitutes: dict[str, str] = field(default_factory=dict)
    stock: dict[tuple[str, str], int] = field(default_factory=dict)
    inbound: list[tuple[str, str, int, float]] = field(default_factory=list)
    lanes: list[tuple[str, str, float, float]] = field(default_factory=list)
    options: list[tuple[str, str, str, int, float, float, float | None]] = field(
        default_factory=list
    )
    customers: dict[str, tuple[str, str]] = field(
        default_factory=lambda: {"PM": ("DE", "PM"), "STD": ("DE", "standard")}
    )
    orders: list[tuple[str, str, str, int, float]] = field(default_factory=list)
    base_stock: dict[tuple[str, str], int] | None = None
    rates: list[tuple[str, str, float]] | None = None

    def write(self, folder: Path, **scenario: Any) -> ScenarioFile:
        """Write the snapshot, the order log (replay) or rates, and the scenario file.

        ``scenario`` fields override the defaults: replay of :attr:`orders`, no
        replenishment, no drain, event mode, the optimal strategy, one replication.
        """
        world = folder / "world"
        world.mkdir(parents=True, exist_ok=True)
        self._tables(world)
        fields: dict[str, Any] = {
            "version": 1,
            "name": "tiny",
            "world": {"snapshot": "world"},
            "start": START.isoformat(),
            "horizon_days": 10,
            "drain_days": 0,
            "replenishment": {"policy": "none"},
            "replications": 1,
            "seed": 1,
        }
        if self.rates is not None:
            pd.DataFrame(self.rates, columns=["customer_id", "part_number", "per_day"]).assign(
                product_type="desktop"
            ).to_csv(folder / "rates.csv", index=False)
            fields["demand"] = {"model": "poisson", "rates": "rates.csv", "backlog": False}
        else:
            self._orders().to_csv(folder / "log.csv", index=False)
            fields["demand"] = {"model": "replay", "log": "log.csv", "backlog": False}
        if self.base_stock is not None:
            rows = [(p, d, n) for (p, d), n in self.base_stock.items()]
            pd.DataFrame(rows, columns=["part_number", "depot_id", "base_stock"]).to_csv(
                folder / "base_stock.csv", index=False
            )
            fields["replenishment"] = {"policy": "base_stock", "base_stock": "base_stock.csv"}
        _merge(fields, scenario)
        path = folder / "scenario.yaml"
        path.write_text(yaml.safe_dump(fields, sort_keys=False), encoding="utf-8")
        return load_scenario(path)

    def _orders(self) -> pd.DataFrame:
        rows = [
            (oid, customer, part, qty, at(hours), "desktop", "yes", "")
            for oid, customer, part, qty, hours in self.orders
        ]
        return pd.DataFrame(rows, columns=ORDER_COLUMNS)

    def _tables(self, world: Path) -> None:
        customers = pd.DataFrame(
            [(cid, cid, country, 2000, 0, "yes") for cid, (country, _) in self.customers.items()],
            columns=[
                "customer_id",
                "name",
                "country",
                "installed_base_pcs",
                "installed_base_printers",
                "has_it_helpdesk",
            ],
        )
        contracts = pd.DataFrame(
            [
                (f"K-{cid}", cid, PM_PC_3Y, "2025-01-01", "")
                for cid, (_, tier) in self.customers.items()
                if tier == "PM"
            ],
            columns=["contract_id", "customer_id", "sku", "purchase_date", "activation_date"],
        )
        tables = {
            "customers": customers,
            "contracts": contracts,
            "orders": self._orders().iloc[0:0],
            "parts": pd.DataFrame(
                [(p, p, 100.0, self.substitutes.get(p, "")) for p in self.parts],
                columns=["part_number", "description", "unit_cost", "substitutes"],
            ),
            "depots": pd.DataFrame(list(self.depots.items()), columns=["depot_id", "country"]),
            "stock": pd.DataFrame(
                [(p, d, n) for (p, d), n in self.stock.items()]
                or [(self.parts[0], next(iter(self.depots)), 0)],
                columns=["part_number", "depot_id", "on_hand"],
            ),
            "inbound": pd.DataFrame(
                [(p, d, q, at(h)) for p, d, q, h in self.inbound],
                columns=["part_number", "depot_id", "quantity", "eta"],
            ),
            "lanes": pd.DataFrame(
                self.lanes, columns=["origin", "destination", "transit_hours", "cost_per_unit"]
            ),
            "supply_options": pd.DataFrame(
                self.options,
                columns=[
                    "part_number",
                    "source",
                    "supplier_id",
                    "capacity",
                    "lead_time_hours",
                    "unit_cost",
                    "success_probability",
                ],
            ),
        }
        for name, table in tables.items():
            table.to_csv(world / f"{name}.csv", index=False)


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


def run_world(
    source: ScenarioFile | WorldSetup,
    strategy: str | None = None,
    seed: int = 1,
    replication: int = 0,
    shortcut: bool = True,
    audit: bool = True,
) -> ShortageWorld:
    """Run one replication with every invariant checked after every event."""
    setup = source if isinstance(source, WorldSetup) else build_setup(source)
    world = ShortageWorld(
        simpy.Environment(),
        setup,
        Streams(seed, replication),
        strategy=strategy,
        recorder=Recorder(replication),
        shortcut=shortcut,
        audit=audit,
    )
    world.run()
    return world


def timeline(world: ShortageWorld, order_id: str) -> list[tuple[str, float, str | None]]:
    """(event, hour, source kind) of one order, in record order, times rounded to 1e-6."""
    records = world.recorder.to_frame()
    mine = records[records["order_id"] == order_id]
    return [
        (str(e), round(float(t), 6), None if pd.isna(k) else str(k))
        for e, t, k in zip(mine["event"], mine["time"], mine["source_kind"], strict=True)
    ]
