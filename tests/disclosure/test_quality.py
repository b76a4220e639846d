"""Tests for disclosure.quality: template definitions, answers, rules, grades and diffs."""

import copy
import json
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from disclosure import quality
from disclosure.quality import (
    GRADES,
    Answer,
    Change,
    RuleError,
    TemplateError,
    Timeliness,
    canonical,
    diff,
    esg_fields,
    grade,
    parse_template,
    timeliness,
    validate,
)

TEMPLATE_DATA = Path(quality.__file__).resolve().parent / "template_data"
CHOICES = [["a", "Alpha"], ["b", "Beta"], ["c", "Gamma"]]
ALL_ND = ["ND1", "ND2", "ND3", "ND4", "ND5"]


def field(key, type_, **extra):
    return {"key": key, "label": key.replace("_", " ").capitalize(), "type": type_, **extra}


def definition(*fields, rules=()):
    return {
        "code": "test-template",
        "version": 1,
        "title": "Test template",
        "jurisdiction": "CN",
        "applies_to": "issuer",
        "frequency": "annual",
        "due_days": 120,
        "sections": [{"key": "main", "title": "Main", "fields": list(fields)}],
        "rules": list(rules),
    }


def make_template(*fields, rules=()):
    return parse_template(definition(*fields, rules=rules))


def nd(code, reason="Not tracked by the finance system."):
    return Answer(nd_code=code, nd_reason=reason)


def load_shipped(name):
    with (TEMPLATE_DATA / name).open(encoding="utf-8") as handle:
        return parse_template(yaml.safe_load(handle))


# --- Field types -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "extra", "raw", "expected"),
    [
        ("decimal", {}, "1234.5", Decimal("1234.5")),
        ("decimal", {}, " 1,234,567.89 ", Decimal("1234567.89")),
        ("decimal", {}, "-0.5", Decimal("-0.5")),
        ("decimal", {}, "0", Decimal("0")),
        ("integer", {}, "12", 12),
        ("integer", {}, "1,200", 1200),
        ("integer", {}, "-3", -3),
        ("percent", {}, "35 %", Decimal("0.35")),
        ("percent", {}, "35%", Decimal("0.35")),
        ("percent", {}, "0.35", Decimal("0.35")),
        ("percent", {}, "12.5 %", Decimal("0.125")),
        ("percent", {}, "100 %", Decimal("1")),
        ("percent", {}, "1", Decimal("1")),
        ("percent", {}, "0 %", Decimal("0")),
        ("boolean", {}, "yes", True),
        ("boolean", {}, "TRUE", True),
        ("boolean", {}, "1", True),
        ("boolean", {}, "No", False),
        ("boolean", {}, "false", False),
        ("boolean", {}, "0", False),
        ("date", {}, "2024-02-29", date(2024, 2, 29)),
        ("choice", {"choices": CHOICES}, "b", "b"),
        ("multi_choice", {"choices": CHOICES}, "c;a", ("a", "c")),
        ("multi_choice", {"choices": CHOICES}, " b ; a ;", ("a", "b")),
        ("text", {}, "  See https://example.com/esg  ", "See https://example.com/esg"),
        ("text", {"max_length": 5}, "abcde", "abcde"),
        ("text", {}, "x" * 4000, "x" * 4000),
        ("file", {}, "impact-2024.pdf", "impact-2024.pdf"),
    ],
)
def test_valid_input_is_parsed_to_its_python_value(type_, extra, raw, expected):
    template = make_template(field("answer", type_, **extra))
    report = validate(template, {"answer": Answer(raw)}, attachments={"impact-2024.pdf"})
    assert report.field_errors == {}
    assert report.values == {"answer": expected}
    assert type(report.values["answer"]) is type(expected)
    assert report.counts.answered == 1


PERCENT_HINT = "Write a percentage as 35 % or as the fraction 0.35."


