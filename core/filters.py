"""Filters of the audit log page."""

import django_filters
from django import forms

from core.models import AuditEntry


class AuditFilterSet(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor__username", label="Actor (user name)")
    action = django_filters.CharFilter(lookup_expr="startswith",
                                       label="Action (e.g. disclosure.filing)")
    object_type = django_filters.CharFilter(label="Object type (e.g. deals.deal)")
    object_id = django_filters.CharFilter(label="Object id")
    since = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte",
                                      label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte",
                                      label="To", widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = AuditEntry
        fields = []
