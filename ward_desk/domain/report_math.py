"""Arithmetic of the periodic dossier report (domain notes §6): periods and counts.

A report covers a period [start, end) of office-local days. For every row (the
whole office, a field, an officer) it holds the counts below, and they must
reconcile::

    opening + received == resolved + closed_without_result + open_at_end

where a dossier is *finished* at ``completed_at`` if it produced a result
(resolved early, on time or late) and otherwise at ``closed_at`` when it was
rejected or withdrawn. Pure: no store access, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from ward_desk.domain.timing import Timing, to_utc
from ward_desk.errors import InvalidInput

__all__ = [
    "PERIOD_KINDS",
    "Counts",
    "Period",
    "parse_period",
    "timing_by_days",
]

PERIOD_KINDS = ("month", "quarter", "half", "nine_months", "year")

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("month", re.compile(r"^(\d{4})-(\d{2})$")),
    ("quarter", re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)),
    ("half", re.compile(r"^(\d{4})-H([12])$", re.IGNORECASE)),
    ("nine_months", re.compile(r"^(\d{4})-9M$", re.IGNORECASE)),
    ("year", re.compile(r"^(\d{4})$")),
)


_CLERK_MONTH = re.compile(r"^(?:th[aá]ng\s+)?(\d{1,2})\s*[/\-.]\s*(\d{4})$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period of office-local days: ``start`` inclusive, ``end`` exclusive."""

    start: date
    end: date
    kind: str
    label: str  # canonical text form: 2025-03, 2025-Q1, 2025-H1, 2025-9M, 2025

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """The calendar month ``year``-``month``."""
        return cls._span("month", f"{year:04d}-{month:02d}", year, month, 1)

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        """Quarter 1–4 of ``year``."""
        return cls._span("quarter", f"{year:04d}-Q{quarter}", year, 3 * quarter - 2, 3)

    @classmethod
    def half(cls, year: int, half: int) -> Period:
        """Half-year 1 (Jan–Jun) or 2 (Jul–Dec)."""
        return cls._span("half", f"{year:04d}-H{half}", year, 6 * half - 5, 6)

    @classmethod
    def nine_months(cls, year: int) -> Period:
        """January to September (the nine-month report offices send in the autumn)."""
        return cls._span("nine_months", f"{year:04d}-9M", year, 1, 9)

    @classmethod
    def year(cls, year: int) -> Period:
        """The calendar year."""
        return cls._span("year", f"{year:04d}", year, 1, 12)

    @classmethod
    def _span(cls, kind: str, label: str, year: int, first_month: int, months: int) -> Period:
        start = date(year, first_month, 1)
        last = first_month + months
        end = date(year + (last - 1) // 12, (last - 1) % 12 + 1, 1)
        return cls(start=start, end=end, kind=kind, label=label)

    def utc_bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The period as naive-UTC instants [start, end) for querying the store."""
        return (
            to_utc(datetime.combine(self.start, time(0), tzinfo=tz), tz),
            to_utc(datetime.combine(self.end, time(0), tzinfo=tz), tz),
        )

    def previous(self) -> Period:
        """The period of the same kind just before this one (nine months: the year before)."""
        y = self.start.year
        if self.kind == "month":
            m = self.start.month - 1
            return Period.month(y - 1, 12) if m == 0 else Period.month(y, m)
        if self.kind == "quarter":
            q = (self.start.month - 1) // 3
            return Period.quarter(y - 1, 4) if q == 0 else Period.quarter(y, q)
        if self.kind == "half":
            return Period.half(y - 1, 2) if self.start.month == 1 else Period.half(y, 1)
        if self.kind == "nine_months":
            return Period.nine_months(y - 1)
        return Period.year(y - 1)

    def months(self) -> list[Period]:
        """The calendar months this period is made of, in order."""
        out: list[Period] = []
        y, m = self.start.year, self.start.month
        while date(y, m, 1) < self.end:
            out.append(Period.month(y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out


def parse_period(text: str) -> Period:
    """Parse ``2025-03`` (or ``03/2025``, ``3/2025``, ``tháng 3/2025``), ``2025-Q1``,
    ``2025-H2``, ``2025-9M`` or ``2025``.

    Raises ``InvalidInput("report.bad_period")`` naming the text otherwise.
    """
    value = text.strip()
    # Months as clerks write them: 11/2026, 3/2026, "tháng 11/2026", 11-2026.
    clerk = _CLERK_MONTH.match(value)
    if clerk:
        month, year = int(clerk.group(1)), int(clerk.group(2))
        if 1 <= month <= 12 and 2000 <= year <= 2100:
            return Period.month(year, month)
        raise InvalidInput("report.bad_period", text=text)
    for kind, pattern in _PATTERNS:
        match = pattern.match(value)
        if not match:
            continue
        year = int(match.group(1))
        if not 2000 <= year <= 2100:
            break
        if kind == "month":
            month = int(match.group(2))
            if not 1 <= month <= 12:
                break
            return Period.month(year, month)
        if kind == "quarter":
            return Period.quarter(year, int(match.group(2)))
        if kind == "half":
            return Period.half(year, int(match.group(2)))
        if kind == "nine_months":
            return Period.nine_months(year)
        return Period.year(year)
    raise InvalidInput("report.bad_period", text=text)


def timing_by_days(
    completed_at: datetime, due_at: datetime, completed_day: date, due_day: date
) -> Timing:
    """The rule of :func:`ward_desk.domain.timing.classify` restated over precomputed
    local days, as the SQL aggregation in the reporting service evaluates it
    (late: after the due instant; early: on a local day before the due day;
    otherwise on time). A test holds the two equal."""
    if completed_at > due_at:
        return Timing.LATE
    if completed_day < due_day:
        return Timing.EARLY
    return Timing.ON_TIME


@dataclass
class Counts:
    """One row of the report. Every field is a count of dossiers (or slips, ratings)."""

    opening: int = 0  # carried over: received before the period, not finished before it
    received_direct: int = 0
    received_online: int = 0
    received_postal: int = 0
    received_digitized: int = 0  # received in the period and digitized (or filed online)
    resolved_early: int = 0
    resolved_on_time: int = 0
    resolved_late: int = 0
    resolved_late_with_apology: int = 0
    rejected: int = 0
    withdrawn: int = 0
    open_not_due: int = (
        0  # unfinished at period end, statutory due date not passed (or clock paused)
    )
    open_overdue: int = 0  # unfinished at period end, statutory due date passed
    open_overdue_with_apology: int = 0
    open_waiting_supplement: int = 0  # of the open ones: waiting for the applicant's supplement
    apology_slips: int = 0  # apology slips issued in the period
    ratings: int = 0  # satisfaction ratings given in the period
    ratings_satisfied: int = 0  # of which satisfied or very satisfied

    @property
    def received(self) -> int:
        """New dossiers in the period, all channels."""
        return self.received_direct + self.received_online + self.received_postal

    @property
    def to_handle(self) -> int:
        """Carried over plus received: what the office had to deal with."""
        return self.opening + self.received

    @property
    def resolved(self) -> int:
        """Dossiers whose result was ready in the period."""
        return self.resolved_early + self.resolved_on_time + self.resolved_late

    @property
    def closed_without_result(self) -> int:
        """Rejected (refused) plus withdrawn in the period."""
        return self.rejected + self.withdrawn

    @property
    def open_at_end(self) -> int:
        """Still unfinished when the period ended."""
        return self.open_not_due + self.open_overdue

    @property
    def imbalance(self) -> int:
        """``to_handle - (resolved + closed_without_result + open_at_end)``: 0 when the row reconciles."""
        return self.to_handle - (self.resolved + self.closed_without_result + self.open_at_end)

    @property
    def on_time_rate(self) -> float | None:
        """(early + on time) / resolved, or None with nothing resolved."""
        if not self.resolved:
            return None
        return (self.resolved_early + self.resolved_on_time) / self.resolved

    def add(self, other: Counts) -> None:
        """Add ``other`` into this row in place."""
        # Through the instance dicts (every field is a plain int attribute): a report
        # folds a few hundred rows, and fields()/getattr per field was most of its Python time.
        mine = self.__dict__
        for name, value in other.__dict__.items():
            if value:
                mine[name] += value

    def as_dict(self) -> dict[str, int]:
        """All stored counts and the derived totals, by name."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out.update(
            received=self.received,
            to_handle=self.to_handle,
            resolved=self.resolved,
            closed_without_result=self.closed_without_result,
            open_at_end=self.open_at_end,
        )
        return out

    @classmethod
    def from_dict(cls, data: dict[str, int]) -> Counts:
        """Inverse of :meth:`as_dict` (derived totals are ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: int(v) for k, v in data.items() if k in names})


@dataclass
class ReportTable:
    """Rows of one breakdown (by field or by officer) plus their total."""

    rows: dict[str, Counts] = field(default_factory=dict)

    def row(self, key: str) -> Counts:
        """The row for ``key``, created empty on first use."""
        found = self.rows.get(key)
        if found is None:
            found = self.rows[key] = Counts()
        return found

    def total(self) -> Counts:
        """The sum of every row."""
        total = Counts()
        for counts in self.rows.values():
            total.add(counts)
        return total
