"""Load the demo data and demo logins once: the registry (ipregistry.demo), then the deals
(deals.demo), then the filings (disclosure.demo), in one transaction; then the market
snapshot. It lives in disclosure, the top of the one-way chain of apps, as it loads them all.

The demo's filings notify reviewers and issuers as real ones do; their e-mail goes nowhere
(the dummy backend) while it loads."""

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from deals import demo as deals_demo
from disclosure import demo as disclosure_demo
from ipregistry import demo as registry_demo


class Command(BaseCommand):
    help = ("Load demo issuers, IP assets, valuations, licences, pledges, deals, benchmarks, "
            "FX rates, filings and demo logins, unless they are loaded already.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=registry_demo.DEFAULT_SEED,
                            help=f"random seed; one seed gives one set of demo data "
                                 f"(default {registry_demo.DEFAULT_SEED})")

    def handle(self, *args, seed, **options):
        started = time.monotonic()
        as_of = timezone.localdate()
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"), \
                transaction.atomic():
            if registry_demo.demo_loaded():
                self.stdout.write("Demo data already loaded; nothing changed.")
                return
            try:
                result = registry_demo.load_demo(seed=seed, as_of=as_of)
                # The deals' counts add to the registry's (issuers, IP assets, pledges).
                result.counts.update(deals_demo.load_deals(seed=seed, as_of=as_of))
                result.counts.update(disclosure_demo.load_filings(seed=seed, as_of=as_of))
            except ValidationError as exc:
                # Only records already in the database can clash with the demo's own.
                raise CommandError(f"Demo data clashes with existing records, nothing was "
                                   f"loaded: {exc}") from None
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(
            f"Demo data loaded (seed {seed}) in {elapsed:.1f} s:"))
        for label, count in result.counts.items():
            self.stdout.write(f"  {label:<38} {count:>6}")
        self.stdout.write(f"Demo logins (password: {registry_demo.DEMO_PASSWORD}):")
        for username, description in result.logins:
            self.stdout.write(f"  {username:<15} {description}")
