"""Dossier services: intake, moves through the lifecycle, apology slips, look-ups.

Each mutating function is one write transaction (``BEGIN IMMEDIATE``, so two
desks never interleave a read-then-write) that updates the dossier's projection
columns, appends a hash-chained event, keeps the search index in step and
appends the outbox rows, all or nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from peewee import JOIN, SQL, DateTimeField, fn

from ward_desk.domain import figures, lifecycle
from ward_desk.domain.codes import dossier_code
from ward_desk.domain.lifecycle import Action, EventRecord, Projection, State
from ward_desk.domain.text import fold, split_items
from ward_desk.domain.timing import (
    compute_due,
    due_after_pause,
    due_after_supplement,
    local_day,
    to_utc,
)
from ward_desk.domain.validation import (
    clean_text,
    validate_id_number,
    validate_person_name,
    validate_phone,
    validate_reason,
)
from ward_desk.errors import InvalidInput, NotFound
from ward_desk.services.outbox import (
    INSERT_OUTBOX_SQL,
    canonical_json,
    event_outbox_json,
    outbox_row,
    record_change,
)
from ward_desk.services.session import Session
from ward_desk.store.models import ApologySlip, Attachment, Dossier, Event, Procedure, Rating, User

CHANNELS = ("direct", "online", "postal")
MAX_DOCUMENTS = 60  # a checklist longer than this is not a dossier's papers
RATING_LEVELS = ("very_satisfied", "satisfied", "neutral", "unsatisfied")
# Handed back, and the citizen would not rate: no rating row (the satisfaction figures count
# only those who rated), the return event says so.
RATING_DECLINED = "declined"
OPEN_STATES = (State.RECEIVED.value, State.IN_PROGRESS.value, State.SUPPLEMENT_REQUESTED.value, State.SUSPENDED.value)
RUNNING_STATES = (State.RECEIVED.value, State.IN_PROGRESS.value)  # the clock runs
GENESIS_HASH = "0" * 64
_SECRET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


@dataclass(frozen=True)
class DocumentItem:
    name: str
    received: bool = True


@dataclass
class IntakeRequest:
    """What the clerk types at the counter."""

    procedure_code: str
    applicant_name: str
    id_number: str = ""
    phone: str = ""
    address: str = ""
    channel: str = "direct"
    documents: list[DocumentItem] = field(default_factory=list)
    digitized: bool = False
    fee_paid: int = 0
    note: str = ""
    received_at: datetime | None = None  # naive UTC; None = now
    code: str | None = None  # only imports keep an existing register's code
    due_at: datetime | None = None  # only imports keep a register's own appointment date


@dataclass(frozen=True)
class DossierFilter:
    """Filters of the dossier list; all optional, combined with AND."""

    states: tuple[str, ...] = ()
    field: str | None = None
    officer: str | None = None  # username
    due_from: datetime | None = None
    due_to: datetime | None = None
    overdue_only: bool = False


# --- validation ----------------------------------------------------------------


def validate_intake(req: IntakeRequest) -> tuple[Procedure, dict[str, Any]]:
    """Check an intake before anything is written; return the procedure and clean values."""
    procedure = cached_procedure(req.procedure_code)
    if not procedure.active:
        raise InvalidInput("dossier.procedure_inactive", code=procedure.code)
    if req.channel not in CHANNELS:
        raise InvalidInput("dossier.bad_channel", channel=req.channel)
    if req.fee_paid < 0:
        raise InvalidInput("dossier.bad_fee")
    if len(req.documents) > MAX_DOCUMENTS:
        raise InvalidInput("dossier.too_many_documents", count=len(req.documents), max=MAX_DOCUMENTS)
    clean = {
        "applicant_name": validate_person_name(req.applicant_name),
        "applicant_id_number": validate_id_number(req.id_number) if req.id_number.strip() else "",
        "applicant_phone": validate_phone(req.phone) if req.phone.strip() else "",
        "applicant_address": clean_text("address", req.address),
    }
    # Cleaned in place: intake stores what the request now holds.
    req.note = clean_text("note", req.note)
    req.documents = [DocumentItem(clean_text("document", item.name), item.received) for item in req.documents]
    if any(not item.name for item in req.documents):
        raise InvalidInput("dossier.document_name_required")
    if req.code:
        req.code = clean_text("dossier_code", req.code)
    return procedure, clean


# (store path, procedure code) -> ((id, version, updated_at, active), Procedure)
_PROCEDURES: dict[tuple[str, str], tuple[tuple[Any, ...], Procedure]] = {}


def cached_procedure(code: str) -> Procedure:
    """The procedure ``code``, loaded once and reused while its row is unchanged.

    Every intake still reads the row's (id, version, updated_at, active) with one
    prepared statement, so a catalogue change made by this process, another desk
    on the same store or a downlink is seen at once; only the model is cached.
    """
    db = Procedure._meta.database
    code = code.strip()
    stamp = db.execute_sql('SELECT "id", "version", "updated_at", "active" FROM "procedure" WHERE "code" = ?',
                           (code,)).fetchone()
    if stamp is None:
        raise NotFound("catalogue.unknown_procedure", code=code)
    key = (str(db.database), code)
    hit = _PROCEDURES.get(key)
    if hit is not None and hit[0] == tuple(stamp):
        return hit[1]
    procedure = Procedure.get_by_id(stamp[0])
    if len(_PROCEDURES) > 1000:  # many stores in one process (tests): never grow without bound
        _PROCEDURES.clear()
    _PROCEDURES[key] = (tuple(stamp), procedure)
    return procedure


def new_uid() -> str:
    """A record uid (32 hex digits, the UUID layout, version 7): a 48-bit millisecond
    timestamp then 74 random bits. Time-ordered, so the unique ``uid`` indexes grow
    at one edge instead of touching a random, cold leaf page on every insert."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = ((ms & 0xFFFF_FFFF_FFFF) << 80) | (0x7 << 76) | (((rand >> 64) & 0xFFF) << 64) \
        | (0b10 << 62) | (rand & 0x3FFF_FFFF_FFFF_FFFF)
    return f"{value:032x}"


