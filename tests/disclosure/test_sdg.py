"""Tests for disclosure.sdg: SDG indicators per observation, deal and issuer, and their scores."""

import json
import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disclosure.sdg import (
    DIMENSIONS,
    INDICATORS,
    SCORE_RULES,
    Beneficiary,
    Coverage,
    DealFacts,
    Indicator,
    Score,
    YearFigures,
    deal_indicators,
    issuer_indicators,
    observation_indicators,
    read_regions,
    scores,
    strength,
)

REGIONS_CSV = Path(__file__).resolve().parents[2] / "disclosure" / "data" / "cn_regions.csv"
CENTRAL_WESTERN = frozenset({"CN-SC", "CN-HB"})
D = Decimal
approx = pytest.approx


def figures(year, revenue=None, rnd=None, employees=None, carbon=None):
    return YearFigures(year, revenue=revenue, rnd_expense=rnd, employees=employees,
                       carbon_rnd_expense=carbon)


def beneficiary(issuer_id=1, name="Alpha", *, issuer_type="sme", country="CN",
                province="CN-SC", years=(), financing="60"):
    return Beneficiary(issuer_id=issuer_id, name=name, issuer_type=issuer_type, country=country,
                       province=province, years={f.year: f for f in years},
                       financing_amount=D(financing))


# Alpha (Sichuan, SME): R&D / revenue 5 % -> 8 %, employees 100 -> 120, carbon R&D 10 -> 12.
ALPHA_YEARS = (
    figures(2022, revenue=D(1000), rnd=D(50), employees=100, carbon=D(10)),
    figures(2023, revenue=D(1100), rnd=D(70), employees=110, carbon=D(11)),
    figures(2024, revenue=D(1200), rnd=D(96), employees=120, carbon=D(12)),
)
# Beta (Guangdong, large): R&D / revenue 8 % -> 4 %, employees 200 -> 190, carbon 20 -> 9.
BETA_YEARS = (
    figures(2022, revenue=D(1000), rnd=D(80), employees=200, carbon=D(20)),
    figures(2024, revenue=D(1500), rnd=D(60), employees=190, carbon=D(9)),
)


def alpha(**changes):
    return beneficiary(**{"years": ALPHA_YEARS, **changes})


def beta(**changes):
    return beneficiary(**{"issuer_id": 2, "name": "Beta", "issuer_type": "large",
                          "province": "CN-GD", "years": BETA_YEARS, "financing": D(40),
                          **changes})


def deal(*beneficiaries, **changes):
    values = {
        "deal_id": "D1", "issue_year": 2023, "country": "CN", "senior_coupon": D("0.04"),
        "sme_loan_rate": D("0.065"), "industry_employment_growth": D("0.05"),
        "pool_value": D(100), "green_pool_value": D(30), "beneficiaries": beneficiaries,
    }
    return DealFacts(**{**values, **changes})


def observed(deal_facts, someone, key):
    return observation_indicators(deal_facts, someone, CENTRAL_WESTERN).indicator(key)


def indicator(key, value):
    definition = INDICATORS[key]
    return Indicator(key, value, definition.unit, definition.sdg_targets, definition.dimension,
                     inputs={})


