"""Tests for disclosure.market: the market analytics of DESIGN 6.4 from columnar data."""

import io
import json
import math
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disclosure import sdg
from disclosure.market import EU_MEMBERS, Benchmark, MarketData, answer

approx = pytest.approx
CENTRAL_WESTERN = frozenset({"CN-SC", "CN-HB"})
# USD per unit. EUR has no 2021 rate, so the EUR deal of 2021 cannot be converted to USD.
FX = {
    ("USD", 2020): 1.0, ("USD", 2021): 1.0,
    ("CNY", 2020): 0.15, ("CNY", 2021): 0.16,
    ("EUR", 2020): 1.10,
}
# US 2020 has no total ABS issuance and US 2021 no benchmark at all.
BENCHMARKS = {
    ("CN", 2020): Benchmark(0.055, 15_000.0, "CNY", 0.05),
    ("CN", 2021): Benchmark(0.05, 24_000.0, "CNY", 0.04),
    ("US", 2020): Benchmark(0.07, None, "USD", 0.01),
}
FIGURES = [
    "issuance_by_year", "ip_share_of_abs", "by_province", "province_hhi",
    "central_western_share", "by_asset_kind", "sme_financing_share", "senior_coupon",
    "sme_loan_rate", "median_spread_bp", "green_share", "valuation_dispersion_over_30pct",
    "default_rate", "disclosure_incomplete_share", "esg_disclosure_rate",
    "rnd_intensity_change_pp", "employment_growth_excess",
]
MONEY_REASON = "no FX rate for EUR 2021"


def deal(deal_id, year, country, province, currency, size, *, coupon=None, pool=None, green=0.0,
         financing=(0.0, 0.0), defaulted=False, label="none", sdg_claimed=False,
         valuations=(0, 0)):
    return {
        "deal_id": deal_id, "year": year, "country": country, "province": province,
        "currency": currency, "size": size, "coupon": coupon, "kind_value": pool or {},
        "green_value": green, "financing_total": financing[0], "financing_sme": financing[1],
        "defaulted": defaulted, "label": label, "sdg_claimed": sdg_claimed,
        "multi_valued": valuations[0], "dispersed": valuations[1],
        # The assets at most 30 % apart in the 20-30 % bucket, the others in 30-50 %.
        "dispersion_bins": [0, 0, valuations[0] - valuations[1], valuations[1], 0, 0],
    }


def observation(deal_row, rnd_pp, emp_excess):
    return {"obs_deal": deal_row, "obs_rnd_pp": rnd_pp, "obs_emp_excess": emp_excess}


def filing(year, country, incomplete, esg_pairs, esg_answered):
    return {"filing_year": year, "filing_country": country, "filing_incomplete": incomplete,
            "filing_esg_pairs": esg_pairs, "filing_esg_answered": esg_answered}


INVENTION, TRADEMARK = "invention_patent", "trademark"
# Converted to USD: D1 150, D2 75, D3 100, D4 320, D5 64, D6 none (EUR 2021 has no rate).
DEALS = [
    deal(1, 2020, "CN", "CN-GD", "CNY", 1000.0, coupon=0.03,
         pool={INVENTION: 800.0, TRADEMARK: 200.0}, green=400.0, financing=(500.0, 300.0),
         label="green", sdg_claimed=True, valuations=(4, 1)),
    deal(2, 2020, "CN", "CN-SC", "CNY", 500.0, coupon=0.05, pool={INVENTION: 500.0},
         financing=(200.0, 200.0), valuations=(2, 1)),
    deal(3, 2020, "US", "US-CA", "USD", 100.0, coupon=0.06, pool={TRADEMARK: 100.0},
         financing=(100.0, 0.0), defaulted=True),
    deal(4, 2021, "CN", "CN-GD", "CNY", 2000.0, coupon=0.02,
         pool={INVENTION: 1500.0, TRADEMARK: 500.0}, green=1000.0, financing=(1000.0, 500.0),
         label="social", sdg_claimed=True, valuations=(6, 2)),
    deal(5, 2021, "CN", "", "CNY", 400.0, coupon=0.04, pool={INVENTION: 400.0}, green=100.0),
    deal(6, 2021, "US", "US-NY", "EUR", 50.0, pool={TRADEMARK: 50.0}, financing=(50.0, 50.0),
         defaulted=True, valuations=(2, 0)),
]
OBSERVATIONS = [
    observation(0, 3.0, 0.10),
    observation(0, None, 0.20),
    observation(1, 1.0, None),
    observation(3, 5.0, 0.30),
    observation(2, -1.0, None),
]
FILINGS = [
    filing(2020, "CN", True, 10, 2),
    filing(2020, "CN", False, 10, 5),
    filing(2021, "CN", True, 10, 1),
    filing(2021, "US", False, 0, 0),
    filing(2021, "US", True, 5, 0),
    filing(2019, "CN", False, 10, 10),
    filing(2021, "DE", False, 4, 4),
]


def market(deals=DEALS, observations=OBSERVATIONS, filings=FILINGS, benchmarks=BENCHMARKS,
           fx=FX):
    return MarketData.from_records(deals, observations, filings, benchmarks, fx,
                                   CENTRAL_WESTERN)


