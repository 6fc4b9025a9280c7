"""Who gains and who loses between two simulation runs: per order, customer, country, class.

Two runs of one scenario with the same seed draw the same orders (common random numbers:
demand and disruptions come from streams keyed by seed and replication), so an order of
replication ``r`` in run A is the same repair order as the one with its id in run B. The
difference is taken order by order, with the allocation engine's diff
(:func:`allocation.diff`): each run becomes the engine's per-order outcome table, keyed by
``replication:order_id``, where *units* are the units delivered and *unit hours* the units
times the order's downtime. An order therefore **gains** when more of its units arrived, or
as many and it was restored sooner, and **loses** the other way round — the same rule as
between two plans, with the downtime in place of the ETA.

Runs with different demand (another seed, scaled demand) reuse ids for other orders: an id
whose customer, part or creation time differs between the runs is not the same order, and
counts as ``only_in_a`` in A and ``only_in_b`` in B.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from allocation import InputError, Snapshot
from allocation.engine import html_block, html_table
from allocation.whatif import LEVELS, OUTCOME_COLUMNS, PlanDiff, read_outcomes
from allocation.whatif import diff as diff_outcomes
from simulation.change_plots import change_chart
from simulation.errors import SimulationError
from simulation.figure import ChartContext
from simulation.results import SimulationResult
from simulation.stats import paired_difference

__all__ = ["ResultDiff", "diff", "read_run_outcomes", "run_outcomes"]

_KEY_COLUMNS = ("replication", "order_id", "customer_id", "part_number", "created")
_EXTRA = ("downtime_hours", "restored", "filled_on_arrival", "tier", "part_number")
_SAME_TIME = 1e-6  # hours: creation times closer than this are the same moment


def run_outcomes(result: SimulationResult | pd.DataFrame) -> pd.DataFrame:
    """A run's per-order outcomes in the allocation engine's shape, plus the downtime.

    Parameters
    ----------
    result : SimulationResult or DataFrame
        A run, or its per-order outcomes (``result.to_pandas()``, or the ``outcomes`` table
        that ``simulate --out`` writes).

    Returns
    -------
    DataFrame
        :data:`allocation.whatif.OUTCOME_COLUMNS` — ``order_id`` is
        ``<replication>:<order id>``, ``asked`` the quantity, ``units`` the units delivered,
        ``unit_hours`` units × downtime hours — then ``replication``, ``sim_order_id``,
        ``created``, ``downtime_hours`` (censored at the end of the run when not restored),
        ``restored``, ``filled_on_arrival``, ``tier``, ``part_number``.

    Examples
    --------
    >>> table = pd.DataFrame({"replication": [0], "order_id": ["SIM-1"], "customer_id": ["C"],
    ...     "country": ["DE"], "priority_class": ["standard"], "tier": ["PA"],
    ...     "part_number": ["P"], "quantity": [2], "created": [3.0], "restored": [True],
    ...     "downtime_hours": [20.0], "delivered_units": [2], "filled_on_arrival": [False]})
    >>> run_outcomes(table)[["order_id", "asked", "units", "unit_hours"]]
      order_id  asked  units  unit_hours
    0  0:SIM-1      2      2        40.0
    """
    table = result.outcomes if isinstance(result, SimulationResult) else result
    needed = {*_KEY_COLUMNS, "country", "priority_class", "quantity", "delivered_units", *_EXTRA}
    missing = sorted(needed - set(table.columns))
    if missing:
        raise InputError(f"a run's outcomes need column(s) {', '.join(missing)}")
    units = table["delivered_units"].to_numpy(dtype=np.int64)
    downtime = table["downtime_hours"].to_numpy(dtype=np.float64)
    replication = table["replication"].to_numpy(dtype=np.int64)
    order = table["order_id"].astype(str).to_numpy(dtype=object)
    frame = pd.DataFrame(
        {
            "order_id": [f"{r}:{o}" for r, o in zip(replication, order, strict=True)],
            "customer_id": table["customer_id"].astype(object).to_numpy(),
            "country": table["country"].astype(object).to_numpy(),
            "priority_class": table["priority_class"].astype(object).to_numpy(),
            "asked": table["quantity"].to_numpy(dtype=np.int64),
            "units": units,
            "unit_hours": np.round(units * downtime, 6),
            "replication": replication,
            "sim_order_id": order,
            "created": table["created"].to_numpy(dtype=np.float64),
            "downtime_hours": downtime,
            "restored": table["restored"].to_numpy(dtype=bool),
            "filled_on_arrival": table["filled_on_arrival"].to_numpy(dtype=bool),
            "tier": table["tier"].astype(object).to_numpy(),
            "part_number": table["part_number"].astype(object).to_numpy(),
        }
    )
    if frame["order_id"].duplicated().any():
        first = frame.loc[frame["order_id"].duplicated(), "order_id"].iloc[0]
        raise InputError(f"order {first} appears twice in one run's outcomes")
    return frame


def read_run_outcomes(path: str | Path, snapshot: Snapshot | None = None) -> pd.DataFrame:
    """Per-order outcomes from a folder written by ``simulate --out`` (or a policy's folder
    of ``compare --out``); any other path is read as a plan file by
    :func:`allocation.read_outcomes`.

    This is the reader ``parts-priority diff`` uses, so that it compares plans and runs alike.
    """
    folder = Path(path)
    if not folder.is_dir():
        return read_outcomes(folder, snapshot)
    for name in ("outcomes.parquet", "outcomes.csv"):
        if (folder / name).is_file():
            break
    else:
        raise InputError(
            f"{folder}: no outcomes.parquet or outcomes.csv: give a folder written by "
            "`parts-priority simulate --out DIR` (for compare, one policy's folder in it)"
        )
    file = folder / name
    try:
        table = pd.read_parquet(file) if file.suffix == ".parquet" else pd.read_csv(file)
    except (OSError, ValueError) as exc:
        raise InputError(f"{file}: cannot read the run's outcomes: {exc}") from None
    try:
        return run_outcomes(table)
    except (InputError, ValueError, TypeError) as exc:
        raise InputError(f"{file}: {exc}") from None


@dataclass(frozen=True)
class ResultDiff:
    """Run A against run B, order by order and replication by replication.

    Attributes
    ----------
    changes : PlanDiff
        The engine's diff of the two runs' outcome tables (units delivered, unit hours).
    orders : DataFrame
        Per order and replication (see :meth:`to_pandas`).
    replications : int
        Replications compared.
    about : ChartContext, optional
        The runs, as the chart names them (scenario, policies of A and B, replications).
    """

    changes: PlanDiff
    orders: pd.DataFrame
    replications: int
    about: ChartContext | None = field(default=None, repr=False, compare=False)

    def to_pandas(self) -> pd.DataFrame:
        """Per order and replication: ``replication``, ``order_id``, ``customer_id``,
        ``country``, ``priority_class``, ``tier``, ``part_number``, ``change`` (``gains``,
        ``loses``, ``same``, ``only_in_a``, ``only_in_b``), ``quantity``, then for A and B
        the units delivered, ``downtime_hours`` (blank where the order is not in that run),
        ``restored`` and ``filled_on_arrival`` (1 or 0), and ``downtime_change`` (B − A)."""
        return self.orders.copy()

    def by(self, level: str = "priority_class") -> pd.DataFrame:
        """Totals per ``customer``, ``country`` or ``priority_class`` (``order``: per order).

        Columns: the level, ``orders`` (over all replications), ``gaining``, ``losing``,
        ``only_in_a``, ``only_in_b``, ``units_a``, ``units_b`` (delivered), mean downtime per
        order in each run (``downtime_hours_a``, ``_b``) and its change with a paired
        confidence interval over replications (``downtime_change``, ``ci_low``,
        ``ci_high``), ``hours_change`` (the group's downtime hours B − A, per replication)
        and the share filled on arrival (``fill_rate_a``, ``_b``).
        """
        if level not in LEVELS:
            raise InputError(f"unknown level {level!r} (use one of {', '.join(LEVELS)})")
        if level == "order":
            return self.to_pandas()
        counts = self.changes.by(level)
        keep = ["orders", "gaining", "losing", "only_in_a", "only_in_b", "units_a", "units_b"]
        counts = counts[[level, *keep]]
        key = "customer_id" if level == "customer" else level
        frame = self.orders.assign(_group=self.orders[key].fillna("?").astype(str))
        grouped = frame.groupby("_group", sort=True)
        hours = grouped[["downtime_hours_a", "downtime_hours_b"]]
        filled = grouped[["filled_on_arrival_a", "filled_on_arrival_b"]].mean()
        table = hours.mean().join(filled)
        sums = hours.sum()
        table["hours_change"] = (
            sums["downtime_hours_b"] - sums["downtime_hours_a"]
        ) / self.replications
        table = table.join(_paired(frame))
        table["downtime_change"] = table["downtime_hours_b"] - table["downtime_hours_a"]
        table = table.rename(
            columns={"filled_on_arrival_a": "fill_rate_a", "filled_on_arrival_b": "fill_rate_b"}
        )
        table.index.name = level
        columns = ["downtime_hours_a", "downtime_hours_b", "downtime_change", "ci_low"]
        columns += ["ci_high", "hours_change", "fill_rate_a", "fill_rate_b"]
        out = counts.assign(**{level: counts[level].astype(str)})
        return out.merge(table[columns].reset_index(), on=level, how="left")

    def summary(self) -> dict[str, Any]:
        """Orders gaining and losing, orders that are not the same in both runs, and the
        table by class."""
        counts = self.changes.summary()  # orders gaining, losing, ...; units delivered
        rows = self.by("priority_class").to_dict("records")
        return {
            "replications": self.replications,
            **{k: v for k, v in counts.items() if k != "by_priority_class"},
            "by_priority_class": [{k: _plain(v) for k, v in row.items()} for row in rows],
        }

    def plot(self, level: str = "priority_class", top: int = 15) -> Figure:
        """Mean downtime change per group (B − A) with its confidence interval, the largest
        changes first (at most ``top`` groups)."""
        table = self.by(level) if level != "order" else self.by("priority_class")
        name = level if level != "order" else "priority_class"
        return change_chart(table, name, top, about=self.about)

    def _repr_html_(self) -> str:
        s = self.summary()
        moved = self.orders[self.orders["change"].isin(["gains", "loses"])]
        moved = moved.reindex(moved["downtime_change"].abs().sort_values(ascending=False).index)
        columns = ["replication", "order_id", "customer_id", "priority_class", "change"]
        columns += ["downtime_hours_a", "downtime_hours_b"]
        return html_block(
            "Run A → run B",
            [
                html_table(self.by("priority_class"), "by priority class"),
                html_table(moved[columns], "orders that moved most", 10),
            ],
            [_headline(s)],
        )

    def __repr__(self) -> str:
        return f"ResultDiff({_headline(self.summary())})"


def diff(a: SimulationResult | pd.DataFrame, b: SimulationResult | pd.DataFrame) -> ResultDiff:
    """Who gains and who loses from run ``a`` to run ``b`` of the same scenario.

    Parameters
    ----------
    a, b : SimulationResult or DataFrame
        Runs (or their per-order outcomes) with the same seed, so that the same orders
        exist in both; an id that names another order in the other run counts as only in
        its own run.

    Returns
    -------
    ResultDiff
        ``.to_pandas()`` per order, ``.by("customer" | "country" | "priority_class")``,
        ``.summary()``, ``.plot()``; shown as tables in a notebook.

    Examples
    --------
    >>> from simulation import load_scenario, simulate
    >>> quick = load_scenario("scenarios/thailand-floods-2011.yaml", {"horizon_days": 3})
    >>> change = diff(simulate(quick, replications=1, policy="fifo"),
    ...               simulate(quick, replications=1, policy="optimal"))
    >>> change.summary()["only_in_a"], change.summary()["only_in_b"]
    (0, 0)
    >>> list(change.by("priority_class")["priority_class"])
    ['parts_priority', 'standard']
    """
    left, right = _matched(run_outcomes(_checked(a, "a")), run_outcomes(_checked(b, "b")))
    changes = diff_outcomes(left[OUTCOME_COLUMNS], right[OUTCOME_COLUMNS])
    replications = max(len(set(left["replication"]) | set(right["replication"])), 1)
    about = ChartContext(replications=replications)
    if isinstance(a, SimulationResult) and isinstance(b, SimulationResult):
        runs = (f"A = {a.strategy}", f"B = {b.strategy}")
        about = ChartContext.of_run(a.scenario, runs, replications)
    return ResultDiff(changes, _per_order(changes, left, right), replications, about)


def _checked(run: object, name: str) -> SimulationResult | pd.DataFrame:
    if isinstance(run, SimulationResult | pd.DataFrame):
        return run
    raise SimulationError(
        f"run {name}: diff compares simulation results or their outcome tables, got "
        f"{type(run).__name__} (plans: allocation.diff)"
    )


def _matched(left: pd.DataFrame, right: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both tables with the keys of ids that name different orders made distinct."""
    both = left[["order_id", "customer_id", "part_number", "created"]].merge(
        right[["order_id", "customer_id", "part_number", "created"]], on="order_id"
    )
    other = (
        (both["customer_id_x"].astype(str) != both["customer_id_y"].astype(str))
        | (both["part_number_x"].astype(str) != both["part_number_y"].astype(str))
        | ((both["created_x"] - both["created_y"]).abs() > _SAME_TIME)
    )
    clash = set(both.loc[other, "order_id"])
    if not clash:
        return left, right
    left, right = left.copy(), right.copy()
    for table, side in ((left, "a"), (right, "b")):
        hit = table["order_id"].isin(clash)
        table.loc[hit, "order_id"] = table.loc[hit, "order_id"] + f"~{side}"
    return left, right


def _per_order(changes: PlanDiff, left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    table = changes.to_pandas()
    extra = ["order_id", "replication", "sim_order_id", "downtime_hours"]
    extra += ["restored", "filled_on_arrival", "tier", "part_number"]
    out = table.merge(left[extra], on="order_id", how="left").merge(
        right[extra], on="order_id", how="left", suffixes=("_a", "_b")
    )
    first = out["replication_b"].where(out["replication_b"].notna(), out["replication_a"])
    frame = pd.DataFrame(
        {
            "replication": first.astype(np.int64).to_numpy(),
            "order_id": out["sim_order_id_b"].where(
                out["sim_order_id_b"].notna(), out["sim_order_id_a"]
            ),
            "customer_id": out["customer_id"],
            "country": out["country"],
            "priority_class": out["priority_class"],
            "tier": out["tier_b"].where(out["tier_b"].notna(), out["tier_a"]),
            "part_number": out["part_number_b"].where(
                out["part_number_b"].notna(), out["part_number_a"]
            ),
            "change": out["change"],
            "quantity": np.maximum(out["asked_a"], out["asked_b"]),
            "units_a": out["units_a"],
            "units_b": out["units_b"],
            "downtime_hours_a": out["downtime_hours_a"].astype(np.float64),
            "downtime_hours_b": out["downtime_hours_b"].astype(np.float64),
            "restored_a": out["restored_a"],
            "restored_b": out["restored_b"],
            "filled_on_arrival_a": out["filled_on_arrival_a"].astype(np.float64),
            "filled_on_arrival_b": out["filled_on_arrival_b"].astype(np.float64),
        }
    )
    frame["downtime_change"] = frame["downtime_hours_b"] - frame["downtime_hours_a"]
    return frame.sort_values(["replication", "order_id"], kind="stable").reset_index(drop=True)


def _paired(frame: pd.DataFrame) -> pd.DataFrame:
    """Per group: the paired interval of the mean downtime change over replications."""
    keys = ["replication", "_group"]
    sides = []
    for side in ("a", "b"):
        per = frame.groupby(keys, sort=True)[f"downtime_hours_{side}"].mean()
        sides.append(per.rename("mean_downtime_hours").reset_index())
    interval = paired_difference(sides[0], sides[1], by="_group")
    interval = interval.set_index("_group")[["ci_low", "ci_high"]]
    interval.index.name = "_group"
    return interval


def _headline(s: dict[str, Any]) -> str:
    return (
        f"{s['orders']:,} orders over {s['replications']} replication(s): "
        f"{s['gaining']:,} gain, {s['losing']:,} lose, {s['unchanged']:,} unchanged, "
        f"{s['only_in_a']:,} only in A, {s['only_in_b']:,} only in B"
    )


def _plain(value: object) -> object:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else round(float(value), 4)
    return value
