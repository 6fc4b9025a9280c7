"""A plan made in several processes, shard by shard, has exactly the tables of the plan made
whole: lines, unfilled orders with their codes and reasons, and the summary."""

from __future__ import annotations

import pandas as pd
import pytest

from allocation import (
    AllocationPolicy,
    Engine,
    ProtectionLevels,
    ResponseTimes,
    Tier,
    generate_world,
    load_snapshot,
)
from allocation.engine._shards import can_shard

pytestmark = pytest.mark.skipif(not can_shard(), reason="needs fork to share the snapshot")

POLICIES = {
    "default": AllocationPolicy(),
    "whole-orders": AllocationPolicy(partial_fills=False),
    "tier-ranks": AllocationPolicy(rank_tiers_within_standard=True),
    "protected": AllocationPolicy(protection=ProtectionLevels(default=1)),
    # Targets for PM orders only: some shards may have none, and join those that have.
    "targets": AllocationPolicy(response_hours=ResponseTimes(tier={Tier.PM: 24.0})),
}


@pytest.fixture(scope="module")
def world() -> object:
    return load_snapshot(generate_world(6000, 600, 12, 5, coverable_share=0.5))


@pytest.mark.parametrize("strategy", ["optimal", "fifo", "tier_greedy"])
@pytest.mark.parametrize("policy", list(POLICIES))
def test_tables_made_in_shards_are_the_tables_of_the_plan_made_whole(
    world: object, strategy: str, policy: str
) -> None:
    whole = Engine(world, POLICIES[policy]).plan(strategy).tables()  # type: ignore[arg-type]
    sharded = Engine(world, POLICIES[policy]).plan_tables(strategy, workers=3)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(sharded.lines, whole.lines, check_exact=True)
    pd.testing.assert_frame_equal(sharded.unfilled, whole.unfilled, check_exact=True)
    assert sharded.summary() == whole.summary()
    assert sharded.to_dict() == whole.to_dict()


def test_more_workers_than_part_groups_still_give_the_whole_plan() -> None:
    snapshot = load_snapshot("scenarios/example")
    whole = Engine(snapshot).plan().tables()
    sharded = Engine(snapshot).plan_tables(workers=8)
    pd.testing.assert_frame_equal(sharded.lines, whole.lines, check_exact=True)
    pd.testing.assert_frame_equal(sharded.unfilled, whole.unfilled, check_exact=True)


def test_workers_that_read_the_files_themselves_give_the_tables_of_one_reader(
    tmp_path: object,
) -> None:
    from pathlib import Path

    from allocation import write_world
    from allocation.engine import plan_tables_from

    folder = Path(str(tmp_path)) / "world"
    write_world(generate_world(3000, 300, 10, 9, coverable_share=0.5), folder, fmt="parquet")
    alone = plan_tables_from(lambda: load_snapshot(folder), strategy="optimal", workers=1)
    side_by_side = plan_tables_from(lambda: load_snapshot(folder), strategy="optimal", workers=2)
    pd.testing.assert_frame_equal(side_by_side.lines, alone.lines, check_exact=True)
    pd.testing.assert_frame_equal(side_by_side.unfilled, alone.unfilled, check_exact=True)
    assert side_by_side.summary() == alone.summary()


