"""How many examples a property run takes in this run.

A property test marked ``property`` runs in both lanes: in the default run (the README's
command, which must stay within minutes) with a quarter of the examples it names, at least
ten; in the slow lane (``pytest -m "slow or property"``, as CI runs it) with every one.
``tests/conftest.py`` sets :data:`FULL` from the run's marker expression before any test
module is imported, so the counts are fixed when the decorators are read.
"""

from __future__ import annotations

FULL = False


def examples(n: int) -> int:
    """The examples to run of a property that names ``n``."""
    return n if FULL else max(10, n // 4)


def selects_slow(expression: str) -> bool:
    """Whether a ``-m`` expression selects the slow checks (``slow``, ``slow or property``).

    >>> selects_slow("not slow"), selects_slow("slow or property"), selects_slow("")
    (False, True, False)
    """
    return "slow" in expression and "not slow" not in expression
