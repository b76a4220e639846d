"""Tests for the filings' part of the interchange bundle (DESIGN 6.1) and the regulator's
upload page.

filings.csv and filing_values.csv import in the same transaction as the registry and the deals:
a filing past draft must validate like a submission, gets an accession number and one
`imported` ledger event; importing again changes nothing; an export imports back byte for byte;
any bad row anywhere writes nothing and is reported as `file:line: column: reason`.
"""

import csv
import datetime
import io
import zipfile

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from core.models import AuditEntry
from core.tabular import TableInvalid
from deals.models import Deal
from disclosure import bundle, services
from disclosure.bundle import FILES, export_bundle, import_bundle
from disclosure.models import (
    AccessionCounter,
    Filing,
    FilingEvent,
    FilingValue,
    LedgerHead,
    Notification,
)
from disclosure.quality import Answer
from ipregistry.identifiers import uscc_check_character
from ipregistry.models import Issuer
from tests.disclosure.conftest import ESG_ANSWERS, answers

pytestmark = pytest.mark.django_db

URL = "/disclosure/bundle/import/"
USCC_1 = "91440300MA5F00001" + uscc_check_character("91440300MA5F00001")
USCC_2 = "91330100MA2H00002" + uscc_check_character("91330100MA2H00002")

ISSUERS = [
    ["I1", "Shenzhen Sunrise Photovoltaic Co., Ltd.", "", USCC_1, "CN", "CN-GD", "Shenzhen",
     "sme", "Clean energy", "2012"],
    ["I2", "Hangzhou Cloudbrand Software Co., Ltd.", "", USCC_2, "CN", "CN-ZJ", "Hangzhou",
     "large", "Software", "2005"],
]
DEALS = [
    ["D1", "Sunrise pledged loan (draft)", "I1", "CN", "CN-GD", "", "", "pledged_loan",
     "draft", "", "", "CNY", "20000000", "", ""],
]
FILINGS = [
    ["F1", "I1", "", "issuer-esg-annual@1", "2024", "accepted", "2025-03-01T10:00:00+00:00",
     ""],                                                                           # line 2
    ["F2", "I2", "", "issuer-esg-annual", "2024", "", "", ""],                      # line 3
    ["F3", "I1", "D1", "deal-periodic@1", "2024", "draft", "", "2025-06-30"],       # line 4
]
ND_REASON = "Kept by HR; loaded next quarter."
F1_VALUES = [["F1", key, ND_REASON, "ND2"] if key == "new_hires" else ["F1", key, value, ""]
             for key, value in ESG_ANSWERS.items()]
VALUES = [
    *F1_VALUES,                                    # lines 2-25, in the template's field order
    ["F2", "revenue", "1000", ""],                 # line 26
    ["F2", "employees", "twelve", ""],             # line 27: a draft may hold what it likes
    ["F3", "collections", "1500", ""],             # line 28
]


def _line(filing_id: str, field: str, rows=VALUES) -> int:
    """The line of filing_values.csv that answers a field (line 1 is the header)."""
    return 2 + next(i for i, row in enumerate(rows) if row[:2] == [filing_id, field])


def _rows() -> dict[str, list[list[str]]]:
    """A fresh copy of the valid bundle's rows, to be spoiled by each malformed test."""
    data = {"issuers.csv": ISSUERS, "deals.csv": DEALS, "filings.csv": FILINGS,
            "filing_values.csv": VALUES}
    return {name: [list(row) for row in rows] for name, rows in data.items()}


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _files(rows: dict[str, list[list[str]]]) -> dict[str, bytes]:
    return {name: _csv([c.name for c in FILES[name]], file_rows)
            for name, file_rows in rows.items()}


def _write(folder, files: dict[str, bytes]):
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _upload(data: bytes, name="bundle.zip") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/zip")


