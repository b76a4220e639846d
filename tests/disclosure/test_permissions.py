"""Permission matrix: every disclosure page and API route, for every role, on filings of
issuer A in each state.

Filings of A (ESG template, one per period): a draft, a submitted filing, one under review
(taken by the regulator rita) and an accepted one, each with one attached PDF. Expected
outcomes follow `disclosure/permissions.py`:

- templates, the filings search and its CSV are open to everyone;
- a draft is A's own (its members and staff); regulators see filings once submitted; accepted
  filings are public; anyone else gets 404 for what they may not see;
- A's members edit drafts and attach files; A's approver (not its preparer: A does not let
  preparers submit) submits and withdraws; A's members amend accepted filings;
- regulators take submitted filings for review, comment while under review; the assigned
  reviewer (or staff) decides; the queue is theirs;
- pages send anonymous users to the login page where a user is needed; the API answers 401.

Every cell that succeeds must leave audit entries; every refused write must change no filing,
value, attachment, review, comment or ledger event and leave no audit entry. The URL tables
must cover every route of disclosure/urls.py and the disclosure API: a new view without a row
fails the suite.
"""

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse
from rest_framework.test import APIClient

from core.choices import Role
from core.models import AuditEntry, RecomputeRun
from disclosure import services
from disclosure.api.urls import router
from disclosure.models import (
    Attachment,
    FieldComment,
    Filing,
    FilingEvent,
    FilingValue,
    Review,
)
from disclosure.templates_loader import load_templates
from disclosure.urls import urlpatterns
from ipregistry.choices import MembershipRole
from tests.deals.test_permissions import module_transaction
from tests.disclosure.conftest import answers
from tests.factories import IssuerFactory, MembershipFactory, UserFactory

ROLES = ("anonymous", "member_a", "preparer_a", "member_b", "regulator", "investor", "staff")
STATES = ("draft", "submitted", "under_review", "accepted")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MODELS = (Filing, FilingValue, Attachment, Review, FieldComment, FilingEvent)


@dataclass(frozen=True)
class World:
    users: dict
    issuer_a: object
    filings: dict  # state -> Filing
    template: object
    run: object


def build_world() -> World:
    load_templates()
    issuer_a = IssuerFactory(name="Shenzhen Alpha Photovoltaic Co., Ltd.")
    issuer_b = IssuerFactory(name="Beijing Beta Biotech Co., Ltd.", province="CN-BJ",
                             city="Beijing")
    users = {
        "anonymous": None,
        "member_a": MembershipFactory(issuer=issuer_a, user__username="alice",
                                      role=MembershipRole.APPROVER).user,
        "preparer_a": MembershipFactory(issuer=issuer_a, user__username="paul",
                                        role=MembershipRole.PREPARER).user,
        "member_b": MembershipFactory(issuer=issuer_b, user__username="bob").user,
        "regulator": UserFactory(username="rita", role=Role.REGULATOR),
        "investor": UserFactory(username="ivan", role=Role.INVESTOR),
        "staff": UserFactory(username="sam", role=Role.INVESTOR, is_staff=True,
                             is_superuser=True),
    }
    from disclosure.models import DisclosureTemplate
    template = DisclosureTemplate.objects.get(code="issuer-esg-annual", status="active")
    alice, rita = users["member_a"], users["regulator"]
    filings = {}
    for state, period in zip(STATES, ("2024", "2023", "2022", "2021"), strict=True):
        filing = services.filing_create(actor=alice, issuer=issuer_a, template=template,
                                        period=period)
        services.filing_save_answers(actor=alice, filing=filing, answers=answers())
        services.attachment_add(actor=alice, filing=filing, name="evidence.pdf", data=PDF)
        if state != "draft":
            services.filing_submit(actor=alice, filing=filing)
        if state in ("under_review", "accepted"):
            services.review_start(actor=rita, filing=filing)
        if state == "accepted":
            services.review_decide(actor=rita, filing=filing, decision="accept")
        filings[state] = Filing.objects.get(pk=filing.pk)
    run = RecomputeRun.objects.create(kind="sdg", scope="all", trigger="button")
    return World(users=users, issuer_a=issuer_a, filings=filings, template=template, run=run)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with module_transaction(django_db_blocker):
        with django_db_blocker.unblock():
            built = build_world()
        yield built


