"""What several commands take: option types, and the checks and readers of their values
(dates, policy files, strategy names) that answer a bad value with a usage error naming
the option.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from allocation.domain.entitlement import EntitlementPolicy
    from allocation.domain.policy import AllocationPolicy


def parse_day(value: str | None, option: str = "--on") -> date | None:
    """An ISO date from the command line, or a usage error naming it and its option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (use YYYY-MM-DD)", param_hint=option
        ) from None


def policies(path: Path | None) -> tuple[EntitlementPolicy, AllocationPolicy]:
    """Both sections of a policy file, or the data sheet's defaults."""
    from allocation.adapters.policy_file import (
        allocation_policy_from,
        entitlement_policy_from,
        load_policy_sections,
    )
    from allocation.domain.entitlement import EntitlementPolicy
    from allocation.domain.policy import AllocationPolicy

    if path is None:
        return EntitlementPolicy(), AllocationPolicy()
    sections = load_policy_sections(path)
    where = str(path)
    alloc = (
        allocation_policy_from(sections["allocation"], where, base_dir=path.parent)
        if "allocation" in sections
        else AllocationPolicy()
    )
    return entitlement_policy_from(sections.get("entitlement", {}), where), alloc


def known_strategy(name: str, option: str = "--strategy", noun: str = "strategy") -> str:
    """``name`` if it is an allocation strategy, else a usage error naming the option, the
    value and the strategies there are (``noun``: what the option calls one)."""
    from allocation.allocate import STRATEGIES

    if name not in STRATEGIES:
        raise typer.BadParameter(
            f"unknown {noun} {name!r} (use one of {', '.join(STRATEGIES)})", param_hint=option
        )
    return name


PolicyFile = Annotated[
    Path | None,
    typer.Option(metavar="FILE", help="policy YAML (sections 'entitlement', 'allocation')"),
]
EntitlementPolicyFile = Annotated[
    Path | None, typer.Option(metavar="FILE", help="policy YAML (section 'entitlement')")
]
SnapshotDir = Annotated[
    Path, typer.Option(metavar="DIR", help="snapshot folder (one file per table)")
]
Strategy = Annotated[
    str, typer.Option(metavar="STRATEGY", help="optimal (default), fifo or tier_greedy")
]
AsJsonDocument = Annotated[bool, typer.Option("--json", help="print one JSON document")]
AsJsonArray = Annotated[bool, typer.Option("--json", help="print one JSON array")]
ReportRun = Annotated[
    Path | None,
    typer.Option(metavar="DIR", help="a folder that `simulate SCENARIO --out DIR` wrote"),
]
