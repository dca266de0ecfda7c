"""Form 07 of Circular 03/2025/TT-VPCP, the tracking book (Sổ theo dõi hồ sơ), for a period.

One row per dossier received in the period, in the order received, numbered as a paper
book is: continuously from 01 through the year of receipt (a book for March starts at
the number the year had reached). Everything is read in a few queries and returned as
text, ready for the XLSX and PDF writers in ``ward_desk.reports.book``; nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ward_desk.domain.lifecycle import TERMINAL, State
from ward_desk.domain.timing import Timing, classify, is_overdue, to_local, to_utc
from ward_desk.errors import InvalidInput
from ward_desk.i18n import t
from ward_desk.services.session import Session
from ward_desk.slips.data import CHANNEL_LABELS, office_names
from ward_desk.slips.model import (
    FORM_NUMBERS,
    FORM_TITLES,
    authority_name_for,
    format_date,
    format_datetime,
)
from ward_desk.store.models import Dossier, Event, Procedure, User

# A book is kept per year (its numbering restarts each year): one print covers a year at most.
MAX_DAYS = 366
# The book's columns, as ward registers head them; each name the register importer knows
# is one of its header aliases (so an exported book reads back); the others it passes over.
COLUMNS: tuple[str, ...] = (
    "STT", "Mã hồ sơ", "Tên thủ tục hành chính", "Lĩnh vực", "Số lượng hồ sơ (bộ)", "Tên cá nhân, tổ chức",
    "Số định danh cá nhân", "Địa chỉ", "Số điện thoại", "Hình thức nộp", "Ngày giờ tiếp nhận",
    "Ngày hẹn trả kết quả", "Người giải quyết", "Ngày có kết quả", "Ngày trả kết quả", "Tình trạng",
    "Kết quả giải quyết", "Ghi chú", "Ký nhận",
)
TIMING_WORDS = {Timing.EARLY: "Trước hạn", Timing.ON_TIME: "Đúng hạn", Timing.LATE: "Trễ hạn"}
OVERDUE_WORD = "Quá hạn"  # still open past its statutory date
_CLOSING_ACTIONS = ("reject", "withdraw")


@dataclass(frozen=True)
class TrackingBook:
    """The book of one period: who keeps it, which days, and its rows (text cells, in
    :data:`COLUMNS` order)."""

    centre_name: str
    authority_name: str
    province_name: str
    start: date
    end: date
    rows: tuple[tuple[str, ...], ...]
    form_number: str = FORM_NUMBERS["book"]
    title: str = FORM_TITLES["book"]

    @property
    def period_text(self) -> str:
        """``Từ ngày dd/mm/yyyy đến ngày dd/mm/yyyy``."""
        return f"Từ ngày {format_date(self.start)} đến ngày {format_date(self.end)}"

    def counts(self) -> dict[str, int]:
        """Rows by their result word (early / on time / late / overdue), for a check at a glance."""
        out: dict[str, int] = {}
        for row in self.rows:
            word = row[COLUMNS.index("Kết quả giải quyết")]
            if word:
                out[word] = out.get(word, 0) + 1
        return out


def check_period(start: date, end: date) -> None:
    """Refuse a period that ends before it starts or is longer than a year's book."""
    if start > end:
        raise InvalidInput("slips.book_bad_period", start=format_date(start), end=format_date(end))
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput("slips.book_period_too_long", days=MAX_DAYS, start=format_date(start),
                           end=format_date(end))


def _utc_start(day: date, session: Session) -> datetime:
    tz = session.rules.tz
    return to_utc(datetime.combine(day, time.min, tzinfo=tz), tz)


def _closing_reasons(ids: list[int]) -> dict[int, str]:
    """The reason each rejected or withdrawn dossier was closed with (its last such event)."""
    reasons: dict[int, str] = {}
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        query = (Event.select(Event.dossier, Event.reason)
                 .where(Event.dossier.in_(chunk) & Event.action.in_(_CLOSING_ACTIONS)).order_by(Event.id))
        for e in query:
            reasons[e.dossier_id] = e.reason
    return reasons


def tracking_book(session: Session, start: date, end: date) -> TrackingBook:
    """The tracking book of the dossiers received from ``start`` to ``end`` (office-local
    days, both included). Refuses a reversed or over-long period (``check_period``)."""
    check_period(start, end)
    tz, calendar, rules = session.rules.tz, session.calendar, session.rules
    now = session.clock()
    lo, hi = _utc_start(start, session), _utc_start(end + timedelta(days=1), session)
    # The number the year had reached before the period: a paper book never restarts mid-year.
    number = Dossier.select().where((Dossier.received_at >= _utc_start(date(start.year, 1, 1), session))
                                    & (Dossier.received_at < lo)).count()
    year = start.year
    officers = {u.id: u.full_name for u in User.select(User.id, User.full_name)}
    dossiers = list(Dossier.select(Dossier, Procedure).join(Procedure)
                    .where((Dossier.received_at >= lo) & (Dossier.received_at < hi))
                    .order_by(Dossier.received_at, Dossier.id))
    reasons = _closing_reasons([d.id for d in dossiers if d.state in (State.REJECTED.value, State.WITHDRAWN.value)])

    def local(dt: datetime | None) -> str:
        return format_datetime(to_local(dt, tz)) if dt else ""

    rows = []
    for d in dossiers:
        received_year = to_local(d.received_at, tz).year
        if received_year != year:  # a period across New Year: the new year's book starts at 01
            year, number = received_year, 0
        number += 1
        state = State(d.state)
        if d.completed_at is not None:
            result = TIMING_WORDS[classify(d.completed_at, d.statutory_due_at, calendar, rules)]
        elif state not in TERMINAL and is_overdue(d.statutory_due_at, now):
            result = OVERDUE_WORD
        else:
            result = ""
        notes = []
        if reasons.get(d.id):
            notes.append(reasons[d.id])
        if d.apology_count:
            notes.append(f"Đã xin lỗi, hẹn lại {local(d.due_at)}")
        rows.append((
            f"{number:02d}", d.code, d.procedure.name, d.procedure.field, "01", d.applicant_name,
            d.applicant_id_number, d.applicant_address, d.applicant_phone, CHANNEL_LABELS.get(d.channel, d.channel),
            local(d.received_at), local(d.statutory_due_at), officers.get(d.officer_id, "") if d.officer_id else "",
            local(d.completed_at), local(d.returned_at), t(f"lifecycle.state.{state.value}", "vi"), result,
            "; ".join(notes), "",
        ))
    names = office_names(session)
    return TrackingBook(centre_name=names["centre_name"],
                        authority_name=names["authority_name"] or authority_name_for(session.office.name),
                        province_name=names["province_name"], start=start, end=end, rows=tuple(rows))
