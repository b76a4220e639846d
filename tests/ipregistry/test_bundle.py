"""Tests for the registry part of the interchange bundle (DESIGN 6.1).

`import_bundle` / `export_bundle`, as commands and as functions: a valid bundle imports with
its derived data, imports again in place, survives an export/import round trip, and a
malformed bundle writes nothing and reports every bad row as `file:line: column: reason`.
"""

import csv
import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from core.models import AuditEntry
from core.tabular import TableInvalid
from ipregistry import services
from ipregistry.bundle import FILES, export_bundle, import_bundle, read_bundle
from ipregistry.identifiers import lei_check_digits, uscc_check_character
from ipregistry.models import IPAsset, Issuer, IssuerFinancials, Valuation
from tests.factories import IPAssetFactory, IssuerFactory, ValuationFactory

pytestmark = pytest.mark.django_db

LEI_1 = "5493001KJTIIGC8Y1R" + lei_check_digits("5493001KJTIIGC8Y1R")
USCC_1 = "91440300MA5F00001" + uscc_check_character("91440300MA5F00001")
USCC_2 = "91330100MA2H00002" + uscc_check_character("91330100MA2H00002")


def _corrupt_lei(lei: str) -> str:
    """Change one check digit: the MOD 97-10 check must catch it."""
    return lei[:19] + str((int(lei[19]) + 1) % 10)


ISSUERS = [
    ["I1", "Shenzhen Sunrise Photovoltaic Co., Ltd.", LEI_1, USCC_1, "CN", "CN-GD", "Shenzhen",
     "sme", "Clean energy", "2012"],
    ["I2", "Hangzhou Cloudbrand Software Co., Ltd.", "", USCC_2, "CN", "CN-ZJ", "Hangzhou",
     "large", "Software", "2005"],
]
FINANCIALS = [
    ["I1", "2022", "CNY", "120000000.50", "9000000", "350", "140", "18", "2500000"],
    ["I1", "2023", "CNY", "150000000", "12000000", "420", "180", "25", "4000000"],
    ["I2", "2023", "CNY", "800000000", "40000000", "2000", "900", "60", ""],
]
ASSETS = [
    ["A1", "I1", "invention_patent", "CN112345678B", "Perovskite tandem solar cell", "CN",
     "2019-05-10", "2021-08-20", "2039-05-10", "Y02E 10/549;H01L 31/0725", "H01L 31/0725", "",
     "active"],
    ["A2", "I1", "utility_model", "CN212345678U", "Coffee grinder housing", "CN",
     "2020-03-02", "2020-11-10", "2030-03-02", "a47j31/00", "", "", "active"],
    ["A3", "I2", "trademark", "12345678", "CLOUDBRAND", "CN",
     "2018-01-15", "2019-02-14", "2029-02-13", "", "", "42;9", "active"],
    ["A4", "I2", "copyright_software", "2021SR0123456", "Cloudbrand ERP V3.0", "CN",
     "2021-01-20", "", "", "", "", "", "active"],
]
VALUATIONS = [
    ["A1", "China Appraisal Co.", "income", "10000000", "CNY", "2024-06-30"],
    ["A1", "Zhongshen Appraisal", "market", "14000000", "CNY", "2024-07-15"],
    ["A3", "China Appraisal Co.", "market", "3000000", "CNY", "2024-06-30"],
]


def _rows() -> dict[str, list[list[str]]]:
    """A fresh copy of the valid bundle's rows, to be spoiled by each malformed test."""
    return {"issuers.csv": [list(r) for r in ISSUERS],
            "financials.csv": [list(r) for r in FINANCIALS],
            "assets.csv": [list(r) for r in ASSETS],
            "valuations.csv": [list(r) for r in VALUATIONS]}


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _files(rows: dict[str, list[list[str]]]) -> dict[str, bytes]:
    return {name: _csv([c.name for c in FILES[name]], file_rows)
            for name, file_rows in rows.items()}


