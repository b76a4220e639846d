"""Tests for deals.waterfall: the waterfall run of DESIGN 6.2, by hand and by property."""

import json
import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deals.waterfall import (
    Action,
    PrincipalMode,
    Step,
    WaterfallInputError,
    initial_state,
    parse_request,
    run,
    run_period,
)

approx = pytest.approx


def design_example() -> dict:
    """Return the request of DESIGN 6.2."""
    return {
        "periods_per_year": 4,
        "collections": [100, 100, 100, 100],
        "fees": [{"name": "trustee", "per_period": 1}],
        "tranches": [
            {"name": "A", "balance": 300, "rate": 0.04},
            {"name": "B", "balance": 50, "rate": 0.06},
            {"name": "Sub", "balance": 20, "rate": 0},
        ],
        "reserve": {"initial": 10, "target": 10},
        "steps": [
            {"pay_fees": ["trustee"]},
            {"pay_interest": ["A"]},
            {"pay_interest": ["B"]},
            {"fund_reserve": True},
            {"pay_principal": ["A", "B"], "mode": "sequential"},
            {"pay_residual": "Sub"},
        ],
    }


def one_tranche(steps, collections, *, balance=100, rate=0, periods_per_year=1, **extra):
    """Return a request with a single tranche "A"."""
    return {
        "periods_per_year": periods_per_year,
        "collections": collections,
        "tranches": [{"name": "A", "balance": balance, "rate": rate}],
        "steps": steps,
        **extra,
    }


def assert_cash_conserved(answer: dict) -> None:
    check = answer["check"]
    assert check["collections"] + check["reserve_start"] == approx(
        check["paid_out"] + check["reserve_end"], abs=1e-9
    )


# --- The DESIGN.md example ---------------------------------------------------------------


def test_design_example_period_1_matches_the_contract():
    answer = run(design_example())

    assert answer["periods"][0] == {
        "period": 1,
        "available": 100,
        "fees_paid": {"trustee": 1},
        "reserve_draw": 0,
        "reserve_balance": 10,
        "tranches": {
            "A": {
                "interest_due": 3,
                "interest_paid": 3,
                "principal_paid": 95.25,
                "balance": 204.75,
                "unpaid_interest": 0,
            },
            "B": {
                "interest_due": 0.75,
                "interest_paid": 0.75,
                "principal_paid": 0,
                "balance": 50,
                "unpaid_interest": 0,
            },
            "Sub": {
                "interest_due": 0,
                "interest_paid": 0,
                "principal_paid": 0,
                "balance": 20,
                "unpaid_interest": 0,
                "excess": 0,
            },
        },
    }


def test_design_example_later_periods_by_hand():
    """A's interest is 1 % a quarter of its start balance; B's 50 x 6 % / 4 = 0.75."""
    periods = run(design_example())["periods"]

    # Period 2: 100 - 1 fee = 99; A interest 204.75 x 0.01 = 2.0475 -> 96.9525;
    # B 0.75 -> 96.2025; the reserve is at target; all 96.2025 to A (204.75 outstanding),
    # leaving 108.5475. Nothing for Sub.
    second = periods[1]
    assert second["tranches"]["A"] == approx(
        {
            "interest_due": 2.0475,
            "interest_paid": 2.0475,
            "principal_paid": 96.2025,
            "balance": 108.5475,
            "unpaid_interest": 0,
        }
    )
    assert second["tranches"]["B"]["principal_paid"] == 0
    assert second["tranches"]["Sub"] == approx(
        {
            "interest_due": 0,
            "interest_paid": 0,
            "principal_paid": 0,
            "balance": 20,
            "unpaid_interest": 0,
            "excess": 0,
        }
    )
    assert (second["reserve_draw"], second["reserve_balance"]) == (0, 10)

    # Period 3: 99 - 1.085475 (108.5475 x 0.01) - 0.75 = 97.164525, all to A, which keeps
    # 108.5475 - 97.164525 = 11.382975.
    third = periods[2]["tranches"]["A"]
    assert third["interest_paid"] == approx(1.085475)
    assert third["principal_paid"] == approx(97.164525)
    assert third["balance"] == approx(11.382975)

    # Period 4, the last: 99 - 0.11382975 - 0.75 = 98.13617025; fund_reserve releases the 10
    # in the reserve -> 108.13617025; A takes 11.382975 -> 96.75319525; B takes 50 ->
    # 46.75319525; Sub takes its 20 as principal and 26.75319525 as excess.
    fourth = periods[3]
    assert fourth["reserve_draw"] == 10
    assert fourth["reserve_balance"] == 0
    assert fourth["tranches"]["A"]["principal_paid"] == approx(11.382975)
    assert fourth["tranches"]["B"]["principal_paid"] == 50
    assert fourth["tranches"]["Sub"]["principal_paid"] == 20
    assert fourth["tranches"]["Sub"]["excess"] == approx(26.75319525)
    assert all(t["balance"] == 0 for t in fourth["tranches"].values())


