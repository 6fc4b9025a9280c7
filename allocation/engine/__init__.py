"""The allocation engine: one core that every caller plans through.

Folders follow the concepts: ``model`` (a snapshot's world, orders, sources and arcs as
arrays), ``solve`` (the lexicographic min-cost flow and the baselines), ``incremental``
(keeping a plan current), ``explain`` (codes, reasons and words); the objective's
arithmetic lives in one module (:mod:`.objective`) that every fast path calls. The
:class:`Engine` façade is the way in.
"""

from __future__ import annotations

from allocation.engine import objective
from allocation.engine._facade import Engine, plan_tables_from
from allocation.engine._html import html_block, html_table
from allocation.engine._plan import (
    LINE_COLUMNS,
    UNFILLED_COLUMNS,
    Plan,
    PlanTables,
    records,
    rows_of,
)
from allocation.engine._pools import end_pool
from allocation.engine.explain import CODES
from allocation.engine.incremental import Planner, marginal_values
from allocation.engine.model import (
    Classes,
    Context,
    OrderColumns,
    Problem,
    SourceColumns,
    classify_orders,
)
from allocation.engine.solve import STRATEGIES

__all__ = [
    "CODES",
    "LINE_COLUMNS",
    "STRATEGIES",
    "UNFILLED_COLUMNS",
    "Classes",
    "Context",
    "Engine",
    "OrderColumns",
    "Plan",
    "PlanTables",
    "Planner",
    "Problem",
    "SourceColumns",
    "classify_orders",
    "end_pool",
    "html_block",
    "html_table",
    "marginal_values",
    "objective",
    "plan_tables_from",
    "records",
    "rows_of",
]
