"""Random numbers of one replication: independent streams per kind of draw, and lead times.

Every stream descends from one :class:`numpy.random.SeedSequence` of the run's seed, keyed by
(replication, kind[, index]); streams never overlap and a replication is the same wherever it
runs. Demand is drawn whole before the clock starts, so two policies run with the same seed
see the same orders. Lead times and purchase outcomes come from a stream per part (or per
supply option), so the ``k``-th reorder of a part draws the same lead time under any policy
that reorders it ``k`` times: common random numbers as far as the policies let them be common.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Streams", "draw_lead_time"]

_DEMAND, _REPLENISHMENT, _PURCHASE = 0, 1, 2


class Streams:
    """The random streams of replication ``replication`` of a run seeded with ``seed``.

    Examples
    --------
    >>> a, b = Streams(7, 0), Streams(7, 0)
    >>> float(a.demand.random()) == float(b.demand.random())
    True
    >>> float(Streams(7, 1).replenishment(3).random()) == float(a.replenishment(3).random())
    False
    """

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = seed
        self.replication = replication
        self.demand = self._generator(_DEMAND)
        self._replenishment: dict[int, np.random.Generator] = {}
        self._purchase: dict[int, np.random.Generator] = {}

    def replenishment(self, part: int) -> np.random.Generator:
        """Lead times of a part's factory reorders."""
        found = self._replenishment.get(part)
        if found is None:
            found = self._replenishment[part] = self._generator(_REPLENISHMENT, part)
        return found

    def purchase(self, option: int) -> np.random.Generator:
        """Lead times and outcomes of buys from one supply option."""
        found = self._purchase.get(option)
        if found is None:
            found = self._purchase[option] = self._generator(_PURCHASE, option)
        return found

    def _generator(self, *key: int) -> np.random.Generator:
        sequence = np.random.SeedSequence(entropy=self.seed, spawn_key=(self.replication, *key))
        return np.random.Generator(np.random.PCG64(sequence))


def draw_lead_time(
    rng: np.random.Generator, mean: float, cv: float, distribution: str = "gamma"
) -> float:
    """One lead time in hours with the given mean and coefficient of variation.

    ``fixed`` (or ``cv`` 0 for the two-parameter families) is the mean itself and draws
    nothing; ``exponential`` ignores ``cv`` (it is 1); ``gamma`` has shape 1/cv²;
    ``lognormal`` has σ² = ln(1 + cv²); ``uniform`` spans mean × (1 ± cv·√3).

    Examples
    --------
    >>> draw_lead_time(np.random.default_rng(0), 48.0, 0.0)
    48.0
    >>> round(draw_lead_time(np.random.default_rng(0), 48.0, 0.5, "uniform"), 3)
    59.387
    """
    if mean <= 0:
        return 0.0
    if distribution == "fixed" or (cv == 0 and distribution != "exponential"):
        return float(mean)
    if distribution == "exponential":
        return float(rng.exponential(mean))
    if distribution == "gamma":
        shape = 1.0 / (cv * cv)
        return float(rng.gamma(shape, mean / shape))
    if distribution == "lognormal":
        sigma2 = math.log1p(cv * cv)
        return float(rng.lognormal(math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)))
    if distribution == "uniform":
        half = mean * cv * math.sqrt(3.0)
        return float(rng.uniform(mean - half, mean + half))
    raise ValueError(f"unknown lead-time distribution {distribution!r}")
