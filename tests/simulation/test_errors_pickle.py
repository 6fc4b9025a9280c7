"""Every error crosses from a worker process whole: pickled and rebuilt, it says the same."""

from __future__ import annotations

import inspect
import pickle

import pytest

import allocation.errors
import simulation.errors

pytestmark = pytest.mark.fast

_ARGS: dict[str, tuple[object, ...]] = {
    "TableError": ("orders.csv", ["row 2 (line 3), column 'quantity', value '-3': must be > 0"]),
    "UnknownCountryError": ("Atlantis",),
    "UnknownProductTypeError": ([("O1", "notebok", ["notebook"]), ("O2", "x", [])], 3),
}


@pytest.mark.parametrize(
    "error",
    [
        cls
        for module in (allocation.errors, simulation.errors)
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Exception) and cls.__module__ == module.__name__
    ],
    ids=lambda cls: cls.__name__,
)
def test_an_error_pickled_and_rebuilt_says_the_same(error: type[Exception]) -> None:
    raised = error(*_ARGS.get(error.__name__, ("something went wrong",)))
    again = pickle.loads(pickle.dumps(raised))
    assert type(again) is error
    assert str(again) == str(raised)
    assert vars(again) == vars(raised)
