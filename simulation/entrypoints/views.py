"""Terminal views of simulation runs: rich tables drawn from the same JSON documents that
``--json`` prints, so what a planner reads and what a script parses never disagree.

Counts and money are means per replication, and say so; money carries the scenario's
currency code. Each run ends with a one-line verdict on parts-priority downtime, in the
numbers of the tables above it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from allocation.entrypoints import format_number
from simulation.protection_report import ProtectionRecommendation

__all__ = [
    "comparison_verdict",
    "format_interval",
    "show_comparison",
    "show_recommendation",
    "show_simulation",
    "show_sweep",
    "simulation_verdict",
]

# KPI, label; the terminal shows these, the documents and tables have all of them. Counts
# and money are means over the replications of each one's total: "/ replication".
_HEADLINES = (
    ("orders", "orders / replication"),
    ("mean_downtime_hours", "mean downtime (h)"),
    ("p50_downtime_hours", "median downtime (h)"),
    ("p90_downtime_hours", "p90 downtime (h)"),
    ("within_target", "within target"),
    ("fill_rate", "filled on arrival"),
    ("cost", "money spent / replication"),
    ("broker_units", "broker units / replication"),
    ("expedited_units", "expedited units / replication"),
)
# Shown after the headlines when a run has response-time targets (its blocks have them).
_TARGET_HEADLINES = (
    ("target_orders", "with a target / replication"),
    ("late_share", "delivered late"),
    ("mean_hours_late", "mean hours late (when late)"),
)
_COMPACT = {
    "orders": "orders / replication",
    "mean_downtime_hours": "mean (h)",
    "p90_downtime_hours": "p90 (h)",
    "within_target": "in target",
    "fill_rate": "filled",
}
_SHORT = ("orders", "mean_downtime_hours", "p90_downtime_hours", "within_target", "fill_rate")
_SHARES = frozenset({"within_target", "fill_rate", "restored_share", "late_share"})
_HIGHER_IS_BETTER = frozenset({"within_target", "fill_rate", "restored_share"})
_WHOLE = frozenset({"orders", "units", "broker_units", "expedited_units", "cost", "target_orders"})
_VERDICT_CLASS = "parts_priority"
_VERDICT_KPI = "mean_downtime_hours"


def format_interval(kpi: str, interval: Mapping[str, float | None], signed: bool = False) -> str:
    """A KPI's mean with its confidence interval, in the KPI's unit: ``mean ± half-width``
    (the intervals are symmetric t intervals), or ``mean [low, high]`` if one is not.

    Examples
    --------
    >>> format_interval("fill_rate", {"mean": 0.8123, "ci_low": 0.79, "ci_high": 0.8346})
    '81.2% ± 2.2'
    >>> format_interval("mean_downtime_hours", {"mean": 54.36, "ci_low": None, "ci_high": None})
    '54.4'
    >>> format_interval("orders", {"mean": -12.0, "ci_low": -20.0, "ci_high": -3.0}, signed=True)
    '-12 [-20, -3]'
    >>> format_interval("mean_downtime_hours", {"mean": -0.0, "ci_low": -0.0, "ci_high": 0.0})
    '0.0 ± 0.0'
    """
    mean = interval.get("mean")
    if mean is None:
        return "—"
    text = _number(kpi, mean, signed)
    low, high = interval.get("ci_low"), interval.get("ci_high")
    if low is None or high is None:
        return text
    half = (high - low) / 2
    if abs((low + high) / 2 - mean) <= 1e-9 * max(1.0, abs(mean)):
        return f"{text} ± {_number(kpi, half, False, unit=False)}"
    low_text = _number(kpi, low, signed, unit=False)
    return f"{text} [{low_text}, {_number(kpi, high, signed, unit=False)}]"


def show_simulation(console: Console, document: Mapping[str, Any]) -> None:
    """The KPIs per priority class (and per ``--by`` group), the bill by source kind, and a
    verdict: the parts-priority mean downtime with its interval."""
    _title(console, document, f"policy [bold]{escape(document['policy'])}[/]")
    currency = _currency(document)
    table = Table(title="KPIs per priority class", title_justify="left")
    table.add_column("KPI", min_width=17)  # a long label wraps, a number does not
    groups = {**document["classes"], "all orders": document["overall"]}
    for name in groups:
        table.add_column(name, justify="right", min_width=len(name), no_wrap=True)
    for kpi, label in _headlines(document["overall"]):
        table.add_row(
            _label(kpi, label, currency),
            *(format_interval(kpi, block[kpi]) for block in groups.values()),
        )
    console.print(table)
    if "groups" in document:
        by = "/".join(document["groups"]["by"])
        _group_table(console, f"KPIs per {by}", by, document["groups"]["values"])
    _costs(console, document["cost_by_source"], currency)
    console.print(simulation_verdict(document), highlight=False, soft_wrap=True)


def _headlines(block: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The KPIs a table shows: the headlines, and the response-time ones when the run had
    targets (its blocks have them)."""
    return (*_HEADLINES, *((kpi, label) for kpi, label in _TARGET_HEADLINES if kpi in block))


