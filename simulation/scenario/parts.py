"""Which parts a scenario's part list names: part numbers or shell patterns (``HDD-*``)."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["match_parts"]


def match_parts(patterns: Sequence[str], part_numbers: Sequence[str]) -> npt.NDArray[np.bool_]:
    """Which parts a list of part numbers or shell patterns names (all when empty).

    Examples
    --------
    >>> match_parts(["HDD-*"], ["HDD-1", "FAN-2"]).tolist()
    [True, False]
    >>> match_parts([], ["HDD-1"]).tolist()
    [True]
    """
    if not patterns:
        return np.ones(len(part_numbers), dtype=bool)
    return np.array(
        [any(fnmatch.fnmatchcase(p, pattern) for pattern in patterns) for p in part_numbers],
        dtype=bool,
    )
