"""Generate the demo deals: the reference IP ABS deals and a calibrated synthetic market.

The reference deals are the rows of reference/ip-abs-deals.csv with their real year, place,
originator, size, currency, coupon, term, senior rating and outcome. Where the source is silent
or uncertain (a coupon, a term, a tranche split, the day of issue, a size given as a range or
with "?"), the demo models a plausible value and says so in the deal's "Source notes". Their
beneficiaries and pool assets are invented: the sources do not name them.

The synthetic market is invented and calibrated on reference/market-facts.md: mostly Chinese
pledged-loan, lease, licence and supply-chain deals of CNY 100-300 m with 10-17 SME
beneficiaries at about CNY 18 m each (smaller tickets since 2024), Guangdong about 72 % of the
Chinese amount, senior coupons falling from about 4 % (2019) to about 2.2 % (2024) on mostly
one-year terms, all with internal and most with external credit enhancement; US, European and
Japanese (and a few Korean) royalty, brand, film and whole-business deals; about 2 % of issued
deals in default. Its originators, beneficiaries and deals are fictional; real-named entities
carry only their own reference deals, and the ones created here have no legal identifiers.
Registry SMEs whose financials step up after a financing join a deal of their city in that
year.

`plan_deals` is pure: one random.Random seed, one as-of date and one view of the registry give
one plan. `load_deals` writes it through the deals and registry services, replaying each
deal's history (registration, issuance, events, maturity, release of pledges) in date order,
so assets freed by a matured deal can enter a later one.
"""

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from core.models import User
from deals import services
from deals.choices import CouponType, DealStatus, EnhancementKind, EventType, Label, Structure
from ipregistry import demo as registry_demo
from ipregistry import identifiers
from ipregistry import services as registry_services
from ipregistry.choices import PATENT_KINDS, AssetKind, AssetStatus, IssuerType
from ipregistry.models import IPAsset, Issuer, IssuerFinancials

INV, UM = AssetKind.INVENTION_PATENT, AssetKind.UTILITY_MODEL
TM, SW = AssetKind.TRADEMARK, AssetKind.COPYRIGHT_SOFTWARE
FILM, MUSIC, WORK = AssetKind.COPYRIGHT_FILM, AssetKind.COPYRIGHT_MUSIC, AssetKind.COPYRIGHT_OTHER
SME, LARGE = IssuerType.SME, IssuerType.LARGE
PERSON, FIN = IssuerType.INDIVIDUAL, IssuerType.FINANCIAL_INTERMEDIARY
LICENCE, SUPPLY = Structure.LICENCE_ROYALTY, Structure.SUPPLY_CHAIN
LEASE, LOAN = Structure.FINANCE_LEASE, Structure.PLEDGED_LOAN
WHOLE, FLOW = Structure.WHOLE_BUSINESS, Structure.FUTURE_FLOW
SUBORDINATION, OC = EnhancementKind.SUBORDINATION, EnhancementKind.OVERCOLLATERALIZATION
RESERVE, SPREAD = EnhancementKind.RESERVE_ACCOUNT, EnhancementKind.EXCESS_SPREAD
GUARANTEE, SHORTFALL = EnhancementKind.GUARANTEE, EnhancementKind.SHORTFALL_UNDERTAKING
MATURED, DEFAULTED = DealStatus.MATURED, DealStatus.DEFAULTED
ISSUED_OR_LATER = frozenset({DealStatus.ISSUED, DealStatus.AMORTIZING, MATURED, DEFAULTED})

MILLION = Decimal(1_000_000)
PERIODS_PER_YEAR = 4
FIRST_MARKET_YEAR, LAST_MARKET_YEAR = 2017, 2025
FIRST_FX_YEAR = 1997
# CNY reaching each SME beneficiary on average: about 18 m in 2018-2021 (market facts); the
# 2024-2025 series (CNY 151 m and 124 m per deal) implies smaller tickets since 2024.
SME_FINANCING = {2024: 12e6, 2025: 10e6}
SME_FINANCING_BEFORE_2024 = 18e6

# Reference data: yearly averages, USD per unit of each currency (JPY and KRW as units per USD).
CNY_USD = {1997: 0.1206, 1998: 0.1208, 1999: 0.1208, 2000: 0.1208, 2001: 0.1208, 2002: 0.1208,
           2003: 0.1208, 2004: 0.1208, 2005: 0.1221, 2006: 0.1254, 2007: 0.1315, 2008: 0.1440,
           2009: 0.1464, 2010: 0.1477, 2011: 0.1548, 2012: 0.1584, 2013: 0.1615, 2014: 0.1628,
           2015: 0.1606, 2016: 0.1506, 2017: 0.1481, 2018: 0.1513, 2019: 0.1449, 2020: 0.1450,
           2021: 0.1550, 2022: 0.1487, 2023: 0.1412, 2024: 0.1390, 2025: 0.1393}
EUR_USD = {1999: 1.0658, 2000: 0.9236, 2001: 0.8956, 2002: 0.9456, 2003: 1.1312, 2004: 1.2439,
           2005: 1.2441, 2006: 1.2556, 2007: 1.3705, 2008: 1.4708, 2009: 1.3948, 2010: 1.3257,
           2011: 1.3920, 2012: 1.2848, 2013: 1.3281, 2014: 1.3285, 2015: 1.1095, 2016: 1.1069,
           2017: 1.1297, 2018: 1.1810, 2019: 1.1195, 2020: 1.1422, 2021: 1.1827, 2022: 1.0530,
           2023: 1.0813, 2024: 1.0824, 2025: 1.1300}
GBP_USD = {1997: 1.6376, 1998: 1.6573, 1999: 1.6172, 2000: 1.5156, 2001: 1.4396, 2002: 1.5025,
           2003: 1.6347, 2004: 1.8330, 2005: 1.8204, 2006: 1.8434, 2007: 2.0020, 2008: 1.8545,
           2009: 1.5661, 2010: 1.5458, 2011: 1.6039, 2012: 1.5853, 2013: 1.5643, 2014: 1.6474,
           2015: 1.5284, 2016: 1.3555, 2017: 1.2890, 2018: 1.3349, 2019: 1.2765, 2020: 1.2837,
           2021: 1.3757, 2022: 1.2369, 2023: 1.2435, 2024: 1.2781, 2025: 1.3200}
JPY_PER_USD = {1997: 121.0, 1998: 130.9, 1999: 113.9, 2000: 107.8, 2001: 121.6, 2002: 125.4,
               2003: 115.9, 2004: 108.2, 2005: 110.2, 2006: 116.3, 2007: 117.8, 2008: 103.4,
               2009: 93.6, 2010: 87.8, 2011: 79.8, 2012: 79.8, 2013: 97.6, 2014: 105.9,
               2015: 121.0, 2016: 108.8, 2017: 112.2, 2018: 110.4, 2019: 109.0, 2020: 106.8,
               2021: 109.8, 2022: 131.5, 2023: 140.5, 2024: 151.4, 2025: 149.0}
KRW_PER_USD = {1997: 951, 1998: 1399, 1999: 1189, 2000: 1131, 2001: 1291, 2002: 1251, 2003: 1192,
               2004: 1145, 2005: 1024, 2006: 955, 2007: 929, 2008: 1102, 2009: 1276, 2010: 1156,
               2011: 1108, 2012: 1127, 2013: 1095, 2014: 1053, 2015: 1131, 2016: 1160,
               2017: 1131, 2018: 1100, 2019: 1166, 2020: 1180, 2021: 1144, 2022: 1292,
               2023: 1306, 2024: 1364, 2025: 1400}


def _usd_rates() -> dict[str, dict[int, Decimal]]:
    rates = {"USD": {year: Decimal(1) for year in range(FIRST_FX_YEAR, LAST_MARKET_YEAR + 1)}}
    for currency, table in (("CNY", CNY_USD), ("EUR", EUR_USD), ("GBP", GBP_USD)):
        rates[currency] = {year: Decimal(str(rate)) for year, rate in table.items()}
    for currency, table in (("JPY", JPY_PER_USD), ("KRW", KRW_PER_USD)):
        rates[currency] = {year: (Decimal(1) / Decimal(str(units))).quantize(Decimal("1e-10"))
                           for year, units in table.items()}
    return rates


USD_PER_UNIT = _usd_rates()

# Benchmarks per country: anchors by year, interpolated in between. SME loan rates are new
# small-business lending rates (China: 5.28 % in January-October 2022 and 4.45 % in
# January-April 2024 per the market facts); total ABS issuance is in the local currency, far
# above the IP deals (IP products are under 5 % of all securitization).
SME_LOAN_RATE = {
    "CN": {2017: .060, 2018: .064, 2019: .067, 2020: .0588, 2021: .0569, 2022: .0528,
           2023: .0478, 2024: .0445, 2025: .0400},
    "US": {1997: .095, 2000: .100, 2001: .080, 2002: .065, 2003: .059, 2004: .062, 2005: .075,
           2006: .086, 2007: .087, 2008: .065, 2009: .055, 2011: .054, 2013: .050, 2015: .049,
           2017: .055, 2018: .062, 2019: .063, 2020: .050, 2021: .047, 2022: .060, 2023: .082,
           2024: .084, 2025: .078},
    "GB": {1997: .078, 1999: .075, 2017: .038, 2018: .039, 2019: .039, 2020: .030, 2021: .032,
           2022: .048, 2023: .073, 2024: .072, 2025: .066},
    "DE": {2017: .026, 2018: .025, 2019: .023, 2020: .021, 2021: .020, 2022: .029, 2023: .050,
           2024: .052, 2025: .043},
    "FR": {2017: .016, 2018: .015, 2019: .014, 2020: .013, 2021: .012, 2022: .019, 2023: .042,
           2024: .046, 2025: .038},
    "JP": {2017: .011, 2018: .0105, 2019: .010, 2020: .0095, 2021: .009, 2022: .0095,
           2023: .010, 2024: .0125, 2025: .016},
    "KR": {2017: .037, 2018: .039, 2019: .037, 2020: .030, 2021: .030, 2022: .046, 2023: .054,
           2024: .050, 2025: .044},
}
TOTAL_ABS = {
    "CN": {2017: 1.52e12, 2018: 2.01e12, 2019: 2.34e12, 2020: 2.87e12, 2021: 3.12e12,
           2022: 2.00e12, 2023: 1.88e12, 2024: 2.03e12, 2025: 2.10e12},
    "US": {1997: 185e9, 1998: 247e9, 1999: 233e9, 2000: 281e9, 2001: 326e9, 2002: 373e9,
           2003: 461e9, 2004: 650e9, 2005: 754e9, 2006: 754e9, 2007: 510e9, 2008: 140e9,
           2009: 150e9, 2010: 110e9, 2011: 125e9, 2014: 220e9, 2017: 236e9, 2018: 239e9,
           2019: 245e9, 2020: 194e9, 2021: 300e9, 2022: 244e9, 2023: 262e9, 2024: 340e9,
           2025: 355e9},
    "GB": {1997: 20e9, 1999: 25e9, 2017: 35e9, 2018: 40e9, 2019: 38e9, 2020: 25e9, 2021: 35e9,
           2022: 40e9, 2023: 42e9, 2024: 48e9, 2025: 50e9},
    "DE": {2017: 30e9, 2018: 35e9, 2019: 38e9, 2020: 30e9, 2021: 40e9, 2022: 45e9, 2023: 40e9,
           2024: 42e9, 2025: 45e9},
    "FR": {2017: 32e9, 2018: 36e9, 2019: 40e9, 2020: 34e9, 2021: 42e9, 2022: 46e9, 2023: 44e9,
           2024: 48e9, 2025: 50e9},
    "JP": {2017: 4.2e12, 2018: 4.5e12, 2019: 4.8e12, 2020: 4.3e12, 2021: 4.6e12, 2022: 4.9e12,
           2023: 5.1e12, 2024: 5.3e12, 2025: 5.5e12},
    "KR": {2017: 44e12, 2018: 48e12, 2019: 50e12, 2020: 60e12, 2021: 58e12, 2022: 47e12,
           2023: 45e12, 2024: 52e12, 2025: 55e12},
}
EMPLOYMENT_GROWTH = {
    "CN": {2017: .015, 2018: .013, 2019: .012, 2020: .004, 2021: .018, 2022: .010, 2023: .014,
           2024: .012, 2025: .011},
    "US": {1997: .026, 1998: .026, 1999: .024, 2000: .022, 2001: .000, 2002: -.011,
           2003: -.003, 2004: .011, 2005: .017, 2006: .018, 2007: .011, 2008: -.006,
           2009: -.043, 2010: -.007, 2011: .012, 2014: .019, 2017: .016, 2018: .017,
           2019: .013, 2020: -.015, 2021: .029, 2022: .030, 2023: .023, 2024: .013, 2025: .009},
    "GB": {1997: .018, 1999: .014, 2017: .010, 2018: .012, 2019: .011, 2020: -.010,
           2021: .005, 2022: .015, 2023: .010, 2024: .008, 2025: .005},
    "DE": {2017: .015, 2018: .014, 2019: .009, 2020: -.005, 2021: .001, 2022: .013,
           2023: .007, 2024: .002, 2025: .001},
    "FR": {2017: .010, 2018: .009, 2019: .011, 2020: -.010, 2021: .024, 2022: .015,
           2023: .008, 2024: .004, 2025: .003},
    "JP": {2017: .010, 2018: .020, 2019: .009, 2020: -.002, 2021: .000, 2022: .002,
           2023: .003, 2024: .003, 2025: .002},
    "KR": {2017: .012, 2018: .004, 2019: .011, 2020: -.003, 2021: .014, 2022: .030,
           2023: .012, 2024: .006, 2025: .007},
}

# Senior coupons of the synthetic market by currency and issue year.
SENIOR_COUPON = {
    "CNY": {2018: .045, 2019: .040, 2020: .036, 2021: .034, 2022: .029, 2023: .026,
            2024: .022, 2025: .020},
    "USD": {2017: .043, 2018: .046, 2019: .041, 2020: .032, 2021: .030, 2022: .054,
            2023: .066, 2024: .060, 2025: .057},
    "EUR": {2017: .022, 2018: .023, 2019: .019, 2020: .018, 2021: .016, 2022: .036,
            2023: .050, 2024: .046, 2025: .039},
    "GBP": {2017: .031, 2018: .033, 2019: .030, 2020: .026, 2021: .024, 2022: .049,
            2023: .063, 2024: .058, 2025: .053},
    "JPY": {2017: .006, 2018: .006, 2019: .005, 2020: .005, 2021: .005, 2022: .006,
            2023: .008, 2024: .011, 2025: .015},
    "KRW": {2017: .030, 2018: .032, 2019: .026, 2020: .022, 2021: .024, 2022: .046,
            2023: .049, 2024: .042, 2025: .036},
}


# Issuers


@dataclass(frozen=True)
class NewIssuer:
    """An originator the registry demo does not have; real names get no identifiers."""

    name: str
    issuer_type: str
    country: str
    province: str
    city: str
    sector: str
    real: bool
    division: str = ""  # fictional Chinese issuers: GB/T 2260 code for their demo USCC
    brand: str = ""
    founded: int | None = None


