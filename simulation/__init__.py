"""Parts Priority's shortage simulator (SimPy): replay scenarios and measure downtime.

It drives the allocation engine; the engine never imports it.

>>> from simulation import load_scenario, simulate
>>> result = simulate(load_scenario("scenarios/normal-quarter.yaml", {"horizon_days": 3}),
...                   replications=1)
>>> sorted(result.summary()["priority_class"].unique())
['parts_priority', 'standard']
"""

from __future__ import annotations

from simulation.errors import ConservationError, ScenarioError, SimulationError
from simulation.results import Comparison, SimulationResult, SweepResult
from simulation.scenario.load import ScenarioFile, load_scenario
from simulation.simulate import compare, simulate, sweep

__all__ = [
    "Comparison",
    "ConservationError",
    "ScenarioError",
    "ScenarioFile",
    "SimulationError",
    "SimulationResult",
    "SweepResult",
    "compare",
    "load_scenario",
    "simulate",
    "sweep",
]