def _state() -> dict:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in MODELS}


def _audit_mark() -> int:
    last = AuditEntry.objects.order_by("-id").first()
    return last.id if last else 0


def _codes(text: str) -> dict:
    return dict(zip(ROLES, (int(code) for code in text.split()), strict=True))


# --- the tables -------------------------------------------------------------------------
# Each row: (label, method, states it is checked on (None: no filing in the URL), expected
# codes per state: "anon A-approver A-preparer B regulator investor staff").

OPEN = "200 200 200 200 200 200 200"
SEE_DRAFT = "404 200 200 404 404 404 200"
SEE_SUBMITTED = "404 200 200 404 200 404 200"
NO_SUCH = "404 404 404 404 404 404 404"

PAGES = [
    ("template-list", "get", None, {None: OPEN}),
    ("template-detail", "get", None, {None: OPEN}),
    ("filing-list", "get", None, {None: OPEN}),
    ("filing-export", "get", None, {None: OPEN}),
    ("mine", "get", None, {None: "302 200 200 200 403 403 200"}),
    ("filing-create", "get", None, {None: "302 200 200 200 403 403 200"}),
    ("filing-create", "post", None, {None: "302 302 302 400 403 403 302"}),
    ("queue", "get", None, {None: "302 403 403 403 200 403 200"}),
    ("notifications", "get", None, {None: "302 200 200 200 200 200 200"}),
    ("bundle-import", "get", None, {None: "302 403 403 403 200 403 200"}),
    ("runs", "get", None, {None: "302 403 403 403 200 403 200"}),
    ("runs", "post", None, {None: "302 403 403 403 400 403 400"}),  # no kind sent
    ("run-progress", "get", None, {None: "302 403 403 403 200 403 200"}),
    # A's SDG indicators read its financials: its members, investors, regulators, staff.
    ("sdg", "get", None, {None: "404 200 200 404 200 200 200"}),
    ("sdg-trend", "get", None, {None: "404 200 200 404 200 200 200"}),
    ("bundle-import", "post", None, {None: "302 403 403 403 400 403 400"}),  # no file sent
    ("filing-detail", "get", STATES, {"draft": SEE_DRAFT, "submitted": SEE_SUBMITTED,
                                      "under_review": SEE_SUBMITTED, "accepted": OPEN}),
    ("filing-data.json", "get", STATES, {"draft": SEE_DRAFT, "submitted": SEE_SUBMITTED,
                                         "under_review": SEE_SUBMITTED, "accepted": OPEN}),
    ("filing-data.csv", "get", ("draft", "accepted"), {"draft": SEE_DRAFT, "accepted": OPEN}),
    ("attachment-download", "get", ("draft", "accepted"),
     {"draft": SEE_DRAFT, "accepted": OPEN}),
    ("filing-receipt", "get", STATES, {"draft": NO_SUCH, "submitted": SEE_SUBMITTED,
                                       "under_review": SEE_SUBMITTED, "accepted": OPEN}),
    ("filing-receipt-json", "get", ("draft", "accepted"), {"draft": NO_SUCH, "accepted": OPEN}),
    ("filing-edit", "get", STATES, {
        "draft": "302 200 200 404 404 404 200",
        "submitted": "302 403 403 404 403 404 403",
        "under_review": "302 403 403 404 403 404 403",
        "accepted": "302 403 403 403 403 403 403"}),
    ("filing-edit", "post", ("draft", "submitted", "accepted"), {
        "draft": "302 302 302 404 404 404 302",
        "submitted": "302 403 403 404 403 404 403",
        "accepted": "302 403 403 403 403 403 403"}),
    ("attachment-upload", "post", ("draft", "accepted"), {
        "draft": "302 302 302 404 404 404 302", "accepted": "302 403 403 403 403 403 403"}),
    ("attachment-delete", "post", ("draft", "accepted"), {
        "draft": "302 302 302 404 404 404 302", "accepted": "302 403 403 403 403 403 403"}),
    ("filing-submit", "post", ("draft", "submitted"), {
        "draft": "302 302 403 404 404 404 302", "submitted": "302 403 403 404 403 404 403"}),
    ("filing-withdraw", "post", ("submitted", "under_review"), {
        "submitted": "302 302 403 404 403 404 302",
        "under_review": "302 403 403 404 403 404 403"}),
    ("filing-amend", "post", ("submitted", "accepted"), {
        "submitted": "302 403 403 404 403 404 403",
        "accepted": "302 302 302 403 403 403 302"}),
    ("review-start", "post", ("draft", "submitted", "under_review"), {
        "draft": "302 403 403 404 404 404 403",
        "submitted": "302 403 403 404 302 404 302",
        "under_review": "302 403 403 404 403 404 403"}),
    ("review-comment", "post", ("submitted", "under_review"), {
        "submitted": "302 403 403 404 403 404 403",
        "under_review": "302 403 403 404 302 404 302"}),
    ("review-decide", "post", ("submitted", "under_review"), {
        "submitted": "302 403 403 404 403 404 403",
        "under_review": "302 403 403 404 302 404 302"}),
]
# Writes that succeed with these codes; a 302 of an anonymous user is the login redirect.
SUCCESS = {"post": {302, 201, 200}}