@pytest.fixture(scope="module")
def usd():
    return answer(market())


def deal_coverage(included, left_out=0, **reasons):
    return {"included": included, "left_out": left_out, "unit": "deals", "reasons": reasons}


# --- Figures over the whole data set, in USD ----------------------------------------------


def test_answer_has_the_keys_of_design_and_is_json(usd):
    """The keys are those of DESIGN 6.4 plus coverage, filters and the page's extras."""
    assert list(usd)[:len(FIGURES)] == FIGURES
    assert set(usd) == {*FIGURES, "findings", "coverage", "filters", "jurisdictions",
                        "by_year_kind", "green_share_by_year", "default_rate_by_vintage",
                        "valuation_dispersion_distribution"}
    assert json.loads(json.dumps(usd, allow_nan=False)) == usd
    assert usd["filters"] == {"currency": "USD", "year_from": None, "year_to": None,
                              "country": None, "asset_kind": None}


def test_issuance_counts_every_deal_and_sums_the_convertible_amounts(usd):
    """D6 (EUR 2021, no rate) counts among the deals of 2021 but not in its amount."""
    assert usd["issuance_by_year"] == [
        {"year": 2020, "deals": 3, "amount": approx(150 + 75 + 100)},
        {"year": 2021, "deals": 3, "amount": approx(320 + 64)},
    ]
    assert usd["coverage"]["issuance_by_year"] == deal_coverage(5, 1, **{MONEY_REASON: 1})


def test_ip_share_of_abs_divides_by_the_totals_of_countries_with_a_benchmark(usd):
    """US has no total ABS issuance: its deals leave numerator and denominator alike."""
    assert usd["ip_share_of_abs"] == [
        # (150 + 75) / (15,000 CNY x 0.15)
        {"year": 2020, "share": approx(225 / 2250)},
        # (320 + 64) / (24,000 CNY x 0.16)
        {"year": 2021, "share": approx(384 / 3840)},
    ]
    assert usd["coverage"]["ip_share_of_abs"] == deal_coverage(4, 2, **{
        MONEY_REASON: 1,
        "no total ABS issuance benchmark for US 2020": 1,
        "no total ABS issuance benchmark for US 2021": 1,
    })


def test_by_province_is_sorted_by_amount_and_leaves_the_unknown_province_out(usd):
    """Shares are of the convertible amount; US-NY has a deal but no amount."""
    assert usd["by_province"] == [
        {"province": "CN-GD", "deals": 2, "amount": approx(470), "share": approx(470 / 645)},
        {"province": "US-CA", "deals": 1, "amount": approx(100), "share": approx(100 / 645)},
        {"province": "CN-SC", "deals": 1, "amount": approx(75), "share": approx(75 / 645)},
        {"province": "US-NY", "deals": 1, "amount": None, "share": None},
    ]
    expected = deal_coverage(4, 2, **{MONEY_REASON: 1, "province unknown": 1})
    assert usd["coverage"]["by_province"] == expected
    assert usd["coverage"]["province_hhi"] == expected


def test_province_hhi_is_the_sum_of_squared_shares(usd):
    assert usd["province_hhi"] == approx((470**2 + 100**2 + 75**2) / 645**2)


def test_central_western_share_counts_deals_in_china_only(usd):
    """Sichuan's 75 over Guangdong's 470 and it; D5 (no province) is left out."""
    assert usd["central_western_share"] == approx(75 / 545)
    assert usd["coverage"]["central_western_share"] == deal_coverage(
        3, 1, **{"province unknown": 1}
    )


def test_by_asset_kind_sums_converted_pool_values(usd):
    invention = 800 * 0.15 + 500 * 0.15 + 1500 * 0.16 + 400 * 0.16
    trademark = 200 * 0.15 + 100 + 500 * 0.16
    total = invention + trademark
    assert usd["by_asset_kind"] == [
        {"kind": INVENTION, "amount": approx(invention), "share": approx(invention / total)},
        {"kind": TRADEMARK, "amount": approx(trademark), "share": approx(trademark / total)},
    ]
    assert usd["coverage"]["by_asset_kind"] == deal_coverage(5, 1, **{MONEY_REASON: 1})


def test_sme_financing_share_is_financing_to_smes_over_all_financing(usd):
    sme = 300 * 0.15 + 200 * 0.15 + 0 + 500 * 0.16
    total = 500 * 0.15 + 200 * 0.15 + 100 + 1000 * 0.16
    assert usd["sme_financing_share"] == approx(sme / total)
    assert usd["coverage"]["sme_financing_share"] == deal_coverage(
        4, 2, **{MONEY_REASON: 1, "no financing to beneficiaries": 1}
    )


def test_senior_coupon_quartiles_interpolate_linearly(usd):
    """Coupons 2, 3, 4, 5, 6 %; D6 has none."""
    assert usd["senior_coupon"] == {
        "median": approx(0.04), "p25": approx(0.03), "p75": approx(0.05)
    }
    assert usd["coverage"]["senior_coupon"] == deal_coverage(
        5, 1, **{"no rank-1 tranche coupon": 1}
    )