@pytest.mark.parametrize(
    ("type_", "extra", "raw", "message"),
    [
        ("decimal", {}, "abc", "Enter a number."),
        ("decimal", {}, "1e5", "Enter a number."),
        ("decimal", {}, "NaN", "Enter a number."),
        ("decimal", {}, "Infinity", "Enter a number."),
        ("decimal", {}, "1,23", "Enter a number."),
        ("decimal", {}, "12,34.5", "Enter a number."),
        ("decimal", {}, "1.2.3", "Enter a number."),
        ("decimal", {}, "\u0661\u0662", "Enter a number."),
        ("integer", {}, "12.0", "Enter a whole number."),
        ("integer", {}, "12.5", "Enter a whole number."),
        ("integer", {}, "twelve", "Enter a whole number."),
        ("integer", {}, "1e3", "Enter a whole number."),
        ("percent", {}, "35", PERCENT_HINT),
        ("percent", {}, "1.01", PERCENT_HINT),
        ("percent", {}, "150 %", "Must be between 0 % and 100 %."),
        ("percent", {}, "-5 %", "Must be between 0 % and 100 %."),
        ("percent", {}, "-0.1", "Must be between 0 % and 100 %."),
        ("percent", {}, "abc %", "Enter a percentage, e.g. 35 % or 0.35."),
        ("percent", {}, "%", "Enter a percentage, e.g. 35 % or 0.35."),
        ("boolean", {}, "maybe", "Enter yes or no."),
        ("boolean", {}, "y", "Enter yes or no."),
        ("date", {}, "2023-02-29", "Enter a date as YYYY-MM-DD."),
        ("date", {}, "20240131", "Enter a date as YYYY-MM-DD."),
        ("date", {}, "31/01/2024", "Enter a date as YYYY-MM-DD."),
        ("date", {}, "2024-1-5", "Enter a date as YYYY-MM-DD."),
        ("choice", {"choices": CHOICES}, "d", "Choose one of: a, b, c."),
        ("choice", {"choices": CHOICES}, "Alpha", "Choose one of: a, b, c."),
        ("multi_choice", {"choices": CHOICES}, "a;d", "Not a choice: d. Choose from: a, b, c."),
        ("multi_choice", {"choices": CHOICES}, "a; a", "Listed more than once: a."),
        ("multi_choice", {"choices": CHOICES}, ";", "Choose at least one of: a, b, c."),
        ("text", {"max_length": 5}, "abcdef", "At most 5 characters (this has 6)."),
        ("text", {}, "x" * 4001, "At most 4000 characters (this has 4001)."),
        ("file", {}, "missing.pdf", "No attachment named 'missing.pdf'; upload it first."),
    ],
)
def test_invalid_input_is_refused_with_a_plain_message(type_, extra, raw, message):
    template = make_template(field("answer", type_, **extra))
    report = validate(template, {"answer": Answer(raw)}, attachments={"impact-2024.pdf"})
    assert report.field_errors == {"answer": [message]}
    assert report.values == {}
    assert report.counts.invalid == 1
    assert not report.is_valid


@pytest.mark.parametrize(
    ("type_", "extra", "raw", "message"),
    [
        ("decimal", {"min": 0}, "-0.01", "Must be at least 0."),
        ("decimal", {"min": 0}, "0", None),
        ("decimal", {"max": 100.5}, "100.5", None),
        ("decimal", {"max": 100.5}, "100.51", "Must be at most 100.5."),
        ("integer", {"min": 1, "max": 10}, "0", "Must be at least 1."),
        ("integer", {"min": 1, "max": 10}, "1", None),
        ("integer", {"min": 1, "max": 10}, "10", None),
        ("integer", {"min": 1, "max": 10}, "11", "Must be at most 10."),
        ("percent", {"min": 0.1}, "9.9 %", "Must be at least 10 %."),
        ("percent", {"min": 0.1}, "0.1", None),
        ("percent", {"max": 0.5}, "50 %", None),
        ("percent", {"max": 0.5}, "50.5 %", "Must be at most 50 %."),
    ],
)
def test_bounds_are_inclusive(type_, extra, raw, message):
    template = make_template(field("answer", type_, **extra))
    report = validate(template, {"answer": Answer(raw)})
    assert report.field_errors == ({"answer": [message]} if message else {})
    assert ("answer" in report.values) is (message is None)


# --- Blank, unknown and No-Data answers ------------------------------------------------


@pytest.mark.parametrize("answers", [{}, {"amount": Answer()}, {"amount": Answer("   ")}])
def test_blank_required_field_is_an_error_and_counts_blank(answers):
    template = make_template(field("amount", "decimal", required=True, nd=ALL_ND))
    report = validate(template, answers)
    assert report.field_errors == {"amount": ["This field is required."]}
    assert report.counts.blank == 1
    assert not report.is_valid


def test_blank_optional_field_is_fine():
    template = make_template(field("amount", "decimal"), field("note", "text"))
    report = validate(template, {"amount": Answer("5")})
    assert report.is_valid
    assert report.counts.blank == 1
    assert report.counts.answered == 1


def test_answer_for_a_field_not_in_the_template_is_an_error():
    template = make_template(field("amount", "decimal"))
    report = validate(template, {"amount": Answer("5"), "colour": Answer("red")})
    assert report.field_errors == {"colour": ["Unknown field."]}
    assert report.errors == {"colour": ["Unknown field."]}
    assert not report.is_valid
    assert report.counts.total == 1


@pytest.mark.parametrize(
    ("code", "bucket", "stored"),
    [
        ("ND1", "nd1", "ND1"),
        ("ND2", "nd_other", "ND2"),
        ("ND3", "nd_other", "ND3"),
        ("ND4-2026-06-30", "nd_other", "ND4-2026-06-30"),
        ("ND5", "nd5", "ND5"),
        (" nd1 ", "nd1", "ND1"),
    ],
)
def test_accepted_no_data_code_with_reason_is_valid(code, bucket, stored):
    template = make_template(field("amount", "decimal", required=True, nd=ALL_ND))
    report = validate(template, {"amount": nd(code)})
    assert report.is_valid
    assert report.nd_codes == {"amount": stored}
    assert report.values == {}
    assert getattr(report.counts, bucket) == 1


ND4_HINT = "Write ND4 with the date the data will be available, e.g. ND4-2026-06-30."
UNKNOWN_CODE = "Unknown No-Data code. Use ND1, ND2, ND3, ND4-YYYY-MM-DD or ND5."


