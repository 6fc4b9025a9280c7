"""Adapters: tables in and out (CSV, Parquet, DataFrame), policy files, synthetic worlds and
the database store (:mod:`allocation.adapters.store`, imported on its own).

The door for code outside the package: what reads, checks and writes files.
"""

from __future__ import annotations

from allocation.adapters.files import atomic_folder, atomic_write
from allocation.adapters.policy_file import allocation_policy_from, entitlement_policy_from
from allocation.adapters.protection_file import load_protection_levels, protection_from
from allocation.adapters.snapshot import OPTIONAL_TABLES, TABLES, load_snapshot
from allocation.adapters.tables import Column, TableSource, TableSpec, read_table
from allocation.domain.tables import ORDERS

__all__ = [
    "OPTIONAL_TABLES",
    "ORDERS",
    "TABLES",
    "Column",
    "TableSource",
    "TableSpec",
    "allocation_policy_from",
    "atomic_folder",
    "atomic_write",
    "entitlement_policy_from",
    "load_protection_levels",
    "load_snapshot",
    "protection_from",
    "read_table",
]
