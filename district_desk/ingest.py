"""Applying uplink envelopes at the district: the idempotency and chain rules.

For a batch, in one transaction:

* the same ``batch_no`` already held with the same id and batch hash -> a
  duplicate: acknowledge again, change nothing;
* the same ``batch_no`` held with a different id or content, or a batch whose
  chain link (prev hash, seq contiguity) disagrees with a neighbour already held,
  or whose seq range overlaps another batch -> quarantine it whole for a person,
  never overwrite;
* otherwise store it, upsert its records (keeping the highest version per
  office + entity + uid), refresh the typed projections and advance the ward's
  contiguous acknowledgement.

Envelopes that fail before that (unknown or revoked ward, bad signature,
malformed, too large) are refused, logged in ``rejection`` and the log, and
nothing of them is applied.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

import peewee

from district_desk.keys import DistrictKeys
from district_desk.models import (
    Batch,
    Dossier,
    Heartbeat,
    HeartbeatNote,
    Quarantine,
    Record,
    Rejection,
    SelfAssessment,
    Ward,
    WardProgress,
)
from district_desk.store import AckState, DistrictStore, utcnow
from sync_agent.envelope import (
    DEFAULT_LIMITS,
    EnvelopeError,
    Limits,
    OpenedUplink,
    open_uplink,
    read_uplink_header,
)

log = logging.getLogger("district_desk.ingest")

# Envelope error code -> HTTP status the receiver answers with.
HTTP_STATUS = {
    "too_large": 413,
    "bad_signature": 403,
    "unknown_ward": 403,
    "revoked_ward": 403,
}


class Rejected(Exception):
    """An envelope refused before anything was applied."""

    def __init__(self, code: str, detail: str = "", office_code: str = "") -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.office_code = office_code

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)


@dataclass(frozen=True)
class IngestResult:
    """What happened to one envelope, and the ward's position afterwards."""

    status: str  # applied | duplicate | heartbeat | quarantined
    kind: str
    batch_id: str
    batch_no: int
    ack: AckState
    reason: str = ""  # for quarantined: conflict | chain | overlap
    detail: str = ""
    envelope_hash: str = ""  # SHA-256 of the envelope answered (the signed ack's in_reply_to)
    batch_hash: str = ""  # the batch hash the district computed ("" for a heartbeat)

    def to_json(self) -> dict[str, Any]:
        out = {"status": self.status, "batch_id": self.batch_id, "batch_no": self.batch_no, **self.ack.to_json()}
        if self.status == "quarantined":
            out["reason"] = self.reason
            out["detail"] = self.detail
        return out


def ingest(
    store: DistrictStore,
    envelope: bytes,
    keys: DistrictKeys,
    *,
    via: str = "http",
    remote: str = "",
    limits: Limits = DEFAULT_LIMITS,
    keep_unverified: bool = True,
    record_rejections: bool = True,
) -> IngestResult:
    """Verify and apply one uplink envelope. Raises :class:`Rejected` (after logging
    it) when the envelope cannot be trusted or read; never applies part of one.
    A batch whose signature does not match the enrolled key is also kept in
    quarantine (unless ``keep_unverified`` is false: a release attempt).
    ``record_rejections`` false (a client over its budget of refused envelopes)
    keeps nothing of a refused envelope but the log line."""
    rec = record_rejections
    try:
        header = read_uplink_header(envelope, limits)
    except EnvelopeError as exc:
        raise _reject(exc.code, exc.detail, "", remote, len(envelope), rec) from exc
    ward = Ward.get_or_none(Ward.office_code == header.office_code)
    if ward is None:
        raise _reject("unknown_ward", "", header.office_code, remote, len(envelope), rec)
    if ward.revoked_at is not None:
        raise _reject("revoked_ward", "", header.office_code, remote, len(envelope), rec)
    try:
        opened = open_uplink(envelope, signer_key=bytes(ward.sign_key), recipient=keys.encrypt, limits=limits)
    except EnvelopeError as exc:
        if exc.code == "bad_signature" and header.kind == "batch" and keep_unverified and rec:
            _keep_unverified(header, envelope)
        raise _reject(exc.code, exc.detail, header.office_code, remote, len(envelope), rec) from exc

    for attempt in range(3):
        try:
            with store.db.atomic():
                result = _apply(store, opened, envelope, via)
            return replace(result, envelope_hash=opened.envelope_hash, batch_hash=opened.batch_hash)
        except peewee.IntegrityError:
            # Another receiver process applied the same batch between our checks and
            # our insert; re-run the checks, which now see it (duplicate or conflict).
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


