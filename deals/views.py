"""Deal pages: parse, authorize through `deals.permissions`, call a selector or service."""

import copy

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django_filters.views import FilterView

from core import charts, exports
from core.tabular import TableInvalid
from deals import forms, selectors, services, waterfall
from deals.filters import DealFilterSet
from deals.imports import read_servicer_report
from deals.models import CreditEnhancement, Deal, PoolAsset, Tranche
from deals.permissions import (
    allowed_transitions,
    can_create_deal,
    can_report,
    can_structure,
    can_transition,
    may_pool_asset,
)
from deals.search import FACETS_BY_KEY, facet_counts
from ipregistry.choices import AssetStatus, IssuerType
from ipregistry.models import IPAsset, Issuer
from ipregistry.permissions import writable_issuer_ids

EXPORT_HEADER = ["deal_id", "name", "originator", "country", "province", "structure", "status",
                 "issue_date", "currency", "size", "label", "senior_coupon", "senior_rating",
                 "sme_loan_benchmark", "spread_bp", "url"]
EXPORT_MAX_ROWS = 50_000


def _visible_deal(request, pk) -> Deal:
    try:
        return selectors.deal_detail(user=request.user, pk=pk)
    except Deal.DoesNotExist:
        raise Http404 from None


# Search and export


class DealSearchView(FilterView):
    """Deals matching a text query and facets; the URL holds the whole search."""

    filterset_class = DealFilterSet
    paginate_by = 25

    def get_template_names(self):
        if self.request.htmx:
            return ["deals/includes/results.html"]
        return ["deals/deal_list.html"]

    def get_queryset(self):
        return selectors.deal_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = list(context["page_obj"]) if context.get("page_obj") else []
        benchmarks = selectors.benchmark_rates(page)
        counts = facet_counts(self.object_list) if self.object_list is not None else {}
        facets = []
        for key, entries in counts.items():
            chosen = set(self.request.GET.getlist(key))
            facets.append((key, FACETS_BY_KEY[key].label,
                           [{**entry, "selected": str(entry["value"]) in chosen}
                            for entry in entries]))
        context.update(
            rows=[(deal, selectors.financing_cost(deal, benchmarks)) for deal in page],
            facets=facets,
            query=self.request.GET.urlencode(),
            can_add=self.request.user.is_authenticated and can_create_deal(self.request.user),
        )
        return context


class DealExportView(View):
    """The current search's results as CSV or XLSX."""

    def get(self, request, fmt):
        filterset = DealFilterSet(request.GET, queryset=selectors.deal_list(user=request.user),
                                  request=request)
        if not filterset.is_valid():
            return render(request, "deals/deal_list.html",
                          {"filter": filterset, "rows": [], "facets": {}}, status=400)
        deals = list(filterset.qs[:EXPORT_MAX_ROWS])
        benchmarks = selectors.benchmark_rates(deals)
        rows = []
        for deal in deals:
            cost = selectors.financing_cost(deal, benchmarks)
            rows.append([deal.external_ref, deal.name, deal.originator.name, deal.country,
                         deal.province, deal.structure, deal.status, deal.issue_date,
                         deal.currency, deal.size, deal.label, deal.senior_coupon,
                         deal.senior_rating, cost.benchmark_rate,
                         None if cost.spread_bp is None else round(cost.spread_bp, 1),
                         request.build_absolute_uri(deal.get_absolute_url())])
        if fmt == "xlsx":
            return exports.xlsx_response("deals.xlsx", EXPORT_HEADER, rows)
        return exports.csv_response("deals.csv", EXPORT_HEADER, rows)


# Deal page and its charts


class DealDetailView(View):
    def get(self, request, pk):
        deal = _visible_deal(request, pk)
        user = request.user
        projected = None
        try:
            projected = waterfall.run(selectors.waterfall_request(deal))
        except waterfall.WaterfallInputError as exc:
            projection_error = f"{exc.field}: {exc.message}"
        else:
            projection_error = ""
        return render(request, "deals/deal_detail.html", {
            "deal": deal,
            "tranches": list(deal.tranches.all()),
            "pool": list(deal.pool.all()),
            "totals": selectors.pool_totals(deal),
            "cost": selectors.financing_cost(deal),
            "projected": projected,
            "projection_error": projection_error,
            "reports": list(deal.reports.all()),
            "events": list(deal.events.all()),
            "risk": selectors.latest_risk(deal),
            "transitions": allowed_transitions(user, deal) if user.is_authenticated else [],
            "can_structure": user.is_authenticated and can_structure(user, deal),
            "can_report": user.is_authenticated and can_report(user, deal),
        })