def test_senior_coupon_between_order_statistics():
    """Coupons 2, 3, 5, 6 %: p25 lies three quarters of the way from 2 % to 3 %."""
    deals = [deal(index, 2020, "CN", "CN-GD", "CNY", 100.0, coupon=coupon)
             for index, coupon in enumerate([0.05, 0.02, 0.06, 0.03])]
    result = answer(market(deals=deals, observations=[]))
    assert result["senior_coupon"] == {
        "median": approx(0.04), "p25": approx(0.0275), "p75": approx(0.0525)
    }


def test_sme_loan_rate_is_weighted_by_converted_deal_amount(usd):
    weighted = (150 + 75) * 0.055 + 100 * 0.07 + (320 + 64) * 0.05
    assert usd["sme_loan_rate"] == approx(weighted / (150 + 75 + 100 + 320 + 64))
    assert usd["coverage"]["sme_loan_rate"] == deal_coverage(
        5, 1, **{MONEY_REASON: 1, "no SME loan rate benchmark for US 2021": 1}
    )


def test_median_spread_needs_a_coupon_and_a_benchmark_but_no_rate(usd):
    """Spreads 250, 50, 100, 300 and 100 bp; D6 lacks both its inputs."""
    assert usd["median_spread_bp"] == approx(100)
    assert usd["coverage"]["median_spread_bp"] == deal_coverage(
        5, 1, **{"no rank-1 tranche coupon": 1, "no SME loan rate benchmark for US 2021": 1}
    )


def test_green_share_is_green_pool_value_over_pool_value(usd):
    green = 400 * 0.15 + 1000 * 0.16 + 100 * 0.16
    pool = 1000 * 0.15 + 500 * 0.15 + 100 + 2000 * 0.16 + 400 * 0.16
    assert usd["green_share"] == approx(green / pool)
    assert usd["coverage"]["green_share"] == deal_coverage(5, 1, **{MONEY_REASON: 1})


def test_valuation_dispersion_counts_assets_valued_twice(usd):
    """Dispersed 1 + 1 + 2 of multi-valued 4 + 2 + 6 + 2; the EUR deal counts (no money)."""
    assert usd["valuation_dispersion_over_30pct"] == approx(4 / 14)
    assert usd["coverage"]["valuation_dispersion_over_30pct"] == {
        "included": 14, "left_out": 0, "unit": "assets", "reasons": {}
    }


def test_default_rate_is_the_share_of_deals_with_a_default_event(usd):
    assert usd["default_rate"] == approx(2 / 6)
    assert usd["coverage"]["default_rate"] == deal_coverage(6)


def test_disclosure_figures_count_filings_and_esg_pairs(usd):
    assert usd["disclosure_incomplete_share"] == approx(3 / 7)
    assert usd["esg_disclosure_rate"] == approx((2 + 5 + 1 + 0 + 0 + 10 + 4) / 49)
    assert usd["coverage"]["disclosure_incomplete_share"] == {
        "included": 7, "left_out": 0, "unit": "filings", "reasons": {}
    }
    assert usd["coverage"]["esg_disclosure_rate"] == {
        "included": 6, "left_out": 1, "unit": "filings",
        "reasons": {"template has no ESG field": 1},
    }


def test_observation_means_leave_nan_out(usd):
    assert usd["rnd_intensity_change_pp"] == approx((3 + 1 + 5 - 1) / 4)
    assert usd["employment_growth_excess"] == approx((0.1 + 0.2 + 0.3) / 3)
    coverage = usd["coverage"]
    assert coverage["rnd_intensity_change_pp"] == {
        "included": 4, "left_out": 1, "unit": "observations",
        "reasons": {"R&D or revenue missing in the year before or after issue": 1},
    }
    assert coverage["employment_growth_excess"] == {
        "included": 3, "left_out": 2, "unit": "observations",
        "reasons": {"employees or the industry employment growth benchmark missing": 2},
    }
    assert coverage["carbon_rnd_growth"] == {
        "included": 0, "left_out": 5, "unit": "observations",
        "reasons": {"carbon-reduction R&D is not in the market data": 5},
    }


def test_page_extras_by_year(usd):
    assert usd["by_year_kind"] == [
        {"year": 2020, "kind": INVENTION, "amount": approx(120 + 75)},
        {"year": 2020, "kind": TRADEMARK, "amount": approx(30 + 100)},
        {"year": 2021, "kind": INVENTION, "amount": approx(240 + 64)},
        {"year": 2021, "kind": TRADEMARK, "amount": approx(80)},
    ]
    assert usd["green_share_by_year"] == [
        {"year": 2020, "share": approx(60 / 325)},
        {"year": 2021, "share": approx((160 + 16) / 384)},
    ]
    assert usd["default_rate_by_vintage"] == [
        {"year": 2020, "deals": 3, "defaulted": 1, "rate": approx(1 / 3)},
        {"year": 2021, "deals": 3, "defaulted": 1, "rate": approx(1 / 3)},
    ]


