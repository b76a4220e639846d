"""Deal search (DESIGN 7): full text over six sources, ranking, trigram names (PostgreSQL),
vectors and facet rows kept current by the services, facet counts and filters, sorts, the
search in the URL, and a query budget that does not grow with the deals."""

import datetime
from decimal import Decimal

import pytest
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from deals import search as search_module
from deals import services
from deals.choices import DealStatus, Label, Structure
from deals.filters import DealFilterSet
from deals.models import Deal, DealFacetValue
from deals.permissions import scope_deals
from deals.search import (
    FACETS,
    SORTS,
    SearchQuerySet,
    facet_counts,
    parse_query,
    refresh_facets,
    search,
    sort,
    update_search_vectors,
)
from ipregistry import services as registry_services
from ipregistry.choices import IssuerType
from tests.deals.factories import (
    DealFactory,
    PoolAssetFactory,
    TrancheFactory,
    asset,
    issued_deal,
)
from tests.factories import IssuerFactory

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="PostgreSQL full-text and trigram search")


def names(queryset) -> list[str]:
    return [deal.name for deal in queryset]


def run(query: str, queryset=None) -> DealFilterSet:
    filterset = DealFilterSet(QueryDict(query), queryset=queryset or Deal.objects.all())
    assert filterset.is_valid(), filterset.errors
    return filterset


def counts(facets: dict, key: str) -> dict:
    return {entry["value"]: entry["count"] for entry in facets[key]}


# Text search


@pytest.fixture
def sources(db):
    """Six deals, each findable by one made-up word in one text source, plus a bystander."""
    intermediary = IssuerFactory(name="Quillon Leasing Co., Ltd.",
                                 issuer_type=IssuerType.FINANCIAL_INTERMEDIARY)
    beneficiary = IssuerFactory(name="Tessaract Robotics Co., Ltd.")
    return {
        "name": issued_deal(name="Zephyrine Photonics IP ABS"),
        "originator": issued_deal(name="Second Leasing ABS", originator=intermediary),
        "spv": issued_deal(name="Third ABS", spv_name="Marrowind Trust Plan"),
        "beneficiary": issued_deal(
            name="Fourth ABS", originator=IssuerFactory(
                name="Plain Finance Co., Ltd.", issuer_type=IssuerType.FINANCIAL_INTERMEDIARY),
            assets=[asset(owner=beneficiary, title="Servo control method")]),
        "asset": issued_deal(name="Fifth ABS",
                             assets=[asset(title="Graphene anode coating method")]),
        "proceeds": issued_deal(name="Sixth ABS",
                                use_of_proceeds="Expansion of a hydrogen electrolyser plant."),
        "bystander": issued_deal(name="Unrelated Music Royalty ABS"),
    }


@pytest.mark.parametrize(("source", "query"), [
    ("name", "zephyrine"),
    ("originator", "Quillon"),
    ("spv", "marrowind"),
    ("beneficiary", "Tessaract"),
    ("asset", "graphene"),
    ("proceeds", "electrolyser"),
])
def test_search_finds_a_deal_by_each_text_source(sources, source, query):
    assert names(search(Deal.objects.all(), query)) == [sources[source].name]
    assert names(run(f"q={query}").qs) == [sources[source].name]


def test_every_word_must_match_and_minus_excludes(sources):
    assert names(search(Deal.objects.all(), "graphene anode")) == ["Fifth ABS"]
    assert names(search(Deal.objects.all(), "graphene zephyrine")) == []
    assert names(search(Deal.objects.all(), "ABS -graphene -music").filter(
        name__in=["Fifth ABS", "Sixth ABS", "Unrelated Music Royalty ABS"])) == ["Sixth ABS"]
    assert names(search(Deal.objects.all(), '"anode coating"')) == ["Fifth ABS"]


def test_a_blank_query_keeps_every_deal(sources):
    assert search(Deal.objects.all(), "   ").count() == len(sources)
    assert run("q=").qs.count() == len(sources)


def test_parse_query():
    assert parse_query('solar "anode  coating" -coal wind or tidal OR hydro patent') == (
        [["solar"], ["anode coating"], ["wind", "tidal", "hydro"], ["patent"]], ["coal"])
    assert parse_query('or unbalanced "quote -') == ([["unbalanced"], ["quote"]], [])