FINANCE = registry_demo.SECTOR_LABELS["finance"]
MUSIC_SECTOR = registry_demo.SECTOR_LABELS["music"]
FILM_SECTOR = registry_demo.SECTOR_LABELS["film"]
BRANDS_SECTOR = registry_demo.SECTOR_LABELS["consumer"]

# Originators of reference deals that the registry demo lacks, named as in the source.
REAL_ORIGINATORS = [NewIssuer(*row, real=True) for row in (
    ("David Bowie", PERSON, "US", "", "", MUSIC_SECTOR),
    ("Holland brothers and Lamont Dozier", PERSON, "US", "", "", MUSIC_SECTOR),
    ("Ashford & Simpson", PERSON, "US", "", "", MUSIC_SECTOR),
    ("Iron Maiden", PERSON, "GB", "", "", MUSIC_SECTOR),
    ("James Brown", PERSON, "US", "", "", MUSIC_SECTOR),
    ("Candie's Inc.", LARGE, "US", "US-NY", "", BRANDS_SECTOR),
    ("Marvel Entertainment", LARGE, "US", "US-NY", "New York", FILM_SECTOR),
    ("Dunkin' Brands", LARGE, "US", "US-MA", "", BRANDS_SECTOR),
    ("Sears Holdings", LARGE, "US", "US-IL", "", BRANDS_SECTOR),
    ("Miramax", LARGE, "US", "US-CA", "", FILM_SECTOR),
    ("Beijing iQIYI", LARGE, "CN", "CN-BJ", "Beijing", FILM_SECTOR),
    ("Shenzhen Hi-Tech Investment Microcredit Co., Ltd.", FIN, "CN", "CN-GD", "Shenzhen",
     FINANCE),
    ("Zhongying Investment", FIN, "CN", "CN-HN", "Changsha", FINANCE),
    ("China Technology Exchange", FIN, "CN", "CN-BJ", "Beijing", "Technology transfer exchange"),
    ("Undisclosed originator (Guojin - Hangzhou Future Sci-Tech City IP)", FIN, "CN", "CN-ZJ",
     "Hangzhou", FINANCE),
    ("Undisclosed originator (Tianzhi No. 1, Guangzhou Tianhe)", FIN, "CN", "CN-GD", "Guangzhou",
     FINANCE),
)]

# Fictional Chinese originators of the synthetic market: city, kind of lender, brand.
CN_ORIGINATORS = [NewIssuer(name, FIN, "CN", province, city, FINANCE, False, division, brand,
                            founded)
                  for name, province, city, division, brand, founded in (
    ("Shenzhen Pengxin Technology Microcredit Co., Ltd.", "CN-GD", "Shenzhen", "440300",
     "Pengxin Microcredit", 2012),
    ("Shenzhen Lianhai IP Financial Leasing Co., Ltd.", "CN-GD", "Shenzhen", "440300",
     "Lianhai Leasing", 2015),
    ("Shenzhen Qianlu Kechuang Factoring Co., Ltd.", "CN-GD", "Shenzhen", "440300",
     "Qianlu Factoring", 2017),
    ("Guangzhou Huacheng IP Financial Leasing Co., Ltd.", "CN-GD", "Guangzhou", "440100",
     "Huacheng Leasing", 2014),
    ("Guangzhou Yangcheng Technology Microcredit Co., Ltd.", "CN-GD", "Guangzhou", "440100",
     "Yangcheng Microcredit", 2011),
    ("Dongguan Songhu Technology Microcredit Co., Ltd.", "CN-GD", "Dongguan", "441900",
     "Songhu Microcredit", 2013),
    ("Foshan Chanxin Financial Leasing Co., Ltd.", "CN-GD", "Foshan", "440600",
     "Chanxin Leasing", 2016),
    ("Zhuhai Hengxin IP Factoring Co., Ltd.", "CN-GD", "Zhuhai", "440400", "Hengxin Factoring",
     2018),
    ("Huizhou Xizhou Kechuang Microcredit Co., Ltd.", "CN-GD", "Huizhou", "441300",
     "Xizhou Microcredit", 2015),
    ("Beijing Jinghai Kechuang Financial Leasing Co., Ltd.", "CN-BJ", "Beijing", "110108",
     "Jinghai Leasing", 2013),
    ("Shanghai Pujiang IP Factoring Co., Ltd.", "CN-SH", "Shanghai", "310115",
     "Pujiang Factoring", 2016),
    ("Hangzhou Qiantang Kechuang Microcredit Co., Ltd.", "CN-ZJ", "Hangzhou", "330100",
     "Qiantang Microcredit", 2012),
    ("Ningbo Yongjiang IP Factoring Co., Ltd.", "CN-ZJ", "Ningbo", "330200",
     "Yongjiang Factoring", 2017),
    ("Suzhou Jinji IP Financial Leasing Co., Ltd.", "CN-JS", "Suzhou", "320500", "Jinji Leasing",
     2014),
    ("Nanjing Qinhuai Kechuang Microcredit Co., Ltd.", "CN-JS", "Nanjing", "320100",
     "Qinhuai Microcredit", 2013),
    ("Changsha Lugu Kechuang Financing Guarantee Co., Ltd.", "CN-HN", "Changsha", "430100",
     "Lugu Guarantee", 2010),
    ("Wuhan Guanggu IP Financial Leasing Co., Ltd.", "CN-HB", "Wuhan", "420100",
     "Guanggu Leasing", 2015),
    ("Hefei Binhu Kechuang Factoring Co., Ltd.", "CN-AH", "Hefei", "340100", "Binhu Factoring",
     2018),
    ("Chengdu Tianfu IP Microcredit Co., Ltd.", "CN-SC", "Chengdu", "510100",
     "Tianfu Microcredit", 2014),
    ("Chongqing Liangjiang IP Microcredit Co., Ltd.", "CN-CQ", "Chongqing", "500112",
     "Liangjiang Microcredit", 2012),
    ("Xi'an Gaoxin IP Financial Leasing Co., Ltd.", "CN-SN", "Xi'an", "610100",
     "Gaoxin Leasing", 2016),
    ("Jinan Quancheng Kechuang Microcredit Co., Ltd.", "CN-SD", "Jinan", "370100",
     "Quancheng Microcredit", 2013),
    ("Xiamen Lujiang IP Factoring Co., Ltd.", "CN-FJ", "Xiamen", "350200", "Lujiang Factoring",
     2017),
    ("Zhengzhou Zhongyuan IP Financial Leasing Co., Ltd.", "CN-HA", "Zhengzhou", "410100",
     "Zhongyuan Leasing", 2015),
)]
# Cities of the synthetic Chinese market with their weight in its deals: Guangdong about 76 %,
# which with the larger reference deals elsewhere makes about 72 % of the Chinese amount.
CN_CITY_SHARE = {"Shenzhen": 0.50, "Guangzhou": 0.20, "Dongguan": 0.035, "Foshan": 0.025,
                 "Zhuhai": 0.013, "Huizhou": 0.012, "Beijing": 0.06, "Shanghai": 0.035,
                 "Hangzhou": 0.022, "Ningbo": 0.013, "Suzhou": 0.02, "Nanjing": 0.013,
                 "Changsha": 0.016, "Wuhan": 0.013, "Hefei": 0.009, "Chengdu": 0.011,
                 "Chongqing": 0.007, "Xi'an": 0.007, "Jinan": 0.006, "Xiamen": 0.006,
                 "Zhengzhou": 0.007}
# Where a city has several originators, the first originates most of its deals.
ORIGINATOR_WEIGHT = {"Pengxin Microcredit": 5, "Lianhai Leasing": 3, "Qianlu Factoring": 2,
                     "Huacheng Leasing": 11, "Yangcheng Microcredit": 9}
CN_DEALS_PER_YEAR = {2019: 9, 2020: 13, 2021: 25, 2022: 36, 2023: 38, 2024: 29, 2025: 38}
# Division codes of the cities where invented SMEs sit (GB/T 2260), for their demo USCCs.
CITY_DIVISION = {o.city: o.division for o in CN_ORIGINATORS} | {"Beijing": "110108"}

# Fictional originators abroad, and the registry demo's fictional foreign issuers.
FOREIGN_ORIGINATORS = [NewIssuer(name, LARGE, country, province, city, sector, False,
                                 brand=brand, founded=founded)
                       for name, country, province, city, sector, brand, founded in (
    ("Harborline Music Publishing LLC", "US", "US-TN", "Nashville", MUSIC_SECTOR, "Harborline",
     1998),
    ("Redwood Royalty Partners LP", "US", "US-NY", "New York",
     registry_demo.SECTOR_LABELS["biomedicine"], "Redwood", 2004),
    ("Crestmoor Brands Holdings LLC", "US", "US-NY", "New York", BRANDS_SECTOR, "Crestmoor",
     2009),
    ("Maplecrest Franchise Group LLC", "US", "US-GA", "Atlanta", BRANDS_SECTOR, "Maplecrest",
     1987),
    ("Silverpine Pictures LLC", "US", "US-CA", "Los Angeles", FILM_SECTOR, "Silverpine", 2001),
    ("Albion Songs Ltd", "GB", "GB-LND", "London", MUSIC_SECTOR, "Albion", 1995),
    ("Kestrel Brands plc", "GB", "GB-MAN", "Manchester", BRANDS_SECTOR, "Kestrel", 1979),
    ("Isarwerk Patentverwertung GmbH", "DE", "DE-BY", "Munich",
     registry_demo.SECTOR_LABELS["electronics"], "Isarwerk", 2006),
    ("Maison Verbois SAS", "FR", "FR-IDF", "Paris", BRANDS_SECTOR, "Verbois", 1968),
    ("Sakuragawa Animation K.K.", "JP", "JP-13", "Tokyo",
     registry_demo.SECTOR_LABELS["digital_content"], "Sakuragawa", 1990),
    ("Tokiwa Pharmaceutical K.K.", "JP", "JP-27", "Osaka",
     registry_demo.SECTOR_LABELS["biomedicine"], "Tokiwa", 1952),
    ("Hangang Webtoon Studio Co., Ltd.", "KR", "KR-11", "Seoul",
     registry_demo.SECTOR_LABELS["digital_content"], "Hangang", 2012),
)]


@dataclass(frozen=True)
class ForeignLine:
    """One line of business of a foreign originator in the synthetic market."""

    originator: str
    brand: str
    structure: str
    kind: str  # kind of the pool assets
    sector: str  # registry sector key for patent titles
    venue: str
    size_range: tuple[float, float]  # in the originator's currency
    deals: int
    terms: tuple[int, ...]
    label: str = Label.NONE
    name_pattern: str = "{brand} IP Finance {year}-{number}"


FOREIGN_LINES = [ForeignLine(*row) for row in (
    ("Harborline Music Publishing LLC", "Harborline Music", LICENCE, MUSIC, "", "144A",
     (150e6, 900e6), 8, (5, 6, 7), Label.NONE, "{brand} Royalties {year}-{number}"),
    ("Redwood Royalty Partners LP", "Redwood Royalty", LICENCE, INV, "biomedicine", "144A",
     (200e6, 1200e6), 6, (5, 7), Label.NONE, "{brand} Pharma Royalty Notes {year}-{number}"),
    ("Crestmoor Brands Holdings LLC", "Crestmoor Brands", LICENCE, TM, "consumer", "144A",
     (100e6, 450e6), 6, (5, 7), Label.NONE, "{brand} Royalty Funding {year}-{number}"),
    ("Maplecrest Franchise Group LLC", "Maplecrest", WHOLE, TM, "consumer", "144A",
     (300e6, 1500e6), 5, (7,), Label.NONE, "{brand} Master Funding {year}-{number}"),
    ("Silverpine Pictures LLC", "Silverpine Pictures", FLOW, FILM, "", "private",
     (150e6, 600e6), 5, (5, 6), Label.NONE, "{brand} Film Receivables {year}-{number}"),
    ("Albion Songs Ltd", "Albion Songs", LICENCE, MUSIC, "", "private", (40e6, 250e6), 3,
     (5, 7), Label.NONE, "{brand} Royalty Notes {year}-{number}"),
    ("Kestrel Brands plc", "Kestrel", WHOLE, TM, "consumer", "LSE", (150e6, 400e6), 2, (7,),
     Label.NONE, "{brand} Whole Business Notes {year}-{number}"),
    ("Thames Valley Biologics Ltd", "Thames Valley", LICENCE, INV, "biomedicine", "private",
     (30e6, 120e6), 2, (5, 6), Label.SOCIAL, "{brand} Royalty Notes {year}-{number}"),
    ("Rheinwind Anlagentechnik GmbH", "Rheinwind", LICENCE, INV, "new_energy", "private",
     (50e6, 200e6), 3, (5, 7), Label.GREEN, "{brand} Green Patent Finance {year}-{number}"),
    ("Isarwerk Patentverwertung GmbH", "Isarwerk", LICENCE, INV, "electronics", "private",
     (40e6, 180e6), 3, (5,), Label.NONE, "{brand} Patent Royalties {year}-{number}"),
    ("Institut Lumière Photonique", "Lumière", LICENCE, INV, "electronics", "private",
     (20e6, 80e6), 2, (5, 6), Label.NONE, "{brand} Patent Royalties {year}-{number}"),
    ("Maison Verbois SAS", "Verbois", LICENCE, TM, "consumer", "Euronext Paris",
     (60e6, 250e6), 3, (5, 7), Label.NONE, "{brand} Brand Royalties {year}-{number}"),
    ("Kansai Seimitsu Optics K.K.", "Kansai Seimitsu", LICENCE, INV, "electronics", "private",
     (3e9, 12e9), 3, (3, 5), Label.NONE, "{brand} Patent Trust {year}-{number}"),
    ("Sakuragawa Animation K.K.", "Sakuragawa", FLOW, FILM, "", "private", (5e9, 20e9), 3,
     (3, 5), Label.NONE, "{brand} Content Trust {year}-{number}"),
    ("Tokiwa Pharmaceutical K.K.", "Tokiwa", LICENCE, INV, "biomedicine", "private",
     (4e9, 15e9), 2, (5,), Label.NONE, "{brand} Royalty Trust {year}-{number}"),
    ("Hanbit Battery Materials Co., Ltd.", "Hanbit", LICENCE, INV, "new_energy", "private",
     (20e9, 60e9), 2, (3, 5), Label.GREEN, "{brand} Green IP Securitization {year}-{number}"),
    ("Hangang Webtoon Studio Co., Ltd.", "Hangang Webtoon", FLOW, WORK, "", "private",
     (10e9, 40e9), 2, (3,), Label.NONE, "{brand} IP Securitization {year}-{number}"),
)]


# Reference deals (reference/ip-abs-deals.csv)


