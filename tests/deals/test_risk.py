"""Tests for deals.risk: the risk simulation of DESIGN 6.3, against formulas and the waterfall."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deals.risk import MAX_DRAWS, simulate, simulate_loop, simulate_spec
from deals.waterfall import WaterfallInputError, parse_request, run
from tests.deals.test_waterfall import any_requests, design_example

approx = pytest.approx


def with_simulation(request: dict, **simulation) -> dict:
    """Return the request with a "simulation" object; unset settings take small defaults."""
    defaults = {"paths": 1000, "seed": 1, "volatility": 0.25, "obsolescence_hazard": 0.02}
    return {**request, "simulation": {**defaults, **simulation}}


def bullet(balance: float, collections: list[float], *, periods_per_year: int = 1) -> dict:
    """Return a request: one zero-rate tranche "A" repaid by principal steps only."""
    return {
        "periods_per_year": periods_per_year,
        "collections": collections,
        "tranches": [{"name": "A", "balance": balance, "rate": 0}],
        "steps": [{"pay_principal": ["A"]}],
    }


def normal_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def within_three_standard_errors(estimate: float, expected: float, standard_error: float):
    assert standard_error > 0
    assert abs(estimate - expected) <= 3 * standard_error, (estimate, expected, standard_error)


# --- Structures --------------------------------------------------------------------------


def short_collections() -> dict:
    """The DESIGN example with collections too small for every tranche."""
    return {**design_example(), "collections": [100, 100, 60, 20]}


def pro_rata_principal() -> dict:
    """Two interest-bearing tranches sharing interest and principal pro rata, not repaid."""
    return {
        "periods_per_year": 2,
        "collections": [20, 25, 20, 15],
        "tranches": [
            {"name": "A", "balance": 60, "rate": 0.05},
            {"name": "B", "balance": 40, "rate": 0.08},
        ],
        "steps": [
            {"pay_interest": ["A", "B"]},
            {"pay_principal": ["A", "B"], "mode": "pro_rata"},
        ],
    }


def reserve_draw() -> dict:
    """Interest drawn from the reserve, the reserve refunded, then released in the last period."""
    return {
        "periods_per_year": 4,
        "collections": [5, 20, 0],
        "tranches": [{"name": "A", "balance": 400, "rate": 0.08}],
        "reserve": {"initial": 10, "target": 10},
        "steps": [{"pay_interest": ["A"]}, {"fund_reserve": True}, {"pay_residual": "A"}],
    }


def everything() -> dict:
    """Two fees in one step, pro rata interest and principal, a reserve and a residual."""
    return {
        "periods_per_year": 4,
        "collections": [30, 35, 25, 40, 30, 20, 35, 30],
        "fees": [{"name": "trustee", "per_period": 1}, {"name": "servicer", "per_period": 2.5}],
        "tranches": [
            {"name": "A", "balance": 120, "rate": 0.05},
            {"name": "B", "balance": 60, "rate": 0.07},
            {"name": "C", "balance": 30, "rate": 0.1},
        ],
        "reserve": {"initial": 5, "target": 8},
        "steps": [
            {"pay_fees": ["trustee", "servicer"]},
            {"pay_interest": ["A", "B"]},
            {"fund_reserve": True},
            {"pay_principal": ["A", "B"], "mode": "pro_rata"},
            {"pay_interest": ["C"]},
            {"pay_residual": "C"},
        ],
    }


STRUCTURES = {
    "design example": design_example,
    "short collections": short_collections,
    "pro rata principal": pro_rata_principal,
    "reserve draw": reserve_draw,
    "everything": everything,
}


# --- The analytic cases ------------------------------------------------------------------


def pooled_losses(request: dict, *, volatility: float, hazard: float) -> np.ndarray:
    """Return tranche A's losses on 200,000 paths: two runs of the 100,000 a request allows."""
    spec = parse_request(request)
    runs = [
        simulate_spec(spec, paths=100_000, seed=seed, volatility=volatility, hazard=hazard)
        for seed in (2024, 2025)
    ]
    for result in runs:
        risk = result.tranches["A"]
        losses = result.outcomes.losses["A"]
        assert risk.pd == np.mean(losses > 0.005)
        assert risk.mean_loss == approx(losses.mean())
        assert risk.expected_loss == approx(losses.mean() / risk.initial_balance)
    return np.concatenate([result.outcomes.losses["A"] for result in runs])


