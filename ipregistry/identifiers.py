"""Validate and normalise the public identifiers kept in the IP registry.

Covers the ISO 17442 Legal Entity Identifier (LEI), China's Unified Social Credit Code
(USCC, GB 32100-2015) and the registry numbers of IP rights wherever a public format
exists: CN and US patents, CN and US trademark registrations and CN software copyright
registrations. Other kinds and countries are only checked for length.

Each normaliser returns the canonical form (the one stored and compared for uniqueness)
or raises IdentifierError whose message names the problem and the expected format;
callers prefix the field name.

Kept free of Django so that models, forms, importers and the demo-data builder share
exactly the same rules.
"""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass


class IdentifierError(ValueError):
    """Raised with a human message saying what is wrong (no field name: callers add it)."""


_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS = frozenset("0123456789")


def _compact(value: str) -> str:
    """Return value in NFKC, upper-cased, with every whitespace character removed."""
    # NFKC folds the full-width digits and letters that Chinese input methods produce.
    return "".join(unicodedata.normalize("NFKC", value).upper().split())


def _require_non_empty(value: str) -> None:
    if not value:
        raise IdentifierError("must not be empty")


def _require_length(value: str, length: int) -> None:
    _require_non_empty(value)
    if len(value) != length:
        raise IdentifierError(f"must be {length} characters, got {len(value)}")


# --- LEI (ISO 17442) -------------------------------------------------------------------

LEI_LENGTH = 20


def _lei_remainder(code: str) -> int:
    # ISO 7064 MOD 97-10 reads letters as two-digit numbers, A=10 .. Z=35.
    return int("".join(str(int(char, 36)) for char in code)) % 97


def _require_lei_characters(code: str) -> None:
    for position, char in enumerate(code, start=1):
        if char not in _ALNUM:
            raise IdentifierError(
                f"character {char!r} at position {position} is not allowed "
                "(an LEI uses only A-Z and 0-9)")


def lei_check_digits(base18: str) -> str:
    """Return the two ISO 7064 MOD 97-10 check digits that complete an 18-character LEI base."""
    base = base18.upper()
    if len(base) != LEI_LENGTH - 2:
        raise IdentifierError(f"LEI base must be 18 characters, got {len(base)}")
    _require_lei_characters(base)
    return f"{98 - _lei_remainder(base + '00'):02d}"


def normalize_lei(value: str) -> str:
    """Return the canonical ISO 17442 LEI for value or raise IdentifierError.

    The check digits catch every single-character substitution that keeps the character
    class (digit for digit, letter for letter) and every swap of two adjacent digits, but
    not every digit-for-letter substitution: letters expand to two digits, and a few such
    substitutions leave the MOD 97 remainder unchanged.
    """
    code = _compact(value)
    _require_length(code, LEI_LENGTH)
    _require_lei_characters(code)
    check = code[18:]
    if not set(check) <= _DIGITS:
        raise IdentifierError(f"check digits {check!r} (positions 19-20) must be two digits")
    expected = lei_check_digits(code[:18])
    if check != expected:
        raise IdentifierError(f"check digits {check} do not match (expected {expected})")
    return code


# --- USCC (GB 32100-2015) --------------------------------------------------------------

USCC_LENGTH = 18
# GB 32100 drops I, O, S, V and Z so they cannot be misread as 1, 0, 5, U and 2.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_EXCLUDED = frozenset("IOSVZ")
# The standard's weights for positions 1..17 are 3^(i-1) mod 31.
_USCC_WEIGHTS = tuple(pow(3, exponent, 31) for exponent in range(USCC_LENGTH - 1))


def _require_uscc_characters(code: str) -> None:
    for position, char in enumerate(code, start=1):
        if char in USCC_ALPHABET:
            continue
        if char in _USCC_EXCLUDED:
            reason = "GB 32100 excludes I, O, Z, S, V"
        else:
            reason = "GB 32100 uses only digits and the letters A-Y other than I, O, S, V"
        raise IdentifierError(
            f"character {char!r} at position {position} is not allowed ({reason})")


def uscc_check_character(first17: str) -> str:
    """Return the GB 32100 check character (position 18) for the first 17 USCC characters."""
    head = first17.upper()
    if len(head) != USCC_LENGTH - 1:
        raise IdentifierError(f"USCC without its check character must be 17 characters, "
                              f"got {len(head)}")
    _require_uscc_characters(head)
    values = (USCC_ALPHABET.index(char) for char in head)
    total = sum(value * weight for value, weight in zip(values, _USCC_WEIGHTS, strict=True))
    # 31 - (total mod 31), where a result of 31 is written as 0.
    return USCC_ALPHABET[-total % 31]


