"""Filter sets shared by the registry's pages, its API and its tests."""

import django_filters
from django import forms
from django.db.models import Q

from ipregistry.choices import AssetKind, AssetStatus, IssuerType
from ipregistry.models import (
    IPAsset,
    Issuer,
    IssuerFinancials,
    Licence,
    Pledge,
    RoyaltyReceipt,
    Valuation,
)
from ipregistry.permissions import Record, readable_issuer_ids

ANY_YES_NO = [("", "Any"), ("true", "Yes"), ("false", "No")]
DATE_INPUT = forms.DateInput(attrs={"type": "date"})


class IssuerFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    country = django_filters.CharFilter(lookup_expr="iexact")
    province = django_filters.CharFilter(lookup_expr="iexact")
    issuer_type = django_filters.ChoiceFilter(choices=IssuerType.choices)

    class Meta:
        model = Issuer
        fields = ["q", "country", "province", "issuer_type"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(lei__iexact=value) | Q(uscc__iexact=value)
            | Q(city__icontains=value) | Q(sector__icontains=value))


class IPAssetFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    kind = django_filters.ChoiceFilter(choices=AssetKind.choices)
    country = django_filters.CharFilter(lookup_expr="iexact")
    green = django_filters.BooleanFilter(widget=forms.Select(choices=ANY_YES_NO))
    status = django_filters.ChoiceFilter(choices=AssetStatus.choices)
    owner = django_filters.ModelChoiceFilter(queryset=Issuer.objects.all())
    expiry_after = django_filters.DateFilter(field_name="expiry_date", lookup_expr="gte",
                                             label="Expires on or after", widget=DATE_INPUT)
    expiry_before = django_filters.DateFilter(field_name="expiry_date", lookup_expr="lte",
                                              label="Expires on or before", widget=DATE_INPUT)
    dispersion_flagged = django_filters.BooleanFilter(
        label="Valuation dispersion over 30 %", method="filter_dispersion",
        widget=forms.Select(choices=ANY_YES_NO))

    class Meta:
        model = IPAsset
        fields = ["q", "kind", "country", "green", "status", "owner", "expiry_after",
                  "expiry_before", "dispersion_flagged"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(title__icontains=value) | Q(registry_number__icontains=value)
            | Q(owner__name__icontains=value))

    def filter_dispersion(self, queryset, name, value):
        # Dispersion comes from valuations: filter only where the reader may see them.
        readable = readable_issuer_ids(self.request.user, Record.VALUATION)
        if readable is not None:
            queryset = queryset.filter(owner_id__in=readable)
        return queryset.filter(dispersion_flagged=value)


class FinancialsFilterSet(django_filters.FilterSet):
    class Meta:
        model = IssuerFinancials
        fields = ["issuer", "year"]


class ValuationFilterSet(django_filters.FilterSet):
    class Meta:
        model = Valuation
        fields = ["asset", "method", "currency"]


class LicenceFilterSet(django_filters.FilterSet):
    class Meta:
        model = Licence
        fields = ["asset", "exclusive"]


class ReceiptFilterSet(django_filters.FilterSet):
    period_after = django_filters.DateFilter(field_name="period_end", lookup_expr="gte")
    period_before = django_filters.DateFilter(field_name="period_end", lookup_expr="lte")

    class Meta:
        model = RoyaltyReceipt
        fields = ["licence", "licence__asset"]


class PledgeFilterSet(django_filters.FilterSet):
    released = django_filters.BooleanFilter(field_name="released_date", lookup_expr="isnull",
                                            exclude=True)

    class Meta:
        model = Pledge
        fields = ["asset", "released"]