def show_comparison(console: Console, document: Mapping[str, Any]) -> None:
    """Each policy side by side per class, and its paired difference from the baseline."""
    policies = document["policies"]
    baseline = document["baseline"]
    currency = _currency(document)
    _title(console, document, f"policies [bold]{', '.join(policies)}[/] (baseline {baseline})")
    classes = [*next(iter(policies.values()))["classes"], "all orders"]
    for name in classes:
        key = "overall" if name == "all orders" else None
        table = Table(title=f"{name}", title_justify="left")
        table.add_column("KPI", min_width=17)
        for policy in policies:
            table.add_column(policy, justify="right", min_width=len(policy), no_wrap=True)
        others = [p for p in policies if p != baseline]
        for policy in others:
            table.add_column(f"{policy} − {baseline}", justify="right", no_wrap=True)
        for kpi, label in _headlines(policies[baseline]["overall"]):
            cells = [format_interval(kpi, _pick(policies[p], key, name)[kpi]) for p in policies]
            for policy in others:
                difference = _pick(document["differences"][policy], key, name)[kpi]
                cells.append(_difference(kpi, difference))
            table.add_row(_label(kpi, label, currency), *cells)
        console.print(table)
    console.print(
        "[dim]differences are paired by replication (common random numbers); green: better "
        "than the baseline, red: worse, plain: the interval includes zero[/]"
    )
    # The bound's line comes before the verdicts: the last line is the paired verdict.
    line = bound_verdict(document)
    if line:
        console.print(line, highlight=False, soft_wrap=True)
    for policy in policies:
        if policy != baseline:
            console.print(comparison_verdict(document, policy), highlight=False, soft_wrap=True)


def bound_verdict(document: Mapping[str, Any]) -> str | None:
    """One line: how far each policy's parts-priority mean downtime is from the hindsight
    bound of a ``compare`` document, ``(policy − bound) / bound``; None without a bound.

    Examples
    --------
    >>> bound = {"mean_downtime_hours": {"parts_priority": 30.8},
    ...          "gap": {"optimal": 0.0912, "fifo": 0.61}, "seconds": 3.2}
    >>> bound_verdict({"hindsight_bound": bound})
    'optimal is within 9% of the hindsight bound (30.8 h for parts-priority orders); fifo 61%'
    >>> bound_verdict({"hindsight_bound": {"note": "no hindsight bound: substitutes"}})
    'no hindsight bound: substitutes'
    """
    block = document.get("hindsight_bound")
    if not block:
        return None
    if "note" in block:
        return str(block["note"])
    gaps = [(name, gap) for name, gap in block["gap"].items() if gap is not None]
    hours = block["mean_downtime_hours"].get(_VERDICT_CLASS)
    if not gaps or hours is None:
        return "hindsight bound: no parts-priority orders to bound"
    (first, gap), *rest = gaps
    text = f"{first} is within {gap:.0%} of the hindsight bound "
    text += f"({format_number(hours)} h for parts-priority orders)"
    return text + "".join(f"; {name} {other:.0%}" for name, other in rest)


def simulation_verdict(document: Mapping[str, Any]) -> str:
    """One line: the parts-priority mean downtime of a ``simulate`` document, with its
    interval and the replications it comes from.

    Examples
    --------
    >>> mean = {"mean": 72.44, "ci_low": 70.1, "ci_high": 74.7}
    >>> simulation_verdict({"classes": {"parts_priority": {"mean_downtime_hours": mean}},
    ...                     "replications": 8, "confidence_level": 0.95})
    'parts-priority orders: mean downtime 72.4 h (95% CI 70.1–74.7 h) over 8 replications'
    """
    interval = document["classes"][_VERDICT_CLASS][_VERDICT_KPI]
    count = document["replications"]
    over = f"over {count:,} replication{'' if count == 1 else 's'}"
    if interval["mean"] is None:
        return f"parts-priority orders: none to measure {over}"
    mean = format_number(interval["mean"])
    if interval["ci_low"] is None or interval["ci_high"] is None:
        return f"parts-priority orders: mean downtime {mean} h {over} (no interval from one)"
    ci = _span(interval["ci_low"], interval["ci_high"])
    return f"parts-priority orders: mean downtime {mean} h ({_level(document)} CI {ci} h) {over}"


