"""Market analytics end to end (issue 6): a bundle built by hand, whose every figure is known,
is imported; the market recompute makes its snapshot; GET /api/v1/analytics/market/ answers
each key of DESIGN 6.4 as computed by hand below, with coverage for what is missing (an FX rate,
a benchmark, a beneficiary's figures), never a zero; the /market/ page, its figures' charts and
CSVs, and the filters in the URL."""

import csv
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from disclosure.bundle import FILES, import_bundle
from disclosure.quality import esg_fields
from disclosure.templates_loader import load_templates
from ipregistry.identifiers import uscc_check_character
from tests.disclosure.conftest import ESG_ANSWERS

pytestmark = pytest.mark.django_db

USCC_1 = "91440300MA5F00001" + uscc_check_character("91440300MA5F00001")
USCC_2 = "91510100MA6C00002" + uscc_check_character("91510100MA6C00002")

ROWS = {
    "issuers.csv": [
        ["I1", "Shenzhen Sunrise Photovoltaic Co., Ltd.", "", USCC_1, "CN", "CN-GD", "Shenzhen",
         "sme", "Clean energy", "2012"],
        ["I2", "Chengdu Gamma Materials Co., Ltd.", "", USCC_2, "CN", "CN-SC", "Chengdu",
         "large", "Materials", "2001"],
        ["I3", "Valley Photonics Inc.", "", "", "US", "US-CA", "San Jose", "sme", "Optics",
         "2015"],
    ],
    "financials.csv": [
        # I1: R&D intensity 5 % -> 7.5 % (+2.5 pp), staff +30 %.
        ["I1", "2022", "CNY", "100000000", "5000000", "100", "40", "5", "1000000"],
        ["I1", "2024", "CNY", "120000000", "9000000", "130", "50", "9", "2000000"],
        # I2: 4 % -> 5 % (+1 pp), staff +5 %.
        ["I2", "2022", "CNY", "50000000", "2000000", "200", "60", "3", "0"],
        ["I2", "2024", "CNY", "50000000", "2500000", "210", "60", "4", "0"],
    ],
    "assets.csv": [
        ["A1", "I1", "invention_patent", "CN112345678B", "Perovskite tandem solar cell", "CN",
         "2019-05-10", "2021-08-20", "2039-05-10", "Y02E 10/549", "H01L 31/0725", "",
         "active"],
        ["A2", "I2", "trademark", "12345678", "GAMMA", "CN", "2018-01-15", "2019-02-14",
         "2029-02-13", "", "", "1;17", "active"],
        ["A3", "I3", "copyright_software", "2021SR0123456", "Valley optics suite", "CN",
         "2021-01-20", "", "", "", "", "", "active"],
        ["A4", "I1", "utility_model", "CN212345678U", "Inverter housing", "CN", "2020-03-02",
         "2020-11-10", "2030-03-02", "H02M 1/00", "", "", "active"],
    ],
    "valuations.csv": [
        ["A1", "Appraiser One", "income", "100", "CNY", "2023-01-31"],
        ["A1", "Appraiser Two", "market", "150", "CNY", "2023-02-28"],  # 50 % apart
        ["A2", "Appraiser One", "income", "100", "CNY", "2023-01-31"],
        ["A2", "Appraiser Two", "cost", "110", "CNY", "2023-02-28"],  # 10 % apart
    ],
    "benchmarks.csv": [
        ["CN", "2023", "CNY", "0.055", "100000", "0.05"],
        ["US", "2024", "USD", "0.09", "1000000", ""],
    ],
    "fx.csv": [["CNY", "2023", "0.14"], ["USD", "2023", "1"], ["USD", "2024", "1"]],
    "deals.csv": [
        ["D1", "Sunrise PV IP ABS 2023-1", "I1", "CN", "CN-GD", "Shenzhen", "SZSE",
         "licence_royalty", "issued", "2023-03-01", "2030-03-01", "CNY", "1000", "green",
         "7.2"],
        ["D2", "Gamma Brand ABS 2023", "I2", "CN", "CN-SC", "Chengdu", "SSE",
         "licence_royalty", "issued", "2023-06-01", "2028-06-01", "CNY", "500", "", ""],
        ["D3", "Valley Royalty Notes 2024", "I3", "US", "US-CA", "San Jose", "144A",
         "future_flow", "defaulted", "2024-05-01", "2031-05-01", "USD", "200", "", ""],
        ["D4", "Sunrise draft", "I1", "CN", "CN-GD", "", "", "pledged_loan", "draft", "", "",
         "CNY", "300", "", ""],
    ],
    "tranches.csv": [
        ["D1", "A", "1", "800", "0.04", "AAA"], ["D1", "B", "2", "200", "", ""],
        ["D2", "A", "1", "500", "0.05", "AA"], ["D3", "A", "1", "200", "0.07", "BBB"],
        ["D4", "A", "1", "300", "0.06", ""],
    ],
    "pool.csv": [
        ["D1", "A1", "600", "500"], ["D1", "A4", "400", "0"],
        ["D2", "A2", "400", "300"], ["D3", "A3", "150", "100"],
    ],
    "events.csv": [["D3", "2024-12-01", "default", "Senior interest short twice"]],
}


