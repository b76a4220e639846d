"""Cash-flow waterfall of a securitization: each period's collection paid out by priority.

The contract is DESIGN.md section 6.2. A period starts with ``available`` equal to its
collection. Every fee falls due for ``per_period`` plus what is unpaid from earlier periods;
every tranche for its balance at period start x rate / periods_per_year plus interest unpaid
earlier (no interest on unpaid interest). The steps then run in the listed order:

* ``pay_fees`` / ``pay_interest`` pay what is still due from available, then from the reserve;
  the names in one step share pro rata to what each is due. What stays unpaid is carried.
* ``fund_reserve`` moves min(target - reserve, available) into the reserve (nothing when the
  reserve is above target); in the last period the target is 0 and the whole reserve is
  released into available.
* ``pay_principal`` pays balances from available only: ``sequential`` (the default) in the
  listed order, or ``pro_rata`` by balance at the time of the step.
* ``pay_residual`` pays everything left in available to one tranche, as principal up to its
  balance and the rest as excess.

Cash that no step used by the end of a period stays in the deal's account and is swept into
the reserve, so collections + reserve at start = everything paid + reserve at end holds for any
order of steps. After the last period a tranche's loss is its ending balance plus its unpaid
interest.

Amounts are 50-digit decimals with no rounding between steps; floats appear only in the answer.
:func:`run_period` runs one period on a :class:`WaterfallState`, so the risk simulation (6.3)
can replay the same steps path by path.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext
from enum import StrEnum
from typing import Any

__all__ = [
    "Action",
    "FeeSpec",
    "PeriodReport",
    "PrincipalMode",
    "ReserveSpec",
    "Step",
    "TrancheReport",
    "TrancheSpec",
    "WaterfallInputError",
    "WaterfallSpec",
    "WaterfallState",
    "initial_state",
    "parse_request",
    "run",
    "run_period",
    "run_waterfall",
]

ZERO = Decimal(0)

# 50 significant digits keep every amount exact far below a cent through any realistic deal;
# the traps turn a NaN or an infinity into an error instead of a silently wrong answer.
_CONTEXT = Context(prec=50, traps=[InvalidOperation, DivisionByZero, Overflow])

# Far beyond any deal (amounts and rates alike); it keeps every number of the answer a finite
# float rather than an infinity that JSON cannot carry.
_MAX_AMOUNT = Decimal(10) ** 12

# "simulation" belongs to the simulate endpoint (6.3), which sends the same body.
_REQUEST_KEYS = ("periods_per_year", "collections", "fees", "tranches", "reserve", "steps")
_IGNORED_REQUEST_KEYS = ("simulation",)


class Action(StrEnum):
    """The action of a step, spelled as its key in the request."""

    PAY_FEES = "pay_fees"
    PAY_INTEREST = "pay_interest"
    FUND_RESERVE = "fund_reserve"
    PAY_PRINCIPAL = "pay_principal"
    PAY_RESIDUAL = "pay_residual"


class PrincipalMode(StrEnum):
    """How a pay_principal step divides available cash among its tranches."""

    SEQUENTIAL = "sequential"
    PRO_RATA = "pro_rata"


class WaterfallInputError(ValueError):
    """Bad input; .field is the JSON path of the offending field, e.g. "tranches[1].balance"."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class FeeSpec:
    """A fee that falls due every period."""

    name: str
    per_period: Decimal


@dataclass(frozen=True)
class TrancheSpec:
    """A tranche's opening balance and annual interest rate (0.04 = 4 %)."""

    name: str
    balance: Decimal
    rate: Decimal


@dataclass(frozen=True)
class ReserveSpec:
    """The reserve account's opening balance and the level fund_reserve tops it up to."""

    initial: Decimal = ZERO
    target: Decimal = ZERO


@dataclass(frozen=True)
class Step:
    """One step of the priority of payments."""

    action: Action
    # Fees or tranches in listed order; the one tranche of pay_residual; empty for fund_reserve.
    names: tuple[str, ...] = ()
    mode: PrincipalMode | None = None  # pay_principal only; None means sequential


@dataclass(frozen=True)
class WaterfallSpec:
    """A validated waterfall request: one collection per period, the structure, the steps."""

    periods_per_year: int
    collections: tuple[Decimal, ...]
    fees: tuple[FeeSpec, ...]
    tranches: tuple[TrancheSpec, ...]
    reserve: ReserveSpec
    steps: tuple[Step, ...]

    @property
    def residual_tranches(self) -> frozenset[str]:
        """Return the names of the tranches a pay_residual step pays."""
        return frozenset(step.names[0] for step in self.steps if step.action is Action.PAY_RESIDUAL)


