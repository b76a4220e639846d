"""Generate the demo filings: yearly ESG disclosures and deal reports, reviewed by a regulator.

The originators of the demo's issued deals file the issuer ESG disclosure every year from their
first issue and a periodic report on every issued deal; the issuers of the demo logins file the
ESG disclosure too. Calibrated on reference/market-facts.md: the market study found over 40 %
of deals incompletely disclosed and under 20 % disclosing ESG information, so about 45 % of the
submitted filings answer some field with a No-Data code (with a reason for omission in the
words of GRI) and, with optional fields often left blank, under 60 % of their ESG answers hold
a value, climate ones (Scope 1 and 2 first) the fewest. Figures come from the issuers'
financials where the registry has them and respect every bound and cross-field rule of the
templates, so each submitted filing validates. Most filings are accepted; some are returned
with field comments and amended, a few rejected, withdrawn, late, left under review or left as
overdue drafts.

`plan_filings` is pure: one random.Random seed, one as-of date, one view of the registry and
deals, and the templates give one plan. `load_filings` replays each planned step through the
disclosure services in date order, with the clock set to the step's moment (the services stamp
submissions, decisions, ledger events and audit entries with the current time), so accession
numbers, due dates, review times and the ledger tell one consistent history.
"""

import random
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from unittest import mock

from core.models import User
from deals.choices import PUBLIC_STATUSES, DealStatus, EventType, Label, Structure
from deals.models import Deal
from disclosure import services
from disclosure.choices import (
    DECISION_STATUS,
    SUBMITTED_STATUSES,
    Decision,
    FilingStatus,
    TemplateStatus,
)
from disclosure.models import Attachment, DisclosureTemplate, FieldComment, Filing, Notification
from disclosure.quality import Answer, Template
from disclosure.templates_loader import load_templates
from ipregistry import demo as registry_demo
from ipregistry.choices import IssuerType, MembershipRole
from ipregistry.models import Issuer, IssuerFinancials, IssuerMembership

ESG = "issuer-esg-annual"
DEAL_REPORT = "deal-periodic"
# Annual periods filed: this many years, up to the last one whose filings are due and mostly
# reviewed (120 days to file, a month to review) by the as-of date.
YEARS = 4
SETTLE_DAYS = 150
# Deals that report: issued and not yet ended (defaulted ones report up to their default).
REPORTING_DEALS = frozenset({DealStatus.ISSUED, DealStatus.AMORTIZING, DealStatus.DEFAULTED})
REVIEWER = "demo-regulator"
STAFF = "demo-admin"
# Share of submitted filings using a No-Data code (the market study: over 40 % incomplete).
INCOMPLETE_SHARE = 0.45
# Originals submitted after their due date.
LATE_SHARE = 0.04
# Complete filings that answer every optional field too (the A grades).
THOROUGH_SHARE = 0.12
# Notifications older than this many days are marked read: the demo inboxes hold recent news.
UNREAD_DAYS = 30

SME, LARGE = IssuerType.SME, IssuerType.LARGE
PERSON, FIN = IssuerType.INDIVIDUAL, IssuerType.FINANCIAL_INTERMEDIARY
DRAFT, SUBMITTED = FilingStatus.DRAFT, FilingStatus.SUBMITTED
UNDER_REVIEW, WITHDRAWN = FilingStatus.UNDER_REVIEW, FilingStatus.WITHDRAWN

SECTORS = {label: key for key, label in registry_demo.SECTOR_LABELS.items()}
HEAVY_SECTORS = {"new_energy", "manufacturing", "materials", "electronics"}
# Location-based grid emission factors, tCO2e per MWh (national averages, rounded).
GRID_FACTOR = {"CN": 0.570, "US": 0.370, "GB": 0.207, "DE": 0.380, "FR": 0.056, "JP": 0.450,
               "KR": 0.460}
# Revenue (CNY), employees, R&D intensity and patents of an individual filer.
PERSON_FIGURES = (2e6, 2, (0.0, 0.0), (0.5, 1.0), (0, 0))

# name: (filings of the story and their outcomes, weight for past periods, for the latest one)
STORIES = {
    "accepted": ((("original", "accept"),), 70, 44),
    "amended": ((("original", "return"), ("amendment", "accept")), 10, 5),
    "corrected": ((("original", "accept"), ("amendment", "accept")), 3, 0),
    "rejected_refiled": ((("original", "reject"), ("refiling", "accept")), 4, 0),
    "withdrawn_refiled": ((("original", "withdraw"), ("refiling", "accept")), 4, 3),
    "returned": ((("original", "return"),), 2, 3),
    "amendment_draft": ((("original", "return"), ("amendment", "draft")), 2, 5),
    "amendment_pending": ((("original", "return"), ("amendment", "pending")), 0, 5),
    "rejected": ((("original", "reject"),), 1, 2),
    "under_review": ((("original", "review"),), 0, 9),
    "submitted": ((("original", "submit"),), 0, 6),
    "draft": ((("original", "draft"),), 1, 12),
}
# Stories of the latest period that end open: their last step falls shortly before the as-of
# date (a regulator's backlog, a late filer), not at the pace of a finished story.
OPEN_STORIES = frozenset({"returned", "amendment_draft", "amendment_pending", "under_review",
                          "submitted"})
# The demo logins' issuers tell set stories: (story, incomplete) for each year, oldest first.
LOGIN_STORIES = {
    registry_demo.SHOWCASE_ISSUER: (("accepted", False), ("amended", True),
                                    ("accepted", False), ("amendment_draft", True)),
    registry_demo.SECOND_ISSUER: (("accepted", True), ("withdrawn_refiled", False),
                                  ("rejected_refiled", True), ("under_review", True)),
}

