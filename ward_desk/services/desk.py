"""The service root: one unlocked store, one signed-in user, and what they can do."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import peewee

from ward_desk.domain import lifecycle
from ward_desk.domain.calendar import CalendarOverride as Override
from ward_desk.domain.calendar import WorkingCalendar
from ward_desk.domain.notices import (
    YearNotice,
    calendar_version,
    packaged_calendar,
    parse_year_notice,
    with_notices,
)
from ward_desk.domain.validation import clean_text
from ward_desk.errors import InvalidInput
from ward_desk.i18n import Message
from ward_desk.services.dossiers import GENESIS_HASH, chain_hash, event_record
from ward_desk.services.progress import ProgressCallback
from ward_desk.services.session import Session, utc_now
from ward_desk.services.users import get_user, only_username
from ward_desk.store import database
from ward_desk.store.errors import StoreDamaged
from ward_desk.store.keys import KeyFile
from ward_desk.store.models import CalendarOverride, Office, ReferenceData


def calendar_notices() -> list[YearNotice]:
    """The year notices upstream published through the downlink, oldest first (a later
    notice of a year replaces an earlier one). Each was validated when received."""
    out: list[YearNotice] = []
    rows = (ReferenceData.select(ReferenceData.body).where(ReferenceData.kind == "calendar")
            .order_by(ReferenceData.id))
    for row in rows:
        try:
            body = json.loads(row.body)
            if isinstance(body, dict) and "notice" in body:
                out.append(parse_year_notice(body["notice"]))
        except (ValueError, InvalidInput):
            continue  # kept for audit; it could not apply when received either
    return out


def load_calendar(data_dir: Path) -> WorkingCalendar:
    """The office calendar: upstream's year notices, over the shipped notice file and the
    holidays package (both through their cache in ``data_dir``), plus local and upstream
    day overrides; named by its version (recorded on each dossier it dates)."""
    from ward_desk.services.national_calendar import CACHE_FILE, CachedNationalCalendar

    overrides = [Override(o.day, o.kind, o.note) for o in CalendarOverride.select()]
    notices = calendar_notices()
    national = with_notices(CachedNationalCalendar(Path(data_dir) / CACHE_FILE), notices)
    version = calendar_version(packaged_calendar().version, notices, overrides)
    return WorkingCalendar(overrides, national=national, version=version)


COUNTER_ENV = "WARD_DESK_COUNTER"


def desk_counter(data_dir: Path, given: str | None = None) -> str:
    """The counter (quầy) of this desk session: ``given`` (``--counter``), else
    ``WARD_DESK_COUNTER``, else ``counter`` in the data folder's config.toml, else "".
    Cleaned like any stored text; bad text is refused (``validation.text.*``)."""
    from ward_desk.config import load_settings

    value = given if given is not None else os.environ.get(COUNTER_ENV)
    if value is None:
        try:
            value = load_settings(data_dir).counter
        except InvalidInput:
            value = ""  # an unusable config.toml is reported where the desk opens; no counter then
    return clean_text("counter", value)


def session_for(store: database.Store, username: str | None, clock=utc_now, *, counter: str | None = None
                ) -> Session:
    """A session for ``username`` (or the only user) on an already unlocked store, at
    ``counter`` (default: :func:`desk_counter`)."""
    name = username.strip().lower() if username else only_username()
    if name is None:
        raise InvalidInput("auth.user_required")
    user = get_user(name)
    office = Office.select().get()
    return Session(store=store, user=user, office=office, calendar=load_calendar(store.data_dir), clock=clock,
                   counter=desk_counter(store.data_dir, counter))


def upgrade_notice(found: int, target: int, size_bytes: int) -> Message:
    """What to tell the user before a schema upgrade and its backup start."""
    return Message("store.upgrading", {"found": found, "target": target,
                                       "size_mb": max(1, round(size_bytes / 1e6))})


def open_session(data_dir: Path, username: str | None, password: str, clock=utc_now, *, migrate: bool = True,
                 on_upgrade: database.UpgradeNotice | None = None) -> Session:
    """Unlock the store with a user's password and sign that user in.

    With no ``username``, a store with a single user signs that user in; a store
    with several needs one named (``auth.user_required``). ``on_upgrade`` is told
    before a schema upgrade (and its backup) starts; ``migrate=False`` opens an
    older store as it is (to replace it by a restore, say). Repeated wrong passwords
    make the user wait, longer each time (``services.unlock_guard``).
    """
    from ward_desk.services import unlock_guard

    return unlock_guard.guarded(data_dir, username, clock(), lambda: _open_session(
        data_dir, username, password, clock, migrate=migrate, on_upgrade=on_upgrade))


def _open_session(data_dir: Path, username: str | None, password: str, clock, *, migrate: bool,
                  on_upgrade: database.UpgradeNotice | None) -> Session:
    if username is None:
        _, keys_path = database.locate(data_dir)
        keyfile = KeyFile.load(keys_path)
        key = keyfile.unlock(None, password)
        store = database.open_with_key(data_dir, key, keyfile, migrate=migrate, on_upgrade=on_upgrade)
    else:
        store = database.open_store(data_dir, username, password, migrate=migrate, on_upgrade=on_upgrade)
    try:
        return session_for(store, username, clock)
    except BaseException:
        store.close()
        raise


@dataclass
class VerifyReport:
    events: int = 0
    dossiers: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _when(value: str | None) -> datetime | None:
    # Stored as str(datetime) ("YYYY-MM-DD HH:MM:SS[.ffffff]"), what peewee reads back too.
    return datetime.fromisoformat(value) if value else None


def verify(session: Session, *, batch: int = 20000, progress: ProgressCallback | None = None,
           cancel: threading.Event | None = None) -> VerifyReport:
    """Check the store end to end: SQLCipher page authentication, SQLite structure,
    the event hash chain, and every dossier's columns against the fold of its events.

    Two streaming passes of plain SQL, no per-row look-ups: events in id order (the
    chain, joined to their dossier's uid), then dossiers in id order merged with
    their events in (dossier, id) order (the projections). ``progress(done, total)`` is
    told (events, then dossiers) at most every 0.25 s; setting ``cancel`` stops it
    (``progress.Cancelled``)."""
    from ward_desk.i18n import t
    from ward_desk.services.progress import Reporter

    report = VerifyReport()
    db = session.store.db
    try:
        cipher = db.execute_sql("PRAGMA cipher_integrity_check").fetchall()
        quick = db.execute_sql("PRAGMA quick_check").fetchone()
    except peewee.DatabaseError:
        # The checks themselves could not read the file (e.g. "vtable constructor failed"
        # when the page of a virtual table's schema is overwritten): that is damage too.
        raise StoreDamaged("store.damaged", path=str(session.store.db_path)) from None
    if cipher or not quick or quick[0] != "ok":
        raise StoreDamaged("store.damaged", path=str(session.store.db_path))
    users = dict(db.execute_sql('SELECT "id", "uid" FROM "user"').fetchall())
    total = sum(db.execute_sql(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] for table in ("event", "dossier"))
    reporter = Reporter(total, progress, cancel)
    prev = GENESIS_HASH
    last = 0
    broken = False
    while not broken:
        rows = db.execute_sql(
            'SELECT e."id", e."uid", d."uid", e."at", e."actor_id", e."kind", e."action", e."from_state", '
            'e."to_state", e."due_at", e."reason", e."legal_basis", e."data", e."prev_hash", e."hash", e."counter" '
            'FROM "event" e JOIN "dossier" d ON d."id" = e."dossier_id" WHERE e."id" > ? ORDER BY e."id" LIMIT ?',
            (last, batch)).fetchall()
        if not rows:
            break
        for (eid, uid, dossier_uid, at, actor, kind, action, from_state, to_state, due_at, reason, legal_basis,
             data, prev_hash, digest, counter) in rows:
            report.events += 1
            body = {"uid": uid, "dossier": dossier_uid, "at": _when(at), "actor": users.get(actor), "kind": kind,
                    "action": action, "from_state": from_state, "to_state": to_state, "due_at": _when(due_at),
                    "reason": reason, "legal_basis": legal_basis, "data": json.loads(data), "prev_hash": prev_hash}
            if counter:
                body["counter"] = counter
            if prev_hash != prev or chain_hash(body) != digest:
                report.problems.append(t("store.verify_chain_broken", event_id=eid))
                broken = True
                break
            prev = digest
        last = rows[-1][0]
        reporter.advance(len(rows))

    def check(code: str, state: str, due_at: str | None, completed_at: str | None, records: list) -> None:
        try:
            proj = lifecycle.fold([r for r in records if r.kind != "note"])
        except Exception:
            report.problems.append(t("store.verify_projection", code=code, stored=state, folded="?"))
            return
        if proj.state.value != state or proj.due_at != _when(due_at) or proj.completed_at != _when(completed_at):
            report.problems.append(t("store.verify_projection", code=code, stored=state, folded=proj.state.value))

    # Dossiers in id order, merged with their events (read through the dossier_id index).
    events = db.cursor()
    events.execute('SELECT "dossier_id", "at", "kind", "action", "from_state", "to_state", "due_at", "data" '
                   'FROM "event" ORDER BY "dossier_id", "id"')
    pending = events.fetchone()
    dossier_rows = db.cursor()
    dossier_rows.execute('SELECT "id", "code", "state", "due_at", "completed_at" FROM "dossier" ORDER BY "id"')
    for dossier_id, code, state, due_at, completed_at in dossier_rows:
        while pending is not None and pending[0] < dossier_id:  # events of a missing dossier: the FK forbids it
            pending = events.fetchone()
        records = []
        while pending is not None and pending[0] == dossier_id:
            records.append(event_record(_when(pending[1]), pending[2], pending[3], pending[4], pending[5],
                                        _when(pending[6]), pending[7]))
            pending = events.fetchone()
        if records:
            report.dossiers += 1
            check(code, state, due_at, completed_at, records)
        reporter.advance()
    reporter.finish()
    return report


def set_calendar_override(session: Session, day, kind: str, note: str = "", source: str = "local") -> None:
    if kind not in ("off", "work"):
        raise InvalidInput("calendar.bad_override_kind", kind=kind)
    note = clean_text("calendar_note", note)
    with session.store.db.atomic():
        CalendarOverride.replace(day=day, kind=kind, note=note, source=source).execute()
    session.calendar = load_calendar(session.store.data_dir)


