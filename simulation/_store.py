"""A run's replications as the process that asked for them keeps them.

Each replication arrives as an output of reduced tables (:mod:`simulation._reduce`), its
records only when they were asked for. The tables are written, as they arrive, to a spool —
in memory while it is small, then an unnamed temporary file that nothing can leave behind —
so a run of a thousand replications holds in memory only one number per replication (its
end), its run statistics, and what a caller asked for since; the tables come back from the
spool, put together, when one is needed.

Records that were not kept are made again on request by replaying the replications (the
same seed gives the same records, bit for bit): tables that are not reduced (a grouping no
one named before the run, per-order outcomes, the records themselves) then come from them.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from simulation._reduce import (
    BACKORDER_STEP_HOURS,
    Grouping,
    combine_backorders,
    combine_costs,
    combine_downtimes,
    combine_kpis,
)
from simulation.records import COLUMNS, TARGET_COLUMN
from simulation.replicate import ReplicationOutput

__all__ = ["ReplicationStore", "Spool", "concat_records"]

_NUMERIC = ("replication", "time", "quantity", "money", TARGET_COLUMN)
_IN_MEMORY_BYTES = 8 * 1024 * 1024
_STATS = ("replication", "seconds", "solves", "shortcuts", "events", "records")

Replay = Callable[[], Sequence[pd.DataFrame]]
"""Makes a run's records again, one frame per replication in replication order."""


class Spool:
    """Python objects appended one after another and read back by key.

    Held in memory up to ``in_memory_bytes``, then in an unnamed temporary file (gone with
    the process, however it ends).

    Examples
    --------
    >>> spool = Spool()
    >>> spool.put("a", 1, [1, 2]); spool.put("a", 0, "x"); spool.put("b", 0, None)
    >>> spool.get("a"), spool.get("c")
    (['x', [1, 2]], [])
    """

    def __init__(self, in_memory_bytes: int = _IN_MEMORY_BYTES) -> None:
        self._file = tempfile.SpooledTemporaryFile(max_size=in_memory_bytes)  # noqa: SIM115
        self._where: dict[Hashable, list[tuple[int, int, int]]] = {}

    def put(self, key: Hashable, order: int, value: Any) -> None:
        """Append ``value`` under ``key``; ``order`` sorts the values of a key."""
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        self._file.seek(0, 2)
        self._where.setdefault(key, []).append((order, self._file.tell(), len(data)))
        self._file.write(data)

    def get(self, key: Hashable) -> list[Any]:
        """Every value of ``key``, by ``order``."""
        values = []
        for _, offset, size in sorted(self._where.get(key, [])):
            self._file.seek(offset)
            values.append(pickle.loads(self._file.read(size)))
        return values

    def close(self) -> None:
        self._file.close()


