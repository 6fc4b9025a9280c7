"""Replications send back what a result shows of them, not their records, unless asked.

Each replication reduces its records to per-replication tables where it runs (a forked
process, a Dask worker) and sends only those to the process that asked: that process's
memory then grows by kilobytes per replication, not by the records' megabytes, and paired
differences between policies, computed from per-replication KPIs, are the same either way.
``benchmarks/dask_memory.py`` shows it at scale (200 replications of 50,000 orders).
"""

from __future__ import annotations

import gc
import pickle
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pytest

from simulation import compare, simulate, sweep
from simulation.replicate import ReplicationOutput


def generated(
    orders_per_day: float, days: float, parts: int, depots: int, customers: int | None = None
) -> dict[str, Any]:
    """A scenario on a generated world: its world holds a month of its own demand."""
    world: dict[str, Any] = {
        "orders": int(orders_per_day * 30),
        "parts": parts,
        "depots": depots,
        "seed": 3,
    }
    if customers is not None:
        world["customers"] = customers
    return {
        "version": 1,
        "name": "memory",
        "world": {"generate": world},
        "horizon_days": days,
        "drain_days": 10,
        "demand": {"model": "poisson", "orders_per_day": orders_per_day, "backlog": False},
        "replenishment": {"lead_time": {"distribution": "gamma", "mean_hours": 96, "cv": 0.5}},
        "replications": 1,
        "seed": 7,
    }


SMALL = generated(orders_per_day=25, days=12, parts=30, depots=4)


def test_replications_in_local_processes_send_back_their_kpis_and_no_records() -> None:
    lean_outputs: list[ReplicationOutput] = []
    kept_outputs: list[ReplicationOutput] = []
    lean = simulate(SMALL, replications=3, workers=2, progress=lean_outputs.append)
    kept = simulate(
        SMALL, replications=3, workers=2, progress=kept_outputs.append, keep_records=True
    )

    assert [out.records for out in lean_outputs] == [None, None, None]
    assert all(out.record_count > 0 for out in lean_outputs)
    for out in lean_outputs:
        by_class = out.reduced.kpis[("priority_class",)]
        assert set(by_class["replication"]) == {out.task.replication}
        assert by_class["orders"].sum() > 0
    assert not lean.kept_records
    assert sorted(lean.kpis()["replication"].unique()) == [0, 1, 2]

    sizes = {out.task.replication: len(pickle.dumps(out)) for out in lean_outputs}
    for out in kept_outputs:
        assert out.records is not None
        assert len(out.records) == out.record_count
        assert sizes[out.task.replication] < len(pickle.dumps(out)) / 3
    assert kept.kept_records
    pd.testing.assert_frame_equal(lean.kpis(), kept.kpis(), check_exact=True)


def test_compare_gives_the_same_paired_differences_with_and_without_records() -> None:
    lean = compare(SMALL, ["optimal", "fifo"], replications=3, workers=2)
    kept = compare(SMALL, ["optimal", "fifo"], replications=3, workers=2, keep_records=True)

    assert not any(result.kept_records for result in lean.results.values())
    assert all(result.kept_records for result in kept.results.values())
    differences = lean.differences()
    assert (differences["mean"] != 0).any()  # the policies differ: the pairing matters
    pd.testing.assert_frame_equal(differences, kept.differences(), check_exact=True)
    pd.testing.assert_frame_equal(
        lean.differences("tier"), kept.differences("tier"), check_exact=True
    )


def test_a_sweep_gives_the_same_summaries_with_and_without_records() -> None:
    grid = {"demand.orders_per_day": [15, 30]}
    lean = sweep(SMALL, grid, replications=2, workers=2)
    kept = sweep(SMALL, grid, replications=2, workers=2, keep_records=True)

    assert not any(result.kept_records for _, result in lean.points)
    pd.testing.assert_frame_equal(lean.summary(), kept.summary(), check_exact=True)


# -- the client's memory on Dask ---------------------------------------------------------


@dataclass
class HeapWatch:
    """A progress callback: the traced heap after ``first`` and after ``last`` finished
    replications, and what the replications after ``first`` brought (their reduced tables
    pickled, as the client keeps them; their records' size in memory)."""

    first: int
    last: int
    done: int = 0
    heap: dict[int, int] = field(default_factory=dict)
    reduced_bytes: int = 0
    record_bytes: int = 0

    def __call__(self, output: ReplicationOutput) -> None:
        self.done += 1
        if self.done > self.first:
            self.reduced_bytes += len(pickle.dumps(output.reduced, pickle.HIGHEST_PROTOCOL))
            if output.records is not None:
                self.record_bytes += int(output.records.memory_usage(deep=True).sum())
        if self.done in (self.first, self.last):
            gc.collect()
            self.heap[self.done] = tracemalloc.get_traced_memory()[0]

    @property
    def growth(self) -> int:
        return self.heap[self.last] - self.heap[self.first]


@contextmanager
def traced() -> Iterator[None]:
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        yield
    finally:
        if started:
            tracemalloc.stop()


@pytest.mark.slow
def test_the_clients_heap_on_dask_grows_by_reduced_tables_and_by_records_only_when_kept() -> None:
    pytest.importorskip("distributed")
    # Few parts and customers, many orders: a replication's records (some 0.5 MB) are more
    # than ten times the tables it reduces them to.
    scenario = generated(orders_per_day=50, days=40, parts=50, depots=5, customers=20)
    lean, kept = HeapWatch(10, 30), HeapWatch(10, 30)
    with traced():
        simulate(scenario, replications=30, workers=2, dask="local", progress=lean)
        simulate(
            scenario, replications=30, workers=2, dask="local", progress=kept, keep_records=True
        )

    mb = 1024 * 1024
    assert kept.record_bytes > 5 * kept.reduced_bytes
    # Without records, 20 more replications cost the client their reduced tables (kept in
    # memory while they are small) and Dask's bookkeeping: not their records.
    assert lean.growth < 1.25 * lean.reduced_bytes + 1 * mb, (lean.growth, lean.reduced_bytes)
    # With records, each replication's records stay with the client.
    assert kept.growth > 0.8 * kept.record_bytes, (kept.growth, kept.record_bytes)
    assert kept.growth < 1.25 * (kept.record_bytes + kept.reduced_bytes) + 1 * mb
