"""The periodic dossier report (domain notes §6) computed over the store.

Aggregation runs in SQL over indexed columns, one query per part of the
report, each grouped by (field, officer):

- received in the period (``received_at`` index), by channel;
- resolved in the period (``completed_at`` index), split early / on time / late
  in SQL with the rule of :func:`ward_desk.domain.timing.classify` against
  ``statutory_due_at`` (apology slips do not make a late dossier on time);
- closed without result (``closed_at`` index): rejected, withdrawn;
- unfinished at a boundary B (opening = B at period start, open at end = B at
  period end): received before B and finished (``completed_at``, else
  ``closed_at``) at or after B, or not finished at all — read from the open
  states (``state`` index) plus the ``completed_at`` / ``closed_at`` ranges after B;
- apology slips issued (``issued_at``) and ratings given (``at``) in the period.

Only the office's open-at-end dossiers are looked at one by one (their state at
the boundary comes from their events when the period is over). Every row must
reconcile; :class:`~ward_desk.domain.report_math.Counts` checks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ward_desk.domain.indicators import IndicatorValue, compute_all
from ward_desk.domain.lifecycle import PAUSED, State
from ward_desk.domain.report_math import Counts, Period, ReportTable, timing_by_days
from ward_desk.domain.timing import Timing, local_day
from ward_desk.services.session import Session

__all__ = ["PeriodReport", "month_counts", "period_report", "trend"]

_OPEN = tuple(s.value for s in (State.RECEIVED, State.IN_PROGRESS, State.SUPPLEMENT_REQUESTED, State.SUSPENDED))
_PAUSED = tuple(s.value for s in PAUSED)
UNASSIGNED = ""  # officer key of dossiers not yet forwarded to anyone


@dataclass
class PeriodReport:
    """A computed report: rows by field and by officer, their total, the indicators."""

    period: Period
    office_code: str
    office_name: str
    generated_at: datetime
    by_field: ReportTable
    by_officer: ReportTable
    officer_names: dict[str, str] = field(default_factory=dict)  # username -> full name

    @property
    def total(self) -> Counts:
        """The whole office (equal to the sum of either breakdown)."""
        return self.by_field.total()

    def indicators(self) -> dict[str, IndicatorValue]:
        """Every named indicator over the office total."""
        return compute_all(self.total)

    def as_dict(self) -> dict[str, Any]:
        """Plain data (the JSON output and what the self-assessment stores)."""
        return {
            "period": self.period.label,
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "office_code": self.office_code,
            "office_name": self.office_name,
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "total": self.total.as_dict(),
            "on_time_rate": self.total.on_time_rate,
            "by_field": {k: v.as_dict() for k, v in sorted(self.by_field.rows.items())},
            "by_officer": {k: v.as_dict() for k, v in sorted(self.by_officer.rows.items())},
            "officer_names": dict(sorted(self.officer_names.items())),
            "indicators": {k: v.as_dict() for k, v in self.indicators().items()},
        }


def _ts(dt: datetime) -> str:
    # The text form peewee stores naive datetimes in, so string comparison in SQL orders correctly.
    return str(dt)


def _fixed_offset_minutes(session: Session, start: datetime, end: datetime) -> int | None:
    """The office zone's UTC offset if it is the same over [start, end] (Vietnam: always +7)."""
    tz = session.rules.tz
    offsets = {
        tz.utcoffset(start + timedelta(hours=h))  # type: ignore[arg-type]
        for h in range(0, int((end - start).total_seconds() // 3600) + 24, 24 * 7)
    }
    offsets.add(tz.utcoffset(end))  # type: ignore[arg-type]
    if len(offsets) != 1:
        return None
    only = offsets.pop()
    return None if only is None else int(only.total_seconds() // 60)


class _Acc:
    """Accumulates rows by field and by officer at once."""

    def __init__(self) -> None:
        self.by_field = ReportTable()
        self.by_officer = ReportTable()
        self.officer_ids: set[int] = set()

    def rows(self, field_name: str | None, officer_id: int | None) -> tuple[Counts, Counts]:
        if officer_id is not None:
            self.officer_ids.add(officer_id)
        return self.by_field.row(field_name or ""), self.by_officer.row(str(officer_id) if officer_id else UNASSIGNED)

    def add(self, field_name: str | None, officer_id: int | None, **counts: int) -> None:
        for row in self.rows(field_name, officer_id):
            for name, value in counts.items():
                setattr(row, name, getattr(row, name) + int(value or 0))


def _received(db: Any, acc: _Acc, s: str, e: str) -> None:
    sql = """
        SELECT p.field, d.officer_id,
               sum(d.channel = 'direct'), sum(d.channel = 'online'), sum(d.channel = 'postal'),
               sum(d.digitized OR d.channel = 'online')
        FROM dossier d JOIN procedure p ON p.id = d.procedure_id
        WHERE d.received_at >= ? AND d.received_at < ?
        GROUP BY p.field, d.officer_id"""
    for fld, officer, direct, online, postal, digitized in db.execute_sql(sql, (s, e)):
        acc.add(fld, officer, received_direct=direct, received_online=online, received_postal=postal,
                received_digitized=digitized)


def _resolved(db: Any, session: Session, acc: _Acc, s: str, e: str, offset: int | None) -> None:
    if offset is not None:
        shift = f"{offset:+d} minutes"
        # classify(): late after the due instant; early on a local day before the due day.
        sql = f"""
            SELECT p.field, d.officer_id,
                   sum(t = 'early'), sum(t = 'on_time'), sum(t = 'late'), sum(t = 'late' AND d.apology_count > 0)
            FROM (SELECT d.*, CASE
                        WHEN d.completed_at > d.statutory_due_at THEN 'late'
                        WHEN date(d.completed_at, '{shift}') < date(d.statutory_due_at, '{shift}') THEN 'early'
                        ELSE 'on_time' END AS t
                  FROM dossier d WHERE d.completed_at >= ? AND d.completed_at < ?) d
            JOIN procedure p ON p.id = d.procedure_id
            GROUP BY p.field, d.officer_id"""
        for fld, officer, early, on_time, late, late_apology in db.execute_sql(sql, (s, e)):
            acc.add(fld, officer, resolved_early=early, resolved_on_time=on_time, resolved_late=late,
                    resolved_late_with_apology=late_apology)
        return
    # A zone whose offset changes inside the period: classify each dossier in Python.
    sql = """
        SELECT p.field, d.officer_id, d.completed_at, d.statutory_due_at, d.apology_count
        FROM dossier d JOIN procedure p ON p.id = d.procedure_id
        WHERE d.completed_at >= ? AND d.completed_at < ?"""
    for fld, officer, completed, due, apologies in db.execute_sql(sql, (s, e)):
        c, d = _dt(completed), _dt(due)
        timing = timing_by_days(c, d, local_day(c, session.rules), local_day(d, session.rules))
        acc.add(fld, officer, resolved_early=timing is Timing.EARLY, resolved_on_time=timing is Timing.ON_TIME,
                resolved_late=timing is Timing.LATE,
                resolved_late_with_apology=timing is Timing.LATE and apologies > 0)


def _closed(db: Any, acc: _Acc, s: str, e: str) -> None:
    sql = """
        SELECT p.field, d.officer_id, sum(d.state = 'rejected'), sum(d.state != 'rejected')
        FROM dossier d JOIN procedure p ON p.id = d.procedure_id
        WHERE d.closed_at >= ? AND d.closed_at < ? AND d.completed_at IS NULL
        GROUP BY p.field, d.officer_id"""
    for fld, officer, rejected, withdrawn in db.execute_sql(sql, (s, e)):
        acc.add(fld, officer, rejected=rejected, withdrawn=withdrawn)


_UNFINISHED_AT = """
    SELECT d.id FROM dossier d
     WHERE d.state IN ({open}) AND d.completed_at IS NULL AND d.closed_at IS NULL AND d.received_at < :b
    UNION ALL
    SELECT d.id FROM dossier d WHERE d.completed_at >= :b AND d.received_at < :b
    UNION ALL
    SELECT d.id FROM dossier d WHERE d.closed_at >= :b AND d.completed_at IS NULL AND d.received_at < :b
""".format(open=", ".join(f"'{s}'" for s in _OPEN))


def _opening(db: Any, acc: _Acc, b: str) -> None:
    sql = f"""
        SELECT p.field, d.officer_id, count(*)
        FROM ({_UNFINISHED_AT}) u JOIN dossier d ON d.id = u.id JOIN procedure p ON p.id = d.procedure_id
        GROUP BY p.field, d.officer_id"""
    for fld, officer, n in db.execute_sql(sql, {"b": b}):
        acc.add(fld, officer, opening=n)


def _open_at_end(db: Any, acc: _Acc, b: str, period_over: bool) -> None:
    # The state at the boundary: the current one while the period runs, else the
    # last state change before the boundary (a dossier resolved since may have
    # been waiting for a supplement then).
    state_at = (
        """(SELECT e.to_state FROM event e WHERE e.dossier_id = d.id AND e.at < :b
              AND e.kind IN ('intake', 'transition') ORDER BY e.at DESC, e.id DESC LIMIT 1)"""
        if period_over
        else "d.state"
    )
    sql = f"""
        SELECT p.field, d.officer_id, {state_at} AS st, d.statutory_due_at < :b AS overdue,
               EXISTS(SELECT 1 FROM apology_slip a WHERE a.dossier_id = d.id AND a.issued_at < :b) AS slip
        FROM ({_UNFINISHED_AT}) u JOIN dossier d ON d.id = u.id JOIN procedure p ON p.id = d.procedure_id"""
    grouped: dict[tuple[Any, Any], list[int]] = {}
    for fld, officer, st, overdue, slip in db.execute_sql(sql, {"b": b}):
        paused = st in _PAUSED
        # The clock does not run while paused: a paused dossier is not overdue.
        late = bool(overdue) and not paused
        row = grouped.setdefault((fld, officer), [0, 0, 0, 0])
        row[0] += not late
        row[1] += late
        row[2] += late and bool(slip)
        row[3] += st == State.SUPPLEMENT_REQUESTED.value
    for (fld, officer), (not_due, overdue_n, with_slip, waiting) in grouped.items():
        acc.add(fld, officer, open_not_due=not_due, open_overdue=overdue_n, open_overdue_with_apology=with_slip,
                open_waiting_supplement=waiting)


def _slips_and_ratings(db: Any, acc: _Acc, s: str, e: str) -> None:
    sql = """
        SELECT p.field, d.officer_id, count(*)
        FROM apology_slip a JOIN dossier d ON d.id = a.dossier_id JOIN procedure p ON p.id = d.procedure_id
        WHERE a.issued_at >= ? AND a.issued_at < ?
        GROUP BY p.field, d.officer_id"""
    for fld, officer, n in db.execute_sql(sql, (s, e)):
        acc.add(fld, officer, apology_slips=n)
    sql = """
        SELECT p.field, d.officer_id, count(*), sum(r.level IN ('satisfied', 'very_satisfied'))
        FROM rating r JOIN dossier d ON d.id = r.dossier_id JOIN procedure p ON p.id = d.procedure_id
        WHERE r.at >= ? AND r.at < ?
        GROUP BY p.field, d.officer_id"""
    for fld, officer, n, satisfied in db.execute_sql(sql, (s, e)):
        acc.add(fld, officer, ratings=n, ratings_satisfied=satisfied)


def _dt(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _officer_names(db: Any, ids: set[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    rows = db.execute_sql(f'SELECT id, username, full_name FROM "user" WHERE id IN ({marks})', tuple(ids))
    return {i: (u, n) for i, u, n in rows}


def period_report(session: Session, period: Period) -> PeriodReport:
    """Compute the report of ``period`` for the session's office (read-only)."""
    db = session.store.db
    start, end = period.utc_bounds(session.rules.tz)
    s, e = _ts(start), _ts(end)
    offset = _fixed_offset_minutes(session, start, end)
    now = session.clock()
    acc = _Acc()
    # One read transaction: every part sees the same snapshot, so the rows reconcile
    # even while a clerk commits intakes at the desk.
    with db.atomic():
        _opening(db, acc, s)
        _received(db, acc, s, e)
        _resolved(db, session, acc, s, e, offset)
        _closed(db, acc, s, e)
        _open_at_end(db, acc, e, period_over=end <= now)
        _slips_and_ratings(db, acc, s, e)
        names = _officer_names(db, acc.officer_ids)
    by_officer = ReportTable()
    officer_names: dict[str, str] = {}
    for key, counts in acc.by_officer.rows.items():
        if key == UNASSIGNED:
            by_officer.row(UNASSIGNED).add(counts)
            continue
        username, full_name = names.get(int(key), (key, key))
        by_officer.row(username).add(counts)
        officer_names[username] = full_name
    return PeriodReport(
        period=period,
        office_code=session.office.code,
        office_name=session.office.name,
        generated_at=now,
        by_field=acc.by_field,
        by_officer=by_officer,
        officer_names=officer_names,
    )


def month_counts(session: Session, month: Period) -> Counts:
    """The office total of one period (what the self-assessment scores)."""
    return period_report(session, month).total


def trend(session: Session, last: Period, months: int = 12) -> list[PeriodReport]:
    """Reports of the ``months`` months ending with ``last``, oldest first."""
    periods = [last]
    while len(periods) < months:
        periods.append(periods[-1].previous())
    return [period_report(session, p) for p in reversed(periods)]