API = [
    ("template-list", "get", None, {None: OPEN}),
    ("template-detail", "get", None, {None: OPEN}),
    ("filing-list", "get", None, {None: OPEN}),
    ("filing-list", "post", None, {None: "401 201 201 400 403 403 201"}),
    ("filing-detail", "get", STATES, {"draft": SEE_DRAFT, "submitted": SEE_SUBMITTED,
                                      "under_review": SEE_SUBMITTED, "accepted": OPEN}),
    ("filing-answers", "get", ("draft", "accepted"), {"draft": SEE_DRAFT, "accepted": OPEN}),
    ("filing-answers", "post", ("draft", "accepted"), {
        "draft": "401 200 200 404 404 404 200", "accepted": "401 403 403 403 403 403 403"}),
    ("filing-attachments", "post", ("draft", "accepted"), {
        "draft": "401 201 201 404 404 404 201", "accepted": "401 403 403 403 403 403 403"}),
    ("filing-submit", "post", ("draft",), {"draft": "401 200 403 404 404 404 200"}),
    ("filing-withdraw", "post", ("submitted",), {"submitted": "401 200 403 404 403 404 200"}),
    ("filing-amend", "post", ("accepted",), {"accepted": "401 200 200 403 403 403 200"}),
    ("filing-receipt", "get", ("draft", "accepted"), {"draft": NO_SUCH, "accepted": OPEN}),
    ("filing-start-review", "post", ("submitted",),
     {"submitted": "401 403 403 404 200 404 200"}),
    ("filing-comments", "get", ("submitted", "accepted"), {
        "submitted": "401 200 200 404 200 404 200",
        "accepted": "401 200 200 403 200 403 200"}),
    ("filing-comments", "post", ("under_review",),
     {"under_review": "401 403 403 404 201 404 201"}),
    ("filing-decide", "post", ("under_review",), {"under_review": "401 403 403 404 200 404 200"}),
    ("notification-list", "get", None, {None: "401 200 200 200 200 200 200"}),
    ("notification-read", "post", None, {None: "401 200 200 200 200 200 200"}),
]


def _page_url(world, label: str, state: str | None) -> str:
    name, _, fmt = label.partition(".")
    filing = world.filings.get(state)
    if name == "run-progress":
        return reverse("disclosure:run-progress", args=[world.run.pk])
    if name == "sdg":
        return reverse("disclosure:sdg", args=["issuer", world.issuer_a.pk])
    if name == "sdg-trend":
        return reverse("disclosure:sdg-trend", args=["issuer", world.issuer_a.pk, "csv"])
    if name in ("template-detail",):
        return reverse(f"disclosure:{name}", args=[world.template.code, world.template.version])
    if name == "filing-data":
        return reverse("disclosure:filing-data", args=[filing.pk, fmt])
    if name in ("attachment-download", "attachment-delete"):
        return reverse(f"disclosure:{name}", args=[filing.pk, filing.attachments.get().pk])
    if filing is None:
        return reverse(f"disclosure:{name}")
    return reverse(f"disclosure:{name}", args=[filing.pk])


