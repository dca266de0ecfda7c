"""The periodic dossier report (domain notes §6) computed over the store.

Aggregation runs in SQL over indexed columns, one query per part of the
report, counted by (field, officer):

- received in the period (``received_at`` index), by channel;
- resolved in the period (``completed_at``, read from ``dossier_completed_cover``
  alone), split early / on time / late in SQL with the rule of
  :func:`ward_desk.domain.timing.classify` against ``statutory_due_at`` (apology
  slips do not make a late dossier on time);
- closed without result (partial index ``dossier_closed_unresolved``): rejected, withdrawn;
- unfinished at a boundary B (opening = B at period start, open at end = B at
  period end): received before B and finished (``completed_at``, else
  ``closed_at``) at or after B, or not finished at all — four bounded index range
  scans (see ``_unfinished_at``);
- apology slips issued (``issued_at``) and ratings given (``at``) in the period.

The indexes come with migration 0003; on a store without them the same SQL gives
the same numbers, slower. Only the open-at-end dossiers that entered a paused
state before the boundary have their events read (partial index ``event_paused``).
Every row must reconcile; :class:`~ward_desk.domain.report_math.Counts` checks it.

:func:`resolved_by_month` gives the on-time split of many months in one range scan
(the 12-month trend), equal month by month to :func:`period_report`'s.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ward_desk.domain.indicators import IndicatorValue, compute_all
from ward_desk.domain.lifecycle import PAUSED, State
from ward_desk.domain.report_math import Counts, Period, ReportTable, timing_by_days
from ward_desk.domain.timing import Timing, local_day
from ward_desk.services.session import Session

__all__ = ["MonthTiming", "PeriodReport", "last_months", "month_counts", "period_report", "resolved_by_month"]

_OPEN = tuple(s.value for s in (State.RECEIVED, State.IN_PROGRESS, State.SUPPLEMENT_REQUESTED, State.SUSPENDED))
_PAUSED = tuple(s.value for s in PAUSED)
_SUPPLEMENT = State.SUPPLEMENT_REQUESTED.value
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


# Indexes of migration 0003 the report reads when the store has them; named
# explicitly because SQLite's planner, left alone, may prefer a narrower index
# plus a table lookup per row (several times slower on an encrypted store).
# Without them (a store not yet migrated) the same SQL is correct, only slower.
COMPLETED_COVER = "dossier_completed_cover"
CLOSED_UNRESOLVED = "dossier_closed_unresolved"
LONG_RUNNING = "dossier_long_running"
REPORT_INDEXES = (COMPLETED_COVER, CLOSED_UNRESOLVED, LONG_RUNNING)


def _hints(db: Any) -> dict[str, str]:
    names = {r[0] for r in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index'")}
    return {n: (f"INDEXED BY {n}" if n in names else "") for n in REPORT_INDEXES}


class _Acc:
    """Accumulates counts by (procedure, officer); the field and officer tables are
    folded from these cells once at the end (a report has tens of cells)."""

    def __init__(self, fields: dict[int, str]) -> None:
        self.fields = fields  # procedure id -> field (the catalogue is small: read once per report)
        self.cells: dict[tuple[int, int | None], Counts] = {}

    def add(self, procedure_id: int, officer_id: int | None, **counts: int) -> None:
        cell = self.cells.get((procedure_id, officer_id))
        if cell is None:
            cell = self.cells[(procedure_id, officer_id)] = Counts()
        values = cell.__dict__
        for name, value in counts.items():
            if value:
                values[name] += int(value)

    @property
    def officer_ids(self) -> set[int]:
        return {officer for _, officer in self.cells if officer}

    def tables(self) -> tuple[ReportTable, ReportTable]:
        """(by field, by officer id as text; UNASSIGNED for nobody yet)."""
        by_field, by_officer = ReportTable(), ReportTable()
        for (procedure_id, officer_id), cell in self.cells.items():
            by_field.row(self.fields.get(procedure_id, "")).add(cell)
            by_officer.row(str(officer_id) if officer_id else UNASSIGNED).add(cell)
        return by_field, by_officer


def _received(db: Any, acc: _Acc, s: str, e: str) -> None:
    # Counted in Python over one packed integer per dossier (Counter over the cursor
    # runs in C): SQLite's GROUP BY would sort the month's rows through a temporary
    # b-tree, several times slower on the desk PC. Key: procedure | officer | channel | digitized.
    sql = """
        SELECT (d.procedure_id << 32) | (ifnull(d.officer_id, 0) << 3)
               | (CASE d.channel WHEN 'online' THEN 2 WHEN 'postal' THEN 4 ELSE 0 END)
               | (d.digitized OR d.channel = 'online')
        FROM dossier d WHERE d.received_at >= ? AND d.received_at < ?"""
    channels = {0: "received_direct", 2: "received_online", 4: "received_postal"}
    for (key,), n in Counter(db.execute_sql(sql, (s, e))).items():
        acc.add(key >> 32, (key >> 3) & 0x1FFFFFFF or None, **{channels[key & 6]: n},
                received_digitized=n if key & 1 else 0)


# The rule of classify() in SQL, for a zone ``shift`` seconds east of UTC: late after
# the due instant; early on a local day before the due day. unixepoch() is exact
# integer seconds, so the local day is exact integer arithmetic. The reconciliation
# property test holds the report's split equal to classify() dossier by dossier, and
# the trend test holds the trend's equal to the report's.
_LATE_SQL = "d.completed_at > d.statutory_due_at"


def _earlier_day_sql(shift: int) -> str:
    return (f"(unixepoch(d.completed_at) + {shift}) / 86400 "
            f"< (unixepoch(d.statutory_due_at) + {shift}) / 86400")


def _timing_sql(shift: int) -> str:
    """0 early, 1 on time, 2 late."""
    return f"(CASE WHEN {_LATE_SQL} THEN 2 WHEN {_earlier_day_sql(shift)} THEN 0 ELSE 1 END)"


def _timing_py(session: Session, completed: Any, due: Any) -> int:
    # A zone whose offset changes inside the period: the same rule over Python's local days.
    c, d = _dt(completed), _dt(due)
    timing = timing_by_days(c, d, local_day(c, session.rules), local_day(d, session.rules))
    return (Timing.EARLY, Timing.ON_TIME, Timing.LATE).index(timing)


def _resolved(db: Any, session: Session, acc: _Acc, s: str, e: str, offset: int | None, hint: str = "") -> None:
    names = ("resolved_early", "resolved_on_time", "resolved_late")
    rows: Counter[tuple[int, int | None, int, bool]] = Counter()
    if offset is not None:
        sql = f"""
            SELECT (d.procedure_id << 32) | (ifnull(d.officer_id, 0) << 3) | ((d.apology_count > 0) << 2)
                   | {_timing_sql(offset * 60)}
            FROM dossier d {hint} WHERE d.completed_at >= ? AND d.completed_at < ?"""
        for (key,), n in Counter(db.execute_sql(sql, (s, e))).items():
            rows[(key >> 32, (key >> 3) & 0x1FFFFFFF or None, key & 3, bool(key & 4))] += n
    else:
        sql = """
            SELECT d.procedure_id, d.officer_id, d.completed_at, d.statutory_due_at, d.apology_count > 0
            FROM dossier d WHERE d.completed_at >= ? AND d.completed_at < ?"""
        for procedure, officer, completed, due, apology in db.execute_sql(sql, (s, e)):
            rows[(procedure, officer, _timing_py(session, completed, due), bool(apology))] += 1
    for (procedure, officer, timing, apology), n in rows.items():
        acc.add(procedure, officer, **{names[timing]: n}, resolved_late_with_apology=n if timing == 2 and apology else 0)


def _closed(db: Any, acc: _Acc, s: str, e: str, hints: dict[str, str]) -> None:
    sql = f"""
        SELECT d.procedure_id, d.officer_id, sum(d.state = 'rejected'), sum(d.state != 'rejected')
        FROM dossier d {hints[CLOSED_UNRESOLVED]}
        WHERE d.closed_at >= ? AND d.closed_at < ? AND d.completed_at IS NULL
        GROUP BY d.procedure_id, d.officer_id"""
    for fld, officer, rejected, withdrawn in db.execute_sql(sql, (s, e)):
        acc.add(fld, officer, rejected=rejected, withdrawn=withdrawn)


# Dossiers unfinished at a boundary :b, as four index range scans:
#  1. still open today (closed_at IS NULL; the backlog is small);
#  2. resolved since :b after a run of at most LONG_RUN days: their completed_at lies in
#     [:b, :b + LONG_RUN), a bounded range of the completed_at index even for an old month
#     (with dossier_completed_cover, read from the index alone);
#  3. resolved since :b after a longer run: few, read from the partial index of long runs;
#  4. refused or withdrawn since :b: few, read from the partial index of dossiers
#     closed without a result.
# The four parts are disjoint and together exact. Columns: id, procedure, officer, the
# statutory due date, apology slips so far, and the state today of those still open
# (NULL for those finished since :b, whose state today is terminal: never paused).
LONG_RUN_DAYS = 31
_LONG = f"julianday(d.completed_at) - julianday(d.received_at) > {LONG_RUN_DAYS}"
_COLUMNS = "d.id, d.procedure_id, d.officer_id, d.statutory_due_at, d.apology_count"


def _unfinished_at(hints: dict[str, str]) -> str:
    return f"""
    SELECT {_COLUMNS}, d.state FROM dossier d
     WHERE d.state IN ({", ".join(f"'{s}'" for s in _OPEN)}) AND d.completed_at IS NULL
       AND d.closed_at IS NULL AND d.received_at < :b
    UNION ALL
    SELECT {_COLUMNS}, NULL FROM dossier d {hints[COMPLETED_COVER]}
     WHERE d.completed_at >= :b AND d.completed_at < :b_long AND d.received_at < :b AND NOT ({_LONG})
    UNION ALL
    SELECT {_COLUMNS}, NULL FROM dossier d {hints[LONG_RUNNING]}
     WHERE d.completed_at >= :b AND d.received_at < :b AND {_LONG}
    UNION ALL
    SELECT {_COLUMNS}, NULL FROM dossier d {hints[CLOSED_UNRESOLVED]}
     WHERE d.closed_at >= :b AND d.completed_at IS NULL AND d.received_at < :b