# Reasons for omission, after GRI 1 (2021): "not applicable", "information unavailable or
# incomplete"; {label}, {year} and {date} are filled in.
ND_REASONS = {
    "ND1": "Information unavailable: \"{label}\" is not collected.",
    "ND2": "Information incomplete: \"{label}\" for {year} was collected but not yet "
           "consolidated.",
    "ND3": "Held elsewhere: \"{label}\" is in the audited {year} annual report filed with the "
           "exchange.",
    "ND4": "Information unavailable: \"{label}\" for {year} is being compiled and will be "
           "available on {date}.",
}
FIELD_ND_REASONS = {
    ("scope1_emissions", "ND1"): "Information unavailable: no greenhouse-gas inventory is kept "
                                 "yet; the first, under the GHG Protocol, will cover {next}.",
    ("scope2_emissions", "ND1"): "Information unavailable: no greenhouse-gas inventory is kept "
                                 "yet; the first, under the GHG Protocol, will cover {next}.",
    ("scope1_emissions", "ND4"): "Information unavailable: the third-party verification of the "
                                 "{year} GHG inventory ends on {date}.",
    ("scope2_emissions", "ND4"): "Information unavailable: the third-party verification of the "
                                 "{year} GHG inventory ends on {date}.",
    ("carbon_rnd_expense", "ND1"): "Information unavailable: R&D projects are not tagged as "
                                   "carbon-reduction in the cost accounts.",
    ("clean_energy_revenue_share", "ND1"): "Information unavailable: revenue is not split by "
                                           "product line.",
    ("energy_consumption_mwh", "ND1"): "Information unavailable: electricity is paid in the "
                                       "office service charge and not metered.",
    ("renewable_energy_share", "ND1"): "Information unavailable: the electricity supplier gives "
                                       "no breakdown by source.",
    ("women_in_workforce_share", "ND1"): "Information unavailable: the HR system does not "
                                         "record gender.",
    ("high_skill_employees", "ND1"): "Information unavailable: education levels are not "
                                     "recorded for employees hired before 2020.",
    ("proceeds_renewable_energy_share", "ND1"): "Information unavailable: allocations are not "
                                                "tracked by ICMA category.",
    ("proceeds_energy_efficiency_share", "ND1"): "Information unavailable: allocations are not "
                                                 "tracked by ICMA category.",
    ("proceeds_clean_transport_share", "ND1"): "Information unavailable: allocations are not "
                                               "tracked by ICMA category.",
    ("proceeds_pollution_prevention_share", "ND1"): "Information unavailable: allocations are "
                                                    "not tracked by ICMA category.",
    ("sme_beneficiaries_count", "ND1"): "Information unavailable: the size class of the "
                                        "beneficiaries is not collected at origination.",
    ("jobs_created_at_beneficiaries", "ND4"): "Information unavailable: the beneficiaries' "
                                              "{year} headcount survey closes on {date}.",
    ("jobs_created_at_beneficiaries", "ND1"): "Information unavailable: the beneficiaries' "
                                              "headcounts are not collected.",
    ("beneficiaries_rnd_expense", "ND2"): "Information incomplete: the beneficiaries' returns "
                                          "were received but not yet loaded.",
}
ND5_REASONS = {
    "scope2_method": "Not applicable: Scope 2 emissions are not reported (see above).",
    "commercialization_cycle_months": "Not applicable: no invention was first commercialized "
                                      "in the year.",
    "board_independence": "Not applicable: the issuer is a natural person without a board.",
    "women_on_board_share": "Not applicable: the issuer is a natural person without a board.",
    "supply_chain_esg_screening": "Not applicable: the issuer buys only office services and IT; "
                                  "it has no supply chain of its own.",
}
# Weights of the No-Data codes a preparer reaches for, where the field accepts them.
ND_WEIGHTS = {"ND1": 45, "ND2": 20, "ND3": 8, "ND4": 27}

# Slips a reviewer returns a filing for: field, how the filed value was wrong, the comment.
SLIPS = {
    ESG: (
        ("revenue", 1000.0, "Revenue reads 1,000 times the audited figure: it was entered in "
                            "units of the currency, not thousands."),
        ("scope2_emissions", 1000.0, "Scope 2 is about 1,000 times electricity use times the "
                                     "grid factor: it looks like kgCO2e, not tCO2e."),
        ("women_in_workforce_share", None, "The share of women in the workforce equals the "
                                           "board share: it seems copied from the board field."),
    ),
    DEAL_REPORT: (
        ("collections", 1.25, "Collections do not reconcile with the servicer reports of the "
                              "period; restate them from the reports."),
        ("beneficiaries_rnd_expense", 1000.0, "The beneficiaries' R&D expense was entered in "
                                              "units, not thousands."),
        ("jobs_created_at_beneficiaries", None, "Net jobs created seems to be the beneficiaries' "
                                                "whole headcount, not the change since "
                                                "financing."),
    ),
}
# Optional fields a preparer leaves blank, with the chance it does.
ESG_BLANKS = {"new_hires": 0.65, "commercialization_cycle_months": 0.5,
              "energy_consumption_mwh": 0.85, "renewable_energy_share": 0.6,
              "training_hours_per_employee": 0.7}
DEAL_BLANKS = {"women_led_beneficiaries_count": 0.8}
# The chance an incomplete filing answers a field with a No-Data code (where it accepts one).
ESG_OMISSIONS = {"carbon_rnd_expense": 0.9, "clean_energy_revenue_share": 0.85,
                 "energy_consumption_mwh": 0.9, "renewable_energy_share": 0.9,
                 "high_skill_employees": 0.8, "new_hires": 0.6, "women_in_workforce_share": 0.8,
                 "training_hours_per_employee": 0.6, "suppliers_screened_share": 0.7,
                 "revenue": 0.04, "rnd_expense": 0.04, "employees": 0.15,
                 "patent_applications": 0.04, "commercialization_cycle_months": 0.5}
# Use-of-proceeds fields and the planner's category for each.
USE_OF_PROCEEDS = {"rnd": "rnd", "working_capital": "working", "renewable_energy": "renewable",
                   "energy_efficiency": "efficiency", "clean_transport": "transport",
                   "pollution_prevention": "pollution", "sme_financing": "sme",
                   "other": "other"}
ICMA_SHARES = ("proceeds_renewable_energy_share", "proceeds_energy_efficiency_share",
               "proceeds_clean_transport_share", "proceeds_pollution_prevention_share")
DEAL_OMISSIONS = {"proceeds_rnd_share": 0.45, "proceeds_working_capital_share": 0.45,
                  "proceeds_other_share": 0.45, "proceeds_sme_financing_share": 0.7,
                  "sme_beneficiaries_count": 0.45, "women_led_beneficiaries_count": 0.6,
                  "jobs_created_at_beneficiaries": 0.85, "beneficiaries_rnd_expense": 0.7,
                  "beneficiaries_patents_filed": 0.6}
ND_COMMENTS = {
    "ND1": "{label}: ND1 (not collected) is not enough for a {year} filing from this issuer. "
           "Give the figure (estimates are accepted if the method is stated) or ND4 with the "
           "date it will be available.",
    "ND2": "{label}: the data was collected (ND2); load it before resubmitting.",
    "ND3": "{label}: ND3 must name the document that holds the figure; the reason does not.",
    "ND4": "{label}: ND4 puts the figure off to {date}, after investors need it; give it now "
           "or an estimate with its method.",
}
ND4_NOTE = ("{label}: ND4 noted; include the figure, expected by {date}, in the next filing or "
            "amend this one.")
REVIEW_QUESTION = ("{label}: the figure moved by more than a quarter from the year before; "
                   "explain the change in the next filing.")
RETURN_REASONS = "Returned for correction: {labels} (see the field comments). File an amendment."
REJECT_REASONS = ("Rejected: every amount is in units of {currency}, not thousands, so the filing "
                  "misstates all its figures. File {period} anew.")
WITHDRAW_REASONS = ("Submitted before the auditor signed the {year} statements; refiling with "
                    "the audited figures.")


# What the plan builds on


@dataclass(frozen=True)
class Filer:
    """An issuer that files: its traits, financials by year and who files for it."""

    name: str
    issuer_type: str
    country: str
    sector: str
    currency: str
    first_year: int  # the first period it files
    financials: dict  # year -> {revenue, rnd_expense, ...} in units of the currency
    preparer: str  # username of the member who prepares filings
    approver: str  # username of the member who signs them


