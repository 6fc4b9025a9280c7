"""Figures that a notebook shows as pictures, without pyplot.

The charts are drawn on the Agg canvas, never through pyplot (no global figure list, safe
in worker processes). A notebook shows a plain figure as a picture only once pyplot has set
up its display hooks, so these figures carry their own PNG picture (``_repr_png_``).
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["NotebookFigure", "new_figure"]


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
    """A figure of ``size`` inches on the Agg canvas."""
    figure = NotebookFigure(figsize=size, dpi=dpi)
    FigureCanvasAgg(figure)
    return figure