def _counts() -> dict[str, int]:
    return {"issuers": Issuer.objects.count(), "deals": Deal.objects.count(),
            "filings": Filing.objects.count(), "values": FilingValue.objects.count(),
            "events": FilingEvent.objects.count(), "audit": AuditEntry.objects.count(),
            "counters": AccessionCounter.objects.count()}


def _problems(rows) -> list[str]:
    """Import a bad bundle; return its problems as `file:line: column: reason` lines."""
    with pytest.raises(TableInvalid) as caught:
        import_bundle(_files(rows))
    return [str(problem) for problem in caught.value.problems]


def _problem(problems: list[str], prefix: str) -> str:
    matches = [p for p in problems if p.startswith(prefix + ": ")]
    assert len(matches) == 1, (prefix, problems)
    return matches[0]


def _verify_ledger() -> str:
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)
    return out.getvalue()


def _wipe_filings():
    """Remove every filing, its answers and the ledger. The database refuses to delete ledger
    events and submitted answers on PostgreSQL; TRUNCATE (the owner's) is how it is emptied."""
    if connection.vendor == "postgresql":
        tables = [model._meta.db_table for model in (Filing, LedgerHead, AccessionCounter)]
        with connection.cursor() as cursor:
            # Deferred foreign-key checks still pending in the test's transaction block it.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return
    FilingEvent.objects.all().delete()
    LedgerHead.objects.all().delete()
    AccessionCounter.objects.all().delete()
    Filing.objects.filter(amends__isnull=False).delete()
    Filing.objects.all().delete()


@pytest.fixture
def imported(templates):
    import_bundle(_files(_rows()))
    return {filing.external_ref: filing for filing in Filing.objects.all()}


# --- a valid bundle -------------------------------------------------------------------------


def test_valid_bundle_imports_filings_with_the_registry_and_deals(templates, tmp_path):
    """One command imports issuers, deals, filings and their answers; drafts stay drafts with
    their answers as typed, an ND answer keeps its reason, a due date in the file is kept."""
    out = io.StringIO()
    call_command("import_bundle", str(_write(tmp_path / "b", _files(_rows()))), stdout=out)
    for summary in ("filings.csv: 3 created, 0 updated",
                    "filing_values.csv: 27 created, 0 updated",
                    "issuers.csv: 2 created", "deals.csv: 1 created"):
        assert summary in out.getvalue()

    filings = {filing.external_ref: filing for filing in Filing.objects.all()}
    assert {key: f.status for key, f in filings.items()} == {
        "F1": "accepted", "F2": "draft", "F3": "draft"}
    f2, f3 = filings["F2"], filings["F3"]
    assert f2.issuer.external_ref == "I2" and f2.template.key == "issuer-esg-annual@1"
    assert dict(f2.values.values_list("field", "value")) == {"revenue": "1000",
                                                             "employees": "twelve"}
    assert f2.accession_number is None and f2.due_date == datetime.date(2025, 4, 30)
    assert f3.deal.external_ref == "D1" and f3.due_date == datetime.date(2025, 6, 30)
    nd = FilingValue.objects.get(filing=filings["F1"], field="new_hires")
    assert (nd.value, nd.nd_code, nd.nd_reason) == ("", "ND2", ND_REASON)


def test_an_imported_accepted_filing_is_frozen_with_an_accession_number(imported):
    """Past draft, a filing validates, takes the issuer's next accession number for the year
    it was submitted, and its move is one `imported` event; the ledger verifies; nobody is
    notified."""
    filing = imported["F1"]
    issuer = Issuer.objects.get(external_ref="I1")
    assert filing.accession_number == f"{issuer.pk:010d}-25-000001"
    assert (filing.accession_year, filing.accession_sequence) == (2025, 1)
    assert filing.submitted_at == datetime.datetime(2025, 3, 1, 10, tzinfo=datetime.UTC)
    assert filing.decided_at is None  # the bundle carries no decision date
    assert filing.content_sha256 == services.content_digest(filing)
    assert filing.grade == "A2" and filing.error_count == 0
    assert filing.accession_number in filing.search_text
    events = list(filing.events.all())
    assert [(e.action, e.from_status, e.to_status) for e in events] == [
        ("created", "", "draft"), ("imported", "draft", "accepted")]
    assert events[1].payload["accession_number"] == filing.accession_number
    assert AuditEntry.objects.filter(action="disclosure.filing.imported",
                                     object_id=str(filing.pk)).count() == 1
    assert _verify_ledger().startswith("OK: 4 events")
    assert not Notification.objects.exists() and not mail.outbox


