"""Reading and validating one table (CSV, Parquet or a DataFrame) against a column spec.

Validation is vectorised (Arrow compute kernels for text, NumPy for numbers, Python only once
per distinct value where a rule is a Python function) so that a million rows check in about a
second, and it is all-or-nothing: a table either comes back fully typed or a
:class:`~allocation.errors.TableError` lists every bad cell (file, row, column, value), and
nothing is half-loaded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from allocation.domain.tables import MAX_QUANTITY, Column, TableSpec
from allocation.errors import InputError, TableError

__all__ = ["MAX_QUANTITY", "Column", "TableSource", "TableSpec", "raw_table", "read_table"]

TableSource = str | Path | pd.DataFrame
Mask = npt.NDArray[np.bool_]
Objects = npt.NDArray[np.object_]

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
_SAMPLE = 100_000  # rows looked at to tell whether a text column repeats its values

# Arrow reads a CSV file in a fraction of pandas' time. It names the columns f0, f1, ... so
# that the header comes back as the first row and every column can be read as text.
_CSV_MAX_COLUMNS = 1024
_CSV_READ = pacsv.ReadOptions(autogenerate_column_names=True)
_CSV_PARSE = pacsv.ParseOptions(newlines_in_values=True)
_CSV_CONVERT = pacsv.ConvertOptions(
    column_types={f"f{i}": pa.string() for i in range(_CSV_MAX_COLUMNS)},
    strings_can_be_null=False,
)


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
        elif column.kind in ("date", "datetime"):
            # An optional moment the table leaves out (an order's need_by): blank, typed,
            # without parsing a column of nothing.
            out[column.name] = pd.Series(np.full(len(raw), np.datetime64("NaT", "ns")))
            continue
        else:
            values = pd.Series([None] * len(raw), dtype=object)
        out[column.name] = _convert(values, column, line_offset, problems, country)
    table = pd.DataFrame(out, index=pd.RangeIndex(len(raw)))
    if not problems and spec.key:
        problems.extend(_duplicates(table, spec.key, line_offset))
    if problems:
        raise TableError(where, problems)
    return table


def raw_table(source: TableSource, spec: TableSpec) -> pd.DataFrame:
    """The table as its file holds it, unconverted, for :func:`read_table` to read in parts.

    Raises what :func:`read_table` raises for a file that cannot be read at all.
    """
    return _load(source, spec)[0]


def _load(source: TableSource, spec: TableSpec) -> tuple[pd.DataFrame, str, int]:
    """The raw table, a name for messages, and the offset from row index to file line."""
    if isinstance(source, pd.DataFrame):
        # Nothing below writes to the frame, and copy-on-write keeps the caller's apart.
        return source.copy(deep=False), f"{spec.name} table", 0
    path = Path(source)
    if not path.exists():
        raise InputError(f"{path}: no such file (expected the {spec.name} table)")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path), str(path), 0
        if suffix in (".csv", ".txt", ""):
            frame = _arrow_csv(path)
            if frame is None:
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


def _arrow_csv(path: Path) -> pd.DataFrame | None:
    """The CSV file as text columns read by Arrow, or None where pandas might read it otherwise.

    pandas (``skipinitialspace``, ``utf-8-sig``, blanks kept) stays the reference: files Arrow
    refuses (bad UTF-8, ragged rows, no header), and those where the two could disagree (a cell
    starting with a space or tab, a lone carriage return, an unclosed quote, a second byte
    order mark, duplicate or empty names) go to pandas, which then also words any error.
    """
    try:
        data = path.read_bytes()
        if data.count(b"\r") != data.count(b"\r\n"):
            return None  # pandas reads a lone carriage return its own way
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=_CSV_READ,
            parse_options=_CSV_PARSE,
            convert_options=_CSV_CONVERT,
        )
    except (OSError, pa.ArrowException):
        return None
    if table.num_rows == 0 or table.num_columns > _CSV_MAX_COLUMNS:
        return None
    names = [column[0].as_py() for column in table.columns]
    if "" in names or len(set(names)) < len(names) or names[0].startswith("\ufeff"):
        return None
    if any(pc.any(pc.match_substring_regex(column, "^[ \t]")).as_py() for column in table.columns):
        return None
    if b'"' in data and _may_hold_an_open_quote(data, table):
        return None
    frame: pd.DataFrame = table.slice(1).rename_columns(names).to_pandas()
    return frame


def _may_hold_an_open_quote(data: bytes, table: Any) -> bool:
    """Arrow runs an unclosed quote to the end of the file; pandas calls that malformed.

    Such a cell is the last of the last row and takes in the file's final line break.
    """
    if not data.endswith((b"\n", b"\r")):
        return True
    last = table.column(table.num_columns - 1)[-1].as_py()
    return bool(last.endswith(("\n", "\r")))


def _where(row: int, column: str, value: object, line_offset: int) -> str:
    place = f"row {row + 1}"
    if line_offset:
        place += f" (line {row + line_offset})"
    return f"{place}, column {column!r}, value {value!r}"


@dataclass(frozen=True, slots=True)
class _Cells:
    """One column as read, with what every conversion needs worked out once.

    ``text`` holds the cells as Arrow strings (null when missing) when every cell is text;
    ``stripped`` is that text stripped like ``str.strip`` and null where the cell is blank.
    """

    values: pd.Series
    blank: Mask
    text: Any = None
    stripped: Any = None


def _cells(values: pd.Series) -> _Cells:
    """The column's blank cells, and its text stripped once for every converter."""
    text = _arrow_text(values)
    if text is None:
        return _Cells(values, _blank(values))
    # Arrow's whitespace is exactly Python's str.isspace (a test pins this).
    trimmed = pc.utf8_trim_whitespace(text)
    is_blank = pc.fill_null(pc.equal(trimmed, ""), True)
    blank = np.asarray(is_blank.to_numpy(zero_copy_only=False), dtype=bool)
    if blank.any():
        trimmed = pc.if_else(is_blank, pa.scalar(None, trimmed.type), trimmed)
    return _Cells(values, blank, text, trimmed)


