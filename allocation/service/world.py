"""What stays put between loads, turned into the engine's terms once per process and load.

Parts, depots, lanes, customers and contracts change with a load (``parts-priority load``)
or a change of master data over HTTP (:mod:`allocation.service.master`); the engine
(:class:`~allocation.engine.Engine`), the entitlement inputs and the per-process planner are
built from them once (:class:`World`), and built again when the master data's version moved
on (:class:`WorldCache`, :func:`changed_world`).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from allocation.adapters.store.master import MasterData, master_version, read_master
from allocation.domain.entitlement import EntitlementPolicy
from allocation.domain.model import Contract, Customer
from allocation.domain.policy import AllocationPolicy
from allocation.domain.snapshot import EntitlementInputs, Snapshot
from allocation.engine import Context, Engine
from allocation.errors import InputError
from allocation.service.plans import PlanCache
from allocation.service.policy import service_policy

__all__ = ["NotLoadedError", "World", "WorldCache", "build_world", "changed_world"]


class NotLoadedError(InputError):
    """The database holds no master data yet: run ``parts-priority load`` first."""


@dataclass(frozen=True)
class World:
    """Master data and the engine's context built from it (one per load and process)."""

    version: str
    engine: Engine
    context: Context
    customers: dict[str, Customer]
    contracts: dict[str, list[Contract]]
    customers_frame: pd.DataFrame
    group_of: dict[str, str]
    parts_of: dict[str, list[str]]
    depots: frozenset[str]
    suppliers: frozenset[str]
    entitlement_policy: EntitlementPolicy | None
    snapshot: Snapshot
    plans: PlanCache


def _empty_orders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": pd.Series([], dtype=object),
            "customer_id": pd.Series([], dtype=object),
            "part_number": pd.Series([], dtype=object),
            "quantity": pd.Series([], dtype=np.int64),
            "created_at": pd.Series([], dtype="datetime64[ns]"),
            "product_type": pd.Series([], dtype=object),
            "warranty_valid": pd.Series([], dtype=bool),
            "ship_to_country": pd.Series([], dtype=object),
        }
    )


def _supplier_frame(suppliers: Iterable[str]) -> pd.DataFrame:
    names = sorted(suppliers)
    return pd.DataFrame(
        {
            "part_number": pd.Series([""] * len(names), dtype=object),
            "source": pd.Series(["expedite"] * len(names), dtype=object),
            "supplier_id": pd.Series(names, dtype=object),
            "capacity": np.zeros(len(names), dtype=np.int64),
            "lead_time_hours": np.zeros(len(names)),
            "unit_cost": np.zeros(len(names)),
            "success_probability": np.ones(len(names)),
        }
    )


def build_world(
    master: MasterData,
    policy: AllocationPolicy | None = None,
    entitlement_policy: EntitlementPolicy | None = None,
    freeze: bool = False,
) -> World:
    """The engine's context and the entitlement inputs of a load (``freeze``: see
    :class:`PlanCache`)."""
    inputs = EntitlementInputs(master.customers, master.contracts, _empty_orders())
    snapshot = Snapshot(
        entitlement=inputs,
        parts=master.parts,
        depots=master.depots,
        stock=pd.DataFrame(),
        inbound=pd.DataFrame(),
        lanes=master.lanes,
        supply_options=_supplier_frame(master.suppliers),
        as_of=datetime(2000, 1, 1),
    )
    engine = Engine(snapshot, policy or AllocationPolicy(), entitlement_policy)
    context = engine.context
    contracts: dict[str, list[Contract]] = defaultdict(list)
    for contract in inputs.contract_objects():
        contracts[contract.customer_id].append(contract)
    return World(
        version=master.version,
        engine=engine,
        context=context,
        customers=inputs.customer_objects(),
        contracts=dict(contracts),
        customers_frame=master.customers[["customer_id", "country"]].copy(),
        group_of=dict(master.group_of),
        parts_of=_parts_of(master.group_of),
        depots=frozenset(master.depots["depot_id"]),
        suppliers=frozenset(master.suppliers),
        entitlement_policy=entitlement_policy,
        snapshot=snapshot,
        plans=PlanCache(freeze=freeze),
    )


