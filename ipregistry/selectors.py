"""Reads of the registry, already scoped to what the user may see and shaped for lists."""

from django.db.models import Count, Prefetch, QuerySet

from ipregistry.models import (
    IPAsset,
    Issuer,
    IssuerFinancials,
    Licence,
    Pledge,
    RoyaltyReceipt,
    Valuation,
)
from ipregistry.permissions import Record, scope


def issuer_list(*, user) -> QuerySet[Issuer]:
    """Issuers the user may read, with their asset counts."""
    issuers = Issuer.objects.annotate(asset_count=Count("assets")).order_by("name", "id")
    return scope(issuers, user, Record.ISSUER)


def financials_list(*, user) -> QuerySet[IssuerFinancials]:
    return scope(IssuerFinancials.objects.select_related("issuer"), user, Record.FINANCIALS)


def asset_list(*, user) -> QuerySet[IPAsset]:
    return scope(IPAsset.objects.select_related("owner"), user, Record.ASSET)


def valuation_list(*, user) -> QuerySet[Valuation]:
    return scope(Valuation.objects.select_related("asset__owner"), user, Record.VALUATION)


def licence_list(*, user) -> QuerySet[Licence]:
    return scope(Licence.objects.select_related("asset__owner"), user, Record.LICENCE)


def receipt_list(*, user) -> QuerySet[RoyaltyReceipt]:
    return scope(RoyaltyReceipt.objects.select_related("licence__asset__owner"), user,
                 Record.RECEIPT)


def pledge_list(*, user) -> QuerySet[Pledge]:
    return scope(Pledge.objects.select_related("asset__owner"), user, Record.PLEDGE)


def asset_detail(*, user, pk: int) -> IPAsset:
    """One asset with the related rows the user may read, prefetched."""
    prefetches = [
        Prefetch("valuations", queryset=valuation_list(user=user)),
        Prefetch("licences", queryset=licence_list(user=user).prefetch_related("receipts")),
        Prefetch("pledges", queryset=pledge_list(user=user)),
    ]
    return asset_list(user=user).prefetch_related(*prefetches).get(pk=pk)


def receipts_by_period(asset: IPAsset) -> list[tuple]:
    """Return [(period_end, currency, total)] of the asset's prefetched royalty receipts."""
    totals: dict[tuple, object] = {}
    for licence in asset.licences.all():
        for receipt in licence.receipts.all():
            key = (receipt.period_end, licence.currency)
            totals[key] = totals.get(key, 0) + receipt.amount
    return [(period, currency, total) for (period, currency), total in sorted(totals.items())]
