"""A snapshot: every table the allocation engine needs, at one moment."""

from __future__ import annotations

from allocation.adapters.inputs import EntitlementInputs
from allocation.adapters.snapshot import Snapshot, split_substitutes

__all__ = ["EntitlementInputs", "Snapshot", "split_substitutes"]
