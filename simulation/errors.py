"""Exceptions of the simulation package, one base and subclasses named for what went wrong.

::

    SimulationError              anything this package raises on purpose
    ├── ScenarioError            the scenario file is wrong: file, line and field named
    ├── ClusterError             the Dask cluster asked for cannot be used
    └── ConservationError        the world lost or made units (a bug, never the user's fault)

Errors from the allocation engine (bad tables in the world's snapshot, say) pass through as
the engine's own :class:`allocation.errors.AllocationError` subclasses.
"""

from __future__ import annotations

__all__ = ["ClusterError", "ConservationError", "ScenarioError", "SimulationError"]


class SimulationError(Exception):
    """Base of every error the simulation package raises on purpose."""


class ScenarioError(SimulationError):
    """A scenario that cannot be run as written; the message names file, line and field."""


class ClusterError(SimulationError):
    """Replications cannot run where they were sent (no scheduler there, no Dask installed)."""


class ConservationError(SimulationError):
    """Units appeared or vanished in the simulated world."""