def _without_column(data: bytes, column: str) -> bytes:
    """The CSV without one column, in its header and in every row."""
    table = list(csv.reader(io.StringIO(data.decode(), newline="")))
    index = table[0].index(column)
    return _csv(table[0][:index] + table[0][index + 1:],
                [row[:index] + row[index + 1:] for row in table[1:]])


def _with_column(data: bytes, column: str, value: str) -> bytes:
    """The CSV with one more column at the end, every row holding value."""
    table = list(csv.reader(io.StringIO(data.decode(), newline="")))
    return _csv(table[0] + [column], [row + [value] for row in table[1:]])


def _write(folder, files: dict[str, bytes]):
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def _counts() -> dict[str, int]:
    return {"issuers": Issuer.objects.count(), "financials": IssuerFinancials.objects.count(),
            "assets": IPAsset.objects.count(), "valuations": Valuation.objects.count(),
            "audit": AuditEntry.objects.count()}


EMPTY = {"issuers": 0, "financials": 0, "assets": 0, "valuations": 0, "audit": 0}


def _import_fails(path) -> list[str]:
    """Run the command on a bad bundle; return the problem lines it wrote to stderr."""
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_bundle", str(path), stderr=err, stdout=io.StringIO())
    return [line for line in err.getvalue().splitlines() if line.strip()]


def _prefixes(problems: list[str]) -> set[str]:
    """`file:line: column` of each `file:line: column: reason` line."""
    return {": ".join(p.split(": ")[:2]) for p in problems}


def _problem(problems: list[str], prefix: str) -> str:
    matches = [p for p in problems if p.startswith(prefix + ": ")]
    assert len(matches) == 1, (prefix, problems)
    return matches[0]


def _export_text(folder) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in FILES}


def _wipe():
    Valuation.objects.all().delete()
    IPAsset.objects.all().delete()
    IssuerFinancials.objects.all().delete()
    Issuer.objects.all().delete()
    AuditEntry.objects.all().delete()


@pytest.fixture
def bundle_dir(tmp_path):
    return _write(tmp_path / "bundle", _files(_rows()))


# --- a valid bundle ------------------------------------------------------------------------


def test_valid_bundle_imports_every_record_with_derived_data(
        bundle_dir, django_capture_on_commit_callbacks, monkeypatch):
    """A valid folder bundle creates every row, keyed by external_ref, with green tagging,
    normalised codes and the dispersion recomputed once per valued asset after the commit."""
    out = io.StringIO()
    recomputed = []
    real = services.asset_refresh_dispersion
    monkeypatch.setattr(services, "asset_refresh_dispersion", lambda *, asset_id: (
        recomputed.append(asset_id), real(asset_id=asset_id))[1])
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_bundle", str(bundle_dir), stdout=out)

    assert "issuers.csv: 2 created, 0 updated" in out.getvalue()
    assert "valuations.csv: 3 created, 0 updated" in out.getvalue()
    assert len(recomputed) == len(set(recomputed)) == 2  # once per valued asset
    assert _counts() == {"issuers": 2, "financials": 3, "assets": 4, "valuations": 3,
                         "audit": 12}

    i1 = Issuer.objects.get(external_ref="I1")
    assert (i1.name, i1.lei, i1.uscc, i1.province, i1.founded_year) == (
        "Shenzhen Sunrise Photovoltaic Co., Ltd.", LEI_1, USCC_1, "CN-GD", 2012)
    assert Issuer.objects.get(external_ref="I2").lei == ""

    f2022 = IssuerFinancials.objects.get(issuer=i1, year=2022)
    assert f2022.revenue == Decimal("120000000.50")
    assert f2022.employees == 350
    assert IssuerFinancials.objects.get(issuer__external_ref="I2").carbon_rnd_expense is None

    a1, a2, a3, a4 = (IPAsset.objects.get(external_ref=key) for key in ("A1", "A2", "A3", "A4"))
    assert a1.owner == i1
    assert a1.cpc_codes == ["Y02E 10/549", "H01L 31/0725"]
    assert a1.filing_date == date(2019, 5, 10)
    assert (a1.green, a1.green_categories) == (
        True, ["IPC:alternative_energy_production", "Y02E"])
    assert a2.cpc_codes == ["A47J 31/00"]  # normalised
    assert (a2.green, a2.green_categories) == (False, [])
    assert (a3.kind, a3.registry_number, a3.nice_classes) == ("trademark", "12345678", [9, 42])
    assert a3.owner.external_ref == "I2"
    assert (a4.kind, a4.registry_number, a4.grant_date) == (
        "copyright_software", "2021SR0123456", None)

    assert a1.valuation_dispersion == Decimal("0.400000")
    assert a1.dispersion_flagged is True
    assert a1.dispersion_note == ""
    assert a3.valuation_dispersion is None
    assert a3.dispersion_note == "fewer than two valuations"
    assert a4.dispersion_note == ""  # never valued: not recomputed


