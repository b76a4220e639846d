"""Registry pages: parse, authorize through `ipregistry.permissions`, call a selector or service."""

import copy

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView
from django_filters.views import FilterView

from core import charts, exports
from core.tabular import TableInvalid
from ipregistry import bundle, forms, green, selectors, services
from ipregistry.choices import AssetKind
from ipregistry.filters import IPAssetFilterSet, IssuerFilterSet
from ipregistry.models import (
    IPAsset,
    Issuer,
    IssuerFinancials,
    Licence,
    Pledge,
    RoyaltyReceipt,
    Valuation,
)
from ipregistry.permissions import (
    Record,
    can_change,
    can_create,
    can_create_anything,
    can_read,
    issuer_id_of,
    may_move_to,
    readable_issuer_ids,
    writable_issuer_ids,
)


def _writable_issuers(user):
    ids = writable_issuer_ids(user)
    issuers = Issuer.objects.all()
    return issuers if ids is None else issuers.filter(pk__in=ids)


# Lists and details


class IssuerListView(LoginRequiredMixin, FilterView):
    filterset_class = IssuerFilterSet
    template_name = "ipregistry/issuer_list.html"
    paginate_by = 25

    def get_queryset(self):
        return selectors.issuer_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            can_add=can_create(self.request.user, Record.ISSUER), **kwargs)


class IssuerDetailView(LoginRequiredMixin, DetailView):
    template_name = "ipregistry/issuer_detail.html"
    context_object_name = "issuer"

    def get_queryset(self):
        return selectors.issuer_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        user, issuer = self.request.user, self.object
        show_financials = can_read(user, Record.FINANCIALS, issuer.pk)
        return super().get_context_data(
            show_financials=show_financials,
            financials=list(issuer.financials.order_by("year")) if show_financials else [],
            assets_by_kind=[
                {**row, "label": AssetKind(row["kind"]).label}
                for row in issuer.assets.values("kind").annotate(n=Count("id")).order_by("kind")],
            can_edit=can_change(user, Record.ISSUER, issuer.pk),
            can_add=can_create(user, Record.FINANCIALS, issuer.pk),
            **kwargs)


class AssetListView(LoginRequiredMixin, FilterView):
    filterset_class = IPAssetFilterSet
    paginate_by = 25

    def get_template_names(self):
        if self.request.htmx:
            return ["ipregistry/includes/asset_table.html"]
        return ["ipregistry/asset_list.html"]

    def get_queryset(self):
        return selectors.asset_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            can_add=can_create_anything(user, Record.ASSET),
            valuations_of=readable_issuer_ids(user, Record.VALUATION), **kwargs)


HIDDEN_SECTION_LABELS = [
    (Record.VALUATION, "valuations and their dispersion"),
    (Record.LICENCE, "licences and royalty receipts"),
    (Record.PLEDGE, "pledges"),
]


class AssetDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        user = request.user
        try:
            asset = selectors.asset_detail(user=user, pk=pk)
        except IPAsset.DoesNotExist:
            return render(request, "404.html", status=404)
        owner_id = asset.owner_id
        shown = {record: can_read(user, record, owner_id)
                 for record in (Record.VALUATION, Record.LICENCE, Record.PLEDGE)}
        return render(request, "ipregistry/asset_detail.html", {
            "asset": asset,
            "green_matches": green.green_matches(asset.cpc_codes, asset.ipc_codes),
            "show_valuations": shown[Record.VALUATION],
            "show_licences": shown[Record.LICENCE],
            "show_pledges": shown[Record.PLEDGE],
            "hidden_sections": [label for record, label in HIDDEN_SECTION_LABELS
                                if not shown[record]],
            "receipts": selectors.receipts_by_period(asset),
            "can_edit": can_change(user, Record.ASSET, owner_id),
        })


# Charts and their data


def _rnd_rows(issuer: Issuer) -> list[tuple]:
    return [(row.year, row.currency, row.revenue, row.rnd_expense, row.rnd_intensity)
            for row in issuer.financials.order_by("year")]


