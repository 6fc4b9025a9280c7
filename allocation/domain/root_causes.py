"""Root causes: the one stable code every unfilled or late order line carries, and what it means.

A planner reads a sentence ("the units it could use went to parts_priority orders, which rank
first"); a report, a dashboard or an order system counts codes. Every sentence the engine,
the service or the simulator writes about a short or late line maps to exactly one code of
this catalogue, and a code never changes its meaning once published: new causes get new
codes.

Codes come from three places:

- **allocation** (a plan, the service's backorders): why units are not there for the line;
- **entitlement**: the line's order lost parts priority, and its class is what kept it short
  (the allocation code it would otherwise have had is one that ranks classes);
- **supply** (the simulated world, over time): why the units that were coming came late.

``not_entitled:<rule>`` is one code per entitlement rule (``not_entitled:contract``,
``not_entitled:warranty``, ...): the rule's name is part of the code.

The catalogue is data: :data:`ROOT_CAUSES` lists every code with its origin, a title, what
it means and the action that usually removes it; ``docs``, reports and tests read it from
here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "ENTITLEMENT_RULES",
    "ROOT_CAUSES",
    "RootCause",
    "cause",
    "is_code",
    "not_entitled",
]

Origin = Literal["allocation", "entitlement", "supply"]

WHOLE_ORDER_UNAVAILABLE: Final = "whole_order_unavailable"
NO_ROUTE: Final = "no_route"
HELD_BACK_BY_PROTECTION: Final = "held_back_by_protection"
NO_STOCK_ANYWHERE: Final = "no_stock_anywhere"
SOURCE_NOT_ALLOWED_FOR_CLASS: Final = "source_not_allowed_for_class"
CAPPED_BY_FAIR_SHARE: Final = "capped_by_fair_share"
SPLIT_BY_FAIR_SHARE: Final = "split_by_fair_share"
HELD_BY_HIGHER_CLASS: Final = "held_by_higher_class"
HELD_BY_SAME_CLASS: Final = "held_by_same_class"
EXCLUDED_COUNTRY: Final = "excluded_country"
WAITING_FOR_RECEIPT: Final = "waiting_for_receipt"
SLOW_SOURCE: Final = "slow_source"
SUPPLIER_DELAY: Final = "supplier_delay"
SUPPLY_CUT: Final = "supply_cut"
DEPOT_OFFLINE: Final = "depot_offline"
BROKER_FAILED: Final = "broker_failed"

ENTITLEMENT_RULES: tuple[str, ...] = (
    "product",
    "contract",
    "coverage",
    "warranty",
    "it_helpdesk",
    "installed_base",
)
"""The entitlement rules whose failure costs an order its tier (the names
:class:`~allocation.domain.entitlement.Finding` gives them), in the order they are checked."""


@dataclass(frozen=True)
class RootCause:
    """One code of the catalogue."""

    code: str
    origin: Origin
    title: str
    meaning: str
    action: str


def not_entitled(rule: str) -> str:
    """The code of an order that lost parts priority because entitlement ``rule`` failed."""
    if rule not in ENTITLEMENT_RULES:
        raise ValueError(f"unknown entitlement rule {rule!r}; the rules: {ENTITLEMENT_RULES}")
    return f"not_entitled:{rule}"


_ENTITLEMENT_WORDS = {
    "product": ("product not covered", "the failed unit's product type is not covered"),
    "contract": (
        "no active contract",
        "no Priority Services contract for the product family was active on the order's day "
        "(none bought, expired, or not started yet)",
    ),
    "coverage": (
        "country not covered",
        "the site's country is outside the Priority Services coverage",
    ),
    "warranty": ("no valid warranty", "the unit had no valid warranty or hardware contract"),
    "it_helpdesk": ("no IT help desk", "the customer has no IT help desk"),
    "installed_base": (
        "installed base below the minimum",
        "the customer's in-warranty installed base is below its tier's minimum",
    ),
}
_ENTITLEMENT_ACTIONS = {
    "product": "check the product types ordered against the contract's coverage",
    "contract": "renew or activate the contract before its orders arrive",
    "coverage": "serve the site from a covered country or agree coverage for it",
    "warranty": "extend the units' warranty or hardware service contract",
    "it_helpdesk": "set up the IT help desk the contract requires",
    "installed_base": "bring the installed base above the tier's minimum or change tier",
}

ROOT_CAUSES: tuple[RootCause, ...] = (
    RootCause(
        WHOLE_ORDER_UNAVAILABLE,
        "allocation",
        "whole order unavailable",
        "partial fills are off and only part of the order could be had",
        "allow partial fills for the part, or raise its stock",
    ),
    RootCause(
        NO_ROUTE,
        "allocation",
        "no route",
        "no depot has a lane to the order's country",
        "add a lane from a depot to the country",
    ),
    RootCause(
        HELD_BACK_BY_PROTECTION,
        "allocation",
        "held back by protection",
        "the units it could reach are kept for parts-priority orders by a protection level",
        "review the protection level of the part at the depot",
    ),
    RootCause(
        NO_STOCK_ANYWHERE,
        "allocation",
        "no stock anywhere",
        "no stock, receipt or supply option of its part (or a substitute) could reach it",
        "raise the part's stock or add a supply option for it",
    ),
    RootCause(
        SOURCE_NOT_ALLOWED_FOR_CLASS,
        "allocation",
        "source not allowed for class",
        "the only sources are kinds its class may not use (special means are for parts priority)",
        "raise the part's stock at the order's depot",
    ),
    RootCause(
        CAPPED_BY_FAIR_SHARE,
        "allocation",
        "capped by fair share",
        "its customer, country or region has taken all a fair-share cap of the policy lets "
        "it take of the part in the period",
        "review the part's fair-share cap, or raise the part's stock",
    ),
    RootCause(
        SPLIT_BY_FAIR_SHARE,
        "allocation",
        "split by fair share",
        "its class could not be fully served with the part, and the policy's proportional "
        "split shared the units the class got among its orders in proportion to demand: "
        "it has its share",
        "raise the part's stock, or turn the split off to serve older orders first",
    ),
    RootCause(
        HELD_BY_HIGHER_CLASS,
        "allocation",
        "held by a higher class",
        "the units it could use went to a class that ranks first",
        "raise the part's stock where higher classes draw on it",
    ),
    RootCause(
        HELD_BY_SAME_CLASS,
        "allocation",
        "held by the same class",
        "the units it could use went to orders of its own class, older or served sooner",
        "raise the part's stock at the depot",
    ),
    RootCause(
        EXCLUDED_COUNTRY,
        "entitlement",
        "excluded country",
        "a Priority Management order in a country that excludes parts priority (DO, EC, GT, "
        "HN, NI, UY) waited as a standard order",
        "serve the site's parts from stock held for it, or ship to a covered site",
    ),
    *(
        RootCause(
            f"not_entitled:{rule}",
            "entitlement",
            _ENTITLEMENT_WORDS[rule][0],
            f"a Priority Management customer's order waited as a standard order: "
            f"{_ENTITLEMENT_WORDS[rule][1]}",
            _ENTITLEMENT_ACTIONS[rule],
        )
        for rule in ENTITLEMENT_RULES
    ),
    RootCause(
        WAITING_FOR_RECEIPT,
        "supply",
        "waiting for a receipt",
        "its units come from a receipt (a scheduled delivery or a replenishment) that has not "
        "landed yet",
        "raise the part's base stock or shorten its replenishment lead time",
    ),
    RootCause(
        SLOW_SOURCE,
        "supply",
        "slow source",
        "its units were found at once, but the source's lead time (a lane from a far depot, "
        "an expedited delivery or a broker buy) passed the downtime target",
        "hold stock of the part nearer the site",
    ),
    RootCause(
        SUPPLIER_DELAY,
        "supply",
        "supplier delay",
        "the replenishment it waited for came late: a supplier's lead time was stretched",
        "expedite open replenishments or add a second supplier",
    ),
    RootCause(
        SUPPLY_CUT,
        "supply",
        "supply cut",
        "the supplier of its part was cut off or its capacity cut while it waited",
        "qualify a second source for the part",
    ),
    RootCause(
        DEPOT_OFFLINE,
        "supply",
        "depot offline",
        "its home depot was offline (its stock unreachable) while it waited",
        "plan transfers from a second depot for the outage",
    ),
    RootCause(
        BROKER_FAILED,
        "supply",
        "broker failed",
        "a broker buy for it never arrived and the units had to be found again",
        "prefer more reliable brokers or expedite from the manufacturer",
    ),
)
"""Every code, grouped by origin."""

_BY_CODE = {c.code: c for c in ROOT_CAUSES}


def is_code(code: str) -> bool:
    """Whether ``code`` is in the catalogue."""
    return code in _BY_CODE


def cause(code: str) -> RootCause:
    """The catalogue's entry for ``code``."""
    try:
        return _BY_CODE[code]
    except KeyError:
        raise ValueError(f"unknown root-cause code {code!r}") from None
