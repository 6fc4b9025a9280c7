"""MkDocs hook: the reference pages are generated from the code at build time.

A page asks for a generated part with a marker on a line of its own; the hook replaces it:

- ``<!-- generated: cli -->``: every command of ``parts-priority``, from the typer app's
  click command tree (usage, help, arguments and options);
- ``<!-- generated: tables -->``: the input tables, from the column specs of
  :mod:`allocation.adapters.tables`;
- ``<!-- generated: scenario-schema -->``: the scenario format, from ``scenarios/schema.json``
  (which a test keeps equal to the pydantic models);
- ``<!-- generated: http-api -->``: the HTTP routes, from the FastAPI app's OpenAPI document
  (the app is built over a database file that is never created, and never served); the
  document itself is added to the site as ``reference/openapi.json``;
- ``<!-- generated: python-allocation -->`` (and ``python-simulation``): mkdocstrings
  directives for every public name of the package, which mkdocstrings then renders from the
  docstrings.

The protection demo (``docs/protection-demo.md``) is written by its own script; a checkout
without it gets a placeholder page, so that the site still builds and its links hold.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parents[2]
_MARKER = re.compile(r"^<!-- generated: ([a-z-]+) -->$", flags=re.MULTILINE)
_DEMO = "protection-demo.md"
_DEMO_PLACEHOLDER = """# Protection demo

