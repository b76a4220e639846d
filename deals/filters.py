"""The deal search filter set, shared by the /deals/ page, GET /api/v1/deals/ and the tests.

The query string holds the whole search, so a search can be bookmarked and shared:
``?q=battery&country=CN&country=US&status=issued&coupon_range=4-5&sort=-coupon``. Every
facet accepts repeated values (any of them matches). See `deals.search` for the text search,
the facets and the sorts.
"""

from urllib.parse import urlencode

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from deals import search
from deals.models import Deal
from deals.search import FACETS_BY_KEY, MAX_QUERY_LENGTH, SORT_CHOICES, facet_counts


class MultipleValueField(forms.Field):
    """Repeated query-string values (?k=a&k=b) without a fixed list of choices.

    `normalize` turns each value into its canonical form (or raises ValueError), `check` says
    whether it is acceptable; blanks and duplicates are dropped.
    """

    widget = forms.SelectMultiple  # reads QueryDict.getlist

    def __init__(self, *, normalize=str.strip, check=None, invalid="", choices=(), **kwargs):
        super().__init__(**kwargs)
        self.normalize, self.check, self.invalid = normalize, check, invalid
        self.widget.choices = choices

    def to_python(self, value):
        if value in self.empty_values:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        result, bad = [], []
        for raw in values:
            text = str(raw).strip()
            if not text:
                continue
            try:
                item = self.normalize(text)
            except ValueError:
                bad.append(text)
                continue
            if self.check is not None and not self.check(item):
                bad.append(text)
            elif item not in result:
                result.append(item)
        if bad:
            # The values go in as params: a '%' typed in a URL must not reach a format string.
            raise ValidationError("%(values)s: %(why)s.",
                                  params={"values": ", ".join(bad),
                                          "why": self.invalid or "not a valid value"},
                                  code="invalid")
        return result