@pytest.mark.parametrize(
    ("balance", "collection", "sigma", "periods_per_year"),
    [(100, 100, 0.25, 1), (90, 100, 0.3, 1), (120, 100, 0.5, 1), (100, 110, 0.2, 4)],
)
def test_bullet_pd_and_loss_match_the_lognormal_formulas(
    balance, collection, sigma, periods_per_year
):
    """One collection C x L_1 repays B: a loss when ln L_1 < ln(B / C), where ln L_1 is normal
    with mean -sigma^2 dt / 2 and deviation sigma sqrt(dt); the mean loss E[(B - C L_1)+] is
    the Black-Scholes put."""
    spread = sigma * math.sqrt(1 / periods_per_year)
    d2 = (math.log(balance / collection) + spread**2 / 2) / spread
    request = bullet(balance, [collection], periods_per_year=periods_per_year)

    losses = pooled_losses(request, volatility=sigma, hazard=0)

    pd = normal_cdf(d2)
    standard_error = math.sqrt(pd * (1 - pd) / losses.size)
    within_three_standard_errors(np.mean(losses > 0.005), pd, standard_error)
    mean_loss = balance * normal_cdf(d2) - collection * normal_cdf(d2 - spread)
    within_three_standard_errors(losses.mean(), mean_loss, losses.std() / math.sqrt(losses.size))


def test_obsolescence_zeroes_the_collection_of_its_own_period_and_every_later_one():
    """B = 100 from 60 + 60, no volatility: obsolete in period 1 (probability 1 - e^(-h dt))
    loses all 100; obsolete in period 2 only, the second 60, so 40."""
    hazard, dt = 0.4, 0.5
    request = bullet(100, [60, 60], periods_per_year=2)

    losses = pooled_losses(request, volatility=0, hazard=hazard)

    first = 1 - math.exp(-hazard * dt)
    second = math.exp(-hazard * dt) * first
    assert set(np.unique(losses)) == {0, 40, 100}
    pd = first + second
    standard_error = math.sqrt(pd * (1 - pd) / losses.size)
    within_three_standard_errors(np.mean(losses > 0.005), pd, standard_error)
    within_three_standard_errors(
        losses.mean(), 100 * first + 40 * second, losses.std() / math.sqrt(losses.size)
    )


def test_draws_are_every_normal_then_every_uniform_in_period_by_path_order():
    """The documented draws: default_rng(seed), Z of shape (periods, paths), then U."""
    sigma, hazard, paths = 0.3, 0.4, 7
    request = {**bullet(0, [10, 10]), "steps": [{"pay_residual": "A"}]}

    result = simulate_spec(
        parse_request(request), paths=paths, seed=5, volatility=sigma, hazard=hazard
    )

    rng = np.random.default_rng(5)
    shocks = rng.standard_normal((2, paths))
    uniforms = rng.random((2, paths))
    level_1 = np.exp(sigma * shocks[0] - sigma**2 / 2)
    level_2 = level_1 * np.exp(sigma * shocks[1] - sigma**2 / 2)
    alive_1 = uniforms[0] >= 1 - math.exp(-hazard)
    alive_2 = alive_1 & (uniforms[1] >= 1 - math.exp(-hazard))
    expected = 10 * level_1 * alive_1 + 10 * level_2 * alive_2
    assert result.outcomes.collected == approx(expected, rel=1e-12)
    assert not alive_2.all()  # the seed exercises obsolescence
    # Everything collected is the residual tranche's excess.
    assert result.outcomes.paid_out == approx(expected, rel=1e-12)


# --- Monotonicity ------------------------------------------------------------------------