def _filing_rows():
    """F1: I1's complete 2023 ESG filing, accepted; F2: I2's, submitted, two ESG fields ND."""
    filings = [["F1", "I1", "", "issuer-esg-annual@1", "2023", "accepted",
                "2024-03-01T10:00:00+00:00", ""],
               ["F2", "I2", "", "issuer-esg-annual@1", "2023", "submitted",
                "2024-04-01T10:00:00+00:00", ""]]
    values = []
    for filing in ("F1", "F2"):
        for field, value in ESG_ANSWERS.items():
            if filing == "F2" and field in ("scope1_emissions", "scope2_emissions"):
                values.append([filing, field, "Not yet measured", "ND1"])
            else:
                values.append([filing, field, value, ""])
    return {"filings.csv": filings, "filing_values.csv": values}


def _bundle() -> dict[str, bytes]:
    files = {}
    for name, rows in {**ROWS, **_filing_rows()}.items():
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([column.name for column in FILES[name]])
        writer.writerows(rows)
        files[name] = buffer.getvalue().encode()
    return files


@pytest.fixture
def market_loaded(db, django_capture_on_commit_callbacks):
    templates = load_templates()
    # What the import asks for after commit runs: valuation dispersions, then the recomputes.
    with django_capture_on_commit_callbacks(execute=True):
        import_bundle(_bundle())
    call_command("recompute", "market", stdout=io.StringIO())
    esg = len(esg_fields(next(t for t, _ in templates if t.code == "issuer-esg-annual").spec))
    return esg


def _get(api, **params):
    response = api.get(reverse("api:market"), params)
    assert response.status_code == 200, response.content[:500]
    return response.json()


