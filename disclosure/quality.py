"""Check disclosure answers against a template definition and grade their data quality.

A template is data (YAML under ``template_data/``): :func:`parse_template` checks the
definition, :func:`validate` checks one filing's answers against it. Answers are the raw
strings a preparer typed or a CSV held; the report gives back parsed values (``Decimal`` for
decimal and percent, ``int``, ``bool``, ``datetime.date``, ``str``, and a tuple of choice
values in the template's order for multi_choice). A percent is always a fraction in [0, 1].

No-Data codes are those of the ESMA securitisation disclosure templates: ND1 not collected,
ND2 collected but not loaded, ND3 held in another system, ND4-YYYY-MM-DD available from that
date, ND5 not applicable. As there, accepting ND codes never makes a field optional. An ND
answer needs a reason, as GRI's "reason for omission" does.

Data quality (DESIGN.md section 4): every template field falls in exactly one bucket
(answered, nd1, nd_other, nd5, blank, invalid). The applicable fields are all fields less
those answered ND5. The completeness grade is a letter from the share of ND1 answers, blank
fields counting as ND1 (nothing reported is nothing collected), and a digit from the share
of ND2-ND4 answers, both over the applicable fields. Comparison rules run only when every
field they name has a value; ``required_if`` runs when its trigger field has the given value.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Mapping, Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from numbers import Rational
from typing import Any, Literal, overload

__all__ = [
    "COMPARISON_CHECKS",
    "FIELD_TYPES",
    "GRADES",
    "ND_CODES",
    "Answer",
    "Change",
    "Field",
    "QualityCounts",
    "Report",
    "Rule",
    "RuleError",
    "Section",
    "Template",
    "TemplateError",
    "Timeliness",
    "canonical",
    "diff",
    "esg_fields",
    "grade",
    "parse_template",
    "timeliness",
    "validate",
]

FIELD_TYPES = (
    "decimal", "integer", "percent", "choice", "multi_choice", "boolean", "date", "text", "file",
)
NUMERIC_TYPES = frozenset({"decimal", "integer", "percent"})
COMPARISON_CHECKS = ("lte", "lt", "gte", "gt", "eq")
RULE_CHECKS = (*COMPARISON_CHECKS, "required_if")
ND_CODES = ("ND1", "ND2", "ND3", "ND4", "ND5")
PILLARS = ("E", "S", "G")
DIMENSIONS = ("economic", "social", "environmental")
APPLIES_TO = ("issuer", "deal")
FREQUENCIES = ("annual", "quarterly")
DEFAULT_MAX_LENGTH = 4000
GRADES = tuple(letter + digit for letter in "ABCD" for digit in "1234")

# Upper limits of each grade step, inclusive; a share above the last limit gets the last label.
_ND1_LETTERS = ((Fraction(0), "A"), (Fraction(1, 10), "B"), (Fraction(3, 10), "C"))
_ND_OTHER_DIGITS = ((Fraction(0), "1"), (Fraction(1, 5), "2"), (Fraction(2, 5), "3"))

_TEMPLATE_CODE_RE = re.compile(r"[a-z0-9-]+")
_KEY_RE = re.compile(r"[a-z][a-z0-9_]*")
_SDG_TARGET_RE = re.compile(r"(\d{1,2})\.([0-9a-z]{1,2})")
# ASCII digits only; commas may only group thousands, so "1,23" is refused, not guessed at.
_DECIMAL_RE = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
_INTEGER_RE = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)")
# date.fromisoformat also takes "20240131" and week dates; answers must be YYYY-MM-DD.
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ND_RE = re.compile(r"(ND[1-5])(?:-(.*))?")
_TRUE_WORDS = frozenset({"true", "yes", "1"})
_FALSE_WORDS = frozenset({"false", "no", "0"})

_COMPARE = {
    "lte": lambda left, right: left <= right,
    "lt": lambda left, right: left < right,
    "gte": lambda left, right: left >= right,
    "gt": lambda left, right: left > right,
    "eq": lambda left, right: left == right,
}

Category = Literal["answered", "nd1", "nd_other", "nd5", "blank", "invalid"]


# --- Definitions -----------------------------------------------------------------------


class TemplateError(ValueError):
    """A template definition is malformed at ``path``, e.g. ``sections[0].fields[2].type``."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


@dataclasses.dataclass(frozen=True)
class Field:
    """One question of a template."""

    key: str
    label: str
    type: str
    help: str = ""
    unit: str = ""
    required: bool = False
    min: Decimal | None = None
    max: Decimal | None = None
    max_length: int | None = None
    choices: tuple[tuple[str, str], ...] = ()
    pillar: str = ""
    dimension: str = ""
    sdg_targets: tuple[str, ...] = ()
    nd: tuple[str, ...] = ()

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(value for value, _label in self.choices)


