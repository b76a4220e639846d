from functools import cached_property

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from deals.models import Deal
from disclosure import quality
from disclosure.choices import (
    AppliesTo,
    Decision,
    EventAction,
    FilingStatus,
    Frequency,
    TemplateStatus,
)
from ipregistry.models import Issuer


class DisclosureTemplate(models.Model):
    """A versioned form definition, loaded from a data file; never changed once active."""

    code = models.CharField(max_length=64)
    version = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    title = models.CharField(max_length=200)
    jurisdiction = models.CharField(max_length=16, blank=True)
    description = models.TextField(blank=True)
    applies_to = models.CharField(max_length=8, choices=AppliesTo.choices)
    frequency = models.CharField(max_length=16, choices=Frequency.choices)
    due_days = models.PositiveSmallIntegerField(help_text="Days after the period's end.")
    status = models.CharField(max_length=8, choices=TemplateStatus.choices,
                              default=TemplateStatus.DRAFT)
    definition = models.JSONField(help_text="Sections, fields and rules, as in the data file.")
    definition_sha256 = models.CharField(max_length=64)
    source_file = models.CharField(max_length=200, blank=True)
    sdg_targets = models.JSONField(default=list, blank=True,
                                   help_text="Every SDG target a field maps to (derived).")
    activated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="template_code_version",
                                    violation_error_message="This template version exists."),
            models.UniqueConstraint(fields=["code"], condition=Q(status=TemplateStatus.ACTIVE),
                                    name="template_one_active_version",
                                    violation_error_message="Another version of this template "
                                                            "is active."),
        ]

    def __str__(self):
        return f"{self.title} (v{self.version})"

    def get_absolute_url(self):
        return reverse("disclosure:template-detail", args=[self.code, self.version])

    @cached_property
    def spec(self) -> quality.Template:
        return quality.parse_template(self.definition)

    @property
    def key(self) -> str:
        """The template as bundles name it: code@version."""
        return f"{self.code}@{self.version}"


class Filing(models.Model):
    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="filings")
    deal = models.ForeignKey(Deal, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="filings")
    template = models.ForeignKey(DisclosureTemplate, on_delete=models.PROTECT,
                                 related_name="filings")
    period = models.CharField(max_length=7, help_text="2024, or 2024-Q2 for quarterly filings.")
    period_end = models.DateField()
    due_date = models.DateField()
    status = models.CharField(max_length=16, choices=FilingStatus.choices,
                              default=FilingStatus.DRAFT, editable=False, db_index=True)
    amends = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="amendments")
    # Given at submission: ISSUERID-YY-NNNNNN, gapless per issuer and year.
    accession_number = models.CharField(max_length=24, null=True, blank=True, unique=True,
                                        editable=False)
    accession_year = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    accession_sequence = models.PositiveIntegerField(null=True, blank=True, editable=False)
    content_sha256 = models.CharField(max_length=64, blank=True, editable=False,
                                      help_text="SHA-256 of the submitted values and files.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Data quality, recomputed whenever a draft's answers change and frozen at submission.
    completeness = models.FloatField(default=0, editable=False)
    grade = models.CharField(max_length=2, blank=True, editable=False, db_index=True)
    error_count = models.PositiveIntegerField(default=0, editable=False)
    # Full-text search over values, attachment names, issuer and template (derived).
    search_text = models.TextField(blank=True, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)
    external_ref = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=FilingStatus.DRAFT) | Q(accession_number__isnull=False),
                name="filing_submitted_has_accession",
                violation_error_message="A submitted filing carries an accession number."),
            models.UniqueConstraint(
                fields=["issuer", "accession_year", "accession_sequence"],
                condition=Q(accession_sequence__isnull=False), name="filing_accession_sequence",
                violation_error_message="This accession sequence number is taken."),
            models.CheckConstraint(
                condition=Q(status__in=FilingStatus.values), name="filing_status_known",
                violation_error_message="Unknown filing status."),
        ]
        indexes = [models.Index(fields=["issuer", "template", "period"]),
                   models.Index(fields=["status", "due_date"])]

    def __str__(self):
        return self.accession_number or f"Draft {self.template.title} {self.period}"

    def get_absolute_url(self):
        return reverse("disclosure:filing-detail", args=[self.pk])

    @property
    def is_draft(self) -> bool:
        return self.status == FilingStatus.DRAFT


class FilingValue(models.Model):
    """One field's answer as typed: a value, or a No-Data code with its reason."""

    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="values")
    field = models.CharField(max_length=64)
    value = models.TextField(blank=True)
    nd_code = models.CharField("No-Data code", max_length=16, blank=True)
    nd_reason = models.TextField("reason for omission", blank=True)

    class Meta:
        ordering = ["filing_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["filing", "field"], name="filing_value_once",
                                    violation_error_message="The field is answered already."),
        ]

    def __str__(self):
        return f"{self.field}={self.nd_code or self.value}"

    def as_answer(self) -> quality.Answer:
        return quality.Answer(value=self.value, nd_code=self.nd_code, nd_reason=self.nd_reason)


