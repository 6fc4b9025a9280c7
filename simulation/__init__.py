"""Parts Priority's shortage simulator (SimPy): replay scenarios and measure downtime.

It drives the allocation engine; the engine never imports it. The public API is what
``__all__`` lists: scenarios (:func:`load_scenario`, :class:`ScenarioWhatIf` for edited
ones), the use cases (:func:`simulate`, :func:`compare`, :func:`sweep`,
:func:`recommend_protection`), their results (tables with ``.to_pandas()`` and
``.summary()``, charts with ``.plot()``, HTML tables in a notebook), and :func:`diff` between
two runs.

>>> from simulation import load_scenario, simulate
>>> result = simulate(load_scenario("scenarios/normal-quarter.yaml", {"horizon_days": 3}),
...                   replications=1)
>>> sorted(result.summary()["priority_class"].unique())
['parts_priority', 'standard']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulation.errors import ConservationError, ScenarioError, SimulationError
    from simulation.protection import recommend_protection
    from simulation.protection_report import ProtectionRecommendation
    from simulation.results import Comparison, SimulationResult, SweepResult
    from simulation.run_diff import ResultDiff, diff, read_run_outcomes, run_outcomes
    from simulation.scenario.load import ScenarioFile, load_scenario
    from simulation.use_cases import compare, simulate, sweep
    from simulation.whatif import ScenarioWhatIf

# Loaded on first use, so that a command that needs none of them (the allocation commands of
# the same CLI, ``--help``) does not pay for the plotting and simulation stack.
_HOMES = {
    "ResultDiff": "simulation.run_diff",
    "diff": "simulation.run_diff",
    "read_run_outcomes": "simulation.run_diff",
    "run_outcomes": "simulation.run_diff",
    "ConservationError": "simulation.errors",
    "ScenarioError": "simulation.errors",
    "SimulationError": "simulation.errors",
    "recommend_protection": "simulation.protection",
    "ProtectionRecommendation": "simulation.protection_report",
    "Comparison": "simulation.results",
    "SimulationResult": "simulation.results",
    "SweepResult": "simulation.results",
    "ScenarioFile": "simulation.scenario.load",
    "load_scenario": "simulation.scenario.load",
    "compare": "simulation.use_cases",
    "simulate": "simulation.use_cases",
    "sweep": "simulation.use_cases",
    "ScenarioWhatIf": "simulation.whatif",
}


__all__ = [
    "Comparison",
    "ConservationError",
    "ProtectionRecommendation",
    "ResultDiff",
    "ScenarioError",
    "ScenarioFile",
    "ScenarioWhatIf",
    "SimulationError",
    "SimulationResult",
    "SweepResult",
    "compare",
    "diff",
    "load_scenario",
    "read_run_outcomes",
    "recommend_protection",
    "run_outcomes",
    "simulate",
    "sweep",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'simulation' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
