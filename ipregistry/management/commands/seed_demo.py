"""Load the demo registry and demo logins once; see ipregistry.demo for what is created."""

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from ipregistry import demo


class Command(BaseCommand):
    help = ("Load demo issuers, IP assets, valuations, licences, pledges and demo logins, "
            "unless they are loaded already.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED,
                            help=f"random seed; one seed gives one registry "
                                 f"(default {demo.DEFAULT_SEED})")

    def handle(self, *args, seed, **options):
        started = time.monotonic()
        with transaction.atomic():
            if demo.demo_loaded():
                self.stdout.write("Demo data already loaded; nothing changed.")
                return
            try:
                result = demo.load_demo(seed=seed, as_of=timezone.localdate())
            except ValidationError as exc:
                # Only records already in the database can clash with the demo's own.
                raise CommandError(f"Demo data clashes with existing records, nothing was "
                                   f"loaded: {exc}") from None
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(
            f"Demo data loaded (seed {seed}) in {elapsed:.1f} s:"))
        for label, count in result.counts.items():
            self.stdout.write(f"  {label:<38} {count:>6}")
        self.stdout.write(f"Demo logins (password: {demo.DEMO_PASSWORD}):")
        for username, description in result.logins:
            self.stdout.write(f"  {username:<15} {description}")
