"""Protection levels recommended by simulation: how many units of a part to hold back for
``parts_priority`` orders at a depot (a critical level).

Within one plan the optimizer already serves parts priority first; a level pays off only
*later*, when a parts-priority order arrives after a standard order would have taken the last
unit. Whether that trade is worth it — the parts-priority downtime a level saves against the
standard downtime and idle stock it costs — is a question for the simulator: every candidate
assignment of levels is simulated with the scenario's seed and replications (common random
numbers: the same orders and disruptions), so candidates differ by their levels, not by luck.

**Which shelves.** A level matters where parts-priority orders waited: the baseline run (the
scenario as written) names the shelves (depot × part) whose parts-priority orders were not
filled on arrival, ranked by their waiting hours; the top ``shelves`` of them (within the
``parts`` and ``depots`` asked for, and only shelves that held stock) are searched.

**The search** is coordinate-wise: shelf by shelf, best first, every level of ``levels`` is
simulated with the other shelves at their current levels, and the shelf keeps the level the
rule prefers; up to ``rounds`` passes, stopping when a pass changes nothing. That is at most
``1 + rounds × shelves × (len(levels) − 1)`` simulations (assignments already run are not run
again) instead of ``len(levels) ** shelves`` for every combination; it finds the best level
of each shelf given the others, which is what shelves of different parts (independent
except through shared special means) need.

**The rule** (``objective``):

- ``"cap"`` (default): the lowest parts-priority mean downtime such that the standard class's
  mean downtime stays within ``standard_cap`` (a share, 0.10 = +10%) of the baseline's. The
  data sheet promises Priority Management customers parts first, so their downtime is what
  to minimise; the cap is the price the planner accepts for it, stated in the standard
  customers' own terms, and it keeps a level from starving them to buy a few minutes.
- ``"weighted"``: the lowest ``parts-priority mean + standard_weight × standard mean``
  (an hour of standard downtime weighs ``standard_weight`` of a parts-priority hour), for
  planners who would rather price the trade than cap it.

In both, a higher level must earn its idle stock: of the levels tried for a shelf, the
lowest whose score is within ``min_gain_hours`` of the best is kept, so noise never buys
units on a shelf.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from allocation import ProtectionLevels
from simulation.errors import ScenarioError
from simulation.protection_report import ProtectionRecommendation
from simulation.replicate import Progress
from simulation.results import SimulationResult
from simulation.scenario.load import ScenarioFile
from simulation.shelves import shelf_orders, waiting_shelves
from simulation.stats import paired_difference, summarize
from simulation.use_cases import ScenarioLike, scenario_source, simulate
from simulation.whatif import protection_of, with_protection
from simulation.world.setup import build_setup

__all__ = ["OBJECTIVES", "recommend_protection"]

OBJECTIVES = ("cap", "weighted")
Shelf = tuple[str, str]


@dataclass(frozen=True)
class _Rule:
    objective: str
    standard_cap: float
    standard_weight: float
    min_gain_hours: float

    def words(self) -> str:
        if self.objective == "cap":
            rule = (
                "lowest parts-priority mean downtime with the standard class's mean downtime "
                f"at most {self.standard_cap:.0%} above the baseline's"
            )
        else:
            rule = (
                "lowest parts-priority mean downtime + "
                f"{self.standard_weight:g} × standard mean downtime"
            )
        return f"{rule}; a higher level must gain at least {self.min_gain_hours:g} h"


@dataclass
class _Search:
    """The runs of one search, keyed by assignment, and a row per run for the report."""

    source: ScenarioFile
    existing: ProtectionLevels
    rule: _Rule
    run: Any  # (ScenarioFile) -> SimulationResult
    results: dict[tuple[tuple[Shelf, int], ...], SimulationResult] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def evaluate(self, assignment: Mapping[Shelf, int]) -> SimulationResult:
        merged = dict(self.existing.levels)
        merged.update(assignment)
        default = self.existing.default
        # Assignments that protect the same units are one run, however they are written.
        key = tuple(sorted((shelf, v) for shelf, v in merged.items() if v != default))
        if key not in self.results:
            levels = ProtectionLevels(merged, default)
            self.results[key] = self.run(with_protection(self.source, levels))
        return self.results[key]

    def baseline(self) -> SimulationResult:
        return self.evaluate({})

    def score(self, result: SimulationResult) -> tuple[bool, float]:
        """Whether the rule allows this run, and the number it minimises."""
        pp, std = _class_means(result)
        base_std = _class_means(self.baseline())[1]
        if self.rule.objective == "cap":
            limit = base_std * (1.0 + self.rule.standard_cap) + 1e-9
            return (math.isnan(std) or std <= limit), _or_zero(pp)
        return True, _or_zero(pp) + self.rule.standard_weight * _or_zero(std)

    def record(self, step: int, shelf: Shelf | None, level: int | None, assignment: Any) -> None:
        result = self.evaluate(assignment)
        feasible, score = self.score(result)
        row: dict[str, Any] = {
            "round": step,
            "depot_id": shelf[0] if shelf else None,
            "part_number": shelf[1] if shelf else None,
            "level": level,
            "assignment": ", ".join(f"{p}@{d}={v}" for (d, p), v in sorted(assignment.items()))
            or "baseline",
        }
        row.update(_interval_columns(self.baseline(), result))
        row.update({"feasible": feasible, "score": score, "kept": False})
        self.rows.append(row)


def recommend_protection(
    scenario: ScenarioLike,
    parts: Sequence[str] | None = None,
    depots: Sequence[str] | None = None,
    levels: Sequence[int] = range(4),
    replications: int | None = None,
    seed: int | None = None,
    objective: str = "cap",
    standard_cap: float = 0.10,
    standard_weight: float = 0.25,
    min_gain_hours: float = 0.5,
    shelves: int = 4,
    rounds: int = 2,
    workers: int = 1,
    dask: str | None = None,
    progress: Progress | None = None,
    keep_records: bool = False,
) -> ProtectionRecommendation:
    """Recommend protection levels for a scenario by simulating candidate levels.

    Parameters
    ----------
    scenario : path, ScenarioFile, ScenarioWhatIf or mapping
        The scenario; its policy's own protection levels are the baseline.
    parts : sequence of str, optional
        Part numbers or shell patterns (``HDD-*``) to consider; all by default.
    depots : sequence of str, optional
        Depots to consider; all by default.
    levels : sequence of int
        The levels to try at each shelf (whole units ≥ 0).
    replications, seed : int, optional
        The scenario's by default; every candidate runs with the same ones.
    objective : {"cap", "weighted"}
        The decision rule (see the module's docstring): minimise parts-priority mean
        downtime under a cap on the standard class's (``standard_cap``, a share of the
        baseline's), or a weighted sum (``standard_weight``).
    min_gain_hours : float
        A higher level is kept only if it beats the lower ones by this much.
    shelves : int
        How many shelves to search, those with the most parts-priority waiting hours first.
    rounds : int
        Passes of the coordinate-wise search.
    workers, dask, progress
        Where replications run and a callback per finished replication (see
        :func:`simulation.use_cases`).
    keep_records : bool
        Keep every candidate run's records (see :func:`simulation.simulate`); without them
        the runs whose orders the report reads (the baseline and the recommendation) make
        their records again when it does, with the same numbers.

    Returns
    -------
    ProtectionRecommendation
        ``.levels`` (a :class:`allocation.ProtectionLevels` for the policy), ``.summary()``
        (what the levels buy and cost per class, with intervals), ``.to_pandas()`` (per
        shelf), ``.plot()``, ``.trial_table()``.

    Examples
    --------
    >>> quick = {"replications": 1, "horizon_days": 35, "drain_days": 10}
    >>> from simulation import load_scenario
    >>> floods = load_scenario("scenarios/thailand-floods-2011.yaml", quick)
    >>> advice = recommend_protection(floods, levels=[0, 2], shelves=1, rounds=1)
    >>> len(advice.chosen), sorted(advice.summary()["priority_class"].unique())
    (1, ['parts_priority', 'standard'])
    """
    rule = _rule(objective, standard_cap, standard_weight, min_gain_hours)
    tried = _levels(levels)
    if isinstance(shelves, bool) or not isinstance(shelves, int) or shelves < 1:
        raise ScenarioError(f"shelves must be a whole number of at least 1, not {shelves!r}")
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise ScenarioError(f"rounds must be a whole number of at least 1, not {rounds!r}")
    source = scenario_source(scenario)
    allowed = _allowed_shelves(source, parts, depots)

    def run(point: ScenarioFile) -> SimulationResult:
        return simulate(
            point, replications, seed, None, workers, dask, progress, keep_records=keep_records
        )

    search = _Search(source, protection_of(source), rule, run)
    base = search.baseline()
    search.record(0, None, None, {})
    candidates = waiting_shelves(shelf_orders(base), base.replications, allowed).head(shelves)
    current = {
        (str(d), str(p)): search.existing.level(str(d), str(p))
        for d, p in zip(candidates["depot_id"], candidates["part_number"], strict=True)
    }
    for step in range(1, rounds + 1):
        if not _sweep(search, current, tried, step):
            break
    return ProtectionRecommendation(
        scenario=source.scenario.name,
        rule=rule.words(),
        chosen=dict(current),
        existing=search.existing,
        candidates=candidates,
        trials=pd.DataFrame(search.rows),
        baseline=base,
        recommended=search.evaluate(current),
    )


def _sweep(search: _Search, current: dict[Shelf, int], tried: list[int], step: int) -> bool:
    """One pass over the shelves; whether any shelf changed its level."""
    changed = False
    for shelf in list(current):
        scored = []
        for level in sorted({*tried, current[shelf]}):
            assignment = {**current, shelf: level}
            search.record(step, shelf, level, assignment)
            feasible, score = search.score(search.evaluate(assignment))
            if feasible:
                scored.append((level, score, len(search.rows) - 1))
        if not scored:
            continue
        best = min(score for _, score, _ in scored)
        level, _, row = next(s for s in scored if s[1] <= best + search.rule.min_gain_hours)
        search.rows[row]["kept"] = True
        if level != current[shelf]:
            current[shelf] = level
            changed = True
    return changed


def _class_means(result: SimulationResult) -> tuple[float, float]:
    """Mean over replications of each class's mean downtime: (parts priority, standard)."""
    table = result.kpis("priority_class")
    means = table.groupby(table["priority_class"].astype(str))["mean_downtime_hours"].mean()
    return float(means.get("parts_priority", np.nan)), float(means.get("standard", np.nan))


def _interval_columns(base: SimulationResult, result: SimulationResult) -> dict[str, float]:
    """Each class's mean downtime with its interval, and the paired change from the baseline
    (downtime and money): ``pp_mean, pp_ci_low, ..., std_change_ci_high, std_cost_change``."""
    by = "priority_class"
    own = summarize(result.kpis(by), by).set_index([by, "kpi"])
    change = paired_difference(base.kpis(by), result.kpis(by), by).set_index([by, "kpi"])

    def value(table: pd.DataFrame, key: tuple[str, str], stat: str) -> float:
        if key not in table.index:
            return float("nan")
        return float(table.loc[key, stat])  # type: ignore[arg-type]

    columns: dict[str, float] = {}
    for klass, prefix in (("parts_priority", "pp"), ("standard", "std")):
        downtime = (klass, "mean_downtime_hours")
        for stat in ("mean", "ci_low", "ci_high"):
            columns[f"{prefix}_{stat}"] = value(own, downtime, stat)
        columns[f"{prefix}_change"] = value(change, downtime, "mean")
        columns[f"{prefix}_change_ci_low"] = value(change, downtime, "ci_low")
        columns[f"{prefix}_change_ci_high"] = value(change, downtime, "ci_high")
        columns[f"{prefix}_cost_change"] = value(change, (klass, "cost"), "mean")
    return columns


def _rule(objective: str, cap: float, weight: float, gain: float) -> _Rule:
    if objective not in OBJECTIVES:
        raise ScenarioError(f"unknown objective {objective!r} (use one of {', '.join(OBJECTIVES)})")
    for name, value in (("standard_cap", cap), ("standard_weight", weight)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
            raise ScenarioError(f"{name} must be a number ≥ 0, not {value!r}")
    if isinstance(gain, bool) or not isinstance(gain, int | float) or not gain >= 0:
        raise ScenarioError(f"min_gain_hours must be a number ≥ 0, not {gain!r}")
    return _Rule(objective, float(cap), float(weight), float(gain))


def _levels(levels: Sequence[int]) -> list[int]:
    values = list(levels)
    if not values:
        raise ScenarioError("levels: give at least one level to try, e.g. 0,1,2,3")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise ScenarioError(f"levels: {value!r} is not a whole number of units ≥ 0")
        if value > 1_000_000:
            raise ScenarioError(f"levels: {value} units is more than any shelf holds")
    return sorted({int(v) for v in values})


def _allowed_shelves(
    source: ScenarioFile, parts: Sequence[str] | None, depots: Sequence[str] | None
) -> list[Shelf]:
    """The shelves of the world that hold stock, within the parts and depots asked for."""
    setup = build_setup(source)
    names, known = setup.context.part_numbers, setup.depot_ids
    if isinstance(parts, str) or isinstance(depots, str):
        raise ScenarioError("parts and depots are lists of names, e.g. ['HDD-*']")
    for pattern in parts or []:
        if not any(fnmatch.fnmatchcase(p, pattern) for p in names):
            raise ScenarioError(f"parts: {pattern!r} matches no part of the world")
    for depot in depots or []:
        if depot not in known:
            raise ScenarioError(
                f"depots: unknown depot {depot!r} (the world has {', '.join(known)})"
            )
    stocked = np.maximum(setup.initial_stock, setup.base_stock) > 0
    return [
        (depot, part)
        for i, part in enumerate(names)
        for j, depot in enumerate(known)
        if stocked[i, j]
        and (not parts or any(fnmatch.fnmatchcase(part, p) for p in parts))
        and (not depots or depot in depots)
    ]


def _or_zero(value: float) -> float:
    return 0.0 if math.isnan(value) else value
