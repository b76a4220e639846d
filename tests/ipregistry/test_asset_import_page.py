"""Tests for the asset import page (ipregistry:asset-import): a CSV or XLSX table of assets
registered for one issuer the user is a member of, all or nothing."""

import csv
import html
import io
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from core.models import AuditEntry
from ipregistry.models import IPAsset
from tests.factories import IPAssetFactory

pytestmark = pytest.mark.django_db

URL = reverse("ipregistry:asset-import")
HEADER = ["asset_id", "kind", "registry_number", "title", "country", "filing_date",
          "grant_date", "expiry_date", "cpc_codes", "ipc_codes", "nice_classes", "status"]
ROWS = [
    ["P-1", "invention_patent", "CN115555555B", "Perovskite tandem solar cell", "CN",
     "2019-05-10", "2021-08-20", "2039-05-10", "Y02E 10/549", "", "", "active"],
    ["", "trademark", "7654321", "SUNRISE", "CN", "", "", "", "", "", "9;42", "lapsed"],
    ["SW-1", "copyright_software", "2021SR0123456", "Sunrise monitor V2.0", "CN",
     "2021-01-20", "", "", "", "", "", "active"],
]


def _csv(header, rows) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _post(client, owner, name: str, data: bytes, content_type="text/csv"):
    return client.post(URL, {"owner": owner.pk,
                             "file": SimpleUploadedFile(name, data, content_type=content_type)})


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _problems(response) -> set[tuple[int, str]]:
    return {(p.line, p.column) for p in response.context["problems"]}


def _reason(response, line: int, column: str) -> str:
    [reason] = [p.reason for p in response.context["problems"]
                if (p.line, p.column) == (line, column)]
    return reason


def _assert_problem_shown(response, line: int, column: str) -> None:
    """The problem's line, column and reason are cells of one row of the problems table."""
    cells = (f"<tr><td>{line}</td><td class=\"mono\">{column}</td>"
             f"<td>{_reason(response, line, column)}</td></tr>")
    assert cells in _text(response)


@pytest.fixture
def alice(client, user_a):
    client.force_login(user_a)
    return client


def test_page_lists_the_columns(alice):
    """The page explains the accepted columns (assets.csv without issuer_id)."""
    response = alice.get(URL)
    assert response.status_code == 200
    assert "asset_id, kind, registry_number, title, country" in _text(response)
    assert "issuer_id" not in _text(response).split("<form")[0]


def test_valid_csv_registers_every_row_and_redirects(alice, issuer_a, user_a):
    """A valid CSV registers each row for the chosen issuer, audited as the user, and
    redirects to the asset list filtered on that issuer."""
    response = _post(alice, issuer_a, "assets.csv", _csv(HEADER, ROWS))

    assert response.status_code == 302
    assert response["Location"] == reverse("ipregistry:asset-list") + f"?owner={issuer_a.pk}"
    assets = IPAsset.objects.filter(owner=issuer_a)
    assert assets.count() == 3
    patent = assets.get(external_ref="P-1")
    assert (patent.green, patent.green_categories, patent.filing_date) == (
        True, ["Y02E"], date(2019, 5, 10))
    trademark = assets.get(kind="trademark")
    assert trademark.nice_classes == [9, 42]
    assert trademark.status == "lapsed"
    assert trademark.external_ref == f"asset-{trademark.pk}"
    assert assets.get(external_ref="SW-1").registry_number == "2021SR0123456"
    entries = AuditEntry.objects.filter(action="ipregistry.ipasset.import")
    assert entries.count() == 3
    assert set(entries.values_list("actor", flat=True)) == {user_a.pk}


def test_csv_with_only_required_columns_is_accepted(alice, issuer_a):
    """Only kind, registry_number, title and country are required; columns may be reordered."""
    data = _csv(["title", "country", "registry_number", "kind"],
                [["Battery cooling plate", "cn", "CN212345678U", "utility_model"]])
    response = _post(alice, issuer_a, "minimal.csv", data)
    assert response.status_code == 302
    asset = IPAsset.objects.get(owner=issuer_a)
    assert (asset.country, asset.kind, asset.cpc_codes) == ("CN", "utility_model", [])