def _arrow_text(values: pd.Series) -> Any:
    """The cells as one Arrow string array when all of them are ``str`` (or missing)."""
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype):
        source: Any = values.array
    elif _numpy_kind(dtype) == "O" and pd.api.types.infer_dtype(values, skipna=True) in (
        "string",
        "empty",
    ):
        source = values.to_numpy()
    else:
        return None
    try:
        text = pa.array(source, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowException, UnicodeError):  # e.g. a lone surrogate
        return None
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text


def _blank(values: pd.Series) -> Mask:
    """Cells that hold nothing: NaN/None, or text that is empty after stripping."""
    isna = values.isna().to_numpy()
    if not _may_hold_text(values.dtype):
        return np.asarray(isna, dtype=bool)
    text = values.map(lambda v: isinstance(v, str) and not v.strip()).to_numpy(dtype=bool)
    return np.asarray(isna | text, dtype=bool)


def _may_hold_text(dtype: object) -> bool:
    """Whether cells of this dtype can be ``str`` (and so be blank text)."""
    if isinstance(dtype, np.dtype):
        return dtype.kind not in "biufcmM"
    return not isinstance(dtype, pd.DatetimeTZDtype)


def _numpy_kind(dtype: object) -> str:
    """The NumPy kind code of a NumPy dtype ('b', 'i', 'f', 'O', ...); '' for pandas' own."""
    return dtype.kind if isinstance(dtype, np.dtype) else ""


def _convert(
    values: pd.Series,
    column: Column,
    line_offset: int,
    problems: list[str],
    country: Callable[[str], str] | None,
) -> pd.Series:
    cells = _cells(values)
    if not column.optional:
        _report(problems, cells.blank, cells, column, line_offset, "a value is required")
    converter = _CONVERTERS[column.kind]
    return converter(cells, column, line_offset, problems, country)


def _shown(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value


def _report(
    problems: list[str],
    bad: Mask,
    cells: _Cells,
    column: Column,
    line_offset: int,
    message: str,
    shown: Callable[[object], object] = _shown,
) -> None:
    """One problem for each of the first 20 bad cells."""
    for row in np.flatnonzero(bad)[:20]:
        value = shown(cells.values.iloc[row])
        problems.append(_where(int(row), column.name, value, line_offset) + f": {message}")


def _stripped(cells: _Cells) -> Objects:
    """Each cell as stripped ``str``, ``None`` where blank."""
    if cells.stripped is not None:
        return _objects(cells.stripped)
    text = cells.values.map(lambda v: str(v).strip() if v is not None else "")
    result = np.asarray(text.to_numpy(dtype=object), dtype=object).copy()
    result[cells.blank] = None
    return result


def _objects(text: Any) -> Objects:
    """An Arrow string array as Python ``str`` (``None`` for null).

    When values repeat (ids of customers or parts on every order) each distinct one becomes
    a single ``str`` that all its cells share, which keeps a million-row column small.
    """
    head = text.slice(0, _SAMPLE)
    if len(head) and pc.count_distinct(head).as_py() <= len(head) // 2:
        encoded = pc.dictionary_encode(text)
        words = np.empty(len(encoded.dictionary) + 1, dtype=object)
        words[:-1] = encoded.dictionary.to_numpy(zero_copy_only=False)
        words[-1] = None  # a null cell
        codes = encoded.indices.fill_null(len(words) - 1).to_numpy(zero_copy_only=False)
        return np.asarray(words[codes], dtype=object)
    return np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)


