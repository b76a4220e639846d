"""Every write to the registry goes through these functions.

Each one validates (`full_clean`), saves, writes its audit entry in the same transaction and
schedules side effects after commit. Views, the API, admin, import commands and tasks call them;
they authorize before calling.
"""

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction

from core import audit
from core.jobs import after_commit
from core.services import create as _create
from core.services import delete as _delete
from core.services import update as _update
from core.signals import record_changed
from ipregistry.dispersion import is_dispersion_flagged, valuation_dispersion
from ipregistry.models import (
    IPAsset,
    Issuer,
    IssuerFinancials,
    IssuerMembership,
    Licence,
    Pledge,
    RoyaltyReceipt,
    Valuation,
)

# Issuers and memberships


def _ensure_external_ref(instance: Issuer | IPAsset, prefix: str) -> None:
    # Every issuer and asset has a bundle key, so an export can be imported again in place.
    if not instance.external_ref:
        instance.external_ref = f"{prefix}-{instance.pk}"
        type(instance).objects.filter(pk=instance.pk).update(external_ref=instance.external_ref)


@transaction.atomic
def issuer_create(*, actor, **data) -> Issuer:
    """Register an issuer."""
    issuer = _create(actor=actor, instance=Issuer(**data))
    _ensure_external_ref(issuer, "issuer")
    return issuer


def issuer_update(*, actor, issuer: Issuer, **data) -> Issuer:
    """Change an issuer's record."""
    return _update(actor=actor, instance=issuer, data=data)


def membership_add(*, actor, issuer: Issuer, user, role: str) -> IssuerMembership:
    """Make a user a preparer or approver of an issuer."""
    return _create(actor=actor, instance=IssuerMembership(issuer=issuer, user=user, role=role))


def membership_remove(*, actor, membership: IssuerMembership) -> None:
    """End a user's membership of an issuer."""
    _delete(actor=actor, instance=membership)


# Financials


def financials_create(*, actor, **data) -> IssuerFinancials:
    """Record an issuer's figures for one fiscal year."""
    return _create(actor=actor, instance=IssuerFinancials(**data))


def financials_update(*, actor, financials: IssuerFinancials, **data) -> IssuerFinancials:
    """Correct an issuer's figures for one fiscal year."""
    return _update(actor=actor, instance=financials, data=data)


def financials_delete(*, actor, financials: IssuerFinancials) -> None:
    """Remove one fiscal year's figures."""
    _delete(actor=actor, instance=financials)


# IP assets


def _prepare_asset(asset: IPAsset) -> IPAsset:
    asset.full_clean()
    asset.refresh_green()
    return asset


@transaction.atomic
def asset_create(*, actor, **data) -> IPAsset:
    """Register an IP asset; its green tagging is derived from its codes."""
    asset = _prepare_asset(IPAsset(**data))
    asset.save()
    _ensure_external_ref(asset, "asset")
    changes = audit.snapshot(asset)
    audit.record(actor=actor, action="ipregistry.ipasset.create", instance=asset,
                 changes=changes)
    record_changed.send(sender=IPAsset, instance=asset, action="create", changes=changes)
    return asset


@transaction.atomic
def asset_update(*, actor, asset: IPAsset, **data) -> IPAsset:
    """Change an IP asset; green tagging follows its codes."""
    before = audit.snapshot(asset)
    for field, value in data.items():
        setattr(asset, field, value)
    _prepare_asset(asset).save()
    if changes := audit.diff(before, audit.snapshot(asset)):
        audit.record(actor=actor, action="ipregistry.ipasset.update", instance=asset,
                     changes=changes)
        record_changed.send(sender=IPAsset, instance=asset, action="update", changes=changes)
    return asset


def asset_delete(*, actor, asset: IPAsset) -> None:
    """Remove an IP asset with its valuations, licences, receipts and pledges."""
    _delete(actor=actor, instance=asset)


@transaction.atomic
def assets_import(*, actor, assets: Iterable[IPAsset]) -> list[IPAsset]:
    """Register many validated assets in one transaction: all or nothing."""
    created = []
    for asset in assets:
        asset.refresh_green()
        asset.save()
        _ensure_external_ref(asset, "asset")
        audit.record(actor=actor, action="ipregistry.ipasset.import", instance=asset,
                     changes=audit.snapshot(asset))
        created.append(asset)
    return created


# Valuations and dispersion


