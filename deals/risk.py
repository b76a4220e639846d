"""Monte Carlo risk of a securitization: the waterfall of 6.2 run on many collection paths.

The contract is DESIGN.md section 6.3. A path scales each scheduled collection by a level,
L_0 = 1 and L_t = L_{t-1} x exp(sigma sqrt(dt) Z_t - sigma^2 dt / 2) with dt = 1 /
periods_per_year, so period 1 already collects scheduled x L_1. In every period the IP becomes
obsolete with probability 1 - exp(-h dt); obsolescence in period t zeroes the collection of
period t itself and of every later period (the IP dies during the period, before its
collection, so a path collects in period t exactly when it survives to t x dt, probability
exp(-h t dt)). Each path then runs the steps of :mod:`deals.waterfall` unchanged.

Randomness: ``numpy.random.default_rng(seed)`` draws, before anything runs, first every Z as
one standard-normal array of shape (periods, paths), then every obsolescence uniform U in
[0, 1) as one array of the same shape; period t of a path is obsolete when U_t < 1 - exp(-h dt).
Both are always drawn, whatever sigma and h are, so one seed gives the same Z and U to every
volatility and hazard (common random numbers), and :func:`simulate_spec` and
:func:`simulate_loop` see identical paths.

Per tranche, loss = ending balance + unpaid interest after the last period, as in 6.2:

* ``pd``: the share of paths whose loss exceeds 0.005 (half a cent);
* ``mean_loss``: the mean loss, an amount in the deal's currency;
* ``expected_loss``: mean_loss / initial balance (0 for a tranche of balance 0, which cannot
  lose anything); above 1 when unpaid interest adds to a balance lost in full;
* ``loss_quantiles``: the 50th, 95th and 99th percentile of the loss as amounts in the deal's
  currency (not fractions of the balance; divide by ``initial_balance`` for those), each the
  nearest-rank percentile, i.e. the loss of an actual path (NumPy's "inverted_cdf").

:func:`simulate_spec` is the engine: NumPy arrays of shape (paths,) hold every path's balances,
arrears and reserve, and each step of each period is applied to all paths at once, in binary
floats. :func:`simulate_loop` runs the same paths one by one through the exact-decimal
:func:`deals.waterfall.run_period`; it is the baseline the engine is timed and checked against.
With volatility 0 and hazard 0 every path is the deterministic run of 6.2.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from deals.waterfall import (
    Action,
    PrincipalMode,
    WaterfallInputError,
    WaterfallSpec,
    initial_state,
    parse_request,
    run_period,
)

__all__ = [
    "PathOutcomes",
    "SimulationResult",
    "TrancheRisk",
    "simulate",
    "simulate_loop",
    "simulate_spec",
]

MAX_PATHS = 100_000
MAX_SEED = 2**63 - 1  # fits a signed 64-bit column, where a stored snapshot keeps its seed
MAX_VOLATILITY = 5.0
MAX_HAZARD = 5.0
# Z and U are drawn whole before the run: 20 million cells of each take 320 MB together.
MAX_DRAWS = 20_000_000
LOSS_THRESHOLD = 0.005
QUANTILES = {"50": 0.50, "95": 0.95, "99": 0.99}

_SIMULATION_KEYS = ("paths", "seed", "volatility", "obsolescence_hazard")


@dataclass(frozen=True)
class PathOutcomes:
    """Every path's end: float arrays of shape (paths,), by tranche where keyed by name."""

    losses: Mapping[str, np.ndarray]  # ending balance + unpaid interest
    unpaid_interest: Mapping[str, np.ndarray]
    collected: np.ndarray  # the path's collections over all periods, after level and obsolescence
    paid_out: np.ndarray  # fees, interest, principal and excess paid on the path
    reserve_end: np.ndarray


@dataclass(frozen=True)
class TrancheRisk:
    """One tranche's loss distribution over the paths."""

    initial_balance: float
    pd: float
    expected_loss: float  # mean_loss / initial_balance
    mean_loss: float
    loss_quantiles: Mapping[str, float]  # amounts, keyed "50", "95", "99"


