"""Validators for codes every app uses: countries and their subdivisions."""

import pycountry
from django.core.exceptions import ValidationError


def validate_country(value: str) -> None:
    """Refuse a value that is not an ISO 3166-1 alpha-2 country code."""
    if not value or len(value) != 2 or pycountry.countries.get(alpha_2=value.upper()) is None:
        raise ValidationError(
            "'%(value)s' is not an ISO 3166-1 alpha-2 country code (e.g. CN, US, DE).",
            params={"value": value}, code="invalid_country",
        )


def subdivision_error(country: str, province: str) -> str | None:
    """Say what is wrong with an ISO 3166-2 subdivision code for a country, or None."""
    if not province:
        return None
    subdivision = pycountry.subdivisions.get(code=province.upper())
    if subdivision is None:
        return f"'{province}' is not an ISO 3166-2 subdivision code (e.g. CN-GD, US-CA)."
    if country and subdivision.country_code != country.upper():
        return f"'{province}' is a subdivision of {subdivision.country_code}, not of {country}."
    return None


def country_name(code: str) -> str:
    """Return the country's common name, or the code itself when unknown."""
    country = pycountry.countries.get(alpha_2=code.upper()) if code else None
    return getattr(country, "common_name", None) or getattr(country, "name", code)


def subdivision_name(code: str) -> str:
    """Return the subdivision's name, or the code itself when unknown."""
    subdivision = pycountry.subdivisions.get(code=code.upper()) if code else None
    return subdivision.name if subdivision else code


def check_currency(errors: dict, field: str, value: str) -> None:
    """Add an error for `field` unless the value is an ISO 4217 code (three capitals)."""
    if value and not (len(value) == 3 and value.isalpha() and value.isupper()):
        errors[field] = f"'{value}' is not an ISO 4217 currency code (three capital letters)."