class CapitalStackChartView(View):
    def get(self, request, pk, fmt):
        deal = _visible_deal(request, pk)
        tranches = list(deal.tranches.all())
        if fmt == "csv":
            return exports.csv_response(
                f"capital-stack-{deal.pk}.csv", ["rank", "tranche", "size", "balance",
                                                 "coupon_rate", "rating"],
                [(t.rank, t.name, t.size, t.balance, t.coupon_rate, t.rating) for t in tranches])
        chart = charts.stacked_bar_chart(
            f"Capital stack ({deal.currency})", [deal.name[:40]],
            {f"{t.rank}. {t.name}": [t.size] for t in reversed(tranches)})
        return charts.svg_response(chart)


class ProjectedCashFlowChartView(View):
    def get(self, request, pk, fmt):
        deal = _visible_deal(request, pk)
        try:
            result = waterfall.run(selectors.waterfall_request(deal))
        except waterfall.WaterfallInputError as exc:
            raise Http404(f"The deal's cash-flow model is invalid: {exc}") from None
        names = list(result["tranches"])
        periods = result["periods"]
        if fmt == "csv":
            header = ["period", "collections"] + [f"{n}_{part}" for n in names
                                                  for part in ("interest", "principal")]
            rows = [[p["period"], p["available"]] + [
                p["tranches"][n][part] for n in names
                for part in ("interest_paid", "principal_paid")] for p in periods]
            return exports.csv_response(f"projected-cash-flow-{deal.pk}.csv", header, rows)
        series = {}
        for name in names:
            series[f"{name} interest"] = [p["tranches"][name]["interest_paid"] for p in periods]
            series[f"{name} principal"] = [p["tranches"][name]["principal_paid"]
                                           for p in periods]
        return charts.svg_response(charts.stacked_bar_chart(
            f"Projected payments by period ({deal.currency})",
            [str(p["period"]) for p in periods], series))


class RiskTrendChartView(View):
    """The deal's risk score and senior PD over its snapshots (SVG, or the table as CSV)."""

    def get(self, request, pk, fmt):
        deal = _visible_deal(request, pk)
        history = selectors.risk_history(deal)
        senior = min(deal.tranches.all(), key=lambda t: (t.rank, t.pk), default=None)
        rows = [(s.created_at.strftime("%Y-%m-%d %H:%M"), s.score,
                 s.tranches.get(senior.name, {}).get("pd") if senior else None)
                for s in history]
        if fmt == "csv":
            return exports.csv_response(f"risk-trend-{deal.pk}.csv",
                                        ["computed_at", "score", "senior_pd"], rows)
        return charts.svg_response(charts.line_chart(
            "Risk score (0 sound .. 100 alarming) and senior PD (%)", [r[0] for r in rows],
            {"score": [r[1] for r in rows],
             "senior PD %": [None if r[2] is None else 100 * r[2] for r in rows]}))


# Structuring (drafts)


def _originators(user):
    ids = writable_issuer_ids(user)
    issuers = Issuer.objects.all()
    return issuers if ids is None else issuers.filter(pk__in=ids)


class DealCreateView(LoginRequiredMixin, View):
    template_name = "deals/form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_create_deal(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        form = forms.DealForm(originators=_originators(request.user))
        return render(request, self.template_name, {"form": form, "title": "Open a draft deal"})

    def post(self, request):
        form = forms.DealForm(request.POST, originators=_originators(request.user))
        if form.is_valid():
            try:
                deal = services.deal_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"Draft {deal} opened.")
                return redirect(deal)
        return render(request, self.template_name, {"form": form, "title": "Open a draft deal"},
                      status=400)


