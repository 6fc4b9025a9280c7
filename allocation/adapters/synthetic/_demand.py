"""Parts and orders: a catalogue with supersessions and a Pareto demand over 30 days.

A shortage is only interesting when a few hot parts carry most of the units, so orders pick
parts by a Zipf popularity that is independent of the part number, come from customers in
proportion to their installed base, and are reported on weekdays more than at weekends. The
units demanded per part, returned with the orders, are what supply is then sized against.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from allocation.adapters.synthetic._common import (
    WINDOW_DAYS,
    FloatArray,
    IntArray,
    ObjArray,
    sequential_ids,
    timestamps,
)
from allocation.adapters.synthetic._customers import Customers
from allocation.adapters.synthetic._geography import FACTORIES, Geography

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


@dataclass(frozen=True)
class Catalogue:
    """The parts table and what orders and supply need to know of each part."""

    table: pd.DataFrame
    pc: IntArray  # indices of PC parts, hottest first
    printer: IntArray  # indices of printer parts, hottest first
    factory: IntArray  # index into FACTORIES
    cost: FloatArray


def draw_catalogue(rng: np.random.Generator, n: int) -> Catalogue:
    """Parts (~15% for printers) of a category, a cost, a factory and a popularity rank."""
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
            "part_number": sequential_ids("P-", n, 6),
            "description": names[category] + ", " + line + model,
            "unit_cost": cost,
            "substitutes": _supersessions(rng, category),
        }
    )
    hot_order = rng.permutation(n)  # popularity rank is independent of the part number
    factory = rng.choice(len(FACTORIES), n, p=[f[2] for f in FACTORIES])
    return Catalogue(
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
    numbers = sequential_ids("P-", n, 6)
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


def draw_orders(
    rng: np.random.Generator,
    n: int,
    cust: Customers,
    cat: Catalogue,
    geo: Geography,
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
            "order_id": sequential_ids("O-", n, 7),
            "customer_id": cust.table["customer_id"].to_numpy(dtype=object)[who[order]],
            "part_number": cat.table["part_number"].to_numpy(dtype=object)[part[order]],
            "quantity": quantity[order],
            "created_at": timestamps(now - timedelta(days=WINDOW_DAYS), created[order]).astype(
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
