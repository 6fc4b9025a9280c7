"""What broker backups (the policy's ``broker_backup``) held, gave back and saved in a run.

A backup is free shelf units a parts-priority order holds while its broker buy is on its
way (``backup_held`` records); a delivered buy gives them back (``backup_released``), a failed
one ships them at once (an ``allocated`` record whose ``detail`` is
:data:`~simulation.world.backups.BACKUP_DETAIL`). What holding cost is the shelf time it
took from everyone else — unit-hours held, counted from each hold to its release, its use
or the end of the run — and what it saved is the failed buys served at once instead of
waiting for a re-plan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.world.backups import BACKUP_DETAIL

__all__ = ["BACKUP_COLUMNS", "backup_counts"]

BACKUP_COLUMNS = ("replication", "held", "released", "used", "still_held", "held_unit_hours")


def backup_counts(records: pd.DataFrame) -> pd.DataFrame:
    """Per replication: units ``held`` as backups, ``released`` (their buy delivered, or the
    depot went offline), ``used`` (shipped for a failed buy), ``still_held`` at the end, and
    ``held_unit_hours`` (units × hours off the free shelf). Zeros where nothing was held.

    Examples
    --------
    >>> from simulation.records import Recorder
    >>> rec = Recorder(0)
    >>> rec.emit(1.0, "backup_held", order_id="O1", quantity=1)
    >>> rec.emit(5.0, "allocated", order_id="O1", quantity=1, detail=BACKUP_DETAIL)
    >>> rec.emit(2.0, "backup_held", order_id="O2", quantity=2)
    >>> rec.emit(12.0, "end")
    >>> backup_counts(rec.to_frame()).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'replication': 0, 'held': 3, 'released': 0, 'used': 1, 'still_held': 2,
      'held_unit_hours': 24.0}]
    """
    event = records["event"].astype(str).to_numpy()
    detail = records["detail"].astype(str).to_numpy()
    quantity = records["quantity"].to_numpy(dtype=np.int64)
    time = records["time"].to_numpy(dtype=np.float64)
    replication = records["replication"].to_numpy(dtype=np.int64)
    held = event == "backup_held"
    released = event == "backup_released"
    used = (event == "allocated") & (detail == BACKUP_DETAIL)
    frame = pd.DataFrame(
        {
            "replication": replication,
            "held": np.where(held, quantity, 0),
            "released": np.where(released, quantity, 0),
            "used": np.where(used, quantity, 0),
            # Unit-hours: every held unit counts from its hold (minus) to its end (plus).
            "hours": np.where(held, -quantity * time, 0.0)
            + np.where(released | used, quantity * time, 0.0),
        }
    )
    table = frame.groupby("replication", sort=True).sum()
    ends = pd.Series(time[event == "end"], index=replication[event == "end"])
    ends = ends.groupby(level=0).max().reindex(table.index, fill_value=0.0)
    table["still_held"] = table["held"] - table["released"] - table["used"]
    table["held_unit_hours"] = table["hours"] + table["still_held"] * ends
    return table.reset_index()[list(BACKUP_COLUMNS)]
