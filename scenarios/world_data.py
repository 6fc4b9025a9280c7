"""The data the shipped scenarios' worlds are built from: geography, parts, customers' mix.

Read by ``build_worlds.py``; every number is a stated assumption (see that file's notes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# Main business city of each country: (latitude, longitude, region).
COUNTRIES: dict[str, tuple[float, float, str]] = {
    "US": (35.1, -90.0, "AMS"),
    "CA": (43.7, -79.4, "AMS"),
    "MX": (19.4, -99.1, "AMS"),
    "GT": (14.6, -90.5, "AMS"),
    "HN": (14.1, -87.2, "AMS"),
    "NI": (12.1, -86.3, "AMS"),
    "CR": (9.9, -84.1, "AMS"),
    "PA": (9.0, -79.5, "AMS"),
    "DO": (18.5, -69.9, "AMS"),
    "CO": (4.7, -74.1, "AMS"),
    "EC": (-0.2, -78.5, "AMS"),
    "PE": (-12.0, -77.0, "AMS"),
    "CL": (-33.4, -70.7, "AMS"),
    "AR": (-34.6, -58.4, "AMS"),
    "UY": (-34.9, -56.2, "AMS"),
    "BR": (-23.5, -46.6, "AMS"),
    "GB": (51.5, -0.1, "EMEA"),
    "IE": (53.3, -6.3, "EMEA"),
    "NL": (51.4, 6.2, "EMEA"),
    "BE": (50.8, 4.4, "EMEA"),
    "LU": (49.6, 6.1, "EMEA"),
    "FR": (48.9, 2.4, "EMEA"),
    "DE": (50.1, 8.7, "EMEA"),
    "ES": (40.4, -3.7, "EMEA"),
    "IT": (45.5, 9.2, "EMEA"),
    "CH": (47.4, 8.5, "EMEA"),
    "AT": (48.2, 16.4, "EMEA"),
    "CZ": (50.1, 14.4, "EMEA"),
    "PL": (52.2, 21.0, "EMEA"),
    "SE": (59.3, 18.1, "EMEA"),
    "AE": (25.2, 55.3, "EMEA"),
    "ZA": (-26.2, 28.0, "EMEA"),
    "SG": (1.3, 103.8, "APJ"),
    "MY": (3.1, 101.7, "APJ"),
    "TH": (13.8, 100.5, "APJ"),
    "HK": (22.3, 114.2, "APJ"),
    "CN": (31.2, 121.5, "APJ"),
    "JP": (35.7, 139.7, "APJ"),
    "KR": (37.6, 127.0, "APJ"),
    "IN": (19.1, 72.9, "APJ"),
    "AU": (-33.9, 151.2, "APJ"),
}

# Where suppliers ship from: (latitude, longitude, region).
SUPPLIERS: dict[str, tuple[float, float, str]] = {
    "MFG-TH-AYUTTHAYA": (14.35, 100.57, "APJ"),  # hard drives: Bang Pa-In, Ayutthaya
    "MFG-CN-SHENZHEN": (22.54, 114.06, "APJ"),  # boards, panels, power, batteries, printers
    "BRK-HK": (22.3, 114.2, "APJ"),
    "BRK-EU": (51.9, 4.5, "EMEA"),  # Rotterdam
    "BRK-US": (25.8, -80.2, "AMS"),  # Miami
}

PRODUCT_SHARES = {"notebook": 0.55, "desktop": 0.30, "workstation": 0.15}


@dataclass(frozen=True)
class Part:
    number: str
    description: str
    unit_cost: float
    product_type: str  # which installed units it fails in
    afr: float  # annual failures per installed unit
    factory: str


PARTS = (
    Part(
        "HDD-500-NB",
        "500 GB 2.5-inch SATA hard drive (notebook)",
        62.0,
        "notebook",
        0.025,
        "MFG-TH-AYUTTHAYA",
    ),
    Part(
        "HDD-1T-DT",
        "1 TB 3.5-inch SATA hard drive (desktop)",
        58.0,
        "desktop",
        0.025,
        "MFG-TH-AYUTTHAYA",
    ),
    Part(
        "HDD-2T-WS",
        "2 TB 3.5-inch enterprise hard drive (workstation)",
        145.0,
        "workstation",
        0.03,
        "MFG-TH-AYUTTHAYA",
    ),
    Part(
        "MB-NB14",
        "System board, 14-inch business notebook",
        410.0,
        "notebook",
        0.012,
        "MFG-CN-SHENZHEN",
    ),
    Part(
        "MB-DT-SFF",
        "System board, small-form-factor desktop",
        260.0,
        "desktop",
        0.008,
        "MFG-CN-SHENZHEN",
    ),
    Part(
        "MB-WS", "System board, tower workstation", 690.0, "workstation", 0.008, "MFG-CN-SHENZHEN"
    ),
    Part("LCD-14", "14-inch display panel", 120.0, "notebook", 0.010, "MFG-CN-SHENZHEN"),
    Part("BATT-NB", "6-cell notebook battery", 85.0, "notebook", 0.040, "MFG-CN-SHENZHEN"),
    Part("KBD-NB14", "Keyboard, 14-inch notebook", 35.0, "notebook", 0.020, "MFG-CN-SHENZHEN"),
    Part("ADAPTER-65W", "65 W AC adapter", 25.0, "notebook", 0.020, "MFG-CN-SHENZHEN"),
    Part("FAN-NB", "Fan and heat sink, notebook", 30.0, "notebook", 0.012, "MFG-CN-SHENZHEN"),
    Part("PSU-DT", "240 W desktop power supply", 48.0, "desktop", 0.012, "MFG-CN-SHENZHEN"),
    Part(
        "PSU-WS", "700 W workstation power supply", 130.0, "workstation", 0.012, "MFG-CN-SHENZHEN"
    ),
    Part("DIMM-8G", "8 GB memory module", 40.0, "desktop", 0.004, "MFG-CN-SHENZHEN"),
    Part(
        "FUSER-M6",
        "Fuser assembly, 600-series business printer",
        210.0,
        "business_printer",
        0.08,
        "MFG-CN-SHENZHEN",
    ),
    Part(
        "ROLLER-M6",
        "Pickup roller kit, 600-series business printer",
        24.0,
        "business_printer",
        0.15,
        "MFG-CN-SHENZHEN",
    ),
    Part(
        "FORMATTER-M6",
        "Formatter board, 600-series business printer",
        240.0,
        "business_printer",
        0.02,
        "MFG-CN-SHENZHEN",
    ),
)

NAMES = (
    "Contoso",
    "Fabrikam",
    "Northwind",
    "Tailspin",
    "Woodgrove",
    "Adatum",
    "Litware",
    "Proseware",
    "Lucerne",
    "Wingtip",
    "Alpine",
    "Relecloud",
    "Trey",
    "VanArsdel",
    "Coho",
    "Humongous",
    "Blue Yonder",
    "Southridge",
    "Consolidated",
    "Wide World",
    "Margie",
    "Fourth",
    "Bellows",
    "Datum",
    "Graphic",
    "Munson",
    "Lamna",
    "Nod",
    "Fincher",
    "Alpen",
)
TRADES = (
    "Bank",
    "Logistics",
    "Health",
    "Retail",
    "Energy",
    "Insurance",
    "Manufacturing",
    "Telecom",
    "Airlines",
    "Foods",
    "Media",
    "Engineering",
)

# Contract SKUs (RULES.md): 3-year terms, PC and Print.
SKUS = {"PM": ("U7D01E", "U1PB4E"), "PA+": ("U9DM0E", "U9DB7E"), "PA": ("U7C99E", "U1PB2E")}


@dataclass(frozen=True)
class WorldSpec:
    """What makes one scenario's world."""

    name: str
    start: datetime
    depots: dict[str, str]  # depot id -> country
    customers: dict[str, int]  # country -> how many customers
    fill_target: float = 0.85  # chance the base stock covers the lead-time demand
    lead_days: float = 14.0
    seed: int = 0
    tier_shares: tuple[float, float, float] = (0.25, 0.10, 0.15)  # PM, PA+, PA
    global_sites: tuple[tuple[str, str], ...] = ()  # extra (customer country, site country)
    force_pm: tuple[str, ...] = ()  # countries whose first customer holds Priority Management


