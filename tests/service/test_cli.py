"""The ``load`` command: a snapshot into the service's database, once, or replaced; and
``serve``'s refusal of options it cannot use."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from allocation.adapters.store import make_engine, schema
from allocation.adapters.store.database import run_read
from allocation.entrypoints.cli import main
from tests.service.helpers import ledger_problems

EXAMPLE = Path(__file__).resolve().parents[2] / "scenarios" / "example"


def test_load_fills_a_fresh_database_and_refuses_to_load_twice(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["load", "--snapshot", str(EXAMPLE), "--db", db_url]) == 0
    assert "open orders" in capsys.readouterr().out
    assert main(["load", "--snapshot", str(EXAMPLE), "--db", db_url]) == 2
    assert "--replace" in capsys.readouterr().err
    assert main(["load", "--snapshot", str(EXAMPLE), "--db", db_url, "--replace"]) == 0
    engine = make_engine(db_url)
    count = run_read(
        engine, lambda c: c.execute(select(func.count()).select_from(schema.orders)).scalar_one()
    )
    assert count == 16
    assert ledger_problems(engine) == []
    engine.dispose()


def test_load_of_a_missing_folder_exits_2_naming_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert main(["load", "--snapshot", str(tmp_path / "nowhere"), "--db", url]) == 2


def test_serve_with_an_unknown_writer_exits_2_naming_the_choices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARTS_PRIORITY_TOKEN", "serve-token-0123456789")
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert main(["serve", "--db", url, "--writer", "fork"]) == 2
    assert "writer must be one of process, thread, got 'fork'" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()  # refused before anything was started
