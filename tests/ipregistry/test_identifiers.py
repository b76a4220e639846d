"""Tests for ipregistry.identifiers: LEI, USCC and IP registry number validation."""

import re
import string

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ipregistry.identifiers import (
    USCC_ALPHABET,
    IdentifierError,
    cn_application_check_digit,
    lei_check_digits,
    normalize_lei,
    normalize_registry_number,
    normalize_uscc,
    registry_number_format,
    uscc_check_character,
)

FAST = settings(max_examples=150, deadline=None)

# Public LEIs of well-known entities; the tests below confirm each one's checksum.
REAL_LEIS = {
    "5493001KJTIIGC8Y1R12": "Bloomberg Finance L.P.",
    "7LTWFZYICNSX8D621K86": "Deutsche Bank AG",
    "HWUPKR0MPOU8FGXBT394": "Apple Inc.",
    "784F5XWPLTWKTBV3E584": "The Goldman Sachs Group, Inc.",
    "8I5DZWZKVSZI1NUHU748": "JPMorgan Chase & Co.",
    "INR2EJN1ERAN0W5ZP974": "Microsoft Corporation",
}

# Public USCCs of well-known companies; the tests below confirm each check character.
REAL_USCCS = {
    "914403001922038216": "Huawei Technologies Co., Ltd.",
    "91440300708461136T": "Shenzhen Tencent Computer Systems Co., Ltd.",
    "91330100716105852F": "Alibaba (China) Network Technology Co., Ltd.",
    "91110000802100433B": "Beijing Baidu Netcom Science and Technology Co., Ltd.",
    "91110108551385082Q": "Xiaomi Technology Co., Ltd.",
}

LEI_BASES = st.text(alphabet=string.digits + string.ascii_uppercase, min_size=18, max_size=18)
USCC_HEADS = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)


def _fullwidth(ascii_text: str) -> str:
    """Return ascii_text typed with full-width characters, as Chinese input methods do."""
    return "".join(chr(ord(char) + 0xFEE0) for char in ascii_text)


def _is_valid(normalize, value: str) -> bool:
    try:
        normalize(value)
    except IdentifierError:
        return False
    return True


# --- LEI -------------------------------------------------------------------------------


@pytest.mark.parametrize("lei", sorted(REAL_LEIS))
def test_real_leis_validate(lei):
    assert normalize_lei(lei) == lei
    assert lei_check_digits(lei[:18]) == lei[18:]


@pytest.mark.parametrize(("value", "expected"), [
    (" hwupkr0mpou8fgxbt394 ", "HWUPKR0MPOU8FGXBT394"),
    ("5493 001K JTII GC8Y 1R12", "5493001KJTIIGC8Y1R12"),
    (_fullwidth("7LTWFZYICNSX") + "8D621K86", "7LTWFZYICNSX8D621K86"),
    ("784f5xwpltwktbv3e584\n", "784F5XWPLTWKTBV3E584"),
])
def test_lei_is_normalised(value, expected):
    assert normalize_lei(value) == expected


@pytest.mark.parametrize(("value", "message"), [
    ("", "must not be empty"),
    ("   ", "must not be empty"),
    ("5493001KJTIIGC8Y1R1", "must be 20 characters, got 19"),
    ("5493001KJTIIGC8Y1R123", "must be 20 characters, got 21"),
    ("HWUPKR0MPOU8FGXBT395", r"check digits 95 do not match \(expected 94\)"),
    ("HWUPKR0MPOU8FGXCT394", "check digits 94 do not match"),  # B -> C
    ("7LTWFZYICNSX8D612K86", "check digits 86 do not match"),  # 21 -> 12 swapped
    ("INR2EJN1ERAN0W5ZP947", "check digits 47 do not match"),  # check digits swapped
    ("8I5DZWZKVSZI1NUHU7AB", "check digits 'AB'.*must be two digits"),
    ("8I5DZWZKVSZI1NUHU74B", "must be two digits"),
    ("5493-01KJTIIGC8Y1R12", "character '-' at position 5 is not allowed"),
    ("5493001KJTIIGC8Y1R1É", "character 'É' at position 20 is not allowed"),
])
def test_invalid_lei_is_refused(value, message):
    with pytest.raises(IdentifierError, match=message):
        normalize_lei(value)


@pytest.mark.parametrize(("base", "message"), [
    ("5493001KJTIIGC8Y1", "must be 18 characters, got 17"),
    ("5493001KJTIIGC8Y1R1", "must be 18 characters, got 19"),
    ("5493001KJTIIGC8Y1_", "character '_' at position 18"),
])
def test_lei_check_digits_refuses_bad_base(base, message):
    with pytest.raises(IdentifierError, match=message):
        lei_check_digits(base)


