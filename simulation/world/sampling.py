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
import sys
from collections.abc import Callable

import numpy as np
from scipy import special

__all__ = ["ExpectedLead", "Streams", "draw_lead_time", "expected_lead_time"]

_DEMAND, _REPLENISHMENT, _PURCHASE, _EMERGENCY = 0, 1, 2, 3


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
        self._emergency: dict[int, np.random.Generator] = {}

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

    def emergency(self, klass: int) -> np.random.Generator:
        """Lead times of one priority class's emergency channel."""
        found = self._emergency.get(klass)
        if found is None:
            found = self._emergency[klass] = self._generator(_EMERGENCY, klass)
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


def expected_lead_time(mean: float, cv: float, distribution: str, elapsed: float) -> float:
    """The expected lead time of a reorder that has not landed ``elapsed`` hours after its
    release: ``E[L | L > elapsed]`` for the lead time ``L`` that :func:`draw_lead_time`
    draws with the same ``mean``, ``cv`` and ``distribution``.

    A planner who only knows the distribution expects a reorder at release + ``mean``; once
    that time has passed without the truck, "now" is not a good guess either — the truck
    is late, and late trucks of a spread-out distribution tend to be later still. What is
    known is that ``L > elapsed``, and the expectation given that is the planner's best
    estimate. It equals ``mean`` at release, never decreases as time passes, and always
    lies beyond ``elapsed``:

    - ``fixed`` (or ``cv`` 0): ``max(mean, elapsed)`` (a fixed lead time is never late);
    - ``exponential``: ``elapsed + mean`` (memoryless);
    - ``gamma`` (shape ``k`` = 1/cv², scale θ = mean/k): ``kθ + θ·xᵏe⁻ˣ/Γ(k, x)`` with
      ``x = elapsed/θ`` (the upper incomplete gamma function);
    - ``lognormal``: ``mean·Φ(σ − z)/Φ(−z)`` with ``z = (ln elapsed − μ)/σ``;
    - ``uniform`` on ``[lo, hi]``: ``mean`` before ``lo``, then ``(elapsed + hi)/2``.

    Examples
    --------
    >>> expected_lead_time(336.0, 0.3, "gamma", 0.0)
    336.0
    >>> round(expected_lead_time(336.0, 0.3, "gamma", 400.0), 1)
    473.4
    >>> expected_lead_time(48.0, 1.0, "exponential", 10.0)
    58.0
    >>> expected_lead_time(48.0, 0.0, "fixed", 60.0)
    60.0
    """
    if mean <= 0:
        return max(elapsed, 0.0)
    if elapsed <= 0:
        return float(mean)
    if distribution == "fixed" or (cv == 0 and distribution != "exponential"):
        return max(float(mean), elapsed)
    if distribution == "exponential":
        return elapsed + mean
    if distribution == "gamma":
        shape = 1.0 / (cv * cv)
        scale = mean / shape
        x = elapsed / scale if scale > 0.0 else math.inf
        if x == math.inf:  # a lead time too short for a float, still out: as good as due now
            return elapsed
        h = _density_over_tail(shape, x)
        if not math.isfinite(h):  # beyond any lead time ever drawn: as good as due now
            return elapsed
        return max(mean + scale * h, elapsed)
    if distribution == "lognormal":
        sigma = math.sqrt(math.log1p(cv * cv))
        z = (math.log(elapsed) - (math.log(mean) - sigma * sigma / 2.0)) / sigma
        tail = math.erfc(z / math.sqrt(2.0))
        if tail == 0.0:  # beyond any lead time ever drawn: as good as due now
            return elapsed
        return max(mean * math.erfc((z - sigma) / math.sqrt(2.0)) / tail, elapsed)
    if distribution == "uniform":
        half = mean * cv * math.sqrt(3.0)
        if elapsed <= mean - half:
            return float(mean)
        return max((elapsed + mean + half) / 2.0, elapsed)
    raise ValueError(f"unknown lead-time distribution {distribution!r}")


class ExpectedLead:
    """:func:`expected_lead_time` for one scenario's lead-time law, fast enough to ask for
    every outstanding reorder on every decision.

    The gamma case is the costly one (an incomplete gamma function per call, millions of
    calls in a busy year). Its only non-trivial term, ``h(x) = xᵏe⁻ˣ/Γ(k, x)``, depends on
    the shape alone, so it is tabulated once on a grid of ``x`` and interpolated linearly:
    within ``1e-5`` of the mean of the exact value (a test checks it), never decreasing in
    ``elapsed`` (the table is), and exact beyond the grid; for shapes below 1 (cv above 1)
    it is always exact. Other laws have closed forms.

    Examples
    --------
    >>> estimate = ExpectedLead(0.3, "gamma")
    >>> round(estimate(336.0, 400.0), 1), estimate(336.0, 0.0)
    (473.4, 336.0)
    """

    _POINTS = 8192

    def __init__(self, cv: float, distribution: str) -> None:
        self.cv, self.distribution = cv, distribution
        self._table: list[float] = []
        self._shape = self._step = self._end = 0.0
        # A shape below 1 (cv above 1) has a density without bound at 0: no table there.
        if distribution == "gamma" and 0 < cv <= 1:
            shape = 1.0 / (cv * cv)
            self._shape = shape
            self._end = shape + 12.0 * math.sqrt(shape) + 20.0
            self._step = self._end / self._POINTS
            self._table = [0.0] + [
                _density_over_tail(shape, i * self._step) for i in range(1, self._POINTS + 2)
            ]

        self.estimate = self._estimator()

    def __call__(self, mean: float, elapsed: float) -> float:
        """The expected lead time of a reorder with this mean, still out after ``elapsed``."""
        return self.estimate(mean, elapsed)

    def _estimator(self) -> Callable[[float, float], float]:
        """The estimate as a plain function (:attr:`estimate`), its table and constants
        bound in a closure: no attribute is read per call, and it is asked for every
        receipt a decision reads, over a million times in a busy year."""
        cv, distribution = self.cv, self.distribution
        table, shape, step, end = self._table, self._shape, self._step, self._end

        def exact(mean: float, elapsed: float) -> float:
            return expected_lead_time(mean, cv, distribution, elapsed)

        if not table:
            return exact

        def estimate(mean: float, elapsed: float) -> float:
            if mean <= 0 or elapsed <= 0:
                return exact(mean, elapsed)
            scale = mean / shape
            if scale <= 0.0:  # a mean too small for a float: the exact function says what
                return exact(mean, elapsed)
            x = elapsed / scale
            if x >= end:
                return exact(mean, elapsed)
            at = x / step
            i = int(at)
            low = table[i]
            h = low + (table[i + 1] - low) * (at - i)
            expected = mean + scale * h
            return expected if expected >= elapsed else elapsed

        return estimate


def _density_over_tail(shape: float, x: float) -> float:
    """``xᵏe⁻ˣ/Γ(k, x)`` for shape ``k``, from SciPy's regularized upper incomplete gamma
    ``Q(k, x) = Γ(k, x)/Γ(k)``; infinite where ``Q`` underflows (beyond any lead time drawn)."""
    tail = float(special.gammaincc(shape, x))
    if tail < sys.float_info.min:
        return math.inf
    return math.exp(shape * math.log(x) - x - math.lgamma(shape)) / tail
