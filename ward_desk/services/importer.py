"""Importing an office's existing spreadsheet register (sổ theo dõi hồ sơ), all or nothing.

The register is taken as wards keep it: the tracking book (form 07 of Circular
03/2025/TT-VPCP) kept in Excel, with titles above a header of one or two rows and a
row of column numbers under it, or an export of the provincial system; procedures
given by code or by name, dates with or without a time, state words as clerks write
them. Every row is checked first; one bad row means nothing is written and every bad
row is named. Good files go through the same intake and lifecycle services as the
desk (so each history is legal, hash-chained and in the outbox), inside one
transaction with the clock set to each row's own dates.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path

from ward_desk.domain.dates import format_datetime, parse_date, parse_local_datetime
from ward_desk.domain.lifecycle import Action, State
from ward_desk.domain.text import fold
from ward_desk.domain.timing import local_day, to_utc
from ward_desk.domain.validation import (
    clean_text,
    validate_id_number,
    validate_person_name,
    validate_phone,
)
from ward_desk.errors import InvalidInput, NotFound, RuleViolation, WardDeskError
from ward_desk.services import dossiers
from ward_desk.services.catalogue import ImportFailed, RowError
from ward_desk.services.dossiers import CHANNELS, IntakeRequest
from ward_desk.services.progress import ProgressCallback, Reporter
from ward_desk.services.session import Session
from ward_desk.services.tables import (
    DEFAULT_LIMITS,
    HEADER_SEARCH,
    Row,
    TableLimits,
    read_sheets,
    write_error_book,
    write_error_file,
)
from ward_desk.store.models import Dossier, Procedure


def normal(text: str) -> str:
    """A heading or a word as compared: accents, case, punctuation and any "(...)"
    qualifier dropped ("Nhận hồ sơ (ngày, tháng, năm)" → "nhan ho so")."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", re.sub(r"\([^)]*\)", " ", fold(text))).split())


# Accepted headings by what they mean (compared through normal()). Form 07's own, the
# provincial system's export's, and the names this software's earlier versions took.
REGISTER_HEADERS: dict[str, tuple[str, ...]] = {
    "serial": ("stt", "tt", "so thu tu", "so tt"),
    "code": ("code", "ma ho so", "so ho so", "ma", "so bien nhan", "ma so ho so"),
    "procedure": ("procedure", "procedure code", "ma thu tuc", "ma tthc"),
    "procedure_name": ("procedure name", "thu tuc", "ten thu tuc", "ten thu tuc hanh chinh", "ten tthc",
                       "thu tuc hanh chinh", "tthc"),
    "applicant_name": ("applicant name", "ho ten", "ho va ten", "ten nguoi nop", "nguoi nop", "ten ca nhan to chuc",
                       "ca nhan to chuc", "to chuc ca nhan", "chu ho so", "nguoi nop ho so", "ten nguoi nop ho so",
                       "nguoi dung ten"),
    "id_number": ("id number", "cccd", "so cccd", "so dinh danh", "cmnd", "so giay to", "so cmnd cccd",
                  "so dinh danh ca nhan", "giay to tuy than"),
    "phone": ("phone", "dien thoai", "so dien thoai", "sdt", "so dt"),
    "address": ("address", "dia chi", "dia chi nguoi nop", "noi cu tru"),
    "address_phone": ("dia chi so dien thoai", "dia chi dien thoai", "dia chi sdt"),
    "channel": ("channel", "hinh thuc", "hinh thuc nop", "kenh", "kenh nop", "hinh thuc tiep nhan", "nguon ho so"),
    "received": ("received", "ngay nhan", "ngay tiep nhan", "thoi diem nhan", "nhan ho so", "ngay nhan ho so",
                 "thoi gian tiep nhan", "ngay gio tiep nhan", "ngay tiep nhan ho so"),
    "due": ("due", "hen tra", "ngay hen tra", "hen tra ket qua", "ngay hen tra ket qua", "han xu ly",
            "han giai quyet", "ngay hen", "thoi han tra ket qua"),
    "forwarded": ("forwarded", "chuyen ho so den co quan giai quyet", "ngay chuyen", "ngay chuyen xu ly",
                  "chuyen xu ly"),
    "result_ready": ("result ready", "ngay co ket qua", "co ket qua", "nhan ket qua tu co quan giai quyet",
                     "ngay ket thuc xu ly", "ngay hoan thanh", "ngay xu ly xong", "ngay giai quyet xong"),
    "returned": ("returned", "ngay tra", "ngay tra ket qua", "da tra", "tra ket qua cho ca nhan to chuc",
                 "tra ket qua", "ngay tra kq"),
    "state": ("state", "trang thai", "tinh trang", "tinh trang xu ly", "trang thai ho so", "trang thai xu ly"),
    "note": ("note", "ghi chu"),
}
_ALIAS = {alias: name for name, aliases in REGISTER_HEADERS.items() for alias in aliases}
# Under a group heading of form 07: the step's date, or the signature (never data).
DATE_SUBS = frozenset({"ngay thang nam", "ngay thang", "ngay", "ngay gio", "thoi gian", "thoi diem"})
SIGN_SUBS = frozenset({"ky nhan", "ky ten", "chu ky", "ky ghi ro ho ten"})
_NUMBER_CELL = re.compile(r"^\(?\d{1,3}\)?$")
_PHONE_IN_TEXT = re.compile(r"(?:\+84|0084|0)(?:[ .-]?\d){8,10}")
# A row with none of these is not a dossier (a signature line, a total, a page note).
_ESSENTIAL = ("code", "applicant_name", "received")

