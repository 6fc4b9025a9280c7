"""Where the world happens: countries by market size, regions, depots and the suppliers' sites.

Customers, order sites, depots and lanes must agree on one map: which covered countries have
parts priority, which are excluded, which uncovered neighbours customers still have sites in,
and the region of each (the region decides a lane's distance class). The map is read from the
rulebook, so a change of the data sheet moves the worlds with it, and depots are seated where
the big markets are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from allocation.adapters.synthetic._common import (
    FloatArray,
    IntArray,
    ObjArray,
    largest_remainder,
)
from allocation.domain.rulebook import Rulebook

# Relative size of a market (customers, orders, depots); covered countries not named weigh 1.
_MARKET_WEIGHTS = {
    "US": 24.0, "CN": 9.0, "DE": 9.0, "GB": 8.0, "JP": 8.0, "FR": 7.0, "IN": 6.0, "BR": 5.0,
    "CA": 4.0, "IT": 4.0, "ES": 4.0, "AU": 4.0, "MX": 4.0, "NL": 3.0, "KR": 3.0, "CH": 2.0,
    "SE": 2.0, "PL": 2.0, "TR": 2.0, "SG": 2.0, "TW": 2.0, "AE": 2.0, "SA": 2.0, "ZA": 2.0,
    "AT": 2.0, "BE": 2.0,
}  # fmt: skip
# Countries outside the coverage where customers still have sites, each with a covered
# neighbour whose region decides lane distances.
_UNCOVERED = {
    "VN": "TH", "PK": "IN", "BD": "IN", "LK": "IN", "KZ": "RU", "UA": "PL", "RO": "HU",
    "BG": "GR", "HR": "SI", "RS": "HU", "KE": "ZA", "GH": "NG", "BO": "PE", "PY": "AR",
}  # fmt: skip
# Suppliers and the country each ships from; a factory's share is the share of parts it makes.
FACTORIES = (("MFG-CN", "CN", 0.6), ("MFG-MX", "MX", 0.2), ("MFG-CZ", "CZ", 0.2))
BROKERS = (
    ("BRK-1", "US"), ("BRK-2", "NL"), ("BRK-3", "GB"), ("BRK-4", "DE"),
    ("BRK-5", "SG"), ("BRK-6", "HK"), ("BRK-7", "AE"),
)  # fmt: skip


@dataclass(frozen=True)
class Geography:
    """Where customers, sites and depots are, and which region each country belongs to."""

    domestic: ObjArray  # covered countries with parts priority
    domestic_weight: FloatArray
    excluded: ObjArray
    uncovered: ObjArray
    region: dict[str, str]

    @classmethod
    def of(cls, book: Rulebook) -> Geography:
        region = {c: r for r, members in book.regions.items() for c in members}
        excluded = sorted(book.parts_priority_excluded)
        domestic = sorted(book.covered_countries - book.parts_priority_excluded)
        uncovered = sorted(c for c in _UNCOVERED if c not in book.covered_countries)
        for code in uncovered:
            region[code] = region.get(_UNCOVERED[code], f"outside:{code}")
        return cls(
            domestic=np.array(domestic, dtype=object),
            domestic_weight=np.array([_MARKET_WEIGHTS.get(c, 1.0) for c in domestic]),
            excluded=np.array(excluded, dtype=object),
            uncovered=np.array(uncovered, dtype=object),
            region=region,
        )

    def draw(self, rng: np.random.Generator, n: int) -> ObjArray:
        """Domestic countries weighted by market size."""
        return np.asarray(
            rng.choice(self.domestic, n, p=self.domestic_weight / self.domestic_weight.sum())
        )

    def distance_class(self, origin: ObjArray, destination: ObjArray) -> IntArray:
        """0 same country, 1 same region, 2 other region."""
        same_region = pd.Series(origin).map(self.region).to_numpy(dtype=object) == pd.Series(
            destination
        ).map(self.region).to_numpy(dtype=object)
        return np.where(origin == destination, 0, np.where(same_region, 1, 2)).astype(np.int64)


def place_depots(n: int, geo: Geography) -> tuple[pd.DataFrame, FloatArray]:
    """Seats per region by market size (each region one first), then per country by D'Hondt.

    Returns the table and each depot's share of its country's market, the weight by which
    stock is placed.
    """
    regions = sorted({geo.region[c] for c in geo.domestic})
    region_of = np.array([geo.region[c] for c in geo.domestic], dtype=object)
    size = np.array([geo.domestic_weight[region_of == r].sum() for r in regions])
    seats = np.zeros(len(regions), dtype=np.int64)
    first = min(n, len(regions))
    seats[np.argsort(-size, kind="stable")[:first]] = 1
    seats += largest_remainder(size / size.sum() * (n - first), n - first)
    rows: list[tuple[str, str, float]] = []
    for r, k in zip(regions, seats, strict=True):
        members = geo.domestic[region_of == r]
        weight = geo.domestic_weight[region_of == r]
        count = np.zeros(len(members), dtype=np.int64)
        for _ in range(int(k)):
            count[int(np.argmax(weight / (count + 1)))] += 1
        for code, w, c in zip(members, weight, count, strict=True):
            rows += [(f"D-{code}-{i + 1}", str(code), float(w) / c) for i in range(c)]
    rows.sort()
    table = pd.DataFrame({"depot_id": [r[0] for r in rows], "country": [r[1] for r in rows]})
    return table, np.array([r[2] for r in rows])