@dataclass(frozen=True)
class ReportingDeal:
    """A deal that files periodic reports: its terms, pool and events."""

    name: str
    originator: str
    structure: str
    label: str
    currency: str
    size: float
    issue_date: date
    last_year: int  # the last period it reports
    periods_per_year: int
    projected: tuple  # scheduled collections per period from issue
    self_financed: bool  # the originator is the only beneficiary
    beneficiaries: int
    sme_beneficiaries: int
    events: tuple  # (date, event type, details), significant events only


@dataclass
class DisclosureView:
    """The registry and deals facts the filings plan builds on."""

    filers: list[Filer]
    deals: list[ReportingDeal]
    issuer_ids: dict[str, int] = field(default_factory=dict)
    deal_ids: dict[str, int] = field(default_factory=dict)


# The plan


@dataclass(frozen=True)
class Step:
    """One service call: when, what, by whom, with what."""

    at: datetime
    action: str  # create, answer, attach, submit, withdraw, review, comment, decide
    actor: str
    args: dict


@dataclass
class FilingPlan:
    """One filing: what it says and the steps of its history."""

    number: int
    issuer: str
    template: str
    period: str
    deal: str | None
    answers: dict[str, Answer]
    amends: int | None = None
    steps: list[Step] = field(default_factory=list)

    @property
    def status(self) -> str:
        status = DRAFT
        for step in self.steps:
            if step.action == "submit":
                status = SUBMITTED
            elif step.action == "review":
                status = UNDER_REVIEW
            elif step.action == "withdraw":
                status = WITHDRAWN
            elif step.action == "decide":
                status = DECISION_STATUS[step.args["decision"]]
        return status

    def fingerprint(self) -> tuple:
        """What identifies the filing and what it says, as the database holds it."""
        return (self.issuer, self.template, self.period, self.deal or "", self.status,
                tuple(sorted((key, answer.value, answer.nd_code, answer.nd_reason)
                             for key, answer in self.answers.items() if not answer.is_blank)))


@dataclass
class _Subject:
    """One obligation: an issuer's ESG disclosure or a deal's report for one year."""

    filer: Filer
    template: Template
    year: int
    deal: ReportingDeal | None
    story: str
    incomplete: bool = False
    forced: bool = False

    @property
    def due(self) -> date:
        return date(self.year, 12, 31) + timedelta(days=self.template.due_days)

    @property
    def submissions(self) -> int:
        return sum(outcome != "draft" for _kind, outcome in STORIES[self.story][0])


def _years(as_of: date) -> tuple[int, int]:
    """The first and last annual period the demo files."""
    last = (as_of - timedelta(days=SETTLE_DAYS)).year - 1
    return last - YEARS + 1, last


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, min(day.day, 28))


def _percent(fraction: float) -> str:
    return f"{round(fraction * 100, 1):g} %"


def _whole(amount: float) -> str:
    return str(round(amount))


def _month_end(day: date) -> date:
    return _add_months(day.replace(day=1), 1) - timedelta(days=1)


