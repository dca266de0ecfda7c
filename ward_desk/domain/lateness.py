"""Which open dossiers will be late (an apology slip is due for them), kept apart from
those merely due today or soon.

Kept apart on purpose: a same-day procedure received a minute ago is due today, and
flagging it for an apology teaches clerks to ignore the flag. A dossier will be late
when its result is still being worked on, no apology slip has been issued yet, and
either its due time has passed or the officer has declared that the result will not
be ready in time (Decree 61/2018 art. 19: the slip must then go out before the due day).
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from ward_desk.domain.calendar import WorkingCalendar
from ward_desk.domain.timing import DEFAULT_RULES, CountingRules, local_day

# The states in which a result is still being worked on (services.dossiers.RUNNING_STATES).
RUNNING = frozenset({"received", "in_progress"})


class Lateness(str, Enum):
    """What the desk says about a running dossier's due time."""

    WILL_BE_LATE = "will_be_late"  # an apology slip is due
    DUE_TODAY = "due_today"
    DUE_SOON = "due_soon"  # due on the next working day

    def __str__(self) -> str:
        return self.value


def will_be_late(state: str, due_at_utc: datetime, apology_count: int, now_utc: datetime,
                 declared_late: bool = False) -> bool:
    """True when the dossier's apology slip is due: running, none issued, and past its due
    time or declared by the officer as not ready in time."""
    return state in RUNNING and apology_count == 0 and (declared_late or due_at_utc < now_utc)


def lateness(state: str, due_at_utc: datetime, apology_count: int, now_utc: datetime,
             calendar: WorkingCalendar, rules: CountingRules = DEFAULT_RULES,
             declared_late: bool = False) -> Lateness | None:
    """The flag a dossier carries on screen: will be late (apology slip due), due today,
    due soon (on the next working day), or None (not running, or due later, or an
    apology slip already set a new date that has not passed)."""
    if will_be_late(state, due_at_utc, apology_count, now_utc, declared_late):
        return Lateness.WILL_BE_LATE
    if state not in RUNNING or due_at_utc < now_utc:
        return None
    today, due_day = local_day(now_utc, rules), local_day(due_at_utc, rules)
    if due_day <= today:
        return Lateness.DUE_TODAY
    if due_day <= calendar.next_working_day(today):
        return Lateness.DUE_SOON
    return None
