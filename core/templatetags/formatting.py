"""Template filters for figures."""

from decimal import Decimal
from fractions import Fraction

from django import template

register = template.Library()


@register.filter
def percent(value, places: int = 1) -> str:
    """Show a fraction as a percentage, e.g. 0.4 -> '40.0 %'; missing values as an em dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return f"{Decimal(value) * 100:.{int(places)}f} %"


@register.filter
def before_after(value):
    """An audit change [before, after] as a pair, else None (a created or deleted value)."""
    if isinstance(value, list) and len(value) == 2:
        return value
    return None
