"""Confidence intervals over replications, and paired differences between policies.

One replication is one possible year; a planner needs to know how far the mean of a handful
of them can be trusted. Each replication's KPI is one observation, so the interval is the
Student-t one, ``mean ± t(1 − (1 − level)/2, n − 1) · s / √n``. Policies run on common random
numbers (the same demand and disruptions per replication) are compared per replication first
and the differences summarised the same way — a paired t interval, much narrower than two
separate intervals would suggest.

The Student-t quantile is SciPy's (``scipy.special.stdtrit``, what ``scipy.stats.t.ppf``
calls, without importing all of ``scipy.stats``).

Summaries are *long*: one row per group and KPI with ``mean, ci_low, ci_high`` — it reads well
in a terminal, filters easily, writes to Parquet as it is, and turns into the JSON document of
:func:`summary_document` without reshaping.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special

from simulation.metrics import ALL_GROUP

__all__ = [
    "SUMMARY_COLUMNS",
    "paired_difference",
    "summarize",
    "summary_document",
    "t_quantile",
]

SUMMARY_COLUMNS = ("kpi", "replications", "mean", "ci_low", "ci_high")
"""The columns of a summary after its group columns."""


def t_quantile(probability: float, df: float) -> float:
    """The Student-t quantile: the ``t`` with ``P(T <= t) = probability`` for ``df`` degrees.

    SciPy's inverse of the Student-t distribution function (``scipy.stats.t.ppf``).

    Parameters
    ----------
    probability : float
        Strictly between 0 and 1.
    df : float
        Degrees of freedom, positive (need not be whole).

    Examples
    --------
    >>> round(t_quantile(0.975, 9), 6)
    2.262157
    >>> t_quantile(0.5, 3)
    0.0
    >>> round(t_quantile(0.05, 4), 6)
    -2.131847
    """
    if not 0.0 < probability < 1.0:
        raise ValueError(f"probability must be strictly between 0 and 1, not {probability!r}")
    if not (math.isfinite(df) and df > 0):
        raise ValueError(f"degrees of freedom must be a positive number, not {df!r}")
    if probability == 0.5:
        return 0.0
    # The smaller tail is exact in floating point; the other follows by symmetry.
    if probability > 0.5:
        return -float(special.stdtrit(float(df), 1.0 - probability))
    return float(special.stdtrit(float(df), probability))


def summarize(
    per_replication: pd.DataFrame, by: str | Sequence[str], level: float = 0.95
) -> pd.DataFrame:
    """Mean and confidence interval over replications of every numeric KPI, per group.

    Parameters
    ----------
    per_replication : DataFrame
        One row per replication and group, as from :func:`simulation.metrics.kpis`. Every
        numeric column other than ``replication`` and the group columns is a KPI.
    by : str or sequence of str
        The group columns (``[]`` for a frame without groups; :func:`~simulation.metrics.kpis`
        with ``by=None`` groups by ``"group"``).
    level : float
        Confidence level of the two-sided interval.

    Returns
    -------
    DataFrame
        Long format: the group columns, then ``kpi`` (the KPI's name), ``replications`` (how
        many values went in; NaNs are left out), ``mean``, ``ci_low``, ``ci_high``, one row per
        group and KPI in the input's column order. With fewer than two replications there is
        no estimate of spread, so ``ci_low`` and ``ci_high`` are NaN.

    Examples
    --------
    >>> per_rep = pd.DataFrame({"replication": [0, 1, 2], "group": ["all"] * 3,
    ...                         "fill_rate": [0.5, 0.6, 0.7]})
    >>> row = summarize(per_rep, by="group").iloc[0]
    >>> row["kpi"], [round(float(row[name]), 3) for name in ("mean", "ci_low", "ci_high")]
    ('fill_rate', [0.6, 0.352, 0.848])
    """
    columns = _columns(by)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be strictly between 0 and 1, not {level!r}")
    _require(per_replication, columns, "per-replication table")
    keys = ["replication", *columns] if "replication" in per_replication.columns else columns
    if "replication" in keys and per_replication.duplicated(keys).any():
        raise ValueError(
            f"more than one row per replication and group {columns}: "
            "group by the same columns the KPIs were computed by"
        )
    kpis = [
        name
        for name in per_replication.columns
        if name not in keys and pd.api.types.is_numeric_dtype(per_replication[name])
    ]
    long = per_replication.melt(
        id_vars=columns, value_vars=kpis, var_name="kpi", value_name="value"
    )
    long["kpi"] = pd.Categorical(long["kpi"], categories=kpis)
    long["value"] = long["value"].astype(np.float64)
    grouped = long.groupby([*columns, "kpi"], observed=True, sort=True, dropna=False)["value"]
    table = grouped.agg(["count", "mean", "std"]).reset_index()
    n = table["count"].to_numpy(np.int64)
    t = _two_sided(level, n)
    half = t * table["std"].to_numpy(np.float64) / np.sqrt(np.maximum(n, 1))
    mean = table["mean"].to_numpy(np.float64)
    summary = table[columns].assign(
        kpi=table["kpi"].astype(str),
        replications=n,
        mean=mean,
        ci_low=mean - half,
        ci_high=mean + half,
    )
    return summary.reset_index(drop=True)


def summary_document(summary: pd.DataFrame) -> dict[str, dict[str, dict[str, float | None]]]:
    """A summary as the nested dict the CLI prints as JSON: group → KPI → interval.

    The group's name is its value (several group columns are joined with ``/``; a missing
    value reads ``unknown``; a summary without group columns is ``all``). Numbers are plain
    floats; NaN and infinities, which JSON cannot carry, become ``None``.

    Examples
    --------
    >>> per_rep = pd.DataFrame({"replication": [0, 1], "priority_class": ["standard"] * 2,
    ...                         "orders": [10, 14]})
    >>> summary_document(summarize(per_rep, by="priority_class"))["standard"]["orders"]["mean"]
    12.0
    """
    groups = [name for name in summary.columns if name not in SUMMARY_COLUMNS]
    document: dict[str, dict[str, dict[str, float | None]]] = {}
    for row in summary.to_dict("records"):
        name = "/".join(_label(row[column]) for column in groups) or ALL_GROUP
        document.setdefault(name, {})[str(row["kpi"])] = {
            "mean": _plain(row["mean"]),
            "ci_low": _plain(row["ci_low"]),
            "ci_high": _plain(row["ci_high"]),
        }
    return document


def paired_difference(
    per_rep_a: pd.DataFrame,
    per_rep_b: pd.DataFrame,
    by: str | Sequence[str],
    level: float = 0.95,
) -> pd.DataFrame:
    """How policy B differs from policy A, replication by replication, with a paired interval.

    With common random numbers replication ``r`` of both policies saw the same demand and the
    same disruptions, so ``b − a`` per replication removes that shared noise and the interval
    around its mean says whether the difference is real.

    Parameters
    ----------
    per_rep_a, per_rep_b : DataFrame
        Per-replication KPIs of the two policies (from :func:`simulation.metrics.kpis`), with
        the same group columns.
    by : str or sequence of str
        The group columns.
    level : float
        Confidence level.

    Returns
    -------
    DataFrame
        Like :func:`summarize` (group columns, ``kpi, replications, mean, ci_low, ci_high``)
        over the differences ``b − a`` of every KPI both tables have. Only replication and
        group pairs present in both tables are compared; ``replications`` says how many.

    Examples
    --------
    >>> a = pd.DataFrame({"replication": [0, 1, 2], "group": ["all"] * 3,
    ...                   "mean_downtime_hours": [50.0, 70.0, 60.0]})
    >>> b = a.assign(mean_downtime_hours=[40.0, 61.0, 49.0])
    >>> row = paired_difference(a, b, by="group").iloc[0]
    >>> float(row["mean"]), bool(row["ci_high"] < 0)
    (-10.0, True)
    """
    columns = _columns(by)
    keys = ["replication", *columns]
    _require(per_rep_a, keys, "first table")
    _require(per_rep_b, keys, "second table")
    kpis = [
        name
        for name in per_rep_a.columns
        if name not in keys
        and name in per_rep_b.columns
        and pd.api.types.is_numeric_dtype(per_rep_a[name])
        and pd.api.types.is_numeric_dtype(per_rep_b[name])
    ]
    pairs = _keys_as_text(per_rep_a[[*keys, *kpis]], columns).merge(
        _keys_as_text(per_rep_b[[*keys, *kpis]], columns),
        on=keys,
        how="inner",
        suffixes=("_a", "_b"),
        validate="one_to_one",
    )
    differences = pairs[keys].assign(
        **{
            name: pairs[f"{name}_b"].astype(np.float64) - pairs[f"{name}_a"].astype(np.float64)
            for name in kpis
        }
    )
    return summarize(differences, columns, level)


def _two_sided(level: float, n: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """The t factor of two-sided intervals from ``n`` observations each (NaN below two)."""
    lower = special.stdtrit(np.maximum(n - 1, 1).astype(np.float64), (1.0 - level) / 2.0)
    return np.where(n >= 2, -lower, np.nan).astype(np.float64)


def _keys_as_text(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Group columns as plain objects, so two tables with different categories still join."""
    return frame.assign(**{name: frame[name].astype(object) for name in columns})


def _columns(by: str | Sequence[str]) -> list[str]:
    return [by] if isinstance(by, str) else list(by)


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise ValueError(f"the {what} has no column {missing[0]!r}")


def _label(value: Any) -> str:
    return "unknown" if value is None or pd.isna(value) else str(value)


def _plain(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None
