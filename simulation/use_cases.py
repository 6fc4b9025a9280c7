"""The simulation use cases: simulate, compare and sweep.

The CLI, notebooks and tests call these; each takes a scenario (a file, a loaded one, or a
mapping of its fields), runs replications where it is told to, and returns a result object
whose tables and plots are computed from the event records.

Each replication reduces its records to those tables where it runs and sends back only
them, unless ``keep_records=True`` asks for the records too: the numbers are the same either
way, and a result without records makes them again, by replaying its replications in this
process, if something needs them later (per-order outcomes, writing its tables).

Replication ``r`` of a run seeded with ``s`` draws every random number from streams keyed by
``(s, r)`` (:class:`~simulation.world.sampling.Streams`), so a replication is the same
wherever it runs, and two policies run with the same seed see the same demand and the same
disruptions: their differences are measured on common random numbers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from allocation import STRATEGIES
from simulation._reduce import Grouping, grouping
from simulation._store import ReplicationStore
from simulation.errors import ScenarioError
from simulation.hindsight import BoundUnavailableError, bound_of
from simulation.metrics import ORDER_ATTRIBUTES
from simulation.replicate import Progress, ReplicationOutput, Task, replay_records, stream_tasks
from simulation.report_facts import RunWorld, run_world
from simulation.results import Comparison, SimulationResult, SweepResult
from simulation.scenario.load import ScenarioFile, load_scenario, scenario_from_mapping
from simulation.whatif import ScenarioWhatIf
from simulation.world.setup import WorldSetup, build_setup

__all__ = ["ScenarioLike", "compare", "scenario_source", "simulate", "sweep"]

ScenarioLike = str | Path | ScenarioFile | ScenarioWhatIf | Mapping[str, Any]
"""A scenario file's path, a loaded file, an edited scenario (:class:`ScenarioWhatIf`), or a
mapping of its fields (relative paths in a mapping are read from the working directory)."""

_DEMO = {
    "version": 1,
    "name": "demo",
    "world": {"generate": {"orders": 200, "parts": 20, "depots": 3, "seed": 1}},
    "horizon_days": 14,
    "demand": {"orders_per_day": 20},
}


def simulate(
    scenario: ScenarioLike,
    replications: int | None = None,
    seed: int | None = None,
    policy: str | None = None,
    workers: int = 1,
    dask: str | None = None,
    progress: Progress | None = None,
    keep_records: bool = False,
    kpis_by: Sequence[str | Sequence[str]] = (),
) -> SimulationResult:
    """Run a scenario's replications under one policy.

    Parameters
    ----------
    scenario : path, ScenarioFile or mapping
        A scenario YAML file (see ``scenarios/``), or its fields as a mapping.
    replications, seed, policy : optional
        Override the scenario's replications, seed and strategy
        (``optimal``, ``fifo`` or ``tier_greedy``).
    workers : int
        Local processes to run replications in (1: this process).
    dask : str, optional
        A Dask scheduler address, or ``"local"`` for a local cluster of ``workers``
        processes; the results are the same as without.
    progress : callable, optional
        Called with each replication's output as it finishes (for progress bars).
    keep_records : bool
        Send every replication's event records back too (``result.records``). Without them
        (the default) each replication sends only its reduced tables and the result shows
        the same numbers; records asked for later are made again by replaying.
    kpis_by : sequence of groupings
        Groupings of KPIs for the replications to reduce besides every order attribute on
        its own and all orders, e.g. ``[["tier", "country"]]``; any other grouping asked of
        the result is computed from its records.

    Returns
    -------
    SimulationResult

    Raises
    ------
    ScenarioError
        A scenario that does not validate, or run arguments out of range.

    Examples
    --------
    >>> result = simulate(_DEMO, replications=2)
    >>> sorted(result.summary()["priority_class"].unique())
    ['parts_priority', 'standard']
    >>> result.replications
    2
    """
    source = scenario_source(scenario)
    strategy = _strategy(policy or source.scenario.policy.strategy)
    count, base = _counts(source, replications, seed, workers)
    tasks = [Task(strategy, r, base) for r in range(count)]
    stores, world = _run(source, tasks, workers, dask, progress, keep_records, kpis_by)
    return SimulationResult(source.scenario, strategy, base, stores[strategy], world)


def compare(
    scenario: ScenarioLike,
    policies: Sequence[str],
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    dask: str | None = None,
    progress: Progress | None = None,
    keep_records: bool = False,
    kpis_by: Sequence[str | Sequence[str]] = (),
    bound: bool = False,
) -> Comparison:
    """Run several policies on the same random numbers (same demand, same disruptions).

    The first policy is the baseline; the others' differences from it are taken replication
    by replication (paired) and summarised with confidence intervals
    (:meth:`Comparison.differences`) — from per-replication KPIs, which every replication
    reduces, so the differences need no records (``keep_records`` and ``kpis_by`` as in
    :func:`simulate`).

    With ``bound=True`` it also solves the hindsight bound of every replication
    (:mod:`simulation.hindsight`): ``comparison.bound``, and each policy's distance from it
    in :meth:`Comparison.bound_gaps`; a world the bound does not model leaves
    ``comparison.bound`` None and says why in ``comparison.bound_note``.

    Examples
    --------
    >>> comparison = compare(_DEMO, ["fifo", "optimal"], replications=2)
    >>> comparison.baseline, sorted(comparison.differences()["policy"].unique())
    ('fifo', ['optimal'])
    """
    if len(policies) < 2:
        raise ScenarioError("compare needs at least two policies, e.g. optimal,fifo")
    if len(set(policies)) != len(policies):
        raise ScenarioError(f"compare: a policy is named twice in {', '.join(policies)}")
    source = scenario_source(scenario)
    strategies = [_strategy(p) for p in policies]
    count, base = _counts(source, replications, seed, workers)
    tasks = [Task(s, r, base) for s in strategies for r in range(count)]
    setup = build_setup(source)
    stores, world = _run(source, tasks, workers, dask, progress, keep_records, kpis_by, setup)
    comparison = Comparison(
        {s: SimulationResult(source.scenario, s, base, stores[s], world) for s in strategies}
    )
    if bound:
        try:
            comparison.bound = bound_of(setup, base, range(count), workers)
        except BoundUnavailableError as exc:
            comparison.bound_note = str(exc)
    return comparison


def sweep(
    scenario: ScenarioLike,
    grid: Mapping[str, Sequence[Any]],
    replications: int | None = None,
    seed: int | None = None,
    policy: str | None = None,
    workers: int = 1,
    dask: str | None = None,
    progress: Progress | None = None,
    keep_records: bool = False,
    kpis_by: Sequence[str | Sequence[str]] = (),
) -> SweepResult:
    """Run a scenario at every point of a grid of field values (dotted paths).

        Every point runs with the same seed, so points differ by their fields, not by luck.
    ``keep_records`` and ``kpis_by`` are as in :func:`simulate`, for every point.

        Examples
        --------
        >>> result = sweep(_DEMO, {"demand.orders_per_day": [10, 30]}, replications=1)
        >>> [point for point, _ in result.points]
        [{'demand.orders_per_day': 10}, {'demand.orders_per_day': 30}]
    """
    if not grid:
        raise ScenarioError("sweep needs at least one field to vary (--set FIELD=V1,V2)")
    for name, values in grid.items():
        if isinstance(values, str) or not values:
            raise ScenarioError(f"sweep: field {name!r} needs a list of values, got {values!r}")
    source = scenario_source(scenario)
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
            keep_records=keep_records,
            kpis_by=kpis_by,
        )
        points.append((overrides, result))
    return SweepResult(points)


def scenario_source(scenario: ScenarioLike) -> ScenarioFile:
    """A scenario as a validated :class:`ScenarioFile`: a path is read, a mapping checked
    (its relative paths are read from the working directory), an edited scenario written
    out, a loaded file kept.

    Examples
    --------
    >>> scenario_source(_DEMO).scenario.horizon_days
    14.0
    """
    if isinstance(scenario, ScenarioFile):
        return scenario
    if isinstance(scenario, ScenarioWhatIf):
        return scenario.scenario_file()
    if isinstance(scenario, Mapping):
        raw = dict(scenario)
        return ScenarioFile(scenario_from_mapping(raw), Path.cwd() / "scenario.yaml", raw)
    return load_scenario(scenario)


def _run(
    source: ScenarioFile,
    tasks: Sequence[Task],
    workers: int,
    dask: str | None,
    progress: Progress | None,
    keep_records: bool,
    kpis_by: Sequence[str | Sequence[str]],
    setup: WorldSetup | None = None,
) -> tuple[dict[str, ReplicationStore], RunWorld]:
    """Run the tasks; each policy's replications go to a store of their own as they finish
    (nothing else holds them), which can replay them when their records are wanted. Also
    what the runs' reports need of the world (its start and customers)."""
    groupings = _groupings(kpis_by)
    setup = setup if setup is not None else build_setup(source)
    stores: dict[str, ReplicationStore] = {}
    for strategy in dict.fromkeys(task.strategy for task in tasks):
        mine = [task for task in tasks if task.strategy == strategy]
        stores[strategy] = ReplicationStore(_replay(setup, mine))
    report = progress or (lambda _: None)

    def receive(output: ReplicationOutput) -> None:
        stores[output.task.strategy].add(output)
        report(output)

    stream_tasks(setup, tasks, receive, workers, dask, keep_records, groupings)
    return stores, run_world(setup)


