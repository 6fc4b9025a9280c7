"""Synthetic worlds: every input table of the engine, generated at any size from one seed.

Benchmarks, demos and tests need worlds that look like a real service business without real
customer data: an installed base where most customers have no contract and a minority hold
Priority Management, part demand where a few hot parts carry most of the units, too little
supply for exactly those parts, depots in the big markets and lanes that reach every site. The
generator is vectorised NumPy/pandas (a million orders take seconds), draws every number from
``numpy.random.default_rng`` streams spawned from one seed (same arguments, same tables), and
reads the SKUs and the country coverage from the rulebook, so a change of the data sheet
changes the worlds too.

The tables pass the column specs in :mod:`allocation.adapters.schemas`; :func:`write_world`
stores them as CSV or Parquet, one file per table, each written atomically.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.domain.rulebook import Rulebook, default_rulebook
from allocation.errors import InputError

__all__ = ["TABLE_NAMES", "generate_world", "write_world"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjArray = npt.NDArray[np.object_]

TABLE_NAMES = (
    "customers",
    "contracts",
    "orders",
    "parts",
    "depots",
    "stock",
    "inbound",
    "lanes",
    "supply_options",
)
DEFAULT_START = datetime(2026, 11, 1)
WINDOW_DAYS = 30

# Relative size of a market (customers, orders, depots); covered countries not named weigh 1.
_MARKET_WEIGHTS = {
    "US": 24.0, "CN": 9.0, "DE": 9.0, "GB": 8.0, "JP": 8.0, "FR": 7.0, "IN": 6.0, "BR": 5.0,
    "CA": 4.0, "IT": 4.0, "ES": 4.0, "AU": 4.0, "MX": 4.0, "NL": 3.0, "KR": 3.0, "CH": 2.0,
    "SE": 2.0, "PL": 2.0, "TR": 2.0, "SG": 2.0, "TW": 2.0, "AE": 2.0, "SA": 2.0, "ZA": 2.0,
    "AT": 2.0, "BE": 2.0,
}  # fmt: skip
# Countries outside the coverage where customers still have sites, each with a covered
# neighbour whose region decides lane distances.
_UNCOVERED = {
    "VN": "TH", "PK": "IN", "BD": "IN", "LK": "IN", "KZ": "RU", "UA": "PL", "RO": "HU",
    "BG": "GR", "HR": "SI", "RS": "HU", "KE": "ZA", "GH": "NG", "BO": "PE", "PY": "AR",
}  # fmt: skip
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
_PC_TYPES = {
    "notebook": 0.48, "desktop": 0.30, "workstation": 0.07, "thin_client": 0.05,
    "tablet": 0.04, "retail_pos": 0.03, "monitor": 0.02, "server": 0.01,
}  # fmt: skip
_PC_PARTS = {
    "Battery": 80.0, "Keyboard": 35.0, "Display panel": 190.0, "System board": 320.0,
    "SSD": 95.0, "Memory module": 55.0, "Power adapter": 30.0, "Fan assembly": 25.0,
    "Hinge kit": 18.0, "Touchpad": 28.0, "Webcam module": 22.0, "Power supply": 60.0,
}  # fmt: skip
_PRINT_PARTS = {
    "Fuser assembly": 210.0, "Pickup roller": 15.0, "Formatter board": 260.0,
    "Transfer belt": 140.0, "Paper tray": 45.0, "Control panel": 90.0,
}  # fmt: skip
_FACTORIES = (("MFG-CN", "CN", 0.6), ("MFG-MX", "MX", 0.2), ("MFG-CZ", "CZ", 0.2))
_BROKERS = (
    ("BRK-1", "US"), ("BRK-2", "NL"), ("BRK-3", "GB"), ("BRK-4", "DE"),
    ("BRK-5", "SG"), ("BRK-6", "HK"), ("BRK-7", "AE"),
)  # fmt: skip
_NAME_A = (
    "Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware", "Adatum", "Proseware", "Wingtip",
    "Lucerne", "Fourth", "Coho", "Alpine", "Blue Yonder", "Trey", "Margie", "Humongous",
)  # fmt: skip
_NAME_B = (
    "Logistics", "Health", "Bank", "Insurance", "Retail", "Energy", "Manufacturing", "Airlines",
    "Foods", "Telecom", "Motors", "Pharma", "Engineering", "Media", "Hotels", "Systems",
)  # fmt: skip
_SUFFIX = {"US": "Inc.", "DE": "GmbH", "GB": "Ltd", "FR": "SA", "JP": "K.K.", "CN": "Co., Ltd."}


def generate_world(
    orders: int,
    parts: int,
    depots: int,
    seed: int,
    *,
    coverable_share: float = 0.7,
    customers: int | None = None,
    start: datetime | None = None,
) -> dict[str, pd.DataFrame]:
    """Generate every input table of a realistic shortage world.

    Parameters
    ----------
    orders, parts, depots : int
        How many order lines, part numbers and depots (each at least 1).
    seed : int
        Seed (>= 0) of every random draw: the same arguments give identical tables.
    coverable_share : float
        Share in (0, 1] of the demanded units that stock + inbound + supply options can cover,
        counted per part (supply beyond a part's demand covers nothing). Stock takes about
        three quarters of it, inbound receipts ~15%, expedite and broker options the rest.
        The hottest parts are the most short.
    customers : int, optional
        How many customers; by default one per 25 orders (at least 20, at most ``orders``).
    start : datetime, optional
        "Now" of the world (default 2026-11-01 00:00): orders are created in the 30 days
        before it, receipts land after it.

    Returns
    -------
    dict of str to DataFrame
        ``customers, contracts, orders, parts, depots, stock, inbound, lanes,
        supply_options``, with the columns of the matching specs in
        :mod:`allocation.adapters.schemas`.

    Raises
    ------
    InputError
        When an argument is out of range; the message names it.

    Examples
    --------
    >>> world = generate_world(50, 20, 3, seed=7)
    >>> list(world) == list(TABLE_NAMES), len(world["orders"]), len(world["depots"])
    (True, 50, 3)
    """
    _check_arguments(orders, parts, depots, seed, coverable_share, customers)
    now = _naive_utc(start or DEFAULT_START)
    n_customers = customers if customers is not None else min(orders, max(20, orders // 25))
    book = default_rulebook()
    rng = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)]
    geo = _Geography.of(book)
    cust = _customers(rng[0], n_customers, geo)
    contracts = _contracts(rng[1], cust, book, now)
    catalogue = _parts(rng[2], parts)
    order_table, demand = _orders(rng[3], orders, cust, catalogue, geo, now)
    depot_table, depot_weight = _depots(depots, geo)
    stock, inbound, options = _supply(
        rng[4], demand, coverable_share, catalogue, depot_table, depot_weight, now
    )
    sites = sorted(set(cust.table["country"]) | set(order_table["ship_to_country"].dropna()))
    lanes = _lanes(rng[5], depot_table, sites, geo)
    # A lane may only start at a depot or a supplier with an option: a snapshot's loader
    # rejects any other id (small worlds do not use every factory and broker).
    known = set(depot_table["depot_id"]) | set(options["supplier_id"])
    lanes = lanes[lanes["origin"].isin(known)].reset_index(drop=True)
    return {
        "customers": cust.table,
        "contracts": contracts,
        "orders": order_table,
        "parts": catalogue.table,
        "depots": depot_table,
        "stock": stock,
        "inbound": inbound,
        "lanes": lanes,
        "supply_options": options,
    }


def write_world(
    tables: dict[str, pd.DataFrame],
    out_dir: Path,
    fmt: Literal["csv", "parquet"] = "csv",
    *,
    overwrite: bool = False,
) -> None:
    """Write each table to ``out_dir/<name>.<fmt>``, every file atomically.

    A file is written under a temporary name in the same folder and then renamed over its
    target, so a reader sees either the old file or the whole new one, never half a table.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Tables by name, as :func:`generate_world` returns them.
    out_dir : Path
        Created when missing. An existing folder that holds anything is refused unless
        ``overwrite`` is true (then files of the same names are replaced, others left alone).
    fmt : {"csv", "parquet"}
        File format.

    Raises
    ------
    InputError
        For an unknown format, a table name that is not a plain file name, a path that is not
        a folder, or a non-empty folder without ``overwrite``.
    """
    if fmt not in ("csv", "parquet"):
        raise InputError(f"fmt must be 'csv' or 'parquet', got {fmt!r}")
    for name in tables:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
            raise InputError(f"table name {name!r} is not a plain file name")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise InputError(f"{out}: folder is not empty (pass overwrite=True to replace tables)")
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        _write_atomically(frame, out / f"{name}.{fmt}", fmt)


def _write_atomically(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            if fmt == "csv":
                frame.to_csv(handle, index=False, lineterminator="\n", encoding="utf-8")
            else:
                frame.to_parquet(handle, index=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


# --- arguments -----------------------------------------------------------------------------


def _check_arguments(
    orders: int,
    parts: int,
    depots: int,
    seed: int,
    share: float,
    customers: int | None,
) -> None:
    counts: dict[str, object] = {"orders": orders, "parts": parts, "depots": depots}
    if customers is not None:
        counts["customers"] = customers
    for name, value in counts.items():
        if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
            raise InputError(f"{name} must be an integer >= 1, got {value!r}")
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        raise InputError(f"seed must be an integer >= 0, got {seed!r}")
    if (
        not isinstance(share, int | float | np.floating)
        or isinstance(share, bool)
        or not 0 < share <= 1
    ):
        raise InputError(f"coverable_share must be a number in (0, 1], got {share!r}")


def _naive_utc(moment: datetime) -> datetime:
    if not isinstance(moment, datetime):
        raise InputError(f"start must be a datetime, got {moment!r}")
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


# --- small vectorised helpers --------------------------------------------------------------


def _ids(prefix: str, n: int, width: int) -> ObjArray:
    """``prefix`` + 1..n zero-padded, as an object array of str."""
    width = max(width, len(str(n)))
    numbers = pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(width)
    return np.asarray((prefix + numbers).to_numpy(dtype=object), dtype=object)


def _quota(rng: np.random.Generator, n: int, shares: FloatArray) -> IntArray:
    """Category of each of ``n`` items, in exact largest-remainder proportions, shuffled.

    Exact quotas keep small worlds representative (a 100-customer world still has its PM and
    its excluded-country customers), which independent draws would not guarantee.
    """
    exact = shares / shares.sum() * n
    counts = np.floor(exact).astype(np.int64)
    counts[np.argsort(-(exact - counts), kind="stable")[: n - int(counts.sum())]] += 1
    return rng.permutation(np.repeat(np.arange(len(shares), dtype=np.int64), counts))


def _largest_remainder(exact: FloatArray, total: int) -> IntArray:
    """Integers with floor/ceil of ``exact`` each, summing to ``total``."""
    out = np.floor(exact).astype(np.int64)
    frac = exact - out
    extra = int(np.clip(total - int(out.sum()), 0, int(np.count_nonzero(frac > 0))))
    out[np.argsort(-frac, kind="stable")[:extra]] += 1
    return out


def _split(rng: np.random.Generator, units: IntArray, groups: IntArray) -> IntArray:
    """Split ``units[g]`` over the rows of each group ``g`` at random (rows sorted by group).

    Each row gets the floor of a random share; the rounding rest goes to the group's first
    row, so every group's rows sum to its units exactly.
    """
    if len(groups) == 0:
        return np.zeros(0, dtype=np.int64)
    weight = rng.uniform(0.5, 1.5, len(groups))
    total = np.bincount(groups, weights=weight, minlength=len(units))
    qty = np.floor(units[groups] * weight / total[groups]).astype(np.int64)
    rest = units - np.bincount(groups, weights=qty, minlength=len(units)).astype(np.int64)
    first = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    qty[first] += rest[groups[first]]
    return qty


def _timestamps(base: datetime, seconds: IntArray) -> npt.NDArray[np.datetime64]:
    return np.datetime64(base, "s") + seconds.astype("timedelta64[s]")


# --- geography -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Geography:
    """Where customers, sites and depots are, and which region each country belongs to."""

    domestic: ObjArray  # covered countries with parts priority
    domestic_weight: FloatArray
    excluded: ObjArray
    uncovered: ObjArray
    region: dict[str, str]

    @classmethod
    def of(cls, book: Rulebook) -> _Geography:
        region = {c: r for r, members in book.regions.items() for c in members}
        excluded = sorted(book.parts_priority_excluded)
        domestic = sorted(book.covered_countries - book.parts_priority_excluded)
        uncovered = sorted(c for c in _UNCOVERED if c not in book.covered_countries)
        for code in uncovered:
            region[code] = region.get(_UNCOVERED[code], f"outside:{code}")
        return cls(
            domestic=np.array(domestic, dtype=object),
            domestic_weight=np.array([_MARKET_WEIGHTS.get(c, 1.0) for c in domestic]),
            excluded=np.array(excluded, dtype=object),
            uncovered=np.array(uncovered, dtype=object),
            region=region,
        )

    def draw(self, rng: np.random.Generator, n: int) -> ObjArray:
        """Domestic countries weighted by market size."""
        return np.asarray(
            rng.choice(self.domestic, n, p=self.domestic_weight / self.domestic_weight.sum())
        )

    def distance_class(self, origin: ObjArray, destination: ObjArray) -> IntArray:
        """0 same country, 1 same region, 2 other region."""
        same_region = pd.Series(origin).map(self.region).to_numpy(dtype=object) == pd.Series(
            destination
        ).map(self.region).to_numpy(dtype=object)
        return np.where(origin == destination, 0, np.where(same_region, 1, 2)).astype(np.int64)


# --- customers and contracts ---------------------------------------------------------------


@dataclass(frozen=True)
class _Customers:
    table: pd.DataFrame
    tier: ObjArray
    print_contract: BoolArray  # the primary contract covers printers
    order_weight: FloatArray
    print_share: FloatArray
    is_global: BoolArray


def _customers(rng: np.random.Generator, n: int, geo: _Geography) -> _Customers:
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
            "customer_id": _ids("C-", n, 6),
            "name": _company_names(rng, country),
            "country": country,
            "installed_base_pcs": total - printers,
            "installed_base_printers": printers,
            "has_it_helpdesk": helpdesk,
        }
    )
    return _Customers(
        table=table,
        tier=tier,
        print_contract=print_contract,
        order_weight=np.maximum(total, 1).astype(np.float64) ** 0.8,
        print_share=printers / np.maximum(total, 1),
        is_global=rng.random(n) < np.where(holder, 0.2, 0.08),
    )


def _customer_countries(
    rng: np.random.Generator, n: int, tier: ObjArray, geo: _Geography
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


def _contracts(
    rng: np.random.Generator, cust: _Customers, book: Rulebook, now: datetime
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
            "contract_id": _ids("K-", n, 6),
            "customer_id": cust.table["customer_id"].to_numpy(dtype=object)[customer[order]],
            "sku": sku[order],
            "purchase_date": (day + purchase.astype("timedelta64[D]")).astype("datetime64[ns]")[
                order
            ],
            "activation_date": activation[order],
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


# --- parts and orders ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Catalogue:
    table: pd.DataFrame
    pc: IntArray  # indices of PC parts, hottest first
    printer: IntArray  # indices of printer parts, hottest first
    factory: IntArray  # index into _FACTORIES
    cost: FloatArray


def _parts(rng: np.random.Generator, n: int) -> _Catalogue:
    n_print = round(0.15 * n) if n >= 10 else 0
    is_print = np.zeros(n, dtype=bool)
    is_print[rng.permutation(n)[:n_print]] = True
    pc_cat = rng.integers(0, len(_PC_PARTS), n)
    pr_cat = rng.integers(0, len(_PRINT_PARTS), n)
    names = np.array(list(_PC_PARTS) + list(_PRINT_PARTS), dtype=object)
    medians = np.array(list(_PC_PARTS.values()) + list(_PRINT_PARTS.values()))
    category = np.where(is_print, len(_PC_PARTS) + pr_cat, pc_cat)
    cost = np.round(medians[category] * rng.lognormal(0.0, 0.35, n), 2)
    model = pd.Series(rng.integers(100, 1000, n)).astype(str).to_numpy(dtype=object)
    line = np.where(is_print, "LaserJet M", "series ")
    table = pd.DataFrame(
        {
            "part_number": _ids("P-", n, 6),
            "description": names[category] + ", " + line + model,
            "unit_cost": cost,
            "substitutes": _supersessions(rng, category),
        }
    )
    hot_order = rng.permutation(n)  # popularity rank is independent of the part number
    factory = rng.choice(len(_FACTORIES), n, p=[f[2] for f in _FACTORIES])
    return _Catalogue(
        table=table,
        pc=hot_order[~is_print[hot_order]],
        printer=hot_order[is_print[hot_order]],
        factory=factory.astype(np.int64),
        cost=cost,
    )


def _supersessions(rng: np.random.Generator, category: IntArray) -> ObjArray:
    """About 2% of parts start a chain A -> B (-> C) of newer parts of the same category.

    A part lists every later part of its chain, so no reader needs to follow chains. Chains
    are cut from the parts sorted by category at positions 0, 3, 6, ... so they never overlap.
    """
    n = len(category)
    numbers = _ids("P-", n, 6)
    out = np.full(n, None, dtype=object)
    by_cat = np.argsort(category, kind="stable")
    sorted_cat = np.r_[category[by_cat], -1, -1]
    start = np.arange(0, n, 3)
    start = start[rng.random(len(start)) < 0.06]
    second = sorted_cat[start + 1] == sorted_cat[start]
    third = second & (sorted_cat[start + 2] == sorted_cat[start]) & (rng.random(len(start)) < 0.5)
    start, third = start[second], third[second]
    a, b = by_cat[start], by_cat[start + 1]
    c = by_cat[np.minimum(start + 2, n - 1)]
    out[a] = np.where(third, numbers[b] + ";" + numbers[c], numbers[b])
    out[b[third]] = numbers[c[third]]
    return out


def _zipf(n: int, exponent: float = 1.05) -> FloatArray:
    weight = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** exponent
    return np.asarray(weight / weight.sum(), dtype=np.float64)


def _orders(
    rng: np.random.Generator,
    n: int,
    cust: _Customers,
    cat: _Catalogue,
    geo: _Geography,
    now: datetime,
) -> tuple[pd.DataFrame, IntArray]:
    """Orders from customers by installed base, parts by Pareto popularity, over 30 days."""
    who = rng.choice(len(cust.order_weight), n, p=cust.order_weight / cust.order_weight.sum())
    printer = (rng.random(n) < cust.print_share[who]) & (len(cat.printer) > 0)
    types = np.array(list(_PC_TYPES), dtype=object)
    product = types[rng.choice(len(types), n, p=np.array(list(_PC_TYPES.values())))]
    product[printer] = "business_printer"
    pc_pool = cat.pc if len(cat.pc) else cat.printer
    part = pc_pool[rng.choice(len(pc_pool), n, p=_zipf(len(pc_pool)))]
    if printer.any():
        part[printer] = cat.printer[
            rng.choice(len(cat.printer), int(printer.sum()), p=_zipf(len(cat.printer)))
        ]
    quantity = np.where(rng.random(n) < 0.9, 1, rng.integers(2, 6, n)).astype(np.int64)
    created = _created_seconds(rng, n, now)
    home = cust.table["country"].to_numpy(dtype=object)[who]
    site = np.where(rng.random(n) < 0.9, geo.draw(rng, n), rng.choice(geo.excluded, n))
    moved = cust.is_global[who] & (rng.random(n) < 0.35) & (site != home)
    ship_to = np.asarray(site, dtype=object).copy()
    ship_to[~moved] = None
    warranty = rng.random(n) < 0.97
    order = np.argsort(created, kind="stable")
    table = pd.DataFrame(
        {
            "order_id": _ids("O-", n, 7),
            "customer_id": cust.table["customer_id"].to_numpy(dtype=object)[who[order]],
            "part_number": cat.table["part_number"].to_numpy(dtype=object)[part[order]],
            "quantity": quantity[order],
            "created_at": _timestamps(now - timedelta(days=WINDOW_DAYS), created[order]).astype(
                "datetime64[ns]"
            ),
            "product_type": product[order],
            "warranty_valid": warranty[order],
            "ship_to_country": ship_to[order],
        }
    )
    demand = np.bincount(part, weights=quantity, minlength=len(cat.cost)).astype(np.int64)
    return table, demand


def _created_seconds(rng: np.random.Generator, n: int, now: datetime) -> IntArray:
    """Seconds into the window; weekends see a third of a weekday's failures reported."""
    first = now - timedelta(days=WINDOW_DAYS)
    weekday = (first.weekday() + np.arange(WINDOW_DAYS)) % 7
    weight = np.where(weekday >= 5, 0.35, 1.0)
    day = rng.choice(WINDOW_DAYS, n, p=weight / weight.sum())
    return np.asarray(day * 86_400 + rng.integers(0, 86_400, n), dtype=np.int64)


# --- depots, supply and lanes --------------------------------------------------------------


def _depots(n: int, geo: _Geography) -> tuple[pd.DataFrame, FloatArray]:
    """Seats per region by market size (each region one first), then per country by D'Hondt.

    Returns the table and each depot's share of its country's market, the weight by which
    stock is placed.
    """
    regions = sorted({geo.region[c] for c in geo.domestic})
    region_of = np.array([geo.region[c] for c in geo.domestic], dtype=object)
    size = np.array([geo.domestic_weight[region_of == r].sum() for r in regions])
    seats = np.zeros(len(regions), dtype=np.int64)
    first = min(n, len(regions))
    seats[np.argsort(-size, kind="stable")[:first]] = 1
    seats += _largest_remainder(size / size.sum() * (n - first), n - first)
    rows: list[tuple[str, str, float]] = []
    for r, k in zip(regions, seats, strict=True):
        members = geo.domestic[region_of == r]
        weight = geo.domestic_weight[region_of == r]
        count = np.zeros(len(members), dtype=np.int64)
        for _ in range(int(k)):
            count[int(np.argmax(weight / (count + 1)))] += 1
        for code, w, c in zip(members, weight, count, strict=True):
            rows += [(f"D-{code}-{i + 1}", str(code), float(w) / c) for i in range(c)]
    rows.sort()
    table = pd.DataFrame({"depot_id": [r[0] for r in rows], "country": [r[1] for r in rows]})
    return table, np.array([r[2] for r in rows])


def _coverage(rng: np.random.Generator, demand: IntArray, share: float) -> IntArray:
    """Units of each part that supply will cover: round(share x demand) in all, hot parts least.

    A part's covered fraction is ``min(1, k * demand**-0.35 * noise)`` with ``k`` found by
    bisection, so the hottest parts are short and many cold ones fully covered.
    """
    total = int(demand.sum())
    target = round(share * total)
    if target >= total:
        return demand.copy()
    has = demand > 0
    g = np.zeros(len(demand))
    g[has] = demand[has] ** -0.35 * rng.lognormal(0.0, 0.35, int(has.sum()))
    low, high = 0.0, 1.0 / g[has].min()
    for _ in range(100):
        k = (low + high) / 2
        if (np.minimum(1.0, k * g) * demand).sum() < target:
            low = k
        else:
            high = k
    return _largest_remainder(np.minimum(1.0, high * g) * demand, target)


def _supply(
    rng: np.random.Generator,
    demand: IntArray,
    share: float,
    cat: _Catalogue,
    depots: pd.DataFrame,
    depot_weight: FloatArray,
    now: datetime,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Split each part's covered units into options (~10%), inbound (~15%) and stock."""
    covered = _coverage(rng, demand, share)
    n = len(demand)
    has = demand > 0
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(-demand, kind="stable")] = np.arange(n)
    hot = has & (rank < np.ceil(0.2 * has.sum()))
    target = covered.sum()
    eligible = has & np.where(hot, rng.random(n) < 0.9, rng.random(n) < 0.05)
    optioned = _portion(rng, covered, eligible, 0.10 * target)
    eligible = has & np.where(hot, rng.random(n) < 0.7, rng.random(n) < 0.25)
    inbound = _portion(rng, covered - optioned, eligible, 0.15 * target)
    stock = covered - optioned - inbound
    full = has & (covered == demand) & (rng.random(n) < 0.3)
    idle = ~has & (rng.random(n) < 0.25)
    stock = (
        stock + np.where(full, rng.integers(1, 4, n), 0) + np.where(idle, rng.integers(1, 5, n), 0)
    )
    return (
        _stock_table(rng, stock, cat, depots, depot_weight),
        _inbound_table(rng, inbound, cat, depots, depot_weight, now),
        _options_table(rng, optioned, cat),
    )


def _portion(
    rng: np.random.Generator, units: IntArray, eligible: BoolArray, target: float
) -> IntArray:
    pool = units[eligible].sum()
    rate = min(0.6, target / pool) if pool else 0.0
    exact = units * rate * rng.uniform(0.7, 1.3, len(units))
    part = np.floor(exact + rng.random(len(units))).astype(np.int64)  # unbiased rounding
    return np.where(eligible, np.minimum(part, units), 0)


def _stock_table(
    rng: np.random.Generator,
    units: IntArray,
    cat: _Catalogue,
    depots: pd.DataFrame,
    depot_weight: FloatArray,
) -> pd.DataFrame:
    """Hot parts spread over many depots (about sqrt(units)/2), cold ones over one or two."""
    n_depots = len(depot_weight)
    parts = np.flatnonzero(units > 0)
    spread = np.clip(np.ceil(np.sqrt(units[parts]) / 2), 1, n_depots).astype(np.int64)
    log_w = np.log(depot_weight)
    chunk = max(1, 4_000_000 // n_depots)
    found: list[tuple[IntArray, IntArray]] = []
    for lo in range(0, len(parts), chunk):
        # Gumbel top-k: each part's depots drawn without replacement, by depot weight.
        keys = log_w + rng.gumbel(size=(min(chunk, len(parts) - lo), n_depots))
        order = np.argsort(-keys, axis=1)
        row, col = np.nonzero(np.arange(n_depots) < spread[lo : lo + chunk, None])
        found.append((row + lo, order[row, col]))
    row = np.concatenate([f[0] for f in found]) if found else np.zeros(0, dtype=np.int64)
    depot = np.concatenate([f[1] for f in found]) if found else np.zeros(0, dtype=np.int64)
    qty = _split(rng, units[parts], row)
    keep = qty > 0
    return pd.DataFrame(
        {
            "part_number": cat.table["part_number"].to_numpy(dtype=object)[parts[row[keep]]],
            "depot_id": depots["depot_id"].to_numpy(dtype=object)[depot[keep]],
            "on_hand": qty[keep],
        }
    )


def _inbound_table(
    rng: np.random.Generator,
    units: IntArray,
    cat: _Catalogue,
    depots: pd.DataFrame,
    depot_weight: FloatArray,
    now: datetime,
) -> pd.DataFrame:
    """One receipt per part, two for some larger ones, landing 6 h to 21 days after ``now``."""
    parts = np.flatnonzero(units > 0)
    count = 1 + ((units[parts] >= 4) & (rng.random(len(parts)) < 0.5))
    row = np.repeat(np.arange(len(parts)), count)
    qty = _split(rng, units[parts], row)
    keep = qty > 0
    m = int(keep.sum())
    depot = rng.choice(len(depot_weight), m, p=depot_weight / depot_weight.sum())
    hours = rng.integers(6, 21 * 24 + 1, m).astype(np.int64)
    return pd.DataFrame(
        {
            "part_number": cat.table["part_number"].to_numpy(dtype=object)[parts[row[keep]]],
            "depot_id": depots["depot_id"].to_numpy(dtype=object)[depot],
            "quantity": qty[keep],
            "eta": _timestamps(now, hours * 3600).astype("datetime64[ns]"),
        }
    )


def _options_table(rng: np.random.Generator, units: IntArray, cat: _Catalogue) -> pd.DataFrame:
    """Up to three options per part: its factory's expedite (often) and distinct brokers."""
    parts = np.flatnonzero(units > 0)
    u = units[parts]
    r = rng.random((2, len(parts)))
    count = 1 + ((u >= 2) & (r[0] < 0.6)) + ((u >= 3) & (r[1] < 0.3))
    row = np.repeat(np.arange(len(parts)), count)
    slot = np.arange(len(row)) - np.repeat(np.cumsum(count) - count, count)
    expedite_first = rng.random(len(parts)) < 0.65
    nb = len(_BROKERS)
    # Brokers b0, b0 + step, b0 + 2 step (mod a prime count) are distinct for a part.
    b0, step = rng.integers(0, nb, len(parts)), rng.integers(1, nb, len(parts))
    is_expedite = expedite_first[row] & (slot == 0)
    broker = (b0[row] + (slot - expedite_first[row]) * step[row]) % nb
    factories = np.array([f[0] for f in _FACTORIES], dtype=object)
    brokers = np.array([b[0] for b in _BROKERS], dtype=object)
    supplier = np.where(is_expedite, factories[cat.factory[parts[row]]], brokers[broker])
    qty = _split(rng, u, row)
    m = len(row)
    cost = cat.cost[parts[row]]
    table = pd.DataFrame(
        {
            "part_number": cat.table["part_number"].to_numpy(dtype=object)[parts[row]],
            "source": np.where(is_expedite, "expedite", "broker").astype(object),
            "supplier_id": supplier,
            "capacity": qty,
            "lead_time_hours": np.where(
                is_expedite, rng.integers(48, 241, m), rng.integers(24, 169, m)
            ).astype(np.float64),
            "unit_cost": np.round(
                cost * np.where(is_expedite, rng.uniform(1.1, 1.5, m), rng.uniform(1.3, 2.8, m)), 2
            ),
            "success_probability": np.where(
                is_expedite, 1.0, np.round(rng.uniform(0.6, 0.95, m), 2)
            ),
        }
    )
    return table[qty > 0].reset_index(drop=True)


def _lanes(
    rng: np.random.Generator, depots: pd.DataFrame, sites: list[str], geo: _Geography
) -> pd.DataFrame:
    """Directed lanes: depot -> every site country, depot -> depot, supplier -> depot.

    Transit by distance class (same country 6-24 h, same region 24-72 h, else 72-168 h);
    the cost per unit grows with the transit time.
    """
    ids = depots["depot_id"].to_numpy(dtype=object)
    where = depots["country"].to_numpy(dtype=object)
    n, s = len(ids), len(sites)
    site = np.array(sites, dtype=object)
    suppliers = [(f[0], f[1]) for f in _FACTORIES] + list(_BROKERS)
    sup_id = np.array([x[0] for x in suppliers], dtype=object)
    sup_at = np.array([x[1] for x in suppliers], dtype=object)
    a, b = np.divmod(np.arange(n * n), n)
    a, b = a[a != b], b[a != b]
    i, j = np.divmod(np.arange(len(suppliers) * n), n)
    d, c = np.divmod(np.arange(n * s), s)
    origin = np.concatenate([ids[d], ids[a], sup_id[i]])
    destination = np.concatenate([site[c], ids[b], ids[j]])
    cls = geo.distance_class(
        np.concatenate([where[d], where[a], sup_at[i]]),
        np.concatenate([site[c], where[b], where[j]]),
    )
    low, high = np.array([6.0, 24.0, 72.0])[cls], np.array([24.0, 72.0, 168.0])[cls]
    transit = np.round(rng.uniform(low, high), 1)
    cost = np.round(2.0 + 0.4 * transit * rng.uniform(0.8, 1.2, len(cls)), 2)
    return pd.DataFrame(
        {
            "origin": origin,
            "destination": destination,
            "transit_hours": transit,
            "cost_per_unit": cost,
        }
    )
