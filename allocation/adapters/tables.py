"""Reading and validating one table (CSV, Parquet or a DataFrame) against a column spec.

Validation is vectorised with pandas so that a million rows check in seconds, and it is
all-or-nothing: a table either comes back fully typed or a :class:`~allocation.errors.TableError`
lists every bad cell (file, row, column, value), and nothing is half-loaded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from allocation.errors import InputError, TableError

__all__ = ["Column", "TableSource", "TableSpec", "read_table"]

Kind = Literal["text", "int", "float", "bool", "date", "datetime", "country"]
TableSource = str | Path | pd.DataFrame

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
MAX_QUANTITY = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a table: its kind, whether it may be blank and the values it allows.

    ``minimum``/``maximum`` bound numbers (inclusive unless ``exclusive_minimum``);
    ``choices`` restricts text (compared after ``normalize``).
    """

    name: str
    kind: Kind = "text"
    optional: bool = False
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    choices: frozenset[str] | None = None
    normalize: Callable[[str], str] | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A table: its name, its columns and which columns form its unique key."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


def read_table(
    source: TableSource,
    spec: TableSpec,
    country: Callable[[str], str] | None = None,
) -> pd.DataFrame:
    """Read a table and return it typed and validated, or raise one :class:`TableError`.

    Parameters
    ----------
    source : str, Path or DataFrame
        A ``.csv`` or ``.parquet`` file, or a DataFrame (for notebooks).
    spec : TableSpec
        The expected columns.
    country : callable, optional
        Turns a country value into ISO alpha-2 or raises; needed for ``country`` columns.

    Returns
    -------
    DataFrame
        Exactly the spec's columns in its order: text as ``object`` of ``str`` (or ``None``
        when optional and blank), ints as ``int64``, floats as ``float64``, bools as ``bool``
        (``object`` with ``None`` when optional), dates and datetimes as ``datetime64[ns]``.
    """
    raw, where, line_offset = _load(source, spec)
    missing = [c.name for c in spec.columns if not c.optional and c.name not in raw.columns]
    if missing:
        raise TableError(
            where,
            [
                f"missing column {name!r} (found: {', '.join(map(str, raw.columns)) or 'none'})"
                for name in missing
            ],
        )
    problems: list[str] = []
    out: dict[str, pd.Series] = {}
    for column in spec.columns:
        if column.name in raw.columns:
            values = raw[column.name].reset_index(drop=True)
        else:
            values = pd.Series([None] * len(raw), dtype=object)
        out[column.name] = _convert(values, column, line_offset, problems, country)
    table = pd.DataFrame(out, index=pd.RangeIndex(len(raw)))
    if not problems and spec.key:
        problems.extend(_duplicates(table, spec.key, line_offset))
    if problems:
        raise TableError(where, problems)
    return table


def _load(source: TableSource, spec: TableSpec) -> tuple[pd.DataFrame, str, int]:
    """The raw table, a name for messages, and the offset from row index to file line."""
    if isinstance(source, pd.DataFrame):
        return source.copy(), f"{spec.name} table", 0
    path = Path(source)
    if not path.exists():
        raise InputError(f"{path}: no such file (expected the {spec.name} table)")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path), str(path), 0
        if suffix in (".csv", ".txt", ""):
            frame = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                skipinitialspace=True,
                encoding="utf-8-sig",
            )
            return frame, str(path), 2  # the header is line 1, the first row line 2
    except pd.errors.EmptyDataError:
        raise TableError(str(path), ["the file is empty (expected a header row)"]) from None
    except pd.errors.ParserError as exc:
        raise TableError(str(path), [f"not valid CSV: {exc}".strip()]) from None
    except UnicodeDecodeError as exc:
        raise TableError(str(path), [f"not UTF-8 text (byte {exc.start})"]) from None
    except (OSError, ValueError) as exc:
        raise TableError(str(path), [f"cannot read: {exc}"]) from None
    raise InputError(f"{path}: unsupported file type {suffix!r} (use .csv or .parquet)")


