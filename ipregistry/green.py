"""Decide whether an IP asset is "green" from its CPC and IPC classification codes.

Rule (product design): an asset is green when one of its CPC codes lies under Y02 or Y04S
(the subclasses listed in ``data/cpc_green.csv``), or one of its IPC codes is in the WIPO
IPC Green Inventory (``data/ipc_green_inventory.csv``). The matched categories are shown:
the CPC subclass (e.g. ``Y02E``) or ``IPC:<topic>`` (e.g. ``IPC:alternative_energy_production``).

Provenance of ``data/ipc_green_inventory.csv``
---------------------------------------------
* Symbols: transcribed from the public file ``classifications/green_inventory_03.txt`` of the
  GitHub repository ``x0range/greenpatents`` (commit 613cdbc88e6b02135bab1c05bf19371ce52e19c3),
  a flat list of the IPC symbols of WIPO's IPC Green Inventory
  (https://www.wipo.int/classifications/ipc/green-inventory/home) in WIPO's order, already
  updated for IPC revisions (F24J replaced by F24S, F24T, F24V). Every symbol of that list is in
  the CSV and nothing else; the obsolete B60L 11/16 and B60L 11/18 are kept as listed there.
  Transcription only changed the notation: "5/40-48" became the range C10L 5/40 .. C10L 5/48,
  "31/000-078" became H01L 31/00 .. H01L 31/078, a single "X/00" became the main group "X"
  (everything under it), "A01N 25-65" became main groups A01N 25 .. A01N 65, and rows repeated
  within one sub-topic were dropped.
* Topics: all seven WIPO topics are covered (alternative energy production, transportation,
  energy conservation, waste management, agriculture / forestry, administrative, regulatory or
  design aspects, nuclear power generation).
* Sub-topics: the source list carries no headings, so each row was placed under its WIPO
  second-level sub-topic by its position in the list; deeper levels (e.g. "Solar energy >
  Photovoltaics (PV)") are not reproduced. The sub-topic titles are WIPO's as we know them;
  "Rail vehicles", "Carbon/emissions trading, eg pollution credits", "Commuting, eg, HOV,
  teleworking, etc", "Static structure design", "Waste disposal" and "Thermal building
  insulation, in general" are corroborated by a CnOpenData sample of WIPO-labelled patents
  (https://blog.csdn.net/CnOpenData_wj/article/details/135846649); the others were not checked
  against WIPO's page. Topics, not sub-topics, are what this module reports as categories.

IPC matching approximates the IPC dot-level hierarchy by decimal ordering: a subgroup's digits
are read as a decimal fraction (31/0422 lies between 31/042 and 31/043; 31/05 > 31/042), and a
symbol whose subgroup digits extend an entry's digits (31/0781 under 31/078) is taken to be
below it in the hierarchy.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "GreenMatch",
    "category_titles",
    "green_categories",
    "green_matches",
    "is_green",
    "normalize_classification",
]

_DATA_DIR = Path(__file__).resolve().parent / "data"
_CPC_CSV = _DATA_DIR / "cpc_green.csv"
_IPC_CSV = _DATA_DIR / "ipc_green_inventory.csv"

_IPC_TOPICS: dict[str, str] = {
    "alternative_energy_production": "Alternative energy production",
    "transportation": "Transportation",
    "energy_conservation": "Energy conservation",
    "waste_management": "Waste management",
    "agriculture_forestry": "Agriculture / forestry",
    "administrative_regulatory_design": "Administrative, regulatory or design aspects",
    "nuclear_power_generation": "Nuclear power generation",
}

# Whitespace is tolerated only around the symbol and between subclass and main group;
# "H01L 31/04 2" is rejected rather than guessed at.
_SYMBOL_RE = re.compile(
    r"(?P<klass>[A-HY]\d{2})"
    r"(?:(?P<letter>[A-Z])(?:\s*(?P<group>\d{1,4})(?:/(?P<digits>\d{2,6}))?)?)?"
)
_EXPECTED = "expected section letter, 2 digits, class letter, e.g. H01L 31/042"


@dataclass(frozen=True)
class GreenMatch:
    """One asset code that makes the asset green, with the category it falls in."""

    code: str  # the asset's code that matched, canonical form
    scheme: str  # "CPC" or "IPC"
    category: str  # CPC: the prefix, e.g. "Y02E"; IPC: "IPC:" + topic key
    title: str  # CPC title from cpc_green.csv; IPC "Topic > Subtopic"


@dataclass(frozen=True)
class _Symbol:
    """A parsed classification symbol; ``scope`` is a class ("G21") or a subclass ("H01L")."""

    scope: str
    group: int | None = None
    digits: str | None = None  # subgroup digits as written, e.g. "042"

    def __str__(self) -> str:
        if self.group is None:
            return self.scope
        if self.digits is None:
            return f"{self.scope} {self.group}"
        return f"{self.scope} {self.group}/{self.digits}"

    def key(self) -> tuple[int, str]:
        """Order within a subclass: main group numerically, subgroup as a decimal fraction."""
        # A bare main group sorts with its "/00" head, i.e. before all of its subgroups.
        return (self.group or 0, (self.digits or "").rstrip("0"))

    def extends(self, other: _Symbol) -> bool:
        """Tell whether self lies at or below ``other`` in the (approximated) hierarchy."""
        if other.group is None:
            return self.scope.startswith(other.scope)
        if self.scope != other.scope or self.group != other.group:
            return False
        if other.digits is None:
            return True
        return self.digits is not None and self.digits.startswith(other.digits)


@dataclass(frozen=True)
class _Entry:
    """One inventory row: a single symbol (with everything below it) or an inclusive range."""

    topic: str
    subtopic: str
    first: _Symbol
    last: _Symbol | None

    def covers(self, symbol: _Symbol) -> bool:
        if self.last is None:
            return symbol.extends(self.first)
        if symbol.scope != self.first.scope or symbol.group is None:
            return False
        if symbol.key() < self.first.key():
            return False
        if self.last.digits is None:
            return symbol.group <= (self.last.group or 0)
        return symbol.key() <= self.last.key() or symbol.extends(self.last)


def _parse(code: str) -> _Symbol:
    if not isinstance(code, str):
        raise TypeError(f"classification code must be a str, got {code!r}")
    match = _SYMBOL_RE.fullmatch(code.strip().upper())
    if match is None:
        raise ValueError(f"{code!r} is not a CPC/IPC symbol ({_EXPECTED})")
    scope = match["klass"] + (match["letter"] or "")
    group = int(match["group"]) if match["group"] else None
    return _Symbol(scope, group, match["digits"])


def normalize_classification(code: str) -> str:
    """Return the canonical form of a CPC/IPC symbol, e.g. "h01l31/042" -> "H01L 31/042"."""
    return str(_parse(code))


@functools.cache
def _cpc_prefixes() -> dict[str, str]:
    with _CPC_CSV.open(newline="", encoding="utf-8") as handle:
        return {row["prefix"]: row["title"] for row in csv.DictReader(handle)}


@functools.cache
def _ipc_inventory() -> tuple[_Entry, ...]:
    entries = []
    with _IPC_CSV.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            where = f"{_IPC_CSV.name} line {line}"
            if row["topic"] not in _IPC_TOPICS:
                raise ValueError(f"{where}: unknown topic {row['topic']!r}")
            first = _parse(row["ipc_from"])
            last = _parse(row["ipc_to"]) if row["ipc_to"] else None
            if last is not None and (
                first.scope != last.scope
                or first.group is None
                or last.group is None
                or first.key() > last.key()
            ):
                raise ValueError(f"{where}: {first} .. {last} is not an ascending range")
            entries.append(_Entry(row["topic"], row["subtopic"], first, last))
    return tuple(entries)


def green_matches(cpc_codes: Iterable[str], ipc_codes: Iterable[str]) -> list[GreenMatch]:
    """List the green matches of an asset's CPC and IPC codes, sorted and de-duplicated."""
    found: set[GreenMatch] = set()
    prefixes = _cpc_prefixes()
    for code in cpc_codes:
        symbol = _parse(code)
        if symbol.scope in prefixes:
            found.add(GreenMatch(str(symbol), "CPC", symbol.scope, prefixes[symbol.scope]))
    for code in ipc_codes:
        symbol = _parse(code)
        for entry in _ipc_inventory():
            if entry.covers(symbol):
                title = f"{_IPC_TOPICS[entry.topic]} > {entry.subtopic}"
                found.add(GreenMatch(str(symbol), "IPC", f"IPC:{entry.topic}", title))
    return sorted(found, key=lambda m: (m.category, m.code, m.title, m.scheme))


def green_categories(cpc_codes: Iterable[str], ipc_codes: Iterable[str]) -> list[str]:
    """List the sorted, unique green categories of an asset's CPC and IPC codes."""
    return sorted({match.category for match in green_matches(cpc_codes, ipc_codes)})


def is_green(cpc_codes: Iterable[str], ipc_codes: Iterable[str]) -> bool:
    """Tell whether any of an asset's CPC or IPC codes is green."""
    return bool(green_matches(cpc_codes, ipc_codes))


def category_titles() -> dict[str, str]:
    """Map every category key (CPC prefixes and IPC topics) to its human title."""
    titles = dict(_cpc_prefixes())
    titles.update({f"IPC:{key}": title for key, title in _IPC_TOPICS.items()})
    return titles