def test_the_accession_counter_is_shared_with_submissions(imported, user_a):
    """A submission on the pages takes the number after the imported filing's."""
    issuer = Issuer.objects.get(external_ref="I1")
    filing = services.filing_create(actor=user_a, issuer=issuer,
                                    template=imported["F1"].template, period="2023")
    services.filing_save_answers(actor=user_a, filing=filing, answers=answers())
    filing = services.filing_submit(actor=user_a, filing=filing,
                                    today=datetime.date(2025, 5, 2))
    assert filing.accession_number == f"{issuer.pk:010d}-25-000002"


def test_an_imported_filing_under_review_can_be_decided(templates, staff):
    """A filing imported under review has a review (unassigned), so staff can decide it."""
    rows = _rows()
    rows["filings.csv"][0][5] = "under_review"
    import_bundle(_files(rows))
    filing = Filing.objects.get(external_ref="F1")
    assert filing.review.reviewer is None and filing.decided_at is None
    services.review_decide(actor=staff, filing=filing, decision="accept")
    assert Filing.objects.get(pk=filing.pk).status == "accepted"
    assert _verify_ledger().startswith("OK: 5 events")


def test_reimporting_the_same_bundle_changes_nothing(imported, tmp_path):
    """The same bundle again: every row found unchanged, no save, no audit entry, no event."""
    def state():
        return (sorted(Filing.objects.values_list("pk", "external_ref", "status", "updated_at",
                                                  "accession_number", "due_date")),
                sorted(FilingValue.objects.values_list("pk", "filing_id", "field", "value",
                                                       "nd_code", "nd_reason")),
                _counts())

    before = state()
    out = io.StringIO()
    call_command("import_bundle", str(_write(tmp_path / "b", _files(_rows()))), stdout=out)
    assert "filings.csv: 0 created, 3 updated" in out.getvalue()
    assert "filing_values.csv: 0 created, 27 updated" in out.getvalue()
    assert state() == before


def test_a_draft_gets_exactly_the_answers_of_its_rows(imported):
    """A stored draft with rows in filing_values.csv: answers changed, added and left out
    (cleared); the draft's due date follows the file."""
    rows = _rows()
    rows["filing_values.csv"] = [row for row in rows["filing_values.csv"] if row[0] != "F2"]
    rows["filing_values.csv"].append(["F2", "revenue", "2000", ""])
    rows["filing_values.csv"].append(["F2", "sme_status", "sme", ""])
    rows["filings.csv"][1][7] = "2025-05-31"
    summary = import_bundle(_files(rows))
    assert summary.created["filing_values.csv"] == 1
    f2 = Filing.objects.get(external_ref="F2")
    assert dict(f2.values.values_list("field", "value")) == {"revenue": "2000",
                                                             "sme_status": "sme"}
    assert f2.due_date == datetime.date(2025, 5, 31)


def test_a_stored_draft_is_imported_as_submitted(imported):
    """A draft stored earlier, now complete and submitted in the file, is moved on."""
    rows = _rows()
    rows["filings.csv"][1][5:7] = ["submitted", "2025-04-01"]
    rows["filing_values.csv"] = [row for row in rows["filing_values.csv"] if row[0] != "F2"]
    rows["filing_values.csv"] += [["F2", key, value, ""] for key, value in ESG_ANSWERS.items()]
    import_bundle(_files(rows))
    f2 = Filing.objects.get(external_ref="F2")
    assert f2.status == "submitted" and f2.accession_number.endswith("-25-000001")
    assert f2.submitted_at == datetime.datetime(2025, 4, 1, tzinfo=datetime.UTC)