def _page_data(world, label: str, user, filing):
    if label == "filing-create":
        issuer = world.issuer_a
        return {"issuer": issuer.pk, "template": world.template.pk, "period": "2019"}
    if label == "filing-edit":
        return {"v_new_hires": "65"}
    if label == "attachment-upload":
        return {"file": SimpleUploadedFile("extra.csv", b"a,b\n1,2\n")}
    if label == "review-comment":
        return {"field": "revenue", "text": "Please reconcile with the annual report."}
    if label == "review-decide":
        return {"decision": "accept", "reasons": ""}
    return {}


def _api_url(world, label: str, state: str | None) -> str:
    filing = world.filings.get(state)
    if label == "template-detail":
        return reverse(f"api:{label}", args=[world.template.pk])
    if filing is None:
        return reverse(f"api:{label}")
    return reverse(f"api:{label}", args=[filing.pk])


def _api_data(world, label: str):
    return {
        "filing-list": {"issuer": world.issuer_a.pk, "template": world.template.pk,
                        "period": "2019"},
        "filing-answers": {"answers": [{"field": "new_hires", "value": "66"}]},
        "filing-attachments": {"file": SimpleUploadedFile("extra.csv", b"a,b\n1,2\n")},
        "filing-comments": {"field": "revenue", "text": "Reconcile, please."},
        "filing-decide": {"decision": "accept"},
        "filing-withdraw": {"reason": "wrong year"},
    }.get(label, {})


def _cells(table):
    for label, method, states, expected in table:
        for state in (states or [None]):
            for role, code in _codes(expected[state]).items():
                yield pytest.param(label, method, state, role, code,
                                   id=f"{label}-{method}-{state}-{role}")


def _check(world, role, method, code, response, is_write):
    assert response.status_code == code, (response.status_code, getattr(response, "content",
                                                                         b"")[:300])


@pytest.mark.parametrize("label, method, state, role, code", list(_cells(PAGES)))
def test_pages(world, db, label, method, state, role, code):
    user = world.users[role]
    client = Client()
    if user is not None:
        client.force_login(user)
    url = _page_url(world, label, state)
    with transaction.atomic():
        before, mark = _state(), _audit_mark()
        if method == "get":
            response = client.get(url)
        else:
            response = client.post(url, _page_data(world, label.partition(".")[0], user,
                                                    world.filings.get(state)))
        assert response.status_code == code, response.content[:400]
        if method == "post":
            written = _state() != before
            if user is None or code not in (200, 201, 302):
                assert not written, "a refused write changed disclosure records"
                assert _audit_mark() == mark, "a refused write left an audit entry"
            elif label == "filing-create" or written:
                assert _audit_mark() > mark, "a write left no audit entry"
        transaction.set_rollback(True)


@pytest.mark.parametrize("label, method, state, role, code", list(_cells(API)))
def test_api(world, db, label, method, state, role, code):
    user = world.users[role]
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    url = _api_url(world, label, state)
    with transaction.atomic():
        before, mark = _state(), _audit_mark()
        data = _api_data(world, label)
        if method == "get":
            response = client.get(url)
        elif label == "filing-attachments":
            response = client.post(url, data, format="multipart")
        else:
            response = client.post(url, data, format="json")
        assert response.status_code == code, response.content[:400]
        if method == "post" and label != "notification-read":
            if code >= 400:
                assert _state() == before, "a refused write changed disclosure records"
                assert _audit_mark() == mark, "a refused write left an audit entry"
            else:
                assert _state() != before and _audit_mark() > mark
        transaction.set_rollback(True)


def test_the_tables_cover_every_route():
    """A new page or API route without a row here fails the suite."""
    page_names = {pattern.name for pattern in urlpatterns if isinstance(pattern, URLPattern)}
    covered = {label.partition(".")[0] for label, *_ in PAGES}
    assert page_names - covered == set(), "pages without a permission row"
    api_names = {url.name for url in router.urls}
    api_covered = {label for label, *_ in API}
    # The format-suffixed and API-root routes DRF adds reuse the rows of their base route.
    assert {name for name in api_names if name != "api-root"} - api_covered == set()
    assert get_resolver().reverse_dict  # the resolver loads with every route