def test_design_example_totals_by_hand():
    answer = run(design_example())

    # A's interest: 3 + 2.0475 + 1.085475 + 0.11382975 = 6.24680475.
    # A's WAL: (95.25 x 1 + 96.2025 x 2 + 97.164525 x 3 + 11.382975 x 4) / 4 / 300
    #        = 624.680475 / 4 / 300 = 0.5205670625 years.
    # B and Sub are paid in full in period 4 only: WAL 4 / 4 = 1 year.
    assert answer["tranches"] == {
        "A": approx(
            {
                "interest_paid": 6.24680475,
                "principal_paid": 300,
                "ending_balance": 0,
                "unpaid_interest": 0,
                "loss": 0,
                "excess": 0,
                "wal_years": 0.5205670625,
            }
        ),
        "B": approx(
            {
                "interest_paid": 3,
                "principal_paid": 50,
                "ending_balance": 0,
                "unpaid_interest": 0,
                "loss": 0,
                "excess": 0,
                "wal_years": 1,
            }
        ),
        "Sub": approx(
            {
                "interest_paid": 0,
                "principal_paid": 20,
                "ending_balance": 0,
                "unpaid_interest": 0,
                "loss": 0,
                "excess": 26.75319525,
                "wal_years": 1,
            }
        ),
    }
    # Paid out: fees 4 + interest 6.24680475 + 3 + principal 370 + excess 26.75319525 = 410,
    # which is collections 400 + the reserve of 10, all released.
    assert answer["check"] == approx(
        {"collections": 400, "reserve_start": 10, "paid_out": 410, "reserve_end": 0}
    )
    assert_cash_conserved(answer)


def test_answer_is_json_with_the_contract_keys():
    answer = json.loads(json.dumps(run(design_example()), allow_nan=False))

    assert set(answer) == {"periods", "tranches", "check"}
    assert [period["period"] for period in answer["periods"]] == [1, 2, 3, 4]
    assert set(answer["tranches"]["A"]) == {
        "interest_paid",
        "principal_paid",
        "ending_balance",
        "unpaid_interest",
        "loss",
        "excess",
        "wal_years",
    }


# --- Fees --------------------------------------------------------------------------------


def test_fees_are_paid_from_the_reserve_when_collections_fall_short():
    request = one_tranche(
        [{"pay_fees": ["trustee"]}],
        [3, 0],
        balance=0,
        fees=[{"name": "trustee", "per_period": 5}],
        reserve={"initial": 10, "target": 10},
    )

    first, second = run(request)["periods"]

    # 3 from the collection, 2 from the reserve.
    assert first["fees_paid"] == {"trustee": 5}
    assert (first["reserve_draw"], first["reserve_balance"]) == (2, 8)
    # No collection: all 5 from the reserve, which keeps 3 (no fund_reserve step releases it).
    assert second["fees_paid"] == {"trustee": 5}
    assert (second["reserve_draw"], second["reserve_balance"]) == (5, 3)


