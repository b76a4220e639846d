"""Permission matrix: every registry page and API endpoint, for every role.

The records under test all belong to issuer A. The expected outcomes follow the policy in
`ipregistry/permissions.py`:

- reading: issuers and assets go to every signed-in user; financials, valuations and pledges
  also to investors; licences and receipts only to A's members, regulators and staff;
- writing: staff everything; only staff register issuers; only A's approvers (and staff) change
  A's issuer record; A's members (approvers and preparers) maintain A's other records;
  regulators, investors and members of another issuer never write A's records;
- anonymous users are sent to the login page (pages) or get 401 (API).

Every successful write must change the row and leave an `AuditEntry` with the expected action;
every refused write must change nothing and leave no `AuditEntry`.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import resolve, reverse

from core import two_factor
from core.models import AuditEntry
from ipregistry import services
from ipregistry.models import (
    IPAsset,
    Issuer,
    IssuerFinancials,
    Licence,
    Pledge,
    RoyaltyReceipt,
    Valuation,
)
from tests.conftest import otp_code
from tests.factories import (
    FinancialsFactory,
    IPAssetFactory,
    LicenceFactory,
    PledgeFactory,
    ReceiptFactory,
    ValuationFactory,
)

# The columns of both matrices, in this order.
ROLES = ("anonymous", "member_a", "preparer_a", "member_b", "regulator", "investor", "staff")
ROLE_FIXTURES = {
    "anonymous": None,
    "member_a": "user_a",  # approver of issuer A
    "preparer_a": "preparer_a",
    "member_b": "user_b",  # member of issuer B
    "regulator": "regulator",
    "investor": "investor",
    "staff": "staff",
}
PASSWORD = "correct horse battery 9"  # every UserFactory user's password

MODELS = {
    "issuer": Issuer,
    "financials": IssuerFinancials,
    "asset": IPAsset,
    "valuation": Valuation,
    "licence": Licence,
    "receipt": RoyaltyReceipt,
    "pledge": Pledge,
}

# The parent a record is created under on the pages (None: chosen in the form, or no parent).
PAGE_PARENT = {
    "issuer": None,
    "financials": "issuer",
    "asset": None,
    "valuation": "asset",
    "licence": "asset",
    "receipt": "licence",
    "pledge": "asset",
}
# The serializer field that names the parent in the API.
API_PARENT = {
    "issuer": None,
    "financials": "issuer",
    "asset": "owner",
    "valuation": "asset",
    "licence": "asset",
    "receipt": "licence",
    "pledge": "asset",
}


@dataclass(frozen=True)
class Create:
    """A valid new record: its form data (without the parent) and how to find it afterwards."""

    form: dict
    lookup: dict


CREATES = {
    "issuer": Create(
        form={"name": "Guangzhou Gamma Materials Co., Ltd.", "country": "CN",
              "province": "CN-GD", "city": "Guangzhou", "issuer_type": "sme",
              "sector": "Materials", "founded_year": "2015"},
        lookup={"name": "Guangzhou Gamma Materials Co., Ltd."}),
    "financials": Create(
        form={"year": "2023", "currency": "CNY", "revenue": "120000000",
              "rnd_expense": "6000000", "employees": "320"},
        lookup={"year": 2023}),
    "asset": Create(
        form={"kind": "invention_patent", "registry_number": "CN110000456B",
              "title": "Perovskite cell encapsulation method", "country": "CN",
              "status": "active", "filing_date": "2019-04-01"},
        lookup={"registry_number": "CN110000456B"}),
    "valuation": Create(
        form={"appraiser": "Second Appraiser Ltd.", "method": "market", "value": "1200000",
              "currency": "CNY", "valuation_date": "2024-12-31"},
        lookup={"appraiser": "Second Appraiser Ltd."}),
    "licence": Create(
        form={"licensee": "Gamma Licensee Co.", "territory": "CN", "currency": "CNY",
              "royalty_rate": "0.04", "start_date": "2022-01-01"},
        lookup={"licensee": "Gamma Licensee Co."}),
    "receipt": Create(
        form={"period_end": "2024-06-30", "amount": "26000"},
        lookup={"period_end": datetime.date(2024, 6, 30)}),
    "pledge": Create(
        form={"pledgee": "Bank of Guangzhou", "registration_number": "GZ-2024-001",
              "registered_date": "2024-02-01"},
        lookup={"pledgee": "Bank of Guangzhou"}),
}

# One field each update changes, and its new value (pages post the whole form, the API PATCHes).
UPDATES = {
    "issuer": ("sector", "Solar photovoltaics"),
    "financials": ("employees", 350),
    "asset": ("title", "Renamed photovoltaic cell cooling method"),
    "valuation": ("appraiser", "Renamed Appraiser Ltd."),
    "licence": ("licensee", "Renamed Licensee Co."),
    "receipt": ("amount", Decimal("30000.00")),
    "pledge": ("released_date", datetime.date(2024, 6, 30)),
}

IMPORT_CSV = (b"kind,registry_number,title,country\n"
              b"invention_patent,CN110000789B,Imported heat pipe design,CN\n")


def _plain(value):
    if isinstance(value, (datetime.date, Decimal)):
        return str(value)
    return value


# --- fixtures and helpers ------------------------------------------------------------------


@pytest.fixture
def records(issuer_a):
    """Issuer A with a financial year, and an asset with a valuation, a licence with a
    receipt, and a pledge."""
    asset = IPAssetFactory(owner=issuer_a, registry_number="CN110000123B",
                           title="Photovoltaic cell cooling method")
    licence = LicenceFactory(asset=asset, licensee="Alpha Licensee Co.")
    return {
        "issuer": issuer_a,
        "financials": FinancialsFactory(issuer=issuer_a, year=2022),
        "asset": asset,
        "valuation": ValuationFactory(asset=asset, appraiser="First Appraiser Ltd."),
        "licence": licence,
        "receipt": ReceiptFactory(licence=licence, period_end=datetime.date(2024, 3, 31)),
        "pledge": PledgeFactory(asset=asset, pledgee="Bank of Shenzhen"),
    }


def _user(request, role):
    fixture = ROLE_FIXTURES[role]
    return None if fixture is None else request.getfixturevalue(fixture)


def _state() -> dict:
    """Every registry row, to show that a refused write changed nothing."""
    return {key: list(model.objects.order_by("pk").values()) for key, model in MODELS.items()}


def _last_audit_id() -> int:
    last = AuditEntry.objects.order_by("-id").first()
    return last.id if last else 0


def _new_audit(since: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(id__gt=since).order_by("id"))


def _assert_refused(before: dict, audit_mark: int) -> None:
    assert _state() == before, "a refused write changed the registry"
    assert _new_audit(audit_mark) == [], "a refused write left an audit entry"


def _assert_written(key: str, verb: str, records: dict, user, audit_mark: int,
                    api_response=None) -> None:
    """Assert the row was created/changed/deleted and one matching audit entry exists."""
    model = MODELS[key]
    if verb in ("create", "import"):
        lookup = {"registry_number": "CN110000789B"} if verb == "import" else CREATES[key].lookup
        obj = model.objects.get(**lookup)
        if api_response is not None:
            assert api_response.json()["id"] == obj.pk
    elif verb == "update":
        obj = model.objects.get(pk=records[key].pk)
        field, value = UPDATES[key]
        assert getattr(obj, field) == value
    else:
        obj = records[key]
        assert not model.objects.filter(pk=obj.pk).exists()
    entries = _new_audit(audit_mark)
    assert [(e.action, e.object_id, e.actor_id) for e in entries] == [
        (f"{model._meta.label_lower}.{verb}", str(obj.pk), user.pk)]


# --- pages ------------------------------------------------------------------------------------

# Status per role: anonymous, A's approver, A's preparer, B's member, regulator, investor, staff.
# A label is a URL name of ipregistry/urls.py ("home" is the site's front page); ".svg"/".csv"
# selects a chart's format. The target is the record of A whose pk goes into the URL.
# 302 means "to the login page" for anonymous users and "saved, back to the record" otherwise.
PAGE_MATRIX = [
    # label                     method  target        anon  A    prepA B    reg  inv  staff
    # The front page is public: anonymous users see only a link to the login page.
    ("home",                    "GET",  None,         200,  200, 200,  200, 200, 200, 200),
    ("issuer-list",             "GET",  None,         302,  200, 200,  200, 200, 200, 200),
    ("issuer-create",           "GET",  None,         302,  403, 403,  403, 403, 403, 200),
    ("issuer-create",           "POST", None,         302,  403, 403,  403, 403, 403, 302),
    ("issuer-detail",           "GET",  "issuer",     302,  200, 200,  200, 200, 200, 200),
    ("issuer-update",           "GET",  "issuer",     302,  200, 403,  403, 403, 403, 200),
    ("issuer-update",           "POST", "issuer",     302,  302, 403,  403, 403, 403, 302),
    ("issuer-rnd-chart.svg",    "GET",  "issuer",     302,  200, 200,  403, 200, 200, 200),
    ("issuer-rnd-chart.csv",    "GET",  "issuer",     302,  200, 200,  403, 200, 200, 200),
    ("financials-create",       "GET",  "issuer",     302,  200, 200,  403, 403, 403, 200),
    ("financials-create",       "POST", "issuer",     302,  302, 302,  403, 403, 403, 302),
    ("financials-update",       "GET",  "financials", 302,  200, 200,  403, 403, 403, 200),
    ("financials-update",       "POST", "financials", 302,  302, 302,  403, 403, 403, 302),
    ("financials-delete",       "GET",  "financials", 302,  200, 200,  403, 403, 403, 200),
    ("financials-delete",       "POST", "financials", 302,  302, 302,  403, 403, 403, 302),
    ("asset-list",              "GET",  None,         302,  200, 200,  200, 200, 200, 200),
    # B's member may register assets for B, so the form opens; posting A as the owner fails
    # the form's owner choices (only B is offered): 400, nothing written.
    ("asset-create",            "GET",  None,         302,  200, 200,  200, 403, 403, 200),
    ("asset-create",            "POST", None,         302,  302, 302,  400, 403, 403, 302),
    ("asset-import",            "GET",  None,         302,  200, 200,  200, 403, 403, 200),
    ("asset-import",            "POST", None,         302,  302, 302,  400, 403, 403, 302),
    ("asset-detail",            "GET",  "asset",      302,  200, 200,  200, 200, 200, 200),
    ("asset-update",            "GET",  "asset",      302,  200, 200,  403, 403, 403, 200),
    ("asset-update",            "POST", "asset",      302,  302, 302,  403, 403, 403, 302),
    ("asset-delete",            "GET",  "asset",      302,  200, 200,  403, 403, 403, 200),
    ("asset-delete",            "POST", "asset",      302,  302, 302,  403, 403, 403, 302),
    # Receipts are licence data: investors and other issuers' members may not read them.
    ("asset-receipts-chart.svg", "GET", "asset",      302,  200, 200,  403, 200, 403, 200),
    ("asset-receipts-chart.csv", "GET", "asset",      302,  200, 200,  403, 200, 403, 200),
    ("valuation-create",        "GET",  "asset",      302,  200, 200,  403, 403, 403, 200),
    ("valuation-create",        "POST", "asset",      302,  302, 302,  403, 403, 403, 302),
    ("valuation-update",        "GET",  "valuation",  302,  200, 200,  403, 403, 403, 200),
    ("valuation-update",        "POST", "valuation",  302,  302, 302,  403, 403, 403, 302),
    ("valuation-delete",        "GET",  "valuation",  302,  200, 200,  403, 403, 403, 200),
    ("valuation-delete",        "POST", "valuation",  302,  302, 302,  403, 403, 403, 302),
    ("licence-create",          "GET",  "asset",      302,  200, 200,  403, 403, 403, 200),
    ("licence-create",          "POST", "asset",      302,  302, 302,  403, 403, 403, 302),
    ("licence-update",          "GET",  "licence",    302,  200, 200,  403, 403, 403, 200),
    ("licence-update",          "POST", "licence",    302,  302, 302,  403, 403, 403, 302),
    ("licence-delete",          "GET",  "licence",    302,  200, 200,  403, 403, 403, 200),
    ("licence-delete",          "POST", "licence",    302,  302, 302,  403, 403, 403, 302),
    ("receipt-create",          "GET",  "licence",    302,  200, 200,  403, 403, 403, 200),
    ("receipt-create",          "POST", "licence",    302,  302, 302,  403, 403, 403, 302),
    ("receipt-update",          "GET",  "receipt",    302,  200, 200,  403, 403, 403, 200),
    ("receipt-update",          "POST", "receipt",    302,  302, 302,  403, 403, 403, 302),
    ("receipt-delete",          "GET",  "receipt",    302,  200, 200,  403, 403, 403, 200),
    ("receipt-delete",          "POST", "receipt",    302,  302, 302,  403, 403, 403, 302),
    ("pledge-create",           "GET",  "asset",      302,  200, 200,  403, 403, 403, 200),
    ("pledge-create",           "POST", "asset",      302,  302, 302,  403, 403, 403, 302),
    ("pledge-update",           "GET",  "pledge",     302,  200, 200,  403, 403, 403, 200),
    ("pledge-update",           "POST", "pledge",     302,  302, 302,  403, 403, 403, 302),
    ("pledge-delete",           "GET",  "pledge",     302,  200, 200,  403, 403, 403, 200),
    ("pledge-delete",           "POST", "pledge",     302,  302, 302,  403, 403, 403, 302),
]


def _page_cases():
    for label, method, target, *statuses in PAGE_MATRIX:
        for role, status in zip(ROLES, statuses, strict=True):
            yield pytest.param(label, method, target, role, status,
                               id=f"{label}-{method}-{role}")


PAGE_CASES = list(_page_cases())


def _page_url(label: str, target: str | None, records: dict) -> str:
    name, _, fmt = label.partition(".")
    kwargs = {"pk": records[target].pk} if target else {}
    if fmt:
        kwargs["fmt"] = fmt
    return reverse(name if name == "home" else f"ipregistry:{name}", kwargs=kwargs)


def _form_data(form, **changes) -> dict:
    """The data a browser posts for an unchanged bound form, with some fields changed."""
    data = {}
    for field in form:
        value = changes.get(field.name, field.value())
        if value is None or value is False:
            continue
        data[field.name] = "on" if value is True else str(_plain(value))
    return data


def _page_post_data(label: str, records: dict) -> dict:
    key, _, verb = label.rpartition("-")
    if label == "asset-import":
        return {"owner": records["issuer"].pk,
                "file": SimpleUploadedFile("assets.csv", IMPORT_CSV, content_type="text/csv")}
    if verb == "create":
        data = dict(CREATES[key].form)
        if key == "asset":
            data["owner"] = records["issuer"].pk
        return data
    if verb == "update":
        url = _page_url(label, key, records)
        form_class = resolve(url).func.view_class.form_class
        field, value = UPDATES[key]
        return _form_data(form_class(instance=records[key]), **{field: value})
    return {}  # delete: the confirmation form carries only the CSRF token


@pytest.mark.parametrize(("label", "method", "target", "role", "expected"), PAGE_CASES)
def test_page_permissions(request, client, records, label, method, target, role, expected):
    """Each registry page answers each role as the policy says; writes are audited, refusals
    change nothing."""
    user = _user(request, role)
    if user is not None:
        client.force_login(user)
    url = _page_url(label, target, records)
    before, audit_mark = _state(), _last_audit_id()

    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, _page_post_data(label, records))

    assert response.status_code == expected, (
        f"{method} {url} as {role}: expected {expected}, got {response.status_code}")
    login = reverse("login")
    if expected == 302 and user is None:
        assert response["Location"].startswith(f"{login}?next=")
    elif expected == 302:
        assert not response["Location"].startswith(login)
    if method == "GET":
        assert _new_audit(audit_mark) == []
    elif expected == 302 and user is not None:
        key, _, verb = label.rpartition("-")
        _assert_written(key, verb, records, user, audit_mark)
    else:
        _assert_refused(before, audit_mark)


# What the detail pages show each role: (valuations, licences, pledges, edit links) on A's asset
# page, and (financials, edit link) on A's issuer page.
ASSET_SECTIONS = {
    "member_a": (True, True, True, True),
    "preparer_a": (True, True, True, True),
    "member_b": (False, False, False, False),
    "regulator": (True, True, True, False),
    "investor": (True, False, True, False),
    "staff": (True, True, True, True),
}
ISSUER_SECTIONS = {
    "member_a": (True, True),
    "preparer_a": (True, False),
    "member_b": (False, False),
    "regulator": (True, False),
    "investor": (True, False),
    "staff": (True, True),
}


@pytest.mark.parametrize("role", list(ASSET_SECTIONS))
def test_asset_detail_shows_only_what_the_role_may_read(request, client, records, role):
    """The asset page is open to every user, but its valuations, licences (with receipts) and
    pledges appear only to roles that may read them, and edit links only to A's members and
    staff."""
    client.force_login(_user(request, role))
    content = client.get(records["asset"].get_absolute_url()).content.decode()
    valuations, licences, pledges, edit = ASSET_SECTIONS[role]
    assert ("First Appraiser Ltd." in content) is valuations
    assert ("Alpha Licensee Co." in content) is licences
    assert ("Royalty receipts" in content) is licences
    assert ("Bank of Shenzhen" in content) is pledges
    assert (reverse("ipregistry:asset-update", args=[records["asset"].pk]) in content) is edit


@pytest.mark.parametrize("role", list(ISSUER_SECTIONS))
def test_issuer_detail_shows_only_what_the_role_may_read(request, client, records, role):
    """The issuer page shows financials to the roles that read them and the edit link only to
    A's approvers and staff."""
    client.force_login(_user(request, role))
    content = client.get(records["issuer"].get_absolute_url()).content.decode()
    financials, edit = ISSUER_SECTIONS[role]
    assert ("<h2>Financials</h2>" in content) is financials
    assert (reverse("ipregistry:issuer-update", args=[records["issuer"].pk]) in content) is edit


