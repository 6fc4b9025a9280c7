"""A replication's measures reduced where it ran, and the reductions of many put together.

A replication of a year of 200,000 orders writes some 55 MB of event records; a thousand of
them would not fit in the process that asked for them. Every table a result shows is a
function of one replication at a time — KPIs per replication and group, backorders per
replication, money per replication and source kind — so the replication's own process
computes them from its records (with the functions of :mod:`simulation.metrics`, nothing
re-implemented) and sends back only those tables, a few kilobytes, plus one downtime per
order for the pooled downtime distribution.

Putting the reductions of several replications together gives, value for value and type for
type, what the same functions give on the records of all replications at once: a group's
rows of one replication are the same rows in the same order either way, so sums, means and
percentiles are the same to the last bit; what differs is only bookkeeping, done here —
categories are the union of every replication's (sorted, as the records' own are), and a
group that had no orders in one replication still gets its zero backorders there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation._rows import end_times
from simulation.metrics import (
    ORDER_ATTRIBUTES,
    SOURCE_KINDS,
    backorders_over_time,
    cost_by_source,
    kpis,
    order_outcomes,
)
from simulation.scenario.model import Scenario

__all__ = [
    "BACKORDER_GROUP",
    "BACKORDER_STEP_HOURS",
    "STANDARD_GROUPINGS",
    "Grouping",
    "Reduced",
    "combine_backorders",
    "combine_costs",
    "combine_downtimes",
    "combine_kpis",
    "grouping",
    "reduce_records",
]

Grouping = tuple[str, ...]
"""The columns KPIs are grouped by; ``()`` puts every order in one group (``by=None``)."""

STANDARD_GROUPINGS: tuple[Grouping, ...] = ((), *((name,) for name in ORDER_ATTRIBUTES))
"""Reduced in every replication: all orders, and each order attribute on its own."""

BACKORDER_STEP_HOURS = 24.0
"""The time grid of the reduced backorders (a day), per priority class."""
BACKORDER_GROUP = "priority_class"


@dataclass(frozen=True)
class Reduced:
    """What one replication's records come to: everything a result shows, per replication.

    Attributes
    ----------
    replication : int
        The replication's number.
    end_hours : float
        When it ended (its ``end`` row): the length of its backorder series.
    kpis : dict of Grouping to DataFrame
        :func:`simulation.metrics.kpis` of its orders (in the scenario's window), per grouping.
    backorders : DataFrame
        :func:`simulation.metrics.backorders_over_time`, daily, per priority class.
    costs : DataFrame
        :func:`simulation.metrics.cost_by_source`.
    downtimes : DataFrame
        ``priority_class, downtime_hours`` of every order in the window, in creation order:
        one float per order, for distributions pooled over replications (the ECDF).
    """

    replication: int
    end_hours: float
    kpis: dict[Grouping, pd.DataFrame]
    backorders: pd.DataFrame
    costs: pd.DataFrame
    downtimes: pd.DataFrame


def grouping(by: str | Sequence[str] | None) -> Grouping:
    """The grouping ``by`` names, as a key.

    Examples
    --------
    >>> grouping("tier"), grouping(["tier", "country"]), grouping(None)
    (('tier',), ('tier', 'country'), ())
    """
    if by is None:
        return ()
    if isinstance(by, str):
        return (by,)
    return tuple(by)


def reduce_records(
    records: pd.DataFrame,
    scenario: Scenario,
    replication: int,
    kpis_by: Iterable[Grouping] = (),
) -> Reduced:
    """Reduce one replication's records to the tables its result shows.

    Parameters
    ----------
    records : DataFrame
        The records of one replication.
    scenario : Scenario
        Its scenario: the window of orders that count and the downtime target.
    replication : int
        The replication's number.
    kpis_by : iterable of Grouping
        Groupings of KPIs wanted besides :data:`STANDARD_GROUPINGS` (several columns, say).

    Examples
    --------
    >>> from simulation.records import Recorder
    >>> from simulation.use_cases import scenario_source
    >>> scenario = scenario_source({"version": 1, "name": "s", "horizon_days": 1,
    ...     "demand": {"orders_per_day": 1},
    ...     "world": {"generate": {"orders": 10, "parts": 2, "depots": 1, "seed": 1}}}).scenario
    >>> rec = Recorder()
    >>> rec.emit(1.0, "order_created", order_id="O1", part_number="P", quantity=1,
    ...          priority_class="standard", tier="PA", country="DE", customer_id="C")
    >>> rec.emit(5.0, "restored", order_id="O1")
    >>> rec.emit(48.0, "end")
    >>> reduced = reduce_records(rec.to_frame(), scenario, 0)
    >>> reduced.end_hours, float(reduced.kpis[("tier",)]["mean_downtime_hours"].iloc[0])
    (48.0, 4.0)
    """
    window = (scenario.warmup_days * 24.0, scenario.horizon_days * 24.0)
    outcomes = order_outcomes(records, created_between=window)
    wanted = dict.fromkeys([*STANDARD_GROUPINGS, *kpis_by])
    tables = {
        key: kpis(outcomes, by=list(key) or None, target_hours=scenario.target_hours)
        for key in wanted
    }
    ends = end_times(records)
    return Reduced(
        replication=replication,
        end_hours=float(ends.iloc[0]) if len(ends) else 0.0,
        kpis=tables,
        backorders=backorders_over_time(
            records, step_hours=BACKORDER_STEP_HOURS, by=BACKORDER_GROUP
        ),
        costs=cost_by_source(records),
        downtimes=outcomes[["priority_class", "downtime_hours"]].reset_index(drop=True),
    )


def combine_kpis(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Per-replication KPI tables (in replication order) as :func:`~simulation.metrics.kpis`
    gives them for all replications' orders at once.

    Examples
    --------
    >>> a = pd.DataFrame({"replication": [0], "tier": pd.Categorical(["PA"]), "orders": [2]})
    >>> b = pd.DataFrame({"replication": [1], "tier": pd.Categorical(["PM"]), "orders": [3]})
    >>> both = combine_kpis([a, b])
    >>> list(both["tier"].cat.categories), both["orders"].tolist()
    (['PA', 'PM'], [2, 3])
    """
    return _concat(tables, _sorted)


def combine_downtimes(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Per-replication downtimes (in replication order) stacked, categories united."""
    return _concat(tables, _sorted)


def combine_costs(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Per-replication money by source kind (in replication order) as
    :func:`~simulation.metrics.cost_by_source` gives it for all records at once: source kinds
    in the order stock, transfer, inbound, expedite, broker, then others by name."""
    return _concat(tables, _source_order)


def combine_backorders(
    tables: Sequence[pd.DataFrame],
    replications: Sequence[int],
    ends: Sequence[float],
    step_hours: float = BACKORDER_STEP_HOURS,
) -> pd.DataFrame:
    """Per-replication backorder series (in replication order, with each replication's
    number and end) as :func:`~simulation.metrics.backorders_over_time` gives them for all
    records at once.

    That function gives every replication a row for every group any replication has (zero
    where the group had no orders there) on the replication's own grid ``0, step, ...`` up to
    its end; each replication's own series knows only its own groups, so the others are
    added with zeros.

    Examples
    --------
    >>> a = pd.DataFrame({"replication": [0, 0], "priority_class": pd.Categorical(["standard"] * 2),
    ...                   "time": [0.0, 24.0], "backorders": [1, 0]})
    >>> b = pd.DataFrame({"replication": [1], "priority_class": pd.Categorical(["parts_priority"]),
    ...                   "time": [0.0], "backorders": [2]})
    >>> both = combine_backorders([a, b], [0, 1], [24.0, 10.0])
    >>> both.astype({"priority_class": object}).values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [[0, 'parts_priority', 0.0, 0], [0, 'parts_priority', 24.0, 0], [0, 'standard', 0.0, 1],
     [0, 'standard', 24.0, 0], [1, 'parts_priority', 0.0, 2], [1, 'standard', 0.0, 0]]
    """
    if not tables:
        return pd.DataFrame(columns=["replication", BACKORDER_GROUP, "time", "backorders"])
    stacked = _concat(tables, _sorted)
    column = str(stacked.columns[1])
    if stacked.empty:
        return stacked
    labels = _present(stacked[column])
    named = pd.Index(labels.astype(object))
    counts = np.floor(np.asarray(ends, np.float64) / step_hours * (1 + 1e-12)).astype(np.int64)
    counts = np.maximum(counts + 1, 1)
    # Rows as the pooled function orders them: replication, then group, then time.
    values = []
    for table, count in zip(tables, counts, strict=True):
        grid = np.zeros((len(labels), count), dtype=np.int64)
        if len(table):
            own = named.get_indexer(pd.unique(table[column].astype(object)))
            grid[own] = table["backorders"].to_numpy(np.int64).reshape(len(own), count)
        values.append(grid.reshape(-1))
    n = len(labels)
    group = np.concatenate([np.repeat(np.arange(n), count) for count in counts])
    step = np.concatenate([np.tile(np.arange(count, dtype=np.int64), n) for count in counts])
    return pd.DataFrame(
        {
            "replication": np.repeat(np.asarray(replications, dtype=np.int64), counts * n),
            column: labels.take(group),
            "time": step * step_hours,
            "backorders": np.concatenate(values),
        }
    )


def _present(groups: pd.Series) -> pd.Index:
    """The groups that have rows, in the order the pooled function sorts them: by category
    (by value for plain text), a missing group last."""
    dtype = groups.dtype
    if not isinstance(dtype, pd.CategoricalDtype):
        values = pd.Index(pd.unique(groups.dropna())).sort_values()
        return values.append(pd.Index([None])) if groups.isna().any() else values
    codes = groups.cat.codes.to_numpy()
    present = [int(c) for c in np.unique(codes[codes >= 0])]
    present += [-1] if (codes < 0).any() else []
    return pd.Index(pd.Categorical.from_codes(present, dtype=dtype))


def _sorted(categories: pd.Index) -> pd.Index:
    return categories.sort_values()


def _source_order(categories: pd.Index) -> pd.Index:
    rank = {kind: i for i, kind in enumerate(SOURCE_KINDS)}
    keys = [(rank.get(str(kind), len(rank)), str(kind)) for kind in categories]
    return categories.take(sorted(range(len(keys)), key=keys.__getitem__))


def _concat(tables: Sequence[pd.DataFrame], order: Callable[[pd.Index], pd.Index]) -> pd.DataFrame:
    """Tables stacked, every categorical column with the union of their categories (in
    ``order``); tables without rows add categories, not rows."""
    if not tables:
        return pd.DataFrame()
    dtypes: dict[str, pd.CategoricalDtype] = {}
    for column in tables[0].columns:
        found = [
            dtype
            for dtype in (table[column].dtype for table in tables)
            if isinstance(dtype, pd.CategoricalDtype)
        ]
        if found:
            categories = found[0].categories.append([d.categories for d in found[1:]])
            dtypes[str(column)] = pd.CategoricalDtype(order(categories.unique()))
    typed = [table.astype(dtypes) for table in tables]
    filled = [table for table in typed if len(table)]
    if not filled:
        return typed[0].reset_index(drop=True)
    return pd.concat(filled, ignore_index=True)