# --- Per observation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("someone", "key", "expected"),
    [
        # (96/1200 - 50/1000) x 100 = (0.08 - 0.05) x 100
        (alpha(), "rnd_intensity_change_pp", 3.0),
        # (60/1500 - 80/1000) x 100 = (0.04 - 0.08) x 100
        (beta(), "rnd_intensity_change_pp", -4.0),
        # 120/100 - 1 - 0.05
        (alpha(), "employment_growth_excess", 0.15),
        # 190/200 - 1 - 0.05
        (beta(), "employment_growth_excess", -0.10),
        # 12/10 - 1
        (alpha(), "carbon_rnd_growth", 0.2),
        # 9/20 - 1
        (beta(), "carbon_rnd_growth", -0.55),
        # (0.065 - 0.04) x 10,000: the deal's, for every beneficiary
        (alpha(), "financing_cost_saving_bp", 250.0),
        (alpha(), "sme_financing_share", 1.0),
        (beta(), "sme_financing_share", 0.0),
        (alpha(), "less_developed_region_share", 1.0),
        (beta(), "less_developed_region_share", 0.0),
        # 30 / 100
        (beta(), "green_asset_share", 0.3),
    ],
)
def test_observation_formulas_match_hand_computation(someone, key, expected):
    result = observed(deal(someone), someone, key)
    assert result.value == approx(expected, abs=1e-12)
    assert result.missing == ()
    assert (result.unit, result.sdg_targets, result.dimension) == (
        INDICATORS[key].unit, INDICATORS[key].sdg_targets, INDICATORS[key].dimension
    )


def test_observation_records_the_inputs_it_used():
    someone = alpha()
    assert observed(deal(someone), someone, "rnd_intensity_change_pp").inputs == {
        "rnd_expense_2022": D(50), "revenue_2022": D(1000),
        "rnd_expense_2024": D(96), "revenue_2024": D(1200),
    }
    assert observed(deal(someone), someone, "employment_growth_excess").inputs == {
        "employees_2022": 100, "employees_2024": 120,
        "benchmark_country": "CN", "industry_employment_growth": D("0.05"),
    }


def without(years, year, **fields):
    return tuple(
        YearFigures(**{**vars(f), **fields}) if f.year == year else f for f in years
    )


@pytest.mark.parametrize(
    ("years", "key", "missing"),
    [
        (without(ALPHA_YEARS, 2022, revenue=None), "rnd_intensity_change_pp",
         ("revenue 2022 of X",)),
        (without(ALPHA_YEARS, 2024, rnd_expense=None), "rnd_intensity_change_pp",
         ("R&D expense 2024 of X",)),
        (ALPHA_YEARS[1:], "rnd_intensity_change_pp",
         ("R&D expense 2022 of X", "revenue 2022 of X")),
        (without(ALPHA_YEARS, 2022, revenue=D(0)), "rnd_intensity_change_pp",
         ("revenue 2022 of X above 0 (reported 0)",)),
        (without(ALPHA_YEARS, 2024, revenue=D(0)), "rnd_intensity_change_pp",
         ("revenue 2024 of X above 0 (reported 0)",)),
        (without(ALPHA_YEARS, 2022, employees=None), "employment_growth_excess",
         ("employees 2022 of X",)),
        (without(ALPHA_YEARS, 2022, employees=0), "employment_growth_excess",
         ("employees 2022 of X above 0 (reported 0)",)),
        (without(ALPHA_YEARS, 2024, employees=None), "employment_growth_excess",
         ("employees 2024 of X",)),
        (without(ALPHA_YEARS, 2022, carbon_rnd_expense=D(0)), "carbon_rnd_growth",
         ("carbon-reduction R&D expense 2022 of X above 0 (reported 0)",)),
        (ALPHA_YEARS[:2], "carbon_rnd_growth", ("carbon-reduction R&D expense 2024 of X",)),
        ((), "carbon_rnd_growth", ("carbon-reduction R&D expense 2022 of X",
                                   "carbon-reduction R&D expense 2024 of X")),
    ],
)
def test_missing_or_unusable_figures_give_none_and_are_named(years, key, missing):
    someone = beneficiary(name="X", years=years)
    result = observed(deal(someone), someone, key)
    assert result.value is None
    assert result.missing == missing


def test_zero_figures_after_issuance_are_valid():
    """Only the denominators must be above 0: a firm may cut R&D or jobs to nothing."""
    years = without(ALPHA_YEARS, 2024, rnd_expense=D(0), employees=0, carbon_rnd_expense=D(0))
    someone = beneficiary(years=years)
    facts = deal(someone)
    assert observed(facts, someone, "rnd_intensity_change_pp").value == approx(-5.0)
    assert observed(facts, someone, "employment_growth_excess").value == approx(-1.05)
    assert observed(facts, someone, "carbon_rnd_growth").value == approx(-1.0)