class DraftMixin(LoginRequiredMixin):
    """Load the deal named in the URL and require that the user may restructure it."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.deal = _visible_deal(request, kwargs["deal_pk"])
        if not can_structure(request.user, self.deal):
            raise PermissionDenied("Only the originator's members change a draft.")
        return super().dispatch(request, *args, **kwargs)


class DealUpdateView(DraftMixin, View):
    template_name = "deals/form.html"

    def get(self, request, deal_pk):
        form = forms.DealForm(instance=copy.copy(self.deal),
                              originators=_originators(request.user))
        return render(request, self.template_name, {"form": form, "title": "Edit draft",
                                                    "deal": self.deal})

    def post(self, request, deal_pk):
        form = forms.DealForm(request.POST, instance=copy.copy(self.deal),
                              originators=_originators(request.user))
        if form.is_valid():
            try:
                services.deal_update(actor=request.user, deal=self.deal, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect(self.deal)
        return render(request, self.template_name, {"form": form, "title": "Edit draft",
                                                    "deal": self.deal}, status=400)


class PartFormView(DraftMixin, View):
    """Add or edit one part of a draft (a tranche or an enhancement)."""

    template_name = "deals/form.html"
    model = None
    form_class = None
    create_service = None
    update_service = None
    instance_argument = ""
    title = ""

    def get_object(self, kwargs):
        if "pk" not in kwargs:
            return None
        return get_object_or_404(self.model, pk=kwargs["pk"], deal=self.deal)

    def get(self, request, **kwargs):
        obj = self.get_object(kwargs)
        form = self.form_class(instance=copy.copy(obj) if obj else self.model(deal=self.deal))
        return render(request, self.template_name, {"form": form, "title": self.title,
                                                    "deal": self.deal})

    def post(self, request, **kwargs):
        obj = self.get_object(kwargs)
        form = self.form_class(request.POST,
                               instance=copy.copy(obj) if obj else self.model(deal=self.deal))
        if form.is_valid():
            try:
                if obj is None:
                    type(self).create_service(actor=request.user, deal=self.deal,
                                              **form.cleaned_data)
                else:
                    type(self).update_service(actor=request.user,
                                              **{self.instance_argument: obj},
                                              **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect(self.deal)
        return render(request, self.template_name, {"form": form, "title": self.title,
                                                    "deal": self.deal}, status=400)


class TrancheFormView(PartFormView):
    model, form_class, title, instance_argument = (Tranche, forms.TrancheForm, "Tranche",
                                                   "tranche")
    create_service = services.tranche_create
    update_service = services.tranche_update


class EnhancementFormView(PartFormView):
    model, form_class, title, instance_argument = (
        CreditEnhancement, forms.EnhancementForm, "Credit enhancement", "enhancement")
    create_service = services.enhancement_create
    update_service = services.enhancement_update


class PartDeleteView(DraftMixin, View):
    """Delete a tranche, an enhancement or a pool entry of a draft (POST only)."""

    model = None
    delete_service = None
    instance_argument = ""

    def post(self, request, deal_pk, pk):
        obj = get_object_or_404(self.model, pk=pk, deal=self.deal)
        type(self).delete_service(actor=request.user, **{self.instance_argument: obj})
        if request.htmx and self.model is PoolAsset:
            return PoolView.render_pool(request, self.deal)
        return redirect(self.deal)


class TrancheDeleteView(PartDeleteView):
    model, instance_argument = Tranche, "tranche"
    delete_service = services.tranche_delete


class EnhancementDeleteView(PartDeleteView):
    model, instance_argument = CreditEnhancement, "enhancement"
    delete_service = services.enhancement_delete


class PoolRemoveView(PartDeleteView):
    model, instance_argument = PoolAsset, "entry"
    delete_service = services.pool_remove


def _poolable_assets(user, deal):
    """Assets the user may offer to this draft's pool: active ones, own or beneficiaries'."""
    assets = IPAsset.objects.select_related("owner").filter(status=AssetStatus.ACTIVE)
    if deal.originator.issuer_type != IssuerType.FINANCIAL_INTERMEDIARY:
        assets = assets.filter(owner_id=deal.originator_id)
    return assets.exclude(pool_entries__live=True).order_by("owner__name", "registry_number")


class PoolView(DraftMixin, View):
    """Assemble a draft's pool; totals update as assets are added (htmx)."""

    template_name = "deals/pool.html"

    @staticmethod
    def render_pool(request, deal, form=None, status=200):
        deal = selectors.deal_detail(user=request.user, pk=deal.pk)
        form = form or forms.PoolAssetForm(assets=_poolable_assets(request.user, deal))
        template = "deals/includes/pool_editor.html" if request.htmx else "deals/pool.html"
        return render(request, template, {
            "deal": deal, "form": form, "pool": list(deal.pool.all()),
            "tranches": list(deal.tranches.all()), "totals": selectors.pool_totals(deal)},
            status=status)

    def get(self, request, deal_pk):
        return self.render_pool(request, self.deal)

    def post(self, request, deal_pk):
        form = forms.PoolAssetForm(request.POST,
                                   assets=_poolable_assets(request.user, self.deal))
        if form.is_valid():
            asset = form.cleaned_data["asset"]
            if not may_pool_asset(request.user, self.deal, asset):
                raise PermissionDenied
            try:
                services.pool_add(actor=request.user, deal=self.deal, asset=asset,
                                  cutoff_value=form.cleaned_data["cutoff_value"],
                                  financing_amount=form.cleaned_data["financing_amount"])
            except ValidationError as exc:
                form.add_error("asset", exc.message_dict.get("asset", exc.messages))
                return self.render_pool(request, self.deal, form, status=400)
            return self.render_pool(request, self.deal)
        return self.render_pool(request, self.deal, form, status=400)