@FAST
@given(base=LEI_BASES)
def test_lei_built_from_any_base_validates(base):
    check = lei_check_digits(base)
    assert re.fullmatch(r"[0-9]{2}", check)
    assert normalize_lei(base + check) == base + check


@FAST
@given(base=LEI_BASES, data=st.data())
def test_lei_detects_substitution_within_character_class(base, data):
    lei = base + lei_check_digits(base)
    position = data.draw(st.integers(0, 19))
    # Letters expand to two digits, so only same-class substitutions are guaranteed caught
    # (see test_lei_cannot_detect_every_digit_for_letter_substitution).
    alphabet = string.digits if lei[position].isdigit() else string.ascii_uppercase
    replacement = data.draw(st.sampled_from(alphabet).filter(lambda c: c != lei[position]))
    assert not _is_valid(normalize_lei, lei[:position] + replacement + lei[position + 1:])


@FAST
@given(base=LEI_BASES, data=st.data())
def test_lei_detects_swap_of_adjacent_digits(base, data):
    lei = base + lei_check_digits(base)
    swappable = [i for i in range(19)
                 if lei[i].isdigit() and lei[i + 1].isdigit() and lei[i] != lei[i + 1]]
    assume(swappable)
    i = data.draw(st.sampled_from(swappable))
    assert not _is_valid(normalize_lei, lei[:i] + lei[i + 1] + lei[i] + lei[i + 2:])


def test_lei_cannot_detect_every_digit_for_letter_substitution():
    # A known limit of MOD 97-10 on letters: Y (=34) -> 7 at position 6 keeps the
    # remainder, so both of these synthetic codes validate.
    assert normalize_lei("6K111Y0ODR1XESVZEM78") == "6K111Y0ODR1XESVZEM78"
    assert normalize_lei("6K11170ODR1XESVZEM78") == "6K11170ODR1XESVZEM78"


# --- USCC ------------------------------------------------------------------------------


@pytest.mark.parametrize("uscc", sorted(REAL_USCCS))
def test_real_usccs_validate(uscc):
    assert normalize_uscc(uscc) == uscc
    assert uscc_check_character(uscc[:17]) == uscc[17]


@pytest.mark.parametrize(("value", "expected"), [
    (" 91440300708461136t ", "91440300708461136T"),
    ("9144 0300 1922 0382 16", "914403001922038216"),
    (_fullwidth("91110108551385082Q"), "91110108551385082Q"),
])
def test_uscc_is_normalised(value, expected):
    assert normalize_uscc(value) == expected


@pytest.mark.parametrize(("value", "message"), [
    ("", "must not be empty"),
    ("91440300708461136", "must be 18 characters, got 17"),
    ("91440300708461136TX", "must be 18 characters, got 19"),
    ("91440300708461136U", r"check character 'U' does not match \(expected 'T'\)"),
    ("914403001922038217", r"check character '7' does not match \(expected '6'\)"),
    ("91330100716105825F", "check character 'F' does not match"),  # 52 -> 25 swapped
    ("91110000802100433C", "check character 'C' does not match"),
    ("91110000I02100433B",
     r"character 'I' at position 9 is not allowed \(GB 32100 excludes I, O, Z, S, V\)"),
    ("9111000080210043OB", "character 'O' at position 17 is not allowed"),
    ("Z1110108551385082Q", "character 'Z' at position 1 is not allowed"),
    ("91110108551385082S", "character 'S' at position 18 is not allowed"),
    ("91110108V51385082Q", "character 'V' at position 9 is not allowed"),
    ("9111010855138508-Q", "character '-' at position 17 is not allowed"),
    ("9144A300708461136T",
     r"administrative division code '44A300' \(positions 3-8\) must be 6 digits"),
])
def test_invalid_uscc_is_refused(value, message):
    with pytest.raises(IdentifierError, match=message):
        normalize_uscc(value)


@pytest.mark.parametrize(("head", "message"), [
    ("9144030070846113", "must be 17 characters, got 16"),
    ("914403007084611I6", "character 'I' at position 16"),
])
def test_uscc_check_character_refuses_bad_input(head, message):
    with pytest.raises(IdentifierError, match=message):
        uscc_check_character(head)


def test_uscc_check_value_31_is_written_as_zero():
    # Weighted sum 0 (mod 31) would give 31, which GB 32100 writes as '0'.
    assert uscc_check_character("0" * 17) == "0"


@FAST
@given(head=USCC_HEADS)
def test_uscc_built_from_any_head_validates(head):
    code = head[:2] + "110000" + head[8:]
    code += uscc_check_character(code)
    assert normalize_uscc(code) == code


