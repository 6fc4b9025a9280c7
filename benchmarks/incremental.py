"""Incremental re-planning: one order arrives for a part with 1,000 open orders. JSON out.

Usage: python benchmarks/incremental.py [--open 1000] [--arrivals 200]

Two worlds of one part, 30 depots: *uncontended* (every depot holds plenty: the arrival is
served from free stock without a solve) and *contended* (70% of demand coverable: the
arrival competes, and its part group is solved again). Beside each, the time of a full
re-plan of the same world, so the ratio is measured in one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import pandas as pd

from allocation import Planner, allocate, generate_world, load_snapshot


def _world(open_orders: int, contended: bool, seed: int) -> dict[str, pd.DataFrame]:
    tables = generate_world(open_orders, 1, 30, seed, coverable_share=0.7)
    if not contended:
        depots = tables["depots"]["depot_id"]
        part = tables["parts"]["part_number"].iloc[0]
        tables["stock"] = pd.DataFrame(
            {"part_number": part, "depot_id": depots, "on_hand": 100_000}
        )
    return tables


def _arrivals(tables: dict[str, pd.DataFrame], n: int) -> list[dict[str, object]]:
    orders = tables["orders"]
    latest = pd.Timestamp(orders["created_at"].max())
    base = orders.sample(n=n, replace=True, random_state=1).reset_index(drop=True)
    out = []
    for i, row in enumerate(base.to_dict(orient="records")):
        row["order_id"] = f"NEW-{i:05d}"
        row["created_at"] = latest + pd.Timedelta(minutes=i + 1)
        out.append(row)
    return out


def measure(open_orders: int, arrivals: int, contended: bool) -> dict[str, object]:
    tables = _world(open_orders, contended, seed=11)
    snapshot = load_snapshot(tables)
    planner = Planner(snapshot)
    times = []
    for order in _arrivals(tables, arrivals):
        started = time.perf_counter()
        planner.add_order(order)
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    allocate(snapshot)
    full = time.perf_counter() - started
    times.sort()
    return {
        "world": "contended" if contended else "uncontended",
        "open_orders": open_orders,
        "arrivals": arrivals,
        "median_ms": round(statistics.median(times) * 1000, 3),
        "p90_ms": round(times[int(0.9 * (len(times) - 1))] * 1000, 3),
        "max_ms": round(times[-1] * 1000, 3),
        "full_replan_ms": round(full * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--open", type=int, default=1000)
    parser.add_argument("--arrivals", type=int, default=200)
    args = parser.parse_args()
    results = [measure(args.open, args.arrivals, contended) for contended in (False, True)]
    print(json.dumps({"results": results}, indent=2))


if __name__ == "__main__":
    main()
