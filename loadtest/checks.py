"""What must hold after the load, read from the database once the server has stopped.

Each check gives a name, whether it holds and a detail line; loadtest.run fails the run when
any does not hold.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _examples(items, limit: int = 5) -> str:
    items = list(items)
    shown = ", ".join(str(item) for item in items[:limit])
    return shown + (f" (and {len(items) - limit} more)" if len(items) > limit else "")


def _problems(*named: tuple[str, list]) -> str:
    """Each non-empty list with its name and a few examples, separated by semicolons."""
    return "; ".join(f"{name}: {_examples(items, 3)}" for name, items in named if items)


def client_checks(*, failures: int, failure_messages: list[str], locust_exit: int | None,
                  user_errors: list[str], counts: dict[str, int], expected_names: list[str],
                  exhausted: int) -> list[Check]:
    """What the client saw: no failed request, no error in the users' code, every kind of
    request sent."""
    missing = [name for name in expected_names if not counts.get(name)]
    return [
        Check("no HTTP error or unexpected reply (locust)", failures == 0 and not user_errors
              and locust_exit == 0,
              f"{failures} failed requests, {len(user_errors)} errors in the users' code, "
              f"locust exited {locust_exit}"
              + (f"; failures: {_examples(failure_messages, 3)}" if failure_messages else "")
              + (f"; errors: {_examples(user_errors, 3)}" if user_errors else "")),
        Check("every kind of request was sent", not missing,
              "all of " + ", ".join(f"{name} ({counts.get(name, 0):,})"
                                    for name in expected_names)
              if not missing else f"none of {', '.join(missing)}"),
        Check("no issuer ran out of periods", exhausted == 0,
              f"{exhausted} issuers reached 2100" if exhausted else "none did"),
    ]


def server_check(*, sent: int, answered: int, errors: list[str], unknown: list[str]) -> Check:
    """gunicorn's access log agrees with the client: every request answered, once, none with
    an error status."""
    ok = sent == answered and not errors and not unknown
    return Check("the server answered every request once, none with an error status",
                 ok, f"locust sent {sent:,} requests, gunicorn logged {answered:,}, "
                     f"{len(errors)} with a status >= 400"
                     + (f" ({_examples(errors, 3)})" if errors else "")
                     + (f", {len(unknown)} of no known kind ({_examples(unknown, 3)})"
                        if unknown else ""))


def database_checks(*, submitted: list[dict], opened: list[dict],
                    issuer_ids: list[int]) -> list[Check]:
    """The filings against what the client was told (`submitted`: each submission the server
    confirmed, with its accession number; `opened`: each draft it opened)."""
    from django.db.models import Count

    from disclosure.choices import EventAction, FilingStatus
    from disclosure.models import AccessionCounter, Filing, FilingEvent

    checks = []
    filings = {row["id"]: row for row in Filing.objects.filter(issuer_id__in=issuer_ids).values(
        "id", "issuer_id", "period", "status", "accession_number", "accession_year",
        "accession_sequence", "submitted_at", "content_sha256")}

    # Every confirmed submission is stored, once, as it was confirmed.
    seen = Counter(item["accession_number"] for item in submitted)
    repeated = [number for number, count in seen.items() if count > 1]
    missing, differing = [], []
    by_number = defaultdict(list)
    for row in filings.values():
        if row["accession_number"]:
            by_number[row["accession_number"]].append(row)
    for item in submitted:
        rows = by_number.get(item["accession_number"], [])
        if len(rows) != 1:
            missing.append(item["accession_number"])
            continue
        row = rows[0]
        if (row["id"], row["issuer_id"], row["period"], row["status"]) != (
                item["filing_id"], item["issuer_id"], item["period"], FilingStatus.SUBMITTED):
            differing.append(item["accession_number"])
    checks.append(Check(
        "every submission the client saw succeed is stored exactly once",
        not (missing or differing or repeated),
        f"{len(submitted):,} confirmed submissions, each found once with its filing, issuer, "
        "period and status" if not (missing or differing or repeated) else
        _problems(("missing", missing), ("differing", differing),
                  ("confirmed twice", repeated))))

    # No submission the client was not told of (a lost reply), no duplicate number.
    stored = {row["id"] for row in filings.values() if row["status"] != FilingStatus.DRAFT}
    confirmed = {item["filing_id"] for item in submitted}
    unseen = sorted(stored - confirmed)
    duplicates = list(Filing.objects.exclude(accession_number=None).values("accession_number")
                      .annotate(n=Count("id")).filter(n__gt=1)
                      .values_list("accession_number", flat=True))
    checks.append(Check(
        "no lost or duplicated submission", not unseen and not duplicates,
        f"{len(stored):,} filings past draft in the database, {len(confirmed):,} confirmed to "
        "the client: the same filings; no accession number twice" if not (unseen or duplicates)
        else _problems(("submitted but never confirmed: filings", unseen),
                       ("accession numbers held twice", duplicates))))

    # Gapless: for every issuer and year, the sequences are 1..n, the counter stands at n and
    # every number is written from its issuer, year and sequence.
    sequences = defaultdict(list)
    malformed = []
    for row in filings.values():
        if row["accession_sequence"] is None:
            continue
        key = (row["issuer_id"], row["accession_year"])
        sequences[key].append(row["accession_sequence"])
        expected = (f"{row['issuer_id']:010d}-{row['accession_year'] % 100:02d}-"
                    f"{row['accession_sequence']:06d}")
        if row["accession_number"] != expected:
            malformed.append(row["accession_number"])
    counters = {(issuer, year): last for issuer, year, last in AccessionCounter.objects.filter(
        issuer_id__in=issuer_ids).values_list("issuer_id", "year", "last")}
    gaps = [f"issuer {issuer} {year}: {sorted(found)[:10]}..."
            for (issuer, year), found in sorted(sequences.items())
            if sorted(found) != list(range(1, len(found) + 1))]
    counter_off = [f"issuer {issuer} {year}: counter {counters.get((issuer, year))}, "
                   f"{len(found)} numbers" for (issuer, year), found in sorted(sequences.items())
                   if counters.get((issuer, year)) != len(found)]
    counter_off += [f"issuer {issuer} {year}: counter {last}, no number"
                    for (issuer, year), last in counters.items()
                    if (issuer, year) not in sequences and last]
    sizes = sorted(len(found) for found in sequences.values())
    checks.append(Check(
        "accession numbers gapless per issuer and year (1..n, counter at n)",
        not (gaps or counter_off or malformed),
        f"{len(sequences)} issuer-years, {sizes[0] if sizes else 0} to "
        f"{sizes[-1] if sizes else 0} numbers each" if not (gaps or counter_off or malformed)
        else _problems(("gaps", gaps), ("counters", counter_off), ("malformed", malformed))))

    # Nothing stuck half-way: a filing is a draft without a number, or submitted with all
    # that submitting writes and exactly one `submitted` event carrying its number; every
    # draft the client opened went on to be submitted.
    events = defaultdict(list)
    for filing_id, payload in FilingEvent.objects.filter(
            filing_id__in=list(filings), action=EventAction.SUBMITTED).values_list(
            "filing_id", "payload"):
        events[filing_id].append(payload.get("accession_number"))
    half = []
    for row in filings.values():
        if row["status"] == FilingStatus.DRAFT:
            if row["accession_number"] or row["submitted_at"]:
                half.append(f"draft {row['id']} with a number")
            continue
        complete = all(row[key] for key in ("accession_number", "accession_sequence",
                                            "accession_year", "submitted_at",
                                            "content_sha256"))
        if not complete or events.get(row["id"]) != [row["accession_number"]]:
            half.append(f"filing {row['id']} ({row['status']})")
    drafts = sorted(row["id"] for row in filings.values()
                    if row["status"] == FilingStatus.DRAFT)
    opened_ids = {item["filing_id"] for item in opened}
    checks.append(Check(
        "no filing stuck half-submitted", not half,
        f"{len(filings) - len(drafts):,} submitted filings, each with its number, time and "
        f"content hash and one `submitted` ledger event; {len(drafts):,} drafts, none with a "
        "number" if not half else _problems(("incomplete", half))))
    checks.append(Check(
        "every draft the client opened was submitted", not drafts and opened_ids == confirmed,
        f"{len(opened_ids):,} opened, all submitted" if not drafts and opened_ids == confirmed
        else _problems(("drafts left", drafts),
                       ("opened but not confirmed", sorted(opened_ids - confirmed)))))

    quiet = [issuer for issuer in issuer_ids
             if not any(key[0] == issuer for key in sequences)]
    checks.append(Check("every issuer submitted", not quiet,
                        f"all {len(issuer_ids)} issuers" if not quiet
                        else f"no submission from issuers {_examples(quiet)}"))
    return checks


def ledger_check(environment: dict) -> Check:
    """`manage.py verify_ledger` on the load test's database prints OK and exits 0."""
    result = subprocess.run([sys.executable, "manage.py", "verify_ledger"], cwd=ROOT,
                            env=environment, capture_output=True, text=True, timeout=300)
    output = (result.stdout.strip() or result.stderr.strip()).splitlines()
    line = output[-1] if output else ""
    return Check("`manage.py verify_ledger` prints OK",
                 result.returncode == 0 and line.startswith("OK"),
                 f"exit {result.returncode}: {line}")
