"""Figures that a notebook shows as pictures, without pyplot, and the words written on them.

The charts are drawn on the Agg canvas, never through pyplot (no global figure list, safe
in worker processes). A notebook shows a plain figure as a picture only once pyplot has set
up its display hooks, so these figures carry their own PNG picture (``_repr_png_``).

A chart read on its own, in a slide or a mail, must say what it shows: a headline, and
under it the run it comes from (:class:`ChartContext`: the scenario, the policies, how many
replications, the confidence level of its error bars, the currency of its money). Groups
are named as planners name them (:func:`group_name`: "Parts priority", "Priority Access
Plus"), not as the tables key them, and a scenario field by the last part of its dotted path
(:func:`short_field_names`).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from allocation import PriorityClass, Tier, default_rulebook

__all__ = [
    "ChartContext",
    "NotebookFigure",
    "group_name",
    "new_figure",
    "new_panels",
    "short_field_names",
    "title_chart",
]

# How a priority class reads on a chart (docs/explanation/rules.md, "Parts priority": only an
# entitled
# Priority Management order outside the excluded countries is ``parts_priority``).
_CLASS_NAMES = {PriorityClass.PARTS_PRIORITY: "Parts priority", PriorityClass.STANDARD: "Standard"}
_ALL_GROUP = "all"  # simulation.metrics.ALL_GROUP: the group of every order
_SUBTITLE_POINTS = 9.0
_SUBTITLE_COLOUR = "0.3"


class NotebookFigure(Figure):
    """A matplotlib figure that shows itself as a PNG picture in a notebook.

    Examples
    --------
    >>> figure = new_figure((2.0, 1.0), 50)
    >>> figure._repr_png_()[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()


def new_figure(size: tuple[float, float], dpi: int = 100) -> NotebookFigure:
    """A figure of ``size`` inches on the Agg canvas, laid out by matplotlib's constrained
    layout (titles, labels and legends outside the axes get room; nothing runs off)."""
    figure = NotebookFigure(figsize=size, dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


@dataclass(frozen=True, slots=True)
class ChartContext:
    """The run a chart comes from, written under its headline.

    Attributes
    ----------
    scenario : str, optional
        The scenario's name.
    policies : tuple of str
        The policy, or the policies compared (the baseline first).
    replications : int, optional
        How many replications the chart's numbers pool or average.
    level : float
        The confidence level of the chart's error bars.
    currency : str
        ISO 4217 code of the chart's money.
    notes : tuple of str
        Anything else the reader needs (a sweep's fields held at one value).

    Examples
    --------
    >>> about = ChartContext("Thailand floods 2011", ("optimal",), 8)
    >>> about.subtitle(error_bars=True)
    'Scenario: Thailand floods 2011 · policy: optimal · 8 replications · error bars: 95% CI'
    """

    scenario: str | None = None
    policies: tuple[str, ...] = ()
    replications: int | None = None
    level: float = 0.95
    currency: str = "USD"
    notes: tuple[str, ...] = field(default=())

    @classmethod
    def of_run(
        cls,
        scenario: object,
        policies: Iterable[str],
        replications: int,
        level: float = 0.95,
    ) -> ChartContext:
        """The context of runs of ``scenario`` (a :class:`~simulation.scenario.model.Scenario`
        or anything with a ``name``; its ``currency`` when it has one, else USD)."""
        name = getattr(scenario, "name", None)
        currency = getattr(scenario, "currency", None) or "USD"
        return cls(
            scenario=str(name) if name else None,
            policies=tuple(policies),
            replications=replications,
            level=level,
            currency=str(currency),
        )

    @property
    def interval(self) -> str:
        """The error bars' name: ``95% CI``."""
        return f"{round(self.level * 100, 2):g}% CI"

    def subtitle(self, error_bars: bool = False) -> str:
        """Scenario, policies, replications and notes on one line; with ``error_bars``, the
        confidence level they show."""
        parts = []
        if self.scenario:
            parts.append(f"Scenario: {self.scenario}")
        if self.policies:
            kind = "policy" if len(self.policies) == 1 else "policies"
            parts.append(f"{kind}: {', '.join(self.policies)}")
        if self.replications is not None:
            plural = "" if self.replications == 1 else "s"
            parts.append(f"{self.replications:,} replication{plural}")
        parts.extend(self.notes)
        if error_bars:
            parts.append(f"error bars: {self.interval}")
        return " · ".join(parts)


def group_name(column: str | None, value: object) -> str:
    """How a group of orders reads on a chart: a priority class or a tier by its name, a
    source kind capitalised, anything else (customers, countries, parts) as it is.

    Examples
    --------
    >>> group_name("priority_class", "parts_priority"), group_name("tier", "PA+")
    ('Parts priority', 'Priority Access Plus')
    >>> group_name("source_kind", "broker"), group_name(None, "all"), group_name("country", "TH")
    ('Broker', 'All orders', 'TH')
    """
    text = str(value)
    if column == "priority_class" and text in _CLASS_NAMES:
        return _CLASS_NAMES[PriorityClass(text)]
    if column == "tier" and text in set(Tier):
        return default_rulebook().tiers[Tier(text)].name
    if column == "source_kind":
        return text.replace("_", " ").capitalize()
    if column in (None, "group") and text == _ALL_GROUP:
        return "All orders"
    return text


def short_field_names(paths: Sequence[str]) -> dict[str, str]:
    """Each dotted scenario field by its last name, underscores as spaces; a field under a
    list entry, or whose last name clashes with another's, keeps as much of its path as
    tells it apart, in brackets.

    Examples
    --------
    >>> short_field_names(["demand.orders_per_day", "horizon_days"])
    {'demand.orders_per_day': 'orders per day', 'horizon_days': 'horizon days'}
    >>> short_field_names(["disruptions.0.multiplier"])
    {'disruptions.0.multiplier': 'multiplier (disruptions 0)'}
    """
    split = {path: path.split(".") for path in paths}
    names: dict[str, str] = {}
    for path, parts in split.items():
        others = [other for name, other in split.items() if name != path]
        depth = 1  # how many components, from the end, name the field
        while depth < len(parts) and _unclear(parts[-depth - 1 :], others):
            depth += 1
        last = parts[-1].replace("_", " ")
        context = " ".join(parts[-depth:-1]).replace("_", " ")
        names[path] = f"{last} ({context})" if context else last
    return names


def new_panels(
    size: tuple[float, float],
    count: int,
    columns: int,
    headline: str,
    subtitle: str,
    *,
    share: bool = False,
    dpi: int = 100,
) -> tuple[NotebookFigure, list[Axes]]:
    """A figure of ``count`` panels, ``columns`` to a row, under a headline (the figure's
    title) and a subtitle (the title of the panels' block, smaller and grey); with
    ``share``, the panels on one x and one y scale."""
    figure = new_figure(size, dpi)
    figure.suptitle(headline, fontsize=12)
    block = figure.add_subfigure(figure.add_gridspec(1, 1)[0, 0])
    if subtitle:
        block.suptitle(
            _wrapped(subtitle, size[0]), fontsize=_SUBTITLE_POINTS, color=_SUBTITLE_COLOUR
        )
    rows = max(-(-count // columns), 1)
    grid = block.subplots(rows, columns, sharex=share, sharey=share, squeeze=False)
    panels = [axes for row in grid for axes in row]
    for spare in panels[count:]:
        spare.remove()
    return figure, panels[:count]


def title_chart(axes: Axes, headline: str, subtitle: str) -> None:
    """Put a headline over one chart and, under it, the subtitle (smaller and grey)."""
    figure = axes.get_figure()
    width = figure.get_figwidth() if isinstance(figure, Figure) else 8.0
    text = _wrapped(subtitle, width)
    lines = text.count("\n") + 1 if text else 0
    axes.set_title(headline, fontsize=12, pad=6.0 + 1.25 * _SUBTITLE_POINTS * lines)
    if text:
        axes.annotate(
            text,
            xy=(0.5, 1.0),
            xycoords="axes fraction",
            xytext=(0.0, 5.0),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=_SUBTITLE_POINTS,
            color=_SUBTITLE_COLOUR,
            gid="subtitle",
        )


def _unclear(tail: list[str], others: Sequence[list[str]]) -> bool:
    """Whether the last ``len(tail) - 1`` components of a path, under ``tail[0]``, leave it
    unclear: another path ends the same, or a list index is in them or right above them."""
    named = tail[1:]
    clash = any(other[-len(named) :] == named for other in others)
    return clash or tail[0].isdigit() or named[0].isdigit()


def _wrapped(text: str, inches: float) -> str:
    """``text`` broken into lines that fit ``inches`` at the subtitle's size."""
    return "\n".join(textwrap.wrap(text, width=max(int(inches * 14), 30)))
