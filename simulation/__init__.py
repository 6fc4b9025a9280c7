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

from simulation.diff import ResultDiff, diff, read_run_outcomes, run_outcomes
from simulation.errors import ConservationError, ScenarioError, SimulationError
from simulation.protection import recommend_protection
from simulation.protection_report import ProtectionRecommendation
from simulation.results import Comparison, SimulationResult, SweepResult
from simulation.scenario.load import ScenarioFile, load_scenario
from simulation.simulate import compare, simulate, sweep
from simulation.whatif import ScenarioWhatIf

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