@pytest.mark.parametrize(
    ("accepted", "answer", "message"),
    [
        (["ND1", "ND5"], nd("ND3"), "Accepted No-Data codes: ND1, ND5."),
        (["ND1", "ND5"], nd("ND4-2026-06-30"), "Accepted No-Data codes: ND1, ND5."),
        ([], nd("ND1"), "This field does not accept No-Data codes."),
        (ALL_ND, nd("ND4"), ND4_HINT),
        (ALL_ND, nd("ND4-2026-02-30"), ND4_HINT),
        (ALL_ND, nd("ND4-30/06/2026"), ND4_HINT),
        (ALL_ND, nd("ND1-2026-01-01"), UNKNOWN_CODE),
        (ALL_ND, nd("ND6"), UNKNOWN_CODE),
        (ALL_ND, nd("ND1", reason="  "), "Give the reason for the No-Data answer."),
        (ALL_ND, Answer("5", "ND1", "late"), "Give either a value or a No-Data code, not both."),
        (ALL_ND, Answer(nd_reason="forgot"), "A reason for omission needs a No-Data code."),
    ],
)
def test_refused_no_data_answers(accepted, answer, message):
    template = make_template(field("amount", "decimal", required=True, nd=accepted))
    report = validate(template, {"amount": answer})
    assert report.field_errors == {"amount": [message]}
    assert report.counts.invalid == 1
    assert report.nd_codes == {}


def test_refused_code_without_reason_reports_both_problems():
    template = make_template(field("amount", "decimal", nd=["ND1"]))
    report = validate(template, {"amount": Answer(nd_code="ND3")})
    assert report.field_errors == {
        "amount": ["Accepted No-Data codes: ND1.", "Give the reason for the No-Data answer."]
    }


def test_no_data_codes_do_not_make_a_field_optional():
    template = make_template(field("amount", "decimal", required=True, nd=["ND1"]))
    assert validate(template, {}).field_errors == {"amount": ["This field is required."]}
    assert validate(template, {"amount": nd("ND1")}).is_valid


# --- Cross-field rules -----------------------------------------------------------------


def two_numbers(check, right=("total",)):
    return make_template(
        field("part", "decimal"),
        field("total", "decimal", nd=["ND1"]),
        rules=[{"key": "r", "check": check, "left": "part", "right": list(right),
                "message": "Part and total disagree."}],
    )


@pytest.mark.parametrize(
    ("check", "part", "total", "holds"),
    [
        ("lte", "5", "5", True),
        ("lte", "5.01", "5", False),
        ("lt", "4.99", "5", True),
        ("lt", "5", "5", False),
        ("gte", "5", "5", True),
        ("gte", "4.99", "5", False),
        ("gt", "5.01", "5", True),
        ("gt", "5", "5", False),
        ("eq", "5.0", "5", True),
        ("eq", "5.1", "5", False),
    ],
)
def test_comparison_rules(check, part, total, holds):
    report = validate(two_numbers(check), {"part": Answer(part), "total": Answer(total)})
    expected = [] if holds else [RuleError("r", ("part", "total"), "Part and total disagree.")]
    assert report.rule_errors == expected
    assert report.is_valid is holds


def test_rule_message_is_attached_to_every_field_it_references():
    report = validate(two_numbers("lte"), {"part": Answer("6"), "total": Answer("5")})
    assert report.field_errors == {}
    assert report.errors == {
        "part": ["Part and total disagree."],
        "total": ["Part and total disagree."],
    }


@pytest.mark.parametrize(
    "total",
    [nd("ND1"), Answer(), Answer("lots")],
    ids=["no-data", "blank", "invalid"],
)
def test_comparison_rule_is_skipped_unless_every_field_has_a_value(total):
    report = validate(two_numbers("lte"), {"part": Answer("6"), "total": total})
    assert report.rule_errors == []


@pytest.mark.parametrize(
    ("shares", "holds"),
    [(("60 %", "40 %"), True), (("0.6", "0.401"), False), (("0 %", "100 %"), True)],
)
def test_rule_sums_left_fields_against_a_constant(shares, holds):
    template = make_template(
        field("first", "percent"),
        field("second", "percent"),
        rules=[{"key": "whole", "check": "lte", "left": ["first", "second"], "right": 1,
                "message": "Shares exceed 100 %."}],
    )
    report = validate(template, {"first": Answer(shares[0]), "second": Answer(shares[1])})
    assert report.is_valid is holds
    if not holds:
        expected = RuleError("whole", ("first", "second"), "Shares exceed 100 %.")
        assert report.rule_errors == [expected]


def test_rule_sums_fields_on_both_sides():
    template = make_template(
        field("a", "integer"),
        field("b", "integer"),
        field("c", "integer"),
        rules=[{"key": "sum", "check": "eq", "left": ["a", "b"], "right": ["c"], "message": "m"}],
    )
    assert validate(template, {"a": Answer("2"), "b": Answer("3"), "c": Answer("5")}).is_valid
    assert not validate(template, {"a": Answer("2"), "b": Answer("4"), "c": Answer("5")}).is_valid


def policy_template():
    return make_template(
        field("policy", "boolean", required=True),
        field("reference", "text", nd=["ND3"]),
        rules=[{"key": "reference_when_policy", "check": "required_if", "when": "policy",
                "equals": True, "then": ["reference"], "message": "Give the reference."}],
    )


