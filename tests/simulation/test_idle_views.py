"""Views that found nothing to take are passed over until what they read changes."""

from __future__ import annotations

import pytest
import simpy

from simulation.use_cases import scenario_source
from simulation.world.idle import IdleViews
from simulation.world.model import ShortageWorld
from simulation.world.sampling import Streams
from simulation.world.setup import build_setup

# Parts 5 and 6 have supply options, the others none; parts-priority orders (class 0) may
# use transfers and buy, standard orders (class 1) only their home depot.
STANDARD, PRIORITY = 1, 0


@pytest.fixture
def world() -> ShortageWorld:
    setup = build_setup(
        scenario_source(
            {
                "version": 1,
                "name": "idle views",
                "horizon_days": 7,
                "demand": {"orders_per_day": 10},
                "world": {"generate": {"orders": 100, "parts": 10, "depots": 2, "seed": 1}},
            }
        )
    )
    return ShortageWorld(simpy.Environment(), setup, Streams(1, 0))


def test_a_standard_view_stays_idle_while_supply_is_freed_only_at_other_depots(
    world: ShortageWorld,
) -> None:
    idle = IdleViews(world.supply, world.book, pre_empts=True)
    view = ((world.book.group[0],), STANDARD)
    idle.remember(view, [(9, STANDARD, 12, 1)])
    assert idle.still_idle(view)
    world.state.mark_freed(9, 0)
    assert idle.still_idle(view)
    world.state.mark_freed(9, 1)
    assert not idle.still_idle(view)


def test_a_view_that_may_use_transfers_reads_every_depot_of_its_part(
    world: ShortageWorld,
) -> None:
    idle = IdleViews(world.supply, world.book, pre_empts=True)
    view = ((world.book.group[1],), PRIORITY)
    idle.remember(view, [(8, PRIORITY, 17, 1)])
    world.state.mark_freed(8, 0)
    assert not idle.still_idle(view)


def test_a_depot_back_online_or_a_new_kind_wakes_every_idle_view(world: ShortageWorld) -> None:
    idle = IdleViews(world.supply, world.book, pre_empts=True)
    view = ((world.book.group[0],), STANDARD)
    idle.remember(view, [(9, STANDARD, 12, 1)])
    world.state.freed_everywhere += 1
    assert not idle.still_idle(view)
    idle.remember(view, [(9, STANDARD, 12, 1)])
    world.book.kind_revision[(view[0][0], STANDARD)] = 99
    assert not idle.still_idle(view)


def test_a_view_whose_orders_may_buy_from_an_option_is_never_remembered(
    world: ShortageWorld,
) -> None:
    idle = IdleViews(world.supply, world.book, pre_empts=True)
    view = ((world.book.group[0],), PRIORITY)
    idle.remember(view, [(5, PRIORITY, 17, 1)])
    assert not idle.still_idle(view)
