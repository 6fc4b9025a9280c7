"""Protection levels: units of a part held back at a depot for parts-priority orders.

The data sheet promises that "when a parts shortage occurs and stock is available, orders of
Priority Management customers are filled first" (docs/explanation/rules.md, "Parts priority").
Within one plan
the optimizer already does that; but a unit given to a ``standard`` order now is gone when a
``parts_priority`` order arrives an hour later. A *critical level* (protection level) per
depot and part keeps the last units for them: ``standard`` orders may take only the units on
hand above the level, ``parts_priority`` orders may take every unit.

Levels apply to units on hand. Receipts still on their way are not held back; once they land
they are on hand and the level applies to them like to any other unit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from numbers import Integral

from allocation.errors import PolicyError

__all__ = ["ProtectionLevels"]

_MAX_LEVEL = 1_000_000_000


@dataclass(frozen=True)
class ProtectionLevels:
    """Critical levels per (depot, part), and one level for every pair not listed.

    Parameters
    ----------
    levels : mapping of (depot_id, part_number) to int
        Units of the part kept at the depot for ``parts_priority`` orders.
    default : int
        The level of every (depot, part) not in ``levels`` (default 0: nothing held back).

    Examples
    --------
    >>> levels = ProtectionLevels({("D-US", "SSD-512"): 2}, default=1)
    >>> levels.level("D-US", "SSD-512"), levels.level("D-DE", "SSD-512")
    (2, 1)
    >>> bool(ProtectionLevels())
    False
    >>> ProtectionLevels({("D-US", "SSD-512"): -1})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    allocation.errors.PolicyError: allocation.protection: level of SSD-512 at D-US must be ...
    """

    levels: Mapping[tuple[str, str], int] = field(default_factory=dict)
    default: int = 0

    def __post_init__(self) -> None:
        checked: dict[tuple[str, str], int] = {}
        for key, value in dict(self.levels).items():
            if not (
                isinstance(key, tuple) and len(key) == 2 and all(isinstance(k, str) for k in key)
            ):
                raise PolicyError(
                    f"allocation.protection: key {key!r} must be a (depot_id, part_number) pair"
                )
            checked[key] = _whole(value, f"level of {key[1]} at {key[0]}")
        object.__setattr__(self, "levels", checked)
        object.__setattr__(self, "default", _whole(self.default, "default level"))

    def level(self, depot_id: str, part_number: str) -> int:
        """Units of ``part_number`` held back at ``depot_id``."""
        return self.levels.get((depot_id, part_number), self.default)

    def __bool__(self) -> bool:
        return self.default > 0 or any(v > 0 for v in self.levels.values())

    def __iter__(self) -> Iterator[tuple[str, str, int]]:
        """``(depot_id, part_number, level)`` of every listed pair, sorted."""
        return iter((d, p, v) for (d, p), v in sorted(self.levels.items()))

    def depots(self) -> set[str]:
        """Depots that a listed level names."""
        return {d for d, _ in self.levels}

    def parts(self) -> set[str]:
        """Parts that a listed level names."""
        return {p for _, p in self.levels}

    def without_depot(self, depot_id: str) -> ProtectionLevels:
        """The same levels with none at ``depot_id`` (e.g. when the depot goes offline)."""
        kept = {k: v for k, v in self.levels.items() if k[0] != depot_id}
        return ProtectionLevels(kept, self.default)


def _whole(value: object, what: str) -> int:
    number = int(value) if isinstance(value, Integral) and not isinstance(value, bool) else -1
    if not 0 <= number <= _MAX_LEVEL:
        raise PolicyError(
            f"allocation.protection: {what} must be a whole number from 0 to {_MAX_LEVEL}, "
            f"got {value!r}"
        )
    return number
