"""Explanations of one order's allocation, in a planner's words."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.domain.model import SourceBase, SourceKind
from allocation.domain.policy import AllocationPolicy
from allocation.engine._lateness import late_sentence
from allocation.engine.explain._held_back import held_back
from allocation.engine.model import CLASSES, TIERS, Problem, build_arcs, split_shares
from allocation.errors import UnknownIdError

__all__ = ["explain_order"]

IntArray = npt.NDArray[np.int64]
_KINDS = tuple(SourceKind)


def explain_order(
    problem: Problem, flow: IntArray, excluded: Mapping[int, str], order_id: str
) -> str:
    """Why ``order_id`` got what it got: each source, each rival, and what policy forbids."""
    orders, arcs = problem.orders, problem.arcs
    matches = np.flatnonzero(orders.order_id == order_id)
    if len(matches) == 0:
        raise UnknownIdError(f"unknown order_id {order_id!r}")
    row = int(matches[0])
    policy = problem.policy
    name = AllocationPolicy.group_name(int(orders.group[row]), policy)
    code = int(orders.home_code[row])
    home = problem.context.depot_ids[code] if code >= 0 else None
    lines = [
        f"order {order_id}: {orders.quantity[row]} × {orders.part_number[row]} for "
        f"{orders.customer_id[row]} in {orders.country[row]} ({name}, tier "
        f"{TIERS[orders.tier_code[row]].value}; home depot {home or 'none'}; created "
        f"{_when(orders.created_at[row])})"
    ]
    mine = np.flatnonzero(arcs.order == row)
    target = late_sentence(problem, flow, row, mine)
    if target is not None:
        lines.append(target)
    got = mine[flow[mine] > 0]
    fastest = arcs.eta_hours[mine].min() if len(mine) else None
    for a in got:
        why = "the fastest source it may use"
        if fastest is not None and arcs.eta_hours[a] > fastest + 1e-9:
            why = "faster sources it may use were taken (see below)"
        lines.append(
            f"- gets {flow[a]} from {_describe(problem, int(a))}, ETA {arcs.eta_hours[a]:.1f} h, "
            f"cost {arcs.money[a] * flow[a]:.2f}: {why}"
        )
    missing = int(orders.quantity[row]) - int(flow[mine].sum())
    if missing <= 0 and (
        fastest is None or not len(got) or arcs.eta_hours[got].max() <= fastest + 1e-9
    ):
        return "\n".join(lines)
    if missing > 0:
        lines.append(f"- {missing} unit(s) unfilled")
        if row in excluded:
            lines.append(f"  {excluded[row]}")
        lines.extend(_split_lines(problem, flow, row, excluded))
    lines.extend(_rivals(problem, flow, row, mine))
    if missing > 0:
        held = _held_back_lines(problem, flow, row)
        lines.extend(held)
        lines.extend(_if_policy_allowed(problem, flow, row, quiet=bool(held)))
    return "\n".join(lines)


def _split_lines(
    problem: Problem, flow: IntArray, row: int, excluded: Mapping[int, str]
) -> list[str]:
    """The proportional split's sentence, when it is what keeps the order short."""
    if problem.policy.fair_share.split == "off":
        return []
    shares = split_shares(problem, flow, excluded.keys())
    at = np.array([row], dtype=np.int64)
    if shares is None or not shares.short(at)[0]:
        return []
    group = int(shares.group[shares.pool[row]])
    return [f"  {shares.words(row, AllocationPolicy.group_name(group, problem.policy))}"]


def _rivals(problem: Problem, flow: IntArray, row: int, mine: IntArray) -> list[str]:
    """Who holds the units of each source this order may use, and the rule that put them first."""
    arcs, orders = problem.arcs, problem.orders
    out: list[str] = []
    for a in mine[np.argsort(arcs.eta_hours[mine], kind="stable")]:
        s = int(arcs.source[a])
        if flow[a] >= int(orders.quantity[row]):
            continue
        holders = np.flatnonzero((arcs.source == s) & (flow > 0) & (arcs.order != row))
        if len(holders) == 0:
            continue
        parts = []
        for h in holders[:5]:
            o = int(arcs.order[h])
            rule = _rule(problem, o, row, float(arcs.eta_hours[h]), float(arcs.eta_hours[a]))
            parts.append(f"{orders.order_id[o]} ({flow[h]}: {rule})")
        more = f" and {len(holders) - 5} more" if len(holders) > 5 else ""
        out.append(
            f"  {_describe(problem, int(a))} (ETA {arcs.eta_hours[a]:.1f} h for this order) is "
            "held by " + "; ".join(parts) + more
        )
    return out


