"""Template filters for the generated filing form and filing pages."""

from django import template

register = template.Library()


@register.filter
def nd_base(answer) -> str:
    """The No-Data code without its date: 'ND4-2025-06-30' -> 'ND4'."""
    return (answer.nd_code or "")[:3]


@register.filter
def nd_date(answer) -> str:
    """The date of an ND4 answer, or ''."""
    code = answer.nd_code or ""
    return code[4:] if code.startswith("ND4-") else ""


@register.filter
def chosen(answer) -> list[str]:
    """The values of a multiple-choice answer."""
    return [item.strip() for item in (answer.value or "").split(";") if item.strip()]


@register.filter
def nd_label(code: str) -> str:
    return ND_LABELS.get((code or "")[:3], code)


ND_LABELS = {
    "ND1": "ND1 · not collected",
    "ND2": "ND2 · collected, not loaded",
    "ND3": "ND3 · held elsewhere",
    "ND4": "ND4 · available later (date)",
    "ND5": "ND5 · not applicable",
}
