"""The period report over a real store: hand-built months with known answers."""

from __future__ import annotations

from datetime import date, timedelta

from tests.reports.helpers import intake, local, move, resolve
from ward_desk.domain.report_math import Period
from ward_desk.domain.timing import classify, local_day
from ward_desk.services import dossiers
from ward_desk.services.reporting import period_report


def _total(session, period):
    report = period_report(session, period)
    for table in (report.by_field, report.by_officer):
        for key, row in table.rows.items():
            assert row.imbalance == 0, key
    return report.total


def test_empty_month(session, clock):
    clock.now = local(2026, 3, 3)
    t = _total(session, Period.month(2026, 2))
    assert t.as_dict() == {k: 0 for k in t.as_dict()}
    assert t.on_time_rate is None


def test_month_spanning_tet(session, clock):
    # Tết 2026 (Bính Ngọ): 17/02; the offices close for the whole week around it.
    a = intake(session, clock, local(2026, 2, 13, 9))  # 3 working days, due after the holiday
    assert local_day(a.statutory_due_at) > date(2026, 2, 22)
    assert not session.calendar.is_working_day(date(2026, 2, 17))
    b = intake(session, clock, local(2026, 2, 12, 9), procedure="HT.01")  # same-day: due 12/02 17:00
    c = intake(session, clock, local(2026, 2, 13, 10))
    due_a = local_day(a.statutory_due_at)
    resolve(session, clock, a.code, local(due_a.year, due_a.month, due_a.day, 8) - timedelta(days=1))
    resolve(session, clock, b.code, local(2026, 2, 23, 10))  # after Tết: late
    resolve(session, clock, c.code, local(due_a.year, due_a.month, due_a.day, 16, 30))  # on the due day
    clock.now = local(2026, 3, 2)
    t = _total(session, Period.month(2026, 2))
    assert (t.received, t.resolved_early, t.resolved_on_time, t.resolved_late) == (3, 1, 1, 1)
    assert round(t.on_time_rate, 4) == round(2 / 3, 4)
    assert t.open_at_end == 0


def test_paused_then_resumed_is_early(session, clock):
    d = intake(session, clock, local(2026, 3, 2, 9))  # Mon; 3 working days -> due Thu 05/03 17:00
    assert local_day(d.statutory_due_at) == date(2026, 3, 5)
    move(session, clock, d.code, "forward", local(2026, 3, 2, 10))
    move(session, clock, d.code, "suspend", local(2026, 3, 3, 9), reason="Chờ xác minh", legal_basis="Điều 12")
    d = move(session, clock, d.code, "resume", local(2026, 3, 9, 9))
    assert local_day(d.statutory_due_at) == date(2026, 3, 11)  # moved by the 4 working days paused
    move(session, clock, d.code, "mark_result_ready", local(2026, 3, 10, 15))
    clock.now = local(2026, 4, 1)
    t = _total(session, Period.month(2026, 3))
    assert (t.resolved_early, t.resolved_late) == (1, 0)


def test_returned_exactly_on_the_due_day(session, clock):
    on_time = intake(session, clock, local(2026, 3, 2, 9))
    late = intake(session, clock, local(2026, 3, 2, 9, 5))
    assert local_day(on_time.statutory_due_at) == date(2026, 3, 5)
    resolve(session, clock, on_time.code, local(2026, 3, 5, 16, 59), returned=True, rating="satisfied")
    resolve(session, clock, late.code, local(2026, 3, 5, 17, 1), returned=True, rating="unsatisfied")
    clock.now = local(2026, 4, 1)
    t = _total(session, Period.month(2026, 3))
    assert (t.resolved_early, t.resolved_on_time, t.resolved_late) == (0, 1, 1)
    assert (t.ratings, t.ratings_satisfied) == (2, 1)
    for d in (on_time, late):
        d = dossiers.get(d.code)
        assert classify(d.completed_at, d.statutory_due_at, session.calendar) in ("on_time", "late")


def test_open_overdue_apology_supplement_and_carry_over(session, clock):
    overdue = intake(session, clock, local(2026, 3, 2, 9))  # due 05/03, never resolved
    waiting = intake(session, clock, local(2026, 3, 20, 9))
    refused = intake(session, clock, local(2026, 3, 20, 9, 30), channel="online")
    intake(session, clock, local(2026, 3, 23, 9), channel="postal", digitized=True)
    move(session, clock, waiting.code, "request_supplement", local(2026, 3, 20, 10), reason="Thiếu giấy khai sinh")
    move(session, clock, refused.code, "reject", local(2026, 3, 20, 11), reason="Không thuộc thẩm quyền")
    clock.now = local(2026, 3, 4, 9)
    dossiers.issue_apology(session, overdue.code, local(2026, 3, 10, 17), "Chờ ý kiến cơ quan khác")
    # The waiting dossier gets its supplement in April and is resolved then.
    move(session, clock, waiting.code, "complete_supplement", local(2026, 4, 2, 9))
    resolve(session, clock, waiting.code, local(2026, 4, 3, 9))
    clock.now = local(2026, 4, 10)
    march = _total(session, Period.month(2026, 3))
    assert (march.received_direct, march.received_online, march.received_postal) == (2, 1, 1)
    assert march.received_digitized == 2  # the online one and the digitized postal one
    assert march.rejected == 1 and march.apology_slips == 1
    # Waiting is paused (not overdue); the postal one passed its due date on 26/03 unresolved.
    assert (march.open_not_due, march.open_overdue, march.open_overdue_with_apology) == (1, 2, 1)
    assert march.open_waiting_supplement == 1  # as it stood on 31/03, though resolved since
    april = _total(session, Period.month(2026, 4))
    assert april.opening == 3 and april.resolved == 1
    q = _total(session, Period.quarter(2026, 2))
    assert q.opening == 3
    by_field = period_report(session, Period.month(2026, 3)).by_field.rows
    assert set(by_field) == {"Hộ tịch"}
