"""Tests for the deals' part of the interchange bundle (DESIGN 6.1).

One `import_bundle` run reads all ten files in one transaction: a valid bundle imports with each
deal stepped through its status machine, importing it again changes nothing, an export imports
back byte for byte, and a malformed bundle writes nothing and reports every bad row as
`file:line: column: reason`.
"""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from core.models import AuditEntry
from core.tabular import TableInvalid
from deals import services
from deals.bundle import FILES, export_bundle, import_bundle, read_bundle, status_path
from deals.choices import TRANSITIONS
from deals.models import Benchmark, Deal, DealEvent, FxRate, PoolAsset, Tranche
from ipregistry.identifiers import uscc_check_character
from ipregistry.models import IPAsset, Issuer, IssuerFinancials, Pledge, Valuation
from tests.factories import IPAssetFactory, IssuerFactory, PledgeFactory

pytestmark = pytest.mark.django_db

USCC_1 = "91440300MA5F00001" + uscc_check_character("91440300MA5F00001")
USCC_2 = "91330100MA2H00002" + uscc_check_character("91330100MA2H00002")

ISSUERS = [
    ["I1", "Shenzhen Sunrise Photovoltaic Co., Ltd.", "", USCC_1, "CN", "CN-GD", "Shenzhen",
     "sme", "Clean energy", "2012"],
    ["I2", "Hangzhou Cloudbrand Software Co., Ltd.", "", USCC_2, "CN", "CN-ZJ", "Hangzhou",
     "large", "Software", "2005"],
]
FINANCIALS = [
    ["I1", "2023", "CNY", "150000000", "12000000", "420", "180", "25", "4000000"],
]
ASSETS = [
    ["A1", "I1", "invention_patent", "CN112345678B", "Perovskite tandem solar cell", "CN",
     "2019-05-10", "2021-08-20", "2039-05-10", "Y02E 10/549", "H01L 31/0725", "", "active"],
    ["A2", "I1", "utility_model", "CN212345678U", "Coffee grinder housing", "CN",
     "2020-03-02", "2020-11-10", "2030-03-02", "A47J 31/00", "", "", "active"],
    ["A3", "I2", "trademark", "12345678", "CLOUDBRAND", "CN",
     "2018-01-15", "2019-02-14", "2029-02-13", "", "", "42;9", "active"],
    ["A4", "I2", "copyright_software", "2021SR0123456", "Cloudbrand ERP V3.0", "CN",
     "2021-01-20", "", "", "", "", "", "active"],
]
VALUATIONS = [
    ["A1", "China Appraisal Co.", "income", "120000000", "CNY", "2024-01-31"],
]
BENCHMARKS = [
    ["CN", "2023", "CNY", "0.045", "1900000000000", "0.012"],   # line 2
    ["CN", "2024", "CNY", "0.0425", "", "-0.004"],              # line 3
    ["US", "2024", "USD", "0.081", "", ""],                     # line 4
]
FX = [
    ["CNY", "2023", "0.1412"],   # line 2
    ["CNY", "2024", "0.1389"],   # line 3
    ["USD", "2024", "1"],        # line 4
]
DEALS = [
    ["D1", "Sunrise PV IP ABS 2024-1", "I1", "CN", "CN-GD", "Shenzhen", "SZSE",
     "licence_royalty", "issued", "2024-03-15", "2029-03-15", "CNY", "100000000", "green",
     "7.2;9.5"],                                                                   # line 2
    ["D2", "Cloudbrand Licence ABS 2023", "I2", "CN", "CN-ZJ", "Hangzhou", "SSE",
     "licence_royalty", "amortizing", "2023-06-01", "2028-06-01", "CNY", "50000000", "",
     ""],                                                                          # line 3
    ["D3", "Sunrise pledged loan (draft)", "I1", "CN", "CN-GD", "", "", "pledged_loan",
     "draft", "", "", "CNY", "20000000", "", ""],                                  # line 4
    ["D4", "Cloudbrand 2022 (terminated)", "I2", "CN", "CN-ZJ", "", "", "licence_royalty",
     "terminated", "", "", "CNY", "10000000", "", ""],                             # line 5
    ["D5", "Sunrise 2020 (matured)", "I1", "CN", "CN-GD", "", "SZSE", "supply_chain",
     "matured", "2020-05-01", "2023-05-01", "CNY", "30000000", "", "9.5"],         # line 6
]
TRANCHES = [
    ["D1", "Senior A", "1", "80000000", "0.032", "AAA"],   # line 2
    ["D1", "Sub", "2", "20000000", "", ""],                # line 3
    ["D2", "A", "1", "45000000", "0.035", "AA+"],          # line 4
    ["D2", "B", "2", "5000000", "0.06", "AA-"],            # line 5
    ["D3", "A", "1", "20000000", "0.05", ""],              # line 6
    ["D4", "A", "1", "10000000", "0.04", "AA"],            # line 7
    ["D5", "A", "1", "30000000", "0.03", "AAA"],           # line 8
]
POOL = [
    ["D1", "A1", "120000000", "100000000"],   # line 2
    ["D2", "A3", "60000000", "50000000"],     # line 3
    ["D3", "A4", "25000000", ""],             # line 4
    ["D4", "A3", "15000000", "10000000"],     # line 5: the same trademark, pool released
    ["D5", "A2", "35000000", "30000000"],     # line 6
]
EVENTS = [
    ["D1", "2024-09-30", "downgrade", "Sub downgraded to BB"],        # line 2
    ["D2", "2024-06-30", "missed_payment", "Q2 collections short"],   # line 3
    ["D5", "2023-05-01", "matured", ""],                              # line 4
]

