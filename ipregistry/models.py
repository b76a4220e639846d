from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from core.validators import check_currency, subdivision_error, validate_country
from ipregistry import identifiers
from ipregistry.choices import (
    PATENT_KINDS,
    AssetKind,
    AssetStatus,
    IssuerType,
    MembershipRole,
    ValuationMethod,
)

MONEY = {"max_digits": 20, "decimal_places": 2}
RATE = {"max_digits": 9, "decimal_places": 6}


def _currency_field(**kwargs):
    return models.CharField(
        max_length=3, help_text="ISO 4217 code, e.g. CNY, USD.", **kwargs)


class Issuer(models.Model):
    name = models.CharField(max_length=200)
    lei = models.CharField("LEI", max_length=20, blank=True,
                           help_text="ISO 17442 Legal Entity Identifier, 20 characters.")
    uscc = models.CharField("USCC", max_length=18, blank=True,
                            help_text="China Unified Social Credit Code (GB 32100), 18 characters.")
    country = models.CharField(max_length=2, validators=[validate_country],
                               help_text="ISO 3166-1 alpha-2, e.g. CN.")
    province = models.CharField("province / state", max_length=6, blank=True,
                                help_text="ISO 3166-2, e.g. CN-GD.")
    city = models.CharField(max_length=100, blank=True)
    issuer_type = models.CharField(max_length=32, choices=IssuerType.choices)
    sector = models.CharField(max_length=100, blank=True)
    founded_year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1600), MaxValueValidator(2100)])
    external_ref = models.CharField(max_length=64, null=True, blank=True, unique=True,
                                    help_text="The issuer's key in interchange bundles.")
    preparers_may_submit = models.BooleanField(
        default=False, help_text="Let preparers, not only approvers, submit disclosure filings.")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="IssuerMembership",
                                     related_name="issuers")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["lei"], condition=~Q(lei=""), name="issuer_lei_unique",
                                    violation_error_message="Another issuer has this LEI."),
            models.UniqueConstraint(fields=["uscc"], condition=~Q(uscc=""),
                                    name="issuer_uscc_unique",
                                    violation_error_message="Another issuer has this USCC."),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("ipregistry:issuer-detail", args=[self.pk])

    def clean_fields(self, exclude=None):
        # Identifiers are normalized before the length checks, so " 5493 00..." is accepted.
        exclude = set(exclude or ())
        errors = {}
        for field, normalize in (("lei", identifiers.normalize_lei),
                                 ("uscc", identifiers.normalize_uscc)):
            value = getattr(self, field)
            if value and field not in exclude:
                try:
                    setattr(self, field, normalize(value))
                except identifiers.IdentifierError as exc:
                    errors[field] = [f"{self._meta.get_field(field).verbose_name}: {exc}"]
        try:
            super().clean_fields(exclude=exclude | set(errors))
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def clean(self):
        errors = {}
        self.country = (self.country or "").upper()
        self.province = (self.province or "").upper()
        if message := subdivision_error(self.country, self.province):
            errors["province"] = message
        if errors:
            raise ValidationError(errors)


class IssuerMembership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="memberships")
    issuer = models.ForeignKey(Issuer, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=MembershipRole.choices)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["user", "issuer"], name="membership_unique",
            violation_error_message="This user is already a member of this issuer.")]

    def __str__(self):
        return f"{self.user} - {self.issuer} ({self.role})"


class IssuerFinancials(models.Model):
    issuer = models.ForeignKey(Issuer, on_delete=models.CASCADE, related_name="financials")
    year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1900), MaxValueValidator(2100)])
    currency = _currency_field()
    revenue = models.DecimalField(**MONEY, null=True, blank=True)
    rnd_expense = models.DecimalField("R&D expense", **MONEY, null=True, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    high_skill_employees = models.PositiveIntegerField(null=True, blank=True)
    patent_applications = models.PositiveIntegerField(null=True, blank=True)
    carbon_rnd_expense = models.DecimalField("carbon-reduction R&D expense", **MONEY,
                                             null=True, blank=True)

    class Meta:
        ordering = ["issuer_id", "-year"]
        verbose_name_plural = "issuer financials"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "year"], name="financials_issuer_year_unique",
                                    violation_error_message="Financials for this year exist."),
            models.CheckConstraint(
                condition=Q(revenue__isnull=True) | Q(revenue__gte=0),
                name="financials_revenue_non_negative",
                violation_error_message="Revenue cannot be negative."),
            models.CheckConstraint(
                condition=Q(rnd_expense__isnull=True) | Q(rnd_expense__gte=0),
                name="financials_rnd_non_negative",
                violation_error_message="R&D expense cannot be negative."),
            models.CheckConstraint(
                condition=Q(carbon_rnd_expense__isnull=True) | Q(carbon_rnd_expense__gte=0),
                name="financials_carbon_rnd_non_negative",
                violation_error_message="Carbon-reduction R&D expense cannot be negative."),
            models.CheckConstraint(
                condition=Q(high_skill_employees__isnull=True) | Q(employees__isnull=True)
                | Q(high_skill_employees__lte=F("employees")),
                name="financials_high_skill_within_employees",
                violation_error_message="High-skill employees cannot exceed employees."),
        ]

    def __str__(self):
        return f"{self.issuer} {self.year}"

    @property
    def rnd_intensity(self) -> Decimal | None:
        """R&D expense as a share of revenue, or None when either is missing."""
        if self.revenue and self.rnd_expense is not None:
            return self.rnd_expense / self.revenue
        return None

    def clean(self):
        errors = {}
        check_currency(errors, "currency", self.currency)
        if (self.carbon_rnd_expense is not None and self.rnd_expense is not None
                and self.carbon_rnd_expense > self.rnd_expense):
            errors["carbon_rnd_expense"] = "Carbon-reduction R&D cannot exceed total R&D expense."
        if errors:
            raise ValidationError(errors)


