"""Bulk entitlement: the priority class and tier of every order line, vectorised.

The same rules as :func:`allocation.domain.entitlement.decide_entitlement`, computed with
pandas over whole tables so that a million order lines take a second, not a minute. It gives
class and tier only; the reasons come from the per-order engine when someone asks. A test
checks that both always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.domain.entitlement import EntitlementPolicy, check_product_types
from allocation.domain.model import PriorityClass, Tier
from allocation.domain.rulebook import Rulebook, default_rulebook
from allocation.domain.snapshot import EntitlementInputs
from allocation.engine.model._sorting import positions
from allocation.errors import InputError

__all__ = ["Classes", "classify", "classify_orders"]

_TIERS = [Tier.STANDARD, Tier.PA, Tier.PA_PLUS, Tier.PM]
_FAMILIES = {"pc": 0, "print": 1}


@dataclass(frozen=True)
class Classes:
    """Priority class and tier of every order line, as codes in input order.

    ``class_code`` indexes :class:`~allocation.domain.model.PriorityClass` and
    ``tier_code`` :class:`~allocation.domain.model.Tier`, in declaration order.
    """

    class_code: npt.NDArray[np.int64]
    tier_code: npt.NDArray[np.int64]

    @classmethod
    def of_names(cls, decisions: pd.DataFrame) -> Classes:
        """The codes of a table of ``priority_class`` and ``tier`` names (as
        :meth:`to_pandas` writes them, or a store keeps them)."""
        class_code = pd.Index([c.value for c in PriorityClass]).get_indexer(
            pd.Index(decisions["priority_class"])
        )
        tier_code = pd.Index([t.value for t in Tier]).get_indexer(pd.Index(decisions["tier"]))
        if (class_code < 0).any() or (tier_code < 0).any():
            raise InputError("unknown priority class or tier in a table of decisions")
        return cls(class_code.astype(np.int64), tier_code.astype(np.int64))

    def to_pandas(self, order_id: npt.NDArray[np.object_]) -> pd.DataFrame:
        """``order_id``, ``priority_class`` and ``tier`` by name."""
        classes = np.array([c.value for c in PriorityClass], dtype=object)
        tiers = np.array([t.value for t in Tier], dtype=object)
        return pd.DataFrame(
            {
                "order_id": np.asarray(order_id, dtype=object),
                "priority_class": classes[self.class_code],
                "tier": tiers[self.tier_code],
            }
        )


def classify_orders(
    inputs: EntitlementInputs,
    on: date | None = None,
    policy: EntitlementPolicy | None = None,
    rulebook: Rulebook | None = None,
) -> pd.DataFrame:
    """``order_id``, ``priority_class`` and ``tier`` of every order line, in input order."""
    classes = classify(inputs, on, policy, rulebook)
    return classes.to_pandas(inputs.orders["order_id"].to_numpy(dtype=object))


def classify(
    inputs: EntitlementInputs,
    on: date | None = None,
    policy: EntitlementPolicy | None = None,
    rulebook: Rulebook | None = None,
) -> Classes:
    """Class and tier codes of every order line, in input order."""
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
    rank, base_ok = _best_active_rank(cust, customers, contracts, family, day, pol, book, meets)
    entitled = (
        (rank > 0)
        & (family >= 0)
        & covered
        & orders["warranty_valid"].to_numpy(dtype=bool)
        & helpdesk
        & base_ok
    )
    tier_rank = np.where(entitled, rank, 0)
    with_pp = np.array([book.tiers[t].parts_priority for t in _TIERS])
    parts_priority = with_pp[tier_rank] & ~excluded & entitled
    tier_code = np.array([list(Tier).index(t) for t in _TIERS], dtype=np.int64)[tier_rank]
    class_code = np.where(
        parts_priority, PriorityClass.PARTS_PRIORITY.code, PriorityClass.STANDARD.code
    ).astype(np.int64)
    return Classes(class_code=class_code, tier_code=tier_code)


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


def _best_active_rank(
    cust: np.ndarray,
    customers: pd.DataFrame,
    contracts: pd.DataFrame,
    family: np.ndarray,
    day: np.ndarray,
    policy: EntitlementPolicy,
    book: Rulebook,
    meets: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The contract that applies to each order, as the per-order engine picks it.

    Among contracts active on the order's day for its family: those whose installed-base
    minimum the customer meets first, then the best tier. Returns its tier rank (0: none)
    and whether the minimum is met.
    """
    n = len(cust)
    best = np.zeros(n, dtype=np.int64)
    base_ok = np.ones(n, dtype=bool)
    if len(contracts) == 0:
        return best, base_ok
    skus = contracts["sku"].str.upper().map(book.skus)
    k = pd.DataFrame(
        {
            "customer": pd.Index(customers["customer_id"]).get_indexer(contracts["customer_id"]),
            "family": skus.map(lambda s: _FAMILIES[s.family.value]).to_numpy(dtype=np.int64),
            "rank": skus.map(lambda s: s.tier.rank).to_numpy(dtype=np.int64),
            "term": skus.map(lambda s: s.term_years).to_numpy(dtype=np.int64),
        }
    )
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
    for term in np.unique(k["term"]):
        mask = (k["term"] == term).to_numpy()
        # DateOffset rolls 29 February to 28 February, like the per-order engine.
        end[mask] = start[mask] + pd.DateOffset(years=int(term))
    k["start"] = start.to_numpy(dtype="datetime64[ns]")
    k["end"] = end.to_numpy(dtype="datetime64[ns]")
    left = pd.DataFrame({"row": np.arange(n), "customer": cust, "family": family, "day": day})
    left = left[left["family"] >= 0]
    joined = left.merge(k, on=["customer", "family"], how="inner")
    active = (joined["start"] <= joined["day"]) & (joined["day"] < joined["end"])
    hits = joined.loc[active, ["row", "rank"]]
    if len(hits):
        rows = hits["row"].to_numpy(dtype=np.int64)
        ranks = hits["rank"].to_numpy(dtype=np.int64)
        key = meets[rows, ranks].astype(np.int64) * 10 + ranks
        top = pd.Series(key).groupby(rows).max()
        at = top.index.to_numpy(dtype=np.int64)
        best[at] = top.to_numpy() % 10
        base_ok[at] = top.to_numpy() >= 10
    return best, base_ok