def _per_distinct(text: Objects, function: Callable[[Any], object]) -> Objects:
    """``function`` of each cell, called once per distinct value (``None`` stays ``None``)."""
    codes, uniques = pd.factorize(text)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    for i, value in enumerate(uniques):
        mapped[i] = function(value)
    mapped[-1] = None  # code -1: a blank cell
    return np.asarray(mapped[codes], dtype=object)


def _text(
    cells: _Cells,
    column: Column,
    line_offset: int,
    problems: list[str],
    country: Callable[[str], str] | None,
) -> pd.Series:
    text = _stripped(cells)
    if column.normalize is not None:
        text = _per_distinct(text, column.normalize)
    if column.choices is not None:
        allowed = pd.Series(text, dtype=object).isin(column.choices).to_numpy()
        choices = ", ".join(sorted(column.choices))
        bad = ~cells.blank & ~allowed
        _report(problems, bad, cells, column, line_offset, f"must be one of {choices}", _same)
    return pd.Series(text, dtype=object)


def _same(value: object) -> object:
    """Text problems show the cell as written, NaN included."""
    return value


def _country(
    cells: _Cells,
    column: Column,
    line_offset: int,
    problems: list[str],
    country: Callable[[str], str] | None,
) -> pd.Series:
    if country is None:
        raise TypeError("a country column needs a country normaliser")

    def code(value: str) -> str | None:
        try:
            return country(value)
        except InputError:
            return None

    mapped = _per_distinct(_stripped(cells), code)
    bad = ~cells.blank & pd.isna(mapped)
    _report(
        problems,
        bad,
        cells,
        column,
        line_offset,
        "unknown country (use an ISO code, an English name or the data sheet's name)",
        _same,
    )
    mapped[cells.blank] = None
    return pd.Series(mapped, dtype=object)


def _number(
    cells: _Cells,
    column: Column,
    line_offset: int,
    problems: list[str],
    country: Callable[[str], str] | None,
) -> pd.Series:
    integer = column.kind == "int"
    blank = cells.blank
    arr = _parsed_numbers(cells)
    bad = ~blank & np.isnan(arr)
    _report(
        problems, bad, cells, column, line_offset, f"not {'an integer' if integer else 'a number'}"
    )
    ok = ~blank & ~bad
    with np.errstate(invalid="ignore"):
        checks: list[tuple[Mask, str]] = [(ok & ~np.isfinite(arr), "must be finite")]
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
        _report(problems, mask, cells, column, line_offset, message)
        bad |= mask
    missing = bad | blank
    if not integer:
        return pd.Series(np.where(missing, np.nan, arr))
    if not column.optional:
        return pd.Series(np.where(missing, 0, arr).astype("int64"))
    return pd.Series(_optional_ints(arr, missing), dtype=object)


def _optional_ints(arr: npt.NDArray[np.float64], missing: Mask) -> Objects:
    """Python ints, ``None`` where missing."""
    kept = arr[~missing]
    if len(kept) and not np.all(np.abs(kept) < 2.0**63):  # beyond int64: one by one
        big = [None if m else int(v) for v, m in zip(arr, missing, strict=True)]
        return np.array(big, dtype=object)
    ints = np.where(missing, 0, arr).astype("int64").astype(object)
    ints[missing] = None
    return np.asarray(ints, dtype=object)


def _parsed_numbers(cells: _Cells) -> npt.NDArray[np.float64]:
    """Each cell as a float; NaN where blank or not a number."""
    values = cells.values
    kind = _numpy_kind(values.dtype)
    if kind == "b":
        return np.full(len(values), np.nan)
    if cells.stripped is not None:
        return _text_numbers(cells.stripped, cells.blank)
    if kind in ("i", "u", "f"):
        return np.asarray(values.to_numpy(dtype="float64"), dtype="float64")
    cleaned = values.map(lambda v: v.strip().replace("_", "") if isinstance(v, str) else v)
    numbers = pd.to_numeric(cleaned.where(~cells.blank, None), errors="coerce")
    return np.asarray(numbers.astype("float64").to_numpy(), dtype="float64")


