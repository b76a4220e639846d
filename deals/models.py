from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from core.validators import check_currency, subdivision_error, validate_country
from deals.choices import (
    CouponType,
    DealStatus,
    EnhancementKind,
    EventType,
    Label,
    Structure,
)
from ipregistry.models import MONEY, RATE, IPAsset, Issuer


class Deal(models.Model):
    name = models.CharField(max_length=200)
    originator = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="originated")
    spv_name = models.CharField("SPV", max_length=200, blank=True)
    trustee = models.CharField(max_length=200, blank=True)
    arranger = models.CharField(max_length=200, blank=True)
    venue = models.CharField(max_length=32, blank=True,
                             help_text="e.g. SSE, SZSE, NAFMII, 144A, private.")
    country = models.CharField(max_length=2, validators=[validate_country])
    province = models.CharField("province / state", max_length=6, blank=True)
    city = models.CharField(max_length=100, blank=True)
    structure = models.CharField(max_length=32, choices=Structure.choices)
    status = models.CharField(max_length=16, choices=DealStatus.choices,
                              default=DealStatus.DRAFT, editable=False, db_index=True)
    announce_date = models.DateField(null=True, blank=True)
    issue_date = models.DateField(null=True, blank=True)
    legal_final_date = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    size = models.DecimalField(**MONEY)
    label = models.CharField(max_length=16, choices=Label.choices, default=Label.NONE)
    sdg_targets = models.JSONField("SDG targets", default=list, blank=True,
                                   help_text="Targets claimed, e.g. 9.5; 7.2.")
    use_of_proceeds = models.TextField(blank=True)
    # The deal's own cash-flow model, run by the waterfall engine (DESIGN 6.2).
    periods_per_year = models.PositiveSmallIntegerField(
        default=4, validators=[MinValueValidator(1), MaxValueValidator(12)])
    projected_collections = models.JSONField(default=list, blank=True,
                                             help_text="Scheduled collections per period.")
    fees = models.JSONField(default=list, blank=True,
                            help_text='e.g. [{"name": "trustee", "per_period": 1}]')
    reserve = models.JSONField(default=dict, blank=True,
                               help_text='e.g. {"initial": 10, "target": 10}')
    waterfall_steps = models.JSONField(default=list, blank=True)
    default_missed_periods = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1)],
        help_text="A default is raised when the senior tranche's interest is short for this "
                  "many consecutive periods.")
    external_ref = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # Derived by the services for search, facets and sorting; never typed in.
    issue_year = models.PositiveSmallIntegerField(null=True, blank=True, editable=False,
                                                  db_index=True)
    senior_coupon = models.DecimalField(**RATE, null=True, blank=True, editable=False)
    senior_rating = models.CharField(max_length=16, blank=True, editable=False)
    rating_bucket = models.CharField(max_length=8, blank=True, editable=False)
    search_primary = models.TextField(blank=True, editable=False)  # name, originator, SPV
    search_parties = models.TextField(blank=True, editable=False)  # beneficiaries
    search_assets = models.TextField(blank=True, editable=False)  # asset titles
    search_proceeds = models.TextField(blank=True, editable=False)  # use of proceeds
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="deal_size_positive",
                                   violation_error_message="A deal's size must be above zero."),
            models.CheckConstraint(
                condition=Q(legal_final_date__isnull=True) | Q(issue_date__isnull=True)
                | Q(legal_final_date__gte=F("issue_date")),
                name="deal_final_after_issue",
                violation_error_message="The legal final date cannot precede the issue date."),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in DealStatus]),
                name="deal_status_known", violation_error_message="Unknown deal status."),
        ]
        indexes = [models.Index(fields=["country", "status"]),
                   models.Index(fields=["structure"])]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("deals:deal-detail", args=[self.pk])

    def clean(self):
        errors = {}
        self.country = (self.country or "").upper()
        self.province = (self.province or "").upper()
        if message := subdivision_error(self.country, self.province):
            errors["province"] = message
        check_currency(errors, "currency", self.currency)
        if not isinstance(self.sdg_targets, list) or not all(
                _is_sdg_target(target) for target in self.sdg_targets):
            errors["sdg_targets"] = "SDG targets are written goal.target, e.g. 9.5 or 13.a."
        if errors:
            raise ValidationError(errors)


def _is_sdg_target(value) -> bool:
    goal, _, target = str(value).partition(".")
    return goal.isdigit() and 1 <= int(goal) <= 17 and target.isalnum() and len(target) <= 2


