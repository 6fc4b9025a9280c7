"""Reading scenario files: YAML in, a validated :class:`Scenario` out, or an error that says
which file, line and field are wrong.

YAML is composed into nodes first so that every pydantic error can be traced back to the
line it came from; the same mapping serves overrides (``--set demand.orders_per_day=400``)
used by sweeps, which are checked exactly like the file and blamed on the ``--set`` that gave
them, not on a line of the file.
"""

from __future__ import annotations

import difflib
import itertools
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
    "overridden_by_disruptions",
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
        scenario = _validate(raw, str(self.path), None, overrides)
        return ScenarioFile(scenario, self.path, raw, self.node)

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
        line = _line_of(self.node, loc)
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
        Naming the file, line and field when the file cannot be read or does not validate,
        or the override (``--set FIELD=VALUE``) when a value it gives does not.

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
    scenario = _validate(raw, str(path), node, overrides)
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


def overridden_by_disruptions(source: ScenarioFile, grid: Mapping[str, Sequence[Any]]) -> list[str]:
    """Warnings for fields set (``--set``) or swept to values a disruption overrides.

    Within a ``broker_market`` window a broker buy fails with the market's
    ``failure_probability`` when that is the higher: ``sources.broker.failure_probability``
    set below it makes no difference there, and a sweep over it finds nothing. (The other
    disruption fields multiply the scenario's, so a value set for those always counts.) One
    warning per field and disruption, naming both and the values it overrides.

    Parameters
    ----------
    source : ScenarioFile
        The scenario the values are set in.
    grid : mapping
        Each dotted field and the values it takes (one for ``simulate``, several in a sweep).

    Examples
    --------
    >>> source = load_scenario("scenarios/broker-failures.yaml")
    >>> [warning] = overridden_by_disruptions(
    ...     source, {"sources.broker.failure_probability": [0, 0.25, 0.5]}
    ... )
    >>> warning.partition(": ")[0]
    '--set sources.broker.failure_probability=0,0.25'
    >>> "disruption 'brokers fail nearly half the time'" in warning
    True
    """
    names = [name for name in grid if _covers(name, _BROKER_FAILURE)]
    if not names:
        return []
    overridden: dict[tuple[str, int], tuple[BrokerMarket, list[Any]]] = {}
    fields = list(grid)
    for values in itertools.product(*(grid[name] for name in fields)):
        point = dict(zip(fields, values, strict=True))
        for index, market in _markets_above(source.with_overrides(point).scenario):
            for name in names:
                _, seen = overridden.setdefault((name, index), (market, []))
                if point[name] not in seen:
                    seen.append(point[name])
    return [
        f"--set {name}={','.join(_shown(v) for v in values)}: overridden by disruption "
        f"{_label(market, index)} ({market.kind}, days {market.start_day:g}-{market.end_day:g}"
        f"{', parts ' + ', '.join(market.parts) if market.parts else ''}): a broker buy fails "
        f"there with probability {market.failure_probability:g}, the higher of the two"
        for (name, index), (market, values) in overridden.items()
    ]


def _markets_above(scenario: Scenario) -> list[tuple[int, BrokerMarket]]:
    """The broker markets (by index) that fail more often than the scenario's brokers."""
    mine = scenario.sources.broker.failure_probability
    if mine is None:  # each offer's own chance: the world would have to be read
        return []
    return [
        (index, market)
        for index, market in enumerate(scenario.disruptions)
        if isinstance(market, BrokerMarket)
        and market.failure_probability is not None
        and market.failure_probability > mine
    ]


def _label(disruption: BrokerMarket, index: int) -> str:
    return repr(disruption.name) if disruption.name else f"disruptions.{index}"


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


def _validate(
    raw: Mapping[str, Any],
    where: str,
    node: yaml.Node | None,
    overrides: Mapping[str, Any] | None = None,
) -> Scenario:
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        errors = _without_misspelt(exc.errors())
        lines = [_problem(error, where, node, overrides or {}) for error in errors[:10]]
        more = len(errors) - 10
        if more > 0:
            lines.append(f"... and {more} more")
        raise ScenarioError("\n".join(lines)) from None


def _problem(
    error: Mapping[str, Any], where: str, node: yaml.Node | None, overrides: Mapping[str, Any]
) -> str:
    """One error as ``<place>: <field>: <message>``. The place is the ``--set FIELD=VALUE``
    that gave the value (or, for a check of a whole section, those in it that the message
    names), else the file and the line of the field."""
    loc = _location(error)
    field = ".".join(str(p) for p in loc) or "(top level)"
    message = _message(error)
    given = [dotted for dotted in overrides if _covers(dotted, loc)] or [
        dotted
        for dotted in overrides
        if _covers(loc, dotted) and dotted.rsplit(".", 1)[-1] in message
    ]
    if given:
        place = " ".join(f"--set {dotted}={_shown(overrides[dotted])}" for dotted in given)
    else:
        line = _line_of(node, loc)
        place = f"{where}:{line}" if line else where
    return f"{place}: {field}: {message}"


def _location(error: Mapping[str, Any]) -> list[str | int]:
    return [part for part in error["loc"] if not _is_union_tag(part)]


def _covers(outer: str | Sequence[object], inner: str | Sequence[object]) -> bool:
    """Whether location ``outer`` is ``inner`` or one of its sections (dotted or listed)."""
    a = outer.split(".") if isinstance(outer, str) else [str(p) for p in outer]
    b = inner.split(".") if isinstance(inner, str) else [str(p) for p in inner]
    return b[: len(a)] == a


def _without_misspelt(errors: Sequence[Any]) -> list[Any]:
    """The errors less "is required" for a field a misspelt key beside it was meant to be:
    ``horizon_dayz`` reports itself with a did-you-mean, not a missing ``horizon_days`` too."""
    meant = set()
    for error in errors:
        if error["type"] == "extra_forbidden":
            loc = _location(error)
            close = _closest(str(loc[-1]), _known_fields(loc[:-1]))
            if close is not None:
                meant.add((*map(str, loc[:-1]), close))
    return [
        error
        for error in errors
        if not (error["type"] == "missing" and tuple(map(str, _location(error))) in meant)
    ]


def _shown(value: Any) -> str:
    """An override's value as it is typed after ``--set FIELD=``."""
    return value if isinstance(value, str) else json.dumps(value, default=str)


_DISRUPTIONS: dict[str, type[BaseModel]] = {
    "depot_offline": DepotOffline,
    "supply_cut": SupplyCut,
    "demand_surge": DemandSurge,
    "broker_market": BrokerMarket,
}
# The one scenario field a disruption takes over within its window (see
# overridden_by_disruptions); a value set for it below the disruption's counts for nothing there.
_BROKER_FAILURE = "sources.broker.failure_probability"
_FIELD_AT_START = re.compile(r"(?P<field>[A-Za-z_]\w*(?:\.\w+)*): ")


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
    close = _closest(str(loc[-1]), known)
    if close is not None:
        return f"is not a field here; did you mean {close!r}?"
    if known:
        return f"is not a field here (fields here: {', '.join(known)})"
    return "is not a field here"


def _closest(name: str, known: Sequence[str]) -> str | None:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return close[0] if close else None


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
    """1-based line of the deepest node a location reaches in the composed YAML; None when
    not even its first field is in the file (the file's first line would be a false lead)."""
    if not isinstance(node, yaml.MappingNode) or not loc:
        return None
    if not any(key.value == str(loc[0]) for key, _ in node.value):
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