# Status and servicing


class TransitionView(LoginRequiredMixin, View):
    def post(self, request, deal_pk):
        deal = _visible_deal(request, deal_pk)
        form = forms.TransitionForm(request.POST)
        if not form.is_valid():
            raise PermissionDenied
        to_status = form.cleaned_data["status"]
        if not can_transition(request.user, deal, to_status):
            raise PermissionDenied(f"You may not move this {deal.status} deal to {to_status}.")
        try:
            services.deal_transition(actor=request.user, deal=deal, to_status=to_status,
                                     reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, f"{deal} is now {to_status}.")
        return redirect(deal)


class ServicerReportView(LoginRequiredMixin, View):
    """File the next period's servicer report, typed in or uploaded as CSV."""

    template_name = "deals/report_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.deal = _visible_deal(request, kwargs["deal_pk"])
        if not can_report(request.user, self.deal):
            raise PermissionDenied("Only the originator files servicer reports on issued deals.")
        return super().dispatch(request, *args, **kwargs)

    def render_forms(self, form=None, upload=None, problems=(), status=200):
        return render(self.request, self.template_name, {
            "deal": self.deal, "form": form or forms.ServicerReportForm(),
            "upload": upload or forms.ServicerReportUploadForm(), "problems": problems},
            status=status)

    def get(self, request, deal_pk):
        return self.render_forms()

    def post(self, request, deal_pk):
        if "file" in request.FILES:
            upload = forms.ServicerReportUploadForm(request.POST, request.FILES)
            if not upload.is_valid():
                return self.render_forms(upload=upload, status=400)
            file = upload.cleaned_data["file"]
            try:
                parsed = read_servicer_report(
                    file.name, file.read(),
                    pool_asset_ids={entry.asset_id for entry in self.deal.pool.all()})
            except TableInvalid as exc:
                return self.render_forms(upload=upload, problems=exc.problems, status=400)
            values = {"period_end": parsed.period_end, "collections": parsed.collections,
                      "collections_by_asset": parsed.by_asset}
            form = forms.ServicerReportForm(values)
        else:
            form = forms.ServicerReportForm(request.POST)
            if not form.is_valid():
                return self.render_forms(form=form, status=400)
            values = dict(form.cleaned_data)
        try:
            report = services.report_submit(actor=request.user, deal=self.deal, **values)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.render_forms(form=form, status=400)
        messages.success(request, f"Period {report.period} reported.")
        return redirect(self.deal)


class IssuerRiskView(View):
    """The risk of the deals an issuer originates (those the user may see): each one's latest
    score, and their mean score over time (a fragment the issuer page loads)."""

    def get(self, request, pk, fmt="html"):
        deals = list(selectors.deal_list(user=request.user).filter(originator_id=pk)
                     .order_by("-issue_date", "-id")[:100])
        history = selectors.originated_risk_history(deals)
        if fmt == "csv":
            return exports.csv_response(f"issuer-risk-{pk}.csv", ["date", "mean_score",
                                                                  "deals"], history)
        if fmt == "svg":
            return charts.svg_response(charts.line_chart(
                "Mean risk score of the issuer's deals (0 sound .. 100 alarming)",
                [row[0] for row in history], {"mean score": [row[1] for row in history]}))
        if fmt != "html":
            raise Http404
        latest = selectors.latest_risks(deals)
        return render(request, "deals/includes/issuer_risk.html", {
            "issuer_pk": pk, "rows": [(deal, latest.get(deal.pk)) for deal in deals],
            "has_history": bool(history)})
