"""The printable page of a performance report: one HTML file, charts inline as SVG.

The page is read by a customer's IT manager, printed or mailed: it fetches nothing, runs no
script, and fits A4 when printed. Every text that comes from data (names, ids, codes) is
escaped. Charts are drawn on matplotlib's SVG canvas without pyplot, with a fixed hash salt
and no date, so the same report gives the same bytes.
"""

from __future__ import annotations

import html
import io
from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from allocation.domain.model import SourceKind
from allocation.domain.root_causes import cause

if TYPE_CHECKING:
    from allocation.reports.report import PerformanceReport

__all__ = ["SECTIONS", "report_page"]

SECTIONS: tuple[str, ...] = (
    "summary",
    "downtime",
    "sources",
    "lost-priority",
    "backorders",
    "root-causes",
    "actions",
)
"""The ids of the page's sections, in order."""

_STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330;
       margin: 0 auto; max-width: 56rem; padding: 1.5rem; }
header { border-bottom: 3px solid #1f5fa8; margin-bottom: 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.1rem; margin: 1.4rem 0 .4rem; color: #1f5fa8; }
.meta { color: #555; margin: 0 0 .6rem; }
.tiles { display: flex; flex-wrap: wrap; gap: .6rem; }
.tile { border: 1px solid #d6dbe4; border-radius: 6px; padding: .4rem .7rem; min-width: 9rem; }
.tile b { display: block; font-size: 1.25rem; }
table { border-collapse: collapse; margin: .3rem 0; }
th, td { border-bottom: 1px solid #e3e6ec; padding: .2rem .6rem; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: .4rem 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: .85rem; }
.callout { background: #fff6e5; border-left: 4px solid #e39b0b; padding: .4rem .7rem; }
footer { color: #666; font-size: .8rem; border-top: 1px solid #d6dbe4; margin-top: 1.5rem; }
@media print { body { padding: 0; font-size: 11px; } section { break-inside: avoid; } }
"""


def report_page(report: PerformanceReport) -> str:
    """The report as one self-contained HTML page."""
    doc = report.document()
    title = f"Performance report — {doc['customer_name']} — {doc['period']}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # An empty icon inline: a browser asks no server for /favicon.ico.
        '<link rel="icon" href="data:,">',
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>",
        "<header>",
        f"<h1>{_e(doc['customer_name'])} — performance report</h1>",
        f'<p class="meta">Customer {_e(doc["customer_id"])} · tier {_e(doc["tier"])} · period '
        f"{_e(doc['period'])} ({_e(doc['period_start'][:10])} to before "
        f"{_e(doc['period_end'][:10])}) · source: {_e(doc['source'])} · as of "
        f"{_e(doc['as_of'][:16].replace('T', ' '))}"
        + (
            f" · means of {doc['replications']} simulated replications"
            if doc["replications"] > 1
            else ""
        )
        + "</p>",
        "</header>",
        _summary(report, doc),
        _downtime(report, doc),
        _sources(doc),
        _lost_priority(doc),
        _backorders(doc),
        _root_causes(report, doc),
        _actions(doc),
        "<footer><p>Downtime runs from the order's creation until its last part arrives; "
        "orders still open are counted up to the report's time, so their figures are lower "
        "bounds. The share within the target counts orders already restored or already past "
        "the target. Lost hours are hours beyond the target.</p></footer>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _summary(report: PerformanceReport, doc: dict[str, Any]) -> str:
    down = doc["downtime"]
    tiles = [
        ("orders", _n(doc["orders"])),
        ("parts-priority orders", _n(doc["parts_priority_orders"])),
        ("mean downtime", _hours(down["mean_hours"])),
        ("p90 downtime", _hours(down["p90_hours"])),
        (f"restored within {doc['target_hours']:g} h", _share(down["within_target_share"])),
        ("open backorders", _n(doc["backorders"]["open"])),
    ]
    tile_html = "".join(
        f'<div class="tile">{_e(label)}<b>{_e(value)}</b></div>' for label, value in tiles
    )
    summary = report.summary()
    rows = [
        [str(r[0]), *(_share(v) if "within" in str(r[0]) else _value(v) for v in r[1:])]
        for r in summary.itertuples(index=False)
    ]
    table = _table(list(map(str, summary.columns)), rows, numeric=(1, 2))
    return (
        f'<section id="summary"><h2>Summary</h2><div class="tiles">{tile_html}</div>'
        f"{table}</section>"
    )


def _downtime(report: PerformanceReport, doc: dict[str, Any]) -> str:
    down = doc["downtime"]
    text = (
        f"<p>{_orders(down['orders'])}, {_n(down['open_orders'])} still open. Mean "
        f"{_hours(down['mean_hours'])}, p90 {_hours(down['p90_hours'])}; "
        f"{_share(down['within_target_share'])} of decided orders restored within the "
        f"{doc['target_hours']:g}-hour target.</p>"
    )
    chart = _figure(
        "chart-downtime",
        _downtime_chart(report.current.downtime_hours, report.target_hours),
        "Share of orders restored within a given time; the dashed line is the target.",
    )
    return f'<section id="downtime"><h2>Downtime against the target</h2>{text}{chart}</section>'


def _sources(doc: dict[str, Any]) -> str:
    kinds = [k.value for k in SourceKind]
    rows = [
        [kind, _n(doc["sources"][kind]["units"]), _money(doc["sources"][kind]["money"])]
        for kind in kinds
    ]
    table = _table(["source", "units", "money"], rows, numeric=(1, 2))
    spend = doc["spend"]
    callout = (
        f'<p class="callout">Expedited deliveries cost {_money(spend["expedite"])} and broker '
        f"buys {_money(spend['broker'])}: {_money(spend['special_means'])} on special means "
        f"of {_money(spend['total'])} in all.</p>"
    )
    chart = _figure(
        "chart-sources",
        _bar_chart(kinds, [doc["sources"][k]["units"] or 0 for k in kinds], "units"),
        "Units by source kind.",
    )
    return f'<section id="sources"><h2>Sources and spend</h2>{callout}{table}{chart}</section>'


def _lost_priority(doc: dict[str, Any]) -> str:
    lost = doc["lost_priority"]
    if not lost["by_code"]:
        body = "<p>No order lost parts priority.</p>"
    else:
        rows = [[code, cause(code).title, _n(count)] for code, count in lost["by_code"].items()]
        body = f"<p>{_orders(lost['orders'])} lost parts priority:</p>" + _table(
            ["code", "why", "orders"], rows, numeric=(2,)
        )
    return f'<section id="lost-priority"><h2>Orders that lost parts priority</h2>{body}</section>'


def _backorders(doc: dict[str, Any]) -> str:
    back = doc["backorders"]
    codes = list(dict.fromkeys([*back["open_by_code"], *back["closed_by_code"]]))
    rows = [
        [
            code,
            cause(code).title,
            _n(back["open_by_code"].get(code, 0)),
            _n(back["closed_by_code"].get(code, 0)),
        ]
        for code in codes
    ]
    text = f"<p>{_n(back['open'])} open and {_n(back['closed'])} closed backorders.</p>"
    table = _table(["code", "cause", "open", "closed"], rows, numeric=(2, 3)) if rows else ""
    return f'<section id="backorders"><h2>Backorders</h2>{text}{table}</section>'


def _root_causes(report: PerformanceReport, doc: dict[str, Any]) -> str:
    top = doc["top_causes"]
    if not top:
        return (
            '<section id="root-causes"><h2>Root causes</h2>'
            "<p>No order was short or late.</p></section>"
        )
    rows = [
        [
            t["code"],
            t["title"],
            _n(t["count"]),
            "–" if t["previous"] is None else _n(t["previous"]),
            "–" if t["change"] is None else f"{t['change']:+,.4g}",
        ]
        for t in top
    ]
    table = _table(["code", "cause", "orders", "previous", "change"], rows, numeric=(2, 3, 4))
    now = [t["count"] for t in top]
    before = [t["previous"] or 0 for t in top] if doc["previous_period"] else None
    chart = _figure(
        "chart-root-causes",
        _causes_chart([t["code"] for t in top], now, before, doc["previous_period"]),
        "Orders short or late, by root cause"
        + (f", against {doc['previous_period']}." if doc["previous_period"] else "."),
    )
    return f'<section id="root-causes"><h2>Root causes</h2>{table}{chart}</section>'


def _actions(doc: dict[str, Any]) -> str:
    items = doc["action_items"]
    if not items:
        body = "<p>No hours were lost beyond the target.</p>"
    else:
        body = (
            "<ol>"
            + "".join(
                f"<li><b>{_e(i['title'])}</b>: {_hours(i['lost_hours'])} lost over "
                f"{_orders(i['orders'])} — {_e(i['action'])}.</li>"
                for i in items
            )
            + "</ol>"
        )
    return f'<section id="actions"><h2>Action items</h2>{body}</section>'


# ----------------------------------------------------------------------------------------
# charts


def _downtime_chart(hours: np.ndarray, target: float) -> Figure:
    figure, axes = _axes((6.4, 2.6))
    if len(hours):
        values = np.sort(np.asarray(hours, dtype=np.float64))
        share = np.arange(1, len(values) + 1) / len(values)
        axes.step(values, share, where="post", color="#1f5fa8")
        axes.set_ylim(0, 1.02)
    else:
        axes.text(0.5, 0.5, "no orders", ha="center", va="center", transform=axes.transAxes)
    axes.axvline(target, color="#c0392b", linestyle="--", label=f"target ({target:g} h)")
    axes.set_xlabel("downtime (hours)")
    axes.set_ylabel("share of orders")
    axes.legend(loc="lower right", frameon=False)
    return figure


def _bar_chart(labels: list[str], values: list[float], unit: str) -> Figure:
    figure, axes = _axes((6.4, 2.2))
    positions = np.arange(len(labels))
    axes.barh(positions, values, color="#1f5fa8")
    axes.set_yticks(positions, labels)
    axes.invert_yaxis()
    axes.set_xlabel(unit)
    return figure


def _causes_chart(
    codes: list[str], now: list[float], before: list[float] | None, previous: str | None
) -> Figure:
    figure, axes = _axes((6.4, 0.5 + 0.42 * len(codes)))
    positions = np.arange(len(codes))
    height = 0.38 if before is not None else 0.7
    axes.barh(positions, now, height=height, color="#1f5fa8", label="this period")
    if before is not None:
        axes.barh(positions + height, before, height=height, color="#9db7d8", label=previous or "")
        axes.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2, frameon=False)
    axes.set_yticks(positions + (height / 2 if before is not None else 0), codes)
    axes.invert_yaxis()
    axes.set_xlabel("orders")
    return figure


def _axes(size: tuple[float, float]) -> tuple[Figure, Any]:
    figure = Figure(figsize=size, dpi=100, layout="constrained")
    FigureCanvasSVG(figure)
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def _figure(element_id: str, figure: Figure, caption: str) -> str:
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": element_id, "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    return (
        f'<figure class="chart" id="{element_id}">{svg}'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


# ----------------------------------------------------------------------------------------
# text


def _table(head: list[str], rows: list[list[str]], numeric: tuple[int, ...] = ()) -> str:
    top = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{_e(c)}</td>' if i in numeric else f"<td>{_e(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{top}</tr></thead><tbody>{body}</tbody></table>"


def _e(text: object) -> str:
    return html.escape(str(text))


def _value(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    return f"{float(value):,.4g}" if isinstance(value, float | int) else str(value)


def _n(value: float | None) -> str:
    if value is None:
        return "–"
    number = float(value)
    return f"{number:,.0f}" if number.is_integer() else f"{number:,.1f}"


def _hours(value: float | None) -> str:
    return "–" if value is None else f"{float(value):,.1f} h"


def _share(value: float | None) -> str:
    if value is None or np.isnan(float(value)):
        return "–"
    return f"{100 * float(value):.1f}%"


def _orders(value: float | None) -> str:
    """``1 order``, ``3 orders``, ``2.5 orders``."""
    return f"{_n(value)} order" + ("" if value == 1 else "s")


def _money(value: float | None) -> str:
    return "–" if value is None else f"{float(value):,.2f}"