GLOBAL_DEPOTS = {
    "D-MEMPHIS": "US",
    "D-MEXICO": "MX",
    "D-SAOPAULO": "BR",
    "D-VENLO": "NL",
    "D-PRAGUE": "CZ",
    "D-SINGAPORE": "SG",
    "D-TOKYO": "JP",
    "D-SYDNEY": "AU",
}
GLOBAL_CUSTOMERS = {
    "US": 9,
    "CA": 2,
    "MX": 3,
    "BR": 3,
    "CO": 1,
    "CL": 1,
    "GB": 4,
    "IE": 1,
    "NL": 3,
    "BE": 2,
    "LU": 1,
    "FR": 3,
    "DE": 4,
    "ES": 2,
    "IT": 2,
    "CH": 1,
    "AT": 1,
    "CZ": 1,
    "PL": 2,
    "SE": 1,
    "AE": 1,
    "ZA": 1,
    "SG": 2,
    "MY": 1,
    "TH": 1,
    "HK": 1,
    "CN": 2,
    "JP": 3,
    "KR": 1,
    "IN": 2,
    "AU": 2,
}
LATAM_DEPOTS = {
    "D-MIAMI": "US",
    "D-MEXICO": "MX",
    "D-PANAMA": "PA",
    "D-SAOPAULO": "BR",
    "D-SANTIAGO": "CL",
}
LATAM_CUSTOMERS = {
    "US": 2,
    "MX": 5,
    "GT": 3,
    "HN": 2,
    "NI": 2,
    "CR": 2,
    "PA": 2,
    "DO": 3,
    "CO": 4,
    "EC": 3,
    "PE": 3,
    "CL": 3,
    "AR": 3,
    "UY": 3,
    "BR": 5,
}
VENLO_CUSTOMERS = {"NL": 4, "BE": 2, "DE": 3}

