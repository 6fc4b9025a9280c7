"""How reliable each supplier's purchases turned out, against what its offers declare.

A broker (or a factory's expedite channel) declares a success probability with each offer;
the planner trusts it when it weighs a buy. Whether the supplier lives up to it is a
question of observed outcomes — buys that arrived and buys that failed (counterfeit,
refurbished sold as new, never shipped) — from the service's purchase-failed reports or a
simulated run. The scorecard counts them per supplier and source kind and gives the
observed success rate an exact (Clopper–Pearson) confidence interval, so that a declared
probability outside it is called out, and one inside it is not condemned by a few failures.
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np
import pandas as pd
from scipy.stats import binomtest

__all__ = ["BUY_COLUMNS", "SCORECARD_COLUMNS", "supplier_scorecard"]

BUY_COLUMNS = ("supplier_id", "source", "failed", "declared_success")
"""One row per purchase: the supplier, ``broker`` or ``expedite``, whether it failed, and
the success probability its offer declared (NaN where unknown)."""

SCORECARD_COLUMNS = (
    "supplier_id",
    "source",
    "buys",
    "failed",
    "success_rate",
    "ci_low",
    "ci_high",
    "declared_success",
    "verdict",
)

LESS = "less reliable than declared"
MORE = "more reliable than declared"
AS_DECLARED = "as declared"
UNDECLARED = "no declared probability"


def supplier_scorecard(buys: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per supplier and source kind: buys, failures, the success rate with its interval,
    the mean declared probability, and a verdict.

    Parameters
    ----------
    buys : DataFrame
        One row per purchase, with the columns of :data:`BUY_COLUMNS`.
    confidence : float
        The level of the exact binomial interval of each success rate (0.95 by default).

    Returns
    -------
    DataFrame
        The columns of :data:`SCORECARD_COLUMNS`, least reliable first. The verdict is
        "less reliable than declared" when the declared probability (the mean over the
        supplier's buys) lies above the interval, "more reliable than declared" below it,
        "as declared" within it.

    Examples
    --------
    >>> buys = pd.DataFrame({"supplier_id": ["B-1"] * 40 + ["B-2"] * 10,
    ...                      "source": "broker",
    ...                      "failed": [True] * 18 + [False] * 22 + [True] + [False] * 9,
    ...                      "declared_success": 0.9})
    >>> card = supplier_scorecard(buys)
    >>> for row in card[["supplier_id", "buys", "failed", "success_rate", "verdict"]].values:
    ...     print(*row)
    B-1 40 18 0.55 less reliable than declared
    B-2 10 1 0.9 as declared
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    missing = [c for c in BUY_COLUMNS if c not in buys.columns]
    if missing:
        raise ValueError(f"buys lack the column(s) {', '.join(missing)}")
    rows = []
    failed = buys["failed"].to_numpy(dtype=bool)
    declared = pd.to_numeric(buys["declared_success"], errors="coerce").to_numpy(np.float64)
    keys = buys[["supplier_id", "source"]].astype(str)
    groups = keys.groupby(["supplier_id", "source"], sort=True).indices  # row positions
    for key, where in groups.items():
        supplier, source = cast(tuple[str, str], key)
        count = len(where)
        failures = int(failed[where].sum())
        successes = count - failures
        interval = binomtest(successes, count).proportion_ci(confidence, method="exact")
        low, high = float(interval.low), float(interval.high)
        stated = declared[where][~np.isnan(declared[where])]
        promised = float(stated.mean()) if len(stated) else math.nan
        rows.append(
            (
                supplier,
                source,
                count,
                failures,
                successes / count,
                low,
                high,
                promised,
                _verdict(promised, low, high),
            )
        )
    card = pd.DataFrame(rows, columns=list(SCORECARD_COLUMNS))
    if card.empty:
        return card.astype({"buys": np.int64, "failed": np.int64})
    order = np.lexsort((card["source"], card["supplier_id"], card["success_rate"]))
    return card.iloc[order].reset_index(drop=True)


def _verdict(declared: float, low: float, high: float) -> str:
    if math.isnan(declared):
        return UNDECLARED
    if declared > high:
        return LESS
    if declared < low:
        return MORE
    return AS_DECLARED