def _readable_issuer(request, pk: int, record: Record) -> Issuer:
    issuer = get_object_or_404(selectors.issuer_list(user=request.user), pk=pk)
    if not can_read(request.user, record, issuer.pk):
        raise PermissionDenied
    return issuer


class IssuerRndChartView(LoginRequiredMixin, View):
    def get(self, request, pk, fmt):
        issuer = _readable_issuer(request, pk, Record.FINANCIALS)
        rows = _rnd_rows(issuer)
        if fmt == "csv":
            return exports.csv_response(
                f"rnd-intensity-{issuer.pk}.csv",
                ["year", "currency", "revenue", "rnd_expense", "rnd_intensity"], rows)
        return charts.svg_response(charts.line_chart(
            "R&D intensity (R&D expense / revenue)", [row[0] for row in rows],
            {"R&D intensity": [row[4] for row in rows]}, percent=True))


class AssetReceiptsChartView(LoginRequiredMixin, View):
    def get(self, request, pk, fmt):
        try:
            asset = selectors.asset_detail(user=request.user, pk=pk)
        except IPAsset.DoesNotExist:
            return render(request, "404.html", status=404)
        if not can_read(request.user, Record.LICENCE, asset.owner_id):
            raise PermissionDenied
        rows = selectors.receipts_by_period(asset)
        if fmt == "csv":
            return exports.csv_response(f"receipts-{asset.pk}.csv",
                                        ["period_end", "currency", "amount"], rows)
        series = {}
        periods = sorted({row[0] for row in rows})
        for currency in sorted({row[1] for row in rows}):
            amounts = {row[0]: row[2] for row in rows if row[1] == currency}
            series[f"Royalties ({currency})"] = [amounts.get(period) for period in periods]
        return charts.svg_response(charts.bar_chart(
            "Royalty receipts by period", [p.isoformat() for p in periods], series))


# Create, edit, delete: one set of views serves every record type


class RecordCreateView(LoginRequiredMixin, View):
    """Create a record under a parent (an issuer, an asset or a licence) through a service."""

    template_name = "ipregistry/record_form.html"
    record: Record
    form_class = None
    service = None
    parent_model = None
    parent_field: str = ""
    title = ""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.parent = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if self.parent_model is not None:
            self.parent = get_object_or_404(self.parent_model, pk=kwargs["pk"])
            allowed = can_create(request.user, self.record, issuer_id_of(self.parent))
        else:
            allowed = can_create_anything(request.user, self.record)
        if not allowed:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, data=None):
        model = self.form_class._meta.model
        instance = model(**({self.parent_field: self.parent} if self.parent else {}))
        return self.form_class(data, instance=instance, **self.form_kwargs())

    def form_kwargs(self) -> dict:
        return {}

    def get(self, request, *args, **kwargs):
        return self.render_form(self.get_form())

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            if self.parent is not None:
                data[self.parent_field] = self.parent
            elif not can_create(request.user, self.record, issuer_id_of(form.instance)):
                raise PermissionDenied
            try:
                obj = type(self).service(actor=request.user, **data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"Saved {obj}.")
                return redirect(self.success_url(obj))
        return self.render_form(form, status=400)

    def success_url(self, obj) -> str:
        return _owner_page(obj)

    def render_form(self, form, status=200):
        return render(self.request, self.template_name, {
            "form": form, "title": self.title, "parent": self.parent,
            "cancel_url": _owner_page(self.parent) if self.parent else reverse("home"),
        }, status=status)


