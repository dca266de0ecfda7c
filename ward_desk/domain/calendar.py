"""The office's working calendar: which days count when processing time is measured.

Working days are Monday–Friday minus Vietnam's public servants' days off, plus
make-up Saturdays. For the years the government's notices cover, those come from
the sourced calendar file (:mod:`ward_desk.domain.notices`, each day with its
document and an enacted/provisional status); other years come from the
``holidays`` package (pinned to one version), which knows the lunar dates. Local
overrides that upstream may send (an extra day off, a make-up working Saturday)
win over both.

Lookups are answered from a per-year sorted list of working-day ordinals built
once per year and bisected afterwards, because intake calls ``compute_due`` on
every save and the bench generator calls it a million times.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, time
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import holidays as _holidays_typing

__all__ = ["CalendarOverride", "NationalYear", "OfficeHours", "WorkingCalendar", "national_year", "package_year"]

# The holidays package names its languages by locale; the app by bare language code.
_PKG_LANGUAGE = {"vi": "vi", "en": "en_US"}

_VIETNAM_MODULE = "holidays.countries.vietnam"
_import_lock = threading.Lock()


def _vietnam_class() -> type[_holidays_typing.HolidayBase]:
    """The ``holidays`` package's Vietnam calendar class, loaded on its own.

    ``holidays.Vietnam`` goes through the package's registry, which imports
    ``holidays.countries`` and, with it, all ~280 country modules: ~0.1 s and
    ~5 MiB paid at every desk launch for the one country used. The Vietnam module
    only imports holidays' base and calendar modules, so it is executed under its
    own name from the package's folder without the ``countries`` package's
    ``__init__``; a later ``import holidays.countries`` finds it in
    ``sys.modules`` and reuses it. If the package's layout ever changes, the
    registry is used as before.
    """
    import holidays as _holidays_pkg  # here, not at the top: a cached calendar never needs it

    with _import_lock:
        module = sys.modules.get(_VIETNAM_MODULE)
        if module is None:
            path = os.path.join(os.path.dirname(_holidays_pkg.__file__), "countries", "vietnam.py")
            spec = importlib.util.spec_from_file_location(_VIETNAM_MODULE, path)
            if spec is None or spec.loader is None or not os.path.exists(path):
                return _holidays_pkg.Vietnam  # type: ignore[no-any-return]
            module = importlib.util.module_from_spec(spec)
            sys.modules[_VIETNAM_MODULE] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[_VIETNAM_MODULE]
                raise
            parent = sys.modules.get("holidays.countries")
            if parent is not None:  # what a normal import of a submodule also does
                parent.vietnam = module  # type: ignore[attr-defined]
    return module.Vietnam  # type: ignore[no-any-return]


@dataclass(frozen=True)
class NationalYear:
    """One year of Vietnam's national calendar: from its notice, or the ``holidays`` package."""

    holidays: dict[date, str]  # days off (with substituted ones), named in the calendar's language
    weekend_workdays: frozenset[date]  # weekend days made working days by that year's decisions
    # Days off or make-up days not yet in force (a year before its notice, a day announced
    # but not yet in law): counted as stated, and marked wherever a date depends on them.
    provisional: frozenset[date] = frozenset()
    basis: str = ""  # where the year came from: "<year>:<data version>" or "holidays <version>"


NationalSource = Callable[[int, str], NationalYear]
"""Gives the national calendar of (year, language): :func:`national_year`, or a cache of it."""


def package_year(year: int, language: str = "vi") -> NationalYear:
    """Vietnam's national calendar for ``year`` as the ``holidays`` package computes it."""
    import holidays as _holidays_pkg

    national = _vietnam_class()(years=year, language=_PKG_LANGUAGE.get(language, "vi"))
    return NationalYear({d: str(n) for d, n in national.items()}, frozenset(national.weekend_workdays),
                        basis=f"holidays {_holidays_pkg.__version__}")


