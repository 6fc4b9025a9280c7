"""Bulk entitlement: the priority class and tier of every order line, vectorised.

The same rules as :func:`allocation.domain.entitlement.decide_entitlement`, computed with
pandas over whole tables so that a million order lines take a second, not a minute. It gives
class, tier and the root-cause code of an order that lost parts priority
(:func:`~allocation.domain.entitlement.lost_priority_code`); the reasons come from the
per-order engine when someone asks. A test checks that both always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.domain.entitlement import EntitlementPolicy, check_product_types
from allocation.domain.model import PriorityClass, Tier
from allocation.domain.root_causes import ENTITLEMENT_RULES, EXCLUDED_COUNTRY, not_entitled
from allocation.domain.rulebook import Rulebook, default_rulebook
from allocation.domain.snapshot import EntitlementInputs
from allocation.engine.model._sorting import positions
from allocation.errors import InputError, UnknownIdError

__all__ = ["LOST_CODES", "Classes", "classify", "classify_orders"]

_TIERS = [Tier.STANDARD, Tier.PA, Tier.PA_PLUS, Tier.PM]
_FAMILIES = {"pc": 0, "print": 1}

LOST_CODES: tuple[str, ...] = (EXCLUDED_COUNTRY, *(not_entitled(r) for r in ENTITLEMENT_RULES))
"""Why an order lost parts priority, by code (``lost_code``; -1: it did not)."""
_LOST_NAMES = np.array([*LOST_CODES, None], dtype=object)  # -1 picks the last: None
_LOST = {code: i for i, code in enumerate(LOST_CODES)}
_EXCLUDED = _LOST[EXCLUDED_COUNTRY]
_FAILED = {rule: _LOST[not_entitled(rule)] for rule in ENTITLEMENT_RULES}


@dataclass(frozen=True)
class Classes:
    """Priority class, tier and lost-priority code of every order line, in input order.

    ``class_code`` indexes :class:`~allocation.domain.model.PriorityClass` and
    ``tier_code`` :class:`~allocation.domain.model.Tier`, in declaration order;
    ``lost_code`` indexes :data:`LOST_CODES` where the order lost parts priority (see
    :func:`~allocation.domain.entitlement.lost_priority_code`), -1 elsewhere.
    """

    class_code: npt.NDArray[np.int64]
    tier_code: npt.NDArray[np.int64]
    lost_code: npt.NDArray[np.int64]

    @classmethod
    def of_names(cls, decisions: pd.DataFrame) -> Classes:
        """The codes of a table of ``priority_class`` and ``tier`` names, and optionally
        ``lost_code`` names (blank: none), as :meth:`to_pandas` writes them or a store
        keeps them; without a ``lost_code`` column no order lost parts priority."""
        class_code = pd.Index([c.value for c in PriorityClass]).get_indexer(
            pd.Index(decisions["priority_class"])
        )
        tier_code = pd.Index([t.value for t in Tier]).get_indexer(pd.Index(decisions["tier"]))
        if (class_code < 0).any() or (tier_code < 0).any():
            raise InputError("unknown priority class or tier in a table of decisions")
        lost_code = np.full(len(decisions), -1, dtype=np.int64)
        if "lost_code" in decisions.columns:
            names = decisions["lost_code"].to_numpy(dtype=object)
            given = ~pd.isna(names) & (names != "")
            lost_code[given] = pd.Index(LOST_CODES).get_indexer(pd.Index(names[given]))
            if (lost_code < -1).any() or (lost_code[given] < 0).any():
                unknown = sorted({str(v) for v in names[given][lost_code[given] < 0]})
                raise InputError(
                    f"unknown lost_code {unknown[0]!r} in a table of decisions; "
                    f"the codes: {', '.join(LOST_CODES)}"
                )
        return cls(class_code.astype(np.int64), tier_code.astype(np.int64), lost_code)

    def lost_names(self) -> npt.NDArray[np.object_]:
        """Each order's lost-priority code by name (None where it kept it or had none)."""
        names: npt.NDArray[np.object_] = _LOST_NAMES[self.lost_code]
        return names

    def to_pandas(self, order_id: npt.NDArray[np.object_]) -> pd.DataFrame:
        """``order_id``, ``priority_class``, ``tier`` and ``lost_code`` by name (``lost_code``
        None where the order did not lose parts priority)."""
        classes = np.array([c.value for c in PriorityClass], dtype=object)
        tiers = np.array([t.value for t in Tier], dtype=object)
        return pd.DataFrame(
            {
                "order_id": np.asarray(order_id, dtype=object),
                "priority_class": classes[self.class_code],
                "tier": tiers[self.tier_code],
                "lost_code": pd.Series(self.lost_names(), dtype=object),  # None: no code
            }
        )