def test_pd_and_expected_loss_rise_with_volatility():
    request = design_example()
    assert all(tranche["loss"] == 0 for tranche in run(request)["tranches"].values())
    spec = parse_request(request)

    results = [
        simulate_spec(spec, paths=20_000, seed=11, volatility=volatility, hazard=0)
        for volatility in (0, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6)
    ]

    for name in ("A", "B", "Sub"):
        pds = [result.tranches[name].pd for result in results]
        expected_losses = [result.tranches[name].expected_loss for result in results]
        assert pds == sorted(pds), name
        assert expected_losses == sorted(expected_losses), name
        assert pds[0] == expected_losses[0] == 0
        assert pds[-1] > 0.1


def test_pd_and_losses_rise_with_hazard_on_every_path():
    """Same seed, same U: a higher hazard makes each path obsolete no later."""
    spec = parse_request(design_example())

    results = [
        simulate_spec(spec, paths=20_000, seed=12, volatility=0.25, hazard=hazard)
        for hazard in (0, 0.02, 0.1, 0.5, 2, 5)
    ]

    for name in ("A", "B", "Sub"):
        pds = [result.tranches[name].pd for result in results]
        expected_losses = [result.tranches[name].expected_loss for result in results]
        assert pds == sorted(pds), name
        assert expected_losses == sorted(expected_losses), name
        assert pds[-1] > pds[0]
        for lower, higher in zip(results, results[1:], strict=False):
            assert np.all(higher.outcomes.losses[name] >= lower.outcomes.losses[name] - 1e-9)


# --- Seeds -------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_answer():
    request = with_simulation(everything(), paths=2000, seed=42)

    assert simulate(request) == simulate(request)


def test_a_different_seed_gives_a_different_answer():
    first = simulate(with_simulation(everything(), paths=2000, seed=42))
    second = simulate(with_simulation(everything(), paths=2000, seed=43))

    assert first["tranches"] != second["tranches"]
    assert (first["seed"], second["seed"]) == (42, 43)


# --- Deterministic equivalence -----------------------------------------------------------


@pytest.mark.parametrize("structure", STRUCTURES.values(), ids=STRUCTURES.keys())
def test_without_volatility_or_hazard_every_path_is_the_deterministic_run(structure):
    request = structure()
    deterministic = run(request)["tranches"]

    answer = simulate(with_simulation(request, paths=50, volatility=0, obsolescence_hazard=0))

    for tranche in request["tranches"]:
        loss = deterministic[tranche["name"]]["loss"]
        risk = answer["tranches"][tranche["name"]]
        assert risk["pd"] == (1.0 if loss > 0.005 else 0.0)
        assert risk["mean_loss"] == approx(loss, rel=1e-9, abs=1e-9)
        assert risk["expected_loss"] == approx(loss / tranche["balance"], rel=1e-9, abs=1e-12)
        assert risk["loss_quantiles"] == approx({"50": loss, "95": loss, "99": loss}, abs=1e-9)


def test_the_deterministic_structures_include_losses():
    """The equivalence above is not only about money-good tranches."""
    losses = {
        name: [t["loss"] for t in run(structure())["tranches"].values()]
        for name, structure in STRUCTURES.items()
    }

    assert all(loss == 0 for loss in losses["design example"])
    for name in ("short collections", "pro rata principal", "reserve draw", "everything"):
        assert any(loss > 0.005 for loss in losses[name]), name


# --- The vectorized engine against the path-by-path loop ---------------------------------


def assert_same_paths(vectorized, loop):
    """Every path's losses and cash agree to 1e-6 relative (floats against exact decimals)."""
    close = {"rel": 1e-6, "abs": 1e-9}
    for name, losses in loop.outcomes.losses.items():
        assert vectorized.outcomes.losses[name] == approx(losses, **close), name
        assert vectorized.outcomes.unpaid_interest[name] == approx(
            loop.outcomes.unpaid_interest[name], **close
        )
    assert vectorized.outcomes.collected == approx(loop.outcomes.collected, **close)
    assert vectorized.outcomes.paid_out == approx(loop.outcomes.paid_out, **close)
    assert vectorized.outcomes.reserve_end == approx(loop.outcomes.reserve_end, **close)