WORLDS = (
    WorldSpec("normal-quarter", datetime(2025, 1, 6), GLOBAL_DEPOTS, GLOBAL_CUSTOMERS, seed=1),
    WorldSpec(
        "thailand-floods-2011", datetime(2011, 10, 10), GLOBAL_DEPOTS, GLOBAL_CUSTOMERS, seed=2
    ),
    WorldSpec("depot-fire", datetime(2025, 3, 3), GLOBAL_DEPOTS, GLOBAL_CUSTOMERS, seed=3),
    WorldSpec("demand-surge", datetime(2025, 5, 5), GLOBAL_DEPOTS, GLOBAL_CUSTOMERS, seed=4),
    WorldSpec(
        "excluded-countries",
        datetime(2025, 9, 1),
        LATAM_DEPOTS,
        LATAM_CUSTOMERS,
        fill_target=0.80,
        lead_days=21.0,
        seed=5,
        tier_shares=(0.45, 0.10, 0.10),
        global_sites=(("US", "UY"), ("US", "EC"), ("MX", "GT")),
        force_pm=("DO", "EC", "GT", "HN", "NI", "UY"),
    ),
    WorldSpec("broker-failures", datetime(2025, 7, 7), GLOBAL_DEPOTS, GLOBAL_CUSTOMERS, seed=6),
    # One depot and nine customers, one of them with Priority Management (seed 15 draws it):
    # small enough that the protection-level search replicates in seconds.
    WorldSpec(
        "protection-levels", datetime(2025, 2, 3), {"D-VENLO": "NL"}, VENLO_CUSTOMERS, seed=15
    ),
)


# Countries linked by road (or an overnight ferry or tunnel): trucks go within a group only.
ROAD_GROUPS = (
    frozenset({"NL", "BE", "LU", "FR", "DE", "ES", "IT", "CH", "AT", "CZ", "PL", "SE", "GB"}),
    frozenset({"US", "CA", "MX", "GT", "HN", "NI", "CR", "PA"}),
    frozenset({"BR", "AR", "UY", "CL", "PE", "EC", "CO"}),
    frozenset({"SG", "MY", "TH"}),
)
