from django.db import models


class Role(models.TextChoices):
    """A user's platform role; issuer users act through their issuer memberships."""

    ISSUER = "issuer", "Issuer member"
    REGULATOR = "regulator", "Regulator"
    INVESTOR = "investor", "Investor"
