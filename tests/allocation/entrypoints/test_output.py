"""Writing results: a file appears whole or not at all, with the mode of any file written."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from allocation.entrypoints.output import atomic_write, write_frame


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
