"""Compute SDG indicators per beneficiary, deal and issuer, and score them by dimension.

The inputs are plain frozen dataclasses the caller fills from the database: a
:class:`DealFacts` per deal with its :class:`Beneficiary` enterprises (owners of pool assets
with a financing_amount above 0, DESIGN.md 6.4) and their :class:`YearFigures`. Nothing here
reads the database or settings, converts currencies or looks up benchmarks: the caller hands
in the SME loan rate and industry employment growth of the deal's country and issue year.

Indicators
----------
Per (deal, beneficiary) observation, y being the deal's issue year:

===================================  ========  ===============  =================================
key                                  unit      SDG targets      formula
===================================  ========  ===============  =================================
``rnd_intensity_change_pp``          pp        9.5              (R&D / revenue in y+1 - R&D /
                                                                revenue in y-1) x 100; both
                                                                revenues above 0
``employment_growth_excess``         fraction  8.5              employees(y+1) / employees(y-1)
                                                                - 1 - industry employment growth
                                                                (the benchmark over the same two
                                                                years); employees(y-1) above 0
``carbon_rnd_growth``                fraction  9.4, 13.2        carbon-reduction R&D(y+1) /
                                                                carbon-reduction R&D(y-1) - 1;
                                                                the y-1 figure above 0
``financing_cost_saving_bp``         bp        8.10, 9.3        (SME loan rate - senior coupon)
                                                                x 10,000, the deal's
``sme_financing_share``              fraction  8.3, 9.3         1 if the beneficiary is an SME,
                                                                else 0
``less_developed_region_share``      fraction  10.2             1 if the beneficiary sits in a
                                                                central or western province,
                                                                else 0; deals in China only
``green_asset_share``                fraction  9.4, 13.2        green pool value / pool value,
                                                                the deal's
===================================  ========  ===============  =================================

Per deal, the first three are plain means over the deal's observations, the two shares are
weighted by financing_amount (so ``sme_financing_share`` is financing to SMEs / all
financing, as in DESIGN 6.4), and the cost saving and green share are the deal's own.
Per issuer (:func:`issuer_indicators`), the first three are plain means over its
observations, the last four means weighted by the financing it received in each deal.
A mean leaves out observations that lack an input and says how many it counted
(``inputs["observed"]``, ``inputs["left_out"]``) and what they lacked (``missing``).

Dimensions and targets, and why:

* economic: R&D intensity (9.5 "increase research and development spending", whose
  indicator 9.5.1 is R&D as a share of GDP; R&D / revenue is its firm-level counterpart),
  employment and the financing cost saving. Employment growth serves 8.5 (full and
  productive employment); it is counted as economic because SDG 8 is "decent work and
  economic growth" and the market study, like DESIGN 6.4, reports job growth at issuers as an
  economic effect of the financing, next to R&D. The indicator measures how many jobs a
  financed firm adds relative to its industry, which is firm growth; who gets the jobs and on
  what terms, the social side of 8.5, is not measured. The cost saving is affordable credit
  (9.3) through wider access to financial services (8.10).
* social: who the financing reaches. SMEs (8.3 growth of micro, small and medium-sized
  enterprises "including through access to financial services"; 9.3 access of small-scale
  enterprises to financial services) and less developed regions (10.2 economic inclusion of
  all; the central and western provinces of reference/cn-regions.csv, which excludes the
  east and the northeast).
* environmental: carbon-reduction R&D and green assets. Both are clean technology, which
  9.4 names ("greater adoption of clean and environmentally sound technologies"), and
  climate-change mitigation, claimed under 13.2, whose indicator 13.2.2 is greenhouse gas
  emissions (13.2 is a national target: the indicators show a contribution to it, not the
  target's measure). 7.2 (renewable share of the energy mix) is not claimed for the green
  share: Y02/Y04S and the WIPO Green Inventory also cover transport, buildings, waste and
  agriculture, and the input does not isolate renewable-energy assets. 13.a (climate finance
  of developed countries under the UNFCCC) does not describe these deals.

Missing inputs
--------------
An indicator that cannot be computed has ``value`` None, never 0, and ``missing`` names
every absent input, e.g. ``"revenue 2022 of Alpha Ltd"``; a figure present but unusable says
so (``"revenue 2022 of Alpha Ltd above 0 (reported 0)"``). The employment benchmark is that
of the beneficiary's country (DESIGN 6.4); DealFacts carries the deal country's, so a
beneficiary of another country has no benchmark. The region share is None for a deal outside
China. Values are computed exactly (fractions) and rounded once to a float.

Scores
------
:func:`scores` maps each indicator linearly onto 0..100, clamped, and averages each
dimension's components with the weights of :data:`SCORE_RULES`, renormalized over the
components present. A dimension with no component present scores None, never 0.

=============  ================================  ======  ===========================
dimension      indicator                         weight  0 at .. 100 at
=============  ================================  ======  ===========================
economic       ``rnd_intensity_change_pp``       0.4     -5 pp .. +5 pp (0 pp -> 50)
economic       ``financing_cost_saving_bp``      0.3     -300 bp .. +300 bp
economic       ``employment_growth_excess``      0.3     -0.20 .. +0.20
social         ``sme_financing_share``           0.5     0 .. 1
social         ``less_developed_region_share``   0.5     0 .. 1
environmental  ``green_asset_share``             0.6     0 .. 1
environmental  ``carbon_rnd_growth``             0.4     -0.50 .. +0.50
=============  ================================  ======  ===========================

The ranges are centred on "no effect" and wide enough for the market study's figures to
land inside them (R&D intensity +2-5 pp -> 70-100; employment +15 % over industry -> 87.5;
IP ABS coupons of 4-7 % against SME credit at 6-10 %, a gap near 250 bp -> about 92;
carbon-reduction R&D +18 % -> 68). :func:`strength` reads a score as "strong" from
:data:`STRONG_FROM` (60) up, "weak" up to :data:`WEAK_UP_TO` (40), "moderate" between.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal, NamedTuple

__all__ = [
    "DIMENSIONS",
    "INDICATORS",
    "SCORE_RULES",
    "STRONG_FROM",
    "WEAK_UP_TO",
    "Beneficiary",
    "Component",
    "Coverage",
    "DealFacts",
    "DealIndicators",
    "Definition",
    "Indicator",
    "IssuerIndicators",
    "Observation",
    "Score",
    "ScoreRule",
    "YearFigures",
    "deal_indicators",
    "issuer_indicators",
    "observation_indicators",
    "read_regions",
    "scores",
    "strength",
]

Dimension = Literal["economic", "social", "environmental"]
Strength = Literal["strong", "moderate", "weak"]

DIMENSIONS: tuple[Dimension, ...] = ("economic", "social", "environmental")
CHINA = "CN"
SME = "sme"
# reference/cn-regions.csv names four regions; the less developed ones are these two.
LESS_DEVELOPED_REGIONS = frozenset({"central", "west"})
KNOWN_REGIONS = frozenset({"east", "central", "west", "northeast"})
STRONG_FROM = 60.0
WEAK_UP_TO = 40.0


@dataclasses.dataclass(frozen=True)
class Definition:
    """What an indicator measures: its unit, SDG targets and dimension."""

    unit: str
    sdg_targets: tuple[str, ...]
    dimension: Dimension


INDICATORS: dict[str, Definition] = {
    "rnd_intensity_change_pp": Definition("pp", ("9.5",), "economic"),
    "employment_growth_excess": Definition("fraction", ("8.5",), "economic"),
    "carbon_rnd_growth": Definition("fraction", ("9.4", "13.2"), "environmental"),
    "financing_cost_saving_bp": Definition("bp", ("8.10", "9.3"), "economic"),
    "sme_financing_share": Definition("fraction", ("8.3", "9.3"), "social"),
    "less_developed_region_share": Definition("fraction", ("10.2",), "social"),
    "green_asset_share": Definition("fraction", ("9.4", "13.2"), "environmental"),
}
# Averaged plainly over observations; the others are weighted by financing_amount.
_FIRM_KEYS = ("rnd_intensity_change_pp", "employment_growth_excess", "carbon_rnd_growth")


class ScoreRule(NamedTuple):
    """One component of a dimension score: its weight and the values scoring 0 and 100."""

    key: str
    weight: Fraction
    zero_at: Fraction
    hundred_at: Fraction


SCORE_RULES: dict[Dimension, tuple[ScoreRule, ...]] = {
    "economic": (
        ScoreRule("rnd_intensity_change_pp", Fraction("0.4"), Fraction(-5), Fraction(5)),
        ScoreRule("financing_cost_saving_bp", Fraction("0.3"), Fraction(-300), Fraction(300)),
        ScoreRule(
            "employment_growth_excess", Fraction("0.3"), Fraction("-0.2"), Fraction("0.2")
        ),
    ),
    "social": (
        ScoreRule("sme_financing_share", Fraction("0.5"), Fraction(0), Fraction(1)),
        ScoreRule("less_developed_region_share", Fraction("0.5"), Fraction(0), Fraction(1)),
    ),
    "environmental": (
        ScoreRule("green_asset_share", Fraction("0.6"), Fraction(0), Fraction(1)),
        ScoreRule("carbon_rnd_growth", Fraction("0.4"), Fraction("-0.5"), Fraction("0.5")),
    ),
}


# --- Inputs ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class YearFigures:
    """One fiscal year of an enterprise's figures; None is a figure not reported."""

    year: int
    revenue: Decimal | None = None
    rnd_expense: Decimal | None = None
    employees: int | None = None
    carbon_rnd_expense: Decimal | None = None