# Transitions each deal goes through: the shortest path from draft to its status.
PATHS = {"D1": ["registered", "issued"], "D2": ["registered", "issued", "amortizing"],
         "D3": [], "D4": ["terminated"], "D5": ["registered", "issued", "matured"]}


def _rows() -> dict[str, list[list[str]]]:
    """A fresh copy of the valid bundle's rows, to be spoiled by each malformed test."""
    data = {"issuers.csv": ISSUERS, "financials.csv": FINANCIALS, "assets.csv": ASSETS,
            "valuations.csv": VALUATIONS, "benchmarks.csv": BENCHMARKS, "fx.csv": FX,
            "deals.csv": DEALS, "tranches.csv": TRANCHES, "pool.csv": POOL,
            "events.csv": EVENTS}
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


def _counts() -> dict[str, int]:
    return {"issuers": Issuer.objects.count(), "assets": IPAsset.objects.count(),
            "deals": Deal.objects.count(), "tranches": Tranche.objects.count(),
            "pool": PoolAsset.objects.count(), "events": DealEvent.objects.count(),
            "benchmarks": Benchmark.objects.count(), "fx": FxRate.objects.count(),
            "audit": AuditEntry.objects.count()}


def _import_fails(path) -> list[str]:
    """Run the command on a bad bundle; return the problem lines it wrote to stderr."""
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_bundle", str(path), stderr=err, stdout=io.StringIO())
    return [line for line in err.getvalue().splitlines() if line.strip()]


def _fails(tmp_path, rows) -> list[str]:
    return _import_fails(_write(tmp_path / "bad", _files(rows)))


def _prefixes(problems: list[str]) -> set[str]:
    """`file:line: column` of each `file:line: column: reason` line."""
    return {": ".join(p.split(": ")[:2]) for p in problems}


def _problem(problems: list[str], prefix: str) -> str:
    matches = [p for p in problems if p.startswith(prefix + ": ")]
    assert len(matches) == 1, (prefix, problems)
    return matches[0]


def _wipe():
    Deal.objects.all().delete()  # with its tranches, pool and events
    Benchmark.objects.all().delete()
    FxRate.objects.all().delete()
    Pledge.objects.all().delete()
    Valuation.objects.all().delete()
    IPAsset.objects.all().delete()
    IssuerFinancials.objects.all().delete()
    Issuer.objects.all().delete()
    AuditEntry.objects.all().delete()


def _state() -> dict:
    """Everything a re-import could touch, down to the save timestamps."""
    return {
        "deals": sorted(Deal.objects.values_list("pk", "external_ref", "status", "size",
                                                 "updated_at", "senior_coupon")),
        "tranches": sorted(Tranche.objects.values_list("pk", "deal_id", "name", "rank", "size",
                                                       "balance", "coupon_rate")),
        "pool": sorted(PoolAsset.objects.values_list("pk", "deal_id", "asset_id",
                                                     "cutoff_value", "financing_amount",
                                                     "live")),
        "events": sorted(DealEvent.objects.values_list("pk", "deal_id", "date", "event_type")),
        "benchmarks": sorted(Benchmark.objects.values_list("pk", "country", "year",
                                                           "sme_loan_rate")),
        "fx": sorted(FxRate.objects.values_list("pk", "currency", "year", "rate_to_usd")),
        "audit": AuditEntry.objects.count(),
    }


@pytest.fixture
def bundle_dir(tmp_path):
    return _write(tmp_path / "bundle", _files(_rows()))


def _stored_deal(*, name="Stored live deal", asset=None) -> Deal:
    """A deal made on the pages, holding an asset in its live (draft) pool."""
    deal = services.deal_create(actor=None, name=name, originator=IssuerFactory(), country="CN",
                                structure="licence_royalty", currency="CNY",
                                size=Decimal("1000000"))
    if asset is not None:
        services.pool_add(actor=None, deal=deal, asset=asset, cutoff_value=Decimal("1000000"))
    return deal


# --- the status path --------------------------------------------------------------------------


def test_status_path_is_the_shortest_legal_path():
    """From draft every status is reachable; nothing leads back; the path is the shortest."""
    assert status_path("draft", "draft") == []
    assert status_path("draft", "terminated") == ["terminated"]
    assert status_path("draft", "defaulted") == ["registered", "issued", "defaulted"]
    assert status_path("registered", "amortizing") == ["issued", "amortizing"]
    assert status_path("matured", "issued") is None
    assert status_path("issued", "draft") is None
    for status in TRANSITIONS:
        steps = ["draft", *status_path("draft", status)]
        assert steps[-1] == status
        assert all(b in TRANSITIONS[a] for a, b in zip(steps, steps[1:], strict=False))