class Tranche(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="tranches")
    name = models.CharField(max_length=32)
    rank = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)],
                                            help_text="1 = most senior.")
    size = models.DecimalField(**MONEY)
    balance = models.DecimalField(**MONEY, editable=False,
                                  help_text="Outstanding, updated by servicer reports.")
    coupon_type = models.CharField(max_length=16, choices=CouponType.choices,
                                   default=CouponType.FIXED)
    coupon_rate = models.DecimalField(**RATE, null=True, blank=True,
                                      help_text="Fraction, e.g. 0.035.")
    rating = models.CharField(max_length=16, blank=True)
    rating_agency = models.CharField(max_length=64, blank=True)
    expected_maturity = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["deal_id", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["deal", "name"], name="tranche_name_unique",
                                    violation_error_message="The deal has a tranche by this "
                                                            "name."),
            models.CheckConstraint(condition=Q(size__gte=0), name="tranche_size_non_negative",
                                   violation_error_message="A tranche cannot be negative."),
            models.CheckConstraint(condition=Q(balance__gte=0),
                                   name="tranche_balance_non_negative",
                                   violation_error_message="A balance cannot be negative."),
            models.CheckConstraint(
                condition=Q(coupon_rate__isnull=True)
                | Q(coupon_rate__gte=0, coupon_rate__lte=1),
                name="tranche_coupon_fraction",
                violation_error_message="A coupon is a fraction between 0 and 1."),
        ]

    def __str__(self):
        return f"{self.deal} {self.name}"


class CreditEnhancement(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="enhancements")
    kind = models.CharField(max_length=32, choices=EnhancementKind.choices)
    amount = models.DecimalField(**MONEY, null=True, blank=True)
    percent = models.DecimalField(**RATE, null=True, blank=True,
                                  help_text="Fraction of the deal size, e.g. 0.05.")
    provider = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["deal_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=False) | Q(percent__isnull=False)
                | Q(kind__in=["guarantee", "shortfall_undertaking", "repurchase"]),
                name="enhancement_sized",
                violation_error_message="Give an amount or a percent for this enhancement."),
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gte=0),
                                   name="enhancement_amount_non_negative",
                                   violation_error_message="An amount cannot be negative."),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.deal})"


class PoolAsset(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="pool")
    asset = models.ForeignKey(IPAsset, on_delete=models.PROTECT, related_name="pool_entries")
    cutoff_value = models.DecimalField(**MONEY, help_text="Value at the cut-off date.")
    financing_amount = models.DecimalField(
        **MONEY, default=0, help_text="Financing reaching the asset's owner (the beneficiary).")
    # True while the deal holds the asset; the database allows one live pool per asset.
    live = models.BooleanField(default=True, editable=False)

    class Meta:
        ordering = ["deal_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset"], condition=Q(live=True), name="asset_in_one_live_pool",
                violation_error_message="This asset already sits in another live pool."),
            models.UniqueConstraint(fields=["deal", "asset"], name="pool_asset_once_per_deal",
                                    violation_error_message="The asset is already in this "
                                                            "pool."),
            models.CheckConstraint(condition=Q(cutoff_value__gte=0),
                                   name="pool_cutoff_non_negative",
                                   violation_error_message="A cut-off value cannot be "
                                                           "negative."),
            models.CheckConstraint(condition=Q(financing_amount__gte=0),
                                   name="pool_financing_non_negative",
                                   violation_error_message="A financing amount cannot be "
                                                           "negative."),
        ]

    def __str__(self):
        return f"{self.asset} in {self.deal}"


class ServicerReport(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="reports")
    period = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    period_end = models.DateField()
    collections = models.DecimalField(**MONEY)
    collections_by_asset = models.JSONField(default=dict, blank=True,
                                            help_text="{asset id: amount} where known.")
    result = models.JSONField(default=dict, editable=False,
                              help_text="The waterfall run for this period.")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deal_id", "period"]
        constraints = [
            models.UniqueConstraint(fields=["deal", "period"], name="report_period_unique",
                                    violation_error_message="This period is already "
                                                            "reported."),
            models.CheckConstraint(condition=Q(collections__gte=0),
                                   name="report_collections_non_negative",
                                   violation_error_message="Collections cannot be negative."),
        ]

    def __str__(self):
        return f"{self.deal} period {self.period}"


class DealEvent(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="events")
    date = models.DateField()
    event_type = models.CharField(max_length=32, choices=EventType.choices)
    details = models.TextField(blank=True)
    report = models.ForeignKey(ServicerReport, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="events")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["event_type"])]

    def __str__(self):
        return f"{self.get_event_type_display()} {self.deal} {self.date}"


