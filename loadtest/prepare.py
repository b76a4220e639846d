"""The load test's data, in its own database (Django is set up by loadtest.run).

- deals to search: the benchmark's synthetic market (benchmarks.data: issuers, IP assets,
  deals with tranches, pools and facet rows, named and described from real vocabularies)
  generated at a small scale and loaded with COPY, then every deal's search vector set by one
  UPDATE and the tables analyzed, as `make bench` does;
- the filers: one issuer per issuer user of the load, registered through the services
  (`ipregistry.services.issuer_create`), each with one approver (`membership_add`) whose
  password is made for this run;
- one investor, with an API token (`core.services.api_token_create`) that half of the
  simulated investors send;
- the disclosure templates (`disclosure.templates_loader.load_templates`).

Nothing here is specific to a load: the same services serve the site.
"""

from __future__ import annotations

import secrets
import time

from core import services as core_services
from core.choices import Role
from core.models import User
from ipregistry import identifiers
from ipregistry import services as registry_services
from ipregistry.choices import IssuerType, MembershipRole

ESG_TEMPLATE = "issuer-esg-annual"


def load_deals(n_deals: int, *, seed: int) -> dict:
    """Generate and COPY `n_deals` deals (over a fifth as many issuers, at least 10); returns
    counts and timings."""
    from django.db import connection

    from benchmarks import data
    from deals.models import Deal
    from deals.search import update_search_vectors

    started = time.perf_counter()
    n_issuers = max(10, n_deals // 5)
    bases = data.reserved_bases(n_deals, n_issuers)
    dataset = data.generate(n_deals, n_issuers, seed=seed, bases=bases, ref_prefix="LOAD-")
    timings = data.copy_load(dataset)
    update_search_vectors(Deal.objects.all())
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"rows": {key: rows for key, (rows, _seconds) in timings.items()},
            "seconds": time.perf_counter() - started}


def _uscc(n: int) -> str:
    first17 = f"91440300{900_000_000 + n:09d}"
    return first17 + identifiers.uscc_check_character(first17)


def create_filers(count: int, *, password: str) -> list[dict]:
    """`count` issuers, each with one approver; returns [{issuer_id, username, password}]."""
    filers = []
    for index in range(1, count + 1):
        issuer = registry_services.issuer_create(
            actor=None, name=f"Loadtest Filer {index:03d} Technology Co., Ltd.",
            uscc=_uscc(index), country="CN", province="CN-GD", city="Shenzhen",
            issuer_type=IssuerType.SME, sector="Clean energy", founded_year=2012)
        username = f"loadtest-filer-{index:03d}"
        user = User.objects.create_user(username, password=password, role=Role.ISSUER)
        registry_services.membership_add(actor=None, issuer=issuer, user=user,
                                         role=MembershipRole.APPROVER)
        filers.append({"issuer_id": issuer.pk, "username": username, "password": password})
    return filers


def create_investor() -> str:
    """The investor account and an API token of it; returns the token."""
    investor = User.objects.create_user("loadtest-investor", password=secrets.token_urlsafe(24),
                                        role=Role.INVESTOR)
    return core_services.api_token_create(user=investor)[1]


def prepare(*, issuers: int, deals: int, seed: int) -> dict:
    """Everything the load needs; returns the setup handed to the locustfile (as JSON)."""
    from disclosure.models import DisclosureTemplate
    from disclosure.templates_loader import load_templates
    from tests.disclosure.conftest import ESG_ANSWERS  # the suite's complete, valid answers

    load_templates()
    template = DisclosureTemplate.objects.get(code=ESG_TEMPLATE, status="active")
    loaded = load_deals(deals, seed=seed)
    password = secrets.token_urlsafe(18)  # made for this run, in this run's database only
    return {
        "template_id": template.pk,
        "template": template.key,
        "answers": [{"field": key, "value": value} for key, value in ESG_ANSWERS.items()],
        "issuers": create_filers(issuers, password=password),
        "investor_token": create_investor(),
        "deals": loaded,
    }