def _where(row: int, column: str, value: object, line_offset: int) -> str:
    place = f"row {row + 1}"
    if line_offset:
        place += f" (line {row + line_offset})"
    return f"{place}, column {column!r}, value {value!r}"


def _blank(values: pd.Series) -> np.ndarray:
    """Cells that hold nothing: NaN/None, or text that is empty after stripping."""
    isna = values.isna().to_numpy()
    text = values.map(lambda v: isinstance(v, str) and not v.strip()).to_numpy(dtype=bool)
    return np.asarray(isna | text, dtype=bool)


def _convert(
    values: pd.Series,
    column: Column,
    line_offset: int,
    problems: list[str],
    country: Callable[[str], str] | None,
) -> pd.Series:
    blank = _blank(values)
    if not column.optional:
        for row in np.flatnonzero(blank)[:20]:
            problems.append(
                _where(int(row), column.name, _shown(values.iloc[row]), line_offset)
                + ": a value is required"
            )
    converter = _CONVERTERS[column.kind]
    return converter(values, blank, column, line_offset, problems, country)


def _shown(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value


def _text(
    values: pd.Series,
    blank: np.ndarray,
    column: Column,
    line_offset: int,
    problems: list[str],
    country: Callable[[str], str] | None,
) -> pd.Series:
    text = values.map(lambda v: str(v).strip() if v is not None else "")
    if column.normalize is not None:
        text = text.map(column.normalize)
    if column.choices is not None:
        bad = ~blank & ~text.isin(column.choices).to_numpy()
        for row in np.flatnonzero(bad)[:20]:
            problems.append(
                _where(int(row), column.name, values.iloc[row], line_offset)
                + f": must be one of {', '.join(sorted(column.choices))}"
            )
    result = text.astype(object)
    result[blank] = None
    return result


def _country(
    values: pd.Series,
    blank: np.ndarray,
    column: Column,
    line_offset: int,
    problems: list[str],
    country: Callable[[str], str] | None,
) -> pd.Series:
    if country is None:
        raise TypeError("a country column needs a country normaliser")
    text = values.map(lambda v: str(v).strip() if v is not None else "")
    codes: dict[str, str | None] = {}
    for value in pd.unique(text[~blank]):
        try:
            codes[value] = country(value)
        except InputError:
            codes[value] = None
    mapped = text.map(lambda v: codes.get(v)).astype(object)
    bad = ~blank & mapped.isna().to_numpy()
    for row in np.flatnonzero(bad)[:20]:
        problems.append(
            _where(int(row), column.name, values.iloc[row], line_offset)
            + ": unknown country (use an ISO code, an English name or the data sheet's name)"
        )
    mapped[blank] = None
    return mapped


def _number(
    values: pd.Series,
    blank: np.ndarray,
    column: Column,
    line_offset: int,
    problems: list[str],
    country: Callable[[str], str] | None,
) -> pd.Series:
    integer = column.kind == "int"
    if values.dtype == bool:
        numbers = pd.Series(np.full(len(values), np.nan))
        bad_parse = ~blank
    else:
        cleaned = values.map(lambda v: v.strip().replace("_", "") if isinstance(v, str) else v)
        numbers = pd.to_numeric(cleaned.where(~blank, None), errors="coerce").astype("float64")
        bad_parse = ~blank & numbers.isna().to_numpy()
    arr = numbers.to_numpy(dtype="float64")
    bad = np.zeros(len(arr), dtype=bool)
    for row in np.flatnonzero(bad_parse)[:20]:
        problems.append(
            _where(int(row), column.name, _shown(values.iloc[row]), line_offset)
            + f": not {'an integer' if integer else 'a number'}"
        )
    bad |= bad_parse
    ok = ~blank & ~bad
    with np.errstate(invalid="ignore"):
        checks: list[tuple[np.ndarray, str]] = [(ok & ~np.isfinite(arr), "must be finite")]
        if integer:
            checks.append((ok & np.isfinite(arr) & (arr != np.floor(arr)), "not a whole number"))
        if column.minimum is not None:
            low = arr <= column.minimum if column.exclusive_minimum else arr < column.minimum
            op = ">" if column.exclusive_minimum else ">="
            checks.append((ok & low, f"must be {op} {_num(column.minimum)}"))
        if column.maximum is not None:
            checks.append((ok & (arr > column.maximum), f"must be <= {_num(column.maximum)}"))
    for mask, message in checks:
        mask = mask & ~bad
        for row in np.flatnonzero(mask)[:20]:
            problems.append(
                _where(int(row), column.name, _shown(values.iloc[row]), line_offset)
                + f": {message}"
            )
        bad |= mask
    if integer:
        if column.optional:
            return pd.Series(
                [None if (b or x) else int(v) for v, b, x in zip(arr, blank, bad, strict=True)],
                dtype=object,
            )
        return pd.Series(np.where(bad | blank, 0, arr).astype("int64"))
    return pd.Series(np.where(bad | blank, np.nan, arr))


def _bool(
    values: pd.Series,
    blank: np.ndarray,
    column: Column,
    line_offset: int,
    problems: list[str],
    country: Callable[[str], str] | None,
) -> pd.Series:
    def parse(v: object) -> bool | None:
        if isinstance(v, bool | np.bool_):
            return bool(v)
        if isinstance(v, int | np.integer) and v in (0, 1):
            return bool(v)
        if isinstance(v, str):
            folded = v.strip().casefold()
            if folded in _TRUE:
                return True
            if folded in _FALSE:
                return False
        return None

    parsed = values.map(parse).astype(object)
    bad = ~blank & parsed.isna().to_numpy()
    for row in np.flatnonzero(bad)[:20]:
        problems.append(
            _where(int(row), column.name, _shown(values.iloc[row]), line_offset)
            + ": not a yes/no value (use true/false, yes/no or 1/0)"
        )
    if column.optional:
        parsed[blank] = None
        return parsed
    return pd.Series(parsed.fillna(False).to_numpy(dtype=bool))


def _datetime(
    values: pd.Series,
    blank: np.ndarray,
    column: Column,
    line_offset: int,
    problems: list[str],
    country: Callable[[str], str] | None,
) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = pd.to_datetime(values, utc=True)
    else:
        text = values.map(lambda v: v.strip() if isinstance(v, str) else v).where(~blank, None)
        as_text = text.map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
        parsed = pd.to_datetime(as_text, format="ISO8601", errors="coerce", utc=True)
    parsed = parsed.dt.tz_localize(None).astype("datetime64[ns]")
    bad = ~blank & parsed.isna().to_numpy()
    for row in np.flatnonzero(bad)[:20]:
        kind = "date (YYYY-MM-DD)" if column.kind == "date" else "date-time (ISO 8601)"
        problems.append(
            _where(int(row), column.name, _shown(values.iloc[row]), line_offset) + f": not a {kind}"
        )
    if column.kind == "date":
        parsed = parsed.dt.normalize()
    return parsed.reset_index(drop=True)


def _num(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


_CONVERTERS = {
    "text": _text,
    "country": _country,
    "int": _number,
    "float": _number,
    "bool": _bool,
    "date": _datetime,
    "datetime": _datetime,
}


def _duplicates(table: pd.DataFrame, key: Sequence[str], line_offset: int) -> list[str]:
    dup = table.duplicated(list(key), keep=False).to_numpy()
    if not dup.any():
        return []
    problems: list[str] = []
    first_seen: dict[tuple[object, ...], int] = {}
    for row in np.flatnonzero(dup):
        ident = tuple(table.iloc[row][k] for k in key)
        if ident in first_seen:
            other = first_seen[ident]
            shown = ident[0] if len(ident) == 1 else ident
            label = key[0] if len(key) == 1 else "(" + ", ".join(key) + ")"
            where = f"row {other + 1}" + (f" (line {other + line_offset})" if line_offset else "")
            problems.append(
                _where(int(row), key[0], shown, line_offset)
                + f": duplicate {label}, first seen on {where}"
            )
        else:
            first_seen[ident] = int(row)
        if len(problems) >= 20:
            break
    return problems
