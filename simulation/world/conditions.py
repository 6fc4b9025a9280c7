"""What the disruptions do to supply at a given moment: capacity, lead times, prices, failure.

Windows are few (a scenario lists a handful), so each question scans them; the answers are
pure functions of the time and the part, which keeps the world's behaviour easy to test.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from simulation.world.setup import WorldSetup
from simulation.world.state import OptionBook

__all__ = ["Conditions", "OptionTerms"]


class OptionTerms:
    """Supply options' terms right now, for some option rows."""

    __slots__ = ("capacity", "lead_hours", "price", "rows", "success")

    def __init__(
        self,
        rows: npt.NDArray[np.int64],
        capacity: npt.NDArray[np.int64],
        lead_hours: npt.NDArray[np.float64],
        price: npt.NDArray[np.float64],
        success: npt.NDArray[np.float64],
    ) -> None:
        self.rows = rows
        self.capacity = capacity
        self.lead_hours = lead_hours
        self.price = price
        self.success = success


class Conditions:
    """The scenario's supply conditions, read at a moment."""

    def __init__(self, setup: WorldSetup, options: OptionBook) -> None:
        self.setup = setup
        self.options = options
        sources = setup.scenario.sources
        self.period_hours = sources.capacity_period_hours
        self._scale = np.where(
            options.is_broker, sources.broker.capacity_scale, sources.expedite.capacity_scale
        )
        self._price_multiplier = np.where(options.is_broker, sources.broker.price_multiplier, 1.0)
        failure = sources.broker.failure_probability
        self._success = options.success.copy()
        if failure is not None:
            self._success[options.is_broker] = 1.0 - failure
        self._parts = np.array(options.part, dtype=np.int64)
        self._factory_free = [0.0] * setup.part_count

    def period(self, now: float) -> int:
        """The capacity period ``now`` falls in."""
        return int(now // self.period_hours)

    def terms(self, rows: npt.NDArray[np.int64], now: float) -> OptionTerms:
        """Capacity left this period, lead time, price and success chance of option rows."""
        opts = self.options
        parts = self._parts[rows]
        broker = opts.is_broker[rows]
        capacity = opts.capacity[rows] * self._scale[rows]
        lead = opts.lead_hours[rows].copy()
        price = opts.price[rows] * self._price_multiplier[rows]
        success = self._success[rows].copy()
        for low, high, mask, lost, stretch, _ in self.setup.cuts:
            if low <= now < high:
                hit = mask[parts] & ~broker
                capacity[hit] *= 1.0 - lost
                lead[hit] *= stretch
        for low, high, mask, market, _ in self.setup.markets:
            if low <= now < high:
                hit = mask[parts] & broker
                capacity[hit] *= market.capacity_factor
                price[hit] *= market.price_factor
                if market.failure_probability is not None:
                    success[hit] = np.minimum(success[hit], 1.0 - market.failure_probability)
        left = np.floor(capacity + 1e-9).astype(np.int64) - opts.used[rows]
        return OptionTerms(rows, np.maximum(left, 0), lead, price, success)

    def terms_of(self, option: int, now: float) -> tuple[float, float]:
        """Lead time (hours) and success chance of one option now."""
        _, lead, _, success = self.terms_now(option, now)
        return lead, success

    def terms_now(self, option: int, now: float) -> tuple[int, float, float, float]:
        """Capacity left, lead time, price and success chance of one option now: the same
        numbers as :meth:`terms`, computed without arrays (it is asked on every decision)."""
        opts = self.options
        part, broker = opts.part[option], bool(opts.is_broker[option])
        capacity = float(opts.capacity[option]) * float(self._scale[option])
        lead = float(opts.lead_hours[option])
        price = float(opts.price[option]) * float(self._price_multiplier[option])
        success = float(self._success[option])
        for low, high, mask, lost, stretch, _ in self.setup.cuts:
            if low <= now < high and mask[part] and not broker:
                capacity *= 1.0 - lost
                lead *= stretch
        for low, high, mask, market, _ in self.setup.markets:
            if low <= now < high and mask[part] and broker:
                capacity *= market.capacity_factor
                price *= market.price_factor
                if market.failure_probability is not None:
                    success = min(success, 1.0 - market.failure_probability)
        left = math.floor(capacity + 1e-9) - int(opts.used[option])
        return max(left, 0), lead, price, success

    def lead_factor(self, part: int, now: float) -> float:
        """How much factory lead times of a part are stretched now."""
        factor = 1.0
        for low, high, mask, _, stretch, _ in self.setup.cuts:
            if low <= now < high and mask[part]:
                factor *= stretch
        return factor

    def factory_release(self, part: int, quantity: int, now: float) -> float:
        """When the factory releases a reorder placed now.

        Outside a supply cut at once; inside one the factory ships the part at
        ``(1 − volume_lost)`` of its normal rate (the part's mean demand), first come first
        served, and whatever is still queued when the cut ends ships then.
        """
        release = now
        for low, high, mask, lost, _, _ in self.setup.cuts:
            if not (low <= now < high and mask[part]) or lost <= 0:
                continue
            rate = (1.0 - lost) * float(self.setup.part_rate_per_hour[part])
            if rate <= 0:
                release = max(release, high)
                continue
            slot = max(now, self._factory_free[part])
            done = slot + quantity / rate
            self._factory_free[part] = done
            release = max(release, min(done, high))
        return release