@dataclass(frozen=True)
class WaterfallState:
    """What one period hands to the next: balances, arrears and the reserve."""

    balances: Mapping[str, Decimal]
    unpaid_interest: Mapping[str, Decimal]
    unpaid_fees: Mapping[str, Decimal]
    reserve: Decimal


@dataclass(frozen=True)
class TrancheReport:
    """One tranche in one period, after the period's steps."""

    interest_due: Decimal  # this period's interest plus arrears
    interest_paid: Decimal
    principal_paid: Decimal  # from pay_principal and pay_residual together
    balance: Decimal
    unpaid_interest: Decimal
    excess: Decimal


@dataclass(frozen=True)
class PeriodReport:
    """What happened in one period."""

    period: int  # counted from 1
    available: Decimal  # the period's collection, before any step
    fees_paid: Mapping[str, Decimal]
    reserve_draw: Decimal  # all that left the reserve: draws for fees and interest, release
    reserve_balance: Decimal
    tranches: Mapping[str, TrancheReport]


# --- Request ---------------------------------------------------------------------------------


def parse_request(data: Any) -> WaterfallSpec:
    """Validate the JSON body of a waterfall run and return its spec."""
    body = _object(data, "", _REQUEST_KEYS + _IGNORED_REQUEST_KEYS)
    periods_per_year = _periods_per_year(_required(body, "", "periods_per_year"))
    collections = tuple(
        _amount(value, f"collections[{index}]")
        for index, value in enumerate(_list(_required(body, "", "collections"), "collections"))
    )
    fees = _fees(body.get("fees", []))
    tranches = _tranches(_required(body, "", "tranches"))
    reserve = _reserve(body.get("reserve", {}))
    fee_names = {fee.name for fee in fees}
    tranche_names = {tranche.name for tranche in tranches}
    steps = tuple(
        _step(value, f"steps[{index}]", fee_names, tranche_names)
        for index, value in enumerate(_list(_required(body, "", "steps"), "steps"))
    )
    return WaterfallSpec(periods_per_year, collections, fees, tranches, reserve, steps)


