"""Performance reports per customer and period, and the root causes behind them.

The data sheet promises Priority Access Plus and Priority Management customers management
reports on their service status, and Priority Management customers reviews of every deviation
from target with root-cause action plans. The evidence is what the engine decided and what
happened to each order: this package turns it into one report per customer and period,
whatever the facts come from (the service's database, a simulation run, a notebook's
tables).
"""

from allocation.reports.build import REPORTED_TIERS, customer_report, reports_for_all
from allocation.reports.facts import (
    CUSTOMER_COLUMNS,
    ORDER_COLUMNS,
    SOURCE_COLUMNS,
    ReportFacts,
    empty_orders,
    empty_sources,
)
from allocation.reports.page import SECTIONS
from allocation.reports.periods import Period, parse_period
from allocation.reports.report import REPORT_KEYS, PerformanceReport
from allocation.reports.rollups import ROLLUP_DIMENSIONS, root_cause_rollup
from allocation.reports.scorecard import BUY_COLUMNS, SCORECARD_COLUMNS, supplier_scorecard

__all__ = [
    "BUY_COLUMNS",
    "CUSTOMER_COLUMNS",
    "ORDER_COLUMNS",
    "REPORTED_TIERS",
    "REPORT_KEYS",
    "ROLLUP_DIMENSIONS",
    "SCORECARD_COLUMNS",
    "SECTIONS",
    "SOURCE_COLUMNS",
    "PerformanceReport",
    "Period",
    "ReportFacts",
    "customer_report",
    "empty_orders",
    "empty_sources",
    "parse_period",
    "reports_for_all",
    "root_cause_rollup",
    "supplier_scorecard",
]
