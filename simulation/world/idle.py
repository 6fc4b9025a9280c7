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

A view whose kinds changed while the supply it read did not is woken, but its old kinds
still have nothing: :meth:`IdleViews.new_kinds` names the kinds that came into it since
(from the book's :attr:`~simulation.world.state.OrderBook.kind_log`), so that only they
are read, and :meth:`IdleViews.extend` adds them to the stamp when they have nothing
either (a backlog of thousands of kinds, whose every new arrival may be a new kind,
would otherwise be read whole on each).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from simulation.world.state import OrderBook
from simulation.world.supply import Kind, Supply

__all__ = ["IdleViews", "View"]

#: A view of the open orders: the part groups decided together, and the rank.
View = tuple[tuple[int, ...], int]


@dataclass(frozen=True)
class _Stamp:
    """What a view that found nothing read, as it was then: the depots-back-online count,
    its groups' kind revisions, and the freed counts of what it reads, summed: every
    depot of the ``parts`` (:attr:`~simulation.world.state.WorldState.freed_parts`) and
    the single ``cells``. The counts only grow, so the sum stays put exactly when each
    count does, and one number compares what a tuple of every cell's count would.
    ``logged`` is how long each group's kind log was: the kinds before had nothing."""

    everywhere: int
    revision_keys: list[tuple[int, int]]
    revisions: list[int]
    logged: list[int]
    parts: tuple[int, ...]
    cells: tuple[int, ...]
    freed: int


#: What a kind of order reads: the parts it reads at every depot, the single cells it reads
#: elsewhere (``part * depots + depot``); None where it may buy (see ``_reads_of_kind``).
_Reads = tuple[tuple[int, ...], tuple[int, ...]]


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
        # Per kind of order, what it reads (None: it may buy, see _reads_of_kind).
        self._kind_reads: dict[Kind, _Reads | None] = {}

    def still_idle(self, view: View) -> bool:
        """Whether the view found nothing to take and nothing it depends on has changed."""
        stamp = self._idle.get(view)
        if stamp is None:
            return False
        state, revisions = self.supply.state, self.book.kind_revision
        if state.freed_everywhere != stamp.everywhere:
            return False
        keys = stamp.revision_keys
        if len(keys) == 1:  # one group, as nearly every event decides
            if revisions.get(keys[0], 0) != stamp.revisions[0]:
                return False
        elif [revisions.get(k, 0) for k in keys] != stamp.revisions:
            return False
        return self._freed(stamp.parts, stamp.cells) == stamp.freed

    def new_kinds(self, view: View) -> list[Kind] | None:
        """The kinds that came into the view since it last found nothing, and are in it
        still, if no supply it read was freed since; None otherwise (or if it never found
        nothing). Its other kinds still have nothing: changes that only take supply away
        count nowhere, and change nothing."""
        stamp = self._idle.get(view)
        if stamp is None or not self._unfreed(stamp):
            return None
        book, (groups, rank) = self.book, view
        log, fresh = book.kind_log, []
        for g, key, start in zip(groups, stamp.revision_keys, stamp.logged, strict=True):
            came = log.get(key, ())
            if len(came) == start:
                continue
            profiles = book.open_profiles.get(g, {})
            if self.pre_empts:
                kinds = profiles.get(rank, {})
                fresh += [k for k in came[start:] if k in kinds]
            else:
                present = list(profiles.values())
                fresh += [k for k in came[start:] if any(k in kinds for kinds in present)]
        return fresh

    def remember(self, view: View, kinds: Collection[Kind]) -> None:
        """The view, whose open orders are of these kinds, found nothing to take now."""
        reads = self._reads_of(kinds)
        if reads is not None:
            self._stamp(view, *reads)

    def extend(self, view: View, kinds: Collection[Kind]) -> None:
        """The view found nothing again, and its kinds new since its stamp (these,
        :meth:`new_kinds`) have nothing either: they join the stamp. What it read for
        kinds that have left is kept, which wakes it where it need not, and is harmless."""
        stamp = self._idle[view]
        reads = self._reads_of(kinds)
        if reads is None:
            del self._idle[view]
            return
        parts, cells = stamp.parts, stamp.cells
        if reads[0]:
            parts = tuple({*parts, *reads[0]})
        if reads[1]:
            cells = tuple({*cells, *reads[1]})
        self._stamp(view, parts, cells)

    def _stamp(self, view: View, parts: tuple[int, ...], cells: tuple[int, ...]) -> None:
        groups, rank = view
        level = rank if self.pre_empts else -1
        keys = [(g, level) for g in groups]
        revisions, log = self.book.kind_revision, self.book.kind_log
        self._idle[view] = _Stamp(
            self.supply.state.freed_everywhere,
            keys,
            [revisions.get(k, 0) for k in keys],
            [len(log.get(k, ())) for k in keys],
            parts,
            cells,
            self._freed(parts, cells),
        )

    def _unfreed(self, stamp: _Stamp) -> bool:
        """Whether no supply the stamp's view read has been freed since it was made."""
        return (
            self.supply.state.freed_everywhere == stamp.everywhere
            and self._freed(stamp.parts, stamp.cells) == stamp.freed
        )

    def _freed(self, parts: tuple[int, ...], cells: tuple[int, ...]) -> int:
        """The freed counts of every depot of ``parts`` and of ``cells``, summed."""
        state = self.supply.state
        if len(parts) == 1:  # mostly: one part, no substitutes
            total = state.freed_parts[parts[0]]
        else:
            total = sum(map(state.freed_parts.__getitem__, parts))
        return total + sum(map(state.freed.__getitem__, cells)) if cells else total

    def _reads_of(self, kinds: Collection[Kind]) -> _Reads | None:
        """The parts read at every depot and the single cells whose supply these kinds may
        take; None where one may buy from a supply option of its parts."""
        known = self._kind_reads
        parts: set[int] = set()
        cells: set[int] = set()
        for kind in kinds:
            mine = known.get(kind)
            if mine is None:
                if kind in known:
                    return None
                mine = known[kind] = self._reads_of_kind(kind)
                if mine is None:
                    return None
            parts.update(mine[0])
            cells.update(mine[1])
        return tuple(parts), tuple(cells)

    def _reads_of_kind(self, kind: Kind) -> _Reads | None:
        """What an order of this kind may take supply from: every depot of its parts for a
        class that may use transfers, else its home's cells; None where it may buy."""
        part, klass, _, home = kind
        supply = self.supply
        parts, depots = supply.usable[part], supply.state.depots
        if supply.buys[klass] and any(supply.options.by_part.get(q) for q in parts):
            return None
        if supply.wide[klass]:
            return tuple(parts), ()
        return (), tuple(q * depots + home for q in parts) if home >= 0 else ()
