"""What a person does about quarantined batches: look, release, discard.

A quarantined envelope is evidence and is never deleted or changed. *Release*
runs it through exactly the checks of a fresh upload (signature against the
ward's key enrolled now, chain and overlap rules), so it applies only if it is
valid now, e.g. a batch signed with a ward's new key once that key is enrolled.
*Discard* sets it aside with a reason. Every attempt leaves a
:class:`QuarantineAction` row: who, when, what, with what outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from district_desk.ingest import Rejected, ingest
from district_desk.keys import DistrictKeys
from district_desk.models import Batch, Quarantine, QuarantineAction
from district_desk.store import DistrictStore, utcnow
from sync_agent.envelope import EnvelopeError, read_uplink_header
from sync_agent.errors import BadInput


@dataclass(frozen=True)
class ReleaseOutcome:
    outcome: str  # applied | duplicate | still_quarantined | rejected
    detail: str
    batch_no: int
    acked_seq: int


def _iso(dt: Any) -> str | None:
    return dt.isoformat() + "Z" if dt is not None else None


def _state(row: Quarantine) -> str:
    if row.resolved_at is None:
        return "open"
    last = (
        QuarantineAction.select()
        .where((QuarantineAction.quarantine_id == row.id) & QuarantineAction.outcome.in_(["applied", "duplicate", "discarded"]))
        .order_by(QuarantineAction.id.desc())
        .first()
    )
    return "discarded" if last is not None and last.outcome == "discarded" else "released"


def _get(quarantine_id: int) -> Quarantine:
    row = Quarantine.get_or_none(Quarantine.id == quarantine_id)
    if row is None:
        raise BadInput("sync.admin.no_such_quarantine", id=quarantine_id)
    return row


def list_quarantined(include_resolved: bool = False) -> list[dict[str, Any]]:
    """Quarantined batches, oldest first (only those awaiting a decision unless
    ``include_resolved``)."""
    query = Quarantine.select(
        Quarantine.id, Quarantine.office_code, Quarantine.batch_no, Quarantine.batch_id, Quarantine.reason,
        Quarantine.detail, Quarantine.received_at, Quarantine.resolved_at,
    ).order_by(Quarantine.id)
    if not include_resolved:
        query = query.where(Quarantine.resolved_at.is_null())
    return [
        {
            "id": row.id,
            "office_code": row.office_code,
            "batch_no": row.batch_no,
            "batch_id": row.batch_id,
            "reason": row.reason,
            "detail": row.detail,
            "received_at": _iso(row.received_at),
            "resolved_at": _iso(row.resolved_at),
            "state": _state(row),
        }
        for row in query
    ]


def describe(quarantine_id: int) -> dict[str, Any]:
    """One quarantined batch: its (unverified) header, the batch held in its
    place if any, and the actions taken."""
    row = _get(quarantine_id)
    envelope = bytes(row.envelope)
    try:
        header = read_uplink_header(envelope)
        header_info: dict[str, Any] = {
            "first_seq": header.first_seq, "last_seq": header.last_seq, "count": header.record_count,
            "prev_hash": header.prev_hash, "created_at": header.created_at,
        }
    except EnvelopeError as exc:
        header_info = {"error": exc.code}
    held = Batch.get_or_none((Batch.office_code == row.office_code) & (Batch.batch_no == row.batch_no))
    actions = QuarantineAction.select().where(QuarantineAction.quarantine_id == row.id).order_by(QuarantineAction.id)
    return {
        "id": row.id,
        "office_code": row.office_code,
        "batch_no": row.batch_no,
        "batch_id": row.batch_id,
        "content_hash": row.content_hash,
        "reason": row.reason,
        "detail": row.detail,
        "received_at": _iso(row.received_at),
        "resolved_at": _iso(row.resolved_at),
        "state": _state(row),
        "size": len(envelope),
        "header": header_info,
        "held": None if held is None else {
            "batch_no": held.batch_no, "batch_id": held.batch_id, "batch_hash": held.batch_hash,
            "first_seq": held.first_seq, "last_seq": held.last_seq, "received_at": _iso(held.received_at),
        },
        "actions": [
            {"action": a.action, "outcome": a.outcome, "detail": a.detail, "actor": a.actor, "at": _iso(a.at)}
            for a in actions
        ],
    }


def release(store: DistrictStore, keys: DistrictKeys, quarantine_id: int, *, actor: str = "") -> ReleaseOutcome:
    """Apply a quarantined batch if it is valid now; otherwise leave it quarantined
    and say why. Either way the attempt is recorded."""
    row = _get(quarantine_id)
    if row.resolved_at is not None:
        raise BadInput("sync.admin.already_resolved", id=quarantine_id, state=_state(row))
    envelope = bytes(row.envelope)
    try:
        result = ingest(store, envelope, keys, via="release", remote=f"quarantine:{row.id}", keep_unverified=False)
    except Rejected as exc:
        from ward_desk.i18n import t

        outcome = ReleaseOutcome("rejected", t(f"sync.reject.{exc.code}", None, detail=exc.detail), row.batch_no, 0)
    else:
        if result.status in ("applied", "duplicate"):
            outcome = ReleaseOutcome(result.status, "", result.batch_no, result.ack.acked_seq)
        else:
            outcome = ReleaseOutcome("still_quarantined", result.detail, result.batch_no, result.ack.acked_seq)
    with store.db.atomic():
        if outcome.outcome in ("applied", "duplicate"):
            Quarantine.update(resolved_at=utcnow()).where(Quarantine.id == row.id).execute()
        QuarantineAction.create(
            quarantine_id=row.id, action="release", outcome=outcome.outcome, detail=outcome.detail[:2000],
            actor=actor[:64], at=utcnow(),
        )
    return outcome


def discard(quarantine_id: int, *, note: str, actor: str = "") -> None:
    """Set a quarantined batch aside for good; the envelope stays as evidence."""
    row = _get(quarantine_id)
    if row.resolved_at is not None:
        raise BadInput("sync.admin.already_resolved", id=quarantine_id, state=_state(row))
    db = Quarantine._meta.database
    with db.atomic():
        Quarantine.update(resolved_at=utcnow()).where(Quarantine.id == row.id).execute()
        QuarantineAction.create(
            quarantine_id=row.id, action="discard", outcome="discarded", detail=note[:2000], actor=actor[:64],
            at=utcnow(),
        )
