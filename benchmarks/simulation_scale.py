"""The shortage simulator at scale: one year, 200,000 orders, 5,000 parts, 30 depots. JSON out.

Usage::

    python benchmarks/simulation_scale.py [--orders 200000] [--parts 5000] [--depots 30]
        [--days 365] [--repeat 3] [--strategy optimal] [--replications 8] [--workers 2]
        [--parallel-orders 50000] [--compare-orders 10000]

Everything in one run, so ratios compare like with like on a noisy machine:

- ``baseline``: the raw SimPy event rate (bare timeouts with a callback each), measured now;
  and ``plain_greedy``: a plain SimPy model of the same world — the same orders, base stock and
  gamma lead times — with one greedy decision per event (an arrival takes a unit from its home
  depot, else the first depot holding one, else waits in its home depot's queue; a unit taken
  is reordered at its depot; a receipt serves the oldest order waiting there), timed as a
  whole run with its event records built, ``--repeat`` times. ``replication.vs_plain_greedy``
  is the year's time over that model's: the target is at most 3.
- ``replication``: one replication of the year (event-driven re-planning of the touched part
  group on every arrival and receipt), ``--repeat`` times, each in a fresh forked process
  (its peak memory is its own); seconds, SimPy events per second, simulated orders per second,
  engine solves and exact no-solve decisions, and the event rate as a share of bare SimPy's.
- ``parallel``: ``--replications`` replications of a smaller year (``--parallel-orders``
  orders) one after another, then in ``--workers`` local processes: the speed-up, the CPU
  seconds each way (parallel runs must not do more work), and beside it the speed-up the
  machine gives pure CPU-bound jobs split the same way, measured just before and after: on
  a machine other work is loading, that ceiling is below ``workers``.
- ``shortcut``: a small year with the exact single-order path on and off (every decision by
  the engine): what the path is worth, and that it changes no record.

The world is the synthetic generator's (a minority of Priority Management customers, a few
hot parts with most of the demand, too little stock for exactly those); the demand mix is
that of a month of its orders, arriving as a Poisson stream. Base stock is the world's
starting stock, reordered from the factory with a two-week gamma lead time (cv 0.3).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import resource
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pandas as pd
import simpy

from simulation.replicate import Task, run_replication, run_tasks
from simulation.use_cases import scenario_source
from simulation.world.setup import WorldSetup, build_setup


def scenario(orders: int, parts: int, depots: int, days: float, strategy: str) -> dict[str, Any]:
    """The benchmark scenario: ``orders`` arrivals over ``days`` on a generated world."""
    per_day = orders / days
    return {
        "version": 1,
        "name": f"benchmark {orders} orders",
        "world": {
            "generate": {
                "orders": max(int(per_day * 30), 100),
                "parts": parts,
                "depots": depots,
                "seed": 3,
            }
        },
        "horizon_days": days,
        "drain_days": 30,
        "demand": {"model": "poisson", "orders_per_day": per_day, "backlog": False},
        "replenishment": {"lead_time": {"distribution": "gamma", "mean_hours": 336, "cv": 0.3}},
        "policy": {"strategy": strategy, "mode": "event"},
        "replications": 1,
        "seed": 1,
    }


def bare_simpy(events: int = 1_000_000) -> dict[str, float]:
    """Events per second of SimPy alone: timeouts with one callback each."""
    env = simpy.Environment()
    count = [0]

    def tick(_: simpy.Event) -> None:
        count[0] += 1

    def process(env: simpy.Environment) -> Any:
        for _ in range(events):
            event = env.timeout(1.0)
            event.callbacks.append(tick)
            yield event

    env.process(process(env))
    started = time.perf_counter()
    env.run()
    seconds = time.perf_counter() - started
    return {"events": events, "seconds": round(seconds, 3), "events_per_second": events / seconds}


def plain_greedy(setup: WorldSetup, seed: int = 1) -> dict[str, Any]:
    """A plain SimPy model of the benchmark's world with one greedy decision per event.

    The orders are the replication's own (the same draw), the base stock the world's
    starting stock, lead times the scenario's gamma; no entitlement, no engine, no
    receipts promised ahead: what a hand-written simulation of this world would do.
    """
    import collections

    import numpy as np

    from simulation.world.demand import order_book
    from simulation.world.sampling import draw_lead_time

    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    book, arrivals = order_book(setup, rng)
    lead = setup.scenario.replenishment.lead_time
    stock = setup.initial_stock.astype(np.int64).tolist()
    depots = len(setup.depot_ids)
    waiting: dict[tuple[int, int], collections.deque[tuple[int, int]]] = {}
    records: list[tuple[float, str, int, int, int]] = []
    env = simpy.Environment()
    lead_rng = np.random.default_rng(seed + 1)

    def reorder(part: int, depot: int, units: int) -> None:
        for _ in range(units):
            event = env.timeout(draw_lead_time(lead_rng, lead.mean_hours, lead.cv))
            event.callbacks.append(lambda _, p=part, d=depot: receive(p, d))

    def take(row: int, part: int, depot: int, units: int) -> None:
        stock[part][depot] -= units
        records.append((env.now, "allocated", row, part, depot))
        reorder(part, depot, units)

    def receive(part: int, depot: int) -> None:
        stock[part][depot] += 1
        records.append((env.now, "received", -1, part, depot))
        queue = waiting.get((part, depot))
        while queue and stock[part][depot] >= queue[0][1]:
            row, units = queue.popleft()
            take(row, part, depot, units)

    def arrive(row: int) -> None:
        part, home, units = book.part[row], book.home[row], book.quantity[row]
        records.append((env.now, "order_created", row, part, home))
        shelf = stock[part]
        for depot in [home, *range(depots)]:
            if shelf[depot] >= units:
                take(row, part, depot, units)
                return
        waiting.setdefault((part, home), collections.deque()).append((row, units))

    def stream(env: simpy.Environment) -> Any:
        for row in arrivals:
            yield env.timeout(max(book.created[row] - env.now, 0.0))
            arrive(row)

    env.process(stream(env))
    env.run(until=setup.end_hours)
    frame = pd.DataFrame(records, columns=["time", "event", "row", "part", "depot"])
    return {
        "seconds": time.perf_counter() - started,
        "orders": len(arrivals),
        "records": len(frame),
        "simpy_events": len(frame),
    }


def measure_plain_greedy(setup: WorldSetup, repeat: int) -> dict[str, Any]:
    runs = [_in_child(lambda: plain_greedy(setup)) for _ in range(repeat)]
    return {
        "repeat": repeat,
        "seconds": [round(r["seconds"], 2) for r in runs],
        "median_seconds": round(statistics.median(r["seconds"] for r in runs), 2),
        "orders": runs[0]["orders"],
        "records": runs[0]["records"],
        "peak_mb": round(max(r["peak_mb"] for r in runs)),
    }


def _in_child(job: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``job`` in a forked process; its result plus the child's peak memory."""
    parent, child = mp.get_context("fork").Pipe(duplex=False)

    def target() -> None:
        result = job()
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child.send(result)

    process = mp.get_context("fork").Process(target=target)
    process.start()
    result: dict[str, Any] = parent.recv()
    process.join()
    return result