# --- a valid bundle -------------------------------------------------------------------------


def test_valid_bundle_imports_all_ten_files(bundle_dir):
    """Every file imports: deals reach their status through the state machine (audited),
    tranches and pools are attached first, a closed deal's pool is released, and the
    reference data and events are stored with their values."""
    out = io.StringIO()
    call_command("import_bundle", str(bundle_dir), stdout=out)

    for summary in ("deals.csv: 5 created, 0 updated", "tranches.csv: 7 created, 0 updated",
                    "pool.csv: 5 created, 0 updated", "events.csv: 3 created, 0 updated",
                    "benchmarks.csv: 3 created, 0 updated", "fx.csv: 3 created, 0 updated",
                    "issuers.csv: 2 created, 0 updated"):
        assert summary in out.getvalue()
    counts = _counts()
    assert {k: v for k, v in counts.items() if k != "audit"} == {
        "issuers": 2, "assets": 4, "deals": 5, "tranches": 7, "pool": 5, "events": 3,
        "benchmarks": 3, "fx": 3}

    deals = {deal.external_ref: deal for deal in Deal.objects.all()}
    assert {key: deal.status for key, deal in deals.items()} == {
        "D1": "issued", "D2": "amortizing", "D3": "draft", "D4": "terminated",
        "D5": "matured"}
    d1 = deals["D1"]
    assert (d1.name, d1.originator.external_ref, d1.province, d1.city, d1.venue) == (
        "Sunrise PV IP ABS 2024-1", "I1", "CN-GD", "Shenzhen", "SZSE")
    assert (d1.structure, d1.issue_date, d1.legal_final_date, d1.currency, d1.size) == (
        "licence_royalty", date(2024, 3, 15), date(2029, 3, 15), "CNY", Decimal("100000000"))
    assert (d1.label, d1.sdg_targets) == ("green", ["7.2", "9.5"])
    assert deals["D2"].label == "none"  # empty cell: the default
    # derived by the services
    assert (d1.issue_year, d1.senior_coupon, d1.senior_rating) == (2024, Decimal("0.032"),
                                                                   "AAA")

    senior, sub = Tranche.objects.filter(deal=d1).order_by("rank")
    assert (senior.name, senior.size, senior.balance, senior.coupon_rate, senior.rating) == (
        "Senior A", Decimal("80000000"), Decimal("80000000"), Decimal("0.032"), "AAA")
    assert (sub.name, sub.rank, sub.coupon_rate, sub.rating) == ("Sub", 2, None, "")

    live = {(entry.deal.external_ref, entry.asset.external_ref): entry.live
            for entry in PoolAsset.objects.select_related("deal", "asset")}
    assert live == {("D1", "A1"): True, ("D2", "A3"): True, ("D3", "A4"): True,
                    ("D4", "A3"): False, ("D5", "A2"): False}
    d3_entry = PoolAsset.objects.get(deal=deals["D3"])
    assert (d3_entry.cutoff_value, d3_entry.financing_amount) == (Decimal("25000000"), 0)

    event = DealEvent.objects.get(deal=deals["D2"])
    assert (event.date, event.event_type, event.details) == (
        date(2024, 6, 30), "missed_payment", "Q2 collections short")
    cn = Benchmark.objects.get(country="CN", year=2024)
    assert (cn.currency, cn.sme_loan_rate, cn.total_abs_issuance,
            cn.industry_employment_growth) == ("CNY", Decimal("0.0425"), None,
                                                Decimal("-0.004"))
    assert FxRate.objects.get(currency="CNY", year=2023).rate_to_usd == Decimal("0.1412")

    # The audit trail: every record created, every status change recorded with its path.
    def actions(action):
        return AuditEntry.objects.filter(action=action)

    assert actions("deals.deal.create").count() == 5
    assert actions("deals.tranche.create").count() == 7
    assert actions("deals.poolasset.create").count() == 5
    assert actions("deals.dealevent.create").count() == 3
    assert actions("deals.benchmark.create").count() == 3
    assert actions("deals.fxrate.create").count() == 3
    for key, path in PATHS.items():
        entries = actions("deals.deal.transition").filter(
            object_id=str(deals[key].pk)).order_by("pk")
        steps = [entry.changes["status"] for entry in entries]
        assert steps == [[a, b] for a, b in zip(["draft", *path], path, strict=False)], key
    assert actions("deals.deal.transition").count() == sum(map(len, PATHS.values()))


def test_import_bundle_function_returns_summary():
    """import_bundle() returns created/updated counts for every file."""
    summary = import_bundle(_files(_rows()))
    assert summary.created == {"issuers.csv": 2, "financials.csv": 1, "assets.csv": 4,
                               "valuations.csv": 1, "benchmarks.csv": 3, "fx.csv": 3,
                               "deals.csv": 5, "tranches.csv": 7, "pool.csv": 5,
                               "events.csv": 3}