CHANNEL_WORDS = {
    "direct": "direct", "truc tiep": "direct", "tai quay": "direct", "tiep nhan truc tiep": "direct",
    "online": "online", "truc tuyen": "online", "dich vu cong truc tuyen": "online", "dvc truc tuyen": "online",
    "qua mang": "online", "postal": "postal", "buu chinh": "postal", "buu dien": "postal",
    "buu chinh cong ich": "postal", "qua buu chinh": "postal",
    "qua dich vu buu chinh cong ich": "postal", "dich vu buu chinh cong ich": "postal", "qua bcci": "postal", "bcci": "postal", "": "direct",
}
CHANNEL_WORDS = {normal(k): v for k, v in CHANNEL_WORDS.items()}
STATE_WORDS = {normal(k): v for k, v in {
    "received": State.RECEIVED, "đã tiếp nhận": State.RECEIVED, "mới tiếp nhận": State.RECEIVED,
    "tiếp nhận": State.RECEIVED, "chờ xử lý": State.RECEIVED, "mới": State.RECEIVED,
    "in_progress": State.IN_PROGRESS, "đang giải quyết": State.IN_PROGRESS, "đang xử lý": State.IN_PROGRESS,
    "đang thụ lý": State.IN_PROGRESS, "đã chuyển xử lý": State.IN_PROGRESS, "chuyển xử lý": State.IN_PROGRESS,
    "result_ready": State.RESULT_READY, "có kết quả": State.RESULT_READY, "chờ trả": State.RESULT_READY,
    "chờ trả kết quả": State.RESULT_READY, "đã có kết quả": State.RESULT_READY, "đã giải quyết": State.RESULT_READY,
    "đã xử lý xong": State.RESULT_READY,
    "returned": State.RETURNED, "đã trả": State.RETURNED, "đã trả kết quả": State.RETURNED,
    "trả kết quả": State.RETURNED, "đã trả kq": State.RETURNED,
    "supplement_requested": State.SUPPLEMENT_REQUESTED, "chờ bổ sung": State.SUPPLEMENT_REQUESTED,
    "chờ bổ sung hồ sơ": State.SUPPLEMENT_REQUESTED, "yêu cầu bổ sung": State.SUPPLEMENT_REQUESTED,
    "đang bổ sung": State.SUPPLEMENT_REQUESTED,
    "suspended": State.SUSPENDED, "tạm dừng": State.SUSPENDED, "tạm dừng giải quyết": State.SUSPENDED,
    "rejected": State.REJECTED, "từ chối giải quyết": State.REJECTED, "từ chối": State.REJECTED, "đã từ chối": State.REJECTED, "trả lại": State.REJECTED,
    "trả lại/từ chối": State.REJECTED, "từ chối/trả lại": State.REJECTED, "trả lại hồ sơ": State.REJECTED,
    "không giải quyết": State.REJECTED,
    "withdrawn": State.WITHDRAWN, "rút hồ sơ": State.WITHDRAWN, "đã rút": State.WITHDRAWN,
    "công dân rút hồ sơ": State.WITHDRAWN, "dừng": State.WITHDRAWN, "dừng giải quyết": State.WITHDRAWN,
    "dừng xử lý": State.WITHDRAWN, "đã rút / dừng giải quyết": State.WITHDRAWN, "rút / dừng": State.WITHDRAWN,
}.items()}


