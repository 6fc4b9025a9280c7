"""A report's figures, against values worked out by hand from small facts."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from allocation.errors import InputError, UnknownIdError
from allocation.reports import REPORT_KEYS, customer_report, reports_for_all
from tests.allocation.reports.facts_world import AS_OF, facts, order

pytestmark = pytest.mark.fast


def _quarter() -> list[dict[str, object]]:
    """Five orders of C1 in 2026-Q3, one in Q2, one of C2."""
    return [
        # restored in 24 h from stock
        order("a", "2026-07-01 00:00"),
        # short, held by its class, restored after 100 h: late by 52 h
        order(
            "b",
            "2026-07-10 00:00",
            restored_at=pd.Timestamp("2026-07-14 04:00"),
            backordered=True,
            code="held_by_same_class",
        ),
        # lost parts priority (Uruguay), still open at AS_OF: waited since 2026-09-30
        order(
            "c",
            "2026-09-30 00:00",
            country="UY",
            priority_class="standard",
            lost_code="excluded_country",
            status="open",
            restored_at=pd.NaT,
            backordered=True,
            code="excluded_country",
            part_number="P2",
            depot_id=None,
        ),
        # served at once by a broker, restored after 60 h: late, never short
        order(
            "d",
            "2026-08-01 00:00",
            restored_at=pd.Timestamp("2026-08-03 12:00"),
            code="slow_source",
        ),
        # cancelled
        order("e", "2026-08-02", status="cancelled", restored_at=pd.NaT),
        # the quarter before: restored in 10 h
        order(
            "q2",
            "2026-05-01 00:00",
            restored_at=pd.Timestamp("2026-05-01 10:00"),
            backordered=True,
            code="held_by_same_class",
        ),
        # another customer
        order("z", "2026-07-02", customer_id="C2", priority_class="standard", tier="standard"),
    ]


def _sources() -> list[dict[str, object]]:
    return [
        {"replication": 0, "order_id": "a", "source_kind": "stock", "quantity": 1, "money": 10.0},
        {"replication": 0, "order_id": "b", "source_kind": "stock", "quantity": 1, "money": 10.0},
        {
            "replication": 0,
            "order_id": "d",
            "source_kind": "broker",
            "quantity": 1,
            "money": 180.5,
        },
        {
            "replication": 0,
            "order_id": "q2",
            "source_kind": "expedite",
            "quantity": 1,
            "money": 99.0,
        },
        {"replication": 0, "order_id": "z", "source_kind": "stock", "quantity": 1, "money": 10.0},
    ]


def test_orders_are_counted_by_the_period_they_were_created_in() -> None:
    doc = customer_report(facts(_quarter(), _sources()), "C1", "2026-Q3").document()
    assert doc["orders"] == 5
    assert doc["parts_priority_orders"] == 4
    assert doc["cancelled_orders"] == 1
    assert doc["period_start"] == "2026-07-01T00:00:00"
    assert doc["previous_period"] == "2026-Q2"


def test_downtime_counts_open_orders_up_to_the_end_of_the_facts() -> None:
    doc = customer_report(facts(_quarter(), _sources()), "C1", "2026-Q3").document()
    open_hours = (AS_OF - pd.Timestamp("2026-09-30").to_pydatetime()).total_seconds() / 3600
    hours = np.array([24.0, 100.0, open_hours, 60.0])
    assert doc["downtime"]["mean_hours"] == pytest.approx(hours.mean())
    assert doc["downtime"]["p90_hours"] == pytest.approx(np.percentile(hours, 90))
    assert doc["downtime"]["open_orders"] == 1
    # decided: a (in time), b (late), c (open past the target), d (late)
    assert doc["downtime"]["decided_orders"] == 4
    assert doc["downtime"]["within_target_share"] == pytest.approx(1 / 4)


def test_an_open_order_younger_than_the_target_is_not_yet_a_miss() -> None:
    young = order("y", "2026-10-04 12:00", status="open", restored_at=pd.NaT)  # 12 h before AS_OF
    doc = customer_report(facts([order("a", "2026-10-01"), young]), "C1", "2026-Q4").document()
    assert doc["downtime"]["decided_orders"] == 1
    assert doc["downtime"]["within_target_share"] == 1
    assert doc["downtime"]["open_orders"] == 1


def test_sources_and_spend_are_the_periods_orders_only() -> None:
    doc = customer_report(facts(_quarter(), _sources()), "C1", "2026-Q3").document()
    assert doc["sources"]["stock"] == {"units": 2, "money": 20}
    assert doc["sources"]["broker"] == {"units": 1, "money": 180.5}
    assert doc["sources"]["expedite"] == {"units": 0, "money": 0}  # q2's is last quarter's
    assert set(doc["sources"]) == {"stock", "transfer", "inbound", "expedite", "broker"}
    assert doc["spend"] == {"expedite": 0, "broker": 180.5, "special_means": 180.5, "total": 200.5}


def test_lost_priority_backorders_and_root_causes() -> None:
    doc = customer_report(facts(_quarter(), _sources()), "C1", "2026-Q3").document()
    assert doc["lost_priority"] == {"orders": 1, "by_code": {"excluded_country": 1}}
    assert doc["backorders"] == {
        "open": 1,
        "closed": 1,
        "open_by_code": {"excluded_country": 1},
        "closed_by_code": {"held_by_same_class": 1},
    }
    assert doc["root_causes"] == {"excluded_country": 1, "held_by_same_class": 1, "slow_source": 1}


def test_top_causes_carry_the_trend_against_the_previous_period() -> None:
    doc = customer_report(facts(_quarter(), _sources()), "C1", "2026-Q3").document()
    same = next(t for t in doc["top_causes"] if t["code"] == "held_by_same_class")
    assert (same["count"], same["previous"], same["change"]) == (1, 1, 0)
    slow = next(t for t in doc["top_causes"] if t["code"] == "slow_source")
    assert (slow["previous"], slow["change"]) == (0, 1)
    assert doc["trend"]["orders"] == 1
    assert doc["trend"]["mean_hours"] == 10
    assert doc["trend"]["backorders_closed"] == 1


def test_action_items_rank_causes_by_hours_lost_beyond_the_target() -> None:
    doc = customer_report(facts(_quarter(), _sources()), "C1", "2026-Q3").document()
    items = doc["action_items"]
    open_hours = (AS_OF - pd.Timestamp("2026-09-30").to_pydatetime()).total_seconds() / 3600
    assert [(i["code"], i["lost_hours"]) for i in items] == [
        ("excluded_country", pytest.approx(open_hours - 48)),
        ("held_by_same_class", 52),
        ("slow_source", 12),
    ]
    assert items[0]["part_number"] == "P2"
    assert items[0]["depot_id"] is None
    assert "P2" in items[0]["action"]


def test_replications_give_means_per_replication() -> None:
    rows = [order("a", "2026-07-01"), order("b", "2026-07-02")]
    twice = [dict(r, replication=k) for k in (0, 1) for r in rows]
    twice[0]["backordered"], twice[0]["code"] = True, "held_by_same_class"
    doc = customer_report(facts(twice, replications=2), "C1", "2026-Q3").document()
    assert doc["orders"] == 2
    assert doc["backorders"]["closed"] == 0.5
    assert doc["replications"] == 2


def test_the_document_has_every_documented_key_and_is_strict_json() -> None:
    report = customer_report(facts([]), "C1", "2026-Q3")
    doc = report.document()
    assert tuple(doc) == REPORT_KEYS
    assert doc["orders"] == 0
    assert doc["downtime"]["mean_hours"] is None
    json.loads(report.to_json())  # no NaN: it would not be JSON


def test_without_a_period_the_report_covers_everything_up_to_as_of() -> None:
    doc = customer_report(facts(_quarter(), _sources()), "C1").document()
    assert doc["orders"] == 6
    assert doc["period_start"].startswith("2026-05-01")
    assert doc["previous_period"] is None
    assert doc["trend"] is None


def test_an_unknown_customer_is_refused_with_the_closest_ids() -> None:
    with pytest.raises(UnknownIdError, match="did you mean C1"):
        customer_report(facts(_quarter()), "C11", "2026-Q3")


def test_facts_with_an_unknown_code_or_status_are_refused() -> None:
    with pytest.raises(InputError, match="root-cause code"):
        facts([order("a", "2026-07-01", code="gremlins", backordered=True)])
    with pytest.raises(InputError, match="status"):
        facts([order("a", "2026-07-01", status="lost")])


def test_all_customers_means_those_whose_tier_includes_reports() -> None:
    reports = reports_for_all(facts(_quarter()), "2026-Q3")
    assert [r.customer_id for r in reports] == ["C1", "C3"]


def test_the_notebook_views() -> None:
    report = customer_report(facts(_quarter(), _sources()), "C1", "2026-Q3")
    summary = report.summary()
    assert list(summary.columns) == ["figure", "2026-Q3", "2026-Q2"]
    table = report.to_pandas()
    row = table[(table["section"] == "downtime") & (table["key"] == "mean_hours")].iloc[0]
    assert row["previous"] == 10
    assert "&lt;Industries&gt;" in report._repr_html_()
