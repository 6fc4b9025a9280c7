"""A self-contained vectorised NumPy greedy, snapshot folder in, plan file out.

Usage: python benchmarks/floor_greedy.py SNAPSHOT_DIR OUT.parquet

This is the floor the engine's end-to-end time is measured against: the whole job a user
needs done (read the tables, decide who has parts priority, find home depots and routes,
build the candidate sources, allocate, write the plan), each step in the plainest
vectorised way. It imports nothing from the ``allocation`` package on purpose: a floor that
shared code with the engine would get faster or slower whenever the engine does, and the
ratio between the two would stop meaning anything.

What it does:

- reads ``customers, contracts, orders, parts, depots, stock, lanes`` and, when present,
  ``inbound, supply_options`` (``<name>.parquet``, else ``<name>.csv``) with pyarrow;
- entitlement: an order line is ``parts_priority`` when its customer holds a Priority
  Management SKU of the product's family (PC or Print) active on the day the order was
  created (from the activation date, else purchase + 30 days, for the SKU's 1/3/4/5 years),
  the unit's warranty is valid, the customer has an IT help desk and an installed base
  (PCs + printers) of at least 1,000, and the site country (ship-to, else the customer's) is
  one of the 63 covered countries and not one that excludes parts priority;
- routes: Dijkstra (scipy) on transit hours over the graph of depots, suppliers and
  countries (a depot reaches its own country in 0 h unless a lane says otherwise); the cost
  of a route is the cost along the fastest path found; the home depot of a country is the
  fastest depot, ties to the smaller depot id;
- sources: stock at the home depot, receipts landing at the home depot (``inbound``) and,
  for ``parts_priority`` orders only, stock and receipts at other depots (``transfer``) and
  the supply options (``expedite``/``broker``); ETA = release (0 for stock, receipt ETA −
  as-of, the option's lead time) + transit, money = route cost + option price; as-of is
  the latest order's creation time;
- the greedy (as in ``benchmarks/greedy.py``): each round every unfilled order bids for its
  best remaining source (fastest, then cheapest); each source serves its bidders
  ``parts_priority`` first, then oldest first (then by order id) by a cumulative sum; 4
  rounds; no Python loop over orders, sources or arcs;
- writes the plan (one row per order and source: ``order_id, part_number, quantity, source,
  origin, eta_hours, cost, priority_class``, sorted by order id) and the unfilled remainder
  (``order_id, part_number, quantity, priority_class``) to ``OUT.unfilled.parquet`` beside
  it, both with pyarrow.

What it ignores (it is a floor, not a competitor): substitute parts, protection levels,
policy files (the data sheet's defaults are built in), supply options' success
probability, the cheaper of equally fast routes, input validation (bad rows give wrong
answers or a traceback, not a message), country names other than alpha-2 codes (an
unknown code counts as not covered and, with no lane to it, gets no home depot), and
optimality: a source taken by an earlier bidder is not given back, and orders still
unfilled after 4 rounds stay unfilled even if some source could serve them.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
from scipy.sparse.csgraph import csgraph_from_dense, dijkstra

ROUNDS = 4
PC_TYPES = ("desktop", "notebook", "workstation", "retail_pos", "thin_client", "tablet")
PRINT_TYPE = "business_printer"
# Priority Management SKUs: (sku, family 0 = PC / 1 = Print, term in years).
PM_SKUS = (
    ("U7D00E", 0, 1),
    ("U7D01E", 0, 3),
    ("U1PV8E", 0, 4),
    ("U1PV9E", 0, 5),
    ("U1PB3E", 1, 1),
    ("U1PB4E", 1, 3),
    ("U4ZX8E", 1, 4),
    ("U4ZX9E", 1, 5),
)
MIN_INSTALLED_BASE = 1000
START_DAYS_AFTER_PURCHASE = 30
# The 63 covered countries (alpha-2).
# fmt: off
COVERED = [
    "AR", "BR", "CA", "CL", "CO", "CR", "DO", "EC", "GT", "HN", "MX", "NI", "PA", "PE", "PR", "UY",
    "US", "VE", "AT", "BE", "CZ", "DK", "EG", "FI", "FR", "DE", "GR", "HU", "IE", "IL", "IT", "LU",
    "MA", "NL", "NG", "NO", "PL", "PT", "QA", "RU", "SA", "SK", "SI", "ZA", "ES", "SE", "CH", "TR",
    "AE", "GB", "AU", "CN", "HK", "IN", "ID", "JP", "MY", "NZ", "PH", "KR", "SG", "TW", "TH",
]
# fmt: on
EXCLUDED = ["DO", "EC", "GT", "HN", "NI", "UY"]
KINDS = ("stock", "inbound", "transfer", "expedite", "broker")
PARTS_PRIORITY, STANDARD = 0, 1
CLASSES = ("parts_priority", "standard")

_BOOL = pa.bool_()
_TEXT = pa.string()
_TIME = pa.timestamp("s")
# Column types for CSV snapshots (Parquet files carry their own).
CSV_TYPES: dict[str, dict[str, pa.DataType]] = {
    "customers": {
        "customer_id": _TEXT,
        "country": _TEXT,
        "installed_base_pcs": pa.int64(),
        "installed_base_printers": pa.int64(),
        "has_it_helpdesk": _BOOL,
    },
    "contracts": {
        "customer_id": _TEXT,
        "sku": _TEXT,
        "purchase_date": _TIME,
        "activation_date": _TIME,
    },
    "orders": {
        "order_id": _TEXT,
        "customer_id": _TEXT,
        "part_number": _TEXT,
        "quantity": pa.int64(),
        "created_at": _TIME,
        "product_type": _TEXT,
        "warranty_valid": _BOOL,
        "ship_to_country": _TEXT,
    },
    "parts": {"part_number": _TEXT},
    "depots": {"depot_id": _TEXT, "country": _TEXT},
    "stock": {"part_number": _TEXT, "depot_id": _TEXT, "on_hand": pa.int64()},
    "lanes": {
        "origin": _TEXT,
        "destination": _TEXT,
        "transit_hours": pa.float64(),
        "cost_per_unit": pa.float64(),
    },
    "inbound": {"part_number": _TEXT, "depot_id": _TEXT, "quantity": pa.int64(), "eta": _TIME},
    "supply_options": {
        "part_number": _TEXT,
        "source": _TEXT,
        "supplier_id": _TEXT,
        "capacity": pa.int64(),
        "lead_time_hours": pa.float64(),
        "unit_cost": pa.float64(),
    },
}

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    started = time.perf_counter()
    lines, unfilled = plan(Path(argv[0]))
    out = Path(argv[1])
    pq.write_table(lines, out)
    pq.write_table(unfilled, out.with_name(f"{out.stem}.unfilled{out.suffix}"))
    print(
        f"wrote {lines.num_rows} allocation lines to {out} and {unfilled.num_rows} unfilled "
        f"in {time.perf_counter() - started:.2f} s",
        file=sys.stderr,
    )
    return 0


def plan(folder: Path) -> tuple[pa.Table, pa.Table]:
    """The greedy's allocation lines and unfilled remainder for a snapshot folder."""
    t = {name: read_table(folder, name) for name in CSV_TYPES}
    orders = t["orders"]
    n = orders.num_rows
    customers = t["customers"]
    cust = lookup(orders["customer_id"], customers["customer_id"])
    site = pc.coalesce(orders["ship_to_country"], pc.take(customers["country"], pa.array(cust)))
    created = timestamps(orders["created_at"])
    as_of = created.max() if n else np.datetime64(0, "s")
    klass = entitlement(orders, customers, t["contracts"], cust, site, created)

    depots, suppliers = t["depots"], t["supply_options"]
    hours, money, countries, homes = routes(t["lanes"], depots, suppliers, site)
    n_depots = depots.num_rows
    order_col = lookup(site, countries)
    order_home = np.where(order_col >= 0, homes[np.maximum(order_col, 0)], -1)

    parts = t["parts"]["part_number"]
    order_part = lookup(orders["part_number"], parts)
    src = sources(t["stock"], t["inbound"], suppliers, parts, depots, as_of)
    order_ids = orders["order_id"]
    # Age rank: older first, then by order id (the tie-break within a source's bidders).
    oldest_first = pc.sort_indices(
        orders, [("created_at", "ascending"), ("order_id", "ascending")]
    ).to_numpy()
    age = np.empty(n, dtype=np.int64)
    age[oldest_first] = np.arange(n)

    arc_order, arc_source = candidate_arcs(klass, order_part, order_home, src, n_depots)
    kind = arc_kinds(src.base[arc_source], src.depot[arc_source], order_home[arc_order])
    flat = src.origin_row[arc_source] * hours.shape[1] + np.maximum(order_col[arc_order], 0)
    reachable = order_col[arc_order] >= 0
    eta = src.release[arc_source] + np.where(reachable, hours.ravel()[flat], np.inf)
    cost = src.price[arc_source] + np.where(reachable, money.ravel()[flat], np.inf)
    keep = np.isfinite(eta)
    arc_order, arc_source, kind, eta, cost = (
        a[keep] for a in (arc_order, arc_source, kind, eta, cost)
    )

    need = orders["quantity"].to_numpy().astype(np.int64)
    flow = greedy(arc_order, arc_source, eta, cost, need.copy(), src.quantity.copy(), klass, age)

    used = np.flatnonzero(flow > 0)
    o, s, q = arc_order[used], arc_source[used], flow[used]
    lines = pa.table(
        {
            "order_id": pc.take(order_ids, pa.array(o)),
            "part_number": pc.take(src.part_number, pa.array(s)),
            "quantity": q,
            "source": pc.take(pa.array(KINDS), pa.array(kind[used])),
            "origin": pc.take(src.origin, pa.array(s)),
            "eta_hours": np.round(eta[used], 3),
            "cost": np.round(cost[used] * q, 2),
            "priority_class": pc.take(pa.array(CLASSES), pa.array(klass[o])),
        }
    )
    lines = lines.take(pc.sort_indices(lines, [("order_id", "ascending"), ("origin", "ascending")]))
    filled = np.zeros(n, dtype=np.int64)
    np.add.at(filled, o, q)  # integers: a billion units per line stay exact
    missing = need - filled
    rows = pa.array(np.flatnonzero(missing > 0))
    unfilled = pa.table(
        {
            "order_id": pc.take(order_ids, rows),
            "part_number": pc.take(orders["part_number"], rows),
            "quantity": missing[rows.to_numpy()],
            "priority_class": pc.take(pa.array(CLASSES), pa.array(klass[rows.to_numpy()])),
        }
    )
    unfilled = unfilled.take(pc.sort_indices(unfilled, [("order_id", "ascending")]))
    return lines, unfilled