@dataclasses.dataclass(frozen=True)
class Section:
    """A titled group of fields, shown together in the form."""

    key: str
    title: str
    fields: tuple[Field, ...]


@dataclasses.dataclass(frozen=True)
class Rule:
    """A cross-field consistency rule.

    Comparison checks compare sum(``left``) with sum(``right``) or with ``right_constant``;
    ``required_if`` requires every ``then`` field to be answered when ``when`` equals
    ``equals`` (a parsed value of that field).
    """

    key: str
    check: str
    message: str
    left: tuple[str, ...] = ()
    right: tuple[str, ...] = ()
    right_constant: Decimal | None = None
    when: str = ""
    equals: Any = None
    then: tuple[str, ...] = ()

    @property
    def fields(self) -> tuple[str, ...]:
        """Return every field the rule names, each once, in the order named."""
        if self.check == "required_if":
            return tuple(dict.fromkeys((self.when, *self.then)))
        return tuple(dict.fromkeys((*self.left, *self.right)))


@dataclasses.dataclass(frozen=True)
class Template:
    """A parsed, checked disclosure template version."""

    code: str
    version: int
    title: str
    jurisdiction: str
    applies_to: str
    frequency: str
    due_days: int
    sections: tuple[Section, ...]
    description: str = ""
    sources: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    fields: tuple[Field, ...] = dataclasses.field(init=False, repr=False, compare=False)
    _fields_by_key: dict[str, Field] = dataclasses.field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        fields = tuple(field for section in self.sections for field in section.fields)
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "_fields_by_key", {field.key: field for field in fields})

    def field(self, key: str) -> Field:
        """Return the field called ``key``; raise KeyError if the template has none."""
        return self._fields_by_key[key]

    def has_field(self, key: str) -> bool:
        return key in self._fields_by_key


def esg_fields(template: Template) -> tuple[Field, ...]:
    """Return the template's fields that belong to an ESG pillar, in template order."""
    return tuple(field for field in template.fields if field.pillar)


# --- Parsing a definition --------------------------------------------------------------

_TEMPLATE_KEYS = (
    "code", "version", "title", "jurisdiction", "applies_to", "frequency", "due_days",
    "description", "sources", "sections", "rules",
)
_SECTION_KEYS = ("key", "title", "fields")
_FIELD_KEYS = (
    "key", "label", "help", "type", "unit", "required", "min", "max", "max_length", "choices",
    "pillar", "dimension", "sdg_targets", "nd",
)
_COMPARISON_RULE_KEYS = ("key", "check", "message", "left", "right")
_REQUIRED_IF_RULE_KEYS = ("key", "check", "message", "when", "equals", "then")


def parse_template(data: Mapping[str, Any]) -> Template:
    """Check a template definition (as loaded from YAML) and build the Template."""
    _check_keys(data, "", _TEMPLATE_KEYS)
    sections_data = _require(data, "sections", "")
    if not isinstance(sections_data, list) or not sections_data:
        raise TemplateError("sections", "must be a non-empty list")
    sections: list[Section] = []
    first_seen: dict[str, str] = {}
    for index, section_data in enumerate(sections_data):
        sections.append(_parse_section(section_data, f"sections[{index}]", first_seen))
    fields = {field.key: field for section in sections for field in section.fields}
    rules_data = data.get("rules") or []
    if not isinstance(rules_data, list):
        raise TemplateError("rules", "must be a list")
    rules: list[Rule] = []
    rule_keys: set[str] = set()
    for index, rule_data in enumerate(rules_data):
        rule = _parse_rule(rule_data, f"rules[{index}]", fields)
        if rule.key in rule_keys:
            raise TemplateError(f"rules[{index}].key", f"duplicate rule key {rule.key!r}")
        rule_keys.add(rule.key)
        rules.append(rule)
    code = _text(data, "code", "")
    if not _TEMPLATE_CODE_RE.fullmatch(code):
        raise TemplateError("code", "use lower-case letters, digits and hyphens")
    return Template(
        code=code,
        version=_integer(data, "version", "", minimum=1),
        title=_text(data, "title", ""),
        jurisdiction=_text(data, "jurisdiction", ""),
        applies_to=_one_of(data, "applies_to", "", APPLIES_TO),
        frequency=_one_of(data, "frequency", "", FREQUENCIES),
        due_days=_integer(data, "due_days", "", minimum=0),
        description=_text(data, "description", "", required=False),
        sources=_text_list(data.get("sources"), "sources"),
        sections=tuple(sections),
        rules=tuple(rules),
    )


