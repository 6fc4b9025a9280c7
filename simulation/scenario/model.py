"""The scenario file's schema: what a planner writes to describe a shortage to replay.

A scenario is versioned YAML checked by these pydantic models (``extra="forbid"`` everywhere,
so a misspelt key is an error, never a silent default). ``scenarios/schema.json`` is exported
from them for editors. Times in a scenario are days from the start unless a field says hours.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from allocation import is_currency

__all__ = [
    "BrokerBehaviour",
    "BrokerMarket",
    "ClassFallback",
    "DemandModel",
    "DemandSurge",
    "DepotOffline",
    "Disruption",
    "ExpediteBehaviour",
    "GeneratedWorld",
    "LeadTime",
    "PolicySpec",
    "Replenishment",
    "Scenario",
    "SourceBehaviour",
    "SupplyCut",
    "UnmetDemand",
    "World",
]

SCHEMA_VERSION = 1


def _currency_code(value: Any) -> str:
    """An ISO 4217 code, in capitals (``eur`` is ``EUR``), or a :class:`ValueError`."""
    code = value.strip().upper() if isinstance(value, str) else value
    if not is_currency(code):
        raise ValueError(f"{value!r} is not an ISO 4217 currency code (e.g. USD, EUR, JPY)")
    return str(code)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LeadTime(_Strict):
    """A lead-time distribution in hours.

    ``fixed`` is exactly ``mean_hours``; ``exponential`` has that mean; ``gamma`` and
    ``lognormal`` have that mean and coefficient of variation ``cv``; ``uniform`` spans
    ``mean_hours × (1 ± cv·√3)`` (so ``cv`` is its coefficient of variation too).
    """

    distribution: Literal["fixed", "exponential", "gamma", "lognormal", "uniform"] = "fixed"
    mean_hours: float = Field(ge=0, le=100_000, allow_inf_nan=False)
    cv: float = Field(default=0.0, ge=0, le=10, allow_inf_nan=False)

    @model_validator(mode="after")
    def _cv_fits(self) -> LeadTime:
        if self.distribution == "uniform" and self.cv * 3**0.5 > 1:
            raise ValueError("a uniform lead time needs cv <= 0.577 (it cannot go below zero)")
        if self.distribution in ("gamma", "lognormal") and self.cv == 0:
            raise ValueError(f"a {self.distribution} lead time needs cv > 0 (or use fixed)")
        return self


class GeneratedWorld(_Strict):
    """A synthetic world from the generator (``parts-priority generate``'s arguments)."""

    orders: int = Field(default=0, ge=0, le=2_000_000)
    parts: int = Field(ge=1, le=200_000)
    depots: int = Field(ge=1, le=500)
    customers: int | None = Field(default=None, ge=1, le=1_000_000)
    coverable_share: float = Field(default=0.7, gt=0, le=1)
    seed: int = Field(default=0, ge=0)


class World(_Strict):
    """Where the world comes from: a snapshot folder (relative to the scenario file) or the
    generator. The snapshot's stock is the starting stock (and, by default, each depot's base
    stock), its orders the backlog at the start, its receipts land when they are due."""

    snapshot: str | None = None
    generate: GeneratedWorld | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> World:
        if (self.snapshot is None) == (self.generate is None):
            raise ValueError("give exactly one of 'snapshot' or 'generate'")
        return self


class DemandModel(_Strict):
    """Repair orders arriving.

    ``poisson``: a Poisson stream of ``orders_per_day`` in all, split over the world's
    customer × part mix — by default the mix of the snapshot's open orders, or a ``rates``
    CSV (columns ``customer_id, part_number, per_day`` and optionally ``product_type,
    warranty_valid, ship_to_country, quantity``), whose rates are then used as given.
    ``replay``: the orders of ``log`` (an orders CSV) arrive at their ``created_at``.
    ``backlog``: the snapshot's open orders wait for parts at the start (default); off, they
    only give the mix.
    """

    model: Literal["poisson", "replay"] = "poisson"
    backlog: bool = True
    orders_per_day: float | None = Field(default=None, gt=0, le=1_000_000, allow_inf_nan=False)
    rates: str | None = None
    log: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> DemandModel:
        if self.model == "replay":
            if self.log is None:
                raise ValueError("model 'replay' needs 'log' (an orders CSV)")
            if self.rates is not None or self.orders_per_day is not None:
                raise ValueError("model 'replay' takes only 'log'")
        else:
            if self.log is not None:
                raise ValueError("'log' belongs to model 'replay'")
            if self.rates is None and self.orders_per_day is None:
                raise ValueError("model 'poisson' needs 'orders_per_day' or a 'rates' CSV")
        return self


class Replenishment(_Strict):
    """How depots restock.

    ``base_stock``: one-for-one — each unit that leaves a depot (shipped from its shelf, or
    promised to an order from a receipt on its way) is reordered from the factory at once,
    at that depot, and lands after ``lead_time``; so on hand + on order − backorders (units
    of its receipts promised to orders) stays at the depot's level. Units bought by
    expedite, broker or an emergency channel reorder nothing. ``base_stock: world`` uses each
    depot × part's starting stock as its level; a CSV (``part_number, depot_id,
    base_stock``) sets them, and a depot that starts below its level reorders the difference
    at time 0. ``none``: only scheduled receipts. ``scheduled_receipts``: the snapshot's
    inbound table lands as due.

    ``servers``: the replenishment channel of each part has this many parallel servers (a
    repair shop, a factory line): reorders are worked on first come, first served, at most
    ``servers`` at a time, each for a time drawn from ``lead_time``; the rest queue. Default
    (none): as many as needed — every reorder's lead time is independent of the others.
    """

    policy: Literal["base_stock", "none"] = "base_stock"
    base_stock: str = "world"
    lead_time: LeadTime = LeadTime(distribution="fixed", mean_hours=336.0)
    scheduled_receipts: bool = True
    servers: int | None = Field(default=None, ge=1, le=1_000_000)


class ClassFallback(_Strict):
    """What happens to an order of one class that its depots cannot serve in time.

    An arriving order that the free supply its class may use cannot cover within
    ``allowance_hours`` (every unit at the customer by then: the units on a shelf now, or
    a receipt, expedite or broker buy that lands in time) is not queued: with ``outcome:
    lost`` the customer goes elsewhere and the order is counted lost; with ``emergency`` an
    emergency channel outside the network serves it after ``lead_time`` at ``unit_cost``
    a unit. Either way it takes no unit from a depot, so it reorders nothing — the lost-sales
    and emergency-supply models of inventory theory (Erlang's loss system for one-for-one
    base stock; Dekker, Hill and Kleijn 1998 with priority classes).
    """

    allowance_hours: float = Field(default=0.0, ge=0, le=100_000, allow_inf_nan=False)
    outcome: Literal["lost", "emergency"] = "lost"
    lead_time: LeadTime = LeadTime(distribution="fixed", mean_hours=0.0)
    unit_cost: float = Field(default=0.0, ge=0, le=1e9, allow_inf_nan=False)

    @model_validator(mode="after")
    def _emergency_terms(self) -> ClassFallback:
        extra = {"lead_time", "unit_cost"} & self.model_fields_set
        if self.outcome == "lost" and extra:
            raise ValueError(f"{' and '.join(sorted(extra))} belong to outcome 'emergency'")
        return self


class UnmetDemand(_Strict):
    """Per priority class, what happens to an order the depots cannot serve in time
    (absent: the order waits — backorders)."""

    parts_priority: ClassFallback | None = None
    standard: ClassFallback | None = None


class ExpediteBehaviour(_Strict):
    """Expedited factory deliveries: the snapshot's expedite options, per week."""

    capacity_scale: float = Field(default=1.0, ge=0, le=1_000, allow_inf_nan=False)
    lead_time_cv: float = Field(default=0.0, ge=0, le=3, allow_inf_nan=False)


class BrokerBehaviour(_Strict):
    """Broker buys: the snapshot's broker offers, per week, with their price and failure."""

    capacity_scale: float = Field(default=1.0, ge=0, le=1_000, allow_inf_nan=False)
    lead_time_cv: float = Field(default=0.0, ge=0, le=3, allow_inf_nan=False)
    price_multiplier: float = Field(default=1.0, ge=0, le=1_000, allow_inf_nan=False)
    failure_probability: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    failure_detected_after_hours: float | None = Field(
        default=None, ge=0, le=100_000, allow_inf_nan=False
    )


class SourceBehaviour(_Strict):
    """Supply options in the simulation: a snapshot option's ``capacity`` is units per
    ``capacity_period_hours`` (a week by default), renewed at each period's start."""

    capacity_period_hours: float = Field(default=168.0, gt=0, le=100_000, allow_inf_nan=False)
    expedite: ExpediteBehaviour = ExpediteBehaviour()
    broker: BrokerBehaviour = BrokerBehaviour()


class _Window(_Strict):
    name: str | None = None
    start_day: float = Field(ge=0, le=100_000, allow_inf_nan=False)
    end_day: float = Field(ge=0, le=100_000, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> Any:
        if self.end_day <= self.start_day:
            raise ValueError(f"end_day ({self.end_day}) must be after start_day ({self.start_day})")
        return self


class DepotOffline(_Window):
    """Depots cut off: their stock is unreachable and nothing ships from them."""

    kind: Literal["depot_offline"]
    depots: list[str] = Field(min_length=1)


class SupplyCut(_Window):
    """The factory loses a share of its volume (``volume_lost``: replenishment and expedite
    capacity for the parts) and its lead times stretch by ``lead_time_factor``. ``parts`` are
    part numbers or shell patterns (``HDD-*``); empty means every part."""

    kind: Literal["supply_cut"]
    parts: list[str] = Field(default_factory=list)
    volume_lost: float = Field(default=0.0, ge=0, le=1, allow_inf_nan=False)
    lead_time_factor: float = Field(default=1.0, ge=1, le=100, allow_inf_nan=False)


class DemandSurge(_Window):
    """Demand for some parts (patterns) in some countries multiplies by ``factor``."""

    kind: Literal["demand_surge"]
    parts: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    factor: float = Field(gt=0, le=1_000, allow_inf_nan=False)


class BrokerMarket(_Window):
    """The open market dries up (``capacity_factor``), fails more often
    (``failure_probability``) or gets dearer (``price_factor``)."""

    kind: Literal["broker_market"]
    parts: list[str] = Field(default_factory=list)
    capacity_factor: float = Field(default=1.0, ge=0, le=1_000, allow_inf_nan=False)
    failure_probability: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    price_factor: float = Field(default=1.0, ge=0, le=1_000, allow_inf_nan=False)


Disruption = Annotated[
    DepotOffline | SupplyCut | DemandSurge | BrokerMarket, Field(discriminator="kind")
]


class PolicySpec(_Strict):
    """The allocation policy under test.

    ``strategy``: the optimizer or a baseline. ``mode``: ``event`` re-plans the touched part
    on every arrival and receipt; ``periodic`` re-plans every ``period_hours``. ``options``:
    the policy file's ``allocation`` section (allowed sources, pre-emption, ...);
    ``entitlement``: its ``entitlement`` section.
    """

    strategy: Literal["optimal", "fifo", "tier_greedy"] = "optimal"
    mode: Literal["event", "periodic"] = "event"
    period_hours: float = Field(default=24.0, gt=0, le=10_000, allow_inf_nan=False)
    options: dict[str, Any] = Field(default_factory=dict)
    entitlement: dict[str, Any] = Field(default_factory=dict)


class Scenario(_Strict):
    """A shortage scenario: the world, what happens to it, and how to measure it."""

    version: Literal[1]
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    world: World
    start: datetime | None = None
    horizon_days: float = Field(gt=0, le=3_660, allow_inf_nan=False)
    warmup_days: float = Field(default=0.0, ge=0, le=3_660, allow_inf_nan=False)
    drain_days: float = Field(default=30.0, ge=0, le=3_660, allow_inf_nan=False)
    demand: DemandModel
    replenishment: Replenishment = Replenishment()
    unmet_demand: UnmetDemand = UnmetDemand()
    sources: SourceBehaviour = SourceBehaviour()
    repair_hours: float = Field(default=0.0, ge=0, le=10_000, allow_inf_nan=False)
    target_hours: float = Field(default=48.0, gt=0, le=100_000, allow_inf_nan=False)
    currency: str = "USD"
    disruptions: list[Disruption] = Field(default_factory=list)
    policy: PolicySpec = PolicySpec()
    replications: int = Field(default=10, ge=1, le=10_000)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)

    @field_validator("currency", mode="before")
    @classmethod
    def _iso_currency(cls, value: Any) -> Any:
        """An ISO 4217 code, in capitals (``eur`` is ``EUR``)."""
        return _currency_code(value)

    @model_validator(mode="after")
    def _one_currency(self) -> Scenario:
        """The policy's ``currency`` option is the scenario's currency, named either place.

        Named in both, they must agree: the simulator's money and the planner's are one.
        """
        named = self.policy.options.get("currency")
        if named is None:
            return self
        try:
            code = _currency_code(named)
        except ValueError as exc:
            raise ValueError(f"policy.options.currency: {exc}") from None
        if "currency" not in self.model_fields_set:
            object.__setattr__(self, "currency", code)  # frozen: set once, while validating
        elif code != self.currency:
            raise ValueError(
                f"currency ({self.currency}) and policy.options.currency ({code}) differ; "
                "name the currency once"
            )
        return self

    @model_validator(mode="after")
    def _warmup_inside(self) -> Scenario:
        if self.warmup_days >= self.horizon_days:
            raise ValueError(
                f"warmup_days ({self.warmup_days}) must be shorter than horizon_days "
                f"({self.horizon_days})"
            )
        return self
