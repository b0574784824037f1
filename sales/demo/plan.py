"""The fixed shape of the demo data set: dates, territories, products, plans, names.

Everything here is constant; only ``generate`` draws random numbers. Dates are
anchored on ``REFERENCE_DATE`` (the as-of date of the data set), never on today,
so the same seed gives the same rows whatever the day it runs.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from metrics.periods import month_add

# The as-of date of the data: two full calendar years of history end here and the
# open pipeline is the one of this day. Readers set KPI_AS_OF to it.
REFERENCE_DATE = datetime.date(2025, 12, 31)
PERIOD_START = datetime.date(REFERENCE_DATE.year - 1, 1, 1)
# The events that make the data set interesting, at fixed points of the period.
HIRE_DATE = month_add(PERIOD_START, 8) + datetime.timedelta(days=1)  # 2024-09-02, a Monday
MOVE_DATE = month_add(PERIOD_START, 16)  # 2025-05-01: a rep changes territory mid-quarter
LEAVE_DATE = month_add(PERIOD_START, 17) + datetime.timedelta(days=12)  # 2025-06-13, a Friday
EARLIEST_HIRE = datetime.date(PERIOD_START.year - 7, 1, 1)
LATEST_EARLY_HIRE = datetime.date(PERIOD_START.year - 1, 6, 30)

REPS_PER_BLOCK = 40  # --scale N makes N blocks of reps, each with its customers and deals
REPS_PER_LEAF = 5
# Positions in a block (0-based) of the reps whose careers change during the period.
MOVER_INDEX = 14  # the last na-west rep moves to na-northeast on MOVE_DATE
LEAVER_INDEX = 19  # the last uk rep leaves on LEAVE_DATE
HIRE_INDEX = 24  # the last dach rep is hired on HIRE_DATE
MOVE_TO = "na-northeast"
LINKED_REP_INDEX = 0  # the ``rep`` login is the first na-northeast rep

QUARTER_QUOTA = Decimal("210000")
DEALS_WON_PER_REP_YEAR = 48  # a multiple of 12, so the year spreads evenly over months


@dataclass(frozen=True)
class TerritorySpec:
    code: str
    name: str
    parent: str | None
    market: float = 1.0  # deal volume relative to an average leaf
    distribution: str = ""  # the plan the leaf's yearly revenue target is spread by


TERRITORIES: tuple[TerritorySpec, ...] = (
    TerritorySpec("na", "North America", None),
    TerritorySpec("na-east", "NA East", "na"),
    TerritorySpec("na-northeast", "NA Northeast", "na-east", 1.10, "Seasonal retail"),
    TerritorySpec("na-southeast", "NA Southeast", "na-east", 1.00, "Seasonal retail"),
    TerritorySpec("na-west", "NA West", "na", 1.15, "Seasonal retail"),
    TerritorySpec("emea", "EMEA", None),
    TerritorySpec("uk", "United Kingdom & Ireland", "emea", 1.00, "Seasonal retail"),
    TerritorySpec("dach", "DACH", "emea", 0.95, "Seasonal retail"),
    TerritorySpec("france", "France & Benelux", "emea", 0.90, "Seasonal retail"),
    TerritorySpec("apac", "APAC", None),
    TerritorySpec("anz", "Australia & New Zealand", "apac", 0.85, "Flat"),
    TerritorySpec("japan", "Japan", "apac", 0.80, "Flat"),
)
TERRITORY_BY_CODE = {t.code: t for t in TERRITORIES}
REGIONS = tuple(t.code for t in TERRITORIES if t.parent is None)
LEAVES = tuple(t.code for t in TERRITORIES if t.distribution)
assert len(LEAVES) * REPS_PER_LEAF == REPS_PER_BLOCK


def region_of(code: str) -> str:
    while TERRITORY_BY_CODE[code].parent is not None:
        code = TERRITORY_BY_CODE[code].parent
    return code


@dataclass(frozen=True)
class ManagerSpec:
    username: str
    territory: str
    first_name: str
    last_name: str


MANAGERS = (
    ManagerSpec("manager", "na", "Nora", "Almeida"),
    ManagerSpec("manager-emea", "emea", "Elias", "Brandt"),
    ManagerSpec("manager-apac", "apac", "Aiko", "Tanaka"),
)
ADMIN_USERNAME = "admin"
REP_USERNAME = "rep"
DEMO_PASSWORD = "demo"


@dataclass(frozen=True)
class ProductSpec:
    name: str
    series: str
    list_price_cents: int
    weight: int  # how often it is sold
    subscription: bool  # sold on a contract with an end date


PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec("Core Starter", "Core", 2_400_00, 25, True),
    ProductSpec("Core Team", "Core", 9_600_00, 25, True),
    ProductSpec("Core Business", "Core", 24_000_00, 20, True),
    ProductSpec("Core Enterprise", "Core", 60_000_00, 6, True),
    ProductSpec("Analytics Add-on", "Add-ons", 6_000_00, 10, True),
    ProductSpec("Premium Support", "Services", 4_800_00, 8, False),
    ProductSpec("Onboarding Package", "Services", 3_000_00, 6, False),
)

# Monthly percentages, January first; each plan sums to 100.
DISTRIBUTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Seasonal retail": (
        "Slow summer, strong fourth quarter.",
        ("6", "6", "8", "7", "7", "8", "5", "5", "8", "10", "12", "18"),
    ),
    "Flat": (
        "The same share every month.",
        ("8.34", "8.34", "8.34", "8.34", "8.33", "8.33", "8.33", "8.33", "8.33", "8.33", "8.33", "8.33"),
    ),
}

# Relative number of deals closing each calendar month (mean 1): fewer in summer,
# the year-end push in Q4.
CLOSE_SEASON = (0.85, 0.85, 1.0, 0.95, 0.95, 1.0, 0.75, 0.7, 1.0, 1.1, 1.25, 1.6)
MARKETING_SEASON = (0.9, 0.9, 1.1, 1.0, 1.0, 0.9, 0.7, 0.7, 1.2, 1.3, 1.2, 1.1)
YEAR_GROWTH = {PERIOD_START.year: 1.0, PERIOD_START.year + 1: 1.1}
CLOSED_DEALS_PER_REP_MONTH = 10.0

SECTORS = (
    ("technology", 18),
    ("retail", 15),
    ("healthcare", 12),
    ("finance", 12),
    ("manufacturing", 11),
    ("logistics", 8),
    ("education", 7),
    ("public sector", 6),
    ("energy", 6),
    ("media", 5),
)

FIRST_NAMES = (
    "Ava", "Ben", "Chloe", "Daniel", "Elena", "Felix", "Grace", "Hugo", "Isla", "Jonas", "Kira", "Liam",
    "Maya", "Noah", "Olivia", "Pablo", "Quinn", "Rosa", "Samuel", "Tara", "Umar", "Vera", "William", "Xenia",
    "Yusuf", "Zoe", "Amir", "Beatriz", "Carlos", "Dana", "Emil", "Freya", "Gabriel", "Hana", "Ivan", "Julia",
    "Kenji", "Lena", "Marco", "Nina",
)  # fmt: skip
LAST_NAMES = (
    "Anderson", "Becker", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hansen", "Ito", "Jensen",
    "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Patel", "Quinlan", "Rossi", "Schmidt", "Tanaka",
    "Ueda", "Varga", "Walsh", "Xu", "Yilmaz", "Zimmermann", "Alvarez", "Brown", "Chen", "Dimitrov",
    "Eriksson", "Ferreira", "Gupta", "Horvat", "Ibrahim", "Johansson", "Kim", "Larsen", "Murphy", "Novak",
)  # fmt: skip
COMPANY_FIRST = (
    "Acme", "Blue", "Cedar", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Iris", "Juniper", "Keystone",
    "Lumen", "Maple", "North", "Orbit", "Pioneer", "Quartz", "River", "Summit", "Tidal", "Union", "Vertex",
    "Willow", "Zenith",
)  # fmt: skip
COMPANY_SECOND = (
    "Analytics", "Bank", "Clinics", "Dynamics", "Energy", "Foods", "Group", "Health", "Industries", "Labs",
    "Logistics", "Media", "Motors", "Networks", "Partners", "Retail", "Schools", "Systems", "Textiles", "Works",
)  # fmt: skip
COMPANY_SUFFIX = {
    "na-northeast": ("Inc", "LLC", "Corp"),
    "na-southeast": ("Inc", "LLC", "Corp"),
    "na-west": ("Inc", "LLC", "Corp"),
    "uk": ("Ltd", "PLC"),
    "dach": ("GmbH", "AG"),
    "france": ("SA", "SAS", "BV"),
    "anz": ("Pty Ltd",),
    "japan": ("KK",),
}