def classify_orders(
    inputs: EntitlementInputs,
    on: date | None = None,
    policy: EntitlementPolicy | None = None,
    rulebook: Rulebook | None = None,
) -> pd.DataFrame:
    """``order_id``, ``priority_class``, ``tier`` and ``lost_code`` (see :class:`Classes`)
    of every order line, in input order."""
    classes = classify(inputs, on, policy, rulebook)
    return classes.to_pandas(inputs.orders["order_id"].to_numpy(dtype=object))


def classify(
    inputs: EntitlementInputs,
    on: date | None = None,
    policy: EntitlementPolicy | None = None,
    rulebook: Rulebook | None = None,
) -> Classes:
    """Class, tier and lost-priority codes of every order line, in input order."""
    book = rulebook or default_rulebook()
    pol = policy or EntitlementPolicy()
    orders, customers, contracts = inputs.orders, inputs.customers, inputs.contracts
    n = len(orders)
    cust = positions(orders["customer_id"], customers["customer_id"])
    cust_country = customers["country"].to_numpy(dtype=object)[cust]
    ship = orders["ship_to_country"].to_numpy(dtype=object)
    country = (
        np.where(pd.isna(ship), cust_country, ship)
        if pol.site_country == "ship_to"
        else cust_country
    )
    day = (
        np.full(n, np.datetime64(on, "ns"))
        if on is not None
        else orders["created_at"].to_numpy().astype("datetime64[D]").astype("datetime64[ns]")
    )
    # Distinct values are few: decide per value, then spread over the rows.
    country_code, countries = pd.factorize(country)
    covered = np.isin(np.asarray(countries, dtype=object), list(book.covered_countries))[
        country_code
    ]
    excluded = np.isin(np.asarray(countries, dtype=object), list(book.parts_priority_excluded))[
        country_code
    ]
    product_code, products = pd.factorize(orders["product_type"].to_numpy(dtype=object))
    unknown = [str(p) for p in products if not book.knows_product_type(str(p))]
    if unknown and pol.unknown_product_types == "refuse":
        bad = np.isin(orders["product_type"].to_numpy(dtype=object), unknown)
        check_product_types(
            zip(
                orders["order_id"].to_numpy(dtype=object)[bad].tolist(),
                orders["product_type"].to_numpy(dtype=object)[bad].tolist(),
                strict=True,
            ),
            pol,
            book,
        )
    families = np.array(
        [
            _FAMILIES.get(book.product_types[p].value, -1) if p in book.product_types else -1
            for p in products
        ]
        + [-1],
        dtype=np.int64,
    )
    family = families[product_code]
    helpdesk = customers["has_it_helpdesk"].to_numpy(dtype=bool)[cust]
    if not pol.require_it_helpdesk:
        helpdesk = np.ones(n, dtype=bool)
    pcs = customers["installed_base_pcs"].to_numpy(dtype=np.int64)[cust]
    printers = customers["installed_base_printers"].to_numpy(dtype=np.int64)[cust]
    meets = _meets_minimum(pcs, printers, pol, book)
    considered, active, base_ok = _applicable_contract(
        cust, customers, contracts, family, day, pol, book, meets
    )
    rank = np.where(active, considered, 0)
    warranty = orders["warranty_valid"].to_numpy(dtype=bool)
    entitled = (rank > 0) & (family >= 0) & covered & warranty & helpdesk & base_ok
    tier_rank = np.where(entitled, rank, 0)
    with_pp = np.array([book.tiers[t].parts_priority for t in _TIERS])
    parts_priority = with_pp[tier_rank] & ~excluded & entitled
    tier_code = np.array([list(Tier).index(t) for t in _TIERS], dtype=np.int64)[tier_rank]
    class_code = np.where(
        parts_priority, PriorityClass.PARTS_PRIORITY.code, PriorityClass.STANDARD.code
    ).astype(np.int64)
    # Lost parts priority: the contract considered is PM, the class standard; the code is
    # the first rule that failed, in the order the per-order engine checks them.
    lost = (considered == Tier.PM.rank) & ~parts_priority
    first_failed = np.select(
        [
            family < 0,
            ~active,
            ~covered,
            ~warranty,
            ~helpdesk,
            ~base_ok,
            excluded & with_pp[Tier.PM.rank],
        ],
        [
            _FAILED["product"],
            _FAILED["contract"],
            _FAILED["coverage"],
            _FAILED["warranty"],
            _FAILED["it_helpdesk"],
            _FAILED["installed_base"],
            _EXCLUDED,
        ],
        -1,
    )
    lost_code = np.where(lost, first_failed, -1).astype(np.int64)
    return Classes(class_code=class_code, tier_code=tier_code, lost_code=lost_code)