MAX_UNVERIFIED_PER_WARD = 20


def _keep_unverified(header: Any, envelope: bytes) -> None:
    """Keep a batch whose signature does not match the enrolled ward's key, for a
    person: it is typically a reinstalled ward signing with a new key before the
    district re-enrolled it, and ``quarantine release`` applies it once the key
    is enrolled. Nothing of it is read before then. Bounded per ward, because
    anyone can send such envelopes."""
    office = header.office_code
    try:
        held = (
            Quarantine.select()
            .where((Quarantine.office_code == office) & (Quarantine.reason == "unverified")
                   & Quarantine.resolved_at.is_null())
            .count()
        )
        if held >= MAX_UNVERIFIED_PER_WARD:
            return
        Quarantine.insert(
            office_code=office,
            batch_no=header.batch_no,
            batch_id=header.batch_id,
            content_hash=hashlib.sha256(envelope).hexdigest(),  # the content is unread: hash the envelope
            reason="unverified",
            detail=f"signature does not match the key enrolled for {office}",
            envelope=envelope,
            received_at=utcnow(),
        ).on_conflict_ignore().execute()
    except peewee.PeeweeException:
        log.exception("could not keep an unverified batch")


MAX_REJECTIONS_PER_OFFICE_HOUR = 200
"""Refused envelopes kept per office per hour: anyone can send them, naming any office."""


def _reject(code: str, detail: str, office: str, remote: str, size: int, record: bool = True) -> Rejected:
    log.warning("rejected envelope: %s %s office=%r remote=%s size=%d", code, detail, office, remote, size)
    if not record:
        return Rejected(code, detail, office)
    try:
        since = utcnow() - timedelta(hours=1)
        if Rejection.select().where((Rejection.office_code == office[:64]) & (Rejection.at >= since)).count() \
                >= MAX_REJECTIONS_PER_OFFICE_HOUR:
            return Rejected(code, detail, office)
        Rejection.create(at=utcnow(), office_code=office[:64], code=code, detail=detail[:500], remote=remote[:64], size=size)
    except peewee.PeeweeException:  # the log line above is enough if the store is busy
        log.exception("could not record a rejection")
    return Rejected(code, detail, office)


