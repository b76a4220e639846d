"""Disclosure pages: parse, authorize through `disclosure.permissions`, call a selector or
service."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django_filters.views import FilterView

from core import charts, exports
from core import selectors as core_selectors
from core import services as core_services
from core.models import RecomputeRun
from core.tabular import TableInvalid
from deals import selectors as deals_selectors
from deals.models import Deal
from disclosure import bundle, forms, permissions, sdg, selectors, services
from disclosure.choices import PENDING_STATUSES, FilingStatus
from disclosure.filters import FilingFilterSet
from disclosure.models import Attachment, DisclosureTemplate, Filing
from disclosure.recompute import RECOMPUTES
from ipregistry.models import Issuer
from ipregistry.permissions import Record, can_read, member_issuer_ids

EXPORT_HEADER = ["accession_number", "issuer", "template", "period", "deal", "status",
                 "submitted_at", "due_date", "grade", "completeness", "url"]
EXPORT_MAX_ROWS = 50_000


def _visible_filing(request, pk) -> Filing:
    try:
        return selectors.filing_detail(user=request.user, pk=pk)
    except Filing.DoesNotExist:
        raise Http404 from None


# --- templates ----------------------------------------------------------------------------


class TemplateListView(View):
    def get(self, request):
        return render(request, "disclosure/template_list.html",
                      {"templates": list(selectors.template_list())})


class TemplateDetailView(View):
    def get(self, request, code, version):
        template = get_object_or_404(DisclosureTemplate, code=code, version=version)
        return render(request, "disclosure/template_detail.html",
                      {"template": template, "spec": template.spec})


# --- search, export, lists ------------------------------------------------------------------


class FilingSearchView(FilterView):
    """Filings the user may read (the public: accepted ones), searched and filtered; the URL
    holds the whole search."""

    filterset_class = FilingFilterSet
    paginate_by = 25

    def get_template_names(self):
        # A fragment for other pages (an issuer's or a deal's) that load it over htmx.
        if self.request.htmx:
            return ["disclosure/includes/filing_table.html"]
        return ["disclosure/filing_list.html"]

    def get_queryset(self):
        return selectors.filing_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["query"] = self.request.GET.urlencode()
        context["templates"] = list(selectors.active_templates())
        return context


class FilingExportView(View):
    """The current search's filings as CSV, one row per filing."""

    def get(self, request):
        filterset = FilingFilterSet(request.GET, queryset=selectors.filing_list(
            user=request.user), request=request)
        if not filterset.is_valid():
            return JsonResponse({"errors": filterset.errors}, status=400)
        rows = [[f.accession_number or "", f.issuer.name, f.template.key, f.period,
                 f.deal.name if f.deal else "", f.status,
                 f.submitted_at.isoformat() if f.submitted_at else "", f.due_date, f.grade,
                 round(f.completeness, 4), request.build_absolute_uri(f.get_absolute_url())]
                for f in filterset.qs[:EXPORT_MAX_ROWS]]
        return exports.csv_response("filings.csv", EXPORT_HEADER, rows)


class MyFilingsView(LoginRequiredMixin, View):
    """An issuer's filings, what it must file and what is overdue."""

    def get(self, request):
        ids = member_issuer_ids(request.user)
        if not ids and not request.user.is_superuser:
            raise PermissionDenied("Filings are kept by issuers' members.")
        issuers = Issuer.objects.filter(pk__in=ids) if ids else Issuer.objects.none()
        filings = selectors.filing_list(user=request.user).filter(
            issuer__in=issuers).order_by("-created_at", "-id")
        obligations = selectors.obligations(issuers=issuers)
        return render(request, "disclosure/mine.html", {
            "filings": list(filings[:200]),
            "obligations": [o for o in obligations if o.filing is None
                            or o.filing.status in (FilingStatus.DRAFT,)][:200],
            "overdue": [o for o in obligations if o.overdue_days > 0],
            "can_file": permissions.can_file_for(request.user),
        })


# --- a filing ---------------------------------------------------------------------------------


