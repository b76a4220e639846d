"""What deals do when a record they derive figures from changes (core.signals): ask, once per
deal and after commit, for the deal's derived search fields to be refreshed."""

from django.db.models import Q

from core.jobs import after_commit
from deals.models import CreditEnhancement, Deal, DealEvent, PoolAsset, ServicerReport, Tranche
from ipregistry.models import IPAsset, Issuer, Licence, Pledge, RoyaltyReceipt

# Registry fields a deal's search text or facets are made of (deals.services.deal_refresh).
ASSET_FIELDS = {"title", "kind", "owner_id"}
ISSUER_FIELDS = {"name"}
# Asset fields a deal's risk depends on (deals.selectors.risk_inputs).
RISK_ASSET_FIELDS = {"status", "expiry_date", "kind", "valuation_dispersion"}


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


def recompute_risk_of_record(sender, instance, changes, action="update", **kwargs):
    """Ask for the risk of the deals a changed record feeds: the deal's own structure, servicer
    reports and events; its pooled assets (valuations count through the assets' dispersion,
    recomputed first), their licences, pledges and royalty receipts."""
    from deals.tasks import recompute_risk

    if sender is Deal and action == "delete":
        return
    if sender in (Tranche, CreditEnhancement, PoolAsset, ServicerReport, DealEvent):
        deal_ids = [instance.deal_id]
    elif sender is Deal:
        deal_ids = [instance.pk]
    elif sender in (Licence, Pledge) or (
            sender is IPAsset and RISK_ASSET_FIELDS & changes.keys()):
        asset_id = instance.pk if sender is IPAsset else instance.asset_id
        deal_ids = PoolAsset.objects.filter(asset_id=asset_id).values_list("deal_id", flat=True)
    elif sender is RoyaltyReceipt:
        deal_ids = PoolAsset.objects.filter(asset__licences__pk=instance.licence_id) \
            .values_list("deal_id", flat=True)
    else:
        return
    for deal_id in set(deal_ids):
        after_commit(recompute_risk, deal_id)