# --- API --------------------------------------------------------------------------------------

# Cells of list rows: LISTED is 200 with A's record in the results; EMPTY is 200 with no
# results at all (A's records are the only ones of that type, and the role may not read them).
LISTED, EMPTY = "200 listed", "200 empty"

# Status per role, as in PAGE_MATRIX. Actions: list (GET list), create (POST list),
# retrieve (GET detail), update (PATCH detail), delete (DELETE detail) on A's record.
API_MATRIX = [
    # basename     action      anon  A       prepA   B       reg     inv     staff
    ("issuer",     "list",     401,  LISTED, LISTED, LISTED, LISTED, LISTED, LISTED),
    ("issuer",     "create",   401,  403,    403,    403,    403,    403,    201),
    ("issuer",     "retrieve", 401,  200,    200,    200,    200,    200,    200),
    ("issuer",     "update",   401,  200,    403,    403,    403,    403,    200),
    ("issuer",     "delete",   401,  405,    405,    405,    405,    405,    405),
    ("financials", "list",     401,  LISTED, LISTED, EMPTY,  LISTED, LISTED, LISTED),
    ("financials", "create",   401,  201,    201,    403,    403,    403,    201),
    ("financials", "retrieve", 401,  200,    200,    404,    200,    200,    200),
    ("financials", "update",   401,  200,    200,    404,    403,    403,    200),
    ("financials", "delete",   401,  204,    204,    404,    403,    403,    204),
    ("asset",      "list",     401,  LISTED, LISTED, LISTED, LISTED, LISTED, LISTED),
    ("asset",      "create",   401,  201,    201,    403,    403,    403,    201),
    ("asset",      "retrieve", 401,  200,    200,    200,    200,    200,    200),
    ("asset",      "update",   401,  200,    200,    403,    403,    403,    200),
    ("asset",      "delete",   401,  204,    204,    403,    403,    403,    204),
    ("valuation",  "list",     401,  LISTED, LISTED, EMPTY,  LISTED, LISTED, LISTED),
    ("valuation",  "create",   401,  201,    201,    403,    403,    403,    201),
    ("valuation",  "retrieve", 401,  200,    200,    404,    200,    200,    200),
    ("valuation",  "update",   401,  200,    200,    404,    403,    403,    200),
    ("valuation",  "delete",   401,  204,    204,    404,    403,    403,    204),
    ("licence",    "list",     401,  LISTED, LISTED, EMPTY,  LISTED, EMPTY,  LISTED),
    ("licence",    "create",   401,  201,    201,    403,    403,    403,    201),
    ("licence",    "retrieve", 401,  200,    200,    404,    200,    404,    200),
    ("licence",    "update",   401,  200,    200,    404,    403,    404,    200),
    ("licence",    "delete",   401,  204,    204,    404,    403,    404,    204),
    ("receipt",    "list",     401,  LISTED, LISTED, EMPTY,  LISTED, EMPTY,  LISTED),
    # B cannot read A's licence, so to B it does not exist: 400, not a 403 that confirms it.
    ("receipt",    "create",   401,  201,    201,    400,    403,    403,    201),
    ("receipt",    "retrieve", 401,  200,    200,    404,    200,    404,    200),
    ("receipt",    "update",   401,  200,    200,    404,    403,    404,    200),
    ("receipt",    "delete",   401,  204,    204,    404,    403,    404,    204),
    ("pledge",     "list",     401,  LISTED, LISTED, EMPTY,  LISTED, LISTED, LISTED),
    ("pledge",     "create",   401,  201,    201,    403,    403,    403,    201),
    ("pledge",     "retrieve", 401,  200,    200,    404,    200,    200,    200),
    ("pledge",     "update",   401,  200,    200,    404,    403,    403,    200),
    ("pledge",     "delete",   401,  204,    204,    404,    403,    403,    204),
]
API_METHODS = {"list": ("list", "GET"), "create": ("list", "POST"),
               "retrieve": ("detail", "GET"), "update": ("detail", "PATCH"),
               "delete": ("detail", "DELETE")}


