"""Work conservation: no unit waits on a shelf while an order waits for a receipt.

The objective counts ETAs in ticks of the policy's resolution (0.1 h by default), so a
receipt landing less than half a tick after an order arrives ties with a unit on the shelf
on the ETA level, and on money too when both are at the same depot. The tie-break then used
to pick either — and when it picked the receipt, the shelf unit stayed while the order
waited. Ties between a unit that is there now and one that is not yet there go to the one
there now (:func:`allocation.engine.objective.tie_break`): in the engine's optimizer, in the
incremental planner's and the simulator's exact paths alike, since they all rank sources
with the objective's one tie level.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from allocation import allocate, load_snapshot
from tests.allocation.engine.builders import AS_OF, World, order
from tests.simulation.worlds import TinyWorld, run_world, timeline

# Half a tick and less: each of these receipts ties with the shelf in ETA ticks. Over these
# parts and offsets the pseudo-random tie-break alone sent about half the orders to wait.
OFFSETS = (0.01, 0.02, 0.03, 0.04)
PARTS = ("P1", "P2", "P3", "P4")


@pytest.mark.parametrize("shortcut", [True, False], ids=["exact path", "engine"])
@pytest.mark.parametrize("offset", OFFSETS)
def test_an_order_takes_the_unit_on_the_shelf_over_a_receipt_landing_within_half_a_tick(
    tmp_path: Path, offset: float, shortcut: bool
) -> None:
    for part in PARTS:
        world = TinyWorld(
            parts=[part],
            stock={(part, "D1"): 1},
            inbound=[(part, "D1", 1, 10.0 + offset)],
            orders=[("O1", "STD", part, 1, 10.0)],
        )
        run = run_world(world.write(tmp_path / part), shortcut=shortcut)
        assert timeline(run, "O1")[:2] == [
            ("order_created", 10.0, None),
            ("allocated", 10.0, "stock"),
        ], f"{part}, receipt {offset} h after the order"


@pytest.mark.parametrize("offset", OFFSETS)
def test_the_engine_plans_the_shelf_unit_over_a_receipt_landing_within_half_a_tick(
    offset: float,
) -> None:
    for part in PARTS:
        world = World(
            orders=[order("O1", part=part)],
            stock=[(part, "D1", 1)],
            inbound=[(part, "D1", 1, offset)],
        )
        plan = allocate(load_snapshot(world.tables(), as_of=AS_OF))
        lines = plan.to_pandas()
        assert lines["source"].tolist() == ["stock"], f"{part}, receipt {offset} h after now"