def _parse_section(data: Any, path: str, first_seen: dict[str, str]) -> Section:
    _check_keys(data, path, _SECTION_KEYS)
    key = _key(data, path)
    fields_data = _require(data, "fields", path)
    if not isinstance(fields_data, list) or not fields_data:
        raise TemplateError(_join(path, "fields"), "must be a non-empty list")
    fields = []
    for index, field_data in enumerate(fields_data):
        field_path = f"{path}.fields[{index}]"
        field = _parse_field(field_data, field_path)
        if field.key in first_seen:
            raise TemplateError(
                _join(field_path, "key"),
                f"duplicate field key {field.key!r} (first at {first_seen[field.key]})",
            )
        first_seen[field.key] = field_path
        fields.append(field)
    return Section(key=key, title=_text(data, "title", path), fields=tuple(fields))


def _parse_field(data: Any, path: str) -> Field:
    _check_keys(data, path, _FIELD_KEYS)
    field_type = _one_of(data, "type", path, FIELD_TYPES)
    numeric = field_type in NUMERIC_TYPES
    _forbid_unless(data, "unit", path, field_type in ("decimal", "integer"), "decimal or integer")
    _forbid_unless(data, "min", path, numeric, "numeric")
    _forbid_unless(data, "max", path, numeric, "numeric")
    _forbid_unless(data, "max_length", path, field_type == "text", "text")
    has_choices = field_type in ("choice", "multi_choice")
    _forbid_unless(data, "choices", path, has_choices, "choice or multi_choice")

    bounds = {}
    for name in ("min", "max"):
        bound = None if data.get(name) is None else _number(data[name], _join(path, name))
        if bound is not None and field_type == "integer" and bound != bound.to_integral_value():
            raise TemplateError(_join(path, name), "must be a whole number for an integer field")
        if bound is not None and field_type == "percent" and not 0 <= bound <= 1:
            raise TemplateError(_join(path, name), "percent bounds are fractions from 0 to 1")
        bounds[name] = bound
    if bounds["min"] is not None and bounds["max"] is not None and bounds["min"] > bounds["max"]:
        raise TemplateError(_join(path, "max"), "must not be below min")

    max_length = None
    if field_type == "text":
        max_length = (
            _integer(data, "max_length", path, minimum=1)
            if data.get("max_length") is not None
            else DEFAULT_MAX_LENGTH
        )
    choices = _parse_choices(data, path, field_type) if has_choices else ()

    required = data.get("required", False)
    if not isinstance(required, bool):
        raise TemplateError(_join(path, "required"), "must be true or false")
    pillar = data.get("pillar") or ""
    if pillar and pillar not in PILLARS:
        raise TemplateError(_join(path, "pillar"), "must be one of E, S, G")
    dimension = data.get("dimension") or ""
    if dimension and dimension not in DIMENSIONS:
        raise TemplateError(_join(path, "dimension"), f"must be one of {', '.join(DIMENSIONS)}")
    return Field(
        key=_key(data, path),
        label=_text(data, "label", path),
        type=field_type,
        help=_text(data, "help", path, required=False),
        unit=_text(data, "unit", path, required=False),
        required=required,
        min=bounds["min"],
        max=bounds["max"],
        max_length=max_length,
        choices=choices,
        pillar=pillar,
        dimension=dimension,
        sdg_targets=_sdg_targets(data.get("sdg_targets"), _join(path, "sdg_targets")),
        nd=_nd_list(data.get("nd"), _join(path, "nd")),
    )


def _parse_choices(
    data: Mapping[str, Any], path: str, field_type: str
) -> tuple[tuple[str, str], ...]:
    choices_path = _join(path, "choices")
    raw = data.get("choices")
    if not isinstance(raw, list) or not raw:
        raise TemplateError(choices_path, f"a {field_type} field needs a list of [value, label]")
    choices: list[tuple[str, str]] = []
    for index, pair in enumerate(raw):
        pair_path = f"{choices_path}[{index}]"
        # YAML reads an unquoted yes/no/1 as a bool or number: ask for quotes, do not convert.
        if not (
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
        ):
            raise TemplateError(pair_path, "must be [value, label], both quoted text")
        value, label = (part.strip() for part in pair)
        if not value or not label:
            raise TemplateError(pair_path, "value and label must not be blank")
        if field_type == "multi_choice" and ";" in value:
            raise TemplateError(pair_path, "a multi_choice value cannot contain ';'")
        if value in (existing for existing, _label in choices):
            raise TemplateError(pair_path, f"duplicate choice value {value!r}")
        choices.append((value, label))
    return tuple(choices)