def test_every_key_as_computed_by_hand(api, market_loaded):
    esg_pairs = market_loaded
    answer = _get(api)
    assert answer["issuance_by_year"] == [{"year": 2023, "deals": 2, "amount": pytest.approx(210)},
                                          {"year": 2024, "deals": 1, "amount": pytest.approx(200)}]
    assert answer["ip_share_of_abs"] == [{"year": 2023, "share": pytest.approx(210 / 14000)},
                                         {"year": 2024, "share": pytest.approx(200 / 1_000_000)}]
    assert [(p["province"], p["deals"], p["amount"], p["share"]) for p in answer["by_province"]] \
        == [("US-CA", 1, pytest.approx(200), pytest.approx(200 / 410)),
            ("CN-GD", 1, pytest.approx(140), pytest.approx(140 / 410)),
            ("CN-SC", 1, pytest.approx(70), pytest.approx(70 / 410))]
    assert answer["province_hhi"] == pytest.approx((200**2 + 140**2 + 70**2) / 410**2)
    assert answer["central_western_share"] == pytest.approx(70 / 210)
    kinds = {k["kind"]: (k["amount"], k["share"]) for k in answer["by_asset_kind"]}
    assert kinds == {"copyright_software": (pytest.approx(150), pytest.approx(150 / 346)),
                     "invention_patent": (pytest.approx(84), pytest.approx(84 / 346)),
                     "utility_model": (pytest.approx(56), pytest.approx(56 / 346)),
                     "trademark": (pytest.approx(56), pytest.approx(56 / 346))}
    assert answer["sme_financing_share"] == pytest.approx((70 + 100) / (70 + 42 + 100))
    assert answer["senior_coupon"] == {"median": pytest.approx(0.05), "p25": pytest.approx(0.045),
                                       "p75": pytest.approx(0.06)}
    assert answer["sme_loan_rate"] == pytest.approx((0.055 * 210 + 0.09 * 200) / 410)
    assert answer["median_spread_bp"] == pytest.approx(150)
    assert answer["green_share"] == pytest.approx(84 / 346)
    assert answer["valuation_dispersion_over_30pct"] == pytest.approx(0.5)
    # A1's appraisals are 50 % apart (bucket 30-50 %, bounds inclusive), A2's 10 % (0-10 %).
    assert [(b["bucket"], b["assets"]) for b in answer["valuation_dispersion_distribution"]] \
        == [("0-10 %", 1), ("10-20 %", 0), ("20-30 %", 0), ("30-50 %", 1), ("50-100 %", 0),
            ("over 100 %", 0)]
    assert answer["default_rate"] == pytest.approx(1 / 3)
    assert answer["disclosure_incomplete_share"] == pytest.approx(0.5)
    assert answer["esg_disclosure_rate"] == pytest.approx((2 * esg_pairs - 2) / (2 * esg_pairs))
    assert answer["rnd_intensity_change_pp"] == pytest.approx((2.5 + 1.0) / 2)
    assert answer["employment_growth_excess"] == pytest.approx(((0.30 - 0.05) + 0.0) / 2)
    coverage = answer["coverage"]
    assert coverage["rnd_intensity_change_pp"]["left_out"] == 1  # Valley has no figures
    assert coverage["default_rate"]["included"] == 3  # the draft is out of scope
    assert any("US-CA" in sentence for sentence in answer["findings"])
    assert answer["filters"]["currency"] == "USD"


def test_a_missing_fx_rate_is_reported_never_zero(api, market_loaded):
    answer = _get(api, currency="CNY")
    years = {row["year"]: row for row in answer["issuance_by_year"]}
    assert years[2023]["amount"] == pytest.approx(1500)
    assert years[2024]["amount"] is None and years[2024]["deals"] == 1
    reasons = answer["coverage"]["issuance_by_year"]["reasons"]
    assert reasons == {"no FX rate for CNY 2024": 1}


def test_filters_country_and_years(api, market_loaded):
    answer = _get(api, country="CN", year_from=2023, year_to=2023)
    assert answer["issuance_by_year"] == [{"year": 2023, "deals": 2, "amount": pytest.approx(210)}]
    assert answer["default_rate"] == 0
    assert answer["senior_coupon"]["median"] == pytest.approx(0.045)
    empty = _get(api, year_from=2030)
    assert empty["default_rate"] is None and empty["senior_coupon"]["median"] is None


@pytest.mark.parametrize("params, field", [({"currency": "yuan"}, "currency"),
                                           ({"year_from": "x"}, "year_from"),
                                           ({"country": "China"}, "country"),
                                           ({"year_from": 2024, "year_to": 2023}, "year_to")])
def test_bad_filters_are_400_naming_the_field(api, market_loaded, params, field):
    response = api.get(reverse("api:market"), params)
    assert response.status_code == 400 and field in response.json()


def test_the_market_page_figures_and_csv(client, market_loaded):
    page = client.get(reverse("market"), {"country": "CN", "year_from": 2019,
                                          "year_to": 2024})
    body = page.content.decode()
    assert page.status_code == 200 and 'id="findings"' in body
    assert 'id="figure-issuance"' in body and 'id="figure-jurisdictions"' in body
    assert "print.css" in body
    svg = client.get(reverse("market-figure", args=["issuance", "svg"]), {"country": "CN"})
    assert svg.status_code == 200 and svg["Content-Type"].startswith("image/svg")
    rows = list(csv.reader(io.StringIO(client.get(
        reverse("market-figure", args=["provinces", "csv"]), {"country": "CN"})
        .content.decode())))
    assert rows[0] == ["province", "deals", "amount", "share %"]
    assert [r[0] for r in rows[1:]] == ["CN-GD", "CN-SC"]
    assert client.get(reverse("market-figure", args=["nope", "csv"])).status_code == 404
    assert client.get(reverse("market"), {"year_from": "abc"}).status_code == 400