# --- export -----------------------------------------------------------------------------------


def test_export_wipe_import_export_is_byte_identical(imported, tmp_path, user_a, issuer_a,
                                                    regulator):
    """Export all twelve files, wipe the filings, import the export, export again: the same
    bytes; filings made on the pages keep their keys filing-N, an amendment finds the filing
    it amends again, the ledger verifies."""
    page = services.filing_create(actor=user_a, issuer=issuer_a,
                                  template=imported["F1"].template, period="2024")
    services.filing_save_answers(actor=user_a, filing=page, answers=answers(
        new_hires=("ND1", 'Not collected, "yet"; see note')))
    services.filing_submit(actor=user_a, filing=page, today=datetime.date(2025, 2, 3))
    services.review_start(actor=regulator, filing=page)
    services.review_decide(actor=regulator, filing=page, decision="return", reasons="Typo.")
    amendment = services.filing_amend(actor=user_a, filing=page)
    services.filing_save_answers(actor=user_a, filing=amendment,
                                 answers={"revenue": Answer(value="121,000")})
    assert page.external_ref == f"filing-{page.pk}"

    first = tmp_path / "first"
    out = io.StringIO()
    call_command("export_bundle", str(first), stdout=out)
    assert "filings.csv: 5 rows" in out.getvalue()
    assert "filing_values.csv: 75 rows" in out.getvalue()
    exported = {name: (first / name).read_bytes() for name in FILES}
    filings_lines = exported["filings.csv"].decode().splitlines()
    assert filings_lines[0] == ",".join(c.name for c in FILES["filings.csv"])
    assert filings_lines[1] == ("F1,I1,,issuer-esg-annual@1,2024,accepted,"
                                "2025-03-01T10:00:00+00:00,2025-04-30")
    assert filings_lines[2].startswith(f"{page.external_ref},{issuer_a.external_ref},,"
                                       "issuer-esg-annual@1,2024,returned,")
    assert filings_lines[3:] == [
        "F2,I2,,issuer-esg-annual@1,2024,draft,,2025-04-30",
        "F3,I1,D1,deal-periodic@1,2024,draft,,2025-06-30",
        f"{amendment.external_ref},{issuer_a.external_ref},,issuer-esg-annual@1,2024,draft,,"
        "2025-04-30"]
    values_lines = exported["filing_values.csv"].decode().splitlines()
    assert values_lines[1:3] == ["F1,reporting_currency,CNY,", 'F1,revenue,"120,000",']
    assert f"F1,new_hires,{ND_REASON},ND2" in values_lines
    statuses = dict(Filing.objects.values_list("external_ref", "status"))

    _wipe_filings()
    assert not Filing.objects.exists() and not FilingEvent.objects.exists()

    call_command("import_bundle", str(first), stdout=io.StringIO())
    second = tmp_path / "second"
    export_bundle(second)

    assert {name: (second / name).read_bytes() for name in FILES} == exported
    assert dict(Filing.objects.values_list("external_ref", "status")) == statuses
    again = Filing.objects.get(external_ref=amendment.external_ref)
    assert again.amends.external_ref == page.external_ref
    assert again.values.get(field="new_hires").nd_reason == 'Not collected, "yet"; see note'
    assert _verify_ledger().startswith("OK: 7 events")
    before = _counts()
    import_bundle(bundle.read_bundle(first))
    assert _counts() == before


def test_export_to_zip_holds_twelve_files(imported, tmp_path):
    counts = export_bundle(tmp_path / "bundle.zip")
    assert list(counts) == list(FILES) and len(FILES) == 12
    assert counts["filings.csv"] == 3 and counts["filing_values.csv"] == 27
    assert set(bundle.read_bundle(tmp_path / "bundle.zip")) == set(FILES)