def test_jurisdictions(usd):
    """EU is its member states (DE files but has no deal); JP has nothing: all null."""
    nothing = {"green": None, "social": None, "sustainability": None}
    assert usd["jurisdictions"] == [
        {"jurisdiction": "US", "deals": 2, "amount": approx(100), "senior_coupon_median": 0.06,
         "labelled_share": 0.0, "label_shares": {"green": 0.0, "social": 0.0,
                                                  "sustainability": 0.0},
         "sdg_claimed_share": 0.0, "filings": 2, "disclosure_incomplete_share": 0.5,
         "esg_disclosure_rate": 0.0},
        {"jurisdiction": "EU", "deals": 0, "amount": None, "senior_coupon_median": None,
         "labelled_share": None, "label_shares": nothing, "sdg_claimed_share": None,
         "filings": 1, "disclosure_incomplete_share": 0.0, "esg_disclosure_rate": 1.0},
        {"jurisdiction": "JP", "deals": 0, "amount": None, "senior_coupon_median": None,
         "labelled_share": None, "label_shares": nothing, "sdg_claimed_share": None,
         "filings": 0, "disclosure_incomplete_share": None, "esg_disclosure_rate": None},
        {"jurisdiction": "CN", "deals": 4, "amount": approx(609),
         "senior_coupon_median": approx(0.035), "labelled_share": 0.5,
         "label_shares": {"green": 0.25, "social": 0.25, "sustainability": 0.0},
         "sdg_claimed_share": 0.5, "filings": 4, "disclosure_incomplete_share": 0.5,
         "esg_disclosure_rate": approx(18 / 40)},
    ]
    assert len(EU_MEMBERS) == 27 and "DE" in EU_MEMBERS and "GB" not in EU_MEMBERS


# --- Currency ------------------------------------------------------------------------------


def test_cny_converts_each_deal_with_the_rates_of_its_issue_year():
    result = answer(market(), currency="cny")
    us_2020 = 100 / 0.15
    assert result["filters"]["currency"] == "CNY"
    assert result["issuance_by_year"] == [
        {"year": 2020, "deals": 3, "amount": approx(1000 + 500 + us_2020)},
        {"year": 2021, "deals": 3, "amount": approx(2000 + 400)},
    ]
    total = 3000 + 500 + us_2020
    shares = [row["share"] for row in result["by_province"]]
    assert shares[:3] == approx([3000 / total, us_2020 / total, 500 / total])
    assert shares[3] is None
    # The rates differ by year, so the CNY share differs from the USD one (75 / 545).
    assert result["central_western_share"] == approx(500 / 3500)
    assert result["sme_loan_rate"] == approx(
        (1500 * 0.055 + us_2020 * 0.07 + 2400 * 0.05) / (1500 + us_2020 + 2400)
    )
    assert result["ip_share_of_abs"] == [
        {"year": 2020, "share": approx(1500 / 15_000)},
        {"year": 2021, "share": approx(2400 / 24_000)},
    ]
    assert result["median_spread_bp"] == approx(100)


def test_a_deal_in_the_requested_currency_needs_no_rate():
    """EUR 2021 has no rate: D6 (EUR) is counted at par, the CNY deals of 2021 are not."""
    result = answer(market(), currency="EUR")
    assert result["issuance_by_year"] == [
        {"year": 2020, "deals": 3, "amount": approx((150 + 75 + 100) / 1.10)},
        {"year": 2021, "deals": 3, "amount": approx(50)},
    ]
    assert result["coverage"]["issuance_by_year"] == deal_coverage(4, 2, **{MONEY_REASON: 2})


def test_a_requested_currency_without_rates_leaves_money_figures_null():
    """Each left-out deal names every rate it lacks; figures without money still answer."""
    result = answer(market(), currency="GBP")
    assert [row["amount"] for row in result["issuance_by_year"]] == [None, None]
    assert result["coverage"]["issuance_by_year"] == deal_coverage(0, 6, **{
        "no FX rate for GBP 2020": 3, "no FX rate for GBP 2021": 3, MONEY_REASON: 1,
    })
    for key in ("province_hhi", "central_western_share", "sme_financing_share",
                "sme_loan_rate", "green_share"):
        assert result[key] is None, key
    assert [row["share"] for row in result["ip_share_of_abs"]] == [None, None]
    assert [(row["amount"], row["share"]) for row in result["by_province"]] == [(None, None)] * 4
    assert result["by_asset_kind"] == []
    assert result["by_year_kind"] == []
    assert [row["amount"] for row in result["jurisdictions"]] == [None] * 4
    assert result["median_spread_bp"] == approx(100)
    assert result["default_rate"] == approx(2 / 6)
    assert result["senior_coupon"]["median"] == approx(0.04)


