"""The filing filter set, shared by the filings search, the review queue, the API and tests.

The query string holds the whole search: ``?q=solar&template=issuer-esg-annual&period=2024
&issuer=12&sdg_target=7.2``; the queue adds ``status``, ``grade``, ``age`` and ``overdue``.
Text search: on PostgreSQL a stored `search_vector` (english configuration, GIN-indexed) over
values, their field labels, attachment names, issuer, deal and template; elsewhere every word
must occur in the same text.
"""

from datetime import timedelta
from functools import reduce
from operator import and_

import django_filters
from django import forms
from django.db import connections
from django.db.models import F, FloatField, Q, Value
from django.utils import timezone

from disclosure.choices import FilingStatus
from disclosure.models import Filing
from disclosure.selectors import templates_with_target

AGE_CHOICES = [("lt7", "Under 7 days"), ("7-30", "7 to 30 days"), ("gt30", "Over 30 days")]
GRADE_CHOICES = [(f"{letter}{digit}", f"{letter}{digit}") for letter in "ABCD"
                 for digit in "1234"]
SORT_CHOICES = [("-submitted", "Newest first"), ("submitted", "Oldest first"),
                ("relevance", "Relevance"), ("due", "Due date")]
MAX_QUERY_LENGTH = 200


def search_filings(queryset, q: str):
    """Filings matching the text query, annotated with `rank`."""
    q = " ".join((q or "").split())[:MAX_QUERY_LENGTH]
    if not q:
        return queryset.annotate(rank=Value(0.0, output_field=FloatField()))
    if connections[queryset.db].vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank

        query = SearchQuery(q, search_type="websearch", config="english")
        return queryset.filter(search_vector=query).annotate(
            rank=SearchRank(F("search_vector"), query))
    words = [word.strip('"') for word in q.split() if word.strip('"')]
    condition = reduce(and_, (Q(search_text__icontains=word) for word in words))
    return queryset.filter(condition).annotate(rank=Value(0.0, output_field=FloatField()))


class FilingFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search",
                                  max_length=MAX_QUERY_LENGTH)
    template = django_filters.CharFilter(field_name="template__code", label="Template code",
                                         max_length=64)
    period = django_filters.CharFilter(label="Period", max_length=7)
    issuer = django_filters.NumberFilter(field_name="issuer_id", label="Issuer id")
    deal = django_filters.NumberFilter(field_name="deal_id", label="Deal id")
    sdg_target = django_filters.CharFilter(method="filter_sdg", label="SDG target",
                                           max_length=5)
    status = django_filters.MultipleChoiceFilter(choices=FilingStatus.choices,
                                                 label="Status")
    grade = django_filters.MultipleChoiceFilter(choices=GRADE_CHOICES, label="Grade")
    age = django_filters.ChoiceFilter(choices=AGE_CHOICES, method="filter_age",
                                      label="Days since submission")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Overdue",
                                           widget=forms.Select(choices=[("", "Any"),
                                                                        ("true", "Yes"),
                                                                        ("false", "No")]))
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES, method="filter_sort",
                                       label="Sort", empty_label=None)

    class Meta:
        model = Filing
        fields = []

    def filter_q(self, queryset, name, value):
        return search_filings(queryset, value)

    def filter_sdg(self, queryset, name, value):
        return queryset.filter(template_id__in=templates_with_target(value.strip()))

    def filter_age(self, queryset, name, value):
        now = timezone.now()
        if value == "lt7":
            return queryset.filter(submitted_at__gt=now - timedelta(days=7))
        if value == "7-30":
            return queryset.filter(submitted_at__lte=now - timedelta(days=7),
                                   submitted_at__gt=now - timedelta(days=30))
        return queryset.filter(submitted_at__lte=now - timedelta(days=30))

    def filter_overdue(self, queryset, name, value):
        """Late: submitted after the due date, or still a draft past it."""
        today = timezone.localdate()
        late = (Q(status=FilingStatus.DRAFT, due_date__lt=today)
                | Q(submitted_at__date__gt=F("due_date")))
        return queryset.filter(late) if value else queryset.exclude(late)

    def filter_sort(self, queryset, name, value):
        return queryset  # applied in qs, after every filter (relevance needs the rank)

    @property
    def qs(self):
        queryset = super().qs
        if "rank" not in queryset.query.annotations:
            queryset = queryset.annotate(rank=Value(0.0, output_field=FloatField()))
        data = self.form.cleaned_data if self.is_bound and self.is_valid() else {}
        sort = data.get("sort")
        if sort == "relevance" or (not sort and data.get("q")):
            return queryset.order_by("-rank", F("submitted_at").desc(nulls_last=True), "-id")
        if sort == "submitted":
            return queryset.order_by(F("submitted_at").asc(nulls_last=True), "id")
        if sort == "due":
            return queryset.order_by("due_date", "id")
        return queryset.order_by(F("submitted_at").desc(nulls_last=True), "-id")
