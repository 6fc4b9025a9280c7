"""The lone-order rule over lists gives the takes of the array version, ties and all."""

from __future__ import annotations

import numpy as np
import pytest

from allocation.engine.objective import fill_alone, fill_alone_lazy


@pytest.mark.fast
def test_the_list_version_of_the_lone_order_rule_takes_what_the_array_version_takes() -> None:
    # Few distinct values, so that sources tie on ticks and cents, on all three levels, or
    # have no units, and needs that run out inside runs of equal sources (no answer).
    rng = np.random.default_rng(7)
    answered = ambiguous = 0
    for _ in range(3000):
        n = int(rng.integers(1, 9))
        ticks = rng.integers(0, 3, n).tolist()
        cents = rng.integers(0, 2, n).tolist()
        tie = rng.integers(0, 3, n).tolist()
        units = rng.integers(0, 4, n).tolist()
        need = int(rng.integers(1, 12))
        asked: list[int] = []

        def tie_of(i: int, tie: list[int] = tie, asked: list[int] = asked) -> int:
            asked.append(i)
            return tie[i]

        expected = fill_alone(ticks, cents, tie, units, need)
        got = fill_alone_lazy(ticks, cents, tie_of, units, need)
        if expected is None:
            assert got is None
            ambiguous += 1
        else:
            assert got == expected.tolist()
            answered += 1
        pairs = list(zip(ticks, cents, strict=True))
        assert all(pairs.count(pairs[i]) > 1 for i in asked)
    assert answered > 1000
    assert ambiguous > 100


@pytest.mark.fast
def test_a_source_unlike_every_other_is_never_asked_its_tie_cost() -> None:
    def no_tie(i: int) -> int:
        raise AssertionError(f"source {i} was asked its tie cost")

    assert fill_alone_lazy([2, 1, 1], [0, 5, 7], no_tie, [4, 1, 1], 3) == [1, 1, 1]