@pytest.mark.parametrize("key", ["rnd_intensity_change_pp", "employment_growth_excess",
                                 "carbon_rnd_growth"])
def test_unknown_issue_year_leaves_firm_indicators_none(key):
    someone = alpha()
    result = observed(deal(someone, issue_year=None), someone, key)
    assert (result.value, result.missing) == (None, ("issue year of deal D1",))


def test_employment_needs_the_benchmark_of_the_beneficiarys_country():
    someone = alpha()
    result = observed(deal(someone, industry_employment_growth=None), someone,
                      "employment_growth_excess")
    assert (result.value, result.missing) == (
        None, ("industry employment growth benchmark of CN 2023",)
    )
    foreign = alpha(country="HK")
    result = observed(deal(foreign), foreign, "employment_growth_excess")
    assert (result.value, result.missing) == (
        None, ("industry employment growth benchmark of HK 2023",)
    )


@pytest.mark.parametrize(
    ("changes", "missing"),
    [
        ({"senior_coupon": None}, ("senior coupon of deal D1",)),
        ({"sme_loan_rate": None}, ("SME loan rate benchmark of CN 2023",)),
        ({"sme_loan_rate": None, "issue_year": None}, ("issue year of deal D1",)),
        ({"sme_loan_rate": None, "senior_coupon": None},
         ("SME loan rate benchmark of CN 2023", "senior coupon of deal D1")),
    ],
)
def test_cost_saving_names_missing_rates(changes, missing):
    result = deal_indicators(deal(alpha(), **changes), CENTRAL_WESTERN).indicator(
        "financing_cost_saving_bp")
    assert (result.value, result.missing) == (None, missing)


def test_negative_cost_saving_is_kept():
    result = deal_indicators(deal(senior_coupon=D("0.08")), CENTRAL_WESTERN).indicator(
        "financing_cost_saving_bp")
    assert result.value == approx(-150.0)


# --- Per deal ----------------------------------------------------------------------------


def test_deal_indicators_by_hand():
    result = deal_indicators(deal(alpha(), beta()), CENTRAL_WESTERN)
    values = {item.key: item.value for item in result.indicators}
    assert values == approx({
        "rnd_intensity_change_pp": (3.0 - 4.0) / 2,
        "employment_growth_excess": (0.15 - 0.10) / 2,
        "carbon_rnd_growth": (0.2 - 0.55) / 2,
        "financing_cost_saving_bp": 250.0,
        "sme_financing_share": 60 / 100,  # Alpha's 60 of 100
        "less_developed_region_share": 60 / 100,  # Alpha in Sichuan
        "green_asset_share": 0.3,
    })
    assert [item.key for item in result.indicators] == list(INDICATORS)
    assert [o.issuer_id for o in result.observations] == [1, 2]
    share = result.indicator("sme_financing_share")
    assert share.inputs["financing_counted"] == D(100)
    assert (share.inputs["observed"], share.inputs["left_out"]) == (2, 0)


def test_deal_mean_leaves_out_and_reports_observations_without_inputs():
    gamma = beneficiary(issuer_id=3, name="Gamma", years=ALPHA_YEARS[1:], financing=D(10))
    result = deal_indicators(deal(alpha(), beta(), gamma), CENTRAL_WESTERN)
    rnd = result.indicator("rnd_intensity_change_pp")
    assert rnd.value == approx(-0.5)
    assert (rnd.inputs["observed"], rnd.inputs["left_out"]) == (2, 1)
    assert rnd.missing == ("R&D expense 2022 of Gamma", "revenue 2022 of Gamma")
    assert [entry["value"] for entry in rnd.inputs["values"]] == [
        approx(3.0), approx(-4.0), None
    ]