# --- payloads and the event chain ------------------------------------------------


def dossier_payload(d: Dossier) -> dict[str, Any]:
    """The dossier as it travels upstream (full state; the receiver keeps the highest version)."""
    return {
        "uid": d.uid, "code": d.code, "procedure_code": d.procedure.code, "field": d.procedure.field,
        "processing_days": d.procedure.processing_days,
        "applicant_name": d.applicant_name, "applicant_id_number": d.applicant_id_number,
        "applicant_phone": d.applicant_phone, "applicant_address": d.applicant_address,
        "channel": d.channel, "received_at": d.received_at, "due_at": d.due_at,
        "statutory_due_at": d.statutory_due_at, "state": d.state,
        "officer": d.officer.username if d.officer_id else None,
        "documents": json.loads(d.documents), "digitized": d.digitized,
        "completed_at": d.completed_at, "returned_at": d.returned_at, "closed_at": d.closed_at,
        "called_at": d.called_at, "fee_paid": d.fee_paid, "rule_set": d.rule_set,
        "lookup_secret": d.lookup_secret, "apology_count": d.apology_count,
    }


def event_body(e: Event, dossier_uid: str, actor_uid: str | None) -> dict[str, Any]:
    """The hashed content of an event: everything but its own hash (and its counter
    when it has none, as every event made before migration 0006)."""
    body = {
        "uid": e.uid, "dossier": dossier_uid, "at": e.at, "actor": actor_uid, "kind": e.kind,
        "action": e.action, "from_state": e.from_state, "to_state": e.to_state, "due_at": e.due_at,
        "reason": e.reason, "legal_basis": e.legal_basis, "data": json.loads(e.data), "prev_hash": e.prev_hash,
    }
    if getattr(e, "counter", ""):
        body["counter"] = e.counter
    return body


def chain_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


_LAST_HASH_SQL = 'SELECT "hash" FROM "event" ORDER BY "id" DESC LIMIT 1'
_INSERT_EVENT_SQL = (
    'INSERT INTO "event" ("uid", "dossier_id", "at", "actor_id", "kind", "action", "from_state", "to_state", '
    '"due_at", "reason", "legal_basis", "data", "prev_hash", "hash") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
)
# With the session's counter (migration 0006); without one the column keeps its default,
# so events without a counter are written as before it existed.
_INSERT_EVENT_AT_COUNTER_SQL = _INSERT_EVENT_SQL.replace('"hash")', '"hash", "counter")').replace("?)", "?, ?)")
_INSERT_FTS_SQL = 'INSERT INTO "dossier_fts" ("rowid", "body") VALUES (?, ?)'


def _last_hash() -> str:
    # Read inside the caller's BEGIN IMMEDIATE transaction: no other desk can append
    # between this read and our insert, so the chain stays linear with two writers.
    row = Event._meta.database.execute_sql(_LAST_HASH_SQL).fetchone()
    return row[0] if row else GENESIS_HASH


def _append_event(session: Session, dossier: Dossier, *, kind: str, to_state: str, from_state: str | None,
                  at: datetime, action: str | None = None, due_at: datetime | None = None,
                  reason: str = "", legal_basis: str = "", data: dict[str, Any] | None = None) -> int:
    """Insert the next event of the chain and its outbox row; return the event id.

    Plain prepared SQL (no model round trip): the body is the one ``event_body``
    makes of the stored row, so ``verify`` recomputes the same hash."""
    db = Event._meta.database
    uid = new_uid()
    data_json = json.dumps(data or {}, ensure_ascii=False, sort_keys=True)
    reason, legal_basis = reason.strip(), legal_basis.strip()
    prev = _last_hash()
    user = session.user
    body = {"uid": uid, "dossier": dossier.uid, "at": at, "actor": user.uid, "kind": kind, "action": action,
            "from_state": from_state, "to_state": to_state, "due_at": due_at, "reason": reason,
            "legal_basis": legal_basis, "data": json.loads(data_json), "prev_hash": prev}
    counter = session.counter
    if counter:
        body["counter"] = counter  # absent when empty: the hashes of events before 0006 stay
    body_json = canonical_json(body)
    digest = hashlib.sha256(body_json.encode()).hexdigest()  # == chain_hash(body)
    row = (uid, dossier.id, at, user.id, kind, action, from_state, to_state, due_at, reason, legal_basis, data_json,
           prev, digest)
    cursor = (db.execute_sql(_INSERT_EVENT_AT_COUNTER_SQL, (*row, counter)) if counter
              else db.execute_sql(_INSERT_EVENT_SQL, row))
    db.execute_sql(INSERT_OUTBOX_SQL, outbox_row("event", uid, 1, event_outbox_json(body_json, digest, dossier.code),
                                                 at))
    return int(cursor.lastrowid)