The protection demo writes this page (`docs/protection-demo.md`); this checkout does not
have it yet. [Protection levels](guide/what-if.md#protection-levels) and the
[notebooks](guide/notebooks.md) show the same ideas.
"""


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the OpenAPI document, and a placeholder for the protection demo if it is missing."""
    openapi = json.dumps(_openapi(), indent=2) + "\n"
    files.append(File.generated(config, "reference/openapi.json", content=openapi))
    if files.get_file_from_path(_DEMO) is None:
        files.append(File.generated(config, _DEMO, content=_DEMO_PLACEHOLDER))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Replace each ``<!-- generated: NAME -->`` marker with its generated Markdown."""

    def generated(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in _GENERATORS:
            raise ValueError(f"{page.file.src_uri}: unknown generated part {name!r}")
        return _GENERATORS[name]()

    return _MARKER.sub(generated, markdown)


# -- the command line ------------------------------------------------------------------------


@cache
def cli_reference() -> str:
    import typer

    from simulation.entrypoints.cli import app

    # Typer carries its own copy of click: the tree is read by duck typing, not isinstance.
    root: Any = typer.main.get_command(app)
    context = root.context_class(root, info_name="parts-priority")
    parts = [
        f"`parts-priority` — {_clean(root.help)}",
        "",
        "| command | what it does |",
        "|---|---|",
    ]
    names = root.list_commands(context)
    commands = {name: root.get_command(context, name) for name in names}
    for name, command in commands.items():
        if command is not None and not command.hidden:
            parts.append(f"| [`{name}`](#{name}) | {_cell(command.get_short_help_str(200))} |")
    for name, command in commands.items():
        if command is None or command.hidden:
            continue
        parts += ["", *_command(name, command, context)]
    return "\n".join(parts) + "\n"


def _command(name: str, command: Any, parent: Any) -> list[str]:
    context = command.context_class(command, info_name=name, parent=parent)
    usage = " ".join(command.collect_usage_pieces(context))
    usage = re.sub(r"\{(\w+)\}", lambda m: m.group(1).upper(), usage)
    lines = [
        f"## {name} {{#{name}}}",
        "",
        "```",
        f"parts-priority {name} {usage}",
        "```",
        "",
        _clean(command.help),
    ]
    for kind, title in (("argument", "argument"), ("option", "option")):
        records = [
            parameter.get_help_record(context)
            for parameter in command.params
            if parameter.param_type_name == kind and not getattr(parameter, "hidden", False)
        ]
        rows = [record for record in records if record]
        if rows:
            lines += ["", f"| {title} | what |", "|---|---|"]
            lines += [f"| `{_cell(names)}` | {_cell(what)} |" for names, what in rows]
    return lines


def _clean(text: str | None) -> str:
    """Click help text as Markdown: typer's ``\\b`` no-wrap markers dropped."""
    if not text:
        return ""
    return "\n".join(line for line in text.splitlines() if line.strip() != "\b").strip()


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


# -- the input tables ------------------------------------------------------------------------


@cache
def tables_reference() -> str:
    from allocation.adapters.tables import MAX_QUANTITY, TableSpec
    from allocation.domain import tables

    specs: list[tuple[TableSpec, str]] = [
        (getattr(tables, name.upper()), _TABLE_NOTES.get(name, "")) for name in tables.TABLES
    ]
    specs.append((tables.PROTECTION, _TABLE_NOTES["protection"]))
    parts: list[str] = []
    for spec, note in specs:
        optional = " (optional)" if spec.name in tables.OPTIONAL_TABLES else ""
        parts += [f"## {spec.name}{optional}", "", note] if note else [f"## {spec.name}"]
        if spec.key:
            keys = ", ".join(f"`{k}`" for k in spec.key)
            parts += ["", f"Unique key: {keys}."]
        parts += ["", "| column | type | required | limits | meaning |", "|---|---|---|---|---|"]
        for column in spec.columns:
            parts.append(
                f"| `{column.name}` | {column.kind} | {'no' if column.optional else 'yes'} "
                f"| {_limits(column, MAX_QUANTITY)} | {_cell(column.description)} |"
            )
        parts.append("")
    return "\n".join(parts)


_TABLE_NOTES = {
    "customers": "Who holds the contracts.",
    "contracts": "Priority Services contracts; the SKU gives tier, term and family.",
    "orders": "Open repair order lines: a failed unit waiting for a part.",
    "parts": "The catalogue, with the substitutes a part may be replaced by.",
    "depots": "Where stock is kept.",
    "stock": "Free units on hand, one row per part and depot.",
    "inbound": "Scheduled receipts: units landing at a depot at a given time.",
    "lanes": "Directed routes between depots, suppliers and countries.",
    "supply_options": "Expedite and broker sources of a part; lanes start at the supplier.",
    "protection": "Protection levels (a policy's `protection.levels` table): units of a part "
    "held back for parts-priority orders at a depot.",
}


def _limits(column: Any, most: int) -> str:
    limits: list[str] = []
    if column.minimum is not None:
        limits.append(f"{'>' if column.exclusive_minimum else '≥'} {column.minimum:g}")
    if column.maximum is not None:
        limits.append(
            f"≤ {column.maximum:,.0f}" if column.maximum == most else f"≤ {column.maximum:g}"
        )
    if column.choices is not None:
        choices = sorted(column.choices)
        if len(choices) > 8:
            limits.append(f"one of {len(choices)} values")
        else:
            limits.append("one of " + ", ".join(f"`{c}`" for c in choices))
    return _cell(", ".join(limits))


# -- the scenario schema ---------------------------------------------------------------------


@cache
def scenario_reference() -> str:
    schema = json.loads((ROOT / "scenarios" / "schema.json").read_text(encoding="utf-8"))
    definitions: dict[str, Any] = schema.get("$defs", {})
    parts = [_schema_object("scenario file (top level)", schema, anchor="scenario")]
    for name in sorted(definitions):
        parts.append(_schema_object(name, definitions[name], anchor=name.lower()))
    return "\n".join(parts)


def _schema_object(title: str, definition: dict[str, Any], anchor: str, level: int = 2) -> str:
    required = set(definition.get("required", ()))
    lines = [
        f"{'#' * level} {title} {{#{anchor}}}",
        "",
        _cell(definition.get("description", "")),
        "",
    ]
    properties: dict[str, Any] = definition.get("properties", {})
    if not properties:
        return "\n".join(lines)
    lines += ["| field | type | default | meaning |", "|---|---|---|---|"]
    for name, spec in properties.items():
        default = "required" if name in required else _json_default(spec)
        lines.append(
            f"| `{name}` | {_cell(_schema_type(spec))} | {default} "
            f"| {_cell(spec.get('description', ''))} |"
        )
    lines.append("")
    return "\n".join(lines)


def _json_default(spec: dict[str, Any]) -> str:
    if "default" not in spec or spec["default"] is None:
        return ""
    return f"`{json.dumps(spec['default'])}`"


def _schema_type(spec: dict[str, Any]) -> str:
    if "$ref" in spec:
        name = spec["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    for key in ("anyOf", "oneOf", "allOf"):
        if key in spec:
            options = [_schema_type(s) for s in spec[key] if s.get("type") != "null"]
            return " or ".join(dict.fromkeys(options)) or "null"
    if "enum" in spec:
        return " or ".join(f"`{v}`" for v in spec["enum"])
    if "const" in spec:
        return f"`{spec['const']}`"
    kind = spec.get("type", "any")
    if kind == "array":
        return f"list of {_schema_type(spec.get('items', {}))}"
    if kind == "object" and "additionalProperties" in spec:
        values = spec["additionalProperties"]
        inner = _schema_type(values) if isinstance(values, dict) else "any"
        return f"mapping to {inner}"
    text = {"number": "number", "integer": "integer", "string": "text", "boolean": "boolean"}.get(
        kind, str(kind)
    )
    if spec.get("format") in ("date-time", "date"):
        text = spec["format"]
    bounds = [
        f"{symbol} {spec[key]:g}"
        for key, symbol in (
            ("minimum", "≥"),
            ("exclusiveMinimum", ">"),
            ("maximum", "≤"),
            ("exclusiveMaximum", "<"),
        )
        if isinstance(spec.get(key), int | float)
    ]
    return f"{text} ({', '.join(bounds)})" if bounds else text


# -- the HTTP API ----------------------------------------------------------------------------


@cache
def _openapi() -> dict[str, Any]:
    from allocation.service.app import create_app
    from allocation.service.settings import ServiceSettings

    with tempfile.TemporaryDirectory() as folder:
        # The engine connects lazily: building the app and its schema never opens the file.
        url = f"sqlite:///{Path(folder) / 'unused.db'}"
        app = create_app(ServiceSettings(database_url=url, no_auth=True))
        return app.openapi()


@cache
def http_reference() -> str:
    document = _openapi()
    parts = [
        f"{document['info']['title']} {document['info']['version']}. The OpenAPI document: "
        "[openapi.json](openapi.json) (a running server serves the same at `/openapi.json`).",
        "",
        "| route | what it does |",
        "|---|---|",
    ]
    routes = list(_routes(document))
    for method, path, operation in routes:
        anchor = _anchor(method, path)
        what = operation.get("description") or operation.get("summary", "")
        parts.append(f"| [`{method} {path}`](#{anchor}) | {_cell(_first_sentence(what))} |")
    for method, path, operation in routes:
        parts += ["", *_operation(method, path, operation, document)]
    return "\n".join(parts) + "\n"


def _first_sentence(text: str) -> str:
    paragraph = " ".join(text.split("\n\n")[0].split())
    end = paragraph.find(". ")
    return paragraph if end < 0 else paragraph[: end + 1]


def _routes(document: dict[str, Any]) -> Iterable[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method.upper(), path, operation


def _anchor(method: str, path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", f"{method} {path}".lower()).strip("-")


def _operation(
    method: str, path: str, operation: dict[str, Any], document: dict[str, Any]
) -> list[str]:
    lines = [
        f"## `{method} {path}` {{#{_anchor(method, path)}}}",
        "",
        operation.get("description") or operation.get("summary", ""),
    ]
    parameters = operation.get("parameters", [])
    if parameters:
        lines += ["", "| parameter | in | type | required | meaning |", "|---|---|---|---|---|"]
        for parameter in parameters:
            schema = parameter.get("schema", {})
            lines.append(
                f"| `{parameter['name']}` | {parameter['in']} | {_cell(_schema_type(schema))} "
                f"| {'yes' if parameter.get('required') else 'no'} "
                f"| {_cell(parameter.get('description', schema.get('description', '')))} |"
            )
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body:
        lines += ["", f"Body: {_model(body.get('schema', {}), document)}."]
    responses = operation.get("responses", {})
    if responses:
        lines += ["", "| status | meaning |", "|---|---|"]
        for status, response in responses.items():
            content = response.get("content", {})
            schema = next(iter(content.values()), {}).get("schema") if content else None
            model = f" ({_model(schema, document)})" if schema else ""
            lines.append(f"| {status} | {_cell(response.get('description', ''))}{model} |")
    return lines


def _model(schema: dict[str, Any], document: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#schema-{name.lower()})"
    if "anyOf" in schema or "oneOf" in schema:
        options = schema.get("anyOf") or schema.get("oneOf") or []
        return " or ".join(_model(s, document) for s in options)
    if schema.get("type") == "array" and "items" in schema:
        return f"array of {_model(schema['items'], document)}"
    return _schema_type(schema)


@cache
def http_schemas() -> str:
    document = _openapi()
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    parts = []
    for name in sorted(schemas):
        parts.append(_schema_object(name, schemas[name], f"schema-{name.lower()}", level=3))
    return "\n".join(parts).replace("](#", "](#schema-").replace("](#schema-schema-", "](#schema-")


# -- the Python API --------------------------------------------------------------------------


def python_reference(package: str) -> str:
    """mkdocstrings directives for every name of ``package.__all__``, grouped by kind.

    Each name is documented where it is defined (``module.qualname``): a function imported
    into a package under the name of one of its modules (``allocation.allocate``) would
    otherwise be read as the module. Griffe reads the source without importing it and does
    not descend into a folder without ``__init__.py`` (``simulation/scenario``); such a folder
    is found as a package of its own instead (mkdocs.yml lists its parent in ``paths``).
    """
    import importlib
    import inspect

    module = importlib.import_module(package)
    groups: dict[str, list[str]] = {
        "Functions": [],
        "Classes": [],
        "Exceptions": [],
        "Constants": [],
    }
    for name in module.__all__:
        value = getattr(module, name)
        if not (inspect.isclass(value) or callable(value)):
            groups["Constants"].append(_directive(f"{package}.{name}"))
            continue
        if inspect.isclass(value):
            kind = "Exceptions" if issubclass(value, BaseException) else "Classes"
        else:
            kind = "Functions"
        groups[kind].append(_directive(f"{_findable(value.__module__)}.{value.__qualname__}"))
    parts = [f"::: {package}", "    options:", "      members: false", ""]
    for kind, directives in groups.items():
        if directives:
            parts += [f"### {kind}", "", *directives]
    return "\n".join(parts)


def _directive(path: str) -> str:
    return f"::: {path}\n    options:\n      heading_level: 4\n"


def _findable(module: str) -> str:
    """The module's dotted path from its innermost folder without ``__init__.py``, if any."""
    names = module.split(".")
    start = 0
    for i in range(1, len(names)):
        folder = ROOT.joinpath(*names[: i + 1])
        if folder.is_dir() and not (folder / "__init__.py").exists():
            start = i
    return ".".join(names[start:])


_GENERATORS: dict[str, Callable[[], str]] = {
    "python-allocation": lambda: python_reference("allocation"),
    "python-simulation": lambda: python_reference("simulation"),
    "cli": cli_reference,
    "tables": tables_reference,
    "scenario-schema": scenario_reference,
    "http-api": http_reference,
    "http-schemas": http_schemas,
}