def comparison_verdict(document: Mapping[str, Any], policy: str) -> str:
    """One line: how much less parts-priority orders wait under the better of ``policy``
    and the baseline, from the paired difference of their mean downtime (``policy`` minus
    the baseline) in a ``compare`` document.

    Examples
    --------
    >>> gap = {"mean": 66.2, "ci_low": 62.0, "ci_high": 70.4}
    >>> comparison_verdict({"baseline": "optimal", "confidence_level": 0.95,
    ...     "differences": {"fifo": {"classes": {"parts_priority": {"mean_downtime_hours": gap}}}}},
    ...     "fifo")
    'parts-priority orders wait 66.2 h less under optimal than under fifo (95% CI 62.0–70.4 h)'
    """
    baseline = document["baseline"]
    gap = document["differences"][policy]["classes"][_VERDICT_CLASS][_VERDICT_KPI]
    mean, low, high = gap["mean"], gap["ci_low"], gap["ci_high"]
    if mean is None:
        return f"parts-priority orders: no downtime to compare between {baseline} and {policy}"
    same = format_number(mean) == format_number(0)
    if same:
        text = f"parts-priority orders wait as long under {policy} as under {baseline}"
    elif mean > 0:
        text = f"parts-priority orders wait {format_number(mean)} h less under {baseline} "
        text += f"than under {policy}"
    else:
        text = f"parts-priority orders wait {format_number(-mean)} h less under {policy} "
        text += f"than under {baseline}"
    if low is None or high is None:
        return text + " (one replication: no interval)"
    bounds = (low, high) if same or mean > 0 else (-high, -low)
    text += f" ({_level(document)} CI {_span(*bounds)} h)"
    if not same and low <= 0 <= high:
        text += "; the interval includes zero: no clear difference"
    return text


def show_sweep(console: Console, document: Mapping[str, Any]) -> None:
    """The grid's points, then one row per point and priority class with the headline KPIs."""
    _title(console, document, f"policy [bold]{escape(document['policy'])}[/]", intervals=False)
    fields = document["fields"]
    grid = Table(title="Grid points", title_justify="left")
    grid.add_column("point", justify="right")
    for name in fields:
        grid.add_column(escape(name), overflow="fold")
    for number, point in enumerate(document["points"], start=1):
        grid.add_row(str(number), *(escape(_cell(point["set"][name])) for name in fields))
    console.print(grid)
    table = Table(
        title="KPIs per grid point (means; --json and --out have the intervals)",
        title_justify="left",
    )
    table.add_column("point", justify="right")
    table.add_column("class", no_wrap=True)
    for kpi in _SHORT:
        table.add_column(_COMPACT[kpi], justify="right")
    for number, point in enumerate(document["points"], start=1):
        classes = point["classes"]
        for index, (name, block) in enumerate(classes.items()):
            table.add_row(
                str(number) if index == 0 else "",
                name,
                *(format_interval(kpi, {"mean": block[kpi]["mean"]}) for kpi in _SHORT),
                end_section=index == len(classes) - 1,
            )
    console.print(table)


def _title(
    console: Console, document: Mapping[str, Any], what: str, intervals: bool = True
) -> None:
    scenario = document["scenario"]
    count = document["replications"]
    level = round(100 * document["confidence_level"])
    cells = (
        f"; cells: mean ± half-width of its {level}% confidence interval"
        if count > 1
        else "; cells: one replication, no confidence interval"
    )
    if not intervals:
        cells = ""
    overrides = document.get("overrides") or {}
    changed = "".join(f", {k}={_cell(v)}" for k, v in overrides.items())
    console.print(
        f"[bold]{escape(scenario['name'])}[/] ({escape(scenario['file'] + changed)})",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f"{what}, {count} replication{'' if count == 1 else 's'}, seed {document['seed']}, "
        f"{document['horizon_days']:g} days, target {document['target_hours']:g} h{cells}",
        highlight=False,
    )


def _currency(document: Mapping[str, Any]) -> str:
    return str(document.get("currency") or "USD")


def _label(kpi: str, label: str, currency: str) -> str:
    return f"{label} ({currency})" if kpi == "cost" else label


def _level(document: Mapping[str, Any]) -> str:
    return f"{round(100 * document['confidence_level'])}%"


