"""The purchases of a run, one row per buy, each marked failed or not: the outcomes a
supplier scorecard (:func:`allocation.reports.scorecard.supplier_scorecard`) counts.

A purchase is an ``allocated`` record from a supplier (``broker`` or ``expedite``); a
``purchase_failed`` record takes one back: the same replication, order, supplier, source
kind and units. Buys alike in all of these cannot be told apart, so the failures of such a
group go to its earliest buys.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocation import SourceKind

__all__ = ["PURCHASE_KINDS", "purchases"]

PURCHASE_KINDS = tuple(kind.value for kind in SourceKind if kind.is_purchase)
_MATCH = ["replication", "order_id", "origin", "source_kind", "quantity"]


def purchases(records: pd.DataFrame, offers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each purchase in ``records``: replication, time, order, part, ``supplier_id``,
    ``source``, units, whether it ``failed``, and the success probability its offer
    declared (``declared_success``, from ``offers``: ``part_number``, ``supplier_id``,
    ``success_probability``; NaN where the offer, or ``offers``, is unknown).

    Examples
    --------
    >>> from simulation.records import Recorder
    >>> rec = Recorder(0)
    >>> for time, event in ((1.0, "allocated"), (2.0, "allocated"), (97.0, "purchase_failed")):
    ...     rec.emit(time, event, order_id="O1", part_number="P", source_kind="broker",
    ...              origin="B-1", quantity=1)
    >>> offers = pd.DataFrame({"part_number": ["P"], "supplier_id": ["B-1"],
    ...                        "success_probability": [0.9]})
    >>> purchases(rec.to_frame(), offers)[["time", "supplier_id", "failed",
    ...                                    "declared_success"]].values.tolist()
    [[1.0, 'B-1', True, 0.9], [2.0, 'B-1', False, 0.9]]
    """
    event = records["event"].astype(str).to_numpy()
    kind = records["source_kind"].astype(str).to_numpy()
    bought = records.loc[(event == "allocated") & np.isin(kind, PURCHASE_KINDS)]
    failures = records.loc[(event == "purchase_failed") & np.isin(kind, PURCHASE_KINDS)]
    bought = bought.sort_values(["replication", "time"], kind="stable").reset_index(drop=True)
    failures = failures.reset_index(drop=True)
    keys = [bought[c].astype(str) for c in _MATCH]
    rank = bought.groupby(keys, sort=False, observed=True).cumcount().to_numpy()
    failed_per_key = failures.groupby(
        [failures[c].astype(str) for c in _MATCH], sort=False, observed=True
    ).size()
    counted = pd.MultiIndex.from_arrays(keys).map(failed_per_key.to_dict())
    failed = rank < np.nan_to_num(np.asarray(counted, dtype=np.float64), nan=0.0)
    table = pd.DataFrame(
        {
            "replication": bought["replication"].to_numpy(),
            "time": bought["time"].to_numpy(dtype=np.float64),
            "order_id": bought["order_id"].astype(str).to_numpy(dtype=object),
            "part_number": bought["part_number"].astype(str).to_numpy(dtype=object),
            "supplier_id": bought["origin"].astype(str).to_numpy(dtype=object),
            "source": bought["source_kind"].astype(str).to_numpy(dtype=object),
            "quantity": bought["quantity"].to_numpy(),
            "failed": failed,
        }
    )
    if offers is None:
        table["declared_success"] = np.nan
        return table.reset_index(drop=True)
    declared = offers.groupby(["part_number", "supplier_id"], sort=False)[
        "success_probability"
    ].max()
    table["declared_success"] = (
        pd.MultiIndex.from_arrays([table["part_number"], table["supplier_id"]])
        .map(declared.to_dict())
        .to_numpy(dtype=np.float64, na_value=np.nan)
    )
    return table.reset_index(drop=True)
