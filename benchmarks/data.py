"""Synthetic, deterministic market data for the benchmark, and two ways to load it.

`generate` builds issuers, IP assets, deals (with their derived search, facet and senior-terms
columns filled in exactly as `deals.services.deal_refresh` would, and a cash-flow model that the
risk recompute simulates: projected collections, fees, reserve and waterfall steps as
`deals.demo.cash_flow_model` builds them), tranches, pool entries and facet values as plain
rows, from a seeded random generator: the same arguments give the same rows. `copy_load` loads
them with PostgreSQL COPY (psycopg 3 `cursor.copy()`); `orm_load` saves them one model instance
at a time (`Model(...).save()`, autocommit), as a naive import would.

The text is built from vocabularies so that a search means something: deal names such as
"Shenzhen Pengcheng Lithium Battery Patent ABS 2023-1", asset titles from technology
vocabularies per sector, use-of-proceeds sentences. Realistic shape: a deal's pool comes from
one sector and one city (regional IP-financing programmes); a financial intermediary's deal
pools the assets of several local companies (the beneficiaries); a university pools its own
patents. Query words are never inflected differently in the data ('battery' never appears as
'batteries', 'royalties' never as 'royalty'), so a stemmed full-text match and a substring match
find the same deals; this is what lets the benchmark check that the fast and the naive searches
agree.
"""

from __future__ import annotations

import datetime
import json
import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, models

from deals.choices import LIVE_STATUSES, DealStatus, Label, Structure
from deals.demo import cash_flow_model
from deals.models import Deal, DealFacetValue, PoolAsset, Tranche
from deals.ratings import rating_bucket
from ipregistry.choices import AssetKind, AssetStatus, IssuerType
from ipregistry.models import IPAsset, Issuer

FULL_DEALS = 100_000
FULL_ISSUERS = 20_000
ASSETS_PER_DEAL = 10
NOW = datetime.datetime(2026, 1, 15, 9, 0, tzinfo=datetime.UTC)
TODAY = NOW.date()

# Cities: (city, country, ISO 3166-2, weight). No city contains another's name or is a near
# spelling of a searched one (no Changzhou or Zhangzhou next to Hangzhou).
CITIES = [
    ("Shenzhen", "CN", "CN-GD", 10), ("Guangzhou", "CN", "CN-GD", 6),
    ("Dongguan", "CN", "CN-GD", 3), ("Foshan", "CN", "CN-GD", 2),
    ("Beijing", "CN", "CN-BJ", 10), ("Shanghai", "CN", "CN-SH", 9),
    ("Hangzhou", "CN", "CN-ZJ", 6), ("Ningbo", "CN", "CN-ZJ", 3),
    ("Suzhou", "CN", "CN-JS", 5), ("Nanjing", "CN", "CN-JS", 4), ("Wuxi", "CN", "CN-JS", 2),
    ("Chengdu", "CN", "CN-SC", 4), ("Wuhan", "CN", "CN-HB", 4), ("Xi'an", "CN", "CN-SN", 3),
    ("Hefei", "CN", "CN-AH", 3), ("Jinan", "CN", "CN-SD", 2), ("Qingdao", "CN", "CN-SD", 2),
    ("Tianjin", "CN", "CN-TJ", 3), ("Chongqing", "CN", "CN-CQ", 3),
    ("Xiamen", "CN", "CN-FJ", 2), ("Fuzhou", "CN", "CN-FJ", 1), ("Changsha", "CN", "CN-HN", 2),
    ("San Jose", "US", "US-CA", 3), ("Los Angeles", "US", "US-CA", 3),
    ("Boston", "US", "US-MA", 2), ("Austin", "US", "US-TX", 1), ("New York", "US", "US-NY", 2),
    ("Seattle", "US", "US-WA", 1),
    ("Munich", "DE", "DE-BY", 2), ("London", "GB", "GB-ENG", 2), ("Tokyo", "JP", "JP-13", 2),
    ("Seoul", "KR", "KR-11", 2), ("Singapore", "SG", "SG-01", 1), ("Paris", "FR", "FR-IDF", 1),
]
CURRENCY = {"CN": "CNY", "US": "USD", "DE": "EUR", "FR": "EUR", "GB": "GBP", "JP": "JPY",
            "KR": "KRW", "SG": "SGD"}
SUFFIX = {"CN": "Co., Ltd.", "US": "Inc.", "DE": "GmbH", "GB": "Ltd", "JP": "K.K.",
          "KR": "Co., Ltd.", "SG": "Pte. Ltd.", "FR": "SAS"}
SYLLABLES = ["Peng", "Cheng", "Hua", "Xin", "Tian", "Jin", "Rui", "Hong", "Kai", "Yuan", "Sheng",
             "Long", "Feng", "Heng", "Bo", "Chuang", "Da", "Tong", "Guang", "Ming", "Zhi", "Chen",
             "Yi", "Hai", "Lan", "Qi", "Run", "Xing", "Ke", "An", "Jia", "Wei", "Yu", "De", "Fu",
             "Li", "Mei", "Ning", "Tai", "Wan", "Xiang", "Yang", "Ze"]