def _api_cases():
    for basename, action, *statuses in API_MATRIX:
        route, method = API_METHODS[action]
        for role, status in zip(ROLES, statuses, strict=True):
            yield pytest.param(basename, action, role, status,
                               id=f"{basename}-{route}-{method}-{role}")


API_CASES = list(_api_cases())


def _api_payload(basename: str, action: str, records: dict) -> dict | None:
    if action == "create":
        payload = dict(CREATES[basename].form)
        if basename == "asset":
            payload["cpc_codes"] = ["H01M 10/613"]
        if API_PARENT[basename]:
            parent = records[PAGE_PARENT[basename] or "issuer"]
            payload[API_PARENT[basename]] = parent.pk
        return payload
    if action == "update":
        field, value = UPDATES[basename]
        return {field: _plain(value)}
    return None


@pytest.mark.parametrize(("basename", "action", "role", "expected"), API_CASES)
def test_api_permissions(request, api, records, basename, action, role, expected):
    """Each API endpoint answers each role as the policy says: lists are filtered rather than
    refused, writes are audited, refusals change nothing."""
    user = _user(request, role)
    if user is not None:
        api.force_authenticate(user)
    route, method = API_METHODS[action]
    kwargs = {"pk": records[basename].pk} if route == "detail" else {}
    url = reverse(f"api:{basename}-{route}", kwargs=kwargs)
    before, audit_mark = _state(), _last_audit_id()

    send = getattr(api, method.lower())
    if method in ("POST", "PATCH"):
        response = send(url, _api_payload(basename, action, records), format="json")
    else:
        response = send(url)

    status = 200 if expected in (LISTED, EMPTY) else expected
    assert response.status_code == status, (
        f"{method} {url} as {role}: expected {expected}, got {response.status_code} "
        f"{response.content[:300]!r}")
    if expected == LISTED:
        assert records[basename].pk in [row["id"] for row in response.json()["results"]]
    elif expected == EMPTY:
        assert response.json()["count"] == 0
        assert response.json()["results"] == []
    elif action == "retrieve" and expected == 200:
        assert response.json()["id"] == records[basename].pk
    if method == "GET":
        assert _new_audit(audit_mark) == []
    elif expected in (200, 201, 204):
        _assert_written(basename, action, records, user, audit_mark,
                        api_response=response if action == "create" else None)
    else:
        _assert_refused(before, audit_mark)