# --- Filters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "issuance", "incomplete", "esg", "rnd"),
    [
        # D4 320, D5 64, D6 none; filings of 2021: CN, US, US, DE; observation of D4.
        ({"year_from": 2021}, [(2021, 3, 384)], 2 / 4, 5 / 19, 5.0),
        # D1 150, D2 75, D3 100; the 2019 filing counts without a lower bound.
        ({"year_to": 2020}, [(2020, 3, 325)], 1 / 3, 17 / 30, 1.0),
        ({"year_from": 2020, "year_to": 2020}, [(2020, 3, 325)], 1 / 2, 7 / 20, 1.0),
        # D3 100, D6 none; US filings only.
        ({"country": "us"}, [(2020, 1, 100), (2021, 1, None)], 1 / 2, 0.0, -1.0),
        # D1 150, D3 100, D4 320, D6 none; filings are not restricted by kind.
        ({"asset_kind": TRADEMARK}, [(2020, 2, 250), (2021, 2, 320)], 3 / 7, 22 / 49, 7 / 3),
        ({"country": "JP"}, [], None, None, None),
        ({"asset_kind": "data_asset"}, [], 3 / 7, 22 / 49, None),
    ],
)
def test_filters_restrict_deals_filings_and_observations(filters, issuance, incomplete, esg,
                                                         rnd):
    result = answer(market(), **filters)
    assert [(row["year"], row["deals"], row["amount"])
            for row in result["issuance_by_year"]] == [
        (year, deals, None if amount is None else approx(amount))
        for year, deals, amount in issuance
    ]
    assert result["disclosure_incomplete_share"] == (None if incomplete is None
                                                     else approx(incomplete))
    assert result["esg_disclosure_rate"] == (None if esg is None else approx(esg))
    assert result["rnd_intensity_change_pp"] == (None if rnd is None else approx(rnd))
    assert result["filters"] == {"currency": "USD", "year_from": None, "year_to": None,
                                 "country": None, "asset_kind": None,
                                 **{key: value.upper() if key == "country" else value
                                    for key, value in filters.items()}}


def test_country_filter_us():
    """Outside China the central and western share has nothing to count, and says so."""
    result = answer(market(), country="US")
    assert result["central_western_share"] is None
    assert result["coverage"]["central_western_share"] == deal_coverage(0)
    assert result["ip_share_of_abs"] == [{"year": 2020, "share": None},
                                         {"year": 2021, "share": None}]
    assert result["by_province"] == [
        {"province": "US-CA", "deals": 1, "amount": approx(100), "share": 1.0},
        {"province": "US-NY", "deals": 1, "amount": None, "share": None},
    ]
    assert result["province_hhi"] == 1.0
    assert result["senior_coupon"] == {"median": 0.06, "p25": 0.06, "p75": 0.06}
    assert result["employment_growth_excess"] is None
    assert result["coverage"]["employment_growth_excess"]["left_out"] == 1


def test_asset_kind_filter_keeps_whole_pools_of_deals_holding_the_kind():
    result = answer(market(), asset_kind=TRADEMARK)
    invention, trademark = 800 * 0.15 + 1500 * 0.16, 200 * 0.15 + 100 + 500 * 0.16
    assert result["by_asset_kind"] == [
        {"kind": INVENTION, "amount": approx(invention),
         "share": approx(invention / (invention + trademark))},
        {"kind": TRADEMARK, "amount": approx(trademark),
         "share": approx(trademark / (invention + trademark))},
    ]


def test_year_from_after_year_to_is_refused():
    with pytest.raises(ValueError, match="year_from 2022 is after year_to 2021"):
        answer(market(), year_from=2022, year_to=2021)


# --- Nothing observed ----------------------------------------------------------------------


def test_an_empty_scope_answers_null_never_zero():
    result = answer(market(), country="JP")
    for key in ("province_hhi", "central_western_share", "sme_financing_share",
                "sme_loan_rate", "median_spread_bp", "green_share",
                "valuation_dispersion_over_30pct", "default_rate",
                "disclosure_incomplete_share", "esg_disclosure_rate",
                "rnd_intensity_change_pp", "employment_growth_excess"):
        assert result[key] is None, key
    for key in ("issuance_by_year", "ip_share_of_abs", "by_province", "by_asset_kind",
                "by_year_kind", "green_share_by_year", "default_rate_by_vintage", "findings"):
        assert result[key] == [], key
    assert result["senior_coupon"] == {"median": None, "p25": None, "p75": None}
    assert result["coverage"]["issuance_by_year"] == deal_coverage(0)


def test_empty_data():
    result = answer(market(deals=[], observations=[], filings=[]))
    assert result["issuance_by_year"] == [] and result["findings"] == []
    assert result["default_rate"] is None


def test_no_observations_and_no_filings_are_null_with_their_coverage():
    result = answer(market(observations=[], filings=[]))
    assert result["rnd_intensity_change_pp"] is None
    assert result["employment_growth_excess"] is None
    assert result["disclosure_incomplete_share"] is None
    assert result["esg_disclosure_rate"] is None
    assert result["coverage"]["rnd_intensity_change_pp"] == {
        "included": 0, "left_out": 0, "unit": "observations", "reasons": {}
    }
    assert result["coverage"]["esg_disclosure_rate"] == {
        "included": 0, "left_out": 0, "unit": "filings", "reasons": {}
    }