SURNAMES = ["Whitfield", "Harlow", "Brennan", "Castell", "Dorsey", "Ellison", "Fairbanks",
            "Garrick", "Holloway", "Ingram", "Jessup", "Kendrick", "Langley", "Merritt",
            "Norwood", "Oakley", "Prescott", "Quinlan", "Radcliffe", "Sterling", "Thornton",
            "Underwood", "Vance", "Whitaker", "Yardley", "Becker", "Hoffmann", "Tanaka",
            "Kimura", "Park", "Lefevre"]
TRUSTEES = {"CN": ["CITIC Securities", "Huatai Securities", "GF Securities",
                   "Guotai Junan Securities", "China Merchants Securities", "Ping An Securities",
                   "CICC", "Haitong Securities"],
            "US": ["Wilmington Trust", "U.S. Bank Trust", "Deutsche Bank Trust Company Americas"],
            "*": ["Citicorp Trustee", "HSBC Trustee", "BNY Mellon Corporate Trustee"]}
ARRANGERS = {"CN": ["Bank of China", "ICBC", "China Construction Bank",
                    "Shanghai Pudong Development Bank", "Bank of Beijing", "CITIC Bank"],
             "US": ["Goldman Sachs", "Morgan Stanley", "J.P. Morgan", "Citigroup"],
             "*": ["HSBC", "BNP Paribas", "Deutsche Bank", "Mizuho", "DBS"]}
VENUES = {"CN": ["SZSE", "SSE", "NAFMII", "private"], "US": ["144A", "private"], "*": ["private"]}
TITLE_ADJECTIVES = ["Silent", "Golden", "Distant", "Burning", "Hidden", "Last", "Northern",
                    "Crimson", "Endless", "Wandering", "Bright", "Quiet"]
TITLE_NOUNS = ["River", "Mountain", "Harbour", "Summer", "Frontier", "Empire", "Journey",
               "Garden", "Legacy", "Horizon", "Lantern", "Bridge"]
FIELDS_OF_STUDY = ["Technology", "Science and Technology", "Aeronautics", "Chemical Technology",
                   "Posts and Telecommunications", "Agriculture", "Medicine"]

PATENTS = (AssetKind.INVENTION_PATENT, AssetKind.UTILITY_MODEL, AssetKind.DESIGN_PATENT)


@dataclass(frozen=True)
class Sector:
    label: str  # in deal names
    issuer_words: tuple[str, ...]  # in company names
    kinds: dict  # asset kind -> weight
    titles: tuple[str, ...]  # patent (or main) titles
    suffixes: tuple[str, ...] = ("",)
    weight: int = 1
    green: float = 0.0  # share of green-labelled deals
    social: float = 0.0
    sdgs: tuple[str, ...] = ()
    cpc: tuple[str, ...] = ()
    project: str = "capacity expansion"


PATENT_SUFFIXES = (" and preparation method thereof", " and manufacturing method", "",
                   " with improved service life", " and control method", " and system")
SOFTWARE_DOMAINS = ("enterprise resource planning", "smart logistics scheduling",
                    "medical imaging archive", "video surveillance analytics",
                    "online education platform", "intelligent customer service",
                    "industrial internet monitoring", "financial risk control")
