"""The ten investor searches, run two ways.

Fast: exactly as the /deals/ page does it (deals.views.DealSearchView): DealFilterSet over the
investor's queryset (selectors.deal_list), Django's Paginator for the first page of 25 (its
COUNT, then the page's rows), then deals.search.facet_counts over the filtered queryset.

Naive: as the Django admin would do it with `search_fields` over the same text the search
columns hold (deal name, originator, SPV, city, venue, the pooled assets' owners, i.e. the
beneficiaries, and titles, use of proceeds): ModelAdmin.get_search_results (each word an OR of
`icontains` over the fields, words AND-ed, in one filter()), the same facet conditions written
the list_filter way (asset kind through the pool join, SDG targets with a JSON containment),
de-duplicated as the admin's ChangeList does (Exists over the root queryset), ordered by the
model's default ordering (there is no relevance), the same Paginator and page size, and facet
counts as one GROUP BY query per facet over that result.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import reduce
from operator import or_
from urllib.parse import urlencode

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, Value, When
from django.http import QueryDict
from django.test import RequestFactory

from deals.filters import DealFilterSet
from deals.models import Deal, DealFacetValue
from deals.search import FACETS, FACETS_BY_KEY, facet_counts

PAGE_SIZE = 25  # deals.views.DealSearchView.paginate_by


@dataclass(frozen=True)
class Search:
    key: str
    params: tuple[tuple[str, str], ...]

    @property
    def querystring(self) -> str:
        return urlencode(self.params)

    @property
    def text(self) -> str:
        return " ".join(value for name, value in self.params if name == "q")

    def label(self) -> str:
        text = f'"{self.text}"' if self.text else "(no text)"
        facets = " ".join(f"{name}={value}" for name, value in self.params if name != "q")
        return f"{text} {facets}".strip()


SEARCHES = (
    Search("patent-shenzhen", (("q", "patent Shenzhen"), ("country", "CN"))),
    Search("lithium-pledged", (("q", "lithium battery"), ("structure", "pledged_loan"))),
    Search("green-2023", (("q", "green"), ("label", "green"), ("issue_year", "2023"))),
    Search("biomedical-gd-aaa", (("q", "biomedical"), ("province", "CN-GD"),
                                 ("rating_bucket", "AAA"))),
    Search("software-copyright", (("q", "software copyright"),
                                  ("asset_kind", "copyright_software"))),
    Search("hangzhou-coupon", (("q", "Hangzhou"), ("coupon_range", "4-5"))),
    Search("film-us", (("q", "film royalties"), ("country", "US"))),
    Search("solar-sdg", (("q", "solar"), ("sdg_target", "7.2"))),
    Search("beijing-university", (("q", "Beijing university"),)),
    Search("issued-size", (("status", "issued"), ("size_range", "100m-300m"))),
)


@dataclass
class Outcome:
    rows: list
    count: int
    facets: dict[str, dict[str, int]]
    seconds: dict[str, float]  # count, page, facets, total


def _clock() -> float:
    return time.perf_counter()


# Fast: the page's own code path


def fast_queryset(search: Search, base):
    filterset = DealFilterSet(QueryDict(search.querystring), queryset=base)
    if not filterset.is_valid():
        raise ValueError(f"{search.key}: {filterset.errors}")
    return filterset.qs


def run_fast(search: Search, base_factory) -> Outcome:
    """One page view's search work: filter set, COUNT, first page, facet counts."""
    started = _clock()
    queryset = fast_queryset(search, base_factory())
    page = Paginator(queryset, PAGE_SIZE).page(1)
    counted = _clock()
    rows = list(page)
    paged = _clock()
    facets = facet_counts(queryset)
    done = _clock()
    return Outcome(rows, page.paginator.count,
                   {key: {str(entry["value"]): entry["count"] for entry in entries}
                    for key, entries in facets.items()},
                   {"count": counted - started, "page": paged - counted,
                    "facets": done - paged, "total": done - started})


# Naive: the Django admin's way


class NaiveDealAdmin(admin.ModelAdmin):
    search_fields = ["name", "originator__name", "spv_name", "city", "venue",
                     "pool__asset__owner__name", "pool__asset__title", "use_of_proceeds"]


_ADMIN = NaiveDealAdmin(Deal, admin.AdminSite(name="benchmark"))
_REQUEST = RequestFactory().get("/admin/deals/deal/")