def test_a_year_without_any_benchmark_total_has_a_null_share():
    result = answer(market(benchmarks={}))
    assert result["ip_share_of_abs"] == [{"year": 2020, "share": None},
                                         {"year": 2021, "share": None}]
    assert result["sme_loan_rate"] is None and result["median_spread_bp"] is None
    assert result["coverage"]["sme_loan_rate"]["reasons"] == {
        MONEY_REASON: 1,
        "no SME loan rate benchmark for CN 2020": 2,
        "no SME loan rate benchmark for CN 2021": 2,
        "no SME loan rate benchmark for US 2020": 1,
        "no SME loan rate benchmark for US 2021": 1,
    }


def test_a_benchmark_total_in_a_currency_without_rate_is_named():
    benchmarks = {**BENCHMARKS, ("CN", 2021): Benchmark(0.05, 24_000.0, "JPY", 0.04)}
    result = answer(market(benchmarks=benchmarks))
    assert result["ip_share_of_abs"][1] == {"year": 2021, "share": None}
    assert result["coverage"]["ip_share_of_abs"]["reasons"]["no FX rate for JPY 2021"] == 2


# --- Findings ------------------------------------------------------------------------------


def test_findings_state_the_computed_numbers(usd):
    findings = usd["findings"]
    expected = [
        "6 deals issued in 2020-2021 are in scope, USD 709 in all.",
        "Issuance rose from USD 325 (3 deals) in 2020 to USD 384 (3 deals) in 2021, +18.2 %.",
        "In 2021, IP deals made up 10.0 % of the ABS issuance of their countries.",
        "CN-GD has the largest share of the amount, 72.9 % (2 deals); the province HHI is "
        "0.569: highly concentrated (above 0.25).",
        "Central and western provinces received 13.8 % of the amount issued in China.",
        "The median senior coupon is 4.00 % (p25 3.00 %, p75 5.00 %).",
        "The SME loan rate benchmark, weighted by deal amount, is 5.44 %.",
        "The median spread of the SME loan rate of the deal's country and year over its senior "
        "coupon is 100 bp.",
        "SMEs received 42.5 % of the financing to beneficiaries.",
        "Green assets make up 33.3 % of the pool value at cut-off.",
        "Of 14 pool assets valued two or more times in one currency, 28.6 % have valuations "
        "more than 30 % apart ((max - min) / min).",
        "Of 6 deals, 33.3 % had a default event.",
        "Of 7 filings, 42.9 % are incomplete (a required field missing or an ND code used), "
        "above the study's threshold of 40 %.",
        "ESG fields are answered with a value in 44.9 % of the (filing, ESG field) pairs of 6 "
        "filings, at or above the study's threshold of 20 %.",
        "Beneficiaries' R&D intensity changed by +2.00 pp on average from the year before issue "
        "to the year after (4 observations).",
        "Beneficiaries' employment grew 20.0 percentage points faster than their industry "
        "benchmark over the same two years (3 observations).",
    ]
    assert findings[:len(expected)] == expected


def test_findings_give_a_verdict_per_dimension_from_sdg_scores(usd):
    """Economic: 0.4 x 70 + 0.3 x 66.7 + 0.3 x 100; social: the mean of two shares."""
    economic = 0.4 * (2 + 5) * 10 + 0.3 * (100 + 300) / 6 + 0.3 * 100
    social = (usd["sme_financing_share"] + usd["central_western_share"]) / 2 * 100
    environmental = usd["green_share"] * 100
    assert economic == approx(78.0)
    assert usd["findings"][-3:] == [
        f"The economic dimension is strong: score {economic:.1f} of 100 (strong >= 60, weak "
        f"<= 40) from R&D intensity change, financing cost saving (median spread) and "
        f"employment growth excess.",
        f"The social dimension is weak: score {social:.1f} of 100 (strong >= 60, weak <= 40) "
        f"from SME financing share and central and western share.",
        f"The environmental dimension is weak: score {environmental:.1f} of 100 (strong >= 60,"
        f" weak <= 40) from green asset share; carbon-reduction R&D growth is not available "
        f"at market level.",
    ]
    assert sdg.strength(economic) == "strong" and sdg.strength(social) == "weak"


def test_findings_leave_out_sentences_whose_numbers_are_missing():
    """Without rates no money sentence, no social or environmental verdict."""
    findings = answer(market(), currency="GBP")["findings"]
    text = " ".join(findings)
    for absent in ("in all", "Issuance", "ABS issuance", "HHI", "Central and western",
                   "SME loan rate benchmark", "SMEs received", "Green assets",
                   "social dimension", "environmental dimension"):
        assert absent not in text, absent
    assert findings[0] == "6 deals issued in 2020-2021 are in scope."
    assert findings[-1].startswith("The economic dimension is strong: score 78.0 of 100")
    assert "no value for" not in findings[-1]


def test_findings_say_which_components_a_verdict_lacks():
    result = answer(market(observations=[]))
    assert result["findings"][-3] == (
        "The economic dimension is strong: score 66.7 of 100 (strong >= 60, weak <= 40) from "
        "financing cost saving (median spread); no value for R&D intensity change and "
        "employment growth excess."
    )


