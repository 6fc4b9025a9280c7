"""The entitlement audit finds each condition at risk in a world built for it, and nothing
where nothing is at risk."""

from __future__ import annotations

import importlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from allocation import load_entitlement_inputs
from allocation.audit import AUDIT_CODES, AuditReport, audit
from allocation.entrypoints.cli import main
from tests.allocation.rules_md import PA_PLUS_PC_1Y, PM_PC_1Y, PM_PRINT_1Y

DAY = date(2026, 6, 1)


def _customer(cid: str, country: str = "US", pcs: int = 1500, printers: int = 0) -> dict[str, Any]:
    return {
        "customer_id": cid,
        "name": cid,
        "country": country,
        "installed_base_pcs": pcs,
        "installed_base_printers": printers,
        "has_it_helpdesk": True,
    }


def _contract(
    kid: str, cid: str, sku: str = PM_PC_1Y, bought: str = "2026-01-01", **more: Any
) -> dict[str, Any]:
    return {"contract_id": kid, "customer_id": cid, "sku": sku, "purchase_date": bought} | more


def _order(oid: str, cid: str, product: str = "desktop", ship_to: str | None = None) -> dict:
    return {
        "order_id": oid,
        "customer_id": cid,
        "part_number": "P1",
        "quantity": 1,
        "created_at": "2026-05-30T10:00:00",
        "product_type": product,
        "warranty_valid": True,
        "ship_to_country": ship_to,
    }


def _audit(
    customers: list[dict[str, Any]],
    contracts: list[dict[str, Any]],
    orders: list[dict[str, Any]] | None = None,
    **options: Any,
) -> AuditReport:
    contract_columns = ["contract_id", "customer_id", "sku", "purchase_date"]
    inputs = load_entitlement_inputs(
        pd.DataFrame(customers),
        pd.DataFrame(contracts, columns=None if contracts else contract_columns),
        pd.DataFrame(orders) if orders else None,
    )
    return audit(inputs, on=DAY, **options)


def _codes(report: AuditReport) -> list[tuple[str, str]]:
    return [(f.customer_id, f.code) for f in report.findings]


def test_a_healthy_customer_base_has_no_finding() -> None:
    report = _audit([_customer("C1")], [_contract("K1", "C1")], [_order("O1", "C1")])
    assert report.findings == ()
    assert report.summary()["customers_with_findings"] == 0


def test_contracts_that_cover_less_than_the_installed_base_are_found() -> None:
    report = _audit(
        [_customer("C1", pcs=1500)],
        [_contract("K1", "C1", covered_units=1000), _contract("K2", "C1", covered_units=200)],
    )
    (finding,) = report.findings
    assert finding.code == "coverage_below_base"
    assert finding.numbers == {
        "family": "pc",
        "covered_units": 1200,
        "installed_base": 1500,
        "share": 0.8,
    }
    assert "cover 1,200 of 1,500 in-warranty PCs" in finding.message


def test_a_blank_covered_units_takes_the_whole_installed_base_as_covered() -> None:
    report = _audit(
        [_customer("C1", pcs=1500)],
        [_contract("K1", "C1", covered_units=1000), _contract("K2", "C1")],
    )
    assert report.findings == ()


def test_an_installed_base_below_or_near_its_minimum_is_found_with_the_margin_chosen() -> None:
    customers = [_customer("LOW", pcs=990), _customer("NEAR", pcs=1050), _customer("OK", pcs=1200)]
    contracts = [_contract(f"K-{c}", c) for c in ("LOW", "NEAR", "OK")]
    assert _codes(_audit(customers, contracts)) == [
        ("LOW", "installed_base_below_minimum"),
        ("NEAR", "installed_base_near_minimum"),
    ]
    wider = _codes(_audit(customers, contracts, margin=0.25))
    assert ("OK", "installed_base_near_minimum") in wider