def test_importing_identical_bundle_twice_changes_nothing(bundle_dir):
    """The second import of the same bundle creates nothing, transitions nothing, saves no
    deal again and writes no audit entry."""
    call_command("import_bundle", str(bundle_dir), stdout=io.StringIO())
    before = _state()

    out = io.StringIO()
    call_command("import_bundle", str(bundle_dir), stdout=out)

    assert _state() == before
    assert "deals.csv: 0 created, 5 updated" in out.getvalue()
    assert "tranches.csv: 0 created, 7 updated" in out.getvalue()
    assert "events.csv: 0 created, 3 updated" in out.getvalue()


def test_draft_deal_is_restructured_in_place_and_can_advance():
    """A stored draft takes the file's terms, tranches and pool (added, changed, removed, each
    audited), then moves on to the status in the file."""
    import_bundle(_files(_rows()))
    d3 = Deal.objects.get(external_ref="D3")
    old_tranche = Tranche.objects.get(deal=d3)
    rows = _rows()
    rows["deals.csv"][2][1] = "Sunrise pledged loan 2025"
    rows["deals.csv"][2][8] = "registered"
    rows["tranches.csv"][4] = ["D3", "A", "1", "15000000", "0.05", "A+"]
    rows["tranches.csv"].append(["D3", "B", "2", "5000000", "0.07", ""])
    rows["pool.csv"][2] = ["D3", "A4", "26000000", "1000"]
    audit_before = AuditEntry.objects.count()

    summary = import_bundle(_files(rows))

    d3.refresh_from_db()
    assert (d3.name, d3.status) == ("Sunrise pledged loan 2025", "registered")
    a, b = Tranche.objects.filter(deal=d3).order_by("rank")
    assert a.pk == old_tranche.pk
    assert (a.size, a.balance, a.rating, b.name, b.coupon_rate) == (
        Decimal("15000000"), Decimal("15000000"), "A+", "B", Decimal("0.07"))
    entry = PoolAsset.objects.get(deal=d3)
    assert (entry.cutoff_value, entry.financing_amount) == (Decimal("26000000"),
                                                            Decimal("1000"))
    new = AuditEntry.objects.filter(pk__gt=0).order_by("pk")[audit_before:]
    assert sorted(entry.action for entry in new) == [
        "deals.deal.transition", "deals.deal.update", "deals.poolasset.update",
        "deals.tranche.create", "deals.tranche.update"]
    assert summary.created == {"tranches.csv": 1}


def test_draft_tranche_left_out_is_removed():
    """The file's tranches for a draft are its tranches: one left out is deleted (audited)."""
    import_bundle(_files(_rows()))
    rows = _rows()
    rows["tranches.csv"][4] = ["D3", "Senior", "1", "20000000", "0.05", ""]
    import_bundle(_files(rows))
    d3 = Deal.objects.get(external_ref="D3")
    assert list(d3.tranches.values_list("name", flat=True)) == ["Senior"]
    assert AuditEntry.objects.filter(action="deals.tranche.delete").count() == 1


def test_deals_only_bundle_references_stored_registry():
    """A bundle without registry files may refer to stored issuers and assets."""
    rows = _rows()
    import_bundle(_files({name: rows[name] for name in
                          ("issuers.csv", "financials.csv", "assets.csv", "valuations.csv")}))
    import_bundle(_files({name: rows[name] for name in
                          ("benchmarks.csv", "fx.csv", "deals.csv", "tranches.csv", "pool.csv",
                           "events.csv")}))
    assert Deal.objects.get(external_ref="D2").status == "amortizing"
    assert PoolAsset.objects.get(deal__external_ref="D1").asset.external_ref == "A1"


def test_reference_data_only_bundle_updates_in_place():
    """benchmarks.csv and fx.csv alone: upsert by (country, year) and (currency, year)."""
    rows = _rows()
    import_bundle(_files({"benchmarks.csv": rows["benchmarks.csv"], "fx.csv": rows["fx.csv"]}))
    rows["benchmarks.csv"][0][3] = "0.05"
    rows["fx.csv"][1][2] = "0.14"
    summary = import_bundle(_files({"benchmarks.csv": rows["benchmarks.csv"],
                                    "fx.csv": rows["fx.csv"]}))
    assert summary.created == {}
    assert summary.updated == {"benchmarks.csv": 3, "fx.csv": 3}
    assert Benchmark.objects.get(country="CN", year=2023).sme_loan_rate == Decimal("0.05")
    assert FxRate.objects.get(currency="CNY", year=2024).rate_to_usd == Decimal("0.14")
    assert AuditEntry.objects.filter(action__endswith=".update").count() == 2


# --- export -----------------------------------------------------------------------------------