class FacetFilter(django_filters.MultipleChoiceFilter):
    """A facet of deals.search.FACETS; repeated values are OR'ed, through the facet's index."""

    def __init__(self, key: str, **kwargs):
        facet = FACETS_BY_KEY[key]
        self.facet_key = key
        kwargs.setdefault("label", facet.label)
        if facet.choices and "choices" not in kwargs:
            kwargs["choices"] = facet.choices
        super().__init__(field_name=key, distinct=False, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(search.facet_filter(self.facet_key, value))


@extend_schema_field(OpenApiTypes.STR)
class OpenFacetFilter(FacetFilter):
    """A facet whose values are open-ended (countries, provinces, SDG targets, years)."""

    field_class = MultipleValueField


def _code(text: str) -> str:
    return text.upper()


def _is_country(value: str) -> bool:
    return len(value) == 2 and value.isalpha()


def _is_province(value: str) -> bool:
    country, _, part = value.partition("-")
    return _is_country(country) and 1 <= len(part) <= 3 and part.isalnum()


def _is_year(value: int) -> bool:
    return 1900 <= value <= 2200


class DealFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search",
                                  max_length=MAX_QUERY_LENGTH)
    asset_kind = FacetFilter("asset_kind")
    country = OpenFacetFilter("country", normalize=_code, check=_is_country,
                              invalid="not an ISO 3166-1 alpha-2 code")
    province = OpenFacetFilter("province", normalize=_code, check=_is_province,
                               invalid="not an ISO 3166-2 code such as CN-GD")
    structure = FacetFilter("structure")
    status = FacetFilter("status")
    rating_bucket = FacetFilter("rating_bucket")
    coupon_range = FacetFilter("coupon_range")
    size_range = FacetFilter("size_range")
    label = FacetFilter("label")
    sdg_target = OpenFacetFilter("sdg_target", check=search.is_sdg_target,
                                 invalid="not an SDG target such as 9.5 or 13.a")
    issue_year = OpenFacetFilter("issue_year", normalize=int, check=_is_year,
                                 invalid="not a year")
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES, method="filter_sort",
                                       label="Sort", empty_label="Default")

    class Meta:
        model = Deal
        fields = []

    FACET_KEYS = tuple(FACETS_BY_KEY)

    def filter_q(self, queryset, name, value):
        return search.search(queryset, value)

    def filter_sort(self, queryset, name, value):
        return queryset  # applied last, by filter_queryset, once `rank` exists

    def _has_query(self, data) -> bool:
        return bool((data.get("q") or "").strip())

    def filter_queryset(self, queryset: QuerySet, *, without: str | None = None) -> QuerySet:
        """Apply the text query, every facet (but `without`), then the sort."""
        data = self.form.cleaned_data
        queryset = self._search(queryset, data.get("q"))
        for name, value in data.items():
            if name in ("q", "sort") or name == without:
                continue
            queryset = self.filters[name].filter(queryset, value)
        return search.sort(queryset, data.get("sort"), has_query=self._has_query(data))

    def _search(self, queryset: QuerySet, q: str | None) -> QuerySet:
        # The text query goes first, on the filter set's base queryset (filter_queryset is
        # only given that), so facet_counts' re-filterings reuse it: deciding on fuzzy
        # matching costs a query on PostgreSQL.
        if not (q or "").strip():
            return queryset
        memo = getattr(self, "_searched", None)
        if memo is None or memo[0] != q:
            memo = self._searched = (q, search.search(queryset, q))
        return memo[1]

    @property
    def qs(self) -> QuerySet:
        """The matching deals, sorted; a SearchQuerySet, whose count() also gets the facet
        counts (so a page's COUNT and facet_counts(qs) are one query)."""
        if not hasattr(self, "_qs"):
            queryset = self.queryset.all()
            if self.is_bound:
                self.errors  # noqa: B018 - validates the form before filtering
                queryset = self.filter_queryset(queryset)
            else:
                queryset = search.sort(queryset, None)
            self._qs = search.as_search_queryset(queryset)
        return self._qs

    # The search as data and as a URL

    def _cleaned_data(self) -> dict:
        """The valid part of the search (an invalid parameter is left out, as in `qs`)."""
        if not self.is_bound:
            return {}
        self.errors  # noqa: B018 - validates the form
        return self.form.cleaned_data

    def search_params(self) -> dict[str, list[str]]:
        """The valid search in canonical form: {name: [values]}, empty ones left out."""
        data, params = self._cleaned_data(), {}
        for name in self.filters:
            value = data.get(name)
            if value in (None, "", [], ()):
                continue
            values = value if isinstance(value, list | tuple) else [value]
            params[name] = [str(item) for item in values]
        return params

    def querystring(self, **changes) -> str:
        """The canonical query string of this search, with `changes` applied: a list (or one
        value) replaces a parameter, None removes it. E.g. querystring(sort="-size")."""
        params = self.search_params()
        for name, value in changes.items():
            if value is None or value == []:
                params.pop(name, None)
            else:
                params[name] = [str(item) for item in (
                    value if isinstance(value, list | tuple) else [value])]
        ordered = [(name, params[name]) for name in self.filters if name in params]
        return urlencode(ordered, doseq=True)

    def toggle_querystring(self, key: str, value) -> str:
        """The query string with a facet value switched on or off (for facet links)."""
        current = self.search_params().get(key, [])
        value = str(value)
        values = [item for item in current if item != value] if value in current \
            else [*current, value]
        return self.querystring(**{key: values or None})

    def facet_counts(self, *, cache_seconds: int = 0) -> dict[str, list[dict]]:
        """Facet counts for a multi-select UI: each facet that has selected values is counted
        with every OTHER filter applied (so its unselected values stay visible with the number
        of deals they would add), the rest over the full result; selected values with no deal
        are listed with count 0. One query, plus one per facet with a selection."""
        data = self._cleaned_data()
        active = [key for key in self.FACET_KEYS if data.get(key)]
        counts = facet_counts(self.qs, [key for key in self.FACET_KEYS if key not in active],
                              cache_seconds=cache_seconds)
        for key in active:
            entries = facet_counts(self.filter_queryset(self.queryset.all(), without=key),
                                   [key], cache_seconds=cache_seconds)[key]
            present = {str(entry["value"]) for entry in entries}
            facet = FACETS_BY_KEY[key]
            entries += [{"value": value, "label": facet.label_of(value), "count": 0}
                        for value in data[key] if str(value) not in present]
            counts[key] = search.sort_facet_values(facet, entries)
        return {key: counts[key] for key in self.FACET_KEYS}
