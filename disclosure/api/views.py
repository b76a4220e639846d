"""Disclosure API: parse, authorize through `disclosure.permissions`, call a selector or
service. A filing the user may not read does not exist for them (404)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from deals.models import Deal
from disclosure import permissions, quality, selectors, services
from disclosure.api import serializers
from disclosure.filters import FilingFilterSet
from disclosure.forms import read_limited
from disclosure.models import DisclosureTemplate, Filing, Notification
from disclosure.views import receipt_data
from ipregistry.models import Issuer


class TemplateViewSet(viewsets.ReadOnlyModelViewSet):
    """Disclosure templates with their field definitions; open to everyone."""

    permission_classes = [AllowAny]
    queryset = DisclosureTemplate.objects.order_by("code", "-version")
    serializer_class = serializers.TemplateSerializer
    filterset_fields = ["code", "status", "applies_to"]


class FilingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    viewsets.GenericViewSet):
    """Filings: accepted ones are public; issuers' members open and fill drafts, submit,
    withdraw and amend; regulators review."""

    permission_classes = [permissions.FilingPermission]
    filterset_class = FilingFilterSet
    ordering_fields = []

    def get_queryset(self):
        queryset = selectors.filing_list(user=self.request.user).select_related("amends")
        if self.action == "retrieve":
            return queryset.prefetch_related("values", "attachments")
        return queryset

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def get_serializer_class(self):
        return (serializers.FilingDetailSerializer if self.action == "retrieve"
                else serializers.FilingSerializer)

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if self.action == "create" and self.request.user.is_authenticated:
            user = self.request.user
            issuers = Issuer.objects.all()
            if not user.is_superuser:
                issuers = issuers.filter(memberships__user=user)
            serializer.fields["issuer"].queryset = issuers
            serializer.fields["deal"].queryset = Deal.objects.filter(originator__in=issuers)
            serializer.fields["template"].queryset = selectors.active_templates()
        return serializer

    def create(self, request, *args, **kwargs):
        """Open a draft filing for one of the user's issuers."""
        if not permissions.can_file_for(request.user):
            raise PermissionDenied("Filings are opened by issuers' members.")
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        if not permissions.can_file_for(self.request.user, data["issuer"].pk):
            raise PermissionDenied("Filings are opened by the issuer's members.")
        serializer.instance = services.filing_create(
            actor=self.request.user, issuer=data["issuer"], template=data["template"],
            period=data["period"], deal=data.get("deal"))

    def _filing(self, pk) -> Filing:
        return get_object_or_404(self.get_queryset(), pk=pk)

    def _report(self, report: quality.Report) -> dict:
        return serializers.ReportSerializer(report).data

    @extend_schema(request=serializers.AnswersSerializer, responses=serializers.ReportSerializer)
    @action(detail=True, methods=["get", "post"])
    def answers(self, request, pk=None):
        """The draft's validation report (GET), or store answers and get it (POST)."""
        filing = self._filing(pk)
        if request.method == "GET":
            return Response(self._report(services.filing_report(filing)))
        if not permissions.can_edit(request.user, filing):
            raise PermissionDenied("Only the issuer's members edit a draft; a submitted filing "
                                   "never changes.")
        body = serializers.AnswersSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        answers = {item["field"]: quality.Answer(value=item["value"], nd_code=item["nd_code"],
                                                 nd_reason=item["nd_reason"])
                   for item in body.validated_data["answers"]}
        report = services.filing_save_answers(actor=request.user, filing=filing,
                                              answers=answers)
        return Response(self._report(report))

    @extend_schema(request=serializers.UploadSerializer,
                   responses=serializers.AttachmentSerializer)
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def attachments(self, request, pk=None):
        """Attach a PDF, XLSX or CSV to a draft (type sniffed from the content)."""
        filing = self._filing(pk)
        if not permissions.can_edit(request.user, filing):
            raise PermissionDenied("Files are attached to drafts by the issuer's members.")
        body = serializers.UploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        attachment = services.attachment_add(actor=request.user, filing=filing,
                                             name=upload.name, data=read_limited(upload),
                                             field=body.validated_data["field"])
        return Response(serializers.AttachmentSerializer(attachment).data,
                        status=status.HTTP_201_CREATED)

    def _act(self, request, pk, allowed, refusal, act):
        filing = self._filing(pk)
        if not allowed(request.user, filing):
            raise PermissionDenied(refusal)
        result = act(filing)
        return Response(serializers.FilingSerializer(result, context={"request": request}).data)

    @extend_schema(request=None, responses=serializers.FilingSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def submit(self, request, pk=None):
        """File the draft: it must validate; it gets its accession number and freezes."""
        return self._act(request, pk, permissions.can_submit,
                         "Submitting is an approver's act (or a preparer's, where the issuer "
                         "allows it).",
                         lambda f: services.filing_submit(actor=request.user, filing=f))

    @extend_schema(request=serializers.ReasonSerializer, responses=serializers.FilingSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def withdraw(self, request, pk=None):
        """Withdraw a submitted filing before its review starts."""
        body = serializers.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._act(request, pk, permissions.can_withdraw,
                         "Only the filer withdraws, before the review starts.",
                         lambda f: services.filing_withdraw(
                             actor=request.user, filing=f, reason=body.validated_data["reason"]))

    @extend_schema(request=None, responses=serializers.FilingSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def amend(self, request, pk=None):
        """Open an amendment (a new draft pointing to this filing)."""
        return self._act(request, pk, permissions.can_amend,
                         "Returned or accepted filings are amended by the issuer's members.",
                         lambda f: services.filing_amend(actor=request.user, filing=f))

    @extend_schema(request=None, responses=dict)
    @action(detail=True, methods=["get"])
    def receipt(self, request, pk=None):
        """The filing's receipt: accession number, times, content and ledger hashes."""
        filing = self._filing(pk)
        if filing.accession_number is None:
            return Response({"detail": "A draft has no receipt."},
                            status=status.HTTP_404_NOT_FOUND)
        return Response(receipt_data(request, filing))

    @extend_schema(request=None, responses=serializers.FilingSerializer)
    @action(detail=True, methods=["post"], url_path="review/start",
            permission_classes=[IsAuthenticated])
    def start_review(self, request, pk=None):
        """Take a submitted filing for review (regulators)."""
        return self._act(request, pk, permissions.can_start_review,
                         "Regulators take submitted filings for review.",
                         lambda f: services.review_start(actor=request.user, filing=f).filing)

    @extend_schema(request=serializers.CommentSerializer, responses=serializers.CommentSerializer)
    @action(detail=True, methods=["get", "post"], permission_classes=[IsAuthenticated])
    def comments(self, request, pk=None):
        """The reviewers' comments (the issuer's members and regulators), or add one."""
        filing = self._filing(pk)
        if not permissions.can_view_review(request.user, filing):
            raise PermissionDenied("Review comments are for the issuer and the regulators.")
        if request.method == "GET":
            return Response(serializers.CommentSerializer(filing.comments.all(), many=True).data)
        if not permissions.can_comment(request.user, filing):
            raise PermissionDenied("Reviewers comment on filings under review.")
        body = serializers.CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        comment = services.comment_add(actor=request.user, filing=filing,
                                       field=body.validated_data.get("field", ""),
                                       text=body.validated_data["text"])
        return Response(serializers.CommentSerializer(comment).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=serializers.DecisionSerializer, responses=serializers.FilingSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def decide(self, request, pk=None):
        """Accept, return for correction or reject (the assigned reviewer)."""
        body = serializers.DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._act(request, pk, permissions.can_decide,
                         "The reviewer assigned to the filing decides.",
                         lambda f: services.review_decide(
                             actor=request.user, filing=f, **body.validated_data))


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The signed-in user's notifications, newest first."""

    permission_classes = [IsAuthenticated]
    serializer_class = serializers.NotificationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema, no user
            return Notification.objects.none()
        return self.request.user.notifications.all()

    @extend_schema(request=None, responses=dict)
    @action(detail=False, methods=["post"])
    def read(self, request):
        """Mark every notification as read."""
        return Response({"marked": services.notifications_read(user=request.user)})