def _parse_rule(data: Any, path: str, fields: Mapping[str, Field]) -> Rule:
    _require_mapping(data, path)
    check = _one_of(data, "check", path, RULE_CHECKS)
    key = _key(data, path)
    message = _text(data, "message", path)
    if check == "required_if":
        _check_keys(data, path, _REQUIRED_IF_RULE_KEYS)
        when = _text(data, "when", path)
        if when not in fields:
            raise TemplateError(_join(path, "when"), f"unknown field {when!r}")
        if "equals" not in data or data["equals"] is None:
            raise TemplateError(_join(path, "equals"), "is required")
        equals = _parse_rule_value(fields[when], data["equals"], _join(path, "equals"))
        then = _field_keys(data.get("then"), _join(path, "then"), fields)
        return Rule(key=key, check=check, message=message, when=when, equals=equals, then=then)

    _check_keys(data, path, _COMPARISON_RULE_KEYS)
    left = _field_keys(data.get("left"), _join(path, "left"), fields, numeric=True)
    right_data = _require(data, "right", path)
    right: tuple[str, ...] = ()
    right_constant = None
    if isinstance(right_data, int | float) and not isinstance(right_data, bool):
        right_constant = _number(right_data, _join(path, "right"))
    else:
        right = _field_keys(right_data, _join(path, "right"), fields, numeric=True)
    # Summing tCO2e with CNY, or a percent with an amount, is a definition mistake.
    measures = {_measure(fields[name]) for name in (*left, *right)}
    if len(measures) > 1:
        raise TemplateError(path, f"compares fields measured in {', '.join(sorted(measures))}")
    return Rule(
        key=key, check=check, message=message,
        left=left, right=right, right_constant=right_constant,
    )


def _parse_rule_value(field: Field, raw: Any, path: str) -> Any:
    """Parse a rule's ``equals`` the way an answer to ``field`` would be parsed."""
    if field.type == "file":
        raise TemplateError(path, "a required_if rule cannot be triggered by a file field")
    if isinstance(raw, list):
        text = ";".join(str(item) for item in raw)
    elif isinstance(raw, date):
        text = raw.isoformat()
    else:
        text = str(raw)
    try:
        return _PARSERS[field.type](field, text.strip(), None)
    except _InvalidAnswer as error:
        raise TemplateError(path, f"not a valid value of {field.key}: {error}") from None


def _measure(field: Field) -> str:
    if field.type == "percent":
        return "percent"
    return field.unit or "no unit"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _require_mapping(data: Any, path: str) -> None:
    if not isinstance(data, Mapping):
        raise TemplateError(path or "(template)", "must be a mapping")


def _check_keys(data: Any, path: str, allowed: Sequence[str]) -> None:
    _require_mapping(data, path)
    for key in data:
        if key not in allowed:
            raise TemplateError(_join(path, str(key)), "unknown key")


def _require(data: Mapping[str, Any], key: str, path: str) -> Any:
    if data.get(key) is None:
        raise TemplateError(_join(path, key), "is required")
    return data[key]


def _forbid_unless(data: Mapping, key: str, path: str, allowed: bool, kinds: str) -> None:
    if not allowed and data.get(key) is not None:
        raise TemplateError(_join(path, key), f"only allowed on {kinds} fields")