def test_valid_xlsx_with_date_and_number_cells_registers_every_row(alice, issuer_a):
    """An XLSX workbook with real date cells and numeric cells imports like the CSV."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(["P-1", "invention_patent", "CN115555555B", "Perovskite tandem solar cell",
                  "CN", date(2019, 5, 10), date(2021, 8, 20), date(2039, 5, 10),
                  "Y02E 10/549", None, None, "active"])
    sheet.append([None, "trademark", 7654321, "SUNRISE", "CN", date(2018, 1, 15), None, None,
                  None, None, 9, "active"])
    sheet.append([])  # blank rows are skipped
    sheet.append(["SW-1", "copyright_software", "2021SR0123456", "Sunrise monitor V2.0", "CN",
                  date(2021, 1, 20), None, None, None, None, None, "active"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    response = _post(alice, issuer_a, "assets.xlsx", buffer.getvalue(),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    assert response.status_code == 302, response.context and response.context["problems"]
    patent = IPAsset.objects.get(external_ref="P-1")
    assert (patent.filing_date, patent.grant_date, patent.expiry_date) == (
        date(2019, 5, 10), date(2021, 8, 20), date(2039, 5, 10))
    trademark = IPAsset.objects.get(owner=issuer_a, kind="trademark")
    assert (trademark.registry_number, trademark.nice_classes, trademark.filing_date) == (
        "7654321", [9], date(2018, 1, 15))
    assert IPAsset.objects.get(external_ref="SW-1").filing_date == date(2021, 1, 20)


def test_empty_status_cell_takes_the_default(alice, issuer_a):
    """An empty cell is a missing value (DESIGN 6.1): an empty status is the default
    "active", as when the status column is left out."""
    rows = [ROWS[1][:11] + [""]]
    response = _post(alice, issuer_a, "assets.csv", _csv(HEADER, rows))
    assert response.status_code == 302, response.context and response.context["problems"]
    assert IPAsset.objects.get(owner=issuer_a).status == "active"


def test_xlsx_problems_use_sheet_row_numbers(alice, issuer_a):
    """In a workbook, problems name the sheet's row numbers, blank rows counted."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["kind", "registry_number", "title", "country", "filing_date"])
    sheet.append(["trademark", "1234567", "ALPHA", "CN", date(2020, 1, 1)])
    sheet.append([])
    sheet.append(["trademark", "1234568", "BETA", "CN", "01/02/2021"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = _post(alice, issuer_a, "assets.xlsx", buffer.getvalue())
    assert response.status_code == 400
    assert _problems(response) == {(4, "filing_date")}
    assert IPAsset.objects.count() == 0


def test_bad_rows_are_all_listed_and_nothing_written(alice, issuer_a):
    """Every bad row is listed with its line, column and reason; no asset, no audit entry."""
    rows = [list(row) for row in ROWS]  # line 2 stays good
    rows[1][10] = "9;forty-two"        # line 3
    rows[2][2] = "2021SR12"            # line 4
    rows.append(["X-1", "invention_patent", "CN115555555B", "Same patent", "CN",
                 "", "", "", "", "", "", "active"])  # line 5: line 2's registry number...
    rows.append(["P-1", "trademark", "1111111", "Dup key", "CN",
                 "", "", "", "", "", "", "active"])  # line 6: ...and line 2's asset_id
    rows.append(["", "design_patent", "CN306123456S", "Lamp", "CN",
                 "2020-01-01", "2019-01-01", "", "", "", "", "active"])  # line 7: grant < filing
    rows.append(["", "gizmo", "X", "Thing", "XX", "", "", "", "", "", "", "active"])  # line 8
    rows.append(["", "trademark", "2222222", "Late", "CN",
                 "2021-13-01", "", "", "", "", "", "active"])  # line 9
    response = _post(alice, issuer_a, "assets.csv", _csv(HEADER, rows))

    assert response.status_code == 400
    assert _problems(response) == {
        (3, "nice_classes"), (4, "registry_number"), (5, "registry_number"),
        (6, "asset_id"), (7, "row"), (8, "kind"), (8, "country"), (9, "filing_date")}
    for line, column in _problems(response):
        _assert_problem_shown(response, line, column)
    assert "8 problems; nothing was imported." in _text(response)
    assert "'2021-13-01' is not an ISO 8601 date" in _reason(response, 9, "filing_date")
    assert "software copyright" in _reason(response, 4, "registry_number")
    assert _reason(response, 5, "registry_number") == "duplicate of line 2"
    assert _reason(response, 6, "asset_id") == "duplicate of line 2"
    assert IPAsset.objects.count() == 0
    assert AuditEntry.objects.filter(action__startswith="ipregistry.ipasset").count() == 0


def test_duplicate_registry_number_in_the_file_is_reported(alice, issuer_a):
    """Two rows with one registry number (in any spelling) are reported on the second."""
    rows = [ROWS[0], ["", "invention_patent", "cn 115555555 b", "Again", "CN",
                      "", "", "", "", "", "", "active"]]
    response = _post(alice, issuer_a, "assets.csv", _csv(HEADER, rows))
    assert response.status_code == 400
    assert _problems(response) == {(3, "registry_number")}
    assert _reason(response, 3, "registry_number") == "duplicate of line 2"
    assert IPAsset.objects.count() == 0


def test_asset_already_stored_is_reported(alice, issuer_a, issuer_b):
    """A registry number already stored, even under another issuer, is reported."""
    IPAssetFactory(owner=issuer_b, registry_number="CN115555555B")
    response = _post(alice, issuer_a, "assets.csv", _csv(HEADER, ROWS[:1]))
    assert response.status_code == 400
    assert _problems(response) == {(2, "row")}
    assert "already registered" in _reason(response, 2, "row")
    assert IPAsset.objects.filter(owner=issuer_a).count() == 0


def test_asset_id_already_stored_is_reported_on_asset_id(alice, issuer_a, issuer_b):
    """An asset_id used by a stored asset is reported under the asset_id column."""
    IPAssetFactory(owner=issuer_b, external_ref="P-1")
    response = _post(alice, issuer_a, "assets.csv", _csv(HEADER, ROWS[:1]))
    assert response.status_code == 400
    assert _problems(response) == {(2, "asset_id")}
    assert IPAsset.objects.filter(owner=issuer_a).count() == 0


def test_issuer_id_column_is_refused(alice, issuer_a, issuer_b):
    """The owner is chosen on the page: an issuer_id column is an unknown column."""
    data = _csv(HEADER + ["issuer_id"], [row + [str(issuer_b.pk)] for row in ROWS])
    response = _post(alice, issuer_a, "assets.csv", data)
    assert response.status_code == 400
    assert _problems(response) == {(1, "issuer_id")}
    assert _reason(response, 1, "issuer_id") == "unknown column"
    assert IPAsset.objects.count() == 0


def test_missing_required_column_is_reported(alice, issuer_a):
    """A table without the title column is refused on line 1."""
    data = _csv(["kind", "registry_number", "country"], [["trademark", "1234567", "CN"]])
    response = _post(alice, issuer_a, "assets.csv", data)
    assert response.status_code == 400
    assert _problems(response) == {(1, "title")}
    assert _reason(response, 1, "title") == "missing column"


def test_header_only_file_is_refused(alice, issuer_a):
    """A table with a header and no data rows is refused: nothing to import."""
    response = _post(alice, issuer_a, "assets.csv", _csv(HEADER, []))
    assert response.status_code == 400
    assert "the file has no data rows" in _text(response)


def test_non_utf8_csv_is_refused(alice, issuer_a):
    """A GBK-encoded CSV is refused, asking for UTF-8."""
    data = _csv(HEADER, [ROWS[1][:3] + ["日出商标"] + ROWS[1][4:]]).decode().encode("gbk")
    response = _post(alice, issuer_a, "assets.csv", data)
    assert response.status_code == 400
    assert _problems(response) == {(2, "encoding")}
    assert "save the file as UTF-8" in _text(response)
    assert IPAsset.objects.count() == 0


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\x00\x01\x00\x00\x05\x00\x01\r\n-\xb4"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("assets.csv", _csv(HEADER, ROWS))
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "data"), [
    ("logo.png", PNG),
    ("assets.xlsx", PNG),  # the content decides, not the name
    ("assets.zip", _zip_without_workbook()),
])
def test_file_that_is_neither_csv_nor_xlsx_is_refused(alice, issuer_a, name, data):
    """Images and ZIP archives that are not workbooks are refused with a clear message."""
    response = _post(alice, issuer_a, name, data, "application/octet-stream")
    assert response.status_code == 400
    assert _problems(response) == {(1, "file")}
    assert "neither a UTF-8 CSV file nor an XLSX workbook" in _text(response)
    assert IPAsset.objects.count() == 0