@dataclasses.dataclass(frozen=True)
class Beneficiary:
    """An enterprise owning pool assets of a deal, with the financing that reached it."""

    issuer_id: int | str
    name: str
    issuer_type: str
    country: str
    province: str
    years: Mapping[int, YearFigures]
    financing_amount: Decimal

    def __post_init__(self) -> None:
        if not self.financing_amount > 0:
            raise ValueError(
                f"{self.name}: a beneficiary receives a financing_amount above 0, "
                f"not {self.financing_amount}"
            )
        for year, figures in self.years.items():
            if figures.year != year:
                raise ValueError(f"{self.name}: figures of {figures.year} filed under {year}")


@dataclasses.dataclass(frozen=True)
class DealFacts:
    """A deal's terms, benchmarks, pool and beneficiaries, amounts in one currency."""

    deal_id: int | str
    issue_year: int | None
    country: str
    senior_coupon: Decimal | None
    sme_loan_rate: Decimal | None
    industry_employment_growth: Decimal | None
    pool_value: Decimal
    green_pool_value: Decimal
    beneficiaries: Sequence[Beneficiary] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.green_pool_value <= self.pool_value:
            raise ValueError(
                f"deal {self.deal_id}: green pool value {self.green_pool_value} must lie "
                f"between 0 and the pool value {self.pool_value}"
            )
        issuer_ids = [beneficiary.issuer_id for beneficiary in self.beneficiaries]
        if len(set(issuer_ids)) != len(issuer_ids):
            raise ValueError(f"deal {self.deal_id}: one observation per beneficiary, not more")


