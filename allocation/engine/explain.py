"""Explanations of one order's allocation, in a planner's words."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from allocation.domain.model import PriorityClass
from allocation.domain.policy import AllocationPolicy
from allocation.engine.held_back import held_back
from allocation.engine.problem import KINDS, build_arcs
from allocation.errors import UnknownIdError

if TYPE_CHECKING:
    from allocation.engine.plan import Plan

__all__ = ["explain_order"]


def explain_order(plan: Plan, order_id: str) -> str:
    """Why ``order_id`` got what it got: each source, each rival, and what policy forbids."""
    problem = plan.problem
    orders, arcs = problem.orders, problem.arcs
    matches = np.flatnonzero(orders["order_id"].to_numpy(dtype=object) == order_id)
    if len(matches) == 0:
        raise UnknownIdError(f"unknown order_id {order_id!r}")
    row = int(matches[0])
    order = orders.iloc[row]
    policy = problem.policy
    name = AllocationPolicy.group_name(int(order["group"]), policy)
    lines = [
        f"order {order_id}: {order['quantity']} × {order['part_number']} for "
        f"{order['customer_id']} in {order['country']} ({name}, tier {order['tier']}; "
        f"home depot {order['home_depot'] or 'none'}; created {_when(order['created_at'])})"
    ]
    mine = np.flatnonzero(arcs.order == row)
    got = mine[plan.flow[mine] > 0]
    fastest = arcs.eta_hours[mine].min() if len(mine) else None
    for a in got:
        why = "the fastest source it may use"
        if fastest is not None and arcs.eta_hours[a] > fastest + 1e-9:
            why = "faster sources it may use were taken (see below)"
        lines.append(
            f"- gets {plan.flow[a]} from {_describe(plan, a)}, ETA {arcs.eta_hours[a]:.1f} h, "
            f"cost {arcs.money[a] * plan.flow[a]:.2f}: {why}"
        )
    missing = int(order["quantity"]) - int(plan.filled[row])
    if missing <= 0 and (
        fastest is None or not len(got) or arcs.eta_hours[got].max() <= fastest + 1e-9
    ):
        return "\n".join(lines)
    if missing > 0:
        lines.append(f"- {missing} unit(s) unfilled")
        if row in plan.reasons:
            lines.append(f"  {plan.reasons[row]}")
    rivals = _rivals(plan, row, mine)
    lines.extend(rivals)
    if missing > 0:
        held = _held_back_lines(plan, row)
        lines.extend(held)
        lines.extend(_if_policy_allowed(plan, row, quiet=bool(held)))
    return "\n".join(lines)


def _rivals(plan: Plan, row: int, mine: np.ndarray) -> list[str]:
    """Who holds the units of each source this order may use, and the rule that put them first."""
    problem = plan.problem
    arcs, orders = problem.arcs, problem.orders
    out: list[str] = []
    my_group = int(orders["group"].iloc[row])
    my_created = orders["created_at"].iloc[row]
    for a in mine[np.argsort(arcs.eta_hours[mine], kind="stable")]:
        s = int(arcs.source[a])
        if plan.flow[a] >= int(orders["quantity"].iloc[row]):
            continue
        holders = np.flatnonzero((arcs.source == s) & (plan.flow > 0) & (arcs.order != row))
        if len(holders) == 0:
            continue
        parts = []
        for h in holders[:5]:
            o = int(arcs.order[h])
            rule = _rule(
                plan, o, my_group, my_created, float(arcs.eta_hours[h]), float(arcs.eta_hours[a])
            )
            parts.append(f"{orders['order_id'].iloc[o]} ({plan.flow[h]}: {rule})")
        more = f" and {len(holders) - 5} more" if len(holders) > 5 else ""
        out.append(
            f"  {_describe(plan, a)} (ETA {arcs.eta_hours[a]:.1f} h for this order) is held by "
            + "; ".join(parts)
            + more
        )
    return out


def _rule(
    plan: Plan, other: int, my_group: int, my_created: pd.Timestamp, their_eta: float, my_eta: float
) -> str:
    orders = plan.problem.orders
    policy = plan.problem.policy
    group = int(orders["group"].iloc[other])
    if group < my_group:
        first = AllocationPolicy.group_name(group, policy)
        return f"{first} ranks before {AllocationPolicy.group_name(my_group, policy)}"
    if group > my_group:
        return "a lower class keeps units this order could not have used to better effect"
    if their_eta < my_eta - 1e-9:
        return f"same class, gets it sooner ({their_eta:.1f} h vs {my_eta:.1f} h)"
    created = orders["created_at"].iloc[other]
    if created < my_created:
        return f"same class, older (created {_when(created)})"
    return "same class, an equally good claim; ties are broken the same way every time"


def _held_back_lines(plan: Plan, row: int) -> list[str]:
    """The protected units this order could have used: how many are still free, and where."""
    held = held_back(plan, np.array([row]))
    if row not in held:
        return []
    h = held[row]
    problem = plan.problem
    level = problem.policy.protection.level(h.depot, h.part)
    if h.free > 0:
        return [
            f"  {h.free} unit(s) of {h.part} at {h.depot} (ETA {h.eta_hours:.1f} h for this "
            f"order) are held back for parts-priority orders by the protection level at "
            f"{h.depot} (level {level})"
        ]
    return [
        f"  the protected units of {h.part} at {h.depot} (level {level}) went to "
        "parts_priority orders, which rank first"
    ]


def _if_policy_allowed(plan: Plan, row: int, quiet: bool = False) -> list[str]:
    problem = plan.problem
    every = build_arcs(problem, np.array([row]), only_allowed=False)
    # Units kept by a protection level are explained above, not as a source-kind rule.
    if "protected" in problem.sources:
        klass = PriorityClass(problem.orders["priority_class"].iloc[row])
        kind_ok = np.array([problem.policy.allows(klass, k) for k in KINDS])
        protected = problem.sources["protected"].to_numpy(dtype=bool)[every.source]
        every = every.take(~(protected & kind_ok[every.kind]))
    forbidden = np.flatnonzero(~every.allowed)
    if len(forbidden) == 0:
        return [] if quiet else ["  policy already lets it use every source that can reach it"]
    used = np.bincount(problem.arcs.source, weights=plan.flow, minlength=len(problem.sources))
    free = problem.sources["quantity"].to_numpy() - used
    order = forbidden[np.lexsort((every.money[forbidden], every.eta_hours[forbidden]))]
    with_free = [i for i in order if free[every.source[i]] > 0]
    best = with_free[0] if with_free else order[0]
    kind = KINDS[every.kind[best]].value
    s = int(every.source[best])
    origin = problem.sources["origin"].iloc[s]
    left = f"{int(free[s])} unit(s) free" if free[s] > 0 else "none free now"
    klass = problem.orders["priority_class"].iloc[row]
    return [
        f"  if policy let {klass} orders use {kind}: {kind} from {origin}, ETA "
        f"{every.eta_hours[best]:.1f} h, cost {every.money[best]:.2f} per unit ({left})"
    ]


def _describe(plan: Plan, arc: int) -> str:
    problem = plan.problem
    s = int(problem.arcs.source[arc])
    src = problem.sources.iloc[s]
    kind = KINDS[problem.arcs.kind[arc]].value
    part = src["part_number"]
    sub = (
        ""
        if part == problem.orders["part_number"].iloc[int(problem.arcs.order[arc])]
        else f" (substitute {part})"
    )
    if kind in ("expedite", "broker"):
        return f"{kind} from {src['origin']}{sub}"
    if src["base"] == 1:
        return f"{kind}: receipt landing at {src['origin']} {_when(src['release_at'])}{sub}"
    return f"{kind} at {src['origin']}{sub}"


def _when(value: object) -> str:
    stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    return "?" if pd.isna(stamp) else stamp.strftime("%Y-%m-%d %H:%M")