class _Planner:
    """Plan the stories of every filing subject, one random draw after another."""

    def __init__(self, rng: random.Random, as_of: date, view: DisclosureView,
                 templates: dict[str, Template]):
        self.rng = rng
        self.as_of = as_of
        self.view = view
        self.templates = templates
        self.first_year, self.last_year = _years(as_of)
        self.plans: list[FilingPlan] = []
        self.issuer_figures: dict[str, dict[int, dict]] = {}
        self.deal_traits: dict[str, dict] = {}

    # Subjects and their stories

    def subjects(self) -> list[_Subject]:
        """Every obligation the plan files for, with the story it tells."""
        subjects = []
        esg, report = self.templates[ESG], self.templates[DEAL_REPORT]
        filers = {filer.name: filer for filer in self.view.filers}
        for filer in self.view.filers:
            forced = LOGIN_STORIES.get(filer.name)
            for number, year in enumerate(range(max(self.first_year, filer.first_year),
                                                 self.last_year + 1)):
                if forced and number < len(forced):
                    story, incomplete = forced[number]
                    subjects.append(_Subject(filer, esg, year, None, story, incomplete, True))
                else:
                    subjects.append(_Subject(filer, esg, year, None, self._pick_story(year)))
        for deal in self.view.deals:
            for year in range(max(self.first_year, deal.issue_date.year), deal.last_year + 1):
                subjects.append(_Subject(filers[deal.originator], report, year, deal,
                                         self._pick_story(year)))
        self._mark_incomplete(subjects)
        return subjects

    def _pick_story(self, year: int) -> str:
        column = 2 if year == self.last_year else 1
        names = [name for name, row in STORIES.items() if row[column]]
        return self.rng.choices(names, weights=[STORIES[name][column] for name in names])[0]

    def _mark_incomplete(self, subjects: list[_Subject]) -> None:
        """Mark the subjects whose filings use No-Data codes: the likeliest until about
        INCOMPLETE_SHARE of all submissions are marked."""
        rng = self.rng
        total = sum(subject.submissions for subject in subjects)
        marked = sum(s.submissions for s in subjects if s.forced and s.incomplete)

        def likelihood(subject):
            filer = subject.filer
            bias = 0.15 if filer.country == "CN" and filer.issuer_type in (SME, FIN) else 0.0
            bias -= 0.15 if filer.issuer_type == LARGE and filer.country != "CN" else 0.0
            bias += 0.25 if STORIES[subject.story][0][0][1] == "return" else 0.0
            bias += 0.04 * (self.last_year - subject.year)
            # An issuer's ESG disclosure lacks data more often than a deal's report (the
            # trustee always knows the collections): the study's gaps are ESG gaps.
            bias += 0.2 if subject.deal is None else 0.0
            return rng.random() + bias

        free = [(likelihood(subject), number) for number, subject in enumerate(subjects)
                if not subject.forced]
        for _score, number in sorted(free, reverse=True):
            if marked >= INCOMPLETE_SHARE * total:
                break
            subjects[number].incomplete = True
            marked += subjects[number].submissions

    # Figures

    def issuer_year(self, filer: Filer, year: int) -> dict:
        """The issuer's figures for a year: from its financials where present, else plausible
        ones for its type and sector (amounts in thousands)."""
        if filer.name not in self.issuer_figures:
            self.issuer_figures[filer.name] = self._issuer_years(filer)
        return self.issuer_figures[filer.name][year]

    def _issuer_years(self, filer: Filer) -> dict[int, dict]:
        rng = self.rng
        revenue0, employees0, intensity_range, skill_range, patent_range = (
            registry_demo.FINANCIALS.get(filer.issuer_type, PERSON_FIGURES))
        heavy = filer.sector in HEAVY_SECTORS
        revenue = revenue0 * registry_demo.PER_CNY.get(filer.currency, 1.0) * rng.lognormvariate(
            0, 0.5) / 1000
        employees = max(employees0 * rng.lognormvariate(0, 0.4), 1)
        intensity = rng.uniform(*intensity_range)
        skill = rng.uniform(*skill_range)
        patents = rng.uniform(*patent_range)
        mwh_per_employee = rng.uniform(25, 60) if heavy else rng.uniform(3, 8)
        fuel_factor = rng.uniform(0.06, 0.2) if heavy else rng.uniform(0.01, 0.04)
        renewable = rng.uniform(*((0.2, 0.6) if filer.sector == "new_energy" else (0.02, 0.3)))
        if filer.sector == "new_energy":
            clean = rng.uniform(0.55, 0.95)
        else:
            clean = rng.uniform(0, 0.08) if heavy else 0.0
        carbon_share = rng.uniform(0.25, 0.45) if filer.sector == "new_energy" else 0.0
        listed_board = filer.issuer_type == LARGE or filer.country != "CN"
        women = (0.42, 0.6) if filer.issuer_type == FIN else (0.22, 0.48)
        traits = {
            "women": rng.uniform(*women),
            "training": rng.uniform(8, 40),
            "screening": rng.random() < (0.5 if listed_board else 0.2),
            "screened": rng.uniform(0.2, 1.0),
            "board": rng.uniform(0.33, 0.6) if listed_board else rng.uniform(0.0, 0.34),
            "women_board": rng.uniform(0.1, 0.4) if listed_board else rng.uniform(0.0, 0.3),
            "policy": rng.random() < (0.6 if listed_board else 0.2),
            "method": "market" if rng.random() < 0.2 else "location",
            "cycle": rng.uniform(16, 40),
        }
        years = {}
        for year in range(self.first_year - 1, self.last_year + 1):
            revenue *= 1 + rng.gauss(0.07, 0.05)
            employees *= 1 + rng.gauss(0.03, 0.02)
            # The registry's figures where it has them (amounts in units of the currency).
            row = {key: float(value) for key, value in filer.financials.get(year, {}).items()
                   if value is not None}
            year_revenue = row["revenue"] / 1000 if "revenue" in row else revenue
            rnd = row["rnd_expense"] / 1000 if "rnd_expense" in row else year_revenue * intensity
            carbon = min(row["carbon_rnd_expense"] / 1000 if "carbon_rnd_expense" in row
                         else rnd * carbon_share, rnd)
            headcount = round(row.get("employees", employees))
            high_skill = min(round(row.get("high_skill_employees", headcount * skill)), headcount)
            patent_count = round(row.get("patent_applications", patents * rng.uniform(0.8, 1.2)))
            energy = headcount * mwh_per_employee * rng.uniform(0.9, 1.1)
            year_renewable = min(max(renewable + rng.gauss(0.02, 0.02), 0.0), 0.95)
            years[year] = traits | {
                "revenue": year_revenue, "rnd": rnd, "carbon": carbon, "employees": headcount,
                "high_skill": high_skill, "new_hires": round(headcount * rng.uniform(0.08, 0.22)),
                "patents": patent_count, "clean": clean, "energy": energy,
                "renewable": year_renewable, "scope1": energy * fuel_factor,
                "scope2": energy * (1 - year_renewable) * GRID_FACTOR.get(filer.country, 0.4),
            }
        return years

    def _deal_traits(self, deal: ReportingDeal) -> dict:
        if deal.name in self.deal_traits:
            return self.deal_traits[deal.name]
        rng = self.rng
        pooled = deal.structure in (Structure.PLEDGED_LOAN, Structure.FINANCE_LEASE,
                                    Structure.SUPPLY_CHAIN)
        # Use of proceeds in percentage points, by ICMA category where the label claims one.
        weights = {"rnd": rng.uniform(10, 35), "working": rng.uniform(10, 40),
                   "other": rng.uniform(0, 5)}
        if deal.label in (Label.GREEN, Label.SUSTAINABILITY):
            weights |= {"renewable": rng.uniform(20, 45), "efficiency": rng.uniform(5, 20),
                        "transport": rng.uniform(0, 12), "pollution": rng.uniform(0, 6)}
        if deal.label in (Label.SOCIAL, Label.SUSTAINABILITY) or pooled:
            weights["sme"] = rng.uniform(25, 60)
        if not pooled:
            weights["other"] = rng.uniform(40, 80)  # refinancing of the originator's debt
        points = _apportion(weights, 100)
        small = deal.sme_beneficiaries > 0
        traits = {
            "net": deal.size * rng.uniform(0.975, 0.992) / 1000,
            "allocated": (rng.uniform(0.55, 0.9), rng.uniform(0.92, 1.0)),
            "points": points,
            "women_led": rng.uniform(0.04, 0.2),
            "employees": rng.uniform(60, 250) if small else rng.uniform(2000, 20000),
            "hiring": rng.uniform(0.05, 0.09) if small else rng.uniform(-0.02, 0.04),
            "rnd": (rng.uniform(2000, 8000) if small else rng.uniform(1e5, 1e6))
            * registry_demo.PER_CNY.get(deal.currency, 1.0),
            "patents": rng.uniform(2, 12) if small else rng.uniform(20, 200),
        }
        self.deal_traits[deal.name] = traits
        return traits

    # Answers

    def truth(self, subject: _Subject) -> dict[str, Answer]:
        """Every field answered as the subject's records have it (ND5 where a field cannot
        apply)."""
        if subject.deal is None:
            return self._esg_truth(subject)
        return self._deal_truth(subject)

    def _esg_truth(self, subject: _Subject) -> dict[str, Answer]:
        filer, year, rng = subject.filer, subject.year, self.rng
        f = self.issuer_year(filer, year)
        if filer.issuer_type in (SME, LARGE):
            size = filer.issuer_type
        elif filer.issuer_type == FIN:
            size = "sme" if f["employees"] < 300 else "large"
        else:
            size = "not_applicable"
        values = {
            "reporting_currency": filer.currency, "revenue": _whole(f["revenue"]),
            "rnd_expense": _whole(f["rnd"]), "employees": str(f["employees"]),
            "high_skill_employees": str(f["high_skill"]), "new_hires": str(f["new_hires"]),
            "patent_applications": str(f["patents"]),
            "commercialization_cycle_months": f"{f['cycle'] * rng.uniform(0.9, 1.1):.1f}",
            "sme_status": size, "carbon_rnd_expense": _whole(f["carbon"]),
            "clean_energy_revenue_share": _percent(f["clean"]),
            "energy_consumption_mwh": _whole(f["energy"]),
            "renewable_energy_share": _percent(f["renewable"]),
            "scope1_emissions": f"{f['scope1']:.1f}", "scope2_emissions": f"{f['scope2']:.1f}",
            "scope2_method": f["method"],
            "women_in_workforce_share": _percent(f["women"] + rng.gauss(0, 0.01)),
            "training_hours_per_employee": f"{f['training'] * rng.uniform(0.9, 1.1):.1f}",
            "supply_chain_esg_screening": "yes" if f["screening"] else "no",
            "board_independence": _percent(f["board"]),
            "women_on_board_share": _percent(f["women_board"]),
            "esg_policy": "yes" if f["policy"] else "no",
        }
        if f["screening"]:
            values["suppliers_screened_share"] = _percent(f["screened"])
        if f["policy"]:
            values["esg_policy_reference"] = (
                f"ESG policy approved by the board on {year}-0{rng.randint(3, 9)}-"
                f"{rng.randint(10, 28)}, published on the issuer's website")
        answers = {key: Answer(value=value) for key, value in values.items()}
        not_applicable = {"commercialization_cycle_months"} if f["patents"] == 0 else set()
        if filer.issuer_type == PERSON:
            not_applicable |= {"board_independence", "women_on_board_share"}
        for key in not_applicable:
            answers[key] = Answer(nd_code="ND5", nd_reason=ND5_REASONS[key])
        return answers

    def _deal_truth(self, subject: _Subject) -> dict[str, Answer]:
        deal, year, rng = subject.deal, subject.year, self.rng
        t = self._deal_traits(deal)
        months = 12 // deal.periods_per_year
        scheduled = sum(amount for number, amount in enumerate(deal.projected, start=1)
                        if _add_months(deal.issue_date, number * months).year == year) / 1000
        events = [event for event in deal.events if event[0].year == year]
        shortfall = any(kind in (EventType.MISSED_PAYMENT, EventType.DEFAULT)
                        for _day, kind, _details in events)
        collected = scheduled * (rng.uniform(0.45, 0.8) if shortfall else rng.uniform(0.92, 1.05))
        since = year - deal.issue_date.year
        allocated = t["net"] * (t["allocated"][since] if since < 2 else 1.0)
        points = t["points"]
        green = sum(points.get(key, 0) for key in ("renewable", "efficiency", "transport",
                                                   "pollution"))
        headcount = self._headcount(subject)
        jobs = headcount * t["hiring"] * (since + 1) * rng.uniform(0.8, 1.2)
        rnd = deal.beneficiaries * t["rnd"] * (1 + 0.1 * since) * rng.uniform(0.9, 1.1)
        patents = deal.beneficiaries * t["patents"] * rng.uniform(0.8, 1.2)
        if self._originator_benefits(subject):
            # The originator is the beneficiary: its own figures, as in its ESG disclosure.
            figures = self.issuer_year(subject.filer, year)
            financed = self.issuer_year(subject.filer, max(deal.issue_date.year - 1,
                                                           self.first_year - 1))
            jobs = figures["employees"] - financed["employees"]
            rnd, patents = figures["rnd"], figures["patents"]
        values = {
            "collections": _whole(collected), "collections_scheduled": _whole(scheduled),
            "net_proceeds": _whole(t["net"]), "proceeds_allocated": _whole(allocated),
            "green_allocation": _whole(allocated * green / 100),
            "beneficiaries_count": str(deal.beneficiaries),
            "sme_beneficiaries_count": str(deal.sme_beneficiaries),
            "women_led_beneficiaries_count": str(round(deal.beneficiaries * t["women_led"])),
            "jobs_created_at_beneficiaries": str(round(jobs)),
            "beneficiaries_rnd_expense": _whole(rnd),
            "beneficiaries_patents_filed": str(round(patents)),
            "events_occurred": "yes" if events else "no",
        }
        values |= {f"proceeds_{key}_share": f"{points.get(category, 0)} %"
                   for key, category in USE_OF_PROCEEDS.items()}
        if events:
            values["significant_events"] = " ".join(
                f"{day.isoformat()}: {details} The trustee notified the noteholders within "
                f"three business days." for day, _kind, details in events)
        return {key: Answer(value=value) for key, value in values.items()}

    def _originator_benefits(self, subject: _Subject) -> bool:
        return subject.deal.self_financed and subject.deal.currency == subject.filer.currency

    def _headcount(self, subject: _Subject) -> float:
        """The beneficiaries' headcount in the subject's year."""
        if self._originator_benefits(subject):
            return self.issuer_year(subject.filer, subject.year)["employees"]
        return subject.deal.beneficiaries * self._deal_traits(subject.deal)["employees"]

    def filed(self, subject: _Subject, truth: dict[str, Answer], on: date) -> dict[str, Answer]:
        """The answers as the preparer files them on `on`: optional fields often left blank,
        and, in an incomplete filing, No-Data codes where the data is not collected."""
        rng = self.rng
        answers = dict(truth)
        blanks = ESG_BLANKS if subject.deal is None else DEAL_BLANKS
        thorough = not subject.incomplete and rng.random() < THOROUGH_SHARE
        for key, chance in blanks.items():
            if answers[key].nd_code or (not thorough and rng.random() < chance):
                del answers[key]
        if "energy_consumption_mwh" in blanks and "energy_consumption_mwh" not in answers:
            answers.pop("renewable_energy_share", None)
        if not subject.incomplete:
            return answers
        if subject.deal is not None:
            # Most preparers do not track allocations by ICMA category at all.
            untracked = rng.random() < 0.95
            self._omit(subject, answers, on,
                       DEAL_OMISSIONS | dict.fromkeys(ICMA_SHARES, 1.0 if untracked else 0.5),
                       fallback="jobs_created_at_beneficiaries")
            return answers
        if rng.random() < 0.95:  # no greenhouse-gas inventory
            code = rng.choice(("ND1", "ND1", "ND4", "ND2"))
            for key in ("scope1_emissions", "scope2_emissions"):
                answers[key] = self._nd(subject, key, on, code)
            answers["scope2_method"] = Answer(nd_code="ND5",
                                              nd_reason=ND5_REASONS["scope2_method"])
        if subject.filer.issuer_type == FIN and rng.random() < 0.5:
            answers["supply_chain_esg_screening"] = Answer(
                nd_code="ND5", nd_reason=ND5_REASONS["supply_chain_esg_screening"])
            answers.pop("suppliers_screened_share", None)
        # New-energy issuers tag their carbon-reduction R&D more often than others.
        carbon = {"carbon_rnd_expense": 0.4} if subject.filer.sector == "new_energy" else {}
        self._omit(subject, answers, on, ESG_OMISSIONS | carbon, fallback="scope1_emissions")
        return answers

    def _omit(self, subject, answers, on, chances, *, fallback) -> None:
        """Answer each listed field by its chance with a No-Data code it accepts; at least
        one field is answered so (ND5, not applicable, does not count)."""
        rng = self.rng
        for key, chance in chances.items():
            current = answers.get(key)
            if (current is not None and not current.nd_code and rng.random() < chance
                    and any(code != "ND5" for code in subject.template.field(key).nd)):
                answers[key] = self._nd(subject, key, on)
        if not any(answer.nd_code[:3] in ND_WEIGHTS for answer in answers.values()):
            answers[fallback] = self._nd(subject, fallback, on)

    def _nd(self, subject: _Subject, key: str, on: date, code: str = "") -> Answer:
        """A No-Data answer the field accepts (ND4 dated months after `on`), with its reason."""
        spec = subject.template.field(key)
        codes = [c for c in ND_WEIGHTS if c in spec.nd]
        if code not in codes:
            code = self.rng.choices(codes, weights=[ND_WEIGHTS[c] for c in codes])[0]
        available = _month_end(on + timedelta(days=self.rng.randint(45, 240)))
        reason = FIELD_ND_REASONS.get((key, code), ND_REASONS[code]).format(
            label=spec.label, year=subject.year, next=f"FY{subject.year + 1}",
            date=available.isoformat())
        if code == "ND4":
            code = f"ND4-{available.isoformat()}"
        return Answer(nd_code=code, nd_reason=reason)

    # Stories

    def tell(self, subject: _Subject) -> None:
        """Plan the filings of one subject's story, from the first draft to its last step."""
        rng = self.rng
        chain = STORIES[subject.story][0]
        period_end = date(subject.year, 12, 31)
        if chain[0][1] == "draft":
            day = max(min(self.as_of, subject.due + timedelta(days=200))
                      - timedelta(days=rng.randint(5, 150)), period_end + timedelta(days=20))
        elif rng.random() < LATE_SHARE:
            day = subject.due + timedelta(days=rng.randint(5, 110))
        else:
            day = max(subject.due - timedelta(days=rng.randint(1, 50)),
                      period_end + timedelta(days=25))
        steps, answers = self._steps(subject, chain, day)
        if subject.year == self.last_year and subject.story in OPEN_STORIES:
            # An open story ends shortly before the as-of date (a late filer, a regulator's
            # backlog): what follows the first submission moves there.
            shift = self.as_of - timedelta(days=rng.randint(1, 25)) - max(s[0] for s in steps)
            pivot = day if subject.story == "submitted" else day + timedelta(days=1)
            if shift.days > 0:
                steps = [(when + shift if when >= pivot else when, *rest)
                         for when, *rest in steps]
        self._materialize(subject, steps, answers)

    def _steps(self, subject: _Subject, chain, submit: date) -> tuple[list[tuple], list[dict]]:
        """The steps of a story as (day, filing index, action, actor, arguments), and each
        filing's answers."""
        rng = self.rng
        filer = subject.filer
        preparer = filer.preparer or filer.approver or STAFF
        approver = filer.approver or STAFF
        truth = self.truth(subject)
        filed = self.filed(subject, truth, submit)
        steps, answers_by_filing, asked = [], [], []
        day = submit
        for index, (kind, outcome) in enumerate(chain):
            slipped: list[str] = []
            if kind == "original":
                opened = day if outcome == "draft" else day - timedelta(days=rng.randint(3, 30))
                answers, slipped = self._as_filed(subject, filed, outcome)
            else:
                after_acceptance = chain[index - 1][1] == "accept"
                opened = day + timedelta(days=rng.randint(20, 200) if after_acceptance
                                         else rng.randint(2, 15))
                previous = answers_by_filing[-1]
                if kind == "refiling":
                    answers = dict(filed)
                elif after_acceptance:
                    answers = self._restated(subject, previous, truth)
                else:
                    answers = self._corrected(subject, previous, asked, truth, filed, opened,
                                              finished=outcome != "draft")
                day = opened + timedelta(days=rng.randint(2, 20))
            # An amendment carries the files of the filing it amends.
            files = [] if kind == "amendment" or outcome == "draft" else self._files(subject,
                                                                                    answers)
            answers |= {key: Answer(value=name) for name, _data, key in files if key}
            answers_by_filing.append(answers)
            steps.append((opened, index, "create", preparer, {}))
            steps.append((opened, index, "answer", preparer, {"answers": answers}))
            steps.extend((opened, index, "attach", preparer,
                          {"name": name, "data": data, "field": key})
                         for name, data, key in files)
            if outcome == "draft":
                break
            day = max(day, opened + timedelta(days=1))
            steps.append((day, index, "submit", approver, {}))
            if outcome == "withdraw":
                day += timedelta(days=rng.randint(1, 8))
                steps.append((day, index, "withdraw", approver,
                              {"reason": WITHDRAW_REASONS.format(year=subject.year)}))
                continue
            if outcome == "submit" or (outcome == "pending" and rng.random() < 0.5):
                break
            day += timedelta(days=rng.randint(1, 12))
            steps.append((day, index, "review", REVIEWER, {}))
            comments = self._comments(subject, answers, outcome, slipped)
            day += timedelta(days=rng.randint(0, 3))
            steps.extend((day, index, "comment", REVIEWER, {"field": key, "text": text})
                         for key, text in comments)
            asked = [key for key, _text in comments if key]
            if outcome in ("review", "pending"):
                break
            day += timedelta(days=rng.randint(1, 12))
            steps.append((day, index, "decide", REVIEWER, self._decision(subject, outcome,
                                                                         asked)))
        return steps, answers_by_filing

    def _decision(self, subject: _Subject, outcome: str, asked: list[str]) -> dict:
        if outcome == "return":
            labels = ", ".join(subject.template.field(key).label for key in asked)
            return {"decision": Decision.RETURN, "reasons": RETURN_REASONS.format(labels=labels)}
        if outcome == "reject":
            currency = subject.deal.currency if subject.deal else subject.filer.currency
            return {"decision": Decision.REJECT,
                    "reasons": REJECT_REASONS.format(currency=currency, period=subject.year)}
        return {"decision": Decision.ACCEPT, "reasons": ""}

    def _as_filed(self, subject, filed, outcome) -> tuple[dict[str, Answer], list[str]]:
        """The first filing's answers: as filed, or with the mistake its story turns on; and
        the fields a slip went into."""
        rng = self.rng
        if outcome == "return" and not subject.incomplete:
            return self._slip(subject, filed)
        if outcome == "reject":
            return _in_units(subject.template, filed), []
        if outcome == "withdraw":  # unaudited figures, refiled once audited
            key = "revenue" if subject.deal is None else "collections"
            if filed[key].value:
                return filed | {key: Answer(value=_scaled(filed[key].value,
                                                          rng.uniform(0.96, 1.04)))}, []
        if outcome == "draft":  # half done: the preparer has answered some fields so far
            share = rng.uniform(0.3, 0.8)
            return {key: answer for key, answer in filed.items() if rng.random() < share}, []
        return dict(filed), []

    def _slip(self, subject, filed) -> tuple[dict[str, Answer], list[str]]:
        """The answers with one or two mistakes a reviewer returns the filing for."""
        rng = self.rng
        slips = [slip for slip in SLIPS[subject.template.code]
                 if filed.get(slip[0], Answer()).value
                 and (slip[0] != "women_in_workforce_share"
                      or filed["women_on_board_share"].value)]
        chosen = rng.sample(slips, min(len(slips), rng.choice((1, 1, 2))))
        slipped = dict(filed)
        for key, factor, _text in chosen:
            if factor is not None:
                slipped[key] = Answer(value=_scaled(filed[key].value, factor))
            elif key == "women_in_workforce_share":
                slipped[key] = filed["women_on_board_share"]
            else:  # net jobs filed as the beneficiaries' whole headcount
                slipped[key] = Answer(value=str(round(self._headcount(subject))))
        return slipped, [key for key, _factor, _text in chosen]

    def _corrected(self, subject, previous, asked, truth, filed, on, *,
                   finished: bool) -> dict[str, Answer]:
        """An amendment's answers: the fields the reviewer asked about corrected (some of them
        in an unfinished draft), the rest as filed before."""
        rng = self.rng
        corrected = dict(previous)
        for key in asked:
            if not finished and rng.random() < 0.5:
                continue
            if not subject.incomplete:
                corrected[key] = filed[key]
            elif previous[key].nd_code.startswith("ND4") or rng.random() < 0.7:
                corrected[key] = truth[key]
                if key == "scope2_emissions":  # reported now, so its method is too
                    corrected["scope2_method"] = truth["scope2_method"]
            else:
                corrected[key] = self._nd(subject, key, on, "ND4")
        return corrected

    def _restated(self, subject, previous, truth) -> dict[str, Answer]:
        """A correction of an accepted filing: one figure restated."""
        key = "revenue" if subject.deal is None else "collections"
        return previous | {key: Answer(value=_scaled(truth[key].value,
                                                     self.rng.uniform(0.97, 1.03)))}

    def _comments(self, subject, answers, outcome, slipped) -> list[tuple[str, str]]:
        """The reviewer's field comments: what to correct before a return (No-Data answers
        or slips); now and then a note or a question otherwise."""
        rng = self.rng
        spec = subject.template
        omitted = [key for key, answer in answers.items()
                   if answer.nd_code and not answer.nd_code.startswith("ND5")]
        if outcome == "return" and slipped:
            return [(key, text) for key, _factor, text in SLIPS[spec.code] if key in slipped]
        if outcome == "return":
            chosen = rng.sample(omitted, min(len(omitted), rng.randint(1, 3)))
            return [(key, ND_COMMENTS[answers[key].nd_code[:3]].format(
                label=spec.field(key).label, year=subject.year,
                date=answers[key].nd_code[4:])) for key in chosen]
        if outcome == "reject" or rng.random() >= 0.25:
            return []
        promised = [key for key in omitted if answers[key].nd_code.startswith("ND4")]
        if promised:
            key = rng.choice(promised)
            return [(key, ND4_NOTE.format(label=spec.field(key).label,
                                          date=answers[key].nd_code[4:]))]
        numbers = [key for key, answer in answers.items()
                   if answer.value and spec.field(key).is_numeric]
        key = rng.choice(numbers)
        return [(key, REVIEW_QUESTION.format(label=spec.field(key).label))]

    def _files(self, subject, answers) -> list[tuple[str, bytes, str]]:
        """Files attached: (name, content, the file field it answers or ""): impact reports
        of some labelled deals, GHG inventories of some issuers."""
        rng = self.rng
        deal = subject.deal
        if deal is not None:
            if deal.label != Label.NONE and not subject.incomplete and rng.random() < 0.35:
                lines = (deal.name, f"Impact report {subject.year}",
                         "Prepared under the ICMA Harmonised Framework for Impact Reporting.")
                return [(f"impact-report-{subject.year}.pdf", _pdf(lines), "impact_report")]
            return []
        scope1, scope2 = answers.get("scope1_emissions"), answers.get("scope2_emissions")
        if scope1 and scope1.value and scope2 and scope2.value and rng.random() < 0.15:
            rows = ("site,scope,tco2e", f"Headquarters and plants,1,{scope1.value}",
                    f"Headquarters and plants,2,{scope2.value}")
            return [(f"ghg-inventory-{subject.year}.csv", ("\n".join(rows) + "\n").encode(), "")]
        return []

    def _materialize(self, subject: _Subject, steps: list[tuple],
                     answers: list[dict[str, Answer]]) -> None:
        """Turn the story's days into moments before the as-of date, one plan per filing."""
        rng = self.rng
        plans: dict[int, FilingPlan] = {}
        last: datetime | None = None
        for day, index, action, actor, args in sorted(steps, key=lambda step: step[:2]):
            if day >= self.as_of:
                break
            at = datetime.combine(day, time(rng.randint(9, 17), rng.randint(0, 59)), tzinfo=UTC)
            if last is not None and at <= last:
                at = last + timedelta(minutes=rng.randint(3, 40))
            last = at
            if action == "create":
                amended = plans.get(index - 1)
                kind = STORIES[subject.story][0][index][0]
                plans[index] = FilingPlan(
                    number=len(self.plans), issuer=subject.filer.name,
                    template=subject.template.code, period=str(subject.year),
                    deal=subject.deal.name if subject.deal else None, answers=answers[index],
                    amends=amended.number if amended and kind == "amendment" else None)
                self.plans.append(plans[index])
            plans[index].steps.append(Step(at, action, actor, args))