class IPAssetQuerySet(models.QuerySet):
    def with_owner(self):
        return self.select_related("owner")


class IPAsset(models.Model):
    owner = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="assets")
    kind = models.CharField(max_length=32, choices=AssetKind.choices)
    registry_number = models.CharField(max_length=64)
    title = models.CharField(max_length=300)
    country = models.CharField(max_length=2, validators=[validate_country])
    filing_date = models.DateField(null=True, blank=True)
    grant_date = models.DateField(null=True, blank=True)
    expiry_date = models.DateField(null=True, blank=True)
    cpc_codes = models.JSONField("CPC codes", default=list, blank=True)
    ipc_codes = models.JSONField("IPC codes", default=list, blank=True)
    nice_classes = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=AssetStatus.choices,
                              default=AssetStatus.ACTIVE)
    # Derived by the services, never typed in.
    green = models.BooleanField(default=False, editable=False, db_index=True)
    green_categories = models.JSONField(default=list, blank=True, editable=False)
    valuation_dispersion = models.DecimalField(max_digits=14, decimal_places=6, null=True,
                                               blank=True, editable=False)
    dispersion_flagged = models.BooleanField(default=False, editable=False)
    dispersion_note = models.CharField(max_length=100, blank=True, editable=False)
    external_ref = models.CharField(max_length=64, null=True, blank=True, unique=True,
                                    help_text="The asset's key in interchange bundles.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IPAssetQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = "IP asset"
        constraints = [
            models.UniqueConstraint(
                fields=["country", "kind", "registry_number"], name="asset_registry_number_unique",
                violation_error_message="An asset of this kind with this registry number is "
                                        "already registered in this country."),
            models.CheckConstraint(
                condition=Q(expiry_date__isnull=True) | Q(filing_date__isnull=True)
                | Q(expiry_date__gte=F("filing_date")),
                name="asset_expiry_after_filing",
                violation_error_message="Expiry date cannot be before the filing date."),
            models.CheckConstraint(
                condition=Q(grant_date__isnull=True) | Q(filing_date__isnull=True)
                | Q(grant_date__gte=F("filing_date")),
                name="asset_grant_after_filing",
                violation_error_message="Grant date cannot be before the filing date."),
        ]
        indexes = [models.Index(fields=["owner", "kind"]), models.Index(fields=["expiry_date"])]

    def __str__(self):
        return f"{self.registry_number} {self.title}"[:200]

    def get_absolute_url(self):
        return reverse("ipregistry:asset-detail", args=[self.pk])

    @property
    def remaining_life_years(self) -> float | None:
        """Years of legal life left today, never negative; None without an expiry date."""
        if self.expiry_date is None:
            return None
        return max((self.expiry_date - date.today()).days, 0) / 365.25

    def clean(self):
        from ipregistry import green

        errors = {}
        self.country = (self.country or "").upper()
        if self.kind and self.country and self.registry_number:
            try:
                self.registry_number = identifiers.normalize_registry_number(
                    self.kind, self.country, self.registry_number)
            except identifiers.IdentifierError as exc:
                errors["registry_number"] = f"Registry number: {exc}"
        for field in ("cpc_codes", "ipc_codes"):
            codes = getattr(self, field)
            if not isinstance(codes, list):
                errors[field] = "Must be a list of classification symbols."
                continue
            normalized = []
            for code in codes:
                try:
                    normalized.append(green.normalize_classification(str(code)))
                except ValueError as exc:
                    errors[field] = str(exc)
                    break
            else:
                setattr(self, field, list(dict.fromkeys(normalized)))
        if (self.cpc_codes or self.ipc_codes) and self.kind not in PATENT_KINDS:
            errors.setdefault("cpc_codes", "Only patents carry CPC and IPC codes.")
        if not isinstance(self.nice_classes, list) or not all(
                isinstance(c, int) and 1 <= c <= 45 for c in self.nice_classes):
            errors["nice_classes"] = "Nice classes are whole numbers from 1 to 45."
        elif self.nice_classes and self.kind != AssetKind.TRADEMARK:
            errors["nice_classes"] = "Only trademarks carry Nice classes."
        else:
            self.nice_classes = sorted(set(self.nice_classes))
        if errors:
            raise ValidationError(errors)

    def refresh_green(self) -> None:
        """Derive the green flag and categories from the classification codes."""
        from ipregistry import green

        self.green_categories = green.green_categories(self.cpc_codes, self.ipc_codes)
        self.green = bool(self.green_categories)


class Valuation(models.Model):
    asset = models.ForeignKey(IPAsset, on_delete=models.CASCADE, related_name="valuations")
    appraiser = models.CharField(max_length=200)
    method = models.CharField(max_length=16, choices=ValuationMethod.choices)
    value = models.DecimalField(**MONEY)
    currency = _currency_field()
    valuation_date = models.DateField()
    royalty_rate = models.DecimalField(**RATE, null=True, blank=True,
                                       help_text="Fraction, e.g. 0.05 for 5 %.")
    discount_rate = models.DecimalField(**RATE, null=True, blank=True,
                                        help_text="Fraction, e.g. 0.12 for 12 %.")
    useful_life_years = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-valuation_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="valuation_value_positive",
                                   violation_error_message="A valuation must be above zero."),
            models.CheckConstraint(
                condition=Q(royalty_rate__isnull=True)
                | Q(royalty_rate__gte=0, royalty_rate__lte=1),
                name="valuation_royalty_rate_fraction",
                violation_error_message="Royalty rate is a fraction between 0 and 1."),
            models.CheckConstraint(
                condition=Q(discount_rate__isnull=True)
                | Q(discount_rate__gte=0, discount_rate__lte=1),
                name="valuation_discount_rate_fraction",
                violation_error_message="Discount rate is a fraction between 0 and 1."),
        ]

    def __str__(self):
        return f"{self.asset.registry_number}: {self.value} {self.currency} ({self.appraiser})"

    def clean(self):
        errors = {}
        check_currency(errors, "currency", self.currency)
        if self.valuation_date and self.valuation_date > date.today():
            errors["valuation_date"] = "Valuation date cannot be in the future."
        if errors:
            raise ValidationError(errors)


