"""Tests for ipregistry.green: CPC Y02/Y04S and WIPO IPC Green Inventory matching."""

import csv
from pathlib import Path

import pytest

from ipregistry import green
from ipregistry.green import (
    GreenMatch,
    category_titles,
    green_categories,
    green_matches,
    is_green,
    normalize_classification,
)

DATA_DIR = Path(green.__file__).resolve().parent / "data"
AEP = "IPC:alternative_energy_production"
TOPICS = {
    "alternative_energy_production",
    "transportation",
    "energy_conservation",
    "waste_management",
    "agriculture_forestry",
    "administrative_regulatory_design",
    "nuclear_power_generation",
}


def _cpc_titles() -> dict[str, str]:
    with (DATA_DIR / "cpc_green.csv").open(newline="", encoding="utf-8") as handle:
        return {row["prefix"]: row["title"] for row in csv.DictReader(handle)}


# --- CPC -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("Y02A 50/30", "Y02A"),
        ("Y02B 10/20", "Y02B"),
        ("Y02C 20/40", "Y02C"),
        ("Y02D 10/00", "Y02D"),
        ("Y02E 10/50", "Y02E"),
        ("Y02P 20/10", "Y02P"),
        ("Y02T 10/70", "Y02T"),
        ("Y02W 30/62", "Y02W"),
        ("Y04S 10/50", "Y04S"),
        ("Y02E", "Y02E"),
    ],
)
def test_cpc_green_prefix_matches_with_category_and_title(code, category):
    assert green_matches([code], []) == [GreenMatch(code, "CPC", category, _cpc_titles()[category])]


@pytest.mark.parametrize(
    "code",
    ["Y04", "Y10S 903/903", "Y10T 29/49", "H01L 31/042", "F03D 1/06"],
    ids=["Y04-alone", "Y10S", "Y10T", "H01L-via-CPC", "F03D-via-CPC"],
)
def test_cpc_codes_outside_y02_and_y04s_are_not_green(code):
    assert green_matches([code], []) == []
    assert not is_green([code], [])


# --- IPC -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        # H01L 31/00-31/078 (Solar energy)
        ("H01L 31/00", True),
        ("H01L 31/042", True),
        ("H01L 31/0422", True),
        ("H01L 31/078", True),
        ("H01L 31/0781", True),
        ("H01L 31/08", False),
        ("H01L 30/99", False),
        # C12P 7/06-7/14 (Bio-fuels)
        ("C12P 7/04", False),
        ("C12P 7/06", True),
        ("C12P 7/10", True),
        ("C12P 7/14", True),
        ("C12P 7/16", False),
        # H01M 8/00-8/24 (Fuel cells)
        ("H01M 8/24", True),
        ("H01M 8/2465", True),
        ("H01M 8/25", False),
        # single subgroup H01L 27/142 covers what lies below it only
        ("H01L 27/142", True),
        ("H01L 27/1421", True),
        ("H01L 27/14", False),
        # main-group range A01N 25/00-65/00 (Pesticide alternatives)
        ("A01N 25/00", True),
        ("A01N 43/40", True),
        ("A01N 65/08", True),
        ("A01N 1/02", False),
        ("A01N 66/00", False),
    ],
)
def test_ipc_ranges_respect_bounds_and_hierarchy(code, expected):
    assert is_green([], [code]) is expected


@pytest.mark.parametrize(
    ("code", "category", "title"),
    [
        ("F03D 7/02", AEP, "Alternative energy production > Wind energy"),
        ("H01M 8/04", AEP, "Alternative energy production > Fuel cells"),
        ("C12P 7/10", AEP, "Alternative energy production > Bio-fuels"),
        (
            "F24H 4/02",
            AEP,
            (
                "Alternative energy production > Other production or use of heat, not derived "
                "from combustion, e.g. natural heat"
            ),
        ),
        ("B61D 1/00", "IPC:transportation", "Transportation > Rail vehicles"),
        (
            "G21C 1/00",
            "IPC:nuclear_power_generation",
            "Nuclear power generation > Nuclear engineering",
        ),
        (
            "E04H 1/00",
            "IPC:administrative_regulatory_design",
            "Administrative, regulatory or design aspects > Static structure design",
        ),
    ],
    ids=[
        "bare-subclass-F03D",
        "range-H01M-8",
        "range-C12P-7",
        "main-group-F24H-4",
        "class-B61",
        "class-G21",
        "main-group-E04H-1",
    ],
)
def test_ipc_match_reports_topic_category_and_title(code, category, title):
    assert green_matches([], [code]) == [GreenMatch(code, "IPC", category, title)]


def test_ipc_main_group_entry_covers_subgroups_but_not_neighbours():
    assert green_categories([], ["F24H 4/02"]) == [AEP]
    assert green_categories([], ["F24H 4"]) == [AEP]
    assert green_categories([], ["F24H 5/00"]) == []


def test_ipc_bare_subclass_is_not_covered_by_a_range_inside_it():
    assert not is_green([], ["H01L"])