def _periods_per_year(value: Any) -> int:
    """Return periods_per_year, a positive whole number."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise WaterfallInputError("periods_per_year", "must be a positive integer, e.g. 4")
    return value


def _fees(value: Any) -> tuple[FeeSpec, ...]:
    """Return the fees, each with a unique name."""
    fees: list[FeeSpec] = []
    for index, item in enumerate(_list(value, "fees", allow_empty=True)):
        path = f"fees[{index}]"
        fee = _object(item, path, ("name", "per_period"))
        name = _unique_name(_required(fee, path, "name"), f"{path}.name", fees)
        per_period = _amount(_required(fee, path, "per_period"), f"{path}.per_period")
        fees.append(FeeSpec(name, per_period))
    return tuple(fees)


def _tranches(value: Any) -> tuple[TrancheSpec, ...]:
    """Return the tranches, at least one, each with a unique name."""
    tranches: list[TrancheSpec] = []
    for index, item in enumerate(_list(value, "tranches")):
        path = f"tranches[{index}]"
        tranche = _object(item, path, ("name", "balance", "rate"))
        name = _unique_name(_required(tranche, path, "name"), f"{path}.name", tranches)
        balance = _amount(_required(tranche, path, "balance"), f"{path}.balance")
        rate = _amount(_required(tranche, path, "rate"), f"{path}.rate")
        tranches.append(TrancheSpec(name, balance, rate))
    return tuple(tranches)


def _reserve(value: Any) -> ReserveSpec:
    """Return the reserve; a missing reserve or field is 0."""
    reserve = _object(value, "reserve", ("initial", "target"))
    return ReserveSpec(
        initial=_amount(reserve.get("initial", 0), "reserve.initial"),
        target=_amount(reserve.get("target", 0), "reserve.target"),
    )


def _step(value: Any, path: str, fee_names: set[str], tranche_names: set[str]) -> Step:
    """Return one step: exactly one action key, plus "mode" for pay_principal."""
    actions = ", ".join(Action)
    step = _object(value, path, (*Action, "mode"), hint=f"expected one of {actions}, mode")
    keys = [key for key in step if key != "mode"]
    if len(keys) != 1:
        raise WaterfallInputError(path, f"must have exactly one action of {actions}")
    action = Action(keys[0])
    action_path = f"{path}.{action}"
    argument = step[action]
    if "mode" in step and action is not Action.PAY_PRINCIPAL:
        raise WaterfallInputError(f"{path}.mode", "only pay_principal takes a mode")
    match action:
        case Action.PAY_FEES:
            return Step(action, _step_names(argument, action_path, fee_names, "fee"))
        case Action.PAY_INTEREST:
            return Step(action, _step_names(argument, action_path, tranche_names, "tranche"))
        case Action.PAY_PRINCIPAL:
            names = _step_names(argument, action_path, tranche_names, "tranche")
            mode = step.get("mode", PrincipalMode.SEQUENTIAL)
            if mode not in tuple(PrincipalMode):
                raise WaterfallInputError(f"{path}.mode", "must be 'sequential' or 'pro_rata'")
            return Step(action, names, PrincipalMode(mode))
        case Action.FUND_RESERVE:
            if argument is not True:
                raise WaterfallInputError(action_path, "must be true")
            return Step(action)
        case Action.PAY_RESIDUAL:
            if not isinstance(argument, str):
                raise WaterfallInputError(action_path, "must be the name of one tranche")
            if argument not in tranche_names:
                raise WaterfallInputError(action_path, f"no tranche named {argument!r}")
            return Step(action, (argument,))


def _step_names(value: Any, path: str, known: set[str], kind: str) -> tuple[str, ...]:
    """Return the distinct, known names a step lists."""
    names: list[str] = []
    for index, name in enumerate(_list(value, path)):
        name_path = f"{path}[{index}]"
        if not isinstance(name, str):
            raise WaterfallInputError(name_path, f"must be the name of a {kind}")
        if name not in known:
            raise WaterfallInputError(name_path, f"no {kind} named {name!r}")
        if name in names:
            raise WaterfallInputError(name_path, f"{name!r} is listed twice in this step")
        names.append(name)
    return tuple(names)


def _object(
    value: Any, path: str, keys: tuple[str, ...], *, hint: str | None = None
) -> dict[str, Any]:
    """Return value if it is a JSON object with no keys other than the given ones."""
    if not isinstance(value, dict):
        raise WaterfallInputError(path or "body", "must be a JSON object")
    for key in value:
        if key not in keys:
            expected = hint or f"expected {', '.join(keys)}"
            raise WaterfallInputError(_join(path, key), f"unknown field; {expected}")
    return value


def _required(obj: dict[str, Any], path: str, key: str) -> Any:
    """Return obj[key], or fail naming the missing field."""
    if key not in obj:
        raise WaterfallInputError(_join(path, key), "is required")
    return obj[key]


def _list(value: Any, path: str, *, allow_empty: bool = False) -> list[Any]:
    """Return value if it is a JSON array (non-empty unless allowed)."""
    if not isinstance(value, list):
        raise WaterfallInputError(path, "must be a list")
    if not value and not allow_empty:
        raise WaterfallInputError(path, "must not be empty")
    return value


def _unique_name(value: Any, path: str, earlier: list[FeeSpec] | list[TrancheSpec]) -> str:
    """Return a non-empty name that no earlier entry of the same list uses."""
    if not isinstance(value, str) or not value:
        raise WaterfallInputError(path, "must be a non-empty string")
    if any(item.name == value for item in earlier):
        raise WaterfallInputError(path, f"{value!r} is used twice")
    return value


def _amount(value: Any, path: str) -> Decimal:
    """Return a finite, non-negative JSON number as an exact decimal."""
    # bool is an int in Python, but true is not a number in JSON.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise WaterfallInputError(path, "must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise WaterfallInputError(path, "must be a finite number")
    # str() of a float is its shortest repr, so 0.04 becomes exactly 0.04, not the binary value.
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise WaterfallInputError(path, "must be a finite number")
    if number < 0:
        raise WaterfallInputError(path, "must not be negative")
    if number > _MAX_AMOUNT:
        raise WaterfallInputError(path, f"must not exceed {_MAX_AMOUNT:,}")
    return number


def _join(path: str, key: str) -> str:
    """Return the path of key inside the object at path."""
    return f"{path}.{key}" if path else key


# --- Engine ----------------------------------------------------------------------------------


def initial_state(spec: WaterfallSpec) -> WaterfallState:
    """Return the state before the first period: opening balances, no arrears."""
    return WaterfallState(
        balances={tranche.name: tranche.balance for tranche in spec.tranches},
        unpaid_interest={tranche.name: ZERO for tranche in spec.tranches},
        unpaid_fees={fee.name: ZERO for fee in spec.fees},
        reserve=spec.reserve.initial,
    )


def run_period(
    spec: WaterfallSpec, state: WaterfallState, period_index: int, collection: Decimal
) -> tuple[WaterfallState, PeriodReport]:
    """Run the steps on one period's collection (period_index counts from 0)."""
    with localcontext(_CONTEXT):
        is_last = period_index == len(spec.collections) - 1
        period = _Period(spec, state, collection, is_last=is_last)
        for step in spec.steps:
            period.run(step)
        return period.close(period_index + 1)