def test_pa_plus_counts_printers_with_pcs_as_the_footnote_says() -> None:
    report = _audit(
        [_customer("C1", pcs=600, printers=500)], [_contract("K1", "C1", PA_PLUS_PC_1Y)]
    )
    assert report.findings == ()


def test_a_contract_ending_within_the_horizon_is_found() -> None:
    # Bought 2025-07-01: active from 2025-07-31 to 2026-07-31, 60 days after 2026-06-01.
    report = _audit([_customer("C1")], [_contract("K1", "C1", bought="2025-07-01")])
    (finding,) = report.findings
    assert finding.code == "contract_expiring"
    assert finding.numbers == {"contract_id": "K1", "ends": "2026-07-31", "days": 60}
    assert (
        _audit(
            [_customer("C1")], [_contract("K1", "C1", bought="2025-07-01")], expiring_days=59
        ).findings
        == ()
    )


def test_a_contract_bought_but_not_started_is_found_while_orders_are_open() -> None:
    customers = [_customer("C1")]
    contracts = [_contract("K-OLD", "C1"), _contract("K-NEW", "C1", PM_PRINT_1Y, "2026-05-20")]
    assert _audit(customers, contracts).findings == ()  # no open orders: nothing waits
    report = _audit(customers, contracts, [_order("O1", "C1")])
    (finding,) = report.findings
    assert finding.code == "contract_not_yet_active"
    assert finding.numbers == {"contract_id": "K-NEW", "starts": "2026-06-19", "open_orders": 1}


def test_a_pm_customer_in_an_excluded_country_is_found_by_its_site_or_its_orders() -> None:
    customers = [_customer("UY-HQ", country="Uruguay"), _customer("US-HQ")]
    contracts = [_contract("K1", "UY-HQ"), _contract("K2", "US-HQ")]
    orders = [_order("O1", "US-HQ", ship_to="EC"), _order("O2", "US-HQ", ship_to="EC")]
    report = _audit(customers, contracts, orders)
    assert [(f.customer_id, f.numbers) for f in report.findings] == [
        ("US-HQ", {"country": "EC", "orders": 2}),
        ("UY-HQ", {"country": "UY", "orders": 0}),
    ]
    standard = _audit([_customer("UY-HQ", "Uruguay")], [_contract("K1", "UY-HQ", PA_PLUS_PC_1Y)])
    assert standard.findings == ()  # no parts priority to lose


def test_orders_for_products_not_covered_are_found() -> None:
    orders = [_order("O1", "C1", "server"), _order("O2", "C1", "monitor"), _order("O3", "C1")]
    report = _audit([_customer("C1")], [_contract("K1", "C1")], orders)
    (finding,) = report.findings
    assert finding.code == "uncovered_products_ordered"
    assert finding.numbers == {"products": {"server": 1, "monitor": 1}, "orders": 2}


def test_every_code_is_documented_in_the_module_and_each_finding_lists_in_that_order() -> None:
    module = importlib.import_module("allocation.audit")  # the module, not the function
    assert all(f"``{code}``" in (module.__doc__ or "") for code in AUDIT_CODES)


def test_the_audit_command_prints_json_and_exits_2_on_a_bad_margin(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    example = Path(__file__).resolve().parents[2] / "scenarios" / "example"
    args = [
        "audit",
        "--customers",
        str(example / "customers.csv"),
        "--contracts",
        str(example / "contracts.csv"),
        "--orders",
        str(example / "orders.csv"),
        "--on",
        "2026-11-12",
    ]
    assert main([*args, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["summary"]["by_code"]["pm_in_excluded_country"] == 3
    assert {f["code"] for f in document["findings"]} <= set(AUDIT_CODES)
    assert main([*args, "--margin", "2"]) == 2
    assert "--margin" in capsys.readouterr().err
    out = tmp_path / "audit.csv"
    assert main([*args, "--out", str(out)]) == 0
    assert len(pd.read_csv(out)) == len(document["findings"])
