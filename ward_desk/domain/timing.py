"""Counting processing time: effective receipt day, due dates, pauses, early/on time/late.

Every datetime going in and out is naive UTC (as stored); the office time zone
is applied here, because what counts is the office's local day and clock.
The convention (see the domain notes, section 4) is versioned by
:class:`CountingRules` so that a store can record which rules produced a date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from enum import Enum
from functools import lru_cache
from zoneinfo import ZoneInfo

from ward_desk.domain.calendar import WorkingCalendar

__all__ = [
    "TZ",
    "CountingRules",
    "Timing",
    "classify",
    "compute_due",
    "due_after_pause",
    "due_after_supplement",
    "effective_receipt_day",
    "is_overdue",
    "local_day",
    "to_local",
    "to_utc",
    "working_days_late",
]

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(frozen=True)
class CountingRules:
    """The time-counting convention in force (office hours come from the calendar).

    ``cutoff``: a dossier received at or after this local time on a working day
    counts as received on the next working day.
    """

    version: str = "ND118-2025/1"
    cutoff: time = time(15, 0)
    tz_name: str = "Asia/Ho_Chi_Minh"

    @property
    def tz(self) -> ZoneInfo:
        """The office time zone."""
        return _zone(self.tz_name)


DEFAULT_RULES = CountingRules()


class Timing(str, Enum):
    """How a completed dossier stands against its due date."""

    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"

    def __str__(self) -> str:
        return self.value


def to_local(dt_utc: datetime, tz: ZoneInfo = TZ) -> datetime:
    """Naive UTC -> aware office-local datetime."""
    return dt_utc.replace(tzinfo=timezone.utc).astimezone(tz)


def to_utc(local: datetime, tz: ZoneInfo = TZ) -> datetime:
    """Office-local datetime (aware, or naive meaning office-local) -> naive UTC."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=tz)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def local_day(dt_utc: datetime, rules: CountingRules = DEFAULT_RULES) -> date:
    """The office-local calendar day of a naive UTC instant."""
    return to_local(dt_utc, rules.tz).date()


def _at_local(day: date, at: time, rules: CountingRules) -> datetime:
    return to_utc(datetime.combine(day, at, tzinfo=rules.tz), rules.tz)


def effective_receipt_day(
    received_at_utc: datetime, calendar: WorkingCalendar, rules: CountingRules = DEFAULT_RULES
) -> date:
    """The day the processing clock starts from.

    The local day of receipt if it is a working day and the dossier arrived
    before ``rules.cutoff``; otherwise the next working day.
    """
    local = to_local(received_at_utc, rules.tz)
    day = local.date()
    if calendar.is_working_day(day) and local.time() < rules.cutoff:
        return day
    return calendar.next_working_day(day)


def compute_due(
    received_at_utc: datetime,
    days: int,
    calendar: WorkingCalendar,
    rules: CountingRules = DEFAULT_RULES,
) -> datetime:
    """Due date (naive UTC) of a procedure of ``days`` working days.

    Closing time of the ``days``-th working day after the effective receipt day;
    for ``days == 0`` (same-day procedures) closing time of the effective receipt day.
    """
    if days < 0:
        raise ValueError(f"processing time must be >= 0 working days, got {days}")
    start = effective_receipt_day(received_at_utc, calendar, rules)
    return _at_local(calendar.add_working_days(start, days), calendar.hours.closing, rules)


def due_after_supplement(
    completed_at_utc: datetime,
    days: int,
    calendar: WorkingCalendar,
    rules: CountingRules = DEFAULT_RULES,
) -> datetime:
    """Due date once a supplemented dossier is complete: the clock restarts from
    zero at ``completed_at_utc``, with the same cutoff rule as a new receipt."""
    return compute_due(completed_at_utc, days, calendar, rules)


def due_after_pause(
    due_at_utc: datetime,
    paused_at_utc: datetime,
    resumed_at_utc: datetime,
    calendar: WorkingCalendar,
    rules: CountingRules = DEFAULT_RULES,
) -> datetime:
    """Due date after a pause (suspension) that did not restart the clock.

    Rule, in office-local days: let P be the pause day, R the resume day and D
    the due day. The dossier still had ``remaining = working_days_between(P, D)``
    working days when it was paused (the rest of P itself is not counted: the
    clerk had it that day). The new due day is the ``remaining``-th working day
    after R, at the same local time of day as the old due date. Equivalently the
    due date moves by the number of working days in ``(P, R]``, so:

    - pausing and resuming on the same day changes nothing (the 15:00 cutoff does
      not apply to a resume: the dossier never left the office);
    - a pause spanning 3 working days moves the due date by 3 working days;
    - a dossier paused on its due day is due at the same time on its resume day;
    - a dossier paused after it was already due keeps its due date: a pause
      cannot make a late dossier on time.
    """
    if resumed_at_utc < paused_at_utc:
        raise ValueError("resumed_at must not be before paused_at")
    if paused_at_utc >= due_at_utc:
        return due_at_utc
    due_local = to_local(due_at_utc, rules.tz)
    pause_day = local_day(paused_at_utc, rules)
    resume_day = local_day(resumed_at_utc, rules)
    remaining = calendar.working_days_between(pause_day, due_local.date())
    new_day = calendar.add_working_days(resume_day, remaining)
    if remaining == 0 and not calendar.is_working_day(new_day):
        # Paused on its due day and resumed on a day off: due on the next working day.
        new_day = calendar.next_working_day(new_day)
    return _at_local(new_day, due_local.time().replace(tzinfo=None), rules)


def classify(
    completed_at_utc: datetime,
    due_at_utc: datetime,
    calendar: WorkingCalendar,
    rules: CountingRules = DEFAULT_RULES,
) -> Timing:
    """LATE if completed after the due instant; EARLY if completed on a local day
    before the due day; otherwise ON_TIME (on the due day, by the due time).

    ``calendar`` is accepted so that a future rule version may count in working
    days; the current rule compares local days only.
    """
    del calendar  # the current rule compares calendar days
    if completed_at_utc > due_at_utc:
        return Timing.LATE
    if local_day(completed_at_utc, rules) < local_day(due_at_utc, rules):
        return Timing.EARLY
    return Timing.ON_TIME


def is_overdue(due_at_utc: datetime | None, now_utc: datetime) -> bool:
    """True if the due instant has passed (a dossier without a due date never is)."""
    return due_at_utc is not None and now_utc > due_at_utc


def working_days_late(
    due_at_utc: datetime,
    at_utc: datetime,
    calendar: WorkingCalendar,
    rules: CountingRules = DEFAULT_RULES,
) -> int:
    """How many working days ``at_utc`` is past the due date: 0 if not late,
    else the working days after the due day up to the local day of ``at_utc``,
    and at least 1 (late on the due day itself, after the due time, counts as 1)."""
    if at_utc <= due_at_utc:
        return 0
    late = calendar.working_days_between(local_day(due_at_utc, rules), local_day(at_utc, rules))
    return max(1, late)
