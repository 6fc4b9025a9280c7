"""The JSON Schema of scenario files, exported from the pydantic models for editors.

``scenarios/schema.json`` is generated, never edited by hand::

    python -m simulation.scenario.schema            # rewrite scenarios/schema.json
    python -m simulation.scenario.schema --check    # exit 1 if it is out of date
    parts-priority scenario-schema --out FILE       # the same from the CLI

Scenario files point editors at it with a first line
``# yaml-language-server: $schema=schema.json`` (the YAML language server of VS Code and
other editors then completes and checks fields as you type).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_PATH",
    "check_schema",
    "scenario_schema",
    "schema_text",
    "undocumented_fields",
    "write_schema",
]

DEFAULT_PATH = Path("scenarios/schema.json")
"""Where the repository keeps the exported schema (relative to its root)."""

# The models load when a schema is made: the CLI reads DEFAULT_PATH for its help at once.


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) that every scenario file satisfies.

    Examples
    --------
    >>> schema = scenario_schema()
    >>> schema["$schema"], schema["required"][:2]
    ('https://json-schema.org/draft/2020-12/schema', ['version', 'name'])
    """
    from simulation.scenario.model import SCHEMA_VERSION, Scenario

    schema = Scenario.model_json_schema(mode="validation")
    _describe("Scenario", schema)
    for name, definition in schema.get("$defs", {}).items():
        _describe(name, definition)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": "Parts Priority scenario",
        "description": (
            "A shortage scenario for the Parts Priority simulator (version "
            f"{SCHEMA_VERSION}). Times are days from the start unless a field says hours. "
            "Generated from simulation/scenario/model.py: python -m simulation.scenario.schema"
        ),
    }


def undocumented_fields() -> list[str]:
    """``Model.field`` names in the schema without a description in :data:`FIELD_DOCS`."""
    from simulation.scenario.fields import FIELD_DOCS
    from simulation.scenario.model import Scenario

    schema = Scenario.model_json_schema(mode="validation")
    models = {"Scenario": schema, **schema.get("$defs", {})}
    return [
        f"{name}.{field}"
        for name, definition in models.items()
        for field in definition.get("properties", {})
        if f"{name}.{field}" not in FIELD_DOCS
    ]


def _describe(name: str, definition: dict[str, Any]) -> None:
    """Put the field descriptions (with units) in place of pydantic's generated titles."""
    from simulation.scenario.fields import FIELD_DOCS, MODEL_DOCS

    if name in MODEL_DOCS:
        definition["description"] = MODEL_DOCS[name]
    for field, spec in definition.get("properties", {}).items():
        text = FIELD_DOCS.get(f"{name}.{field}")
        if text is not None:
            spec["description"] = text


def schema_text() -> str:
    """The schema as the committed file holds it: indented JSON, keys in model order."""
    return json.dumps(scenario_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: str | Path = DEFAULT_PATH) -> Path:
    """Write the schema to ``path`` atomically; return the path."""
    from allocation.adapters import atomic_write

    target = Path(path)
    text = schema_text()

    def write(temporary: Path) -> None:
        temporary.write_text(text, encoding="utf-8")

    atomic_write(target, write)
    return target


def check_schema(path: str | Path = DEFAULT_PATH) -> bool:
    """Whether the file at ``path`` is the schema the models give today."""
    try:
        return Path(path).read_text(encoding="utf-8") == schema_text()
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    """``python -m simulation.scenario.schema [--check] [--out PATH]``."""
    parser = argparse.ArgumentParser(
        prog="python -m simulation.scenario.schema",
        description="Export the scenario files' JSON Schema.",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH, help="file to write or check")
    parser.add_argument("--check", action="store_true", help="only check that it is current")
    args = parser.parse_args(argv)
    if args.check:
        if check_schema(args.out):
            print(f"{args.out} is up to date")
            return 0
        print(
            f"{args.out} is out of date: run python -m simulation.scenario.schema",
            file=sys.stderr,
        )
        return 1
    print(f"wrote {write_schema(args.out)}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