def test_unpaid_fees_are_carried_to_the_next_period():
    request = one_tranche(
        [{"pay_fees": ["trustee"]}], [2, 10], balance=0, fees=[{"name": "trustee", "per_period": 5}]
    )

    first, second = run(request)["periods"]

    assert first["fees_paid"] == {"trustee": 2}
    # Due: 5 + the 3 unpaid before. The 2 left over stay in the deal's account (the reserve).
    assert second["fees_paid"] == {"trustee": 8}
    assert second["reserve_balance"] == 2


def test_fees_in_one_step_share_pro_rata_and_unlisted_fees_report_zero():
    request = one_tranche(
        [{"pay_fees": ["trustee", "servicer"]}],
        [4],
        balance=0,
        fees=[
            {"name": "trustee", "per_period": 2},
            {"name": "servicer", "per_period": 6},
            {"name": "auditor", "per_period": 1},
        ],
    )

    (period,) = run(request)["periods"]

    # 4 of the 8 due: half of each.
    assert period["fees_paid"] == {"trustee": 1, "servicer": 3, "auditor": 0}


# --- Interest ----------------------------------------------------------------------------


def test_interest_shortfall_is_carried_without_interest_and_paid_later():
    request = one_tranche([{"pay_interest": ["A"]}], [4, 20], balance=100, rate=0.1)

    answer = run(request)
    first, second = (period["tranches"]["A"] for period in answer["periods"])

    # Due 100 x 10 % = 10, paid 4, 6 carried.
    assert first == {
        "interest_due": 10,
        "interest_paid": 4,
        "principal_paid": 0,
        "balance": 100,
        "unpaid_interest": 6,
    }
    # Due 10 + 6 (not 10 + 6 x 1.1): all 16 paid.
    assert second == {
        "interest_due": 16,
        "interest_paid": 16,
        "principal_paid": 0,
        "balance": 100,
        "unpaid_interest": 0,
    }
    assert answer["tranches"]["A"]["interest_paid"] == 20
    assert answer["check"]["reserve_end"] == 4  # the 4 no step used
    assert_cash_conserved(answer)


def test_interest_in_one_step_is_shared_pro_rata_when_short():
    request = {
        "periods_per_year": 1,
        "collections": [6],
        "tranches": [
            {"name": "A", "balance": 100, "rate": 0.1},
            {"name": "B", "balance": 50, "rate": 0.1},
        ],
        "steps": [{"pay_interest": ["A", "B"]}],
    }

    answer = run(request)
    tranches = answer["periods"][0]["tranches"]

    # Due 10 and 5; 6 of 15 is 40 %: A gets 4, B gets 2.
    assert (tranches["A"]["interest_paid"], tranches["A"]["unpaid_interest"]) == (4, 6)
    assert (tranches["B"]["interest_paid"], tranches["B"]["unpaid_interest"]) == (2, 3)
    # Loss = ending balance + unpaid interest.
    assert answer["tranches"]["A"]["loss"] == 106
    assert answer["tranches"]["B"]["loss"] == 53


def test_interest_is_drawn_from_the_reserve_and_the_reserve_is_refunded():
    request = one_tranche(
        [{"pay_interest": ["A"]}, {"fund_reserve": True}, {"pay_residual": "A"}],
        [5, 20, 0],
        balance=400,
        rate=0.08,
        periods_per_year=4,
        reserve={"initial": 10, "target": 10},
    )

    first, second, third = run(request)["periods"]

    # Due 400 x 8 % / 4 = 8: 5 from the collection, 3 drawn; nothing left to refund.
    assert first["tranches"]["A"]["interest_paid"] == 8
    assert (first["reserve_draw"], first["reserve_balance"]) == (3, 7)
    # 20 - 8 = 12; 3 refills the reserve; 9 to A as principal.
    assert second["reserve_draw"] == 0
    assert second["reserve_balance"] == 10
    assert second["tranches"]["A"]["principal_paid"] == 9
    # Last period: interest 391 x 2 % = 7.82 drawn; the remaining 2.18 released to A.
    assert third["tranches"]["A"]["interest_paid"] == approx(7.82)
    assert third["tranches"]["A"]["principal_paid"] == approx(2.18)
    assert third["reserve_draw"] == 10
    assert third["reserve_balance"] == 0