# -- reading -------------------------------------------------------------------------------


def read_table(folder: Path, name: str) -> pa.Table:
    """``<name>.parquet`` or ``<name>.csv``; an absent optional table is empty."""
    parquet, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
    if parquet.exists():
        return pq.read_table(parquet)
    types = CSV_TYPES[name]
    if csv.exists():
        with csv.open(encoding="utf-8-sig") as handle:
            header = handle.readline().strip().split(",")
        return pcsv.read_csv(
            csv,
            convert_options=pcsv.ConvertOptions(
                column_types={c: types[c] for c in header if c in types},
                true_values=["true", "True", "TRUE", "yes", "Yes", "1"],
                false_values=["false", "False", "FALSE", "no", "No", "0"],
                strings_can_be_null=True,
            ),
        )
    if name in ("inbound", "supply_options"):
        return pa.table({c: pa.array([], type=ty) for c, ty in types.items()})
    raise SystemExit(f"{folder}: no {name}.parquet or {name}.csv")


def lookup(values: pa.ChunkedArray | pa.Array, keys: pa.ChunkedArray | pa.Array) -> Ints:
    """Position of each value among ``keys`` (-1 when absent or null)."""
    if isinstance(keys, pa.ChunkedArray):
        keys = keys.combine_chunks()
    found = pc.index_in(values, value_set=keys.cast(values.type))
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def timestamps(column: pa.ChunkedArray) -> npt.NDArray[np.datetime64]:
    """Naive UTC seconds (NaT for nulls), whatever the file's unit or zone."""
    unit = column.type
    if isinstance(unit, pa.TimestampType) and unit.tz is not None:
        column = column.cast(pa.timestamp(unit.unit))
    values = column.to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype="datetime64[ns]").astype("datetime64[s]")


