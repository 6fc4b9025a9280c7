"""Strategies: the lexicographic min-cost flow (exact on every level) and the baselines.

Solver code never does I/O: it takes arrays and returns units per arc.
"""

from __future__ import annotations

from allocation.engine.solve._baselines import solve_fifo, solve_tier_greedy
from allocation.engine.solve._lexflow import FlowProblem, Level, solve_lexicographic
from allocation.engine.solve._optimal import (
    Batches,
    FlowTask,
    Runner,
    dask_runner,
    local_runner,
    make_batches,
    run_task,
    solve_optimal,
)
from allocation.engine.solve._strategies import (
    STRATEGIES,
    Solution,
    check_strategy,
    solve_strategy,
)

__all__ = [
    "STRATEGIES",
    "Batches",
    "FlowProblem",
    "FlowTask",
    "Level",
    "Runner",
    "Solution",
    "check_strategy",
    "dask_runner",
    "local_runner",
    "make_batches",
    "run_task",
    "solve_fifo",
    "solve_lexicographic",
    "solve_optimal",
    "solve_strategy",
    "solve_tier_greedy",
]