@pytest.mark.parametrize(
    ("answers", "broken"),
    [
        ({"policy": Answer("yes")}, True),
        ({"policy": Answer("yes"), "reference": Answer(" ")}, True),
        ({"policy": Answer("yes"), "reference": Answer("Board minute 2024/7")}, False),
        ({"policy": Answer("yes"), "reference": nd("ND3", "In the annual report.")}, False),
        ({"policy": Answer("no")}, False),
        ({}, False),
        ({"policy": Answer("perhaps")}, False),
    ],
    ids=["missing", "blank", "value", "accepted-nd", "not-triggered", "trigger-blank",
         "trigger-invalid"],
)
def test_required_if(answers, broken):
    report = validate(policy_template(), answers)
    expected = [RuleError("reference_when_policy", ("policy", "reference"), "Give the reference.")]
    assert report.rule_errors == (expected if broken else [])


def test_required_if_leaves_an_invalid_answer_to_its_field_error():
    template = make_template(
        field("flag", "boolean"),
        field("count", "integer"),
        rules=[{"key": "r", "check": "required_if", "when": "flag", "equals": "yes",
                "then": "count", "message": "Give the count."}],
    )
    report = validate(template, {"flag": Answer("true"), "count": Answer("1.5")})
    assert report.rule_errors == []
    assert report.field_errors == {"count": ["Enter a whole number."]}


def test_required_if_on_a_choice_value():
    template = make_template(
        field("kind", "choice", choices=CHOICES),
        field("detail", "text"),
        rules=[{"key": "r", "check": "required_if", "when": "kind", "equals": "b",
                "then": ["detail"], "message": "Describe b."}],
    )
    assert not validate(template, {"kind": Answer("b")}).is_valid
    assert validate(template, {"kind": Answer("a")}).is_valid


# --- Grade and completeness ------------------------------------------------------------


def graded_report(nd1=0, nd_other=0, nd5=0, answered=0, blank=0):
    """Validate a template of optional fields answered in the given proportions."""
    kinds = (
        [nd("ND1")] * nd1
        + [nd("ND2")] * nd_other
        + [nd("ND5")] * nd5
        + [Answer("1")] * answered
        + [None] * blank
    )
    template = make_template(*(field(f"f{n}", "decimal", nd=ALL_ND) for n in range(len(kinds))))
    answers = {f"f{n}": answer for n, answer in enumerate(kinds) if answer is not None}
    return validate(template, answers)


@pytest.mark.parametrize(
    ("nd1", "answered", "letter"),
    [
        (0, 10, "A"),
        (1, 9, "B"),  # exactly 10 %
        (4, 35, "C"),  # 10.3 %
        (3, 7, "C"),  # exactly 30 %
        (10, 23, "D"),  # 30.3 %
    ],
)
def test_grade_letter_boundaries(nd1, answered, letter):
    report = graded_report(nd1=nd1, answered=answered)
    assert report.nd1_share == Fraction(nd1, nd1 + answered)
    assert report.grade == f"{letter}1"


@pytest.mark.parametrize(
    ("nd_other", "answered", "digit"),
    [
        (0, 5, "1"),
        (1, 4, "2"),  # exactly 20 %
        (7, 27, "3"),  # 20.6 %
        (2, 3, "3"),  # exactly 40 %
        (13, 19, "4"),  # 40.6 %
    ],
)
def test_grade_digit_boundaries(nd_other, answered, digit):
    report = graded_report(nd_other=nd_other, answered=answered)
    assert report.nd_other_share == Fraction(nd_other, nd_other + answered)
    assert report.grade == f"A{digit}"


def test_blank_fields_count_as_nd1_for_the_grade():
    report = graded_report(blank=1, answered=9)
    assert report.nd1_share == Fraction(1, 10)
    assert report.grade == "B1"


def test_nd5_answers_leave_the_applicable_fields():
    report = graded_report(nd1=1, nd5=1, answered=9)
    assert report.counts.applicable == 10
    assert report.nd1_share == Fraction(1, 10)
    assert report.grade == "B1"
    assert report.completeness == 0.9


def test_grade_combines_letter_and_digit():
    assert graded_report(nd1=4, nd_other=3, answered=3).grade == "D3"


@pytest.mark.parametrize(
    ("nd1_share", "nd_other_share", "expected"),
    [
        (0, 0, "A1"),
        (Fraction(1, 10), Fraction(1, 5), "B2"),
        (0.1, 0.2, "B2"),
        (Decimal("0.3"), Decimal("0.4"), "C3"),
        (0.3, 0.4, "C3"),
        (Fraction(1, 10) + Fraction(1, 10**9), Fraction(1, 5) + Fraction(1, 10**9), "C3"),
        (Fraction(3, 10) + Fraction(1, 10**9), Fraction(2, 5) + Fraction(1, 10**9), "D4"),
        (1, 1, "D4"),
    ],
)
def test_grade_function_uses_exact_boundaries(nd1_share, nd_other_share, expected):
    assert grade(nd1_share, nd_other_share) == expected


@pytest.mark.parametrize(("nd1_share", "nd_other_share"), [(-0.1, 0), (0, 1.5)])
def test_grade_refuses_shares_outside_zero_to_one(nd1_share, nd_other_share):
    with pytest.raises(ValueError, match="between 0 and 1"):
        grade(nd1_share, nd_other_share)


def test_completeness_is_answered_over_applicable():
    report = graded_report(nd1=1, nd_other=1, nd5=2, answered=3, blank=1)
    assert report.counts.applicable == 6
    assert report.completeness == pytest.approx(0.5)
    assert report.counts.total == 8


