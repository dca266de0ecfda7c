"""Appending committed changes to the outbox: the only way a change reaches upstream.

The outbox is a transport queue: rows the district has acknowledged may be pruned
(:func:`prune_outbox`); the records themselves (dossiers, events, ...) never are.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ward_desk.store.models import Outbox

if TYPE_CHECKING:
    from ward_desk.services.session import Session

OutboxRow = tuple[str, str, int, str, str, datetime]
"""``(entity, entity_uid, version, op, payload, created_at)``: the outbox columns after ``seq``."""

INSERT_OUTBOX_SQL = (
    'INSERT INTO "outbox" ("entity", "entity_uid", "version", "op", "payload", "created_at") '
    "VALUES (?, ?, ?, ?, ?, ?)"
)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot serialise {type(value).__name__} for the outbox")


def canonical_json(payload: Any) -> str:
    """JSON with sorted keys and no spaces: the one serialisation used for hashes,
    signatures and the outbox, so the same record always gives the same bytes."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def outbox_row(entity: str, entity_uid: str, version: int, payload: dict[str, Any] | str, at: datetime) -> OutboxRow:
    """One outbox row's values, in :data:`INSERT_OUTBOX_SQL` order. ``payload`` is the
    record (serialised here with :func:`canonical_json`) or its canonical JSON already.
    Bulk writers (the demo, the bench generator) insert these with ``executemany``."""
    text = payload if isinstance(payload, str) else canonical_json(payload)
    return (entity, entity_uid, version, "upsert", text, at)


def event_outbox_json(body_json: str, event_hash: str, dossier_code: str) -> str:
    """``canonical_json({**body, "hash": event_hash, "dossier_code": dossier_code})`` from
    the body's canonical JSON (already made for the chain hash) without serialising it
    again: the two keys go where sorted order puts them (``dossier_code`` before
    ``due_at``, ``hash`` before ``kind``; the body's keys are fixed, see
    ``services.dossiers.event_body``). A test compares it with ``canonical_json``."""
    dc = canonical_json(dossier_code)
    a = body_json.index(',"due_at":')
    b = body_json.index(',"kind":', a)
    return f'{body_json[:a]},"dossier_code":{dc}{body_json[a:b]},"hash":"{event_hash}"{body_json[b:]}'


def record_change(entity: str, entity_uid: str, version: int, payload: dict[str, Any], at: datetime) -> int:
    """Append one change to the outbox and return its sequence number.

    Must be called inside the transaction that makes the change, so a change and
    its outbox row commit (or roll back) together.
    """
    cursor = Outbox._meta.database.execute_sql(INSERT_OUTBOX_SQL, outbox_row(entity, entity_uid, version, payload, at))
    return int(cursor.lastrowid)


def prune_outbox(session: Session, keep_days: int = 30, *, batch: int = 5000) -> int:
    """Delete outbox rows the district has acknowledged (``seq`` at or below the sync
    state's ``acked_seq``) that are older than ``keep_days``; return how many went.

    The sync agent only reads rows after ``acked_seq`` (new batches, and re-seals of
    sealed-but-unacknowledged ranges), so acknowledged rows are never read again;
    ``keep_days`` is a margin for a district restored from an older backup. A ward
    that enrols with a *new* district starts again at seq 1 and so sends only the
    rows still here. Deletes in short transactions of ``batch`` rows, so a desk
    writing at the same time waits at most for one of them.
    """
    from ward_desk.store.models import SyncState

    db = Outbox._meta.database
    row = SyncState.get_or_none(SyncState.key == "acked_seq")
    acked = int(row.value) if row is not None and row.value.strip().isdigit() else 0
    if acked <= 0:
        return 0
    cutoff = session.clock() - timedelta(days=keep_days)
    # Up to the first row made within keep_days (scanning from the oldest row left, so
    # after the first prune this reads at most keep_days of rows), and never past the ack.
    recent = db.execute_sql('SELECT "seq" FROM "outbox" WHERE "created_at" >= ? ORDER BY "seq" LIMIT 1',
                            (cutoff,)).fetchone()
    top = min(acked, recent[0] - 1) if recent else acked
    deleted = 0
    while True:
        with db.atomic("IMMEDIATE"):
            low = db.execute_sql('SELECT min("seq") FROM "outbox"').fetchone()[0]
            if top < 1 or low is None or low > top:
                break
            hi = min(top, low + batch - 1)
            deleted += db.execute_sql('DELETE FROM "outbox" WHERE "seq" >= ? AND "seq" <= ?', (low, hi)).rowcount
    return deleted
