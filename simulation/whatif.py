"""What-if edits of a scenario: the allocation engine's snapshot edits, applied to the world a
scenario simulates, plus its demand and policy; each returns a new scenario.

A question like "what if Venlo burns down for the whole quarter and demand for drives
doubles?" is a chain of edits on a :class:`ScenarioWhatIf`; :func:`simulate` accepts the
result like any scenario, and since the seed is the scenario's, a run of the edited scenario
meets the same random numbers as a run of the original::

    base = ScenarioWhatIf(load_scenario("scenarios/thailand-floods-2011.yaml"))
    case = base.take_depot_offline("D-NL").scale_demand(2, parts=["HDD-500-NB"])
    diff(simulate(base), simulate(case)).by("country")

The world's edits are the engine's (:mod:`allocation.whatif.edits`) on the scenario's
snapshot; demand edits change the scenario's arrival rates too (its customer × part mix),
not only the backlog. When simulated, the edited world is written to a temporary folder
(removed when the object is garbage-collected) and the scenario points at it; ``save``
writes a copy that ``parts-priority simulate`` can run.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

import allocation.whatif as edits
from allocation import (
    AllocationError,
    ProductFamily,
    ProtectionLevels,
    Snapshot,
    Tier,
    normalize_country,
    write_world,
)
from allocation.adapters import (
    TABLES,
    TableSource,
    allocation_policy_from,
    load_protection_levels,
    protection_from,
)
from simulation.errors import ScenarioError
from simulation.scenario.load import (
    ScenarioFile,
    apply_overrides,
    load_scenario,
    scenario_from_mapping,
)
from simulation.world.setup import build_setup

__all__ = ["ScenarioWhatIf", "protection_of", "with_protection"]

_RATE_COLUMNS = [
    "customer_id",
    "part_number",
    "per_day",
    "product_type",
    "warranty_valid",
    "ship_to_country",
    "quantity",
]


@dataclass(frozen=True)
class _Case:
    """What a what-if holds: the base scenario, the edited world, demand and fields."""

    base: ScenarioFile
    snapshot: Snapshot
    rates: pd.DataFrame | None  # the arrival mix, when an edit changed it
    base_rates: pd.DataFrame
    fields: Mapping[str, Any]
    start: str
    dropped_depots: tuple[str, ...] = ()
    edits: tuple[str, ...] = ()
    made: dict[str, Any] = field(default_factory=dict, compare=False)  # the written scenario


class ScenarioWhatIf:
    """A scenario and the edits made to it; every edit returns a new one.

    Parameters
    ----------
    scenario : path, ScenarioFile or mapping
        The scenario to start from (left unchanged).

    Examples
    --------
    >>> from simulation import ScenarioWhatIf, load_scenario, simulate
    >>> base = ScenarioWhatIf(load_scenario("scenarios/depot-fire.yaml", {"horizon_days": 3}))
    >>> case = base.take_depot_offline("D-PRAGUE").with_policy(strategy="fifo")
    >>> case.edits
    ('depot D-PRAGUE offline', 'policy: strategy=fifo')
    >>> [list(c.snapshot.depots["depot_id"]).count("D-PRAGUE") for c in (base, case)]
    [1, 0]
    >>> simulate(case, replications=1).strategy
    'fifo'
    """

    def __init__(self, scenario: ScenarioFile | str | Path | Mapping[str, Any]) -> None:
        base = _source(scenario)
        setup = build_setup(base)
        rates = _rates_of(setup.mix)
        start = setup.start.isoformat()
        self._case = _Case(base, setup.snapshot, None, rates, {}, start)

    @classmethod
    def _from(cls, case: _Case) -> ScenarioWhatIf:
        made = cls.__new__(cls)
        made._case = case
        return made

    # -- what it is ----------------------------------------------------------------------
    @property
    def base(self) -> ScenarioFile:
        """The scenario the edits started from."""
        return self._case.base

    @property
    def snapshot(self) -> Snapshot:
        """The world as edited (customers, contracts, backlog, depots, stock, supply)."""
        return self._case.snapshot

    @property
    def edits(self) -> tuple[str, ...]:
        """What was changed, in words, oldest first."""
        return self._case.edits

    def rates(self) -> pd.DataFrame:
        """Orders per day by customer × part (× product, warranty, ship-to, quantity): the
        arrival mix the edited scenario simulates."""
        case = self._case
        return (case.rates if case.rates is not None else case.base_rates).copy()

    # -- the world ---------------------------------------------------------------------
    def take_depot_offline(self, depot_id: str) -> ScenarioWhatIf:
        """The depot out of service for the whole run (see :func:`allocation.take_depot_offline`):
        its stock, receipts and lanes leave the world and its countries re-home; it leaves
        the scenario's ``depot_offline`` disruptions and protection levels too."""
        snapshot = edits.take_depot_offline(self.snapshot, depot_id)
        dropped = (*self._case.dropped_depots, depot_id)
        return self._then(f"depot {depot_id} offline", snapshot=snapshot, dropped_depots=dropped)

    def scale_demand(
        self,
        factor: float,
        *,
        parts: Iterable[str] | None = None,
        customers: Iterable[str] | None = None,
        countries: Iterable[str] | None = None,
    ) -> ScenarioWhatIf:
        """``factor`` times the orders (all, or of these parts, customers, site countries):
        the arrival rates, and the backlog as :func:`allocation.scale_demand` does."""
        self._poisson("scale_demand")
        parts, customers, countries = _listed(parts), _listed(customers), _listed(countries)
        snapshot = self.snapshot
        if self.base.scenario.demand.backlog:
            snapshot = edits.scale_demand(
                snapshot, factor, parts=parts, customers=customers, countries=countries
            )
        else:  # the same checks of factor and names, without touching an unused backlog
            edits.scale_demand(snapshot, 1, parts=parts, customers=customers, countries=countries)
        rates = self.rates()
        chosen = np.ones(len(rates), dtype=bool)
        site = rates["ship_to_country"].where(
            rates["ship_to_country"].notna(),
            rates["customer_id"].map(_countries(snapshot)),
        )
        for column, values in (("part_number", parts), ("customer_id", customers)):
            if values is not None:
                chosen &= rates[column].isin(values).to_numpy()
        if countries is not None:
            chosen &= site.isin({normalize_country(c) for c in countries}).to_numpy()
        rates.loc[chosen, "per_day"] = rates.loc[chosen, "per_day"] * float(factor)
        scope = [
            f"{name} {', '.join(values)}"
            for name, values in (("parts", parts), ("customers", customers), ("in", countries))
            if values is not None
        ]
        words = f"demand × {factor:g}" + (f" ({'; '.join(scope)})" if scope else "")
        return self._then(words, snapshot=snapshot, rates=rates)

    def add_broker_capacity(
        self,
        part_number: str,
        capacity: int,
        *,
        lead_time_hours: float,
        unit_cost: float,
        supplier_id: str,
        success_probability: float = 1.0,
        delivers_to: str | None = None,
    ) -> ScenarioWhatIf:
        """A broker offer (see :func:`allocation.add_broker_capacity`); in the simulation its
        ``capacity`` is units per week (the scenario's ``sources.capacity_period_hours``)."""
        snapshot = edits.add_broker_capacity(
            self.snapshot,
            part_number,
            capacity,
            lead_time_hours=lead_time_hours,
            unit_cost=unit_cost,
            supplier_id=supplier_id,
            success_probability=success_probability,
            delivers_to=delivers_to,
        )
        words = f"+{capacity} {part_number} per period from broker {supplier_id}"
        return self._then(words, snapshot=snapshot)

    def set_tier(
        self,
        customer_id: str,
        tier: Tier | str,
        families: Iterable[ProductFamily | str] | None = None,
    ) -> ScenarioWhatIf:
        """The customer's contracts of that tier (see :func:`allocation.set_tier`)."""
        snapshot = edits.set_tier(self.snapshot, customer_id, tier, families)
        return self._then(f"{customer_id} tier {Tier(tier).value}", snapshot=snapshot)

    def move_customer(self, customer_id: str, country: str) -> ScenarioWhatIf:
        """The customer in another country (see :func:`allocation.move_customer`), with its
        arrivals that shipped to its old country."""
        self._poisson("move_customer")
        old = _countries(self.snapshot).get(customer_id)
        snapshot = edits.move_customer(self.snapshot, customer_id, country)
        new = _countries(snapshot)[customer_id]
        rates = self.rates()
        moved = (rates["customer_id"] == customer_id) & (rates["ship_to_country"] == old)
        rates.loc[moved, "ship_to_country"] = new
        return self._then(f"{customer_id} moved to {new}", snapshot=snapshot, rates=rates)

    # -- the policy --------------------------------------------------------------------
    def with_policy(self, strategy: str | None = None, **options: Any) -> ScenarioWhatIf:
        """Another strategy (``optimal``, ``fifo``, ``tier_greedy``) and/or policy options
        (the policy file's ``allocation`` keys, e.g. ``preemption=False``)."""
        fields = dict(self._case.fields)
        if strategy is not None:
            fields["policy.strategy"] = strategy
        merged = {**self._options(), **options}
        try:
            allocation_policy_from(merged, "policy.options", self.base.folder)
        except AllocationError as exc:
            raise ScenarioError(str(exc)) from None
        fields.update({f"policy.options.{k}": v for k, v in options.items()})
        words = ", ".join(
            [
                *([f"strategy={strategy}"] if strategy else []),
                *(f"{k}={v!r}" for k, v in options.items()),
            ]
        )
        return self._then(f"policy: {words}", fields=fields)

    def with_protection(
        self, levels: ProtectionLevels | TableSource, default: int = 0
    ) -> ScenarioWhatIf:
        """Protection levels for the policy: a :class:`allocation.ProtectionLevels`, or a table
        (path or DataFrame) of ``depot_id``, ``part_number``, ``level`` plus a default."""
        chosen = (
            levels
            if isinstance(levels, ProtectionLevels)
            else load_protection_levels(levels, default)
        )
        fields = dict(self._case.fields)
        fields["policy.options.protection"] = _protection_option(chosen)
        words = f"protection: {len(chosen.levels)} level(s), default {chosen.default}"
        return self._then(words, fields=fields)

    # -- as a scenario -----------------------------------------------------------------
    def scenario_file(self) -> ScenarioFile:
        """The edited scenario, its world written to a temporary folder (made once)."""
        case = self._case
        if "file" not in case.made:
            folder = Path(tempfile.mkdtemp(prefix="parts-priority-whatif-"))
            weakref.finalize(self, shutil.rmtree, folder, ignore_errors=True)
            raw = self._written(folder)
            scenario = scenario_from_mapping(raw, str(case.base.path))
            case.made["file"] = ScenarioFile(scenario, case.base.path, raw)
        made: ScenarioFile = case.made["file"]
        return made

    def save(self, folder: str | Path) -> Path:
        """Write the edited scenario as ``scenario.yaml`` with its world beside it (a folder
        ``parts-priority simulate`` can run); returns the file's path."""
        target = Path(folder)
        raw = self._written(target)
        scenario_from_mapping(raw, str(self.base.path))
        path = target / "scenario.yaml"
        path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), "utf-8")
        return path

    def _written(self, folder: Path) -> dict[str, Any]:
        case = self._case
        base = case.base
        world = folder / "world"
        tables = {name: getattr(case.snapshot, name) for name in TABLES}
        write_world(tables, world, "parquet", overwrite=True)
        raw = apply_overrides(base.raw, dict(case.fields), where=str(base.path))
        raw["world"] = {"snapshot": str(world.resolve())}
        raw["start"] = raw.get("start") or case.start
        demand = raw["demand"]
        for key in ("rates", "log"):
            if isinstance(demand.get(key), str):
                demand[key] = str(base.resolve(demand[key]).resolve())
        if case.rates is not None:
            rates_path = folder / "rates.csv"
            case.rates[_RATE_COLUMNS].to_csv(rates_path, index=False)
            demand["rates"] = str(rates_path.resolve())
            demand.pop("orders_per_day", None)
        self._without_dropped(raw, folder)
        return raw

    def _without_dropped(self, raw: dict[str, Any], folder: Path) -> None:
        """The dropped depots out of disruptions, base-stock table and protection levels."""
        dropped = set(self._case.dropped_depots)
        base = self.base
        stock = raw.get("replenishment", {}).get("base_stock", "world")
        if stock != "world":
            table = pd.read_csv(base.resolve(stock)) if dropped else None
            path = base.resolve(stock).resolve()
            if table is not None:
                path = folder / "base_stock.csv"
                table[~table["depot_id"].isin(dropped)].to_csv(path, index=False)
            raw["replenishment"]["base_stock"] = str(path.resolve())
        if not dropped:
            return
        kept = []
        for disruption in raw.get("disruptions", []):
            if disruption.get("kind") == "depot_offline":
                disruption["depots"] = [d for d in disruption["depots"] if d not in dropped]
                if not disruption["depots"]:
                    continue
            kept.append(disruption)
        raw["disruptions"] = kept
        levels = protection_of(ScenarioFile(base.scenario, base.path, raw))
        for depot in dropped:
            levels = levels.without_depot(depot)
        if levels:
            raw.setdefault("policy", {}).setdefault("options", {})["protection"] = (
                _protection_option(levels)
            )

    # -- helpers -----------------------------------------------------------------------
    def _options(self) -> dict[str, Any]:
        raw = apply_overrides(self.base.raw, dict(self._case.fields), where=str(self.base.path))
        return dict(raw.get("policy", {}).get("options", {}))

    def _poisson(self, edit: str) -> None:
        if self.base.scenario.demand.model == "replay":
            raise ScenarioError(
                f"{self.base.path}: {edit} edits a Poisson demand mix; with demand model "
                "'replay' the order log is the demand (edit the log instead)"
            )

    def _then(self, words: str, **changed: Any) -> ScenarioWhatIf:
        case = dataclasses.replace(self._case, edits=(*self._case.edits, words), made={}, **changed)
        return ScenarioWhatIf._from(case)

    def __repr__(self) -> str:
        done = "; ".join(self.edits) or "no edits"
        return f"ScenarioWhatIf({self.base.scenario.name}: {done})"

    def _repr_html_(self) -> str:
        from allocation.engine import html_block

        snapshot = self.snapshot
        return html_block(
            f"What if ({self.base.scenario.name})",
            [],
            [
                f"{len(snapshot.customers):,} customers, {len(snapshot.depots):,} depots, "
                f"{self.rates()['per_day'].sum():,.1f} orders a day",
                *(self.edits or ("no edits",)),
            ],
        )


