"""What deals do when a record they derive figures from changes (core.signals): ask, once per
deal and after commit, for the deal's derived search fields to be refreshed."""

from django.db.models import Q

from core.jobs import after_commit
from deals.models import Deal, PoolAsset
from ipregistry.models import IPAsset, Issuer

# Registry fields a deal's search text or facets are made of (deals.services.deal_refresh).
ASSET_FIELDS = {"title", "kind", "owner_id"}
ISSUER_FIELDS = {"name"}


def refresh_deals_of_record(sender, instance, changes, action="update", **kwargs):
    from deals.tasks import refresh_deal

    if action != "update":
        return
    if sender is IPAsset and ASSET_FIELDS & changes.keys():
        deal_ids = PoolAsset.objects.filter(asset=instance).values_list("deal_id", flat=True)
    elif sender is Issuer and ISSUER_FIELDS & changes.keys():
        deal_ids = Deal.objects.filter(Q(originator=instance) | Q(pool__asset__owner=instance)) \
            .values_list("pk", flat=True).distinct()
    else:
        return
    for deal_id in deal_ids:
        after_commit(refresh_deal, deal_id)