def ints(column: pa.ChunkedArray, null: int = 0) -> Ints:
    return np.asarray(pc.fill_null(column, null).to_numpy(), dtype=np.int64)


def bools(column: pa.ChunkedArray) -> Bools:
    return np.asarray(pc.fill_null(column, False).to_numpy(zero_copy_only=False), dtype=bool)


# -- entitlement ---------------------------------------------------------------------------


def entitlement(
    orders: pa.Table,
    customers: pa.Table,
    contracts: pa.Table,
    cust: Ints,
    site: pa.ChunkedArray,
    created: npt.NDArray[np.datetime64],
) -> Ints:
    """Class code per order: 0 ``parts_priority``, 1 ``standard``."""
    n = orders.num_rows
    types = lookup(orders["product_type"], pa.array([*PC_TYPES, PRINT_TYPE]))
    family = np.where(types < 0, -1, np.where(types == len(PC_TYPES), 1, 0))
    base = ints(customers["installed_base_pcs"]) + ints(customers["installed_base_printers"])
    helpdesk = bools(customers["has_it_helpdesk"])
    in_country = (lookup(site, pa.array(COVERED)) >= 0) & (lookup(site, pa.array(EXCLUDED)) < 0)
    eligible = (
        (family >= 0)
        & bools(orders["warranty_valid"])
        & (cust >= 0)
        & helpdesk[np.maximum(cust, 0)]
        & (base[np.maximum(cust, 0)] >= MIN_INSTALLED_BASE)
        & in_country
    )
    active = np.zeros(n, dtype=bool)
    sku = lookup(contracts["sku"], pa.array([s for s, _, _ in PM_SKUS]))
    pm = sku >= 0
    if pm.any() and eligible.any():
        # Customer codes shared with the orders: positions in the customers table.
        k_cust = lookup(contracts["customer_id"], customers["customer_id"])
        k_family = np.array([f for _, f, _ in PM_SKUS])[np.maximum(sku, 0)]
        k_term = np.array([y for _, _, y in PM_SKUS])[np.maximum(sku, 0)]
        purchase = timestamps(contracts["purchase_date"]).astype("datetime64[D]")
        activation = timestamps(contracts["activation_date"]).astype("datetime64[D]")
        start = np.where(
            np.isnat(activation),
            purchase + np.timedelta64(START_DAYS_AFTER_PURCHASE, "D"),
            activation,
        )
        end = add_years(start, k_term)
        keep = pm & (k_cust >= 0)
        k_key = (k_cust * 2 + k_family)[keep]
        by_key = np.argsort(k_key, kind="stable")
        k_key, k_start, k_end = k_key[by_key], start[keep][by_key], end[keep][by_key]
        rows = np.flatnonzero(eligible)
        o_key = cust[rows] * 2 + family[rows]
        lo = np.searchsorted(k_key, o_key, "left")
        hi = np.searchsorted(k_key, o_key, "right")
        pair_order, pair_contract = expand(rows, lo, hi - lo)
        day = created.astype("datetime64[D]")[pair_order]
        ok = (k_start[pair_contract] <= day) & (day < k_end[pair_contract])
        active[pair_order[ok]] = True
    return np.where(eligible & active, PARTS_PRIORITY, STANDARD).astype(np.int64)


