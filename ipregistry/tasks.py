"""Background jobs of the registry: entry points that load by id and call a service."""

from celery import shared_task
from django.db import OperationalError

from ipregistry import services
from ipregistry.models import IPAsset


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def recompute_valuation_dispersion(asset_id: int) -> str | None:
    """Recompute one asset's valuation dispersion; returns it as text, or None."""
    asset = services.asset_refresh_dispersion(asset_id=asset_id)
    if asset is None or asset.valuation_dispersion is None:
        return None
    return str(asset.valuation_dispersion)


@shared_task(acks_late=True)
def recompute_all_dispersions() -> int:
    """Enqueue a dispersion recompute for every asset with valuations (the nightly sweep)."""
    asset_ids = list(IPAsset.objects.filter(valuations__isnull=False).distinct()
                     .values_list("pk", flat=True))
    for asset_id in asset_ids:
        recompute_valuation_dispersion.delay(asset_id)
    return len(asset_ids)