def test_share_leaves_out_financing_of_unknown_type_and_says_so():
    result = deal_indicators(deal(alpha(), beta(issuer_type="")), CENTRAL_WESTERN)
    share = result.indicator("sme_financing_share")
    assert share.value == 1.0
    assert share.missing == ("issuer type of Beta",)
    assert (share.inputs["financing_counted"], share.inputs["financing_left_out"]) == (
        D(60), D(40)
    )


def test_region_share_of_a_deal_outside_china_is_none_with_the_reason():
    result = deal_indicators(deal(alpha(), beta(), country="US"), CENTRAL_WESTERN)
    region = result.indicator("less_developed_region_share")
    assert region.value is None
    assert region.missing == ("deal D1 is in US, not CN: the region share covers China only",)
    assert result.observations[0].indicator("less_developed_region_share").value is None


def test_region_share_names_a_blank_province():
    result = deal_indicators(deal(alpha(), beta(province=" ")), CENTRAL_WESTERN)
    region = result.indicator("less_developed_region_share")
    assert region.value == 1.0
    assert region.missing == ("province of Beta",)


def test_deal_without_financing_has_no_shares_or_means_but_keeps_its_own_figures():
    result = deal_indicators(deal(), CENTRAL_WESTERN)
    assert result.observations == ()
    for key in ("rnd_intensity_change_pp", "employment_growth_excess", "carbon_rnd_growth",
                "sme_financing_share", "less_developed_region_share"):
        item = result.indicator(key)
        assert item.value is None, key
        assert item.missing == ("financing to beneficiaries of deal D1",), key
    assert result.indicator("financing_cost_saving_bp").value == approx(250.0)
    assert result.indicator("green_asset_share").value == approx(0.3)


def test_green_share_of_an_empty_pool_is_none():
    result = deal_indicators(deal(pool_value=D(0), green_pool_value=D(0)), CENTRAL_WESTERN)
    green = result.indicator("green_asset_share")
    assert (green.value, green.missing) == (None, ("pool value of deal D1 above 0 (reported 0)",))


@pytest.mark.parametrize(
    "build",
    [
        lambda: alpha(financing=D(0)),
        lambda: Beneficiary(1, "Alpha", "sme", "CN", "CN-SC", {2022: figures(2023)}, D(1)),
        lambda: deal(green_pool_value=D(101)),
        lambda: deal(green_pool_value=D(-1)),
        lambda: deal(alpha(), alpha()),
    ],
    ids=["no financing", "year filed wrongly", "green above pool", "negative green",
         "twice"],
)
def test_impossible_inputs_are_refused(build):
    with pytest.raises(ValueError):
        build()


# --- Per issuer --------------------------------------------------------------------------


def test_issuer_indicators_average_firm_figures_and_weight_the_rest_by_financing():
    first = deal_indicators(deal(alpha(), beta()), CENTRAL_WESTERN)
    # Second deal 2022: Alpha's years 2021 and 2023 are 2021 (absent) and 2023.
    second_years = (figures(2021, revenue=D(500), rnd=D(10), employees=80, carbon=D(8)),
                    *ALPHA_YEARS)
    second = deal_indicators(
        deal(alpha(years=second_years, financing=D(20), issuer_type="large"),
             deal_id="D2", issue_year=2022, sme_loan_rate=D("0.05"), senior_coupon=D("0.04"),
             green_pool_value=D(80)),
        CENTRAL_WESTERN,
    )
    result = issuer_indicators(1, first.observations + second.observations)
    assert result.deal_ids == ("D1", "D2")
    values = {item.key: item.value for item in result.indicators}
    assert values == approx({
        # D1: 3.0 pp; D2: (70/1100 - 10/500) x 100
        "rnd_intensity_change_pp": (3.0 + (70 / 1100 - 10 / 500) * 100) / 2,
        # D1: 0.15; D2: 110/80 - 1 - 0.05
        "employment_growth_excess": (0.15 + (110 / 80 - 1 - 0.05)) / 2,
        # D1: 0.2; D2: 11/8 - 1
        "carbon_rnd_growth": (0.2 + (11 / 8 - 1)) / 2,
        # 250 bp on 60, 100 bp on 20
        "financing_cost_saving_bp": (250 * 60 + 100 * 20) / 80,
        # an SME when it got 60, large when it got 20
        "sme_financing_share": 60 / 80,
        "less_developed_region_share": 1.0,
        # green 0.3 on 60, 0.8 on 20
        "green_asset_share": (0.3 * 60 + 0.8 * 20) / 80,
    })


