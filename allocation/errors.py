"""Exceptions of the allocation package, one base and subclasses named for what went wrong.

::

    AllocationError                 anything this package raises on purpose
    ├── InputError                  the user's data is wrong; the CLI exits 2, the service a 4xx
    │   ├── TableError              a file, row, column and value that failed validation
    │   ├── UnknownCountryError     a country name or code nobody recognises
    │   ├── RulebookError           the rules data file is malformed
    │   ├── PolicyError             a policy option has a bad value
    │   └── UnknownIdError          an id that refers to nothing (order, part, depot, customer)
    └── SolverError                 the optimizer could not produce a trustworthy answer
        ├── InfeasibleError         the flow network admits no solution
        └── OutOfRangeError         numbers too large for the solver's integer arithmetic

Messages name the offending place and value so that a planner can fix the input without
reading code.
"""

from __future__ import annotations

__all__ = [
    "AllocationError",
    "InfeasibleError",
    "InputError",
    "OutOfRangeError",
    "PolicyError",
    "RulebookError",
    "SolverError",
    "TableError",
    "UnknownCountryError",
    "UnknownIdError",
]


class AllocationError(Exception):
    """Base of every error the allocation package raises on purpose."""


class InputError(AllocationError):
    """The input is wrong; the message says where and how to fix it."""


class TableError(InputError):
    """One or more cells of a table failed validation.

    Attributes
    ----------
    source : str
        The file name (or ``"<table> DataFrame"``) the table came from.
    problems : list of str
        One line per problem, each naming row, column and value.
    """

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = list(problems)
        shown = self.problems[:10]
        more = len(self.problems) - len(shown)
        lines = [f"{source}: {p}" for p in shown]
        if more > 0:
            lines.append(f"{source}: ... and {more} more problem(s)")
        super().__init__("\n".join(lines))

    def __reduce__(self) -> tuple[type[TableError], tuple[str, list[str]]]:
        # Rebuilt from what it was made of, so that it crosses from a worker process whole.
        return (type(self), (self.source, self.problems))


class UnknownCountryError(InputError):
    """A country value that is neither an ISO code, a known name nor an alias."""

    def __init__(self, value: object) -> None:
        self.value = value
        super().__init__(
            f"unknown country {value!r}: use an ISO 3166-1 alpha-2 or alpha-3 code, "
            "an English name or the data sheet's Chinese name"
        )

    def __reduce__(self) -> tuple[type[UnknownCountryError], tuple[object]]:
        return (type(self), (self.value,))


class UnknownProductTypeError(InputError):
    """Order lines name product types the rules do not know: most likely typos.

    A type the rules know as not covered (a server, a standalone monitor) is a valid input
    of class ``standard``; any other is refused, so that a typo never demotes a Priority
    Management order without a word. ``lines`` holds (order id, product type, the closest
    known types) for each line refused.
    """

    def __init__(self, lines: list[tuple[str, str, list[str]]], total: int | None = None) -> None:
        self.lines = list(lines)
        self.total = len(self.lines) if total is None else total
        shown = [
            f"order {order_id!r}: unknown product type {value!r}"
            + (f" (did you mean {' or '.join(repr(s) for s in like)}?)" if like else "")
            for order_id, value, like in self.lines[:10]
        ]
        if self.total > len(shown):
            shown.append(f"... and {self.total - len(shown)} more order(s)")
        super().__init__(
            "\n".join(shown)
            + "\n(the entitlement policy's unknown_product_types: uncovered accepts them as "
            "not covered)"
        )

    def __reduce__(
        self,
    ) -> tuple[type[UnknownProductTypeError], tuple[list[tuple[str, str, list[str]]], int]]:
        return (type(self), (self.lines, self.total))


class RulebookError(InputError):
    """The rules data file is malformed; names the field at fault."""


class PolicyError(InputError):
    """A policy option has a bad value; names the option."""


class UnknownIdError(InputError):
    """An id that refers to nothing known."""


class SolverError(AllocationError):
    """The optimizer could not produce a trustworthy answer."""


class InfeasibleError(SolverError):
    """The flow network has no feasible solution."""


class OutOfRangeError(SolverError):
    """A quantity, cost or objective would overflow the solver's int64 arithmetic."""