def one_replication(setup: WorldSetup, strategy: str, shortcut: bool = True) -> dict[str, Any]:
    out = run_replication(setup, Task(strategy, 0, 1), shortcut=shortcut)
    created = int((out.records["event"] == "order_created").sum())
    return {
        "seconds": out.seconds,
        "orders": created,
        "simpy_events": out.events,
        "records": len(out.records),
        "engine_solves": out.solves,
        "exact_shortcuts": out.shortcuts,
        "records_hash": int(pd.util.hash_pandas_object(out.records, index=False).sum()),
    }


def measure_replication(
    setup: WorldSetup, strategy: str, repeat: int, bare: float
) -> dict[str, Any]:
    runs = [_in_child(lambda: one_replication(setup, strategy)) for _ in range(repeat)]
    seconds = statistics.median(r["seconds"] for r in runs)
    first = runs[0]
    return {
        "repeat": repeat,
        "seconds": [round(r["seconds"], 2) for r in runs],
        "median_seconds": round(seconds, 2),
        "orders": first["orders"],
        "simpy_events": first["simpy_events"],
        "records": first["records"],
        "events_per_second": round(first["simpy_events"] / seconds),
        "orders_per_second": round(first["orders"] / seconds),
        "event_rate_vs_bare_simpy": round(first["simpy_events"] / seconds / bare, 3),
        "engine_solves": first["engine_solves"],
        "exact_shortcuts": first["exact_shortcuts"],
        "peak_mb": round(statistics.median(r["peak_mb"] for r in runs)),
        "same_records_every_repeat": len({r["records_hash"] for r in runs}) == 1,
    }