def test_issuer_without_observations_has_none_everywhere():
    others = deal_indicators(deal(beta()), CENTRAL_WESTERN).observations
    result = issuer_indicators(1, others)
    assert result.deal_ids == ()
    for item in result.indicators:
        assert item.value is None
        assert item.missing == ("financing to issuer 1 through any deal",)


def test_issuer_refuses_two_observations_of_one_deal():
    observations = deal_indicators(deal(alpha()), CENTRAL_WESTERN).observations
    with pytest.raises(ValueError, match="one observation per deal"):
        issuer_indicators(1, observations * 2)


# --- Scores ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("rnd_intensity_change_pp", -5.0, 0.0),
        ("rnd_intensity_change_pp", 0.0, 50.0),
        ("rnd_intensity_change_pp", 2.0, 70.0),
        ("rnd_intensity_change_pp", 5.0, 100.0),
        ("rnd_intensity_change_pp", 12.0, 100.0),
        ("rnd_intensity_change_pp", -9.0, 0.0),
        ("financing_cost_saving_bp", -300.0, 0.0),
        ("financing_cost_saving_bp", 0.0, 50.0),
        ("financing_cost_saving_bp", 150.0, 75.0),
        ("financing_cost_saving_bp", 300.0, 100.0),
        ("financing_cost_saving_bp", 800.0, 100.0),
        ("employment_growth_excess", -0.2, 0.0),
        ("employment_growth_excess", 0.15, 87.5),
        ("employment_growth_excess", 0.2, 100.0),
        ("employment_growth_excess", -0.5, 0.0),
        ("sme_financing_share", 0.0, 0.0),
        ("sme_financing_share", 0.35, 35.0),
        ("sme_financing_share", 1.0, 100.0),
        ("less_developed_region_share", 0.2, 20.0),
        ("green_asset_share", 0.25, 25.0),
        ("carbon_rnd_growth", -0.5, 0.0),
        ("carbon_rnd_growth", 0.18, 68.0),
        ("carbon_rnd_growth", 0.5, 100.0),
        ("carbon_rnd_growth", 3.0, 100.0),
        ("carbon_rnd_growth", -1.0, 0.0),
        ("carbon_rnd_growth", math.inf, 100.0),
    ],
)
def test_component_mapping_boundaries_and_clamping(key, value, expected):
    score = scores([indicator(key, value)])[INDICATORS[key].dimension]
    assert score.components[0].score == approx(expected)
    assert score.components[0].weight == 1.0
    assert score.value == approx(expected)


def test_full_dimensions_use_the_table_weights():
    result = scores(deal_indicators(deal(alpha(), beta()), CENTRAL_WESTERN).indicators)
    # R&D -0.5 pp -> 45; 250 bp -> 91.67; employment +0.025 -> 56.25
    assert result["economic"].value == approx(0.4 * 45 + 0.3 * 550 / 6 + 0.3 * 56.25)
    # SME 0.6 -> 60, region 0.6 -> 60
    assert result["social"].value == approx(60.0)
    # green 0.3 -> 30; carbon -0.175 -> 32.5
    assert result["environmental"].value == approx(0.6 * 30 + 0.4 * 32.5)
    assert [c.weight for c in result["economic"].components] == approx([0.4, 0.3, 0.3])