@dataclass(frozen=True)
class SimulationResult:
    """The answer of a simulation and the path outcomes behind it."""

    paths: int
    seed: int
    periods: int
    volatility: float
    obsolescence_hazard: float
    tranches: Mapping[str, TrancheRisk]
    outcomes: PathOutcomes

    def as_json(self) -> dict[str, Any]:
        """Return the answer of DESIGN 6.3 as JSON-ready data."""
        return {
            "tranches": {
                name: {
                    "pd": risk.pd,
                    "expected_loss": risk.expected_loss,
                    "loss_quantiles": dict(risk.loss_quantiles),
                    "mean_loss": risk.mean_loss,
                    "initial_balance": risk.initial_balance,
                }
                for name, risk in self.tranches.items()
            },
            "paths": self.paths,
            "seed": self.seed,
            "periods": self.periods,
            "volatility": self.volatility,
            "obsolescence_hazard": self.obsolescence_hazard,
        }


# --- Request ---------------------------------------------------------------------------------


def simulate(request: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a simulation request (the waterfall body plus "simulation"); return its answer."""
    spec = parse_request(request)
    return simulate_spec(spec, **_settings(request)).as_json()


def _settings(request: Mapping[str, Any]) -> dict[str, Any]:
    """Return the keyword arguments of simulate_spec from the request's "simulation" object."""
    if "simulation" not in request:
        raise WaterfallInputError("simulation", "is required")
    simulation = request["simulation"]
    if not isinstance(simulation, dict):
        raise WaterfallInputError("simulation", "must be a JSON object")
    for key in simulation:
        if key not in _SIMULATION_KEYS:
            expected = ", ".join(_SIMULATION_KEYS)
            raise WaterfallInputError(f"simulation.{key}", f"unknown field; expected {expected}")
    for key in _SIMULATION_KEYS:
        if key not in simulation:
            raise WaterfallInputError(f"simulation.{key}", "is required")
    return {
        "paths": simulation["paths"],
        "seed": simulation["seed"],
        "volatility": simulation["volatility"],
        "hazard": simulation["obsolescence_hazard"],
    }


def _check_settings(
    spec: WaterfallSpec, paths: Any, seed: Any, volatility: Any, hazard: Any
) -> tuple[float, float]:
    """Fail naming the bad simulation field; return volatility and hazard as floats."""
    if not _is_whole(paths) or not 1 <= paths <= MAX_PATHS:
        raise WaterfallInputError("simulation.paths", f"must be a whole number, 1 to {MAX_PATHS:,}")
    if paths * len(spec.collections) > MAX_DRAWS:
        raise WaterfallInputError(
            "simulation.paths", f"paths x periods must not exceed {MAX_DRAWS:,}"
        )
    if not _is_whole(seed) or not 0 <= seed <= MAX_SEED:
        raise WaterfallInputError("simulation.seed", "must be a whole number, 0 to 2**63 - 1")
    return (
        _bounded(volatility, "simulation.volatility", MAX_VOLATILITY),
        _bounded(hazard, "simulation.obsolescence_hazard", MAX_HAZARD),
    )


def _is_whole(value: Any) -> bool:
    """Return whether value is an integer (true is not a number in JSON)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _bounded(value: Any, field: str, maximum: float) -> float:
    """Return a number from 0 to maximum as a float."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise WaterfallInputError(field, "must be a number")
    number = float(value)
    if not math.isfinite(number) or not 0 <= number <= maximum:
        raise WaterfallInputError(field, f"must be a number from 0 to {maximum:g}")
    return number


# --- Paths -----------------------------------------------------------------------------------


def _path_collections(
    spec: WaterfallSpec, *, paths: int, seed: int, volatility: float, hazard: float
) -> np.ndarray:
    """Return every path's collection in every period, shape (periods, paths)."""
    periods = len(spec.collections)
    rng = np.random.default_rng(seed)
    levels = rng.standard_normal((periods, paths))
    uniforms = rng.random((periods, paths))
    dt = 1 / spec.periods_per_year
    # In place, to spare the memory and time of temporaries this size: the log-level steps,
    # -inf from obsolescence on (which the sum carries to every later period and exp turns
    # into a collection of exactly 0), their running sum, the level, the collection.
    levels *= volatility * math.sqrt(dt)
    levels -= volatility**2 * dt / 2
    np.copyto(levels, -np.inf, where=uniforms < -math.expm1(-hazard * dt))
    # A running sum row by row: ten times faster than np.cumsum along the first axis.
    for period in range(1, periods):
        levels[period] += levels[period - 1]
    np.exp(levels, out=levels)
    levels *= np.array([float(collection) for collection in spec.collections])[:, np.newaxis]
    return levels


# --- Vectorized engine -----------------------------------------------------------------------


def simulate_spec(
    spec: WaterfallSpec, *, paths: int, seed: int, volatility: float, hazard: float
) -> SimulationResult:
    """Simulate a parsed waterfall on all paths at once."""
    volatility, hazard = _check_settings(spec, paths, seed, volatility, hazard)
    collections = _path_collections(
        spec, paths=paths, seed=seed, volatility=volatility, hazard=hazard
    )
    book = _Paths(spec, paths)
    last = len(collections) - 1
    for index, collection in enumerate(collections):
        book.run_period(collection, is_last=index == last)
    outcomes = book.outcomes(collections)
    return _result(spec, outcomes, seed=seed, volatility=volatility, hazard=hazard)


class _Paths:
    """Every path's balances, arrears and reserve, rows by tranche or fee and columns by path.

    Each step method does what its namesake in deals.waterfall._Period does, on all paths at
    once; pay_principal is split by mode.
    """

    def __init__(self, spec: WaterfallSpec, paths: int):
        self.spec = spec
        self.tranche_row = {tranche.name: row for row, tranche in enumerate(spec.tranches)}
        self.fee_row = {fee.name: row for row, fee in enumerate(spec.fees)}
        opening = np.array([float(tranche.balance) for tranche in spec.tranches])
        self.balances = np.repeat(opening[:, np.newaxis], paths, axis=1)
        self.period_rates = np.array(
            [float(tranche.rate) / spec.periods_per_year for tranche in spec.tranches]
        )[:, np.newaxis]
        self.per_period_fees = np.array([float(fee.per_period) for fee in spec.fees])[:, np.newaxis]
        self.target = float(spec.reserve.target)
        self.interest_owed = np.zeros_like(self.balances)
        self.fees_owed = np.zeros((len(spec.fees), paths))
        self.reserve = np.full(paths, float(spec.reserve.initial))
        self.paid_out = np.zeros(paths)
        self.available = np.zeros(paths)

    def run_period(self, collection: np.ndarray, *, is_last: bool) -> None:
        """Run every step on this period's collections; sweep unused cash into the reserve."""
        self.available = collection.copy()
        # What stays owed at the end of a period is the arrears of the next.
        self.interest_owed = self.balances * self.period_rates + self.interest_owed
        self.fees_owed = self.per_period_fees + self.fees_owed
        for step in self.spec.steps:
            match step.action:
                case Action.PAY_FEES:
                    self._pay_claims([self.fee_row[name] for name in step.names], self.fees_owed)
                case Action.PAY_INTEREST:
                    rows = [self.tranche_row[name] for name in step.names]
                    self._pay_claims(rows, self.interest_owed)
                case Action.FUND_RESERVE:
                    self._fund_reserve(is_last=is_last)
                case Action.PAY_PRINCIPAL:
                    rows = [self.tranche_row[name] for name in step.names]
                    if step.mode is PrincipalMode.PRO_RATA:
                        self._pay_principal_pro_rata(rows)
                    else:
                        self._pay_principal_sequential(rows)
                case Action.PAY_RESIDUAL:
                    self._pay_residual(self.tranche_row[step.names[0]])
        self.reserve += self.available

    def outcomes(self, collections: np.ndarray) -> PathOutcomes:
        """Return every path's losses and cash after the last period."""
        losses = self.balances + self.interest_owed
        return PathOutcomes(
            losses={name: losses[row] for name, row in self.tranche_row.items()},
            unpaid_interest={
                name: self.interest_owed[row] for name, row in self.tranche_row.items()
            },
            collected=collections.sum(axis=0),
            paid_out=self.paid_out,
            reserve_end=self.reserve,
        )

    def _pay_claims(self, rows: list[int], owed: np.ndarray) -> None:
        """Pay fees or interest owed from available, then the reserve, pro rata when short."""
        if len(rows) == 1:
            # One claim takes all that is paid; no division, so a settled claim is exactly 0.
            claim = owed[rows[0]]
            from_available = np.minimum(claim, self.available)
            self.available -= from_available
            claim -= from_available
            from_reserve = np.minimum(claim, self.reserve)
            self.reserve -= from_reserve
            claim -= from_reserve
            self.paid_out += from_available
            self.paid_out += from_reserve
            return
        claims = owed[rows]
        total = claims.sum(axis=0)
        from_available = np.minimum(total, self.available)
        self.available -= from_available
        from_reserve = np.minimum(total - from_available, self.reserve)
        self.reserve -= from_reserve
        paid = _pro_rata(claims, total, from_available + from_reserve)
        owed[rows] = claims - paid
        self.paid_out += paid.sum(axis=0)

    def _fund_reserve(self, *, is_last: bool) -> None:
        """Top the reserve up to target from available; in the last period, release it all."""
        if is_last:
            self.available += self.reserve
            self.reserve = np.zeros_like(self.reserve)
            return
        moved = np.clip(self.target - self.reserve, 0.0, None)
        np.minimum(moved, self.available, out=moved)
        self.available -= moved
        self.reserve += moved

    def _pay_principal_sequential(self, rows: list[int]) -> None:
        """Pay balances from available in the listed order."""
        for row in rows:
            amount = np.minimum(self.balances[row], self.available)
            self.available -= amount
            self.balances[row] -= amount
            self.paid_out += amount

    def _pay_principal_pro_rata(self, rows: list[int]) -> None:
        """Pay balances from available in proportion to them."""
        claims = self.balances[rows]
        total = claims.sum(axis=0)
        amount = np.minimum(total, self.available)
        self.available -= amount
        paid = _pro_rata(claims, total, amount)
        self.balances[rows] = claims - paid
        self.paid_out += paid.sum(axis=0)

    def _pay_residual(self, row: int) -> None:
        """Pay all that is left to one tranche: principal up to its balance, then excess."""
        principal = np.minimum(self.balances[row], self.available)
        self.balances[row] -= principal
        self.paid_out += self.available
        self.available = np.zeros_like(self.available)


def _pro_rata(claims: np.ndarray, total: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Split amount over the claims (rows) in proportion to them, never more than a claim."""
    # Where the amount covers the total the claims are paid exactly, as in deals.waterfall;
    # elsewhere amount < total, so total > 0.
    covered = amount >= total
    share = np.divide(amount, total, out=np.zeros_like(total), where=~covered)
    return np.where(covered, claims, np.minimum(claims, claims * share))


# --- Path-by-path baseline -------------------------------------------------------------------


def simulate_loop(
    spec: WaterfallSpec, *, paths: int, seed: int, volatility: float, hazard: float
) -> SimulationResult:
    """Simulate the same paths one at a time through the exact-decimal waterfall."""
    volatility, hazard = _check_settings(spec, paths, seed, volatility, hazard)
    collections = _path_collections(
        spec, paths=paths, seed=seed, volatility=volatility, hazard=hazard
    )
    names = [tranche.name for tranche in spec.tranches]
    losses = {name: np.empty(paths) for name in names}
    unpaid_interest = {name: np.empty(paths) for name in names}
    paid_out = np.empty(paths)
    reserve_end = np.empty(paths)
    for path in range(paths):
        state = initial_state(spec)
        paid = Decimal(0)
        for index in range(len(spec.collections)):
            # Decimal of a float is exact, so both engines start from the same collections.
            collection = Decimal(float(collections[index, path]))
            state, report = run_period(spec, state, index, collection)
            paid += sum(report.fees_paid.values(), Decimal(0))
            for tranche in report.tranches.values():
                paid += tranche.interest_paid + tranche.principal_paid + tranche.excess
        for name in names:
            losses[name][path] = state.balances[name] + state.unpaid_interest[name]
            unpaid_interest[name][path] = state.unpaid_interest[name]
        paid_out[path] = paid
        reserve_end[path] = state.reserve
    outcomes = PathOutcomes(
        losses=losses,
        unpaid_interest=unpaid_interest,
        collected=collections.sum(axis=0),
        paid_out=paid_out,
        reserve_end=reserve_end,
    )
    return _result(spec, outcomes, seed=seed, volatility=volatility, hazard=hazard)


# --- Answer ----------------------------------------------------------------------------------


def _result(
    spec: WaterfallSpec, outcomes: PathOutcomes, *, seed: int, volatility: float, hazard: float
) -> SimulationResult:
    """Summarize each tranche's losses over the paths."""
    tranches = {}
    for tranche in spec.tranches:
        losses = outcomes.losses[tranche.name]
        balance = float(tranche.balance)
        mean_loss = float(losses.mean())
        quantiles = np.quantile(losses, list(QUANTILES.values()), method="inverted_cdf")
        tranches[tranche.name] = TrancheRisk(
            initial_balance=balance,
            pd=int(np.count_nonzero(losses > LOSS_THRESHOLD)) / losses.size,
            expected_loss=mean_loss / balance if balance else 0.0,
            mean_loss=mean_loss,
            loss_quantiles={
                key: float(value) for key, value in zip(QUANTILES, quantiles, strict=True)
            },
        )
    return SimulationResult(
        paths=int(outcomes.collected.size),
        seed=seed,
        periods=len(spec.collections),
        volatility=volatility,
        obsolescence_hazard=hazard,
        tranches=tranches,
        outcomes=outcomes,
    )
