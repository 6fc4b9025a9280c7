"""An order shipped from stock at the moment it arrives counts as filled, on the clock's
resolution and not to the last bit of a float.

SimPy moves its clock by adding delays: an order created at ``t1`` after an event at
``t0`` is handled at ``t0 + (t1 − t0)``, which may differ from ``t1`` in the last place
(2.8e-14 h at 188 h). The fill rate compared the two with ``==`` and counted such an order
as not filled on arrival.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simulation.metrics import CLOCK_RESOLUTION_HOURS, order_outcomes, same_moment
from simulation.records import Recorder
from simulation.world.supply import hours_to_ns
from tests.simulation.worlds import TinyWorld, run_world

# Two arrival times (whole microseconds, as an order log gives them) for which
# t0 + (t1 − t0) != t1 in floating point.
T0_US, T1_US = 1_215_662_039, 676_503_233_798


def test_an_order_shipped_from_stock_on_arrival_is_filled_even_when_the_clock_rounds(
    tmp_path: Path,
) -> None:
    t0, t1 = T0_US / 3.6e9, T1_US / 3.6e9
    assert t0 + (t1 - t0) != t1
    world = TinyWorld(
        stock={("P1", "D1"): 5},
        orders=[("A", "STD", "P1", 1, t0), ("B", "STD", "P1", 1, t1)],
    )
    run = run_world(world.write(tmp_path, horizon_days=11))
    records = run.recorder.to_frame()
    shipped = records[(records["event"] == "allocated") & (records["order_id"] == "B")]
    created = records[(records["event"] == "order_created") & (records["order_id"] == "B")]
    assert float(shipped["time"].iloc[0]) != float(created["time"].iloc[0])
    assert order_outcomes(records)["filled_on_arrival"].tolist() == [True, True]


def test_a_shipment_a_microsecond_after_arrival_is_not_on_arrival() -> None:
    rec = Recorder()
    for order_id, delay in (("O1", 2.8e-14), ("O2", 1e-6 / 3600)):
        rec.emit(
            200.3,
            "order_created",
            order_id=order_id,
            part_number="P",
            quantity=1,
            priority_class="standard",
        )
        rec.emit(200.3 + delay, "allocated", order_id=order_id, source_kind="stock", quantity=1)
    rec.emit(300.0, "end")
    assert order_outcomes(rec.to_frame())["filled_on_arrival"].tolist() == [True, False]


def test_the_clock_resolution_is_the_nanosecond_the_engine_is_handed_times_in() -> None:
    assert hours_to_ns(1000 * CLOCK_RESOLUTION_HOURS) == 1000
    # Far into a run a float's own spacing is the finer limit: a year is 6.5 ns per place.
    year = 8760.0
    assert same_moment(np.array([year]), np.array([np.nextafter(year, np.inf)])).tolist() == [True]
    assert not same_moment(np.array([year]), np.array([year + 1e-9])).tolist()[0]