def _parts_of(group_of: dict[str, str]) -> dict[str, list[str]]:
    parts_of: dict[str, list[str]] = defaultdict(list)
    for part, group in sorted(group_of.items()):
        parts_of[group].append(part)
    return dict(parts_of)


_SEEN_WORLD = "parts_priority_world"
"""``connection.info`` key: (transaction, cache, world) of the last :meth:`WorldCache.get`."""


class WorldCache:
    """One :class:`World` per process, rebuilt when another load happened.

    Without a ``policy`` or ``entitlement_policy`` of its own, a world plans with the policy
    stored in the database (:mod:`allocation.service.policy`), read as the world is built:
    a policy changes only with a load, which gives the master data a new version.
    """

    def __init__(
        self,
        policy: AllocationPolicy | None = None,
        entitlement_policy: EntitlementPolicy | None = None,
        freeze: bool = False,
    ) -> None:
        self._policy = policy
        self._entitlement_policy = entitlement_policy
        self._freeze = freeze
        self._world: World | None = None
        self._lock = threading.Lock()

    def get(self, connection: Connection) -> World:
        """The world of the database's current load.

        The load's version is read once per transaction: the writes of one batch share
        their transaction, and a load, which deletes the part groups every write locks,
        cannot commit while that transaction holds them.
        """
        transaction = connection.get_transaction()
        seen = connection.info.get(_SEEN_WORLD)
        if seen is not None and seen[0] is transaction is not None and seen[1] is self:
            world: World = seen[2]
            return world
        world = self._current(connection)
        if transaction is not None:
            connection.info[_SEEN_WORLD] = (transaction, self, world)
        return world

    def offer(self, world: World) -> None:
        """Keep ``world``, built by a write that changed the master data, as the current one."""
        with self._lock:
            self._world = world

    def _current(self, connection: Connection) -> World:
        version = master_version(connection)
        if version is None:
            raise NotLoadedError(
                "no master data loaded: run 'parts-priority load --snapshot DIR' first"
            )
        world = self._world
        if world is not None and world.version == version:
            return world
        with self._lock:
            if self._world is None or self._world.version != version:
                master = read_master(connection)
                assert master is not None
                policy, entitlement_policy = self._policy, self._entitlement_policy
                if policy is None and entitlement_policy is None:
                    stored = service_policy(connection)
                    policy, entitlement_policy = stored.allocation, stored.entitlement
                self._world = build_world(master, policy, entitlement_policy, self._freeze)
            return self._world


@contextmanager
def changed_world(connection: Connection, world: World) -> Iterator[World]:
    """The world of the master data this transaction has just changed (and given a new
    version), for the rest of the transaction.

    The writes that follow in the same transaction (a batch shares one) plan with it. If
    the block fails, they go on with ``world`` again, as its savepoint's rollback leaves the
    rows; once the block is done, the process's cache keeps the new world, which the next
    transactions use if the change commits (if not, the version they read differs, and the
    cache builds the world again).
    """
    master = read_master(connection)
    assert master is not None
    new = build_world(master, world.engine.policy, world.entitlement_policy, world.plans.freeze)
    seen = connection.info.get(_SEEN_WORLD)
    cache = seen[1] if seen is not None else None
    connection.info[_SEEN_WORLD] = (connection.get_transaction(), cache, new)
    try:
        yield new
    except BaseException:
        if seen is None:
            connection.info.pop(_SEEN_WORLD, None)
        else:
            connection.info[_SEEN_WORLD] = seen
        raise
    if isinstance(cache, WorldCache):
        cache.offer(new)