@dataclass
class When:
    """A date read from a cell: the instant used, and whether only a day was written."""

    at: datetime  # naive UTC
    day_only: bool

    @property
    def day(self) -> date:
        return local_day(self.at)


@dataclass
class RegisterRow:
    row: int
    request: IntakeRequest
    state: State
    due_at: datetime | None
    result_ready_at: datetime | None
    returned_at: datetime | None
    forwarded_at: datetime | None = None
    sheet: str = ""


@dataclass
class Layout:
    """Where a register's columns are: field → column index, with the heading shown."""

    columns: dict[str, int]
    headings: dict[str, str]
    data_from: int  # index in the rows list of the first row under the header
    header_rows: int = 1
    header_at: int = 1  # the header's row number, as the sheet shows it
    notes: list[str] = field(default_factory=list)

    def get(self, cells: list[str], name: str) -> str:
        i = self.columns.get(name)
        return cells[i].strip() if i is not None and i < len(cells) else ""


def _match(heading: str) -> str | None:
    return _ALIAS.get(normal(heading))


def _layout_of(rows: list[Row], i: int) -> Layout:
    """The layout if row ``i`` is the header (with row ``i + 1`` under it when that one
    holds only "Ngày, tháng, năm" / "Ký nhận" sub-headings)."""
    top = rows[i][1]
    below = rows[i + 1][1] if i + 1 < len(rows) else []
    two = bool(below) and all(normal(c) in DATE_SUBS | SIGN_SUBS for c in below if c) and any(below)
    columns: dict[str, int] = {}
    headings: dict[str, str] = {}
    group = ""
    for j in range(max(len(top), len(below) if two else 0)):
        head = top[j] if j < len(top) else ""
        sub = below[j] if two and j < len(below) else ""
        group = head or (group if sub else "")
        name = _match(f"{group} {sub}") if sub else None
        if name is None:
            if normal(sub) in SIGN_SUBS:
                continue
            name = _match(group) if (not sub or normal(sub) in DATE_SUBS) else None
        if name is not None and name not in columns:
            columns[name] = j
            headings[name] = f"{group} / {sub}" if sub else group
    data_from = i + (2 if two else 1)
    if data_from < len(rows):  # the row of column numbers under a printed form's header
        cells = [c for c in rows[data_from][1] if c]
        if len(cells) >= 3 and all(_NUMBER_CELL.match(c) for c in cells):
            data_from += 1
    return Layout(columns, headings, data_from, 2 if two else 1, rows[i][0])


def find_layout(rows: list[Row], path: Path) -> Layout:
    """The header among the first rows: the one that names the most known columns."""
    best: Layout | None = None
    for i in range(min(len(rows), HEADER_SEARCH)):
        layout = _layout_of(rows, i)
        if best is None or len(layout.columns) > len(best.columns):
            best = layout
    if best is None or len(set(best.columns) - {"serial", "note"}) < 2:
        raise InvalidInput("import.no_header", path=str(path))
    if "procedure" not in best.columns and "procedure_name" not in best.columns:
        raise InvalidInput("import.no_column", path=str(path), column="procedure")
    if "received" not in best.columns:
        raise InvalidInput("import.no_column", path=str(path), column="received")
    return best