class _Period:
    """The cash, claims and payments of one period while its steps run."""

    def __init__(
        self, spec: WaterfallSpec, state: WaterfallState, collection: Decimal, *, is_last: bool
    ):
        self.spec = spec
        self.is_last = is_last
        self.collection = collection
        self.available = collection
        self.reserve = state.reserve
        self.reserve_draw = ZERO
        self.balances = dict(state.balances)
        # Interest accrues on the balance at period start, whether or not a step pays it; a
        # tranche no pay_interest step names simply carries its interest as unpaid.
        self.interest_due = {
            tranche.name: state.balances[tranche.name] * tranche.rate / spec.periods_per_year
            + state.unpaid_interest[tranche.name]
            for tranche in spec.tranches
        }
        self.interest_owed = dict(self.interest_due)
        self.fees_owed = {
            fee.name: fee.per_period + state.unpaid_fees[fee.name] for fee in spec.fees
        }
        self.fees_paid = dict.fromkeys(self.fees_owed, ZERO)
        self.interest_paid = dict.fromkeys(self.balances, ZERO)
        self.principal_paid = dict.fromkeys(self.balances, ZERO)
        self.excess = dict.fromkeys(self.balances, ZERO)

    def run(self, step: Step) -> None:
        """Apply one step."""
        match step.action:
            case Action.PAY_FEES:
                self._pay_claims(step.names, self.fees_owed, self.fees_paid)
            case Action.PAY_INTEREST:
                self._pay_claims(step.names, self.interest_owed, self.interest_paid)
            case Action.FUND_RESERVE:
                self._fund_reserve()
            case Action.PAY_PRINCIPAL:
                self._pay_principal(step.names, step.mode or PrincipalMode.SEQUENTIAL)
            case Action.PAY_RESIDUAL:
                self._pay_residual(step.names[0])

    def close(self, period: int) -> tuple[WaterfallState, PeriodReport]:
        """Sweep unused cash into the reserve; return the next state and this period's report."""
        self.reserve += self.available
        self.available = ZERO
        state = WaterfallState(
            balances=self.balances,
            unpaid_interest=self.interest_owed,
            unpaid_fees=self.fees_owed,
            reserve=self.reserve,
        )
        tranches = {
            name: TrancheReport(
                interest_due=self.interest_due[name],
                interest_paid=self.interest_paid[name],
                principal_paid=self.principal_paid[name],
                balance=self.balances[name],
                unpaid_interest=self.interest_owed[name],
                excess=self.excess[name],
            )
            for name in self.balances
        }
        report = PeriodReport(
            period=period,
            available=self.collection,
            fees_paid=self.fees_paid,
            reserve_draw=self.reserve_draw,
            reserve_balance=self.reserve,
            tranches=tranches,
        )
        return state, report

    def _pay_claims(
        self, names: tuple[str, ...], owed: dict[str, Decimal], paid: dict[str, Decimal]
    ) -> None:
        """Pay fees or interest owed from available, then the reserve, pro rata when short."""
        claims = {name: owed[name] for name in names}
        total = sum(claims.values(), ZERO)
        from_available = min(total, self.available)
        from_reserve = min(total - from_available, self.reserve)
        self.available -= from_available
        self.reserve -= from_reserve
        self.reserve_draw += from_reserve
        for name, amount in _pro_rata(claims, total, from_available + from_reserve).items():
            owed[name] -= amount
            paid[name] += amount

    def _fund_reserve(self) -> None:
        """Top the reserve up to target from available; in the last period, release it all."""
        if self.is_last:
            self.available += self.reserve
            self.reserve_draw += self.reserve
            self.reserve = ZERO
            return
        moved = max(ZERO, min(self.spec.reserve.target - self.reserve, self.available))
        self.available -= moved
        self.reserve += moved

    def _pay_principal(self, names: tuple[str, ...], mode: PrincipalMode) -> None:
        """Pay balances from available, sequentially in listed order or pro rata by balance."""
        if mode is PrincipalMode.SEQUENTIAL:
            for name in names:
                amount = min(self.balances[name], self.available)
                self.available -= amount
                self._credit_principal(name, amount)
            return
        claims = {name: self.balances[name] for name in names}
        total = sum(claims.values(), ZERO)
        amount = min(total, self.available)
        self.available -= amount
        for name, share in _pro_rata(claims, total, amount).items():
            self._credit_principal(name, share)

    def _pay_residual(self, name: str) -> None:
        """Pay all that is left to one tranche: principal up to its balance, then excess."""
        principal = min(self.balances[name], self.available)
        self._credit_principal(name, principal)
        self.excess[name] += self.available - principal
        self.available = ZERO

    def _credit_principal(self, name: str, amount: Decimal) -> None:
        """Record principal paid to a tranche."""
        self.balances[name] -= amount
        self.principal_paid[name] += amount


