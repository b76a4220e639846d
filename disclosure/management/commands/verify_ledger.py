"""Check the filing ledger's hash chain: prints OK and exits 0, or names the first event that
does not match and exits 1."""

import sys

from django.core.management.base import BaseCommand

from disclosure import ledger
from disclosure.models import FilingEvent, LedgerHead
from disclosure.services import event_record


class Command(BaseCommand):
    help = "Verify the filing ledger's hash chain (exit 1 at the first break)."

    def handle(self, *args, **options):
        head = LedgerHead.objects.filter(pk=1).values_list("last_sequence", "last_hash").first()
        events = (event_record(event) for event in
                  FilingEvent.objects.order_by("sequence").iterator(chunk_size=2000))
        checked, broken = ledger.verify(events, head)
        if broken is not None:
            self.stderr.write(f"BROKEN at {broken} ({checked} events verified before it)")
            sys.exit(1)
        self.stdout.write(f"OK: {checked} events, chain intact"
                          + (f", head #{head[0]} {head[1]}" if head else ""))