def test_completeness_is_one_when_nothing_applies():
    report = graded_report(nd5=3)
    assert report.completeness == 1.0
    assert report.grade == "A1"


def test_invalid_answers_count_as_applicable_but_not_answered():
    template = make_template(field("a", "decimal"), field("b", "decimal"))
    report = validate(template, {"a": Answer("x"), "b": Answer("1")})
    assert report.counts.invalid == 1
    assert report.completeness == 0.5


# --- Timeliness ------------------------------------------------------------------------

DUE = date(2025, 4, 30)


@pytest.mark.parametrize(
    ("submitted_on", "today", "expected"),
    [
        (date(2025, 4, 30), date(2025, 6, 1), Timeliness("on_time", 0)),
        (date(2025, 3, 1), date(2025, 3, 1), Timeliness("on_time", 0)),
        (date(2025, 5, 3), date(2025, 6, 1), Timeliness("late", 3)),
        (None, date(2025, 4, 30), Timeliness("not_due", 0)),
        (None, date(2025, 1, 1), Timeliness("not_due", 0)),
        (None, date(2025, 5, 10), Timeliness("overdue", 10)),
    ],
)
def test_timeliness(submitted_on, today, expected):
    assert timeliness(DUE, submitted_on, today) == expected


# --- Canonical form and diff -----------------------------------------------------------


def mixed_template():
    return make_template(
        field("amount", "decimal", nd=ALL_ND),
        field("share", "percent"),
        field("count", "integer"),
        field("flag", "boolean"),
        field("when", "date"),
        field("tags", "multi_choice", choices=CHOICES),
        field("report", "file"),
        field("note", "text"),
    )


def test_canonical_form_is_json_safe_and_ordered_by_template():
    answers = {
        "note": Answer(" Hello "),
        "tags": Answer("c;a"),
        "amount": Answer("1,200.50"),
        "share": Answer("35 %"),
        "count": Answer("7"),
        "flag": Answer("yes"),
        "when": Answer("2025-01-31"),
        "report": Answer("impact.pdf"),
    }
    result = canonical(mixed_template(), answers)
    assert result == {
        "amount": {"value": "1200.5"},
        "share": {"value": "0.35"},
        "count": {"value": 7},
        "flag": {"value": True},
        "when": {"value": "2025-01-31"},
        "tags": {"value": ["a", "c"]},
        "report": {"value": "impact.pdf"},
        "note": {"value": "Hello"},
    }
    assert list(result) == ["amount", "share", "count", "flag", "when", "tags", "report", "note"]
    assert json.loads(json.dumps(result)) == result


def test_canonical_form_is_equal_for_equal_meanings_and_keeps_nd_reasons():
    template = mixed_template()
    assert canonical(template, {"share": Answer("35%")}) == canonical(
        template, {"share": Answer("0.350")}
    )
    assert canonical(template, {"amount": Answer(nd_code="nd2", nd_reason=" In ERP. ")}) == {
        "amount": {"nd": "ND2", "reason": "In ERP."}
    }
    assert canonical(template, {"amount": Answer(), "count": Answer("0")}) == {
        "count": {"value": 0}
    }


@pytest.mark.parametrize(
    "answers", [{"amount": Answer("abc")}, {"ghost": Answer("1")}], ids=["invalid", "unknown"]
)
def test_canonical_refuses_answers_that_do_not_validate(answers):
    with pytest.raises(ValueError, match=next(iter(answers))):
        canonical(mixed_template(), answers)


def test_diff_without_template_compares_raw_answers_in_key_order():
    old = {"b": Answer("1000"), "a": Answer("x"), "c": Answer("same"), "d": Answer("")}
    new = {"b": Answer("1,000"), "a": Answer("x "), "c": Answer("same"), "e": Answer("new")}
    assert diff(old, new) == [
        Change("b", Answer("1000"), Answer("1,000")),
        Change("e", None, Answer("new")),
    ]


def test_diff_with_template_compares_meaning_in_template_order():
    template = mixed_template()
    old = {"note": Answer("old"), "amount": Answer("1000"), "share": Answer("35 %")}
    new = {
        "note": Answer("new"),
        "amount": Answer("1,000.0"),
        "share": Answer("36 %"),
        "flag": Answer("no"),
        "ghost": Answer("?"),
    }
    assert diff(template, old, new) == [
        Change("share", Answer("35 %"), Answer("36 %")),
        Change("flag", None, Answer("no")),
        Change("note", Answer("old"), Answer("new")),
        Change("ghost", None, Answer("?")),
    ]


def test_diff_sees_a_value_replaced_by_a_no_data_code_and_a_removed_answer():
    template = mixed_template()
    old = {"amount": Answer("5"), "count": Answer("2")}
    new = {"amount": nd("ND1")}
    assert diff(template, old, new) == [
        Change("amount", Answer("5"), nd("ND1")),
        Change("count", Answer("2"), None),
    ]
    assert diff(template, old, old) == []


# --- Template definitions --------------------------------------------------------------


