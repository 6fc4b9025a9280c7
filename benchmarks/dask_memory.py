"""Replications by the hundred on Dask: the client's memory stays flat. JSON out.

Usage::

    python benchmarks/dask_memory.py [--replications 200] [--orders 50000] [--workers 2]
        [--kept 20] [--days 365] [--parts 5000] [--depots 30]

Each replication reduces its records to the tables a result shows where it runs, on a Dask
worker, and sends back only those; its event records come back only when asked for
(``keep_records=True``, ``--out``). This benchmark shows what that is worth to the process
that asked (the client), the way a user runs it: ``simulation.simulate(scenario,
replications=N, dask="local", workers=W)`` on a local Dask cluster, with a progress callback
that samples the client's memory each time another tenth of the replications has come in:

- ``rss_mb``: the client's resident set (``/proc/self/statm``; Linux). A local cluster's
  scheduler runs in the client process and counts here; its workers do not.
- ``heap_mb``: the Python heap the client holds (``tracemalloc``, NumPy's and pandas' arrays
  included), after a garbage collection: the figure that says what the client keeps.

Two runs, one after the other, in the same process:

- ``without_records``: ``--replications`` replications, records not kept (the default).
  ``growth`` is the change from the first checkpoint to the last; flat means the client
  keeps only the reduced tables — and those go to a temporary file past 8 MB.
- ``with_records``: the baseline, ``--kept`` replications of the same scenario with
  ``keep_records=True``: every replication's records cross to the client and stay there.
  ``heap_per_replication_mb`` is what each one costs; ``projected_mb_for`` multiplies it by
  the first run's replications: what that run would have needed had records come back.
  ``same_kpis_as_without_records`` checks that the replications both runs share (same seed,
  same numbers) gave the same per-replication KPIs, bit for bit.

The world is the synthetic generator's, built as ``simulation_scale.py`` builds it: a few
hot parts with most of the demand, a minority of Priority Management customers, the demand
mix of a month of its orders arriving as a Poisson stream (``--orders`` over ``--days``),
base stock the world's starting stock, reordered with a two-week gamma lead time; the
``optimal`` policy re-plans on every event.

One JSON document goes to stdout; progress lines go to stderr.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import sys
import time
import tracemalloc
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import dask
import pandas as pd
from simulation_scale import scenario  # the same world as the speed benchmark (this folder)

from simulation import SimulationResult, simulate
from simulation.replicate import ReplicationOutput

_MB = 1024 * 1024
_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    """This process's resident set now (not its peak)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * _PAGE


def heap_bytes() -> int:
    """The Python heap this process holds now, garbage collected first (tracemalloc)."""
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def checkpoints(replications: int, steps: int = 10) -> list[int]:
    """After how many finished replications to sample: each further tenth (fewer, when
    there are fewer than ten replications)."""
    return sorted({math.ceil(replications * i / steps) for i in range(1, steps + 1)})


@dataclass
class Sampler:
    """The progress callback: counts finished replications and samples the client's memory
    at the checkpoints; with ``measure_records``, adds up the records that came back."""

    label: str
    replications: int
    measure_records: bool = False
    started: float = field(default_factory=time.perf_counter)
    done: int = 0
    record_bytes: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._at = set(checkpoints(self.replications))

    def __call__(self, output: ReplicationOutput) -> None:
        self.done += 1
        if self.measure_records and output.records is not None:
            self.record_bytes += int(output.records.memory_usage(deep=True).sum())
        if self.done not in self._at:
            return
        sample = {
            "replications": self.done,
            "seconds": round(time.perf_counter() - self.started, 1),
            "rss_mb": round(rss_bytes() / _MB, 1),
            "heap_mb": round(heap_bytes() / _MB, 2),
        }
        self.samples.append(sample)
        log(
            f"{self.label}: {self.done}/{self.replications} replications, "
            f"{sample['seconds']} s, RSS {sample['rss_mb']} MB, heap {sample['heap_mb']} MB"
        )

    def growth(self) -> dict[str, Any]:
        """Change from the first checkpoint to the last, in all and per replication."""
        first, last = self.samples[0], self.samples[-1]
        between = last["replications"] - first["replications"]
        heap = last["heap_mb"] - first["heap_mb"]
        return {
            "from_replications": first["replications"],
            "to_replications": last["replications"],
            "rss_mb": round(last["rss_mb"] - first["rss_mb"], 1),
            "heap_mb": round(heap, 2),
            "heap_per_replication_mb": round(heap / between, 3) if between else None,
        }