def add_years(day: npt.NDArray[np.datetime64], years: Ints) -> npt.NDArray[np.datetime64]:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    month = day.astype("datetime64[M]")
    offset = (day - month.astype("datetime64[D]")).astype(np.int64)
    target = month + (12 * years).astype("timedelta64[M]")
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    )
    return target.astype("datetime64[D]") + np.minimum(offset, length - 1).astype("timedelta64[D]")


# -- network -------------------------------------------------------------------------------


def routes(
    lanes: pa.Table, depots: pa.Table, suppliers: pa.Table, site: pa.ChunkedArray
) -> tuple[Floats, Floats, pa.Array, Ints]:
    """Hours and money from each origin (depots by id, then suppliers) to each country, the
    countries, and each country's home depot row (-1: no depot reaches it)."""
    depot_ids = pc.sort_indices(depots, [("depot_id", "ascending")])
    depot_names = pc.take(depots["depot_id"], depot_ids).cast(pa.string())
    depot_country = pc.take(depots["country"], depot_ids).cast(pa.string())
    supplier_names = pc.unique(suppliers["supplier_id"].cast(pa.string()))
    supplier_names = pc.take(supplier_names, pc.sort_indices(supplier_names))
    origins = pa.concat_arrays([depot_names.combine_chunks(), supplier_names])
    ends = pa.concat_arrays(
        [
            lanes["origin"].cast(pa.string()).combine_chunks(),
            lanes["destination"].cast(pa.string()).combine_chunks(),
            depot_country.combine_chunks(),
            site.cast(pa.string()).combine_chunks().drop_null(),
        ]
    )
    countries = pc.filter(pc.unique(ends), pc.invert(pc.is_in(pc.unique(ends), origins)))
    nodes = pa.concat_arrays([origins, countries])
    n_nodes, n_origins = len(nodes), len(origins)
    h = np.full((n_nodes, n_nodes), np.inf)
    c = np.full((n_nodes, n_nodes), np.inf)
    i = lookup(lanes["origin"], nodes)
    j = lookup(lanes["destination"], nodes)
    lane_h = lanes["transit_hours"].to_numpy()
    lane_c = lanes["cost_per_unit"].to_numpy()
    # Parallel lanes: the fastest, then the cheapest (written last, so it wins).
    for_write = np.lexsort((-lane_c, -lane_h))
    h[i[for_write], j[for_write]] = lane_h[for_write]
    c[i[for_write], j[for_write]] = lane_c[for_write]
    d, home_col = np.arange(len(depot_names)), lookup(depot_country, nodes)
    no_lane = np.isinf(h[d, home_col])
    h[d[no_lane], home_col[no_lane]] = 0.0
    c[d[no_lane], home_col[no_lane]] = 0.0
    # Explicit zeros stay edges: the null value is inf.
    hours, pred = dijkstra(
        csgraph_from_dense(h, null_value=np.inf),
        indices=np.arange(n_origins),
        return_predecessors=True,
    )
    # Money along the fastest path: settle each node from its predecessor until nothing moves.
    money = np.where(np.arange(n_nodes)[None, :] == np.arange(n_origins)[:, None], 0.0, np.inf)
    rows = np.arange(n_origins)[:, None]
    has_pred = pred >= 0
    p = np.maximum(pred, 0)
    for _ in range(n_nodes):
        step = np.where(has_pred, money[rows, p] + c[p, np.arange(n_nodes)[None, :]], money)
        if np.array_equal(step, money):
            break
        money = step
    hours, money = hours[:, n_origins:], money[:, n_origins:]
    to_country = hours[: len(depot_names)]
    homes = np.where(
        np.isfinite(to_country).any(axis=0) if len(depot_names) else False,
        np.argmin(to_country, axis=0) if len(depot_names) else -1,
        -1,
    ).astype(np.int64)
    return hours, money, countries, homes