def search_body(d: Dossier, agency_id: str = "") -> str:
    """The folded text the search index holds for a dossier: applicant name, ID,
    phone, code, and the last four digits of phone and ID (what people read out at
    the counter). The office's ``agency_id`` prefix of the code is left out: it is
    in every code, so as a search word it matched every dossier; codes are found
    through the code index (see :func:`search`), and by their date and sequence
    parts here."""
    code = d.code.lower()
    prefix = agency_id.lower() + "-"
    if agency_id and code.startswith(prefix):
        code = code[len(prefix):]
    parts = [fold(d.applicant_name), d.applicant_id_number, d.applicant_phone, code]
    parts += [s[-4:] for s in (d.applicant_phone, d.applicant_id_number) if len(s) > 4]
    return " ".join(p for p in parts if p)


def _index(d: Dossier, agency_id: str, *, replace: bool = False) -> None:
    db = Dossier._meta.database
    if replace:
        db.execute_sql("DELETE FROM dossier_fts WHERE rowid = ?", (d.id,))
    db.execute_sql(_INSERT_FTS_SQL, (d.id, search_body(d, agency_id)))


def _save(d: Dossier, at: datetime) -> None:
    d.version += 1
    d.updated_at = at
    d.save()
    record_change("dossier", d.uid, d.version, dossier_payload(d), at)


# --- writes ----------------------------------------------------------------------


_LAST_CODE_SQL = 'SELECT "code" FROM "dossier" WHERE "code" > ? AND "code" < ? ORDER BY "code" DESC LIMIT 1'
_CODE_EXISTS_SQL = 'SELECT 1 FROM "dossier" WHERE "code" = ?'
# The dossier columns after "id", in the model's order; values come from the model's own db_value.
_DOSSIER_FIELDS = [f for f in Dossier._meta.sorted_fields if f.name != "id"]
_INSERT_DOSSIER_SQL = 'INSERT INTO "dossier" ({}) VALUES ({})'.format(
    ", ".join(f'"{f.column_name}"' for f in _DOSSIER_FIELDS), ", ".join("?" for _ in _DOSSIER_FIELDS))


def _next_code(session: Session, received_at: datetime) -> str:
    day = local_day(received_at, session.rules)
    prefix = dossier_code(session.office.agency_id, day, 1)[:-4]
    last = Dossier._meta.database.execute_sql(_LAST_CODE_SQL, (prefix, prefix + "~")).fetchone()
    seq = int(last[0][-4:]) + 1 if last and last[0][-4:].isdigit() else 1
    return dossier_code(session.office.agency_id, day, seq)


LOOKUP_SECRET_LEN = 8
"""8 characters of a 32-letter alphabet: 40 bits, so guessing a receipt's secret on
the status page is hopeless even across many addresses, not only per address."""


def new_lookup_secret() -> str:
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(LOOKUP_SECRET_LEN))


def intake(session: Session, req: IntakeRequest) -> Dossier:
    """Receive a complete dossier: give it a code and a due date, record the intake event.

    One ``BEGIN IMMEDIATE`` transaction of prepared statements: the next code, the
    dossier row, its outbox row, the chained intake event and its outbox row, the
    search-index row."""
    procedure, clean = validate_intake(req)
    now = session.clock()
    received_at = req.received_at or now
    due = req.due_at or compute_due(received_at, procedure.processing_days, session.calendar, session.rules)
    docs = req.documents or [DocumentItem(n) for n in json.loads(procedure.documents)]
    db = session.store.db
    d = Dossier(
        uid=new_uid(), procedure=procedure, channel=req.channel,
        received_at=received_at, due_at=due, statutory_due_at=due, state=State.RECEIVED.value,
        received_by=session.user, documents=json.dumps([d.__dict__ for d in docs], ensure_ascii=False),
        digitized=req.digitized or req.channel == "online", fee_paid=req.fee_paid,
        rule_set=session.rules.version, calendar_version=session.calendar.version if not req.due_at else "",
        lookup_secret=new_lookup_secret(), note=req.note.strip(), version=1, updated_at=now, **clean,
    )
    with db.atomic("IMMEDIATE"):
        if req.code:
            if db.execute_sql(_CODE_EXISTS_SQL, (req.code,)).fetchone():
                raise InvalidInput("dossier.code_exists", code=req.code)
            d.code = req.code
        else:
            d.code = _next_code(session, received_at)
        data = d.__data__
        cursor = db.execute_sql(_INSERT_DOSSIER_SQL, [f.db_value(data.get(f.name)) for f in _DOSSIER_FIELDS])
        d.id = cursor.lastrowid
        db.execute_sql(INSERT_OUTBOX_SQL, outbox_row("dossier", d.uid, d.version, dossier_payload(d), now))
        _append_event(session, d, kind="intake", from_state=None, to_state=State.RECEIVED.value, at=received_at,
                      due_at=due, data={"procedure": procedure.code, "days": procedure.processing_days,
                                        "rule_set": session.rules.version, "calendar": d.calendar_version})
        _index(d, session.office.agency_id)
    d._dirty.clear()
    return d