def test_export_wipe_import_export_is_byte_identical(tmp_path):
    """Export all ten files, wipe, import the export, export again: the same bytes, the same
    statuses and pool flags; a deal made on the pages keeps its key deal-N."""
    import_bundle(_files(_rows()))
    page_deal = _stored_deal(name='Quoted "deal", with comma')
    services.tranche_create(actor=None, deal=page_deal, name="A", rank=1,
                            size=Decimal("1000000"), coupon_rate=Decimal("0.04"))
    services.pool_add(actor=None, deal=page_deal, asset=IPAssetFactory(owner=page_deal.originator),
                      cutoff_value=Decimal("1500000.5"))
    assert page_deal.external_ref == f"deal-{page_deal.pk}"

    first = tmp_path / "first"
    out = io.StringIO()
    call_command("export_bundle", str(first), stdout=out)
    assert "deals.csv: 6 rows" in out.getvalue()
    assert "tranches.csv: 8 rows" in out.getvalue()
    exported = {name: (first / name).read_bytes() for name in FILES}
    assert set(exported) == set(FILES)
    deals_lines = exported["deals.csv"].decode().splitlines()
    assert deals_lines[0] == ",".join(c.name for c in FILES["deals.csv"])
    assert deals_lines[1].startswith("D1,Sunrise PV IP ABS 2024-1,I1,CN,CN-GD,")
    assert ",issued,2024-03-15,2029-03-15,CNY,100000000.00,green,7.2;9.5" in deals_lines[1]
    assert exported["tranches.csv"].decode().splitlines()[1:3] == [
        "D1,Senior A,1,80000000.00,0.032000,AAA", "D1,Sub,2,20000000.00,,"]
    snapshot = sorted(PoolAsset.objects.values_list("deal__external_ref",
                                                    "asset__external_ref", "live"))
    statuses = dict(Deal.objects.values_list("external_ref", "status"))

    _wipe()
    assert set(_counts().values()) == {0}

    call_command("import_bundle", str(first), stdout=io.StringIO())
    second = tmp_path / "second"
    export_bundle(second)

    assert {name: (second / name).read_bytes() for name in FILES} == exported
    assert sorted(PoolAsset.objects.values_list("deal__external_ref", "asset__external_ref",
                                                "live")) == snapshot
    assert dict(Deal.objects.values_list("external_ref", "status")) == statuses


def test_export_to_zip_imports_back(tmp_path):
    """A .zip export holds the ten files and imports back."""
    import_bundle(_files(_rows()))
    path = tmp_path / "out" / "bundle.zip"
    counts = export_bundle(path)
    assert counts == {"issuers.csv": 2, "financials.csv": 1, "assets.csv": 4,
                      "valuations.csv": 1, "benchmarks.csv": 3, "fx.csv": 3, "deals.csv": 5,
                      "tranches.csv": 7, "pool.csv": 5, "events.csv": 3}
    assert set(read_bundle(path)) == set(FILES)
    _wipe()
    call_command("import_bundle", str(path), stdout=io.StringIO())
    assert Deal.objects.get(external_ref="D5").status == "matured"


def test_export_of_empty_database_writes_ten_header_rows(tmp_path):
    export_bundle(tmp_path)
    for name, columns in FILES.items():
        assert (tmp_path / name).read_text(encoding="utf-8") == ",".join(
            c.name for c in columns) + "\n"


# --- malformed bundles: nothing written, every bad row reported -------------------------


def test_unknown_references_are_reported(tmp_path):
    """Unknown originator, deal and asset ids are each reported on their column."""
    rows = _rows()
    rows["deals.csv"][2][2] = "I9"           # deals line 4: D3's originator
    rows["tranches.csv"].append(["D9", "A", "1", "1", "", ""])   # tranches line 9
    rows["pool.csv"].append(["D8", "A1", "1", ""])               # pool line 7
    rows["pool.csv"][4][1] = "A9"            # pool line 6: D5's asset
    rows["events.csv"].append(["D7", "2024-01-01", "default", ""])   # events line 5
    problems = _fails(tmp_path, rows)
    assert _prefixes(problems) == {
        "deals.csv:4: originator_id",
        "tranches.csv:6: deal_id",   # D3's tranche: its deal row is bad
        "pool.csv:4: deal_id",       # D3's pool entry
        "tranches.csv:9: deal_id", "pool.csv:7: deal_id", "pool.csv:6: asset_id",
        "events.csv:5: deal_id"}
    assert "unknown originator_id 'I9' (not in issuers.csv nor stored)" in _problem(
        problems, "deals.csv:4: originator_id")
    assert "'D3' has errors in deals.csv" in _problem(problems, "tranches.csv:6: deal_id")
    assert "unknown deal_id 'D9'" in _problem(problems, "tranches.csv:9: deal_id")
    assert "unknown deal_id 'D8'" in _problem(problems, "pool.csv:7: deal_id")
    assert "unknown asset_id 'A9' (not in assets.csv nor stored)" in _problem(
        problems, "pool.csv:6: asset_id")
    assert "unknown deal_id 'D7'" in _problem(problems, "events.csv:5: deal_id")
    assert set(_counts().values()) == {0}


