from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ward_desk.domain.calendar import CalendarOverride, OfficeHours, WorkingCalendar
from ward_desk.domain.notices import packaged_calendar

CAL = WorkingCalendar()
YEARS = (2025, 2026, 2027)


def _naive_is_working(d: date) -> bool:
    """Reference implementation straight from the holidays package."""
    vn = holidays.Vietnam(years=d.year)
    make_up = set()
    for y in (d.year - 1, d.year, d.year + 1):
        make_up |= set(holidays.Vietnam(years=y).weekend_workdays)
    if d in vn:
        return False
    return d.weekday() < 5 or d in make_up


# Where the government's notices (the sourced calendar file) decided otherwise than the
# pinned holidays package: New Year 2026, văn bản 12729/VPCP-KGVX of 25/12/2025.
NOTICE_CHANGES = {date(2026, 1, 2): False, date(2026, 1, 10): True}


@pytest.mark.parametrize("year", YEARS)
def test_every_national_holiday_is_a_day_off_with_a_name(year: int) -> None:
    national = holidays.Vietnam(years=year, language="vi")
    assert national  # the package knows the year: its lunar dates are the file's
    for day in national:
        assert not CAL.is_working_day(day), day
        if day.weekday() < 5:
            assert CAL.holiday_name(day), day


@pytest.mark.parametrize("year", (2024, *YEARS, 2028))
def test_whole_year_matches_the_package_but_for_the_notices(year: int) -> None:
    day = date(year, 1, 1)
    while day.year == year:
        assert CAL.is_working_day(day) == NOTICE_CHANGES.get(day, _naive_is_working(day)), day
        day += timedelta(days=1)


@pytest.mark.parametrize("year", range(2020, 2036))
def test_fixed_holidays_are_never_working_days(year: int) -> None:
    for month, day in ((1, 1), (4, 30), (5, 1), (9, 2)):
        assert not CAL.is_working_day(date(year, month, day))


def test_tet_2025() -> None:
    # The package gives 27/01 (29 Tết) to 01/02/2025; the weekdays 27-31/01 are off.
    for d in range(27, 32):
        assert not CAL.is_working_day(date(2025, 1, d))
        assert CAL.holiday_name(date(2025, 1, d))
    assert CAL.is_working_day(date(2025, 1, 24))  # Friday before
    assert CAL.is_working_day(date(2025, 2, 3))  # Monday after
    assert CAL.next_working_day(date(2025, 1, 24)) == date(2025, 2, 3)


def test_tet_2026() -> None:
    for d in range(16, 21):
        assert not CAL.is_working_day(date(2026, 2, d))
    assert CAL.is_working_day(date(2026, 2, 13))
    assert CAL.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)
    assert CAL.working_days_between(date(2026, 2, 13), date(2026, 2, 23)) == 1


def test_tet_2027() -> None:
    for d in (4, 5, 8, 9, 10):
        assert not CAL.is_working_day(date(2027, 2, d))
    assert CAL.next_working_day(date(2027, 2, 3)) == date(2027, 2, 11)


def test_hung_kings_day_and_its_observed_day() -> None:
    assert not CAL.is_working_day(date(2025, 4, 7))  # lunar 10/3, a Monday
    # 2026: lunar 10/3 falls on Sunday 26/04, observed on Monday 27/04.
    assert date(2026, 4, 26).weekday() == 6
    assert not CAL.is_working_day(date(2026, 4, 27))
    assert "Hùng Vương" in (CAL.holiday_name(date(2026, 4, 27)) or "")
    assert not CAL.is_working_day(date(2027, 4, 16))


def test_reunification_and_labour_day_2025_with_make_up_saturday() -> None:
    # 02/05/2025 is a day off swapped with Saturday 26/04/2025, which is worked.
    assert not CAL.is_working_day(date(2025, 5, 2))
    assert CAL.is_working_day(date(2025, 4, 26))
    assert CAL.make_up_days(2025) == [date(2025, 4, 26)]
    assert CAL.next_working_day(date(2025, 4, 29)) == date(2025, 5, 5)