def get(code: str) -> Dossier:
    d = (Dossier.select(Dossier, Procedure).join(Procedure).where(Dossier.code == code.strip()).first())
    if d is None:
        raise NotFound("dossier.not_found", code=code)
    return d


def _pause_started(d: Dossier) -> datetime:
    e = (Event.select(Event.at).where((Event.dossier == d) & (Event.to_state == d.state)
                                      & (Event.from_state != d.state))
         .order_by(Event.id.desc()).limit(1).first())
    return e.at if e else d.updated_at


MAX_REQUESTED_ITEMS = 30


def _requested_items(action: Action, given: Sequence[str] | None, reason: str | None) -> tuple[str, ...]:
    """The cleaned list of what a supplement request asks for (empty for other actions).
    Asking for things only a supplement request can carry is a mistake, said as such."""
    if action is not Action.REQUEST_SUPPLEMENT:
        if given:
            raise InvalidInput("dossier.items_only_for_supplement", action=action.value)
        return ()
    items = tuple(i for i in (clean_text("document", x) for x in (given or ())) if i) if given \
        else split_items(reason or "")
    if len(items) > MAX_REQUESTED_ITEMS:
        raise InvalidInput("dossier.too_many_items", count=len(items), max=MAX_REQUESTED_ITEMS)
    return items


def move(session: Session, code: str, action: Action | str, *, reason: str | None = None,
         legal_basis: str | None = None, officer: str | None = None, rating: str | None = None,
         rating_comment: str = "", requested_items: Sequence[str] | None = None) -> Dossier:
    """Apply one lifecycle action; illegal moves and missing reasons are refused.

    ``request_supplement`` records what the citizen must bring (``requested_items``, else
    the reason split into its parts, one per line or ";") on the event, for form 02."""
    action = Action(action)
    now = session.clock()
    if rating is not None and rating not in RATING_LEVELS and rating != RATING_DECLINED:
        raise InvalidInput("dossier.bad_rating", level=rating)
    reason, legal_basis = clean_text("reason", reason), clean_text("legal_basis", legal_basis)
    rating_comment = clean_text("comment", rating_comment)
    if lifecycle.requires_reason(action) and reason and reason.strip():
        reason = validate_reason(reason)  # a date or a few letters is no reason
    items = _requested_items(action, requested_items, reason)
    with session.store.db.atomic("IMMEDIATE"):
        d = get(code)
        old = State(d.state)
        new = lifecycle.transition(old, action, reason, legal_basis)
        due_changed: datetime | None = None
        data: dict[str, Any] = {"action": action.value}
        if items:
            data["items"] = list(items)
        if action is Action.RETURN_RESULT and rating == RATING_DECLINED:
            data["rating"] = RATING_DECLINED
        if action is Action.FORWARD:
            target = User.get_or_none((User.username == (officer or session.user.username)) & (User.active == True))  # noqa: E712
            if target is None:
                raise NotFound("auth.unknown_user", username=officer)
            d.officer = target
            data["officer"] = target.username
        elif action is Action.COMPLETE_SUPPLEMENT:
            due_changed = due_after_supplement(now, d.procedure.processing_days, session.calendar, session.rules)
        elif action is Action.RESUME:
            due_changed = due_after_pause(d.statutory_due_at, _pause_started(d), now, session.calendar, session.rules)
        elif action is Action.MARK_RESULT_READY:
            d.completed_at = now
        elif action is Action.RETURN_RESULT:
            d.returned_at = now
        if due_changed is not None:
            # A recomputed statutory date never drops a later date promised on an apology slip.
            d.due_at = max(due_changed, d.due_at) if d.apology_count else due_changed
            d.statutory_due_at = due_changed
            d.calendar_version = session.calendar.version
            data["calendar"] = d.calendar_version
        if new in lifecycle.TERMINAL:
            d.closed_at = now
        d.state = new.value
        _save(d, now)
        _append_event(session, d, kind="transition", action=action.value, from_state=old.value,
                      to_state=new.value, at=now, due_at=due_changed, reason=reason or "",
                      legal_basis=legal_basis or "", data=data)
        if action is Action.RETURN_RESULT and rating == RATING_DECLINED:
            pass  # the citizen declined to rate: said in the event, no rating row
        elif action is Action.RETURN_RESULT and rating is not None:
            r = Rating.create(uid=new_uid(), dossier=d, level=rating, comment=rating_comment.strip(), at=now)
            record_change("rating", r.uid, 1, {"uid": r.uid, "dossier": d.uid, "dossier_code": d.code,
                                               "level": r.level, "comment": r.comment, "at": now}, now)
    return d


