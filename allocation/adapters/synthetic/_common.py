"""What every table generator shares: array types, the order window, ids, rounding and time.

Customers, contracts, parts, orders and receipts all number their rows, round shares to whole
units and stamp times the same way; keeping these few helpers in one place keeps the ids and
timestamps of every table consistent with each other.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import numpy.typing as npt
import pandas as pd

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjArray = npt.NDArray[np.object_]

# Orders are created in the WINDOW_DAYS days before the world's "now".
WINDOW_DAYS = 30


def sequential_ids(prefix: str, n: int, width: int) -> ObjArray:
    """``prefix`` + 1..n zero-padded, as an object array of str."""
    width = max(width, len(str(n)))
    numbers = pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(width)
    return np.asarray((prefix + numbers).to_numpy(dtype=object), dtype=object)


def largest_remainder(exact: FloatArray, total: int) -> IntArray:
    """Integers with floor/ceil of ``exact`` each, summing to ``total``."""
    out = np.floor(exact).astype(np.int64)
    frac = exact - out
    extra = int(np.clip(total - int(out.sum()), 0, int(np.count_nonzero(frac > 0))))
    out[np.argsort(-frac, kind="stable")[:extra]] += 1
    return out


def timestamps(base: datetime, seconds: IntArray) -> npt.NDArray[np.datetime64]:
    return np.datetime64(base, "s") + seconds.astype("timedelta64[s]")
