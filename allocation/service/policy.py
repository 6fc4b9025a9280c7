"""The policy the service plans with: read from a policy file at load, stored in the
database, and read back by every server and writer process on it.

A policy file is the YAML ``parts-priority allocate --policy`` reads. What the store keeps
is its *document*: the sections as JSON, with a protection table the file names read in
(a server may run where the file is not), and the servers parse that document with the
command line's parser, so a server plans as ``allocate --policy`` does on the same snapshot.
The SHA-256 of the document (its canonical JSON) tells planners which policy a server runs.

The service re-plans with the engine's incremental planner; options that planner cannot
honour are refused at load (:func:`check_servable`), not ignored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection

from allocation.adapters.policy_file import (
    allocation_policy_from,
    entitlement_policy_from,
    load_policy_sections,
)
from allocation.adapters.store.policy import StoredPolicy, read_policy
from allocation.domain.entitlement import EntitlementPolicy
from allocation.domain.policy import AllocationPolicy
from allocation.domain.snapshot import EntitlementInputs, Snapshot
from allocation.errors import PolicyError

__all__ = [
    "DEFAULT_NAME",
    "ServicePolicy",
    "check_servable",
    "default_policy",
    "policy_from_file",
    "policy_from_stored",
    "service_policy",
]

DEFAULT_NAME = "default"
"""The name of the data sheet's defaults (no policy loaded)."""


@dataclass(frozen=True)
class ServicePolicy:
    """A policy document and the engine's policies it gives.

    ``name`` is the policy file's name (``default``: none); ``sha256`` the hex digest of the
    document's canonical JSON; ``document`` the sections (``entitlement``, ``allocation``).
    """

    name: str
    sha256: str
    document: dict[str, Any]
    allocation: AllocationPolicy
    entitlement: EntitlementPolicy
    loaded_at: datetime | None = None

    def canonical(self) -> str:
        """The document as the store keeps it (and as its digest is taken)."""
        return _canonical(self.document)

    def describe(self) -> str:
        """``name (sha256 0123456789ab…)``, as the startup line says it."""
        return f"{self.name} (sha256 {self.sha256[:12]}…)"

    def stored(self, now: datetime) -> StoredPolicy:
        """The row the store keeps."""
        return StoredPolicy(self.name, self.sha256, self.canonical(), now)


def _canonical(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_policy() -> ServicePolicy:
    """The data sheet's defaults, as a service policy with an empty document."""
    return ServicePolicy(
        DEFAULT_NAME, _digest(_canonical({})), {}, AllocationPolicy(), EntitlementPolicy()
    )


def _parsed(
    name: str, document: dict[str, Any], where: str, loaded_at: datetime | None
) -> ServicePolicy:
    allocation = (
        allocation_policy_from(document["allocation"], where)
        if "allocation" in document
        else AllocationPolicy()
    )
    entitlement = entitlement_policy_from(document.get("entitlement", {}), where)
    return ServicePolicy(
        name, _digest(_canonical(document)), document, allocation, entitlement, loaded_at
    )


def policy_from_file(path: Path) -> ServicePolicy:
    """A policy file read, made self-contained and checked as the servers will read it.

    Raises
    ------
    PolicyError
        The file cannot be read, is not a policy (an unknown section, key or value, named),
        or holds what JSON cannot (e.g. a date where a number belongs).
    """
    where = str(path)
    sections = load_policy_sections(path)
    # Parsed once as the file stands, so that a bad protection table is named as
    # ``allocate --policy`` names it; then its levels are written into the document.
    if "allocation" in sections:
        parsed = allocation_policy_from(sections["allocation"], where, base_dir=path.parent)
        protection = sections["allocation"].get("protection")
        if isinstance(protection, dict) and isinstance(protection.get("levels"), str):
            levels = parsed.protection.levels
            rows = [
                {"depot_id": d, "part_number": p, "level": int(v)}
                for (d, p), v in sorted(levels.items())
            ]
            sections["allocation"] = {
                **sections["allocation"],
                "protection": {**protection, "levels": rows},
            }
    try:
        document = json.loads(_canonical(sections))
    except (TypeError, ValueError) as exc:
        raise PolicyError(f"{where}: a value the service cannot store: {exc}") from None
    return _parsed(path.name, document, where, None)


def policy_from_stored(stored: StoredPolicy) -> ServicePolicy:
    """The policy the store keeps, parsed."""
    document = json.loads(stored.document)
    if not isinstance(document, dict):
        raise PolicyError(f"stored policy {stored.name}: not a mapping of sections")
    return _parsed(stored.name, document, f"stored policy {stored.name}", stored.loaded_at)


def service_policy(connection: Connection) -> ServicePolicy:
    """The policy the database's servers plan with: the stored one, else the defaults."""
    stored = read_policy(connection)
    return default_policy() if stored is None else policy_from_stored(stored)


def check_servable(policy: ServicePolicy, snapshot: Snapshot) -> None:
    """Refuse an option the service's incremental planner cannot honour, with the engine's
    own message (e.g. ``churn_penalty``).

    The service re-plans part groups with :meth:`allocation.engine.Engine.planner`; an
    option it refuses would otherwise plan differently in the service than ``allocate
    --policy`` says. The planner is built on the snapshot's master data and supply with no
    orders, against an empty previous plan (the service always has one: the ledger), so
    the check costs no solve of the load's orders.
    """
    from allocation.engine import Engine

    inputs = snapshot.entitlement
    bare = replace(
        snapshot,
        entitlement=EntitlementInputs(inputs.customers, inputs.contracts, inputs.orders.iloc[0:0]),
    )
    try:
        Engine(bare, policy.allocation, policy.entitlement, previous=_NO_LINES).planner()
    except PolicyError as exc:
        raise PolicyError(f"{policy.name}: {exc}") from None


_NO_LINES = pd.DataFrame({"order_id": [], "source": [], "origin": [], "quantity": []})