def _apportion(weights: dict[str, float], total: int) -> dict[str, int]:
    """Whole shares of `total` in proportion to the weights, summing to it exactly."""
    whole = sum(weights.values())
    exact = {key: weight * total / whole for key, weight in weights.items()}
    shares = {key: int(value) for key, value in exact.items()}
    rest = total - sum(shares.values())
    for key in sorted(exact, key=lambda k: exact[k] - shares[k], reverse=True)[:rest]:
        shares[key] += 1
    return shares


def _scaled(value: str, factor: float) -> str:
    number = float(value)
    return str(round(number * factor)) if "." not in value else f"{number * factor:.1f}"


def _in_units(template: Template, answers: dict[str, Answer]) -> dict[str, Answer]:
    """The answers with every amount in units instead of thousands (all scaled alike, so the
    cross-field rules still hold)."""
    return {key: Answer(value=_scaled(answer.value, 1000))
            if answer.value and template.field(key).unit.startswith("thousand") else answer
            for key, answer in answers.items()}


def _pdf(lines: tuple[str, ...]) -> bytes:
    """A one-page PDF with the lines in Helvetica."""
    def text(line):
        ascii_line = unicodedata.normalize("NFKD", line).encode("ascii", "ignore").decode()
        return ascii_line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    content = "BT /F1 12 Tf 56 780 Td 16 TL " + " ".join(
        f"({text(line)}) Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n"
            f"%%EOF\n").encode()
    return out