class _Catalogue:
    """Procedures found by code, or by name (accents, case and spacing do not matter)."""

    def __init__(self) -> None:
        self.by_code = {p.code: p for p in Procedure.select()}
        self.by_name: dict[str, list[Procedure]] = {}
        for p in self.by_code.values():
            self.by_name.setdefault(normal(p.name), []).append(p)

    def find(self, code: str, name: str) -> tuple[Procedure | None, str, str]:
        """(procedure, message id, value) — the procedure, or why there is none."""
        if code:
            p = self.by_code.get(code) or self.by_code.get(code.upper())
            if p is not None:
                return p, "", ""
            if not name:
                return None, "import.bad_value", f"{code}: " + WardDeskError(
                    "catalogue.unknown_procedure", code=code).message.render()
        if not name:
            return None, "import.required", ""
        if name in self.by_code:  # a code in the name column
            return self.by_code[name], "", ""
        found = self.by_name.get(normal(name), [])
        if len(found) == 1:
            return found[0], "", ""
        if found:
            return None, "import.ambiguous_procedure", f"{name} → " + ", ".join(
                f"{p.code} ({p.field})" for p in sorted(found, key=lambda p: p.code))
        close = difflib.get_close_matches(normal(name), list(self.by_name), n=3, cutoff=0.85)
        if close:  # suggested, never taken: a near name may be another procedure
            hint = " / ".join(f"«{p.name}» ({p.code})" for key in close for p in self.by_name[key])
            return None, "import.procedure_misspelt", f"«{name}» → {hint}"
        return None, "import.unknown_procedure_name", f"«{name}»"


def _when(text: str, row: int, column: str, errors: list[RowError], heading: str, *, opening: time,
          closing: time, now: datetime) -> When | None:
    """A cell's date. A day without a time means the office's day: received at opening,
    due or done at closing (never midnight, which made every same-day row "due before
    received"); a day that is today is not later than now."""
    if not text.strip():
        return None
    text = _usual_datetime(text)
    try:
        day = parse_date(text)
    except WardDeskError:
        try:
            return When(parse_local_datetime(text, default_time=time(8, 0)), False)
        except WardDeskError:
            errors.append(RowError(row, column, "import.bad_date", text, heading))
            return None
    at = to_utc(datetime.combine(day, opening if column == "received" else closing))
    if column != "due" and local_day(now) == day:  # a step done today was done by now; a due date is not a step
        at = min(at, now)
    return When(at, True)


_SECONDS = re.compile(r"^(\s*\d{1,2}[/.-]\d{1,2}[/.-]\d{4}[ T]+\d{1,2}[:hg]\d{2}):\d{2}(?:\.\d+)?\s*$")
_TIME_FIRST = re.compile(r"^\s*(\d{1,2}[:hg]\d{2})(?::\d{2})?[ ,]+(?:ngay\s+|ngày\s+)?(\d{1,2}[/.-]\d{1,2}[/.-]\d{4})\s*$",
                         re.IGNORECASE)


def _usual_datetime(text: str) -> str:
    """The provincial system's ways of writing a moment, as ``dd/mm/yyyy HH:MM``:
    with seconds, or the time first ("08:30 02/03/2026", "08:30 ngày 02/03/2026")."""
    m = _SECONDS.match(text)
    if m:
        return m.group(1)
    m = _TIME_FIRST.match(text)
    return f"{m.group(2)} {m.group(1)}" if m else text


def _digits_back(value: str, check, widths: tuple[tuple[int, int], ...]) -> str:
    """``value`` as typed if ``check`` takes it; else, if it is all digits of a length
    Excel leaves when a number cell drops its leading zeros, padded back to the width
    (``widths``: (length found, width)) when ``check`` takes that. Never a guess that fails."""
    raw = value.strip().replace(" ", "")
    try:
        check(value)
        return value
    except WardDeskError:
        for found, width in widths:
            if raw.isdigit() and len(raw) == found:
                try:
                    check(raw.zfill(width))
                    return raw.zfill(width)
                except WardDeskError:
                    pass
    return value


def _in_order(earlier: When | None, later: When | None) -> bool:
    """``later`` is not before ``earlier``; by day when either was written as a day only."""
    if earlier is None or later is None:
        return True
    if earlier.day_only or later.day_only:
        return earlier.day <= later.day
    return earlier.at <= later.at


def _settle(earlier: When | None, later: When | None) -> None:
    """Make a day-only instant fit the other step on the same day (the book's order holds)."""
    if earlier is None or later is None or earlier.at <= later.at:
        return
    if earlier.day_only:
        earlier.at = later.at
    else:
        later.at = earlier.at


