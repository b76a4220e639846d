from django.db import models


class IssuerType(models.TextChoices):
    SME = "sme", "SME"
    LARGE = "large", "Large enterprise"
    UNIVERSITY = "university", "University"
    RESEARCH_INSTITUTE = "research_institute", "Research institute"
    INDIVIDUAL = "individual", "Individual"
    FINANCIAL_INTERMEDIARY = "financial_intermediary", "Financial intermediary"


class MembershipRole(models.TextChoices):
    PREPARER = "preparer", "Preparer"
    APPROVER = "approver", "Approver"


class AssetKind(models.TextChoices):
    INVENTION_PATENT = "invention_patent", "Invention patent"
    UTILITY_MODEL = "utility_model", "Utility model"
    DESIGN_PATENT = "design_patent", "Design patent"
    TRADEMARK = "trademark", "Trademark"
    COPYRIGHT_SOFTWARE = "copyright_software", "Software copyright"
    COPYRIGHT_FILM = "copyright_film", "Film copyright"
    COPYRIGHT_MUSIC = "copyright_music", "Music copyright"
    COPYRIGHT_OTHER = "copyright_other", "Other copyright"
    DATA_ASSET = "data_asset", "Data asset"
    TRADE_SECRET = "trade_secret", "Trade secret"


PATENT_KINDS = frozenset({
    AssetKind.INVENTION_PATENT, AssetKind.UTILITY_MODEL, AssetKind.DESIGN_PATENT})


class AssetStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    LAPSED = "lapsed", "Lapsed"
    EXPIRED = "expired", "Expired"
    INVALIDATED = "invalidated", "Invalidated"


class ValuationMethod(models.TextChoices):
    INCOME = "income", "Income"
    MARKET = "market", "Market"
    COST = "cost", "Cost"
