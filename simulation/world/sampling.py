"""Lead-time draws: a distribution named in the scenario, its mean and its variability."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["draw_lead_time"]


def draw_lead_time(
    rng: np.random.Generator, mean: float, cv: float, distribution: str = "gamma"
) -> float:
    """One lead time in hours with the given mean and coefficient of variation.

    ``fixed`` (or ``cv`` 0 for the two-parameter families) is the mean itself;
    ``exponential`` ignores ``cv`` (it is 1); ``gamma`` has shape 1/cv²; ``lognormal``
    has σ² = ln(1 + cv²); ``uniform`` spans mean × (1 ± cv·√3).

    Examples
    --------
    >>> draw_lead_time(np.random.default_rng(0), 48.0, 0.0)
    48.0
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