def _pro_rata(claims: dict[str, Decimal], total: Decimal, amount: Decimal) -> dict[str, Decimal]:
    """Split amount over claims in proportion to them, never giving more than a claim."""
    if amount >= total:
        # Paying in full needs no division, so a settled claim is exactly zero afterwards.
        return dict(claims)
    return {name: min(claim, amount * claim / total) for name, claim in claims.items()}


# --- Answer ----------------------------------------------------------------------------------


def run_waterfall(spec: WaterfallSpec) -> dict[str, Any]:
    """Run every period and return the answer of DESIGN 6.2 as JSON-ready data."""
    with localcontext(_CONTEXT):
        state = initial_state(spec)
        reports: list[PeriodReport] = []
        for index, collection in enumerate(spec.collections):
            state, report = run_period(spec, state, index, collection)
            reports.append(report)
        return {
            "periods": [period_json(report, spec.residual_tranches) for report in reports],
            "tranches": _totals_json(spec, state, reports),
            "check": _check_json(spec, state, reports),
        }


def run(data: Any) -> dict[str, Any]:
    """Validate a waterfall request and return its answer."""
    return run_waterfall(parse_request(data))


def period_json(report: PeriodReport, residual: frozenset[str]) -> dict[str, Any]:
    """Return one period of the answer; only residual tranches carry "excess"."""
    tranches = {}
    for name, tranche in report.tranches.items():
        entry = {
            "interest_due": float(tranche.interest_due),
            "interest_paid": float(tranche.interest_paid),
            "principal_paid": float(tranche.principal_paid),
            "balance": float(tranche.balance),
            "unpaid_interest": float(tranche.unpaid_interest),
        }
        if name in residual:
            entry["excess"] = float(tranche.excess)
        tranches[name] = entry
    return {
        "period": report.period,
        "available": float(report.available),
        "fees_paid": {name: float(amount) for name, amount in report.fees_paid.items()},
        "reserve_draw": float(report.reserve_draw),
        "reserve_balance": float(report.reserve_balance),
        "tranches": tranches,
    }


def _totals_json(
    spec: WaterfallSpec, state: WaterfallState, reports: list[PeriodReport]
) -> dict[str, Any]:
    """Return each tranche's totals over all periods, its loss and weighted average life."""
    totals = {}
    for name in state.balances:
        periods = [(report.period, report.tranches[name]) for report in reports]
        principal = sum((tranche.principal_paid for _, tranche in periods), ZERO)
        weighted = sum((tranche.principal_paid * period for period, tranche in periods), ZERO)
        wal_years = weighted / spec.periods_per_year / principal if principal else None
        totals[name] = {
            "interest_paid": float(sum((tranche.interest_paid for _, tranche in periods), ZERO)),
            "principal_paid": float(principal),
            "ending_balance": float(state.balances[name]),
            "unpaid_interest": float(state.unpaid_interest[name]),
            "loss": float(state.balances[name] + state.unpaid_interest[name]),
            "excess": float(sum((tranche.excess for _, tranche in periods), ZERO)),
            "wal_years": None if wal_years is None else float(wal_years),
        }
    return totals


def _check_json(
    spec: WaterfallSpec, state: WaterfallState, reports: list[PeriodReport]
) -> dict[str, float]:
    """Return the cash check: collections + reserve_start = paid_out + reserve_end."""
    paid_out = ZERO
    for report in reports:
        paid_out += sum(report.fees_paid.values(), ZERO)
        for tranche in report.tranches.values():
            paid_out += tranche.interest_paid + tranche.principal_paid + tranche.excess
    return {
        "collections": float(sum(spec.collections, ZERO)),
        "reserve_start": float(spec.reserve.initial),
        "paid_out": float(paid_out),
        "reserve_end": float(state.reserve),
    }