def _naive_facet_filter(key: str, values: list[str]) -> tuple[Q, bool]:
    """The facet condition as a list_filter would write it; True when it joins the pool."""
    facet = FACETS_BY_KEY[key]
    if key == "asset_kind":
        return Q(pool__asset__kind__in=values), True
    if key == "sdg_target":
        return reduce(or_, (Q(sdg_targets__contains=[value]) for value in values)), False
    if facet.kind == "bucket":
        chosen = [bucket for bucket in facet.buckets if bucket.key in values]
        return reduce(or_, (bucket.q(facet.field) for bucket in chosen)), False
    if key == "issue_year":
        return Q(issue_year__in=[int(value) for value in values]), False
    return Q(**{f"{facet.field}__in": values}), False


def naive_queryset(search: Search, base):
    queryset, duplicates = base, False
    if search.text:
        queryset, duplicates = _ADMIN.get_search_results(_REQUEST, queryset, search.text)
    wanted: dict[str, list[str]] = {}
    for name, value in search.params:
        if name != "q":
            wanted.setdefault(name, []).append(value)
    for key, values in wanted.items():
        condition, joins = _naive_facet_filter(key, values)
        queryset = queryset.filter(condition)
        duplicates |= joins
    if duplicates:  # django.contrib.admin.views.main.ChangeList.get_queryset
        queryset = base.filter(Exists(queryset.filter(pk=OuterRef("pk"))))
    return queryset.order_by(*Deal._meta.ordering)


def naive_facet_counts(queryset) -> dict[str, dict[str, int]]:
    """One GROUP BY query per facet over the naive result (asset kinds through the pool join;
    SDG targets from the facet rows, JSON arrays having no GROUP BY in the ORM)."""
    result = {}
    plain = queryset.order_by()
    for facet in FACETS:
        if facet.key == "asset_kind":
            rows = plain.values_list("pool__asset__kind").annotate(n=Count("pk", distinct=True))
        elif facet.key == "sdg_target":
            rows = DealFacetValue.objects.filter(
                facet="sdg_target", deal__in=plain.values("pk")).values_list("value") \
                .annotate(n=Count("deal_id")).order_by()
        elif facet.kind == "bucket":
            bucket = Case(*[When(b.q(facet.field), then=Value(b.key)) for b in facet.buckets],
                          default=Value(""), output_field=CharField())
            rows = plain.annotate(f_bucket=bucket).values_list("f_bucket") \
                .annotate(n=Count("pk"))
        else:
            rows = plain.values_list(facet.field).annotate(n=Count("pk"))
        result[facet.key] = {str(value): n for value, n in rows if value not in (None, "")}
    return result


def run_naive(search: Search, base_factory) -> Outcome:
    started = _clock()
    queryset = naive_queryset(search, base_factory())
    page = Paginator(queryset, PAGE_SIZE).page(1)
    counted = _clock()
    rows = list(page)
    paged = _clock()
    facets = naive_facet_counts(queryset)
    done = _clock()
    return Outcome(rows, page.paginator.count, facets,
                   {"count": counted - started, "page": paged - counted,
                    "facets": done - paged, "total": done - started})


# Agreement


@dataclass
class Agreement:
    fast: int
    naive: int
    only_fast: int  # found by the fast search only
    only_naive: int  # found by the naive search only
    only_fast_trigram: int  # of only_fast: matched by the trigram branch (search_primary %> q)
    examples: list[str]

    @property
    def identical(self) -> bool:
        return not self.only_fast and not self.only_naive


def agreement(search: Search, base) -> Agreement:
    fast = set(fast_queryset(search, base).values_list("pk", flat=True))
    naive = set(naive_queryset(search, base).values_list("pk", flat=True))
    only_fast, only_naive = fast - naive, naive - fast
    trigram = set()
    if only_fast and search.text:
        trigram = set(Deal.objects.filter(
            pk__in=only_fast, search_primary__trigram_word_similar=search.text)
            .values_list("pk", flat=True))
    examples = list(Deal.objects.filter(pk__in=sorted(only_fast | only_naive)[:3])
                    .values_list("name", flat=True))
    return Agreement(len(fast), len(naive), len(only_fast), len(only_naive), len(trigram),
                     examples)
