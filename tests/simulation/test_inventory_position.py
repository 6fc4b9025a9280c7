"""One-for-one base stock keeps every depot's inventory position at its base-stock level.

At every depot and for every part, **on hand + on order − backorders = S** at every instant,
where the backorders are the units of the depot's receipts promised to orders. A reorder
follows the unit that leaves a depot's inventory — shipped from its shelf, or promised from a
receipt on its way — at that depot; a unit bought by expedite or broker (or from an emergency
channel) leaves no depot and reorders nothing. That is the rule of the textbook models the
simulator is checked against (Palm's theorem; Erlang's loss system for lost sales and
emergency supply; Axsäter 1990 for lateral transshipments: the depot that supplies a unit
reorders it).

The deterministic tests show each way a unit can leave; the property runs random worlds with
every source kind — stock, transfer, receipts on their way, expedite, failing brokers,
protection levels, pre-emption on and off, lost sales and emergency supply, a repair shop with
few servers — and checks the identity after every event.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import simpy
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from simulation.records import Recorder
from simulation.world.model import ShortageWorld
from simulation.world.sampling import Streams
from simulation.world.setup import WorldSetup, build_setup
from tests.simulation.test_conservation import UNMET, protection
from tests.simulation.worlds import TinyWorld, run_world, timeline

FIXED_100 = {"lead_time": {"distribution": "fixed", "mean_hours": 100.0}}


def reorders(run: ShortageWorld) -> list[tuple[str, float, int]]:
    """(depot, hour, units) of every replenishment order, in record order."""
    records = run.recorder.to_frame()
    placed = records[records["event"] == "replenishment_ordered"]
    return [
        (str(d), round(float(t), 6), int(q))
        for d, t, q in zip(placed["depot_id"], placed["time"], placed["quantity"], strict=True)
    ]


def test_a_demand_served_by_expedite_reorders_nothing(tmp_path: Path) -> None:
    # Base stock 1 at D1. The first PM order takes the shelf unit, which is reordered (it
    # lands at 101 h); the second finds the shelf empty and is expedited at once, which is
    # sooner than waiting for the reorder. Only the shelf unit left the depot.
    world = TinyWorld(
        stock={("P1", "D1"): 1},
        base_stock={("P1", "D1"): 1},
        options=[("P1", "expedite", "SUP", 5, 0.0, 50.0, None)],
        lanes=[("SUP", "DE", 0.0, 0.0)],
        orders=[("O1", "PM", "P1", 1, 1.0), ("O2", "PM", "P1", 1, 2.0)],
    )
    run = run_world(world.write(tmp_path, replenishment=FIXED_100))
    assert ("allocated", 2.0, "expedite") in timeline(run, "O2")
    assert reorders(run) == [("D1", 1.0, 1)]


def test_a_broker_buy_reorders_nothing_and_its_failure_neither(tmp_path: Path) -> None:
    # Base stock 1 at D1. The first PM order takes the shelf unit (reordered at 1 h, lands
    # at 101 h). The second is bought from the broker at 2 h (1 h away, sooner than the
    # reorder); the buy fails, which shows at 7 h, and the broker has no capacity left, so
    # the order is then promised the depot's receipt, and that promise is the unit that
    # leaves the depot: reordered at 7 h, not at 2 h.
    world = TinyWorld(
        stock={("P1", "D1"): 1},
        base_stock={("P1", "D1"): 1},
        options=[("P1", "broker", "BRK", 1, 1.0, 50.0, 0.9)],
        lanes=[("BRK", "DE", 0.0, 0.0)],
        orders=[("O1", "PM", "P1", 1, 1.0), ("O2", "PM", "P1", 1, 2.0)],
    )
    scenario = world.write(
        tmp_path,
        replenishment=FIXED_100,
        sources={"broker": {"failure_probability": 1.0, "failure_detected_after_hours": 5.0}},
    )
    run = run_world(scenario)
    assert timeline(run, "O2")[:4] == [
        ("order_created", 2.0, None),
        ("allocated", 2.0, "broker"),
        ("purchase_failed", 7.0, "broker"),
        ("reserved", 7.0, "inbound"),
    ]
    assert reorders(run) == [("D1", 1.0, 1), ("D1", 7.0, 1)]


def test_a_transferred_unit_is_reordered_where_it_left_not_at_the_orders_home(
    tmp_path: Path,
) -> None:
    # D1 (Germany) and D2 (France) each hold their base stock of 1. A standard order in
    # Germany takes D1's unit; a PM order in Germany then gets D2's by transfer (24 h,
    # sooner than D1's reorder at 101 h). D2 reorders it; D1 reorders only its own unit.
    world = TinyWorld(
        depots={"D1": "DE", "D2": "FR"},
        stock={("P1", "D1"): 1, ("P1", "D2"): 1},
        base_stock={("P1", "D1"): 1, ("P1", "D2"): 1},
        lanes=[("D2", "DE", 24.0, 0.0), ("D1", "FR", 24.0, 0.0)],
        orders=[("O1", "STD", "P1", 1, 1.0), ("O2", "PM", "P1", 1, 2.0)],
    )
    run = run_world(world.write(tmp_path, replenishment=FIXED_100))
    assert ("allocated", 2.0, "transfer") in timeline(run, "O2")
    assert reorders(run) == [("D1", 1.0, 1), ("D2", 2.0, 1)]


def test_a_promised_receipt_is_reordered_when_it_is_promised(tmp_path: Path) -> None:
    # Base stock 1: the first order takes the shelf unit (reordered at 1 h, lands at 101 h);
    # the second is promised that receipt, which leaves the depot's inventory then: it is
    # reordered at 2 h, as Palm's model reorders every demand on arrival.
    world = TinyWorld(
        stock={("P1", "D1"): 1},
        base_stock={("P1", "D1"): 1},
        orders=[("O1", "STD", "P1", 1, 1.0), ("O2", "STD", "P1", 1, 2.0)],
    )
    run = run_world(world.write(tmp_path, replenishment=FIXED_100))
    assert ("reserved", 2.0, "inbound") in timeline(run, "O2")
    assert ("allocated", 101.0, "inbound") in timeline(run, "O2")
    assert reorders(run) == [("D1", 1.0, 1), ("D1", 2.0, 1)]


def test_a_depot_below_its_level_at_the_start_reorders_the_difference_at_once(
    tmp_path: Path,
) -> None:
    # Nothing on the shelf and a base stock of 2: the position is brought up to 2 at time 0,
    # so the first order waits for a reorder that is already on its way.
    world = TinyWorld(
        base_stock={("P1", "D1"): 2},
        orders=[("O1", "STD", "P1", 1, 30.0)],
    )
    run = run_world(world.write(tmp_path, replenishment=FIXED_100))
    assert reorders(run)[0] == ("D1", 0.0, 2)
    assert ("allocated", 100.0, "inbound") in timeline(run, "O1")


# -- the identity after every event, in random worlds ---------------------------------------


class Checked(ShortageWorld):
    """A world that checks on hand + on order − promised = S after every event."""

    checks = 0

    def _checked(self, callback: Callable[[], None]) -> None:
        super()._checked(callback)
        self.check_positions()

    def check_positions(self) -> None:
        state, names = self.state, self.setup.context.part_numbers
        for part, levels in enumerate(state.base_stock):
            for depot, level in enumerate(levels):
                position = state.position(part, depot)
                assert position == level, (
                    f"{names[part]} at {self.setup.depot_ids[depot]}, {self.env.now:.4f} h: "
                    f"on hand {state.on_hand[part][depot]} + on order "
                    f"{state.on_order[part][depot]} − promised = {position}, not S = {level}"
                )
        self.checks += 1


DEPOTS = {"D1": "DE", "D2": "FR"}
CUSTOMERS = {
    "PM-DE": ("DE", "PM"),
    "STD-DE": ("DE", "standard"),
    "PM-FR": ("FR", "PM"),
    "STD-FR": ("FR", "standard"),
}
LEAD_TIMES = [
    {"distribution": "fixed", "mean_hours": 30.0},
    {"distribution": "gamma", "mean_hours": 40.0, "cv": 0.8},
    {"distribution": "exponential", "mean_hours": 20.0},
]


@st.composite
def base_stock_worlds(draw: st.DrawFn) -> tuple[TinyWorld, dict[str, Any], str]:
    """A world that starts at or below its base-stock levels, with every source kind."""
    depots = dict(list(DEPOTS.items())[: draw(st.integers(1, 2))])
    parts = ["P1", "P2"][: draw(st.integers(1, 2))]
    substitutes = {"P1": "P2"} if len(parts) > 1 and draw(st.booleans()) else {}
    stock = {(p, d): draw(st.integers(0, 3)) for p in parts for d in depots}
    inbound = [
        (
            draw(st.sampled_from(parts)),
            draw(st.sampled_from(list(depots))),
            1,
            draw(st.floats(0, 80)),
        )
        for _ in range(draw(st.integers(0, 2)))
    ]
    base = {
        (p, d): stock[(p, d)]
        + sum(q for ip, idp, q, _ in inbound if (ip, idp) == (p, d))
        + draw(st.integers(0, 1))
        for p in parts
        for d in depots
    }
    options = []
    for p in parts:
        if draw(st.booleans()):
            options.append((p, "expedite", "SUP", draw(st.integers(1, 3)), 12.0, 90.0, None))
        if draw(st.booleans()):
            success = draw(st.sampled_from([0.5, 0.9]))
            options.append((p, "broker", "BRK", draw(st.integers(1, 3)), 10.0, 60.0, success))
    lanes = [(d, c, 24.0, 2.0) for d in depots for c in ("DE", "FR") if c != depots[d]]
    lanes += [
        (s, c, 6.0, 5.0)
        for s in ("SUP", "BRK")
        for c in ("DE", "FR")
        if any(o[2] == s for o in options)
    ]
    rates = [
        (c, p, draw(st.sampled_from([1.0, 3.0, 6.0])))
        for c in CUSTOMERS
        for p in parts
        if draw(st.booleans())
    ] or [("PM-DE", parts[0], 3.0)]
    world = TinyWorld(
        depots=depots,
        parts=parts,
        substitutes=substitutes,
        stock=stock,
        inbound=inbound,
        lanes=lanes,
        options=options,
        customers=CUSTOMERS,
        rates=rates,
        base_stock=base,
    )
    replenishment: dict[str, Any] = {"lead_time": draw(st.sampled_from(LEAD_TIMES))}
    if draw(st.booleans()):
        replenishment["servers"] = draw(st.integers(1, 2))
    scenario: dict[str, Any] = {
        "horizon_days": 6,
        "drain_days": draw(st.sampled_from([0, 3])),
        "replenishment": replenishment,
        "sources": {"capacity_period_hours": 24.0, "broker": {"lead_time_cv": 0.5}},
        "policy": {
            "mode": draw(st.sampled_from(["event", "periodic"])),
            "period_hours": 12,
            "options": {
                "preemption": draw(st.booleans()),
                "partial_fills": draw(st.booleans()),
            },
        },
    }
    unmet = draw(UNMET)
    if unmet is not None:
        scenario["unmet_demand"] = unmet
    if draw(st.booleans()):
        scenario["policy"]["options"]["protection"] = draw(protection(list(depots), parts))
    if draw(st.booleans()):
        scenario["disruptions"] = [
            {
                "kind": "supply_cut",
                "start_day": 1.0,
                "end_day": 3.0,
                "volume_lost": draw(st.sampled_from([0.0, 0.5])),
                "lead_time_factor": 2.0,
            }
        ]
    return world, scenario, draw(st.sampled_from(["optimal", "fifo", "tier_greedy"]))


def run_checked(setup: WorldSetup, strategy: str, seed: int) -> Checked:
    world = Checked(
        simpy.Environment(), setup, Streams(seed, 0), strategy=strategy, recorder=Recorder()
    )
    world.run()
    world.check_positions()
    return world


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base_stock_worlds(), st.integers(0, 3))
def test_on_hand_plus_on_order_minus_promised_is_the_base_stock_level_after_every_event(
    case: tuple[TinyWorld, dict[str, Any], str], seed: int
) -> None:
    world, scenario, strategy = case
    note(f"{world!r}\n{scenario!r}\n{strategy}")
    with tempfile.TemporaryDirectory() as folder:
        setup = build_setup(world.write(Path(folder), **scenario))
    run = run_checked(setup, strategy, seed)
    assert run.checks > 10
    events = set(run.recorder.to_frame()["event"].astype(str))
    assert "order_created" in events
