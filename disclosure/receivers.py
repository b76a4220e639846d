"""What disclosure does when a record its indicators derive from changes (core.signals): ask,
once per deal or issuer and after commit, for their SDG indicators to be recomputed."""

from django.db.models import Q

from core.jobs import after_commit
from deals.models import Benchmark, Deal, DealEvent, FxRate, PoolAsset, Tranche
from disclosure.choices import FilingStatus
from disclosure.models import Filing
from ipregistry.models import IPAsset, Issuer, IssuerFinancials

# Fields of registry records that SDG indicators read (disclosure/sdg_inputs.py).
ISSUER_FIELDS = {"issuer_type", "province", "country", "name"}
ASSET_FIELDS = {"green", "owner_id", "cpc_codes", "ipc_codes"}
DEAL_FIELDS = {"issue_date", "country"}


def _beneficiaries_of(deal_ids) -> list[int]:
    return list(PoolAsset.objects.filter(deal_id__in=deal_ids, financing_amount__gt=0)
                .values_list("asset__owner_id", flat=True).distinct())


def _is_beneficiary(issuer_id: int) -> bool:
    return PoolAsset.objects.filter(asset__owner_id=issuer_id, financing_amount__gt=0).exists()


def _deals_of_issuer(issuer_id: int) -> list[int]:
    return list(Deal.objects.filter(Q(pool__asset__owner_id=issuer_id))
                .values_list("pk", flat=True).distinct())


def recompute_sdg_of_record(sender, instance, changes, action="update", **kwargs):
    from disclosure.tasks import recompute_sdg_deal, recompute_sdg_issuer

    deal_ids: list[int] = []
    issuer_ids: list[int] = []
    if sender in (PoolAsset, Tranche):
        deal_ids = [instance.deal_id]
        issuer_ids = _beneficiaries_of(deal_ids)
        if sender is PoolAsset:
            issuer_ids.append(instance.asset.owner_id)
    elif sender is Deal and action != "delete" and (action != "update"
                                                   or DEAL_FIELDS & changes.keys()):
        deal_ids = [instance.pk]
        issuer_ids = _beneficiaries_of(deal_ids)
    elif sender is Benchmark:
        deal_ids = list(Deal.objects.filter(country=instance.country, issue_year=instance.year)
                        .values_list("pk", flat=True))
        issuer_ids = _beneficiaries_of(deal_ids)
    elif sender is IssuerFinancials or (sender is Issuer and ISSUER_FIELDS & changes.keys()):
        issuer_id = instance.pk if sender is Issuer else instance.issuer_id
        deal_ids = _deals_of_issuer(issuer_id)
        # Only a beneficiary of some deal has indicators to recompute.
        issuer_ids = [issuer_id] if _is_beneficiary(issuer_id) else []
    elif sender is IPAsset and ASSET_FIELDS & changes.keys():
        deal_ids = list(PoolAsset.objects.filter(asset=instance).values_list("deal_id",
                                                                              flat=True))
        issuer_ids = _beneficiaries_of(deal_ids)
    elif sender is Filing and changes.get("status", [None, None])[1] == FilingStatus.ACCEPTED:
        issuer_ids = [instance.issuer_id] if _is_beneficiary(instance.issuer_id) else []
        deal_ids = _deals_of_issuer(instance.issuer_id)
    for deal_id in sorted(set(deal_ids)):
        after_commit(recompute_sdg_deal, deal_id)
    for issuer_id in sorted(set(issuer_ids)):
        after_commit(recompute_sdg_issuer, issuer_id)


# Records the market snapshot is made of (disclosure/market_build.py).
MARKET_SENDERS = (Deal, Tranche, PoolAsset, DealEvent, Benchmark, FxRate, IssuerFinancials,
                  Filing)


def recompute_market_of_record(sender, instance, changes, action="update", **kwargs):
    """Ask, once per transaction (and while one is pending), for the market snapshot."""
    from disclosure.tasks import recompute_market

    relevant = sender in MARKET_SENDERS or (
        sender is IPAsset and {"green", "kind", "valuation_dispersion", "owner_id"}
        & changes.keys()) or (sender is Issuer and {"issuer_type", "country"} & changes.keys())
    if relevant and not (sender is Filing and action in ("created", "amended")):
        after_commit(recompute_market, "all")
