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
    """Stock levels, receipts and supply options with units, sorted by part code."""
    as_of = context.as_of
    stock = stock[stock["on_hand"] > 0]
    inbound = inbound[inbound["quantity"] > 0]
    options = supply_options[supply_options["capacity"] > 0]
    frames = [
        pd.DataFrame(
            {
                "part_number": stock["part_number"].to_numpy(dtype=object),
                "base": 0,
                "origin": stock["depot_id"].to_numpy(dtype=object),
                "depot_id": stock["depot_id"].to_numpy(dtype=object),
                "quantity": stock["on_hand"].to_numpy(dtype=np.int64),
                "release_hours": 0.0,
                "unit_price": 0.0,
                "success_probability": 1.0,
                "release_at": pd.NaT,
            }
        ),
        pd.DataFrame(
            {
                "part_number": inbound["part_number"].to_numpy(dtype=object),
                "base": 1,
                "origin": inbound["depot_id"].to_numpy(dtype=object),
                "depot_id": inbound["depot_id"].to_numpy(dtype=object),
                "quantity": inbound["quantity"].to_numpy(dtype=np.int64),
                "release_hours": np.maximum(
                    (inbound["eta"] - as_of).dt.total_seconds().to_numpy() / 3600.0, 0.0
                ),
                "unit_price": 0.0,
                "success_probability": 1.0,
                "release_at": inbound["eta"].to_numpy(),
            }
        ),
        pd.DataFrame(
            {
                "part_number": options["part_number"].to_numpy(dtype=object),
                "base": np.where(options["source"].to_numpy() == "expedite", 2, 3),
                "origin": options["supplier_id"].to_numpy(dtype=object),
                "depot_id": None,
                "quantity": options["capacity"].to_numpy(dtype=np.int64),
                "release_hours": options["lead_time_hours"].to_numpy(dtype=np.float64),
                "unit_price": options["unit_cost"].to_numpy(dtype=np.float64),
                "success_probability": options["success_probability"]
                .astype(float)
                .fillna(1.0)
                .to_numpy(),
                "release_at": pd.NaT,
            }
        ),
    ]
    sources = (
        pd.concat([f for f in frames if len(f)], ignore_index=True)
        if any(len(f) for f in frames)
        else frames[0].iloc[0:0]
    )
    sources["part_code"] = sources["part_number"].map(context.part_code).astype(np.int64)
    sources["book_cost"] = sources["part_number"].map(context.unit_cost).astype(float)
    sources["kind_name"] = np.array(_BASES, dtype=object)[sources["base"].to_numpy(dtype=np.int64)]
    sources["tie_hash"] = source_tie_hash(sources)
    sources = sources.sort_values(["part_code", "base", "origin", "release_hours"], kind="stable")
    sources = sources.reset_index(drop=True)
    sources["part_group"] = context.part_group[sources["part_code"].to_numpy(dtype=np.int64)]
    sources["depot_code"] = sources["depot_id"].map(context.depot_code).fillna(-2).astype(np.int64)
    sources["origin_row"] = sources["origin"].map(context.routes.origin_index()).astype(np.int64)
    return sources


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