# --- Results -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Indicator:
    """One indicator value, with the inputs it used and the inputs it lacked."""

    key: str
    value: float | None
    unit: str
    sdg_targets: tuple[str, ...]
    dimension: Dimension
    inputs: Mapping[str, Any]
    missing: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "value": self.value,
            "unit": self.unit,
            "sdg_targets": list(self.sdg_targets),
            "dimension": self.dimension,
            "inputs": _json(self.inputs),
            "missing": list(self.missing),
        }


@dataclasses.dataclass(frozen=True)
class Observation:
    """The indicators of one (deal, beneficiary) pair, in the order of INDICATORS."""

    deal_id: int | str
    issuer_id: int | str
    name: str
    financing_amount: Decimal
    indicators: tuple[Indicator, ...]

    def indicator(self, key: str) -> Indicator:
        return _find(self.indicators, key)

    def as_json(self) -> dict[str, Any]:
        return {
            "deal_id": self.deal_id,
            "issuer_id": self.issuer_id,
            "name": self.name,
            "financing_amount": _json(self.financing_amount),
            "indicators": [indicator.as_json() for indicator in self.indicators],
        }


@dataclasses.dataclass(frozen=True)
class DealIndicators:
    """A deal's indicators and the observations of its beneficiaries they summarize."""

    deal_id: int | str
    indicators: tuple[Indicator, ...]
    observations: tuple[Observation, ...]

    def indicator(self, key: str) -> Indicator:
        return _find(self.indicators, key)

    def as_json(self) -> dict[str, Any]:
        return {
            "deal_id": self.deal_id,
            "indicators": [indicator.as_json() for indicator in self.indicators],
            "observations": [observation.as_json() for observation in self.observations],
        }