def test_assets_that_are_not_free_are_refused_naming_the_asset(tmp_path):
    """Pool isolation applies to imports: an asset in another live pool, a lapsed asset and an
    asset pledged to someone else are refused on asset_id, the reason naming the asset."""
    busy = IPAssetFactory(registry_number="CN110000777B", title="Busy battery patent")
    _stored_deal(name="Stored live deal", asset=busy)
    pledged = IPAssetFactory(registry_number="CN110000888B", title="Pledged battery patent")
    PledgeFactory(asset=pledged, pledgee="Bank of Shenzhen")
    before = _counts()
    rows = _rows()
    rows["pool.csv"][0][1] = busy.external_ref      # pool line 2, D1
    rows["assets.csv"][3][12] = "lapsed"            # A4, in D3's pool (line 4)
    rows["pool.csv"][4][1] = pledged.external_ref   # pool line 6, D5
    problems = _fails(tmp_path, rows)
    assert _prefixes(problems) == {"pool.csv:2: asset_id", "pool.csv:4: asset_id",
                                   "pool.csv:6: asset_id"}
    assert _problem(problems, "pool.csv:2: asset_id") == (
        "pool.csv:2: asset_id: CN110000777B (Busy battery patent) already sits in the live "
        "pool of Stored live deal.")
    assert _problem(problems, "pool.csv:4: asset_id") == (
        "pool.csv:4: asset_id: 2021SR0123456 (Cloudbrand ERP V3.0) is lapsed.")
    assert _problem(problems, "pool.csv:6: asset_id") == (
        "pool.csv:6: asset_id: CN110000888B (Pledged battery patent) is pledged to Bank of "
        "Shenzhen since 2023-05-01 and not released.")
    assert _counts() == before


def test_one_asset_in_two_live_pools_of_the_bundle_is_refused(tmp_path):
    """Two live deals of the same bundle cannot both hold an asset."""
    rows = _rows()
    rows["pool.csv"][2][1] = "A1"   # D3 (draft, live) as well as D1 (issued)
    problems = _fails(tmp_path, rows)
    assert _prefixes(problems) == {"pool.csv:4: asset_id"}
    assert "CN112345678B (Perovskite tandem solar cell) already sits in the live pool of " \
           "Sunrise PV IP ABS 2024-1" in _problem(problems, "pool.csv:4: asset_id")


def test_structure_problems_are_each_reported(tmp_path):
    """Duplicate tranche rank or name within a deal, negative sizes, a pool entry twice."""
    rows = _rows()
    rows["tranches.csv"][1][2] = "1"        # line 3: D1 rank 1 again
    rows["tranches.csv"][3][1] = "A"        # line 5: D2 name A again
    rows["tranches.csv"][6][3] = "-30000000"   # line 8: D5 negative size
    rows["deals.csv"][3][12] = "-5"         # deals line 5: D4 negative size
    rows["pool.csv"].append(["D5", "A2", "1", ""])   # pool line 7: twice in D5
    rows["pool.csv"][1][2] = "-1"           # pool line 3: negative cut-off
    problems = _fails(tmp_path, rows)
    assert _prefixes(problems) == {
        "tranches.csv:3: rank", "tranches.csv:5: name", "tranches.csv:8: size",
        "deals.csv:5: size", "tranches.csv:7: deal_id", "pool.csv:5: deal_id",
        "pool.csv:7: asset_id", "pool.csv:3: cutoff_value"}
    assert "duplicate of line 2 (D1, rank 1)" in _problem(problems, "tranches.csv:3: rank")
    assert "duplicate of line 4 (D2, A)" in _problem(problems, "tranches.csv:5: name")
    assert "A tranche cannot be negative." in _problem(problems, "tranches.csv:8: size")
    assert "above zero" in _problem(problems, "deals.csv:5: size")
    assert "'D4' has errors in deals.csv" in _problem(problems, "tranches.csv:7: deal_id")
    assert "duplicate of line 6 (D5, A2)" in _problem(problems, "pool.csv:7: asset_id")
    assert "cannot be negative" in _problem(problems, "pool.csv:3: cutoff_value")
    assert set(_counts().values()) == {0}


def test_unknown_status_is_reported_on_its_column(tmp_path):
    """A status the machine does not know is a problem; the deal's other rows say so."""
    rows = _rows()
    rows["deals.csv"][0][8] = "launched"
    problems = _fails(tmp_path, rows)
    assert _prefixes(problems) == {"deals.csv:2: status", "tranches.csv:2: deal_id",
                                   "tranches.csv:3: deal_id", "pool.csv:2: deal_id",
                                   "events.csv:2: deal_id"}
    assert "'launched' is not a deal status" in _problem(problems, "deals.csv:2: status")
    assert set(_counts().values()) == {0}