def _text(data: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise TemplateError(_join(path, key), "is required")
        return ""
    if not isinstance(value, str) or not value.strip():
        raise TemplateError(_join(path, key), "must be non-blank text")
    return value.strip()


def _key(data: Mapping[str, Any], path: str) -> str:
    key = _text(data, "key", path)
    if not _KEY_RE.fullmatch(key):
        raise TemplateError(_join(path, "key"), "use a-z, 0-9 and _, starting with a letter")
    return key


def _integer(data: Mapping[str, Any], key: str, path: str, *, minimum: int) -> int:
    value = _require(data, key, path)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TemplateError(_join(path, key), "must be a whole number")
    if value < minimum:
        raise TemplateError(_join(path, key), f"must be at least {minimum}")
    return value


def _one_of(data: Mapping[str, Any], key: str, path: str, options: Sequence[str]) -> str:
    value = _require(data, key, path)
    if value not in options:
        raise TemplateError(_join(path, key), f"must be one of {', '.join(options)}")
    return value


def _number(value: Any, path: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TemplateError(path, "must be a number")
    # str() keeps a YAML 0.1 as the decimal 0.1 instead of its binary approximation.
    number = Decimal(str(value))
    if not number.is_finite():
        raise TemplateError(path, "must be a finite number")
    return number


def _text_list(value: Any, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise TemplateError(path, "must be a list")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise TemplateError(f"{path}[{index}]", "must be quoted text")
    return tuple(item.strip() for item in value)


def _sdg_targets(value: Any, path: str) -> tuple[str, ...]:
    targets = _text_list(value, path)
    for index, target in enumerate(targets):
        match = _SDG_TARGET_RE.fullmatch(target)
        if not match or not 1 <= int(match.group(1)) <= 17:
            raise TemplateError(f"{path}[{index}]", "must be goal.target, goal 1-17, e.g. '9.5'")
    if len(set(targets)) != len(targets):
        raise TemplateError(path, "lists a target twice")
    return targets


def _nd_list(value: Any, path: str) -> tuple[str, ...]:
    codes = _text_list(value, path)
    for index, code in enumerate(codes):
        if code not in ND_CODES:
            raise TemplateError(f"{path}[{index}]", f"must be one of {', '.join(ND_CODES)}")
    if len(set(codes)) != len(codes):
        raise TemplateError(path, "lists a code twice")
    return codes


def _field_keys(
    value: Any, path: str, fields: Mapping[str, Field], *, numeric: bool = False
) -> tuple[str, ...]:
    keys = [value] if isinstance(value, str) else value
    if not isinstance(keys, list) or not keys:
        raise TemplateError(path, "must name a field or a non-empty list of fields")
    for index, key in enumerate(keys):
        item_path = f"{path}[{index}]" if isinstance(value, list) else path
        if not isinstance(key, str) or key not in fields:
            raise TemplateError(item_path, f"unknown field {key!r}")
        if numeric and not fields[key].is_numeric:
            raise TemplateError(item_path, f"{key} is not a decimal, integer or percent field")
    return tuple(keys)


# --- Answers ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Answer:
    """One raw answer: a value as typed, or a No-Data code with the reason for omission."""

    value: str = ""
    nd_code: str = ""
    nd_reason: str = ""

    @property
    def is_blank(self) -> bool:
        return not (self.value.strip() or self.nd_code.strip() or self.nd_reason.strip())


class _InvalidAnswer(ValueError):
    """The answer's text does not fit the field; the message is shown to the preparer."""


def _plain(number: Decimal) -> str:
    """Write a decimal without exponent or trailing zeros: 1E+2 -> "100", 0.350 -> "0.35"."""
    if number == 0:
        return "0"
    return format(number.normalize(), "f")


def _read_decimal(text: str) -> Decimal | None:
    if not _DECIMAL_RE.fullmatch(text):
        return None
    return Decimal(text.replace(",", ""))


def _parse_decimal(field: Field, text: str, attachments: Collection[str] | None) -> Decimal:
    number = _read_decimal(text)
    if number is None:
        raise _InvalidAnswer("Enter a number.")
    return number


def _parse_integer(field: Field, text: str, attachments: Collection[str] | None) -> int:
    if not _INTEGER_RE.fullmatch(text):
        raise _InvalidAnswer("Enter a whole number.")
    return int(text.replace(",", ""))


def _parse_percent(field: Field, text: str, attachments: Collection[str] | None) -> Decimal:
    if text.endswith("%"):
        number = _read_decimal(text[:-1].strip())
        if number is None:
            raise _InvalidAnswer("Enter a percentage, e.g. 35 % or 0.35.")
        fraction = number.scaleb(-2)
    else:
        fraction = _read_decimal(text)
        if fraction is None:
            raise _InvalidAnswer("Enter a percentage, e.g. 35 % or 0.35.")
        # "35" is ambiguous between 35 % and a mistyped fraction: ask rather than guess.
        if fraction > 1:
            raise _InvalidAnswer("Write a percentage as 35 % or as the fraction 0.35.")
    if not 0 <= fraction <= 1:
        raise _InvalidAnswer("Must be between 0 % and 100 %.")
    return fraction


def _parse_boolean(field: Field, text: str, attachments: Collection[str] | None) -> bool:
    word = text.lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise _InvalidAnswer("Enter yes or no.")


def _read_date(text: str) -> date | None:
    if not _DATE_RE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _parse_date(field: Field, text: str, attachments: Collection[str] | None) -> date:
    parsed = _read_date(text)
    if parsed is None:
        raise _InvalidAnswer("Enter a date as YYYY-MM-DD.")
    return parsed


def _parse_choice(field: Field, text: str, attachments: Collection[str] | None) -> str:
    if text not in field.choice_values:
        raise _InvalidAnswer(f"Choose one of: {', '.join(field.choice_values)}.")
    return text


def _parse_multi_choice(
    field: Field, text: str, attachments: Collection[str] | None
) -> tuple[str, ...]:
    # Empty pieces come from a trailing or doubled ";" in a CSV cell and carry no meaning.
    picked = [piece.strip() for piece in text.split(";") if piece.strip()]
    if not picked:
        raise _InvalidAnswer(f"Choose at least one of: {', '.join(field.choice_values)}.")
    unknown = [piece for piece in picked if piece not in field.choice_values]
    if unknown:
        raise _InvalidAnswer(
            f"Not a choice: {', '.join(unknown)}. Choose from: {', '.join(field.choice_values)}."
        )
    repeated = sorted({piece for piece in picked if picked.count(piece) > 1})
    if repeated:
        raise _InvalidAnswer(f"Listed more than once: {', '.join(repeated)}.")
    return tuple(value for value in field.choice_values if value in picked)


def _parse_text(field: Field, text: str, attachments: Collection[str] | None) -> str:
    limit = field.max_length or DEFAULT_MAX_LENGTH
    if len(text) > limit:
        raise _InvalidAnswer(f"At most {limit} characters (this has {len(text)}).")
    return text


def _parse_file(field: Field, text: str, attachments: Collection[str] | None) -> str:
    # None means "not checking attachments": canonical forms hash the name alone.
    if attachments is not None and text not in attachments:
        raise _InvalidAnswer(f"No attachment named {text!r}; upload it first.")
    return text


_PARSERS = {
    "decimal": _parse_decimal,
    "integer": _parse_integer,
    "percent": _parse_percent,
    "boolean": _parse_boolean,
    "date": _parse_date,
    "choice": _parse_choice,
    "multi_choice": _parse_multi_choice,
    "text": _parse_text,
    "file": _parse_file,
}


def _show_bound(field: Field, bound: Decimal) -> str:
    return f"{_plain(bound.scaleb(2))} %" if field.type == "percent" else _plain(bound)


def _nd_code_errors(field: Field, code: str) -> list[str]:
    match = _ND_RE.fullmatch(code)
    base = match.group(1) if match else ""
    suffix = match.group(2) if match else None
    if not match or (base != "ND4" and suffix is not None):
        return ["Unknown No-Data code. Use ND1, ND2, ND3, ND4-YYYY-MM-DD or ND5."]
    if base == "ND4" and (suffix is None or _read_date(suffix) is None):
        return ["Write ND4 with the date the data will be available, e.g. ND4-2026-06-30."]
    if not field.nd:
        return ["This field does not accept No-Data codes."]
    if base not in field.nd:
        return [f"Accepted No-Data codes: {', '.join(field.nd)}."]
    return []


@dataclasses.dataclass(frozen=True)
class _Outcome:
    category: Category
    value: Any = None
    nd_code: str = ""
    errors: tuple[str, ...] = ()


def _check_answer(
    field: Field, answer: Answer, attachments: Collection[str] | None
) -> _Outcome:
    value = answer.value.strip()
    code = answer.nd_code.strip().upper()
    reason = answer.nd_reason.strip()
    if code:
        errors = []
        if value:
            errors.append("Give either a value or a No-Data code, not both.")
        errors += _nd_code_errors(field, code)
        if not reason:
            errors.append("Give the reason for the No-Data answer.")
        if errors:
            return _Outcome("invalid", errors=tuple(errors))
        base = code[:3]
        category: Category = "nd1" if base == "ND1" else "nd5" if base == "ND5" else "nd_other"
        return _Outcome(category, nd_code=code)
    if reason:
        return _Outcome("invalid", errors=("A reason for omission needs a No-Data code.",))
    if not value:
        return _Outcome("blank", errors=("This field is required.",) if field.required else ())
    try:
        parsed = _PARSERS[field.type](field, value, attachments)
    except _InvalidAnswer as error:
        return _Outcome("invalid", errors=(str(error),))
    if field.min is not None and parsed < field.min:
        return _Outcome("invalid", errors=(f"Must be at least {_show_bound(field, field.min)}.",))
    if field.max is not None and parsed > field.max:
        return _Outcome("invalid", errors=(f"Must be at most {_show_bound(field, field.max)}.",))
    return _Outcome("answered", value=parsed)


# --- Validation and quality ------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RuleError:
    """A broken cross-field rule and the fields its message belongs to."""

    rule_key: str
    fields: tuple[str, ...]
    message: str


@dataclasses.dataclass(frozen=True)
class QualityCounts:
    """How the template's fields were answered; every field is in exactly one count."""

    answered: int = 0
    nd1: int = 0
    nd_other: int = 0
    nd5: int = 0
    blank: int = 0
    invalid: int = 0

    @property
    def total(self) -> int:
        return self.answered + self.nd1 + self.nd_other + self.nd5 + self.blank + self.invalid

    @property
    def applicable(self) -> int:
        return self.total - self.nd5


@dataclasses.dataclass(frozen=True)
class Report:
    """The outcome of validating one set of answers against a template."""

    field_errors: dict[str, list[str]]
    rule_errors: list[RuleError]
    values: dict[str, Any]
    nd_codes: dict[str, str]
    counts: QualityCounts

    @property
    def errors(self) -> dict[str, list[str]]:
        """Return messages per field, each rule's message under every field it concerns."""
        merged = {key: list(messages) for key, messages in self.field_errors.items()}
        for rule_error in self.rule_errors:
            for key in rule_error.fields:
                merged.setdefault(key, []).append(rule_error.message)
        return merged

    @property
    def is_valid(self) -> bool:
        return not self.field_errors and not self.rule_errors

    @property
    def nd1_share(self) -> Fraction:
        """Return the share of applicable fields answered ND1 or left blank."""
        return _share(self.counts.nd1 + self.counts.blank, self.counts.applicable)

    @property
    def nd_other_share(self) -> Fraction:
        """Return the share of applicable fields answered ND2, ND3 or ND4."""
        return _share(self.counts.nd_other, self.counts.applicable)

    @property
    def completeness(self) -> float:
        """Return the share of applicable fields with a valid value (1.0 if none apply)."""
        if not self.counts.applicable:
            return 1.0
        return self.counts.answered / self.counts.applicable

    @property
    def grade(self) -> str:
        return grade(self.nd1_share, self.nd_other_share)


def _share(part: int, whole: int) -> Fraction:
    return Fraction(part, whole) if whole else Fraction(0)


def validate(
    template: Template,
    answers: Mapping[str, Answer],
    *,
    attachments: Collection[str] = (),
) -> Report:
    """Check every answer against its field and the template's rules; count data quality."""
    field_errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    nd_codes: dict[str, str] = {}
    tally = dict.fromkeys(("answered", "nd1", "nd_other", "nd5", "blank", "invalid"), 0)
    attachment_names = frozenset(attachments)
    for field in template.fields:
        outcome = _check_answer(field, answers.get(field.key, Answer()), attachment_names)
        tally[outcome.category] += 1
        if outcome.errors:
            field_errors[field.key] = list(outcome.errors)
        if outcome.category == "answered":
            values[field.key] = outcome.value
        elif outcome.nd_code:
            nd_codes[field.key] = outcome.nd_code
    for key in answers:
        if not template.has_field(key):
            field_errors[key] = ["Unknown field."]
    rule_errors = [
        rule_error
        for rule in template.rules
        if (rule_error := _check_rule(rule, values, answers)) is not None
    ]
    return Report(
        field_errors=field_errors,
        rule_errors=rule_errors,
        values=values,
        nd_codes=nd_codes,
        counts=QualityCounts(**tally),
    )


def _check_rule(
    rule: Rule, values: Mapping[str, Any], answers: Mapping[str, Answer]
) -> RuleError | None:
    if rule.check == "required_if":
        if rule.when not in values or values[rule.when] != rule.equals:
            return None
        # An invalid answer already has its own field error; only silence breaks this rule.
        missing = [key for key in rule.then if answers.get(key, Answer()).is_blank]
        if not missing:
            return None
        return RuleError(rule.key, (rule.when, *missing), rule.message)
    if any(key not in values for key in rule.fields):
        return None
    left = sum((Decimal(values[key]) for key in rule.left), Decimal(0))
    if rule.right_constant is not None:
        right = rule.right_constant
    else:
        right = sum((Decimal(values[key]) for key in rule.right), Decimal(0))
    if _COMPARE[rule.check](left, right):
        return None
    return RuleError(rule.key, rule.fields, rule.message)


def grade(nd1_share: Rational | Decimal | float, nd_other_share: Rational | Decimal | float) -> str:
    """Return the completeness grade A1..D4 for the two No-Data shares (fractions 0..1)."""
    letter = _grade_step(_exact_share(nd1_share), _ND1_LETTERS, "D")
    digit = _grade_step(_exact_share(nd_other_share), _ND_OTHER_DIGITS, "4")
    return letter + digit


def _grade_step(share: Fraction, steps: Sequence[tuple[Fraction, str]], above: str) -> str:
    for limit, label in steps:
        if share <= limit:
            return label
    return above


def _exact_share(share: Rational | Decimal | float) -> Fraction:
    # A float is read by its shortest repr, so 0.1 means exactly 1/10, not 0.1000...0555.
    exact = Fraction(repr(share)) if isinstance(share, float) else Fraction(share)
    if not 0 <= exact <= 1:
        raise ValueError(f"a share must lie between 0 and 1, not {share}")
    return exact


# --- Timeliness ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Timeliness:
    """Whether a filing came in by its due date, and how many days late it is or was."""

    status: Literal["on_time", "late", "overdue", "not_due"]
    days_late: int = 0


def timeliness(due_date: date, submitted_on: date | None, today: date) -> Timeliness:
    """Classify a filing against its due date; a filing due today is not yet overdue."""
    if submitted_on is not None:
        if submitted_on <= due_date:
            return Timeliness("on_time")
        return Timeliness("late", (submitted_on - due_date).days)
    if today > due_date:
        return Timeliness("overdue", (today - due_date).days)
    return Timeliness("not_due")


# --- Canonical form and differences ----------------------------------------------------


def _json_value(value: Any) -> Any:
    # Amounts stay strings: a JSON float would not survive hashing on another platform.
    if isinstance(value, Decimal):
        return _plain(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _canonical_entry(outcome: _Outcome, answer: Answer) -> dict[str, Any]:
    if outcome.nd_code:
        return {"nd": outcome.nd_code, "reason": answer.nd_reason.strip()}
    return {"value": _json_value(outcome.value)}


def canonical(template: Template, answers: Mapping[str, Answer]) -> dict[str, dict[str, Any]]:
    """Return the answers in a JSON-safe form where equal meanings are equal, in field order.

    Each answered field maps to ``{"value": ...}`` or ``{"nd": code, "reason": ...}``; blank
    fields are left out. Attachments are named, not checked. Raise ValueError if any answer
    is invalid or names an unknown field, since a hash of unchecked data proves nothing.
    """
    entries: dict[str, dict[str, Any]] = {}
    invalid = sorted(key for key in answers if not template.has_field(key))
    for field in template.fields:
        answer = answers.get(field.key)
        if answer is None:
            continue
        outcome = _check_answer(field, answer, None)
        if outcome.category == "invalid":
            invalid.append(field.key)
        elif outcome.category != "blank":
            entries[field.key] = _canonical_entry(outcome, answer)
    if invalid:
        raise ValueError(f"not valid answers: {', '.join(invalid)}")
    return entries


@dataclasses.dataclass(frozen=True)
class Change:
    """One field whose answer differs; None stands for no answer."""

    field: str
    old: Answer | None
    new: Answer | None


@overload
def diff(old: Mapping[str, Answer], new: Mapping[str, Answer], /) -> list[Change]: ...


@overload
def diff(
    template: Template, old: Mapping[str, Answer], new: Mapping[str, Answer], /
) -> list[Change]: ...


def diff(*args: Any) -> list[Change]:
    """List the fields whose answers differ between two answer sets.

    ``diff(old, new)`` compares the stripped raw strings, fields in key order.
    ``diff(template, old, new)`` goes in template order (unknown keys last, sorted) and
    compares by meaning where an answer is valid, so "1,000" and "1000" are no change.
    A blank answer counts as no answer.
    """
    if len(args) == 3 and isinstance(args[0], Template):
        template, old, new = args
        names = set(old) | set(new)
        known = [field.key for field in template.fields if field.key in names]
        keys = known + sorted(names - set(known))
    elif len(args) == 2:
        template = None
        old, new = args
        keys = sorted(set(old) | set(new))
    else:
        raise TypeError("call diff(old, new) or diff(template, old, new)")
    changes = []
    for key in keys:
        before, after = _present(old.get(key)), _present(new.get(key))
        if _comparable(template, key, before) != _comparable(template, key, after):
            changes.append(Change(key, before, after))
    return changes


def _present(answer: Answer | None) -> Answer | None:
    return None if answer is None or answer.is_blank else answer


def _comparable(template: Template | None, key: str, answer: Answer | None) -> Any:
    if answer is None:
        return None
    if template is not None and template.has_field(key):
        outcome = _check_answer(template.field(key), answer, None)
        if outcome.category != "invalid":
            return _canonical_entry(outcome, answer)
    return (answer.value.strip(), answer.nd_code.strip().upper(), answer.nd_reason.strip())