def test_interest_accrues_on_the_balance_at_period_start():
    request = one_tranche(
        [{"pay_principal": ["A"]}, {"pay_interest": ["A"]}], [50], balance=100, rate=0.1
    )

    (period,) = run(request)["periods"]

    # The principal step runs first, but interest is 10 % of 100, not of 50.
    assert period["tranches"]["A"]["interest_due"] == 10
    assert period["tranches"]["A"]["unpaid_interest"] == 10


def test_interest_of_a_tranche_no_step_pays_is_carried_to_its_loss():
    request = one_tranche([{"pay_residual": "A"}], [30, 0], balance=100, rate=0.1)

    answer = run(request)

    # 10 % of 100; then 10 % of 70 plus the 10 never paid.
    assert [p["tranches"]["A"]["interest_due"] for p in answer["periods"]] == [10, 17]
    # Balance 70 + unpaid interest 17.
    assert answer["tranches"]["A"]["loss"] == 87


# --- Reserve -----------------------------------------------------------------------------


def test_reserve_is_funded_up_to_target_and_released_in_the_last_period():
    request = one_tranche(
        [{"fund_reserve": True}, {"pay_residual": "A"}],
        [4, 4, 4],
        balance=0,
        reserve={"initial": 0, "target": 10},
    )

    answer = run(request)
    periods = answer["periods"]

    # 4, then min(10 - 4, 4) = 4; in the last period the 8 are released with the collection.
    assert [p["reserve_balance"] for p in periods] == [4, 8, 0]
    assert [p["reserve_draw"] for p in periods] == [0, 0, 8]
    assert [p["tranches"]["A"]["excess"] for p in periods] == [0, 0, 12]
    assert answer["tranches"]["A"]["excess"] == 12
    assert_cash_conserved(answer)


def test_reserve_above_target_is_not_reduced_before_the_last_period():
    request = one_tranche(
        [{"fund_reserve": True}, {"pay_residual": "A"}],
        [5, 5],
        balance=0,
        reserve={"initial": 15, "target": 10},
    )

    first, second = run(request)["periods"]

    assert first["reserve_balance"] == 15
    assert first["tranches"]["A"]["excess"] == 5
    assert second["tranches"]["A"]["excess"] == 20


def test_reserve_release_happens_at_the_fund_reserve_step():
    request = one_tranche(
        [{"pay_residual": "A"}, {"fund_reserve": True}],
        [5],
        balance=0,
        reserve={"initial": 10, "target": 10},
    )

    answer = run(request)

    # The residual step ran before the release, so the released 10 find no step and stay in
    # the deal's account.
    assert answer["tranches"]["A"]["excess"] == 5
    assert answer["check"] == {
        "collections": 5,
        "reserve_start": 10,
        "paid_out": 5,
        "reserve_end": 10,
    }


# --- Principal and residual --------------------------------------------------------------


def two_tranches_principal(mode: str) -> dict:
    return {
        "periods_per_year": 1,
        "collections": [50],
        "tranches": [
            {"name": "A", "balance": 60, "rate": 0},
            {"name": "B", "balance": 40, "rate": 0},
        ],
        "steps": [{"pay_principal": ["A", "B"], "mode": mode}],
    }


def test_sequential_principal_pays_in_listed_order():
    tranches = run(two_tranches_principal("sequential"))["periods"][0]["tranches"]

    assert (tranches["A"]["principal_paid"], tranches["B"]["principal_paid"]) == (50, 0)


def test_pro_rata_principal_pays_by_balance():
    tranches = run(two_tranches_principal("pro_rata"))["periods"][0]["tranches"]

    # 50 over balances 60 : 40.
    assert (tranches["A"]["principal_paid"], tranches["B"]["principal_paid"]) == (30, 20)


def test_missing_mode_is_sequential():
    request = two_tranches_principal("sequential")
    del request["steps"][0]["mode"]

    assert parse_request(request).steps[0] == Step(
        Action.PAY_PRINCIPAL, ("A", "B"), PrincipalMode.SEQUENTIAL
    )
    assert run(request) == run(two_tranches_principal("sequential"))