# The officer's word that the result will not be ready in time: an event of its own (not
# folded: the state does not change), so no schema change and it travels upstream as any event.
LATE_NOTICE = "late_notice"


def declared_late(d: Dossier) -> bool:
    """True when an officer has declared that the dossier's result will not be ready in time."""
    return Event.select().where((Event.dossier == d) & (Event.kind == LATE_NOTICE)).exists()


def declare_late(session: Session, code: str, reason: str) -> Dossier:
    """Record the officer's declaration that the result will not be ready by the due time,
    with the reason: from then the dossier will be late and its apology slip is due
    (``domain.lateness.will_be_late``), before its due time has passed.

    Refused (nothing written) for a dossier whose result is not being worked on, one
    with an apology slip already issued, one declared already, or with no real reason."""
    now = session.clock()
    reason = clean_text("reason", reason)
    if not reason:
        raise InvalidInput("dossier.late_reason_required")
    reason = validate_reason(reason)
    with session.store.db.atomic("IMMEDIATE"):
        d = get(code)
        if d.state not in RUNNING_STATES:
            raise InvalidInput("dossier.late_not_running", code=d.code,
                               state=lifecycle.state_label(State(d.state)))
        if d.apology_count:
            raise InvalidInput("dossier.late_apology_issued", code=d.code)
        if declared_late(d):
            raise InvalidInput("dossier.late_already_declared", code=d.code)
        _append_event(session, d, kind=LATE_NOTICE, from_state=d.state, to_state=d.state, at=now, reason=reason)
    return d


def issue_apology(session: Session, code: str, new_due_at: datetime, reason: str) -> ApologySlip:
    """Issue the apology slip (phiếu xin lỗi và hẹn lại) with a new appointment date."""
    now = session.clock()
    reason = clean_text("reason", reason)
    if not reason:
        raise InvalidInput("apology.reason_required")
    with session.store.db.atomic("IMMEDIATE"):
        d = get(code)
        proj = projection(d)
        lifecycle.validate_apology(proj, new_due_at, now, session.calendar, session.rules,
                                   declared_late=declared_late(d))
        assert proj.due_at is not None  # validate_apology refuses a dossier without one
        latest = lifecycle.apology_latest_day(proj.due_at, session.calendar, session.rules)
        late = lifecycle.apology_is_late(now, proj.due_at, session.calendar, session.rules)
        slip = ApologySlip.create(uid=new_uid(), dossier=d, issued_at=now, issued_by=session.user,
                                  reason=reason.strip(), previous_due_at=d.due_at, new_due_at=new_due_at)
        d.due_at = new_due_at
        d.apology_count += 1
        _save(d, now)
        _append_event(session, d, kind="apology", from_state=d.state, to_state=d.state, at=now,
                      due_at=new_due_at, reason=reason,
                      data={"slip": slip.uid, "late": late, "latest_day": latest.isoformat()})
        record_change("apology_slip", slip.uid, 1, {
            "uid": slip.uid, "dossier": d.uid, "dossier_code": d.code, "issued_at": now, "reason": slip.reason,
            "previous_due_at": slip.previous_due_at, "new_due_at": new_due_at}, now)
    return slip


def apology_due_date(session: Session, d: Dossier, extra_days: int) -> datetime:
    """A proposed new appointment: ``extra_days`` working days after today, at closing time."""
    today = local_day(session.clock(), session.rules)
    day = session.calendar.add_working_days(today, max(1, extra_days))
    return to_utc(datetime.combine(day, session.calendar.hours.closing, tzinfo=session.rules.tz), session.rules.tz)


# What a call to tell the citizen the result is ready came to. Only "reached" marks the
# dossier called; the others keep it on the call list, to try again (or fix the number).
CALL_OUTCOMES = ("reached", "not_reachable", "wrong_number")


def mark_called(session: Session, code: str, note: str = "", outcome: str = "reached") -> Dossier:
    """Record a call to the citizen that the result is ready, and what it came to
    (``CALL_OUTCOMES``; kept in the call event's data, so no schema change was needed)."""
    if outcome not in CALL_OUTCOMES:
        raise InvalidInput("dossier.bad_call_outcome", outcome=outcome, outcomes=", ".join(CALL_OUTCOMES))
    now = session.clock()
    note = clean_text("note", note)
    with session.store.db.atomic("IMMEDIATE"):
        d = get(code)
        if d.state != State.RESULT_READY.value:
            raise InvalidInput("dossier.not_ready_to_call", code=d.code)
        if outcome == "reached":
            d.called_at = now
            _save(d, now)
        _append_event(session, d, kind="call", from_state=d.state, to_state=d.state, at=now, reason=note,
                      data={"outcome": outcome})
    return d


@dataclass(frozen=True)
class CallTries:
    """The calls made about one ready result: the last outcome, and failed tries since."""

    last_outcome: str | None
    not_reachable: int
    last_at: datetime | None


