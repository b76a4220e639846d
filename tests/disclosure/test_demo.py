"""seed_demo files calibrated, valid, repeatable demo filings in every status through the
services: yearly ESG disclosures of the deals' originators and the demo logins' issuers, and
periodic reports of the issued deals."""

import random
from collections import Counter, defaultdict
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from core.models import User
from disclosure import demo, services
from disclosure.choices import SUBMITTED_STATUSES, FilingStatus
from disclosure.models import DisclosureTemplate, Filing, FilingEvent
from disclosure.quality import esg_fields
from ipregistry import demo as registry_demo
from ipregistry.models import IssuerFinancials

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seed_output(django_db_setup, django_db_blocker):
    """Seed once for the module, in a transaction rolled back when the module ends."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def filings(seed_output):
    return list(Filing.objects.select_related("issuer", "deal", "template", "review")
                .prefetch_related("values", "attachments", "comments"))


def _submitted(filings):
    return [filing for filing in filings if filing.status in SUBMITTED_STATUSES]


def _uses_no_data(filing) -> bool:
    return any(value.nd_code for value in filing.values.all())


def _esg_answers(filings, pillar: str = "", key: str = "") -> tuple[int, int]:
    """(answered with a value, all) over the (filing, ESG field) pairs asked about."""
    answered = total = 0
    for filing in filings:
        values = {value.field: value for value in filing.values.all()}
        for field in esg_fields(filing.template.spec):
            if (pillar and field.pillar != pillar) or (key and field.key != key):
                continue
            total += 1
            value = values.get(field.key)
            answered += bool(value and value.value and not value.nd_code)
    return answered, total


def _share(pair: tuple[int, int]) -> float:
    return pair[0] / pair[1]


def test_the_summary_counts_filings(seed_output, filings):
    counted = {}
    for line in seed_output.splitlines():
        label, _, count = line.strip().rpartition(" ")
        if line.startswith("  ") and count.isdigit():
            counted[label.strip()] = int(count)
    assert counted["filings"] == len(filings)
    for status in FilingStatus.values:
        assert counted[f"filings {status}"] == sum(f.status == status for f in filings)
    assert counted["filing amendments"] == sum(f.amends_id is not None for f in filings)
    assert counted["filings using No-Data codes"] == sum(map(_uses_no_data, _submitted(filings)))


def test_there_are_150_to_300_filings_in_every_status_most_accepted(filings):
    assert 150 <= len(filings) <= 300
    statuses = Counter(filing.status for filing in filings)
    assert set(statuses) == set(FilingStatus.values)
    assert statuses[FilingStatus.ACCEPTED] > len(_submitted(filings)) / 2
    assert {filing.template.code for filing in filings} == {demo.ESG, demo.DEAL_REPORT}


def test_every_submitted_filing_validates_against_its_template(filings):
    for filing in _submitted(filings):
        report = services.filing_report(filing)
        assert report.is_valid, (filing, report.errors)
        assert filing.accession_number and filing.content_sha256 == services.content_digest(
            filing)


def test_no_data_codes_only_where_the_field_accepts_them_with_a_reason(filings):
    for filing in filings:
        spec = filing.template.spec
        for value in filing.values.all():
            if value.nd_code:
                assert value.nd_code[:3] in spec.field(value.field).nd, (filing, value)
                assert value.nd_reason and not value.value


def test_about_45_percent_of_submitted_filings_are_incomplete(filings):
    submitted = _submitted(filings)
    assert 0.30 <= sum(map(_uses_no_data, submitted)) / len(submitted) <= 0.50


def test_under_60_percent_of_esg_answers_hold_a_value_climate_ones_fewest(filings):
    submitted = _submitted(filings)
    assert _share(_esg_answers(submitted)) < 0.60
    environmental = _share(_esg_answers(submitted, pillar="E"))
    assert environmental < _share(_esg_answers(submitted, pillar="S"))
    assert environmental < _share(_esg_answers(submitted, pillar="G"))
    for key in ("scope1_emissions", "scope2_emissions"):
        assert _share(_esg_answers(submitted, key=key)) < 0.60


def test_accession_numbers_are_gapless_per_issuer_and_year(filings):
    sequences = defaultdict(list)
    for filing in _submitted(filings):
        assert filing.accession_number == (f"{filing.issuer_id:010d}-"
                                           f"{filing.accession_year % 100:02d}-"
                                           f"{filing.accession_sequence:06d}")
        sequences[filing.issuer_id, filing.accession_year].append(filing.accession_sequence)
    for numbers in sequences.values():
        assert sorted(numbers) == list(range(1, len(numbers) + 1))


def test_the_ledger_verifies_and_runs_in_time_order(seed_output):
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    assert out.getvalue().startswith("OK")
    moments = list(FilingEvent.objects.order_by("sequence").values_list("at", flat=True))
    assert moments == sorted(moments)


def test_the_history_is_dated_between_period_end_and_today(filings):
    today = timezone.localdate()
    for filing in _submitted(filings):
        assert filing.period_end < filing.submitted_at.date() < today
        assert filing.accession_year == filing.submitted_at.year
        if filing.decided_at:
            assert filing.submitted_at < filing.decided_at
    originals = [f for f in _submitted(filings) if f.amends_id is None]
    late = [f for f in originals if f.submitted_at.date() > f.due_date]
    assert 0 < len(late) <= 0.15 * len(originals)
    overdue = [f for f in filings if f.status == FilingStatus.DRAFT and f.due_date < today]
    assert 0 < len(overdue) <= 0.1 * len(filings)


def test_returned_filings_carry_comments_and_reasons_and_some_are_amended(filings):
    returned = [filing for filing in filings if filing.status == FilingStatus.RETURNED]
    for filing in returned:
        assert filing.review.reasons
        assert any(comment.field for comment in filing.comments.all())
    amendment_statuses = {filing.status for filing in filings
                          if filing.amends_id in {f.pk for f in returned}}
    assert {FilingStatus.DRAFT, FilingStatus.ACCEPTED} <= amendment_statuses
    assert amendment_statuses & {FilingStatus.SUBMITTED, FilingStatus.UNDER_REVIEW}
    for filing in filings:
        if filing.status in (FilingStatus.REJECTED, FilingStatus.WITHDRAWN):
            assert filing.events.filter(to_status=filing.status).get().payload


def test_the_demo_logins_issuers_show_the_journeys(filings):
    mine = [f for f in filings if f.issuer.name == registry_demo.SHOWCASE_ISSUER]
    assert {FilingStatus.ACCEPTED, FilingStatus.RETURNED, FilingStatus.DRAFT} <= {
        f.status for f in mine}
    returned = [f for f in mine if f.status == FilingStatus.RETURNED]
    assert any(f.comments.exists() for f in returned)
    assert any(f.status == FilingStatus.DRAFT and f.amends_id for f in mine)
    # The preparer prepares, the approver signs.
    assert {f.created_by.username for f in mine} == {"demo-preparer"}
    assert {f.submitted_by.username for f in mine if f.submitted_by} == {"demo-issuer"}
    second = {f.status for f in filings if f.issuer.name == registry_demo.SECOND_ISSUER}
    assert len(second) >= 4


def test_figures_come_from_the_issuers_financials(filings):
    compared = 0
    for filing in filings:
        if (filing.issuer.name != registry_demo.SHOWCASE_ISSUER
                or filing.status != FilingStatus.ACCEPTED or filing.amends_id):
            continue
        row = IssuerFinancials.objects.get(issuer=filing.issuer, year=int(filing.period))
        values = {value.field: value.value for value in filing.values.all()}
        assert values["revenue"] == str(round(row.revenue / 1000))
        assert values["rnd_expense"] == str(round(row.rnd_expense / 1000))
        assert values["employees"] == str(row.employees)
        compared += 1
    assert compared >= 2


def _database_fingerprints() -> list[tuple]:
    return sorted(
        (filing.issuer.name, filing.template.code, filing.period,
         filing.deal.name if filing.deal else "", filing.status,
         tuple(sorted((value.field, value.value, value.nd_code, value.nd_reason)
                      for value in filing.values.all())))
        for filing in Filing.objects.select_related("issuer", "deal", "template")
        .prefetch_related("values"))


def test_one_seed_gives_one_plan_and_the_database_holds_it(seed_output):
    as_of = timezone.localdate()
    view = demo.disclosure_view(as_of=as_of)
    templates = {template.code: template.spec
                 for template in DisclosureTemplate.objects.filter(status="active")}

    def fingerprints(seed):
        plans = demo.plan_filings(random.Random(seed), as_of=as_of, view=view,
                                  templates=templates)
        return sorted(plan.fingerprint() for plan in plans)

    assert fingerprints(registry_demo.DEFAULT_SEED) == fingerprints(registry_demo.DEFAULT_SEED)
    assert fingerprints(7) != fingerprints(8)
    assert fingerprints(registry_demo.DEFAULT_SEED) == _database_fingerprints()


def test_old_notifications_are_read(seed_output):
    regulator = User.objects.get(username=demo.REVIEWER)
    unread = regulator.notifications.filter(read_at__isnull=True)
    assert regulator.notifications.count() > 100
    limit = timezone.now() - timedelta(days=demo.UNREAD_DAYS + 1)
    assert not unread.filter(created_at__lt=limit).exists()