def read_register(path: Path, limits: TableLimits = DEFAULT_LIMITS,
                  reading: ProgressCallback | None = None) -> list[tuple[str, list[Row], Layout]]:
    """The register's sheets (within ``limits``): ``(sheet name, rows, layout)`` for each
    sheet with a register's header (a CSV, or a book of one sheet: one, named ""). Other
    sheets (a summary, a chart's data) are left out; with none, the first sheet's refusal."""
    out: list[tuple[str, list[Row], Layout]] = []
    refusal: InvalidInput | None = None
    for name, rows in read_sheets(Path(path), limits, reading):
        if not rows:
            continue
        try:
            out.append((name, rows, find_layout(rows, Path(path))))
        except InvalidInput as exc:
            refusal = refusal or exc
    if not out:
        raise refusal or InvalidInput("import.empty", path=str(path))
    return out


def error_file_for(path: Path) -> Path:
    """Where the error file of an import of ``path`` goes: beside it, ``<name>.errors.xlsx``."""
    return Path(path).with_name(Path(path).stem + ".errors.xlsx")


def write_register_errors(path: Path, errors: list[RowError], out: Path, *,
                          limits: TableLimits = DEFAULT_LIMITS) -> int:
    """The error file of a refused register (:func:`ward_desk.services.tables.write_error_file`):
    the original rows, each with its messages beside it, in the office's language."""
    from ward_desk.i18n import t

    sheets = [(name, rows, layout.header_at, _messages([e for e in errors if e.sheet == name]))
              for name, rows, layout in read_register(path, limits)]
    return write_error_book(Path(out), sheets, t("import.error_column"))


def _messages(errors: list[RowError]) -> dict[int, str]:
    """Each row's messages in one cell, in the office's language."""
    from ward_desk.i18n import t

    by_row: dict[int, list[str]] = {}
    for e in errors:
        by_row.setdefault(e.row, []).append(f"{error_column(e)}: {t(e.message_id, value=e.value)}")
    return {n: "; ".join(m) for n, m in by_row.items()}


def write_row_errors(path: Path, errors: list[RowError], out: Path, *, header_row: int | None = None,
                     limits: TableLimits = DEFAULT_LIMITS) -> int:
    """The error file of any refused table (a register, a procedure list): each row's
    messages, in the office's language, beside it; ``header_row`` None: the first row."""
    from ward_desk.i18n import t

    return write_error_file(Path(path), _messages(errors), Path(out), header_row=header_row,
                            heading=t("import.error_column"), limits=limits)


def error_column(e: RowError) -> str:
    """A row error's column as shown: its name, and the file's own heading when that differs."""
    return f"{e.column} ({e.heading})" if e.heading and normal(e.heading) != normal(e.column) else e.column


def parse_register(path: Path, known_codes: set[str], now: datetime, *, limits: TableLimits = DEFAULT_LIMITS,
                   reporter: Reporter | None = None, session: Session | None = None,
                   ) -> tuple[list[RegisterRow], list[RowError]]:
    """Check every row of a register file without writing anything.

    The file is read whole (within ``limits``) before any row is checked: a file past a
    limit is refused at once, not after its first 100,000 rows were checked."""

    def reading(done: int, total: int) -> None:
        if reporter is not None:  # reading is the first of the import's three steps
            reporter.total = 3 * max(total, 1)
            reporter.done = done
            reporter.advance(0)

    sheets = read_register(path, limits, reading)
    count = sum(len(rows) - layout.data_from for _, rows, layout in sheets)
    if reporter is not None:
        reporter.total = 3 * max(count, 1)
        reporter.done = count
    hours = session.calendar.hours if session is not None else None
    opening = hours.opening if hours is not None else time(7, 30)
    closing = hours.closing if hours is not None else time(17, 0)
    catalogue = _Catalogue()
    good: list[RegisterRow] = []
    errors: list[RowError] = []
    taken = set(known_codes)  # grows with the file's own codes (one set: a union per row was quadratic)
    for sheet, rows, layout in sheets:
        for n, cells in rows[layout.data_from:]:
            if reporter is not None:
                reporter.advance()
            row = {name: layout.get(cells, name) for name in layout.columns}
            if not any(row.get(k) for k in _ESSENTIAL) or _not_a_dossier(row):
                continue
            before = len(errors)
            good_row = _parse_row(n, row, layout, catalogue, taken, now, opening, closing, errors, sheet)
            if sheet:  # every error of the row, the date ones too, names its sheet
                errors[before:] = [replace(e, sheet=sheet) for e in errors[before:]]
            if good_row is not None:
                if good_row.request.code:
                    taken.add(good_row.request.code)
                good.append(good_row)
    return good, errors


