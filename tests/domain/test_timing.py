from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ward_desk.domain.calendar import CalendarOverride, WorkingCalendar
from ward_desk.domain.timing import (
    TZ,
    CountingRules,
    Timing,
    classify,
    compute_due,
    due_after_pause,
    due_after_supplement,
    effective_receipt_day,
    is_overdue,
    local_day,
    to_local,
    to_utc,
    working_days_late,
)

CAL = WorkingCalendar()
RULES = CountingRules()


def at(y: int, mo: int, d: int, h: int = 9, mi: int = 0, s: int = 0) -> datetime:
    """Office-local wall time -> naive UTC, as the store holds it."""
    return to_utc(datetime(y, mo, d, h, mi, s))


def closing(y: int, mo: int, d: int) -> datetime:
    return at(y, mo, d, 17, 0)


def test_time_zone_edges() -> None:
    utc = datetime(2026, 3, 2, 2, 0)
    local = to_local(utc)
    assert local.tzinfo is not None and local.hour == 9 and local.utcoffset() == timedelta(hours=7)
    assert to_utc(local) == utc
    assert to_utc(datetime(2026, 3, 2, 9, 0)) == utc  # naive means office-local
    assert to_utc(datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)) == utc
    # 23:30 UTC is already the next local day.
    assert local_day(datetime(2026, 3, 1, 23, 30)) == date(2026, 3, 2)
    assert RULES.tz == TZ


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)))
def test_local_round_trip(utc: datetime) -> None:
    assert to_utc(to_local(utc)) == utc


def test_rules_defaults() -> None:
    assert RULES.version == "ND118-2025/1"
    assert RULES.cutoff == time(15, 0)
    assert RULES.tz_name == "Asia/Ho_Chi_Minh"


def test_effective_receipt_day_cutoff() -> None:
    mon = date(2026, 3, 2)
    assert effective_receipt_day(at(2026, 3, 2, 14, 59, 59), CAL, RULES) == mon
    assert effective_receipt_day(at(2026, 3, 2, 15, 0), CAL, RULES) == date(2026, 3, 3)
    assert effective_receipt_day(at(2026, 3, 2, 7, 0), CAL, RULES) == mon
    # Friday after the cutoff -> Monday.
    assert effective_receipt_day(at(2026, 3, 6, 16, 0), CAL, RULES) == date(2026, 3, 9)
    # Weekend and holiday receipts (online dossiers) -> next working day, whatever the hour.
    assert effective_receipt_day(at(2026, 3, 7, 8, 0), CAL, RULES) == date(2026, 3, 9)
    assert effective_receipt_day(at(2026, 4, 30, 8, 0), CAL, RULES) == date(2026, 5, 4)


def test_custom_cutoff() -> None:
    rules = CountingRules(version="local/1", cutoff=time(16, 0))
    assert effective_receipt_day(at(2026, 3, 2, 15, 30), CAL, rules) == date(2026, 3, 2)


def test_due_same_day_procedure() -> None:
    assert compute_due(at(2026, 3, 2, 10, 0), 0, CAL, RULES) == closing(2026, 3, 2)
    assert compute_due(at(2026, 3, 2, 15, 30), 0, CAL, RULES) == closing(2026, 3, 3)
    assert compute_due(at(2026, 3, 7, 10, 0), 0, CAL, RULES) == closing(2026, 3, 9)


def test_due_before_and_after_cutoff() -> None:
    assert compute_due(at(2026, 3, 2, 14, 59), 1, CAL, RULES) == closing(2026, 3, 3)
    assert compute_due(at(2026, 3, 2, 15, 0), 1, CAL, RULES) == closing(2026, 3, 4)


def test_due_weekend_receipt() -> None:
    assert compute_due(at(2026, 3, 7, 9, 0), 2, CAL, RULES) == closing(2026, 3, 11)


def test_due_across_tet_2026() -> None:
    # Fri 13/02 is a working day and the receipt is before 15:00, so the clock
    # starts that day. Working days after it: 14-15 weekend, 16-20 Tết, 21-22
    # weekend, then 23 (1st), 24 (2nd), 25 (3rd).
    due = compute_due(at(2026, 2, 13, 9, 0), 3, CAL, RULES)
    assert due == closing(2026, 2, 25)
    assert due == datetime(2026, 2, 25, 10, 0)  # 17:00 local = 10:00 UTC
    # Same dossier handed in at 15:30: the clock starts on 23/02.
    assert compute_due(at(2026, 2, 13, 15, 30), 3, CAL, RULES) == closing(2026, 2, 26)


def test_due_across_reunification_day_2025_make_up_saturday() -> None:
    # Fri 25/04/2025 morning, 2 days: Sat 26/04 is a make-up working day (1st),
    # Mon 28/04 (2nd).
    assert compute_due(at(2025, 4, 25, 9, 0), 2, CAL, RULES) == closing(2025, 4, 28)


def test_due_uses_calendar_closing_time() -> None:
    from ward_desk.domain.calendar import OfficeHours

    cal = WorkingCalendar(hours=OfficeHours(afternoon=(time(13, 0), time(16, 30))))
    assert compute_due(at(2026, 3, 2, 9, 0), 1, cal, RULES) == at(2026, 3, 3, 16, 30)


def test_due_with_local_override() -> None:
    cal = WorkingCalendar([CalendarOverride(date(2026, 3, 3), "off", "flood")])
    assert compute_due(at(2026, 3, 2, 9, 0), 1, cal, RULES) == closing(2026, 3, 4)


def test_negative_days_refused() -> None:
    with pytest.raises(ValueError):
        compute_due(at(2026, 3, 2), -1, CAL, RULES)


received = st.datetimes(min_value=datetime(2024, 6, 1), max_value=datetime(2028, 6, 1))


