"""Query budgets: disclosure lists and a filing's page run a fixed number of queries whatever
the rows. Each page is measured with a few filings, then again after many more filings (and
values, attachments, comments, notifications) are added; the count must not grow, and must
stay within an absolute budget so a new constant query is noticed too."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from disclosure import services
from disclosure.models import DisclosureTemplate
from disclosure.templates_loader import load_templates
from tests.disclosure.conftest import answers
from tests.factories import IssuerFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BUDGETS = {  # page: (URL, role, most queries)
    "filing-list": (lambda w: reverse("disclosure:filing-list"), "anonymous", 3),
    "filing-search": (lambda w: reverse("disclosure:filing-list")
                      + "?q=resolution&sort=relevance", "anonymous", 3),
    "filing-export": (lambda w: reverse("disclosure:filing-export"), "anonymous", 1),
    # a regulator's session also loads the two-factor device it was verified with
    "queue": (lambda w: reverse("disclosure:queue"), "regulator", 13),
    "mine": (lambda w: reverse("disclosure:mine"), "approver", 6),
    "notifications": (lambda w: reverse("disclosure:notifications"), "approver", 3),
    "filing-detail": (lambda w: w["big"].get_absolute_url(), "approver", 11),
    "api-filings": (lambda w: reverse("api:filing-list"), "anonymous", 2),
    "api-filing": (lambda w: reverse("api:filing-detail", args=[w["big"].pk]), "anonymous", 3),
    "api-notifications": (lambda w: reverse("api:notification-list"), "approver", 4),
}


def _file(template, issuer, user, regulator, period, *, accept=True, comments=0):
    filing = services.filing_create(actor=user, issuer=issuer, template=template, period=period)
    services.filing_save_answers(actor=user, filing=filing, answers=answers())
    services.attachment_add(actor=user, filing=filing, name=f"minutes-{period}.pdf", data=PDF)
    services.filing_submit(actor=user, filing=filing, today=datetime.date(2025, 3, 1))
    services.review_start(actor=regulator, filing=filing)
    for n in range(comments):
        services.comment_add(actor=regulator, filing=filing, field="revenue", text=f"Note {n}")
    if accept:
        services.review_decide(actor=regulator, filing=filing, decision="accept")
    filing.refresh_from_db()
    return filing


@pytest.fixture
def world(db):
    load_templates()
    template = DisclosureTemplate.objects.get(code="issuer-esg-annual", status="active")
    issuer = IssuerFactory(name="Budget Photonics Co.")
    approver = MembershipFactory(issuer=issuer, user__username="ada", role="approver").user
    regulator = UserFactory(username="reg", role="regulator")
    world = {"template": template, "issuer": issuer, "approver": approver,
             "regulator": regulator, "anonymous": None}
    world["big"] = _file(template, issuer, approver, regulator, "2024", comments=1)
    _file(template, issuer, approver, regulator, "2023", accept=False)
    return world


def _count(world, page) -> int:
    url, role, _ = BUDGETS[page]
    user = world[role]
    client = APIClient() if page.startswith("api-") else Client()
    if user is not None:
        client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(world))
    assert response.status_code == 200, response.content[:300]
    return len(queries)


def _grow(world):
    issuer2 = IssuerFactory(name="Budget Robotics Co.")
    approver2 = MembershipFactory(issuer=issuer2, user__username="bea", role="approver").user
    for year in range(2005, 2017):
        _file(world["template"], world["issuer"], world["approver"], world["regulator"],
              str(year), accept=year % 3 != 0)
    for year in range(2010, 2016):
        _file(world["template"], issuer2, approver2, world["regulator"], str(year))
    big = world["big"]
    for n in range(5):  # more comments on the filing whose page is measured
        services.comment_add(actor=world["regulator"], filing=_reviewed(world, str(2030 + n)),
                             field="", text="x")
    return big


def _reviewed(world, period):
    return _file(world["template"], world["issuer"], world["approver"], world["regulator"],
                 period, accept=False)


@pytest.mark.parametrize("page", list(BUDGETS))
def test_query_count_does_not_grow_with_the_rows(world, page):
    few = _count(world, page)
    _grow(world)
    many = _count(world, page)
    assert many == few, f"{page}: {few} queries with a few filings, {many} with many"
    assert many <= BUDGETS[page][2], f"{page}: {many} queries, budget {BUDGETS[page][2]}"
