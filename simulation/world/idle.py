"""Views of the open orders known to have nothing to take, and what would change that.

A backlog waiting for supply is asked, on every event of its part group, whether any of
its orders could take a unit now; mostly none can, and the answer stays the same until
either the kinds of its open orders change or supply is freed where they may take it.
:class:`IdleViews` remembers the views (groups and rank) that found nothing, with a
stamp of what their answer depends on, so that the next decision passes them over
without reading them while the stamp stays the same.

What an order of a kind (part, class, country column, home) may take is read only at
some shelves and pipelines (:meth:`simulation.world.supply.Supply.candidates`): a class
that may use transfers reads every depot of the part and its substitutes, one that may
not only its home. So the stamp holds, besides the view's kind revisions
(:attr:`~simulation.world.state.OrderBook.kind_revision`) and the count of depots back
online, the freed counts (:attr:`~simulation.world.state.WorldState.freed`) of exactly
those cells: supply freed at another depot cannot change the answer. Changes that only
take supply away need no count: what had nothing keeps nothing. A view with a class that
may buy from a supply option of its parts is never remembered: capacity and terms change
with the clock, which no count follows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from operator import itemgetter

from simulation.world.state import OrderBook
from simulation.world.supply import Kind, Supply

__all__ = ["IdleViews", "View"]

#: A view of the open orders: the part groups decided together, and the rank.
View = tuple[tuple[int, ...], int]


@dataclass(frozen=True)
class _Stamp:
    """What a view that found nothing read, as it was then: the depots-back-online count,
    its groups' kind revisions, and the freed counts of its cells (``read`` picks them)."""

    everywhere: int
    revision_keys: list[tuple[int, int]]
    revisions: list[int]
    read: Callable[[list[int]], object]
    freed: object


def _nothing(_: list[int]) -> object:
    return ()


class IdleViews:
    """The views that found nothing to take, each with the stamp it was read at.

    Parameters
    ----------
    supply : Supply
        The free supply (its state's freed counts are read).
    book : OrderBook
        The orders (their kind revisions are read).
    pre_empts : bool
        Whether a view is one rank (with pre-emption) or every rank at once (-1).
    """

    def __init__(self, supply: Supply, book: OrderBook, pre_empts: bool) -> None:
        self.supply = supply
        self.book = book
        self.pre_empts = pre_empts
        self._idle: dict[View, _Stamp] = {}
        # Per kind of order, the cells it reads (None: it may buy, see _cells_of_kind).
        self._kind_cells: dict[Kind, tuple[int, ...] | None] = {}

    def still_idle(self, view: View) -> bool:
        """Whether the view found nothing to take and nothing it depends on has changed."""
        stamp = self._idle.get(view)
        if stamp is None:
            return False
        state, revisions = self.supply.state, self.book.kind_revision
        return (
            state.freed_everywhere == stamp.everywhere
            and [revisions.get(k, 0) for k in stamp.revision_keys] == stamp.revisions
            and stamp.read(state.freed) == stamp.freed
        )

    def remember(self, view: View, kinds: Collection[Kind]) -> None:
        """The view, whose open orders are of these kinds, found nothing to take now."""
        cells = self._cells_of(kinds)
        if cells is None:
            return
        groups, rank = view
        level = rank if self.pre_empts else -1
        keys = [(g, level) for g in groups]
        state, revisions = self.supply.state, self.book.kind_revision
        read = itemgetter(*cells) if cells else _nothing
        self._idle[view] = _Stamp(
            state.freed_everywhere,
            keys,
            [revisions.get(k, 0) for k in keys],
            read,
            read(state.freed),
        )

    def _cells_of(self, kinds: Collection[Kind]) -> list[int] | None:
        """The cells (``part * depots + depot``) whose supply these kinds may take; None
        where one may buy from a supply option of its parts."""
        known = self._kind_cells
        cells: set[int] = set()
        for kind in kinds:
            if kind not in known:
                known[kind] = self._cells_of_kind(kind)
            mine = known[kind]
            if mine is None:
                return None
            cells.update(mine)
        return sorted(cells)

    def _cells_of_kind(self, kind: Kind) -> tuple[int, ...] | None:
        """The cells an order of this kind may take supply from: every depot of its parts
        for a class that may use transfers, else its home's; None where it may buy."""
        part, klass, _, home = kind
        supply = self.supply
        parts, depots = supply.usable[part], supply.state.depots
        if supply.buys[klass] and any(supply.options.by_part.get(q) for q in parts):
            return None
        if supply.wide[klass]:
            return tuple(c for q in parts for c in range(q * depots, (q + 1) * depots))
        return tuple(q * depots + home for q in parts) if home >= 0 else ()