@dataclass(frozen=True)
class RefAsset:
    """A pool asset of a historical reference deal, owned by its originator.

    Catalogue assets carry a descriptive catalogue key; kinds with an official number format
    get a placeholder number in that format (the registry requires one), except the Zerit
    patent, which carries its US patent number. `expired` is set when the right has since
    expired: it is pooled as it stood at the cut-off, then updated to its expiry.
    """

    kind: str
    title: str
    number: str
    country: str = "US"
    filed: date | None = None
    granted: date | None = None
    expired: date | None = None
    nice: tuple[int, ...] = ()
    cpc: tuple[str, ...] = ()
    ipc: tuple[str, ...] = ()


@dataclass(frozen=True)
class SmePool:
    """The SME beneficiaries of a Chinese pilot: how many firms and assets, of which kinds."""

    firms: int
    assets: int
    theme: str
    kinds: tuple[str, ...] = (INV, UM)
    registry_beneficiaries: tuple[str, ...] = ()  # registry issuers that join as suppliers


@dataclass(frozen=True)
class ReferenceDeal:
    """One row of the reference deals with what the demo needs to load it."""

    name: str
    source_year: str  # as written in the source, e.g. "2018/2019" or "2006?"
    issue: date
    country: str
    province: str
    city: str
    originator: str
    size_m: str
    currency: str
    term: float | None  # years; None when unknown and not modelled (no legal final date)
    venue: str
    structure: str
    tranches: tuple  # (name, size in millions, coupon, coupon type, rating, agency)
    enhancements: tuple  # (kind, amount in millions or None, percent or None, provider)
    pool: tuple | SmePool
    events: tuple = ()  # (date, event type, details)
    outcome: str = MATURED  # status once the term has passed (or now, for live deals)
    arranger: str = ""
    spv: str = ""
    proceeds: str = ""
    modelled: tuple[str, ...] = ()  # what the demo modelled where the source is silent
    notes: str = ""  # the source's uncertainty and outcomes without an event type
    source: str = ""
    announce: date | None = None


FIXED, FLOATING = CouponType.FIXED, CouponType.FLOATING
DAY = "the day of issue (a placeholder within the source year)"
MID_YEAR = 6, 30


def _mid(year: int) -> date:
    return date(year, *MID_YEAR)


def _catalogue(kind: str, title: str, key: str, country: str = "US") -> RefAsset:
    return RefAsset(kind, title, key, country)