class RecordUpdateView(LoginRequiredMixin, View):
    """Edit a record through a service, after checking the user may change it."""

    template_name = "ipregistry/record_form.html"
    record: Record
    model = None
    form_class = None
    service = None
    instance_argument = ""
    title = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.object = get_object_or_404(self.model, pk=kwargs["pk"])
        if not can_change(request.user, self.record, issuer_id_of(self.object)):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def form_kwargs(self) -> dict:
        return {}

    def get(self, request, *args, **kwargs):
        return self.render_form(self.form_class(instance=copy.copy(self.object),
                                                **self.form_kwargs()))

    def post(self, request, *args, **kwargs):
        # The form works on a copy: the service needs the unchanged original to audit the diff.
        form = self.form_class(request.POST, instance=copy.copy(self.object),
                               **self.form_kwargs())
        if form.is_valid():
            if not may_move_to(request.user, self.record, self.object, form.instance):
                raise PermissionDenied
            try:
                obj = type(self).service(actor=request.user,
                                         **{self.instance_argument: self.object},
                                         **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"Saved {obj}.")
                return redirect(_owner_page(obj))
        return self.render_form(form, status=400)

    def render_form(self, form, status=200):
        return render(self.request, self.template_name, {
            "form": form, "title": self.title, "object": self.object,
            "cancel_url": _owner_page(self.object),
        }, status=status)


class RecordDeleteView(LoginRequiredMixin, View):
    """Confirm, then delete a record through a service."""

    template_name = "ipregistry/record_confirm_delete.html"
    record: Record
    model = None
    service = None
    instance_argument = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.object = get_object_or_404(self.model, pk=kwargs["pk"])
        if not can_change(request.user, self.record, issuer_id_of(self.object)):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        return render(request, self.template_name, {
            "object": self.object, "cancel_url": _owner_page(self.object)})

    def post(self, request, *args, **kwargs):
        target = (self.object.owner.get_absolute_url() if isinstance(self.object, IPAsset)
                  else _owner_page(self.object))
        type(self).service(actor=request.user, **{self.instance_argument: self.object})
        messages.success(request, f"Deleted {self.object}.")
        return redirect(target)


def _owner_page(obj) -> str:
    """The page a record is shown on: its own, its asset's, or its issuer's."""
    if isinstance(obj, (Issuer, IPAsset)):
        return obj.get_absolute_url()
    if isinstance(obj, IssuerFinancials):
        return obj.issuer.get_absolute_url()
    if isinstance(obj, RoyaltyReceipt):
        return obj.licence.asset.get_absolute_url()
    return obj.asset.get_absolute_url()  # valuations, licences, pledges


class IssuerCreateView(RecordCreateView):
    record, form_class, service, title = (
        Record.ISSUER, forms.IssuerForm, services.issuer_create, "Register an issuer")


class IssuerUpdateView(RecordUpdateView):
    record, model, form_class, service, instance_argument, title = (
        Record.ISSUER, Issuer, forms.IssuerForm, services.issuer_update, "issuer",
        "Edit issuer")


class FinancialsCreateView(RecordCreateView):
    record, form_class, service, parent_model, parent_field, title = (
        Record.FINANCIALS, forms.FinancialsForm, services.financials_create, Issuer, "issuer",
        "Add a fiscal year")


class FinancialsUpdateView(RecordUpdateView):
    record, model, form_class, service, instance_argument, title = (
        Record.FINANCIALS, IssuerFinancials, forms.FinancialsForm, services.financials_update,
        "financials", "Edit fiscal year")


class FinancialsDeleteView(RecordDeleteView):
    record, model, service, instance_argument = (
        Record.FINANCIALS, IssuerFinancials, services.financials_delete, "financials")


class AssetCreateView(RecordCreateView):
    record, form_class, service, title = (
        Record.ASSET, forms.IPAssetForm, services.asset_create, "Register an IP asset")

    def form_kwargs(self):
        return {"owners": _writable_issuers(self.request.user)}


class AssetUpdateView(RecordUpdateView):
    record, model, form_class, service, instance_argument, title = (
        Record.ASSET, IPAsset, forms.IPAssetForm, services.asset_update, "asset",
        "Edit IP asset")

    def form_kwargs(self):
        return {"owners": _writable_issuers(self.request.user)}