def _parse_ts(value: Any) -> datetime | None:
    """ISO text -> naive UTC datetime (None for empty or unreadable)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def _progress_for_update(store: DistrictStore, office: str) -> WardProgress:
    WardProgress.insert(office_code=office).on_conflict_ignore().execute()
    # Locked until the batch commits: contacts of one ward are serialised across processes.
    return store.backend.lock(WardProgress.select().where(WardProgress.office_code == office)).get()


MAX_CLOCK_SKEW_S = 600.0
"""A heartbeat whose ward clock is further than this from the receiver's at receipt
is kept marked ``skewed``: its times say little, and a person may look at the PC."""


def _store_heartbeat(opened: OpenedUplink, via: str, now: datetime) -> bool:
    """Keep the envelope's heartbeat if it is newer than the last one kept;
    return whether it was (a re-sent or replayed envelope carries an old one)."""
    beat = opened.heartbeat
    ward_clock = _parse_ts(beat["ward_clock"]) or now
    office = opened.header.office_code
    latest = (
        Heartbeat.select(Heartbeat.ward_clock)
        .where(Heartbeat.office_code == office)
        .order_by(Heartbeat.ward_clock.desc())
        .first()
    )
    if latest is not None and ward_clock <= latest.ward_clock:
        return False  # an older (re-sent or replayed) heartbeat says nothing new
    # A file carried by hand says nothing about the ward's clock.
    offset = (ward_clock - now).total_seconds() if via == "http" else 0.0
    row = Heartbeat.create(
        office_code=office,
        received_at=now,
        ward_clock=ward_clock,
        clock_offset_s=offset,
        pending=beat["pending"],
        oldest_pending_s=beat["oldest_pending_s"],
        free_disk_bytes=beat["free_disk_bytes"],
    )
    problem, skewed = beat.get("ack_problem", ""), abs(offset) > MAX_CLOCK_SKEW_S
    if problem or skewed:
        HeartbeatNote.create(heartbeat_id=row.id, office_code=office, ack_problem=problem, skewed=skewed)
    return True


def _apply(store: DistrictStore, opened: OpenedUplink, envelope: bytes, via: str) -> IngestResult:
    now = utcnow()
    header = opened.header
    office = header.office_code
    progress = _progress_for_update(store, office)
    # Liveness moves only on news from the ward: a new heartbeat or an applied batch
    # (below), never on an envelope replayed by whoever recorded it.
    if _store_heartbeat(opened, via, now):
        progress.last_sync = now
    if header.kind == "heartbeat":
        progress.save()
        return IngestResult("heartbeat", "heartbeat", "", 0, _ack(store, progress))

    existing = Batch.get_or_none((Batch.office_code == office) & (Batch.batch_no == header.batch_no))
    if existing is not None:
        if existing.batch_id == header.batch_id and existing.batch_hash == opened.batch_hash:
            progress.save()
            return IngestResult("duplicate", "batch", header.batch_id, header.batch_no, _ack(store, progress))
        return _quarantine(
            store, opened, envelope, progress, "conflict",
            f"batch {header.batch_no} is already held as {existing.batch_id} with other content",
        )
    problem = _chain_problem(opened)
    if problem is not None:
        return _quarantine(store, opened, envelope, progress, *problem)

    Batch.create(
        office_code=office,
        batch_no=header.batch_no,
        batch_id=header.batch_id,
        first_seq=header.first_seq,
        last_seq=header.last_seq,
        record_count=header.record_count,
        content_hash=opened.content_hash,
        prev_hash=header.prev_hash,
        batch_hash=opened.batch_hash,
        envelope_hash=opened.envelope_hash,
        size=len(envelope),
        via=via,
        received_at=now,
    )
    _upsert_records(store, office, opened.records, now)
    _advance(progress)
    progress.highest_batch_no = max(progress.highest_batch_no, header.batch_no)
    progress.last_batch_at = now
    progress.last_sync = now
    progress.save()
    return IngestResult("applied", "batch", header.batch_id, header.batch_no, _ack(store, progress))


def _chain_problem(opened: OpenedUplink) -> tuple[str, str] | None:
    header = opened.header
    office = header.office_code
    if header.batch_no > 1:
        prev = Batch.get_or_none((Batch.office_code == office) & (Batch.batch_no == header.batch_no - 1))
        if prev is not None and (prev.batch_hash != header.prev_hash or prev.last_seq + 1 != header.first_seq):
            return "chain", f"batch {header.batch_no} does not follow batch {prev.batch_no} held"
    nxt = Batch.get_or_none((Batch.office_code == office) & (Batch.batch_no == header.batch_no + 1))
    if nxt is not None and (nxt.prev_hash != opened.batch_hash or nxt.first_seq != header.last_seq + 1):
        return "chain", f"batch {nxt.batch_no} held does not follow batch {header.batch_no}"
    overlap = Batch.get_or_none(
        (Batch.office_code == office) & (Batch.first_seq <= header.last_seq) & (Batch.last_seq >= header.first_seq)
    )
    if overlap is not None:
        return "overlap", f"seq {header.first_seq}-{header.last_seq} overlaps batch {overlap.batch_no}"
    return None


def _quarantine(
    store: DistrictStore,
    opened: OpenedUplink,
    envelope: bytes,
    progress: WardProgress,
    reason: str,
    detail: str,
) -> IngestResult:
    header = opened.header
    Quarantine.insert(
        office_code=header.office_code,
        batch_no=header.batch_no,
        batch_id=header.batch_id,
        content_hash=opened.content_hash,
        reason=reason,
        detail=detail,
        envelope=envelope,
        received_at=utcnow(),
    ).on_conflict_ignore().execute()
    progress.save()
    log.warning("quarantined %s (batch %d): %s", header.batch_id, header.batch_no, detail)
    return IngestResult(
        "quarantined", "batch", header.batch_id, header.batch_no, _ack(store, progress), reason, detail
    )


def _advance(progress: WardProgress) -> None:
    """Move the contiguous acknowledgement over every batch now held in order."""
    following = (
        Batch.select(Batch.batch_no, Batch.last_seq, Batch.batch_hash)
        .where((Batch.office_code == progress.office_code) & (Batch.batch_no > progress.acked_batch_no))
        .order_by(Batch.batch_no)
    )
    for batch in following:
        if batch.batch_no != progress.acked_batch_no + 1:
            break
        progress.acked_batch_no = batch.batch_no
        progress.acked_seq = batch.last_seq
        progress.acked_hash = batch.batch_hash


def _ack(store: DistrictStore, progress: WardProgress) -> AckState:
    return AckState(
        office_code=progress.office_code,
        acked_seq=int(progress.acked_seq),
        acked_batch_no=int(progress.acked_batch_no),
        acked_batch_hash=progress.acked_hash,
        highest_batch_no=int(progress.highest_batch_no),
        missing_batches=store.missing_batches(progress.office_code, progress),
        last_sync=progress.last_sync.isoformat() + "Z" if progress.last_sync else None,
    )


def _latest_per_uid(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    # One row per (entity, uid) per statement: PostgreSQL refuses to touch the
    # same row twice in one INSERT ... ON CONFLICT.
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for record in records:
        key = (record["entity"], record["entity_uid"])
        if key not in best or record["version"] > best[key]["version"]:
            best[key] = record
    return list(best.values())


def _upsert_records(store: DistrictStore, office: str, records: list[dict[str, Any]], now: datetime) -> None:
    latest = _latest_per_uid(records)
    rows = [
        {
            "office_code": office,
            "entity": r["entity"],
            "entity_uid": r["entity_uid"],
            "version": r["version"],
            "seq": r["seq"],
            "payload": json.dumps(r["payload"], ensure_ascii=False, sort_keys=True, separators=(",", ":")),
            "updated_at": now,
        }
        for r in latest
    ]
    # Each table in one statement where the back end can (the incoming version wins
    # only when it is higher).
    upsert = store.backend.upsert
    upsert(store.db, Record, rows, ("office_code", "entity", "entity_uid"), columnar=True)
    dossiers = [_dossier_row(office, r, now) for r in latest if r["entity"] == "dossier"]
    upsert(store.db, Dossier, dossiers, ("office_code", "uid"), columnar=True)
    assessments = [_assessment_row(office, r, now) for r in latest if r["entity"] == "self_assessment"]
    upsert(store.db, SelfAssessment, assessments, ("office_code", "uid"), columnar=True)


def _text(payload: dict[str, Any], *names: str, limit: int = 255) -> str:
    # VARCHAR(255) on PostgreSQL, and PostgreSQL refuses NUL in text.
    for name in names:
        value = payload.get(name)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return str(value).replace("\x00", "")[:limit]
    return ""


def _int(value: Any) -> int:
    """A number from a payload, clamped to PostgreSQL's INTEGER (0 when unreadable)."""
    if isinstance(value, bool):
        return 0
    try:
        number = value if isinstance(value, int) else round(float(value))
    except (TypeError, ValueError, OverflowError):
        return 0
    return max(-(2**31), min(2**31 - 1, number))