def normalize_uscc(value: str) -> str:
    """Return the canonical Unified Social Credit Code for value or raise IdentifierError.

    Checks the character set, that positions 3-8 (administrative division code) are
    digits, and the check character. The registration authority and entity type codes
    (positions 1-2) are not checked against a list: new codes have been added over time.
    """
    code = _compact(value)
    _require_length(code, USCC_LENGTH)
    _require_uscc_characters(code)
    division = code[2:8]
    if not set(division) <= _DIGITS:
        raise IdentifierError(f"administrative division code {division!r} (positions 3-8) "
                              "must be 6 digits")
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        raise IdentifierError(
            f"check character {code[17]!r} does not match (expected {expected!r})")
    return code


# --- Registry numbers of IP rights -----------------------------------------------------

REGISTRY_NUMBER_MAX_LENGTH = 64


@dataclass(frozen=True)
class _Format:
    name: str
    shape: str
    normalize: Callable[["_Format", str], str]

    def describe(self) -> str:
        return f"{self.name}: {self.shape}"

    def mismatch(self, problem: str | None = None) -> IdentifierError:
        if problem is None:
            return IdentifierError(f"does not match the {self.name} format ({self.shape})")
        return IdentifierError(f"{problem} ({self.describe()})")


def _refuse_foreign_prefix(fmt: _Format, code: str, country: str, allowed: set[str]) -> None:
    """Raise when code reads as another office's number, such as US1234567B2 for CN."""
    # Up to two more letters cover series letters such as USD912345S and USRE49123E.
    match = re.match(r"([A-Z]{2})[A-Z]{0,2}[0-9]", code)
    if match and match.group(1) not in allowed:
        raise fmt.mismatch(f"prefix must be {country}, got {match.group(1)}")


# CN patents. The fifth digit of an application number gives the type of right.
_CN_TYPE_DIGITS = {"invention_patent": "18", "utility_model": "29", "design_patent": "3"}
_CN_TYPE_NAMES = {"1": "an invention patent", "8": "a PCT invention patent",
                  "2": "a utility model", "9": "a PCT utility model", "3": "a design patent"}
# WIPO ST.16 kind codes: the second letter of each pair was used before 2010.
_CN_KIND_CODES = {"invention_patent": "ABC", "utility_model": "UY", "design_patent": "SD"}
_CN_KIND_NAMES = {"A": "an invention application", "B": "an invention patent",
                  "C": "an invention patent", "U": "a utility model", "Y": "a utility model",
                  "S": "a design patent", "D": "a design patent"}
