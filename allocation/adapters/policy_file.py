"""The policy file: YAML whose sections set the engine's configurable interpretations.

::

    entitlement:
      site_country: ship_to            # or: customer
      pa_plus_installed_base_counts: pcs_and_printers   # or: pcs
      start_days_after_purchase: 30
      require_it_helpdesk: true
      enforce_installed_base: true

Unknown sections and keys are errors, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml

from allocation.domain.entitlement import EntitlementPolicy
from allocation.errors import PolicyError

__all__ = ["KNOWN_SECTIONS", "entitlement_policy_from", "load_policy_sections"]

KNOWN_SECTIONS = ("entitlement", "allocation")


def load_policy_sections(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read a policy file into its sections, each a mapping; raises :class:`PolicyError`."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read policy file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from exc
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise PolicyError(f"{path}: expected a mapping with sections {KNOWN_SECTIONS}")
    sections: dict[str, dict[str, Any]] = {}
    for name, body in raw.items():
        if name not in KNOWN_SECTIONS:
            raise PolicyError(
                f"{path}: unknown section {name!r} (known: {', '.join(KNOWN_SECTIONS)})"
            )
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise PolicyError(f"{path}: section {name!r} must be a mapping")
        sections[str(name)] = body
    return sections


def entitlement_policy_from(section: dict[str, Any], where: str = "policy") -> EntitlementPolicy:
    """Build an :class:`EntitlementPolicy` from a section, naming any unknown key."""
    known = {f.name for f in dataclasses.fields(EntitlementPolicy)}
    for key in section:
        if key not in known:
            raise PolicyError(
                f"{where}: entitlement.{key} is not an option (known: {', '.join(sorted(known))})"
            )
    try:
        return EntitlementPolicy(**section)
    except PolicyError as exc:
        raise PolicyError(f"{where}: {exc}") from None
