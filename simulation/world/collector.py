"""Python's cyclic garbage collector, paused while a world's clock runs.

A replication makes millions of small objects — events, callbacks, commitments, record
rows — and reference counting frees every one of them that is garbage: the world makes
next to no reference cycles (a benchmark year of 200,000 orders leaves some two thousand
objects, in all, to the cyclic collector). The collector is nonetheless started by
allocations alone, and each of its full passes walks every object alive — the order book,
the receipts on their way, the records so far, the setup — to find almost nothing: a
sixth of that year's run. So :func:`collector_paused` stops it while the clock runs and
starts it again after, when the few cycles there were are collected as usual.

Pauses nest and may overlap (replications run in threads of one process): the collector
runs again when the last one ends, and only if it ran before the first began.

Examples
--------
>>> import gc
>>> with collector_paused():
...     gc.isenabled()
False
>>> gc.isenabled()
True
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

__all__ = ["collector_paused"]


class _Pauses:
    """The pauses under way, and whether the collector ran before the first of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._was_enabled = False

    @contextmanager
    def paused(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._was_enabled:
                    gc.enable()


_PAUSES = _Pauses()


def collector_paused() -> AbstractContextManager[None]:
    """A context in which the cyclic garbage collector does not run (see the module)."""
    return _PAUSES.paused()