class AssetDeleteView(RecordDeleteView):
    record, model, service, instance_argument = (
        Record.ASSET, IPAsset, services.asset_delete, "asset")


class ValuationCreateView(RecordCreateView):
    record, form_class, service, parent_model, parent_field, title = (
        Record.VALUATION, forms.ValuationForm, services.valuation_create, IPAsset, "asset",
        "Add a valuation")


class ValuationUpdateView(RecordUpdateView):
    record, model, form_class, service, instance_argument, title = (
        Record.VALUATION, Valuation, forms.ValuationForm, services.valuation_update,
        "valuation", "Edit valuation")


class ValuationDeleteView(RecordDeleteView):
    record, model, service, instance_argument = (
        Record.VALUATION, Valuation, services.valuation_delete, "valuation")


class LicenceCreateView(RecordCreateView):
    record, form_class, service, parent_model, parent_field, title = (
        Record.LICENCE, forms.LicenceForm, services.licence_create, IPAsset, "asset",
        "Add a licence")


class LicenceUpdateView(RecordUpdateView):
    record, model, form_class, service, instance_argument, title = (
        Record.LICENCE, Licence, forms.LicenceForm, services.licence_update, "licence",
        "Edit licence")


class LicenceDeleteView(RecordDeleteView):
    record, model, service, instance_argument = (
        Record.LICENCE, Licence, services.licence_delete, "licence")


class ReceiptCreateView(RecordCreateView):
    record, form_class, service, parent_model, parent_field, title = (
        Record.RECEIPT, forms.ReceiptForm, services.receipt_create, Licence, "licence",
        "Add a royalty receipt")


class ReceiptUpdateView(RecordUpdateView):
    record, model, form_class, service, instance_argument, title = (
        Record.RECEIPT, RoyaltyReceipt, forms.ReceiptForm, services.receipt_update, "receipt",
        "Edit royalty receipt")


class ReceiptDeleteView(RecordDeleteView):
    record, model, service, instance_argument = (
        Record.RECEIPT, RoyaltyReceipt, services.receipt_delete, "receipt")


class PledgeCreateView(RecordCreateView):
    record, form_class, service, parent_model, parent_field, title = (
        Record.PLEDGE, forms.PledgeForm, services.pledge_create, IPAsset, "asset",
        "Record a pledge")


class PledgeUpdateView(RecordUpdateView):
    record, model, form_class, service, instance_argument, title = (
        Record.PLEDGE, Pledge, forms.PledgeForm, services.pledge_update, "pledge",
        "Edit pledge")


class PledgeDeleteView(RecordDeleteView):
    record, model, service, instance_argument = (
        Record.PLEDGE, Pledge, services.pledge_delete, "pledge")


# Bulk import


class AssetImportView(LoginRequiredMixin, View):
    """Register many assets from a CSV or XLSX file; nothing is written if any row is bad."""

    template_name = "ipregistry/asset_import.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_create_anything(request.user, Record.ASSET):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        form = forms.AssetImportForm(owners=_writable_issuers(request.user))
        return render(request, self.template_name, {"form": form, "columns": _import_columns()})

    def post(self, request):
        form = forms.AssetImportForm(request.POST, request.FILES,
                                     owners=_writable_issuers(request.user))
        problems = []
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                created = bundle.import_asset_table(
                    upload.name, upload.read(), owner=form.cleaned_data["owner"],
                    actor=request.user)
            except TableInvalid as exc:
                problems = exc.problems
            else:
                messages.success(request, f"Imported {len(created)} assets.")
                return redirect(reverse("ipregistry:asset-list")
                                + f"?owner={form.cleaned_data['owner'].pk}")
        return render(request, self.template_name, {
            "form": form, "problems": problems, "columns": _import_columns()}, status=400)


def _import_columns() -> list[str]:
    return [column.name for column in bundle.ASSET_COLUMNS if column.name != "issuer_id"]
