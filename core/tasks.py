"""Background jobs of the platform's plumbing."""

from celery import shared_task

from core import jobs


@shared_task(acks_late=True, ignore_result=True)
def relay_outbox() -> int:
    """Hand the outbox's pending jobs to the broker (every minute; after an outage too)."""
    return jobs.relay()