def call_tries(dossiers: list[Dossier]) -> dict[int, CallTries]:
    """For each dossier (by id), what its calls came to, read from its call events (one query)."""
    if not dossiers:
        return {}
    rows = (Event.select(Event.dossier, Event.at, Event.data)
            .where((Event.kind == "call") & Event.dossier.in_([d.id for d in dossiers]))
            .order_by(Event.id).tuples())
    out: dict[int, CallTries] = {}
    for dossier_id, at, data in rows:
        try:
            outcome = json.loads(data or "{}").get("outcome", "reached")
        except (ValueError, AttributeError):
            outcome = "reached"  # calls recorded before outcomes existed were all "reached"
        before = out.get(dossier_id, CallTries(None, 0, None))
        failed = before.not_reachable + 1 if outcome == "not_reachable" else (
            0 if outcome == "reached" else before.not_reachable)
        out[dossier_id] = CallTries(outcome, failed, at)
    return out


def attach(session: Session, code: str, name: str, ref: str, sha256: str = "") -> Attachment:
    """Record a digitized file's reference; the dossier counts as digitized from then on."""
    now = session.clock()
    name, ref = clean_text("document", name), clean_text("attachment", ref)
    if not name or not ref:
        raise InvalidInput("dossier.attachment_required")
    with session.store.db.atomic("IMMEDIATE"):
        d = get(code)
        a = Attachment.create(uid=new_uid(), dossier=d, name=name.strip(), ref=ref.strip(), sha256=sha256,
                              added_at=now, added_by=session.user)
        d.digitized = True
        _save(d, now)
        _append_event(session, d, kind="attachment", from_state=d.state, to_state=d.state, at=now,
                      data={"attachment": a.uid, "name": a.name})
        record_change("attachment", a.uid, 1, {"uid": a.uid, "dossier": d.uid, "name": a.name, "ref": a.ref,
                                               "sha256": a.sha256, "added_at": now}, now)
    return a


# --- reads -----------------------------------------------------------------------


_FOLDED_KINDS = ("intake", "transition", "apology")


def event_record(at: datetime, kind: str, action: str | None, from_state: str | None, to_state: str,
                 due_at: datetime | None, data_json: str) -> EventRecord:
    """One stored event as the lifecycle fold reads it (kinds it does not fold become "note")."""
    data = json.loads(data_json)
    if action:
        data.setdefault("action", action)
    return EventRecord(at=at, kind=kind if kind in _FOLDED_KINDS else "note",
                       from_state=State(from_state) if from_state else None,
                       to_state=State(to_state), due_at=due_at, data=data)


def event_records(events: Iterable[Event]) -> list[EventRecord]:
    return [event_record(e.at, e.kind, e.action, e.from_state, e.to_state, e.due_at, e.data) for e in events]


def history(d: Dossier) -> list[Event]:
    return list(Event.select(Event, User).join(User, JOIN.LEFT_OUTER, on=(Event.actor == User.id))
                .where(Event.dossier == d).order_by(Event.id))


def projection(d: Dossier) -> Projection:
    """Fold the dossier's events: the truth its columns must agree with."""
    records = [r for r in event_records(history(d)) if r.kind != "note"]
    return lifecycle.fold(records)


def _tokens(text: str) -> list[str]:
    folded = fold(text)
    folded = re.sub(r"(?<=\d)[\s.]+(?=\d)", "", folded)  # "0912 345 678" is one phone number
    # Split as the index's unicode61 tokenizer does (letters and digits; "_" and "-" separate).
    return re.findall(r"[^\W_]+", folded)


_SEARCH_FTS_SQL = 'SELECT rowid FROM dossier_fts WHERE dossier_fts MATCH ? ORDER BY rowid DESC LIMIT ?'
_SEARCH_CODE_SQL = 'SELECT "id" FROM "dossier" WHERE "code" >= ? AND "code" < ? ORDER BY "code" DESC LIMIT ?'
_AGENCY_SQL = 'SELECT "agency_id" FROM "office" LIMIT 1'
# A code or the start of one: "<agency>-YYMMDD-XXXX", "<agency>-YYMM", "YYMMDD-XX"... (no spaces).
_CODE_LIKE = re.compile(r"[0-9A-Za-z.]+-[0-9A-Za-z.-]*")


def _code_prefixes(text: str, agency_id: str) -> list[str]:
    """Code prefixes ``text`` may stand for: itself (codes of an imported register keep
    their own shape) and, for a bare date-sequence part, this office's code for it."""
    if agency_id and text.upper() == agency_id:
        return [agency_id + "-"]  # the office code alone: every code starts with it
    if not _CODE_LIKE.fullmatch(text):
        return []
    out = [text.upper()]
    if agency_id and not out[0].startswith(agency_id + "-") and re.fullmatch(r"\d{6}-\d{0,4}", text):
        out.append(f"{agency_id}-{text}")
    return out