def test_pro_rata_principal_skips_an_exhausted_tranche_and_caps_at_balances():
    request = {
        "periods_per_year": 1,
        "collections": [70, 100],
        "tranches": [
            {"name": "A", "balance": 20, "rate": 0},
            {"name": "B", "balance": 60, "rate": 0},
            {"name": "C", "balance": 20, "rate": 0},
        ],
        "steps": [
            {"pay_principal": ["A"]},
            {"pay_principal": ["A", "B", "C"], "mode": "pro_rata"},
            {"pay_residual": "A"},
        ],
    }

    first, second = (period["tranches"] for period in run(request)["periods"])

    # A is repaid by the first step; the other 50 go to B and C by 60 : 20 (A has 0).
    assert [first[name]["principal_paid"] for name in "ABC"] == [20, 37.5, 12.5]
    # Then 100 covers B's 22.5 and C's 7.5 in full; the remaining 70 are A's excess.
    assert [second[name]["principal_paid"] for name in "ABC"] == [0, 22.5, 7.5]
    assert [second[name]["balance"] for name in "ABC"] == [0, 0, 0]
    assert second["A"]["excess"] == 70
    assert "excess" not in second["B"]


def test_residual_beyond_the_balance_is_excess():
    request = one_tranche([{"pay_residual": "A"}], [50, 10], balance=30)

    answer = run(request)
    first, second = (period["tranches"]["A"] for period in answer["periods"])

    assert (first["principal_paid"], first["excess"], first["balance"]) == (30, 20, 0)
    assert (second["principal_paid"], second["excess"]) == (0, 10)
    assert answer["tranches"]["A"]["principal_paid"] == 30
    assert answer["tranches"]["A"]["excess"] == 30


def test_loss_is_ending_balance_plus_unpaid_interest():
    request = one_tranche(
        [{"pay_interest": ["A"]}, {"pay_principal": ["A"]}], [15, 15], balance=100, rate=0.1
    )

    totals = run(request)["tranches"]["A"]

    # Period 1: interest 10, principal 5 -> 95. Period 2: interest 9.5, principal 5.5 -> 89.5.
    assert totals == approx(
        {
            "interest_paid": 19.5,
            "principal_paid": 10.5,
            "ending_balance": 89.5,
            "unpaid_interest": 0,
            "loss": 89.5,
            "excess": 0,
            "wal_years": (5 * 1 + 5.5 * 2) / 10.5,
        }
    )


# --- Weighted average life ---------------------------------------------------------------


def test_wal_of_a_bullet_is_its_maturity():
    request = one_tranche([{"pay_principal": ["A"]}], [0, 0, 0, 100], periods_per_year=4)

    assert run(request)["tranches"]["A"]["wal_years"] == 1


def test_wal_of_an_even_amortization():
    request = one_tranche([{"pay_principal": ["A"]}], [25, 25, 25, 25], periods_per_year=2)

    # 25 each at 0.5, 1, 1.5 and 2 years: (0.5 + 1 + 1.5 + 2) / 4.
    assert run(request)["tranches"]["A"]["wal_years"] == 1.25


def test_wal_is_null_without_principal():
    request = one_tranche([{"pay_principal": ["A"]}], [0, 0])

    assert run(request)["tranches"]["A"]["wal_years"] is None


# --- Input -------------------------------------------------------------------------------


def test_floats_are_read_as_their_decimal_spelling():
    spec = parse_request(design_example())

    assert spec.tranches[0].rate == Decimal("0.04")


def test_simulation_settings_are_ignored():
    request = design_example()
    request["simulation"] = {"paths": 10, "seed": 1}

    assert run(request) == run(design_example())


_REMOVE = object()


def _set(path: str, value):
    """Return a change to the example that sets the value at a dotted path (_REMOVE deletes)."""

    def change(request):
        *parents, last = path.split(".")
        target = request
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        elif value is _REMOVE:
            del target[last]
        else:
            target[last] = value

    return change


