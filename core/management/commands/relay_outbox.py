"""Hand the outbox's pending jobs to the broker (or run them, with no broker configured)."""

from django.core.management.base import BaseCommand

from core import jobs


class Command(BaseCommand):
    help = "Enqueue the background jobs waiting in the outbox."

    def handle(self, *args, **options):
        sent = jobs.relay()
        self.stdout.write(f"{sent} job(s) enqueued, {jobs.pending()} still pending.")
