"""Importing an office's existing spreadsheet register (sổ theo dõi hồ sơ), all or nothing.

Every row is checked first; one bad row means nothing is written and every bad
row is named. Good files go through the same intake and lifecycle services as
the desk (so each history is legal, hash-chained and in the outbox), inside one
transaction with the clock set to each row's own dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path

from ward_desk.domain.dates import parse_local_datetime
from ward_desk.domain.lifecycle import Action, State
from ward_desk.domain.validation import (
    clean_text,
    validate_id_number,
    validate_person_name,
    validate_phone,
)
from ward_desk.errors import WardDeskError
from ward_desk.services import dossiers
from ward_desk.services.catalogue import ImportFailed, RowError, map_headers, read_table
from ward_desk.services.dossiers import CHANNELS, IntakeRequest
from ward_desk.services.progress import ProgressCallback, Reporter
from ward_desk.services.session import Session
from ward_desk.services.tables import DEFAULT_LIMITS, TableLimits
from ward_desk.store.models import Dossier, Procedure

# Accepted headers (folded: accents and case do not matter).
REGISTER_HEADERS = {
    "code": ("code", "ma ho so", "so ho so", "ma"),
    "procedure": ("procedure", "procedure code", "ma thu tuc", "thu tuc"),
    "applicant_name": ("applicant name", "applicant_name", "ho ten", "ho va ten", "ten nguoi nop", "nguoi nop"),
    "id_number": ("id number", "id_number", "cccd", "so cccd", "so dinh danh", "cmnd", "so giay to"),
    "phone": ("phone", "dien thoai", "so dien thoai", "sdt"),
    "channel": ("channel", "hinh thuc", "hinh thuc nop", "kenh"),
    "received": ("received", "ngay nhan", "ngay tiep nhan", "thoi diem nhan"),
    "due": ("due", "hen tra", "ngay hen tra"),
    "result_ready": ("result ready", "result_ready", "ngay co ket qua", "co ket qua"),
    "returned": ("returned", "ngay tra", "ngay tra ket qua", "da tra"),
    "state": ("state", "trang thai", "tinh trang"),
}

CHANNEL_WORDS = {
    "direct": "direct", "truc tiep": "direct", "online": "online", "truc tuyen": "online",
    "postal": "postal", "buu chinh": "postal", "buu dien": "postal", "": "direct",
}
STATE_WORDS = {
    "received": State.RECEIVED, "da tiep nhan": State.RECEIVED, "moi tiep nhan": State.RECEIVED,
    "in_progress": State.IN_PROGRESS, "dang giai quyet": State.IN_PROGRESS, "dang xu ly": State.IN_PROGRESS,
    "result_ready": State.RESULT_READY, "co ket qua": State.RESULT_READY, "cho tra": State.RESULT_READY,
    "returned": State.RETURNED, "da tra": State.RETURNED, "da tra ket qua": State.RETURNED,
    "rejected": State.REJECTED, "tu choi": State.REJECTED,
    "withdrawn": State.WITHDRAWN, "rut ho so": State.WITHDRAWN, "dung": State.WITHDRAWN,
}


@dataclass
class RegisterRow:
    row: int
    request: IntakeRequest
    state: State
    due_at: datetime | None
    result_ready_at: datetime | None
    returned_at: datetime | None


def _when(text: str, row: int, column: str, errors: list[RowError]) -> datetime | None:
    if not text.strip():
        return None
    try:
        return parse_local_datetime(text, default_time=time(8, 0))
    except WardDeskError:
        errors.append(RowError(row, column, "import.bad_date", text))
        return None


def _shown(at: datetime) -> str:
    from ward_desk.domain.dates import format_datetime

    return format_datetime(at)


def parse_register(path: Path, known_codes: set[str], now: datetime, *, limits: TableLimits = DEFAULT_LIMITS,
                   reporter: Reporter | None = None) -> tuple[list[RegisterRow], list[RowError]]:
    """Check every row of a register file without writing anything.

    The file is read whole (within ``limits``) before any row is checked: a file past a
    limit is refused at once, not after its first 100,000 rows were checked."""
    from ward_desk.domain.text import fold

    def reading(done: int, total: int) -> None:
        if reporter is not None:  # reading is the first of the import's three steps
            reporter.total = 3 * max(total, 1)
            reporter.done = done
            reporter.advance(0)

    table = list(read_table(Path(path), limits, reading))
    if reporter is not None:
        reporter.total = 3 * max(len(table), 1)
        reporter.done = len(table)
    procedures = {p.code: p for p in Procedure.select()}
    good: list[RegisterRow] = []
    errors: list[RowError] = []
    seen: set[str] = set()
    for n, raw in table:
        if reporter is not None:
            reporter.advance()
        row = map_headers(raw, REGISTER_HEADERS)
        before = len(errors)
        code = row.get("code", "").strip()
        try:  # an old register's own code prints on every slip: the text rules apply
            code = clean_text("dossier_code", code)
        except WardDeskError as exc:
            errors.append(RowError(n, "code", "import.bad_value", exc.message.render()))
        if code and (code in known_codes or code in seen):
            errors.append(RowError(n, "code", "import.duplicate", code))
        proc_code = row.get("procedure", "").strip()
        if proc_code not in procedures:
            errors.append(RowError(n, "procedure", "import.bad_value",
                                   f"{proc_code or '∅'}: " + WardDeskError("catalogue.unknown_procedure",
                                                                           code=proc_code).message.render()))
        channel = CHANNEL_WORDS.get(fold(row.get("channel", "")))
        if channel not in CHANNELS:
            errors.append(RowError(n, "channel", "import.bad_value", row.get("channel", "")))
        state_text = fold(row.get("state", ""))
        received = _when(row.get("received", ""), n, "received", errors)
        if received is None and not any(e.row == n and e.column == "received" for e in errors):
            errors.append(RowError(n, "received", "import.required"))
        due = _when(row.get("due", ""), n, "due", errors)
        ready = _when(row.get("result_ready", ""), n, "result_ready", errors)
        returned = _when(row.get("returned", ""), n, "returned", errors)
        state = STATE_WORDS.get(state_text) if state_text else (
            State.RETURNED if returned else State.RESULT_READY if ready else State.RECEIVED)
        if state is None:
            errors.append(RowError(n, "state", "import.bad_state", row.get("state", "")))
        request = IntakeRequest(procedure_code=proc_code, applicant_name=row.get("applicant_name", ""),
                                id_number=row.get("id_number", ""), phone=row.get("phone", ""),
                                channel=channel or "direct", received_at=received, code=code or None)
        # Each applicant field is checked on its own, so one row shows every problem it has.
        for column, value, check in (
            ("applicant_name", request.applicant_name, validate_person_name),
            ("id_number", request.id_number, validate_id_number),
            ("phone", request.phone, validate_phone),
        ):
            if column != "applicant_name" and not value.strip():
                continue
            try:
                check(value)
            except WardDeskError as exc:
                errors.append(RowError(n, column, "import.bad_value", exc.message.render()))
        if state in (State.RESULT_READY, State.RETURNED) and ready is None:
            ready = returned or received
        if state is State.RETURNED and returned is None:
            returned = ready
        for column, at, earliest in (("due", due, received), ("result_ready", ready, received),
                                     ("returned", returned, ready)):
            if at is not None and earliest is not None and at < earliest:
                errors.append(RowError(n, column, "import.before", row.get(column, "") or _shown(at)))
        for column, at in (("received", received), ("result_ready", ready), ("returned", returned)):
            if at is not None and at > now:
                errors.append(RowError(n, column, "import.in_future", row.get(column, "") or _shown(at)))
        if len(errors) == before and state is not None:
            if code:
                seen.add(code)
            good.append(RegisterRow(n, request, state, due, ready, returned))
    return good, errors


def import_register(session: Session, path: Path, *, dry_run: bool = False, limits: TableLimits = DEFAULT_LIMITS,
                    progress: ProgressCallback | None = None) -> int:
    """Import every row of an existing register or none; return how many dossiers.

    ``progress(done, total)`` is told how far reading, checking and writing are."""
    reporter = Reporter(3, progress)
    known = {c for (c,) in Dossier.select(Dossier.code).tuples()}
    rows, errors = parse_register(Path(path), known, session.clock(), limits=limits, reporter=reporter)
    if errors:
        raise ImportFailed(errors)
    if dry_run:
        reporter.finish()
        return len(rows)
    original_clock = session.clock
    reason = "Nhập từ sổ theo dõi hồ sơ cũ"  # recorded data, kept in the office's language
    try:
        with session.store.db.atomic("IMMEDIATE"):
            for r in rows:
                assert r.request.received_at is not None
                at = r.request.received_at
                session.clock = lambda at=at: at  # each row's events carry its own dates
                r.request.due_at = r.due_at
                d = dossiers.intake(session, r.request)
                for action, when in _path_to(r):
                    session.clock = lambda when=when: when
                    dossiers.move(session, d.code, action, reason=reason)
                reporter.advance()
    finally:
        session.clock = original_clock
    reporter.finish()
    return len(rows)


def _path_to(r: RegisterRow) -> list[tuple[Action, datetime]]:
    """The legal sequence of actions that brings an imported dossier to its state."""
    received = r.request.received_at
    assert received is not None
    if r.state is State.IN_PROGRESS:
        return [(Action.FORWARD, received)]
    if r.state is State.RESULT_READY:
        return [(Action.MARK_RESULT_READY, r.result_ready_at or received)]
    if r.state is State.RETURNED:
        ready = r.result_ready_at or received
        return [(Action.MARK_RESULT_READY, ready), (Action.RETURN_RESULT, r.returned_at or ready)]
    if r.state is State.REJECTED:
        return [(Action.REJECT, received)]
    if r.state is State.WITHDRAWN:
        return [(Action.WITHDRAW, received)]
    return []
