"""Replications: one world per (policy, replication), run here, in local processes or on Dask.

A replication is a pure function of the scenario, the policy, the seed and its number, so
the place it runs changes nothing: results are put back in (policy, replication) order and
are the same bit for bit whether they came from this process, forked workers or a cluster.
"""

from __future__ import annotations

import multiprocessing as mp
import socket
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import pandas as pd
import simpy

from simulation.errors import ClusterError
from simulation.records import Recorder
from simulation.world.model import ShortageWorld
from simulation.world.sampling import Streams
from simulation.world.setup import WorldSetup

__all__ = ["ReplicationOutput", "Task", "run_replication", "run_tasks"]


@dataclass(frozen=True)
class Task:
    """One replication to run: which policy, which replication number, which seed."""

    strategy: str
    replication: int
    seed: int


@dataclass(frozen=True)
class ReplicationOutput:
    """What one replication produced: its records and how hard the world worked."""

    task: Task
    records: pd.DataFrame
    solves: int
    shortcuts: int
    events: int
    seconds: float


def run_replication(setup: WorldSetup, task: Task, shortcut: bool = True) -> ReplicationOutput:
    """Run one replication to the end and return its records.

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
    """
    started = time.perf_counter()
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
    return ReplicationOutput(
        task=task,
        records=world.recorder.to_frame(),
        solves=world.solves,
        shortcuts=world.shortcuts,
        events=world.events,
        seconds=time.perf_counter() - started,
    )


Progress = Callable[[ReplicationOutput], None]

# The setup a forked worker runs: set once per worker by the pool's initializer (fork hands
# it over without pickling), never in the parent process.
_WORKER_SETUP: WorldSetup | None = None


def _adopt(setup: WorldSetup) -> None:
    global _WORKER_SETUP
    _WORKER_SETUP = setup


def _run_in_worker(task: Task) -> ReplicationOutput:
    assert _WORKER_SETUP is not None
    return run_replication(_WORKER_SETUP, task)


def _run_remote(setup: WorldSetup, task: Task) -> ReplicationOutput:
    return run_replication(setup, task)


def run_tasks(
    setup: WorldSetup,
    tasks: Sequence[Task],
    workers: int = 1,
    dask: str | None = None,
    progress: Progress | None = None,
) -> list[ReplicationOutput]:
    """Run replications and return their outputs in the order of ``tasks``.

    Parameters
    ----------
    workers : int
        Local processes (1: in this process).
    dask : str, optional
        A Dask scheduler address, or ``"local"`` for a local cluster of ``workers``
        processes; the outputs are the same as without.
    progress : callable, optional
        Called with each output as it finishes (for progress bars).
    """
    report = progress or (lambda _: None)
    if dask:
        outputs = _on_dask(setup, tasks, dask, max(workers, 1), report)
    elif workers <= 1 or len(tasks) <= 1 or "fork" not in mp.get_all_start_methods():
        outputs = []
        for task in tasks:
            outputs.append(run_replication(setup, task))
            report(outputs[-1])
    else:
        outputs = []
        with ProcessPoolExecutor(
            max_workers=min(workers, len(tasks)),
            mp_context=mp.get_context("fork"),
            initializer=_adopt,
            initargs=(setup,),
        ) as pool:
            futures = [pool.submit(_run_in_worker, task) for task in tasks]
            for future in as_completed(futures):
                outputs.append(future.result())
                report(outputs[-1])
    position = {task: i for i, task in enumerate(tasks)}
    return sorted(outputs, key=lambda out: position[out.task])


def _on_dask(
    setup: WorldSetup, tasks: Sequence[Task], address: str, workers: int, report: Progress
) -> list[ReplicationOutput]:
    try:
        from dask.distributed import Client, LocalCluster  # optional: parts-priority[dask]
        from dask.distributed import as_completed as dask_completed
    except ImportError:
        raise ClusterError(
            "running on Dask needs the dask extra: pip install 'parts-priority[dask]'"
        ) from None

    def gather(client: Client) -> list[ReplicationOutput]:
        shared = client.scatter(setup, broadcast=True)
        futures = [client.submit(_run_remote, shared, task, pure=False) for task in tasks]
        outputs = []
        for future in dask_completed(futures):
            outputs.append(future.result())
            report(outputs[-1])
        return outputs

    if address == "local":
        with (
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True) as cluster,
            Client(cluster) as client,
        ):
            return gather(client)
    _reachable(address)
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address!r}: {exc}") from None
    with client:
        return gather(client)


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
