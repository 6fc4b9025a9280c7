"""The allocation commands for people: marginal values that read as gains, money with its
currency, errors that name the option the user typed, never a minus zero."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from allocation import AllocationPolicy, PolicyError
from allocation.entrypoints import format_number
from allocation.entrypoints.cli import main
from allocation.entrypoints.views import show_marginal
from tests.cli_run import Run, run_main

EXAMPLE = Path(__file__).resolve().parents[2] / "scenarios" / "example"


def run(*argv: str) -> Run:
    """``parts-priority ARGV`` in this process, with its stdout and stderr."""
    return run_main(main, *argv)


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # no header or cell wrapped over two lines


def policy_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def cells(text: str, first: str) -> list[str]:
    """The cells of the table row whose first cell is ``first``."""
    for line in text.splitlines():
        parts = [p.strip() for p in line.split("│")[1:-1]]
        if parts and parts[0] == first:
            return parts
    raise AssertionError(f"no row {first!r} in\n{text}")


# -- marginal -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def marginal() -> Run:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "200")
        return run("marginal", "--snapshot", str(EXAMPLE), "--top", "50")


def test_marginal_says_in_its_headers_that_more_is_better(marginal: Run) -> None:
    assert marginal.code == 0, marginal.err
    assert "in every column more is better" in marginal.out
    for header in (
        "parts priority units gained",
        "parts priority ETA unit-h saved",
        "standard units gained",
        "money saved (USD)",
    ):
        assert header in marginal.out


def test_marginal_prints_whole_units_whole_and_hours_saved_as_a_gain(marginal: Run) -> None:
    # One more fuser at D-BR: a standard order gets a unit, parts-priority orders get theirs
    # 28 hours sooner (their ETA hours fall by 28) and the plan costs 6 less.
    row = cells(marginal.out, "FUSER-M5")

    assert row == ["FUSER-M5", "D-BR", "0", "+28.0", "+1", "-8.0", "+6.00"]
    assert "+1.0" not in marginal.out
    assert "+0" not in marginal.out


def test_marginal_leaves_out_pairs_where_one_more_unit_buys_nothing_and_counts_them(
    marginal: Run,
) -> None:
    rows = [line for line in marginal.out.splitlines() if "│ D-" in line]

    assert len(rows) == 6  # of the 8 pairs tried
    assert "D-US" not in " ".join(r for r in rows if "MB-Z4" in r)
    assert "2 part × depot pair(s) where one more unit buys nothing left out" in marginal.out


def test_marginal_json_keeps_every_pair_and_the_engines_signs() -> None:
    result = run("marginal", "--snapshot", str(EXAMPLE), "--top", "50", "--json")

    rows = json.loads(result.out)
    assert len(rows) == 8
    fuser = next(r for r in rows if (r["part_number"], r["depot_id"]) == ("FUSER-M5", "D-BR"))
    assert fuser["parts_priority_eta_hours"] == -28.0
    assert fuser["cost"] == -6.0


def test_a_marginal_table_of_negative_zeros_prints_no_minus_zero() -> None:
    values = pd.DataFrame(
        {
            "part_number": ["P-1"],
            "depot_id": ["D-1"],
            "parts_priority_units": [1.0],
            "parts_priority_eta_hours": [0.0],  # sign reversed: -0.0
            "standard_units": [-0.0],
            "standard_eta_hours": [-0.04],
            "cost": [0.0],
        }
    )
    screen = io.StringIO()

    show_marginal(Console(file=screen, width=200), values)

    text = screen.getvalue()
    assert cells(text, "P-1") == ["P-1", "D-1", "+1", "0.0", "0", "0.0", "0.00"]
    assert "-0" not in text


def test_a_number_that_rounds_to_zero_prints_without_a_sign() -> None:
    assert format_number(-0.0) == "0.0"
    assert format_number(-0.04, signed=True) == "0.0"
    assert format_number(-0.4, 0) == "0"
    assert format_number(2.5, 1, signed=True) == "+2.5"


# -- currency -----------------------------------------------------------------------------------


def test_allocate_shows_money_in_usd_by_default() -> None:
    result = run("allocate", "--snapshot", str(EXAMPLE))

    assert result.code == 0, result.err
    assert "cost (USD)" in result.out


def test_the_policy_files_currency_labels_the_money(tmp_path: Path) -> None:
    policy = policy_file(tmp_path, "allocation:\n  currency: eur\n")

    result = run("allocate", "--snapshot", str(EXAMPLE), "--policy", str(policy))
    marginal = run("marginal", "--snapshot", str(EXAMPLE), "--policy", str(policy))

    assert result.code == marginal.code == 0, result.err + marginal.err
    assert "cost (EUR)" in result.out
    assert "money saved (EUR)" in marginal.out
    assert "USD" not in result.out + marginal.out


def test_a_policy_currency_that_is_no_iso_code_exits_2_naming_the_field(tmp_path: Path) -> None:
    policy = policy_file(tmp_path, "allocation:\n  currency: XYZ\n")

    result = run("allocate", "--snapshot", str(EXAMPLE), "--policy", str(policy))

    assert result.code == 2
    assert f"{policy}: allocation.currency: 'XYZ' is not an ISO 4217 currency code" in result.err
    assert result.out == ""


def test_the_allocation_policy_takes_only_iso_currency_codes() -> None:
    assert AllocationPolicy().currency == "USD"
    assert AllocationPolicy(currency="JPY").currency == "JPY"
    with pytest.raises(PolicyError, match=r"allocation\.currency: 'usd' is not an ISO 4217"):
        AllocationPolicy(currency="usd")


# -- errors that name the option ----------------------------------------------------------------


def test_generate_into_a_folder_with_files_says_to_pass_the_overwrite_option(
    tmp_path: Path,
) -> None:
    (tmp_path / "keep.txt").write_text("mine")

    result = run("generate", "--out", str(tmp_path), "--orders", "5", "--parts", "3")

    assert result.code == 2
    assert "folder is not empty (pass --overwrite to replace tables)" in result.err
    assert "overwrite=True" not in result.err
    assert (tmp_path / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize(
    ("argv", "option", "value"),
    [
        (["allocate", "--snapshot", str(EXAMPLE), "--strategy", "best"], "--strategy", "'best'"),
        (
            [
                "entitle",
                "--customers", str(EXAMPLE / "customers.csv"),
                "--contracts", str(EXAMPLE / "contracts.csv"),
                "--orders", str(EXAMPLE / "orders.csv"),
                "--on", "2024-13-01",
            ],
            "--on",
            "'2024-13-01'",
        ),
        (["generate", "--out", "x", "--format", "xlsx"], "--format", "'xlsx'"),
    ],
)  # fmt: skip
def test_a_bad_value_is_reported_with_its_option_and_the_value(
    argv: list[str], option: str, value: str
) -> None:
    result = run(*argv)

    assert result.code == 2, result.err
    assert f"Invalid value for {option}: " in result.err
    assert value in result.err