def _span(low: float, high: float) -> str:
    """``62.0–70.4``, or ``-0.5 to 2.9`` when a bound is negative."""
    first, second = format_number(low), format_number(high)
    return f"{first}–{second}" if not first.startswith("-") else f"{first} to {second}"


def _group_table(
    console: Console, title: str, by: str, values: Mapping[str, Mapping[str, Any]]
) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column(by, no_wrap=True)
    labels = dict(_HEADLINES)
    for kpi in _SHORT:
        table.add_column(labels[kpi], justify="right")
    for name, block in values.items():
        table.add_row(name, *(format_interval(kpi, block[kpi]) for kpi in _SHORT))
    console.print(table)


def _costs(console: Console, costs: Mapping[str, Mapping[str, Any]], currency: str) -> None:
    if not costs:
        return
    table = Table(title="By source kind, per replication", title_justify="left")
    table.add_column("source")
    table.add_column("units / replication", justify="right")
    table.add_column(f"money / replication ({currency})", justify="right")
    for kind, block in costs.items():
        table.add_row(
            kind, format_interval("orders", block["units"]), format_interval("cost", block["money"])
        )
    console.print(table)


def _pick(run: Mapping[str, Any], key: str | None, name: str) -> Mapping[str, Any]:
    block: Mapping[str, Any] = run[key] if key else run["classes"][name]
    return block


def _difference(kpi: str, interval: Mapping[str, float | None]) -> str:
    text = format_interval(kpi, interval, signed=True)
    low, high = interval.get("ci_low"), interval.get("ci_high")
    if low is None or high is None or low <= 0 <= high:
        return text
    better = (low > 0) == (kpi in _HIGHER_IS_BETTER)
    if kpi in ("orders", "cost", "broker_units", "expedited_units"):
        return f"[bold]{text}[/]"
    return f"[{'green' if better else 'red'}]{text}[/]"


def _number(kpi: str, value: float, signed: bool, unit: bool = True) -> str:
    if kpi in _SHARES:
        return format_number(100 * value, 1, signed=signed) + ("%" if unit else "")
    return format_number(value, 0 if kpi in _WHOLE else 1, signed=signed)


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def show_recommendation(
    console: Console, advice: ProtectionRecommendation, currency: str = "USD"
) -> None:
    """A protection-level recommendation: the levels, what they buy and cost per class (with
    intervals), and each shelf before → after; money in ``currency``."""
    document = advice.document()
    console.print(
        f"[bold]{escape(document['scenario'])}[/] — protection levels by simulation, "
        f"{document['replications']} replication(s), seed {document['seed']}",
        highlight=False,
    )
    console.print(f"rule: {escape(document['rule'])}", highlight=False)
    by_class = Table(title="What the levels buy and cost (change: paired, with interval)")
    for name in ("class", "KPI", "baseline", "with levels", "change"):
        by_class.add_column(name, justify="left" if name in ("class", "KPI") else "right")
    for row in document["by_class"]:
        kpi = str(row["kpi"])
        change = {"mean": row["change"], "ci_low": row["ci_low"], "ci_high": row["ci_high"]}
        by_class.add_row(
            escape(str(row["priority_class"])),
            _label(
                kpi, kpi.replace("_", " ") + (" / replication" if kpi == "cost" else ""), currency
            ),
            _number(kpi, row["baseline"], False) if row["baseline"] is not None else "—",
            _number(kpi, row["recommended"], False) if row["recommended"] is not None else "—",
            _difference(kpi, change),
        )
    console.print(by_class)
    shelves = Table(title="Shelves searched (per replication; downtime in hours)")
    columns = ("depot", "part", "level", "pp waiting", "pp downtime", "std downtime", "held")
    for name in columns:
        shelves.add_column(name, justify="left" if name in ("depot", "part") else "right")
    for row in document["shelves"]:
        shelves.add_row(
            escape(str(row["depot_id"])),
            escape(str(row["part_number"])),
            f"{row['baseline_level']} → {row['level']}",
            _one(row["orders_waiting"]),
            f"{_one(row['pp_downtime_before'])} → {_one(row['pp_downtime_after'])}",
            f"{_one(row['standard_downtime_before'])} → {_one(row['standard_downtime_after'])}",
            _one(row["mean_held"]),
        )
    if document["shelves"]:
        console.print(shelves)
    else:
        console.print("no parts-priority order waited at a stocked shelf: nothing to protect")
    console.print(f"{len(document['trials'])} assignment(s) simulated")


def _one(value: Any) -> str:
    return "—" if value is None else format_number(float(value))
