"""Protection levels from a table or from the ``protection`` option of a policy file.

The table (CSV, Parquet or a DataFrame) has one row per depot and part::

    depot_id,part_number,level
    D-US,SSD-512,2
    D-DE,SSD-512,1

In a policy file, ``allocation.protection`` names such a table (a path relative to the
policy file) or lists the rows, and may give a default level for every pair not listed::

    allocation:
      protection:
        default: 0                 # units of every part held back at every depot
        levels: protection.csv     # or: [{depot_id: D-US, part_number: SSD-512, level: 2}]
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from allocation.adapters.tables import TableSource, read_table
from allocation.domain.protection import ProtectionLevels
from allocation.domain.tables import PROTECTION
from allocation.errors import InputError, PolicyError

__all__ = ["load_protection_levels", "protection_from"]

_KEYS = ("default", "levels")


def load_protection_levels(source: TableSource, default: int = 0) -> ProtectionLevels:
    """Read and validate a protection table; all or nothing.

    Parameters
    ----------
    source : path or DataFrame
        A ``.csv`` or ``.parquet`` file, or a DataFrame, with columns ``depot_id``,
        ``part_number`` and ``level`` (a whole number ≥ 0); one row per depot and part.
    default : int
        The level of every (depot, part) the table does not list.

    Returns
    -------
    ProtectionLevels

    Raises
    ------
    TableError
        A bad cell or a repeated (depot, part), naming file, row, column and value.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"depot_id": ["D-US"], "part_number": ["SSD-512"], "level": [2]})
    >>> load_protection_levels(table).level("D-US", "SSD-512")
    2
    """
    table = read_table(source, PROTECTION)
    levels = {
        (str(d), str(p)): int(v)
        for d, p, v in zip(table["depot_id"], table["part_number"], table["level"], strict=True)
    }
    return ProtectionLevels(levels, default)


def protection_from(raw: object, where: str, base_dir: Path | None = None) -> ProtectionLevels:
    """The ``allocation.protection`` option of a policy file, naming any bad key or value.

    ``levels`` is a table path (relative to ``base_dir``, the policy file's folder) or a
    list of ``{depot_id, part_number, level}`` mappings; ``default`` a whole number.
    """
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}: allocation.protection must be a mapping with {_KEYS}")
    for key in raw:
        if key not in _KEYS:
            raise PolicyError(
                f"{where}: allocation.protection.{key} is not an option (known: default, levels)"
            )
    default = raw.get("default", 0)
    levels = raw.get("levels")
    try:
        if levels is None:
            return ProtectionLevels({}, default)
        if isinstance(levels, str):
            path = Path(levels)
            if not path.is_absolute() and base_dir is not None:
                path = base_dir / path
            return load_protection_levels(path, default)
        if isinstance(levels, list) and all(isinstance(row, dict) for row in levels):
            columns = [c.name for c in PROTECTION.columns]
            for n, row in enumerate(levels, start=1):
                extra = sorted(set(map(str, row)) - set(columns))
                if extra:
                    raise PolicyError(
                        f"{where}: allocation.protection.levels item {n}: unknown key(s) "
                        f"{extra} (known: {', '.join(columns)})"
                    )
            frame = pd.DataFrame(levels, columns=columns)
            return load_protection_levels(frame, default)
    except PolicyError as exc:
        message = str(exc)
        raise PolicyError(message if message.startswith(where) else f"{where}: {message}") from None
    except InputError as exc:
        raise PolicyError(f"{where}: allocation.protection.levels: {exc}") from None
    raise PolicyError(
        f"{where}: allocation.protection.levels must be a table path or a list of "
        f"{{depot_id, part_number, level}} mappings, got {levels!r}"
    )
