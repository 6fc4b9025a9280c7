"""What a simulated run meant for customers, computed afterwards from its event records.

The world only emits flat rows (:mod:`simulation.records`); everything a planner asks —
how long was each order down, how many orders wait at a given moment, what did the broker
cost — is a pure function here, so a new measure never needs a new simulation run. Records
of several replications may be concatenated: every result is keyed by ``replication``.

Conventions shared by all functions:

- An order's **downtime** runs from its creation to its ``restored`` event (its last unit
  arrived, plus the repair).
- **Censoring.** An order still open at the ``end`` of its replication has no ``restored``
  row; its downtime is counted up to the end, which is a *lower bound* of its true downtime.
  Nothing is dropped and nothing is guessed: means and percentiles that include such orders
  are lower bounds, ``within_target`` counts them as missed (so it is a lower bound too, the
  pessimistic side), and ``restored_share`` says how many orders were still open, so a
  reader can tell when the bounds matter. Scenarios give a drain period after the horizon
  (``drain_days``: orders stop arriving, the world keeps running) and count only orders
  created before the horizon, so in a world that keeps up with demand ``restored_share`` is 1
  and every figure is exact; when it is not 1, the world did not keep up, which is itself the
  finding. A replication without an ``end`` row ends at its last recorded event.
- **Fill rate** is the share of orders whose whole quantity was shipped from stock (their
  home depot's or, by transfer, another's) at the moment they were created. "At the
  moment" is on the simulator's clock (:func:`same_moment`): SimPy adds delays in floating
  point, so an order created at 200.3 h may be decided at 200.30000000000004 h.
- ``reserved`` and ``released`` rows (promises of receipts on their way) change no measure:
  an order waiting for a promised unit is still a backorder.
- A **failed purchase** (``purchase_failed``) takes back its ``allocated`` row: its units go
  back to the order's need and its money is not spent.
- A **lost** order (``lost``: the scenario's ``unmet_demand`` lets its class lose orders it
  cannot serve in time) is never served: it counts in ``orders``, ``units``, ``lost_orders``
  and ``lost_units`` and as not filled in ``fill_rate`` (so the fill rate is the share of
  demand served from stock at once, as in the lost-sales models), but has no downtime —
  downtime measures, ``within_target`` and ``restored_share`` are over the orders served.
  Orders an emergency channel serves (``emergency_units``) are served, with their downtime.
- ``by=None`` puts every order in one group: a column ``group`` with the value ``"all"``.

Everything is vectorised over event rows (``bincount``, ``lexsort``, cumulative sums), never a
Python loop over orders: a million records take a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from simulation._causes import CutWindow, lost_codes, wait_codes
from simulation._rows import (
    ORDER_ATTRIBUTES,
    BoolArray,
    FloatArray,
    IntArray,
    Rows,
    codes,
    counts_at,
    end_times,
    grouped_percentiles,
    is_in,
    read_rows,
)
from simulation._targets import (
    TARGET_KPI_COLUMNS,
    target_kpi_data,
    target_kpis,
    target_outcomes,
)

__all__ = [
    "ALL_GROUP",
    "CLOCK_RESOLUTION_HOURS",
    "GROUP_COLUMN",
    "KPI_COLUMNS",
    "ORDER_ATTRIBUTES",
    "SOURCE_KINDS",
    "TARGET_KPI_COLUMNS",
    "backorders_over_time",
    "cost_by_source",
    "kpis",
    "order_outcomes",
    "same_moment",
]

GROUP_COLUMN = "group"
"""The group column that ``by=None`` adds."""
ALL_GROUP = "all"
"""Its only value."""

CLOCK_RESOLUTION_HOURS = 1.0 / 3_600_000_000_000
"""The simulator's clock resolution in hours: one nanosecond, the unit in which it hands
times to the engine (:func:`simulation.world.supply.hours_to_ns`)."""

SOURCE_KINDS = ("stock", "transfer", "inbound", "expedite", "broker")
_FILLING_SOURCES = ("stock", "transfer")
_PERCENTILES = (50, 90, 99)
_OUTCOME_COLUMNS = (
    "replication",
    "order_id",
    *ORDER_ATTRIBUTES,
    "quantity",
    "created",
    "restored",
    "downtime_hours",
    "allocated_units",
    "delivered_units",
    "filled_on_arrival",
    "cost",
    "broker_units",
    "expedited_units",
    "lost_units",
    "emergency_units",
    "depot_id",
    "lost_code",
    "code",
)
KPI_COLUMNS = (
    "orders",
    "units",
    "mean_downtime_hours",
    *(f"p{p}_downtime_hours" for p in _PERCENTILES),
    "within_target",
    "fill_rate",
    "restored_share",
    "cost",
    "broker_units",
    "expedited_units",
    "lost_orders",
    "lost_units",
    "emergency_units",
)


def order_outcomes(
    records: pd.DataFrame,
    created_between: tuple[float, float] | None = None,
    target_hours: float = 48.0,
    supply_cuts: Sequence[CutWindow] = (),
) -> pd.DataFrame:
    """One row per order and replication: what happened to it, from creation to restoration.

    This is the table every customer-facing measure starts from (downtime per class, fill
    rate, what the special means cost); it is also what an analyst filters in a notebook.

    Parameters
    ----------
    records : DataFrame
        Event rows with :data:`simulation.records.COLUMNS`, one or several replications.
    created_between : (float, float), optional
        Keep only orders with ``lo <= created < hi`` (hours): the scenario's warm-up and
        horizon, so that orders of an empty start or of the drain period do not count.
    target_hours : float
        The downtime promised: an order down longer is late and gets a ``code``.
    supply_cuts : sequence of (float, float, sequence of str)
        The scenario's supply cuts: start and end (hours) and part patterns (empty: every
        part), for the ``supply_cut`` code (:func:`simulation.results.SimulationResult`
        passes its scenario's).

    Returns
    -------
    DataFrame
        Columns ``replication, order_id, customer_id, country, priority_class, tier,
        part_number, quantity, created, restored, downtime_hours, allocated_units,
        delivered_units, filled_on_arrival, cost, broker_units, expedited_units,
        lost_units, emergency_units, depot_id, lost_code, code``, in the order the orders
        were created; records with a ``need_by`` column (a world with response-time
        targets) add ``need_by, late, hours_late`` (:mod:`simulation._targets`). ``restored``
        is whether the order got its ``restored`` event; ``downtime_hours`` is censored at
        the ``end`` otherwise, and NaN for a lost order (it has none). Units, cost, broker
        and expedited units are net of failed purchases.
        ``filled_on_arrival`` is whether stock or transfer allocations made at the very
        moment of creation covered the whole quantity. ``depot_id`` is the order's home depot
        (blank when no depot reaches it); ``lost_code`` why it lost parts priority
        (``excluded_country``, ``not_entitled:<rule>``; blank when it kept it or had none to
        lose), from its ``order_created`` row's ``detail``. ``code`` is the root cause of its
        wait (:mod:`allocation.domain.root_causes`) when it was short on arrival (not
        ``filled_on_arrival``) or late (``downtime_hours`` above ``target_hours``), blank
        otherwise; the first that holds of: ``broker_failed`` (a broker buy for it failed),
        ``depot_offline`` (its home depot was offline when it arrived), ``supply_cut`` (a
        supply cut of its part overlapped its wait), ``no_route`` (no home depot),
        ``waiting_for_receipt`` (a receipt's units were promised to it, or a depot's units
        reached it after its arrival), ``slow_source`` (every unit was found on arrival, or
        some were bought by expedite, broker or the emergency channel), else
        ``no_stock_anywhere``.

    Examples
    --------
    >>> from simulation.records import Recorder
    >>> rec = Recorder()
    >>> rec.emit(2.0, "order_created", order_id="O1", part_number="P", quantity=1,
    ...          customer_id="C", country="DE", priority_class="parts_priority", tier="PM")
    >>> rec.emit(2.0, "allocated", order_id="O1", part_number="P", source_kind="stock",
    ...          quantity=1, money=40.0)
    >>> rec.emit(9.0, "restored", order_id="O1", part_number="P")
    >>> rec.emit(100.0, "end")
    >>> row = order_outcomes(rec.to_frame()).iloc[0]
    >>> float(row["downtime_hours"]), bool(row["filled_on_arrival"]), float(row["cost"])
    (7.0, True, 40.0)
    >>> row["code"] is None
    True
    """
    rows = read_rows(records)
    orders = rows.orders
    n = len(orders)
    of = rows.order_of_row
    allocated = rows.is_event("allocated")
    failed = rows.is_event("purchase_failed")
    signed = np.where(allocated, 1.0, np.where(failed, -1.0, 0.0))
    created = orders["created"].to_numpy(np.float64)

    def total(mask: BoolArray, weights: FloatArray) -> FloatArray:
        keep = mask & (of >= 0)
        return np.bincount(of[keep], weights=weights[keep], minlength=n).astype(np.float64)

    committed = allocated | failed
    net_units = signed * rows.quantity
    created_of_row = np.where(of >= 0, created[np.maximum(of, 0)] if n else 0.0, np.nan)
    at_once = allocated & rows.is_source(*_FILLING_SOURCES) & same_moment(rows.time, created_of_row)

    restored_at = np.full(n, np.inf)
    is_restored = rows.is_event("restored") & (of >= 0)
    np.minimum.at(restored_at, of[is_restored], rows.time[is_restored])
    restored = np.isfinite(restored_at)
    end = end_times(records).reindex(orders["replication"]).to_numpy(np.float64)
    lost_units = _units(total(rows.is_event("lost"), rows.quantity))
    downtime = np.where(restored, restored_at, end) - created
    lost = lost_units > 0
    served_downtime = np.where(lost, np.nan, downtime)
    with np.errstate(invalid="ignore"):
        late = served_downtime > target_hours
    filled = total(at_once, rows.quantity) >= orders["quantity"].to_numpy()
    code = wait_codes(
        records,
        rows,
        needs_code=~filled | late,
        at_arrival=same_moment(rows.time, created_of_row),
        wait_end=np.where(restored, restored_at, np.where(lost, created, end)),
        supply_cuts=supply_cuts,
    )

    outcomes = orders.assign(
        restored=restored,
        downtime_hours=served_downtime,
        allocated_units=_units(total(committed, net_units)),
        delivered_units=_units(total(rows.is_event("delivered"), rows.quantity)),
        filled_on_arrival=filled,
        cost=total(committed, signed * rows.money),
        broker_units=_units(total(committed & rows.is_source("broker"), net_units)),
        expedited_units=_units(total(committed & rows.is_source("expedite"), net_units)),
        lost_units=lost_units,
        emergency_units=_units(total(committed & rows.is_source("emergency"), net_units)),
        lost_code=lost_codes(orders["lost_code"]),
        code=pd.Series(code, dtype=object),
    )[list(_OUTCOME_COLUMNS)]
    if "need_by" in orders.columns:
        quantity = orders["quantity"].to_numpy(np.float64)
        outcomes = outcomes.assign(**target_outcomes(rows, n, quantity, end))
    if created_between is not None:
        lo, hi = created_between
        keep = (outcomes["created"] >= lo) & (outcomes["created"] < hi)
        outcomes = outcomes.loc[keep].reset_index(drop=True)
    return outcomes


def kpis(
    outcomes: pd.DataFrame,
    by: str | Sequence[str] | None = "priority_class",
    target_hours: float = 48.0,
) -> pd.DataFrame:
    """Headline measures per replication and group, ready for confidence intervals.

    One row per replication keeps the replications apart, which is what
    :func:`simulation.stats.summarize` needs to put an interval around each mean.

    Parameters
    ----------
    outcomes : DataFrame
        From :func:`order_outcomes`.
    by : str or sequence of str or None
        Group columns: ``priority_class`` (default), ``tier``, ``country``, ``customer_id``,
        ``part_number`` or a list of them. ``None`` gives one row per replication with a
        column ``group`` holding ``"all"``.
    target_hours : float
        The downtime promised: ``within_target`` is the share of orders restored within it.

    Returns
    -------
    DataFrame
        ``replication``, the group columns, then ``orders, units, mean_downtime_hours,
        p50_downtime_hours, p90_downtime_hours, p99_downtime_hours, within_target,
        fill_rate, restored_share, cost, broker_units, expedited_units, lost_orders,
        lost_units, emergency_units``, and when the outcomes have targets (a ``need_by``
        column) ``target_orders, late_share, mean_hours_late``
        (:data:`TARGET_KPI_COLUMNS`). Percentiles are NumPy's linear ones; downtimes of
        censored orders count as they are (lower bounds); lost orders have no downtime
        (downtime measures, ``within_target`` and ``restored_share`` are over the others;
        NaN when every order of a group was lost). Outcomes without the ``lost_units`` and
        ``emergency_units`` columns count none.
        Groups missing from a replication have no row there; a missing group value (an
        order without a tier, say) is a group of its own.

    Examples
    --------
    >>> outcomes = pd.DataFrame({
    ...     "replication": [0, 0, 0], "priority_class": ["parts_priority", "standard", "standard"],
    ...     "quantity": [1, 2, 1], "restored": [True, True, False],
    ...     "downtime_hours": [10.0, 30.0, 90.0], "filled_on_arrival": [True, False, False],
    ...     "cost": [5.0, 8.0, 0.0], "broker_units": [0, 0, 0], "expedited_units": [0, 1, 0]})
    >>> table = kpis(outcomes, target_hours=48.0)
    >>> table[["priority_class", "orders", "mean_downtime_hours", "within_target"]]
       priority_class  orders  mean_downtime_hours  within_target
    0  parts_priority       1                 10.0            1.0
    1        standard       2                 60.0            0.5
    """
    columns = _group_columns(by)
    if not columns:
        outcomes = outcomes.assign(**{GROUP_COLUMN: ALL_GROUP})
        columns = [GROUP_COLUMN]
    _require(outcomes, columns, "outcomes")
    keys = ["replication", *columns]
    downtime = outcomes["downtime_hours"].to_numpy(np.float64)
    restored = outcomes["restored"].to_numpy(bool)
    lost_units = _column(outcomes, "lost_units")
    emergency = _column(outcomes, "emergency_units")
    lost = lost_units > 0
    data = outcomes[keys].assign(
        _units=outcomes["quantity"].to_numpy(np.int64),
        _downtime=np.where(lost, np.nan, downtime),
        _within=np.where(lost, np.nan, restored & (downtime <= target_hours)),
        _filled=outcomes["filled_on_arrival"].to_numpy(np.float64),
        _restored=np.where(lost, np.nan, restored),
        _cost=outcomes["cost"].to_numpy(np.float64),
        _broker=outcomes["broker_units"].to_numpy(np.int64),
        _expedited=outcomes["expedited_units"].to_numpy(np.int64),
        _lost_orders=lost.astype(np.int64),
        _lost_units=lost_units,
        _emergency=emergency,
    )
    targets = target_kpi_data(outcomes)
    if targets:
        data = data.assign(**targets)
    grouped = data.groupby(keys, observed=True, sort=True, dropna=False)
    sums = grouped[
        ["_units", "_cost", "_broker", "_expedited", "_lost_orders", "_lost_units", "_emergency"]
    ].sum()
    means = grouped[["_downtime", "_within", "_filled", "_restored"]].mean()
    table = pd.DataFrame(
        {
            "orders": grouped.size(),
            "units": sums["_units"],
            "mean_downtime_hours": means["_downtime"],
            "within_target": means["_within"],
            "fill_rate": means["_filled"],
            "restored_share": means["_restored"],
            "cost": sums["_cost"],
            "broker_units": sums["_broker"],
            "expedited_units": sums["_expedited"],
            "lost_orders": sums["_lost_orders"],
            "lost_units": sums["_lost_units"],
            "emergency_units": sums["_emergency"],
        }
    )
    codes = np.asarray(grouped.ngroup(), dtype=np.int64)
    for p, values in zip(
        _PERCENTILES, _served_percentiles(downtime, lost, codes, len(table)), strict=True
    ):
        table[f"p{p}_downtime_hours"] = values
    if not targets:
        return table.reset_index()[[*keys, *KPI_COLUMNS]]
    for name, column in target_kpis(grouped).items():
        table[name] = column
    return table.reset_index()[[*keys, *KPI_COLUMNS, *TARGET_KPI_COLUMNS]]


def _served_percentiles(
    downtime: FloatArray, lost: BoolArray, codes: IntArray, n_groups: int
) -> list[FloatArray]:
    """Downtime percentiles per group over the orders served (NaN where none was)."""
    served = ~lost
    present, local = np.unique(codes[served], return_inverse=True)
    found = grouped_percentiles(
        downtime[served], local.astype(np.int64), len(present), _PERCENTILES
    )
    results = []
    for values in found:
        full = np.full(n_groups, np.nan)
        full[present] = values
        results.append(full)
    return results


def _column(frame: pd.DataFrame, name: str) -> IntArray:
    """An integer count column, zeros when the frame has none."""
    if name not in frame.columns:
        return np.zeros(len(frame), dtype=np.int64)
    return frame[name].to_numpy(np.int64)


def backorders_over_time(
    records: pd.DataFrame, step_hours: float = 24.0, by: str | None = "priority_class"
) -> pd.DataFrame:
    """How many orders wait for units, sampled every ``step_hours`` from 0 to the end.

    An order counts at time ``t`` when it exists (created at or before ``t``) and the units
    committed to it by then, net of failed purchases, fall short of its quantity — so a
    failed broker buy puts it back on the list. Events at exactly ``t`` are counted.

    Parameters
    ----------
    records : DataFrame
        Event rows, one or several replications.
    step_hours : float
        Spacing of the time grid ``0, step, 2·step, ...`` (up to each replication's ``end``).
    by : str or None
        One order attribute (``priority_class``, ``tier``, ``country``, ``customer_id``,
        ``part_number``), or None for one series in column ``group`` with value ``"all"``.

    Returns
    -------
    DataFrame
        ``replication``, the group column, ``time`` (hours) and ``backorders`` (int), one row
        for every replication × group × grid point, zeros included, so that means over
        replications are right. Groups are those with orders in any replication.

    Examples
    --------
    >>> from simulation.records import Recorder
    >>> rec = Recorder()
    >>> rec.emit(1.0, "order_created", order_id="O1", part_number="P", quantity=2,
    ...          priority_class="standard")
    >>> rec.emit(30.0, "allocated", order_id="O1", part_number="P", source_kind="stock",
    ...          quantity=2)
    >>> rec.emit(48.0, "end")
    >>> backorders_over_time(rec.to_frame())["backorders"].tolist()
    [0, 1, 0]
    """
    if not np.isfinite(step_hours) or step_hours <= 0:
        raise ValueError(f"step_hours must be a positive number of hours, not {step_hours!r}")
    rows = read_rows(records)
    orders = rows.orders
    if by is None:
        labels = pd.Index([ALL_GROUP])
        group = np.zeros(len(orders), dtype=np.int64)
        column = GROUP_COLUMN
    else:
        _require(orders, [by], "orders")
        raw_codes, uniques = pd.factorize(orders[by], sort=True, use_na_sentinel=False)
        group, labels, column = raw_codes.astype(np.int64), pd.Index(uniques), by
    ends = end_times(records)
    replications = ends.index.to_numpy(np.int64)
    n_groups = len(labels) if len(orders) else 0
    rep_of_order = np.searchsorted(replications, orders["replication"].to_numpy(np.int64))

    event_cell, event_time, event_delta = _backorder_changes(rows, rep_of_order * n_groups + group)
    counts = np.floor(ends.to_numpy(np.float64) / step_hours * (1 + 1e-12)).astype(np.int64) + 1
    counts = np.maximum(counts, 1)
    rep_of_point = np.repeat(np.arange(len(replications)), counts)
    step_index = np.arange(len(rep_of_point)) - np.repeat(np.cumsum(counts) - counts, counts)
    query_cell = (rep_of_point * n_groups)[:, None] + np.arange(n_groups)[None, :]
    query_cell = query_cell.T.reshape(-1) if n_groups else np.zeros(0, np.int64)
    query_time = np.tile(step_index * step_hours, n_groups)

    values, cells, times = counts_at(event_cell, event_time, event_delta, query_cell, query_time)
    return pd.DataFrame(
        {
            "replication": replications[cells // max(n_groups, 1)],
            column: labels.take(cells % max(n_groups, 1)) if n_groups else labels[:0],
            "time": times,
            "backorders": values,
        }
    )


def cost_by_source(records: pd.DataFrame) -> pd.DataFrame:
    """Units and money committed per source kind and replication, net of failed purchases.

    This is what the special means buy: a planner weighs broker and expedite spend against
    the downtime they save.

    Returns
    -------
    DataFrame
        ``replication, source_kind, units, money``; source kinds in the order stock,
        transfer, inbound, expedite, broker (others after them), only those used.

    Examples
    --------
    >>> from simulation.records import Recorder
    >>> rec = Recorder()
    >>> rec.emit(0.0, "allocated", order_id="O1", source_kind="broker", quantity=2, money=90.0)
    >>> rec.emit(5.0, "purchase_failed", order_id="O1", source_kind="broker", quantity=2,
    ...          money=90.0)
    >>> rec.emit(6.0, "allocated", order_id="O1", source_kind="stock", quantity=2, money=20.0)
    >>> cost_by_source(rec.to_frame())
       replication source_kind  units  money
    0            0       stock      2   20.0
    1            0      broker      0    0.0
    """
    event, events = codes(records["event"])
    source, sources = codes(records["source_kind"])
    allocated = is_in(event, events, ("allocated",))
    keep = (allocated | is_in(event, events, ("purchase_failed",))) & (source >= 0)
    sign = np.where(allocated, 1, -1)[keep]
    labels = [str(kind) for kind in sources]
    order = [*SOURCE_KINDS, *sorted(set(labels) - set(SOURCE_KINDS))]
    kinds = pd.Categorical.from_codes(source[keep], categories=pd.Index(labels))
    kinds = kinds.set_categories(order)
    frame = pd.DataFrame(
        {
            "replication": records["replication"].to_numpy(np.int64)[keep],
            "source_kind": kinds,
            "units": sign * records["quantity"].to_numpy(np.int64)[keep],
            "money": sign * records["money"].to_numpy(np.float64)[keep],
        }
    )
    table = frame.groupby(["replication", "source_kind"], observed=True, sort=True).sum()
    table = table.reset_index()
    table["source_kind"] = table["source_kind"].cat.remove_unused_categories()
    return table


def same_moment(a: FloatArray, b: FloatArray) -> BoolArray:
    """Whether times (hours) are the same moment on the simulator's clock.

    They are when they lie within its resolution (:data:`CLOCK_RESOLUTION_HOURS`), or, far
    into a run where a float's own spacing is coarser than that, within four of its units in
    the last place: the error of SimPy's ``now + (t − now)`` is at most two. Exact equality
    would call an order decided on arrival "late" by 2.8e-14 h.

    Examples
    --------
    >>> same_moment(np.array([200.3, 200.3]), np.array([200.3 + 2.8e-14, 200.3 + 1e-6])).tolist()
    [True, False]
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        scale = np.spacing(np.maximum(np.abs(a), np.abs(b)))
        close: BoolArray = np.abs(a - b) <= np.maximum(CLOCK_RESOLUTION_HOURS, 4.0 * scale)
    return close


def _backorder_changes(
    rows: Rows, cell_of_order: IntArray
) -> tuple[IntArray, FloatArray, IntArray]:
    """Each order's moves onto (+1) and off (-1) the backorder list, with cell and time.

    An order's rows (creation first at equal times) are walked in time order with a running
    sum of units committed; it is backordered after a row when it exists and that sum is
    below its quantity. Only rows where that state flips are returned.
    """
    of = rows.order_of_row
    created = rows.is_event("order_created")
    allocated = rows.is_event("allocated")
    failed = rows.is_event("purchase_failed")
    keep = np.flatnonzero((of >= 0) & (created | allocated | failed))
    order, time = of[keep], rows.time[keep]
    signed = np.where(allocated[keep], 1.0, np.where(failed[keep], -1.0, 0.0)) * rows.quantity[keep]
    sort = np.lexsort((np.where(created[keep], 0, 1), time, order))
    order, time, signed = order[sort], time[sort], signed[sort]
    first = np.ones(len(order), dtype=bool)
    first[1:] = order[1:] != order[:-1]
    running = np.cumsum(signed)
    start = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
    net = running - (running[start] - signed[start]) if len(order) else running
    quantity = rows.orders["quantity"].to_numpy(np.float64)
    born = rows.orders["created"].to_numpy(np.float64)
    waiting = ((time >= born[order]) & (net < quantity[order])).astype(np.int64)
    before = np.zeros_like(waiting)
    before[1:] = waiting[:-1]
    delta = waiting - np.where(first, 0, before)
    flips = delta != 0
    return cell_of_order[order[flips]], time[flips], delta[flips]


def _units(values: FloatArray) -> IntArray:
    return np.rint(values).astype(np.int64)


def _group_columns(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise ValueError(
            f"cannot group by {missing[0]!r}: the {what} have no such column "
            f"(they have {', '.join(map(str, frame.columns))})"
        )