class ReplicationStore:
    """The replications of one run (one policy of one scenario), kept lean.

    Parameters
    ----------
    replay : callable, optional
        Makes the records again when they were not kept (see :data:`Replay`).
    """

    def __init__(self, replay: Replay | None = None) -> None:
        self._spool = Spool()
        self._replay = replay
        self._stats: list[tuple[int, float, int, int, int, int]] = []
        self._ends: dict[int, float] = {}
        self._groupings: set[Grouping] = set()
        self._kept: dict[int, pd.DataFrame] = {}
        self._all_kept = True
        self._records: pd.DataFrame | None = None

    def add(self, output: ReplicationOutput) -> None:
        """Keep a replication's reduced tables (and its records, when it brought them)."""
        reduced = output.reduced
        number = output.task.replication
        self._stats.append(
            (
                number,
                output.seconds,
                output.solves,
                output.shortcuts,
                output.events,
                output.record_count,
            )
        )
        self._ends[number] = reduced.end_hours
        for key, table in reduced.kpis.items():
            self._spool.put(("kpis", key), number, table)
            self._groupings.add(key)
        self._spool.put("backorders", number, reduced.backorders)
        self._spool.put("costs", number, reduced.costs)
        self._spool.put("downtimes", number, reduced.downtimes)
        if output.records is None:
            self._all_kept = False
        else:
            self._kept[number] = output.records

    @property
    def replications(self) -> list[int]:
        """The replication numbers, in order."""
        return sorted(self._ends)

    @property
    def kept_records(self) -> bool:
        """Whether the records came back with the replications (rather than on request)."""
        return self._all_kept and bool(self._stats)

    def run_stats(self) -> pd.DataFrame:
        """Per replication: seconds, engine solves, exact shortcuts, SimPy events, records."""
        rows = sorted(self._stats)
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(_STATS)
        return pd.DataFrame(
            {
                "replication": np.asarray(columns[0], dtype=np.int64),
                "seconds": np.asarray(columns[1], dtype=np.float64),
                "solves": np.asarray(columns[2], dtype=np.int64),
                "shortcuts": np.asarray(columns[3], dtype=np.int64),
                "events": np.asarray(columns[4], dtype=np.int64),
                "records": np.asarray(columns[5], dtype=np.int64),
            }
        )

    def kpis(self, key: Grouping) -> pd.DataFrame | None:
        """The KPIs of a grouping the replications reduced (None for any other)."""
        if key not in self._groupings:
            return None
        return combine_kpis(self._spool.get(("kpis", key)))

    def backorders(self) -> pd.DataFrame:
        """Daily backorders per priority class (see :func:`combine_backorders`)."""
        return self.combine_backorders(self._spool.get("backorders"), BACKORDER_STEP_HOURS)

    def combine_backorders(self, tables: Sequence[pd.DataFrame], step: float) -> pd.DataFrame:
        """Backorder series of every replication (in order) put together."""
        numbers = self.replications
        return combine_backorders(tables, numbers, [self._ends[n] for n in numbers], step)

    def costs(self) -> pd.DataFrame:
        """Units and money per replication and source kind."""
        return combine_costs(self._spool.get("costs"))

    def downtimes(self) -> pd.DataFrame:
        """Every order's class and downtime, replication after replication."""
        return combine_downtimes(self._spool.get("downtimes"))

    def records(self) -> pd.DataFrame:
        """Every replication's records: those kept, or made again (once) by the replay."""
        if self._records is None:
            if self.kept_records:
                frames = [self._kept[n] for n in self.replications]
            elif self._replay is not None:
                frames = list(self._replay())
            else:
                raise ValueError("this run kept no records and cannot make them again")
            self._records = concat_records(frames)
            self._kept.clear()
        return self._records

    def per_replication(self) -> list[pd.DataFrame]:
        """The records split by replication, in order."""
        records = self.records()
        numbers = records["replication"].to_numpy(np.int64)
        bounds = np.flatnonzero(np.diff(numbers)) + 1
        starts = [0, *bounds.tolist()]
        stops = [*bounds.tolist(), len(records)]
        return [records.iloc[a:b] for a, b in zip(starts, stops, strict=True) if b > a]


def concat_records(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Records of several replications as one frame, text columns as categories again
    (concatenating categoricals with different categories gives plain text).

    Examples
    --------
    >>> from simulation.records import Recorder
    >>> frames = []
    >>> for replication, order in ((0, "A"), (1, "B")):
    ...     rec = Recorder(replication)
    ...     rec.emit(0.0, "order_created", order_id=order, quantity=1)
    ...     frames.append(rec.to_frame())
    >>> both = concat_records(frames)
    >>> both["order_id"].dtype.name, both["order_id"].tolist()
    ('category', ['A', 'B'])
    """
    if not frames:
        return pd.DataFrame(columns=list(COLUMNS))
    records = pd.concat(frames, ignore_index=True)
    for column in records.columns:
        if column in _NUMERIC:
            continue
        if not isinstance(records[column].dtype, pd.CategoricalDtype):
            records[column] = records[column].astype("category")
    return records