BAD_INPUT = [
    (_set("colections", [1]), "colections", "unknown field"),
    (_set("periods_per_year", _REMOVE), "periods_per_year", "is required"),
    (_set("periods_per_year", 0), "periods_per_year", "positive integer"),
    (_set("periods_per_year", 2.5), "periods_per_year", "positive integer"),
    (_set("periods_per_year", True), "periods_per_year", "positive integer"),
    (_set("periods_per_year", "4"), "periods_per_year", "positive integer"),
    (_set("collections", _REMOVE), "collections", "is required"),
    (_set("collections", []), "collections", "must not be empty"),
    (_set("collections", 100), "collections", "must be a list"),
    (_set("collections", [100, 100, 100, "a"]), "collections[3]", "must be a number"),
    (_set("collections", [100, -1]), "collections[1]", "must not be negative"),
    (_set("collections", [math.nan]), "collections[0]", "finite"),
    (_set("collections", [math.inf]), "collections[0]", "finite"),
    (_set("collections", [1e300]), "collections[0]", "must not exceed"),
    (_set("collections", [True]), "collections[0]", "must be a number"),
    (_set("collections", [None]), "collections[0]", "must be a number"),
    (_set("fees", {}), "fees", "must be a list"),
    (_set("fees", ["trustee"]), "fees[0]", "must be a JSON object"),
    (_set("fees.0.name", _REMOVE), "fees[0].name", "is required"),
    (_set("fees.0.per_period", -1), "fees[0].per_period", "must not be negative"),
    (_set("fees.0.amount", 1), "fees[0].amount", "unknown field"),
    (
        _set("fees", [{"name": "t", "per_period": 1}, {"name": "t", "per_period": 2}]),
        "fees[1].name",
        "used twice",
    ),
    (_set("tranches", _REMOVE), "tranches", "is required"),
    (_set("tranches", []), "tranches", "must not be empty"),
    (_set("tranches.1.balance", -5), "tranches[1].balance", "must not be negative"),
    (_set("tranches.1.balance", _REMOVE), "tranches[1].balance", "is required"),
    (_set("tranches.0.rate", -0.01), "tranches[0].rate", "must not be negative"),
    (_set("tranches.0.rate", "4%"), "tranches[0].rate", "must be a number"),
    (_set("tranches.0.name", ""), "tranches[0].name", "non-empty string"),
    (_set("tranches.0.name", 5), "tranches[0].name", "non-empty string"),
    (_set("tranches.2.name", "A"), "tranches[2].name", "'A' is used twice"),
    (_set("reserve", 10), "reserve", "must be a JSON object"),
    (_set("reserve.initial", -1), "reserve.initial", "must not be negative"),
    (_set("reserve.target", "ten"), "reserve.target", "must be a number"),
    (_set("reserve.floor", 1), "reserve.floor", "unknown field"),
    (_set("steps", _REMOVE), "steps", "is required"),
    (_set("steps", []), "steps", "must not be empty"),
    (_set("steps.0", "pay_fees"), "steps[0]", "must be a JSON object"),
    (_set("steps.0", {}), "steps[0]", "exactly one action"),
    (_set("steps.0", {"pay_fees": ["trustee"], "fund_reserve": True}), "steps[0]", "exactly one"),
    (_set("steps.1", {"pay_intrest": ["A"]}), "steps[1].pay_intrest", "unknown field"),
    (_set("steps.1.pay_interest", "A"), "steps[1].pay_interest", "must be a list"),
    (_set("steps.1.pay_interest", []), "steps[1].pay_interest", "must not be empty"),
    (_set("steps.1.pay_interest", ["A", "A"]), "steps[1].pay_interest[1]", "listed twice"),
    (_set("steps.1.pay_interest", ["A", 1]), "steps[1].pay_interest[1]", "name of a tranche"),
    (_set("steps.1.mode", "pro_rata"), "steps[1].mode", "only pay_principal"),
    (
        _set("steps.4.pay_principal", ["A", "C"]),
        "steps[4].pay_principal[1]",
        "no tranche named 'C'",
    ),
    (_set("steps.4.mode", "turbo"), "steps[4].mode", "'sequential' or 'pro_rata'"),
    (_set("steps.0.pay_fees", ["A"]), "steps[0].pay_fees[0]", "no fee named 'A'"),
    (_set("steps.3.fund_reserve", False), "steps[3].fund_reserve", "must be true"),
    (_set("steps.5.pay_residual", ["Sub"]), "steps[5].pay_residual", "name of one tranche"),
    (_set("steps.5.pay_residual", "C"), "steps[5].pay_residual", "no tranche named 'C'"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_INPUT)
def test_bad_input_names_the_field(change, field, message):
    request = design_example()
    change(request)

    with pytest.raises(WaterfallInputError) as raised:
        parse_request(request)

    assert raised.value.field == field
    assert message in raised.value.message
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize("body", [None, [], "{}"])
def test_body_must_be_an_object(body):
    with pytest.raises(WaterfallInputError) as raised:
        parse_request(body)

    assert raised.value.field == "body"


def test_fees_and_reserve_are_optional():
    request = one_tranche([{"pay_residual": "A"}], [5])

    spec = parse_request(request)

    assert (spec.fees, spec.reserve.initial, spec.reserve.target) == ((), 0, 0)


# --- Properties --------------------------------------------------------------------------

NAMES = ["A", "B", "C", "D"]
MONEY = st.one_of(st.integers(0, 1000), st.floats(0, 1000, allow_nan=False))


@st.composite
def structures(draw) -> dict:
    """Draw a request without steps: periods, collections, tranches, fees and reserve."""
    periods = draw(st.integers(1, 12))
    tranche_count = draw(st.integers(1, 4))
    request = {
        "periods_per_year": draw(st.sampled_from([1, 2, 4, 12])),
        "collections": draw(st.lists(MONEY, min_size=periods, max_size=periods)),
        "fees": [
            {"name": f"fee{index}", "per_period": draw(st.floats(0, 30))}
            for index in range(draw(st.integers(0, 2)))
        ],
        "tranches": [
            {"name": name, "balance": draw(MONEY), "rate": draw(st.floats(0, 0.2))}
            for name in NAMES[:tranche_count]
        ],
    }
    if draw(st.booleans()):
        request["reserve"] = {"initial": draw(st.floats(0, 200)), "target": draw(st.floats(0, 200))}
    return request


def _some_of(draw, names: list[str]) -> list[str]:
    """Draw a non-empty selection of names in random order."""
    return draw(st.permutations(names))[: draw(st.integers(1, len(names)))]


@st.composite
def any_requests(draw) -> dict:
    """Draw a valid request whose steps name anything in any order."""
    request = draw(structures())
    tranches = [tranche["name"] for tranche in request["tranches"]]
    fees = [fee["name"] for fee in request["fees"]]
    kinds = ["pay_interest", "fund_reserve", "pay_principal", "pay_residual"]
    kinds += ["pay_fees"] if fees else []
    steps = []
    for kind in draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=8)):
        if kind == "pay_fees":
            steps.append({"pay_fees": _some_of(draw, fees)})
        elif kind == "pay_interest":
            steps.append({"pay_interest": _some_of(draw, tranches)})
        elif kind == "fund_reserve":
            steps.append({"fund_reserve": True})
        elif kind == "pay_principal":
            mode = draw(st.sampled_from(["sequential", "pro_rata"]))
            steps.append({"pay_principal": _some_of(draw, tranches), "mode": mode})
        else:
            steps.append({"pay_residual": draw(st.sampled_from(tranches))})
    request["steps"] = steps
    return request