@dataclasses.dataclass(frozen=True)
class IssuerIndicators:
    """An issuer's indicators over the deals that financed it."""

    issuer_id: int | str
    indicators: tuple[Indicator, ...]
    deal_ids: tuple[int | str, ...]

    def indicator(self, key: str) -> Indicator:
        return _find(self.indicators, key)

    def as_json(self) -> dict[str, Any]:
        return {
            "issuer_id": self.issuer_id,
            "deal_ids": list(self.deal_ids),
            "indicators": [indicator.as_json() for indicator in self.indicators],
        }


class Component(NamedTuple):
    """A present indicator in a score: its value, its 0..100 score and its effective weight."""

    key: str
    value: float
    score: float
    weight: float  # renormalized over the components present; the weights sum to 1


class Coverage(NamedTuple):
    """The dimension's indicator keys that had a value, and those that had none."""

    present: tuple[str, ...]
    missing: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Score:
    """A dimension's 0..100 score, or None when none of its indicators has a value."""

    dimension: Dimension
    value: float | None
    components: tuple[Component, ...]
    coverage: Coverage

    def as_json(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "value": self.value,
            "strength": strength(self),
            "components": [component._asdict() for component in self.components],
            "coverage": {
                "present": list(self.coverage.present),
                "missing": list(self.coverage.missing),
            },
        }


# --- Per observation ---------------------------------------------------------------------

_FIGURE_LABELS = {
    "revenue": "revenue",
    "rnd_expense": "R&D expense",
    "employees": "employees",
    "carbon_rnd_expense": "carbon-reduction R&D expense",
}


def observation_indicators(
    deal: DealFacts, beneficiary: Beneficiary, central_western: frozenset[str]
) -> Observation:
    """Return the seven indicators as one beneficiary of the deal sees them."""
    return Observation(
        deal_id=deal.deal_id,
        issuer_id=beneficiary.issuer_id,
        name=beneficiary.name,
        financing_amount=beneficiary.financing_amount,
        indicators=(
            _rnd_intensity_change(deal, beneficiary),
            _employment_growth_excess(deal, beneficiary),
            _carbon_rnd_growth(deal, beneficiary),
            _financing_cost_saving(deal),
            _sme_share(beneficiary),
            _region_share(deal, beneficiary, central_western),
            _green_asset_share(deal),
        ),
    )


class _Reading:
    """Collects the inputs an indicator read and the ones it lacked."""

    def __init__(self) -> None:
        self.inputs: dict[str, Any] = {}
        self.missing: list[str] = []

    def figure(
        self, beneficiary: Beneficiary, year: int, field: str, *, positive: bool = False
    ) -> Fraction | None:
        figures = beneficiary.years.get(year)
        value = None if figures is None else getattr(figures, field)
        label = f"{_FIGURE_LABELS[field]} {year} of {beneficiary.name}"
        if value is None:
            self.missing.append(label)
            return None
        self.inputs[f"{field}_{year}"] = value
        if positive and not value > 0:
            self.missing.append(f"{label} above 0 (reported {value})")
            return None
        return Fraction(value)

    def given(self, name: str, value: Decimal | None, label: str) -> Fraction | None:
        if value is None:
            self.missing.append(label)
            return None
        self.inputs[name] = value
        return Fraction(value)

    def indicator(self, key: str, value: Fraction | None) -> Indicator:
        if self.missing:
            value = None
        return _indicator(key, value, self.inputs, self.missing)


def _indicator(
    key: str, value: Fraction | None, inputs: Mapping[str, Any], missing: Iterable[str]
) -> Indicator:
    definition = INDICATORS[key]
    return Indicator(
        key=key,
        value=None if value is None else float(value),
        unit=definition.unit,
        sdg_targets=definition.sdg_targets,
        dimension=definition.dimension,
        inputs=dict(inputs),
        missing=tuple(dict.fromkeys(missing)),
    )


def _no_issue_year(key: str, deal: DealFacts) -> Indicator:
    return _indicator(key, None, {}, [f"issue year of deal {deal.deal_id}"])


