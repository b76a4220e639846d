from django.db import models


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class AppliesTo(models.TextChoices):
    ISSUER = "issuer", "Issuer"
    DEAL = "deal", "Deal"


class Frequency(models.TextChoices):
    ANNUAL = "annual", "Annual"
    QUARTERLY = "quarterly", "Quarterly"


class FilingStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    UNDER_REVIEW = "under_review", "Under review"
    RETURNED = "returned", "Returned for correction"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


# Filings that have been submitted (they carry an accession number and never change again).
SUBMITTED_STATUSES = frozenset({
    FilingStatus.SUBMITTED, FilingStatus.UNDER_REVIEW, FilingStatus.RETURNED,
    FilingStatus.ACCEPTED, FilingStatus.REJECTED, FilingStatus.WITHDRAWN})
# Filings waiting for a regulator's decision.
PENDING_STATUSES = frozenset({FilingStatus.SUBMITTED, FilingStatus.UNDER_REVIEW})
# Filings an amendment may answer: a correction asked for, or a correction of a public filing.
AMENDABLE_STATUSES = frozenset({FilingStatus.RETURNED, FilingStatus.ACCEPTED})
# Filings that still meet their obligation (or will, once decided).
STANDING_STATUSES = frozenset({FilingStatus.SUBMITTED, FilingStatus.UNDER_REVIEW,
                               FilingStatus.ACCEPTED})

# The state machine: status -> statuses it may move to.
TRANSITIONS = {
    FilingStatus.DRAFT: {FilingStatus.SUBMITTED},
    FilingStatus.SUBMITTED: {FilingStatus.UNDER_REVIEW, FilingStatus.WITHDRAWN},
    FilingStatus.UNDER_REVIEW: {FilingStatus.ACCEPTED, FilingStatus.RETURNED,
                                FilingStatus.REJECTED},
    FilingStatus.RETURNED: set(),
    FilingStatus.ACCEPTED: set(),
    FilingStatus.REJECTED: set(),
    FilingStatus.WITHDRAWN: set(),
}


class Decision(models.TextChoices):
    ACCEPT = "accept", "Accept"
    RETURN = "return", "Return for correction"
    REJECT = "reject", "Reject"


DECISION_STATUS = {
    Decision.ACCEPT: FilingStatus.ACCEPTED,
    Decision.RETURN: FilingStatus.RETURNED,
    Decision.REJECT: FilingStatus.REJECTED,
}


class EventAction(models.TextChoices):
    CREATED = "created", "Created"
    SUBMITTED = "submitted", "Submitted"
    WITHDRAWN = "withdrawn", "Withdrawn"
    REVIEW_STARTED = "review_started", "Review started"
    COMMENTED = "commented", "Commented"
    RETURNED = "returned", "Returned for correction"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    AMENDED = "amended", "Amendment opened"
    IMPORTED = "imported", "Imported"