def test_weights_are_renormalized_over_present_components():
    result = scores([indicator("rnd_intensity_change_pp", 3.0),
                     indicator("financing_cost_saving_bp", 250.0),
                     indicator("employment_growth_excess", None)])
    economic = result["economic"]
    # (0.4 x 80 + 0.3 x 91.67) / 0.7
    assert economic.value == approx((0.4 * 80 + 0.3 * 550 / 6) / 0.7)
    assert [c.weight for c in economic.components] == approx([4 / 7, 3 / 7])
    assert economic.coverage == Coverage(
        present=("rnd_intensity_change_pp", "financing_cost_saving_bp"),
        missing=("employment_growth_excess",),
    )


def test_a_dimension_without_components_is_none_not_zero():
    result = scores([indicator("green_asset_share", None)])
    assert set(result) == set(DIMENSIONS)
    for dimension, score in result.items():
        assert score.value is None
        assert score.components == ()
        assert score.coverage.present == ()
        assert score.coverage.missing == tuple(rule.key for rule in SCORE_RULES[dimension])
        assert strength(score) is None


def test_scores_refuse_duplicates_and_nan():
    with pytest.raises(ValueError, match="twice"):
        scores([indicator("green_asset_share", 0.1), indicator("green_asset_share", 0.2)])
    with pytest.raises(ValueError, match="not a number"):
        scores([indicator("green_asset_share", math.nan)])


@pytest.mark.parametrize(
    ("value", "expected"),
    [(100.0, "strong"), (60.0, "strong"), (59.99, "moderate"), (50.0, "moderate"),
     (40.01, "moderate"), (40.0, "weak"), (0.0, "weak"), (None, None)],
)
def test_strength_thresholds(value, expected):
    assert strength(value) == expected
    assert strength(Score("social", value, (), Coverage((), ()))) == expected


def test_score_table_agrees_with_indicator_definitions():
    for dimension, rules in SCORE_RULES.items():
        assert sum(rule.weight for rule in rules) == 1
        for rule in rules:
            assert INDICATORS[rule.key].dimension == dimension
            assert rule.zero_at < rule.hundred_at
    scored = {rule.key for rules in SCORE_RULES.values() for rule in rules}
    assert scored == set(INDICATORS)


finite_or_none = st.none() | st.floats(allow_nan=False, allow_infinity=True)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({key: finite_or_none for key in INDICATORS}))
def test_scores_always_lie_within_0_and_100_or_are_none(values):
    result = scores([indicator(key, value) for key, value in values.items()])
    for dimension, score in result.items():
        present = [r.key for r in SCORE_RULES[dimension] if values[r.key] is not None]
        assert list(score.coverage.present) == present
        if not present:
            assert score.value is None
            continue
        assert 0 <= score.value <= 100
        assert all(0 <= c.score <= 100 for c in score.components)
        assert sum(c.weight for c in score.components) == approx(1.0)


amounts = st.decimals(min_value=0, max_value=10**9, places=2)
optional_amounts = st.none() | amounts


@st.composite
def deals(draw):
    people = []
    for issuer_id in range(draw(st.integers(0, 3))):
        years = [
            YearFigures(year, draw(optional_amounts), draw(optional_amounts),
                        draw(st.none() | st.integers(0, 10**6)), draw(optional_amounts))
            for year in (2022, 2024)
        ]
        people.append(beneficiary(
            issuer_id=issuer_id, name=f"B{issuer_id}",
            issuer_type=draw(st.sampled_from(["sme", "large", ""])),
            province=draw(st.sampled_from(["CN-SC", "CN-GD", ""])),
            years=years, financing=draw(st.decimals(min_value=D("0.01"), max_value=10**9,
                                                    places=2)),
        ))
    pool = draw(amounts)
    rate = st.none() | st.decimals(min_value=0, max_value=1, places=4)
    return deal(*people, country=draw(st.sampled_from(["CN", "US"])),
                issue_year=draw(st.none() | st.just(2023)), senior_coupon=draw(rate),
                sme_loan_rate=draw(rate), industry_employment_growth=draw(rate),
                pool_value=pool, green_pool_value=pool * draw(st.sampled_from(
                    [D(0), D("0.5"), D(1)])))