def _rnd_intensity_change(deal: DealFacts, beneficiary: Beneficiary) -> Indicator:
    key = "rnd_intensity_change_pp"
    if deal.issue_year is None:
        return _no_issue_year(key, deal)
    reading = _Reading()
    intensities = []
    for year in (deal.issue_year - 1, deal.issue_year + 1):
        rnd = reading.figure(beneficiary, year, "rnd_expense")
        revenue = reading.figure(beneficiary, year, "revenue", positive=True)
        if rnd is not None and revenue is not None:
            intensities.append(rnd / revenue)
    if len(intensities) < 2:
        return reading.indicator(key, None)
    before, after = intensities
    return reading.indicator(key, (after - before) * 100)


def _employment_growth_excess(deal: DealFacts, beneficiary: Beneficiary) -> Indicator:
    key = "employment_growth_excess"
    if deal.issue_year is None:
        return _no_issue_year(key, deal)
    year = deal.issue_year
    reading = _Reading()
    before = reading.figure(beneficiary, year - 1, "employees", positive=True)
    after = reading.figure(beneficiary, year + 1, "employees")
    benchmark = _employment_benchmark(deal, beneficiary, reading)
    if before is None or after is None or benchmark is None:
        return reading.indicator(key, None)
    return reading.indicator(key, after / before - 1 - benchmark)


def _employment_benchmark(
    deal: DealFacts, beneficiary: Beneficiary, reading: _Reading
) -> Fraction | None:
    """Return the benchmark of the beneficiary's country, which DealFacts has for its own."""
    country = _code(beneficiary.country)
    if not country:
        reading.missing.append(f"country of {beneficiary.name}")
        return None
    label = f"industry employment growth benchmark of {country} {deal.issue_year}"
    if country != _code(deal.country):
        reading.missing.append(label)
        return None
    reading.inputs["benchmark_country"] = country
    return reading.given("industry_employment_growth", deal.industry_employment_growth, label)


def _carbon_rnd_growth(deal: DealFacts, beneficiary: Beneficiary) -> Indicator:
    key = "carbon_rnd_growth"
    if deal.issue_year is None:
        return _no_issue_year(key, deal)
    year = deal.issue_year
    reading = _Reading()
    before = reading.figure(beneficiary, year - 1, "carbon_rnd_expense", positive=True)
    after = reading.figure(beneficiary, year + 1, "carbon_rnd_expense")
    if before is None or after is None:
        return reading.indicator(key, None)
    return reading.indicator(key, after / before - 1)


def _financing_cost_saving(deal: DealFacts) -> Indicator:
    reading = _Reading()
    if deal.sme_loan_rate is None and deal.issue_year is None:
        reading.missing.append(f"issue year of deal {deal.deal_id}")
        sme_loan_rate = None
    else:
        country = _code(deal.country) or f"the country of deal {deal.deal_id}"
        sme_loan_rate = reading.given(
            "sme_loan_rate",
            deal.sme_loan_rate,
            f"SME loan rate benchmark of {country} {deal.issue_year}",
        )
    senior_coupon = reading.given(
        "senior_coupon", deal.senior_coupon, f"senior coupon of deal {deal.deal_id}"
    )
    if sme_loan_rate is None or senior_coupon is None:
        return reading.indicator("financing_cost_saving_bp", None)
    return reading.indicator("financing_cost_saving_bp", (sme_loan_rate - senior_coupon) * 10_000)


def _sme_share(beneficiary: Beneficiary) -> Indicator:
    reading = _Reading()
    issuer_type = (beneficiary.issuer_type or "").strip().lower()
    if not issuer_type:
        reading.missing.append(f"issuer type of {beneficiary.name}")
        return reading.indicator("sme_financing_share", None)
    reading.inputs["issuer_type"] = issuer_type
    return reading.indicator("sme_financing_share", Fraction(int(issuer_type == SME)))


def _region_share(
    deal: DealFacts, beneficiary: Beneficiary, central_western: frozenset[str]
) -> Indicator:
    key = "less_developed_region_share"
    reading = _Reading()
    if (reason := _outside_china(deal)) is not None:
        reading.missing.append(reason)
        return reading.indicator(key, None)
    province = _code(beneficiary.province)
    if not province:
        reading.missing.append(f"province of {beneficiary.name}")
        return reading.indicator(key, None)
    reading.inputs["province"] = province
    return reading.indicator(key, Fraction(int(province in central_western)))