def test_status_that_cannot_be_reached_is_reported(tmp_path):
    """A stored matured deal cannot be issued again, nor an issued one go back to draft; a
    deal issued without an issue date, or registered without tranches, is refused too."""
    import_bundle(_files(_rows()))
    before = _state()
    rows = _rows()
    rows["deals.csv"][4][8] = "issued"    # line 6: D5 is matured
    rows["deals.csv"][0][8] = "draft"     # line 2: D1 is issued
    rows["deals.csv"].append(["D6", "No date", "I1", "CN", "", "", "", "licence_royalty",
                              "issued", "", "", "CNY", "1000", "", ""])     # line 7
    rows["deals.csv"].append(["D7", "No tranches", "I2", "CN", "", "", "", "licence_royalty",
                              "registered", "", "", "CNY", "1000", "", ""])  # line 8
    rows["tranches.csv"].append(["D6", "A", "1", "1000", "", ""])
    rows["pool.csv"].append(["D6", "A2", "1000", ""])   # free again: D5 has matured
    problems = _fails(tmp_path, rows)
    assert _prefixes(problems) == {"deals.csv:6: status", "deals.csv:2: status",
                                   "deals.csv:7: issue_date", "deals.csv:8: status"}
    assert "deal D5 is matured and cannot become issued (no path" in _problem(
        problems, "deals.csv:6: status")
    assert "deal D1 is issued and cannot become draft" in _problem(problems,
                                                                  "deals.csv:2: status")
    assert "Set the issue date before recording issuance." in _problem(
        problems, "deals.csv:7: issue_date")
    no_parts = _problem(problems, "deals.csv:8: status")
    assert "at least one tranche" in no_parts
    assert "a pool of assets" in no_parts
    assert _state() == before


def test_issued_deal_cannot_be_restructured(tmp_path):
    """A stored deal past draft whose terms, tranches or pool differ is a problem on each
    changed cell, and nothing is half-applied."""
    import_bundle(_files(_rows()))
    before = _state()
    rows = _rows()
    rows["tranches.csv"][0][3] = "70000000"    # line 2: D1 Senior A size
    rows["tranches.csv"].append(["D1", "Mezz", "3", "10000000", "0.05", ""])   # line 9
    rows["pool.csv"][1][2] = "61000000"         # line 3: D2 cut-off value
    rows["deals.csv"][4][12] = "31000000"       # deals line 6: D5 size
    problems = _fails(tmp_path, rows)
    assert _prefixes(problems) == {
        "tranches.csv:2: size", "tranches.csv:9: name", "pool.csv:3: cutoff_value",
        "deals.csv:6: size"}
    assert _problem(problems, "tranches.csv:2: size") == (
        "tranches.csv:2: size: deal D1 is issued; its tranches cannot change "
        "(stored: 80000000.00)")
    assert "deal D1 is issued; its tranches cannot change" in _problem(
        problems, "tranches.csv:9: name")
    assert "deal D2 is amortizing; its pool cannot change" in _problem(
        problems, "pool.csv:3: cutoff_value")
    assert "deal D5 is matured; its size cannot change" in _problem(problems,
                                                                   "deals.csv:6: size")
    assert _state() == before

    rows = _rows()
    rows["tranches.csv"][6][1] = "Senior"       # line 8: D5's only tranche renamed
    problems = _fails(tmp_path / "renamed", rows)
    assert _prefixes(problems) == {"tranches.csv:8: name", "tranches.csv:8: deal_id"}
    assert "leaves out tranche A" in _problem(problems, "tranches.csv:8: deal_id")
    assert _state() == before

    # A bad cell in a stored deal's row is reported once, not also as a tranche left out.
    rows = _rows()
    rows["tranches.csv"][0][4] = "1,5"          # line 2: D1 Senior A
    problems = _fails(tmp_path / "bad-cell", rows)
    assert _prefixes(problems) == {"tranches.csv:2: coupon_rate"}
    assert _state() == before