# --- malformed bundles: nothing written, every bad row reported ---------------------------


def _spoil_unknown_template(rows):
    rows["filings.csv"][1][3] = "issuer-esg-annual@7"


def _spoil_unknown_template_code(rows):
    rows["filings.csv"][1][3] = "no-such-template"


def _spoil_period(rows):
    rows["filings.csv"][1][4] = "2024-Q5"


def _spoil_period_form(rows):
    rows["filings.csv"][1][4] = "2024-Q2"  # the template is filed yearly


def _spoil_issuer(rows):
    rows["filings.csv"][1][1] = "I9"


def _spoil_deal(rows):
    rows["filings.csv"][2][2] = "D9"


def _spoil_status(rows):
    rows["filings.csv"][1][5] = "approved"


def _spoil_submitted_at(rows):
    rows["filings.csv"][1][5] = "submitted"


def _spoil_submitted_at_text(rows):
    rows["filings.csv"][0][6] = "March 1st"


def _spoil_value(rows):
    rows["filing_values.csv"][_line("F1", "revenue") - 2][2] = "a lot"


def _spoil_nd_code(rows):
    rows["filing_values.csv"][_line("F1", "new_hires") - 2][3] = "ND5"


def _spoil_rule(rows):
    # More high-skill employees than employees breaks a cross-field rule of both fields.
    rows["filing_values.csv"][_line("F1", "high_skill_employees") - 2][2] = "9999"


def _spoil_field(rows):
    rows["filing_values.csv"].append(["F2", "colour", "green", ""])


def _spoil_filing_id(rows):
    rows["filing_values.csv"].append(["F7", "revenue", "1", ""])


def _spoil_duplicate_answer(rows):
    rows["filing_values.csv"].append(["F2", "revenue", "1", ""])


@pytest.mark.parametrize("spoil, prefix, reason", [
    (_spoil_unknown_template, "filings.csv:3: template", "unknown template"),
    (_spoil_unknown_template_code, "filings.csv:3: template", "no active version"),
    (_spoil_period, "filings.csv:3: period", "not a period"),
    (_spoil_period_form, "filings.csv:3: period", "filed yearly"),
    (_spoil_issuer, "filings.csv:3: issuer_id", "unknown issuer_id 'I9'"),
    (_spoil_deal, "filings.csv:4: deal_id", "unknown deal_id 'D9'"),
    (_spoil_status, "filings.csv:3: status", "not a filing status"),
    (_spoil_submitted_at, "filings.csv:3: submitted_at", "required for a filing that is "
                                                         "submitted"),
    (_spoil_submitted_at_text, "filings.csv:2: submitted_at", "not an ISO 8601"),
    (_spoil_value, f"filing_values.csv:{_line('F1', 'revenue')}: value", "number"),
    (_spoil_nd_code, f"filing_values.csv:{_line('F1', 'new_hires')}: nd_code",
     "Accepted No-Data codes"),
    (_spoil_rule, f"filing_values.csv:{_line('F1', 'high_skill_employees')}: value",
     "employees"),
    (_spoil_field, "filing_values.csv:29: field", "'colour' is not a field of "
                                                  "issuer-esg-annual@1"),
    (_spoil_filing_id, "filing_values.csv:29: filing_id", "unknown filing_id 'F7'"),
    (_spoil_duplicate_answer, "filing_values.csv:29: field", "duplicate of line 26"),
])
def test_a_bad_row_is_reported_and_nothing_is_written(templates, spoil, prefix, reason):
    """Each bad row is reported on its file, line and column, and not one row of the bundle
    -- issuers and deals included -- is written."""
    before = _counts()
    rows = _rows()
    spoil(rows)
    problems = _problems(rows)
    assert reason in _problem(problems, prefix)
    assert _counts() == before


