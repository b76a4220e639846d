"""Deal search: full text, facets with counts, sorts (DESIGN 7).

Text. A deal's searchable text lives in four derived columns kept by
`deals.services.deal_refresh`: `search_primary` (name, originator, SPV, city, venue),
`search_parties` (beneficiary names), `search_assets` (asset titles) and `search_proceeds`
(use of proceeds).

- PostgreSQL: `search_vector` stores, GIN-indexed,
  A = to_tsvector('simple', search_primary) || B = to_tsvector('simple', search_parties)
  || C = to_tsvector('english', search_assets) || D = to_tsvector('english', search_proceeds).
  Names (Chinese pinyin, English company names, tickers, registry codes) use the 'simple'
  configuration: no stemming and no stop words, so 'Alpha', 'Shenzhen' or 'CN110000001B' are
  kept as written. Asset titles and use of proceeds are English prose, where stemming helps
  ('batteries' finds 'battery'), so they use 'english'. A query (`parse_query`: words,
  "quoted phrases", `or`, -exclusions) becomes a tsquery term by term, each term in both
  configurations (either form matches wherever it is indexed), GIN-indexed. When that finds
  fewer than FUZZY_BELOW deals (a misspelt name finds none), deals whose names are
  word-similar to the wanted words (pg_trgm `%>`, GIN trigram index on `search_primary`) and
  contain no excluded term are added. `rank` = ts_rank (weights A 1.0, B 0.4, C 0.2, D 0.1)
  for full-text matches, FUZZY_WEIGHT x word similarity for deals found only by similarity.
  Deciding costs one cheap query (stopping at FUZZY_BELOW rows); always OR-ing the trigram
  match would compute word similarity on most deals for a common word.
- SQLite (the embedded default): the same syntax; every term (or one of a clause's
  alternatives) must occur (case-insensitive substring) in one of the four columns, "-term"
  excludes; `rank` adds the weights of the columns each term occurs in, so sorting by
  relevance orders as on PostgreSQL (a name match above a use-of-proceeds match).

Facets. Single-valued facets are read from the deal's own indexed columns (status changes on
transitions without a refresh, so nothing is copied; on PostgreSQL the covering index
deal_facet_cover holds them all); the multi-valued ones (asset kinds in the pool, SDG targets
claimed) live in `DealFacetValue` rows kept by `refresh_facets`. All counts of a filtered
queryset come from one SQL statement (`facet_counts`), which also gives the number of deals:
`SearchQuerySet.count()` (DealFilterSet.qs) runs it and keeps the counts for facet_counts();
for a text search the same statement also ranks the matches and returns the first pages' ids.

Sorts: SORTS (relevance, newest, largest, coupon both ways), each with an index on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from operator import or_

from django.core.cache import cache
from django.db import connections
from django.db.models import (
    Case,
    CharField,
    F,
    FloatField,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.db.models.query import ModelIterable
from django.utils import timezone

from core.validators import country_name, subdivision_name
from deals.choices import DealStatus, Label, Structure
from deals.models import Deal, DealFacetValue, PoolAsset
from deals.ratings import BUCKETS
from ipregistry.choices import AssetKind

# Text search configurations (see the module docstring).
NAMES_CONFIG = "simple"
PROSE_CONFIG = "english"
# Relevance weights of search_primary, search_parties, search_assets, search_proceeds
# (PostgreSQL's ts_rank defaults for A, B, C, D; the SQLite fallback uses the same).
WEIGHTS = (1.0, 0.4, 0.2, 0.1)
TEXT_FIELDS = ("search_primary", "search_parties", "search_assets", "search_proceeds")
MAX_QUERY_LENGTH = 200
# Trigram (fuzzy) matching on names is added when the full-text query finds fewer than
# FUZZY_BELOW deals (a misspelt name finds none), and adds at most FUZZY_LIMIT deals, each
# ranked at FUZZY_WEIGHT x its word similarity.
FUZZY_BELOW = 25
FUZZY_LIMIT = 50
FUZZY_WEIGHT = 0.05
# SearchQuerySet fetches a slice of at most this many rows ids first (a page, not an export).
DEFERRED_JOIN_MAX = 1000
# A text search's count() also returns the ids of its first TOP_IDS deals in the page order
# (four pages), so those pages need no second pass over every match to find their rows.
TOP_IDS = 100
# The facet key under which the facet statement returns those ids.
TOP_KEY = "__top"


def _postgres(queryset: QuerySet) -> bool:
    return connections[queryset.db].vendor == "postgresql"


# Search vector


def update_search_vectors(queryset: QuerySet) -> int:
    """Recompute `search_vector` of the deals in the queryset, in one UPDATE (PostgreSQL only;
    elsewhere nothing is stored and 0 is returned)."""
    if not _postgres(queryset):
        return 0
    from django.contrib.postgres.search import SearchVector

    vector = (SearchVector("search_primary", weight="A", config=NAMES_CONFIG)
              + SearchVector("search_parties", weight="B", config=NAMES_CONFIG)
              + SearchVector("search_assets", weight="C", config=PROSE_CONFIG)
              + SearchVector("search_proceeds", weight="D", config=PROSE_CONFIG))
    return queryset.order_by().update(search_vector=vector)


# Text query


def search(queryset: QuerySet, q: str) -> QuerySet:
    """Deals of the queryset matching the text query, annotated with `rank` (higher = better).

    A blank query returns the queryset unchanged, annotated with rank 0.
    """
    q = " ".join((q or "").split())[:MAX_QUERY_LENGTH]
    if not q:
        return queryset.annotate(rank=Value(0.0, output_field=FloatField()))
    if _postgres(queryset):
        return _search_postgres(queryset, q)
    return _search_portable(queryset, q)


def parse_query(q: str) -> tuple[list[list[str]], list[str]]:
    """Split a query into required clauses and excluded terms, the same on every database.

    Syntax (as web search engines): words are all required; "a quoted phrase" is one term;
    `a or b` makes one clause of alternatives (OR binds its neighbours: `solar or wind
    patent` = (solar OR wind) AND patent); `-term` excludes. Returns (clauses, excluded),
    each clause a list of alternatives.
    """
    try:
        parts = shlex.split(q)
    except ValueError:  # an unbalanced quote
        parts = q.replace('"', " ").replace("'", " ").split()
    clauses: list[list[str]] = []
    excluded: list[str] = []
    pending_or = False
    for part in (" ".join(part.split()) for part in parts):
        if not part or part == "-":
            continue
        if part.lower() == "or":
            pending_or = bool(clauses)
        elif part.startswith("-"):
            excluded.append(part[1:])
            pending_or = False
        else:
            if pending_or:
                clauses[-1].append(part)
            else:
                clauses.append([part])
            pending_or = False
    return clauses, excluded


def _search_postgres(queryset: QuerySet, q: str) -> QuerySet:
    from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity

    def term_query(term: str, *, invert: bool = False):
        # One term (or phrase) in both configurations: 'simple' lexemes of names and 'english'
        # stems of prose both count, per term (so 'graphene anode' may match one word in a
        # name and the other in an asset title).
        text = f'"{term}"' if " " in term else term
        simple = SearchQuery(text, search_type="websearch", config=NAMES_CONFIG, invert=invert)
        prose = SearchQuery(text, search_type="websearch", config=PROSE_CONFIG, invert=invert)
        return simple & prose if invert else simple | prose

    clauses, excluded = parse_query(q)
    if not clauses and not excluded:
        return queryset.annotate(rank=Value(0.0, output_field=FloatField()))
    parts = [reduce(or_, (term_query(term) for term in clause)) for clause in clauses]
    parts += [term_query(term, invert=True) for term in excluded]
    query = reduce(lambda a, b: a & b, parts)
    ranked = SearchRank(F("search_vector"), query, weights=list(reversed(WEIGHTS)))
    exact = queryset.filter(search_vector=query)
    wanted = " ".join(term for clause in clauses for term in clause)
    if not wanted or _enough(exact):
        return exact.annotate(rank=Coalesce(ranked, Value(0.0), output_field=FloatField()))
    # Few or no exact matches: add near misses on the names, the wanted words word-similar
    # (pg_trgm `%>`, above pg_trgm.word_similarity_threshold, 0.6 by default) to
    # search_primary, with no excluded term; at most FUZZY_LIMIT of them, so a misspelling of
    # a very common word costs no more than a rare one.
    fuzzy = Q(search_primary__trigram_word_similar=wanted)
    if excluded:
        fuzzy &= ~Q(search_vector=reduce(or_, (term_query(term) for term in excluded)))
    # Each branch is found through its own GIN index (search_vector; trigrams of
    # search_primary): as one OR condition the planner may pick a sequential scan computing
    # word similarity on every deal.
    base = queryset.model._base_manager.using(queryset.db).order_by()
    ids = base.filter(search_vector=query).values("pk").union(
        base.filter(fuzzy).values("pk")[:FUZZY_LIMIT], all=True)
    # Full-text matches rank by ts_rank; a deal found only by a near miss on its names ranks
    # at FUZZY_WEIGHT x similarity: below an exact name match (ts_rank about 0.06 per
    # occurrence at weight A), above single matches in asset titles or use of proceeds
    # (C 0.012, D 0.006). Word similarity, the costly part, is computed for near misses only.
    rank = Case(When(Q(search_vector=query), then=ranked),
                default=FUZZY_WEIGHT * TrigramWordSimilarity(wanted, "search_primary"),
                output_field=FloatField())
    return queryset.filter(pk__in=ids).annotate(rank=rank)


def _enough(exact: QuerySet) -> bool:
    """Whether the exact (full-text) matches fill a first page: then no fuzzy matching.
    One cheap query (the GIN index, stopping at FUZZY_BELOW rows)."""
    return len(exact.order_by().values_list("pk", flat=True)[:FUZZY_BELOW]) >= FUZZY_BELOW


def _contains_any(term: str) -> Q:
    return reduce(or_, (Q(**{f"{field}__icontains": term}) for field in TEXT_FIELDS))


def _search_portable(queryset: QuerySet, q: str) -> QuerySet:
    clauses, excluded = parse_query(q)
    if not clauses and not excluded:
        return queryset.annotate(rank=Value(0.0, output_field=FloatField()))
    for clause in clauses:
        queryset = queryset.filter(reduce(or_, (_contains_any(term) for term in clause)))
    for term in excluded:
        queryset = queryset.exclude(_contains_any(term))
    parts = [Case(When(Q(**{f"{field}__icontains": term}), then=Value(weight)),
                  default=Value(0.0), output_field=FloatField())
             for clause in clauses for term in clause
             for field, weight in zip(TEXT_FIELDS, WEIGHTS, strict=True)]
    rank = reduce(lambda a, b: a + b, parts) if parts else Value(0.0)
    return queryset.annotate(rank=rank)


# Facets


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    low: Decimal | None  # inclusive
    high: Decimal | None  # exclusive

    def q(self, field: str) -> Q:
        if self.low is None and self.high is None:
            return Q(**{f"{field}__isnull": True})
        condition = Q()
        if self.low is not None:
            condition &= Q(**{f"{field}__gte": self.low})
        if self.high is not None:
            condition &= Q(**{f"{field}__lt": self.high})
        return condition


def _merge(buckets: list[Bucket]) -> list[Bucket]:
    """Adjacent ranges as one (4-5 % and 5-7 % -> 4-7 %): one index range condition, which an
    index scan in coupon or size order can use, instead of an OR it can only filter by."""
    ranges = sorted((b for b in buckets if b.low is not None or b.high is not None),
                    key=lambda b: (b.low is not None, b.low))
    merged: list[Bucket] = []
    for bucket in ranges:
        last = merged[-1] if merged else None
        if last is not None and last.high is not None and last.high == bucket.low:
            merged[-1] = Bucket(f"{last.key}+{bucket.key}", "", last.low, bucket.high)
        else:
            merged.append(bucket)
    return merged + [b for b in buckets if b.low is None and b.high is None]


# Senior (rank-1) tranche coupon, a fraction; "none" = no senior coupon known.
COUPON_BUCKETS = (
    Bucket("lt2", "< 2 %", None, Decimal("0.02")),
    Bucket("2-3", "2-3 %", Decimal("0.02"), Decimal("0.03")),
    Bucket("3-4", "3-4 %", Decimal("0.03"), Decimal("0.04")),
    Bucket("4-5", "4-5 %", Decimal("0.04"), Decimal("0.05")),
    Bucket("5-7", "5-7 %", Decimal("0.05"), Decimal("0.07")),
    Bucket("ge7", ">= 7 %", Decimal("0.07"), None),
    Bucket("none", "No coupon", None, None),
)
MILLION = Decimal(1_000_000)
# Deal size in the deal's OWN currency (no FX conversion: a USD-equivalent would need the
# issue year's FxRate, which is missing for some deals and would make the facet unindexable),
# in millions: 100m CNY and 100m USD fall into the same bucket.
SIZE_BUCKETS = (
    Bucket("lt100m", "< 100m", None, 100 * MILLION),
    Bucket("100m-300m", "100m-300m", 100 * MILLION, 300 * MILLION),
    Bucket("300m-1bn", "300m-1bn", 300 * MILLION, 1000 * MILLION),
    Bucket("ge1bn", ">= 1bn", 1000 * MILLION, None),
)


def _sdg_key(value: str):
    goal, _, target = value.partition(".")
    return (int(goal) if goal.isdigit() else 99, not target.isdigit(),
            int(target) if target.isdigit() else 0, target)


def is_sdg_target(value) -> bool:
    """'9.5', '13.a': goal 1..17, a target of up to two letters or digits."""
    goal, _, target = str(value).strip().partition(".")
    return goal.isdigit() and 1 <= int(goal) <= 17 and target.isalnum() and len(target) <= 2


@dataclass(frozen=True)
class Facet:
    """A facet: its URL key, heading, where its values come from, how they read and sort.

    kind: "column" (a Deal column, `field`), "bucket" (ranges of the Deal column `field`,
    `buckets`) or "multi" (DealFacetValue rows with facet = key).
    order: "count" (most deals first), "choices" (the order of `choices`), "desc" (values
    descending, e.g. years) or "sdg" (goal then target).
    """

    key: str
    label: str
    kind: str
    field: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    buckets: tuple[Bucket, ...] = ()
    order: str = "count"
    display: Callable[[str], str] | None = None

    def label_of(self, value) -> str:
        if self.display is not None:
            return self.display(value)
        return dict(self.choices).get(value, str(value))

    def filter_q(self, values: Iterable) -> Q:
        """The condition 'the deal has any of these values' (indexed on every database)."""
        values = [value for value in values if value not in (None, "")]
        if not values:
            return Q()
        if self.kind == "bucket":
            chosen = [bucket for bucket in self.buckets if bucket.key in values]
            return reduce(or_, (bucket.q(self.field) for bucket in _merge(chosen))) if chosen \
                else Q(pk__in=[])
        if self.kind == "multi":
            return Q(pk__in=DealFacetValue.objects.filter(
                facet=self.key, value__in=[str(value) for value in values]).values("deal_id"))
        return Q(**{f"{self.field}__in": values})


FACETS: tuple[Facet, ...] = (
    Facet("asset_kind", "Asset kind", "multi", choices=tuple(AssetKind.choices)),
    Facet("country", "Country", "column", "country", display=country_name),
    Facet("province", "Province / state", "column", "province", display=subdivision_name),
    Facet("structure", "Structure", "column", "structure", choices=tuple(Structure.choices)),
    Facet("status", "Status", "column", "status", choices=tuple(DealStatus.choices),
          order="choices"),
    Facet("rating_bucket", "Senior rating", "column", "rating_bucket",
          choices=tuple((bucket, "Not rated" if bucket == "NR" else bucket)
                        for bucket in BUCKETS), order="choices"),
    Facet("coupon_range", "Senior coupon", "bucket", "senior_coupon",
          choices=tuple((b.key, b.label) for b in COUPON_BUCKETS), buckets=COUPON_BUCKETS,
          order="choices"),
    Facet("size_range", "Size (deal currency)", "bucket", "size",
          choices=tuple((b.key, b.label) for b in SIZE_BUCKETS), buckets=SIZE_BUCKETS,
          order="choices"),
    Facet("label", "Label", "column", "label", choices=tuple(Label.choices), order="choices"),
    Facet("sdg_target", "SDG target", "multi", order="sdg",
          display=lambda value: f"SDG {value}"),
    Facet("issue_year", "Issue year", "column", "issue_year", order="desc",
          display=lambda value: str(value)),
)
FACETS_BY_KEY = {facet.key: facet for facet in FACETS}
MULTI_FACETS = tuple(facet.key for facet in FACETS if facet.kind == "multi")


def facet_filter(key: str, values: Iterable) -> Q:
    """The condition for ?key=value&key=value (any of the values) on the facet `key`."""
    return FACETS_BY_KEY[key].filter_q(values)


def _bucket_expression(facet: Facet):
    return Case(*[When(bucket.q(facet.field), then=Value(bucket.key)) for bucket in facet.buckets],
                default=Value(""), output_field=CharField())


def sort_facet_values(facet: Facet, entries: list[dict]) -> list[dict]:
    if facet.order == "choices":
        position = {value: index for index, (value, _) in enumerate(facet.choices)}
        return sorted(entries, key=lambda e: (position.get(e["value"], len(position)),
                                              str(e["value"])))
    if facet.order == "desc":
        return sorted(entries, key=lambda e: e["value"], reverse=True)
    if facet.order == "sdg":
        return sorted(entries, key=lambda e: _sdg_key(e["value"]))
    return sorted(entries, key=lambda e: (-e["count"], str(e["value"])))


def facet_counts(queryset: QuerySet, facets: Iterable[str] | None = None, *,
                 cache_seconds: int = 0, top: int = 0) -> dict[str, list[dict]]:
    """Count the deals of the (filtered) queryset per value of each facet, in ONE query.

    Returns {facet key: [{"value", "label", "count"}, ...]} for every facet in FACETS order
    (or only those named in `facets`), values sorted as the facet says; values no deal has are
    left out (blank provinces, unknown issue years). A multi-valued facet counts a deal once per
    value (a pool of patents and trademarks counts under both).

    The queryset's rows are selected once (a CTE of their ids and facet columns, ordering and
    annotations dropped). On PostgreSQL the single-valued facets are counted in one pass over
    them (GROUPING SETS), elsewhere by a UNION ALL of one GROUP BY per facet; the multi-valued
    facets join DealFacetValue (index deal_facet_value_unique) on the deal ids. The status
    counts add up to queryset.count(), so a caller holding them need not count again.

    cache_seconds > 0 keeps the answer in Django's default cache, keyed by the statement and a
    fingerprint of the deals table (latest updated_at and the number of deals, one cheap
    query): every write through deals.services changes it (deal_refresh via refresh_facets,
    transitions and edits via save), so service-made changes show at once; only two writes
    committing out of timestamp order can leave an answer stale, for at most cache_seconds.
    Counting every deal costs several hundred milliseconds at 100,000 deals (the landing
    page); a cached answer costs the fingerprint query.

    top > 0 (SearchQuerySet.count() of a text search; never cached): the same statement also
    numbers the deals in the queryset's order (ROW_NUMBER over the rows it reads anyway) and
    returns the ids of the first `top`, kept on the SearchQuerySet for its first pages.
    """
    wanted = [FACETS_BY_KEY[key] for key in (facets if facets is not None else FACETS_BY_KEY)]
    result = {facet.key: [] for facet in wanted}
    if not wanted:
        return result
    if queryset.query.is_sliced:
        raise ValueError("facet_counts needs an unsliced queryset.")
    if (known := getattr(queryset, "_facet_counts", None)) is not None:
        return {facet.key: known[facet.key] for facet in wanted}
    single = [facet for facet in wanted if facet.kind != "multi"]
    multi = [facet.key for facet in wanted if facet.kind == "multi"]
    columns = {"f_id": F("pk")}
    for facet in single:
        columns[f"f_{facet.key}"] = (F(facet.field) if facet.kind == "column"
                                     else _bucket_expression(facet))
    if top:
        cache_seconds = 0
        columns["f_position"] = Window(RowNumber(), order_by=list(queryset.query.order_by))
    inner_sql, params = queryset.order_by().values(**columns).query.sql_with_params()
    connection = connections[queryset.db]
    qn = connection.ops.quote_name
    names = {facet.key: qn(f"f_{facet.key}") for facet in single}
    branches = []
    if single and connection.vendor == "postgresql":
        grouped = [f"GROUPING({names[facet.key]}) = 0" for facet in single]
        facet_case = " ".join(f"WHEN {test} THEN '{facet.key}'"
                              for test, facet in zip(grouped, single, strict=True))
        value_case = " ".join(f"WHEN {test} THEN CAST({names[facet.key]} AS TEXT)"
                              for test, facet in zip(grouped, single, strict=True))
        sets = ", ".join(f"({names[facet.key]})" for facet in single)
        branches.append(f"SELECT CASE {facet_case} END AS facet, CASE {value_case} END AS value, "
                        f"COUNT(*) AS n FROM facet_deals GROUP BY GROUPING SETS ({sets})")
    else:
        branches += [f"SELECT '{facet.key}' AS facet, CAST({names[facet.key]} AS TEXT) AS value, "
                     f"COUNT(*) AS n FROM facet_deals GROUP BY {names[facet.key]}"
                     for facet in single]
    if multi:
        table = qn(DealFacetValue._meta.db_table)
        keys = ", ".join(f"'{key}'" for key in multi)
        # Each found deal's rows by an index-only probe of deal_facet_value_unique (a few
        # buffers per deal): PostgreSQL plans `IN (SELECT ... FROM cte)` as a nested loop over
        # the found ids. Written as a join, the planner, misjudging how many deals were found,
        # may hash the whole table instead (and spill it to disk at a small work_mem).
        branches.append(
            f"SELECT v.{qn('facet')} AS facet, v.{qn('value')} AS value, COUNT(*) AS n "
            f"FROM {table} v WHERE v.{qn('deal_id')} IN (SELECT f_id FROM facet_deals) "
            f"AND v.{qn('facet')} IN ({keys}) GROUP BY v.{qn('facet')}, v.{qn('value')}")
    if top:
        branches.append(f"SELECT '{TOP_KEY}' AS facet, CAST(f_id AS TEXT) AS value, "
                        f"{qn('f_position')} AS n FROM facet_deals "
                        f"WHERE {qn('f_position')} <= {int(top)}")
    sql = f"WITH facet_deals AS ({inner_sql}) " + " UNION ALL ".join(branches)
    with connection.cursor() as cursor:
        cache_key = None
        if cache_seconds > 0:
            table = qn(queryset.model._meta.db_table)
            cursor.execute(f"SELECT (SELECT MAX({qn('updated_at')}) FROM {table}), "
                           f"(SELECT COUNT(*) FROM {table})")
            fingerprint = cursor.fetchone()
            cache_key = "deals.search.facets:" + hashlib.sha256(
                repr((queryset.db, sql, tuple(params), fingerprint)).encode()).hexdigest()
            if (cached := cache.get(cache_key)) is not None:
                return cached
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    top_ids = []
    for key, value, count in rows:
        if key == TOP_KEY:
            top_ids.append((int(count), int(value)))
            continue
        if value is None or value == "":
            continue  # no province, no issue year yet
        facet = FACETS_BY_KEY[key]
        if facet.key == "issue_year":
            value = int(value)
        result[key].append({"value": value, "label": facet.label_of(value), "count": int(count)})
    answer = {key: sort_facet_values(FACETS_BY_KEY[key], entries)
              for key, entries in result.items()}
    if cache_key is not None:
        cache.set(cache_key, answer, cache_seconds)
    if isinstance(queryset, SearchQuerySet):
        if len(answer) == len(FACETS):
            queryset._facet_counts = answer
        if top:
            queryset._top_ids = (top, [pk for _, pk in sorted(top_ids)])
    return answer



def _ranks_text(queryset: QuerySet) -> bool:
    """Whether the queryset is a text search in a set order: its page query would read every
    match to rank them (no index gives ts_rank order)."""
    rank = queryset.query.annotations.get("rank")
    return rank is not None and not isinstance(rank, Value) and bool(queryset.query.order_by)


class SearchQuerySet(QuerySet):
    """The deals a search found (DealFilterSet.qs is one): its count() comes with the facet
    counts, in the one facet_counts query, which it keeps; facet_counts() of the same
    queryset object then answers from them with no query. For a text search that query also
    numbers the matches in the page order and brings the first TOP_IDS ids, so a page among
    them (Paginator slices the same object) reads its 25 rows by id. A search page (COUNT,
    then the page, then the facets) thus reads the matching deals once, not three times.
    Other pages with select_related are fetched ids first (see _fetch_all).
    Counts are exact either way: the status counts add up to the deals (status is
    single-valued and never null). A derived queryset (filter(), order_by(), a slice) is a
    new object and counts afresh."""

    # (top asked for, the ids of the first deals in order) from count(), or None.
    _top_ids: tuple[int, list[int]] | None = None

    def count(self) -> int:
        if self._result_cache is not None:
            return len(self._result_cache)
        if self.query.is_sliced or self.query.distinct or self.query.combinator:
            return super().count()
        top = TOP_IDS if _ranks_text(self) else 0
        return sum(entry["count"] for entry in facet_counts(self, top=top)["status"])

    def __getitem__(self, k):
        # A slice (Paginator's page) is the same query with limits: it keeps the top ids.
        result = super().__getitem__(k)
        if isinstance(k, slice) and isinstance(result, SearchQuerySet):
            result._top_ids = self._top_ids
        return result

    def _fetch_all(self):
        """A page (a small slice) of a sorted queryset: when count() brought the ids of the
        first deals and the page lies among them, only those rows are read; else, with
        select_related, the page's ids first, in order, without the joins, then those rows
        with their related rows (PostgreSQL would otherwise join every matching deal to its
        originator before keeping the first 25)."""
        query = self.query
        if (self._result_cache is None and query.is_sliced and query.high_mark is not None
                and self._iterable_class is ModelIterable and not query.combinator):
            if self._top_ids is not None:
                asked, top = self._top_ids
                if query.high_mark <= len(top) or len(top) < asked:  # fewer: all the matches
                    self._fetch_rows(top[query.low_mark:query.high_mark])
                    return
            # get() clears the ordering: one row by its key needs no such care.
            if (query.select_related and query.order_by
                    and query.high_mark - query.low_mark <= DEFERRED_JOIN_MAX):
                self._fetch_rows(list(self.values_list("pk", flat=True)))
                return
        super()._fetch_all()

    def _fetch_rows(self, ids: list[int]) -> None:
        """Fill the result cache with these deals of the queryset, in this order."""
        rows = self._chain()
        rows.query.clear_limits()
        rows.query.clear_ordering(force=True)
        by_pk = {row.pk: row for row in rows.filter(pk__in=ids)} if ids else {}
        self._result_cache = [by_pk[pk] for pk in ids if pk in by_pk]
        self._prefetch_done = True  # done by `rows`


def as_search_queryset(queryset: QuerySet) -> SearchQuerySet:
    """The queryset as a SearchQuerySet (the same query, a clone as QuerySet._clone makes)."""
    if isinstance(queryset, SearchQuerySet):
        return queryset
    clone = SearchQuerySet(model=queryset.model, query=queryset.query.chain(),
                           using=queryset._db, hints=queryset._hints)
    clone._sticky_filter = queryset._sticky_filter
    clone._for_write = queryset._for_write
    clone._prefetch_related_lookups = queryset._prefetch_related_lookups[:]
    clone._known_related_objects = queryset._known_related_objects
    clone._iterable_class = queryset._iterable_class
    clone._fields = queryset._fields
    return clone


def _facet_rows(deal_ids: list[int], deal_model, pool_model) -> set[tuple[int, str, str]]:
    rows = set()
    kinds = pool_model.objects.filter(deal_id__in=deal_ids) \
        .values_list("deal_id", "asset__kind").distinct()
    rows.update((deal_id, "asset_kind", kind) for deal_id, kind in kinds)
    for deal_id, targets in deal_model.objects.filter(pk__in=deal_ids) \
            .values_list("pk", "sdg_targets"):
        for target in targets if isinstance(targets, list) else []:
            if is_sdg_target(target):
                rows.add((deal_id, "sdg_target", str(target).strip()))
    return rows


def refresh_facets(deal_ids: Iterable[int], *, chunk_size: int = 2000,
                   models: tuple | None = None, touch: bool = True) -> None:
    """Bring the DealFacetValue rows of these deals in line with their pools and SDG targets.

    Writes only the rows that changed (a few queries per chunk of deals); safe to call in bulk
    after an import. With `touch` it also sets the deals' updated_at, as deal_refresh changes
    their derived columns with an UPDATE that does not (this is what keeps facet_counts'
    cache fingerprint current). `models` = (Deal, PoolAsset, DealFacetValue) lets a migration
    pass its historical models.
    """
    deal_model, pool_model, value_model = models or (Deal, PoolAsset, DealFacetValue)
    ids = sorted({int(deal_id) for deal_id in deal_ids})
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start:start + chunk_size]
        wanted = _facet_rows(chunk, deal_model, pool_model)
        existing = {(row[1], row[2], row[3]): row[0] for row in value_model.objects.filter(
            deal_id__in=chunk, facet__in=MULTI_FACETS).values_list(
            "pk", "deal_id", "facet", "value")}
        stale = [pk for row, pk in existing.items() if row not in wanted]
        if stale:
            value_model.objects.filter(pk__in=stale).delete()
        new = [value_model(deal_id=deal_id, facet=facet, value=value)
               for deal_id, facet, value in sorted(wanted - existing.keys())]
        if new:
            value_model.objects.bulk_create(new)
        if touch:
            deal_model.objects.filter(pk__in=chunk).update(updated_at=timezone.now())


# Sorts


def _desc(field: str):
    return F(field).desc(nulls_last=True)


def _asc(field: str):
    return F(field).asc(nulls_last=True)


# key -> (label, order_by). "relevance" needs the `rank` annotation that `search` adds.
SORTS: dict[str, tuple[str, tuple]] = {
    "relevance": ("Relevance", (F("rank").desc(), _desc("issue_date"), F("id").desc())),
    "-issue_date": ("Issue date, newest first", (_desc("issue_date"), F("id").desc())),
    "-size": ("Size, largest first", (F("size").desc(), F("id").desc())),
    "-coupon": ("Coupon, highest first", (_desc("senior_coupon"), F("id").desc())),
    "coupon": ("Coupon, lowest first", (_asc("senior_coupon"), F("id").desc())),
}
SORT_CHOICES = [(key, label) for key, (label, _) in SORTS.items()]
DEFAULT_SORT = "-issue_date"


def sort(queryset: QuerySet, key: str | None, *, has_query: bool = False) -> QuerySet:
    """Order by a SORTS key; relevance without a query (or an unknown key) falls back to the
    default: relevance when there is a query, else newest first."""
    if key not in SORTS or (key == "relevance" and not has_query):
        key = "relevance" if has_query else DEFAULT_SORT
    return queryset.order_by(*SORTS[key][1])


__all__ = [
    "COUPON_BUCKETS", "DEFAULT_SORT", "FACETS", "FACETS_BY_KEY", "SIZE_BUCKETS", "SORTS",
    "SORT_CHOICES", "Bucket", "Facet", "SearchQuerySet", "as_search_queryset", "facet_counts",
    "facet_filter", "is_sdg_target", "parse_query", "refresh_facets", "search", "sort",
    "sort_facet_values", "update_search_vectors",
]
