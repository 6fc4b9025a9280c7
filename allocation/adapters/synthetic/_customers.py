"""Customers and their contracts: an installed base where most customers have no contract.

Entitlement hinges on tier, installed base, country and a contract's dates, so the worlds
reproduce the mix a real service business sees: mostly standard customers, a minority holding
Priority Management, a few just below a tier's minimum base, some outside the coverage or in
an excluded country, a few contracts expired or not yet active. Tiers and countries are dealt
in exact quotas, so even a small world shows every case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from allocation.adapters.synthetic._common import (
    WINDOW_DAYS,
    BoolArray,
    FloatArray,
    IntArray,
    ObjArray,
    sequential_ids,
)
from allocation.adapters.synthetic._geography import Geography
from allocation.domain.rulebook import Rulebook

_UNCOVERED_SHARE = 0.05
_EXCLUDED_SHARE = 0.03
_TIER_MIX = {"standard": 0.55, "PA": 0.20, "PA+": 0.12, "PM": 0.13}
# Installed base per tier: median, log-spread, the minimum most customers meet, and the band
# just below it where a few customers fall.
_BASE = {
    "standard": (120.0, 1.2, 1, (1, 1)),
    "PA": (700.0, 0.8, 250, (180, 249)),
    "PA+": (2500.0, 0.8, 1000, (850, 999)),
    "PM": (5000.0, 0.9, 1000, (850, 999)),
}
_TERM_WEIGHTS = {1: 0.30, 3: 0.40, 4: 0.10, 5: 0.20}
_NAME_A = (
    "Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware", "Adatum", "Proseware", "Wingtip",
    "Lucerne", "Fourth", "Coho", "Alpine", "Blue Yonder", "Trey", "Margie", "Humongous",
)  # fmt: skip
_NAME_B = (
    "Logistics", "Health", "Bank", "Insurance", "Retail", "Energy", "Manufacturing", "Airlines",
    "Foods", "Telecom", "Motors", "Pharma", "Engineering", "Media", "Hotels", "Systems",
)  # fmt: skip
_SUFFIX = {"US": "Inc.", "DE": "GmbH", "GB": "Ltd", "FR": "SA", "JP": "K.K.", "CN": "Co., Ltd."}


@dataclass(frozen=True)
class Customers:
    """The customer table and what orders need to know of each customer."""

    table: pd.DataFrame
    tier: ObjArray
    print_contract: BoolArray  # the primary contract covers printers
    order_weight: FloatArray
    print_share: FloatArray
    is_global: BoolArray


def draw_customers(rng: np.random.Generator, n: int, geo: Geography) -> Customers:
    """Customers by tier quota, each with a country, a name and an installed base."""
    tiers = np.array(list(_TIER_MIX), dtype=object)
    tier = tiers[_quota(rng, n, np.array(list(_TIER_MIX.values())))]
    country = _customer_countries(rng, n, tier, geo)
    holder = tier != "standard"
    print_contract = holder & (rng.random(n) < 0.2)
    total = np.zeros(n, dtype=np.int64)
    for name, (median, sigma, floor, (low, high)) in _BASE.items():
        mask = tier == name
        drawn = np.maximum(floor, np.rint(rng.lognormal(np.log(median), sigma, mask.sum())))
        below = rng.random(mask.sum()) < 0.08
        drawn = np.where(below & (high > 1), rng.integers(low, high + 1, mask.sum()), drawn)
        total[mask] = np.minimum(drawn, 500_000).astype(np.int64)
    share = np.where(print_contract, rng.beta(3, 7, n), rng.beta(1.5, 12, n))
    printers = np.rint(total * share).astype(np.int64)
    helpdesk = np.where(holder, rng.random(n) < 0.96, rng.random(n) < 0.55)
    table = pd.DataFrame(
        {
            "customer_id": sequential_ids("C-", n, 6),
            "name": _company_names(rng, country),
            "country": country,
            "installed_base_pcs": total - printers,
            "installed_base_printers": printers,
            "has_it_helpdesk": helpdesk,
        }
    )
    return Customers(
        table=table,
        tier=tier,
        print_contract=print_contract,
        order_weight=np.maximum(total, 1).astype(np.float64) ** 0.8,
        print_share=printers / np.maximum(total, 1),
        is_global=rng.random(n) < np.where(holder, 0.2, 0.08),
    )


def _quota(rng: np.random.Generator, n: int, shares: FloatArray) -> IntArray:
    """Category of each of ``n`` items, in exact largest-remainder proportions, shuffled.

    Exact quotas keep small worlds representative (a 100-customer world still has its PM and
    its excluded-country customers), which independent draws would not guarantee.
    """
    exact = shares / shares.sum() * n
    counts = np.floor(exact).astype(np.int64)
    counts[np.argsort(-(exact - counts), kind="stable")[: n - int(counts.sum())]] += 1
    return rng.permutation(np.repeat(np.arange(len(shares), dtype=np.int64), counts))


def _customer_countries(
    rng: np.random.Generator, n: int, tier: ObjArray, geo: Geography
) -> ObjArray:
    """~5% outside the coverage, ~3% in the excluded countries, the rest by market size.

    One PM customer is moved into an excluded country when none landed there, so that every
    world of some size shows the "PM without parts priority" case.
    """
    shares = [1 - _UNCOVERED_SHARE - _EXCLUDED_SHARE, _UNCOVERED_SHARE, _EXCLUDED_SHARE]
    kind = _quota(rng, n, np.array(shares))
    country = geo.draw(rng, n)
    country[kind == 1] = rng.choice(geo.uncovered, int((kind == 1).sum()))
    country[kind == 2] = rng.choice(geo.excluded, int((kind == 2).sum()))
    in_excluded = kind == 2
    pm = tier == "PM"
    if in_excluded.any() and pm.any() and not (pm & in_excluded).any():
        a, b = np.flatnonzero(pm)[0], np.flatnonzero(in_excluded)[0]
        country[a], country[b] = country[b], country[a]
    return country


def _company_names(rng: np.random.Generator, country: ObjArray) -> ObjArray:
    n = len(country)
    a = np.array(_NAME_A, dtype=object)[rng.integers(0, len(_NAME_A), n)]
    b = np.array(_NAME_B, dtype=object)[rng.integers(0, len(_NAME_B), n)]
    suffix = pd.Series(country).map(_SUFFIX).fillna("Group").to_numpy(dtype=object)
    return np.asarray(a + " " + b + " " + suffix, dtype=object)


def draw_contracts(
    rng: np.random.Generator, cust: Customers, book: Rulebook, now: datetime
) -> pd.DataFrame:
    """A contract per holder, some holding both families, some with an expired earlier one.

    Status 0 is active through the whole order window, 1 expired before it, 2 starts after
    ``now``; the service start is the activation date, or purchase + the rulebook's days.
    """
    holders = np.flatnonzero(cust.tier != "standard")
    both = holders[rng.random(len(holders)) < 0.12]
    renewed = holders[rng.random(len(holders)) < 0.06]
    customer = np.concatenate([holders, both, renewed])
    is_print = np.concatenate(
        [cust.print_contract[holders], ~cust.print_contract[both], cust.print_contract[renewed]]
    )
    status = np.concatenate(
        [
            rng.choice(3, len(holders), p=[0.93, 0.04, 0.03]),
            np.zeros(len(both), dtype=np.int64),
            np.ones(len(renewed), dtype=np.int64),
        ]
    )
    sku, term = _skus(rng, cust.tier[customer], is_print, book)
    n = len(customer)
    begin = np.where(
        status == 0,
        -rng.integers(31, np.maximum(term * 365 - 30, 32)),
        np.where(
            status == 1, -WINDOW_DAYS - term * 366 - rng.integers(1, 400, n), rng.integers(1, 25, n)
        ),
    )
    explicit = rng.random(n) < 0.6
    purchase = np.where(
        explicit, begin - rng.integers(0, 31, n), begin - book.start_days_after_purchase
    )
    day = np.datetime64(now.date(), "D")
    order = np.lexsort((purchase, customer))
    activation = (day + begin.astype("timedelta64[D]")).astype("datetime64[ns]")
    activation[~explicit] = np.datetime64("NaT")
    return pd.DataFrame(
        {
            "contract_id": sequential_ids("K-", n, 6),
            "customer_id": cust.table["customer_id"].to_numpy(dtype=object)[customer[order]],
            "sku": sku[order],
            "purchase_date": (day + purchase.astype("timedelta64[D]")).astype("datetime64[ns]")[
                order
            ],
            "activation_date": activation[order],
            # Blank: each contract covers its customer's whole installed base of its family.
            "covered_units": pd.Series([None] * n, dtype=object),
        }
    )


def _skus(
    rng: np.random.Generator, tier: ObjArray, is_print: BoolArray, book: Rulebook
) -> tuple[ObjArray, IntArray]:
    """A SKU of the right tier and family for each contract, terms weighted as sold."""
    sku = np.empty(len(tier), dtype=object)
    term = np.ones(len(tier), dtype=np.int64)
    for (tier_code, family), codes in _sku_groups(book).items():
        mask = (tier == tier_code) & (is_print == (family == "print"))
        if not mask.any():
            continue
        terms = np.array([book.skus[c].term_years for c in codes], dtype=np.int64)
        weight = np.array([_TERM_WEIGHTS.get(int(t), 0.1) for t in terms])
        pick = rng.choice(len(codes), int(mask.sum()), p=weight / weight.sum())
        sku[mask] = np.array(codes, dtype=object)[pick]
        term[mask] = terms[pick]
    return sku, term


def _sku_groups(book: Rulebook) -> dict[tuple[str, str], list[str]]:
    groups: dict[tuple[str, str], list[str]] = {}
    for code in sorted(book.skus):
        s = book.skus[code]
        groups.setdefault((s.tier.value, s.family.value), []).append(code)
    return groups
