"""The benchmark (`make bench`, benchmarks/) at a minuscule scale, in the test database: its
data generator and COPY load give the rows it says, with the derived columns the services would
compute, and its ten searches find the same deals the fast way (the page's code path) and the
naive way (Django admin's icontains search), so the benchmark compares like with like.

PostgreSQL only, like the benchmark (COPY, full text, trigram)."""

import pytest
from django.db import connection

from benchmarks import data
from benchmarks.run import check_derivation
from benchmarks.searches import SEARCHES, fast_queryset, naive_queryset, run_fast, run_naive
from deals import selectors
from deals.models import Deal, DealFacetValue, PoolAsset, Tranche
from deals.search import update_search_vectors
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
