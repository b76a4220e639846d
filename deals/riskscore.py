"""A deal's risk beyond the simulation: calibration of its inputs, the implied rating band of a
tranche, pool concentration, and the composite score with its explanation. Pure: plain data in,
plain data out.

Calibration (DESIGN 6.3 and the issue):
- volatility from the royalty receipts of the licences of the deal's pooled assets: receipts
  are summed per period end; with at least MIN_RECEIPT_PERIODS positive periods, the standard
  deviation of the log changes between consecutive periods, annualized by the periods' spacing
  (sigma x sqrt(periods per year)), clamped to [0.01, 2];
- obsolescence hazard from asset ages: the pooled assets' kind-mates in the registry each
  contribute the years from filing (or grant) to lapse, invalidation or today, and an event when
  they lapsed or were invalidated before their expiry; with at least MIN_EXPOSURE_YEARS of
  exposure the maximum-likelihood constant hazard is events / years, clamped to [0.001, 1];
- otherwise the documented defaults, DEFAULT_VOLATILITY and DEFAULT_HAZARD (the values of the
  DESIGN 6.3 example), and the snapshot says so.

Implied rating band: the tranche's simulated PD over the deal's life is annualized,
1 - (1 - PD)^(1 / years), and placed between the one-year average default rates by rating of
S&P Global Ratings' annual global corporate default and rating transition study (1981-2023
averages: AAA 0.00 %, AA 0.02 %, A 0.05 %, BBB 0.15 %, BB 0.60 %, B 3.2 %, CCC/C 26 %); the band
bounds are the geometric midpoints between neighbouring grades (BAND_UPPER_BOUNDS). A band is a
reading of the model, not a credit rating.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

DEFAULT_VOLATILITY = 0.25
DEFAULT_HAZARD = 0.02
MIN_RECEIPT_PERIODS = 4
MIN_EXPOSURE_YEARS = 20.0

# Upper bound of the annualized PD of each band, in order (the last band takes the rest).
BAND_UPPER_BOUNDS = (("AAA", 0.0001), ("AA", 0.0003), ("A", 0.0009), ("BBB", 0.003),
                     ("BB", 0.014), ("B", 0.09), ("CCC-D", 1.0))


@dataclass(frozen=True)
class Calibrated:
    value: float
    source: str  # "receipts", "asset ages" or "default"
    detail: str

    def as_json(self) -> dict:
        return {"value": self.value, "source": self.source, "detail": self.detail}


def calibrate_volatility(receipts: Iterable[tuple[date, float]]) -> Calibrated:
    """Annualized volatility of the pool's royalty receipts, or the default."""
    totals: dict[date, float] = {}
    for period_end, amount in receipts:
        totals[period_end] = totals.get(period_end, 0.0) + float(amount)
    periods = sorted((day, amount) for day, amount in totals.items() if amount > 0)
    if len(periods) < MIN_RECEIPT_PERIODS:
        return Calibrated(DEFAULT_VOLATILITY, "default",
                          f"{len(periods)} period(s) of royalty receipts; at least "
                          f"{MIN_RECEIPT_PERIODS} are needed")
    changes = [math.log(b / a) for (_, a), (_, b) in zip(periods, periods[1:], strict=False)]
    spacing = statistics.median((b - a).days for (a, _), (b, _) in
                                zip(periods, periods[1:], strict=False))
    per_year = 365.25 / max(spacing, 1)
    sigma = statistics.stdev(changes) * math.sqrt(per_year)
    value = min(max(sigma, 0.01), 2.0)
    return Calibrated(round(value, 6), "receipts",
                      f"{len(periods)} periods of receipts, about {per_year:.0f} a year")


@dataclass(frozen=True)
class Exposure:
    years: float
    ended_early: bool  # lapsed or invalidated before its expiry


def calibrate_hazard(exposures: Iterable[Exposure]) -> Calibrated:
    """Constant obsolescence hazard from how long kind-mates lived, or the default."""
    items = [e for e in exposures if e.years > 0]
    years = sum(e.years for e in items)
    events = sum(1 for e in items if e.ended_early)
    if years < MIN_EXPOSURE_YEARS:
        return Calibrated(DEFAULT_HAZARD, "default",
                          f"{years:.0f} asset-years observed; at least "
                          f"{MIN_EXPOSURE_YEARS:.0f} are needed")
    value = min(max(events / years, 0.001), 1.0)
    return Calibrated(round(value, 6), "asset ages",
                      f"{events} early lapse(s) or invalidation(s) in {years:.0f} asset-years "
                      f"of {len(items)} assets")


def annualized(pd: float, years: float) -> float:
    if years <= 0 or pd >= 1:
        return pd
    return 1 - (1 - pd) ** (1 / years)