def test_valid_zip_bundle_imports(tmp_path):
    """A .zip bundle, with its CSV files in a folder inside, imports like a folder."""
    path = tmp_path / "bundle.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("registry/", "")
        for name, data in _files(_rows()).items():
            archive.writestr(f"registry/{name}", data)

    call_command("import_bundle", str(path), stdout=io.StringIO())

    assert _counts()["assets"] == 4
    assert Valuation.objects.filter(asset__external_ref="A1").count() == 2


def test_import_bundle_function_returns_summary():
    """import_bundle() returns created/updated counts per file."""
    summary = import_bundle(_files(_rows()))
    assert summary.created == {"issuers.csv": 2, "financials.csv": 3, "assets.csv": 4,
                               "valuations.csv": 3}
    assert summary.updated == {}


def test_partial_bundle_references_stored_records():
    """A bundle of assets only may own them by issuers already stored (by external_ref)."""
    import_bundle(_files({"issuers.csv": _rows()["issuers.csv"]}))
    import_bundle(_files({"assets.csv": _rows()["assets.csv"]}))
    assert IPAsset.objects.get(external_ref="A3").owner.external_ref == "I2"


def test_bundle_with_utf8_bom_and_crlf_imports():
    """A UTF-8 file with a byte-order mark and CRLF line ends (as Excel saves) is accepted."""
    files = _files(_rows())
    files["issuers.csv"] = b"\xef\xbb\xbf" + files["issuers.csv"].replace(b"\n", b"\r\n")
    import_bundle(files)
    assert Issuer.objects.filter(external_ref__in=["I1", "I2"]).count() == 2


def test_empty_cells_are_missing_values():
    """An empty cell is a missing value (DESIGN 6.1): empty optional fields stay empty and an
    empty asset status takes the default "active"."""
    rows = _rows()
    rows["issuers.csv"][0][9] = ""
    rows["assets.csv"][3][12] = ""
    import_bundle(_files(rows))
    assert Issuer.objects.get(external_ref="I1").founded_year is None
    assert IPAsset.objects.get(external_ref="A4").status == "active"


def test_importing_twice_updates_in_place(bundle_dir, django_capture_on_commit_callbacks):
    """The same bundle imported twice creates nothing new; changed cells update rows in place."""
    call_command("import_bundle", str(bundle_dir), stdout=io.StringIO())
    before = _counts()
    ids = set(IPAsset.objects.values_list("pk", flat=True))

    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_bundle", str(bundle_dir), stdout=out)

    assert _counts()["issuers"] == before["issuers"]
    assert {k: v for k, v in _counts().items() if k != "audit"} == {
        k: v for k, v in before.items() if k != "audit"}
    assert set(IPAsset.objects.values_list("pk", flat=True)) == ids
    assert "assets.csv: 0 created, 4 updated" in out.getvalue()

    rows = _rows()
    rows["assets.csv"][1][4] = "Coffee grinder housing, improved"
    rows["valuations.csv"][1][3] = "10500000"
    with django_capture_on_commit_callbacks(execute=True):
        import_bundle(_files(rows))
    assert IPAsset.objects.count() == 4
    assert IPAsset.objects.get(external_ref="A2").title == "Coffee grinder housing, improved"
    a1 = IPAsset.objects.get(external_ref="A1")
    assert a1.valuation_dispersion == Decimal("0.050000")
    assert a1.dispersion_flagged is False