def _spin(n: int) -> int:
    """Pure-Python CPU work, the same in every process."""
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def ceiling(tasks: int, workers: int, n: int = 6_000_000) -> float:
    """How much faster ``workers`` processes finish ``tasks`` equal CPU-bound jobs than one
    process, on this machine now: the best any parallel run can do at this load."""
    started = time.perf_counter()
    for _ in range(tasks):
        _spin(n)
    serial = time.perf_counter() - started
    started = time.perf_counter()
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
        list(pool.map(_spin, [n] * tasks))
    return serial / (time.perf_counter() - started)


def measure_parallel(
    setup: WorldSetup, strategy: str, replications: int, workers: int
) -> dict[str, Any]:
    tasks = [Task(strategy, r, 1) for r in range(replications)]
    before = ceiling(replications, workers)
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    serial = run_tasks(setup, tasks, workers=1)
    one_by_one = time.perf_counter() - started
    serial_cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime - cpu.ru_utime
    del serial
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    started = time.perf_counter()
    run_tasks(setup, tasks, workers=workers)
    parallel = time.perf_counter() - started
    parallel_cpu = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - children
    after = ceiling(replications, workers)
    speedup = one_by_one / parallel
    machine = statistics.median([before, after])
    return {
        "replications": replications,
        "workers": workers,
        "one_after_another_seconds": round(one_by_one, 2),
        "in_local_processes_seconds": round(parallel, 2),
        "speedup": round(speedup, 2),
        "cpu_seconds": {
            "one_after_another": round(serial_cpu, 1),
            "in_local_processes": round(parallel_cpu, 1),
        },
        "cpu_bound_ceiling_speedup": [round(before, 2), round(after, 2)],
        "speedup_share_of_ceiling": round(speedup / machine, 2),
    }


def measure_shortcut(setup: WorldSetup, strategy: str) -> dict[str, Any]:
    on = _in_child(lambda: one_replication(setup, strategy, shortcut=True))
    off = _in_child(lambda: one_replication(setup, strategy, shortcut=False))
    return {
        "orders": on["orders"],
        "with_exact_path_seconds": round(on["seconds"], 2),
        "engine_only_seconds": round(off["seconds"], 2),
        "speedup": round(off["seconds"] / on["seconds"], 1),
        "engine_solves": {
            "with_exact_path": on["engine_solves"],
            "engine_only": off["engine_solves"],
        },
        "same_records": on["records_hash"] == off["records_hash"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--parts", type=int, default=5_000)
    parser.add_argument("--depots", type=int, default=30)
    parser.add_argument("--days", type=float, default=365.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--strategy", default="optimal")
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--parallel-orders", type=int, default=50_000)
    parser.add_argument("--compare-orders", type=int, default=10_000)
    parser.add_argument("--skip", default="", help="comma-separated: parallel, shortcut")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    load_start = os.getloadavg()
    bare = statistics.median(bare_simpy()["events_per_second"] for _ in range(3))

    def built(orders: int) -> tuple[WorldSetup, float]:
        started = time.perf_counter()
        source = scenario_source(
            scenario(orders, args.parts, args.depots, args.days, args.strategy)
        )
        setup = build_setup(source)
        return setup, time.perf_counter() - started

    setup, setup_seconds = built(args.orders)
    document: dict[str, Any] = {
        "benchmark": "simulation_scale",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "simpy": simpy.__version__,
            "loadavg_start": [round(x, 2) for x in load_start],
        },
        "scenario": {
            "orders": args.orders,
            "days": args.days,
            "parts": args.parts,
            "depots": args.depots,
            "strategy": args.strategy,
            "mode": "event",
        },
        "baseline": {"bare_simpy_events_per_second": round(bare)},
        "setup_seconds": round(setup_seconds, 2),
        "replication": measure_replication(setup, args.strategy, args.repeat, bare),
        "plain_greedy": measure_plain_greedy(setup, args.repeat),
    }
    document["replication"]["vs_plain_greedy"] = round(
        document["replication"]["median_seconds"] / document["plain_greedy"]["median_seconds"], 2
    )
    document["replication"]["target_vs_plain_greedy"] = 3.0
    if "parallel" not in skip:
        small, _ = built(args.parallel_orders)
        document["parallel"] = {
            "orders": args.parallel_orders,
            **measure_parallel(small, args.strategy, args.replications, args.workers),
        }
    if "shortcut" not in skip:
        tiny, _ = built(args.compare_orders)
        document["shortcut"] = measure_shortcut(tiny, args.strategy)
    document["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