def _rule(problem: Problem, other: int, row: int, their_eta: float, my_eta: float) -> str:
    orders, policy = problem.orders, problem.policy
    group, my_group = int(orders.group[other]), int(orders.group[row])
    if group < my_group:
        first = AllocationPolicy.group_name(group, policy)
        return f"{first} ranks before {AllocationPolicy.group_name(my_group, policy)}"
    if group > my_group:
        return "a lower class keeps units this order could not have used to better effect"
    theirs, mine = orders.need_by[other], orders.need_by[row]
    if not np.isnat(theirs) and (np.isnat(mine) or theirs < mine):
        return f"same class, due sooner (need by {_when(theirs)})"
    if their_eta < my_eta - 1e-9:
        return f"same class, gets it sooner ({their_eta:.1f} h vs {my_eta:.1f} h)"
    created = orders.created_at[other]
    if created < orders.created_at[row]:
        return f"same class, older (created {_when(created)})"
    return "same class, an equally good claim; ties are broken the same way every time"


def _held_back_lines(problem: Problem, flow: IntArray, row: int) -> list[str]:
    """The protected units this order could have used: how many are still free, and where."""
    held = held_back(problem, flow, np.array([row], dtype=np.int64))
    if len(held) == 0:
        return []
    depot, part, free = str(held.depot[0]), str(held.part[0]), int(held.free[0])
    level = problem.policy.protection.level(depot, part)
    if free > 0:
        return [
            f"  {free} unit(s) of {part} at {depot} (ETA {held.eta_hours[0]:.1f} h for this "
            f"order) are held back for parts-priority orders by the protection level at "
            f"{depot} (level {level})"
        ]
    return [
        f"  the protected units of {part} at {depot} (level {level}) went to "
        "parts_priority orders, which rank first"
    ]


def _if_policy_allowed(
    problem: Problem, flow: IntArray, row: int, quiet: bool = False
) -> list[str]:
    orders, sources = problem.orders, problem.sources
    every = build_arcs(orders, sources, problem.context, np.array([row]), only_allowed=False)
    klass = CLASSES[orders.class_code[row]]
    # Units kept by a protection level are explained above, not as a source-kind rule.
    kind_ok = np.array([problem.policy.allows(klass, k) for k in _KINDS])
    every = every.take(~(sources.protected[every.source] & kind_ok[every.kind]))
    forbidden = np.flatnonzero(~every.allowed)
    if len(forbidden) == 0:
        return [] if quiet else ["  policy already lets it use every source that can reach it"]
    used = np.zeros(len(sources), dtype=np.int64)
    np.add.at(used, problem.arcs.source, flow)
    free = sources.quantity - used
    order = forbidden[np.lexsort((every.money[forbidden], every.eta_hours[forbidden]))]
    with_free = [i for i in order if free[every.source[i]] > 0]
    best = with_free[0] if with_free else order[0]
    kind = _KINDS[every.kind[best]].value
    s = int(every.source[best])
    left = f"{int(free[s])} unit(s) free" if free[s] > 0 else "none free now"
    return [
        f"  if policy let {klass.value} orders use {kind}: {kind} from {sources.origin[s]}, ETA "
        f"{every.eta_hours[best]:.1f} h, cost {every.money[best]:.2f} per unit ({left})"
    ]


def _describe(problem: Problem, arc: int) -> str:
    sources, arcs = problem.sources, problem.arcs
    s = int(arcs.source[arc])
    kind = _KINDS[arcs.kind[arc]].value
    part = sources.part_number[s]
    asked = problem.orders.part_number[int(arcs.order[arc])]
    sub = "" if part == asked else f" (substitute {part})"
    origin = sources.origin[s]
    if kind in ("expedite", "broker"):
        return f"{kind} from {origin}{sub}"
    if sources.base[s] == SourceBase.RECEIPT:
        return f"{kind}: receipt landing at {origin} {_when(sources.release_at[s])}{sub}"
    return f"{kind} at {origin}{sub}"


def _when(value: object) -> str:
    stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    return "?" if pd.isna(stamp) else stamp.strftime("%Y-%m-%d %H:%M")