def test_importing_identical_bundle_twice_writes_no_audit_entries():
    """Re-importing unchanged rows changes nothing, so no update is audited.

    Money cells written as "10000000" are stored as 10000000.00: the same value.
    """
    import_bundle(_files(_rows()))
    before = AuditEntry.objects.count()
    import_bundle(_files(_rows()))
    assert list(AuditEntry.objects.order_by("pk")[before:].values_list(
        "action", "changes")) == []


def test_export_then_import_into_empty_database_round_trips(tmp_path):
    """export_bundle, wipe, import the export, export again: byte-identical files, and
    records made on the pages (keys issuer-N / asset-N) keep their keys."""
    import_bundle(_files(_rows()))
    ui_issuer = IssuerFactory(name='Beijing "Quoted", Name Co.', uscc="")
    ui_asset = IPAssetFactory(owner=ui_issuer)
    ValuationFactory(asset=ui_asset, value=Decimal("1234.5"))
    assert ui_issuer.external_ref == f"issuer-{ui_issuer.pk}"

    first = tmp_path / "first"
    out = io.StringIO()
    call_command("export_bundle", str(first), stdout=out)
    assert "issuers.csv: 3 rows" in out.getvalue()
    exported = _export_text(first)
    assert exported["issuers.csv"].decode().splitlines()[0] == ",".join(
        c.name for c in FILES["issuers.csv"])
    assert b"Y02E 10/549;H01L 31/0725" in exported["assets.csv"]
    assert b"9;42" in exported["assets.csv"]

    snapshot = sorted(IPAsset.objects.values_list(
        "external_ref", "owner__external_ref", "registry_number", "cpc_codes", "nice_classes",
        "green", "expiry_date"))
    _wipe()
    assert _counts() == EMPTY

    call_command("import_bundle", str(first), stdout=io.StringIO())
    second = tmp_path / "second"
    export_bundle(second)

    assert _export_text(second) == exported
    assert sorted(IPAsset.objects.values_list(
        "external_ref", "owner__external_ref", "registry_number", "cpc_codes", "nice_classes",
        "green", "expiry_date")) == snapshot
    assert Issuer.objects.get(external_ref=ui_issuer.external_ref).name == ui_issuer.name


def test_export_to_zip_imports_back(tmp_path):
    """export_bundle to a .zip writes the four registry files; the zip imports back."""
    import_bundle(_files(_rows()))
    path = tmp_path / "out" / "registry.zip"
    counts = export_bundle(path)
    assert counts == {"issuers.csv": 2, "financials.csv": 3, "assets.csv": 4,
                      "valuations.csv": 3}
    assert set(read_bundle(path)) == set(FILES)
    _wipe()
    call_command("import_bundle", str(path), stdout=io.StringIO())
    assert _counts()["valuations"] == 3


def test_export_of_empty_registry_writes_headers_only(tmp_path):
    """An empty registry exports four files holding just their header row."""
    export_bundle(tmp_path)
    for name, columns in FILES.items():
        assert (tmp_path / name).read_text(encoding="utf-8") == ",".join(
            c.name for c in columns) + "\n"


# --- malformed bundles: nothing written, every bad row reported -------------------------


def test_wrong_encoding_is_reported_and_nothing_written(tmp_path):
    """A Latin-1 or GBK file is refused at the first non-UTF-8 line, naming the encoding."""
    rows = _rows()
    rows["issuers.csv"][1][1] = "Société Générale de Brevets"
    files = _files(rows)
    files["issuers.csv"] = files["issuers.csv"].decode().encode("latin-1")
    problems = _import_fails(_write(tmp_path / "latin1", files))
    assert "issuers.csv:3: encoding" in _prefixes(problems)
    assert "UTF-8" in _problem(problems, "issuers.csv:3: encoding")
    assert _counts() == EMPTY

    rows = _rows()
    rows["assets.csv"][2][4] = "云品牌"
    files = _files(rows)
    files["assets.csv"] = files["assets.csv"].decode().encode("gbk")
    problems = _import_fails(_write(tmp_path / "gbk", files))
    assert "assets.csv:4: encoding" in _prefixes(problems)
    assert _counts() == EMPTY