REFERENCE_DEALS = [
    ReferenceDeal(
        "Bowie Bonds", "1997", _mid(1997), "US", "", "", "David Bowie", "55", "USD", 10,
        "private", LICENCE, (("A", "55", "0.079", FIXED, "Moody's A3", "Moody's"),), (),
        (_catalogue(MUSIC, "David Bowie recorded-music catalogue: 25 albums",
                    "CATALOGUE-BOWIE-RECORDINGS"),
         _catalogue(MUSIC, "David Bowie song catalogue: 287 songs", "CATALOGUE-BOWIE-SONGS")),
        events=((date(2004, 6, 30), EventType.DOWNGRADE,
                 "Moody's downgraded the notes from A3 to Baa3 in 2004."),
                (date(2007, 6, 30), EventType.MATURED, "Notes retired in 2007.")),
        proceeds="Advance on the future royalties of 25 albums (287 songs); EMI's 15-year "
                 "licence supports the cash flows; self-liquidating. Private placement to "
                 "Prudential.",
        modelled=(DAY,), source="American Banker Asset Securitization Report"),
    ReferenceDeal(
        "Holland-Dozier-Holland bonds", "1998", _mid(1998), "US", "", "",
        "Holland brothers and Lamont Dozier", "30", "USD", 10, "", LICENCE,
        (("A", "30", "0.078", FIXED, "", ""),), (),
        tuple(_catalogue(MUSIC, f"Holland-Dozier-Holland music publishing royalties: {writer}"
                                f" share", f"CATALOGUE-HDH-{writer.split()[-1].upper()}-"
                                           f"{writer.split()[0].upper()}")
              for writer in ("Brian Holland", "Eddie Holland", "Lamont Dozier")),
        proceeds="Music publishing royalties of the Motown songwriting team; one issuing "
                 "entity per writer.",
        modelled=("the coupon", DAY, "one deal for the three issuing entities"),
        notes="Term given as 10 years with a question mark. Litigation in 2001 and 2009.",
        source="Los Angeles Times 1998-11-30"),
    ReferenceDeal(
        "Ashford & Simpson bonds", "1998", _mid(1998), "US", "", "", "Ashford & Simpson",
        "10", "USD", 15, "", LICENCE,
        (("Senior", "8", "0.075", FIXED, "Fitch A-", "Fitch"),
         ("Subordinated", "2", "0.09", FIXED, "Fitch BBB+", "Fitch")),
        ((SUBORDINATION, "2", None, ""),),
        (_catalogue(MUSIC, "Ashford & Simpson song catalogue: 250 songs",
                    "CATALOGUE-ASHFORD-SIMPSON"),),
        proceeds="Music copyright royalties of 250 songs; senior/subordinated, fixed rate, "
                 "non-recourse.",
        modelled=("the coupons", "the senior/subordinated split", DAY),
        notes="Size reported as USD 10-25 million (uncertain): the demo takes 10. 15-year "
              "final maturity.",
        source="Los Angeles Times 1998-11-30"),
    ReferenceDeal(
        "Iron Maiden bonds", "1999", _mid(1999), "GB", "", "", "Iron Maiden", "30", "USD", 10,
        "", LICENCE, (("A", "30", "0.08", FIXED, "", ""),), (),
        (_catalogue(MUSIC, "Iron Maiden recording royalties", "CATALOGUE-IRON-MAIDEN", "GB"),),
        proceeds="Royalty-flow securitization of the band's recording royalties.",
        modelled=("the coupon", "the 10-year term", DAY), source="BBC 1999-02-09"),
    ReferenceDeal(
        "James Brown bonds", "1999", _mid(1999), "US", "", "", "James Brown", "30", "USD", 7,
        "private", LICENCE, (("A", "30", "0.08", FIXED, "", ""),), (),
        (_catalogue(MUSIC, "James Brown music royalties catalogue", "CATALOGUE-JAMES-BROWN"),),
        proceeds="Music royalties; private placement to insurers.",
        modelled=("the coupon", DAY),
        notes="Size given as USD 30 million with a question mark; term 7-10 years (the demo "
              "takes 7).",
        source="press reports 1999"),
    ReferenceDeal(
        "BioPharma Royalty Trust (Yale / Zerit)", "2000", _mid(2000), "US", "US-CT",
        "New Haven", "Yale University", "115", "USD", 6, "", LICENCE,
        (("Senior", "57.15", "0.08", FIXED, "S&P A", "S&P"),
         ("Mezzanine", "22", "0.10", FIXED, "", ""),
         ("Equity", "21", None, FIXED, "", "")),
        ((SUBORDINATION, "43", None, "mezzanine and equity"),
         (GUARANTEE, None, None, "guarantor of the mezzanine notes (not named in the source)")),
        (RefAsset(INV, "Use of 3'-deoxythymidin-2'-ene (stavudine, Zerit) in treating patients "
                       "infected with retroviruses", "US4978655", granted=date(1990, 12, 18),
                  expired=date(2007, 12, 18), cpc=("A61K 31/7072", "A61P 31/18"),
                  ipc=("A61K 31/70",)),),
        events=((date(2002, 6, 30), EventType.DEFAULT,
                 "Covenant breaches in 2001-02 led to an event of default and rapid "
                 "amortisation; the equity was lost."),),
        outcome=DEFAULTED, arranger="Royalty Pharma", spv="BioPharma Royalty Trust",
        proceeds="Yale's royalties on Zerit (stavudine), licensed to Bristol-Myers Squibb, "
                 "sold to a trust set up with Royalty Pharma.",
        modelled=("the coupons", DAY),
        notes="Size given as USD 115 million with a question mark; the tranches reported sum "
              "to 100.15 million (equity about 21 million). The patent's expiry is taken as "
              "17 years from grant; any term extension is not modelled.",
        source="American Banker Asset Securitization Report"),
    ReferenceDeal(
        "Candie's trademark ABS", "2002", _mid(2002), "US", "US-NY", "", "Candie's Inc.", "20",
        "USD", 7, "private", LICENCE,
        (("A", "20", "0.0875", FLOATING, "Moody's Baa2", "Moody's"),), (),
        (RefAsset(TM, "CANDIE'S (word mark)", "2162418", filed=date(1996, 3, 1),
                  granted=date(1998, 6, 2), nice=(18, 25)),),
        proceeds="Trademark licence royalties; single investor.",
        modelled=("the coupon level (swaps + 425 bp at an assumed 4.5 % swap rate)", DAY,
                  "the trademark's dates and registration number (placeholders)"),
        source="American Banker Asset Securitization Report"),
    ReferenceDeal(
        "DreamWorks film library (DW Funding)", "2002", _mid(2002), "US", "US-CA", "Glendale",
        "DreamWorks SKG", "1000", "USD", 5, "private", FLOW,
        (("A", "1000", "0.025", FLOATING, "AAA (wrapped)", ""),),
        ((GUARANTEE, None, None, "bond insurer (not named in the source)"),),
        (_catalogue(FILM, "DreamWorks live-action film library", "CATALOGUE-DREAMWORKS-LIVE"),
         _catalogue(FILM, "DreamWorks animated film library and new-film receivables",
                    "CATALOGUE-DREAMWORKS-ANIMATION")),
        spv="DW Funding",
        proceeds="Revolving financing against the film library and new-film receivables; "
                 "bond insurance; bank syndicate.",
        modelled=("the coupon", DAY), source="Screen Daily"),
    ReferenceDeal(
        "Royalty Pharma Finance Trust", "2003", _mid(2003), "US", "US-NY", "New York",
        "Royalty Pharma", "225", "USD", 7, "", LICENCE,
        (("A", "225", "0.022", FLOATING, "Aaa/AAA", "Moody's / S&P (wrapped)"),),
        ((GUARANTEE, None, None, "bond insurer (not named in the source)"),),
        tuple(RefAsset(INV, f"Patent underlying a pharmaceutical royalty interest ({n} of 13)",
                       f"US{5_200_000 + n * 61_357}A", granted=date(1993 + n // 3, 3, 1),
                       expired=date(2010 + n // 3, 3, 1), cpc=("A61K 31/00",),
                       ipc=("A61K 31/00",))
              for n in range(1, 14)),
        spv="Royalty Pharma Finance Trust",
        proceeds="Royalties on 13 pharmaceutical products; variable funding notes with bond "
                 "insurance; 3-year revolving period.",
        modelled=("the coupon", DAY, "the pool's patents (placeholders for the 13 products)"),
        source="Royalty Pharma press release"),
    ReferenceDeal(
        "Guess? Royalty Finance", "2003", _mid(2003), "US", "US-CA", "Los Angeles",
        "Guess? Inc.", "75", "USD", 7, "", LICENCE,
        (("A", "75", "0.0675", FIXED, "S&P BBB", "S&P"),), (),
        (RefAsset(TM, "GUESS? (word mark)", "1433022", filed=date(1985, 4, 1),
                  granted=date(1987, 3, 17), nice=(25,)),
         RefAsset(TM, "GUESS? triangle logo (device mark)", "1617723", filed=date(1988, 9, 1),
                  granted=date(1990, 10, 16), nice=(3, 14, 18, 25))),
        spv="Guess? Royalty Finance LLC",
        proceeds="Trademark licence royalties from 14 licences; IP holder LP and "
                 "bankruptcy-remote issuer LLC.",
        modelled=("the 7-year term", DAY,
                  "the trademarks' dates and registration numbers (placeholders)"),
        notes="Performing above expectations in 2003.",
        source="SEC filing exhibit; American Banker"),
    ReferenceDeal(
        "Marvel MVL Film Finance", "2005", _mid(2005), "US", "US-NY", "New York",
        "Marvel Entertainment", "525", "USD", 7, "", FLOW,
        (("Senior", "465", "0.045", FLOATING, "", ""), ("Mezzanine", "60", "0.07", FLOATING,
                                                         "", "")),
        ((SUBORDINATION, "60", None, "mezzanine"),
         (GUARANTEE, None, None, "insurer of the senior notes (not named in the source)")),
        tuple(_catalogue(WORK, f"Film rights to the character {character}",
                         "MVL-CHARACTER-" + character.upper().replace(" ", "-")
                         .replace(".", "").replace("&", "AND"))
              for character in ("Captain America", "The Avengers", "Nick Fury", "Black Panther",
                                "Ant-Man", "Cloak & Dagger", "Doctor Strange", "Hawkeye",
                                "Power Pack", "Shang-Chi")),
        spv="MVL Film Finance",
        proceeds="Non-recourse SPV financing films based on 10 characters; 465 million insured "
                 "senior and 60 million mezzanine.",
        modelled=("the coupons", DAY), source="Crain's New York"),
    ReferenceDeal(
        "Dunkin' Brands", "2006", _mid(2006), "US", "US-MA", "", "Dunkin' Brands", "1700",
        "USD", 5, "", WHOLE,
        (("Senior", "1500", "0.058", FIXED, "AAA (wrapped)", ""),
         ("Subordinated", "200", "0.08", FIXED, "", "")),
        ((SUBORDINATION, "200", None, ""),
         (GUARANTEE, None, None, "insurer of the senior notes (not named in the source)")),
        (RefAsset(TM, "DUNKIN' DONUTS (word mark)", "0748901", filed=date(1962, 5, 1),
                  granted=date(1963, 4, 30), nice=(30, 43)),
         RefAsset(TM, "BASKIN-ROBBINS (word mark)", "0731429", filed=date(1961, 3, 1),
                  granted=date(1962, 5, 1), nice=(30, 43))),
        events=((date(2010, 6, 30), EventType.EARLY_REDEMPTION, "Refinanced in 2010."),),
        proceeds="Whole-business securitization of franchise royalties and IP; 1.5 billion "
                 "insured senior notes.",
        modelled=("the coupons", "the 5-year expected term", "the subordinated 200 million "
                  "(size less the insured senior)", DAY,
                  "the trademarks' dates and registration numbers (placeholders)"),
        source="American Banker Asset Securitization Report"),
    ReferenceDeal(
        "Sears KCD IP", "2006?", _mid(2006), "US", "US-IL", "", "Sears Holdings", "1800", "USD",
        None, "private", LICENCE, (("A", "1800", "0.06", FIXED, "", ""),), (),
        (RefAsset(TM, "KENMORE (word mark)", "0626498", filed=date(1955, 3, 1),
                  granted=date(1956, 5, 8), nice=(7, 11)),
         RefAsset(TM, "CRAFTSMAN (word mark)", "0262434", filed=date(1928, 9, 1),
                  granted=date(1929, 10, 1), nice=(8,)),
         RefAsset(TM, "DIEHARD (word mark)", "0957931", filed=date(1971, 9, 1),
                  granted=date(1973, 4, 24), nice=(9,))),
        events=((date(2017, 6, 30), EventType.DOWNGRADE,
                 "Downgraded to Caa2 in 2017."),),
        outcome=DealStatus.AMORTIZING, spv="KCD IP",
        proceeds="Trademark royalties of Kenmore, Craftsman and DieHard; bankruptcy-remote "
                 "subsidiary; notes held by a captive reinsurer.",
        modelled=("the coupon", DAY, "a 10-year horizon for the cash-flow model",
                  "the trademarks' dates and registration numbers (placeholders)"),
        notes="Issue year given as 2006 with a question mark; term not in the source, so no "
              "legal final date. The parent, Sears Holdings, filed for Chapter 11 in 2018.",
        source="press reports 2007 and 2017"),
    ReferenceDeal(
        "Miramax film library", "2011", _mid(2011), "US", "US-CA", "", "Miramax", "550", "USD",
        5, "144A", FLOW, (("A", "550", "0.06", FIXED, "", ""),), (),
        (_catalogue(FILM, "Miramax film library: 700+ films", "CATALOGUE-MIRAMAX"),),
        proceeds="144A term deal backed by the film library (700+ films).",
        modelled=("the coupon", "the 5-year term", DAY),
        notes="Size given as USD 550 million with a question mark.", source="press reports 2011"),
    ReferenceDeal(
        "Concord Music Royalties 2022-1", "2022", date(2022, 12, 15), "US", "US-TN",
        "Nashville", "Concord", "1650", "USD", 5, "", LICENCE,
        (("A", "1650", "0.06", FIXED, "A+ (preliminary)", "KBRA"),),
        ((RESERVE, None, None, "reserve accounts"),),
        (_catalogue(MUSIC, "Concord music publishing catalogue", "CATALOGUE-CONCORD-PUBLISHING"),
         _catalogue(MUSIC, "Concord recorded-music catalogue", "CATALOGUE-CONCORD-RECORDINGS")),
        outcome=DealStatus.AMORTIZING, announce=date(2022, 11, 29),
        proceeds="Music publishing and recording royalties; variable funding and term notes; "
                 "reserve accounts.",
        modelled=("the coupon", "the reserve amount", "the issue day after the 2022-11-29 "
                  "rating announcement"),
        notes="Size given as USD 1,650-1,800 million (uncertain): the demo takes 1,650.",
        source="Business Wire 2022-11-29"),
    ReferenceDeal(
        "iQIYI IP supply-chain financing ABS", "2018", _mid(2018), "CN", "CN-BJ", "Beijing",
        "Beijing iQIYI", "470", "CNY", 1, "SSE", SUPPLY,
        (("Senior", "446.5", "0.045", FIXED, "", ""), ("Subordinated", "23.5", None, FIXED, "",
                                                       "")),
        ((SUBORDINATION, "23.5", None, ""),),
        SmePool(10, 22, "culture", (FILM, FILM, WORK),
                registry_beneficiaries=("Beijing Jinghua Pictures Co., Ltd.",)),
        proceeds="Supply-chain receivables owed by iQIYI to the producers of licensed film "
                 "and TV copyrights.",
        modelled=("the coupon", "the one-year term", "the senior/subordinated split", DAY),
        notes="Size given as CNY 470 million (planned).", source="press reports 2018"),
    ReferenceDeal(
        "First Capital - Wenke Leasing phase 1", "2018/2019", _mid(2018), "CN", "CN-BJ",
        "Beijing", "Beijing Cultural Technology Financial Leasing Co., Ltd.", "733", "CNY", 3,
        "", LEASE,
        (("Senior", "696", "0.045", FIXED, "AAA", ""), ("Subordinated", "37", None, FIXED, "",
                                                        "")),
        ((SUBORDINATION, "37", None, "held by the originator"),),
        SmePool(12, 51, "culture", (INV, UM, SW, FILM, WORK)),
        arranger="First Capital",
        proceeds="IP finance-lease receivables from 12 cultural and technology SMEs (51 "
                 "patents and copyrights, sale and leaseback).",
        modelled=("the coupon", "the 3-year term", "12 beneficiaries", DAY),
        notes="Year given as 2018/2019: the demo takes 2018.", source="press reports"),
    ReferenceDeal(
        "Xingye Yuanrong - Guangzhou Development Zone patent licence ABS", "2019", _mid(2019),
        "CN", "CN-GD", "Guangzhou", "Guangzhou Kaide Financial Leasing Co., Ltd.", "301", "CNY",
        3, "SZSE", LICENCE,
        (("Senior", "286", "0.04", FIXED, "", ""), ("Subordinated", "15", None, FIXED, "",
                                                    "")),
        ((SUBORDINATION, "15", None, ""),), SmePool(11, 24, "general"),
        arranger="Xingye Yuanrong",
        proceeds="Patent licence receivables of 11 SMEs in the Guangzhou Development Zone "
                 "(exclusive licence and sub-licence back).",
        modelled=("the 3-year term", "the senior/subordinated split", DAY),
        source="South China University of Technology news"),
    ReferenceDeal(
        "Ping An - Hi-Tech Investment IP No. 1", "2019", _mid(2019), "CN", "CN-GD", "Shenzhen",
        "Shenzhen Hi-Tech Investment Group Co., Ltd.", "124", "CNY", 1, "", LOAN,
        (("Senior", "117.8", "0.04", FIXED, "", ""), ("Subordinated", "6.2", None, FIXED, "",
                                                      "")),
        ((SUBORDINATION, "6.2", None, ""),), SmePool(10, 20, "general"), arranger="Ping An",
        proceeds="IP-pledged loans to Shenzhen technology SMEs.",
        modelled=("the coupon", "the one-year term", "the pledged-loan structure",
                  "10 beneficiaries", "the senior/subordinated split", DAY),
        notes="Size derived by the source (CNY 124 million with a question mark).",
        source="Hong Kong Commercial Daily 2020-04-21 (size derived)"),
    ReferenceDeal(
        "Pudong Sci-Tech IP ABS phases 1-2", "2020", _mid(2020), "CN", "CN-SH", "Shanghai",
        "Shanghai Puchuang Longke Financial Leasing Co., Ltd.", "105", "CNY", 3, "SSE", LEASE,
        (("Senior", "99.75", "0.036", FIXED, "", ""), ("Subordinated", "5.25", None, FIXED, "",
                                                       "")),
        ((SUBORDINATION, "5.25", None, ""),), SmePool(17, 102, "general"),
        proceeds="IP finance leases of 17 Pudong SMEs (102 patents); SSE shelf; a guarantee "
                 "company acts as servicer.",
        modelled=("the coupon", "the 3-year term", "the senior/subordinated split", DAY),
        source="China Economic Net 2020-09-09"),
    ReferenceDeal(
        "Yuekai - Guangzhou Development Zone biomedical patent licence phase 1", "2020/2021",
        _mid(2020), "CN", "CN-GD", "Guangzhou", "Guangzhou Kaide Financial Leasing Co., Ltd.",
        "200", "CNY", 3, "", LICENCE,
        (("Senior", "190", "0.038", FIXED, "AAA", ""), ("Subordinated", "10", None, FIXED, "",
                                                        "")),
        ((SUBORDINATION, "10", None, ""),
         (SHORTFALL, None, None, "Guangzhou Development Zone financial holding company")),
        SmePool(11, 26, "biomedicine"),
        proceeds="Patent licence receivables of biomedical SMEs; shelf of CNY 500 million.",
        modelled=("the coupon", "11 beneficiaries", "the senior/subordinated split", DAY),
        notes="Year given as 2020/2021: the demo takes 2020.", source="China leasing association"),
    ReferenceDeal(
        "Longhua - Wanhe - Hi-Tech Investment IP No. 1", "2021", _mid(2021), "CN", "CN-GD",
        "Shenzhen", "Shenzhen Hi-Tech Investment Group Co., Ltd.", "202", "CNY", 1, "", LOAN,
        (("Senior", "191.9", "0.033", FIXED, "", ""), ("Subordinated", "10.1", None, FIXED, "",
                                                       "")),
        ((SUBORDINATION, "10.1", None, ""),), SmePool(10, 22, "general"),
        proceeds="IP-pledged loans to 10 Longhua SMEs; district interest subsidy.",
        modelled=("the coupon", "the one-year term", "the senior/subordinated split", DAY),
        source="Shenzhen Longhua district government"),
    ReferenceDeal(
        "Nanshan - Hi-Tech Investment IP No. 5", "2022", date(2022, 4, 22), "CN", "CN-GD",
        "Shenzhen", "Shenzhen Hi-Tech Investment Microcredit Co., Ltd.", "206", "CNY", 1, "",
        LOAN,
        (("Senior", "195.7", "0.038", FIXED, "", ""), ("Subordinated", "10.3", None, FIXED, "",
                                                       "")),
        ((SUBORDINATION, "10.3", None, ""),
         (OC, None, "0.15", "cash-flow over-coverage"),
         (SHORTFALL, None, None, "guarantee company of the Hi-Tech Investment group")),
        SmePool(12, 26, "general"),
        proceeds="IP-pledged microloans to 12 Nanshan SMEs (26 IP rights); pledge, cash-flow "
                 "over-coverage and a guarantee shortfall undertaking.",
        modelled=("the senior/subordinated split", "the over-coverage ratio",
                  "the issue day (the news date)"),
        source="CITIC Securities news 2022-04-22"),
    ReferenceDeal(
        "CSC - Zhongguancun Technology Leasing 2022-1", "2022", _mid(2022), "CN", "CN-BJ",
        "Beijing", "Zhongguancun Technology Leasing Co., Ltd.", "107", "CNY", 1.4, "", LICENCE,
        (("A", "73", "0.028", FIXED, "AAA", ""), ("B", "28", "0.030", FIXED, "", ""),
         ("Subordinated", "6", None, FIXED, "", "")),
        ((SUBORDINATION, "34", None, "class B and subordinated"),
         (SHORTFALL, None, None, "originator (first shortfall undertaking)"),
         (SHORTFALL, None, None, "second shortfall undertaking (provider not named in the "
                                 "source)")),
        SmePool(10, 24, "general"), arranger="CSC",
        proceeds="Patent sub-licence receivables of Zhongguancun SMEs.",
        modelled=("10 beneficiaries", "the subordinated 6 million (size less A and B)", DAY),
        notes="The source's coupon of 2.86 % is the average of A (2.8 %) and B (3.0 %).",
        source="Zhongguancun group news"),
    ReferenceDeal(
        "Xingzheng Yuanrong - Hunan Xiangjiang New Area IP", "2023", date(2023, 4, 15), "CN",
        "CN-HN", "Changsha", "Zhongying Investment", "135", "CNY", 1, "SZSE", LOAN,
        (("Senior", "128.2", "0.028", FIXED, "", ""), ("Subordinated", "6.8", None, FIXED, "",
                                                       "")),
        ((SUBORDINATION, "6.8", None, ""),
         (GUARANTEE, None, None, "Xiangjiang New Area district development group")),
        SmePool(12, 97, "general"), arranger="Xingzheng Yuanrong",
        proceeds="Patent-pledged entrusted loans to 12 SMEs (97 patents); credit support by "
                 "the district development group.",
        modelled=("the coupon", "the one-year term", "the senior/subordinated split",
                  "the issue day (listed on SZSE in April 2023)"),
        source="press reports 2023"),
    ReferenceDeal(
        "Guojin - Hangzhou Future Sci-Tech City IP phase 1", "2023", _mid(2023), "CN", "CN-ZJ",
        "Hangzhou", "Undisclosed originator (Guojin - Hangzhou Future Sci-Tech City IP)", "100",
        "CNY", 1, "", LOAN,
        (("Senior", "95", "0.0325", FIXED, "", ""), ("Subordinated", "5", None, FIXED, "",
                                                     "")),
        ((SUBORDINATION, "5", None, ""),
         (GUARANTEE, None, None, "bank letter of guarantee (bank not named in the source)")),
        SmePool(10, 64, "general"), arranger="Guojin",
        proceeds="Patent-pledged loans to 10 SMEs (64 patents); bank letter of guarantee.",
        modelled=("the senior/subordinated split", DAY),
        notes="The originator is not named in the source.", source="Tide News"),
    ReferenceDeal(
        "China Technology Exchange - Capital Securities phase 1", "2024", _mid(2024), "CN",
        "CN-BJ", "Beijing", "China Technology Exchange", "200", "CNY", 1, "SZSE", LICENCE,
        (("Senior", "190", "0.024", FIXED, "", ""), ("Subordinated", "10", None, FIXED, "",
                                                     "")),
        ((SUBORDINATION, "10", None, ""),), SmePool(10, 30, "general"),
        arranger="Capital Securities",
        proceeds="Patent sub-licence receivables of 10 SMEs (30 patents and utility models).",
        modelled=("the coupon", "the senior/subordinated split", DAY),
        notes="Term given as 1-3 years: the demo takes 1.", source="Mondaq"),
    ReferenceDeal(
        "Yongxing - Guofu - Ningbo IP phase 1", "2024", date(2024, 12, 15), "CN", "CN-ZJ",
        "Ningbo", "Ningbo Guofu Commercial Factoring Co., Ltd.", "138", "CNY", 1, "SSE", LOAN,
        (("Senior", "131.1", "0.022", FIXED, "AAA", ""), ("Subordinated", "6.9", None, FIXED,
                                                          "", "")),
        ((SUBORDINATION, "6.9", None, ""),), SmePool(11, 60, "general"), arranger="Yongxing",
        proceeds="Patent-pledged loans to 11 SMEs (60 patents), disbursed in digital RMB.",
        modelled=("the senior/subordinated split", "the issue day (December 2024)"),
        source="press reports 2024-12"),
    ReferenceDeal(
        "Tianzhi No. 1 (Guangzhou Tianhe)", "2024?", _mid(2024), "CN", "CN-GD", "Guangzhou",
        "Undisclosed originator (Tianzhi No. 1, Guangzhou Tianhe)", "200", "CNY", 1, "", LOAN,
        (("Senior", "190", "0.022", FIXED, "AAA", ""), ("Subordinated", "10", None, FIXED, "",
                                                        "")),
        ((SUBORDINATION, "10", None, ""),), SmePool(11, 28, "general", (INV, UM, TM)),
        proceeds="Patent- and trademark-pledged loans to Tianhe SMEs; shelf of CNY 500 million.",
        modelled=("the one-year term", "11 beneficiaries", "the senior/subordinated split",
                  DAY),
        notes="Year given as 2024 with a question mark; the originator is not named in the "
              "source.",
        source="press reports"),
    ReferenceDeal(
        "Shenzhen IP No. 1 - Hi-Tech Investment", "2021", date(2021, 12, 15), "CN", "CN-GD",
        "Shenzhen", "Shenzhen Hi-Tech Investment Group Co., Ltd.", "100", "CNY", 1, "SZSE", LOAN,
        (("Senior", "95", "0.033", FIXED, "", ""), ("Subordinated", "5", None, FIXED, "", "")),
        ((SUBORDINATION, "5", None, ""),), SmePool(10, 20, "general"),
        proceeds="IP-pledged loans to Shenzhen SMEs; senior tranche due 2022-12-15.",
        modelled=("the size (not in the source)", "the coupon", "the pledged-loan structure",
                  "the senior/subordinated split", "the issue day (one year before the senior "
                                                   "tranche's due date)"),
        source="SZSE bond disclosure notice 2022-01-20"),
]
UNSIZED_REFERENCE_DEALS = frozenset({"Shenzhen IP No. 1 - Hi-Tech Investment"})

# Themes of SME pools: sectors of the beneficiaries (registry sector keys) with weights.
THEMES = {
    "general": {"new_energy": 18, "electronics": 22, "biomedicine": 16, "software": 16,
                "manufacturing": 16, "materials": 12},
    "green": {"new_energy": 1},
    "biomedicine": {"biomedicine": 1},
    "culture": {"film": 3, "digital_content": 3, "software": 2},
}
SECTOR_WORDS = {"new_energy": "New Energy Technology", "electronics": "Electronics",
                "biomedicine": "Biotech", "software": "Intelligent Technology",
                "manufacturing": "Intelligent Equipment", "materials": "New Materials",
                "film": "Film and Television Culture", "digital_content": "Animation Culture"}
SYLLABLES = ("An", "Bo", "Chen", "Da", "Feng", "Guang", "Hai", "Heng", "Hong", "Hua", "Jia",
             "Jin", "Jing", "Jun", "Kai", "Kang", "Ke", "Lan", "Li", "Long", "Mei", "Ming", "Nuo",
             "Pu", "Qi", "Rui", "Sheng", "Shu", "Tai", "Tian", "Wei", "Xin", "Yao", "Yi", "Yu",
             "Yuan", "Ze", "Zhi", "Zhuo")
FILM_WORDS = (("Spring", "River", "Jade", "Silent", "Northern", "Crimson", "Lantern", "Harbour",
               "Golden", "Distant", "Morning", "Bamboo", "Mountain", "Starlit"),
              ("Blossoms", "Journey", "Kingdom", "Letters", "Horizon", "Bridge", "Season",
               "Story", "Melody", "Garden", "Voyage", "Legend"))
WORK_TITLES = ("character designs", "animation artwork series", "illustrated book series")
FILM_FORMATS = ("(feature film)", "(TV series, 36 episodes)", "(web series, 24 episodes)",
                "(animated series, 52 episodes)")
GREEN_PREFIXES = ("Y02", "Y04S")


# Plans


@dataclass
class PoolEntry:
    """One pool line: an asset (new, or a free one of a registry issuer) and its money."""

    owner: str
    cutoff_value: Decimal
    financing_amount: Decimal
    asset: dict  # asset_create fields of the planned asset (the fallback when reusing)
    reuse_registry: bool = False  # take a free asset the registry demo gave the owner first
    history: dict | None = None  # asset_update fields after pooling: what became of it
    pledge_number: str = ""  # CNIPA pledge registration number, for Chinese patents


@dataclass
class DealPlan:
    """One deal to create with its structure, pool, history and events."""

    fields: dict  # deal_create keyword arguments, without the originator
    originator: str
    tranches: list[dict]
    enhancements: list[dict]
    pool: list[PoolEntry]
    path: list[str]  # statuses after draft, in order
    events: list[dict] = field(default_factory=list)
    pledged: bool = False  # pool assets are pledged to the SPV until the deal ends
    ends_on: date | None = None  # maturity or early redemption: pledges released then
    reference: bool = False

    @property
    def status(self) -> str:
        return self.path[-1] if self.path else DealStatus.DRAFT

    @property
    def year(self) -> int:
        return (self.fields.get("issue_date") or self.fields["announce_date"]).year


@dataclass
class DealsPlan:
    """Everything the deals demo creates."""

    issuers: list[dict]
    deals: list[DealPlan]
    benchmarks: list[dict]
    fx_rates: list[dict]


@dataclass(frozen=True)
class RegistrySme:
    """A Chinese SME of the registry demo and the year its financials show a financing."""

    name: str
    city: str
    sector: str
    financed_year: int


@dataclass
class RegistryView:
    """What the plan needs to know of the registry already loaded."""

    smes: list[RegistrySme]
    taken_numbers: set  # (country, kind, registry number)
    taken_ids: set  # LEIs and USCCs
    names: set  # issuer names


@dataclass
class _Sme:
    """A beneficiary SME while planning: its assets and when they are free again."""

    name: str
    city: str
    sector: str
    assets: list[dict]
    free_from: date | None = None  # None while its assets sit in a live pool
    registry: bool = False


@dataclass
class _Shell:
    """A Chinese deal before its beneficiaries are chosen."""

    issue: date | None
    announce: date
    city: str
    originator: NewIssuer | None
    structure: str
    status_path: list[str]
    term: float
    label: str
    reference: ReferenceDeal | None = None
    forced: list[RegistrySme] = field(default_factory=list)
    default: bool = False


# Small helpers


def _add_years(day: date, years: float) -> date:
    if float(years).is_integer():
        try:
            return day.replace(year=day.year + int(years))
        except ValueError:  # 29 February
            return day.replace(year=day.year + int(years), day=28)
    return day + timedelta(days=round(365.25 * years))


def _random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max((end - start).days, 0)))