def _text_numbers(stripped: Any, blank: Mask) -> npt.NDArray[np.float64]:
    """Numbers written as text ('1_000' is 1000), parsed like ``pd.to_numeric``.

    Plain integers, the usual case, go through Arrow; anything else through pandas.
    """
    cleaned = pc.replace_substring(stripped, "_", "")
    if pc.all(pc.match_substring_regex(cleaned, r"^-?[0-9]{1,15}$")).as_py() is not False:
        ints = pc.cast(cleaned, pa.int64())
        return np.asarray(ints.to_numpy(zero_copy_only=False), dtype="float64")
    text = np.asarray(cleaned.to_numpy(zero_copy_only=False), dtype=object).copy()
    text[blank] = np.nan  # as pandas holds a missing str cell
    numbers = pd.to_numeric(text, errors="coerce")
    return np.asarray(numbers, dtype="float64")


def _yes_no(v: object) -> bool | None:
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


def _bool(
    cells: _Cells,
    column: Column,
    line_offset: int,
    problems: list[str],
    country: Callable[[str], str] | None,
) -> pd.Series:
    truth, known = _parsed_bools(cells)
    bad = ~cells.blank & ~known
    _report(
        problems,
        bad,
        cells,
        column,
        line_offset,
        "not a yes/no value (use true/false, yes/no or 1/0)",
    )
    if not column.optional:
        return pd.Series(truth & known)
    parsed = truth.astype(object)
    parsed[~known | cells.blank] = None
    return pd.Series(parsed, dtype=object)


def _parsed_bools(cells: _Cells) -> tuple[Mask, Mask]:
    """Each cell's truth, and whether it is a yes/no value at all."""
    values = cells.values
    kind = _numpy_kind(values.dtype)
    if kind == "b":
        return np.asarray(values.to_numpy(dtype=bool), dtype=bool), np.ones(len(values), bool)
    if kind in ("i", "u"):
        numbers = values.to_numpy()
        return numbers == 1, (numbers == 0) | (numbers == 1)
    if kind == "f":
        return np.zeros(len(values), bool), np.zeros(len(values), bool)
    if cells.text is not None:
        encoded = pc.dictionary_encode(cells.text)
        words = [_yes_no(word) for word in encoded.dictionary.to_pylist()]
        truth = np.array([word is True for word in words] + [False])
        known = np.array([word is not None for word in words] + [False])
        codes = encoded.indices.fill_null(len(words)).to_numpy(zero_copy_only=False)
        return truth[codes], known[codes]
    parsed = values.map(_yes_no).to_numpy(dtype=object)
    truth = np.fromiter((v is True for v in parsed), dtype=bool, count=len(parsed))
    return truth, np.asarray(pd.notna(parsed), dtype=bool)


def _datetime(
    cells: _Cells,
    column: Column,
    line_offset: int,
    problems: list[str],
    country: Callable[[str], str] | None,
) -> pd.Series:
    values = cells.values
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = pd.to_datetime(values, utc=True)
    else:
        if cells.stripped is not None:
            as_text = cells.stripped.to_pandas()
        else:
            text = values.map(lambda v: v.strip() if isinstance(v, str) else v)
            as_text = text.where(~cells.blank, None).map(
                lambda v: v.isoformat() if hasattr(v, "isoformat") else v
            )
        parsed = pd.to_datetime(as_text, format="ISO8601", errors="coerce", utc=True)
    parsed = parsed.dt.tz_localize(None).astype("datetime64[ns]")
    bad = ~cells.blank & parsed.isna().to_numpy()
    kind = "date (YYYY-MM-DD)" if column.kind == "date" else "date-time (ISO 8601)"
    _report(problems, bad, cells, column, line_offset, f"not a {kind}")
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
    """The first 20 rows that repeat an earlier row's key, each naming that earlier row."""
    frame = table[list(key)]
    repeats = frame.duplicated(keep="first").to_numpy()
    for name in key:  # NaN never equals NaN: such keys are never repeats
        if frame[name].dtype.kind == "f":
            repeats = repeats & ~np.isnan(frame[name].to_numpy())
    if not repeats.any():
        return []
    groups = frame.groupby(list(key), sort=False, dropna=False).ngroup().to_numpy()
    _, first = np.unique(groups, return_index=True)
    label = key[0] if len(key) == 1 else "(" + ", ".join(key) + ")"
    problems: list[str] = []
    for row in np.flatnonzero(repeats)[:20]:
        ident = tuple(table.iloc[row][k] for k in key)
        other = int(first[groups[row]])
        shown = ident[0] if len(ident) == 1 else ident
        where = f"row {other + 1}" + (f" (line {other + line_offset})" if line_offset else "")
        problems.append(
            _where(int(row), key[0], shown, line_offset)
            + f": duplicate {label}, first seen on {where}"
        )
    return problems