# Site-wide API endpoints: the schema and its browsable docs, and the token login.
# Token POST cells: each role posts its own user name and password; anonymous posts nothing.
API_SITE_MATRIX = [
    # url name       method  anon  A    prepA B    reg  inv  staff
    ("schema",       "GET",  200,  200, 200,  200, 200, 200, 200),
    ("api-docs",     "GET",  200,  200, 200,  200, 200, 200, 200),
    ("api:token",    "POST", 400,  200, 200,  200, 200, 200, 200),
    ("api:token",    "GET",  405,  405, 405,  405, 405, 405, 405),
]


def _site_cases():
    for name, method, *statuses in API_SITE_MATRIX:
        for role, status in zip(ROLES, statuses, strict=True):
            yield pytest.param(name, method, role, status,
                               id=f"{name.removeprefix('api:')}-{method}-{role}")


SITE_CASES = list(_site_cases())


@pytest.mark.parametrize(("name", "method", "role", "expected"), SITE_CASES)
def test_api_site_endpoints(request, api, name, method, role, expected):
    """The API schema and docs are public (they describe endpoints, not records); the token
    endpoint trades a valid user name and password (and a two-factor code, where the user has
    a device) for a token and refuses anything else."""
    user = _user(request, role)
    url = reverse(name)
    if method == "POST":
        data = {} if user is None else {"username": user.username, "password": PASSWORD}
        device = None if user is None else two_factor.device_for(user)
        if device is not None:  # regulators and staff: two-factor authentication is required
            data["otp"] = otp_code(device)
        response = api.post(url, data, format="json")
    else:
        if user is not None:
            api.force_authenticate(user)
        response = api.get(url)
    assert response.status_code == expected
    if name == "api:token" and expected == 200:
        assert response.json()["token"]


