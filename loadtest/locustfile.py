"""The load: issuers filing and investors searching, run by `python -m loadtest.run` as
`locust -f loadtest/locustfile.py --headless ...` (see loadtest/run.py for the environment).

IssuerUser (as many as there are prepared filers, `LOADTEST_ISSUERS`): each takes a filer of
its own, gets an API token once (POST /api/v1/auth/token/), then loops: open the issuer's ESG
filing for the next period (2001, 2002, ...: each period once per issuer), post the complete
answers (the report must say valid), submit, and record the accession number it was given.

InvestorUser (`LOADTEST_INVESTORS`): searches deals with a realistic text query and facets,
through the API (GET /api/v1/deals/?q=...&country=CN..., every other investor with the
investor's API token, the rest anonymously) and through the search page (/deals/?q=...).

Every request's time is kept (LOADTEST_OUT/samples.json) and every submission the server
confirmed (LOADTEST_OUT/submissions.jsonl), for the runner's percentiles and checks. A reply
that is not what the client expects (status, body) is a failure.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from pathlib import Path
from urllib.parse import urlencode

from locust import FastHttpUser, between, events, task
from locust.exception import StopUser

from loadtest.names import ANSWERS, API_SEARCH, OPEN, PAGE_SEARCH, SUBMIT, TOKEN

SETUP = json.loads(Path(os.environ["LOADTEST_SETUP"]).read_text()) \
    if os.environ.get("LOADTEST_SETUP") else {"issuers": [], "answers": [], "template_id": 0,
                                              "investor_token": ""}
OUT = Path(os.environ.get("LOADTEST_OUT", "."))
FIRST_PERIOD, LAST_PERIOD = 2001, 2100  # disclosure.periods accepts years up to 2100


def _wait(name: str, default: str):
    low, high = (float(part) for part in os.environ.get(name, default).split(","))
    return between(low, high)


# Words investors type, all found in the generated market (benchmarks/data.py vocabularies):
# cities, sectors, kinds of IP, technologies, use of proceeds.
WORDS = ["patent", "Shenzhen", "lithium battery", "solar", "biomedical", "semiconductor",
         "software copyright", "film royalties", "hydrogen", "green", "Beijing university",
         "Hangzhou", "robot", "vaccine", "trademark", "data", "music", "photovoltaic",
         "Suzhou", "Shanghai", "Guangzhou", "Chengdu", "Wuhan", "intelligent manufacturing",
         "agritech", "royalties", "licence fees", "recycling", "consumer brand", "fuel cell"]
FACETS = [("asset_kind", ["invention_patent", "utility_model", "trademark",
                          "copyright_software", "data_asset"]),
          ("province", ["CN-GD", "CN-BJ", "CN-ZJ", "CN-JS", "CN-SH"]),
          ("label", ["green", "social", "sustainability"]),
          ("issue_year", [str(year) for year in range(2018, 2026)]),
          ("rating_bucket", ["AAA", "AA"]),
          ("structure", ["licence_royalty", "pledged_loan", "supply_chain"]),
          ("sdg_target", ["9.5", "7.2", "3.8"]),
          ("status", ["issued", "amortizing"])]

_filers = iter(SETUP["issuers"])
_investor_numbers = itertools.count()
_samples: list[tuple] = []
_submissions = None
_cpu_warnings: list[float] = []


@events.request.add_listener
def _keep(request_type, name, response_time, response_length, exception=None,
          start_time=None, **_kwargs):
    _samples.append((name, round(response_time, 3), exception is None,
                     start_time if start_time is not None else time.time()))


@events.cpu_warning.add_listener
def _cpu(environment, cpu_usage, **_kwargs):
    _cpu_warnings.append(cpu_usage)


@events.quitting.add_listener
def _dump(environment, **_kwargs):
    (OUT / "samples.json").write_text(json.dumps({"samples": _samples,
                                                  "cpu_warnings": _cpu_warnings}))


def _json(reply) -> dict:
    """The reply's JSON object, or {} when it has none (an error page, a cut body)."""
    try:
        body = reply.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _why(reply) -> str:
    """A failure's message: the status and the start of the body, or the connection error."""
    if not reply.status_code:
        return f"no reply: {reply.error!r}"
    return f"{reply.status_code}: {(reply.text or '')[:200]}"