# -- sources and arcs ----------------------------------------------------------------------


@dataclass(frozen=True)
class Sources:
    """Sources of units as parallel arrays, sorted by ``key`` = part × (depots + 1) + depot
    (supply options take the depot slot past the last)."""

    key: Ints
    base: Ints  # 0 stock, 1 receipt, 2 expedite, 3 broker
    depot: Ints
    origin_row: Ints  # row in the route tables
    quantity: Ints
    release: Floats
    price: Floats
    origin: pa.Array
    part_number: pa.Array


def sources(
    stock: pa.Table,
    inbound: pa.Table,
    options: pa.Table,
    parts: pa.ChunkedArray,
    depots: pa.Table,
    as_of: np.datetime64,
) -> Sources:
    """Stock, receipts and supply options with units, sorted by (part, depot; options last)."""
    depot_names = pc.take(
        depots["depot_id"], pc.sort_indices(depots, [("depot_id", "ascending")])
    ).cast(pa.string())
    supplier_names = pc.unique(options["supplier_id"].cast(pa.string()))
    supplier_names = pc.take(supplier_names, pc.sort_indices(supplier_names))
    n_depots = len(depot_names)
    s_qty, i_qty, o_qty = (
        ints(stock["on_hand"]),
        ints(inbound["quantity"]),
        ints(options["capacity"]),
    )
    eta = timestamps(inbound["eta"])
    receipt_hours = np.maximum((eta - as_of) / np.timedelta64(1, "s") / 3600.0, 0.0)
    o_base = np.where(pc.equal(options["source"], "expedite").to_numpy(zero_copy_only=False), 2, 3)
    o_origin = lookup(options["supplier_id"], supplier_names)
    part = np.concatenate(
        [lookup(t["part_number"], parts) for t in (stock, inbound, options)]
    ).astype(np.int64)
    depot = np.concatenate(
        [
            lookup(stock["depot_id"], depot_names),
            lookup(inbound["depot_id"], depot_names),
            np.full(options.num_rows, n_depots),
        ]
    )
    base = np.concatenate([np.zeros(len(s_qty)), np.ones(len(i_qty)), o_base]).astype(np.int64)
    origin_row = np.concatenate([depot[: len(s_qty) + len(i_qty)], n_depots + o_origin]).astype(
        np.int64
    )
    quantity = np.concatenate([s_qty, i_qty, o_qty])
    release = np.concatenate(
        [np.zeros(len(s_qty)), receipt_hours, options["lead_time_hours"].to_numpy()]
    )
    price = np.concatenate([np.zeros(len(s_qty) + len(i_qty)), options["unit_cost"].to_numpy()])
    origin = pa.concat_arrays(
        [
            stock["depot_id"].cast(pa.string()).combine_chunks(),
            inbound["depot_id"].cast(pa.string()).combine_chunks(),
            options["supplier_id"].cast(pa.string()).combine_chunks(),
        ]
    )
    part_number = pa.concat_arrays(
        [t["part_number"].cast(pa.string()).combine_chunks() for t in (stock, inbound, options)]
    )
    keep = (quantity > 0) & (part >= 0) & (depot >= 0) & (origin_row >= 0)
    key = part * (n_depots + 1) + depot
    rows = np.flatnonzero(keep)[np.argsort(key[keep], kind="stable")]
    taken = pa.array(rows)
    return Sources(
        key=key[rows],
        base=base[rows],
        depot=depot[rows],
        origin_row=origin_row[rows],
        quantity=quantity[rows],
        release=release[rows],
        price=price[rows],
        origin=pc.take(origin, taken),
        part_number=pc.take(part_number, taken),
    )


