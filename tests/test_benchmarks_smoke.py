"""The benchmark (`make bench`, benchmarks/) at a minuscule scale, in the test database: its
data generator and COPY load give the rows it says, with the derived columns the services would
compute, and its ten searches find the same deals the fast way (the page's code path) and the
naive way (Django admin's icontains search), so the benchmark compares like with like. Its
indicator and market steps run end to end: the simulated deal is the one described, the loaded
deals carry cash-flow models the risk recompute simulates, the synthetic filings are valid and
reach the market snapshot, and the endpoint and the page answer from it.

PostgreSQL only, like the benchmark (COPY, full text, trigram)."""

import pytest
from django.db import connection

from benchmarks import data, indicators
from benchmarks.run import check_derivation
from benchmarks.searches import SEARCHES, fast_queryset, naive_queryset, run_fast, run_naive
from deals import selectors, services
from deals.models import Deal, DealFacetValue, PoolAsset, Tranche
from deals.search import update_search_vectors
from disclosure import market, market_build, quality
from disclosure import services as disclosure_services
from disclosure.choices import FilingStatus
from disclosure.models import Filing
from ipregistry.models import IPAsset, Issuer

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="the benchmark is PostgreSQL-only (COPY, full text, pg_trgm); "
                              "set DATABASE_URL to a PostgreSQL database to run it"),
]

DEALS, ISSUERS = 200, 40


@pytest.fixture
def loaded(db):
    dataset = data.generate(DEALS, ISSUERS, seed=7, bases=data.reserved_bases(DEALS, ISSUERS),
                            ref_prefix="SMOKE-", serial_base=5 * 10**8)
    data.copy_load(dataset)
    update_search_vectors(Deal.objects.filter(pk__in=dataset.deal_ids))
    return dataset


def test_copy_load_gives_the_generated_rows(loaded):
    counts = loaded.counts()
    assert counts["deals"] == DEALS
    assert counts["issuers"] == ISSUERS
    assert counts["assets"] == counts["pool"] == DEALS * data.ASSETS_PER_DEAL
    assert 2 * DEALS <= counts["tranches"] <= 3 * DEALS
    assert Deal.objects.filter(external_ref__startswith="SMOKE-").count() == DEALS
    assert Issuer.objects.filter(external_ref__startswith="SMOKE-").count() == ISSUERS
    assert IPAsset.objects.filter(external_ref__startswith="SMOKE-").count() == counts["assets"]
    deal_ids = loaded.deal_ids
    assert Tranche.objects.filter(deal_id__in=deal_ids).count() == counts["tranches"]
    assert PoolAsset.objects.filter(deal_id__in=deal_ids).count() == counts["pool"]
    assert DealFacetValue.objects.filter(deal_id__in=deal_ids).count() == counts["facet_values"]
    assert not Deal.objects.filter(pk__in=deal_ids, search_vector__isnull=True).exists()


def test_loaded_columns_are_what_the_services_derive(loaded):
    # deal_refresh on every loaded deal (rolled back) would change no derived column, vector
    # or facet row.
    assert check_derivation(loaded.deal_ids) == []


def test_the_ten_searches_find_the_same_deals_both_ways(loaded, investor):
    def base():
        return selectors.deal_list(user=investor)

    found_something = 0
    for search in SEARCHES:
        fast = run_fast(search, base)
        naive = run_naive(search, base)
        fast_ids = set(fast_queryset(search, base()).values_list("pk", flat=True))
        naive_ids = set(naive_queryset(search, base()).values_list("pk", flat=True))
        assert fast.count == len(fast_ids)
        assert naive.count == len(naive_ids)
        # Everything the naive search finds, the fast one finds.
        assert naive_ids <= fast_ids, search.key
        # The fast search finds more only through its documented near-miss branch (names
        # word-similar to the query, deals.search, used when few deals match exactly); those
        # deals are word-similar to the query, and nothing else is extra.
        extra = fast_ids - naive_ids
        if extra:
            similar = set(Deal.objects.filter(
                pk__in=extra, search_primary__trigram_word_similar=search.text)
                .values_list("pk", flat=True))
            assert extra == similar, (search.key, extra - similar)
        else:
            # Same deals: then the facet counts agree too (one GROUPING SETS query against
            # one GROUP BY per facet).
            assert fast.facets == naive.facets, search.key
        # The first page holds the page size or all matches.
        assert len(fast.rows) == min(25, fast.count)
        found_something += bool(naive_ids)
    assert found_something >= 7  # the searches mean something on this data


# The indicators and the market (benchmarks.indicators)


def test_simulation_spec_and_its_timing():
    spec = indicators.simulation_spec(1)
    assert len(spec.collections) == 40 and len(spec.tranches) == 3 and len(spec.fees) == 2
    assert spec.reserve.target > 0
    assert [step.action for step in spec.steps] == [
        "pay_fees", "pay_interest", "pay_interest", "fund_reserve", "pay_principal",
        "pay_residual"]
    assert spec.steps[4].mode == "sequential"
    timed = indicators.time_simulation(deals=2, paths=200, loop_paths=(10, 20), loop_reps=1)
    assert len(timed["samples"]) == 2 and timed["speedup"] > 1
    assert timed["loop_deal"] == pytest.approx(timed["loop_per_path"][20] * 200)
    assert timed["max_difference"] < 1e-9  # both engines ran the same paths


def test_loaded_deals_carry_a_cash_flow_model_the_risk_recompute_simulates(loaded):
    for deal in Deal.objects.filter(pk__in=loaded.deal_ids[:5]):
        assert len(deal.projected_collections) >= 2
        services.deal_spec(deal)  # a valid DESIGN 6.2 model
        snapshot = services.risk_snapshot_refresh(deal_id=deal.pk, paths=200)
        assert "error" not in snapshot.simulation
        assert set(snapshot.tranches) == set(deal.tranches.values_list("name", flat=True))


def test_filings_recompute_and_market_on_the_benchmark_data(loaded):
    indicators.add_reference_data()
    added = indicators.add_filings(20, seed=7)
    filings = Filing.objects.select_related("template", "issuer").prefetch_related("values")
    assert filings.count() == added["filings"] > 0
    assert not filings.filter(status=FilingStatus.DRAFT).exists()
    for filing in filings:
        answers = {value.field: value.as_answer() for value in filing.values.all()}
        assert quality.validate(filing.template.spec, answers).is_valid
        assert disclosure_services.content_digest(filing) == filing.content_sha256

    recompute = indicators.time_recompute(5, seed=7, workers=2)
    assert recompute["rows"]["risk"]["n"] == recompute["rows"]["sdg_deal"]["n"] == 5
    assert not any(row["errors"] for row in recompute["rows"].values())
    assert recompute["risk_many"] <= recompute["risk_one"]

    timed = indicators.time_market(warmup=1, reps=1, budget=0, min_reps=1)
    assert timed["filings"] == added["filings"] and timed["observations"] > 0
    assert timed["scope_deals"][()] == timed["deals"]
    _, data = market_build.latest()
    coverage = market.answer(data)["coverage"]
    assert coverage["rnd_intensity_change_pp"]["included"] > 0  # the filings' figures count
    assert coverage["esg_disclosure_rate"]["included"] == added["filings"]
