from django.db import models


class Structure(models.TextChoices):
    LICENCE_ROYALTY = "licence_royalty", "Licence royalty"
    SUPPLY_CHAIN = "supply_chain", "Supply chain"
    FINANCE_LEASE = "finance_lease", "Finance lease"
    PLEDGED_LOAN = "pledged_loan", "Pledged loan"
    WHOLE_BUSINESS = "whole_business", "Whole business"
    FUTURE_FLOW = "future_flow", "Future flow"


class DealStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    REGISTERED = "registered", "Registered"
    ISSUED = "issued", "Issued"
    AMORTIZING = "amortizing", "Amortizing"
    MATURED = "matured", "Matured"
    DEFAULTED = "defaulted", "Defaulted"
    TERMINATED = "terminated", "Terminated"


# Deals the public and investors may see.
PUBLIC_STATUSES = frozenset({DealStatus.ISSUED, DealStatus.AMORTIZING, DealStatus.MATURED,
                             DealStatus.DEFAULTED})
# Deals whose pool still holds its assets (asset isolation applies).
LIVE_STATUSES = frozenset({DealStatus.DRAFT, DealStatus.REGISTERED, DealStatus.ISSUED,
                           DealStatus.AMORTIZING, DealStatus.DEFAULTED})

# The state machine: status -> statuses it may move to.
TRANSITIONS = {
    DealStatus.DRAFT: {DealStatus.REGISTERED, DealStatus.TERMINATED},
    DealStatus.REGISTERED: {DealStatus.ISSUED, DealStatus.TERMINATED},
    DealStatus.ISSUED: {DealStatus.AMORTIZING, DealStatus.MATURED, DealStatus.DEFAULTED,
                        DealStatus.TERMINATED},
    DealStatus.AMORTIZING: {DealStatus.MATURED, DealStatus.DEFAULTED, DealStatus.TERMINATED},
    DealStatus.DEFAULTED: {DealStatus.TERMINATED},
    DealStatus.MATURED: set(),
    DealStatus.TERMINATED: set(),
}


class Label(models.TextChoices):
    NONE = "none", "None"
    GREEN = "green", "Green"
    SOCIAL = "social", "Social"
    SUSTAINABILITY = "sustainability", "Sustainability"


class CouponType(models.TextChoices):
    FIXED = "fixed", "Fixed"
    FLOATING = "floating", "Floating"


class EnhancementKind(models.TextChoices):
    SUBORDINATION = "subordination", "Subordination"
    OVERCOLLATERALIZATION = "overcollateralization", "Overcollateralization"
    RESERVE_ACCOUNT = "reserve_account", "Reserve account"
    EXCESS_SPREAD = "excess_spread", "Excess spread"
    GUARANTEE = "guarantee", "Guarantee"
    SHORTFALL_UNDERTAKING = "shortfall_undertaking", "Shortfall undertaking"
    REPURCHASE = "repurchase", "Repurchase"


class EventType(models.TextChoices):
    MISSED_PAYMENT = "missed_payment", "Missed payment"
    DEFAULT = "default", "Default"
    DOWNGRADE = "downgrade", "Downgrade"
    EARLY_REDEMPTION = "early_redemption", "Early redemption"
    MATURED = "matured", "Matured"