@FAST
@given(head=USCC_HEADS, data=st.data())
def test_uscc_detects_every_single_substitution(head, data):
    code = head[:2] + "440300" + head[8:]
    code += uscc_check_character(code)
    position = data.draw(st.integers(0, 17))
    replacement = data.draw(
        st.sampled_from(USCC_ALPHABET + "IOSVZ").filter(lambda c: c != code[position]))
    assert not _is_valid(normalize_uscc, code[:position] + replacement + code[position + 1:])


# --- Registry numbers ------------------------------------------------------------------


def test_cn_application_check_digit_matches_published_numbers():
    # Application and publication numbers as printed on CNIPA publications.
    for number in ("201110059923.0", "201210213176.6", "201620289943.5",
                   "200880015234.6", "201110144387.4", "200810115246.8"):
        digits, check = number.split(".")
        assert cn_application_check_digit(digits) == check
    assert cn_application_check_digit("202110123450") == "X"


@pytest.mark.parametrize(("kind", "country", "value", "expected"), [
    # CN publication and grant numbers (CN102681861A/B: Tencent; CN205571076U: utility model)
    ("invention_patent", "CN", "CN102681861A", "CN102681861A"),
    ("invention_patent", "CN", "cn 103517202 b", "CN103517202B"),
    ("invention_patent", "CN", "102285377A", "CN102285377A"),
    ("invention_patent", "CN", "CN1234567C", "CN1234567C"),
    ("invention_patent", "CN", "CN12345678A", "CN12345678A"),
    ("invention_patent", "CN", "CN112345678B1", "CN112345678B1"),
    ("utility_model", "CN", "CN205571076U", "CN205571076U"),
    ("utility_model", "CN", "CN2812345Y", "CN2812345Y"),
    ("design_patent", "CN", "CN306123456S", "CN306123456S"),
    ("design_patent", "CN", "CN3312345D", "CN3312345D"),
    # CN application numbers, ZL/CN prefix dropped
    ("invention_patent", "CN", "201110059923.0", "201110059923.0"),
    ("invention_patent", "CN", "ZL 2021 1 0123456.7", "202110123456.7"),
    ("invention_patent", "CN", "CN201210213176.6", "201210213176.6"),
    ("invention_patent", "CN", "200880015234.6", "200880015234.6"),  # PCT national phase
    ("invention_patent", "CN", "202110123450.x", "202110123450.X"),
    ("utility_model", "CN", "zl201620289943.5", "201620289943.5"),
    ("design_patent", "cn", "202130123456.8", "202130123456.8"),
    # US patents
    ("invention_patent", "US", "US 10,123,456 B2", "US10123456B2"),
    ("invention_patent", "US", "6,123,456", "US6123456"),
    ("invention_patent", "US", "US5123456A", "US5123456A"),
    ("invention_patent", "US", "US 2021/0123456 A1", "US20210123456A1"),
    ("invention_patent", "US", "US20210123456", "US20210123456"),
    ("invention_patent", "US", "RE49,123 E", "USRE49123E"),
    ("invention_patent", "US", "USPP34,567 P3", "USPP34567P3"),
    ("design_patent", "US", "D912,345 S", "USD912345S"),
    ("design_patent", "US", "USD1,000,000S", "USD1000000S"),  # the millionth design patent
    ("design_patent", "US", "USRE49123E", "USRE49123E"),
    # Trademarks
    ("trademark", "CN", "12345678", "12345678"),
    ("trademark", "CN", "第 1234567 号", "1234567"),
    ("trademark", "CN", f"第{_fullwidth('1234')}号", "1234"),
    ("trademark", "US", "5,123,456", "5123456"),
    ("trademark", "US", "900,123", "0900123"),
    ("trademark", "US", "0000001", "0000001"),
    # CN software copyright
    ("copyright_software", "CN", "2021SR0123456", "2021SR0123456"),
    ("copyright_software", "CN", " 2010sr012345 ", "2010SR012345"),
    # No public format checked: stripped, otherwise unchanged
    ("trademark", "FR", "  4 512 345 ", "4 512 345"),
    ("copyright_film", "CN", "国作登字-2021-F-00012345", "国作登字-2021-F-00012345"),
    ("trade_secret", "US", "TS-001", "TS-001"),
    ("data_asset", "CN", "x" * 64, "x" * 64),
    ("utility_model", "US", "anything", "anything"),
])
def test_registry_number_is_normalised(kind, country, value, expected):
    assert normalize_registry_number(kind, country, value) == expected
    assert normalize_registry_number(kind, country, expected) == expected