def _amount(value: float, step: int = 10_000) -> Decimal:
    """Round an invented amount to a whole step (10,000 units unless told)."""
    return Decimal(round(value / step) * step)


def _rate(value: float) -> Decimal:
    return Decimal(f"{value:.4f}")


def _series(anchors: dict[int, int], year: int) -> int:
    eligible = [key for key in anchors if key <= year]
    return anchors[max(eligible) if eligible else min(anchors)]


def _interpolate(anchors: dict[int, float], year: int) -> float:
    if year in anchors:
        return anchors[year]
    before = [y for y in anchors if y < year]
    after = [y for y in anchors if y > year]
    if not before or not after:
        return anchors[max(before) if before else min(after)]
    low, high = max(before), min(after)
    return anchors[low] + (anchors[high] - anchors[low]) * (year - low) / (high - low)


def _split(total: Decimal, weights: list[float], step: Decimal = Decimal(1)) -> list[Decimal]:
    """Split total, rounded to a multiple of step, into multiples of step that add up to it."""
    total = (total / step).quantize(Decimal(1)) * step
    whole = sum(weights)
    parts = [(total * Decimal(w / whole) / step).quantize(Decimal(1)) * step for w in weights]
    parts[-1] += total - sum(parts)
    return parts


def _is_green(codes) -> bool:
    return any(code.startswith(GREEN_PREFIXES) for code in codes)


def _status_path(final: str) -> list[str]:
    """Return the statuses a deal passes after draft to reach final."""
    path = {DealStatus.DRAFT: [], DealStatus.REGISTERED: [DealStatus.REGISTERED],
            DealStatus.TERMINATED: [DealStatus.TERMINATED],
            DealStatus.ISSUED: [DealStatus.REGISTERED, DealStatus.ISSUED],
            DealStatus.AMORTIZING: [DealStatus.REGISTERED, DealStatus.ISSUED,
                                    DealStatus.AMORTIZING]}
    if final in path:
        return path[final]
    return [DealStatus.REGISTERED, DealStatus.ISSUED, DealStatus.AMORTIZING, final]


def _live_status(rng: random.Random, issue: date, as_of: date) -> str:
    """A deal whose term runs on: issued until it first pays, then mostly amortizing."""
    if as_of < issue + timedelta(days=92) or rng.random() < 0.2:
        return DealStatus.ISSUED
    return DealStatus.AMORTIZING


def cash_flow_model(rng: random.Random, *, size: Decimal, tranches: list[dict], years: float,
                    ppy: int = PERIODS_PER_YEAR) -> dict:
    """Return a deal's waterfall model (DESIGN 6.2): collections that service the notes.

    Collections are a level payment that amortizes every tranche at the deal's average coupon
    over its term and pays the fees, plus 6-15 % of excess spread; interest is paid rank by
    rank, the reserve is topped up, principal goes to the rated tranches in sequence and what
    is left to the most junior tranche.
    """
    periods = max(2, round(years * ppy))
    balances = [float(t["size"]) for t in tranches]
    total = sum(balances)
    coupon = sum(b * float(t.get("coupon_rate") or 0) for b, t in zip(balances, tranches,
                                                                        strict=True)) / total
    fees = [{"name": "trustee", "per_period": round(float(size) * 0.0005 / ppy, 2)},
            {"name": "servicer", "per_period": round(float(size) * 0.0025 / ppy, 2)}]
    per_period = coupon / ppy
    annuity = (total * per_period / (1 - (1 + per_period) ** -periods) if per_period
               else total / periods)
    level = (annuity + sum(fee["per_period"] for fee in fees)) * (1 + rng.uniform(0.06, 0.15))
    collections = [round(level * (1 + rng.uniform(-0.03, 0.03)), 2) for _ in range(periods)]
    reserve = round(float(size) * rng.uniform(0.01, 0.02), 2)
    names = [t["name"] for t in tranches]
    steps: list[dict] = [{"pay_fees": [fee["name"] for fee in fees]}]
    steps += [{"pay_interest": [t["name"]]} for t in tranches if t.get("coupon_rate")]
    steps.append({"fund_reserve": True})
    steps.append({"pay_principal": names[:-1] or names, "mode": "sequential"})
    steps.append({"pay_residual": names[-1]})
    return {"periods_per_year": ppy, "projected_collections": collections, "fees": fees,
            "reserve": {"initial": reserve, "target": reserve}, "waterfall_steps": steps}


def waterfall_request(deal, tranches) -> dict:
    """Return the waterfall run request (DESIGN 6.2) of a deal's stored model and tranches."""
    return {"periods_per_year": deal.periods_per_year,
            "collections": list(deal.projected_collections), "fees": list(deal.fees),
            "tranches": [{"name": t.name, "balance": float(t.size),
                          "rate": float(t.coupon_rate or 0)} for t in tranches],
            "reserve": dict(deal.reserve), "steps": list(deal.waterfall_steps)}


# The planner


