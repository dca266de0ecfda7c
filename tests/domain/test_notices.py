"""The sourced national calendar (issue 10, item 1): every 2025-2026 swap gives the
right due date, a year before its notice is provisional and marked, upstream's year
notice replaces the shipped year, and the calendar's version names what counted."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from ward_desk.domain.calendar import CalendarOverride, WorkingCalendar, package_year
from ward_desk.domain.notices import (
    calendar_version,
    packaged_calendar,
    parse_year_notice,
    with_notices,
)
from ward_desk.domain.timing import compute_due, local_day, to_utc
from ward_desk.errors import InvalidInput

CAL = WorkingCalendar()


def _due(received: str, days: int, cal: WorkingCalendar = CAL) -> date:
    return local_day(compute_due(to_utc(datetime.fromisoformat(received)), days, cal))


# (received, working days, due day): one row per swap of the 2025 and 2026 notices.
SWAPS = [
    ("2025-01-24 10:00", 1, date(2025, 2, 3)),    # Tết Ất Tỵ 25/01-02/02 (6150/TB-LĐTBXH)
    ("2025-04-04 10:00", 1, date(2025, 4, 8)),    # Hùng Kings, Monday 07/04
    ("2025-04-25 10:00", 1, date(2025, 4, 26)),   # Saturday 26/04 is a make-up working day
    ("2025-04-25 10:00", 2, date(2025, 4, 28)),
    ("2025-04-29 10:00", 1, date(2025, 5, 5)),    # 30/04, 01/05 and the swapped Friday 02/05 off
    ("2025-08-29 10:00", 1, date(2025, 9, 3)),    # National Day 01-02/09
    ("2025-12-31 10:00", 1, date(2026, 1, 5)),    # 01/01 and the swapped Friday 02/01/2026 off
    ("2026-01-09 10:00", 1, date(2026, 1, 10)),   # Saturday 10/01/2026 worked (12729/VPCP-KGVX)
    ("2026-01-09 16:00", 0, date(2026, 1, 10)),   # after 15:00: the make-up Saturday is the next working day
    ("2026-02-13 10:00", 1, date(2026, 2, 23)),   # Tết Bính Ngọ 16-20/02
    ("2026-04-24 10:00", 1, date(2026, 4, 28)),   # Hùng Kings observed Monday 27/04
    ("2026-04-29 10:00", 1, date(2026, 5, 4)),    # 30/04, 01/05
    ("2026-08-21 10:00", 1, date(2026, 8, 22)),   # Saturday 22/08/2026 worked for Monday 31/08
    ("2026-08-28 10:00", 1, date(2026, 9, 3)),    # 31/08, 01/09, 02/09 off
]


@pytest.mark.parametrize(("received", "days", "due"), SWAPS)
def test_every_2025_2026_swap_gives_the_right_due_date(received: str, days: int, due: date) -> None:
    assert _due(received, days) == due


def test_the_package_alone_got_new_year_2026_wrong() -> None:
    # Why the notices are data: holidays 0.109 does not know 12729/VPCP-KGVX.
    package = WorkingCalendar(national=package_year)
    assert _due("2025-12-31 10:00", 1, package) == date(2026, 1, 2)
    assert _due("2025-12-31 10:00", 1) == date(2026, 1, 5)


def test_every_day_names_an_existing_source_with_a_number_and_issuer() -> None:
    data = packaged_calendar()
    assert set(data.years) == {2025, 2026, 2027}
    for notice in data.years.values():
        for day in notice.days:
            source = notice.sources[day.source]
            assert source.document and source.number and source.issuer, day
            assert notice.source_of(day.day) == source
    assert notice.sources["vpcp-12729-2025"].number == "12729/VPCP-KGVX"


def test_a_held_back_year_is_provisional_and_marked() -> None:
    data = packaged_calendar()
    assert data.years[2027].status == "provisional"
    assert all(d.status == "provisional" for d in data.years[2027].days)
    assert date(2027, 2, 8) in CAL.provisional_days(2027)  # Tết Đinh Mùi
    assert CAL.is_provisional(date(2027, 9, 3)) and not CAL.is_working_day(date(2027, 9, 3))
    # 2026 is enacted, but for the Culture Day announced and not yet in law.
    assert CAL.provisional_days(2026) == [date(2026, 11, 24)]
    assert CAL.provisional_between(date(2026, 11, 23), date(2026, 11, 26)) == [date(2026, 11, 24)]
    assert CAL.provisional_between(date(2026, 11, 24), date(2026, 11, 26)) == []
    # A local decision about the day is no longer provisional.
    local = WorkingCalendar([CalendarOverride(date(2026, 11, 24), "work", "Làm việc")])
    assert local.provisional_days(2026) == [] and local.is_working_day(date(2026, 11, 24))


def test_2027_lunar_dates_are_the_packages() -> None:
    # The provisional year is built on the package's lunar dates: every weekday the
    # package gives off in 2027 is off in the file, and the file adds none.
    package = package_year(2027)
    file_off = {d for d, _ in CAL.holidays(2027) if d.weekday() < 5}
    assert file_off == {d for d in package.holidays if d.weekday() < 5}


NOTICE_2027 = {
    "year": 2027, "version": "TB-2027/1", "status": "enacted",
    "sources": {"tb": {"document": "Thông báo nghỉ Tết 2027", "number": "1/TB-BNV", "date": "01/12/2026",
                       "issuer": "Bộ Nội vụ", "status": "enacted"}},
    "days": [
        {"date": "2027-01-01", "kind": "off", "name_vi": "Tết Dương lịch", "source": "tb"},
        {"date": "2027-02-03", "to": "2027-02-10", "kind": "off", "name_vi": "Tết Nguyên Đán", "source": "tb"},
        {"date": "2027-01-30", "kind": "work", "name_vi": "Làm bù", "source": "tb"},
    ],
}


def test_an_upstream_notice_replaces_its_year_and_is_enacted() -> None:
    notice = parse_year_notice(NOTICE_2027)
    cal = WorkingCalendar(national=with_notices(CAL._source, [notice]))
    assert not cal.is_working_day(date(2027, 2, 3))  # the extra day the notice gives
    assert cal.is_working_day(date(2027, 1, 30))  # its make-up Saturday
    assert cal.provisional_days(2027) == []
    assert cal.is_working_day(date(2027, 4, 16))  # the notice is the whole year
    assert cal.holidays(2026) == CAL.holidays(2026)  # other years untouched
    assert parse_year_notice(notice.as_dict()) == notice  # what upstream publishes reads back


@pytest.mark.parametrize(("change", "problem"), [
    ({"status": "maybe"}, "status"),
    ({"year": "2027"}, "year"),
    ({"days": [{"date": "2027-01-04", "kind": "work", "name_vi": "x", "source": "tb"}]}, "weekday"),
    ({"days": [{"date": "2027-13-01", "kind": "off", "name_vi": "x", "source": "tb"}]}, "YYYY-MM-DD"),
    ({"days": [{"date": "2027-01-01", "kind": "off", "name_vi": "x", "source": "nowhere"}]}, "nowhere"),
    ({"days": [{"date": "2026-12-31", "kind": "off", "name_vi": "x", "source": "tb"}]}, "not in 2027"),
    ({"days": [{"date": "2027-01-01", "kind": "holiday", "name_vi": "x", "source": "tb"}]}, "kind"),
    ({"days": [{"date": "2027-01-01", "to": "2027-01-01", "kind": "off", "name_vi": "x", "source": "tb"},
               {"date": "2027-01-01", "kind": "off", "name_vi": "y", "source": "tb"}]}, "twice"),
])
def test_a_bad_notice_is_refused_naming_the_problem(change: dict, problem: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_year_notice({**NOTICE_2027, **change})
    assert err.value.message.id == "calendar.bad_notice"
    assert problem in str(err.value.message.params)


def test_the_version_names_the_data_the_notices_and_the_overrides() -> None:
    data = packaged_calendar()
    plain = calendar_version(data.version)
    assert plain == data.version
    notice = parse_year_notice(NOTICE_2027)
    with_local = calendar_version(data.version, [notice], [CalendarOverride(date(2026, 3, 3), "off")])
    assert with_local.startswith(f"{data.version} 2027:TB-2027/1 local:")
    assert with_local == calendar_version(data.version, [notice], [CalendarOverride(date(2026, 3, 3), "off", "x")])
    assert with_local != calendar_version(data.version, [notice], [CalendarOverride(date(2026, 3, 4), "off")])