def run(
    label: str,
    source: dict[str, Any],
    replications: int,
    workers: int,
    keep_records: bool,
) -> tuple[SimulationResult, Sampler, float]:
    """One run on a local Dask cluster, through the public API, sampled as it goes."""
    log(f"{label}: {replications} replications on a local Dask cluster of {workers} workers")
    sampler = Sampler(label, replications, measure_records=keep_records)
    started = time.perf_counter()
    result = simulate(
        source,
        replications=replications,
        workers=workers,
        dask="local",
        progress=sampler,
        keep_records=keep_records,
    )
    return result, sampler, time.perf_counter() - started


def document_of(
    result: SimulationResult, sampler: Sampler, seconds: float, workers: int
) -> dict[str, Any]:
    stats = result.run_stats
    return {
        "replications": result.replications,
        "workers": workers,
        "seconds": round(seconds, 1),
        "replication_seconds_mean": round(float(stats["seconds"].mean()), 2),
        "records_written_per_replication": round(float(stats["records"].mean())),
        "records_kept_by_client": result.kept_records,
        "checkpoints": sampler.samples,
        "growth": sampler.growth(),
        "heap_peak_mb": round(tracemalloc.get_traced_memory()[1] / _MB, 1),
    }


def headline(result: SimulationResult) -> dict[str, float]:
    """Mean downtime per priority class over the replications: the run's answer."""
    summary = result.summary("priority_class")
    rows = summary[summary["kpi"] == "mean_downtime_hours"]
    classes = rows["priority_class"].astype(str).tolist()
    means = rows["mean"].to_numpy(dtype=float).round(2).tolist()
    return dict(zip(classes, means, strict=True))


def log(message: str) -> None:
    stamp = datetime.now(UTC).strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", file=sys.stderr, flush=True)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    source = scenario(args.orders, args.parts, args.depots, args.days, "optimal")
    load_start = os.getloadavg()
    tracemalloc.start()

    lean, lean_sampler, lean_seconds = run(
        "without records", source, args.replications, args.workers, keep_records=False
    )
    orders = lean.kpis(None)["orders"]
    without = document_of(lean, lean_sampler, lean_seconds, args.workers)
    without["mean_downtime_hours"] = headline(lean)
    shared_kpis = lean.kpis("priority_class").query(f"replication < {args.kept}")
    del lean
    tracemalloc.reset_peak()

    kept, kept_sampler, kept_seconds = run(
        "with records", source, args.kept, args.workers, keep_records=True
    )
    with_records = document_of(kept, kept_sampler, kept_seconds, args.workers)
    per_replication = kept_sampler.record_bytes / args.kept / _MB
    with_records["records_mb_per_replication"] = round(per_replication, 2)
    heap_each = with_records["growth"]["heap_per_replication_mb"]
    with_records["projected_mb_for"] = {
        "replications": args.replications,
        "records_mb": round(per_replication * args.replications),
        "heap_mb": round(heap_each * args.replications) if heap_each is not None else None,
    }
    same = kept.kpis("priority_class").reset_index(drop=True)
    with_records["same_kpis_as_without_records"] = bool(
        same.equals(shared_kpis.reset_index(drop=True))
    )
    del kept
    tracemalloc.stop()

    return {
        "benchmark": "dask_memory",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "dask": dask.__version__,
            "pandas": pd.__version__,
            "loadavg_start": [round(x, 2) for x in load_start],
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        },
        "scenario": {
            "orders_requested": args.orders,
            "orders_per_replication": {
                "mean": round(float(orders.mean())),
                "min": int(orders.min()),
                "max": int(orders.max()),
            },
            "days": args.days,
            "parts": args.parts,
            "depots": args.depots,
            "policy": "optimal",
            "mode": "event",
        },
        "without_records": without,
        "with_records": with_records,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kept", type=int, default=20, help="replications of the baseline")
    parser.add_argument("--days", type=float, default=365.0)
    parser.add_argument("--parts", type=int, default=5_000)
    parser.add_argument("--depots", type=int, default=30)
    args = parser.parse_args()
    if args.kept > args.replications:
        parser.error("--kept cannot exceed --replications")
    print(json.dumps(measure(args), indent=2))


# Dask starts its workers as fresh interpreters that import this file again: nothing may
# run on import.
if __name__ == "__main__":
    main()
