"""Prometheus metrics of the service, served at ``/metrics`` (with ``prometheus-client``).

=============================================  ==========================================
``parts_priority_http_requests_total``         requests by ``method``, ``route`` (the
                                               route's template, ``/orders/{order_id}``;
                                               ``none`` when refused before routing) and
                                               ``status``
``parts_priority_http_request_duration_seconds``  time to answer, by ``method`` and ``route``
``parts_priority_write_duration_seconds``      a write's time with the writer, by ``write``
                                               (``PostOrders``, ``CloseOrder``, ...): its
                                               wait in the queue, its planning and its
                                               group commit
``parts_priority_writer_queue_depth``          writes handed to the writer and not yet
                                               answered
``parts_priority_writes_routed_total``         on PostgreSQL with several servers, writes
                                               by ``to``: ``owner`` (sent to the writer
                                               that owns their part groups, in another
                                               server) or ``here`` (run by this server's
                                               writer: it owns them, or no single
                                               writer does; :mod:`.forwarding`)
=============================================  ==========================================

plus prometheus-client's own process and Python metrics in a single-process server.

The metrics belong to the process (prometheus-client's registry is the process's), so they
are made once per process, on first use, not at import. A server with several worker
processes (``serve --workers N``) runs prometheus-client's multiprocess mode: ``serve`` gives
every worker one folder (``PROMETHEUS_MULTIPROC_DIR``), each worker writes its values there,
and ``/metrics`` on any worker answers the sum over all of them. In that mode a worker that
died keeps counting in the totals (counters and histograms stay monotonic), and its share of
the queue depth is dropped at the next scrape.

The writes themselves run in the writer (a thread, or a child process of the server), so
their time is measured from the server's side, by the write routes: from the moment a route
hands a keyed write over until its answer comes back (a replay of a stored answer included).
The planner's own share of it is not told apart.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

__all__ = [
    "MULTIPROCESS_ENV",
    "Metrics",
    "exposition",
    "mark_stopped",
    "process_metrics",
]

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_LIVE_FILE = re.compile(r"^gauge_live\w*_(\d+)\.db$")


@dataclass(frozen=True)
class Metrics:
    """The service's metrics in this process.

    ``labelled`` keeps the labelled children a request has used, by their labels:
    prometheus-client hands back the same child for the same labels, after checking and
    locking each time, which costs a request more than counting does.
    """

    requests: Counter
    latency: Histogram
    writes: Histogram
    queue: Gauge
    routed: Counter
    labelled: dict[tuple[str, ...], Any] = field(default_factory=dict, compare=False, repr=False)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """One answered request."""
        key = ("request", method, route, str(status))
        children = self.labelled.get(key)
        if children is None:
            children = (self.requests.labels(*key[1:]), self.latency.labels(method, route))
            self.labelled[key] = children
        children[0].inc()
        children[1].observe(seconds)

    @contextmanager
    def writing(self, kind: str) -> Iterator[None]:
        """A write of ``kind`` (its use case) is with the writer while the block runs."""
        self.queue.inc()
        start = time.perf_counter()
        try:
            yield
        finally:
            self.queue.dec()
            child = self.labelled.get(("write", kind))
            if child is None:
                child = self.labelled[("write", kind)] = self.writes.labels(kind)
            child.observe(time.perf_counter() - start)


@cache
def process_metrics() -> Metrics:
    """This process's metrics, registered with prometheus-client on first use."""
    return Metrics(
        requests=Counter(
            "parts_priority_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
        ),
        latency=Histogram(
            "parts_priority_http_request_duration_seconds",
            "Time from a request's head to the end of its answer",
            ["method", "route"],
            buckets=_LATENCY,
        ),
        writes=Histogram(
            "parts_priority_write_duration_seconds",
            "A write's time with the writer: its wait in the queue, planning and commit",
            ["write"],
            buckets=_LATENCY,
        ),
        queue=Gauge(
            "parts_priority_writer_queue_depth",
            "Writes handed to the writer and not yet answered",
            multiprocess_mode="livesum",
        ),
        routed=Counter(
            "parts_priority_writes_routed",
            "Writes sent to the writer that owns their part groups (owner) or run here",
            ["to"],
        ),
    )


def _multiprocess_dir() -> Path | None:
    folder = os.environ.get(MULTIPROCESS_ENV)
    return Path(folder) if folder else None


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus's text format, and its media type."""
    process_metrics()  # a scrape before any request still lists every metric
    folder = _multiprocess_dir()
    if folder is None:
        return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
    _forget_dead_processes(folder)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(folder))  # type: ignore[no-untyped-call]
    return generate_latest(registry), CONTENT_TYPE_LATEST


def _forget_dead_processes(folder: Path) -> None:
    """Drop the live gauges of worker processes that are gone (killed, or restarted)."""
    for entry in folder.iterdir():
        found = _LIVE_FILE.match(entry.name)
        if found is None:
            continue
        pid = int(found.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, path=str(folder))  # type: ignore[no-untyped-call]
        except PermissionError:  # alive, under another user
            pass


def mark_stopped() -> None:
    """This process stops: its live gauges no longer count (multiprocess mode)."""
    folder = _multiprocess_dir()
    if folder is not None:
        multiprocess.mark_process_dead(os.getpid(), path=str(folder))  # type: ignore[no-untyped-call]
