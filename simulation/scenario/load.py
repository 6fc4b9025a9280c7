"""Reading scenario files: YAML in, a validated :class:`Scenario` out, or an error that says
which file, line and field are wrong.

YAML is composed into nodes first so that every pydantic error can be traced back to the
line it came from; the same mapping serves overrides (``--set demand.orders_per_day=400``)
used by sweeps, which are checked exactly like the file.
"""

from __future__ import annotations

import difflib
import json
import re
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from simulation.errors import ScenarioError
from simulation.scenario.model import BrokerMarket, DemandSurge, DepotOffline, Scenario, SupplyCut

__all__ = [
    "ScenarioFile",
    "apply_overrides",
    "load_scenario",
    "parse_override",
    "scenario_from_mapping",
]


@dataclass(frozen=True)
class ScenarioFile:
    """A validated scenario and the folder its relative paths are read from."""

    scenario: Scenario
    path: Path
    raw: Mapping[str, Any]
    node: yaml.Node | None = field(default=None, repr=False, compare=False)

    @property
    def folder(self) -> Path:
        """The folder relative paths in the scenario start from."""
        return self.path.parent

    def resolve(self, relative: str) -> Path:
        """A path named in the scenario, made absolute against the scenario's folder."""
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self.folder / candidate

    def with_overrides(self, overrides: Mapping[str, Any]) -> ScenarioFile:
        """The same file with some fields replaced (dotted paths), validated again."""
        raw = apply_overrides(self.raw, overrides, where=str(self.path))
        return ScenarioFile(scenario_from_mapping(raw, str(self.path)), self.path, raw, self.node)

    def locate(self, message: str) -> str:
        """Add the line to a message about a field of this file.

        Checks that need the world (a depot a disruption names, the snapshot folder) run
        after the file validated and name the field as ``<file>: <field.path>: ...``; this
        turns that into ``<file>:<line>: <field.path>: ...`` when the field is in the file.

        Examples
        --------
        >>> source = load_scenario("scenarios/normal-quarter.yaml")
        >>> print(source.locate(f"{source.path}: world.snapshot: no folder 'x'"))
        scenarios/normal-quarter.yaml:26: world.snapshot: no folder 'x'
        """
        prefix = f"{self.path}: "
        if not message.startswith(prefix):
            return message
        rest = message[len(prefix) :]
        match = _FIELD_AT_START.match(rest)
        if match is None:
            return message
        loc = [int(p) if p.isdigit() else p for p in match["field"].split(".")]
        line = _line_in_file(self.node, loc)
        return message if line is None else f"{self.path}:{line}: {rest}"


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None) -> ScenarioFile:
    """Read and validate a scenario file.

    Parameters
    ----------
    path : str or Path
        A YAML scenario file (see ``scenarios/`` and ``scenarios/schema.json``).
    overrides : mapping, optional
        Dotted field paths to replace before validation, e.g.
        ``{"demand.orders_per_day": 400}``.

    Raises
    ------
    ScenarioError
        Naming the file, line and field when the file cannot be read or does not validate.

    Examples
    --------
    >>> sf = load_scenario("scenarios/normal-quarter.yaml")
    >>> sf.scenario.policy.strategy
    'optimal'
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read scenario: {exc.strerror or exc}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{where}: not valid YAML: {problem}") from None
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: a scenario is a mapping of fields (see scenarios/)")
    if overrides:
        raw = apply_overrides(raw, overrides, where=str(path))
    scenario = _validate(raw, str(path), node)
    return ScenarioFile(scenario, path, raw, node)


def scenario_from_mapping(raw: Mapping[str, Any], where: str = "scenario") -> Scenario:
    """Validate a scenario given as a mapping (as a notebook might build one)."""
    return _validate(raw, where, None)


def parse_override(text: str) -> tuple[str, list[Any]]:
    """``path=v1,v2`` → (path, [v1, v2]), each value read as YAML (numbers, booleans...)."""
    if "=" not in text:
        raise ScenarioError(f"--set {text!r}: expected FIELD=VALUE[,VALUE...]")
    field, _, values = text.partition("=")
    field = field.strip()
    if not field:
        raise ScenarioError(f"--set {text!r}: the field name is empty")
    parsed = []
    for value in _split_values(values):
        try:
            parsed.append(yaml.safe_load(value))
        except yaml.YAMLError:
            raise ScenarioError(f"--set {field}: cannot read value {value!r}") from None
    if not parsed:
        raise ScenarioError(f"--set {field}: no values")
    return field, parsed


def apply_overrides(
    raw: Mapping[str, Any], overrides: Mapping[str, Any], where: str = "scenario"
) -> dict[str, Any]:
    """A deep copy of ``raw`` with each dotted path set to its value."""
    result: dict[str, Any] = json.loads(json.dumps(raw, default=str))
    for dotted, value in overrides.items():
        keys = dotted.split(".")
        target: Any = result
        for i, key in enumerate(keys[:-1]):
            step: Any = int(key) if isinstance(target, list) and key.isdigit() else key
            try:
                target = target[step] if isinstance(target, list) else target.setdefault(step, {})
            except (IndexError, TypeError, AttributeError):
                path = ".".join(keys[: i + 1])
                raise ScenarioError(f"{where}: override {dotted!r}: no field {path!r}") from None
        last = keys[-1]
        if isinstance(target, list) and last.isdigit() and int(last) < len(target):
            target[int(last)] = value
        elif isinstance(target, dict):
            target[last] = value
        else:
            raise ScenarioError(f"{where}: override {dotted!r}: cannot set {last!r} there")
    return result


def _split_values(values: str) -> list[str]:
    """Split on commas outside brackets, so ``[a,b],[c]`` gives two list values."""
    parts, depth, current = [], 0, ""
    for ch in values:
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def _validate(raw: Mapping[str, Any], where: str, node: yaml.Node | None) -> Scenario:
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for error in exc.errors()[:10]:
            loc = [part for part in error["loc"] if not _is_union_tag(part)]
            field = ".".join(str(p) for p in loc) or "(top level)"
            line = _line_of(node, loc)
            place = f"{where}:{line}" if line else where
            lines.append(f"{place}: {field}: {_message(error)}")
        more = len(exc.errors()) - 10
        if more > 0:
            lines.append(f"... and {more} more")
        raise ScenarioError("\n".join(lines)) from None


_DISRUPTIONS: dict[str, type[BaseModel]] = {
    "depot_offline": DepotOffline,
    "supply_cut": SupplyCut,
    "demand_surge": DemandSurge,
    "broker_market": BrokerMarket,
}
_FIELD_AT_START = re.compile(r"(?P<field>[A-Za-z_]\w*(?:\.\w+)*): ")


def _line_in_file(node: yaml.Node | None, loc: Sequence[object]) -> int | None:
    """Like :func:`_line_of`, but None unless the location's first field is in the file."""
    if not isinstance(node, yaml.MappingNode) or not loc:
        return None
    if not any(key.value == str(loc[0]) for key, _ in node.value):
        return None
    return _line_of(node, loc)