def national_year(year: int, language: str = "vi") -> NationalYear:
    """Public servants' calendar for ``year``: the shipped notice file where it covers the
    year (:func:`ward_desk.domain.notices.packaged_calendar`), else :func:`package_year`."""
    from ward_desk.domain.notices import packaged_calendar  # notices builds on this module

    notice = packaged_calendar().years.get(year)
    return notice.national(language) if notice is not None else package_year(year, language)


@dataclass(frozen=True)
class CalendarOverride:
    """A local exception to the national calendar.

    ``kind == "off"`` makes ``day`` a day off (e.g. a compensatory day off);
    ``kind == "work"`` makes it a working day (e.g. a make-up Saturday).
    """

    day: date
    kind: Literal["off", "work"]
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("off", "work"):
            raise ValueError(f"CalendarOverride.kind must be 'off' or 'work', not {self.kind!r}")


@dataclass(frozen=True)
class OfficeHours:
    """Opening hours of the one-stop office, in office-local time."""

    morning: tuple[time, time] = (time(7, 30), time(11, 30))
    afternoon: tuple[time, time] = (time(13, 30), time(17, 0))

    @property
    def opening(self) -> time:
        """The time the office opens in the morning."""
        return self.morning[0]

    @property
    def closing(self) -> time:
        """The time the office closes; a due date falls at this time of its due day."""
        return self.afternoon[1]


@dataclass(frozen=True)
class _Year:
    working: list[int]  # sorted ordinals of the year's working days
    working_set: frozenset[int]
    days_off: dict[date, str] = field(default_factory=dict)  # holidays + 'off' overrides
    provisional: frozenset[date] = frozenset()  # national provisional days no override decides