@settings(max_examples=150, deadline=None)
@given(deals())
def test_any_deal_gives_bounded_scores_and_explains_every_none(facts):
    result = deal_indicators(facts, CENTRAL_WESTERN)
    for item in (*result.indicators, *(i for o in result.observations for i in o.indicators)):
        if item.value is None:
            assert item.missing, item.key
        if item.value is not None and item.unit == "fraction" and "share" in item.key:
            assert 0 <= item.value <= 1
    for score in scores(result.indicators).values():
        assert score.value is None or 0 <= score.value <= 100
    assert json.loads(json.dumps(result.as_json())) == result.as_json()


# --- JSON and determinism ----------------------------------------------------------------


def test_results_are_json_ready_and_deterministic():
    def run():
        result = deal_indicators(deal(alpha(), beta()), CENTRAL_WESTERN)
        return json.dumps({
            "deal": result.as_json(),
            "issuer": issuer_indicators(1, result.observations).as_json(),
            "scores": {d: s.as_json() for d, s in scores(result.indicators).items()},
        }, sort_keys=True, allow_nan=False)

    text = run()
    assert text == run()
    data = json.loads(text)
    assert data["scores"]["social"] == {
        "dimension": "social", "value": 60.0, "strength": "strong",
        "components": [
            {"key": "sme_financing_share", "value": 0.6, "score": 60.0, "weight": 0.5},
            {"key": "less_developed_region_share", "value": 0.6, "score": 60.0, "weight": 0.5},
        ],
        "coverage": {"present": ["sme_financing_share", "less_developed_region_share"],
                     "missing": []},
    }
    saving = data["deal"]["indicators"][3]
    assert saving == {"key": "financing_cost_saving_bp", "value": 250.0, "unit": "bp",
                      "sdg_targets": ["8.10", "9.3"], "dimension": "economic",
                      "inputs": {"sme_loan_rate": 0.065, "senior_coupon": 0.04},
                      "missing": []}


def test_exact_arithmetic_rounds_once():
    """1/3 of the financing: the share is the float nearest 1/3, not a sum of roundings."""
    facts = deal(alpha(financing=D(1)), beta(financing=D(2)))
    share = deal_indicators(facts, CENTRAL_WESTERN).indicator("sme_financing_share")
    assert share.value == float(Fraction(1, 3))


# --- Regions -----------------------------------------------------------------------------


def test_read_regions_on_the_reference_file():
    regions = read_regions(REGIONS_CSV.read_text(encoding="utf-8"))
    assert "CN-SC" in regions  # Sichuan, west
    assert "CN-HB" in regions  # Hubei, central
    assert "CN-NM" in regions  # Inner Mongolia, west
    assert "CN-GD" not in regions  # Guangdong, east
    assert "CN-BJ" not in regions  # Beijing, east
    assert "CN-LN" not in regions  # Liaoning, northeast: neither central nor west
    assert len(regions) == 18  # 6 central + 12 west


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code,region\nCN-SC,west\n", "columns"),
        ("province,name,region\nCN-SC,Sichuan,western\n", "not one of"),
        ("province,name,region\nCN-SC,Sichuan,west\ncn-sc,Sichuan,west\n", "twice"),
        ("province,name,region\n,Nowhere,west\n", "blank"),
    ],
)
def test_read_regions_refuses_a_malformed_file(text, message):
    with pytest.raises(ValueError, match=message):
        read_regions(text)


def test_read_regions_accepts_a_byte_order_mark_and_case():
    assert read_regions("\ufeffprovince,name,region\ncn-sc,Sichuan,West\n") == {"CN-SC"}