@pytest.mark.parametrize(
    ("incomplete", "esg_answered", "incomplete_side", "esg_side"),
    [(True, 1, "above", "below"), (False, 2, "at or below", "at or above")],
)
def test_disclosure_findings_compare_with_the_study(incomplete, esg_answered, incomplete_side,
                                                    esg_side):
    """Over 40 % incomplete and under 20 % ESG are the study's findings."""
    filings = [filing(2020, "CN", incomplete, 10, esg_answered)]
    findings = answer(market(filings=filings))["findings"]
    share = "100.0 %" if incomplete else "0.0 %"
    assert (f"Of 1 filing, {share} are incomplete (a required field missing or an ND code "
            f"used), {incomplete_side} the study's threshold of 40 %.") in findings
    assert (f"ESG fields are answered with a value in {esg_answered * 10}.0 % of the (filing, "
            f"ESG field) pairs of 1 filing, {esg_side} the study's threshold of 20 %.") in findings


def test_hhi_finding_below_the_threshold():
    deals = [deal(index, 2020, "CN", province, "CNY", 100.0)
             for index, province in enumerate(["CN-GD", "CN-SC", "CN-BJ", "CN-HB", "CN-SH"])]
    findings = answer(market(deals=deals, observations=[]))["findings"]
    assert ("CN-BJ has the largest share of the amount, 20.0 % (1 deal); the province HHI is "
            "0.200: not highly concentrated (0.25 or below).") in findings


# --- Data ----------------------------------------------------------------------------------


def test_from_records_builds_codes_and_columns():
    data = market()
    assert data.countries == ("CN", "DE", "US")
    assert data.provinces == ("", "CN-GD", "CN-SC", "US-CA", "US-NY")
    assert data.currencies == ("CNY", "EUR", "USD")
    assert data.kinds == (INVENTION, TRADEMARK)
    assert data.labels == ("green", "none", "social")
    assert data.kind_value.shape == (6, 2) and data.kind_value[2].tolist() == [0.0, 100.0]
    assert math.isnan(data.coupon[5]) and math.isnan(data.obs_rnd_pp[1])
    assert data.year.dtype == np.int16 and data.deal_id.dtype == np.int64
    assert data.filing_country.tolist() == [0, 0, 0, 2, 2, 0, 1]


def test_npz_round_trip_keeps_every_column_and_table():
    data = market()
    loaded = MarketData.from_npz_bytes(data.to_npz_bytes())
    for name in ("deal_id", "year", "country", "province", "currency", "size", "coupon",
                 "kind_value", "green_value", "financing_total", "financing_sme", "defaulted",
                 "label", "sdg_claimed", "multi_valued", "dispersed", "dispersion_bins",
                 "obs_deal", "obs_rnd_pp",
                 "obs_emp_excess", "filing_year", "filing_country", "filing_incomplete",
                 "filing_esg_pairs", "filing_esg_answered"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(data, name), err_msg=name)
        assert getattr(loaded, name).dtype == getattr(data, name).dtype, name
    for name in ("countries", "provinces", "currencies", "kinds", "labels", "benchmarks", "fx",
                 "central_western"):
        assert getattr(loaded, name) == getattr(data, name), name
    assert answer(loaded, currency="CNY") == answer(data, currency="CNY")


def test_npz_bytes_depend_on_the_data_only():
    """Entries carry a fixed date, so a snapshot's digest changes only with its facts."""
    blob = market().to_npz_bytes()
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        assert {entry.date_time for entry in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert market().to_npz_bytes() == blob
    assert market(filings=FILINGS[:-1]).to_npz_bytes() != blob
    with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
        np.testing.assert_array_equal(archive["size"], market().size)


def test_npz_of_something_else_is_refused():
    buffer = io.BytesIO()
    np.savez_compressed(buffer, tables=np.frombuffer(b'{"format": "other"}', dtype=np.uint8))
    with pytest.raises(ValueError, match="format 'other'"):
        MarketData.from_npz_bytes(buffer.getvalue())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d[0].pop("coupon"), "deal row 0: missing fields coupon; unknown none"),
        (lambda d: d[1].update(colour="red"), "deal row 1: missing fields none; unknown colour"),
        (lambda d: d[0].update(green_value=1001.0), "deal 1: green_value exceeds the pool"),
        (lambda d: d[0].update(financing_sme=501.0), "deal 1: financing_sme exceeds"),
        (lambda d: d[0].update(size=-1.0), "size must be finite and not below 0"),
        (lambda d: d[0].update(dispersed=5), "0 <= dispersed <= multi_valued"),
    ],
)
def test_from_records_refuses_inconsistent_deals(change, message):
    deals = [dict(row) for row in DEALS]
    change(deals)
    with pytest.raises(ValueError, match=message):
        market(deals=deals)


def test_from_records_refuses_bad_observations_filings_and_rates():
    with pytest.raises(ValueError, match="obs_deal"):
        market(observations=[observation(6, 1.0, None)])
    with pytest.raises(ValueError, match="filing_esg_answered"):
        market(filings=[filing(2020, "CN", False, 2, 3)])
    with pytest.raises(ValueError, match="FX rate of CNY 2020 must be above 0"):
        market(fx={**FX, ("CNY", 2020): 0.0})


