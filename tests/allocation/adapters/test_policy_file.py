"""The policy file's ``allocation`` section: what it sets, and errors that name the culprit."""

from __future__ import annotations

from pathlib import Path

import pytest

from allocation.adapters.policy_file import allocation_policy_from, load_policy_sections
from allocation.domain.model import PriorityClass, SourceKind
from allocation.domain.policy import AllocationPolicy, default_allowed_sources
from allocation.errors import PolicyError

pytestmark = pytest.mark.fast

PP, STD = PriorityClass.PARTS_PRIORITY, PriorityClass.STANDARD


def _policy(tmp_path: Path, text: str) -> AllocationPolicy:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return allocation_policy_from(load_policy_sections(path).get("allocation", {}), str(path))


def test_the_allocation_section_sets_sources_switches_and_numbers(tmp_path: Path) -> None:
    policy = _policy(
        tmp_path,
        """
allocation:
  allowed_sources:
    parts_priority: [stock, transfer, inbound, expedite]
    standard: [stock, transfer, inbound]
  preemption: false
  partial_fills: false
  substitutes: false
  rank_tiers_within_standard: true
  eta_resolution_hours: 0.5
  min_success_probability: 0.75
""",
    )
    assert policy.allowed_sources[PP] == {
        SourceKind.STOCK,
        SourceKind.TRANSFER,
        SourceKind.INBOUND,
        SourceKind.EXPEDITE,
    }
    assert policy.allows(STD, SourceKind.TRANSFER)
    assert not policy.allows(STD, SourceKind.BROKER)
    assert not policy.allows(PP, SourceKind.BROKER)
    assert (policy.preemption, policy.partial_fills, policy.substitutes) == (False, False, False)
    assert policy.rank_tiers_within_standard is True
    assert policy.eta_resolution_hours == 0.5
    assert policy.min_success_probability == 0.75


def test_no_allocation_section_gives_the_data_sheets_defaults(tmp_path: Path) -> None:
    assert _policy(tmp_path, "entitlement:\n  site_country: ship_to\n") == AllocationPolicy()
    assert _policy(tmp_path, "allocation:\n") == AllocationPolicy()
    assert _policy(tmp_path, "") == AllocationPolicy()


def test_the_default_lets_only_parts_priority_use_special_means(tmp_path: Path) -> None:
    policy = _policy(tmp_path, "allocation: {}\n")
    assert policy.allowed_sources == default_allowed_sources()
    assert policy.allowed_sources[STD] == {SourceKind.STOCK, SourceKind.INBOUND}
    assert policy.allowed_sources[PP] == frozenset(SourceKind)


def test_a_class_left_out_of_allowed_sources_keeps_its_default(tmp_path: Path) -> None:
    policy = _policy(tmp_path, "allocation:\n  allowed_sources:\n    standard: [stock]\n")
    assert policy.allowed_sources[STD] == {SourceKind.STOCK}
    assert policy.allowed_sources[PP] == frozenset(SourceKind)


def test_an_integer_counts_as_a_number(tmp_path: Path) -> None:
    assert _policy(tmp_path, "allocation:\n  eta_resolution_hours: 1\n").eta_resolution_hours == 1


@pytest.mark.parametrize(
    ("text", "named"),
    [
        pytest.param("allocaton:\n  preemption: true\n", "allocaton", id="unknown-section"),
        pytest.param("allocation:\n  premption: true\n", "allocation.premption", id="unknown-key"),
        pytest.param(
            "allocation:\n  allowed_sources:\n    gold: [stock]\n", "gold", id="unknown-class"
        ),
        pytest.param(
            "allocation:\n  allowed_sources:\n    standard: [stock, teleport]\n",
            "teleport",
            id="unknown-kind",
        ),
        pytest.param(
            "allocation:\n  allowed_sources:\n    standard: stock\n",
            "allowed_sources.standard must be a list",
            id="kinds-not-a-list",
        ),
        pytest.param(
            "allocation:\n  allowed_sources: [stock]\n",
            "allowed_sources must map classes",
            id="sources-not-a-mapping",
        ),
        pytest.param(
            "allocation:\n  partial_fills: maybe\n",
            "partial_fills must be true or false",
            id="flag-not-a-bool",
        ),
        pytest.param(
            "allocation:\n  broker_backup: yes please\n",
            "broker_backup must be true or false",
            id="backup-not-a-bool",
        ),
        pytest.param(
            "allocation:\n  preemption: 1\n", "preemption must be true or false", id="flag-is-1"
        ),
        pytest.param(
            "allocation:\n  eta_resolution_hours: fast\n",
            "eta_resolution_hours must be a number",
            id="number-is-text",
        ),
        pytest.param(
            "allocation:\n  min_success_probability: true\n",
            "min_success_probability must be a number",
            id="number-is-a-bool",
        ),
        pytest.param(
            "allocation:\n  eta_resolution_hours: 0\n", "eta_resolution_hours", id="zero-tick"
        ),
        pytest.param(
            "allocation:\n  eta_resolution_hours: 25\n", "eta_resolution_hours", id="tick-too-big"
        ),
        pytest.param(
            "allocation:\n  min_success_probability: 1.5\n",
            "min_success_probability",
            id="probability-above-one",
        ),
        pytest.param("allocation: [1, 2]\n", "'allocation' must be a mapping", id="section-list"),
        pytest.param("- allocation\n", "expected a mapping", id="top-level-list"),
        pytest.param("allocation: {preemption: [\n", "not valid YAML", id="bad-yaml"),
    ],
)
def test_a_bad_policy_file_is_a_policy_error_naming_the_file_and_the_culprit(
    tmp_path: Path, text: str, named: str
) -> None:
    with pytest.raises(PolicyError) as raised:
        _policy(tmp_path, text)
    message = str(raised.value)
    assert named in message
    assert str(tmp_path / "policy.yaml") in message


def test_a_policy_file_that_does_not_exist_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read policy file"):
        load_policy_sections(tmp_path / "missing.yaml")


def test_a_policy_without_an_entry_for_a_class_is_refused() -> None:
    with pytest.raises(PolicyError, match="no entry for class 'standard'"):
        AllocationPolicy(allowed_sources={PP: frozenset(SourceKind)})
