"""Accession numbers stay gapless and unique under concurrent submits (PostgreSQL, real
connections in threads): the per-issuer-and-year counter row is locked by each submitting
transaction until it ends, so submits queue, and a rolled-back submit gives its number back."""

import datetime
import threading

import pytest
from django.db import connection, connections, transaction

from disclosure import services
from disclosure.models import DisclosureTemplate, Filing
from disclosure.templates_loader import load_templates
from tests.disclosure.conftest import answers
from tests.factories import IssuerFactory, MembershipFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row locks and true concurrency need PostgreSQL"),
]

TODAY = datetime.date(2025, 3, 1)


class Abandon(Exception):
    """Raised inside a submit's transaction to roll it back after the number was taken."""


def _drafts(count: int):
    load_templates()
    issuer = IssuerFactory(name="Concurrent Filer Co.")
    user = MembershipFactory(issuer=issuer, user__username="cora", role="approver").user
    template = DisclosureTemplate.objects.get(code="issuer-esg-annual", status="active")
    drafts = []
    for year in range(2000, 2000 + count):
        filing = services.filing_create(actor=user, issuer=issuer, template=template,
                                        period=str(year))
        services.filing_save_answers(actor=user, filing=filing, answers=answers())
        drafts.append(filing)
    return issuer, user, drafts


def _submit_all(user, drafts, *, abandon=lambda index: False):
    barrier = threading.Barrier(len(drafts))
    errors: list[BaseException] = []

    def submit(index, filing):
        try:
            barrier.wait(timeout=30)
            with transaction.atomic():
                services.filing_submit(actor=user, filing=filing, today=TODAY)
                if abandon(index):
                    raise Abandon
        except Abandon:
            pass
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(index, filing))
               for index, filing in enumerate(drafts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


def _sequences(issuer) -> list[int]:
    return sorted(Filing.objects.filter(issuer=issuer, accession_year=2025)
                  .values_list("accession_sequence", flat=True))


def test_parallel_submits_get_gapless_unique_numbers():
    issuer, user, drafts = _drafts(12)
    _submit_all(user, drafts)
    assert _sequences(issuer) == list(range(1, 13))
    numbers = set(Filing.objects.filter(issuer=issuer).values_list("accession_number",
                                                                   flat=True))
    assert len(numbers) == 12


def test_rolled_back_submits_leave_no_gap():
    issuer, user, drafts = _drafts(10)
    _submit_all(user, drafts, abandon=lambda index: index % 3 == 0)
    committed = _sequences(issuer)
    assert committed == list(range(1, len(committed) + 1))
    assert len(committed) == 6  # indexes 0, 3, 6 and 9 rolled back
    assert Filing.objects.filter(issuer=issuer, status="draft").count() == 4