def _replay(setup: WorldSetup, tasks: Sequence[Task]) -> Callable[[], list[pd.DataFrame]]:
    """How to make the records of ``tasks`` again. It keeps the world built for the run (a
    few megabytes even for a year of 200,000 orders): the files it was built from may be
    gone by then (an edited scenario's world lives in a temporary folder)."""

    def replay() -> list[pd.DataFrame]:
        return replay_records(setup, tasks)

    return replay


def _groupings(kpis_by: Sequence[str | Sequence[str]]) -> list[Grouping]:
    if isinstance(kpis_by, str):
        kpis_by = [kpis_by]
    keys = [grouping(by) for by in kpis_by]
    for key in keys:
        unknown = [name for name in key if name not in ORDER_ATTRIBUTES]
        if unknown or not key:
            raise ScenarioError(
                f"kpis_by: cannot group KPIs by {unknown[0] if unknown else key!r} "
                f"(use {', '.join(ORDER_ATTRIBUTES)})"
            )
    return keys


def _strategy(name: str) -> str:
    if name not in STRATEGIES:
        raise ScenarioError(f"unknown policy {name!r} (use one of {', '.join(STRATEGIES)})")
    return name


def _counts(
    source: ScenarioFile, replications: int | None, seed: int | None, workers: int
) -> tuple[int, int]:
    """Replications and seed of a run (the scenario's unless given), checked."""
    count = source.scenario.replications if replications is None else replications
    base = source.scenario.seed if seed is None else seed
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10_000:
        raise ScenarioError(f"replications must be a whole number from 1 to 10000, not {count!r}")
    if isinstance(base, bool) or not isinstance(base, int) or not 0 <= base < 2**63:
        raise ScenarioError(f"seed must be a whole number from 0 to 2**63 - 1, not {base!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ScenarioError(f"workers must be a whole number of at least 1, not {workers!r}")
    return count, base
