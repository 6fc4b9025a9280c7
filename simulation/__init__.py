"""Parts Priority's shortage simulator (SimPy): replay scenarios and measure downtime.

It drives the allocation engine; the engine never imports it.
"""

from __future__ import annotations

__all__: list[str] = []