@pytest.mark.parametrize("structure", STRUCTURES.values(), ids=STRUCTURES.keys())
@pytest.mark.parametrize(("volatility", "hazard"), [(0.4, 0.3), (1.2, 0.05), (0, 0)])
def test_vectorized_engine_equals_the_loop_path_by_path(structure, volatility, hazard):
    spec = parse_request(structure())
    settings_ = {"paths": 50, "seed": 9, "volatility": volatility, "hazard": hazard}

    vectorized = simulate_spec(spec, **settings_)
    loop = simulate_loop(spec, **settings_)

    assert_same_paths(vectorized, loop)
    for name, risk in loop.tranches.items():
        assert vectorized.tranches[name].pd == risk.pd
        assert vectorized.tranches[name].expected_loss == approx(risk.expected_loss, abs=1e-9)


SIMULATIONS = st.fixed_dictionaries(
    {
        "paths": st.integers(1, 25),
        "seed": st.integers(0, 2**63 - 1),
        "volatility": st.floats(0, 1.5),
        "hazard": st.floats(0, 2),
    }
)


@settings(max_examples=60, deadline=None)
@given(any_requests(), SIMULATIONS)
def test_vectorized_engine_equals_the_loop_on_any_structure(request, simulation):
    spec = parse_request(request)

    assert_same_paths(simulate_spec(spec, **simulation), simulate_loop(spec, **simulation))


# --- Properties --------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(any_requests(), SIMULATIONS)
def test_every_path_conserves_cash_and_loses_no_more_than_it_is_owed(request, simulation):
    spec = parse_request(request)

    result = simulate_spec(spec, **simulation)

    outcomes = result.outcomes
    reserve_start = float(spec.reserve.initial)
    assert np.all(outcomes.collected >= 0)
    assert outcomes.collected + reserve_start == approx(
        outcomes.paid_out + outcomes.reserve_end, rel=1e-9, abs=1e-6
    )
    assert np.all(outcomes.reserve_end >= 0)
    for tranche in spec.tranches:
        losses = outcomes.losses[tranche.name]
        assert np.all(losses >= 0)
        assert np.all(
            losses <= float(tranche.balance) + outcomes.unpaid_interest[tranche.name] + 1e-9
        )
        risk = result.tranches[tranche.name]
        assert 0 <= risk.pd <= 1
        assert risk.expected_loss >= 0
        quantiles = risk.loss_quantiles
        assert 0 <= quantiles["50"] <= quantiles["95"] <= quantiles["99"] <= losses.max()


# --- The answer --------------------------------------------------------------------------


def test_answer_is_json_with_the_contract_keys():
    answer = simulate(with_simulation(design_example()))

    assert json.loads(json.dumps(answer, allow_nan=False)) == answer
    assert set(answer) == {
        "tranches",
        "paths",
        "seed",
        "periods",
        "volatility",
        "obsolescence_hazard",
    }
    assert (answer["paths"], answer["seed"], answer["periods"]) == (1000, 1, 4)
    assert (answer["volatility"], answer["obsolescence_hazard"]) == (0.25, 0.02)
    assert list(answer["tranches"]) == ["A", "B", "Sub"]
    for risk in answer["tranches"].values():
        assert set(risk) == {
            "pd",
            "expected_loss",
            "loss_quantiles",
            "mean_loss",
            "initial_balance",
        }
        assert list(risk["loss_quantiles"]) == ["50", "95", "99"]
        assert all(type(value) is float for value in risk["loss_quantiles"].values())
        assert all(type(risk[key]) is float for key in ("pd", "expected_loss", "mean_loss"))


def test_quantiles_are_amounts_of_actual_paths():
    result = simulate_spec(
        parse_request(short_collections()), paths=999, seed=4, volatility=0.5, hazard=0.1
    )

    for name, risk in result.tranches.items():
        losses = result.outcomes.losses[name]
        for value in risk.loss_quantiles.values():
            assert value in losses
        # The nearest rank: the 99th percentile of 999 paths is the 990th smallest.
        assert risk.loss_quantiles["99"] == np.sort(losses)[989]


