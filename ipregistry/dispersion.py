"""Valuation dispersion: how far appraisers disagree about one asset."""

from collections.abc import Iterable
from decimal import Decimal

DISPERSION_THRESHOLD = Decimal("0.30")


def valuation_dispersion(values: Iterable[Decimal]) -> Decimal | None:
    """Return (max - min) / min over positive values, or None for fewer than two."""
    values = list(values)
    if len(values) < 2:
        return None
    low, high = min(values), max(values)
    if low <= 0:
        raise ValueError("valuations must be positive to compare them")
    return (high - low) / low


def is_dispersion_flagged(dispersion: Decimal | None) -> bool:
    """Return whether a dispersion exceeds the 30 % threshold."""
    return dispersion is not None and dispersion > DISPERSION_THRESHOLD
