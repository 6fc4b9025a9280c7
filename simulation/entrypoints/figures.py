"""Which charts each command saves with ``--plots``, by file name.

- ``simulate``: ``downtime_ecdf`` (a line per priority class), ``backorders``,
  ``cost_by_source`` (money in the scenario's currency, and units).
- ``compare``: ``comparison`` (mean downtime per class and policy, with intervals),
  ``comparison_within_target``, ``downtime_ecdf`` (a panel per class, a line per policy,
  each policy in its own colour, dashes and markers), and each policy's
  ``<policy>_backorders`` and ``<policy>_cost_by_source``.
- ``sweep``: ``sweep`` (mean downtime per class, a panel per field swept, on a numeric axis
  when the field's values are numbers) and ``sweep_within_target``.

Every chart names its scenario, policies and replications under its headline, and the
confidence level of its error bars (``--confidence``, 95% by default). The result objects
draw them (a notebook gets the same charts from ``.plots()``).
"""

from __future__ import annotations

from matplotlib.figure import Figure

from simulation.results import Comparison, SimulationResult, SweepResult

__all__ = ["comparison_figures", "simulation_figures", "sweep_figures"]


def simulation_figures(result: SimulationResult, level: float = 0.95) -> dict[str, Figure]:
    """The charts of one run."""
    return result.plots(level)


def comparison_figures(comparison: Comparison, level: float = 0.95) -> dict[str, Figure]:
    """The charts of a policy comparison."""
    return comparison.plots(level)


def sweep_figures(sweep: SweepResult, level: float = 0.95) -> dict[str, Figure]:
    """The charts of a sweep."""
    return sweep.plots(level)
