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

__all__ = ["node_key", "orders_table", "source_identity", "source_tie_hash", "sources_table"]

_BASES = ("stock", "inbound", "expedite", "broker")


def sources_table(
    stock: pd.DataFrame, inbound: pd.DataFrame, supply_options: pd.DataFrame, context: Context
) -> pd.DataFrame:
    """Stock levels, receipts and supply options with units, sorted by part code.

    Built from NumPy arrays in one frame: the simulator calls this on every contested
    event with a handful of rows, where per-column pandas operations would dominate.
    """
    on_hand = stock["on_hand"].to_numpy(dtype=np.int64)
    s_keep = on_hand > 0
    i_qty = inbound["quantity"].to_numpy(dtype=np.int64)
    i_keep = i_qty > 0
    capacity = supply_options["capacity"].to_numpy(dtype=np.int64)
    o_keep = capacity > 0
    s_depot = stock["depot_id"].to_numpy(dtype=object)[s_keep]
    i_depot = inbound["depot_id"].to_numpy(dtype=object)[i_keep]
    o_origin = supply_options["supplier_id"].to_numpy(dtype=object)[o_keep]
    n_s, n_i, n_o = len(s_depot), len(i_depot), len(o_origin)
    part = np.concatenate(
        [
            stock["part_number"].to_numpy(dtype=object)[s_keep],
            inbound["part_number"].to_numpy(dtype=object)[i_keep],
            supply_options["part_number"].to_numpy(dtype=object)[o_keep],
        ]
    )
    eta = inbound["eta"].to_numpy(dtype="datetime64[ns]")[i_keep]
    as_of = pd.Timestamp(context.as_of).as_unit("ns").to_datetime64()
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
    quantity = np.concatenate([on_hand[s_keep], i_qty[i_keep], capacity[o_keep]])
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
    tie_hash = _tie_hash(part, origin, kind_name, release)
    order = (
        np.lexsort((release, origin.astype(str), base, part_code))
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
            "success_probability": np.concatenate([np.ones(n_s + n_i), success])[order],
            "release_at": release_at[order],
            "part_code": part_code[order],
            "book_cost": np.array([context.unit_cost[p] for p in part[order]], dtype=np.float64),
            "kind_name": pd.Series(kind_name[order], dtype=object),
            "tie_hash": tie_hash[order],
            "part_group": context.part_group[part_code[order]],
            "depot_code": depot_code,
            "origin_row": np.array([origin_index[o] for o in origin[order]], dtype=np.int64),
        }
    )


def _codes(values: npt.NDArray[np.object_], codes: dict[str, int]) -> npt.NDArray[np.int64]:
    """Integer codes of text values."""
    return np.fromiter((codes[v] for v in values), dtype=np.int64, count=len(values))


def _tie_hash(
    part: npt.NDArray[np.object_],
    origin: npt.NDArray[np.object_],
    kind_name: npt.NDArray[np.object_],
    release: npt.NDArray[np.float64],
) -> npt.NDArray[np.int64]:
    """:func:`source_tie_hash` of sources given as arrays (the same identities)."""
    if len(part) == 0:
        return np.zeros(0, dtype=np.int64)
    rounded = np.round(release, 6).tolist()
    identity = np.array(
        [
            f"{p}|{o}|{k}|{r!r}"
            for p, o, k, r in zip(part.tolist(), origin.tolist(), kind_name.tolist(), rounded)
        ],
        dtype=object,
    )
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
    key: npt.NDArray[np.int64] = (
        (
            orders["part_code"].to_numpy(dtype=np.int64) * 1024
            + orders["country_col"].to_numpy(dtype=np.int64)
        )
        * 16
        + orders["group"].to_numpy(dtype=np.int64)
    ) * 4 + orders["class_code"].to_numpy(dtype=np.int64)
    return key


def source_identity(sources: pd.DataFrame) -> pd.Series:
    """What identifies a source across rebuilds: part, origin, kind and release time."""
    return (
        sources["part_number"].astype(str)
        + "|"
        + sources["origin"].astype(str)
        + "|"
        + sources["kind_name"].astype(str)
        + "|"
        + sources["release_hours"].round(6).astype(str)
    )


def source_tie_hash(sources: pd.DataFrame) -> npt.NDArray[np.int64]:
    """A hash of a source's identity, the same in every process (pandas' SipHash)."""
    if len(sources) == 0:
        return np.zeros(0, dtype=np.int64)
    hashed = pd.util.hash_array(source_identity(sources).to_numpy(dtype=object))
    return (hashed >> np.uint64(33)).astype(np.int64)