def _not_a_dossier(row: dict[str, str]) -> bool:
    """A book kept month after month repeats its header under each month's title: a row
    of headings (two or more cells naming their own column), of "Ngày, tháng, năm" /
    "Ký nhận", or of column numbers is not a dossier."""
    cells = [v for v in row.values() if v]
    if sum(1 for name, v in row.items() if v and _match(v) == name) >= 2:
        return True
    if all(normal(c) in DATE_SUBS | SIGN_SUBS for c in cells):
        return True
    return len(cells) >= 3 and all(_NUMBER_CELL.match(c) for c in cells)


def _parse_row(n: int, row: dict[str, str], layout: Layout, catalogue: _Catalogue, taken: set[str], now: datetime,
               opening: time, closing: time, errors: list[RowError], sheet: str = "") -> RegisterRow | None:
    before = len(errors)

    def err(column: str, message_id: str, value: str = "") -> None:
        errors.append(RowError(n, column, message_id, value, layout.headings.get(column, ""), sheet))

    code = row.get("code", "")
    try:  # an old register's own code prints on every slip: the text rules apply
        code = clean_text("dossier_code", code)
    except WardDeskError as exc:
        err("code", "import.bad_value", exc.message.render())
    if code and code in taken:
        err("code", "import.duplicate", code)
    procedure, problem, value = catalogue.find(row.get("procedure", ""), row.get("procedure_name", ""))
    if procedure is None:
        err("procedure", problem, value)
    elif not procedure.active:  # intake refuses it; named here with its row, not at the write
        err("procedure", "import.bad_value", WardDeskError("dossier.procedure_inactive",
                                                           code=procedure.code).message.render())
    channel = CHANNEL_WORDS.get(normal(row.get("channel", "")))
    if channel not in CHANNELS:
        err("channel", "import.bad_value", row.get("channel", ""))
    phone = row.get("phone", "")
    address = row.get("address", "")
    if "address_phone" in row and not phone:  # form 07 keeps them in one cell: "Khu phố 1; 0912 345 678"
        both = row["address_phone"]
        found = _PHONE_IN_TEXT.search(both)
        phone = found.group(0) if found else ""
        rest = both.replace(phone, " ") if found else both
        address = address or " ".join(rest.split()).strip(" ,;-–/")
    try:
        address = clean_text("address", address)
    except WardDeskError as exc:
        err("address", "import.bad_value", exc.message.render())
        address = ""

    def when(column: str) -> When | None:
        return _when(row.get(column, ""), n, column, errors, layout.headings.get(column, ""), opening=opening,
                     closing=closing, now=now)

    received, due, forwarded = when("received"), when("due"), when("forwarded")
    ready, returned = when("result_ready"), when("returned")
    if received is None and not any(e.row == n and e.column == "received" for e in errors[before:]):
        err("received", "import.required")
    state_text = normal(row.get("state", ""))
    note_state = STATE_WORDS.get(normal(row.get("note", "")))
    if state_text:
        state = STATE_WORDS.get(state_text)
        if state is None:
            err("state", "import.bad_state", row.get("state", ""))
    else:  # form 07 has no state column: the dates say it, or a state word in "Ghi chú"
        state = note_state or (State.RETURNED if returned else State.RESULT_READY if ready else
                               State.IN_PROGRESS if forwarded else State.RECEIVED)
    # CCCD: 12 digits, a province code 001-096 first (so 10 or 11 left in a number cell);
    # CMND: 9 digits (8); a mobile 10 (9), a landline 11 (10).
    id_number = _digits_back(row.get("id_number", ""), validate_id_number, ((10, 12), (11, 12), (8, 9)))
    phone = _digits_back(phone, validate_phone, ((9, 10), (10, 11))) if phone else phone
    request = IntakeRequest(procedure_code=procedure.code if procedure else "", address=address,
                            applicant_name=row.get("applicant_name", ""), id_number=id_number,
                            phone=phone, channel=channel or "direct",
                            received_at=received.at if received else None, code=code or None)
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
            err(column if column != "phone" or "phone" in layout.columns else "address_phone", "import.bad_value",
                exc.message.render())
    if state in (State.RESULT_READY, State.RETURNED) and ready is None:
        ready = returned or (received and When(received.at, received.day_only))
    if state is State.RETURNED and returned is None and ready is not None:
        returned = When(ready.at, ready.day_only)
    for column, at, earliest in (("due", due, received), ("forwarded", forwarded, received),
                                 ("result_ready", ready, forwarded or received), ("returned", returned, ready)):
        if not _in_order(earliest, at):
            err(column, "import.before", row.get(column, "") or format_datetime(at.at if at else None))
    for column, at in (("received", received), ("forwarded", forwarded), ("result_ready", ready),
                       ("returned", returned)):
        if at is not None and at.at > now:
            err(column, "import.in_future", row.get(column, "") or format_datetime(at.at))
    if len(errors) > before or state is None:
        return None
    _settle(received, forwarded)
    _settle(forwarded or received, ready)
    _settle(ready, returned)
    request.received_at = received.at if received else None
    if due is not None and received is not None and due.at < received.at:
        due.at = received.at  # due "that day" for a dossier received after closing
    return RegisterRow(n, request, state, due.at if due else None, ready.at if ready else None,
                       returned.at if returned else None,
                       forwarded.at if forwarded and state is not State.RECEIVED else None, sheet)