def base_definition():
    return definition(
        field("amount", "decimal", unit="CNY thousand", required=True, min=0, nd=["ND3"],
              pillar="G", dimension="economic", sdg_targets=["8.2"]),
        field("total", "decimal", unit="CNY thousand"),
        field("kind", "choice", choices=[["x", "X"], ["y", "Y"]]),
        field("flag", "boolean", pillar="G"),
        field("note", "text"),
        rules=[
            {"key": "amount_within_total", "check": "lte", "left": ["amount"],
             "right": ["total"], "message": "Amount exceeds total."},
            {"key": "note_when_flag", "check": "required_if", "when": "flag", "equals": True,
             "then": ["note"], "message": "Explain."},
        ],
    )


def _set(path, value):
    def mutate(data):
        *parents, last = path
        target = data
        for step in parents:
            target = target[step]
        target[last] = value

    return mutate


def _drop(key):
    return lambda data: data.pop(key)


FIELD0 = ("sections", 0, "fields", 0)
RULE0 = ("rules", 0)
RULE1 = ("rules", 1)


@pytest.mark.parametrize(
    ("mutate", "path", "message"),
    [
        (_drop("code"), "code", "is required"),
        (_set(("code",), "Issuer ESG"), "code", "lower-case"),
        (_set(("version",), 0), "version", "at least 1"),
        (_set(("version",), "1"), "version", "whole number"),
        (_set(("version",), True), "version", "whole number"),
        (_set(("colour",), "red"), "colour", "unknown key"),
        (_set(("applies_to",), "pool"), "applies_to", "must be one of issuer, deal"),
        (_set(("frequency",), "monthly"), "frequency", "must be one of annual, quarterly"),
        (_set(("due_days",), -1), "due_days", "at least 0"),
        (_set(("sections",), []), "sections", "non-empty list"),
        (_set(("sections", 0), "main"), "sections[0]", "must be a mapping"),
        (_set(("sections", 0, "fields"), []), "sections[0].fields", "non-empty list"),
        (_set((*FIELD0, "colour"), "red"), "sections[0].fields[0].colour", "unknown key"),
        (_set((*FIELD0, "type"), "money"), "sections[0].fields[0].type", "must be one of"),
        (_set((*FIELD0, "key"), "Amount"), "sections[0].fields[0].key", "starting with a letter"),
        (_set(("sections", 0, "fields", 1, "key"), "amount"), "sections[0].fields[1].key",
         "duplicate field key 'amount' (first at sections[0].fields[0])"),
        (_set(("sections", 0, "fields", 4, "unit"), "words"), "sections[0].fields[4].unit",
         "only allowed on decimal or integer fields"),
        (_set(("sections", 0, "fields", 4, "min"), 0), "sections[0].fields[4].min",
         "only allowed on numeric fields"),
        (_set((*FIELD0, "max_length"), 10), "sections[0].fields[0].max_length",
         "only allowed on text fields"),
        (_set((*FIELD0, "choices"), [["a", "A"]]), "sections[0].fields[0].choices",
         "only allowed on choice or multi_choice fields"),
        (_set(("sections", 0, "fields", 2, "choices"), None), "sections[0].fields[2].choices",
         "needs a list"),
        (_set(("sections", 0, "fields", 2, "choices"), [[True, "Yes"]]),
         "sections[0].fields[2].choices[0]", "quoted text"),
        (_set(("sections", 0, "fields", 2, "choices"), [["x", "X"], ["x", "Again"]]),
         "sections[0].fields[2].choices[1]", "duplicate choice value 'x'"),
        (_set((*FIELD0, "max"), -1), "sections[0].fields[0].max", "must not be below min"),
        (_set((*FIELD0, "min"), "0"), "sections[0].fields[0].min", "must be a number"),
        (_set((*FIELD0, "pillar"), "X"), "sections[0].fields[0].pillar", "E, S, G"),
        (_set((*FIELD0, "dimension"), "governance"), "sections[0].fields[0].dimension",
         "must be one of"),
        (_set((*FIELD0, "sdg_targets"), ["18.1"]), "sections[0].fields[0].sdg_targets[0]",
         "goal 1-17"),
        (_set((*FIELD0, "sdg_targets"), [9.5]), "sections[0].fields[0].sdg_targets[0]",
         "quoted text"),
        (_set((*FIELD0, "sdg_targets"), ["9.abc"]), "sections[0].fields[0].sdg_targets[0]",
         "goal.target"),
        (_set((*FIELD0, "nd"), ["ND4-2026-01-01"]), "sections[0].fields[0].nd[0]",
         "must be one of ND1"),
        (_set((*FIELD0, "nd"), ["ND1", "ND1"]), "sections[0].fields[0].nd", "twice"),
        (_set((*FIELD0, "required"), "yes"), "sections[0].fields[0].required", "true or false"),
        (_set((*RULE0, "check"), "between"), "rules[0].check", "must be one of"),
        (_set((*RULE0, "left"), ["ghost"]), "rules[0].left[0]", "unknown field 'ghost'"),
        (_set((*RULE0, "left"), "ghost"), "rules[0].left", "unknown field 'ghost'"),
        (_set((*RULE0, "left"), []), "rules[0].left", "non-empty list"),
        (_set((*RULE0, "right"), ["note"]), "rules[0].right[0]",
         "note is not a decimal, integer or percent field"),
        (_set((*RULE0, "right"), True), "rules[0].right", "must name a field"),
        (_set((*RULE0, "when"), "flag"), "rules[0].when", "unknown key"),
        (_set(("sections", 0, "fields", 1, "unit"), "tCO2e"), "rules[0]",
         "CNY thousand, tCO2e"),
        (_set((*RULE1, "when"), "ghost"), "rules[1].when", "unknown field 'ghost'"),
        (_set((*RULE1, "equals"), "maybe"), "rules[1].equals", "not a valid value of flag"),
        (_set((*RULE1, "then"), ["ghost"]), "rules[1].then[0]", "unknown field 'ghost'"),
        (_set((*RULE1, "left"), ["amount"]), "rules[1].left", "unknown key"),
        (_set((*RULE1, "key"), "amount_within_total"), "rules[1].key", "duplicate rule key"),
        (_set((*RULE1, "message"), ""), "rules[1].message", "is required"),
    ],
)
def test_definition_errors_name_the_place(mutate, path, message):
    data = base_definition()
    mutate(data)
    with pytest.raises(TemplateError) as caught:
        parse_template(data)
    assert caught.value.path == path
    assert message in caught.value.message
    assert str(caught.value).startswith(f"{path}: ")