def plan_filings(rng: random.Random, *, as_of: date, view: DisclosureView,
                 templates: dict[str, Template]) -> list[FilingPlan]:
    """Plan every demo filing and its history; one seed, one as-of date, one plan."""
    planner = _Planner(rng, as_of, view, templates)
    for subject in planner.subjects():
        planner.tell(subject)
    return planner.plans


# Reading the registry and deals


def disclosure_view(*, as_of: date) -> DisclosureView:
    """Return the facts the plan builds on: the reporting deals, their originators and the
    issuers of the demo logins."""
    first_year, last_year = _years(as_of)
    deals = []
    deal_ids = {}
    for deal in (Deal.objects.filter(status__in=REPORTING_DEALS, issue_date__isnull=False,
                                     issue_date__year__lte=last_year)
                 .select_related("originator").prefetch_related("events", "pool__asset__owner")
                 .order_by("issue_date", "name")):
        events = tuple(sorted((event.date, event.event_type, event.details)
                              for event in deal.events.all()
                              if event.event_type != EventType.MATURED))
        until = last_year
        if deal.status == DealStatus.DEFAULTED:
            until = min([day.year for day, kind, _ in events if kind == EventType.DEFAULT]
                        or [deal.issue_date.year])
        # A deal reports while its cash-flow schedule runs.
        scheduled_until = _add_months(deal.issue_date, len(deal.projected_collections)
                                      * (12 // deal.periods_per_year)).year
        until = min(until, last_year, scheduled_until)
        if max(first_year, deal.issue_date.year) > until:
            continue
        owners = {entry.asset.owner for entry in deal.pool.all() if entry.financing_amount > 0}
        deals.append(ReportingDeal(
            name=deal.name, originator=deal.originator.name, structure=deal.structure,
            label=deal.label, currency=deal.currency, size=float(deal.size),
            issue_date=deal.issue_date, last_year=until,
            periods_per_year=deal.periods_per_year,
            projected=tuple(float(amount) for amount in deal.projected_collections),
            self_financed=owners <= {deal.originator},
            beneficiaries=max(len(owners), 1),
            sme_beneficiaries=sum(owner.issuer_type == SME for owner in owners),
            events=events))
        deal_ids[deal.name] = deal.pk
    logins = [name for _user, _role, name, _membership, _staff in registry_demo.DEMO_USERS
              if name]
    names = sorted({deal.originator for deal in deals} | set(logins))
    issuers = {issuer.name: issuer for issuer in Issuer.objects.filter(name__in=names)}
    first_issue = {}
    for name, issued in (Deal.objects.filter(originator__name__in=names,
                                             status__in=PUBLIC_STATUSES,
                                             issue_date__isnull=False)
                         .values_list("originator__name", "issue_date")):
        first_issue[name] = min(first_issue.get(name, issued.year), issued.year)
    financials: dict[str, dict] = {name: {} for name in names}
    for row in IssuerFinancials.objects.filter(issuer__name__in=names).select_related("issuer"):
        financials[row.issuer.name][row.year] = {
            key: getattr(row, key) for key in ("revenue", "rnd_expense", "employees",
                                               "high_skill_employees", "patent_applications",
                                               "carbon_rnd_expense")}
    members: dict[str, dict[str, str]] = {name: {} for name in names}
    for name, username, role in (IssuerMembership.objects.filter(issuer__name__in=names)
                                 .order_by("user__username")
                                 .values_list("issuer__name", "user__username", "role")):
        members[name].setdefault(role, username)
    filers = []
    for name in names:
        issuer = issuers[name]
        filers.append(Filer(
            name=name, issuer_type=issuer.issuer_type, country=issuer.country,
            sector=SECTORS.get(issuer.sector, "other"),
            currency=registry_demo.CURRENCY.get(issuer.country, "USD"),
            first_year=first_issue.get(name, first_year), financials=financials[name],
            preparer=members[name].get(MembershipRole.PREPARER, ""),
            approver=members[name].get(MembershipRole.APPROVER, "")))
    return DisclosureView(filers, deals, {name: issuers[name].pk for name in names}, deal_ids)


# Loading

SUMMARY_LABELS = ("filings", *(f"filings {status}" for status in FilingStatus.values),
                  "filing amendments", "filings using No-Data codes", "field comments",
                  "filing attachments")


def load_filings(*, seed: int, as_of: date) -> dict[str, int]:
    """Write the disclosure demo through the services; the caller holds a transaction.

    Loads the templates first (a no-op when they are loaded). Returns counts by label.
    """
    load_templates()
    templates = {template.code: template for template in DisclosureTemplate.objects.filter(
        status=TemplateStatus.ACTIVE, code__in=(ESG, DEAL_REPORT))}
    view = disclosure_view(as_of=as_of)
    plans = plan_filings(random.Random(seed), as_of=as_of, view=view,
                         templates={code: template.spec for code, template in templates.items()})
    users = {user.username: user for user in User.objects.filter(username__startswith="demo-")}
    issuers = Issuer.objects.in_bulk(list(view.issuer_ids.values()))
    deals = Deal.objects.in_bulk(list(view.deal_ids.values()))
    filings: dict[int, Filing] = {}
    steps = sorted(((step.at, plan.number, order, plan, step) for plan in plans
                    for order, step in enumerate(plan.steps)), key=lambda row: row[:3])
    # The services stamp what they record with the current time; the replay sets that clock
    # to each step's moment, so submissions, decisions and the ledger carry their history.
    with mock.patch("django.utils.timezone.now") as now:
        for at, number, _order, plan, step in steps:
            now.return_value = at
            actor, filing = users[step.actor], filings.get(number)
            match step.action:
                case "create" if plan.amends is not None:
                    filings[number] = services.filing_amend(actor=actor,
                                                            filing=filings[plan.amends])
                case "create":
                    filings[number] = services.filing_create(
                        actor=actor, issuer=issuers[view.issuer_ids[plan.issuer]],
                        template=templates[plan.template], period=plan.period,
                        deal=deals[view.deal_ids[plan.deal]] if plan.deal else None)
                case "answer":
                    services.filing_save_answers(actor=actor, filing=filing, **step.args)
                case "attach":
                    services.attachment_add(actor=actor, filing=filing, **step.args)
                case "submit":
                    services.filing_submit(actor=actor, filing=filing, today=at.date())
                case "withdraw":
                    services.filing_withdraw(actor=actor, filing=filing, **step.args)
                case "review":
                    services.review_start(actor=actor, filing=filing)
                case "comment":
                    services.comment_add(actor=actor, filing=filing, **step.args)
                case "decide":
                    services.review_decide(actor=actor, filing=filing, **step.args)
    read_before = datetime.combine(as_of - timedelta(days=UNREAD_DAYS), time(), tzinfo=UTC)
    for user in users.values():
        old = list(Notification.objects.filter(user=user, created_at__lt=read_before)
                   .values_list("pk", flat=True))
        if old:
            services.notifications_read(user=user, ids=old)
    return _counts(list(filings.values()))


def _counts(filings: list[Filing]) -> Counter:
    counts = Counter(dict.fromkeys(SUMMARY_LABELS, 0))
    ids = [filing.pk for filing in filings]
    loaded = Filing.objects.filter(pk__in=ids)
    counts["filings"] = len(ids)
    for status in loaded.values_list("status", flat=True):
        counts[f"filings {status}"] += 1
    counts["filing amendments"] = loaded.filter(amends__isnull=False).count()
    counts["filings using No-Data codes"] = loaded.filter(
        status__in=SUBMITTED_STATUSES, values__nd_code__gt="").distinct().count()
    counts["field comments"] = FieldComment.objects.filter(filing__in=loaded).count()
    counts["filing attachments"] = Attachment.objects.filter(filing__in=loaded).count()
    return counts