def test_every_problem_of_a_bundle_is_reported_at_once(templates, tmp_path):
    """Problems in several files come together, in bundle order, through the command."""
    rows = _rows()
    rows["issuers.csv"][1][4] = "XX"
    _spoil_status(rows)
    _spoil_value(rows)
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_bundle", str(_write(tmp_path / "b", _files(rows))), stderr=err,
                     stdout=io.StringIO())
    lines = err.getvalue().splitlines()
    assert list(dict.fromkeys(line.split(": ")[0] for line in lines)) == [
        "issuers.csv:3", "filings.csv:3", f"filing_values.csv:{_line('F1', 'revenue')}"]
    assert not Filing.objects.exists() and not Issuer.objects.exists()


def test_a_missing_required_answer_is_reported_on_the_filing(templates):
    rows = _rows()
    rows["filing_values.csv"] = [row for row in rows["filing_values.csv"]
                                 if row[:2] != ["F1", "revenue"]]
    problem = _problem(_problems(rows), "filings.csv:2: status")
    assert "accepted must be complete: revenue: This field is required." in problem


def test_a_submitted_filing_never_changes(imported):
    """Changed answers, a left-out answer, a new status or submission time of a filing past
    draft are refused, naming what is stored; nothing is written."""
    rows = _rows()
    rows["filing_values.csv"][_line("F1", "revenue") - 2][2] = "130,000"
    rows["filing_values.csv"][_line("F1", "new_hires") - 2][2:4] = ["64", ""]
    before = _counts()
    problems = _problems(rows)
    assert "submitted filings never change; amend it (stored: 120,000)" in _problem(
        problems, f"filing_values.csv:{_line('F1', 'revenue')}: value")
    assert f"(stored: ND2 ({ND_REASON}))" in _problem(
        problems, f"filing_values.csv:{_line('F1', 'new_hires')}: nd_code")

    rows = _rows()
    rows["filing_values.csv"] = [row for row in rows["filing_values.csv"]
                                 if row[:2] != ["F1", "esg_policy_reference"]]
    assert "the file leaves out esg_policy_reference" in _problem(
        _problems(rows), "filing_values.csv:2: field")

    rows = _rows()
    rows["filings.csv"][0][5:7] = ["rejected", "2025-03-02"]
    problems = _problems(rows)
    assert "F1 is accepted: submitted filings never change" in _problem(
        problems, "filings.csv:2: status")
    assert "stored: 2025-03-01 10:00:00+00:00" in _problem(problems,
                                                           "filings.csv:2: submitted_at")
    assert _counts() == before
    assert FilingValue.objects.get(filing=imported["F1"], field="revenue").value == "120,000"


def test_a_draft_cannot_change_its_header(imported):
    rows = _rows()
    rows["filings.csv"][1][4] = "2023"
    assert "F2 has period 2024; it cannot change" in _problem(_problems(rows),
                                                              "filings.csv:3: period")


# --- the upload page ------------------------------------------------------------------------


def test_the_page_shows_the_form_to_regulators(client, regulator):
    client.force_login(regulator)
    page = client.get(URL)
    assert page.status_code == 200
    assert 'type="file" name="bundle"' in page.content.decode()
    assert "import-summary" not in page.content.decode()
    assert "filing_values.csv" in page.content.decode()


def test_a_regulator_uploads_a_bundle(client, regulator, templates):
    """A good .zip imports and the page shows what was created."""
    client.force_login(regulator)
    response = client.post(URL, {"bundle": _upload(_zip(_files(_rows())))})
    assert response.status_code == 200, response.content.decode()[:3000]
    page = response.content.decode()
    assert 'id="import-summary"' in page and "filing_values.csv" in page
    assert Filing.objects.count() == 3 and FilingValue.objects.count() == 27
    imported = Filing.objects.get(external_ref="F1").events.get(action="imported")
    assert imported.actor_name == regulator.username


