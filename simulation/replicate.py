"""Replications: one world per (policy, replication), run here, in local processes or on Dask.

A replication is a pure function of the scenario, the policy, the seed and its number, so
the place it runs changes nothing: results are put back in (policy, replication) order and
are the same bit for bit whether they came from this process, forked workers or a cluster.
For the same reason a replication's records can be made again at any time
(:func:`replay_records`), the same to the last bit.

Each replication reduces its own records to the tables a result shows
(:mod:`simulation._reduce`) and sends back those, a few kilobytes, with its records only when
they are asked for: a thousand replications of a year never pass through the process that
asked for them. Outputs are handed over one by one as they finish
(:func:`stream_tasks`), so that the caller keeps what it needs of each and nothing more.

An interrupt (Ctrl-C, or SIGTERM turned into an exception by the command line) ends the
local worker processes at once and closes a local Dask cluster before it goes on up; a
worker itself ignores Ctrl-C, which its parent handles.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import signal
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

import pandas as pd
import simpy

from allocation.engine import end_pool
from simulation._reduce import Grouping, Reduced, reduce_records
from simulation.errors import ClusterError
from simulation.records import Recorder
from simulation.world.model import ShortageWorld
from simulation.world.sampling import Streams
from simulation.world.setup import WorldSetup

__all__ = [
    "ReplicationOutput",
    "Task",
    "replay_records",
    "run_replication",
    "run_tasks",
    "stream_tasks",
]


@dataclass(frozen=True)
class Task:
    """One replication to run: which policy, which replication number, which seed."""

    strategy: str
    replication: int
    seed: int


@dataclass(frozen=True)
class ReplicationOutput:
    """What one replication produced: its reduced tables, its records when they were asked
    for, and how hard the world worked."""

    task: Task
    reduced: Reduced
    records: pd.DataFrame | None
    record_count: int
    solves: int
    shortcuts: int
    events: int
    seconds: float


@dataclass(frozen=True)
class _Job:
    """What every replication of a run is asked for, besides its task."""

    setup: WorldSetup
    keep_records: bool
    kpis_by: tuple[Grouping, ...]


def run_replication(
    setup: WorldSetup,
    task: Task,
    shortcut: bool = True,
    keep_records: bool = True,
    kpis_by: Iterable[Grouping] = (),
) -> ReplicationOutput:
    """Run one replication to the end; return its reduced tables, and its records unless
    ``keep_records`` is false.

    ``kpis_by`` names groupings of KPIs to reduce besides the standard ones (each order
    attribute on its own, and all orders); ``seconds`` is the world's time, the reduction
    not included.

    Examples
    --------
    >>> from simulation.use_cases import scenario_source
    >>> from simulation.world.setup import build_setup
    >>> setup = build_setup(scenario_source({
    ...     "version": 1, "name": "demo", "horizon_days": 7, "demand": {"orders_per_day": 10},
    ...     "world": {"generate": {"orders": 100, "parts": 10, "depots": 2, "seed": 1}}}))
    >>> out = run_replication(setup, Task("optimal", 0, 1))
    >>> bool((out.records["event"] == "order_created").any()), out.task.replication
    (True, 0)
    >>> lean = run_replication(setup, Task("optimal", 0, 1), keep_records=False)
    >>> lean.records is None, lean.record_count == len(out.records)
    (True, True)
    """
    started = time.perf_counter()
    world = _run_world(setup, task, shortcut)
    records = world.recorder.to_frame()
    seconds = time.perf_counter() - started
    return ReplicationOutput(
        task=task,
        reduced=reduce_records(records, setup.scenario, task.replication, kpis_by),
        records=records if keep_records else None,
        record_count=len(records),
        solves=world.solves,
        shortcuts=world.shortcuts,
        events=world.events,
        seconds=seconds,
    )


def replay_records(setup: WorldSetup, tasks: Iterable[Task]) -> list[pd.DataFrame]:
    """The records of replications run before, made again here, one after another: the same,
    bit for bit, as those the replications gave the first time, wherever they ran."""
    return [_run_world(setup, task, True).recorder.to_frame() for task in tasks]


def _run_world(setup: WorldSetup, task: Task, shortcut: bool) -> ShortageWorld:
    env = simpy.Environment()
    world = ShortageWorld(
        env,
        setup,
        Streams(task.seed, task.replication),
        strategy=task.strategy,
        recorder=Recorder(task.replication),
        shortcut=shortcut,
    )
    world.run()
    return world


Progress = Callable[[ReplicationOutput], None]

# The job a forked worker runs: set once per worker by the pool's initializer (fork hands
# it over without pickling), never in the parent process.
_WORKER_JOB: _Job | None = None


def _adopt(job: _Job) -> None:
    """Take the job, and leave interrupts to the parent: Ctrl-C reaches every process of the
    terminal's group, and the parent, which ends its workers, is the one to answer it; the
    default SIGTERM (a handler inherited by fork might only raise in the task) lets the
    parent end a worker for sure."""
    global _WORKER_JOB
    _WORKER_JOB = job
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run_in_worker(task: Task) -> ReplicationOutput:
    assert _WORKER_JOB is not None
    job = _WORKER_JOB
    return run_replication(job.setup, task, True, job.keep_records, job.kpis_by)


def _run_remote(
    setup: WorldSetup, task: Task, keep_records: bool, kpis_by: tuple[Grouping, ...]
) -> ReplicationOutput:
    return run_replication(setup, task, True, keep_records, kpis_by)


def run_tasks(
    setup: WorldSetup,
    tasks: Sequence[Task],
    workers: int = 1,
    dask: str | None = None,
    progress: Progress | None = None,
    keep_records: bool = True,
    kpis_by: Iterable[Grouping] = (),
) -> list[ReplicationOutput]:
    """Run replications and return their outputs in the order of ``tasks``.

    Every output is kept until the end; :func:`stream_tasks` hands them over one by one
    instead.

    Parameters
    ----------
    workers : int
        Local processes (1: in this process).
    dask : str, optional
        A Dask scheduler address, or ``"local"`` for a local cluster of ``workers``
        processes; the outputs are the same as without.
    progress : callable, optional
        Called with each output as it finishes (for progress bars).
    keep_records, kpis_by
        What each replication sends back (see :func:`run_replication`).
    """
    outputs: list[ReplicationOutput] = []
    report = progress or (lambda _: None)

    def keep(output: ReplicationOutput) -> None:
        outputs.append(output)
        report(output)

    stream_tasks(setup, tasks, keep, workers, dask, keep_records, kpis_by)
    position = {task: i for i, task in enumerate(tasks)}
    return sorted(outputs, key=lambda out: position[out.task])


def stream_tasks(
    setup: WorldSetup,
    tasks: Sequence[Task],
    receive: Callable[[ReplicationOutput], None],
    workers: int = 1,
    dask: str | None = None,
    keep_records: bool = True,
    kpis_by: Iterable[Grouping] = (),
) -> None:
    """Run replications and hand each output to ``receive`` as it finishes (in any order);
    nothing is kept here, so memory holds only what ``receive`` keeps.

    Parameters are those of :func:`run_tasks`. An exception (an interrupt among them) ends
    the worker processes before it goes on.
    """
    job = _Job(setup, keep_records, tuple(kpis_by))
    if dask:
        _on_dask(job, tasks, dask, max(workers, 1), receive)
    elif workers <= 1 or len(tasks) <= 1 or "fork" not in mp.get_all_start_methods():
        for task in tasks:
            receive(run_replication(setup, task, True, job.keep_records, job.kpis_by))
    else:
        _in_local_processes(job, tasks, min(workers, len(tasks)), receive)


def _in_local_processes(
    job: _Job,
    tasks: Sequence[Task],
    workers: int,
    receive: Callable[[ReplicationOutput], None],
) -> None:
    # Finished futures come through a queue, so that none is held after it was received.
    finished: queue.SimpleQueue[Future[ReplicationOutput]] = queue.SimpleQueue()
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=mp.get_context("fork"),
        initializer=_adopt,
        initargs=(job,),
    )
    try:
        for task in tasks:
            pool.submit(_run_in_worker, task).add_done_callback(finished.put)
        for _ in tasks:
            receive(finished.get().result())
    except BaseException:
        end_pool(pool)
        raise
    pool.shutdown()


def _on_dask(
    job: _Job,
    tasks: Sequence[Task],
    address: str,
    workers: int,
    receive: Callable[[ReplicationOutput], None],
) -> None:
    try:
        from dask.distributed import Client, LocalCluster  # optional: parts-priority[dask]
        from dask.distributed import as_completed as dask_completed
    except ImportError:
        raise ClusterError(
            "running on Dask needs the dask extra: pip install 'parts-priority[dask]'"
        ) from None

    def gather(client: Client) -> None:
        shared = client.scatter(job.setup, broadcast=True)
        futures = [
            client.submit(_run_remote, shared, task, job.keep_records, job.kpis_by, pure=False)
            for task in tasks
        ]
        finished = dask_completed(futures)
        # A future released as soon as it was received frees its output on the worker too.
        futures.clear()
        for future in finished:
            output = future.result()
            future.release()
            receive(output)

    if address == "local":
        with (
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True) as cluster,
            Client(cluster) as client,
        ):
            gather(client)
        return
    _reachable(address)
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address!r}: {exc}") from None
    with client:
        gather(client)


def _reachable(address: str) -> None:
    """Fail at once, by name, when nothing listens at a ``tcp://host:port`` scheduler
    address (Dask itself would retry until its timeout)."""
    host, _, port = address.removeprefix("tcp://").rpartition(":")
    if not host or not port.isdigit():
        return  # not host:port (another protocol): let Dask judge it
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address!r}: {exc}") from None