def test_or_makes_alternatives_and_terms_may_match_in_different_sources(sources):
    assert sorted(names(search(Deal.objects.all(), "graphene or marrowind"))) == [
        "Fifth ABS", "Third ABS"]
    assert names(search(Deal.objects.all(), "fifth graphene")) == ["Fifth ABS"]
    assert names(search(Deal.objects.all(), "fifth or sixth -electrolyser")) == ["Fifth ABS"]


def test_a_name_match_ranks_above_a_use_of_proceeds_match(db):
    proceeds = issued_deal(name="Green Energy ABS",
                           use_of_proceeds="Funds the Solaris rooftop programme.")
    named = issued_deal(name="Solaris Photovoltaic ABS")
    ranked = list(run("q=solaris&sort=relevance").qs)
    assert [deal.pk for deal in ranked] == [named.pk, proceeds.pk]
    assert ranked[0].rank > ranked[1].rank
    # Relevance is the default sort when there is a query.
    assert [deal.pk for deal in run("q=solaris").qs] == [named.pk, proceeds.pk]


def test_weights_order_primary_parties_assets_proceeds(db):
    beneficiary = IssuerFactory(name="Corvina Devices Co., Ltd.")
    lender = IssuerFactory(name="Lender Co., Ltd.", issuer_type=IssuerType.FINANCIAL_INTERMEDIARY)
    in_proceeds = issued_deal(name="D ABS", use_of_proceeds="Corvina line")
    in_assets = issued_deal(name="C ABS", assets=[asset(title="Corvina sensor housing")])
    in_parties = issued_deal(name="B ABS", originator=lender,
                             assets=[asset(owner=beneficiary, title="Plain title")])
    in_name = issued_deal(name="Corvina ABS")
    assert [deal.pk for deal in run("q=corvina").qs] == [
        in_name.pk, in_parties.pk, in_assets.pk, in_proceeds.pk]


@postgres_only
def test_trigram_similarity_catches_a_misspelt_name(db):
    deal = issued_deal(name="Shenzhen Photovoltaic Royalty ABS")
    issued_deal(name="Beijing Film Copyright ABS")
    assert names(search(Deal.objects.all(), "Photovoltiac")) == [deal.name]
    assert names(search(Deal.objects.all(), "Photovoltiac Royalti")) == [deal.name]


@postgres_only
def test_near_misses_on_names_rank_below_exact_matches(db):
    exact = issued_deal(name="Zephyrine Royalty ABS")
    near = issued_deal(name="Zephyrina Royalty ABS")
    issued_deal(name="Unrelated Film ABS")
    ranked = list(search(Deal.objects.all(), "Zephyrine").order_by("-rank"))
    assert [deal.pk for deal in ranked] == [exact.pk, near.pk]
    assert ranked[0].rank > ranked[1].rank > 0
    # An excluded word keeps a near miss out too.
    assert names(search(Deal.objects.all(), "Zephyrine -royalty")) == []


@postgres_only
def test_english_stemming_on_asset_titles_and_proceeds(db):
    deal = issued_deal(name="Stem ABS", assets=[asset(title="Battery thermal management")],
                       use_of_proceeds="Builds charging stations.")
    assert names(search(Deal.objects.all(), "batteries")) == [deal.name]
    assert names(search(Deal.objects.all(), "station")) == [deal.name]
    assert names(search(Deal.objects.all(), "charging -batteries")) == []