def test_staff_may_upload_too(client, staff, templates):
    client.force_login(staff)
    assert client.post(URL, {"bundle": _upload(_zip(_files(_rows())))}).status_code == 200


def test_a_bad_bundle_is_listed_and_nothing_written(client, regulator, templates):
    client.force_login(regulator)
    rows = _rows()
    _spoil_period(rows)
    _spoil_value(rows)
    before = _counts()
    response = client.post(URL, {"bundle": _upload(_zip(_files(rows)))})
    assert response.status_code == 400
    page = response.content.decode()
    assert "2 problems; nothing was imported." in page
    assert "filings.csv:3: period: " in page
    assert f"filing_values.csv:{_line('F1', 'revenue')}: value: " in page
    assert _counts() == before


def test_a_zip_bomb_is_refused_before_it_is_unpacked(client, regulator, templates,
                                                     monkeypatch):
    """Members declaring far more bytes than the upload holds are refused unread."""
    bomb = _zip({**_files(_rows()), "issuers.csv": b"issuer_id\n" + b"0" * 5_000_000})
    assert len(bomb) * 100 < 5_000_000

    def unpack(*args, **kwargs):
        raise AssertionError("a member was unpacked")

    monkeypatch.setattr(zipfile.ZipFile, "open", unpack)
    client.force_login(regulator)
    response = client.post(URL, {"bundle": _upload(bomb)})
    assert response.status_code == 400
    assert "refused as a possible zip bomb" in response.content.decode()
    assert not Issuer.objects.exists()


@pytest.mark.parametrize("data, reason", [
    (_csv(["issuer_id"], [["I1"]]), "not a .zip archive"),
    (b"PK\x03\x04 not really a zip", "a damaged .zip archive"),
    (_zip({"../issuers.csv": b"issuer_id\n"}), "points outside the archive"),
    (_zip({"bundle/issuers.csv": b"issuer_id\n"}), "put the CSV files at the top"),
], ids=["csv", "damaged", "dot-dot", "folder"])
def test_what_is_not_a_flat_zip_is_refused(client, regulator, templates, data, reason):
    client.force_login(regulator)
    response = client.post(URL, {"bundle": _upload(data)})
    assert response.status_code == 400
    assert reason in response.content.decode()


def test_folders_and_other_members_are_ignored(templates):
    """Members that are not bundle files (a read-me, macOS resource forks) are skipped."""
    files = {**_files(_rows()), "README.txt": b"hello", "__MACOSX/._issuers.csv": b"\x00\x05"}
    assert set(bundle.read_upload(_upload(_zip(files)))) == set(_files(_rows()))


def test_an_upload_over_the_limit_is_refused_unread(client, regulator, templates, settings):
    settings.IMPORT_MAX_BYTES = 100
    client.force_login(regulator)
    response = client.post(URL, {"bundle": _upload(_zip(_files(_rows())))})
    assert response.status_code == 400
    assert "the limit is 100" in response.content.decode()
    assert not Filing.objects.exists()


def test_a_post_without_a_file_is_refused(client, regulator):
    client.force_login(regulator)
    response = client.post(URL, {})
    assert response.status_code == 400
    assert "choose the bundle" in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_investors_and_issuers_may_not_upload(client, investor, user_a, templates, method):
    for user in (investor, user_a):
        client.force_login(user)
        response = getattr(client, method)(URL, {"bundle": _upload(_zip(_files(_rows())))}
                                           if method == "post" else None)
        assert response.status_code == 403
    assert not Filing.objects.exists() and not Issuer.objects.exclude(
        pk__in=[user_a.memberships.get().issuer_id]).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_log_in(client, templates, method):
    response = getattr(client, method)(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Filing.objects.exists()


def test_the_page_has_no_inline_script_or_style(client, regulator):
    client.force_login(regulator)
    page = client.get(URL).content.decode()
    assert "<script>" not in page and "style=" not in page and "<style" not in page