class FilingCreateView(LoginRequiredMixin, View):
    template_name = "disclosure/filing_create.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not permissions.can_file_for(request.user):
            raise PermissionDenied("Filings are opened by issuers' members.")
        return super().dispatch(request, *args, **kwargs)

    def _form(self, data=None):
        ids = member_issuer_ids(self.request.user)
        issuers = Issuer.objects.all() if self.request.user.is_superuser else \
            Issuer.objects.filter(pk__in=ids)
        deals = Deal.objects.filter(originator__in=issuers).order_by("name")
        return forms.FilingCreateForm(data, issuers=issuers, deals=deals,
                                      initial=self.request.GET.dict() if data is None else None)

    def get(self, request):
        return render(request, self.template_name, {"form": self._form()})

    def post(self, request):
        form = self._form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                filing = services.filing_create(actor=request.user, issuer=data["issuer"],
                                                template=data["template"],
                                                period=data["period"], deal=data["deal"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Draft opened; it is saved as you type.")
                return redirect("disclosure:filing-edit", filing.pk)
        return render(request, self.template_name, {"form": form}, status=400)


class FilingDetailView(View):
    """A filing as filed (or as drafted, for its issuer): answers, files, comments, history."""

    def get(self, request, pk):
        filing = _visible_filing(request, pk)
        user = request.user
        report = services.filing_report(filing)
        review_visible = user.is_authenticated and permissions.can_view_review(user, filing)
        comments = list(filing.comments.all()) if review_visible else []
        return render(request, "disclosure/filing_detail.html", {
            "filing": filing,
            "report": report,
            "sections": selectors.field_rows(filing, report, comments=comments),
            "general_comments": [c for c in comments if not c.field],
            "review_visible": review_visible,
            "versions": selectors.versions(filing, user=user),
            "events": list(selectors.filing_events(filing)),
            "changes": selectors.amendment_diff(filing) if filing.amends_id else [],
            "can": _abilities(user, filing),
            "decision_form": forms.DecisionForm(),
            "comment_form": forms.CommentForm(fields=filing.template.spec.fields),
        })


def _abilities(user, filing) -> dict:
    if not user.is_authenticated:
        return {}
    return {"edit": permissions.can_edit(user, filing),
            "submit": permissions.can_submit(user, filing),
            "withdraw": permissions.can_withdraw(user, filing),
            "amend": permissions.can_amend(user, filing),
            "start_review": permissions.can_start_review(user, filing),
            "comment": permissions.can_comment(user, filing),
            "decide": permissions.can_decide(user, filing)}


class DraftMixin(LoginRequiredMixin):
    """Load the filing named in the URL and require that the user may edit the draft."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.filing = _visible_filing(request, kwargs["pk"])
        if not permissions.can_edit(request.user, self.filing):
            raise PermissionDenied("Only the issuer's members edit a draft; a submitted filing "
                                   "never changes.")
        return super().dispatch(request, *args, **kwargs)


class FilingEditView(DraftMixin, View):
    """The form generated from the template. Saved as a draft on every change (htmx posts
    the form; the answer updates the errors beside the fields and the quality panel), or with
    the Save button without JavaScript."""

    def context(self, report):
        filing = self.filing
        earlier = list(filing.amends.comments.all()) if filing.amends_id else []
        return {"filing": filing, "report": report,
                "sections": selectors.field_rows(filing, report, earlier_comments=earlier),
                "attachments": list(filing.attachments.all()),
                "upload_form": forms.AttachmentForm(),
                "can_submit": permissions.can_submit(self.request.user, filing),
                "earlier_general": [c for c in earlier if not c.field],
                "decision": getattr(filing.amends, "review", None) if filing.amends_id
                else None}

    def get(self, request, pk):
        return render(request, "disclosure/filing_edit.html",
                      self.context(services.filing_report(self.filing)))

    def post(self, request, pk):
        answers = forms.answers_from_post(self.filing.template.spec, request.POST)
        try:
            report = services.filing_save_answers(actor=request.user, filing=self.filing,
                                                  answers=answers)
        except ValidationError as exc:
            return render(request, "disclosure/filing_edit.html",
                          {**self.context(services.filing_report(self.filing)),
                           "save_errors": exc.messages}, status=400)
        self.filing.refresh_from_db()
        if request.htmx:
            return render(request, "disclosure/includes/autosave.html",
                          {**self.context(report), "saved": True})
        messages.success(request, "Draft saved.")
        return redirect("disclosure:filing-edit", self.filing.pk)


class AttachmentUploadView(DraftMixin, View):
    def post(self, request, pk):
        form = forms.AttachmentForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                services.attachment_add(actor=request.user, filing=self.filing,
                                        name=upload.name, data=forms.read_limited(upload),
                                        field=form.cleaned_data["field"])
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                messages.success(request, f"{upload.name} attached.")
        else:
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, message)
        return redirect("disclosure:filing-edit", self.filing.pk)


class AttachmentDeleteView(DraftMixin, View):
    def post(self, request, pk, attachment_pk):
        attachment = get_object_or_404(Attachment, pk=attachment_pk, filing=self.filing)
        services.attachment_remove(actor=request.user, attachment=attachment)
        messages.success(request, f"{attachment.name} removed.")
        return redirect("disclosure:filing-edit", self.filing.pk)


class AttachmentDownloadView(View):
    def get(self, request, pk, attachment_pk):
        filing = _visible_filing(request, pk)
        attachment = get_object_or_404(Attachment, pk=attachment_pk, filing=filing)
        response = FileResponse(attachment.file.open("rb"), as_attachment=True,
                                filename=attachment.name, content_type=attachment.content_type)
        response["X-Content-Type-Options"] = "nosniff"
        return response


class FilingActionView(LoginRequiredMixin, View):
    """A POST that changes a filing's state: checks the rule, calls the service, redirects."""

    allowed = staticmethod(lambda user, filing: False)
    refusal = "You may not do this to this filing."

    def post(self, request, pk):
        filing = _visible_filing(request, pk)
        if not type(self).allowed(request.user, filing):
            raise PermissionDenied(self.refusal)
        try:
            target = self.act(request, filing)
        except ValidationError as exc:
            for key, errors in getattr(exc, "message_dict", {"": exc.messages}).items():
                for message in errors:
                    messages.error(request, f"{key}: {message}" if key not in ("", "__all__")
                                   else message)
            return redirect(self.failure_url(filing))
        return redirect(target)

    def failure_url(self, filing):
        return filing.get_absolute_url()


class FilingSubmitView(FilingActionView):
    allowed = staticmethod(permissions.can_submit)
    refusal = "Submitting is an approver's act (or a preparer's, where the issuer allows it)."

    def act(self, request, filing):
        filing = services.filing_submit(actor=request.user, filing=filing)
        messages.success(request, f"Filed as {filing.accession_number}.")
        return reverse("disclosure:filing-receipt", args=[filing.pk])

    def failure_url(self, filing):
        return reverse("disclosure:filing-edit", args=[filing.pk])


class FilingWithdrawView(FilingActionView):
    allowed = staticmethod(permissions.can_withdraw)

    def act(self, request, filing):
        form = forms.ReasonForm(request.POST)
        form.is_valid()
        services.filing_withdraw(actor=request.user, filing=filing,
                                 reason=form.cleaned_data.get("reason", ""))
        messages.success(request, f"{filing.accession_number} withdrawn.")
        return filing.get_absolute_url()


class FilingAmendView(FilingActionView):
    allowed = staticmethod(permissions.can_amend)

    def act(self, request, filing):
        amendment = services.filing_amend(actor=request.user, filing=filing)
        messages.success(request, f"Amendment of {filing.accession_number} opened.")
        return reverse("disclosure:filing-edit", args=[amendment.pk])


class ReviewStartView(FilingActionView):
    allowed = staticmethod(permissions.can_start_review)

    def act(self, request, filing):
        services.review_start(actor=request.user, filing=filing)
        messages.success(request, f"You are reviewing {filing.accession_number}.")
        return filing.get_absolute_url()


class CommentView(FilingActionView):
    allowed = staticmethod(permissions.can_comment)

    def act(self, request, filing):
        form = forms.CommentForm(request.POST, fields=filing.template.spec.fields)
        if not form.is_valid():
            raise ValidationError(form.errors)
        services.comment_add(actor=request.user, filing=filing,
                             field=form.cleaned_data["field"], text=form.cleaned_data["text"])
        messages.success(request, "Comment recorded.")
        return filing.get_absolute_url() + "#review"


class DecideView(FilingActionView):
    allowed = staticmethod(permissions.can_decide)
    refusal = "The reviewer assigned to the filing decides."

    def act(self, request, filing):
        form = forms.DecisionForm(request.POST)
        if not form.is_valid():
            raise ValidationError(form.errors)
        filing = services.review_decide(actor=request.user, filing=filing,
                                        decision=form.cleaned_data["decision"],
                                        reasons=form.cleaned_data["reasons"])
        messages.success(request, f"{filing.accession_number}: "
                                  f"{filing.get_status_display().lower()}.")
        return filing.get_absolute_url()


# --- receipts, data, diff ---------------------------------------------------------------------


def receipt_data(request, filing: Filing) -> dict:
    submitted = selectors.filing_events(filing).filter(action="submitted").first()
    return {
        "accession_number": filing.accession_number,
        "issuer": {"id": filing.issuer_id, "name": filing.issuer.name},
        "template": filing.template.key,
        "period": filing.period,
        "deal": filing.deal.name if filing.deal else None,
        "amends": filing.amends.accession_number if filing.amends else None,
        "status": filing.status,
        "submitted_at": filing.submitted_at.isoformat() if filing.submitted_at else None,
        "submitted_by": filing.submitted_by.get_username() if filing.submitted_by else None,
        "due_date": filing.due_date.isoformat(),
        "on_time": filing.submitted_at is not None
        and filing.submitted_at.date() <= filing.due_date,
        "grade": filing.grade,
        "completeness": round(filing.completeness, 4),
        "content_sha256": filing.content_sha256,
        "ledger_event": {"sequence": submitted.sequence, "hash": submitted.hash}
        if submitted else None,
        "attachments": [{"name": a.name, "sha256": a.sha256, "size": a.size}
                        for a in filing.attachments.all()],
        "url": request.build_absolute_uri(filing.get_absolute_url()),
    }


class ReceiptView(View):
    def get(self, request, pk, fmt="html"):
        filing = _visible_filing(request, pk)
        if filing.status == FilingStatus.DRAFT:
            raise Http404("A draft has no receipt.")
        data = receipt_data(request, filing)
        if fmt == "json":
            return JsonResponse(data)
        return render(request, "disclosure/receipt.html", {"filing": filing, "receipt": data})


class FilingDataView(View):
    """One filing's answers as JSON or CSV."""

    def get(self, request, pk, fmt):
        filing = _visible_filing(request, pk)
        spec = filing.template.spec
        answers = {value.field: value for value in filing.values.all()}
        rows = [[field.key, field.label, field.type, field.unit,
                 answers[field.key].value if field.key in answers else "",
                 answers[field.key].nd_code if field.key in answers else "",
                 answers[field.key].nd_reason if field.key in answers else ""]
                for field in spec.fields]
        header = ["field", "label", "type", "unit", "value", "nd_code", "nd_reason"]
        if fmt == "csv":
            return exports.csv_response(f"filing-{filing.accession_number or filing.pk}.csv",
                                        header, rows)
        if fmt != "json":
            raise Http404("Filings come as JSON or CSV.")
        head = receipt_data(request, filing) if filing.accession_number else {}
        return JsonResponse({**head, "values": [dict(zip(header, row, strict=True))
                                                for row in rows]})


# --- review -----------------------------------------------------------------------------------


class ReviewQueueView(LoginRequiredMixin, FilterView):
    """Regulators' queue: submitted filings with filters and counts, figures, overdue filers."""

    filterset_class = FilingFilterSet
    paginate_by = 50
    template_name = "disclosure/queue.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not permissions.is_reviewer(request.user):
            raise PermissionDenied("The review queue is the regulators'.")
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.queue(user=self.request.user)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        if not self.request.GET:
            kwargs["data"] = {"status": sorted(PENDING_STATUSES), "sort": "submitted"}
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = context["filter"]
        base = filterset.qs if filterset.is_valid() else self.get_queryset()
        context.update(
            counts=selectors.status_counts(base.order_by()),
            figures=selectors.review_figures(),
            overdue=selectors.overdue(issuers=Issuer.objects.all())[:100],
            query=self.request.GET.urlencode(),
        )
        return context


# --- the interchange bundle -------------------------------------------------------------------


class BundleImportView(LoginRequiredMixin, View):
    """The regulator's upload page (DESIGN 6.1): a bundle .zip imported all or nothing."""

    template_name = "disclosure/bundle_import.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not permissions.is_reviewer(request.user):
            raise PermissionDenied("Bundles are uploaded by regulators.")
        return super().dispatch(request, *args, **kwargs)

    def context(self, **extra) -> dict:
        return {"files": list(bundle.FILES), "max_bytes": settings.IMPORT_MAX_BYTES, **extra}

    def get(self, request):
        return render(request, self.template_name, self.context())

    def post(self, request):
        try:
            summary = bundle.import_upload(request.FILES.get("bundle"), actor=request.user)
        except TableInvalid as exc:
            return render(request, self.template_name, self.context(problems=exc.problems),
                          status=400)
        return render(request, self.template_name,
                      self.context(summary=bundle.summary_rows(summary)))


# --- notifications ---------------------------------------------------------------------------


class NotificationListView(LoginRequiredMixin, View):
    def get(self, request):
        notifications = list(request.user.notifications.select_related("filing")[:200])
        return render(request, "disclosure/notifications.html",
                      {"notifications": notifications})

    def post(self, request):
        services.notifications_read(user=request.user)
        return redirect("disclosure:notifications")


# --- recompute runs (regulators) ------------------------------------------------------------


class RunsView(LoginRequiredMixin, View):
    """Regulators' view of the background recomputes: runs, queue depth, failures, and a
    button to recompute now, whose progress the page follows (htmx polling)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not permissions.is_reviewer(request.user):
            raise PermissionDenied("Recompute runs are the regulators'.")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        following = request.GET.get("run", "")
        return render(request, "disclosure/runs.html", {
            "runs": list(core_selectors.recent_runs()),
            "failures": list(core_selectors.recent_failures()),
            "queue": core_selectors.queue_depth(),
            "kinds": [(kind, RecomputeRun.Kind(kind).label) for kind in RECOMPUTES],
            "following": RecomputeRun.objects.filter(pk=following).first()
            if following.isdigit() else None,
        })

    def post(self, request):
        kind = request.POST.get("kind", "")
        if kind not in RECOMPUTES:
            return render(request, "disclosure/runs.html", {
                "runs": [], "failures": [], "queue": core_selectors.queue_depth(),
                "kinds": [(k, RecomputeRun.Kind(k).label) for k in RECOMPUTES],
                "errors": [f"'{kind}' is not a recompute (one of {', '.join(RECOMPUTES)})."],
            }, status=400)
        run = core_services.run_request(actor=request.user, kind=kind, scope="all",
                                        task=RECOMPUTES[kind][1])
        return redirect(f"{reverse('disclosure:runs')}?run={run.pk}")


class RunProgressView(LoginRequiredMixin, View):
    """One run's progress, the fragment the runs page polls while the run is not finished."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not permissions.is_reviewer(request.user):
            raise PermissionDenied("Recompute runs are the regulators'.")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        run = get_object_or_404(RecomputeRun, pk=pk)
        return render(request, "disclosure/includes/run_progress.html", {"run": run})


# --- SDG indicators (fragments for the deal and issuer pages) ---------------------------------


def _sdg_subject(request, subject: str, pk: int):
    """The deal or issuer whose indicators the user may read (404 otherwise)."""
    if subject == "deal":
        try:
            return deals_selectors.deal_detail(user=request.user, pk=pk)
        except Deal.DoesNotExist:
            raise Http404 from None
    if subject == "issuer" and can_read(request.user, Record.FINANCIALS, pk):
        return get_object_or_404(Issuer, pk=pk)
    raise Http404


class SdgView(View):
    """A deal's or an issuer's latest SDG indicators, scores, coverage and why (a fragment the
    deal and issuer pages load; a page of its own without htmx)."""

    def get(self, request, subject, pk):
        obj = _sdg_subject(request, subject, pk)
        snapshot = obj.sdg_snapshots.order_by("-created_at", "-id").first()
        template = ("disclosure/includes/sdg.html" if request.htmx
                    else "disclosure/sdg_page.html")
        return render(request, template, {"snapshot": snapshot, "subject": subject,
                                          "obj": obj, "strength": sdg.strength})


class SdgTrendView(View):
    """The dimension scores over the subject's snapshots (SVG, or the table as CSV)."""

    def get(self, request, subject, pk, fmt):
        obj = _sdg_subject(request, subject, pk)
        history = list(obj.sdg_snapshots.order_by("-created_at", "-id")[:200])[::-1]
        rows = [(s.created_at.strftime("%Y-%m-%d %H:%M"),
                 *[s.scores.get(d, {}).get("value") for d in sdg.DIMENSIONS]) for s in history]
        if fmt == "csv":
            return exports.csv_response(f"sdg-trend-{subject}-{pk}.csv",
                                        ["computed_at", *sdg.DIMENSIONS], rows)
        if fmt != "svg":
            raise Http404
        return charts.svg_response(charts.line_chart(
            "SDG dimension scores (0..100)", [r[0] for r in rows],
            {d: [r[i + 1] for r in rows] for i, d in enumerate(sdg.DIMENSIONS)}))