class _Planner:
    """Plan the deals demo; every draw comes from one random.Random, in a fixed order."""

    def __init__(self, rng: random.Random, as_of: date, registry: RegistryView):
        self.rng = rng
        self.as_of = as_of
        self.registry = registry
        self.taken_numbers = set(registry.taken_numbers)
        self.taken_ids = set(registry.taken_ids)
        self.names = set(registry.names)
        self.issuers: list[dict] = []
        self.deals: list[DealPlan] = []
        self.smes_by_city: dict[str, list[_Sme]] = defaultdict(list)
        self.registry_smes: dict[str, _Sme] = {}
        self.deal_numbers: Counter = Counter()

    # Issuers

    def add_issuer(self, issuer: NewIssuer) -> None:
        fields = {"name": issuer.name, "country": issuer.country, "province": issuer.province,
                  "city": issuer.city, "issuer_type": issuer.issuer_type,
                  "sector": issuer.sector, "founded_year": issuer.founded}
        if not issuer.real and issuer.country == "CN":
            fields["uscc"] = self._uscc(issuer.division, issuer.founded)
        elif not issuer.real and issuer.issuer_type == LARGE:
            fields["lei"] = self._lei()
        self.issuers.append(fields)
        self.names.add(issuer.name)

    def _uscc(self, division: str, founded: int | None) -> str:
        # 91: an enterprise registered by market regulation; codes since 2016 start with MA.
        while True:
            if founded and founded >= 2016:
                body = "MA" + "".join(self.rng.choices(identifiers.USCC_ALPHABET, k=7))
            else:
                body = "".join(self.rng.choices(identifiers.USCC_ALPHABET, k=9))
            first17 = "91" + division + body
            code = first17 + identifiers.uscc_check_character(first17)
            if code not in self.taken_ids:
                self.taken_ids.add(code)
                return code

    def _lei(self) -> str:
        alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        while True:
            base = "".join(self.rng.choices(alphabet, k=18))
            code = base + identifiers.lei_check_digits(base)
            if code not in self.taken_ids:
                self.taken_ids.add(code)
                return code

    def new_sme(self, city: str, sector: str) -> _Sme:
        province = next(o.province for o in CN_ORIGINATORS + REAL_ORIGINATORS
                        if o.city == city)
        while True:
            brand = "".join(self.rng.sample(SYLLABLES, 2)).capitalize()
            name = f"{city} {brand} {SECTOR_WORDS[sector]} Co., Ltd."
            if name not in self.names:
                break
        founded = self.rng.randint(2004, 2019)
        self.add_issuer(NewIssuer(name, SME, "CN", province, city,
                                  registry_demo.SECTOR_LABELS[sector], False,
                                  CITY_DIVISION[city], brand, founded))
        sme = _Sme(name, city, sector, [])
        self.smes_by_city[city].append(sme)
        return sme

    # Assets

    def _number(self, country: str, kind: str, make) -> str:
        while (country, kind, number := make()) in self.taken_numbers:
            pass
        self.taken_numbers.add((country, kind, number))
        return number

    def cn_asset(self, kind: str, sector: str, brand: str, province: str, cutoff: date,
                 green: bool = False) -> dict:
        """Plan a Chinese SME's asset, registered before the cut-off and alive today."""
        rng = self.rng
        year = cutoff.year
        if kind in (INV, UM):
            table = (registry_demo.INVENTIONS if kind == INV else registry_demo.UTILITY_MODELS)
            rows = table.get(sector) or table["software"]
            if green:
                rows = [row for row in rows if _is_green(row[1])] or rows
            title, cpc, ipc = rng.choice(rows)
            if kind == INV:
                filed = _random_date(rng, date(max(2008, year - 12), 1, 1),
                                     date(year - 3, 12, 31))
                expiry = _add_years(filed, 20)
            else:
                filed = _random_date(rng, date(max(2017, year - 6), 1, 1),
                                     cutoff - timedelta(days=400))
                expiry = _add_years(filed, 10)
            granted = min(filed + timedelta(days=rng.randint(150 if kind == UM else 550,
                                                              440 if kind == UM else 1400)),
                          cutoff - timedelta(days=30))
            code = "B" if kind == INV else "U"
            series = registry_demo.CN_SERIES[kind]
            number = self._number("CN", kind, lambda: f"CN{_series(series, granted.year)}"
                                                      f"{rng.randrange(10**6):06d}{code}")
            return {"kind": kind, "registry_number": number, "title": title, "country": "CN",
                    "filing_date": filed, "grant_date": granted, "expiry_date": expiry,
                    "cpc_codes": list(cpc), "ipc_codes": list(ipc)}
        if kind == SW:
            products = registry_demo.SOFTWARE.get(sector) or registry_demo.SOFTWARE["software"]
            filed = _random_date(rng, date(year - 6, 1, 1), cutoff - timedelta(days=200))
            registered = filed + timedelta(days=rng.randint(30, 150))
            number = self._number("CN", SW, lambda: f"{registered.year}SR"
                                                    f"{rng.randrange(1_500_000):07d}")
            return {"kind": SW, "registry_number": number,
                    "title": f"{brand} {rng.choice(products)} V{rng.randint(1, 5)}.0",
                    "country": "CN", "filing_date": filed, "grant_date": registered,
                    "expiry_date": date(filed.year + 50, 12, 31)}
        if kind == TM:
            filed = _random_date(rng, date(year - 10, 1, 1), date(year - 2, 12, 31))
            granted = filed + timedelta(days=rng.randint(220, 500))
            expiry = _add_years(granted, 10)
            while expiry <= self.as_of:
                expiry = _add_years(expiry, 10)  # renewed
            classes = registry_demo.NICE_CLASSES.get(sector, [9, 42])
            number = self._number("CN", TM, lambda: str(
                _series(registry_demo.CN_TRADEMARK_SERIES, filed.year)
                + rng.randrange(3_000_000)))
            return {"kind": TM, "registry_number": number,
                    "title": f"{brand.upper()} (word mark)", "country": "CN",
                    "filing_date": filed, "grant_date": granted, "expiry_date": expiry,
                    "nice_classes": sorted(rng.sample(classes, min(2, len(classes))))}
        # Film, TV and other copyrights: registration keys of the copyright centres.
        filed = _random_date(rng, date(year - 8, 1, 1), cutoff - timedelta(days=120))
        region = province.removeprefix("CN-")
        prefix = "FILM" if kind == FILM else "WORK"
        number = self._number("CN", kind, lambda: f"{prefix}-{region}-{filed.year}-"
                                                  f"{rng.randrange(10**5):05d}")
        if kind == FILM:
            title = (f"{rng.choice(FILM_WORDS[0])} {rng.choice(FILM_WORDS[1])} "
                     f"{rng.choice(FILM_FORMATS)}")
        else:
            title = f"{brand} {rng.choice(WORK_TITLES)}".strip()
        return {"kind": kind, "registry_number": number, "title": title, "country": "CN",
                "filing_date": filed, "expiry_date": date(filed.year + 50, 12, 31)}

    def foreign_asset(self, line: ForeignLine, country: str, cutoff: date, index: int) -> dict:
        """Plan an asset of a foreign originator's pool, registered before the cut-off."""
        rng = self.rng
        year = cutoff.year
        kind = line.kind
        if kind == INV:
            rows = registry_demo.INVENTIONS[line.sector]
            if line.label == Label.GREEN:
                rows = [row for row in rows if _is_green(row[1])]
            title, cpc, ipc = rng.choice(rows)
            filed = _random_date(rng, date(max(2008, year - 12), 1, 1), date(year - 3, 12, 31))
            granted = min(filed + timedelta(days=rng.randint(600, 1400)),
                          cutoff - timedelta(days=30))
            makers = {
                "US": lambda: f"US{rng.randrange(9_000_000, 11_900_000)}B2",
                "GB": lambda: f"GB{rng.randrange(2_450_000, 2_620_000)}B",
                "DE": lambda: f"DE10{filed.year}{rng.randrange(10**6):06d}B4",
                "FR": lambda: f"FR{rng.randrange(3_000_000, 3_150_000)}B1",
                "JP": lambda: f"JP{rng.randrange(6_000_000, 7_600_000)}B2",
                "KR": lambda: f"KR10{rng.randrange(10**7):07d}B1",
            }
            return {"kind": INV, "registry_number": self._number(country, INV, makers[country]),
                    "title": title, "country": country, "filing_date": filed,
                    "grant_date": granted, "expiry_date": _add_years(filed, 20),
                    "cpc_codes": list(cpc), "ipc_codes": list(ipc)}
        if kind == TM:
            filed = _random_date(rng, date(year - 25, 1, 1), date(year - 2, 12, 31))
            granted = filed + timedelta(days=rng.randint(250, 500))
            expiry = _add_years(granted, 10)
            while expiry <= self.as_of:
                expiry = _add_years(expiry, 10)  # renewed
            makers = {
                "US": lambda: str(rng.randrange(2_000_000, 7_000_000)),
                "GB": lambda: f"UK0000{rng.randrange(2_000_000, 3_900_000)}",
                "FR": lambda: str(rng.randrange(3_000_000, 5_000_000)),
            }
            words = ("(word mark)", "(device mark)", "HOME", "SPORT", "KIDS", "GOURMET")
            return {"kind": TM, "registry_number": self._number(country, TM, makers[country]),
                    "title": f"{line.brand.upper().split()[0]} {words[index % len(words)]}",
                    "country": country, "filing_date": filed, "grant_date": granted,
                    "expiry_date": expiry,
                    "nice_classes": sorted(rng.sample([25, 18, 3, 14, 30, 43, 35], 2))}
        filed = _random_date(rng, date(year - 30 if kind == MUSIC else year - 10, 1, 1),
                             cutoff - timedelta(days=200))
        prefix = {MUSIC: "MUSIC", FILM: "FILM", WORK: "WORK"}[kind]
        us_class = {MUSIC: "SR", FILM: "PA", WORK: "VA"}[kind]

        def make() -> str:
            # US Copyright Office classes; elsewhere registration keys of copyright centres.
            if country == "US":
                return f"{us_class}{rng.randrange(800_000, 9_400_000):010d}"
            return f"{prefix}-{country}-{filed.year}-{rng.randrange(10**5):05d}"

        titles = {
            MUSIC: f"{line.brand} catalogue {index + 1}: {rng.randint(40, 600)} songs",
            FILM: f"{rng.choice(FILM_WORDS[0])} {rng.choice(FILM_WORDS[1])} "
                  f"{rng.choice(FILM_FORMATS[:2])}",
            WORK: f"{line.brand} webtoon series {index + 1} ({rng.randint(60, 400)} episodes)",
        }
        return {"kind": kind, "registry_number": self._number(country, kind, make),
                "title": titles[kind], "country": country, "filing_date": filed,
                "expiry_date": date(filed.year + (95 if country == "US" else 70), 12, 31)}

    # Chinese market

    def plan_chinese_market(self) -> None:
        shells = [self._reference_shell(ref) for ref in REFERENCE_DEALS if ref.country == "CN"]
        shells += self._synthetic_shells()
        self._place_registry_smes(shells)
        shells += self._pending_shells(shells)
        self._choose_defaults([s for s in shells if s.reference is None])
        shells.sort(key=lambda s: (s.issue or s.announce, s.city))
        for shell in shells:
            self._fill_shell(shell)

    def _reference_shell(self, ref: ReferenceDeal) -> _Shell:
        shell = _Shell(ref.issue, ref.announce or ref.issue - timedelta(days=30), ref.city,
                       None, ref.structure, _status_path(ref.outcome), ref.term, Label.NONE,
                       reference=ref)
        return shell

    def _synthetic_shells(self) -> list[_Shell]:
        rng = self.rng
        total = sum(CN_DEALS_PER_YEAR.values())
        # Largest-remainder allocation keeps each city's share of deals close to its target.
        weights = sum(CN_CITY_SHARE.values())
        quotas = {city: share / weights * total for city, share in CN_CITY_SHARE.items()}
        counts = {city: int(quota) for city, quota in quotas.items()}
        for city in sorted(quotas, key=lambda c: quotas[c] - counts[c],
                           reverse=True)[:total - sum(counts.values())]:
            counts[city] += 1
        cities = [city for city, count in counts.items() for _ in range(count)]
        rng.shuffle(cities)
        years = [year for year, count in CN_DEALS_PER_YEAR.items() for _ in range(count)]
        return [self._synthetic_shell(city, year) for city, year in zip(cities, years,
                                                                       strict=True)]

    def _originator(self, city: str) -> NewIssuer:
        candidates = [o for o in CN_ORIGINATORS if o.city == city]
        weights = [ORIGINATOR_WEIGHT.get(o.brand, 1) for o in candidates]
        return self.rng.choices(candidates, weights=weights)[0]

    def _synthetic_shell(self, city: str, year: int, issue: date | None = None,
                         originator: NewIssuer | None = None) -> _Shell:
        rng = self.rng
        originator = originator or self._originator(city)
        if originator.brand.endswith(("Microcredit", "Guarantee")):
            structure = LOAN
        elif originator.brand.endswith("Leasing"):
            structure = LEASE if rng.random() < 0.6 else LICENCE
        else:
            structure = SUPPLY if rng.random() < 0.5 else LOAN
        issue = issue or _random_date(rng, date(year, 1, 10), date(year, 12, 20))
        term = rng.choices((1, 2, 3), weights=(70, 14, 16))[0]
        draw = rng.random()
        label = (Label.GREEN if draw < 0.14 else Label.SOCIAL if draw < 0.20
                 else Label.SUSTAINABILITY if draw < 0.23 else Label.NONE)
        maturity = _add_years(issue, term)
        final = MATURED if maturity <= self.as_of else _live_status(rng, issue, self.as_of)
        return _Shell(issue, issue - timedelta(days=rng.randint(20, 60)), city, originator,
                      structure, _status_path(final), term, label)

    def _place_registry_smes(self, shells: list[_Shell]) -> None:
        """Put each financed registry SME into a deal of its city in its financing year."""
        for sme in self.registry.smes:
            fitting = [s for s in shells if s.city == sme.city and s.issue
                       and s.issue.year == sme.financed_year and s.structure != SUPPLY
                       and s.reference is None]
            if fitting:
                shell = self.rng.choice(fitting)
            else:
                issue = _random_date(self.rng, date(sme.financed_year, 3, 1),
                                     date(sme.financed_year, 11, 30))
                shell = self._synthetic_shell(sme.city, sme.financed_year, issue)
                shell.structure = LOAN if shell.structure == SUPPLY else shell.structure
                shells.append(shell)
            shell.forced.append(sme)

    def _pending_shells(self, shells: list[_Shell]) -> list[_Shell]:
        """A few drafts and registered deals per originator, announced late in 2025."""
        rng = self.rng
        per_originator = Counter(s.originator.name for s in shells if s.originator)
        pending = []
        for originator in CN_ORIGINATORS:
            count = per_originator[originator.name]
            statuses = ([DealStatus.DRAFT, DealStatus.REGISTERED] if count >= 8
                        else [rng.choice((DealStatus.DRAFT, DealStatus.REGISTERED))]
                        if count >= 4 else [])
            if count >= 30:
                statuses.append(DealStatus.DRAFT)
            for status in statuses:
                shell = self._synthetic_shell(originator.city, LAST_MARKET_YEAR,
                                              originator=originator)
                shell.issue = None
                shell.announce = _random_date(rng, date(LAST_MARKET_YEAR, 10, 1),
                                              min(date(LAST_MARKET_YEAR, 12, 20), self.as_of))
                shell.status_path = _status_path(status)
                pending.append(shell)
        # Two drafts were withdrawn.
        for shell in rng.sample([s for s in pending if not s.status_path], 2):
            shell.status_path = _status_path(DealStatus.TERMINATED)
        return pending

    def _choose_defaults(self, shells: list[_Shell]) -> None:
        """Four Chinese deals default (with the foreign ones and Yale, about 2 % of issued)."""
        candidates = [s for s in shells if s.issue and s.issue <= date(2024, 6, 30)
                      and s.status_path and s.status_path[-1] in ISSUED_OR_LATER
                      and not s.forced]
        for shell in self.rng.sample(candidates, 4):
            shell.default = True
            shell.status_path = _status_path(DEFAULTED)

    def _fill_shell(self, shell: _Shell) -> None:
        rng = self.rng
        ref = shell.reference
        if ref is not None:
            pool_spec = ref.pool
            firms = pool_spec.firms
            theme = pool_spec.theme
            size = Decimal(ref.size_m) * MILLION
        elif not shell.status_path:
            firms = rng.randint(4, 8)  # a draft: its pool is still being put together
            theme = "green" if shell.label == Label.GREEN else "general"
            size = None
        else:
            firms = rng.randint(10, 17)
            theme = "green" if shell.label == Label.GREEN else "general"
            if shell.label != Label.GREEN and rng.random() < 0.12:
                theme = "biomedicine"
            size = None
        # Assets exist, and pledges are registered, a month before the announcement.
        cutoff = shell.announce - timedelta(days=30)
        province = next(o.province for o in CN_ORIGINATORS + REAL_ORIGINATORS
                        if o.city == shell.city)
        members: list[tuple[_Sme, list[dict]]] = []
        for registry_sme in shell.forced:
            sme = self.registry_smes.setdefault(registry_sme.name, _Sme(
                registry_sme.name, registry_sme.city, registry_sme.sector, [], registry=True))
            members.append((sme, [self.cn_asset(INV, _patent_sector(sme.sector), "", province,
                                                cutoff) for _ in range(2)]))
        if ref is not None:
            for name in ref.pool.registry_beneficiaries:
                sme = _Sme(name, shell.city, "film", [], registry=True)
                members.append((sme, [self.cn_asset(FILM, "film", "", province, cutoff)]))
        weights = THEMES[theme]
        while len(members) < firms:
            sector = rng.choices(list(weights), weights=list(weights.values()))[0]
            repeat = [s for s in self.smes_by_city[shell.city]
                      if s.free_from and s.free_from + timedelta(days=30) < cutoff
                      and s.sector in weights and all(s is not m for m, _ in members)]
            if repeat and rng.random() < 0.35:
                sme = rng.choice(repeat)
                assets = list(sme.assets[:3])
            else:
                sme = self.new_sme(shell.city, sector)
                assets = []
            members.append((sme, assets))
        kinds = ref.pool.kinds if ref is not None else (INV, INV, INV, UM, UM, SW)
        if ref is not None:
            per_firm = _split(Decimal(max(ref.pool.assets, firms)),
                              [rng.uniform(0.6, 1.4) for _ in range(firms)])
        else:
            per_firm = [Decimal(1)] * firms  # one pledged or licensed patent per SME
        for (sme, assets), wanted in zip(members, per_firm, strict=True):
            brand = sme.name.split()[1]
            while len(assets) < max(int(wanted), 1):
                kind = rng.choice(kinds)
                if kind in (INV, UM) and sme.sector in ("film", "digital_content"):
                    kind = SW
                sector = _patent_sector(sme.sector)
                asset = self.cn_asset(kind, sector, brand, province, cutoff,
                                      green=theme == "green")
                assets.append(asset)
                if not sme.registry:
                    sme.assets.append(asset)
        financing = [rng.lognormvariate(0, 0.3) for _ in members]
        if size is None:
            year = (shell.issue or shell.announce).year
            ticket = SME_FINANCING.get(year, SME_FINANCING_BEFORE_2024)
            financing_parts = [_amount(ticket * w) for w in financing]
            size = sum(financing_parts, Decimal(0))
        else:
            financing_parts = _split(size, financing, Decimal(10_000))
        self._plan_chinese_deal(shell, size, members, financing_parts, cutoff, province)

    def _plan_chinese_deal(self, shell: _Shell, size: Decimal, members, financing_parts,
                           cutoff: date, province: str) -> None:
        rng = self.rng
        ref = shell.reference
        pledged = shell.structure == LOAN
        pool = []
        for (sme, assets), financing in zip(members, financing_parts, strict=True):
            if pledged:
                values = financing / Decimal(str(rng.uniform(0.35, 0.6)))
            else:
                values = financing * Decimal(str(rng.uniform(1.1, 1.6)))
            weights = [rng.uniform(0.5, 1.5) for _ in assets]
            for asset, value, money in zip(assets, _split(values, weights, Decimal(1000)),
                                           _split(financing, weights, Decimal(1)), strict=True):
                pool.append(PoolEntry(
                    sme.name, value, money, asset, reuse_registry=sme.registry,
                    pledge_number=f"Y{cutoff.year}{CITY_DIVISION.get(shell.city, '44')[:2]}"
                                  f"{rng.randrange(10**7):07d}"))
        if ref is not None:
            plan = self._reference_plan(ref, pool)
        else:
            plan = self._synthetic_chinese_plan(shell, size, pool, len(members))
        plan.pledged = pledged
        self.deals.append(plan)
        # Beneficiaries of a deal that ended may come back for another with the same IP.
        if plan.status == DealStatus.TERMINATED:  # withdrawn: the pledges are released
            plan.ends_on = min(self.as_of, shell.announce + timedelta(days=45))
        for sme, _ in members:
            sme.free_from = plan.ends_on if plan.status == MATURED else None

    def _synthetic_chinese_plan(self, shell: _Shell, size: Decimal, pool: list[PoolEntry],
                                firms: int) -> DealPlan:
        rng = self.rng
        originator = shell.originator
        year = (shell.issue or shell.announce).year
        self.deal_numbers[originator.brand, year] += 1
        number = self.deal_numbers[originator.brand, year]
        label_word = {Label.GREEN: "Green ", Label.SOCIAL: "Social ",
                      Label.SUSTAINABILITY: "Sustainability "}.get(shell.label, "")
        name = f"{originator.brand} {year} {label_word}IP ABS No. {number}"
        coupon = max(0.016, SENIOR_COUPON["CNY"][year] + rng.gauss(0, 0.0025)
                     + 0.0015 * (shell.term - 1))
        senior_share = rng.uniform(0.90, 0.95)
        tranches = [{"name": "Senior", "size": _amount(float(size) * senior_share, 100_000),
                     "coupon_rate": _rate(coupon), "rating": "AAA" if rng.random() < 0.9
                     else "AA+"}]
        if rng.random() < 0.25:
            tranches.append({"name": "Mezzanine",
                             "size": _amount(float(size) * rng.uniform(0.02, 0.04), 100_000),
                             "coupon_rate": _rate(coupon + rng.uniform(0.003, 0.008)),
                             "rating": "AA+" if rng.random() < 0.6 else "AA"})
        tranches.append({"name": "Subordinated",
                         "size": size - sum(t["size"] for t in tranches), "coupon_rate": None,
                         "rating": ""})
        issue = shell.issue
        for tranche in tranches:
            tranche["expected_maturity"] = _add_years(issue, shell.term) if issue else None
        model = cash_flow_model(rng, size=size, tranches=tranches, years=shell.term)
        junior = size - tranches[0]["size"]
        enhancements = [{"kind": SUBORDINATION, "amount": junior,
                         "percent": _rate(float(junior / size)), "provider": ""}]
        if rng.random() < 0.5:
            enhancements.append({"kind": RESERVE,
                                 "amount": _amount(model["reserve"]["initial"], 1000),
                                 "provider": ""})
        if shell.structure == LOAN and rng.random() < 0.5:
            enhancements.append({"kind": OC, "percent": _rate(rng.uniform(0.1, 0.3)),
                                 "provider": "pledged IP and cash-flow over-coverage"})
        if rng.random() < 0.3:
            enhancements.append({"kind": SPREAD, "percent": _rate(rng.uniform(0.01, 0.03)),
                                 "provider": ""})
        # About three deals in four also have external support (24 of 33 in 2025).
        if rng.random() < 0.73:
            if rng.random() < 0.6:
                enhancements.append({"kind": SHORTFALL, "provider": rng.choice((
                    "originator's parent group", "district state-owned development group",
                    "originator"))})
            else:
                enhancements.append({"kind": GUARANTEE, "provider": rng.choice((
                    "municipal science and technology financing guarantee company",
                    "bank letter of guarantee", "provincial re-guarantee company"))})
        label = shell.label
        sdg = {Label.GREEN: ["7.2", "13.a", "9.5"], Label.SOCIAL: ["8.3", "8.5", "10.2"],
               Label.SUSTAINABILITY: ["7.2", "8.3", "9.5", "13.a"]}.get(label)
        if sdg is None:
            sdg = rng.choice((["9.5", "8.3"], ["9.3", "8.3"], ["9.5"], ["9.3", "9.5"], [], []))
        if rng.random() < 0.3 and "9.3" not in sdg and label != Label.NONE:
            sdg.append("9.3")
        average = float(size) / firms / 1e6
        proceeds = {
            LOAN: f"Refinances IP-pledged loans to {firms} technology SMEs in {shell.city} "
                  f"(about CNY {average:.0f} m each) for R&D and working capital; their IP is "
                  f"pledged to the plan.",
            LEASE: f"Finance-lease receivables from {firms} SMEs in {shell.city} that sold "
                   f"their IP to the lessor and lease it back (about CNY {average:.0f} m "
                   f"each).",
            LICENCE: f"Licence fees of {firms} SMEs in {shell.city} under an exclusive "
                     f"licence and sub-licence back of their patents (about CNY "
                     f"{average:.0f} m each) for R&D.",
            SUPPLY: f"Supply-chain receivables owed to {firms} IP-intensive suppliers in "
                    f"{shell.city} (about CNY {average:.0f} m each).",
        }[shell.structure]
        proceeds += {Label.GREEN: " Proceeds go to low-carbon technologies (SDG 7.2, 13.a).",
                     Label.SOCIAL: " At least half of the beneficiaries are first-time "
                                   "borrowers (SDG 8.3).",
                     Label.SUSTAINABILITY: " Proceeds go to low-carbon technologies and "
                                           "first-time borrowers."}.get(label, "")
        if shell.originator.city in ("Shenzhen", "Guangzhou"):
            venue = "SZSE" if rng.random() < 0.9 else "SSE"
        else:
            venue = "SSE" if rng.random() < 0.5 else "SZSE"
        fields = {"name": name, "spv_name": f"{name} Asset-Backed Special Plan",
                  "trustee": f"{rng.choice(registry_demo.CN_BANKS)} (custodian)",
                  "arranger": "", "venue": venue, "country": "CN",
                  "province": originator.province, "city": shell.city,
                  "structure": shell.structure, "announce_date": shell.announce,
                  "issue_date": issue,
                  "legal_final_date": _add_years(issue, shell.term) if issue else None,
                  "currency": "CNY", "size": size, "label": label, "sdg_targets": sdg,
                  "use_of_proceeds": proceeds} | model
        plan = DealPlan(fields, originator.name, tranches, enhancements, pool,
                        shell.status_path)
        self._history(plan, shell.default)
        return plan

    def _history(self, plan: DealPlan, default: bool) -> None:
        """Add the events of the deal's life up to its status, and when it ended."""
        rng = self.rng
        fields = plan.fields
        issue, final = fields["issue_date"], fields["legal_final_date"]
        quarter = timedelta(days=91)
        if default:
            first = issue + 2 * quarter
            plan.events += [
                {"date": first - timedelta(days=20), "event_type": EventType.DOWNGRADE,
                 "details": "Senior notes placed on watch and downgraded after beneficiaries "
                            "fell behind on their loans."},
                {"date": first, "event_type": EventType.MISSED_PAYMENT,
                 "details": "Senior interest paid short: collections fell below plan."},
                {"date": first + quarter, "event_type": EventType.MISSED_PAYMENT,
                 "details": "Senior interest short for a second consecutive period."},
                {"date": first + quarter, "event_type": EventType.DEFAULT,
                 "details": "Event of default: senior interest short for two consecutive "
                            "periods and the credit support was not paid in time."}]
        elif plan.status == MATURED:
            if rng.random() < 0.08 and final - issue > timedelta(days=500):
                ended = _random_date(rng, issue + timedelta(days=365), final - quarter)
                plan.events.append({"date": ended, "event_type": EventType.EARLY_REDEMPTION,
                                    "details": "Redeemed early at the originator's option "
                                               "(clean-up call)."})
            else:
                ended = final
                plan.events.append({"date": final, "event_type": EventType.MATURED,
                                    "details": "All notes repaid in full."})
            plan.ends_on = ended

    def _reference_plan(self, ref: ReferenceDeal, pool: list[PoolEntry]) -> DealPlan:
        size = Decimal(ref.size_m) * MILLION
        tranches = []
        for rank, (name, amount, coupon, coupon_type, rating, agency) in enumerate(
                ref.tranches, start=1):
            tranches.append({"name": name, "size": Decimal(amount) * MILLION,
                             "coupon_rate": Decimal(coupon) if coupon else None,
                             "coupon_type": coupon_type, "rating": rating,
                             "rating_agency": agency, "rank": rank,
                             "expected_maturity": (_add_years(ref.issue, ref.term)
                                                   if ref.term else None)})
        years = ref.term or 10
        model = cash_flow_model(self.rng, size=size, tranches=tranches, years=years)
        enhancements = []
        for kind, amount, percent, provider in ref.enhancements:
            row = {"kind": kind, "provider": provider}
            if amount is not None:
                row["amount"] = Decimal(amount) * MILLION
                row["percent"] = _rate(float(Decimal(amount) * MILLION / size))
            elif percent is not None:
                row["percent"] = Decimal(percent)
            elif kind == RESERVE:
                row["amount"] = _amount(model["reserve"]["initial"], 1000)
            enhancements.append(row)
        notes = [f"Source: {ref.source}."]
        if ref.modelled:
            notes.append("Modelled where the source is silent: " + "; ".join(ref.modelled)
                         + ".")
        if ref.notes:
            notes.append(ref.notes)
        if ref.name in UNSIZED_REFERENCE_DEALS:
            notes.append(f"The size is not in the source; the demo models "
                         f"{ref.currency} {ref.size_m} million.")
        fields = {"name": ref.name, "spv_name": ref.spv or (
                      f"{ref.name} Asset-Backed Special Plan" if ref.country == "CN" else ""),
                  "trustee": "", "arranger": ref.arranger, "venue": ref.venue,
                  "country": ref.country, "province": ref.province, "city": ref.city,
                  "structure": ref.structure,
                  "announce_date": ref.announce or ref.issue - timedelta(days=30),
                  "issue_date": ref.issue,
                  "legal_final_date": _add_years(ref.issue, ref.term) if ref.term else None,
                  "currency": ref.currency, "size": size, "label": Label.NONE,
                  "sdg_targets": [], "use_of_proceeds": ref.proceeds + "\n\nSource notes: "
                  + " ".join(notes)} | model
        status = ref.outcome
        if status == MATURED and fields["legal_final_date"] > self.as_of:
            status = DealStatus.AMORTIZING
        plan = DealPlan(fields, ref.originator, tranches, enhancements, pool,
                        _status_path(status), reference=True)
        plan.events = [{"date": day, "event_type": event_type, "details": details}
                       for day, event_type, details in ref.events]
        if status == MATURED:
            ended = [e["date"] for e in plan.events if e["event_type"] in (
                EventType.MATURED, EventType.EARLY_REDEMPTION)]
            if not ended:
                plan.events.append({"date": fields["legal_final_date"],
                                    "event_type": EventType.MATURED,
                                    "details": "All notes repaid in full."})
            plan.ends_on = ended[0] if ended else fields["legal_final_date"]
        return plan

    # Reference deals abroad

    def plan_historical_deals(self) -> None:
        for ref in REFERENCE_DEALS:
            if ref.country == "CN":
                continue
            size = Decimal(ref.size_m) * MILLION
            values = _split(size * Decimal(str(self.rng.uniform(1.2, 1.6))),
                            [1.0] * len(ref.pool), Decimal(1000))
            money = _split(size, [1.0] * len(ref.pool), Decimal(1))
            pool = []
            for asset, value, financing in zip(ref.pool, values, money, strict=True):
                fields = {"kind": asset.kind, "registry_number": asset.number,
                          "title": asset.title, "country": asset.country,
                          "filing_date": asset.filed, "grant_date": asset.granted,
                          "nice_classes": list(asset.nice), "cpc_codes": list(asset.cpc),
                          "ipc_codes": list(asset.ipc)}
                history = None
                if asset.expired is not None:
                    history = {"expiry_date": asset.expired, "status": AssetStatus.EXPIRED}
                pool.append(PoolEntry(ref.originator, value, financing, fields,
                                      history=history))
            self.deals.append(self._reference_plan(ref, pool))

    # Synthetic market abroad

    def plan_foreign_market(self) -> None:
        rng = self.rng
        lines = [(line, year) for line in FOREIGN_LINES for year in
                 sorted(rng.sample(range(FIRST_MARKET_YEAR, LAST_MARKET_YEAR + 1), line.deals))]
        plans = []
        for line, year in lines:
            plans.append(self._foreign_plan(line, year))
        candidates = [p for p in plans if p.fields["issue_date"]
                      and p.fields["issue_date"] <= date(2023, 6, 30)]
        for plan in rng.sample(candidates, 2):
            plan.path = _status_path(DEFAULTED)
            plan.events = []
            plan.ends_on = None
            self._history(plan, default=True)
        # The busiest originators have one deal in the pipeline.
        for line in FOREIGN_LINES:
            if line.deals >= 5:
                plans.append(self._foreign_plan(line, LAST_MARKET_YEAR, pending=True))
        self.deals += plans

    def _foreign_plan(self, line: ForeignLine, year: int, pending: bool = False) -> DealPlan:
        rng = self.rng
        originator = next((o for o in FOREIGN_ORIGINATORS if o.name == line.originator), None)
        registry_profile = next((p for p in registry_demo.ISSUERS if p.name == line.originator),
                                None)
        country = originator.country if originator else registry_profile.country
        province = originator.province if originator else registry_profile.province
        city = originator.city if originator else registry_profile.city
        currency = registry_demo.CURRENCY[country]
        low, high = line.size_range
        step = 100_000_000 if currency in ("JPY", "KRW") else 1_000_000
        size = _amount(rng.uniform(low, high), step)
        issue = _random_date(rng, date(year, 1, 15), date(year, 12, 15))
        announce = issue - timedelta(days=rng.randint(20, 45))
        if pending:
            issue = None
            announce = _random_date(rng, date(year, 9, 1), min(date(year, 12, 20), self.as_of))
        term = rng.choice(line.terms)
        self.deal_numbers[line.brand, year] += 1
        name = line.name_pattern.format(brand=line.brand, year=year,
                                        number=self.deal_numbers[line.brand, year])
        coupon = max(0.002, SENIOR_COUPON[currency][year] + rng.gauss(0, 0.003))
        agency = rng.choice(("KBRA", "S&P", "Moody's", "Fitch", "DBRS Morningstar"))
        if currency == "JPY":
            agency = rng.choice(("R&I", "JCR"))
        senior_share = rng.uniform(0.75, 0.88)
        tranche_step = step // 10
        tranches = [{"name": "A", "size": _amount(float(size) * senior_share, tranche_step),
                     "coupon_rate": _rate(coupon), "rating": rng.choice(("A", "A+", "AA-")),
                     "rating_agency": agency}]
        if rng.random() < 0.7:
            tranches.append({"name": "B",
                             "size": _amount(float(size) * rng.uniform(0.05, 0.10),
                                             tranche_step),
                             "coupon_rate": _rate(coupon + rng.uniform(0.01, 0.02)),
                             "rating": rng.choice(("BBB", "BBB-", "BBB+")),
                             "rating_agency": agency})
        tranches.append({"name": "Residual", "size": size - sum(t["size"] for t in tranches),
                         "coupon_rate": None, "rating": ""})
        for tranche in tranches:
            tranche["expected_maturity"] = _add_years(issue, term) if issue else None
        model = cash_flow_model(rng, size=size, tranches=tranches, years=term)
        junior = size - tranches[0]["size"]
        enhancements = [{"kind": SUBORDINATION, "amount": junior,
                         "percent": _rate(float(junior / size)), "provider": ""},
                        {"kind": RESERVE, "amount": _amount(model["reserve"]["initial"], 1000),
                         "provider": ""}]
        if line.structure == WHOLE and rng.random() < 0.5:
            enhancements.append({"kind": SPREAD, "percent": _rate(rng.uniform(0.02, 0.04)),
                                 "provider": ""})
        cutoff = (issue or announce) - timedelta(days=30)
        count = {MUSIC: rng.randint(2, 5), INV: rng.randint(3, 8), TM: rng.randint(2, 4),
                 FILM: rng.randint(3, 6), WORK: rng.randint(2, 4)}[line.kind]
        values = _split(size * Decimal(str(rng.uniform(1.2, 1.7))),
                        [rng.uniform(0.5, 1.5) for _ in range(count)], Decimal(1000))
        money = _split(size, [float(v) for v in values], Decimal(1))
        pool = []
        for index in range(count):
            asset = self.foreign_asset(line, country, cutoff, index)
            pool.append(PoolEntry(line.originator, values[index], money[index], asset,
                                  reuse_registry=registry_profile is not None))
        sdg = {Label.GREEN: ["7.2", "13.a", "9.5"], Label.SOCIAL: ["3.b", "9.5"]}.get(
            line.label, ["9.5"] if line.kind == INV and rng.random() < 0.5 else [])
        proceeds = {
            MUSIC: "Monetises music publishing and recording royalties; proceeds refinance "
                   "and extend the catalogue.",
            INV: "Monetises patent licence royalties; proceeds fund research and development.",
            TM: "Brand licence and franchise royalties; proceeds refinance acquisition debt.",
            FILM: "Library and new-release receivables; proceeds fund the production slate.",
            WORK: "Licensing revenue of serialised content; proceeds fund new series.",
        }[line.kind]
        if line.structure == WHOLE:
            proceeds = ("Whole-business securitization of franchise royalties, brand IP and "
                        "franchise agreements; proceeds refinance the group's debt.")
        if line.label == Label.GREEN:
            proceeds += " Green label: the patents cover renewable-energy and storage " \
                        "technologies (SDG 7.2, 13.a)."
        status = DealStatus.DRAFT if pending else (
            MATURED if _add_years(issue, term) <= self.as_of
            else _live_status(rng, issue, self.as_of))
        if pending and rng.random() < 0.5:
            status = DealStatus.REGISTERED
        spv_form = {"US": "Funding LLC", "GB": "Finance plc", "DE": "Finance S.A.",
                    "FR": "FCT", "JP": "TMK", "KR": "SPC Co., Ltd."}[country]
        fields = {"name": name, "spv_name": f"{line.brand} {spv_form}",
                  "trustee": {"US": "Harbor Trust Company, N.A. (demo)"}.get(
                      country, "Independent trustee (demo)"),
                  "arranger": "", "venue": line.venue, "country": country,
                  "province": province, "city": city, "structure": line.structure,
                  "announce_date": announce, "issue_date": issue,
                  "legal_final_date": _add_years(issue, term) if issue else None,
                  "currency": currency, "size": size, "label": line.label,
                  "sdg_targets": sdg, "use_of_proceeds": proceeds} | model
        plan = DealPlan(fields, line.originator, tranches, enhancements, pool,
                        _status_path(status))
        if issue:
            self._history(plan, default=False)
        return plan

    def plan_showcase_draft(self) -> None:
        """A draft the demo issuer's approver can structure: a green licence deal of its IP."""
        rng = self.rng
        profile = next(p for p in registry_demo.ISSUERS if p.name == registry_demo.SHOWCASE_ISSUER)
        announce = min(date(LAST_MARKET_YEAR, 11, 10), self.as_of)
        size = Decimal(60) * MILLION
        tranches = [{"name": "Senior", "size": Decimal(54) * MILLION,
                     "coupon_rate": Decimal("0.0210"), "rating": ""},
                    {"name": "Subordinated", "size": Decimal(6) * MILLION, "coupon_rate": None,
                     "rating": ""}]
        model = cash_flow_model(rng, size=size, tranches=tranches, years=2)
        pool = [PoolEntry(profile.name, Decimal(30) * MILLION, Decimal(20) * MILLION,
                          self.cn_asset(INV, "new_energy", profile.brand, profile.province,
                                        announce, green=True), reuse_registry=True)
                for _ in range(3)]
        fields = {"name": f"{profile.brand} Lithium Power {LAST_MARKET_YEAR} Green Patent "
                          f"Licence ABS",
                  "spv_name": "", "trustee": "", "arranger": "", "venue": "SZSE",
                  "country": "CN", "province": profile.province, "city": profile.city,
                  "structure": LICENCE, "announce_date": announce, "currency": "CNY",
                  "size": size, "label": Label.GREEN, "sdg_targets": ["7.2", "13.a", "9.5"],
                  "use_of_proceeds": "Licence fees of the issuer's battery patents under an "
                                     "exclusive licence and licence back; proceeds fund "
                                     "sodium-ion cell R&D."} | model
        self.deals.append(DealPlan(fields, profile.name, tranches,
                                   [{"kind": SUBORDINATION, "amount": Decimal(6) * MILLION,
                                     "percent": Decimal("0.1000"), "provider": ""}], pool, []))

    # Reference data

    def reference_data(self) -> tuple[list[dict], list[dict]]:
        used = {(p.fields["country"], p.year) for p in self.deals}
        benchmarks = []
        for country in sorted({country for country, _ in used}):
            years = set(range(FIRST_MARKET_YEAR, LAST_MARKET_YEAR + 1))
            years |= {year for c, year in used if c == country}
            for year in sorted(years):
                benchmarks.append({
                    "country": country, "year": year,
                    "currency": registry_demo.CURRENCY[country],
                    "sme_loan_rate": _rate(_interpolate(SME_LOAN_RATE[country], year)),
                    "total_abs_issuance": _amount(_interpolate(TOTAL_ABS[country], year),
                                                  1_000_000),
                    "industry_employment_growth": _rate(
                        _interpolate(EMPLOYMENT_GROWTH[country], year))})
        fx_rates = [{"currency": currency, "year": year, "rate_to_usd": rate}
                    for currency, table in sorted(USD_PER_UNIT.items())
                    for year, rate in sorted(table.items())]
        return benchmarks, fx_rates