@settings(max_examples=300, deadline=None)
@given(received, st.integers(min_value=0, max_value=60))
def test_due_is_closing_time_of_a_working_day_n_days_on(recv: datetime, n: int) -> None:
    due = compute_due(recv, n, CAL, RULES)
    local = to_local(due)
    assert local.time() == time(17, 0)
    assert CAL.is_working_day(local.date())
    start = effective_receipt_day(recv, CAL, RULES)
    assert CAL.is_working_day(start)
    assert CAL.working_days_between(start, local.date()) == n
    assert due > recv


def test_supplement_restarts_the_clock() -> None:
    # Received Mon 02/03 with 5 days (due 09/03); completed Thu 05/03 at 16:00
    # (after cutoff) -> clock starts Fri 06/03 -> due Fri 13/03.
    assert compute_due(at(2026, 3, 2), 5, CAL, RULES) == closing(2026, 3, 9)
    assert due_after_supplement(at(2026, 3, 5, 16, 0), 5, CAL, RULES) == closing(2026, 3, 13)


def test_pause_and_resume_same_day_changes_nothing() -> None:
    due = closing(2026, 3, 9)
    for pause_h, resume_h in ((9, 10), (14, 16), (16, 16)):
        new = due_after_pause(
            due, at(2026, 3, 4, pause_h), at(2026, 3, 4, resume_h, 30), CAL, RULES
        )
        assert new == due


def test_pause_of_three_working_days_moves_due_by_three() -> None:
    due = closing(2026, 3, 9)  # Mon
    new = due_after_pause(due, at(2026, 3, 2, 10), at(2026, 3, 5, 10), CAL, RULES)
    assert new == closing(2026, 3, 12)
    assert CAL.working_days_between(date(2026, 3, 9), date(2026, 3, 12)) == 3


def test_pause_over_weekend_and_tet_counts_only_working_days() -> None:
    # Paused Thu 12/02/2026, resumed Mon 23/02: working days in (12/02, 23/02] are
    # 13/02 and 23/02, so the due date moves by 2 working days: from Fri 13/02
    # past Tết to 23/02 (1st) and 24/02 (2nd).
    due = closing(2026, 2, 13)
    new = due_after_pause(due, at(2026, 2, 12, 10), at(2026, 2, 23, 8), CAL, RULES)
    assert new == closing(2026, 2, 24)


def test_pause_on_due_day() -> None:
    due = closing(2026, 3, 4)
    assert due_after_pause(due, at(2026, 3, 4, 10), at(2026, 3, 6, 9), CAL, RULES) == closing(
        2026, 3, 6
    )
    # Resumed on a Saturday: due the next working day.
    assert due_after_pause(due, at(2026, 3, 4, 10), at(2026, 3, 7, 9), CAL, RULES) == closing(
        2026, 3, 9
    )


def test_pause_after_due_does_not_rescue_a_late_dossier() -> None:
    due = closing(2026, 3, 4)
    assert due_after_pause(due, at(2026, 3, 5, 10), at(2026, 3, 10, 9), CAL, RULES) == due


def test_resume_before_pause_refused() -> None:
    with pytest.raises(ValueError):
        due_after_pause(closing(2026, 3, 9), at(2026, 3, 5), at(2026, 3, 4), CAL, RULES)


@settings(max_examples=200, deadline=None)
@given(
    st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 6, 1)),
    st.integers(min_value=1, max_value=20),
    st.integers(min_value=0, max_value=19),
    st.integers(min_value=0, max_value=30),
)
def test_pause_shift_equals_working_days_paused(
    start: date, n: int, pause_offset: int, pause_len: int
) -> None:
    recv = at(start.year, start.month, start.day, 9)
    due = compute_due(recv, n, CAL, RULES)
    pause_day = start + timedelta(days=pause_offset)
    resume_day = pause_day + timedelta(days=pause_len)
    paused, resumed = (
        at(pause_day.year, pause_day.month, pause_day.day, 10),
        at(resume_day.year, resume_day.month, resume_day.day, 11),
    )
    new = due_after_pause(due, paused, resumed, CAL, RULES)
    if paused >= due:
        assert new == due
        return
    assert new >= due
    moved = CAL.working_days_between(local_day(due), local_day(new))
    paused_days = CAL.working_days_between(pause_day, resume_day)
    if local_day(due) != pause_day:
        assert moved == paused_days
    assert to_local(new).time() == time(17, 0)


def test_classify() -> None:
    due = closing(2026, 3, 9)
    assert classify(at(2026, 3, 6, 16), due, CAL, RULES) is Timing.EARLY
    assert classify(at(2026, 3, 8, 23, 59), due, CAL, RULES) is Timing.EARLY
    assert classify(at(2026, 3, 9, 8), due, CAL, RULES) is Timing.ON_TIME
    assert classify(due, due, CAL, RULES) is Timing.ON_TIME  # exactly at closing
    assert classify(due + timedelta(seconds=1), due, CAL, RULES) is Timing.LATE
    assert classify(at(2026, 3, 12), due, CAL, RULES) is Timing.LATE
    assert Timing.LATE == "late" and str(Timing.ON_TIME) == "on_time"


def test_overdue_and_days_late() -> None:
    due = closing(2026, 3, 6)  # Fri
    assert not is_overdue(due, due)
    assert is_overdue(due, due + timedelta(minutes=1))
    assert not is_overdue(None, due)
    assert working_days_late(due, due, CAL, RULES) == 0
    assert working_days_late(due, at(2026, 3, 6, 18), CAL, RULES) == 1
    assert working_days_late(due, at(2026, 3, 8, 10), CAL, RULES) == 1
    assert working_days_late(due, at(2026, 3, 10, 10), CAL, RULES) == 2
