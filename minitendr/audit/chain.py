"""The audit trail's hash chain: each event stores a hash of its content and of the event before it,
so that a changed, removed or inserted record breaks the chain at that point.

The database refuses UPDATE and DELETE of audit rows (triggers, see migration 0008); the chain shows
what someone with the power to switch the triggers off did anyway. ``verify`` walks it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, scoped_session

# The "previous hash" of the very first event.
GENESIS = "0" * 64
# Any constant shared by every appender: PostgreSQL's advisory lock that serialises appends.
CHAIN_LOCK_KEY = 0x6D696E6974656E64  # "minitend"
# The fields a hash covers, in every event; the id is not among them (it is given at insert time),
# the order of the chain is the order of ids.
HASHED_FIELDS = ("occurred_at", "actor_id", "actor_label", "action", "object_type", "object_id", "data")


def _canonical_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("audit times are aware")
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _canonical_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical_value(v) for v in value]
    return value


def canonical(fields: dict[str, Any], prev_hash: str) -> str:
    """An event's content as one deterministic text: JSON with sorted keys, times in UTC ISO 8601,
    decimals as strings, no insignificant whitespace."""
    content = {name: _canonical_value(fields[name]) for name in HASHED_FIELDS} | {"prev_hash": prev_hash}
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def event_hash(fields: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 of the event's canonical content, which includes the previous event's hash."""
    return hashlib.sha256(canonical(fields, prev_hash).encode()).hexdigest()


def lock(session: Session | scoped_session[Any]) -> None:
    """Serialise appends until this transaction ends: two transactions must not both chain to the same
    last event. PostgreSQL: an advisory lock (readers are not blocked); SQLite serialises writers
    itself (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().execute(sa.select(sa.func.pg_advisory_xact_lock(CHAIN_LOCK_KEY)))


@dataclass
class Report:
    """What ``verify`` found: ``broken_id`` and ``problem`` name the first broken link, if any."""

    count: int
    head: str
    broken_id: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify(rows: Iterable[Any]) -> Report:
    """Walk events in id order (rows with id, prev_hash, hash and the hashed fields) and report the
    first one whose link to its predecessor or whose own content does not match."""
    expected_prev, previous_id, count = GENESIS, None, 0
    for row in rows:
        count += 1
        fields = row._mapping
        if fields["prev_hash"] != expected_prev:
            before = f"záznamu #{previous_id}" if previous_id is not None else "začátku řetězu"
            return Report(
                count,
                expected_prev,
                row.id,
                f"odkazuje na předchozí otisk {fields['prev_hash']}, ale otisk {before} je {expected_prev} "
                "(záznam před ním byl smazán, vložen nebo změněn)",
            )
        recomputed = event_hash(fields, expected_prev)
        if fields["hash"] != recomputed:
            return Report(
                count,
                expected_prev,
                row.id,
                f"obsah neodpovídá uloženému otisku {fields['hash']} (spočteno {recomputed}): "
                "záznam byl po zápisu změněn",
            )
        expected_prev, previous_id = fields["hash"], row.id
    return Report(count, expected_prev)