@st.composite
def prioritized_requests(draw) -> dict:
    """Draw a request with one interest step per tranche in seniority order (A first), one
    sequential principal step and at most one residual step on tranches it does not name,
    other steps interleaved at random."""
    request = draw(structures())
    tranches = [tranche["name"] for tranche in request["tranches"]]
    principal = _some_of(draw, tranches)
    others = [{"pay_principal": principal, "mode": "sequential"}]
    if draw(st.booleans()):
        others.append({"fund_reserve": True})
    if request["fees"] and draw(st.booleans()):
        others.append({"pay_fees": [fee["name"] for fee in request["fees"]]})
    rest = [name for name in tranches if name not in principal]
    if rest:
        others.append({"pay_residual": draw(st.sampled_from(rest))})
    steps = [{"pay_interest": [name]} for name in tranches]
    for step in draw(st.permutations(others)):
        steps.insert(draw(st.integers(0, len(steps))), step)
    request["steps"] = steps
    return request


def _numbers(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _numbers(item)
    elif isinstance(value, int | float):
        yield value


@settings(max_examples=200, deadline=None)
@given(any_requests())
def test_cash_is_conserved_and_amounts_stay_sane(request):
    answer = run(request)

    assert_cash_conserved(answer)
    json.dumps(answer, allow_nan=False)
    assert all(math.isfinite(number) for number in _numbers(answer))
    previous = {t["name"]: t["balance"] for t in request["tranches"]}
    for period in answer["periods"]:
        assert period["reserve_balance"] >= 0
        for name, tranche in period["tranches"].items():
            assert 0 <= tranche["balance"] <= previous[name]
            assert tranche["unpaid_interest"] >= 0
            assert tranche["interest_paid"] <= tranche["interest_due"]
            previous[name] = tranche["balance"]
    for name, totals in answer["tranches"].items():
        opening = next(t["balance"] for t in request["tranches"] if t["name"] == name)
        assert totals["ending_balance"] + totals["principal_paid"] == approx(opening, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(any_requests())
def test_cash_is_conserved_exactly_in_decimals(request):
    spec = parse_request(request)
    state = initial_state(spec)
    paid = Decimal(0)
    for index, collection in enumerate(spec.collections):
        state, report = run_period(spec, state, index, collection)
        paid += sum(report.fees_paid.values())
        paid += sum(t.interest_paid + t.principal_paid + t.excess for t in report.tranches.values())

    assert abs(sum(spec.collections) + spec.reserve.initial - paid - state.reserve) < Decimal(
        "1e-9"
    )


@settings(max_examples=200, deadline=None)
@given(prioritized_requests())
def test_seniority_holds(request):
    answer = run(request)
    tranches = [tranche["name"] for tranche in request["tranches"]]
    principal_order = next(s["pay_principal"] for s in request["steps"] if "pay_principal" in s)

    for period in answer["periods"]:
        report = period["tranches"]
        # Sequential principal: a later-listed tranche is paid only once earlier ones are repaid.
        for senior_index, senior in enumerate(principal_order):
            for junior in principal_order[senior_index + 1 :]:
                if report[junior]["principal_paid"] > 0:
                    assert report[senior]["balance"] == 0
        # Interest: a junior is paid only when every senior's interest was paid in full.
        for senior_index, senior in enumerate(tranches):
            for junior in tranches[senior_index + 1 :]:
                if report[junior]["interest_paid"] > 0:
                    assert report[senior]["unpaid_interest"] == 0


# Fuzzing: any JSON at all is answered, or refused naming a field; nothing else escapes.

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**15, 10**15)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=25)


def _mutations():
    keys = st.sampled_from(["periods_per_year", "collections", "fees", "tranches", "reserve",
                            "steps", "simulation", "extra"])
    return st.dictionaries(keys, JSON, max_size=4)


@given(body=JSON)
@settings(max_examples=300, deadline=None)
def test_any_json_body_is_answered_or_refused_by_field(body):
    try:
        run(body)
    except WaterfallInputError as exc:
        assert exc.field is not None and exc.message


@given(changes=_mutations())
@settings(max_examples=300, deadline=None)
def test_a_mutated_valid_body_is_answered_or_refused_by_field(changes):
    body = {**design_example(), **changes}
    try:
        answer = run(body)
    except WaterfallInputError as exc:
        assert exc.message
    else:
        check = answer["check"]
        assert check["collections"] + check["reserve_start"] == approx(
            check["paid_out"] + check["reserve_end"], abs=0.01)
