"""Writing results: a file appears whole or not at all, with the mode of any file written."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from allocation.entrypoints.output import atomic_write, write_frame
from allocation.errors import InputError

pytestmark = pytest.mark.fast


@pytest.fixture(params=[0o022, 0o027], ids=oct)
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    mask: int = request.param
    old = os.umask(mask)
    try:
        yield mask
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="file modes and the umask are POSIX")
@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_a_written_file_gets_the_mode_an_ordinary_file_gets_under_the_umask(
    tmp_path: Path, umask: int, suffix: str
) -> None:
    out = tmp_path / f"plan{suffix}"
    frame = pd.DataFrame({"order_id": ["O-1"], "quantity": [2]})
    write_frame(frame, out, [{"order_id": "O-1", "quantity": 2}])
    assert oct(_mode(out)) == oct(0o666 & ~umask)


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    out = tmp_path / "plan.csv"
    out.write_text("old\n")

    def fail(path: Path) -> None:
        path.write_text("half a")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(out, fail)
    assert out.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.csv"]


def test_tables_written_together_are_all_written_or_none(tmp_path: Path) -> None:
    from allocation.entrypoints.output import write_frames

    lines, unfilled = tmp_path / "plan.parquet", tmp_path / "plan.unfilled.parquet"
    lines.write_text("old lines")
    good = pd.DataFrame({"a": [1, 2]})
    with pytest.raises(InputError, match="unsupported output type"):
        write_frames([(good, lines), (good, tmp_path / "plan.unfilled.xlsx")])
    broken = good.assign(a=[object(), object()])  # Parquet cannot hold these
    with pytest.raises(Exception):  # noqa: B017, PT011 (pyarrow's own error)
        write_frames([(good, lines), (broken, unfilled)])
    assert lines.read_text() == "old lines"
    assert not unfilled.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.parquet"]
    write_frames([(good, lines), (good, unfilled)])
    assert pd.read_parquet(lines)["a"].tolist() == [1, 2]
    assert pd.read_parquet(unfilled)["a"].tolist() == [1, 2]