"""


def _boundary(b: datetime) -> dict[str, str]:
    return {"b": _ts(b), "b_long": _ts(b + timedelta(days=LONG_RUN_DAYS + 1))}


def _opening(db: Any, acc: _Acc, b: datetime, hints: dict[str, str]) -> None:
    sql = f"SELECT u.procedure_id, u.officer_id FROM ({_unfinished_at(hints)}) u"
    for (fld, officer), n in Counter(db.execute_sql(sql, _boundary(b))).items():
        acc.add(fld, officer, opening=n)


# In the order of migration 0003's partial index event_paused, which SQLite matches term for term.
_PAUSED_SQL = ", ".join(f"'{s}'" for s in sorted(_PAUSED))


def _open_at_end(db: Any, acc: _Acc, b: datetime, period_over: bool, hints: dict[str, str]) -> None:
    # What counts is the state at the boundary: while the period runs, the state
    # today; once it is over, the last state change before the boundary (a dossier
    # resolved since may have been waiting for a supplement then). Only a dossier
    # that entered a paused state before the boundary can have been paused at it,
    # so its events are read only then (CASE evaluates the lookup lazily); every
    # other one was in a running state, which is all the report needs to know.
    if period_over:
        state_at = f"""CASE WHEN EXISTS(SELECT 1 FROM event e WHERE e.dossier_id = u.id
                                          AND e.to_state IN ({_PAUSED_SQL}) AND e.at < :b)
                THEN (SELECT e.to_state FROM event e WHERE e.dossier_id = u.id AND e.at < :b
                        AND e.kind IN ('intake', 'transition') ORDER BY e.at DESC, e.id DESC LIMIT 1) END"""
    else:
        state_at = "u.state"
    sql = f"""
        SELECT u.procedure_id, u.officer_id, {state_at}, u.statutory_due_at < :b,
               CASE WHEN u.apology_count > 0 THEN
                    EXISTS(SELECT 1 FROM apology_slip a WHERE a.dossier_id = u.id AND a.issued_at < :b) END
        FROM ({_unfinished_at(hints)}) u"""
    grouped: dict[tuple[Any, Any], list[int]] = {}
    for fld, officer, st, overdue, slip in db.execute_sql(sql, _boundary(b)):
        paused = st in _PAUSED
        # The clock does not run while paused: a paused dossier is not overdue.
        late = bool(overdue) and not paused
        row = grouped.get((fld, officer))
        if row is None:
            row = grouped[(fld, officer)] = [0, 0, 0, 0]
        row[0] += not late
        row[1] += late
        row[2] += late and bool(slip)
        row[3] += st == _SUPPLEMENT
    for (fld, officer), (not_due, overdue_n, with_slip, waiting) in grouped.items():
        acc.add(fld, officer, open_not_due=not_due, open_overdue=overdue_n, open_overdue_with_apology=with_slip,
                open_waiting_supplement=waiting)


def _slips_and_ratings(db: Any, acc: _Acc, s: str, e: str) -> None:
    sql = """
        SELECT d.procedure_id, d.officer_id, count(*)
        FROM apology_slip a JOIN dossier d ON d.id = a.dossier_id
        WHERE a.issued_at >= ? AND a.issued_at < ?
        GROUP BY d.procedure_id, d.officer_id"""
    for fld, officer, n in db.execute_sql(sql, (s, e)):
        acc.add(fld, officer, apology_slips=n)
    sql = """
        SELECT d.procedure_id, d.officer_id, count(*), sum(r.level IN ('satisfied', 'very_satisfied'))
        FROM rating r JOIN dossier d ON d.id = r.dossier_id
        WHERE r.at >= ? AND r.at < ?
        GROUP BY d.procedure_id, d.officer_id"""
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
    # One read transaction: every part sees the same snapshot, so the rows reconcile
    # even while a clerk commits intakes at the desk.
    with db.atomic():
        acc = _Acc(dict(db.execute_sql("SELECT id, field FROM procedure").fetchall()))
        hints = _hints(db)
        _opening(db, acc, start, hints)
        _received(db, acc, s, e)
        _resolved(db, session, acc, s, e, offset, hints[COMPLETED_COVER])
        _closed(db, acc, s, e, hints)
        _open_at_end(db, acc, end, end <= now, hints)
        _slips_and_ratings(db, acc, s, e)
        names = _officer_names(db, acc.officer_ids)
    by_field, by_officer_id = acc.tables()
    by_officer = ReportTable()
    officer_names: dict[str, str] = {}
    for key, counts in by_officer_id.rows.items():
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
        by_field=by_field,
        by_officer=by_officer,
        officer_names=officer_names,
    )


def month_counts(session: Session, month: Period) -> Counts:
    """The office total of one period (what the self-assessment scores)."""
    return period_report(session, month).total


@dataclass(frozen=True)
class MonthTiming:
    """Dossiers resolved in one month, split as the month's report splits them."""

    period: Period
    early: int = 0
    on_time: int = 0
    late: int = 0

    @property
    def resolved(self) -> int:
        """Dossiers whose result was ready in the month."""
        return self.early + self.on_time + self.late

    @property
    def on_time_rate(self) -> float | None:
        """(early + on time) / resolved, or None with nothing resolved (as :attr:`Counts.on_time_rate`)."""
        return (self.early + self.on_time) / self.resolved if self.resolved else None


