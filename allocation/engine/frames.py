"""The solver's tables: open order lines and sources of units, typed and coded once.

Text columns are looked up once per distinct value (codes, not strings), which is what keeps a
million rows fast; every later step works on the integer columns made here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.domain.model import PriorityClass, Tier

if TYPE_CHECKING:
    from allocation.engine.problem import Context

__all__ = [
    "node_key",
    "node_keys",
    "orders_table",
    "source_identity",
    "source_tie_hash",
    "sources_table",
]

_BASES = ("stock", "inbound", "expedite", "broker")
_HELD = "|held"


def sources_table(
    stock: pd.DataFrame, inbound: pd.DataFrame, supply_options: pd.DataFrame, context: Context
) -> pd.DataFrame:
    """Stock levels, receipts and supply options with units, sorted by part code.

    Built from NumPy arrays in one frame: the simulator calls this on every contested
    event with a handful of rows, where per-column pandas operations would dominate.

    With protection levels in the policy, the stock of a (depot, part) with a level is two
    sources: the units above the level, and the ``protected`` units up to it, which only
    ``parts_priority`` orders may take (see :mod:`allocation.domain.protection`).
    """
    s_part, s_depot, s_qty, s_protected = _stock_tranches(stock, context)
    i_qty = inbound["quantity"].to_numpy(dtype=np.int64)
    i_keep = i_qty > 0
    capacity = supply_options["capacity"].to_numpy(dtype=np.int64)
    o_keep = capacity > 0
    i_depot = inbound["depot_id"].to_numpy(dtype=object)[i_keep]
    o_origin = supply_options["supplier_id"].to_numpy(dtype=object)[o_keep]
    n_s, n_i, n_o = len(s_depot), len(i_depot), len(o_origin)
    part = np.concatenate(
        [
            s_part,
            inbound["part_number"].to_numpy(dtype=object)[i_keep],
            supply_options["part_number"].to_numpy(dtype=object)[o_keep],
        ]
    )
    eta = inbound["eta"].to_numpy(dtype="datetime64[ns]")[i_keep]
    as_of = np.datetime64(pd.Timestamp(context.as_of).value, "ns")
    success = supply_options["success_probability"].to_numpy(dtype=object)[o_keep]
    success = np.array([1.0 if v is None or pd.isna(v) else float(v) for v in success])
    base = np.concatenate(
        [
            np.zeros(n_s, dtype=np.int64),
            np.ones(n_i, dtype=np.int64),
            np.where(supply_options["source"].to_numpy(dtype=object)[o_keep] == "expedite", 2, 3),
        ]
    ).astype(np.int64)
    origin = np.concatenate([s_depot, i_depot, o_origin])
    depot_id = np.concatenate([s_depot, i_depot, np.full(n_o, None, dtype=object)])
    quantity = np.concatenate([s_qty, i_qty[i_keep], capacity[o_keep]])
    release = np.concatenate(
        [
            np.zeros(n_s),
            np.maximum((eta - as_of) / np.timedelta64(1, "s") / 3600.0, 0.0),
            supply_options["lead_time_hours"].to_numpy(dtype=np.float64)[o_keep],
        ]
    )
    price = np.concatenate(
        [np.zeros(n_s + n_i), supply_options["unit_cost"].to_numpy(dtype=np.float64)[o_keep]]
    )
    release_at = np.concatenate(
        [
            np.full(n_s, np.datetime64("NaT"), "datetime64[ns]"),
            eta,
            np.full(n_o, np.datetime64("NaT"), "datetime64[ns]"),
        ]
    )
    part_code = _codes(part, context.part_code)
    kind_name = np.array(_BASES, dtype=object)[base]
    protected = np.concatenate([s_protected, np.zeros(n_i + n_o, dtype=bool)])
    tie_hash = _tie_hash(part, origin, kind_name, release, protected)
    success = np.concatenate([np.ones(n_s + n_i), success])
    order = (
        # Every column that tells sources apart, so the row order of the input tables
        # never decides the order of the sources (the solver's pick among equals follows it).
        np.lexsort(
            (quantity, price, success, protected, release, origin.astype(str), base, part_code)
        )
        if len(part)
        else np.zeros(0, dtype=np.int64)
    )
    depot_code = np.array(
        [context.depot_code.get(d, -2) if d is not None else -2 for d in depot_id[order]],
        dtype=np.int64,
    )
    origin_index = context.routes.origin_index()
    return pd.DataFrame(
        {
            "part_number": pd.Series(part[order], dtype=object),
            "base": base[order],
            "origin": pd.Series(origin[order], dtype=object),
            "depot_id": pd.Series(depot_id[order], dtype=object),
            "quantity": quantity[order],
            "release_hours": release[order],
            "unit_price": price[order],
            "success_probability": success[order],
            "release_at": release_at[order],
            "part_code": part_code[order],
            "book_cost": np.array([context.unit_cost[p] for p in part[order]], dtype=np.float64),
            "kind_name": pd.Series(kind_name[order], dtype=object),
            "tie_hash": tie_hash[order],
            "part_group": context.part_group[part_code[order]],
            "depot_code": depot_code,
            "origin_row": np.array([origin_index[o] for o in origin[order]], dtype=np.int64),
            "protected": protected[order],
        }
    )


def _stock_tranches(
    stock: pd.DataFrame, context: Context
) -> tuple[
    npt.NDArray[np.object_], npt.NDArray[np.object_], npt.NDArray[np.int64], npt.NDArray[np.bool_]
]:
    """Part, depot, units and ``protected`` flag of every stock source with units.

    Without protection levels: one source per stock row. With them: the units above the
    level first, then the protected units (``min(level, on_hand)``) as a second source.
    """
    on_hand = stock["on_hand"].to_numpy(dtype=np.int64)
    part = stock["part_number"].to_numpy(dtype=object)
    depot = stock["depot_id"].to_numpy(dtype=object)
    levels = context.policy.protection
    if not levels:
        keep = on_hand > 0
        return part[keep], depot[keep], on_hand[keep], np.zeros(int(keep.sum()), dtype=bool)
    level = np.fromiter(
        (levels.level(d, p) for d, p in zip(depot.tolist(), part.tolist(), strict=True)),
        dtype=np.int64,
        count=len(on_hand),
    )
    held = np.minimum(level, on_hand)
    free = on_hand - held
    both_part = np.concatenate([part[free > 0], part[held > 0]])
    both_depot = np.concatenate([depot[free > 0], depot[held > 0]])
    both_qty = np.concatenate([free[free > 0], held[held > 0]])
    flag = np.concatenate(
        [np.zeros(int((free > 0).sum()), bool), np.ones(int((held > 0).sum()), bool)]
    )
    return both_part, both_depot, both_qty, flag


def _codes(values: npt.NDArray[np.object_], codes: dict[str, int]) -> npt.NDArray[np.int64]:
    """Integer codes of text values."""
    return np.fromiter((codes[v] for v in values), dtype=np.int64, count=len(values))


def _tie_hash(
    part: npt.NDArray[np.object_],
    origin: npt.NDArray[np.object_],
    kind_name: npt.NDArray[np.object_],
    release: npt.NDArray[np.float64],
    protected: npt.NDArray[np.bool_],
) -> npt.NDArray[np.int64]:
    """:func:`source_tie_hash` of sources given as arrays (the same identities)."""
    if len(part) == 0:
        return np.zeros(0, dtype=np.int64)
    rounded = np.round(release, 6).tolist()
    identity = np.array(
        [
            f"{p}|{o}|{k}|{r!r}"
            for p, o, k, r in zip(
                part.tolist(), origin.tolist(), kind_name.tolist(), rounded, strict=True
            )
        ],
        dtype=object,
    )
    if protected.any():
        identity[protected] = identity[protected] + _HELD
    hashed = pd.util.hash_array(identity)
    return (hashed >> np.uint64(33)).astype(np.int64)


def orders_table(
    orders: pd.DataFrame,
    customers: pd.DataFrame,
    decisions: pd.DataFrame,
    context: Context,
) -> pd.DataFrame:
    """Open order lines with class, priority group, site country, home depot and part group.

    Text columns are looked up once per distinct value (codes, not strings), which is what
    keeps a million rows fast.
    """
    policy = context.policy
    cust = pd.Index(customers["customer_id"]).get_indexer(orders["customer_id"])
    ship = orders["ship_to_country"].to_numpy(dtype=object)
    cust_country = customers["country"].to_numpy(dtype=object)[cust]
    country = np.where(pd.isna(ship), cust_country, ship)
    country_code, countries = pd.factorize(country)
    klass = decisions["priority_class"].to_numpy(dtype=object)
    tier = decisions["tier"].to_numpy(dtype=object)
    class_list, tier_list = list(PriorityClass), list(Tier)
    class_code = pd.Index([c.value for c in class_list]).get_indexer(pd.Index(klass))
    tier_code = pd.Index([t.value for t in tier_list]).get_indexer(pd.Index(tier))
    groups = np.array([[policy.rank_group(c, t) for t in tier_list] for c in class_list])
    part_code = pd.Index(context.part_numbers).get_indexer(pd.Index(orders["part_number"]))
    homes = np.array([context.homes.get(c) for c in countries], dtype=object)
    home_code = np.array(
        [context.depot_code.get(h, -1) if h is not None else -1 for h in homes], dtype=np.int64
    )
    columns = context.routes.country_index()
    country_col = np.array([columns.get(c, len(columns)) for c in countries], dtype=np.int64)
    return pd.DataFrame(
        {
            "order_id": pd.Series(orders["order_id"].to_numpy(dtype=object), dtype=object),
            "customer_id": pd.Series(orders["customer_id"].to_numpy(dtype=object), dtype=object),
            "part_number": pd.Series(orders["part_number"].to_numpy(dtype=object), dtype=object),
            "quantity": orders["quantity"].to_numpy(dtype=np.int64),
            "created_at": orders["created_at"].to_numpy(),
            "country": pd.Series(country, dtype=object),
            "priority_class": pd.Series(klass, dtype=object),
            "tier": pd.Series(tier, dtype=object),
            "class_code": class_code.astype(np.int64),
            "group": groups[class_code, tier_code].astype(np.int64),
            "part_code": part_code.astype(np.int64),
            "part_group": context.part_group[part_code],
            "home_depot": pd.Series(homes[country_code], dtype=object),
            "home_code": home_code[country_code],
            "country_col": country_col[country_code],
        }
    ).assign(agg_key=lambda f: node_key(f))


def node_key(orders: pd.DataFrame) -> npt.NDArray[np.int64]:
    """Orders with the same part, country, priority group and class get the same key.

    Such orders have the same sources at the same ETAs and costs; the optimizer gives them
    one node, and the tie-break one key.
    """
    return node_keys(
        orders["part_code"].to_numpy(dtype=np.int64),
        orders["country_col"].to_numpy(dtype=np.int64),
        orders["group"].to_numpy(dtype=np.int64),
        orders["class_code"].to_numpy(dtype=np.int64),
    )


def node_keys(
    part_code: npt.NDArray[np.int64],
    country_col: npt.NDArray[np.int64],
    group: npt.NDArray[np.int64],
    class_code: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """:func:`node_key` from the four columns as arrays (an arrival has them at hand)."""
    key: npt.NDArray[np.int64] = ((part_code * 1024 + country_col) * 16 + group) * 4 + class_code
    return key


def source_identity(sources: pd.DataFrame) -> pd.Series:
    """What identifies a source across rebuilds: part, origin, kind, release time, tranche.

    The protected units of a stock level (see :func:`sources_table`) are a source of their
    own, marked ``|held``.
    """
    identity = (
        sources["part_number"].astype(str)
        + "|"
        + sources["origin"].astype(str)
        + "|"
        + sources["kind_name"].astype(str)
        + "|"
        + sources["release_hours"].round(6).astype(str)
    )
    if "protected" in sources and sources["protected"].any():
        identity = identity.where(~sources["protected"].astype(bool), identity + _HELD)
    return identity


def source_tie_hash(sources: pd.DataFrame) -> npt.NDArray[np.int64]:
    """A hash of a source's identity, the same in every process (pandas' SipHash)."""
    if len(sources) == 0:
        return np.zeros(0, dtype=np.int64)
    hashed = pd.util.hash_array(source_identity(sources).to_numpy(dtype=object))
    return (hashed >> np.uint64(33)).astype(np.int64)