def _dossier_row(office: str, record: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The district's typed view of a dossier payload. Tolerant by design: a
    payload missing a field still lands (the full payload is in ``record``)."""
    p = record["payload"]
    return {
        "office_code": office,
        "uid": record["entity_uid"],
        "code": _text(p, "code") or record["entity_uid"],
        "procedure_code": _text(p, "procedure_code", "procedure"),
        "field": _text(p, "field", "procedure_field"),
        "state": _text(p, "state", limit=32),
        "channel": _text(p, "channel", limit=32),
        "received_at": _parse_ts(p.get("received_at")),
        "due_at": _parse_ts(p.get("due_at")),
        "completed_at": _parse_ts(p.get("completed_at")),
        "returned_at": _parse_ts(p.get("returned_at")),
        "lookup_secret": _text(p, "lookup_secret", limit=64),
        "version": record["version"],
        "updated_at": now,
    }


def _assessment_row(office: str, record: dict[str, Any], now: datetime) -> dict[str, Any]:
    p = record["payload"]
    indicators = p.get("indicators", {})
    if isinstance(indicators, str):
        indicators_text = indicators
    else:
        indicators_text = json.dumps(indicators, ensure_ascii=False, sort_keys=True)
    return {
        "office_code": office,
        "uid": record["entity_uid"],
        "month": _text(p, "month", limit=7),
        "revision": _int(p.get("revision", 1)),
        "state": _text(p, "state", limit=32),
        "total": _int(p.get("total", 0)),
        "band": _text(p, "band", limit=64),
        "criteria_set": _text(p, "criteria_set"),
        "submitted_at": _parse_ts(p.get("submitted_at")),
        "indicators": indicators_text,
        "version": record["version"],
        "updated_at": now,
    }
