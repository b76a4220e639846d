"""The audit log, browsable by regulators and staff: every write's actor, time, object and
what it changed (before and after)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views import View

from core.filters import AuditFilterSet
from core.models import AuditEntry


def may_browse_audit(user) -> bool:
    return user.is_authenticated and user.is_active and (user.is_superuser or user.is_regulator)


class AuditLogView(LoginRequiredMixin, View):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_browse_audit(request.user):
            raise PermissionDenied("The audit log is the regulators'.")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        filterset = AuditFilterSet(request.GET, queryset=AuditEntry.objects.select_related(
            "actor"))
        entries = filterset.qs if filterset.is_valid() else AuditEntry.objects.none()
        page = Paginator(entries, 50).get_page(request.GET.get("page"))
        return render(request, "core/audit_log.html", {
            "filter": filterset, "page_obj": page, "entries": list(page),
            "query": request.GET.urlencode()})