# --- Properties ----------------------------------------------------------------------------

YEARS = [2019, 2020, 2021]


@st.composite
def datasets(draw):
    money = st.integers(0, 1_000).map(float)
    deals = []
    for deal_id in range(draw(st.integers(0, 12))):
        pool = {kind: draw(money) for kind in draw(st.sets(st.sampled_from(
            [INVENTION, TRADEMARK, "copyright_software"])))}
        financing = draw(money)
        deals.append(deal(
            deal_id, draw(st.sampled_from(YEARS)), draw(st.sampled_from(["CN", "US", "DE"])),
            draw(st.sampled_from(["", "CN-GD", "CN-SC", "US-CA"])),
            draw(st.sampled_from(["CNY", "USD", "EUR"])), draw(money),
            coupon=draw(st.none() | st.floats(0, 0.1)), pool=pool,
            green=draw(st.integers(0, int(sum(pool.values())))) * 1.0,
            financing=(financing, draw(st.integers(0, int(financing))) * 1.0),
            defaulted=draw(st.booleans()), label=draw(st.sampled_from(["none", "green"])),
            sdg_claimed=draw(st.booleans()),
            valuations=draw(st.integers(0, 5).flatmap(lambda n: st.tuples(
                st.just(n), st.integers(0, n)))),
        ))
    observations = [
        observation(draw(st.integers(0, len(deals) - 1)), draw(st.none() | st.floats(-10, 10)),
                    draw(st.none() | st.floats(-1, 1)))
        for _ in range(draw(st.integers(0, 8) if deals else st.just(0)))
    ]
    filings = [
        filing(draw(st.sampled_from(YEARS)), draw(st.sampled_from(["CN", "US", "FR"])),
               draw(st.booleans()), pairs, draw(st.integers(0, pairs)))
        for pairs in draw(st.lists(st.integers(0, 5), max_size=6))
    ]
    rates = st.floats(0.01, 2)
    fx = draw(st.dictionaries(
        st.tuples(st.sampled_from(["CNY", "USD", "EUR"]), st.sampled_from(YEARS)), rates))
    benchmarks = draw(st.dictionaries(
        st.tuples(st.sampled_from(["CN", "US"]), st.sampled_from(YEARS)),
        st.builds(Benchmark, st.none() | st.floats(0, 0.1), st.none() | st.floats(1, 1e6),
                  st.sampled_from(["CNY", "USD"]), st.none() | st.floats(-0.1, 0.1)),
    ))
    filters = draw(st.fixed_dictionaries({}, optional={
        "currency": st.sampled_from(["USD", "CNY", "EUR"]),
        "year_from": st.sampled_from(YEARS),
        "country": st.sampled_from(["CN", "US"]),
        "asset_kind": st.sampled_from([INVENTION, TRADEMARK]),
    }))
    return deals, market(deals, observations, filings, benchmarks, fx), filters


def shares_of(result):
    yield from (result[key] for key in (
        "central_western_share", "sme_financing_share", "green_share",
        "valuation_dispersion_over_30pct", "default_rate", "disclosure_incomplete_share",
        "esg_disclosure_rate"))
    for key in ("by_province", "by_asset_kind", "green_share_by_year"):
        yield from (row["share"] for row in result[key])
    yield from (row["rate"] for row in result["default_rate_by_vintage"])
    for row in result["jurisdictions"]:
        yield from (row[key] for key in ("labelled_share", "sdg_claimed_share",
                                         "disclosure_incomplete_share", "esg_disclosure_rate"))
        yield from row["label_shares"].values()


@settings(max_examples=150, deadline=None)
@given(datasets())
def test_properties_shares_counts_and_coverage(dataset):
    """Shares lie in [0, 1] or are null; province and kind shares sum to 1; deals add up.

    ip_share_of_abs is a ratio of two sources and may exceed 1; it is not a share here.
    """
    deals, data, filters = dataset
    result = answer(data, **filters)
    assert json.loads(json.dumps(result, allow_nan=False)) == result
    for share in shares_of(result):
        assert share is None or 0 <= share <= 1
    for key in ("by_province", "by_asset_kind"):
        shares = [row["share"] for row in result[key] if row["share"] is not None]
        if shares:
            assert sum(shares) == approx(1)
    in_scope = [
        row for row in deals
        if row["year"] >= filters.get("year_from", 0)
        and row["country"] == filters.get("country", row["country"])
        and ("asset_kind" not in filters or row["kind_value"].get(filters["asset_kind"], 0) > 0)
    ]
    assert sum(row["deals"] for row in result["issuance_by_year"]) == len(in_scope)
    assert sum(row["deals"] for row in result["by_province"]) == len(
        [row for row in in_scope if row["province"]]
    )
    assert result["coverage"]["default_rate"]["included"] == len(in_scope)
    for key, figure in result["coverage"].items():
        if figure["unit"] == "deals" and key != "central_western_share":
            assert figure["included"] + figure["left_out"] == len(in_scope), key
        if figure["left_out"]:
            assert figure["reasons"] and min(figure["reasons"].values()) > 0, key
            assert sum(figure["reasons"].values()) >= figure["left_out"], key
