"""Plans and simulation records are exactly those pinned in ``tests/fixtures/frozen``.

The fixtures were written by ``python -m tests.fixtures.frozen`` before the engine became one
core; every plan (lines, unfilled lines and their reasons, sampled explanations) and every
record of the shortened scenarios must come out the same, value for value.

The records were pinned again once, when a base-stock reorder came to follow only a unit that
leaves a depot (a unit bought by expedite, broker or an emergency channel reorders nothing):
the only changes were fewer ``replenishment_ordered`` rows, the receipts they would have made,
and the allocations those receipts moved. Since then an ``order_created`` row's ``detail``
names why the order lost parts priority (``excluded_country``), blank before; nothing else
changed.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.fixtures.frozen import (
    HERE,
    PlanCase,
    RecordCase,
    compute_plan,
    compute_records,
    plan_cases,
    record_cases,
)


def _param(case: PlanCase) -> object:
    marks = [pytest.mark.slow] if case.slow else []
    return pytest.param(case, id=case.name, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in plan_cases()])
def test_the_plan_is_the_one_pinned_before_the_engine_moved(case: PlanCase) -> None:
    got = compute_plan(case)
    lines = pd.read_parquet(HERE / f"{case.name}.lines.parquet")
    unfilled = pd.read_parquet(HERE / f"{case.name}.unfilled.parquet")
    pd.testing.assert_frame_equal(got["lines"], lines, check_exact=True)
    # Columns added since (the reason's code) are checked elsewhere; the pinned ones match
    # (the type of a column of an empty table is no part of what is pinned).
    pd.testing.assert_frame_equal(
        got["unfilled"][unfilled.columns],
        unfilled,
        check_exact=True,
        check_dtype=len(unfilled) > 0,
        check_index_type=len(unfilled) > 0,
    )
    explained = json.loads((HERE / f"{case.name}.explain.json").read_text(encoding="utf-8"))
    assert got["explain"] == explained


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in record_cases()])
def test_the_simulation_records_are_the_ones_pinned_before_the_engine_moved(
    case: RecordCase,
) -> None:
    got = compute_records(case)
    pinned = pd.read_parquet(HERE / f"records-{case.name}.parquet")
    pd.testing.assert_frame_equal(_plain(got), _plain(pinned), check_exact=True)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as objects, blanks as None: how a column of text is typed (object or
    pandas' string type, categorical or not) is no part of what is pinned."""
    out = frame.copy()
    for column in out.columns:
        dtype = out[column].dtype
        if (
            isinstance(dtype, pd.CategoricalDtype)
            or pd.api.types.is_object_dtype(dtype)
            or pd.api.types.is_string_dtype(dtype)
        ):
            values = out[column].astype(object)
            out[column] = values.where(values.notna(), None)
    return out