@postgres_only
def test_the_vector_is_weighted(db):
    deal = issued_deal(name="Alphaname ABS", use_of_proceeds="Betaproceeds",
                       assets=[asset(title="Gammatitle method")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector::text FROM deals_deal WHERE id = %s", [deal.pk])
        vector = cursor.fetchone()[0]
    lexemes = dict(item.split(":", 1) for item in vector.split(" "))
    assert lexemes["'alphaname'"] == "1A"  # the name, 'simple': not stemmed
    assert lexemes["'gammatitl'"].endswith("C")  # an asset title, 'english': stemmed
    assert lexemes["'betaproce'"].isdigit()  # use of proceeds: weight D, not printed


def test_search_follows_a_renamed_deal_through_the_services(db):
    deal = issued_deal(name="Oldname Royalty ABS", status=DealStatus.DRAFT)
    assert names(search(Deal.objects.all(), "oldname")) == ["Oldname Royalty ABS"]
    services.deal_update(actor=None, deal=deal, name="Newname Royalty ABS")
    assert names(search(Deal.objects.all(), "oldname")) == []
    assert names(search(Deal.objects.all(), "newname")) == ["Newname Royalty ABS"]


def test_search_follows_the_pool_through_the_services(db):
    deal = issued_deal(name="Pool ABS", status=DealStatus.DRAFT)
    assert names(search(Deal.objects.all(), "quasicrystal")) == []
    entry = PoolAssetFactory(deal=deal, asset=asset(owner=deal.originator,
                                                    title="Quasicrystal alloy casting"))
    assert names(search(Deal.objects.all(), "quasicrystal")) == ["Pool ABS"]
    services.pool_remove(actor=None, entry=entry)
    assert names(search(Deal.objects.all(), "quasicrystal")) == []


def test_search_follows_a_renamed_asset_and_beneficiary(db, django_capture_on_commit_callbacks):
    """Asset titles and owners' names are deal search text: editing them in the registry
    refreshes the deals pooling them once the edit commits."""
    originator = IssuerFactory(name="Intermediary Leasing Co.",
                               issuer_type=IssuerType.FINANCIAL_INTERMEDIARY)
    deal = issued_deal(name="Lease ABS", originator=originator, status=DealStatus.DRAFT)
    beneficiary = IssuerFactory(name="Oldco Robotics")
    pooled = asset(owner=beneficiary, title="Harmonic reducer gear")
    PoolAssetFactory(deal=deal, asset=pooled)
    assert names(search(Deal.objects.all(), "harmonic oldco")) == ["Lease ABS"]
    with django_capture_on_commit_callbacks(execute=True):
        registry_services.asset_update(actor=None, asset=pooled, title="Cycloidal drive")
        registry_services.issuer_update(actor=None, issuer=beneficiary, name="Newco Robotics")
    assert names(search(Deal.objects.all(), "harmonic")) == []
    assert names(search(Deal.objects.all(), "oldco")) == []
    assert names(search(Deal.objects.all(), "cycloidal newco")) == ["Lease ABS"]


def test_many_registry_edits_refresh_each_deal_once(db, django_capture_on_commit_callbacks,
                                                    monkeypatch):
    deal = issued_deal(name="Refresh Once ABS", status=DealStatus.DRAFT)
    assets = [asset(owner=deal.originator, title=f"Widget {n}") for n in range(5)]
    for item in assets:
        PoolAssetFactory(deal=deal, asset=item)
    refreshed = []
    real = services.deal_refresh
    monkeypatch.setattr(services, "deal_refresh",
                        lambda *, deal_id: (refreshed.append(deal_id), real(deal_id=deal_id)))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for n, item in enumerate(assets):
            registry_services.asset_update(actor=None, asset=item, title=f"Gadget {n}")
    assert refreshed == [deal.pk]
    assert names(search(Deal.objects.all(), "gadget")) == ["Refresh Once ABS"]


@postgres_only
def test_update_search_vectors_backfills_in_one_statement(db):
    deal = issued_deal(name="Backfill ABS")
    Deal.objects.filter(pk=deal.pk).update(search_vector=None)
    # The trigram branch still finds the name; the vector branch needs the vector back.
    assert names(search(Deal.objects.all(), "backfill").filter(search_vector__isnull=False)) == []
    with CaptureQueriesContext(connection) as queries:
        assert update_search_vectors(Deal.objects.all()) == 1
    assert len(queries) == 1
    assert names(search(Deal.objects.all(), "backfill")) == ["Backfill ABS"]


# Facets


@pytest.fixture
def market(db):
    """Four deals with known facet values."""
    us_originator = IssuerFactory(name="Pacific Royalty Corp.")
    return {
        "gd": issued_deal(name="Guangdong Green Patent ABS", structure=Structure.LICENCE_ROYALTY,
                          coupon=Decimal("0.045"), rating="AAA", size=Decimal("500000000"),
                          label=Label.GREEN, sdg_targets=["9.5", "7.2"],
                          issue_date=datetime.date(2023, 3, 1),
                          assets=["invention_patent", "invention_patent", "trademark"]),
        "bj": issued_deal(name="Beijing Lease ABS", structure=Structure.FINANCE_LEASE,
                          province="CN-BJ", city="Beijing", coupon=Decimal("0.032"),
                          rating="AA+", size=Decimal("80000000"), sdg_targets=["9.5"],
                          issue_date=datetime.date(2022, 9, 1), status=DealStatus.AMORTIZING,
                          assets=["copyright_software"]),
        "us": issued_deal(name="Pacific Trademark ABS", originator=us_originator,
                          structure=Structure.WHOLE_BUSINESS, country="US", province="US-CA",
                          city="San Jose", venue="144A", currency="USD",
                          coupon=Decimal("0.071"), rating="BBB-", size=Decimal("1200000000"),
                          label=Label.SOCIAL, issue_date=datetime.date(2024, 5, 1),
                          assets=["trademark"]),
        "draft": issued_deal(name="Shenzhen Draft Data ABS", status=DealStatus.DRAFT,
                             coupon=None, rating="", size=Decimal("150000000"),
                             issue_date=None, legal_final_date=None, sdg_targets=["13.a"],
                             assets=["data_asset"]),
    }


def test_facet_counts_of_a_known_market(market):
    facets = facet_counts(Deal.objects.all())
    assert list(facets) == [facet.key for facet in FACETS]
    assert counts(facets, "asset_kind") == {"invention_patent": 1, "trademark": 2,
                                            "copyright_software": 1, "data_asset": 1}
    assert counts(facets, "country") == {"CN": 3, "US": 1}
    assert counts(facets, "province") == {"CN-GD": 2, "CN-BJ": 1, "US-CA": 1}
    assert counts(facets, "structure") == {"licence_royalty": 2, "finance_lease": 1,
                                           "whole_business": 1}
    assert facets["status"] == [
        {"value": "draft", "label": "Draft", "count": 1},
        {"value": "issued", "label": "Issued", "count": 2},
        {"value": "amortizing", "label": "Amortizing", "count": 1}]
    assert [(e["value"], e["count"]) for e in facets["rating_bucket"]] == [
        ("AAA", 1), ("AA", 1), ("BBB", 1), ("NR", 1)]
    assert [(e["value"], e["label"], e["count"]) for e in facets["coupon_range"]] == [
        ("3-4", "3-4 %", 1), ("4-5", "4-5 %", 1), ("ge7", ">= 7 %", 1),
        ("none", "No coupon", 1)]
    assert [(e["value"], e["count"]) for e in facets["size_range"]] == [
        ("lt100m", 1), ("100m-300m", 1), ("300m-1bn", 1), ("ge1bn", 1)]
    assert counts(facets, "label") == {"none": 2, "green": 1, "social": 1}
    assert [e["value"] for e in facets["label"]] == ["none", "green", "social"]
    assert [(e["value"], e["label"], e["count"]) for e in facets["sdg_target"]] == [
        ("7.2", "SDG 7.2", 1), ("9.5", "SDG 9.5", 2), ("13.a", "SDG 13.a", 1)]
    # Years newest first; the draft has no issue year and is left out.
    assert facets["issue_year"] == [{"value": 2024, "label": "2024", "count": 1},
                                    {"value": 2023, "label": "2023", "count": 1},
                                    {"value": 2022, "label": "2022", "count": 1}]
    assert dict((e["value"], e["label"]) for e in facets["country"])["CN"] == "China"
    assert dict((e["value"], e["label"]) for e in facets["province"])["CN-GD"] == "Guangdong Sheng"


def test_a_deal_with_two_asset_kinds_counts_once_under_each(market):
    kinds = counts(facet_counts(Deal.objects.filter(pk=market["gd"].pk)), "asset_kind")
    # Two patents and a trademark: one deal under each kind, not two under patents.
    assert kinds == {"invention_patent": 1, "trademark": 1}
    assert sorted(DealFacetValue.objects.filter(deal=market["gd"], facet="asset_kind")
                  .values_list("value", flat=True)) == ["invention_patent", "trademark"]


def test_a_text_query_narrows_the_facet_counts(market):
    filterset = run("q=ABS -beijing -draft")
    facets = facet_counts(filterset.qs)
    assert counts(facets, "country") == {"CN": 1, "US": 1}
    assert counts(facets, "asset_kind") == {"invention_patent": 1, "trademark": 2}
    assert counts(facet_counts(run("q=pacific").qs), "status") == {"issued": 1}


def test_a_facet_filter_narrows_the_other_counts(market):
    facets = facet_counts(run("status=issued&status=amortizing&country=CN").qs)
    assert counts(facets, "country") == {"CN": 2}
    assert counts(facets, "sdg_target") == {"9.5": 2, "7.2": 1}
    assert counts(facets, "issue_year") == {2023: 1, 2022: 1}


def test_facet_counts_follow_the_readers_scope(market, investor):
    facets = facet_counts(scope_deals(Deal.objects.all(), investor))
    assert counts(facets, "status") == {"issued": 2, "amortizing": 1}
    assert "data_asset" not in counts(facets, "asset_kind")


@pytest.mark.parametrize(("query", "expected"), [
    ("asset_kind=trademark", {"gd", "us"}),
    ("asset_kind=data_asset&asset_kind=copyright_software", {"bj", "draft"}),
    ("country=CN&country=US", {"gd", "bj", "us", "draft"}),
    ("country=us", {"us"}),
    ("province=CN-GD", {"gd", "draft"}),
    ("structure=finance_lease&structure=whole_business", {"bj", "us"}),
    ("status=draft", {"draft"}),
    ("rating_bucket=AA&rating_bucket=BBB", {"bj", "us"}),
    ("rating_bucket=NR", {"draft"}),
    ("coupon_range=4-5&coupon_range=ge7", {"gd", "us"}),
    ("coupon_range=none", {"draft"}),
    ("coupon_range=3-4", {"bj"}),
    ("coupon_range=3-4&coupon_range=4-5&coupon_range=none", {"bj", "gd", "draft"}),
    ("coupon_range=lt2&coupon_range=2-3", set()),
    ("size_range=lt100m", {"bj"}),
    ("size_range=100m-300m&size_range=ge1bn", {"draft", "us"}),
    ("label=green&label=social", {"gd", "us"}),
    ("sdg_target=9.5", {"gd", "bj"}),
    ("sdg_target=13.a&sdg_target=7.2", {"draft", "gd"}),
    ("issue_year=2022&issue_year=2024", {"bj", "us"}),
    ("country=CN&asset_kind=trademark", {"gd"}),
    ("q=patent&label=green", {"gd"}),
])
def test_facet_filters_with_repeated_values(market, query, expected):
    by_pk = {deal.pk: key for key, deal in market.items()}
    assert {by_pk[deal.pk] for deal in run(query).qs} == expected


@pytest.mark.parametrize("query", [
    "country=CHN", "province=Guangdong", "status=bogus", "coupon_range=9-10", "sdg_target=18.1",
    "issue_year=twenty", "asset_kind=patent", "sort=name",
])
def test_invalid_facet_values_are_refused(market, query):
    filterset = DealFilterSet(QueryDict(query), queryset=Deal.objects.all())
    assert not filterset.is_valid()
    assert list(filterset.errors) == [query.split("=")[0]]


def test_multi_select_facet_counts_keep_the_other_values(market):
    filterset = run("country=US&label=green")
    facets = filterset.facet_counts()
    assert list(facets) == [facet.key for facet in FACETS]
    # Country is counted without its own filter (but with label=green): CN could be added.
    assert counts(facets, "country") == {"CN": 1, "US": 0}
    # Label is counted with country=US: the US deal is social.
    assert counts(facets, "label") == {"green": 0, "social": 1}
    # Other facets are counted over the result (nothing: no green US deal).
    assert counts(facets, "status") == {}
    plain = run("country=CN").facet_counts()
    assert counts(plain, "country") == {"CN": 3, "US": 1}
    assert counts(plain, "status") == {"draft": 1, "issued": 1, "amortizing": 1}


def test_cached_facet_counts_follow_every_service_write(market):
    queryset = Deal.objects.filter(status__in=["issued", "amortizing", "matured"])
    first = facet_counts(queryset, cache_seconds=60)
    with CaptureQueriesContext(connection) as queries:
        assert facet_counts(queryset, cache_seconds=60) == first
    assert len(queries) == 1, [q["sql"][:300] for q in queries.captured_queries]  # fingerprint
    services.deal_transition(actor=None, deal=market["gd"], to_status="matured")
    assert counts(facet_counts(queryset, cache_seconds=60), "status") == {
        "issued": 1, "amortizing": 1, "matured": 1}
    draft = market["draft"]
    TrancheFactory(deal=draft, name="B", rank=2, coupon_rate=Decimal("0.09"))
    everything = Deal.objects.all()
    before = counts(facet_counts(everything, cache_seconds=60), "coupon_range")
    services.tranche_update(actor=None, tranche=draft.tranches.get(rank=1),
                            coupon_rate=Decimal("0.015"))
    after = counts(facet_counts(everything, cache_seconds=60), "coupon_range")
    assert before["none"] == 1 and "lt2" not in before
    assert after["lt2"] == 1 and "none" not in after


def test_a_page_with_related_rows_is_fetched_ids_first(market):
    queryset = run("sort=-size").qs.select_related("originator")
    assert isinstance(queryset, SearchQuerySet)
    expected = [deal.pk for deal in Deal.objects.order_by("-size", "-id")][:2]
    with CaptureQueriesContext(connection) as queries:
        page = list(queryset[:2])
        assert [deal.originator.name for deal in page]  # no further query
    assert [deal.pk for deal in page] == expected
    assert len(queries) == 2
    assert "JOIN" not in queries[0]["sql"] and "JOIN" in queries[1]["sql"]
    # Relevance pages keep their order and rank.
    ranked = run("q=ABS").qs.select_related("originator")
    page = list(ranked[:3])
    assert [deal.pk for deal in page] == [deal.pk for deal in run("q=ABS").qs[:3]]
    assert all(hasattr(deal, "rank") for deal in page)
    # Larger slices (exports) and get() are one query, as usual.
    with CaptureQueriesContext(connection) as queries:
        assert len(list(queryset[:5000])) == 4
        assert queryset.get(pk=expected[0]).pk == expected[0]
    assert len(queries) == 2


def test_a_text_search_brings_its_first_pages_with_its_count(market, monkeypatch):
    """count() of a text search also numbers the matches in the page order and keeps the first
    TOP_IDS ids: a page among them reads only its own rows, in the order a full evaluation
    gives; a page past them is read the usual way."""
    monkeypatch.setattr(search_module, "TOP_IDS", 2)
    expected = [deal.pk for deal in run("q=ABS").qs]
    assert len(expected) >= 4
    queryset = run("q=ABS").qs
    with CaptureQueriesContext(connection) as queries:
        paginator = Paginator(queryset, 2)
        assert paginator.count == len(expected)
        first = list(paginator.page(1))
    assert [deal.pk for deal in first] == expected[:2]
    assert all(hasattr(deal, "rank") for deal in first)
    assert len(queries) == 2
    assert "ROW_NUMBER" in queries[0]["sql"].upper()
    # The page is read by its ids alone, not ranked and cut again.
    page_sql = queries[1]["sql"].upper()
    assert page_sql.endswith(f"IN ({expected[0]}, {expected[1]}))") or \
        page_sql.endswith(f"IN ({expected[1]}, {expected[0]}))")
    assert not page_sql.endswith("LIMIT 2")
    # Past the numbered ids: ordered and limited, as usual, and still in the same order.
    with CaptureQueriesContext(connection) as queries:
        second = list(paginator.page(2))
    assert [deal.pk for deal in second] == expected[2:4]
    assert queries[-1]["sql"].upper().endswith("LIMIT 2 OFFSET 2")
    # A filtered copy counts afresh and forgets the ids.
    assert queryset.filter(pk=expected[-1]).count() == 1
    assert [deal.pk for deal in queryset.filter(pk=expected[-1])[:1]] == [expected[-1]]


def test_a_search_without_text_is_not_numbered(market):
    """Without a text query an index gives the page order: count() numbers nothing."""
    queryset = run("sort=-size").qs
    with CaptureQueriesContext(connection) as queries:
        queryset.count()
    assert "ROW_NUMBER" not in queries[0]["sql"].upper()
    assert [deal.pk for deal in queryset[:2]] == \
        [deal.pk for deal in Deal.objects.order_by("-size", "-id")][:2]


# Sorts


def test_sort_orders(market):
    gd, bj, us, draft = (market[key].pk for key in ("gd", "bj", "us", "draft"))

    def order(query):
        return [deal.pk for deal in run(query).qs]

    assert order("") == order("sort=-issue_date") == [us, gd, bj, draft]  # undated last
    assert order("sort=-size") == [us, gd, draft, bj]
    assert order("sort=-coupon") == [us, gd, bj, draft]  # no coupon last
    assert order("sort=coupon") == [bj, gd, us, draft]
    # Relevance without a query falls back to newest first.
    assert order("sort=relevance") == [us, gd, bj, draft]
    unbound = DealFilterSet(None, queryset=Deal.objects.all())
    assert [deal.pk for deal in unbound.qs] == [us, gd, bj, draft]
    assert set(SORTS) == {"relevance", "-issue_date", "-size", "-coupon", "coupon"}
    assert [deal.pk for deal in sort(Deal.objects.all(), "-size")] == [us, gd, draft, bj]


# The search in the URL


def test_the_whole_search_round_trips_through_the_query_string(market):
    query = ("q=ABS&country=cn&country=US&country=CN&status=issued&status=amortizing"
             "&coupon_range=4-5&coupon_range=3-4&sdg_target=9.5&issue_year=2023"
             "&issue_year=2022&sort=-coupon&page=2")
    first = run(query)
    shared = first.querystring()
    assert shared == ("q=ABS&country=CN&country=US&status=issued&status=amortizing"
                      "&coupon_range=4-5&coupon_range=3-4&sdg_target=9.5&issue_year=2023"
                      "&issue_year=2022&sort=-coupon")
    second = run(shared)
    assert second.querystring() == shared
    assert [deal.pk for deal in second.qs] == [deal.pk for deal in first.qs] == [
        market["gd"].pk, market["bj"].pk]
    assert second.facet_counts() == first.facet_counts()
    # Links that change one part of the search.
    assert first.querystring(sort="-size", q=None).endswith("&sort=-size")
    assert "q=" not in first.querystring(q=None)
    assert "status=issued&status=amortizing&status=draft" in first.toggle_querystring(
        "status", "draft")
    assert "status=amortizing&coupon" in first.toggle_querystring("status", "issued")


def test_an_empty_search_has_an_empty_query_string(market):
    assert run("").querystring() == ""
    assert DealFilterSet(None, queryset=Deal.objects.all()).querystring(sort="-size") == \
        "sort=-size"


# Facet rows and the services


def test_refresh_facets_writes_only_what_changed(market):
    deal = market["gd"]
    before = set(DealFacetValue.objects.filter(deal=deal).values_list("pk", "facet", "value"))
    refresh_facets([deal.pk])
    assert set(DealFacetValue.objects.filter(deal=deal).values_list(
        "pk", "facet", "value")) == before
    Deal.objects.filter(pk=deal.pk).update(sdg_targets=["9.5", "8.2", "bogus"])
    refresh_facets([deal.pk])
    assert sorted(DealFacetValue.objects.filter(deal=deal, facet="sdg_target")
                  .values_list("value", flat=True)) == ["8.2", "9.5"]
    # The row of the target kept is the same row.
    kept = {row for row in before if row[1:] == ("sdg_target", "9.5")}
    assert kept <= set(DealFacetValue.objects.filter(deal=deal).values_list(
        "pk", "facet", "value"))


def test_the_services_keep_the_facet_rows_current(db):
    """deals.services.deal_refresh calls deals.search.refresh_facets."""
    deal = DealFactory(name="Facet ABS", sdg_targets=["9.5"])
    assert counts(facet_counts(Deal.objects.filter(pk=deal.pk)), "sdg_target") == {"9.5": 1}
    entry = PoolAssetFactory(deal=deal, asset=asset("trademark", owner=deal.originator))
    assert counts(facet_counts(Deal.objects.filter(pk=deal.pk)), "asset_kind") == {
        "trademark": 1}
    services.deal_update(actor=None, deal=deal, sdg_targets=["13.a"])
    services.pool_remove(actor=None, entry=entry)
    facets = facet_counts(Deal.objects.filter(pk=deal.pk))
    assert counts(facets, "sdg_target") == {"13.a": 1}
    assert counts(facets, "asset_kind") == {}


def test_a_deal_leaving_its_pool_live_status_keeps_its_asset_kinds(market):
    deal = services.deal_transition(actor=None, deal=market["gd"], to_status="matured")
    assert not deal.pool.filter(live=True).exists()
    assert counts(facet_counts(Deal.objects.filter(pk=deal.pk)), "asset_kind") == {
        "invention_patent": 1, "trademark": 1}
    assert counts(facet_counts(Deal.objects.filter(pk=deal.pk)), "status") == {"matured": 1}


# Query budget


def _add_deals(count: int) -> None:
    kinds = ["invention_patent", "trademark", "data_asset"]
    for n in range(count):
        deal = DealFactory(name=f"Budget Royalty ABS {n}", sdg_targets=["9.5", f"{n % 17 + 1}.1"],
                           issue_date=datetime.date(2015 + n % 10, 1, 1),
                           use_of_proceeds="Royalty financing of budget plants.")
        TrancheFactory(deal=deal, coupon_rate=Decimal("0.03") + Decimal(n % 6) / 100)
        PoolAssetFactory(deal=deal, asset=asset(kinds[n % 3], owner=deal.originator))


def _measure(query: str) -> tuple[int, int]:
    """Queries of a search page (COUNT, the page, facet counts) and of multi-select counts."""
    with CaptureQueriesContext(connection) as queries:
        filterset = DealFilterSet(QueryDict(query), queryset=Deal.objects.all())
        paginator = Paginator(filterset.qs, 25)
        page = list(paginator.page(1))
        facets = facet_counts(filterset.qs)
    with CaptureQueriesContext(connection) as multi:
        filterset.facet_counts()
    assert page and sum(entry["count"] for entry in facets["status"]) == paginator.count == \
        Deal.objects.filter(pk__in=filterset.qs.values("pk")).count()
    return len(queries), len(multi)


@pytest.mark.parametrize("query", [
    "q=royalty", "q=budget plants&asset_kind=trademark&asset_kind=invention_patent",
    "sdg_target=9.5&coupon_range=3-4&coupon_range=4-5&sort=-coupon",
    "q=royalty&country=CN&status=draft&issue_year=2016&issue_year=2017&sort=relevance",
])
def test_search_and_facet_counts_use_the_same_queries_for_5_and_50_deals(db, query):
    _add_deals(5)
    few = _measure(query)
    _add_deals(45)
    assert Deal.objects.count() == 50
    assert _measure(query) == few
    # One query for the count with every facet count, one for the page; multi-select counts
    # reuse those and add one per selected facet; on PostgreSQL a text query first asks
    # whether it has enough exact matches (else it adds near misses).
    params = QueryDict(query)
    selected = len(set(params) - {"q", "sort"})
    probe = int(connection.vendor == "postgresql" and "q" in params)
    assert few == (2 + probe, selected)


def test_a_search_counts_its_deals_with_its_facets(market):
    filterset = run("country=CN&sort=-size")
    queryset = filterset.qs
    with CaptureQueriesContext(connection) as queries:
        assert queryset.count() == 3
        facets = facet_counts(queryset)
    assert len(queries) == 1
    assert counts(facets, "country") == {"CN": 3}
    assert facet_counts(queryset, ["label"]) == {"label": facets["label"]}
    # A derived queryset counts afresh; an evaluated one counts its rows.
    assert queryset.filter(label="green").count() == 1
    assert queryset[:2].count() == 2
    evaluated = run("country=CN").qs
    assert len(list(evaluated)) == 3
    with CaptureQueriesContext(connection) as queries:
        assert evaluated.count() == 3
    assert len(queries) == 0
