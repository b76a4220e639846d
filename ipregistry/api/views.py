"""API viewsets: parse, authorize through `ipregistry.permissions`, call a service."""

from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied

from ipregistry import filters, selectors, services
from ipregistry.api import serializers
from ipregistry.permissions import (
    Record,
    RegistryPermission,
    can_create,
    issuer_id_of,
    may_move_to,
)


class RegistryViewSet(viewsets.ModelViewSet):
    """A registry record type; subclasses declare what it is and which services write it."""

    permission_classes = [RegistryPermission]
    record: Record
    selector = None
    create_service = None
    update_service = None
    delete_service = None
    instance_argument: str

    def get_queryset(self):
        return type(self).selector(user=self.request.user)

    def _unsaved(self, data: dict, instance=None):
        """Return the record as it would be after this write, without saving it."""
        model = self.get_serializer_class().Meta.model
        edited = model(**{**({} if instance is None else _field_values(instance)), **data})
        edited.pk = None if instance is None else instance.pk
        return edited

    def perform_create(self, serializer):
        target = self._unsaved(serializer.validated_data)
        if not can_create(self.request.user, self.record, issuer_id_of(target)):
            raise PermissionDenied("You may not write records for this issuer.")
        serializer.instance = type(self).create_service(
            actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        edited = self._unsaved(serializer.validated_data, serializer.instance)
        if not may_move_to(self.request.user, self.record, serializer.instance, edited):
            raise PermissionDenied("You may not move records to this issuer.")
        serializer.instance = type(self).update_service(
            actor=self.request.user, **{self.instance_argument: serializer.instance},
            **serializer.validated_data)

    def perform_destroy(self, instance):
        type(self).delete_service(actor=self.request.user, **{self.instance_argument: instance})


def _field_values(instance) -> dict:
    return {field.name: getattr(instance, field.name)
            for field in instance._meta.concrete_fields if not field.primary_key}


class IssuerViewSet(RegistryViewSet):
    """Issuers: staff register them; an issuer's approvers maintain the record."""

    record = Record.ISSUER
    selector = selectors.issuer_list
    serializer_class = serializers.IssuerSerializer
    filterset_class = filters.IssuerFilterSet
    ordering_fields = ["name", "country", "founded_year"]
    create_service = services.issuer_create
    update_service = services.issuer_update
    delete_service = None
    instance_argument = "issuer"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]


class FinancialsViewSet(RegistryViewSet):
    """Issuers' figures per fiscal year."""

    record = Record.FINANCIALS
    selector = selectors.financials_list
    serializer_class = serializers.FinancialsSerializer
    filterset_class = filters.FinancialsFilterSet
    ordering_fields = ["year"]
    create_service = services.financials_create
    update_service = services.financials_update
    delete_service = services.financials_delete
    instance_argument = "financials"


class IPAssetViewSet(RegistryViewSet):
    """IP assets, written with `owner` and code lists, read with their green tagging."""

    record = Record.ASSET
    selector = selectors.asset_list
    serializer_class = serializers.IPAssetSerializer
    filterset_class = filters.IPAssetFilterSet
    ordering_fields = ["id", "expiry_date", "filing_date", "title"]
    create_service = services.asset_create
    update_service = services.asset_update
    delete_service = services.asset_delete
    instance_argument = "asset"


class ValuationViewSet(RegistryViewSet):
    """Appraisals of assets; each change recomputes the asset's dispersion."""

    record = Record.VALUATION
    selector = selectors.valuation_list
    serializer_class = serializers.ValuationSerializer
    filterset_class = filters.ValuationFilterSet
    ordering_fields = ["valuation_date", "value"]
    create_service = services.valuation_create
    update_service = services.valuation_update
    delete_service = services.valuation_delete
    instance_argument = "valuation"


class LicenceViewSet(RegistryViewSet):
    """Licences of assets."""

    record = Record.LICENCE
    selector = selectors.licence_list
    serializer_class = serializers.LicenceSerializer
    filterset_class = filters.LicenceFilterSet
    ordering_fields = ["start_date"]
    create_service = services.licence_create
    update_service = services.licence_update
    delete_service = services.licence_delete
    instance_argument = "licence"


class ReceiptViewSet(RegistryViewSet):
    """Royalties received under licences."""

    record = Record.RECEIPT
    selector = selectors.receipt_list
    serializer_class = serializers.ReceiptSerializer
    filterset_class = filters.ReceiptFilterSet
    ordering_fields = ["period_end", "amount"]
    create_service = services.receipt_create
    update_service = services.receipt_update
    delete_service = services.receipt_delete
    instance_argument = "receipt"


class PledgeViewSet(RegistryViewSet):
    """Pledges of assets and their release."""

    record = Record.PLEDGE
    selector = selectors.pledge_list
    serializer_class = serializers.PledgeSerializer
    filterset_class = filters.PledgeFilterSet
    ordering_fields = ["registered_date"]
    create_service = services.pledge_create
    update_service = services.pledge_update
    delete_service = services.pledge_delete
    instance_argument = "pledge"