class WorkingCalendar:
    """Working days of one office: weekends, national holidays, local overrides.

    An override always wins over the national calendar; if two overrides name
    the same day, the later one in ``overrides`` wins (upstream sends them in
    order, so the newest decision counts).
    """

    def __init__(
        self,
        overrides: Iterable[CalendarOverride] = (),
        hours: OfficeHours = OfficeHours(),
        *,
        language: str = "vi",
        national: NationalSource = national_year,
        version: str = "",
    ) -> None:
        self.hours = hours
        # The name of this calendar (data file, upstream notices, local overrides), recorded
        # on each dossier whose due date it computes (domain.notices.calendar_version).
        self.version = version
        self.language = language
        self._overrides: dict[date, CalendarOverride] = {}
        for override in overrides:
            self._overrides[override.day] = override
        self._years: dict[int, _Year] = {}
        self._source = national
        self._national: dict[int, NationalYear] = {}
        self._lock = threading.Lock()

    @property
    def overrides(self) -> tuple[CalendarOverride, ...]:
        """The local overrides in force, sorted by day."""
        return tuple(sorted(self._overrides.values(), key=lambda o: o.day))

    def with_language(self, language: str) -> WorkingCalendar:
        """The same calendar (overrides, hours, national source, version) naming its days
        in ``language``."""
        if language == self.language:
            return self
        return WorkingCalendar(self._overrides.values(), self.hours, language=language,
                               national=self._source, version=self.version)

    # -- building -----------------------------------------------------------------

    def _national_year(self, year: int) -> NationalYear:
        national = self._national.get(year)
        if national is None:
            national = self._source(year, self.language)
            self._national[year] = national
        return national

    def _year(self, year: int) -> _Year:
        built = self._years.get(year)
        if built is not None:
            return built
        with self._lock:
            built = self._years.get(year)
            if built is None:
                built = self._build(year)
                self._years[year] = built
        return built

    def _build(self, year: int) -> _Year:
        national = self._national_year(year)
        # A make-up Saturday can belong to a neighbouring year's decision
        # (e.g. 27/12/2014 was worked in exchange for 02/01/2015).
        make_up: set[date] = set()
        provisional: set[date] = set()
        for y in (year - 1, year, year + 1):
            if 1 <= y <= 9999:
                other = self._national_year(y)
                make_up.update(d for d in other.weekend_workdays if d.year == year)
                provisional.update(d for d in other.provisional if d.year == year)
        names: dict[date, str] = {d: n for d, n in national.holidays.items() if d.year == year}

        days_off: dict[date, str] = {}
        working: list[int] = []
        first = date(year, 1, 1).toordinal()
        last = date(year, 12, 31).toordinal()
        for ordinal in range(first, last + 1):
            day = date.fromordinal(ordinal)
            override = self._overrides.get(day)
            if override is not None:
                works = override.kind == "work"
                if not works:
                    days_off[day] = override.note or names.get(day, "")
            elif day in names:
                works = False
                days_off[day] = names[day]
            else:
                works = day.weekday() < 5 or day in make_up
            if works:
                working.append(ordinal)
        provisional.difference_update(self._overrides)  # a local decision is not provisional
        return _Year(working=working, working_set=frozenset(working), days_off=days_off,
                     provisional=frozenset(provisional))

    # -- queries --------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        """True if the office works on ``d``."""
        return d.toordinal() in self._year(d.year).working_set

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        return self.add_working_days(d, 1)

    def previous_working_day(self, d: date) -> date:
        """The last working day strictly before ``d``."""
        return self.add_working_days(d, -1)

    def add_working_days(self, d: date, n: int) -> date:
        """The ``n``-th working day after ``d`` (``n == 0`` returns ``d`` itself).

        ``d`` need not be a working day. A negative ``n`` counts backwards: the
        ``|n|``-th working day before ``d``.
        """
        if n == 0:
            return d
        ordinal = d.toordinal()
        year = d.year
        days = self._year(year).working
        if n > 0:
            i = bisect_right(days, ordinal)  # working days up to and including d
            while i + n > len(days):
                n -= len(days) - i
                year += 1
                days = self._year(year).working
                i = 0
            return date.fromordinal(days[i + n - 1])
        i = bisect_left(days, ordinal)  # working days strictly before d
        while i + n < 0:
            n += i
            year -= 1
            days = self._year(year).working
            i = len(days)
        return date.fromordinal(days[i + n])

    def working_days_between(self, a: date, b: date) -> int:
        """How many working days lie in the half-open interval ``(a, b]``; 0 if ``b <= a``."""
        if b <= a:
            return 0
        days_a = self._year(a.year).working
        if a.year == b.year:
            return bisect_right(days_a, b.toordinal()) - bisect_right(days_a, a.toordinal())
        count = len(days_a) - bisect_right(days_a, a.toordinal())
        for year in range(a.year + 1, b.year):
            count += len(self._year(year).working)
        return count + bisect_right(self._year(b.year).working, b.toordinal())

    def holidays(self, year: int) -> list[tuple[date, str]]:
        """Days off other than ordinary weekends in ``year``, sorted: national holidays
        (including substituted days off) and local 'off' overrides, minus any day a
        local 'work' override turns into a working day."""
        return sorted(self._year(year).days_off.items())

    def holiday_name(self, d: date) -> str | None:
        """The name of the holiday or local day off on ``d``, or None if it is none.

        A local 'off' override without a note is named after the national holiday
        on that day if any, else the empty string (still not None: it is a day off).
        """
        return self._year(d.year).days_off.get(d)

    def make_up_days(self, year: int) -> list[date]:
        """Weekend days in ``year`` that are working days (make-up Saturdays)."""
        return [
            date.fromordinal(o)
            for o in self._year(year).working
            if date.fromordinal(o).weekday() >= 5
        ]

    def is_provisional(self, d: date) -> bool:
        """True if ``d`` is a day off or make-up day that is not yet in force (provisional)."""
        return d in self._year(d.year).provisional

    def provisional_days(self, year: int) -> list[date]:
        """The provisional days off and make-up days of ``year``, sorted."""
        return sorted(self._year(year).provisional)

    def provisional_between(self, a: date, b: date) -> list[date]:
        """The provisional days in ``(a, b]``: a date counted over them may still change."""
        out: list[date] = []
        for year in range(a.year, b.year + 1):
            out += [d for d in self.provisional_days(year) if a < d <= b]
        return out