class Benchmark(models.Model):
    country = models.CharField(max_length=2, validators=[validate_country])
    year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1990), MaxValueValidator(2100)])
    currency = models.CharField(max_length=3)
    sme_loan_rate = models.DecimalField("SME loan rate", **RATE, null=True, blank=True)
    total_abs_issuance = models.DecimalField("total ABS issuance", **MONEY, null=True,
                                             blank=True)
    industry_employment_growth = models.DecimalField(**RATE, null=True, blank=True)

    class Meta:
        ordering = ["country", "year"]
        constraints = [
            models.UniqueConstraint(fields=["country", "year"], name="benchmark_country_year",
                                    violation_error_message="A benchmark for this country "
                                                            "and year exists."),
            models.CheckConstraint(
                condition=Q(sme_loan_rate__isnull=True)
                | Q(sme_loan_rate__gte=0, sme_loan_rate__lte=1),
                name="benchmark_rate_fraction",
                violation_error_message="The SME loan rate is a fraction between 0 and 1."),
        ]

    def __str__(self):
        return f"{self.country} {self.year}"

    def clean(self):
        errors = {}
        self.country = (self.country or "").upper()
        check_currency(errors, "currency", self.currency)
        if errors:
            raise ValidationError(errors)


class FxRate(models.Model):
    currency = models.CharField(max_length=3)
    year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1990), MaxValueValidator(2100)])
    rate_to_usd = models.DecimalField(max_digits=20, decimal_places=10,
                                      help_text="USD per one unit of the currency.")

    class Meta:
        ordering = ["currency", "year"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "year"], name="fx_currency_year",
                                    violation_error_message="A rate for this currency and "
                                                            "year exists."),
            models.CheckConstraint(condition=Q(rate_to_usd__gt=0), name="fx_rate_positive",
                                   violation_error_message="A rate must be above zero."),
        ]

    def __str__(self):
        return f"{self.currency} {self.year}: {self.rate_to_usd}"

    def clean(self):
        errors = {}
        check_currency(errors, "currency", self.currency)
        if errors:
            raise ValidationError(errors)


# Search facets (deals/search.py) -------------------------------------------------------------
# Rows are derived by deals.search.refresh_facets (called from deals.services.deal_refresh);
# never typed in. Single-valued facets are read from Deal's own columns.


class DealFacetValue(models.Model):
    """One value of a multi-valued search facet of a deal: an asset kind in its pool, an SDG
    target it claims. Lets facet counts and filters use one indexed table on every database."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="facet_values",
                             db_index=False)  # the unique constraint leads with deal
    facet = models.CharField(max_length=32)
    value = models.CharField(max_length=64)

    class Meta:
        ordering = ["deal_id", "facet", "value"]
        constraints = [
            models.UniqueConstraint(fields=["deal", "facet", "value"],
                                    name="deal_facet_value_unique"),
        ]
        indexes = [models.Index(fields=["facet", "value", "deal"], name="deal_facet_lookup")]

    def __str__(self):
        return f"{self.deal_id} {self.facet}={self.value}"


class RiskSnapshot(models.Model):
    """A deal's risk as computed at one time (DESIGN 6.3): the simulation on its own structure
    and projected collections, and the pool's measures. Snapshots keep their history; a new one
    is written only when an input changed (`inputs_sha256`), so recomputing is idempotent."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="risk_snapshots")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    inputs_sha256 = models.CharField(max_length=64)
    run = models.ForeignKey("core.RecomputeRun", null=True, blank=True,
                            on_delete=models.SET_NULL, related_name="+")
    calibration = models.JSONField(default=dict, help_text="volatility and hazard: value, "
                                                           "source, detail")
    simulation = models.JSONField(default=dict, help_text="paths, seed, periods, or the error")
    tranches = models.JSONField(default=dict, help_text="name -> pd, expected_loss, quantiles, "
                                                        "band")
    valuation_dispersion = models.FloatField(null=True, blank=True)
    collateral_coverage = models.FloatField(null=True, blank=True)
    hhi_asset = models.FloatField(null=True, blank=True)
    hhi_beneficiary = models.FloatField(null=True, blank=True)
    legal_life_mismatch = models.FloatField(null=True, blank=True,
                                            help_text="Share of pool value expiring before the "
                                                      "legal final date.")
    missed_payments = models.PositiveIntegerField(default=0)
    defaulted = models.BooleanField(default=False)
    score = models.FloatField(null=True, blank=True, help_text="0 sound .. 100 alarming")
    explanation = models.JSONField(default=dict, help_text="text and factors")

    class Meta:
        ordering = ["deal_id", "-created_at", "-id"]
        indexes = [models.Index(fields=["deal", "-created_at"], name="risk_snapshot_latest")]

    def __str__(self):
        return f"Risk of {self.deal_id} at {self.created_at:%Y-%m-%d %H:%M}"