def test_ipc_code_listed_under_several_topics_reports_each():
    matches = green_matches([], ["B60L 8/003"])
    assert [m.title for m in matches] == [
        "Alternative energy production > Solar energy",
        "Alternative energy production > Wind energy",
        "Transportation > Vehicles in general",
    ]
    assert green_categories([], ["B60L 8/003"]) == [AEP, "IPC:transportation"]


# --- normalisation and errors ----------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("h01l31/042", "H01L 31/042"),
        ("H01L  31/042", "H01L 31/042"),
        ("  H01L 31/042\t", "H01L 31/042"),
        ("Y02E10/50", "Y02E 10/50"),
        ("y02e 10/50", "Y02E 10/50"),
        ("F03D", "F03D"),
        ("b60l 8", "B60L 8"),
        ("B01J2219/00527", "B01J 2219/00527"),
        ("G21", "G21"),
    ],
    ids=[
        "lower-no-space",
        "double-space",
        "padded",
        "cpc-no-space",
        "cpc-lower",
        "subclass",
        "main-group",
        "cpc-long",
        "class",
    ],
)
def test_normalize_classification(raw, canonical):
    assert normalize_classification(raw) == canonical


@pytest.mark.parametrize(
    "garbage",
    ["XYZ", "", "12345", "H01L 31/", "H01L 31/4", "H01L 31/04 2", "Z01L 1/00", "H0131/042"],
    ids=[
        "letters",
        "empty",
        "digits",
        "no-subgroup",
        "one-digit-subgroup",
        "space-in-subgroup",
        "bad-section",
        "no-class-letter",
    ],
)
def test_normalize_rejects_garbage_naming_the_code(garbage):
    with pytest.raises(ValueError, match="is not a CPC/IPC symbol") as error:
        normalize_classification(garbage)
    assert repr(garbage) in str(error.value)


@pytest.mark.parametrize(
    ("cpc", "ipc", "bad"),
    [(["Y02E 10/50", "bogus"], [], "bogus"), ([], ["H01L 31/042", "H01L//042"], "H01L//042")],
    ids=["bad-cpc", "bad-ipc"],
)
def test_green_matches_rejects_malformed_codes(cpc, ipc, bad):
    with pytest.raises(ValueError, match=bad):
        green_matches(cpc, ipc)


# --- combining -------------------------------------------------------------------------


def test_categories_are_deduplicated_and_sorted():
    cpc = ["Y02T 10/70", "Y02E 10/50", "Y02E 10/70", "y02e10/50"]
    assert green_categories(cpc, []) == ["Y02E", "Y02T"]
    assert [m.code for m in green_matches(cpc, [])] == ["Y02E 10/50", "Y02E 10/70", "Y02T 10/70"]


def test_asset_with_cpc_and_ipc_matches():
    matches = green_matches(["Y02E 10/50", "H01L 31/042"], ["H01L 31/042", "G06F 1/00"])
    assert [(m.scheme, m.category, m.code) for m in matches] == [
        ("IPC", AEP, "H01L 31/042"),
        ("CPC", "Y02E", "Y02E 10/50"),
    ]
    assert green_categories(["Y02E 10/50"], ["H01L 31/042"]) == [AEP, "Y02E"]
    assert is_green(["Y02E 10/50"], ["H01L 31/042"])


def test_empty_lists_are_not_green():
    assert green_matches([], []) == []
    assert green_categories([], []) == []
    assert not is_green([], [])


def test_accepts_any_iterable():
    assert is_green(iter(()), (code for code in ["F03D 7/02"]))


def test_category_titles_cover_every_cpc_prefix_and_ipc_topic():
    titles = category_titles()
    assert {key: titles[key] for key in _cpc_titles()} == _cpc_titles()
    assert {key for key in titles if key.startswith("IPC:")} == {f"IPC:{t}" for t in TOPICS}
    assert titles["IPC:waste_management"] == "Waste management"


# --- data integrity --------------------------------------------------------------------


def test_ipc_inventory_rows_parse_with_known_topics_and_ordered_ranges():
    with (DATA_DIR / "ipc_green_inventory.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["topic", "subtopic", "ipc_from", "ipc_to"]
        rows = list(reader)
    assert {row["topic"] for row in rows} == TOPICS
    seen = set()
    for row in rows:
        key = tuple(row.values())
        assert key not in seen, f"duplicate row {row}"
        seen.add(key)
        assert row["subtopic"].strip() == row["subtopic"] != ""
        assert normalize_classification(row["ipc_from"]) == row["ipc_from"]
        if row["ipc_to"]:
            assert normalize_classification(row["ipc_to"]) == row["ipc_to"]
            first, last = green._parse(row["ipc_from"]), green._parse(row["ipc_to"])
            assert first.scope == last.scope, row
            assert first.key() <= last.key(), row
    # The loader applies the same checks and must accept every row.
    assert len(green._ipc_inventory()) == len(rows)


def test_cpc_table_lists_only_y02_and_y04s_subclasses():
    prefixes = _cpc_titles()
    assert sorted(prefixes) == [
        "Y02A",
        "Y02B",
        "Y02C",
        "Y02D",
        "Y02E",
        "Y02P",
        "Y02T",
        "Y02W",
        "Y04S",
    ]
