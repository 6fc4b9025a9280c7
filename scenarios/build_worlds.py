"""Build the world data of the shipped scenarios, one snapshot folder per scenario.

    python scenarios/build_worlds.py            # rewrite scenarios/<name>/ in place
    python scenarios/build_worlds.py --out DIR  # write them somewhere else

Every number here is either a stated assumption (with its reason) or drawn from one fixed
seed, so the committed folders are reproducible byte for byte; a test checks that they are.

The worlds are small on purpose (dozens of customers, a dozen depots' worth of lanes, twenty
parts, a few thousand orders a quarter) so that a scenario replicates in seconds, but they
keep the shape of a real service business:

- **Installed base → failures.** Each customer has in-warranty PCs (split 55% notebooks,
  30% desktops, 15% workstations) and business printers. A part fails at an annual failure
  rate (AFR) per installed unit of the product it goes into, so a customer's order rate for a
  part is ``units × AFR / 365`` per day: the ``rates.csv`` of each world. Hard drives fail at
  2–3% a year, in line with published field data (Backblaze's drive statistics report
  annualized failure rates of 1–3% for most models); notebook batteries wear out faster
  (about 4%); printer fusers and pickup rollers are consumables (8% and 15%).
- **Tiers.** About a quarter of the customers hold Priority Management, the larger ones
  (1,200–9,000 PCs, above the 1,000-unit minimum), a tenth Priority Access Plus, a sixth
  Priority Access, the rest no contract; contracts started 6–24 months before the scenario.
- **Depots and lanes.** One depot per big market; an order's home depot is the one with the
  shortest transit. Transit hours follow distance, as express parts logistics runs: next
  business day (24 h) in the depot's own country; overnight road within a region up to
  1,200 km (a day plus ~80 km/h); express air within a region (30 h of handling plus
  ~800 km/h); across regions a day more for customs (54 h plus ~800 km/h).
- **Stock.** Each depot holds, per part, the base stock that covers its home demand during
  the 14-day replenishment lead time with a stated probability (85% in most worlds), the
  textbook base-stock rule; fast movers are stocked everywhere, slow ones thinly.
- **Special means.** Every part has an expedite option at its factory (15% of its weekly
  demand, 4 days, 1.3× the book cost) and two broker offers (10% each, 2–3 days, 1.7–2.0×,
  88–92% reliable), the levers the data sheet reserves for Priority Management.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from world_data import (
    COUNTRIES,
    NAMES,
    PARTS,
    PRODUCT_SHARES,
    ROAD_GROUPS,
    SKUS,
    SUPPLIERS,
    TRADES,
    WORLDS,
    WorldSpec,
)

HERE = Path(__file__).resolve().parent


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def transit(
    origin: tuple[float, float, str], country: str, same_country: bool, origin_country: str = ""
) -> tuple[float, float]:
    """(hours, money per unit) from a site to a country: next day, road or air."""
    lat, lon, region = COUNTRIES[country]
    km = distance_km(origin[:2], (lat, lon))
    if same_country:
        return 24.0, 8.0
    if km <= 1200 and _road(origin_country, country):
        return round(24.0 + km / 80.0, 1), round(6.0 + km * 0.008, 2)
    if region == origin[2]:
        return round(30.0 + km / 800.0, 1), round(20.0 + km * 0.004, 2)
    return round(54.0 + km / 800.0, 1), round(35.0 + km * 0.005, 2)


def build(spec: WorldSpec) -> dict[str, pd.DataFrame]:
    """Every table of one world, plus its ``rates`` (orders per day per customer × part)."""
    rng = np.random.default_rng(spec.seed)
    countries = sorted(
        set(spec.customers) | set(spec.depots.values()) | {site for _, site in spec.global_sites}
    )
    customers, contracts, sites = _customers(spec, rng)
    rates = _rates(customers, sites)
    depots = pd.DataFrame({"depot_id": list(spec.depots), "country": list(spec.depots.values())})
    lanes = _lanes(spec, countries)
    home = _home_depots(lanes, depots, countries)
    stock = _stock(rates, customers, home, spec)
    parts = pd.DataFrame(
        {
            "part_number": [p.number for p in PARTS],
            "description": [p.description for p in PARTS],
            "unit_cost": [p.unit_cost for p in PARTS],
            "substitutes": [""] * len(PARTS),
        }
    )
    return {
        "customers": customers,
        "contracts": contracts,
        "orders": _backlog(rates, spec, rng),
        "parts": parts,
        "depots": depots,
        "stock": stock,
        "lanes": lanes,
        "supply_options": _supply_options(rates),
        "rates": rates,
    }


def _customers(
    spec: WorldSpec, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Customers, their contracts, and the Priority Management customers with a site abroad."""
    rows, contracts, sites = [], [], {}
    abroad = list(spec.global_sites)
    forced = set(spec.force_pm)
    pm, pa_plus, pa = spec.tier_shares
    number = 0
    for country, count in spec.customers.items():
        for _ in range(count):
            number += 1
            draw = rng.random()
            tier = (
                "PM"
                if draw < pm
                else "PA+"
                if draw < pm + pa_plus
                else ("PA" if draw < pm + pa_plus + pa else None)
            )
            site = next((s for c, s in abroad if c == country), None)
            if site is not None:  # a global Priority Management customer with a site abroad
                tier = "PM"
                abroad.remove((country, site))
            elif country in forced:
                tier = "PM"
                forced.remove(country)
            low, high = {"PM": (1200, 9000), "PA+": (1000, 4000), "PA": (250, 2000)}.get(
                tier or "", (30, 1500)
            )
            pcs = int(rng.integers(low, high))
            printers = int(rng.integers(0, max(pcs // 12, 2)))
            name = f"{NAMES[(number * 7) % len(NAMES)]} {TRADES[(number * 5) % len(TRADES)]}"
            customer_id = f"C-{country}-{number:03d}"
            helpdesk = tier is not None or bool(rng.random() < 0.6)
            rows.append((customer_id, name, country, pcs, printers, helpdesk))
            if tier is None:
                continue
            if site is not None:
                sites[customer_id] = site
            bought = spec.start - timedelta(days=int(rng.integers(180, 730)))
            activated = bought + timedelta(days=14)
            for family, sku in zip(("pc", "print"), SKUS[tier], strict=True):
                if family == "print" and printers == 0:
                    continue
                contracts.append(
                    (
                        f"K-{number:03d}-{family}",
                        customer_id,
                        sku,
                        bought.date().isoformat(),
                        activated.date().isoformat(),
                    )
                )
    customers = pd.DataFrame(
        rows,
        columns=[
            "customer_id",
            "name",
            "country",
            "installed_base_pcs",
            "installed_base_printers",
            "has_it_helpdesk",
        ],
    )
    customers["has_it_helpdesk"] = customers["has_it_helpdesk"].map({True: "yes", False: "no"})
    if abroad:
        raise ValueError(f"{spec.name}: no Priority Management customer for sites {abroad}")
    contracts_table = pd.DataFrame(
        contracts,
        columns=["contract_id", "customer_id", "sku", "purchase_date", "activation_date"],
    )
    return customers, contracts_table, sites


def _rates(customers: pd.DataFrame, sites: dict[str, str]) -> pd.DataFrame:
    """Orders per day of each customer × part, from installed units and failure rates.

    A customer in ``sites`` keeps a third of its installed base at a site in another country
    (the orders' ship-to), which is what decides its parts priority there.
    """
    rows = []
    for customer in customers.itertuples(index=False):
        placements: list[tuple[str | None, float]] = [(None, 1.0)]
        if customer.customer_id in sites:
            placements = [(None, 2 / 3), (sites[customer.customer_id], 1 / 3)]
        for site, share in placements:
            units = {
                kind: customer.installed_base_pcs * s * share for kind, s in PRODUCT_SHARES.items()
            }
            units["business_printer"] = customer.installed_base_printers * share
            for part in PARTS:
                per_day = units[part.product_type] * part.afr / 365.0
                if per_day >= 1e-4:
                    rows.append(
                        (
                            customer.customer_id,
                            part.number,
                            round(per_day, 5),
                            part.product_type,
                            "yes",
                            site or "",
                        )
                    )
    return pd.DataFrame(
        rows,
        columns=[
            "customer_id",
            "part_number",
            "per_day",
            "product_type",
            "warranty_valid",
            "ship_to_country",
        ],
    )


def _road(a: str, b: str) -> bool:
    return any(a in group and b in group for group in ROAD_GROUPS)


def _lanes(spec: WorldSpec, countries: list[str]) -> pd.DataFrame:
    rows = []
    for depot, country in spec.depots.items():
        lat, lon, region = COUNTRIES[country]
        for target in countries:
            hours_cost = transit((lat, lon, region), target, target == country, country)
            rows.append((depot, target, *hours_cost))
    for supplier, where in SUPPLIERS.items():
        for target in countries:
            rows.append((supplier, target, *transit(where, target, False)))
    return pd.DataFrame(rows, columns=["origin", "destination", "transit_hours", "cost_per_unit"])


def _home_depots(lanes: pd.DataFrame, depots: pd.DataFrame, countries: list[str]) -> dict[str, str]:
    """The depot with the shortest transit to each country (ties by depot id), as the engine."""
    own = lanes[lanes["origin"].isin(depots["depot_id"])]
    best = own.sort_values(["destination", "transit_hours", "origin"]).drop_duplicates(
        "destination"
    )
    return dict(zip(best["destination"], best["origin"], strict=True))


def _stock(
    rates: pd.DataFrame, customers: pd.DataFrame, home: dict[str, str], spec: WorldSpec
) -> pd.DataFrame:
    country = customers.set_index("customer_id")["country"]
    site = rates["ship_to_country"].where(
        rates["ship_to_country"] != "", rates["customer_id"].map(country)
    )
    demand = (
        rates.assign(depot_id=site.map(home))
        .groupby(["part_number", "depot_id"], sort=True)["per_day"]
        .sum()
    )
    rows = []
    for (part, depot), per_day in demand.items():
        level = base_stock(per_day * spec.lead_days, spec.fill_target)
        if level > 0:
            rows.append((part, depot, level))
    order = {p.number: i for i, p in enumerate(PARTS)}
    rows.sort(key=lambda r: (order[r[0]], r[1]))
    return pd.DataFrame(rows, columns=["part_number", "depot_id", "on_hand"])


def base_stock(mean: float, target: float) -> int:
    """The least ``S`` with P(Poisson(mean) <= S - 1) >= target: an arriving order finds a unit
    on the shelf with probability ``target`` (Palm's theorem for one-for-one replenishment)."""
    if mean <= 0:
        return 0
    term = math.exp(-mean)
    total, level = term, 0
    while total < target:
        level += 1
        term *= mean / level
        total += term
    return level + 1


def _supply_options(rates: pd.DataFrame) -> pd.DataFrame:
    weekly = rates.groupby("part_number")["per_day"].sum() * 7.0
    rows = []
    for index, part in enumerate(PARTS):
        week = float(weekly.get(part.number, 0.0))
        rows.append(
            (
                part.number,
                "expedite",
                part.factory,
                max(1, round(0.15 * week)),
                96.0,
                round(part.unit_cost * 1.3, 2),
                "",
            )
        )
        for broker, lead, markup, success in (
            ("BRK-HK", 72.0, 1.7, 0.88),
            (("BRK-US", "BRK-EU")[index % 2], 48.0, 2.0, 0.92),
        ):
            rows.append(
                (
                    part.number,
                    "broker",
                    broker,
                    max(1, round(0.10 * week)),
                    lead,
                    round(part.unit_cost * markup, 2),
                    success,
                )
            )
    return pd.DataFrame(
        rows,
        columns=[
            "part_number",
            "source",
            "supplier_id",
            "capacity",
            "lead_time_hours",
            "unit_cost",
            "success_probability",
        ],
    )


def _backlog(rates: pd.DataFrame, spec: WorldSpec, rng: np.random.Generator) -> pd.DataFrame:
    """The orders open at the start: a day and a half of demand, arrived in the last 36 hours."""
    per_hour = rates["per_day"].to_numpy() / 24.0
    count = int(rng.poisson(per_hour.sum() * 36.0))
    picked = rates.iloc[rng.choice(len(rates), size=count, p=per_hour / per_hour.sum())]
    hours = np.sort(rng.uniform(0.0, 36.0, size=count))[::-1]
    created = [
        (spec.start - timedelta(hours=float(h))).strftime("%Y-%m-%dT%H:%M:%S") for h in hours
    ]
    return pd.DataFrame(
        {
            "order_id": [f"B-{i + 1:04d}" for i in range(count)],
            "customer_id": picked["customer_id"].to_numpy(),
            "part_number": picked["part_number"].to_numpy(),
            "quantity": 1,
            "created_at": created,
            "product_type": picked["product_type"].to_numpy(),
            "warranty_valid": "yes",
            "ship_to_country": picked["ship_to_country"].to_numpy(),
        }
    )


def write(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    """Each table as ``<name>.csv``; the same tables always give the same bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        table.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write the worlds in")
    args = parser.parse_args(argv)
    for spec in WORLDS:
        tables = build(spec)
        write(tables, args.out / spec.name)
        out(f"{spec.name}: " + ", ".join(f"{k} {len(v)}" for k, v in tables.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