def search(text: str, limit: int = 50) -> list[Dossier]:
    """Dossiers whose applicant name, ID, phone or code match every word typed
    (accents and case ignored; the last word may be the start of one), newest first.

    Text shaped like a dossier code (``22918-260303-0001``, ``22918-2603``,
    ``260303-0001``) is looked up as a code prefix in the code index; when no code
    starts with it, it is searched as words like any other text.
    """
    text = text.strip()
    db = Dossier._meta.database
    row = db.execute_sql(_AGENCY_SQL).fetchone()
    agency = row[0].upper() if row else ""
    ids: list[int] = []
    for prefix in _code_prefixes(text, agency):
        ids = [r[0] for r in db.execute_sql(_SEARCH_CODE_SQL, (prefix, prefix + "\uffff", limit))]
        if ids:
            break
    if not ids:
        if agency and text.upper().startswith(agency + "-"):
            text = text[len(agency) + 1:]  # the agency id is in no index body (see search_body)
        tokens = _tokens(text)
        if not tokens:
            return []
        # Whole words match whole index tokens; only the last word typed may be unfinished.
        # (A prefix word longer than the index's prefix lengths makes FTS5 merge the
        # doclists of every token starting with it; an exact token is read lazily.)
        match = " ".join(f'"{t}"' for t in tokens[:-1]) + f' "{tokens[-1]}"*'
        ids = [r[0] for r in db.execute_sql(_SEARCH_FTS_SQL, (match.strip(), limit))]
    if not ids:
        return []
    rows = dossiers_by_id(ids)
    return [rows[i] for i in ids if i in rows]


def _converter(f: Any) -> Any:
    if isinstance(f, DateTimeField):
        def convert(value: Any, _slow: Any = f.python_value) -> Any:
            # str(datetime) as stored: fromisoformat reads it ~20x faster than strptime.
            if isinstance(value, str):
                try:
                    return datetime.fromisoformat(value)
                except ValueError:
                    return _slow(value)
            return value
        return convert
    return f.python_value


def _row_loader(model: Any) -> tuple[str, list[tuple[str, Any]]]:
    fields = model._meta.sorted_fields
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    return f'SELECT {columns} FROM "{model._meta.table_name}" WHERE "id" IN ', [(f.name, _converter(f)) for f in fields]


_DOSSIER_ROWS = _row_loader(Dossier)
_PROCEDURE_ROWS = _row_loader(Procedure)


def _load(loader: tuple[str, list[tuple[str, Any]]], model: Any, ids: list[int]) -> list[Any]:
    sql, fields = loader
    out = []
    for row in Dossier._meta.database.execute_sql(sql + "(" + ", ".join("?" * len(ids)) + ")", ids):
        obj = model(__no_default__=True)
        obj.__data__ = {name: convert(v) if v is not None else None for (name, convert), v in zip(fields, row, strict=True)}
        out.append(obj)
    return out


def dossiers_by_id(ids: list[int]) -> dict[int, Dossier]:
    """The dossiers ``ids`` with their procedure, as a select joining Procedure would give
    them, built straight from two plain queries (a peewee joined select spent ~0.2 ms a
    row building models: most of a search)."""
    found = _load(_DOSSIER_ROWS, Dossier, list(ids))
    procedures = {p.id: p for p in _load(_PROCEDURE_ROWS, Procedure, list({d.procedure_id for d in found}))}
    for d in found:
        d.__rel__["procedure"] = procedures[d.procedure_id]
    return {d.id: d for d in found}


def _filtered(f: DossierFilter, now: datetime):
    q = Dossier.select(Dossier, Procedure).join(Procedure)
    if f.states:
        q = q.where(Dossier.state.in_(list(f.states)))
    if f.overdue_only:
        q = q.where(_overdue_condition(now))
    if f.field:
        q = q.where(Procedure.field == f.field)
    if f.officer:
        q = q.where(Dossier.officer == User.select(User.id).where(User.username == f.officer))
    if f.due_from:
        q = q.where(Dossier.due_at >= f.due_from)
    if f.due_to:
        q = q.where(Dossier.due_at < f.due_to)
    return q


def list_dossiers(session: Session, f: DossierFilter = DossierFilter(), *, after: tuple[datetime, int] | None = None,
                  limit: int = 50) -> list[Dossier]:
    """A page of dossiers, newest received first. ``after`` is the (received_at, id) of
    the last row of the previous page: keyset paging stays fast at any depth."""
    q = _filtered(f, session.clock())
    if after is not None:
        q = q.where((Dossier.received_at < after[0]) | ((Dossier.received_at == after[0]) & (Dossier.id < after[1])))
    return list(q.order_by(Dossier.received_at.desc(), Dossier.id.desc()).limit(limit))


def count_dossiers(session: Session, f: DossierFilter = DossierFilter()) -> int:
    return _filtered(f, session.clock()).count()


def local_day_bounds(session: Session, day=None) -> tuple[datetime, datetime]:
    """UTC start and end of an office-local day (default: today)."""
    day = day or local_day(session.clock(), session.rules)
    start = to_utc(datetime.combine(day, datetime.min.time(), tzinfo=session.rules.tz), session.rules.tz)
    return start, start + timedelta(days=1)


@dataclass(frozen=True)
class Dashboard:
    received_today: int
    returned_today: int
    due_today: int
    overdue: int  # domain.figures: past the statutory due date, clock running (apology or not)
    overdue_extended: int  # of which an apology slip's new appointment has not passed (figures: apology-extended)
    apology_needed: int  # open dossiers that need an apology slip now (see apology_candidates)
    ready_to_return: int
    waiting_supplement: int
    suspended: int
    month_resolved: int
    month_on_time: int

    @property
    def month_on_time_rate(self) -> float | None:
        return self.month_on_time / self.month_resolved if self.month_resolved else None


