"""The entitlement engine: which priority class and tier an order line gets, and why.

Every clause of docs/explanation/rules.md that bears on an order line is one check here, and each
check leaves
a :class:`Finding` whose message a planner can read. A line is ``parts_priority`` only when an
active Priority Management contract covers its product family, every eligibility rule passes
and its site country does not exclude parts priority. The checks never short-circuit: a
decision lists every rule that failed, so fixing one problem does not reveal another later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from allocation.domain.countries import country_name
from allocation.domain.model import (
    Contract,
    Customer,
    OrderLine,
    PriorityClass,
    ProductFamily,
    Tier,
)
from allocation.domain.root_causes import ENTITLEMENT_RULES, EXCLUDED_COUNTRY, not_entitled
from allocation.domain.rulebook import Rulebook, Sku, default_rulebook
from allocation.errors import PolicyError, UnknownIdError, UnknownProductTypeError

__all__ = [
    "ContractWindow",
    "EntitlementDecision",
    "EntitlementPolicy",
    "Finding",
    "check_product_types",
    "contract_window",
    "decide_entitlement",
    "entitle_orders",
    "lost_priority_code",
    "lost_priority_words",
]

SiteCountry = Literal["ship_to", "customer"]
BaseCounting = Literal["pcs_and_printers", "pcs"]
UnknownTypes = Literal["refuse", "uncovered"]


@dataclass(frozen=True, slots=True)
class EntitlementPolicy:
    """The interpretations where the data sheet is ambiguous (docs/explanation/rules.md,
    "Interpretations").

    Parameters
    ----------
    site_country : {"ship_to", "customer"}
        Which country decides coverage and parts priority: the order's ship-to country
        (default; falls back to the customer's country when the order names none) or always
        the customer's country.
    pa_plus_installed_base_counts : {"pcs_and_printers", "pcs"}
        What counts towards Priority Access Plus's 1,000-unit minimum: the footnote's PCs and
        printers together (default) or the body text's PCs only.
    start_days_after_purchase : int, optional
        Days from purchase to the start of service when no activation date is given; ``None``
        takes the rulebook's 30 ("takes effect within 30 days after purchase").
    require_it_helpdesk : bool
        The sheet requires an IT help desk; switch off only for what-if analysis.
    enforce_installed_base : bool
        Check the installed-base minimums (default on).
    unknown_product_types : {"refuse", "uncovered"}
        A product type the rules do not know (neither covered nor named as not covered) is
        refused as an input error, with the closest known types (default: most likely a
        typo, which must not demote a Priority Management order silently); ``uncovered``
        accepts it as a type Priority Services do not cover.
    """

    site_country: SiteCountry = "ship_to"
    pa_plus_installed_base_counts: BaseCounting = "pcs_and_printers"
    start_days_after_purchase: int | None = None
    require_it_helpdesk: bool = True
    enforce_installed_base: bool = True
    unknown_product_types: UnknownTypes = "refuse"

    def __post_init__(self) -> None:
        if self.site_country not in ("ship_to", "customer"):
            raise PolicyError(
                f"entitlement.site_country must be 'ship_to' or 'customer', "
                f"got {self.site_country!r}"
            )
        if self.pa_plus_installed_base_counts not in ("pcs_and_printers", "pcs"):
            raise PolicyError(
                "entitlement.pa_plus_installed_base_counts must be 'pcs_and_printers' or 'pcs', "
                f"got {self.pa_plus_installed_base_counts!r}"
            )
        if self.unknown_product_types not in ("refuse", "uncovered"):
            raise PolicyError(
                "entitlement.unknown_product_types must be 'refuse' or 'uncovered', "
                f"got {self.unknown_product_types!r}"
            )
        for name in ("require_it_helpdesk", "enforce_installed_base"):
            value = getattr(self, name)
            if not isinstance(value, bool):
                raise PolicyError(f"entitlement.{name} must be true or false, got {value!r}")
        days = self.start_days_after_purchase
        if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 0):
            raise PolicyError(
                f"entitlement.start_days_after_purchase must be an integer >= 0, got {days!r}"
            )


@dataclass(frozen=True, slots=True)
class Finding:
    """The outcome of one rule for one order line: ``rule`` names it, ``message`` explains."""

    rule: str
    passed: bool
    message: str


@dataclass(frozen=True, slots=True)
class EntitlementDecision:
    """Priority class and tier of an order line with every rule that decided it.

    ``tier`` is the tier that applies to the line: the contract's tier when the line is
    entitled to it, ``standard`` otherwise. A Priority Management line in an excluded country
    keeps tier PM (its other features stay) but is in class ``standard``. ``contract_id`` and
    ``contract_tier`` name the contract that was considered, whether or not it was active.
    """

    order_id: str
    priority_class: PriorityClass
    tier: Tier
    country: str
    contract_id: str | None
    contract_tier: Tier | None = None
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def reasons(self) -> list[str]:
        """The findings as sentences, in the order the rules were checked."""
        return [f.message for f in self.findings]

    @property
    def failed_rules(self) -> list[str]:
        """Names of the rules that failed (empty for a fully entitled line)."""
        return [f.rule for f in self.findings if not f.passed]


@dataclass(frozen=True, slots=True)
class ContractWindow:
    """When a contract gives service: ``start <= day < end``."""

    start: date
    end: date

    def contains(self, day: date) -> bool:
        """Whether service is active on ``day``."""
        return self.start <= day < self.end


def contract_window(
    contract: Contract,
    sku: Sku,
    start_days_after_purchase: int,
) -> ContractWindow:
    """The service window of a contract (docs/explanation/rules.md, "Contract terms and start").

    Service starts at the activation date when one is given, otherwise ``start_days`` after
    purchase (the latest start the sheet promises), and ends ``term_years`` later.

    Examples
    --------
    >>> from allocation.domain.rulebook import default_rulebook
    >>> k = Contract("K1", "C1", "U7D00E", date(2025, 1, 1))
    >>> contract_window(k, default_rulebook().skus["U7D00E"], 30)
    ContractWindow(start=datetime.date(2025, 1, 31), end=datetime.date(2026, 1, 31))
    """
    start = contract.activation_date or contract.purchase_date + timedelta(
        days=start_days_after_purchase
    )
    return ContractWindow(start=start, end=_add_years(start, sku.term_years))


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


def decide_entitlement(
    order: OrderLine,
    customer: Customer,
    contracts: Sequence[Contract],
    on: date | None = None,
    policy: EntitlementPolicy | None = None,
    rulebook: Rulebook | None = None,
) -> EntitlementDecision:
    """Decide the priority class and tier of one order line, with every reason.

    Parameters
    ----------
    order : OrderLine
        The repair order line.
    customer : Customer
        The customer who placed it.
    contracts : sequence of Contract
        The customer's Priority Services contracts (others are ignored).
    on : date, optional
        The day to decide for; the order's creation day by default.
    policy : EntitlementPolicy, optional
        Interpretations of the sheet's ambiguities; the sheet's defaults when omitted.
    rulebook : Rulebook, optional
        The rules as data; the packaged data sheet when omitted.

    Returns
    -------
    EntitlementDecision

    Examples
    --------
    >>> from datetime import datetime
    >>> c = Customer("C1", "Acme", "UY", 1500, 0, True)
    >>> k = Contract("K1", "C1", "U7D00E", date(2025, 1, 1))
    >>> o = OrderLine("O1", "C1", "P1", 1, datetime(2025, 6, 1), "desktop", True)
    >>> d = decide_entitlement(o, c, [k])
    >>> d.priority_class.value, d.tier.value
    ('standard', 'PM')
    >>> d.reasons[-1]
    'no parts priority: Uruguay is excluded from parts priority'
    """
    book = rulebook or default_rulebook()
    pol = policy or EntitlementPolicy()
    check_product_types([(order.order_id, order.product_type)], pol, book)
    day = on or order.created_at.date()
    country = _site_country(order, customer, pol)
    findings: list[Finding] = []

    family = book.product_types.get(order.product_type)
    findings.append(_check_product(order.product_type, family, book))
    contract, sku, active = _check_contract(customer, contracts, family, day, pol, book, findings)
    findings.append(_check_coverage(country, book))
    findings.append(_check_warranty(order.warranty_valid))
    findings.append(_check_helpdesk(customer, pol))
    if sku is not None:
        findings.append(_check_installed_base(customer, sku.tier, pol, book))

    entitled = active and sku is not None and all(f.passed for f in findings)
    tier = sku.tier if entitled and sku is not None else Tier.STANDARD
    klass = PriorityClass.STANDARD
    if entitled and book.tiers[tier].parts_priority:
        if country in book.parts_priority_excluded:
            findings.append(
                Finding(
                    "parts_priority_excluded",
                    False,
                    f"no parts priority: {country_name(country)} is excluded from parts priority",
                )
            )
        else:
            klass = PriorityClass.PARTS_PRIORITY
            findings.append(
                Finding(
                    "parts_priority",
                    True,
                    f"parts priority: {book.tiers[tier].name} in {country_name(country)}",
                )
            )
    elif entitled:
        findings.append(
            Finding(
                "parts_priority",
                False,
                f"standard: {book.tiers[tier].name} does not include parts priority",
            )
        )
    if family is None:
        # No family's contract can cover the product; name the customer's best active one
        # all the same, so that a Priority Management customer's order lost this way is
        # counted among those that lost parts priority.
        contract, sku = _best_active_contract(customer, contracts, day, pol, book)
    return EntitlementDecision(
        order_id=order.order_id,
        priority_class=klass,
        tier=tier,
        country=country,
        contract_id=contract.contract_id if contract is not None else None,
        contract_tier=sku.tier if sku is not None else None,
        findings=tuple(findings),
    )


def lost_priority_code(decision: EntitlementDecision) -> str | None:
    """The root-cause code of an order that lost parts priority, or ``None``.

    An order *lost* parts priority when the contract that applies to it is a Priority
    Management one but its class is ``standard`` (docs/explanation/rules.md, "Parts priority": only
    entitled PM customers outside the excluded countries have it). Its code is
    ``excluded_country`` when the site's country excludes parts priority, else
    ``not_entitled:<rule>`` for the first rule that failed, in the order the rules are
    checked (:data:`~allocation.domain.root_causes.ENTITLEMENT_RULES`). A rulebook whose
    PM tier has no parts priority takes none away: ``None``.

    Examples
    --------
    >>> from datetime import datetime
    >>> c = Customer("C1", "Acme", "UY", 1500, 0, True)
    >>> k = Contract("K1", "C1", "U7D00E", date(2025, 1, 1))
    >>> o = OrderLine("O1", "C1", "P1", 1, datetime(2025, 6, 1), "desktop", True)
    >>> lost_priority_code(decide_entitlement(o, c, [k]))
    'excluded_country'
    >>> lost_priority_code(decide_entitlement(o, c, [k], on=date(2027, 6, 1)))
    'not_entitled:contract'
    """
    lost = decision.contract_tier is Tier.PM
    if not lost or decision.priority_class is not PriorityClass.STANDARD:
        return None
    failed = decision.failed_rules
    if "parts_priority_excluded" in failed:
        return EXCLUDED_COUNTRY
    for rule in failed:
        if rule in ENTITLEMENT_RULES:
            return not_entitled(rule)
    return None


def lost_priority_words(code: str, country: str, rulebook: Rulebook | None = None) -> str:
    """The entitlement sentence of a lost-priority ``code`` (see :func:`lost_priority_code`)
    for an order whose site is in ``country``.

    Where the failed rule's finding depends on the country alone (an excluded or uncovered
    country, no warranty, no help desk) the sentence is that finding's message; where it
    names a contract, a product type or an installed base, which a plan does not carry, it
    says what failed in general words. Either way one code and country give one sentence,
    whichever path decided the code.

    Examples
    --------
    >>> lost_priority_words("excluded_country", "UY")
    'no parts priority: Uruguay is excluded from parts priority'
    """
    name = country_name(country)
    if code == EXCLUDED_COUNTRY:
        return f"no parts priority: {name} is excluded from parts priority"
    pm = (rulebook or default_rulebook()).tiers[Tier.PM].name
    failed = {
        "product": "its product type is not covered by Priority Services",
        "contract": (
            f"its {pm} contract was not active on the order's day (expired or not started yet)"
        ),
        "coverage": f"{name} is outside the Priority Services coverage",
        "warranty": "the unit has no valid HP warranty or extended hardware service contract",
        "it_helpdesk": "the customer has no IT help desk",
        "installed_base": f"the customer's installed base is below the minimum that {pm} requires",
    }
    rule = code.removeprefix("not_entitled:")
    if rule == code or rule not in failed:
        raise ValueError(f"{code!r} is not a lost-priority code")
    return f"not entitled: {failed[rule]}"


def _best_active_contract(
    customer: Customer,
    contracts: Sequence[Contract],
    day: date,
    policy: EntitlementPolicy,
    book: Rulebook,
) -> tuple[Contract | None, Sku | None]:
    """The customer's best-tier contract of any family active on ``day`` (ties: the
    contract id), or nothing."""
    start_days = (
        policy.start_days_after_purchase
        if policy.start_days_after_purchase is not None
        else book.start_days_after_purchase
    )
    active = []
    for contract in contracts:
        sku = book.skus.get(contract.sku.upper())
        if contract.customer_id != customer.customer_id or sku is None:
            continue
        if contract_window(contract, sku, start_days).contains(day):
            active.append((sku.tier.rank, contract.contract_id, contract, sku))
    if not active:
        return None, None
    _, _, contract, sku = max(active, key=lambda a: (a[0], a[1]))
    return contract, sku


def entitle_orders(
    orders: Iterable[OrderLine],
    customers: Mapping[str, Customer],
    contracts: Iterable[Contract],
    on: date | None = None,
    policy: EntitlementPolicy | None = None,
    rulebook: Rulebook | None = None,
) -> list[EntitlementDecision]:
    """Decide every order line; lines with the same facts share one decision's work.

    Raises
    ------
    UnknownIdError
        When an order names a customer that is not in ``customers``.
    UnknownProductTypeError
        When orders name product types the rules do not know (every such order is named).
    """
    orders = list(orders)
    check_product_types(((o.order_id, o.product_type) for o in orders), policy, rulebook)
    by_customer: dict[str, list[Contract]] = {}
    for contract in contracts:
        by_customer.setdefault(contract.customer_id, []).append(contract)
    memo: dict[tuple[object, ...], EntitlementDecision] = {}
    decisions: list[EntitlementDecision] = []
    for order in orders:
        customer = customers.get(order.customer_id)
        if customer is None:
            raise UnknownIdError(
                f"order {order.order_id!r}: unknown customer_id {order.customer_id!r}"
            )
        day = on or order.created_at.date()
        key = (
            order.customer_id,
            order.product_type,
            order.warranty_valid,
            order.ship_to_country,
            day,
        )
        template = memo.get(key)
        if template is None:
            template = decide_entitlement(
                order, customer, by_customer.get(order.customer_id, []), day, policy, rulebook
            )
            memo[key] = template
        decisions.append(_with_order_id(template, order.order_id))
    return decisions


def _with_order_id(decision: EntitlementDecision, order_id: str) -> EntitlementDecision:
    if decision.order_id == order_id:
        return decision
    return EntitlementDecision(
        order_id=order_id,
        priority_class=decision.priority_class,
        tier=decision.tier,
        country=decision.country,
        contract_id=decision.contract_id,
        contract_tier=decision.contract_tier,
        findings=decision.findings,
    )


def _site_country(order: OrderLine, customer: Customer, policy: EntitlementPolicy) -> str:
    if policy.site_country == "ship_to" and order.ship_to_country:
        return order.ship_to_country
    return customer.country


def check_product_types(
    lines: Iterable[tuple[str, str]],
    policy: EntitlementPolicy | None = None,
    rulebook: Rulebook | None = None,
) -> None:
    """Refuse order lines whose product type the rules do not know (see
    :class:`EntitlementPolicy`); ``lines`` are (order id, product type).

    Raises
    ------
    UnknownProductTypeError
        Naming each line refused, with the closest known types.
    """
    pol = policy or EntitlementPolicy()
    if pol.unknown_product_types == "uncovered":
        return
    book = rulebook or default_rulebook()
    verdict: dict[str, bool] = {}
    unknown: list[tuple[str, str, list[str]]] = []
    total = 0
    for order_id, value in lines:
        known = verdict.get(value)
        if known is None:
            known = verdict[value] = book.knows_product_type(value)
        if not known:
            total += 1
            if len(unknown) < 20:
                unknown.append((str(order_id), value, book.product_types_like(value)))
    if unknown:
        raise UnknownProductTypeError(unknown, total)


def _check_product(product_type: str, family: ProductFamily | None, book: Rulebook) -> Finding:
    if family is ProductFamily.PC:
        return Finding("product", True, f"{product_type} is a covered PC product")
    if family is ProductFamily.PRINT:
        return Finding("product", True, f"{product_type} is a covered business-printer product")
    note = book.product_type_note(product_type)
    detail = f" ({note})" if note else ""
    return Finding(
        "product",
        False,
        f"not entitled: product type {product_type!r} is not covered by Priority Services{detail}",
    )


def _check_contract(
    customer: Customer,
    contracts: Sequence[Contract],
    family: ProductFamily | None,
    day: date,
    policy: EntitlementPolicy,
    book: Rulebook,
    findings: list[Finding],
) -> tuple[Contract | None, Sku | None, bool]:
    """Find the contract whose tier applies; append its finding; return it, its SKU and
    whether it is active on ``day``."""
    start_days = (
        policy.start_days_after_purchase
        if policy.start_days_after_purchase is not None
        else book.start_days_after_purchase
    )
    if family is None:
        return None, None, False
    candidates: list[tuple[Contract, Sku, ContractWindow]] = []
    for contract in contracts:
        if contract.customer_id != customer.customer_id:
            continue
        sku = book.skus.get(contract.sku.upper())
        if sku is None:
            raise UnknownIdError(f"contract {contract.contract_id!r}: unknown SKU {contract.sku!r}")
        if sku.family is family:
            candidates.append((contract, sku, contract_window(contract, sku, start_days)))
    family_words = "PC units" if family is ProductFamily.PC else "business printers"
    if not candidates:
        findings.append(
            Finding(
                "contract",
                False,
                f"not entitled: no Priority Services contract covers {family_words}",
            )
        )
        return None, None, False
    active = [c for c in candidates if c[2].contains(day)]
    pool = active or candidates
    # Best tier whose installed-base minimum the customer meets (a PM contract the customer is
    # too small for must not hide a PA one it qualifies for), then the best tier; among equals
    # the latest start, then the contract id for determinism.
    contract, sku, window = max(
        pool,
        key=lambda c: (
            _check_installed_base(customer, c[1].tier, policy, book).passed,
            c[1].tier.rank,
            c[2].start,
            c[0].contract_id,
        ),
    )
    label = (
        f"contract {contract.contract_id} ({sku.code}, {book.tiers[sku.tier].name} for "
        f"{family_words}, {sku.term_years} year{'s' if sku.term_years > 1 else ''})"
    )
    if active:
        findings.append(
            Finding(
                "contract",
                True,
                f"{label} is active from {window.start.isoformat()} until {window.end.isoformat()}",
            )
        )
        return contract, sku, True
    if day < window.start:
        message = (
            f"not entitled: {label} starts on {window.start.isoformat()}, after {day.isoformat()}"
        )
    else:
        message = f"not entitled: {label} expired on {window.end.isoformat()}"
    findings.append(Finding("contract", False, message))
    return contract, sku, False


def _check_coverage(country: str, book: Rulebook) -> Finding:
    name = country_name(country)
    region = book.region_of(country)
    if region is None:
        return Finding(
            "coverage",
            False,
            f"not entitled: {name} is outside the Priority Services coverage",
        )
    return Finding("coverage", True, f"{name} is covered ({region})")


def _check_warranty(warranty_valid: bool) -> Finding:
    if warranty_valid:
        return Finding("warranty", True, "the unit has a valid warranty or hardware contract")
    return Finding(
        "warranty",
        False,
        "not entitled: the unit has no valid HP warranty or extended hardware service contract",
    )


def _check_helpdesk(customer: Customer, policy: EntitlementPolicy) -> Finding:
    if customer.has_it_helpdesk or not policy.require_it_helpdesk:
        return Finding("it_helpdesk", True, "the customer has an IT help desk")
    return Finding("it_helpdesk", False, "not entitled: the customer has no IT help desk")


def _check_installed_base(
    customer: Customer, tier: Tier, policy: EntitlementPolicy, book: Rulebook
) -> Finding:
    rule = book.tiers[tier]
    counting = rule.installed_base_counts
    if tier is Tier.PA_PLUS:
        counting = policy.pa_plus_installed_base_counts
    base = customer.installed_base_pcs
    what = "PC units"
    if counting == "pcs_and_printers":
        base += customer.installed_base_printers
        what = "PCs and business printers"
    minimum = rule.minimum_installed_base
    if base >= minimum or not policy.enforce_installed_base:
        return Finding(
            "installed_base",
            True,
            f"installed base {base:,} ({what}) meets the {minimum:,} that {rule.name} requires",
        )
    return Finding(
        "installed_base",
        False,
        f"not entitled: installed base {base:,} is below the {minimum:,} that {rule.name} "
        f"requires ({what})",
    )