def attachment_path(instance, filename):
    # The stored name is the content hash: the uploaded name is kept in `name` only, so no
    # path a user typed ever reaches the file system.
    return f"filings/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="attachments")
    field = models.CharField(max_length=64, blank=True,
                             help_text="The file field it answers, if any.")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    name = models.CharField(max_length=200, help_text="The uploaded file's name.")
    content_type = models.CharField(max_length=100, help_text="Sniffed from the content.")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["filing_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["filing", "name"], name="attachment_name_once",
                                    violation_error_message="The filing has a file by this "
                                                            "name."),
        ]

    def __str__(self):
        return self.name


class AccessionCounter(models.Model):
    """The last accession sequence given to an issuer in a year; locked while submitting."""

    issuer = models.ForeignKey(Issuer, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "year"],
                                               name="accession_counter_once")]

    def __str__(self):
        return f"{self.issuer_id} {self.year}: {self.last}"


class Review(models.Model):
    """A regulator's review of one submitted filing, from assignment to decision."""

    filing = models.OneToOneField(Filing, on_delete=models.CASCADE, related_name="review")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                 related_name="reviews")
    started_at = models.DateTimeField(auto_now_add=True)
    decision = models.CharField(max_length=8, choices=Decision.choices, blank=True)
    reasons = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"Review of {self.filing}"


class FieldComment(models.Model):
    """A reviewer's remark on one field (or on the whole filing when `field` is blank)."""

    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="comments")
    field = models.CharField(max_length=64, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                               related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["filing_id", "created_at", "id"]

    def __str__(self):
        return f"{self.field or 'filing'}: {self.text[:40]}"


class FilingEvent(models.Model):
    """One state change of a filing, chained by hash to the event before it (append-only:
    database triggers refuse UPDATE and DELETE). Actors are kept by id and name, not by a
    foreign key, so that deleting a user never rewrites the ledger."""

    sequence = models.PositiveBigIntegerField(unique=True, editable=False)
    filing = models.ForeignKey(Filing, on_delete=models.DO_NOTHING, related_name="events",
                               db_constraint=True)
    action = models.CharField(max_length=16, choices=EventAction.choices)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField()
    payload = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["sequence"]

    def __str__(self):
        return f"#{self.sequence} {self.action} {self.filing_id}"


class LedgerHead(models.Model):
    """The ledger's last sequence and hash: one row, locked by every append, so events are
    chained in one order even when filings change concurrently."""

    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    def __str__(self):
        return f"ledger at #{self.last_sequence}"


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications")
    filing = models.ForeignKey(Filing, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self):
        return self.text


class SdgSnapshot(models.Model):
    """SDG indicators of a deal or of an issuer (as a beneficiary) at one time, with their
    dimension scores and coverage (disclosure/sdg.py). History is kept; a new snapshot is
    written only when an input changed (`inputs_sha256`)."""

    class Subject(models.TextChoices):
        DEAL = "deal", "Deal"
        ISSUER = "issuer", "Issuer"

    subject = models.CharField(max_length=8, choices=Subject.choices)
    deal = models.ForeignKey(Deal, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="sdg_snapshots")
    issuer = models.ForeignKey(Issuer, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="sdg_snapshots")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    inputs_sha256 = models.CharField(max_length=64)
    run = models.ForeignKey("core.RecomputeRun", null=True, blank=True,
                            on_delete=models.SET_NULL, related_name="+")
    indicators = models.JSONField(default=list)
    scores = models.JSONField(default=dict, help_text="dimension -> value, components, "
                                                      "coverage")
    sources = models.JSONField(default=dict, help_text="where each year's figures came from")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(subject="deal", deal__isnull=False, issuer__isnull=True)
                           | Q(subject="issuer", issuer__isnull=False, deal__isnull=True)),
                name="sdg_snapshot_one_subject",
                violation_error_message="A snapshot is of one deal or of one issuer."),
        ]
        indexes = [models.Index(fields=["deal", "-created_at"], name="sdg_snapshot_deal"),
                   models.Index(fields=["issuer", "-created_at"], name="sdg_snapshot_issuer")]

    def __str__(self):
        return f"SDG of {self.subject} {self.deal_id or self.issuer_id}"


class MarketSnapshot(models.Model):
    """The market's facts at one time, in columns (disclosure/market.py), made by the market
    recompute: every deal in scope with its pool, financing and performance, every (deal,
    beneficiary) observation, every submitted filing's data quality, the benchmarks and FX
    rates. The analytics endpoint and page answer any filter from the latest one."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    run = models.ForeignKey("core.RecomputeRun", null=True, blank=True,
                            on_delete=models.SET_NULL, related_name="+")
    data = models.BinaryField(help_text="market.MarketData.to_npz_bytes()")
    sha256 = models.CharField(max_length=64)
    deals = models.PositiveIntegerField(default=0)
    observations = models.PositiveIntegerField(default=0)
    filings = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Market at {self.created_at:%Y-%m-%d %H:%M} ({self.deals} deals)"