SECTORS = {
    "battery": Sector(
        "Lithium Battery", ("New Energy Technology", "Lithium Battery Technology",
                            "Power Technology"),
        {AssetKind.INVENTION_PATENT: 6, AssetKind.UTILITY_MODEL: 4},
        ("Lithium battery cathode material", "Lithium battery separator",
         "Lithium battery electrolyte additive", "Lithium battery pack thermal management device",
         "Lithium battery module housing", "Solid-state lithium battery electrolyte",
         "Lithium battery recycling process", "Lithium battery charge estimation circuit"),
        PATENT_SUFFIXES, weight=12, green=0.45, sdgs=("7.3", "9.4", "12.2"),
        cpc=("H01M10/0525", "H01M4/525", "Y02E60/10"), project="a lithium battery recycling line"),
    "solar": Sector(
        "Solar", ("Solar Energy", "Photovoltaic Technology"),
        {AssetKind.INVENTION_PATENT: 6, AssetKind.UTILITY_MODEL: 4},
        ("Solar cell with passivated contact", "Perovskite solar module",
         "Photovoltaic inverter control circuit", "Solar tracker drive mechanism",
         "Bifacial solar panel frame", "Anti-reflection coating for solar glass",
         "Solar wafer texturing process"),
        PATENT_SUFFIXES, weight=8, green=0.6, sdgs=("7.2", "7.b", "13.2"),
        cpc=("H01L31/18", "H02S40/32", "Y02E10/50"), project="a photovoltaic module line"),
    "hydrogen": Sector(
        "Hydrogen Energy", ("Hydrogen Energy", "Fuel Cell Technology"),
        {AssetKind.INVENTION_PATENT: 7, AssetKind.UTILITY_MODEL: 3},
        ("Hydrogen fuel cell stack", "Proton exchange membrane", "Alkaline water electrolyser",
         "Hydrogen storage tank liner", "Fuel cell bipolar plate", "Hydrogen refuelling nozzle"),
        PATENT_SUFFIXES, weight=4, green=0.5, sdgs=("7.2", "9.4"),
        cpc=("H01M8/10", "C25B1/04", "Y02E60/50"), project="an electrolyser plant"),
    "biomedical": Sector(
        "Biomedical", ("Biomedical", "Biopharmaceutical", "Medical Technology"),
        {AssetKind.INVENTION_PATENT: 8, AssetKind.TRADEMARK: 1, AssetKind.UTILITY_MODEL: 1},
        ("Biomedical hydrogel dressing", "Monoclonal antibody against tumour antigen",
         "Recombinant protein vaccine", "Biomedical imaging contrast agent",
         "Degradable biomedical stent", "Nucleic acid detection kit",
         "Sustained-release injection"),
        PATENT_SUFFIXES, weight=12, social=0.15, sdgs=("3.8", "3.b"),
        cpc=("A61K39/395", "A61L27/52", "C12Q1/68"), project="a clinical manufacturing site"),
    "semiconductor": Sector(
        "Semiconductor", ("Semiconductor", "Microelectronics"),
        {AssetKind.INVENTION_PATENT: 7, AssetKind.UTILITY_MODEL: 3},
        ("Silicon carbide power device", "Wafer-level packaging structure",
         "Gallium nitride transistor", "Chip test socket", "Lithography alignment method",
         "Memory cell array layout"),
        PATENT_SUFFIXES, weight=10, sdgs=("9.5",), cpc=("H01L21/02", "H01L23/31"),
        project="a wafer packaging line"),
    "manufacturing": Sector(
        "Intelligent Manufacturing", ("Intelligent Equipment", "Robotics",
                                      "Precision Machinery"),
        {AssetKind.INVENTION_PATENT: 4, AssetKind.UTILITY_MODEL: 5, AssetKind.DESIGN_PATENT: 1},
        ("Industrial robot joint reducer", "CNC machine tool spindle", "Servo motor encoder",
         "Automated guided vehicle navigation device", "Laser welding head",
         "Precision bearing assembly"),
        PATENT_SUFFIXES, weight=14, sdgs=("9.2", "9.5"), cpc=("B25J9/16", "B23Q1/70"),
        project="an automated assembly line"),
    "agritech": Sector(
        "Agritech", ("Seed Industry", "Agricultural Technology"),
        {AssetKind.INVENTION_PATENT: 7, AssetKind.TRADEMARK: 3},
        ("Drought-tolerant rice breeding method", "Maize hybrid seed production process",
         "Plant growth regulator", "Precision irrigation controller",
         "Livestock feed additive"),
        PATENT_SUFFIXES, weight=5, green=0.15, sdgs=("2.3", "2.4"), cpc=("A01H1/02", "A01G25/16"),
        project="a seed processing centre"),
    "software": Sector(
        "Software", ("Software", "Information Technology"),
        {AssetKind.COPYRIGHT_SOFTWARE: 8, AssetKind.INVENTION_PATENT: 2},
        ("Distributed task scheduling method", "Data encryption method for cloud storage",
         "Image recognition method based on deep learning"),
        ("", " and system", " and device"), weight=12, sdgs=("9.c", "8.2"),
        cpc=("G06F9/50", "G06N3/08"), project="a cloud data centre"),
    "data": Sector(
        "Data", ("Data Technology", "Big Data"),
        {AssetKind.DATA_ASSET: 7, AssetKind.COPYRIGHT_SOFTWARE: 3},
        ("Logistics trajectory dataset", "Retail transaction data product",
         "Industrial equipment telemetry dataset", "Credit information data service",
         "Traffic flow data product"),
        ("",), weight=5, sdgs=("9.c",), project="a data exchange platform"),
    "film": Sector(
        "Film", ("Film and Television", "Pictures", "Culture Media"),
        {AssetKind.COPYRIGHT_FILM: 9, AssetKind.TRADEMARK: 1}, (), weight=5, sdgs=("8.3",),
        project="new productions"),
    "music": Sector(
        "Music", ("Music", "Culture"), {AssetKind.COPYRIGHT_MUSIC: 9, AssetKind.TRADEMARK: 1}, (),
        weight=3, sdgs=("8.3",), project="catalogue acquisitions"),
    "consumer": Sector(
        "Consumer Brand", ("Foods", "Apparel", "Cosmetics", "Beverage"),
        {AssetKind.TRADEMARK: 9, AssetKind.DESIGN_PATENT: 1}, ("Packaging bottle",
                                                               "Gift box", "Shoe sole"),
        (" design",), weight=10, sdgs=("12.5",), project="new stores"),
}
SECTOR_KEYS = list(SECTORS)
SECTOR_WEIGHTS = [SECTORS[key].weight for key in SECTOR_KEYS]
KIND_WORDS = {AssetKind.TRADEMARK: "Trademark", AssetKind.COPYRIGHT_SOFTWARE: "Software Copyright",
              AssetKind.COPYRIGHT_FILM: "Film Copyright", AssetKind.COPYRIGHT_MUSIC:
              "Music Copyright", AssetKind.DATA_ASSET: "Data Asset"}
STATUS_WEIGHTS = {DealStatus.DRAFT: 4, DealStatus.REGISTERED: 4, DealStatus.ISSUED: 30,
                  DealStatus.AMORTIZING: 35, DealStatus.MATURED: 20, DealStatus.DEFAULTED: 2,
                  DealStatus.TERMINATED: 5}