def test_national_day_with_substitute_days() -> None:
    assert not CAL.is_working_day(date(2025, 9, 1))
    assert not CAL.is_working_day(date(2025, 9, 2))
    # 2026: 31/08 off in exchange for Saturday 22/08, plus 01-02/09.
    for d in (date(2026, 8, 31), date(2026, 9, 1), date(2026, 9, 2)):
        assert not CAL.is_working_day(d)
    assert CAL.is_working_day(date(2026, 8, 22))
    assert not CAL.is_working_day(date(2027, 9, 3))
    # 01/05/2027 is a Saturday, observed on Monday 03/05.
    assert not CAL.is_working_day(date(2027, 5, 3))


def test_weekends_are_off() -> None:
    assert not CAL.is_working_day(date(2026, 3, 7))
    assert not CAL.is_working_day(date(2026, 3, 8))
    assert CAL.is_working_day(date(2026, 3, 9))


def test_overrides() -> None:
    cal = WorkingCalendar(
        [
            CalendarOverride(date(2026, 3, 7), "work", "make-up Saturday"),
            CalendarOverride(date(2026, 3, 10), "off", "local festival"),
            CalendarOverride(date(2026, 2, 16), "work"),
        ]
    )
    assert cal.is_working_day(date(2026, 3, 7))
    assert not cal.is_working_day(date(2026, 3, 10))
    assert cal.holiday_name(date(2026, 3, 10)) == "local festival"
    assert cal.is_working_day(date(2026, 2, 16))  # an override wins over a holiday
    assert cal.holiday_name(date(2026, 2, 16)) is None
    days_off = dict(cal.holidays(2026))
    assert date(2026, 3, 10) in days_off
    assert date(2026, 2, 16) not in days_off
    assert cal.next_working_day(date(2026, 3, 6)) == date(2026, 3, 7)
    assert cal.add_working_days(date(2026, 3, 6), 3) == date(2026, 3, 11)
    assert [o.day for o in cal.overrides] == sorted(o.day for o in cal.overrides)


def test_later_override_wins() -> None:
    d = date(2026, 3, 11)
    cal = WorkingCalendar([CalendarOverride(d, "off"), CalendarOverride(d, "work")])
    assert cal.is_working_day(d)


def test_override_kind_is_checked() -> None:
    with pytest.raises(ValueError):
        CalendarOverride(date(2026, 1, 1), "holiday")  # type: ignore[arg-type]


def test_office_hours() -> None:
    hours = OfficeHours()
    assert hours.closing.hour == 17 and hours.opening.hour == 7


def test_add_working_days_basics() -> None:
    fri = date(2026, 3, 6)
    assert CAL.add_working_days(fri, 0) == fri
    assert CAL.add_working_days(date(2026, 3, 7), 0) == date(2026, 3, 7)
    assert CAL.add_working_days(fri, 1) == date(2026, 3, 9)
    assert CAL.add_working_days(fri, -1) == date(2026, 3, 5)
    assert CAL.previous_working_day(date(2026, 3, 9)) == fri
    # Across the new year: 31/12/2026 Thu, 01/01/2027 holiday.
    assert CAL.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert CAL.add_working_days(date(2027, 1, 4), -1) == date(2026, 12, 31)
    # Many years ahead and back.
    far = CAL.add_working_days(date(2025, 1, 2), 1000)
    assert CAL.working_days_between(date(2025, 1, 2), far) == 1000
    assert CAL.add_working_days(far, -1000) == date(2025, 1, 2)


def test_working_days_between_is_half_open() -> None:
    mon, fri = date(2026, 3, 2), date(2026, 3, 6)
    assert CAL.working_days_between(mon, fri) == 4
    assert CAL.working_days_between(mon, mon) == 0
    assert CAL.working_days_between(fri, mon) == 0
    assert CAL.working_days_between(date(2026, 12, 30), date(2027, 1, 5)) == 3


days = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))


