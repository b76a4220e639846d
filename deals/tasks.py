"""Background jobs of deals: entry points that load by id and call a service."""

from celery import shared_task
from django.db import OperationalError

from deals import services


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True,
             retry_backoff_max=300, max_retries=5)
def refresh_deal(deal_id: int) -> bool:
    """Recompute one deal's derived search and facet fields (idempotent); False if it is gone."""
    return services.deal_refresh_if_exists(deal_id=deal_id)