def last_months(last: Period, months: int) -> list[Period]:
    """The ``months`` calendar months ending with the last month of ``last``, oldest first."""
    periods = [last.months()[-1]]
    while len(periods) < months:
        periods.append(periods[-1].previous())
    return periods[::-1]


def resolved_by_month(session: Session, last: Period, months: int = 12) -> list[MonthTiming]:
    """Early / on time / late of each of the ``months`` months ending with ``last``, oldest first.

    One statement, one pass over the ``completed_at`` range of the whole span: a
    leg per month, each summing the report's own SQL rule over its contiguous part
    of the range (read from ``dossier_completed_cover`` alone when present). Sums
    per leg cost half the CPU of returning or grouping ~100,000 rows for Python to
    count. Each month equals that month's :func:`period_report` split.
    """
    db = session.store.db
    periods = last_months(last, months)
    tz = session.rules.tz
    bounds = [p.utc_bounds(tz) for p in periods]
    offset = _fixed_offset_minutes(session, bounds[0][0], bounds[-1][1])
    if offset is None:
        return _resolved_by_month_py(session, periods, bounds)
    hint = _hints(db)[COMPLETED_COVER]
    leg = f"""
        SELECT ?, count(*), total({_LATE_SQL}), total(NOT ({_LATE_SQL}) AND {_earlier_day_sql(offset * 60)})
        FROM dossier d {hint} WHERE d.completed_at >= ? AND d.completed_at < ?"""
    params: list[Any] = []
    for n, (start, end) in enumerate(bounds):
        params += [n, _ts(start), _ts(end)]
    out = [MonthTiming(p) for p in periods]
    for n, resolved, late, early in db.execute_sql(" UNION ALL ".join([leg] * len(periods)), params):
        out[n] = MonthTiming(periods[n], int(early), int(resolved - early - late), int(late))
    return out


def _resolved_by_month_py(session: Session, periods: list[Period],
                          bounds: list[tuple[datetime, datetime]]) -> list[MonthTiming]:
    # A zone whose offset changes inside the span: the same rule over Python's local days.
    sql = """SELECT d.completed_at, d.statutory_due_at FROM dossier d
              WHERE d.completed_at >= ? AND d.completed_at < ?"""
    split = {p.start: [0, 0, 0] for p in periods}
    for completed, due in session.store.db.execute_sql(sql, (_ts(bounds[0][0]), _ts(bounds[-1][1]))):
        split[local_day(_dt(completed), session.rules).replace(day=1)][_timing_py(session, completed, due)] += 1
    return [MonthTiming(p, *split[p.start]) for p in periods]
