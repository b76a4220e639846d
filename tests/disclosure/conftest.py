"""Disclosure fixtures: the shipped templates loaded, and complete answers to each."""

import datetime

import pytest

from deals.choices import DealStatus
from disclosure import services
from disclosure.models import DisclosureTemplate
from disclosure.quality import Answer
from disclosure.templates_loader import load_templates
from tests.deals.factories import issued_deal

ESG = "issuer-esg-annual"
DEAL_REPORT = "deal-periodic"

# Every field of issuer-esg-annual v1 answered, the cross-field rules respected.
ESG_ANSWERS = {
    "reporting_currency": "CNY",
    "revenue": "120,000",
    "rnd_expense": "9,600",
    "employees": "480",
    "high_skill_employees": "210",
    "new_hires": "64",
    "patent_applications": "37",
    "commercialization_cycle_months": "18",
    "sme_status": "sme",
    "carbon_rnd_expense": "2,100",
    "clean_energy_revenue_share": "35 %",
    "energy_consumption_mwh": "5400",
    "renewable_energy_share": "0.42",
    "scope1_emissions": "1250.5",
    "scope2_emissions": "3010",
    "scope2_method": "location",
    "women_in_workforce_share": "41 %",
    "training_hours_per_employee": "22",
    "supply_chain_esg_screening": "true",
    "suppliers_screened_share": "60 %",
    "board_independence": "0.4",
    "women_on_board_share": "0.25",
    "esg_policy": "true",
    "esg_policy_reference": "ESG policy 2023, board resolution 2023-07",
}


def answers(values: dict | None = None, **nd) -> dict[str, Answer]:
    """Answers from plain values; keyword `field=("ND1", "reason")` answers with a code."""
    result = {key: Answer(value=value) for key, value in (values or ESG_ANSWERS).items()}
    for key, (code, reason) in nd.items():
        result[key] = Answer(nd_code=code, nd_reason=reason)
    return result


@pytest.fixture
def templates(db):
    load_templates()
    return {t.code: t for t in DisclosureTemplate.objects.filter(status="active")}


@pytest.fixture
def esg_template(templates):
    return templates[ESG]


@pytest.fixture
def draft(issuer_a, user_a, esg_template):
    """A draft ESG filing of issuer A for 2024, not yet answered."""
    return services.filing_create(actor=user_a, issuer=issuer_a, template=esg_template,
                                  period="2024")


@pytest.fixture
def complete_draft(draft, user_a):
    services.filing_save_answers(actor=user_a, filing=draft, answers=answers())
    return draft


@pytest.fixture
def submitted(complete_draft, user_a):
    return services.filing_submit(actor=user_a, filing=complete_draft,
                                  today=datetime.date(2025, 3, 1))


@pytest.fixture
def under_review(submitted, regulator):
    services.review_start(actor=regulator, filing=submitted)
    submitted.refresh_from_db()
    return submitted


@pytest.fixture
def accepted(under_review, regulator):
    return services.review_decide(actor=regulator, filing=under_review, decision="accept")


@pytest.fixture
def issued_deal_a(issuer_a):
    return issued_deal(name="Alpha Photovoltaic Patent ABS 2023-1", originator=issuer_a,
                       status=DealStatus.ISSUED)