def test_a_tranche_of_balance_zero_has_no_expected_loss():
    request = {**bullet(0, [0, 0]), "tranches": [{"name": "A", "balance": 0, "rate": 0.1}]}

    answer = simulate(with_simulation(request))

    assert answer["tranches"]["A"] == {
        "pd": 0.0,
        "expected_loss": 0.0,
        "loss_quantiles": {"50": 0.0, "95": 0.0, "99": 0.0},
        "mean_loss": 0.0,
        "initial_balance": 0.0,
    }


# --- Input -------------------------------------------------------------------------------


def _without(key):
    def change(request):
        del request["simulation"][key]

    return change


def _setting(key, value):
    def change(request):
        request["simulation"][key] = value

    return change


def _simulation(value):
    def change(request):
        request["simulation"] = value

    return change


BAD_SIMULATION = [
    (_simulation(None), "simulation", "must be a JSON object"),
    (_simulation([1000, 1]), "simulation", "must be a JSON object"),
    (_setting("pahts", 10), "simulation.pahts", "unknown field"),
    (_without("paths"), "simulation.paths", "is required"),
    (_without("seed"), "simulation.seed", "is required"),
    (_without("volatility"), "simulation.volatility", "is required"),
    (_without("obsolescence_hazard"), "simulation.obsolescence_hazard", "is required"),
    (_setting("paths", 0), "simulation.paths", "1 to 100,000"),
    (_setting("paths", 100_001), "simulation.paths", "1 to 100,000"),
    (_setting("paths", 10.0), "simulation.paths", "whole number"),
    (_setting("paths", "10"), "simulation.paths", "whole number"),
    (_setting("paths", True), "simulation.paths", "whole number"),
    (_setting("seed", -1), "simulation.seed", "whole number"),
    (_setting("seed", 2**63), "simulation.seed", "whole number"),
    (_setting("seed", 1.5), "simulation.seed", "whole number"),
    (_setting("seed", None), "simulation.seed", "whole number"),
    (_setting("volatility", -0.01), "simulation.volatility", "from 0 to 5"),
    (_setting("volatility", 5.01), "simulation.volatility", "from 0 to 5"),
    (_setting("volatility", math.nan), "simulation.volatility", "from 0 to 5"),
    (_setting("volatility", "0.2"), "simulation.volatility", "must be a number"),
    (_setting("volatility", False), "simulation.volatility", "must be a number"),
    (_setting("obsolescence_hazard", -1), "simulation.obsolescence_hazard", "from 0 to 5"),
    (_setting("obsolescence_hazard", math.inf), "simulation.obsolescence_hazard", "from 0 to 5"),
    (_setting("obsolescence_hazard", None), "simulation.obsolescence_hazard", "must be a number"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_SIMULATION)
def test_bad_simulation_input_names_the_field(change, field, message):
    request = with_simulation(design_example())
    change(request)

    with pytest.raises(WaterfallInputError) as raised:
        simulate(request)

    assert raised.value.field == field
    assert message in raised.value.message


def test_a_missing_simulation_is_reported():
    with pytest.raises(WaterfallInputError) as raised:
        simulate(design_example())

    assert (raised.value.field, raised.value.message) == ("simulation", "is required")


def test_paths_times_periods_are_capped():
    request = with_simulation(bullet(100, [1] * 400), paths=MAX_DRAWS // 400 + 1)

    with pytest.raises(WaterfallInputError) as raised:
        simulate(request)

    assert raised.value.field == "simulation.paths"
    assert "paths x periods" in raised.value.message


def test_bad_waterfall_input_is_reported_as_by_the_waterfall():
    request = with_simulation(design_example())
    request["tranches"][1]["balance"] = -5

    with pytest.raises(WaterfallInputError) as raised:
        simulate(request)

    assert raised.value.field == "tranches[1].balance"


@pytest.mark.parametrize("engine", [simulate_spec, simulate_loop])
def test_both_engines_check_their_settings(engine):
    spec = parse_request(design_example())

    with pytest.raises(WaterfallInputError) as raised:
        engine(spec, paths=10, seed=1, volatility=0.2, hazard=-0.5)

    assert raised.value.field == "simulation.obsolescence_hazard"
