"""The filing ledger's hash chain: how an event is hashed and how a chain is verified. Pure.

Each event's hash is the SHA-256 of a canonical JSON text of its fields and the hash of the
event before it (GENESIS for the first), so changing, inserting or removing any past event
breaks every later link.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

GENESIS = "0" * 64
HASHED_FIELDS = ("sequence", "filing_id", "action", "from_status", "to_status", "actor_id",
                 "actor_name", "at", "payload", "previous_hash")


def _canonical_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(event: Mapping) -> bytes:
    """The bytes hashed for an event: its HASHED_FIELDS as sorted, compact JSON."""
    record = {name: event[name] for name in HASHED_FIELDS}
    record["at"] = _canonical_time(record["at"])
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode()


def event_hash(event: Mapping) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


@dataclass(frozen=True)
class Break:
    sequence: int | None
    reason: str

    def __str__(self) -> str:
        where = f"event #{self.sequence}" if self.sequence is not None else "ledger head"
        return f"{where}: {self.reason}"


def verify(events: Iterable[Mapping], head: tuple[int, str] | None) -> tuple[int, Break | None]:
    """Walk the chain in sequence order; return (events checked, first break or None).

    `head` is the stored (last sequence, last hash), which catches a removed last event.
    """
    expected_previous, expected_sequence, checked = GENESIS, 1, 0
    for event in events:
        sequence = event["sequence"]
        if sequence != expected_sequence:
            return checked, Break(sequence, f"sequence {sequence} follows "
                                            f"{expected_sequence - 1}: an event is missing")
        if event["previous_hash"] != expected_previous:
            return checked, Break(sequence, "previous_hash does not match the event before it")
        if event_hash(event) != event["hash"]:
            return checked, Break(sequence, "its content does not match its hash (altered)")
        expected_previous, expected_sequence = event["hash"], sequence + 1
        checked += 1
    last = (expected_sequence - 1, expected_previous)
    if head is not None and tuple(head) != last and not (head[0] == 0 and checked == 0):
        return checked, Break(None, f"the head records event #{head[0]}, the chain ends at "
                                    f"#{last[0]}: events are missing or were added around it")
    return checked, None