def test_control_characters_are_refused_by_cell_and_nothing_written(tmp_path):
    """A NUL (which PostgreSQL cannot store) or another control character in any cell, the
    row's key included, is reported on its line and column; nothing is written."""
    rows = _rows()
    rows["assets.csv"][2][0] = "\x00"          # line 4, the key itself
    rows["issuers.csv"][0][1] = "Shenzhen\x1bSunrise"  # line 2, an escape character
    problems = _import_fails(_write(tmp_path / "b", _files(rows)))
    assert "contains a control character (U+0000)" in _problem(problems, "assets.csv:4: asset_id")
    assert "U+001B" in _problem(problems, "issuers.csv:2: name")
    assert _counts() == EMPTY


def test_missing_and_unknown_columns_are_reported_on_line_1(tmp_path):
    """A missing column and an unknown column are each reported on the header line."""
    files = _files(_rows())
    files["financials.csv"] = _without_column(files["financials.csv"], "carbon_rnd_expense")
    files["valuations.csv"] = _with_column(files["valuations.csv"], "comment", "x")
    problems = _import_fails(_write(tmp_path / "b", files))
    assert _prefixes(problems) == {"financials.csv:1: carbon_rnd_expense",
                                   "valuations.csv:1: comment"}
    assert "missing column" in _problem(problems, "financials.csv:1: carbon_rnd_expense")
    assert "unknown column" in _problem(problems, "valuations.csv:1: comment")
    assert _counts() == EMPTY


def test_bad_dates_and_decimals_are_each_reported(tmp_path):
    """Non-ISO dates and comma decimals are reported per cell, with line numbers from 2."""
    rows = _rows()
    rows["assets.csv"][0][6] = "2021-13-01"   # line 2, filing_date
    rows["assets.csv"][3][6] = "01/02/2021"   # line 5, filing_date
    rows["assets.csv"][3][8] = "2031-02-30"   # line 5, expiry_date
    rows["financials.csv"][1][3] = "1,5"      # line 3, revenue
    rows["valuations.csv"][2][3] = "3 000 000"  # line 4, value
    problems = _import_fails(_write(tmp_path / "b", _files(rows)))
    assert _prefixes(problems) >= {
        "assets.csv:2: filing_date", "assets.csv:5: filing_date", "assets.csv:5: expiry_date",
        "financials.csv:3: revenue", "valuations.csv:4: value"}
    assert "'2021-13-01' is not an ISO 8601 date" in _problem(problems,
                                                             "assets.csv:2: filing_date")
    assert "'1,5' is not a decimal number (use '.'" in _problem(problems,
                                                               "financials.csv:3: revenue")
    # Valuations of the bad asset A1 (line 2) are reported as such, not as unknown.
    assert "'A1' has errors in assets.csv" in _problem(problems, "valuations.csv:2: asset_id")
    assert _counts() == EMPTY


def test_unknown_ids_are_reported(tmp_path):
    """A reference to an id neither in the bundle nor stored is reported on its column."""
    rows = _rows()
    rows["assets.csv"][1][1] = "I9"
    rows["financials.csv"][2][0] = "I7"
    rows["valuations.csv"][2][0] = "A9"
    problems = _import_fails(_write(tmp_path / "b", _files(rows)))
    assert _prefixes(problems) == {"assets.csv:3: issuer_id", "financials.csv:4: issuer_id",
                                   "valuations.csv:4: asset_id"}
    assert "unknown issuer_id 'I9'" in _problem(problems, "assets.csv:3: issuer_id")
    assert "unknown asset_id 'A9'" in _problem(problems, "valuations.csv:4: asset_id")
    assert _counts() == EMPTY