def _outside_china(deal: DealFacts) -> str | None:
    """Return why the region share does not apply to the deal, or None when it does."""
    country = _code(deal.country)
    if not country:
        return f"country of deal {deal.deal_id}"
    if country != CHINA:
        return f"deal {deal.deal_id} is in {country}, not CN: the region share covers China only"
    return None


def _green_asset_share(deal: DealFacts) -> Indicator:
    reading = _Reading()
    reading.inputs.update(green_pool_value=deal.green_pool_value, pool_value=deal.pool_value)
    if not deal.pool_value > 0:
        reading.missing.append(
            f"pool value of deal {deal.deal_id} above 0 (reported {deal.pool_value})"
        )
        return reading.indicator("green_asset_share", None)
    share = Fraction(deal.green_pool_value) / Fraction(deal.pool_value)
    return reading.indicator("green_asset_share", share)


def _code(value: str | None) -> str:
    return (value or "").strip().upper()


# --- Per deal and per issuer -------------------------------------------------------------


def deal_indicators(deal: DealFacts, central_western: frozenset[str]) -> DealIndicators:
    """Return the deal's seven indicators and the observation of each beneficiary."""
    observations = tuple(
        observation_indicators(deal, beneficiary, central_western)
        for beneficiary in deal.beneficiaries
    )
    nobody = f"financing to beneficiaries of deal {deal.deal_id}"
    region_reason = _outside_china(deal)
    indicators = (
        *(_mean(key, observations, weighted=False, nobody=nobody) for key in _FIRM_KEYS),
        _financing_cost_saving(deal),
        _mean("sme_financing_share", observations, weighted=True, nobody=nobody),
        (
            _indicator("less_developed_region_share", None, {}, [region_reason])
            if region_reason is not None
            else _mean("less_developed_region_share", observations, weighted=True, nobody=nobody)
        ),
        _green_asset_share(deal),
    )
    return DealIndicators(deal_id=deal.deal_id, indicators=indicators, observations=observations)


def issuer_indicators(
    issuer_id: int | str, observations: Iterable[Observation]
) -> IssuerIndicators:
    """Summarize the issuer's observations; observations of other issuers are left aside.

    The firm indicators (R&D intensity, employment, carbon-reduction R&D) are plain means over
    the issuer's deals; the cost saving and the shares are weighted by the financing the issuer
    received in each deal.
    """
    own = tuple(observation for observation in observations if observation.issuer_id == issuer_id)
    deal_ids = tuple(observation.deal_id for observation in own)
    if len(set(deal_ids)) != len(deal_ids):
        raise ValueError(f"issuer {issuer_id}: one observation per deal, not more")
    nobody = f"financing to issuer {issuer_id} through any deal"
    indicators = tuple(
        _mean(key, own, weighted=key not in _FIRM_KEYS, nobody=nobody) for key in INDICATORS
    )
    return IssuerIndicators(issuer_id=issuer_id, indicators=indicators, deal_ids=deal_ids)


def _mean(
    key: str, observations: Sequence[Observation], *, weighted: bool, nobody: str
) -> Indicator:
    """Average one indicator over observations, weighting each by its financing or not."""
    if not observations:
        return _indicator(key, None, {"observed": 0, "left_out": 0}, [nobody])
    total = weights = Fraction(0)
    counted_financing = Decimal(0)
    missing: list[str] = []
    values = []
    for observation in observations:
        indicator = observation.indicator(key)
        values.append({
            "deal_id": observation.deal_id,
            "issuer_id": observation.issuer_id,
            "value": indicator.value,
            "financing_amount": observation.financing_amount,
        })
        if indicator.value is None:
            missing.extend(indicator.missing)
            continue
        weight = Fraction(observation.financing_amount) if weighted else Fraction(1)
        total += weight * Fraction(indicator.value)
        weights += weight
        counted_financing += observation.financing_amount
    observed = sum(1 for entry in values if entry["value"] is not None)
    inputs: dict[str, Any] = {
        "observed": observed,
        "left_out": len(values) - observed,
        "weighted_by": "financing_amount" if weighted else "observation",
    }
    if weighted:
        all_financing = sum(
            (observation.financing_amount for observation in observations), Decimal(0)
        )
        inputs["financing_counted"] = counted_financing
        inputs["financing_left_out"] = all_financing - counted_financing
    inputs["values"] = values
    return _indicator(key, total / weights if weights else None, inputs, missing)