def _same_kind(asset: IPAsset, planned: dict) -> bool:
    """Tell whether a registry asset can stand in for a planned one (a green one if green)."""
    if _is_green(planned.get("cpc_codes", [])) and not asset.green:
        return False
    return asset.kind == planned["kind"] or (asset.kind in PATENT_KINDS
                                             and planned["kind"] in PATENT_KINDS)


def _patent_sector(sector: str) -> str:
    """Return a sector with patent titles for an SME of any sector."""
    return sector if sector in registry_demo.INVENTIONS else "software"


def plan_deals(rng: random.Random, *, as_of: date, registry: RegistryView) -> DealsPlan:
    """Plan every demo deal with its issuers, assets and reference data; one seed, one plan."""
    planner = _Planner(rng, as_of, registry)
    for issuer in REAL_ORIGINATORS + CN_ORIGINATORS + FOREIGN_ORIGINATORS:
        planner.add_issuer(issuer)
    planner.plan_historical_deals()
    planner.plan_chinese_market()
    planner.plan_foreign_market()
    planner.plan_showcase_draft()
    deals = sorted(planner.deals, key=lambda p: (
        p.fields.get("issue_date") or p.fields["announce_date"], p.fields["name"]))
    benchmarks, fx_rates = planner.reference_data()
    return DealsPlan(planner.issuers, deals, benchmarks, fx_rates)