def test_duplicates_are_reported_against_their_first_line(tmp_path):
    """The same issuer id twice, one registry number on two asset rows, one issuer-year twice."""
    rows = _rows()
    rows["issuers.csv"].append(["I1", "Another name", "", "", "CN", "", "", "sme", "", ""])
    rows["assets.csv"].append(
        ["A5", "I1", "invention_patent", "cn 112345678 b", "Same patent again", "CN",
         "", "", "", "", "", "", "active"])
    rows["assets.csv"].append(list(rows["assets.csv"][3]))
    rows["financials.csv"].append(["I1", "2022", "CNY", "1", "", "", "", "", ""])
    problems = _import_fails(_write(tmp_path / "b", _files(rows)))
    assert _prefixes(problems) == {"issuers.csv:4: issuer_id", "assets.csv:6: row",
                                   "assets.csv:7: asset_id", "financials.csv:5: year"}
    assert "duplicate of line 2" in _problem(problems, "issuers.csv:4: issuer_id")
    assert "registry number" in _problem(problems, "assets.csv:6: row")
    assert "duplicate of line 5" in _problem(problems, "assets.csv:7: asset_id")
    assert "duplicate of line 2" in _problem(problems, "financials.csv:5: year")
    assert _counts() == EMPTY


def test_duplicate_of_a_stored_asset_is_reported_and_stored_rows_unchanged(tmp_path):
    """An asset whose registry number is already stored under another key is refused and the
    stored registry is left exactly as it was."""
    stored = IPAssetFactory(registry_number="CN112345678B")
    before = _counts()
    problems = _import_fails(_write(tmp_path / "b", _files(_rows())))
    assert _prefixes(problems) == {"assets.csv:2: row", "valuations.csv:2: asset_id",
                                   "valuations.csv:3: asset_id"}
    assert "already registered" in _problem(problems, "assets.csv:2: row")
    assert _counts() == before
    stored.refresh_from_db()
    assert stored.external_ref == f"asset-{stored.pk}"


def test_invalid_identifiers_are_reported_on_their_column(tmp_path):
    """A corrupted LEI names the lei column and its check digits; bad USCC and registry
    numbers, countries, provinces and kinds are each reported on their own column."""
    rows = _rows()
    bad_uscc = USCC_2[:-1] + ("0" if USCC_2[-1] != "0" else "1")
    rows["issuers.csv"] += [
        ["I3", "Bad LEI Co.", _corrupt_lei(LEI_1), "", "CN", "", "", "sme", "", ""],
        ["I4", "Bad USCC Co.", "", bad_uscc, "CN", "CN-XX", "", "sme", "", ""]]
    rows["assets.csv"][0][3] = "CN112345678U"     # a utility model's kind code on an invention
    rows["assets.csv"][1][2] = "gizmo"
    rows["assets.csv"][2][5] = "ZZ"
    rows["assets.csv"][3][3] = "2021SR12"
    problems = _import_fails(_write(tmp_path / "b", _files(rows)))
    assert _prefixes(problems) == {
        "issuers.csv:4: lei", "issuers.csv:5: uscc", "issuers.csv:5: province",
        "assets.csv:2: registry_number", "assets.csv:3: kind", "assets.csv:4: country",
        "assets.csv:3: cpc_codes",  # not a patent kind, so it may not carry CPC codes
        "assets.csv:5: registry_number",
        # valuations of the bad assets A1 and A3
        "valuations.csv:2: asset_id", "valuations.csv:3: asset_id", "valuations.csv:4: asset_id"}
    lei = _problem(problems, "issuers.csv:4: lei")
    assert "check digits" in lei
    assert "LEI" in lei
    assert "check character" in _problem(problems, "issuers.csv:5: uscc")
    assert "CN-XX" in _problem(problems, "issuers.csv:5: province")
    assert "kind code U" in _problem(problems, "assets.csv:2: registry_number")
    assert "gizmo" in _problem(problems, "assets.csv:3: kind")
    assert "'ZZ'" in _problem(problems, "assets.csv:4: country")
    assert "software copyright" in _problem(problems, "assets.csv:5: registry_number")
    assert _counts() == EMPTY