@settings(max_examples=200, deadline=None)
@given(days, st.integers(min_value=0, max_value=400))
def test_add_and_count_agree(d: date, n: int) -> None:
    target = CAL.add_working_days(d, n)
    assert CAL.working_days_between(d, target) == n
    if n:
        assert CAL.is_working_day(target)
        back = CAL.add_working_days(target, -n)
        assert back == d if CAL.is_working_day(d) else back == CAL.previous_working_day(d)


@settings(max_examples=200, deadline=None)
@given(days, st.integers(min_value=0, max_value=60))
def test_count_matches_brute_force(a: date, span: int) -> None:
    b = a + timedelta(days=span)
    expected = sum(CAL.is_working_day(a + timedelta(days=i)) for i in range(1, span + 1))
    assert CAL.working_days_between(a, b) == expected


@settings(max_examples=200, deadline=None)
@given(days)
def test_next_working_day_is_strictly_after_and_nothing_in_between(d: date) -> None:
    nxt = CAL.next_working_day(d)
    assert nxt > d and CAL.is_working_day(nxt)
    day = d + timedelta(days=1)
    while day < nxt:
        assert not CAL.is_working_day(day)
        day += timedelta(days=1)


def test_english_names() -> None:
    cal = WorkingCalendar(language="en")
    assert cal.holiday_name(date(2026, 1, 1)) == "New Year's Day"


def test_only_vietnam_is_loaded_and_it_matches_the_registry() -> None:
    """The desk loads holidays' Vietnam module on its own (not all ~280 countries):
    in a fresh interpreter, building a year's calendar must leave exactly that
    country module imported, and give the same days as ``holidays.Vietnam``."""
    code = (
        "import sys, json\n"
        "from datetime import date\n"
        "from ward_desk.domain.calendar import WorkingCalendar\n"
        "cal = WorkingCalendar()\n"
        "cal.next_working_day(date(2030, 2, 13))\n"  # a year no notice covers: the package's
        "loaded = sorted(m for m in sys.modules if m.startswith('holidays.countries'))\n"
        "days = {y: sorted((d.isoformat(), n) for d, n in cal._national_year(y).holidays.items()) for y in range(2015, 2036)}\n"
        "print(json.dumps({'loaded': loaded, 'days': days}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["loaded"] == ["holidays.countries.vietnam"]
    for year, days in out["days"].items():
        if int(year) in packaged_calendar().years:
            continue  # the notice file's own names (test_every_national_holiday_is_a_day_off_with_a_name)
        expected = sorted((d.isoformat(), n) for d, n in holidays.Vietnam(years=int(year), language="vi").items())
        assert [tuple(x) for x in days] == expected, year


def test_vietnam_class_falls_back_to_the_registry_when_the_layout_changes(monkeypatch, tmp_path) -> None:
    """If a future holidays release moves its country modules, the calendar still
    works, through the package's own registry."""
    import ward_desk.domain.calendar as calendar

    monkeypatch.delitem(sys.modules, "holidays.countries.vietnam", raising=False)
    monkeypatch.setattr(holidays, "__file__", str(tmp_path / "holidays" / "__init__.py"))
    assert calendar._vietnam_class() is holidays.Vietnam


def test_a_national_source_replaces_the_package() -> None:
    """The calendar asks its national source (the package, or a cache of it) once a
    year and language; the working days follow what it says."""
    from ward_desk.domain.calendar import NationalYear

    asked: list[tuple[int, str]] = []

    def source(year: int, language: str) -> NationalYear:
        asked.append((year, language))
        days = {date(year, 3, 3): "Ngày thử"} if year == 2026 else {}
        return NationalYear(days, frozenset({date(2026, 3, 7)}) if year == 2026 else frozenset())

    cal = WorkingCalendar(national=source)
    assert not cal.is_working_day(date(2026, 3, 3)) and cal.holiday_name(date(2026, 3, 3)) == "Ngày thử"
    assert cal.is_working_day(date(2026, 3, 7))  # a Saturday made a working day
    assert cal.is_working_day(date(2026, 1, 1))  # the source, not the package, decides
    assert sorted(set(asked)) == [(2025, "vi"), (2026, "vi"), (2027, "vi")] and len(asked) == 3