SENIOR_RATINGS = {"CN": (["AAA"] * 14 + ["AA+"] * 5 + ["AA"]),
                  "US": ["Aaa", "AAA (sf)", "AAA (sf)", "AA (sf)", "A+ (sf)"],
                  "*": ["AAA", "AAA", "AA", "A"]}
RATING_SPREAD = {"AAA": 0.0, "AA": 0.006, "A": 0.012}
CENT = Decimal("0.01")
RATE_Q = Decimal("0.000001")


@dataclass
class Table:
    model: type[models.Model]
    columns: list[str]
    rows: list[tuple] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.model._meta.db_table


@dataclass
class Dataset:
    """Rows per table, in load order; ids are the generator's (`bases` + 0, 1, 2, ...)."""

    tables: dict[str, Table]
    deal_ids: list[int]
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        return {name: len(table.rows) for name, table in self.tables.items()}

    @property
    def total_rows(self) -> int:
        return sum(len(table.rows) for table in self.tables.values())


MODELS = [("issuers", Issuer), ("assets", IPAsset), ("deals", Deal), ("tranches", Tranche),
          ("pool", PoolAsset), ("facet_values", DealFacetValue)]


def sizes(scale: float) -> tuple[int, int]:
    """(deals, issuers) at a scale: 1.0 = 100,000 deals and 20,000 issuers."""
    deals = max(1, round(FULL_DEALS * scale))
    return deals, max(10, round(FULL_ISSUERS * scale))


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _json(value) -> str:
    return json.dumps(value, separators=(",", ":"))