def test_rows_whose_issuer_row_is_bad_are_reported_as_such(tmp_path):
    """Financials and assets of an issuer whose own row is bad say the issuer has errors in
    issuers.csv; valuations of those assets say the asset has errors in assets.csv."""
    rows = _rows()
    rows["issuers.csv"][0][2] = _corrupt_lei(LEI_1)
    problems = _import_fails(_write(tmp_path / "b", _files(rows)))
    assert _prefixes(problems) == {
        "issuers.csv:2: lei", "financials.csv:2: issuer_id", "financials.csv:3: issuer_id",
        "assets.csv:2: issuer_id", "assets.csv:3: issuer_id", "valuations.csv:2: asset_id",
        "valuations.csv:3: asset_id"}
    assert "'I1' has errors in issuers.csv" in _problem(problems, "assets.csv:2: issuer_id")
    assert "'I1' has errors in issuers.csv" in _problem(problems,
                                                       "financials.csv:3: issuer_id")
    assert "'A1' has errors in assets.csv" in _problem(problems, "valuations.csv:3: asset_id")
    assert _counts() == EMPTY


def test_several_bad_rows_in_several_files_are_all_reported(tmp_path):
    """Every bad row of every file is reported at once, at its exact line, with nothing
    written; a blank line and a quoted multi-line cell before a row keep its number right."""
    rows = _rows()
    rows["issuers.csv"].append(["I3", "Third Co.", "", "", "CN", "", "", "sme", "",
                                "nineteen"])                 # issuers line 4
    rows["financials.csv"][0][5] = "-3"           # financials line 3 (after a blank line)
    rows["financials.csv"][2][1] = ""             # financials line 5
    rows["assets.csv"][1][11] = "9"               # assets line 3: Nice classes on a patent
    rows["assets.csv"][2][11] = "9;class 42"      # assets line 4
    rows["assets.csv"][3][4] = "Cloudbrand ERP\nV3.0"  # assets lines 5-6, quoted: fine
    rows["assets.csv"].append(["A5", "I1", "trademark", "7654321", "SUNRISE", "CN",
                               "2020-01-01", "2019-01-01", "", "", "", "", "active"])  # line 7
    rows["valuations.csv"][0][3] = "0"            # valuations line 2
    rows["valuations.csv"][1][2] = "guess"        # valuations line 3
    rows["valuations.csv"][1][5] = "2999-01-01"   # valuations line 3
    files = _files(rows)
    files["financials.csv"] = files["financials.csv"].replace(
        b"carbon_rnd_expense\n", b"carbon_rnd_expense\n\n", 1)
    problems = _import_fails(_write(tmp_path / "b", files))

    assert _prefixes(problems) == {
        "issuers.csv:4: founded_year",
        "financials.csv:3: employees", "financials.csv:5: year",
        "assets.csv:3: nice_classes", "assets.csv:4: nice_classes", "assets.csv:7: row",
        "valuations.csv:2: row", "valuations.csv:3: method", "valuations.csv:3: valuation_date",
        "valuations.csv:4: asset_id",  # A3, whose row (assets line 4) is bad
    }
    assert "'nineteen' is not a whole number" in _problem(problems,
                                                         "issuers.csv:4: founded_year")
    assert "Only trademarks" in _problem(problems, "assets.csv:3: nice_classes")
    assert "Grant date cannot be before the filing date" in _problem(problems,
                                                                     "assets.csv:7: row")
    assert "above zero" in _problem(problems, "valuations.csv:2: row")
    assert "future" in _problem(problems, "valuations.csv:3: valuation_date")
    assert "'A3' has errors in assets.csv" in _problem(problems, "valuations.csv:4: asset_id")
    assert _counts() == EMPTY