def protection_of(source: ScenarioFile) -> ProtectionLevels:
    """The protection levels a scenario's policy gives (none when it gives none); a table
    it names is read from the scenario's folder."""
    options = source.raw.get("policy", {}).get("options", {}) or {}
    if "protection" not in options:
        return ProtectionLevels()
    try:
        return protection_from(
            options["protection"], f"{source.path}: policy.options", source.folder
        )
    except AllocationError as exc:
        raise ScenarioError(str(exc)) from None


def with_protection(source: ScenarioFile, levels: ProtectionLevels) -> ScenarioFile:
    """The same scenario with its policy's protection levels replaced (written inline)."""
    return source.with_overrides({"policy.options.protection": _protection_option(levels)})


def _protection_option(levels: ProtectionLevels) -> dict[str, Any]:
    rows = [{"depot_id": d, "part_number": p, "level": v} for d, p, v in levels]
    return {"default": levels.default, "levels": rows}


def _source(scenario: ScenarioFile | str | Path | Mapping[str, Any]) -> ScenarioFile:
    if isinstance(scenario, ScenarioFile):
        return scenario
    if isinstance(scenario, Mapping):
        raw = dict(scenario)
        return ScenarioFile(scenario_from_mapping(raw), Path.cwd() / "scenario.yaml", raw)
    return load_scenario(scenario)


def _rates_of(mix: pd.DataFrame) -> pd.DataFrame:
    if mix.empty:
        return pd.DataFrame(columns=_RATE_COLUMNS)
    rates = mix.assign(per_day=mix["per_hour"] * 24.0)
    return rates[_RATE_COLUMNS].reset_index(drop=True)


def _countries(snapshot: Snapshot) -> dict[str, str]:
    customers = snapshot.customers
    return dict(zip(customers["customer_id"], customers["country"], strict=True))


def _listed(values: Iterable[str] | None) -> list[str] | None:
    return None if values is None else [str(v) for v in values]