def recompute_dispersion_after_commit(asset_ids: Iterable[int]) -> None:
    """Ask for one dispersion recompute per asset once the current transaction commits."""
    from ipregistry.tasks import recompute_valuation_dispersion

    for asset_id in sorted(set(asset_ids)):
        after_commit(recompute_valuation_dispersion, asset_id)


@transaction.atomic
def valuation_create(*, actor, recompute: bool = True, **data) -> Valuation:
    """Record an appraisal; the asset's dispersion is recomputed after commit.

    Bulk callers pass recompute=False and enqueue once per asset themselves.
    """
    valuation = _create(actor=actor, instance=Valuation(**data))
    if recompute:
        recompute_dispersion_after_commit([valuation.asset_id])
    return valuation


@transaction.atomic
def valuation_update(*, actor, valuation: Valuation, recompute: bool = True, **data) -> Valuation:
    """Correct an appraisal; dispersion is recomputed for the old and new asset."""
    old_asset_id = valuation.asset_id
    valuation = _update(actor=actor, instance=valuation, data=data)
    if recompute:
        recompute_dispersion_after_commit([old_asset_id, valuation.asset_id])
    return valuation


@transaction.atomic
def valuation_delete(*, actor, valuation: Valuation) -> None:
    """Remove an appraisal; the asset's dispersion is recomputed after commit."""
    asset_id = valuation.asset_id
    _delete(actor=actor, instance=valuation)
    recompute_dispersion_after_commit([asset_id])


@transaction.atomic
def asset_refresh_dispersion(*, asset_id: int) -> IPAsset | None:
    """Recompute an asset's valuation dispersion from its current valuations (idempotent)."""
    asset = IPAsset.objects.select_for_update().filter(pk=asset_id).first()
    if asset is None:
        return None
    rows = list(asset.valuations.values_list("value", "currency"))
    currencies = {currency for _, currency in rows}
    dispersion: Decimal | None = None
    if len(rows) < 2:
        note = "fewer than two valuations"
    elif len(currencies) > 1:
        note = "valuations in several currencies: " + ", ".join(sorted(currencies))
    else:
        dispersion = valuation_dispersion(value for value, _ in rows).quantize(Decimal("0.000001"))
        note = ""
    before = asset.valuation_dispersion
    IPAsset.objects.filter(pk=asset_id).update(
        valuation_dispersion=dispersion,
        dispersion_flagged=is_dispersion_flagged(dispersion),
        dispersion_note=note,
    )
    asset.refresh_from_db(fields=["valuation_dispersion", "dispersion_flagged", "dispersion_note"])
    if asset.valuation_dispersion != before:
        record_changed.send(sender=IPAsset, instance=asset, action="update",
                            changes={"valuation_dispersion": [str(before),
                                                              str(asset.valuation_dispersion)]})
    return asset


# Licences, receipts, pledges


def licence_create(*, actor, **data) -> Licence:
    """Record a licence of an asset."""
    return _create(actor=actor, instance=Licence(**data))


def licence_update(*, actor, licence: Licence, **data) -> Licence:
    """Change a licence's terms."""
    return _update(actor=actor, instance=licence, data=data)


def licence_delete(*, actor, licence: Licence) -> None:
    """Remove a licence with its receipts."""
    _delete(actor=actor, instance=licence)


def receipt_create(*, actor, **data) -> RoyaltyReceipt:
    """Record royalties received under a licence for one period."""
    return _create(actor=actor, instance=RoyaltyReceipt(**data))


def receipt_update(*, actor, receipt: RoyaltyReceipt, **data) -> RoyaltyReceipt:
    """Correct a royalty receipt."""
    return _update(actor=actor, instance=receipt, data=data)


def receipt_delete(*, actor, receipt: RoyaltyReceipt) -> None:
    """Remove a royalty receipt."""
    _delete(actor=actor, instance=receipt)


def pledge_create(*, actor, **data) -> Pledge:
    """Record a pledge of an asset."""
    return _create(actor=actor, instance=Pledge(**data))


def pledge_update(*, actor, pledge: Pledge, **data) -> Pledge:
    """Change a pledge, for example to record its release."""
    return _update(actor=actor, instance=pledge, data=data)


def pledge_delete(*, actor, pledge: Pledge) -> None:
    """Remove a pledge recorded in error."""
    _delete(actor=actor, instance=pledge)
