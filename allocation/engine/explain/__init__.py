"""Why a plan is what it is: a code and a sentence per unfilled order, and explanations.

Every function takes the problem and the units on its arcs, so a plan, a re-plan of one
group or a caller's own flow can be explained alike.
"""

from __future__ import annotations

from allocation.engine.explain._held_back import HeldBack, held_back, held_back_words
from allocation.engine.explain._reasons import CODES, Reasons, unfilled_reasons
from allocation.engine.explain._words import explain_order

__all__ = [
    "CODES",
    "HeldBack",
    "Reasons",
    "explain_order",
    "held_back",
    "held_back_words",
    "unfilled_reasons",
]