def _record(kind: str, **fields) -> None:
    global _submissions
    if _submissions is None:
        _submissions = (OUT / "submissions.jsonl").open("a", buffering=1)
    _submissions.write(json.dumps({"kind": kind, **fields}) + "\n")


class IssuerUser(FastHttpUser):
    fixed_count = int(os.environ.get("LOADTEST_ISSUERS", "1"))
    wait_time = _wait("LOADTEST_ISSUER_WAIT", "1,3")

    def on_start(self):
        try:
            self.filer = next(_filers)
        except StopIteration:  # more issuer users than prepared filers
            raise StopUser() from None
        self.period = FIRST_PERIOD
        self.headers = None
        credentials = {"username": self.filer["username"], "password": self.filer["password"]}
        with self.client.post("/api/v1/auth/token/", json=credentials, name=TOKEN,
                              catch_response=True) as reply:
            if reply.status_code == 200 and _json(reply).get("token"):
                self.headers = {"Authorization": f"Token {_json(reply)['token']}"}
            else:
                reply.failure(_why(reply))
        if self.headers is None:
            raise StopUser()

    @task
    def file(self):
        if self.period > LAST_PERIOD:
            _record("exhausted", issuer_id=self.filer["issuer_id"])
            raise StopUser()
        period = str(self.period)
        self.period += 1
        issuer_id = self.filer["issuer_id"]
        opening = {"issuer": issuer_id, "template": SETUP["template_id"], "period": period}
        with self.client.post("/api/v1/filings/", json=opening, headers=self.headers,
                              name=OPEN, catch_response=True) as reply:
            filing_id = _json(reply).get("id") if reply.status_code == 201 else None
            if filing_id is None:
                reply.failure(_why(reply))
                return
        _record("opened", issuer_id=issuer_id, filing_id=filing_id, period=period)
        with self.client.post(f"/api/v1/filings/{filing_id}/answers/",
                              json={"answers": SETUP["answers"]}, headers=self.headers,
                              name=ANSWERS, catch_response=True) as reply:
            valid = reply.status_code == 200 and _json(reply).get("valid") is True
            if not valid:
                reply.failure(_why(reply))
                return
        with self.client.post(f"/api/v1/filings/{filing_id}/submit/", headers=self.headers,
                              name=SUBMIT, catch_response=True) as reply:
            body = _json(reply) if reply.status_code == 200 else {}
            if not body.get("accession_number") or body.get("status") != "submitted":
                reply.failure(_why(reply))
                return
        _record("submitted", issuer_id=issuer_id, filing_id=filing_id, period=period,
                accession_number=body["accession_number"])


class InvestorUser(FastHttpUser):
    fixed_count = int(os.environ.get("LOADTEST_INVESTORS", "1"))
    wait_time = _wait("LOADTEST_INVESTOR_WAIT", "2,6")

    def on_start(self):
        number = next(_investor_numbers)
        self.rng = random.Random(number)
        self.headers = {"Authorization": f"Token {SETUP['investor_token']}"} \
            if number % 2 else None

    def search(self) -> str:
        params = [("q", self.rng.choice(WORDS))]
        if self.rng.random() < 0.7:
            params.append(("country", "CN"))
        if self.rng.random() < 0.5:
            facet, values = self.rng.choice(FACETS)
            params.append((facet, self.rng.choice(values)))
        return urlencode(params)

    @task
    def api_search(self):
        with self.client.get(f"/api/v1/deals/?{self.search()}", headers=self.headers,
                             name=API_SEARCH, catch_response=True) as reply:
            body = _json(reply) if reply.status_code == 200 else {}
            if "results" not in body or "facets" not in body:
                reply.failure(_why(reply))

    @task
    def page_search(self):
        with self.client.get(f"/deals/?{self.search()}", name=PAGE_SEARCH,
                             catch_response=True) as reply:
            if reply.status_code != 200 or b"</html>" not in (reply.content or b""):
                reply.failure(_why(reply))
