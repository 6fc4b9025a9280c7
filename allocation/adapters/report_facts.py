"""Report facts on disk: the folder a simulation run writes and ``report --run`` reads.

A run folder (``simulate --out DIR``) holds its report facts in ``DIR/report-facts/``:

==================  ===========================================================================
file                content
==================  ===========================================================================
orders.parquet      :data:`allocation.reports.ORDER_COLUMNS`, one row per order and replication
sources.parquet     :data:`allocation.reports.SOURCE_COLUMNS`
customers.parquet   :data:`allocation.reports.CUSTOMER_COLUMNS`
facts.json          ``as_of`` (ISO time, naive UTC), ``target_hours``, ``origin``,
                    ``replications`` and ``format`` (``parts-priority report facts 1``)
==================  ===========================================================================

Writing is the caller's to make atomic (the run's folder appears whole or not at all);
reading checks every file and names the one at fault.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from allocation.errors import InputError
from allocation.reports.facts import ReportFacts

__all__ = ["FACTS_FOLDER", "FORMAT", "read_report_facts", "write_report_facts"]

FACTS_FOLDER = "report-facts"
"""The folder of a run's report facts, inside the run's ``--out`` folder."""

FORMAT = "parts-priority report facts 1"
_TABLES = ("orders", "sources", "customers")


def write_report_facts(facts: ReportFacts, folder: str | Path) -> list[Path]:
    """Write ``facts`` into ``folder`` (made if missing); return the paths written."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    written = []
    for name in _TABLES:
        path = root / f"{name}.parquet"
        getattr(facts, name).to_parquet(path, index=False)
        written.append(path)
    meta = {
        "format": FORMAT,
        "as_of": facts.as_of.isoformat(),
        "target_hours": facts.target_hours,
        "origin": facts.origin,
        "replications": facts.replications,
    }
    path = root / "facts.json"
    path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return [*written, path]


def read_report_facts(folder: str | Path) -> ReportFacts:
    """The report facts of a run folder (or of its ``report-facts`` folder itself).

    Raises
    ------
    InputError
        When the folder holds no report facts, or a file of them is unreadable or malformed;
        the message names the file.
    """
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"{root}: no such folder")
    if (root / FACTS_FOLDER).is_dir():
        root = root / FACTS_FOLDER
    meta_path = root / "facts.json"
    if not meta_path.is_file():
        raise InputError(
            f"{folder}: holds no report facts (no {FACTS_FOLDER}/facts.json); a folder that "
            "`parts-priority simulate SCENARIO --out DIR` wrote has them"
        )
    meta = _meta(meta_path)
    tables = {name: _table(root / f"{name}.parquet") for name in _TABLES}
    return ReportFacts(
        orders=tables["orders"],
        sources=tables["sources"],
        customers=tables["customers"],
        as_of=meta["as_of"],
        target_hours=meta["target_hours"],
        origin=meta["origin"],
        replications=meta["replications"],
    )


def _meta(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{path}: not readable JSON ({error})") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise InputError(f"{path}: not a file of report facts (format {FORMAT!r} expected)")
    try:
        as_of = datetime.fromisoformat(str(raw["as_of"]))
        target = float(raw["target_hours"])
        origin = str(raw["origin"])
        replications = int(raw["replications"])
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(f"{path}: bad or missing field ({error})") from None
    return {
        "as_of": as_of.replace(tzinfo=None),
        "target_hours": target,
        "origin": origin,
        "replications": replications,
    }


def _table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(f"{path}: missing")
    try:
        return pd.read_parquet(path)
    except Exception as error:  # pyarrow raises several types for a damaged file
        raise InputError(f"{path}: not a readable Parquet file ({error})") from None