def candidate_arcs(
    klass: Ints,
    order_part: Ints,
    order_home: Ints,
    src: Sources,
    n_depots: int,
) -> tuple[Ints, Ints]:
    """(order, source) pairs: every source of the part for ``parts_priority`` orders, the
    home depot's stock and receipts for ``standard`` ones."""
    key = src.key
    width = n_depots + 1
    orders = np.arange(len(klass))
    wide = (klass == PARTS_PRIORITY) & (order_part >= 0)
    narrow = (klass == STANDARD) & (order_part >= 0) & (order_home >= 0)
    w_lo = np.searchsorted(key, order_part[wide] * width, "left")
    w_hi = np.searchsorted(key, (order_part[wide] + 1) * width, "left")
    n_key = order_part[narrow] * width + order_home[narrow]
    n_lo = np.searchsorted(key, n_key, "left")
    n_hi = np.searchsorted(key, n_key, "right")
    o1, s1 = expand(orders[wide], w_lo, w_hi - w_lo)
    o2, s2 = expand(orders[narrow], n_lo, n_hi - n_lo)
    return np.concatenate([o1, o2]), np.concatenate([s1, s2])


def expand(rows: Ints, start: Ints, count: Ints) -> tuple[Ints, Ints]:
    """Each row repeated ``count`` times beside ``start, start + 1, …``."""
    total = int(count.sum())
    rep = np.repeat(rows, count)
    offset = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    return rep.astype(np.int64), (np.repeat(start, count) + offset).astype(np.int64)


def arc_kinds(base: Ints, depot: Ints, home: Ints) -> Ints:
    """Index into KINDS: stock or inbound at home, transfer elsewhere, or the option's kind."""
    kind = np.full(len(base), KINDS.index("transfer"), dtype=np.int64)
    kind[(base == 0) & (depot == home)] = KINDS.index("stock")
    kind[(base == 1) & (depot == home)] = KINDS.index("inbound")
    kind[base == 2] = KINDS.index("expedite")
    kind[base == 3] = KINDS.index("broker")
    return kind


# -- the greedy ----------------------------------------------------------------------------


def greedy(
    arc_order: Ints,
    arc_source: Ints,
    eta: Floats,
    cost: Floats,
    need: Ints,
    supply: Ints,
    klass: Ints,
    age: Ints,
    rounds: int = ROUNDS,
) -> Ints:
    """Units per arc: ``rounds`` rounds of bids (best arc per unfilled order) served by each
    source in (class, age) order with a cumulative sum."""
    flow = np.zeros(len(arc_order), dtype=np.int64)
    if len(flow) == 0:
        return flow
    by_order = np.lexsort((cost, eta, arc_order))
    a_order, a_source = arc_order[by_order], arc_source[by_order]
    alive = np.ones(len(by_order), dtype=bool)
    for _ in range(rounds):
        live = np.flatnonzero(alive & (need[a_order] > 0) & (supply[a_source] > 0))
        if len(live) == 0:
            break
        first = live[np.r_[True, a_order[live][1:] != a_order[live][:-1]]]
        o, s = a_order[first], a_source[first]
        rank = np.lexsort((age[o], klass[o], s))
        o, s, first = o[rank], s[rank], first[rank]
        want = need[o]
        start = np.r_[True, s[1:] != s[:-1]]
        cum = np.cumsum(want)
        base = np.maximum.accumulate(np.where(start, cum - want, 0))
        give = np.clip(supply[s] - (cum - want - base), 0, want)
        flow[by_order[first]] += give
        need[o] -= give  # one bid per order: no repeated index
        np.subtract.at(supply, s, give)
        alive[first] = False
    return flow


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