@pytest.mark.parametrize(("kind", "country", "value", "message"), [
    ("invention_patent", "CN", "", "must not be empty"),
    ("data_asset", "CN", "  ", "must not be empty"),
    ("data_asset", "CN", "x" * 65, "must be at most 64 characters, got 65"),
    # CN patents
    ("invention_patent", "CN", "US1234567B2", "prefix must be CN, got US"),
    ("design_patent", "CN", "USD912345S", "prefix must be CN, got US"),
    ("invention_patent", "CN", "CN205571076U", "kind code U denotes a utility model"),
    ("utility_model", "CN", "CN102681861A", "kind code A denotes an invention application"),
    ("design_patent", "CN", "CN102681861B", "kind code B denotes an invention patent"),
    ("invention_patent", "CN", "CN102681861", "lacks its kind code"),
    ("invention_patent", "CN", "CN1026818611A", "does not match the CN invention patent number"),
    ("invention_patent", "CN", "CN123456A", "does not match the CN invention patent number"),
    ("invention_patent", "CN", "CN" + "".join(chr(0x660 + int(d)) for d in "102681861") + "A",
     "does not match"),  # Arabic-Indic digits
    ("invention_patent", "CN", "201110059923.1",
     r"check digit 1 does not match \(expected 0\)"),
    ("invention_patent", "CN", "201110095923.0", "check digit 0 does not match"),  # swap
    ("invention_patent", "CN", "201110059923", r"lacks its check digit after '\.'"),
    ("invention_patent", "CN", "201620289943.5", "type digit 2 .* denotes a utility model"),
    ("utility_model", "CN", "201110059923.0", "type digit 1 .* denotes an invention patent"),
    ("design_patent", "CN", "200880015234.6", "expected 3"),
    ("invention_patent", "CN", "202150123456.1", "denotes no type of patent"),
    # US patents
    ("invention_patent", "US", "CN102681861A", "prefix must be US, got CN"),
    ("invention_patent", "US", "USD912345S", "design patent number, not an invention patent"),
    ("design_patent", "US", "US10123456B2", "utility patent number, not a design patent"),
    ("invention_patent", "US", "US123456B2", "utility patent number has 7 or 8 digits, got 6"),
    ("design_patent", "US", "USD91234S", "design patent number has 6 or 7 digits, got 5"),
    ("invention_patent", "US", "US10123456A1", "kind code A1 does not fit a utility patent"),
    ("invention_patent", "US", "US20210123456B2", "kind code B2 does not fit"),
    ("invention_patent", "US", "US19990123456A1", "publication year 1999 is before 2001"),
    ("invention_patent", "US", "US10123456-B2", "does not match"),
    # Trademarks
    ("trademark", "CN", "123456789", "does not match the CN trademark registration number"),
    ("trademark", "CN", "第12345A号", "1-8 digits"),
    ("trademark", "US", "97123456", "serial number, not a registration number"),
    ("trademark", "US", "12345678", "serial number"),
    ("trademark", "US", "0000000", "does not match the US trademark registration number"),
    ("trademark", "US", "5123456R", "up to 7 digits"),
    # CN software copyright
    ("copyright_software", "CN", "软著登字第1234567号", "certificate number"),
    ("copyright_software", "CN", "1989SR123456", "year 1989 is outside 1990-2100"),
    ("copyright_software", "CN", "2021SR12345", "does not match the CN software copyright"),
    ("copyright_software", "CN", "2021SR12345678", r"year \+ SR \+ 6-7 digits"),
])
def test_invalid_registry_number_is_refused(kind, country, value, message):
    with pytest.raises(IdentifierError, match=message):
        normalize_registry_number(kind, country, value)


def test_registry_number_format_describes_checked_formats():
    assert registry_number_format("invention_patent", "cn").startswith(
        "CN invention patent number: ")
    assert "USD912345S" in registry_number_format("design_patent", "US")
    assert registry_number_format("data_asset", "CN") is None
    assert registry_number_format("trademark", "DE") is None


@pytest.mark.parametrize(("kind", "country"), [
    (kind, country)
    for kind in ("invention_patent", "utility_model", "design_patent", "trademark",
                 "copyright_software")
    for country in ("CN", "US")
    if registry_number_format(kind, country) is not None
])
def test_examples_in_format_descriptions_are_valid(kind, country):
    description = registry_number_format(kind, country)
    examples = re.findall(r"e\.g\. (\S+?)(?=[,;)]?(?:\s|$))", description)
    assert examples
    for example in examples:
        normalize_registry_number(kind, country, example)


def test_refusal_message_states_expected_format():
    with pytest.raises(IdentifierError) as caught:
        normalize_registry_number("invention_patent", "CN", "ABC")
    assert str(caught.value) == (
        "does not match the CN invention patent number format (publication number CN + 9 "
        "digits (7-8 for older ones) + kind code A, B or C, e.g. CN112345678A, or application "
        "number 12 digits + '.' + check digit, e.g. 202110123456.7)")
