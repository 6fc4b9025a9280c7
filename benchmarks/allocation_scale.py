"""Allocation at 10k, 100k and 1M orders: every strategy on the same worlds, JSON out.

Usage: python benchmarks/allocation_scale.py [--sizes 10k,100k,1m] [--repeat N]

Each (size, strategy) runs in a fresh process so that its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = {
    "10k": (10_000, 1_000),
    "100k": (100_000, 10_000),
    "1m": (1_000_000, 50_000),
}
STRATEGIES = ["optimal", "optimal_2_workers", "tier_greedy", "fifo", "numpy_greedy", "lp_highs"]
LP_LIMIT = 100_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10k,100k,1m")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--run", nargs=2, metavar=("WORLD", "STRATEGY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(Path(args.run[0]), args.run[1])))
        return
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes.split(","):
            orders, parts = SIZES[size]
            world = Path(tmp) / size
            started = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "allocation.entrypoints.cli",
                    "generate",
                    "--out",
                    str(world),
                    "--orders",
                    str(orders),
                    "--parts",
                    str(parts),
                    "--depots",
                    "30",
                    "--seed",
                    "7",
                    "--format",
                    "parquet",
                ],
                check=True,
                capture_output=True,
            )
            generated = time.perf_counter() - started
            for strategy in args.strategies.split(","):
                if strategy == "lp_highs" and orders > LP_LIMIT:
                    results.append(
                        {
                            "size": size,
                            "orders": orders,
                            "strategy": strategy,
                            "skipped": f"LP beyond {LP_LIMIT:,} orders takes minutes",
                        }
                    )
                    continue
                runs = [_child(world, strategy) for _ in range(args.repeat)]
                ok = [r for r in runs if "error" not in r]
                if not ok:
                    results.append({"size": size, "strategy": strategy, **runs[0]})
                    continue
                row = dict(ok[0])
                for key in ("build_seconds", "solve_seconds", "total_seconds", "peak_memory_mb"):
                    row[key] = round(statistics.median(r[key] for r in ok), 3)
                row.update(
                    size=size,
                    orders=orders,
                    parts=parts,
                    depots=30,
                    repeats=len(ok),
                    generate_seconds=round(generated, 2),
                )
                results.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
    print(json.dumps({"machine": {"cpus": os.cpu_count()}, "results": results}, indent=2))


def _child(world: Path, strategy: str) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, __file__, "--run", str(world), strategy],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_one(world: Path, strategy: str) -> dict[str, object]:
    from allocation import Engine, Plan, load_snapshot

    started = time.perf_counter()
    snapshot = load_snapshot(world)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    engine = Engine(snapshot)
    problem = engine.problem()
    build = time.perf_counter() - started
    started = time.perf_counter()
    if strategy == "optimal":
        plan = engine.plan("optimal")
    elif strategy == "optimal_2_workers":
        plan = engine.plan("optimal", workers=2)
    elif strategy in ("fifo", "tier_greedy"):
        plan = engine.plan(strategy)
    elif strategy == "numpy_greedy":
        sys.path.insert(0, str(Path(__file__).parent))
        from greedy import solve_vectorised_greedy

        plan = Plan(problem, solve_vectorised_greedy(problem), strategy)
    elif strategy == "lp_highs":
        sys.path.insert(0, str(Path(__file__).parent))
        from weighted_lp import solve_weighted_lp

        plan = Plan(problem, solve_weighted_lp(problem), strategy)
    else:
        raise SystemExit(f"unknown strategy {strategy}")
    solve = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "strategy": strategy,
        "arcs": len(problem.arcs),
        "load_seconds": round(loaded, 3),
        "build_seconds": round(build, 3),
        "solve_seconds": round(solve, 3),
        "total_seconds": round(build + solve, 3),
        "peak_memory_mb": round(peak, 1),
        "objective": plan.objective(),
    }


if __name__ == "__main__":
    main()