def test_definition_is_not_changed_by_parsing_and_parses_to_frozen_dataclasses():
    data = base_definition()
    snapshot = copy.deepcopy(data)
    template = parse_template(data)
    assert data == snapshot
    assert [f.key for f in template.fields] == ["amount", "total", "kind", "flag", "note"]
    assert template.field("amount").min == Decimal(0)
    assert template.field("amount").sdg_targets == ("8.2",)
    assert template.field("note").max_length == 4000
    assert template.field("kind").choice_values == ("x", "y")
    assert template.rules[1].equals is True
    assert template.rules[0].fields == ("amount", "total")
    assert [f.key for f in esg_fields(template)] == ["amount", "flag"]
    with pytest.raises(KeyError):
        template.field("ghost")
    with pytest.raises(AttributeError):
        template.code = "other"  # type: ignore[misc]


def test_fields_are_ordered_across_sections():
    data = base_definition()
    data["sections"].append({"key": "more", "title": "More", "fields": [field("extra", "date")]})
    template = parse_template(data)
    assert [f.key for f in template.fields][-2:] == ["note", "extra"]
    assert [section.key for section in template.sections] == ["main", "more"]


# --- Shipped templates -----------------------------------------------------------------


def sample_answers(template):
    """Answer every field with a small valid value that keeps every rule."""
    by_type = {
        "decimal": "1",
        "integer": "1",
        "percent": "10 %",
        "boolean": "no",
        "date": "2025-01-31",
        "text": "See the annual report.",
        "file": "report.pdf",
    }
    return {
        f.key: Answer(f.choice_values[0] if f.choices else by_type[f.type])
        for f in template.fields
    }


ISSUER_KEYS = {
    "revenue", "rnd_expense", "employees", "high_skill_employees", "patent_applications",
    "commercialization_cycle_months", "carbon_rnd_expense", "clean_energy_revenue_share",
    "scope1_emissions", "scope2_emissions", "scope2_method", "board_independence",
    "esg_policy", "esg_policy_reference", "sme_status", "women_in_workforce_share",
    "training_hours_per_employee", "supply_chain_esg_screening",
}
DEAL_KEYS = {
    "collections", "collections_scheduled", "green_allocation", "proceeds_allocated",
    "proceeds_rnd_share", "proceeds_working_capital_share", "proceeds_renewable_energy_share",
    "proceeds_energy_efficiency_share", "proceeds_clean_transport_share",
    "proceeds_pollution_prevention_share", "proceeds_sme_financing_share",
    "proceeds_other_share", "jobs_created_at_beneficiaries", "beneficiaries_count",
    "sme_beneficiaries_count", "beneficiaries_rnd_expense", "beneficiaries_patents_filed",
    "significant_events", "events_occurred", "impact_report",
}


def test_issuer_template_parses_with_the_expected_shape():
    template = load_shipped("issuer-esg-annual-v1.yaml")
    keys = {f.key for f in template.fields}
    assert (template.code, template.version) == ("issuer-esg-annual", 1)
    assert (template.applies_to, template.frequency, template.due_days) == ("issuer", "annual", 120)
    assert keys >= ISSUER_KEYS
    assert template.field("revenue").required and template.field("revenue").nd == ("ND3",)
    assert template.field("employees").required and template.field("employees").nd == ("ND3",)
    assert template.field("scope1_emissions").unit == "tCO2e"
    assert template.field("clean_energy_revenue_share").type == "percent"
    assert template.field("sme_status").choice_values == ("sme", "large", "not_applicable")
    rules = {rule.key: rule for rule in template.rules}
    assert rules["high_skill_within_employees"].fields == ("high_skill_employees", "employees")
    assert rules["carbon_rnd_within_rnd"].fields == ("carbon_rnd_expense", "rnd_expense")
    assert rules["esg_policy_reference_when_policy"].then == ("esg_policy_reference",)
    assert not any(set(rule.fields) == {"rnd_expense", "revenue"} for rule in template.rules)
    assert len(esg_fields(template)) >= 12


def test_deal_template_parses_with_the_expected_shape():
    template = load_shipped("deal-periodic-v1.yaml")
    keys = {f.key for f in template.fields}
    assert (template.code, template.version) == ("deal-periodic", 1)
    assert (template.applies_to, template.frequency, template.due_days) == ("deal", "annual", 120)
    assert keys >= DEAL_KEYS
    assert template.field("impact_report").type == "file"
    assert not template.field("impact_report").required
    shares = next(rule for rule in template.rules if rule.key == "use_of_proceeds_within_whole")
    assert shares.right_constant == 1
    assert len(shares.left) == 8
    assert all(template.field(key).type == "percent" for key in shares.left)


