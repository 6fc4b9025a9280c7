"""The simulation use cases: simulate, compare and sweep.

The CLI, notebooks and tests call these; each takes a scenario (a file or a loaded one),
runs replications where it is told to, and returns a result object whose tables and plots
are computed from the event records.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from allocation.allocate import STRATEGIES
from simulation.errors import ScenarioError
from simulation.replicate import Progress, Task, run_tasks
from simulation.results import Comparison, SimulationResult, SweepResult
from simulation.scenario.load import ScenarioFile, load_scenario
from simulation.world.setup import build_setup

__all__ = ["compare", "simulate", "sweep"]


def simulate(
    scenario: str | Path | ScenarioFile,
    replications: int | None = None,
    seed: int | None = None,
    policy: str | None = None,
    workers: int = 1,
    dask: str | None = None,
    progress: Progress | None = None,
) -> SimulationResult:
    """Run a scenario's replications under one policy.

    Parameters
    ----------
    scenario : path or ScenarioFile
        A scenario YAML file (see ``scenarios/``).
    replications, seed, policy : optional
        Override the scenario's replications, seed and strategy
        (``optimal``, ``fifo`` or ``tier_greedy``).
    workers : int
        Local processes to run replications in (1: this process).
    dask : str, optional
        A Dask scheduler address or ``"local"``; results are the same as without.
    progress : callable, optional
        Called with each replication's output as it finishes.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> result = simulate("scenarios/normal-quarter.yaml", replications=2)
    >>> sorted(result.summary()["priority_class"].unique())
    ['parts_priority', 'standard']
    """
    source = _source(scenario)
    strategy = _strategy(policy or source.scenario.policy.strategy)
    setup = build_setup(source)
    count = replications or source.scenario.replications
    base = source.scenario.seed if seed is None else seed
    tasks = [Task(strategy, r, base) for r in range(count)]
    outputs = run_tasks(setup, tasks, workers=workers, dask=dask, progress=progress)
    return SimulationResult.from_outputs(source.scenario, strategy, base, outputs)


def compare(
    scenario: str | Path | ScenarioFile,
    policies: Sequence[str],
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    dask: str | None = None,
    progress: Progress | None = None,
) -> Comparison:
    """Run several policies on the same random numbers (same demand, same disruptions).

    The first policy is the baseline the others' differences are measured against, per
    replication (paired), with confidence intervals.
    """
    if len(policies) < 2:
        raise ScenarioError("compare needs at least two policies, e.g. optimal,fifo")
    if len(set(policies)) != len(policies):
        raise ScenarioError(f"compare: a policy is named twice in {', '.join(policies)}")
    source = _source(scenario)
    strategies = [_strategy(p) for p in policies]
    setup = build_setup(source)
    count = replications or source.scenario.replications
    base = source.scenario.seed if seed is None else seed
    tasks = [Task(s, r, base) for s in strategies for r in range(count)]
    outputs = run_tasks(setup, tasks, workers=workers, dask=dask, progress=progress)
    results = {
        s: SimulationResult.from_outputs(
            source.scenario, s, base, [o for o in outputs if o.task.strategy == s]
        )
        for s in strategies
    }
    return Comparison(results)


def sweep(
    scenario: str | Path | ScenarioFile,
    grid: Mapping[str, Sequence[Any]],
    replications: int | None = None,
    seed: int | None = None,
    policy: str | None = None,
    workers: int = 1,
    dask: str | None = None,
    progress: Progress | None = None,
) -> SweepResult:
    """Run a scenario at every point of a grid of field values (dotted paths).

    Examples
    --------
    >>> result = sweep(
    ...     "scenarios/normal-quarter.yaml", {"demand.orders_per_day": [20, 40]}, replications=1
    ... )
    >>> len(result.points)
    2
    """
    if not grid:
        raise ScenarioError("sweep needs at least one field to vary (--set FIELD=V1,V2)")
    source = _source(scenario)
    fields = list(grid)
    points = []
    for values in itertools.product(*(grid[f] for f in fields)):
        overrides = dict(zip(fields, values, strict=True))
        point = source.with_overrides(overrides)
        result = simulate(
            point,
            replications=replications,
            seed=seed,
            policy=policy,
            workers=workers,
            dask=dask,
            progress=progress,
        )
        points.append((overrides, result))
    return SweepResult(points)


def _source(scenario: str | Path | ScenarioFile) -> ScenarioFile:
    return scenario if isinstance(scenario, ScenarioFile) else load_scenario(scenario)


def _strategy(name: str) -> str:
    if name not in STRATEGIES:
        raise ScenarioError(f"unknown policy {name!r} (use one of {', '.join(STRATEGIES)})")
    return name