# --- Scores ------------------------------------------------------------------------------


def scores(indicators: Iterable[Indicator]) -> dict[Dimension, Score]:
    """Score each dimension 0..100 from the indicators given (see SCORE_RULES).

    Keys outside SCORE_RULES are ignored; an indicator given twice is an error, as is a NaN.
    """
    by_key: dict[str, Indicator] = {}
    for indicator in indicators:
        if indicator.key in by_key:
            raise ValueError(f"indicator {indicator.key} given twice")
        by_key[indicator.key] = indicator
    return {dimension: _score(dimension, by_key) for dimension in DIMENSIONS}


def _score(dimension: Dimension, by_key: Mapping[str, Indicator]) -> Score:
    rules = SCORE_RULES[dimension]
    present = []
    missing = []
    for rule in rules:
        indicator = by_key.get(rule.key)
        if indicator is None or indicator.value is None:
            missing.append(rule.key)
            continue
        if math.isnan(indicator.value):
            raise ValueError(f"indicator {rule.key} is not a number")
        present.append((rule, indicator.value, _component_score(rule, indicator.value)))
    coverage = Coverage(
        present=tuple(rule.key for rule, _value, _score in present), missing=tuple(missing)
    )
    if not present:
        return Score(dimension=dimension, value=None, components=(), coverage=coverage)
    total_weight = sum((rule.weight for rule, _value, _score in present), Fraction(0))
    value = sum(
        (rule.weight * score for rule, _value, score in present), Fraction(0)
    ) / total_weight
    components = tuple(
        Component(rule.key, indicator_value, float(score), float(rule.weight / total_weight))
        for rule, indicator_value, score in present
    )
    return Score(
        dimension=dimension, value=float(value), components=components, coverage=coverage
    )


def _component_score(rule: ScoreRule, value: float) -> Fraction:
    """Map value linearly so zero_at -> 0 and hundred_at -> 100, clamped to 0..100."""
    if math.isinf(value):
        return Fraction(100 if value > 0 else 0)
    mapped = (Fraction(value) - rule.zero_at) / (rule.hundred_at - rule.zero_at) * 100
    return min(max(mapped, Fraction(0)), Fraction(100))


def strength(score: Score | float | None) -> Strength | None:
    """Read a score as "strong" (>= 60), "weak" (<= 40) or "moderate"; None stays None."""
    value = score.value if isinstance(score, Score) else score
    if value is None:
        return None
    if value >= STRONG_FROM:
        return "strong"
    if value <= WEAK_UP_TO:
        return "weak"
    return "moderate"


# --- Regions -----------------------------------------------------------------------------


def read_regions(text: str) -> frozenset[str]:
    """Return the province codes of the central and west regions from cn-regions.csv text."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    columns = set(reader.fieldnames or ())
    if not {"province", "region"} <= columns:
        raise ValueError("cn-regions.csv needs the columns province and region")
    seen: set[str] = set()
    less_developed = set()
    for row in reader:
        line = reader.line_num
        province = _code(row["province"])
        region = (row["region"] or "").strip().lower()
        if not province:
            raise ValueError(f"line {line}: province is blank")
        if province in seen:
            raise ValueError(f"line {line}: province {province} listed twice")
        if region not in KNOWN_REGIONS:
            expected = ", ".join(sorted(KNOWN_REGIONS))
            raise ValueError(f"line {line}: region {region!r} is not one of {expected}")
        seen.add(province)
        if region in LESS_DEVELOPED_REGIONS:
            less_developed.add(province)
    return frozenset(less_developed)


# --- Helpers -----------------------------------------------------------------------------


def _find(indicators: Iterable[Indicator], key: str) -> Indicator:
    for indicator in indicators:
        if indicator.key == key:
            return indicator
    raise KeyError(key)


def _json(value: Any) -> Any:
    """Return value with Decimals and Fractions as floats, tuples as lists, keys as text."""
    if isinstance(value, bool) or value is None or isinstance(value, int | float | str):
        return value
    if isinstance(value, Decimal | Fraction):
        return float(value)
    if isinstance(value, Mapping):
        return {str(key): _json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    raise TypeError(f"no JSON form for {type(value).__name__}")
