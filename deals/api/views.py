"""Deals API: parse, authorize through `deals.permissions`, call a selector or service."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from deals import risk, selectors, services, waterfall
from deals.api import serializers
from deals.filters import DealFilterSet
from deals.models import Benchmark, CreditEnhancement, FxRate, PoolAsset, Tranche
from deals.permissions import (
    DealPermission,
    ReferenceDataPermission,
    can_create_deal,
    can_report,
    can_structure,
    can_transition,
    may_pool_asset,
)
from deals.search import facet_counts


class DealViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Deals: search with facets; drafts written by the originator's members."""

    permission_classes = [DealPermission]
    public_read = True
    filterset_class = DealFilterSet
    ordering_fields = []

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.deal_list(user=self.request.user).prefetch_related(
                "tranches", "enhancements", "pool__asset__owner", "events")
        return selectors.deal_list(user=self.request.user)

    def get_serializer_class(self):
        return (serializers.DealDetailSerializer if self.action == "retrieve"
                else serializers.DealSerializer)

    def filter_queryset(self, queryset):
        # The search and its facets narrow lists; one deal is found by its id alone.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def list(self, request, *args, **kwargs):
        """Matching deals, a page at a time, with facet counts over all matches."""
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        context = {**self.get_serializer_context(),
                   "benchmarks": selectors.benchmark_rates(page)}
        response = self.get_paginated_response(
            serializers.DealSerializer(page, many=True, context=context).data)
        response.data["facets"] = facet_counts(queryset)
        return response

    def perform_create(self, serializer):
        if not can_create_deal(self.request.user, serializer.validated_data["originator"].pk):
            raise PermissionDenied("You may open deals only for your own issuer.")
        serializer.instance = services.deal_create(actor=self.request.user,
                                                   **serializer.validated_data)

    def perform_update(self, serializer):
        data = serializer.validated_data
        if "originator" in data and not can_create_deal(self.request.user, data["originator"].pk):
            raise PermissionDenied("You may not move the deal to this originator.")
        serializer.instance = services.deal_update(actor=self.request.user,
                                                   deal=serializer.instance, **data)

    @extend_schema(request=serializers.TransitionSerializer,
                   responses=serializers.DealSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def transition(self, request, pk=None):
        """Move the deal to another status along its status machine."""
        deal = get_object_or_404(self.get_queryset(), pk=pk)
        body = serializers.TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        to_status = body.validated_data["status"]
        if not can_transition(request.user, deal, to_status):
            raise PermissionDenied(f"You may not move this {deal.status} deal to {to_status}.")
        deal = services.deal_transition(actor=request.user, deal=deal, to_status=to_status,
                                        reason=body.validated_data["reason"])
        return Response(serializers.DealSerializer(deal, context=self.get_serializer_context())
                        .data)

    @extend_schema(request=serializers.ServicerReportSerializer,
                   responses=serializers.ServicerReportSerializer)
    @action(detail=True, methods=["get", "post"])
    def reports(self, request, pk=None):
        """List the deal's servicer reports, or file the next period's."""
        deal = get_object_or_404(self.get_queryset(), pk=pk)
        if request.method == "GET":
            return Response(serializers.ServicerReportSerializer(
                deal.reports.all(), many=True).data)
        if not can_report(request.user, deal):
            raise PermissionDenied("Only the originator files servicer reports on issued deals.")
        body = serializers.ServicerReportSerializer(data={**request.data, "deal": deal.pk})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        report = services.report_submit(
            actor=request.user, deal=deal, period_end=data["period_end"],
            collections=data["collections"],
            collections_by_asset=data.get("collections_by_asset"))
        return Response(serializers.ServicerReportSerializer(report).data,
                        status=status.HTTP_201_CREATED)


class DealPartViewSet(viewsets.ModelViewSet):
    """A part of a deal's structure, changed only while the deal is a draft."""

    permission_classes = [DealPermission]
    public_read = True
    model = None
    create_service = None
    update_service = None
    delete_service = None
    instance_argument = ""

    def get_queryset(self):
        deals = selectors.deal_list(user=self.request.user)
        return self.model.objects.filter(deal__in=deals).select_related("deal")

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        if not kwargs.get("many"):
            # A deal the user may not see does not exist for them, even as a choice.
            serializer.fields["deal"].queryset = selectors.deal_list(user=self.request.user)
        return serializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        deal = data.pop("deal")
        self.check_structuring(deal, data)
        serializer.instance = type(self).create_service(actor=self.request.user, deal=deal,
                                                        **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("deal", None)
        self.check_structuring(serializer.instance.deal, data)
        serializer.instance = type(self).update_service(
            actor=self.request.user, **{self.instance_argument: serializer.instance}, **data)

    def perform_destroy(self, instance):
        type(self).delete_service(actor=self.request.user, **{self.instance_argument: instance})

    def check_structuring(self, deal, data) -> None:
        if not can_structure(self.request.user, deal):
            raise PermissionDenied("Only the originator's members change a draft's structure.")


class TrancheViewSet(DealPartViewSet):
    model = Tranche
    serializer_class = serializers.TrancheSerializer
    filterset_fields = ["deal"]
    create_service = services.tranche_create
    update_service = services.tranche_update
    delete_service = services.tranche_delete
    instance_argument = "tranche"


class EnhancementViewSet(DealPartViewSet):
    model = CreditEnhancement
    serializer_class = serializers.EnhancementSerializer
    filterset_fields = ["deal", "kind"]
    create_service = services.enhancement_create
    update_service = services.enhancement_update
    delete_service = services.enhancement_delete
    instance_argument = "enhancement"


class PoolViewSet(DealPartViewSet):
    model = PoolAsset
    serializer_class = serializers.PoolAssetSerializer
    filterset_fields = ["deal", "asset"]
    create_service = services.pool_add
    update_service = services.pool_update
    delete_service = services.pool_remove
    instance_argument = "entry"

    def get_queryset(self):
        return super().get_queryset().select_related("asset__owner")

    def check_structuring(self, deal, data) -> None:
        super().check_structuring(deal, data)
        if "asset" in data and not may_pool_asset(self.request.user, deal, data["asset"]):
            raise PermissionDenied("Only the originator's own assets, or its beneficiaries' "
                                   "for intermediary originators, may enter its pool.")


class BenchmarkViewSet(viewsets.ModelViewSet):
    """SME loan rates, ABS issuance and employment growth per country and year."""

    permission_classes = [ReferenceDataPermission]
    queryset = Benchmark.objects.all()
    serializer_class = serializers.BenchmarkSerializer
    filterset_fields = ["country", "year"]
    http_method_names = ["get", "post", "patch", "put", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = services.benchmark_create(actor=self.request.user,
                                                        **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.benchmark_update(
            actor=self.request.user, benchmark=serializer.instance, **serializer.validated_data)


class FxRateViewSet(viewsets.ModelViewSet):
    """Yearly rates to USD per currency."""

    permission_classes = [ReferenceDataPermission]
    queryset = FxRate.objects.all()
    serializer_class = serializers.FxRateSerializer
    filterset_fields = ["currency", "year"]
    http_method_names = ["get", "post", "patch", "put", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = services.fx_create(actor=self.request.user,
                                                 **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.fx_update(actor=self.request.user,
                                                 rate=serializer.instance,
                                                 **serializer.validated_data)


class WaterfallRunView(APIView):
    """Run a cash-flow waterfall (DESIGN 6.2); computes, stores nothing."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=dict, responses={200: dict, 400: OpenApiResponse(
        description="Bad input, keyed by the offending field's path.")})
    def post(self, request):
        try:
            return Response(waterfall.run(request.data))
        except waterfall.WaterfallInputError as exc:
            return Response({exc.field or "body": [exc.message]},
                            status=status.HTTP_400_BAD_REQUEST)


class WaterfallSimulateView(APIView):
    """Run the Monte Carlo risk simulation of DESIGN 6.3 on a waterfall; stores nothing."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=dict, responses={200: dict, 400: OpenApiResponse(
        description="Bad input, keyed by the offending field's path.")})
    def post(self, request):
        try:
            return Response(risk.simulate(request.data))
        except waterfall.WaterfallInputError as exc:
            return Response({exc.field or "body": [exc.message]},
                            status=status.HTTP_400_BAD_REQUEST)