def test_bad_row_after_a_multiline_cell_is_reported_at_its_first_line(tmp_path):
    """A row whose quoted title spans lines 5-6 is reported at line 5, where it starts."""
    rows = _rows()
    rows["assets.csv"][3][4] = "Cloudbrand ERP\nV3.0"
    rows["assets.csv"][3][3] = "2021SR12"
    problems = _import_fails(_write(tmp_path / "b", _files(rows)))
    assert _prefixes(problems) == {"assets.csv:5: registry_number"}


def test_nothing_written_when_only_the_last_file_is_bad(tmp_path):
    """Good issuers, financials and assets are rolled back when one valuation row is bad:
    no record and no audit entry survive, and no dispersion recompute is scheduled."""
    rows = _rows()
    rows["valuations.csv"][2][4] = "yuan"
    problems = _import_fails(_write(tmp_path / "b", _files(rows)))
    assert _prefixes(problems) == {"valuations.csv:4: currency"}
    assert _counts() == EMPTY


def test_import_bundle_function_raises_table_invalid_with_problems():
    """import_bundle() raises TableInvalid carrying Problem objects, nothing written."""
    rows = _rows()
    rows["financials.csv"][0][3] = "1,5"
    with pytest.raises(TableInvalid) as caught:
        import_bundle(_files(rows))
    assert [(p.file, p.line, p.column) for p in caught.value.problems] == [
        ("financials.csv", 2, "revenue")]
    assert str(caught.value.problems[0]).startswith("financials.csv:2: revenue: '1,5' ")
    assert _counts() == EMPTY


def test_row_with_wrong_cell_count_is_reported(tmp_path):
    """Rows with too few or too many cells are reported with both counts."""
    files = _files(_rows())
    lines = files["assets.csv"].decode().split("\n")
    lines[2] += ",extra"
    lines[4] = ",".join(lines[4].split(",")[:5])
    files["assets.csv"] = "\n".join(lines).encode()
    problems = _import_fails(_write(tmp_path / "b", files))
    assert {"assets.csv:3: row", "assets.csv:5: row"} <= _prefixes(problems)
    assert "has 14 cells, the header has 13" in _problem(problems, "assets.csv:3: row")
    assert "has 5 cells, the header has 13" in _problem(problems, "assets.csv:5: row")
    assert _counts() == EMPTY


def test_unreadable_file_does_not_make_its_keys_unknown(tmp_path):
    """When issuers.csv cannot be read, rows referring to its ids are not called "unknown
    ... not in issuers.csv": the problem reported is the file's own."""
    files = _files(_rows())
    files["issuers.csv"] = _without_column(files["issuers.csv"], "founded_year")
    problems = _import_fails(_write(tmp_path / "b", files))
    assert "issuers.csv:1: founded_year" in _prefixes(problems)
    assert not [p for p in problems if "not in issuers.csv" in p], problems
    assert _counts() == EMPTY


def test_empty_file_is_reported(tmp_path):
    """An empty (zero-byte) registry file is reported on line 1."""
    files = _files(_rows())
    files["financials.csv"] = b""
    problems = _import_fails(_write(tmp_path / "b", files))
    assert "financials.csv:1: header: the file is empty" in problems
    assert _counts() == EMPTY


def test_bundle_without_registry_files_is_reported(tmp_path):
    """A folder with no known registry file is refused, naming the expected files."""
    folder = _write(tmp_path / "b", {"readme.txt": b"hello", "deals.csv": b"deal_id\n"})
    problems = _import_fails(folder)
    assert len(problems) == 1
    assert problems[0].startswith("(bundle):0: files: no registry file found")
    assert "issuers.csv" in problems[0]
    assert _counts() == EMPTY


def test_missing_path_is_a_command_error(tmp_path):
    """A path that is neither a folder nor a .zip gives a CommandError saying so."""
    with pytest.raises(CommandError, match="neither a folder nor a .zip"):
        call_command("import_bundle", str(tmp_path / "nope.zip"), stderr=io.StringIO())