def test_damaged_workbook_is_refused(alice, issuer_a):
    """A ZIP that claims to be a workbook but cannot be read is refused, not a crash."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not-a-workbook")
    response = _post(alice, issuer_a, "assets.xlsx", buffer.getvalue())
    assert response.status_code == 400
    assert _problems(response) == {(1, "file")}
    assert "not a readable XLSX workbook" in _text(response)


def test_file_over_the_size_limit_is_refused(alice, issuer_a, settings):
    """A file larger than IMPORT_MAX_BYTES is refused by the form before it is read."""
    settings.IMPORT_MAX_BYTES = 100
    data = _csv(HEADER, ROWS)
    response = _post(alice, issuer_a, "assets.csv", data)
    assert response.status_code == 400
    assert f"The file is {len(data):,} bytes; the limit is 100." in _text(response)
    assert response.context["problems"] == []
    assert IPAsset.objects.count() == 0


def test_too_many_rows_are_refused(alice, issuer_a, settings):
    """A table with more data rows than IMPORT_MAX_ROWS is refused as a whole."""
    settings.IMPORT_MAX_ROWS = 2
    response = _post(alice, issuer_a, "assets.csv", _csv(HEADER, ROWS))
    assert response.status_code == 400
    assert _problems(response) == {(1, "file")}
    assert _reason(response, 1, "file") == "3 rows; the limit is 2"
    assert IPAsset.objects.count() == 0

    settings.IMPORT_MAX_ROWS = 3
    assert _post(alice, issuer_a, "assets.csv", _csv(HEADER, ROWS)).status_code == 302


def test_member_of_another_issuer_cannot_import_into_it(client, user_b, issuer_a, issuer_b):
    """The owner field only offers the user's own issuers; another's is a form error."""
    client.force_login(user_b)
    page = client.get(URL)
    assert list(page.context["form"].fields["owner"].queryset) == [issuer_b]

    response = _post(client, issuer_a, "assets.csv", _csv(HEADER, ROWS))
    assert response.status_code == 400
    assert "owner" in response.context["form"].errors
    assert "Select a valid choice" in _text(response)
    assert IPAsset.objects.count() == 0
    assert AuditEntry.objects.filter(action__startswith="ipregistry.ipasset").count() == 0


@pytest.mark.parametrize("who", ["investor", "regulator"])
def test_investor_and_regulator_get_403(client, request, issuer_a, who):
    """Users who are members of no issuer may neither see nor post the page."""
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403
    assert _post(client, issuer_a, "assets.csv", _csv(HEADER, ROWS)).status_code == 403
    assert IPAsset.objects.count() == 0


def test_anonymous_user_is_sent_to_login(client, issuer_a):
    """An anonymous visitor is redirected to the login page; nothing is written."""
    response = _post(client, issuer_a, "assets.csv", _csv(HEADER, ROWS))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert IPAsset.objects.count() == 0
