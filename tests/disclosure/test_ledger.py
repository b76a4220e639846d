"""The filing ledger: every state change is a hash-chained event; `verify_ledger` prints OK
and exits 0 on an intact chain, and names the first event that does not match (exit 1) when
someone with the database owner's rights bypasses the append-only triggers to alter, remove
or insert an event."""

import io
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection

from disclosure import ledger
from disclosure.models import FilingEvent

pytestmark = pytest.mark.django_db


@contextmanager
def triggers_off():
    """What a tamperer with owner rights would do first: switch the ledger's guard off."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Triggers (the guard included) do not fire for a replication session.
            cursor.execute("SET session_replication_role = replica")
        else:
            cursor.execute("DROP TRIGGER disclosure_filingevent_append_only")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = origin")
            else:
                cursor.execute("""CREATE TRIGGER disclosure_filingevent_append_only
                    BEFORE UPDATE ON disclosure_filingevent
                    BEGIN SELECT RAISE(ABORT, 'append-only'); END;""")


def verify() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_ledger", stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_an_intact_ledger_verifies(accepted):
    code, out, _ = verify()
    assert code == 0 and out.startswith("OK: 4 events")


def test_an_altered_event_is_caught(accepted):
    second = FilingEvent.objects.order_by("sequence")[1]
    with triggers_off():
        FilingEvent.objects.filter(pk=second.pk).update(
            payload={**second.payload, "accession_number": "0000000001-25-999999"})
    code, _, err = verify()
    assert code == 1
    assert f"event #{second.sequence}" in err and "altered" in err


def test_a_removed_event_is_caught(accepted):
    third = FilingEvent.objects.order_by("sequence")[2]
    with triggers_off(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM disclosure_filingevent WHERE id = %s", [third.pk])
    code, _, err = verify()
    assert code == 1 and "missing" in err


def test_a_removed_last_event_is_caught_by_the_head(accepted):
    last = FilingEvent.objects.order_by("-sequence").first()
    with triggers_off(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM disclosure_filingevent WHERE id = %s", [last.pk])
    code, _, err = verify()
    assert code == 1 and "head" in err


def test_a_rehashed_forgery_still_breaks_the_next_link(accepted):
    """Recomputing a changed event's own hash does not help: the next event keeps the old one."""
    first = FilingEvent.objects.order_by("sequence")[0]
    record = {"sequence": first.sequence, "filing_id": first.filing_id, "action": first.action,
              "from_status": first.from_status, "to_status": first.to_status,
              "actor_id": first.actor_id, "actor_name": "mallory", "at": first.at,
              "payload": first.payload, "previous_hash": first.previous_hash}
    with triggers_off():
        FilingEvent.objects.filter(pk=first.pk).update(actor_name="mallory",
                                                       hash=ledger.event_hash(record))
    code, _, err = verify()
    assert code == 1 and f"event #{first.sequence + 1}" in err


def test_the_chain_function_on_plain_data():
    at = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    events, previous = [], ledger.GENESIS
    for sequence in (1, 2, 3):
        event = {"sequence": sequence, "filing_id": 7, "action": "created", "from_status": "",
                 "to_status": "draft", "actor_id": 1, "actor_name": "alice", "at": at,
                 "payload": {"n": sequence}, "previous_hash": previous}
        event["hash"] = previous = ledger.event_hash(event)
        events.append(event)
    assert ledger.verify(events, (3, previous)) == (3, None)
    events[1]["payload"] = {"n": 99}
    checked, broken = ledger.verify(events, (3, previous))
    assert checked == 1 and broken.sequence == 2