class _Generator:
    def __init__(self, n_deals: int, n_issuers: int, seed: int, bases: dict[str, int],
                 ref_prefix: str, serial_base: int):
        self.rng = random.Random(seed)
        # The cash-flow models draw from a stream of their own, so that adding them left every
        # other generated value as it was.
        self.flows = random.Random(seed * 7919 + 1)
        self.n_deals, self.n_issuers = n_deals, n_issuers
        self.bases, self.prefix, self.serial = bases, ref_prefix, serial_base
        self.tables = {key: Table(model, []) for key, model in MODELS}
        self.deal_numbers: dict[tuple, int] = defaultdict(int)

    # Issuers

    def brand(self) -> str:
        first, second = self.rng.sample(SYLLABLES, 2)
        return first + second.lower()

    def issuers(self):
        rng = self.rng
        cities = [city for city in CITIES]
        weights = [city[3] for city in cities]
        self.issuer_info = []  # (id, name, type, city tuple, sector key, brand)
        self.by_city_sector: dict[tuple, list[int]] = defaultdict(list)
        self.by_city: dict[str, list[int]] = defaultdict(list)
        self.originators: list[int] = []
        self.intermediaries: list[int] = []
        rows = self.tables["issuers"].rows
        base = self.bases["issuers"]
        used_names = set()
        for index in range(self.n_issuers):
            issuer_id = base + index
            city = rng.choices(cities, weights)[0]
            name_city, country, province, _ = city
            sector = rng.choices(SECTOR_KEYS, SECTOR_WEIGHTS)[0]
            roll = rng.random()
            issuer_type = (IssuerType.FINANCIAL_INTERMEDIARY if roll < 0.02 else
                           IssuerType.UNIVERSITY if roll < 0.06 else
                           IssuerType.RESEARCH_INSTITUTE if roll < 0.08 else
                           IssuerType.LARGE if roll < 0.20 else IssuerType.SME)
            brand = self.brand() if country in ("CN",) else rng.choice(SURNAMES)
            for _attempt in range(5):
                name = self.issuer_name(issuer_type, name_city, country, sector, brand)
                if name not in used_names:
                    break
                brand = self.brand() if country == "CN" else rng.choice(SURNAMES)
            else:
                name = f"{name} ({index})"
            used_names.add(name)
            serial = self.serial + index
            uscc = f"91{serial:015d}X" if country == "CN" else ""
            lei = f"5493{serial:014d}00" if country != "CN" else ""
            founded = rng.randint(1950, 2018) if issuer_type == IssuerType.UNIVERSITY \
                else rng.randint(1990, 2020)
            rows.append((issuer_id, name, lei, uscc, country, province, name_city, str(issuer_type),
                         SECTORS[sector].label if issuer_type != IssuerType.FINANCIAL_INTERMEDIARY
                         else "Financial services", founded, f"{self.prefix}I{serial}", NOW, NOW))
            self.issuer_info.append((issuer_id, name, issuer_type, city, sector, brand))
            if issuer_type == IssuerType.FINANCIAL_INTERMEDIARY:
                self.intermediaries.append(index)
            else:
                self.originators.append(index)
                self.by_city_sector[(name_city, sector)].append(index)
                self.by_city[name_city].append(index)
        if not self.intermediaries:
            self.intermediaries = self.originators[:1]
        self.tables["issuers"].columns = [
            "id", "name", "lei", "uscc", "country", "province", "city", "issuer_type", "sector",
            "founded_year", "external_ref", "created_at", "updated_at"]

    def issuer_name(self, issuer_type, city, country, sector, brand) -> str:
        rng = self.rng
        words = rng.choice(SECTORS[sector].issuer_words)
        if issuer_type == IssuerType.UNIVERSITY:
            if country == "CN":
                return rng.choice([f"{city} University of {rng.choice(FIELDS_OF_STUDY)}",
                                   f"{city} {brand} University"])
            return f"{brand} University of {rng.choice(FIELDS_OF_STUDY)}, {city}"
        if issuer_type == IssuerType.RESEARCH_INSTITUTE:
            return f"{city} Institute of {words}"
        if issuer_type == IssuerType.FINANCIAL_INTERMEDIARY:
            kind = rng.choice(["Technology Finance Leasing", "Financial Leasing", "Factoring"])
            return f"{city} {brand} {kind} {SUFFIX[country]}"
        return f"{city} {brand} {words} {SUFFIX[country]}"

    # Deals, their tranches, pools and facets

    def deals(self):
        rng = self.rng
        tables = self.tables
        deal_base, tranche_base = self.bases["deals"], self.bases["tranches"]
        asset_base, pool_base = self.bases["assets"], self.bases["pool"]
        facet_base = self.bases["facet_values"]
        tranche_id, asset_id, pool_id, facet_id = tranche_base, asset_base, pool_base, facet_base
        statuses, status_weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
        self.deal_ids = []
        for index in range(self.n_deals):
            deal_id = deal_base + index
            self.deal_ids.append(deal_id)
            roll = rng.random()
            originator = self.issuer_info[rng.choice(self.intermediaries)] if roll < 0.25 \
                else None
            sector = rng.choices(SECTOR_KEYS, SECTOR_WEIGHTS)[0]
            local = self.by_city_sector.get((originator[3][0], sector)) \
                or self.by_city.get(originator[3][0]) if originator else None
            if local:  # an intermediary pools several companies' assets, all in its city
                city = originator[3]
                owners = [self.issuer_info[i] for i in rng.sample(
                    local, min(len(local), rng.randint(3, 8)))]
            else:
                originator = self.issuer_info[rng.choice(self.originators)]
                city, sector = originator[3], originator[4]
                owners = [originator]
            spec = SECTORS[sector]
            city_name, country, province, _ = city
            status = rng.choices(statuses, status_weights)[0]
            # Dates
            if status in (DealStatus.DRAFT, DealStatus.REGISTERED):
                announce = TODAY - datetime.timedelta(days=rng.randint(10, 300))
                issue = final = None
                year = announce.year
            else:
                last = 2021 if status == DealStatus.MATURED else 2025
                issue = datetime.date(rng.randint(2015, last), rng.randint(1, 12),
                                      rng.randint(1, 28))
                announce = issue - datetime.timedelta(days=rng.randint(30, 120))
                final = issue.replace(year=issue.year + rng.randint(2, 5))
                year = issue.year
            # Pool kinds: usually one family
            kinds = list(spec.kinds)
            kind_weights = list(spec.kinds.values())
            if rng.random() < 0.8:
                main = rng.choices(kinds, kind_weights)[0]
                family = [k for k in kinds if (k in PATENTS) == (main in PATENTS)
                          and (main in PATENTS or k == main)]
                family_weights = [spec.kinds[k] for k in family]
                pool_kinds = rng.choices(family, family_weights, k=ASSETS_PER_DEAL)
            else:
                pool_kinds = rng.choices(kinds, kind_weights, k=ASSETS_PER_DEAL)
            kind_set = set(pool_kinds)
            if kind_set <= set(PATENTS):
                kind_word = "Patent"
            elif len(kind_set) == 1:
                kind_word = KIND_WORDS[pool_kinds[0]]
            else:
                kind_word = "Intellectual Property"
            # Label, SDGs
            label_roll = rng.random()
            label = (Label.GREEN if label_roll < spec.green else
                     Label.SOCIAL if label_roll < spec.green + spec.social else
                     Label.SUSTAINABILITY if label_roll < spec.green + spec.social + 0.03 else
                     Label.NONE)
            sdgs = sorted(set(rng.sample(spec.sdgs, rng.randint(1, len(spec.sdgs))))) \
                if spec.sdgs and (label != Label.NONE or rng.random() < 0.3) else []
            # Name
            number_key = (originator[0], year)
            self.deal_numbers[number_key] += 1
            sector_label = "" if spec.label.split()[0] in kind_word else spec.label
            green_word = "Green" if label == Label.GREEN else ""
            if originator[2] == IssuerType.FINANCIAL_INTERMEDIARY:
                head = f"{originator[5]} {city_name}"
            elif originator[2] == IssuerType.UNIVERSITY:
                head = originator[1]
            else:
                head = f"{city_name} {originator[5]}"
            name = " ".join(filter(None, [
                head, green_word, sector_label, kind_word,
                "ABS" if country == "CN" else "Securitization",
                f"{year}-{self.deal_numbers[number_key]}"]))
            if country == "CN":
                trustee = rng.choice(TRUSTEES["CN"])
                spv = f"{trustee}-{originator[5]} {kind_word} Asset-Backed Special Plan"
            else:
                trustee = rng.choice(TRUSTEES.get(country, TRUSTEES["*"]))
                spv = f"{originator[5]} IP Funding {year}-{self.deal_numbers[number_key]} LLC"
            arranger = rng.choice(ARRANGERS.get(country, ARRANGERS["*"]))
            venue = rng.choice(VENUES.get(country, VENUES["*"]))
            # Structure
            if originator[2] == IssuerType.FINANCIAL_INTERMEDIARY:
                structure = rng.choice([Structure.FINANCE_LEASE] * 3 + [Structure.PLEDGED_LOAN] * 2)
            elif sector in ("film", "music"):
                structure = rng.choice([Structure.FUTURE_FLOW, Structure.LICENCE_ROYALTY])
            else:
                structure = rng.choices(
                    [Structure.LICENCE_ROYALTY, Structure.PLEDGED_LOAN, Structure.SUPPLY_CHAIN,
                     Structure.FUTURE_FLOW, Structure.WHOLE_BUSINESS], [35, 30, 15, 10, 10])[0]
            proceeds = self.proceeds(sector, label, originator, city_name)
            currency = CURRENCY[country]
            size = Decimal(round(min(max(math.exp(rng.gauss(math.log(250e6), 0.9)), 20e6),
                                     5e9) / 1e4) * 10_000)
            # Tranches
            rating_pool = SENIOR_RATINGS.get(country, SENIOR_RATINGS["*"])
            senior_rating = rng.choice(rating_pool)
            bucket = rating_bucket(senior_rating)
            base_rate = 0.048 - 0.0028 * (year - 2015)
            coupon = base_rate + RATING_SPREAD.get(bucket, 0.015) \
                + (0.005 if country != "CN" else 0.0) + rng.gauss(0, 0.008)
            coupon = Decimal(f"{min(max(coupon, 0.012), 0.095):.4f}")
            mezz = rng.random() < 0.5
            senior_share = Decimal(f"{rng.uniform(0.80, 0.90):.2f}")
            mezz_share = Decimal(f"{rng.uniform(0.04, 0.08):.2f}") if mezz else Decimal(0)
            senior_size = (size * senior_share).quantize(CENT)
            mezz_size = (size * mezz_share).quantize(CENT)
            sub_size = size - senior_size - mezz_size
            balance_factor = {DealStatus.AMORTIZING: rng.uniform(0.3, 0.9),
                              DealStatus.DEFAULTED: rng.uniform(0.2, 0.8),
                              DealStatus.MATURED: 0.0, DealStatus.TERMINATED: 0.0}.get(status, 1.0)
            maturity = (final or (announce + datetime.timedelta(days=3 * 365)))
            tranche_rows = [("Senior A", 1, senior_size, coupon, senior_rating)]
            if mezz:
                tranche_rows.append(("Mezzanine B", 2, mezz_size, coupon + Decimal("0.0080"),
                                     rng.choice(["AA", "AA-", "A+"])))
            tranche_rows.append(("Subordinated", len(tranche_rows) + 1, sub_size, None, ""))
            # The cash-flow model the risk recompute simulates (DESIGN 6.2), built as the demo
            # data builds it: level collections over the term, fees, reserve, sequential
            # principal, the rest to the subordinated tranche.
            flows = cash_flow_model(
                self.flows, size=size,
                tranches=[{"name": t_name, "size": t_size, "coupon_rate": rate}
                          for t_name, _rank, t_size, rate, _rating in tranche_rows],
                years=(maturity - (issue or announce)).days / 365.25)
            for t_name, rank, t_size, rate, rating in tranche_rows:
                balance = (t_size * Decimal(f"{balance_factor:.4f}")).quantize(CENT) \
                    if rank == 1 else (t_size if balance_factor > 0 else Decimal(0))
                tables["tranches"].rows.append((
                    tranche_id, deal_id, t_name, rank, t_size, balance, "fixed", rate, rating,
                    "" if not rating else ("China Chengxin" if country == "CN" else "S&P"),
                    maturity))
                tranche_id += 1
            # Pool: ten new assets of the owners, in this deal's sector
            live = status in LIVE_STATUSES
            weights = [rng.uniform(0.5, 1.5) for _ in range(ASSETS_PER_DEAL)]
            total = sum(weights)
            titles, beneficiaries = [], set()
            for position, kind in enumerate(pool_kinds):
                owner = owners[position % len(owners)]
                title = self.title(spec, kind, owner)
                titles.append(title)
                if owner[0] != originator[0]:
                    beneficiaries.add(owner[1])
                tables["assets"].rows.append(self.asset_row(asset_id, owner, kind, title, spec,
                                                            issue or announce))
                value = _money(float(size) * 1.2 * weights[position] / total)
                financing = _money(float(value) * 0.6) if owner[0] != originator[0] \
                    else Decimal(0)
                tables["pool"].rows.append((pool_id, deal_id, asset_id, value, financing, live))
                asset_id += 1
                pool_id += 1
            # Facet values (as deals.search.refresh_facets derives them)
            for facet, value in sorted({("asset_kind", str(kind)) for kind in kind_set}
                                       | {("sdg_target", target) for target in sdgs}):
                tables["facet_values"].rows.append((facet_id, deal_id, facet, value))
                facet_id += 1
            # Derived columns, exactly as deals.services.deal_refresh computes them
            search_primary = " ".join(filter(None, [name, originator[1], spv, city_name, venue]))
            tables["deals"].rows.append((
                deal_id, name, originator[0], spv, trustee, arranger, venue, country, province,
                city_name, str(structure), str(status), announce, issue, final, currency, size,
                str(label), _json(sdgs),
                proceeds, flows["periods_per_year"], _json(flows["projected_collections"]),
                _json(flows["fees"]), _json(flows["reserve"]), _json(flows["waterfall_steps"]), 2,
                f"{self.prefix}D{self.serial + index}",
                year if issue else None, coupon, senior_rating, bucket, search_primary,
                " ".join(sorted(beneficiaries)), " ".join(titles), proceeds, NOW, NOW))
        self.tables["deals"].columns = [
            "id", "name", "originator_id", "spv_name", "trustee", "arranger", "venue", "country",
            "province", "city", "structure", "status", "announce_date", "issue_date",
            "legal_final_date",
            "currency", "size", "label", "sdg_targets", "use_of_proceeds", "periods_per_year",
            "projected_collections", "fees", "reserve", "waterfall_steps",
            "default_missed_periods", "external_ref", "issue_year", "senior_coupon",
            "senior_rating", "rating_bucket", "search_primary", "search_parties",
            "search_assets", "search_proceeds", "created_at", "updated_at"]
        self.tables["tranches"].columns = [
            "id", "deal_id", "name", "rank", "size", "balance", "coupon_type", "coupon_rate",
            "rating", "rating_agency", "expected_maturity"]
        self.tables["assets"].columns = [
            "id", "owner_id", "kind", "registry_number", "title", "country", "filing_date",
            "grant_date", "expiry_date", "cpc_codes", "ipc_codes", "nice_classes", "status",
            "green", "green_categories", "dispersion_flagged", "dispersion_note", "external_ref",
            "created_at", "updated_at"]
        self.tables["pool"].columns = ["id", "deal_id", "asset_id", "cutoff_value",
                                       "financing_amount", "live"]
        self.tables["facet_values"].columns = ["id", "deal_id", "facet", "value"]

    def title(self, spec: Sector, kind, owner) -> str:
        rng = self.rng
        brand = owner[5]
        if kind == AssetKind.TRADEMARK:
            return f"{brand.upper()} {rng.choice(['word', 'figurative', 'combined'])} mark " \
                   f"(Nice class {rng.choice([3, 5, 9, 25, 29, 30, 32, 35, 41, 42])})"
        if kind == AssetKind.COPYRIGHT_SOFTWARE:
            return f"{brand} {rng.choice(SOFTWARE_DOMAINS)} software " \
                   f"V{rng.randint(1, 6)}.{rng.randint(0, 9)}"
        if kind == AssetKind.COPYRIGHT_FILM:
            return f"Feature film {rng.choice(TITLE_ADJECTIVES)} {rng.choice(TITLE_NOUNS)}"
        if kind == AssetKind.COPYRIGHT_MUSIC:
            return f"Album {rng.choice(TITLE_ADJECTIVES)} {rng.choice(TITLE_NOUNS)}"
        if kind == AssetKind.DATA_ASSET:
            return f"{owner[3][0]} {rng.choice(spec.titles).lower()} {rng.randint(2019, 2025)}"
        return rng.choice(spec.titles) + rng.choice(spec.suffixes)

    def asset_row(self, asset_id, owner, kind, title, spec, anchor) -> tuple:
        rng = self.rng
        country = owner[3][1]
        filing = anchor - datetime.timedelta(days=rng.randint(200, 3650))
        grant = filing + datetime.timedelta(days=rng.randint(150, 1000)) \
            if kind not in (AssetKind.DATA_ASSET, AssetKind.TRADE_SECRET) else None
        life = {AssetKind.INVENTION_PATENT: 20, AssetKind.UTILITY_MODEL: 10,
                AssetKind.DESIGN_PATENT: 15, AssetKind.TRADEMARK: 10}.get(kind, 50)
        expiry = filing + datetime.timedelta(days=365 * life + life // 4) \
            if kind != AssetKind.DATA_ASSET else None
        cpc = [rng.choice(spec.cpc)] if kind in PATENTS and spec.cpc else []
        green_categories = [code[:4] for code in cpc if code.startswith("Y02")]
        nice = [rng.choice([9, 35, 42])] if kind == AssetKind.TRADEMARK else []
        serial = self.serial * 10 + (asset_id - self.bases["assets"])
        registry = f"{country}{serial:010d}{'B' if kind in PATENTS else ''}"
        return (asset_id, owner[0], str(kind), registry, title, country, filing, grant, expiry,
                _json(cpc), _json([]), _json(nice), str(AssetStatus.ACTIVE), bool(green_categories),
                _json(green_categories), False, "", f"{self.prefix}A{serial}", NOW, NOW)

    def proceeds(self, sector, label, originator, city) -> str:
        rng = self.rng
        spec = SECTORS[sector]
        text = {
            "film": "Refinancing of production costs, repaid from film royalties under "
                    "distribution licences.",
            "music": "Acquisition of music catalogues, repaid from streaming royalties.",
        }.get(sector, rng.choice([
            f"Working capital for the originator's {spec.label.lower()} business and "
            "refinancing of bank loans.",
            f"Research and development in {spec.label.lower()} and {spec.project} in {city}.",
            "Repaid from licence fees of the pooled intellectual property.",
        ]))
        if originator[2] == IssuerType.UNIVERSITY:
            text = f"Commercialisation of university research in {spec.label.lower()}. " + text
        if label == Label.GREEN:
            text = f"Proceeds finance green projects: {spec.project} in {city}. " + text
        elif label == Label.SUSTAINABILITY:
            text = f"Proceeds finance green and social projects: {spec.project}. " + text
        elif label == Label.SOCIAL:
            text = "Proceeds widen patient access to affordable treatment. " + text
        return text


def generate(n_deals: int, n_issuers: int, *, seed: int = 2026,
             bases: dict[str, int] | None = None, ref_prefix: str = "BENCH-",
             serial_base: int = 0) -> Dataset:
    """Build the rows of `n_deals` deals (ten pooled assets each) over `n_issuers` issuers.

    `bases` gives the first id per table (see MODELS; default 1); `ref_prefix` and
    `serial_base` keep external refs, registry numbers and identifiers of two datasets apart.
    """
    started = time.perf_counter()
    generator = _Generator(n_deals, n_issuers, seed, {key: 1 for key, _ in MODELS} | (bases or {}),
                           ref_prefix, serial_base)
    generator.issuers()
    generator.deals()
    dataset = Dataset(generator.tables, generator.deal_ids)
    _complete_columns(dataset)
    dataset.seconds = time.perf_counter() - started
    return dataset


def _complete_columns(dataset: Dataset) -> None:
    """Columns the model has and the generator does not fill (added later by a migration)
    get the field's default, so the load keeps working as the models grow; a required column
    without a default is an error to fix here."""
    for table in dataset.tables.values():
        known = set(table.columns)
        for model_field in table.model._meta.concrete_fields:
            if model_field.column in known:
                continue
            if model_field.has_default():
                value = model_field.get_default()
                if isinstance(model_field, models.JSONField):
                    value = _json(value)
            elif model_field.null:
                continue
            elif getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add",
                                                                     False):
                value = NOW
            else:
                raise RuntimeError(f"benchmarks.data does not fill {table.name}."
                                   f"{model_field.column}, which is required.")
            table.columns.append(model_field.column)
            table.rows = [(*row, value) for row in table.rows]