# Reading the registry


def financed_year(rows: dict[int, IssuerFinancials]) -> int | None:
    """Return the year an SME's financials show a financing: R&D intensity steps up after it.

    The registry demo lifts R&D intensity by 2-5 pp from the year after a financing in 2020-2022
    and hires faster in that year and the next; the year whose split of the series shows the
    clearest step (ties broken by hiring) is taken, None when no step shows.
    """
    def intensity(year):
        row = rows.get(year)
        if row is None or not row.revenue or row.rnd_expense is None:
            return None
        return float(row.rnd_expense / row.revenue)

    def hiring(year):
        before, after = rows.get(year - 1), rows.get(year + 1)
        if before and after and before.employees and after.employees:
            return after.employees / before.employees
        return 0.0

    best = None
    for year in (2020, 2021, 2022):
        before = [v for y in range(2019, year + 1) if (v := intensity(y)) is not None]
        after = [v for y in range(year + 1, 2026) if (v := intensity(y)) is not None]
        if not before or not after:
            continue
        step = min(after) - max(before)
        if step > 0.008 and (best is None or step > best[1] + 1e-9
                             or (abs(step - best[1]) <= 1e-9 and hiring(year) > best[2])):
            best = (year, step, hiring(year))
    return best[0] if best else None


def registry_view() -> RegistryView:
    """Return the registry facts the plan builds on."""
    sectors = {p.name: p.sector for p in registry_demo.ISSUERS}
    smes = []
    for issuer in Issuer.objects.filter(country="CN", issuer_type=SME,
                                        name__in=list(sectors)).order_by("name"):
        year = financed_year({row.year: row for row in issuer.financials.all()})
        if year is not None and issuer.city in CITY_DIVISION:
            smes.append(RegistrySme(issuer.name, issuer.city, sectors[issuer.name], year))
    numbers = set(IPAsset.objects.values_list("country", "kind", "registry_number"))
    ids = {code for pair in Issuer.objects.values_list("lei", "uscc") for code in pair if code}
    names = set(Issuer.objects.values_list("name", flat=True))
    return RegistryView(smes, numbers, ids, names)


# Loading

SUMMARY_LABELS = ("deals", "reference deals", "tranches", "credit enhancements",
                  "pool entries", "deal events", "benchmarks", "FX rates")


def load_deals(*, seed: int, as_of: date) -> Counter:
    """Write the deals demo through the services; the caller holds a transaction.

    Returns counts by label: the deals' own and additions to the registry's (issuers, IP
    assets, green IP assets, pledges).
    """
    actor = User.objects.get(username="demo-admin")
    plan = plan_deals(random.Random(seed), as_of=as_of, registry=registry_view())
    counts = Counter(dict.fromkeys(SUMMARY_LABELS, 0))
    counts.update(dict.fromkeys((f"deals {status}" for status in DealStatus.values), 0))
    issuers = {issuer.name: issuer for issuer in Issuer.objects.all()}
    for fields in plan.issuers:
        issuers[fields["name"]] = registry_services.issuer_create(actor=actor, **fields)
        counts["issuers"] += 1
    for row in plan.fx_rates:
        services.fx_create(actor=actor, **row)
        counts["FX rates"] += 1
    for row in plan.benchmarks:
        services.benchmark_create(actor=actor, **row)
        counts["benchmarks"] += 1
    loader = _Loader(actor, issuers, counts)
    for deal_plan in plan.deals:
        loader.load(deal_plan)
    return counts


class _Loader:
    """Write planned deals one by one, keeping the assets made so far for later pools."""

    def __init__(self, actor, issuers: dict[str, Issuer], counts: Counter):
        self.actor = actor
        self.issuers = issuers
        self.counts = counts
        self.assets: dict[tuple, IPAsset] = {}
        self.free_registry: dict[int, list[IPAsset]] = {}

    def load(self, plan: DealPlan) -> None:
        actor = self.actor
        deal = services.deal_create(actor=actor, originator=self.issuers[plan.originator],
                                    **plan.fields)
        for rank, row in enumerate(plan.tranches, start=1):
            services.tranche_create(actor=actor, deal=deal, **({"rank": rank} | row))
        for row in plan.enhancements:
            services.enhancement_create(actor=actor, deal=deal, **row)
        pledges = []
        taken: set[int] = set()
        for entry in plan.pool:
            asset = self._asset(deal, entry, taken)
            taken.add(asset.pk)
            if plan.pledged:
                number = (entry.pledge_number if asset.country == "CN"
                          and asset.kind in PATENT_KINDS else "")
                pledges.append(registry_services.pledge_create(
                    actor=actor, asset=asset, pledgee=deal.spv_name, registration_number=number,
                    registered_date=deal.announce_date - timedelta(days=30)))
                self.counts["pledges"] += 1
            services.pool_add(actor=actor, deal=deal, asset=asset,
                              cutoff_value=entry.cutoff_value,
                              financing_amount=entry.financing_amount)
            self.counts["pool entries"] += 1
            if entry.history:
                registry_services.asset_update(actor=actor, asset=asset, **entry.history)
        *before, last = plan.path or [None]
        for status in before:
            deal = services.deal_transition(actor=actor, deal=deal, to_status=status,
                                            reason="Demo history.")
        for row in plan.events:
            services.event_record(actor=actor, deal=deal, **row)
            self.counts["deal events"] += 1
        if last is not None:
            deal = services.deal_transition(actor=actor, deal=deal, to_status=last,
                                            reason="Demo history.")
        if plan.ends_on is not None:
            for pledge in pledges:
                registry_services.pledge_update(actor=actor, pledge=pledge,
                                                released_date=plan.ends_on)
        self.counts["deals"] += 1
        self.counts["reference deals"] += plan.reference
        self.counts[f"deals {deal.status}"] += 1
        self.counts["tranches"] += len(plan.tranches)
        self.counts["credit enhancements"] += len(plan.enhancements)

    def _asset(self, deal, entry: PoolEntry, taken: set[int]) -> IPAsset:
        owner = self.issuers[entry.owner]
        if entry.reuse_registry:
            if owner.pk not in self.free_registry:
                self.free_registry[owner.pk] = list(owner.assets.order_by("pk"))
            cutoff = deal.announce_date - timedelta(days=30)
            for asset in self.free_registry[owner.pk]:
                if (asset.pk not in taken and _same_kind(asset, entry.asset)
                        and (asset.grant_date or asset.filing_date or cutoff) <= cutoff
                        and services.pool_refusal(deal, asset) is None):
                    return asset
        key = (entry.asset["country"], entry.asset["kind"], entry.asset["registry_number"])
        if key not in self.assets:
            asset = registry_services.asset_create(actor=self.actor, owner=owner, **entry.asset)
            self.assets[key] = asset
            self.counts["IP assets"] += 1
            self.counts["green IP assets"] += asset.green
        return self.assets[key]