def _is_union_tag(part: object) -> bool:
    # Discriminated unions add the tag ('depot_offline') to the location; the file has none.
    return isinstance(part, str) and part in _DISRUPTIONS


def _message(error: Mapping[str, Any]) -> str:
    message = str(error["msg"])
    if error["type"] == "extra_forbidden":
        return _not_a_field(error["loc"])
    if error["type"] == "missing":
        return "is required"
    if error["type"] == "union_tag_invalid":
        context = error.get("ctx", {})
        return f"unknown kind {context.get('tag')!r} (use {context.get('expected_tags', '')})"
    message = message.removeprefix("Value error, ")
    if "input" in error and error["type"] not in ("model_type", "dict_type"):
        value = error["input"]
        if not isinstance(value, dict | list):
            message += f" (got {value!r})"
    return message


def _not_a_field(loc: Sequence[object]) -> str:
    """'is not a field here', with the nearest known field or the list of known ones."""
    known = _known_fields(loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    if close:
        return f"is not a field here; did you mean {close[0]!r}?"
    if known:
        return f"is not a field here (fields here: {', '.join(known)})"
    return "is not a field here"


def _known_fields(loc: Sequence[object]) -> list[str]:
    """The field names of the model a validation location points into."""
    model: type[BaseModel] | None = Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        if isinstance(part, str) and part in _DISRUPTIONS:
            model = _DISRUPTIONS[part]
            continue
        field = model.model_fields.get(str(part)) if model is not None else None
        if field is None:
            return []
        model = _model_in(field.annotation)
    return list(model.model_fields) if model is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def _line_of(node: yaml.Node | None, loc: Sequence[object]) -> int | None:
    """1-based line of the deepest node a location reaches in the composed YAML."""
    if node is None:
        return None
    best = node.start_mark.line + 1
    current: yaml.Node = node
    for part in loc:
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                if key.value == str(part):
                    best = key.start_mark.line + 1
                    current = value
                    break
            else:
                return best
        elif isinstance(current, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(current.value):
                return best
            current = current.value[part]
            best = current.start_mark.line + 1
        else:
            return best
    return best