def _meets_minimum(
    pcs: np.ndarray, printers: np.ndarray, policy: EntitlementPolicy, book: Rulebook
) -> np.ndarray:
    """``meets[row, rank]``: the order's customer meets tier ``rank``'s installed-base minimum."""
    meets = np.ones((len(pcs), len(_TIERS)), dtype=bool)
    if not policy.enforce_installed_base:
        return meets
    for tier in _TIERS[1:]:
        rule = book.tiers[tier]
        counting = (
            policy.pa_plus_installed_base_counts
            if tier is Tier.PA_PLUS
            else rule.installed_base_counts
        )
        base = pcs + printers if counting == "pcs_and_printers" else pcs
        meets[:, tier.rank] = base >= rule.minimum_installed_base
    return meets


def _applicable_contract(
    cust: np.ndarray,
    customers: pd.DataFrame,
    contracts: pd.DataFrame,
    family: np.ndarray,
    day: np.ndarray,
    policy: EntitlementPolicy,
    book: Rulebook,
    meets: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The contract the per-order engine considers for each order, as its tier rank.

    For a covered product: among the customer's contracts of its family, those active on
    the order's day if any (else all of them), those whose installed-base minimum the
    customer meets first, then the best tier. For an uncovered product (family -1) the
    per-order engine names the best tier active on the day, of any family; only whether
    that is PM matters here (nothing is entitled), so it is PM or 0. Returns that tier
    rank (0: no contract), whether it is active, and whether its minimum is met (True
    where none is active).
    """
    n = len(cust)
    considered = np.zeros(n, dtype=np.int64)
    active = np.zeros(n, dtype=bool)
    base_ok = np.ones(n, dtype=bool)
    if len(contracts) == 0:
        return considered, active, base_ok
    k = _contract_columns(customers, contracts, policy, book)
    # Covered products: every (order, contract of its customer and family) pair.
    buckets = 2 * len(customers)
    rows, pick = _pairs(
        np.where(family >= 0, cust * 2 + family, buckets + 1),
        np.where(k.customer >= 0, k.customer * 2 + k.family, buckets),
        buckets + 2,
    )
    if len(rows):
        ranks = k.rank[pick]
        on_day = (k.start[pick] <= day[rows]) & (day[rows] < k.end[pick])
        # One key orders the pool as the per-order engine does: active, minimum met, tier.
        key = on_day.astype(np.int64) * 100 + meets[rows, ranks].astype(np.int64) * 10 + ranks
        first = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        best = np.maximum.reduceat(key, first)
        at = rows[first]
        considered[at] = best % 10
        active[at] = best >= 100
        base_ok[at] = (best < 100) | (best // 10 % 10 == 1)
    uncovered = family < 0
    if uncovered.any():
        # Only the best tier matters, so only whether a PM contract is active.
        pm = k.rank == Tier.PM.rank
        customers_n = len(customers)
        rows, pick = _pairs(
            np.where(uncovered, cust, customers_n + 1),
            np.where(pm & (k.customer >= 0), k.customer, customers_n),
            customers_n + 2,
        )
        hit = rows[(k.start[pick] <= day[rows]) & (day[rows] < k.end[pick])]
        considered[hit] = Tier.PM.rank
    return considered, active, base_ok


@dataclass(frozen=True)
class _ContractColumns:
    """Contracts as arrays: customer position (-1: unknown), family, tier rank, window."""

    customer: npt.NDArray[np.int64]
    family: npt.NDArray[np.int64]
    rank: npt.NDArray[np.int64]
    start: npt.NDArray[np.datetime64]
    end: npt.NDArray[np.datetime64]


def _contract_columns(
    customers: pd.DataFrame, contracts: pd.DataFrame, policy: EntitlementPolicy, book: Rulebook
) -> _ContractColumns:
    sku_code, names = pd.factorize(contracts["sku"].str.upper())
    unknown = [str(s) for s in names if s not in book.skus]
    if unknown:
        bad = contracts["sku"].str.upper().isin(unknown).to_numpy()
        raise UnknownIdError(
            f"contract {contracts['contract_id'].to_numpy(dtype=object)[bad][0]!r}: unknown SKU "
            f"{contracts['sku'].to_numpy(dtype=object)[bad][0]!r}"
        )
    skus = [book.skus[str(s)] for s in names]
    term = np.array([s.term_years for s in skus], dtype=np.int64)[sku_code]
    start_days = (
        policy.start_days_after_purchase
        if policy.start_days_after_purchase is not None
        else book.start_days_after_purchase
    )
    start = contracts["activation_date"].where(
        contracts["activation_date"].notna(),
        contracts["purchase_date"] + pd.Timedelta(days=start_days),
    )
    end = start.copy()
    for years in np.unique(term):
        mask = term == years
        # DateOffset rolls 29 February to 28 February, like the per-order engine.
        end[mask] = start[mask] + pd.DateOffset(years=int(years))
    return _ContractColumns(
        customer=pd.Index(customers["customer_id"])
        .get_indexer(contracts["customer_id"])
        .astype(np.int64),
        family=np.array([_FAMILIES[s.family.value] for s in skus], dtype=np.int64)[sku_code],
        rank=np.array([s.tier.rank for s in skus], dtype=np.int64)[sku_code],
        start=start.to_numpy(dtype="datetime64[ns]"),
        end=end.to_numpy(dtype="datetime64[ns]"),
    )


def _pairs(
    order_bucket: npt.NDArray[np.int64], contract_bucket: npt.NDArray[np.int64], buckets: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Every (order row, contract row) pair in the same bucket, grouped by order row in row
    order: an inner join on small integer keys, without sorting the orders."""
    order = np.argsort(contract_bucket, kind="stable")
    counts = np.bincount(contract_bucket, minlength=buckets)
    first = np.cumsum(counts) - counts
    count = counts[order_bucket]
    rows = np.repeat(np.arange(len(order_bucket), dtype=np.int64), count)
    offset = np.arange(len(rows), dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
    pick = order[np.repeat(first[order_bucket], count) + offset]
    return rows, pick.astype(np.int64)