def test_a_snapshot_that_does_not_validate_fails_with_the_same_message_in_the_workers(
    tmp_path: object,
) -> None:
    import shutil
    from pathlib import Path

    from allocation import TableError
    from allocation.engine import plan_tables_from

    folder = Path(str(tmp_path)) / "bad"
    shutil.copytree("scenarios/example", folder)
    orders = (
        (folder / "orders.csv")
        .read_text()
        .replace("O-1002,C-ACME,FUSER-M5,1", "O-1002,C-ACME,FUSER-M5,-3")
    )
    (folder / "orders.csv").write_text(orders)
    messages = []
    for workers in (1, 2):
        with pytest.raises(TableError) as caught:
            plan_tables_from(lambda: load_snapshot(folder), workers=workers)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert "orders.csv" in messages[0]
    assert "'quantity', value '-3'" in messages[0]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_snapshot_read_in_parts_gives_the_orders_and_tables_of_one_reader(
    tmp_path: object, fmt: str
) -> None:
    from pathlib import Path

    import numpy as np

    from allocation import write_world
    from allocation.adapters.sharded_snapshot import SnapshotFiles

    folder = Path(str(tmp_path)) / "world"
    write_world(generate_world(2000, 200, 8, 3, coverable_share=0.5), folder, fmt=fmt)
    whole = load_snapshot(folder)
    files = SnapshotFiles(folder)
    outline = files.outline()
    assert list(outline.orders.columns) == ["part_number", "created_at", "ship_to_country"]
    files.check_orders()
    assert outline.as_of == whole.as_of
    for name in ("customers", "contracts", "parts", "depots", "stock", "inbound", "lanes"):
        pd.testing.assert_frame_equal(getattr(outline, name), getattr(whole, name))
    rows = np.sort(np.random.default_rng(5).choice(len(whole.orders), 700, replace=False))
    pd.testing.assert_frame_equal(
        files.orders(rows.astype(np.int64)), whole.orders.iloc[rows], check_exact=True
    )
    assert files.orders(np.zeros(0, dtype=np.int64)).empty


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_workers_that_each_read_their_own_orders_give_the_tables_of_one_reader(
    tmp_path: object, fmt: str
) -> None:
    from pathlib import Path

    from allocation import write_world
    from allocation.adapters.sharded_snapshot import SnapshotFiles
    from allocation.engine import plan_tables_from

    folder = Path(str(tmp_path)) / "world"
    write_world(generate_world(3000, 300, 10, 9, coverable_share=0.5), folder, fmt=fmt)
    alone = plan_tables_from(lambda: load_snapshot(folder), workers=1)
    in_parts = plan_tables_from(SnapshotFiles(folder), workers=2)
    pd.testing.assert_frame_equal(in_parts.lines, alone.lines, check_exact=True)
    pd.testing.assert_frame_equal(in_parts.unfilled, alone.unfilled, check_exact=True)
    assert in_parts.summary() == alone.summary()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # a column each shard reads for its own rows
        ("O-1002,C-ACME,FUSER-M5,1", "O-1002,C-ACME,FUSER-M5,-3", "'quantity', value '-3'"),
        ("O-1002,C-ACME,FUSER-M5,1", "O-1002,C-NOBODY,FUSER-M5,1", "unknown customer"),
        # columns every worker reads whole: an unknown part, an id used twice across parts
        ("O-1002,C-ACME,FUSER-M5,1", "O-1002,C-ACME,NO-SUCH-PART,1", "unknown part"),
        ("O-1002,C-ACME,FUSER-M5,1", "O-1001,C-ACME,FUSER-M5,1", "duplicate"),
    ],
)
def test_a_snapshot_read_in_parts_that_does_not_validate_fails_with_one_readers_message(
    tmp_path: object, old: str, new: str, expected: str
) -> None:
    import shutil
    from pathlib import Path

    from allocation import TableError
    from allocation.adapters.sharded_snapshot import SnapshotFiles
    from allocation.engine import plan_tables_from

    folder = Path(str(tmp_path)) / "bad"
    shutil.copytree("scenarios/example", folder)
    text = (folder / "orders.csv").read_text()
    assert old in text
    (folder / "orders.csv").write_text(text.replace(old, new))
    with pytest.raises(TableError) as alone:
        load_snapshot(folder)
    with pytest.raises(TableError) as in_parts:
        plan_tables_from(SnapshotFiles(folder), workers=2)
    assert str(in_parts.value) == str(alone.value)
    assert "orders.csv" in str(alone.value)
    assert expected in str(alone.value)
