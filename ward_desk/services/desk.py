"""The service root: one unlocked store, one signed-in user, and what they can do."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ward_desk.domain import lifecycle
from ward_desk.domain.calendar import CalendarOverride as Override
from ward_desk.domain.calendar import WorkingCalendar
from ward_desk.errors import InvalidInput
from ward_desk.services import dossiers
from ward_desk.services.dossiers import GENESIS_HASH, chain_hash, event_body, event_records
from ward_desk.services.session import Session, utc_now
from ward_desk.services.users import get_user, only_username
from ward_desk.store import database
from ward_desk.store.errors import StoreDamaged
from ward_desk.store.keys import KeyFile
from ward_desk.store.models import CalendarOverride, Dossier, Event, Office


def load_calendar() -> WorkingCalendar:
    """The office calendar: the holidays package plus local and upstream overrides."""
    overrides = [Override(o.day, o.kind, o.note) for o in CalendarOverride.select()]
    return WorkingCalendar(overrides)


def session_for(store: database.Store, username: str | None, clock=utc_now) -> Session:
    """A session for ``username`` (or the only user) on an already unlocked store."""
    name = username.strip().lower() if username else only_username()
    if name is None:
        raise InvalidInput("auth.user_required")
    user = get_user(name)
    office = Office.select().get()
    return Session(store=store, user=user, office=office, calendar=load_calendar(), clock=clock)


def open_session(data_dir: Path, username: str | None, password: str, clock=utc_now) -> Session:
    """Unlock the store with a user's password and sign that user in.

    With no ``username``, a store with a single user signs that user in; a store
    with several needs one named (``auth.user_required``).
    """
    if username is None:
        _, keys_path = database.locate(data_dir)
        keyfile = KeyFile.load(keys_path)
        slot = keyfile.sole_password_slot()
        if slot is None:
            raise InvalidInput("auth.user_required")
        key = keyfile._unlock_password_slot(slot, password)
        store = database.open_with_key(data_dir, key, keyfile)
    else:
        store = database.open_store(data_dir, username, password)
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


def verify(session: Session) -> VerifyReport:
    """Check the store end to end: SQLCipher page authentication, SQLite structure,
    the event hash chain, and every dossier's columns against the fold of its events."""
    from ward_desk.i18n import t

    report = VerifyReport()
    db = session.store.db
    cipher = db.execute_sql("PRAGMA cipher_integrity_check").fetchall()
    quick = db.execute_sql("PRAGMA quick_check").fetchone()
    if cipher or not quick or quick[0] != "ok":
        raise StoreDamaged("store.damaged", path=str(session.store.db_path))
    prev = GENESIS_HASH
    for e in dossiers.iter_events_in_chain_order():
        report.events += 1
        body = event_body(e, e.dossier_uid, e.actor_uid)
        if e.prev_hash != prev or chain_hash(body) != e.hash:
            report.problems.append(t("store.verify_chain_broken", event_id=e.id))
            break
        prev = e.hash
    # Fold each dossier's history, streaming events in dossier order.
    current_id, buffer = None, []

    def check(dossier_id: int, events: list[Event]) -> None:
        d = Dossier.get_by_id(dossier_id)
        records = [r for r in event_records(events) if r.kind != "note"]
        try:
            proj = lifecycle.fold(records)
        except Exception:
            report.problems.append(t("store.verify_projection", code=d.code, stored=d.state, folded="?"))
            return
        if proj.state.value != d.state or proj.due_at != d.due_at or proj.completed_at != d.completed_at:
            report.problems.append(t("store.verify_projection", code=d.code, stored=d.state, folded=proj.state.value))

    for e in Event.select().order_by(Event.dossier, Event.id).iterator():
        if e.dossier_id != current_id and buffer:
            check(current_id, buffer)
            report.dossiers += 1
            buffer = []
        current_id = e.dossier_id
        buffer.append(e)
    if buffer:
        check(current_id, buffer)
        report.dossiers += 1
    return report


def set_calendar_override(session: Session, day, kind: str, note: str = "", source: str = "local") -> None:
    if kind not in ("off", "work"):
        raise InvalidInput("calendar.bad_override_kind", kind=kind)
    with session.store.db.atomic():
        CalendarOverride.replace(day=day, kind=kind, note=note, source=source).execute()
    session.calendar = load_calendar()