def import_register(session: Session, path: Path, *, dry_run: bool = False, limits: TableLimits = DEFAULT_LIMITS,
                    progress: ProgressCallback | None = None) -> int:
    """Import every row of an existing register or none; return how many dossiers.

    ``progress(done, total)`` is told how far reading, checking and writing are, in rows
    (each row counts three times inside: read, checked, written; the bar shows rows)."""
    reporter = Reporter(3, None if progress is None else lambda done, total: progress(done // 3, total // 3))
    known = {c for (c,) in Dossier.select(Dossier.code).tuples()}
    rows, errors = parse_register(Path(path), known, session.clock(), limits=limits, reporter=reporter,
                                  session=session)
    if errors:
        raise ImportFailed(errors)
    if not rows:
        raise InvalidInput("import.empty", path=str(path))
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
                try:
                    d = dossiers.intake(session, r.request)
                    for action, when in _path_to(r):
                        session.clock = lambda when=when: when
                        dossiers.move(session, d.code, action, reason=reason)
                except (InvalidInput, NotFound, RuleViolation) as exc:  # checked above; should one slip through, it names its row
                    raise ImportFailed([RowError(r.row, "row", "import.bad_value", exc.message.render(),
                                                 sheet=r.sheet)]) from None
                reporter.advance()
    finally:
        session.clock = original_clock
    reporter.finish()
    return len(rows)


def _path_to(r: RegisterRow) -> list[tuple[Action, datetime]]:
    """The legal sequence of actions that brings an imported dossier to its state."""
    received = r.request.received_at
    assert received is not None
    steps: list[tuple[Action, datetime]] = []
    if r.forwarded_at is not None or r.state is State.IN_PROGRESS:
        steps.append((Action.FORWARD, r.forwarded_at or received))
    if r.state is State.RESULT_READY:
        steps.append((Action.MARK_RESULT_READY, r.result_ready_at or received))
    elif r.state is State.RETURNED:
        ready = r.result_ready_at or received
        steps += [(Action.MARK_RESULT_READY, ready), (Action.RETURN_RESULT, r.returned_at or ready)]
    elif r.state is State.SUPPLEMENT_REQUESTED:
        steps.append((Action.REQUEST_SUPPLEMENT, r.forwarded_at or received))
    elif r.state is State.SUSPENDED:
        steps.append((Action.SUSPEND, r.forwarded_at or received))
    elif r.state is State.REJECTED:
        steps.append((Action.REJECT, r.returned_at or r.forwarded_at or received))
    elif r.state is State.WITHDRAWN:
        steps.append((Action.WITHDRAW, r.returned_at or r.forwarded_at or received))
    return steps
