"""Small HTML tables for results shown in a notebook (``_repr_html_``), every cell escaped.

Ids and reasons come from user files; a cell like ``<script>`` must show as text, never run.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["html_block", "html_table"]


def html_table(frame: pd.DataFrame, caption: str | None = None, max_rows: int = 20) -> str:
    """A table of ``frame`` (its first ``max_rows`` rows), numbers right-aligned.

    Examples
    --------
    >>> table = html_table(pd.DataFrame({"order": ["<b>"], "units": [1200]}))
    >>> "<td>&lt;b&gt;</td>" in table, '<td style="text-align:right">1,200</td>' in table
    (True, True)
    """
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for values in frame.head(max_rows).itertuples(index=False):
        cells = []
        for value in values:
            text, numeric = _cell(value)
            style = ' style="text-align:right"' if numeric else ""
            cells.append(f"<td{style}>{html.escape(text)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    more = len(frame) - max_rows
    if more > 0:
        rows.append(
            f'<tr><td colspan="{max(len(frame.columns), 1)}">… and {more:,} more row(s)</td></tr>'
        )
    top = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{top}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def html_block(title: str, parts: Sequence[str], notes: Sequence[str] = ()) -> str:
    """A titled block of already-built tables, with escaped lines of text after them."""
    text = "".join(f"<p>{html.escape(n)}</p>" for n in notes)
    return f"<div><strong>{html.escape(title)}</strong>{''.join(parts)}{text}</div>"


def _cell(value: object) -> tuple[str, bool]:
    """The text of a cell and whether it is a number."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–", False
    if isinstance(value, bool | np.bool_):
        return str(bool(value)), False
    if isinstance(value, int | np.integer):
        return f"{int(value):,}", True
    if isinstance(value, float | np.floating):
        number = float(value)
        return (f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}"), True
    return str(value), False
