"""``parts-priority entitle`` end to end, on the shipped example and on broken copies of it.

The expected outcomes below were worked out by hand from scenarios/example/*.csv and
docs/explanation/rules.md.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from allocation.entrypoints.cli import main

EXAMPLE = Path(__file__).resolve().parents[3] / "scenarios" / "example"

# order: (class, tier, a reason that decides it)
EXPECTED = {
    # Acme (US, 4,510 units): PM for PCs (K-100, 2024-03-10 to 2029-03-10), PA for printers.
    "O-1001": ("parts_priority", "PM", "parts priority: Priority Management in United States"),
    "O-1002": ("standard", "PA", "standard: Priority Access does not include parts priority"),
    "O-1003": ("standard", "PM", "no parts priority: Uruguay is excluded from parts priority"),
    "O-1004": ("standard", "standard", "product type 'server' is not covered"),
    # Globo (HQ Uruguay): no parts priority at home, parts priority at its US site.
    "O-1005": ("standard", "PM", "no parts priority: Uruguay is excluded from parts priority"),
    "O-1006": ("parts_priority", "PM", "parts priority: Priority Management in United States"),
    # Nordvik (Norway, PA+ with 1,050 units).
    "O-1007": ("standard", "PA+", "standard: Priority Access Plus does not include parts"),
    # Small Bakery: no contract and no help desk.
    "O-1008": ("standard", "standard", "no Priority Services contract covers PC units"),
    # Tokyo Retail: PA with 620 units.
    "O-1009": ("standard", "PA", "standard: Priority Access does not include parts priority"),
    # Sao Paulo: the 1-year PC contract expired on 2026-01-31; the unit is out of warranty too.
    "O-1010": ("standard", "standard", "expired on 2026-01-31"),
    "O-1011": ("parts_priority", "PM", "parts priority: Priority Management in Brazil"),
    # Lagos: 1-year PM from 2025-12-20 (purchase 2025-11-20 + 30 days).
    "O-1012": ("parts_priority", "PM", "parts priority: Priority Management in Nigeria"),
    "O-1013": ("standard", "standard", "Vietnam is outside the Priority Services coverage"),
    # Santo Domingo: written 多明尼加共和国, the exclusion list's spelling.
    "O-1014": (
        "standard",
        "PM",
        "no parts priority: Dominican Republic is excluded from parts priority",
    ),
    # Bern: 950 PCs + 40 printers = 990 < 1,000.
    "O-1015": ("standard", "standard", "installed base 990 is below the 1,000"),
    "O-1016": ("standard", "standard", "product type 'monitor' is not covered"),
}


def example_args(folder: Path = EXAMPLE) -> list[str]:
    return [
        "entitle",
        "--customers",
        str(folder / "customers.csv"),
        "--contracts",
        str(folder / "contracts.csv"),
        "--orders",
        str(folder / "orders.csv"),
    ]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def decisions(capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, dict[str, object]]:
    code, out, err = run(capsys, *example_args(), "--json", *extra)
    assert (code, err) == (0, "")
    return {record["order_id"]: record for record in json.loads(out)}


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "a folder long enough that rich would have wrapped it" / "example"
    shutil.copytree(EXAMPLE, folder)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


# --- the shipped example --------------------------------------------------------------------


def test_json_lists_one_decision_per_order_with_class_tier_and_reasons(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, *example_args(), "--json")
    assert code == 0
    records = json.loads(out)
    assert isinstance(records, list)
    orders = pd.read_csv(EXAMPLE / "orders.csv")
    assert [r["order_id"] for r in records] == orders["order_id"].tolist()
    for record in records:
        assert record["priority_class"] in ("parts_priority", "standard")
        assert record["tier"] in ("standard", "PA", "PA+", "PM")
        assert isinstance(record["reasons"], list)
        assert record["reasons"]
        assert all(isinstance(reason, str) for reason in record["reasons"])


@pytest.mark.parametrize("order_id", sorted(EXPECTED))
def test_each_example_order_gets_the_class_and_tier_the_rules_give_it(
    capsys: pytest.CaptureFixture[str], order_id: str
) -> None:
    record = decisions(capsys)[order_id]
    klass, tier, reason = EXPECTED[order_id]
    assert (record["priority_class"], record["tier"]) == (klass, tier)
    assert any(reason in r for r in record["reasons"]), record["reasons"]


def test_a_global_customer_is_decided_by_each_sites_country(
    capsys: pytest.CaptureFixture[str],
) -> None:
    records = decisions(capsys)
    assert (records["O-1005"]["country"], records["O-1006"]["country"]) == ("UY", "US")


def test_the_terminal_view_summarises_how_many_orders_have_parts_priority(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, *example_args())
    assert (code, err) == (0, "")
    assert "4 of 16 orders have parts priority; 12 are standard." in out
    # Whatever the rule: the excluded countries, and a PM customer's server and monitor.
    assert "8 order(s) of Priority Management contracts lost parts priority" in out
    assert "country excludes parts priority" in out
    assert "2  product not covered" in out


# --- deciding as of another day -------------------------------------------------------------


def test_deciding_before_a_contract_starts_takes_its_entitlement_away(
    capsys: pytest.CaptureFixture[str],
) -> None:
    records = decisions(capsys, "--on", "2025-12-01")
    lagos = records["O-1012"]  # K-600 starts on 2025-12-20
    assert (lagos["priority_class"], lagos["tier"]) == ("standard", "standard")
    assert any("starts on 2025-12-20, after 2025-12-01" in r for r in lagos["reasons"])
    acme_printer = records["O-1002"]  # K-101 starts on 2026-02-14
    assert acme_printer["tier"] == "standard"
    unchanged = records["O-1001"]
    assert (unchanged["priority_class"], unchanged["tier"]) == ("parts_priority", "PM")


def test_deciding_on_the_day_a_contract_ends_finds_it_expired(
    capsys: pytest.CaptureFixture[str],
) -> None:
    records = decisions(capsys, "--on", "2026-12-20")
    assert records["O-1012"]["priority_class"] == "standard"
    assert any("expired on 2026-12-20" in r for r in records["O-1012"]["reasons"])
    assert decisions(capsys, "--on", "2026-12-19")["O-1012"]["priority_class"] == "parts_priority"


def test_a_policy_deciding_by_the_customers_country_changes_the_global_customers_us_site(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("entitlement:\n  site_country: customer\n", encoding="utf-8")
    records = decisions(capsys, "--policy", str(policy))
    assert (records["O-1006"]["priority_class"], records["O-1006"]["country"]) == (
        "standard",
        "UY",
    )


# --- writing files --------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
def test_out_writes_one_decision_per_order(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, suffix: str
) -> None:
    target = tmp_path / f"decisions{suffix}"
    code, out, err = run(capsys, *example_args(), "--out", str(target))
    assert (code, err) == (0, "")
    assert "wrote 16 decisions" in out
    if suffix == ".json":
        table = pd.DataFrame(json.loads(target.read_text(encoding="utf-8")))
    elif suffix == ".csv":
        table = pd.read_csv(target)
    else:
        table = pd.read_parquet(target)
    assert table["order_id"].tolist() == sorted(EXPECTED)
    written = dict(
        zip(
            table["order_id"], zip(table["priority_class"], table["tier"], strict=True), strict=True
        )
    )
    assert written == {order_id: (k, t) for order_id, (k, t, _) in EXPECTED.items()}
    reasons = dict(zip(table["order_id"], table["reasons"], strict=True))
    assert "Uruguay is excluded from parts priority" in str(reasons["O-1003"])


def test_out_to_an_unknown_file_type_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, *example_args(), "--out", str(tmp_path / "decisions.xlsx"))
    assert code == 2
    assert "unsupported output type '.xlsx'" in err
    assert not (tmp_path / "decisions.xlsx").exists()


# --- bad input exits 2 ----------------------------------------------------------------------


def test_a_negative_quantity_exits_2_naming_the_file_and_the_row(
    capsys: pytest.CaptureFixture[str], example_copy: Path
) -> None:
    orders = example_copy / "orders.csv"
    edit(orders, "O-1007,C-NORD,SSD-512,3,", "O-1007,C-NORD,SSD-512,-3,")
    code, out, err = run(capsys, *example_args(example_copy))
    assert code == 2
    assert out == ""
    assert str(orders) in err
    assert "row 7 (line 8), column 'quantity', value '-3': must be > 0" in err


def test_a_value_that_looks_like_markup_is_reported_as_written(
    capsys: pytest.CaptureFixture[str], example_copy: Path
) -> None:
    edit(example_copy / "orders.csv", "workstation,yes,Uruguay", "workstation,yes,[/x]")
    code, _, err = run(capsys, *example_args(example_copy))
    assert code == 2
    assert "row 3 (line 4), column 'ship_to_country', value '[/x]'" in err


def test_an_order_of_an_unknown_customer_exits_2(
    capsys: pytest.CaptureFixture[str], example_copy: Path
) -> None:
    edit(example_copy / "orders.csv", "O-1008,C-SMALL,", "O-1008,C-NOBODY,")
    code, _, err = run(capsys, *example_args(example_copy))
    assert code == 2
    assert "row 8 (line 9), column 'customer_id', value 'C-NOBODY': unknown customer" in err


def test_a_missing_file_exits_2_naming_it(
    capsys: pytest.CaptureFixture[str], example_copy: Path
) -> None:
    (example_copy / "contracts.csv").unlink()
    code, _, err = run(capsys, *example_args(example_copy))
    assert code == 2
    assert str(example_copy / "contracts.csv") in err
    assert "no such file" in err


def test_a_bad_on_date_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *example_args(), "--on", "2025-13-01")
    assert code == 2
    assert out == ""
    assert "'2025-13-01' is not a date" in err


def test_json_and_out_together_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "decisions.csv"
    code, _, err = run(capsys, *example_args(), "--json", "--out", str(target))
    assert code == 2
    assert "use either --json or --out" in err
    assert not target.exists()


def test_a_policy_file_with_an_unknown_key_exits_2_naming_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("entitlement:\n  site_contry: customer\n", encoding="utf-8")
    code, _, err = run(capsys, *example_args(), "--policy", str(policy))
    assert code == 2
    assert "entitlement.site_contry is not an option" in err


def test_a_policy_file_with_a_bad_value_exits_2_naming_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("entitlement:\n  require_it_helpdesk: 'no'\n", encoding="utf-8")
    code, _, err = run(capsys, *example_args(), "--policy", str(policy))
    assert code == 2
    assert "entitlement.require_it_helpdesk must be true or false, got 'no'" in err


def test_a_missing_required_option_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "entitle", "--customers", str(EXAMPLE / "customers.csv"))
    assert code == 2
    assert "--contracts" in err or "--orders" in err


# --- the installed console script -----------------------------------------------------------


def console_script() -> Path:
    script = Path(sys.executable).with_name("parts-priority")
    if not script.exists():
        found = shutil.which("parts-priority")
        assert found, f"the parts-priority console script is not installed next to {sys.executable}"
        script = Path(found)
    return script


def test_the_installed_command_prints_the_example_decisions_as_json(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(console_script()), *example_args(), "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    records = {r["order_id"]: r for r in json.loads(result.stdout)}
    assert {o: (r["priority_class"], r["tier"]) for o, r in records.items()} == {
        order_id: (k, t) for order_id, (k, t, _) in EXPECTED.items()
    }


def test_the_installed_command_exits_2_on_a_bad_row(tmp_path: Path, example_copy: Path) -> None:
    orders = example_copy / "orders.csv"
    edit(orders, "O-1007,C-NORD,SSD-512,3,", "O-1007,C-NORD,SSD-512,-3,")
    result = subprocess.run(
        [str(console_script()), *example_args(example_copy)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert str(orders) in result.stderr
    assert "row 7 (line 8)" in result.stderr
    assert "Traceback" not in result.stderr


# --- product types the rules do not know ------------------------------------------------------


def test_a_typo_in_a_product_type_exits_2_naming_each_order_and_the_type_meant(
    capsys: pytest.CaptureFixture[str], example_copy: Path
) -> None:
    orders = example_copy / "orders.csv"
    text = orders.read_text().replace(",notebook,", ",notebok,").replace(",desktop,", ",laptop,")
    orders.write_text(text)
    for command in (example_args(example_copy), ["allocate", "--snapshot", str(example_copy)]):
        code, out, err = run(capsys, *command)
        assert code == 2
        assert out == ""
        assert "unknown product type 'notebok' (did you mean 'notebook'?)" in err
        assert "unknown product type 'laptop'" in err
        assert "order 'O-1001'" in err


def test_a_policy_takes_unknown_product_types_as_not_covered(
    capsys: pytest.CaptureFixture[str], example_copy: Path, tmp_path: Path
) -> None:
    orders = example_copy / "orders.csv"
    orders.write_text(orders.read_text().replace(",notebook,", ",laptop,"))
    policy = tmp_path / "policy.yaml"
    policy.write_text("entitlement:\n  unknown_product_types: uncovered\n")
    code, out, err = run(capsys, *example_args(example_copy), "--policy", str(policy), "--json")
    assert (code, err) == (0, "")
    laptop = {r["order_id"]: r for r in json.loads(out)}["O-1001"]
    assert laptop["priority_class"] == "standard"
    assert "product" in laptop["failed_rules"]