# Loading


def reserve_ids(model: type[models.Model], count: int) -> int:
    """Take `count` ids from the table's sequence and return the first (PostgreSQL)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s)", [sequence])
        first = cursor.fetchone()[0]
        if count > 1:
            cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
    return first


def reserved_bases(n_deals: int, n_issuers: int) -> dict[str, int]:
    """Sequence ranges for a dataset's rows, so COPY can give explicit ids (upper bounds:
    three tranches per deal, at most all asset kinds plus all SDG targets per deal)."""
    counts = {"issuers": n_issuers, "assets": n_deals * ASSETS_PER_DEAL, "deals": n_deals,
              "tranches": n_deals * 3, "pool": n_deals * ASSETS_PER_DEAL,
              "facet_values": n_deals * (ASSETS_PER_DEAL + 3)}
    return {key: reserve_ids(model, counts[key]) for key, model in MODELS}


def copy_load(dataset: Dataset) -> dict[str, tuple[int, float]]:
    """COPY every table in load order; returns {table key: (rows, seconds)}. Each COPY is one
    statement (committed on its own in autocommit mode, inside the caller's transaction
    otherwise); constraints, foreign keys and indexes stay in place."""
    timings = {}
    with connection.cursor() as cursor:
        for key, table in dataset.tables.items():
            started = time.perf_counter()
            columns = ", ".join(f'"{column}"' for column in table.columns)
            with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                for row in table.rows:
                    copy.write_row(row)
            timings[key] = (len(table.rows), time.perf_counter() - started)
    return timings


def orm_load(dataset: Dataset) -> tuple[dict[str, tuple[int, float]], dict[str, list[int]]]:
    """Save every row as a model instance, one `save()` each (autocommit: one transaction per
    row), with ids from the database; returns the timings and the new ids per table."""
    timings, new_ids = {}, {}
    id_map: dict[str, dict[int, int]] = {}
    foreign = {"originator_id": "issuers", "owner_id": "issuers", "deal_id": "deals",
               "asset_id": "assets"}
    for key, table in dataset.tables.items():
        model = table.model
        mapping = id_map[key] = {}
        started = time.perf_counter()
        for row in table.rows:
            values = dict(zip(table.columns, row, strict=True))
            old_id = values.pop("id")
            for column, target in foreign.items():
                if column in values:
                    values[column] = id_map[target][values[column]]
            for model_field in model._meta.concrete_fields:
                if isinstance(model_field, models.JSONField) and model_field.column in values:
                    values[model_field.column] = json.loads(values[model_field.column])
            instance = model(**{_attname(model, column): value
                                for column, value in values.items()})
            instance.save()
            mapping[old_id] = instance.pk
        timings[key] = (len(table.rows), time.perf_counter() - started)
        new_ids[key] = list(mapping.values())
    return timings, new_ids


def _attname(model, column: str) -> str:
    for model_field in model._meta.concrete_fields:
        if model_field.column == column:
            return model_field.attname
    raise KeyError(column)


def delete_rows(new_ids: dict[str, list[int]]) -> None:
    """Remove rows by id, children first (raw SQL: no cascade collection)."""
    with connection.cursor() as cursor:
        for key, model in reversed(MODELS):
            ids = new_ids.get(key) or []
            if ids:
                cursor.execute(f'DELETE FROM "{model._meta.db_table}" WHERE id = ANY(%s)', [ids])