def dashboard(session: Session) -> Dashboard:
    """Today's counters for the clerk's first screen (each one an indexed query)."""
    now = session.clock()
    start, end = local_day_bounds(session)
    today = local_day(now, session.rules)
    month_start = local_day_bounds(session, today.replace(day=1))[0]

    def count(q) -> int:
        return q.count()

    # Counted in SQL (a busy month is ~8,000 rows to build as datetimes otherwise), with
    # reporting's rule for late: completed after the statutory due instant. Both columns
    # are stored in one text format, so text order is time order.
    month_resolved, month_late = (
        Dossier.select(fn.COUNT(Dossier.id), fn.TOTAL(Dossier.completed_at > Dossier.statutory_due_at))
        .where((Dossier.completed_at >= month_start) & (Dossier.completed_at < end)).tuples().get())
    # Today's closures read through the closed_at range and their state checked here:
    # with both conditions in SQL, SQLite picks the state index and walks every
    # returned dossier ever (1.4 s on a 1M store instead of < 1 ms).
    closed_today = (Dossier.select(Dossier.state)
                    .where((Dossier.closed_at >= start) & (Dossier.closed_at < end)).tuples())
    returned_today = sum(1 for (state,) in closed_today if state == State.RETURNED.value)
    return Dashboard(
        received_today=count(Dossier.select().where((Dossier.received_at >= start) & (Dossier.received_at < end))),
        returned_today=returned_today,
        due_today=count(Dossier.select().where(Dossier.state.in_(list(RUNNING_STATES)) & (Dossier.due_at >= now)
                                               & (Dossier.due_at < end))),
        overdue=count(Dossier.select().where(_overdue_condition(now))),
        overdue_extended=count(Dossier.select().where(_overdue_condition(now) & (Dossier.apology_count > 0)
                                                      & (Dossier.due_at >= now))),
        apology_needed=count(Dossier.select().where(_apology_condition(session))),
        ready_to_return=count(Dossier.select().where(Dossier.state == State.RESULT_READY.value)),
        waiting_supplement=count(Dossier.select().where(Dossier.state == State.SUPPLEMENT_REQUESTED.value)),
        suspended=count(Dossier.select().where(Dossier.state == State.SUSPENDED.value)),
        month_resolved=month_resolved,
        month_on_time=month_resolved - int(month_late),
    )


def _overdue_condition(now: datetime):
    # domain.figures.is_overdue in SQL: against the statutory due date, as the reports
    # and the province count it (an apology slip's new date does not make it on time).
    due = getattr(Dossier, figures.OVERDUE_AGAINST)
    return Dossier.state.in_(list(figures.CLOCK_RUNNING_STATES)) & (due < now)


def _apology_condition(session: Session):
    # domain.lateness.will_be_late in SQL: due today or tomorrow is not "late" (issue 9),
    # unless an officer has declared it will not be ready in time.
    # Correlated, through the partial index of late notices (migration 0008): only running
    # dossiers are looked at, and never an event row. The kind is written into the SQL,
    # not bound, because SQLite uses a partial index only for a literal it can match.
    declared = fn.EXISTS(Event.select(Event.dossier).where(
        (Event.dossier == Dossier.id) & (Event.kind == SQL(f"'{LATE_NOTICE}'"))))
    return (Dossier.state.in_(list(RUNNING_STATES)) & (Dossier.apology_count == 0)
            & ((Dossier.due_at < session.clock()) | declared))


def apology_candidates(session: Session, limit: int = 200) -> list[Dossier]:
    """Open dossiers that will be late, an apology slip due for each: past their due time
    (or declared not ready in time) without a result and none issued yet
    (``domain.lateness.will_be_late``)."""
    return list(Dossier.select(Dossier, Procedure).join(Procedure)
                .where(_apology_condition(session))
                .order_by(Dossier.due_at).limit(limit))


def call_list(session: Session, limit: int = 200) -> list[Dossier]:
    """Results ready to hand back, not yet phoned first, oldest first."""
    return list(Dossier.select(Dossier, Procedure).join(Procedure)
                .where(Dossier.state == State.RESULT_READY.value)
                .order_by(Dossier.called_at.is_null(False), Dossier.completed_at).limit(limit))


def iter_events_in_chain_order(batch: int = 5000) -> Iterator[Event]:
    last = 0
    while True:
        rows = list(Event.select(Event, Dossier.uid.alias("dossier_uid"), User.uid.alias("actor_uid"))
                    .join(Dossier, on=(Event.dossier == Dossier.id))
                    .switch(Event).join(User, JOIN.LEFT_OUTER, on=(Event.actor == User.id))
                    .where(Event.id > last).order_by(Event.id).limit(batch).objects())
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def stats() -> dict[str, int]:
    """Counts for comparison with the district's view."""
    return {
        "dossiers": Dossier.select().count(),
        "events": Event.select().count(),
        "open": Dossier.select().where(Dossier.state.in_(list(OPEN_STATES))).count(),
        "max_event_id": Event.select(fn.MAX(Event.id)).scalar() or 0,
    }