def test_bad_values_are_each_reported(tmp_path):
    """Comma and percent rates, bad dates, bad currencies, duplicate benchmark and FX rows."""
    rows = _rows()
    rows["tranches.csv"][0][4] = "1,5"          # line 2 coupon_rate (D1)
    rows["tranches.csv"][2][4] = "5%"           # line 4 coupon_rate (D2)
    rows["tranches.csv"][3][4] = "3.5"          # line 5 coupon_rate above 1 (D2)
    rows["benchmarks.csv"][0][3] = "4.5%"       # line 2 sme_loan_rate
    rows["benchmarks.csv"][2][2] = "usd"        # line 4 currency
    rows["benchmarks.csv"].append(["cn", "2024", "CNY", "0.04", "", ""])   # line 5: duplicate
    rows["fx.csv"][1][2] = "0"                  # line 3 rate_to_usd
    rows["fx.csv"][2][0] = "DOLLAR"             # line 4 currency
    rows["fx.csv"].append(["CNY", "2023", "0.14"])   # line 5: duplicate of line 2
    rows["deals.csv"][0][9] = "15/03/2024"      # line 2 issue_date (D1)
    rows["deals.csv"][2][11] = "RMB1"           # line 4 currency (D3)
    rows["deals.csv"][4][10] = "2019-01-01"     # line 6: final before issue (D5)
    rows["events.csv"][0][1] = "2024-09-31"     # line 2 date (D1)
    rows["events.csv"][1][1] = "2024-02-30"     # line 3 date (D2)
    rows["events.csv"].append(["D4", "2022-01-01", "hiccup", ""])   # line 5 event_type
    problems = _fails(tmp_path, rows)
    assert _prefixes(problems) == {
        "tranches.csv:2: coupon_rate", "tranches.csv:4: coupon_rate",
        "tranches.csv:5: coupon_rate", "benchmarks.csv:2: sme_loan_rate",
        "benchmarks.csv:4: currency", "benchmarks.csv:5: year", "fx.csv:3: rate_to_usd",
        "fx.csv:4: currency", "fx.csv:5: year", "deals.csv:2: issue_date",
        "deals.csv:4: currency", "deals.csv:6: legal_final_date", "events.csv:2: date",
        "events.csv:3: date", "events.csv:5: event_type",
        # the rows of the deals whose own row is bad (D1, D3, D5)
        "tranches.csv:3: deal_id", "tranches.csv:6: deal_id", "tranches.csv:8: deal_id",
        "pool.csv:2: deal_id", "pool.csv:4: deal_id", "pool.csv:6: deal_id",
        "events.csv:4: deal_id"}
    assert "'1,5' is not a decimal number (use '.'" in _problem(problems,
                                                               "tranches.csv:2: coupon_rate")
    assert "'5%' is not a fraction" in _problem(problems, "tranches.csv:4: coupon_rate")
    assert "fraction between 0 and 1" in _problem(problems, "tranches.csv:5: coupon_rate")
    assert "'4.5%' is not a fraction" in _problem(problems, "benchmarks.csv:2: sme_loan_rate")
    assert "'usd' is not an ISO 4217 currency code" in _problem(problems,
                                                               "benchmarks.csv:4: currency")
    assert "duplicate of line 3 (CN, 2024)" in _problem(problems, "benchmarks.csv:5: year")
    assert "above zero" in _problem(problems, "fx.csv:3: rate_to_usd")
    assert "'DOLLAR' is not an ISO 4217" in _problem(problems, "fx.csv:4: currency")
    assert "duplicate of line 2 (CNY, 2023)" in _problem(problems, "fx.csv:5: year")
    assert "'15/03/2024' is not an ISO 8601 date" in _problem(problems,
                                                             "deals.csv:2: issue_date")
    assert "'RMB1' is not an ISO 4217" in _problem(problems, "deals.csv:4: currency")
    assert "cannot precede the issue date" in _problem(problems,
                                                      "deals.csv:6: legal_final_date")
    assert "'2024-09-31' is not an ISO 8601 date" in _problem(problems, "events.csv:2: date")
    assert "'2024-02-30' is not an ISO 8601 date" in _problem(problems, "events.csv:3: date")
    assert "hiccup" in _problem(problems, "events.csv:5: event_type")
    assert "'D5' has errors in deals.csv" in _problem(problems, "events.csv:4: deal_id")
    assert set(_counts().values()) == {0}


def test_problems_are_reported_in_file_order(tmp_path):
    """Problems come out file by file in import order, line by line."""
    rows = _rows()
    rows["pool.csv"][0][2] = "x"
    rows["fx.csv"][0][2] = "x"
    rows["deals.csv"][2][12] = "x"
    rows["assets.csv"][0][6] = "x"
    with pytest.raises(TableInvalid) as caught:
        import_bundle(_files(rows))
    assert [(p.file, p.line, p.column) for p in caught.value.problems] == [
        ("assets.csv", 2, "filing_date"), ("valuations.csv", 2, "asset_id"),
        ("fx.csv", 2, "rate_to_usd"), ("deals.csv", 4, "size"),
        ("tranches.csv", 6, "deal_id"), ("pool.csv", 2, "cutoff_value"),
        ("pool.csv", 4, "deal_id")]


def test_missing_deals_column_is_reported_on_line_1(tmp_path):
    """A deals file without a column is reported on its header; its rows are not read."""
    files = _files(_rows())
    files["tranches.csv"] = files["tranches.csv"].replace(b",rating", b"", 1)
    problems = _import_fails(_write(tmp_path / "b", files))
    assert "tranches.csv:1: rating: missing column" in problems
    assert set(_counts().values()) == {0}


def test_bundle_of_header_only_deals_files_is_refused(tmp_path):
    """Deals files without rows and no registry file: nothing to import."""
    folder = _write(tmp_path / "b", {"fx.csv": b"currency,year,rate_to_usd\n"})
    problems = _import_fails(folder)
    assert len(problems) == 1
    assert problems[0].startswith("(bundle):0: files: no registry file found, nor any other "
                                  "bundle file with rows")
    assert "events.csv" in problems[0]


# --- found while writing the bundle: a gap in the models (not the bundle's) -----------------


def test_reference_data_services_refuse_a_bad_currency():
    """KNOWN BUG (deals/models.py, reported, left failing on purpose): Benchmark and FxRate do
    not check their currency, unlike Deal, IssuerFinancials, Valuation and Licence, so
    benchmark_create / fx_create store 'usd' or '1x'. The bundle refuses such codes itself
    (parse_currency); the services, used by pages and the API, do not."""
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as fx_error:
        services.fx_create(actor=None, currency="usd", year=2024, rate_to_usd=Decimal("1"))
    assert "currency" in fx_error.value.message_dict
    with pytest.raises(ValidationError) as benchmark_error:
        services.benchmark_create(actor=None, country="CN", year=2024, currency="1x")
    assert "currency" in benchmark_error.value.message_dict
