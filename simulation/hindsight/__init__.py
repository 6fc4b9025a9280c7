"""How far any policy could go: the hindsight bound of a simulated scenario.

With a replication's whole demand and supply known in advance, one offline allocation per
part (a time-expanded min-cost flow, lexicographic: parts-priority downtime first, then
standard) gives the least parts-priority downtime any policy could have had on those random
numbers. ``compare`` shows each policy's distance from it. What the bound assumes is in
``docs/explanation/simulator.md`` ("The hindsight bound").
"""

from __future__ import annotations

from simulation.hindsight._bound import (
    BoundUnavailableError,
    HindsightBound,
    bound_of,
    replication_bound,
    unsupported,
)

__all__ = [
    "BoundUnavailableError",
    "HindsightBound",
    "bound_of",
    "replication_bound",
    "unsupported",
]