_CN_APPLICATION = re.compile(r"(?:ZL|CN)?([0-9]{12})\.([0-9X])")
_CN_PUBLICATION = re.compile(r"(?:CN)?([0-9]{7,9})([A-Z])([0-9]?)")
_CN_APPLICATION_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def cn_application_check_digit(digits12: str) -> str:
    """Return the check digit written after the '.' of a 12-digit CNIPA application number."""
    total = sum(int(d) * w for d, w in zip(digits12, _CN_APPLICATION_WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def _make_cn_patent(kind: str) -> Callable[[_Format, str], str]:
    def normalize(fmt: _Format, value: str) -> str:
        code = _compact(value)
        _refuse_foreign_prefix(fmt, code, "CN", {"CN", "ZL"})
        if match := _CN_APPLICATION.fullmatch(code):
            digits, check = match.groups()
            type_digit = digits[4]
            if type_digit not in _CN_TYPE_DIGITS[kind]:
                denotes = _CN_TYPE_NAMES.get(type_digit, "no type of patent")
                expected = " or ".join(_CN_TYPE_DIGITS[kind])
                raise fmt.mismatch(f"application type digit {type_digit} (5th digit) denotes "
                                   f"{denotes}, expected {expected}")
            expected = cn_application_check_digit(digits)
            if check != expected:
                raise fmt.mismatch(f"application number check digit {check} does not match "
                                   f"(expected {expected})")
            return f"{digits}.{check}"
        if match := _CN_PUBLICATION.fullmatch(code):
            digits, letter, suffix = match.groups()
            allowed = _CN_KIND_CODES[kind]
            if letter not in allowed:
                denotes = _CN_KIND_NAMES.get(letter, "no CN patent document")
                raise fmt.mismatch(f"kind code {letter} denotes {denotes}, "
                                   f"expected {' or '.join(allowed)}")
            return f"CN{digits}{letter}{suffix}"
        if re.fullmatch(r"(?:ZL|CN)?[0-9]{12}", code):
            raise fmt.mismatch("application number lacks its check digit after '.'")
        if re.fullmatch(r"(?:CN)?[0-9]{7,9}", code):
            raise fmt.mismatch("publication number lacks its kind code")
        raise fmt.mismatch()

    return normalize


# US patents. Commas group digits ("10,123,456") and a slash splits publication numbers
# ("2021/0123456"); neither is part of the number.
_US_PATENT = re.compile(r"(?:US)?(D|RE|PP)?([0-9]+)([A-Z][0-9]?)?")
_US_SERIES = {
    # series: (allowed digit counts, allowed kind codes, kinds of right)
    "": ((7, 8), {"A", "B1", "B2"}, {"invention_patent"}),
    "PUB": ((11,), {"A1", "A2", "A9"}, {"invention_patent"}),
    "PP": ((5, 6), {"P2", "P3"}, {"invention_patent"}),
    "RE": ((5, 6), {"E"}, {"invention_patent", "design_patent"}),
    # Design numbers passed D999,999 in September 2023.
    "D": ((6, 7), {"S"}, {"design_patent"}),
}
_US_SERIES_NAMES = {"": "a utility patent", "PUB": "a published application",
                    "PP": "a plant patent", "RE": "a reissue patent", "D": "a design patent"}
_US_FIRST_PUBLICATION_YEAR = 2001
_KIND_NAMES = {"invention_patent": "an invention patent", "design_patent": "a design patent"}


def _make_us_patent(kind: str) -> Callable[[_Format, str], str]:
    def normalize(fmt: _Format, value: str) -> str:
        code = re.sub(r"[,/]", "", _compact(value))
        _refuse_foreign_prefix(fmt, code, "US", {"US", "RE", "PP"})
        match = _US_PATENT.fullmatch(code)
        if match is None:
            raise fmt.mismatch()
        series, digits, kind_code = match.group(1) or "", match.group(2), match.group(3)
        if not series and len(digits) == 11:
            series = "PUB"
            if int(digits[:4]) < _US_FIRST_PUBLICATION_YEAR:
                raise fmt.mismatch(f"publication year {digits[:4]} is before "
                                   f"{_US_FIRST_PUBLICATION_YEAR}")
        lengths, kind_codes, kinds = _US_SERIES[series]
        if kind not in kinds:
            raise fmt.mismatch(f"{code} is {_US_SERIES_NAMES[series]} number, "
                               f"not {_KIND_NAMES[kind]}")
        if len(digits) not in lengths:
            raise fmt.mismatch(f"{_US_SERIES_NAMES[series]} number has "
                               f"{' or '.join(map(str, lengths))} digits, got {len(digits)}")
        if kind_code is not None and kind_code not in kind_codes:
            raise fmt.mismatch(f"kind code {kind_code} does not fit {_US_SERIES_NAMES[series]}, "
                               f"expected {' or '.join(sorted(kind_codes))}")
        return f"US{series if series != 'PUB' else ''}{digits}{kind_code or ''}"

    return normalize


def _cn_trademark(fmt: _Format, value: str) -> str:
    # Chinese text writes registration numbers as 第1234567号.
    code = _compact(value).removeprefix("第").removesuffix("号")
    if not re.fullmatch(r"[0-9]{1,8}", code):
        raise fmt.mismatch()
    return code


_US_TRADEMARK_DIGITS = 7


def _us_trademark(fmt: _Format, value: str) -> str:
    code = _compact(value).replace(",", "")
    if not re.fullmatch(r"[0-9]+", code):
        raise fmt.mismatch()
    if len(code) == 8:
        raise fmt.mismatch("an 8-digit number is an application serial number, "
                           "not a registration number")
    if len(code) > _US_TRADEMARK_DIGITS or int(code) == 0:
        raise fmt.mismatch()
    # The USPTO writes registration numbers with 7 digits, zero-padded.
    return code.zfill(_US_TRADEMARK_DIGITS)


_CN_SOFTWARE_FIRST_YEAR, _CN_SOFTWARE_LAST_YEAR = 1990, 2100


def _cn_software_copyright(fmt: _Format, value: str) -> str:
    code = _compact(value)
    if "软著登字" in code:
        raise fmt.mismatch("软著登字第…号 is the certificate number; enter the registration number")
    match = re.fullmatch(r"([0-9]{4})SR([0-9]{6,7})", code)
    if match is None:
        raise fmt.mismatch()
    year = int(match.group(1))
    if not _CN_SOFTWARE_FIRST_YEAR <= year <= _CN_SOFTWARE_LAST_YEAR:
        raise fmt.mismatch(f"year {year} is outside {_CN_SOFTWARE_FIRST_YEAR}-"
                           f"{_CN_SOFTWARE_LAST_YEAR}")
    return code


_CN_APPLICATION_SHAPE = "12 digits + '.' + check digit, e.g. {}"
_FORMATS: dict[tuple[str, str], _Format] = {
    ("invention_patent", "CN"): _Format(
        "CN invention patent number",
        "publication number CN + 9 digits (7-8 for older ones) + kind code A, B or C, "
        "e.g. CN112345678A, or application number "
        + _CN_APPLICATION_SHAPE.format("202110123456.7"),
        _make_cn_patent("invention_patent")),
    ("utility_model", "CN"): _Format(
        "CN utility model number",
        "publication number CN + 9 digits (7-8 for older ones) + kind code U or Y, "
        "e.g. CN212345678U, or application number "
        + _CN_APPLICATION_SHAPE.format("202120123456.2"),
        _make_cn_patent("utility_model")),
    ("design_patent", "CN"): _Format(
        "CN design patent number",
        "publication number CN + 9 digits (7-8 for older ones) + kind code S or D, "
        "e.g. CN306123456S, or application number "
        + _CN_APPLICATION_SHAPE.format("202130123456.8"),
        _make_cn_patent("design_patent")),
    ("invention_patent", "US"): _Format(
        "US invention patent number",
        "US + 7-8 digits + optional kind code B1, B2 (A before 2001), e.g. US10123456B2; reissue "
        "US + RE + 5-6 digits, e.g. USRE49123E; plant US + PP + 5-6 digits, e.g. USPP34567P3; "
        "or publication US + year + 7 digits + A1, A2 or A9, e.g. US20210123456A1",
        _make_us_patent("invention_patent")),
    ("design_patent", "US"): _Format(
        "US design patent number",
        "US + D + 6-7 digits + optional kind code S, e.g. USD912345S, "
        "or reissue US + RE + 5-6 digits, e.g. USRE49123E",
        _make_us_patent("design_patent")),
    ("trademark", "CN"): _Format(
        "CN trademark registration number",
        "1-8 digits, optionally written 第…号, e.g. 12345678",
        _cn_trademark),
    ("trademark", "US"): _Format(
        "US trademark registration number",
        "up to 7 digits, commas allowed, e.g. 5,123,456",
        _us_trademark),
    ("copyright_software", "CN"): _Format(
        "CN software copyright registration number",
        "year + SR + 6-7 digits, e.g. 2021SR0123456",
        _cn_software_copyright),
}


def registry_number_format(kind: str, country: str) -> str | None:
    """Describe the registry number format checked for kind and country, None if unchecked."""
    fmt = _FORMATS.get((kind, country.strip().upper()))
    return None if fmt is None else fmt.describe()


def normalize_registry_number(kind: str, country: str, value: str) -> str:
    """Return the canonical registry number of an IP right or raise IdentifierError.

    kind is an asset kind such as "invention_patent" and country an ISO 3166-1 alpha-2
    code. Where no public format is checked the stripped value is returned unchanged.

    CN application numbers (the 12-digit scheme in use since October 2003) carry a check
    digit: sum(digit_i * weight_i) mod 11 with weights 2-9, 2-5, and 10 written X. The rule
    was confirmed against published numbers such as 201110059923.0 (CN102681861A),
    201620289943.5 (CN205571076U) and 200880015234.6 (CN101686758B, PCT national phase).
    """
    stripped = value.strip()
    _require_non_empty(stripped)
    fmt = _FORMATS.get((kind, country.strip().upper()))
    if fmt is not None:
        return fmt.normalize(fmt, stripped)
    if len(stripped) > REGISTRY_NUMBER_MAX_LENGTH:
        raise IdentifierError(f"must be at most {REGISTRY_NUMBER_MAX_LENGTH} characters, "
                              f"got {len(stripped)}")
    return stripped