class Licence(models.Model):
    asset = models.ForeignKey(IPAsset, on_delete=models.CASCADE, related_name="licences")
    licensee = models.CharField(max_length=200)
    territory = models.CharField(max_length=100, blank=True)
    exclusive = models.BooleanField(default=False)
    currency = _currency_field()
    royalty_rate = models.DecimalField(**RATE, null=True, blank=True,
                                       help_text="Fraction of licensee sales, e.g. 0.05.")
    fixed_fee = models.DecimalField(**MONEY, null=True, blank=True)
    minimum_guarantee = models.DecimalField(**MONEY, null=True, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(royalty_rate__isnull=False) | Q(fixed_fee__isnull=False),
                name="licence_has_consideration",
                violation_error_message="A licence needs a royalty rate or a fixed fee."),
            models.CheckConstraint(
                condition=Q(royalty_rate__isnull=True)
                | Q(royalty_rate__gte=0, royalty_rate__lte=1),
                name="licence_royalty_rate_fraction",
                violation_error_message="Royalty rate is a fraction between 0 and 1."),
            models.CheckConstraint(
                condition=Q(fixed_fee__isnull=True) | Q(fixed_fee__gte=0),
                name="licence_fixed_fee_non_negative",
                violation_error_message="Fixed fee cannot be negative."),
            models.CheckConstraint(
                condition=Q(minimum_guarantee__isnull=True) | Q(minimum_guarantee__gte=0),
                name="licence_minimum_guarantee_non_negative",
                violation_error_message="Minimum guarantee cannot be negative."),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="licence_term_ordered",
                violation_error_message="The licence cannot end before it starts."),
        ]

    def __str__(self):
        return f"{self.asset.registry_number} to {self.licensee}"

    def clean(self):
        errors = {}
        check_currency(errors, "currency", self.currency)
        if errors:
            raise ValidationError(errors)


class RoyaltyReceipt(models.Model):
    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="receipts")
    period_end = models.DateField()
    amount = models.DecimalField(**MONEY, help_text="In the licence's currency.")

    class Meta:
        ordering = ["period_end", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["licence", "period_end"], name="receipt_licence_period_unique",
                violation_error_message="A receipt for this licence and period exists."),
            models.CheckConstraint(condition=Q(amount__gte=0), name="receipt_amount_non_negative",
                                   violation_error_message="A receipt cannot be negative."),
        ]

    def __str__(self):
        return f"{self.licence} {self.period_end}: {self.amount}"


class Pledge(models.Model):
    asset = models.ForeignKey(IPAsset, on_delete=models.CASCADE, related_name="pledges")
    pledgee = models.CharField(max_length=200)
    registration_number = models.CharField(max_length=64, blank=True)
    registered_date = models.DateField()
    released_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-registered_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(released_date__isnull=True)
                | Q(released_date__gte=F("registered_date")),
                name="pledge_release_after_registration",
                violation_error_message="A pledge cannot be released before it is registered."),
        ]

    def __str__(self):
        return f"{self.asset.registry_number} pledged to {self.pledgee}"

    @property
    def is_released(self) -> bool:
        return self.released_date is not None