def implied_band(pd: float, years: float) -> str:
    """The rating band whose one-year default rate brackets the tranche's annualized PD."""
    yearly = annualized(pd, years)
    for band, upper in BAND_UPPER_BOUNDS:
        if yearly <= upper:
            return band
    return BAND_UPPER_BOUNDS[-1][0]


def hhi(weights: Iterable[float]) -> float | None:
    """Herfindahl-Hirschman index of the weights' shares (0..1), None when nothing weighs."""
    values = [float(w) for w in weights if w and w > 0]
    total = sum(values)
    if not total:
        return None
    return sum((v / total) ** 2 for v in values)


# The composite score: each factor maps to risk points 0 (sound) .. 100 (alarming), and the
# score is their weighted mean over the factors that could be measured.
WEIGHTS = {
    "senior_expected_loss": 0.30,
    "collateral_coverage": 0.15,
    "beneficiary_concentration": 0.15,
    "valuation_dispersion": 0.10,
    "legal_life_mismatch": 0.15,
    "realized_performance": 0.15,
}


def _linear(value: float, good: float, bad: float) -> float:
    """0 points at `good`, 100 at `bad`, linear between, clamped."""
    share = (value - good) / (bad - good)
    return round(100 * min(max(share, 0.0), 1.0), 2)


@dataclass(frozen=True)
class Factor:
    key: str
    value: float | None
    points: float | None
    weight: float
    why: str

    def as_json(self) -> dict:
        return {"key": self.key, "value": self.value, "points": self.points,
                "weight": self.weight, "why": self.why}


def factors(*, senior_expected_loss: float | None, collateral_coverage: float | None,
            beneficiary_hhi: float | None, valuation_dispersion: float | None,
            legal_life_mismatch: float | None, missed_payments: int,
            defaulted: bool) -> list[Factor]:
    """Each factor's value, its risk points and why (None points: could not be measured)."""
    out = []

    def add(key, value, points, why):
        out.append(Factor(key, value, points, WEIGHTS[key], why))

    if senior_expected_loss is None:
        add("senior_expected_loss", None, None, "no simulation of the senior tranche")
    else:
        add("senior_expected_loss", senior_expected_loss,
            _linear(senior_expected_loss, 0.0, 0.10),
            f"the senior tranche loses {senior_expected_loss:.2%} of its balance on average "
            f"(0 points at 0 %, 100 at 10 % or more)")
    if collateral_coverage is None:
        add("collateral_coverage", None, None, "no pool value or no senior notes")
    else:
        add("collateral_coverage", collateral_coverage,
            _linear(collateral_coverage, 1.5, 0.8),
            f"the pool is worth {collateral_coverage:.2f} times the senior notes (0 points at "
            f"1.5 or more, 100 at 0.8 or less)")
    if beneficiary_hhi is None:
        add("beneficiary_concentration", None, None, "no financing recorded per beneficiary "
                                                     "or pool value")
    else:
        add("beneficiary_concentration", beneficiary_hhi, _linear(beneficiary_hhi, 0.1, 1.0),
            f"HHI by beneficiary {beneficiary_hhi:.2f} (0 points at 0.10 or less, 100 at 1: a "
            f"single beneficiary)")
    if valuation_dispersion is None:
        add("valuation_dispersion", None, None, "no pooled asset has two valuations in one "
                                                "currency")
    else:
        add("valuation_dispersion", valuation_dispersion,
            _linear(valuation_dispersion, 0.0, 0.6),
            f"appraisals of the pooled assets differ by {valuation_dispersion:.0%} on average "
            f"(0 points at 0 %, 100 at 60 % or more)")
    if legal_life_mismatch is None:
        add("legal_life_mismatch", None, None, "no legal final date or no pool value")
    else:
        add("legal_life_mismatch", legal_life_mismatch, _linear(legal_life_mismatch, 0.0, 1.0),
            f"{legal_life_mismatch:.0%} of the pool value expires before the legal final date")
    if defaulted:
        add("realized_performance", 1.0, 100.0, "the deal has defaulted")
    else:
        add("realized_performance", float(missed_payments), _linear(missed_payments, 0, 4),
            f"{missed_payments} missed payment(s) reported (25 points each, at most 100)")
    return out


def composite(items: Sequence[Factor]) -> tuple[float | None, str]:
    """The weighted mean of the measured factors' points, and a sentence saying what drove it."""
    measured = [f for f in items if f.points is not None]
    weight = sum(f.weight for f in measured)
    if not weight:
        return None, "No factor could be measured."
    score = round(sum(f.points * f.weight for f in measured) / weight, 1)
    driver = max(measured, key=lambda f: f.points * f.weight)
    missing = [f.key.replace("_", " ") for f in items if f.points is None]
    text = (f"Score {score:.0f} of 100 (higher is riskier), driven most by "
            f"{driver.key.replace('_', ' ')}: {driver.why}.")
    if missing:
        text += " Not measured, weights shared by the rest: " + ", ".join(missing) + "."
    return score, text