def test_token_authenticates_api_requests(api, records, user_a, investor):
    """A token from /api/v1/auth/token/ authenticates as its user, with that user's scope;
    a wrong token is refused."""
    token_url = reverse("api:token")
    licences_url = reverse("api:licence-list")
    response = api.post(token_url, {"username": user_a.username, "password": PASSWORD},
                        format="json")
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    answer = api.get(licences_url)
    assert answer.status_code == 200
    assert [row["id"] for row in answer.json()["results"]] == [records["licence"].pk]

    investor_token = api.post(token_url, {"username": investor.username, "password": PASSWORD},
                              format="json").json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {investor_token}")
    assert api.get(licences_url).json()["results"] == []

    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api.get(licences_url).status_code == 401


def test_token_login_refuses_a_wrong_password(api, user_a):
    """The token endpoint gives no token for a wrong password."""
    response = api.post(reverse("api:token"),
                        {"username": user_a.username, "password": "wrong password"},
                        format="json")
    assert response.status_code == 400
    assert "token" not in response.json()


@pytest.mark.django_db
def test_dispersion_is_hidden_from_those_who_may_not_read_valuations(client, api, user_b,
                                                                     regulator, issuer_a):
    """Another issuer sees neither A's dispersion figures nor can filter A's assets by them."""
    from decimal import Decimal

    from tests.factories import IPAssetFactory, ValuationFactory

    asset = IPAssetFactory(owner=issuer_a)
    ValuationFactory(asset=asset, value=Decimal("100"))
    ValuationFactory(asset=asset, value=Decimal("200"))
    services.asset_refresh_dispersion(asset_id=asset.pk)

    api.force_authenticate(user_b)
    body = api.get(f"/api/v1/assets/{asset.pk}/").json()
    assert (body["valuation_dispersion"], body["dispersion_flagged"]) == (None, None)
    assert api.get("/api/v1/assets/?dispersion_flagged=true").json()["count"] == 0
    client.force_login(user_b)
    page = client.get("/registry/assets/").content.decode()
    assert "100.0 %" not in page and "100 %" not in page
    detail = client.get(f"/registry/assets/{asset.pk}/").content.decode()
    assert 'id="dispersion"' not in detail
    assert "Not shown to your role: valuations and their dispersion" in detail

    api.force_authenticate(regulator)
    body = api.get(f"/api/v1/assets/{asset.pk}/").json()
    assert (Decimal(body["valuation_dispersion"]), body["dispersion_flagged"]) == (1, True)
    assert api.get("/api/v1/assets/?dispersion_flagged=true").json()["count"] == 1