@pytest.mark.parametrize("name", ["issuer-esg-annual-v1.yaml", "deal-periodic-v1.yaml"])
def test_shipped_template_accepts_a_complete_filing(name):
    template = load_shipped(name)
    report = validate(template, sample_answers(template), attachments={"report.pdf"})
    assert report.errors == {}
    assert report.grade == "A1"
    assert report.completeness == 1.0


@pytest.mark.parametrize(
    ("name", "changes", "rule_key"),
    [
        ("issuer-esg-annual-v1.yaml", {"high_skill_employees": "2"}, "high_skill_within_employees"),
        ("issuer-esg-annual-v1.yaml", {"carbon_rnd_expense": "1.5"}, "carbon_rnd_within_rnd"),
        ("issuer-esg-annual-v1.yaml", {"esg_policy": "yes", "esg_policy_reference": ""},
         "esg_policy_reference_when_policy"),
        ("deal-periodic-v1.yaml", {"proceeds_other_share": "31 %"}, "use_of_proceeds_within_whole"),
        ("deal-periodic-v1.yaml", {"green_allocation": "2"}, "green_within_allocated"),
        ("deal-periodic-v1.yaml", {"sme_beneficiaries_count": "2"}, "sme_within_beneficiaries"),
        ("deal-periodic-v1.yaml", {"events_occurred": "yes", "significant_events": ""},
         "events_described_when_occurred"),
    ],
)
def test_shipped_template_rules_catch_inconsistent_filings(name, changes, rule_key):
    template = load_shipped(name)
    answers = sample_answers(template) | {key: Answer(raw) for key, raw in changes.items()}
    report = validate(template, answers, attachments={"report.pdf"})
    assert [error.rule_key for error in report.rule_errors] == [rule_key]


# --- Properties ------------------------------------------------------------------------

PROPERTY_TEMPLATE = make_template(
    field("amount", "decimal", required=True, min=0, nd=["ND1", "ND3"]),
    field("count", "integer", nd=ALL_ND),
    field("share", "percent", max=0.5, nd=["ND2", "ND4", "ND5"]),
    field("flag", "boolean", required=True, nd=["ND5"]),
    field("when", "date", nd=ALL_ND),
    field("kind", "choice", choices=CHOICES, nd=["ND1"]),
    field("tags", "multi_choice", choices=CHOICES),
    field("note", "text", max_length=10, nd=ALL_ND),
    field("report", "file", nd=["ND5"]),
    rules=[
        {"key": "count_within_amount", "check": "lte", "left": "count", "right": "amount",
         "message": "m"},
        {"key": "note_when_flag", "check": "required_if", "when": "flag", "equals": True,
         "then": ["note"], "message": "m"},
    ],
)
VALUES = ["", " ", "0", "1", "12.0", "1,000", "-3", "35 %", "0.35", "1e5", "abc", "yes",
          "2024-02-29", "2023-02-29", "a", "a;b", "b;b", "report.pdf", "x" * 11]
CODES = ["", "", "ND1", "ND2", "ND3", "ND4-2026-01-01", "ND4", "ND5", "nd5", "ND9"]
answer_strategy = st.builds(
    Answer,
    value=st.sampled_from(VALUES),
    nd_code=st.sampled_from(CODES),
    nd_reason=st.sampled_from(["", "", "Not tracked."]),
)
answers_strategy = st.dictionaries(
    st.sampled_from([f.key for f in PROPERTY_TEMPLATE.fields] + ["ghost"]), answer_strategy
)


@settings(max_examples=300, deadline=None)
@given(answers_strategy)
def test_counts_add_up_and_grade_is_always_a_known_grade(answers):
    report = validate(PROPERTY_TEMPLATE, answers, attachments={"report.pdf"})
    counts = report.counts
    assert (
        counts.answered + counts.nd1 + counts.nd_other + counts.nd5 + counts.blank + counts.invalid
        == len(PROPERTY_TEMPLATE.fields)
    )
    assert report.grade in GRADES
    assert 0 <= report.completeness <= 1
    assert 0 <= report.nd1_share <= 1 and 0 <= report.nd_other_share <= 1
    assert counts.answered == len(report.values)
    assert counts.nd1 + counts.nd_other + counts.nd5 == len(report.nd_codes)
    assert not set(report.values) & set(report.nd_codes)
    if report.is_valid:
        assert counts.invalid == 0
        assert "ghost" not in answers


@settings(max_examples=200, deadline=None)
@given(answers_strategy)
def test_canonical_covers_exactly_the_valid_answers(answers):
    # canonical() names attachments without checking them, so every name counts as uploaded.
    report = validate(PROPERTY_TEMPLATE, answers, attachments=VALUES)
    if report.counts.invalid or "ghost" in answers:
        with pytest.raises(ValueError):
            canonical(PROPERTY_TEMPLATE, answers)
    else:
        assert set(canonical(PROPERTY_TEMPLATE, answers)) == set(report.values) | set(
            report.nd_codes
        )
        assert diff(PROPERTY_TEMPLATE, answers, dict(answers)) == []
