"""The sourced national calendar: each year's days off and make-up days, with their law.

The Labour Code (2019, art. 112) sets the holidays; each year a government notice sets
public servants' actual days off, swapping some against make-up Saturdays. Those
notices are data (``ward_desk/data/national_calendar.toml``, and year notices that
upstream publishes through the signed downlink), parsed here into :class:`YearNotice`
values. :func:`~ward_desk.domain.calendar.national_year` answers a year from the file and falls back to the
``holidays`` package for years no notice covers (:func:`with_notices` layers
upstream's notices on top); :func:`calendar_version` names the
whole combination, so a dossier can record which calendar its due date came from.

Pure: the text comes in already read (the caller reads the file or the envelope).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from ward_desk.domain.calendar import CalendarOverride, NationalSource, NationalYear
from ward_desk.errors import InvalidInput

__all__ = [
    "STATUSES",
    "CalendarData",
    "NoticeDay",
    "Source",
    "YearNotice",
    "calendar_version",
    "packaged_calendar",
    "parse_calendar_data",
    "parse_year_notice",
    "with_notices",
]

STATUSES = ("enacted", "provisional")
_KINDS = ("off", "work")
_MAX_SPAN = 31  # a holiday span longer than a month is a typo, not a notice

@dataclass(frozen=True)
class Source:
    """The document a day comes from. Unchecked numbers or dates say so in their text."""

    key: str
    document: str
    number: str = ""
    date: str = ""
    issuer: str = ""
    status: str = "enacted"

    def label(self) -> str:
        """One line naming the document: number, date, issuer."""
        parts = [p for p in (self.number, self.date, self.issuer) if p]
        return ", ".join(parts) if parts else self.document

@dataclass(frozen=True)
class NoticeDay:
    """One day of a notice: a day off or a make-up working day."""

    day: date
    kind: str  # off | work
    name_vi: str
    name_en: str
    source: str  # key of a Source
    status: str  # enacted | provisional

    def name(self, language: str) -> str:
        """The day's name in ``language`` (Vietnamese unless English is asked for)."""
        return self.name_en if language == "en" and self.name_en else self.name_vi

@dataclass(frozen=True)
class YearNotice:
    """A whole year of public servants' days off: when a year has one, it is the law
    for that year (the ``holidays`` package is not asked)."""

    year: int
    version: str
    status: str
    days: tuple[NoticeDay, ...]
    sources: Mapping[str, Source]

    def national(self, language: str) -> NationalYear:
        """This year as a :class:`NationalYear` (names in ``language``)."""
        off = {d.day: d.name(language) for d in self.days if d.kind == "off"}
        work = frozenset(d.day for d in self.days if d.kind == "work")
        provisional = frozenset(d.day for d in self.days if d.status == "provisional")
        return NationalYear(off, work, provisional=provisional, basis=f"{self.year}:{self.version}")

    def source_of(self, day: date) -> Source | None:
        """The document behind ``day`` in this notice, or None if the notice does not name it."""
        for d in self.days:
            if d.day == day:
                return self.sources.get(d.source)
        return None

    def as_dict(self) -> dict[str, Any]:
        """The notice as the downlink carries it (see :func:`parse_year_notice`)."""
        used = sorted({d.source for d in self.days})
        return {
            "year": self.year, "version": self.version, "status": self.status,
            "sources": {k: {"document": s.document, "number": s.number, "date": s.date, "issuer": s.issuer,
                            "status": s.status} for k in used if (s := self.sources.get(k))},
            "days": [{"date": d.day.isoformat(), "kind": d.kind, "name_vi": d.name_vi, "name_en": d.name_en,
                      "source": d.source, "status": d.status} for d in self.days],
        }

@dataclass(frozen=True)
class CalendarData:
    """The packaged calendar file: its version, a digest of its text, its years."""

    version: str
    digest: str
    years: Mapping[int, YearNotice]

def _bad(where: str, problem: str) -> InvalidInput:
    return InvalidInput("calendar.bad_notice", where=where, problem=problem)

def _text(raw: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise _bad(where, f"'{key}' must be a non-empty text")
    return value.strip()

def _day(value: Any, where: str, key: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _bad(where, f"'{key}' must be a date YYYY-MM-DD, not {value!r}") from None

def _sources(raw: Any, where: str) -> dict[str, Source]:
    if not isinstance(raw, Mapping):
        raise _bad(where, "'source' must be a table of documents")
    out: dict[str, Source] = {}
    for key, body in raw.items():
        at = f"{where} source {key}"
        if not isinstance(body, Mapping):
            raise _bad(at, "must be a table")
        status = _text(body, "status", at)
        if status not in STATUSES:
            raise _bad(at, f"status must be one of {', '.join(STATUSES)}")
        out[str(key)] = Source(str(key), _text(body, "document", at), _text(body, "number", at, required=False),
                               _text(body, "date", at, required=False), _text(body, "issuer", at, required=False),
                               status)
    return out

def _year(raw: Any, sources: Mapping[str, Source], version: str, where: str) -> YearNotice:
    if not isinstance(raw, Mapping):
        raise _bad(where, "a year must be a table")
    year = raw.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 1990 <= year <= 2100:
        raise _bad(where, f"'year' must be a year between 1990 and 2100, not {year!r}")
    where = f"{where} {year}"
    status = _text(raw, "status", where)
    if status not in STATUSES:
        raise _bad(where, f"status must be one of {', '.join(STATUSES)}")
    entries = raw.get("day", raw.get("days", []))
    if not isinstance(entries, Sequence) or isinstance(entries, str):
        raise _bad(where, "'day' must be a list of days")
    days: dict[date, NoticeDay] = {}
    for n, entry in enumerate(entries, 1):
        at = f"{where} day {n}"
        if not isinstance(entry, Mapping):
            raise _bad(at, "must be a table")
        first = _day(entry.get("date"), at, "date")
        last = _day(entry.get("to", first), at, "to")
        if not first <= last <= first + timedelta(days=_MAX_SPAN):
            raise _bad(at, "'to' must be on or after 'date', within a month")
        kind = _text(entry, "kind", at)
        if kind not in _KINDS:
            raise _bad(at, "kind must be 'off' or 'work'")
        source = _text(entry, "source", at)
        if source not in sources:
            raise _bad(at, f"source '{source}' is not among the documents")
        day_status = _text(entry, "status", at, required=False) or status
        if day_status not in STATUSES:
            raise _bad(at, f"status must be one of {', '.join(STATUSES)}")
        if sources[source].status == "provisional":
            day_status = "provisional"  # a day cannot be surer than its document
        name_vi = _text(entry, "name_vi", at)
        name_en = _text(entry, "name_en", at, required=False)
        d = first
        while d <= last:
            if d.year != year:
                raise _bad(at, f"{d.isoformat()} is not in {year}")
            if d in days:
                raise _bad(at, f"{d.isoformat()} is given twice")
            if kind == "work" and d.weekday() < 5:
                raise _bad(at, f"{d.isoformat()} is a weekday: a make-up day must be a Saturday or Sunday")
            days[d] = NoticeDay(d, kind, name_vi, name_en, source, day_status)
            d += timedelta(days=1)
    return YearNotice(year, version, status, tuple(sorted(days.values(), key=lambda x: x.day)), dict(sources))

def parse_calendar_data(raw: Mapping[str, Any], digest: str, where: str = "national_calendar") -> CalendarData:
    """The packaged calendar file (parsed TOML) as :class:`CalendarData`;
    ``InvalidInput("calendar.bad_notice")`` naming the entry that is wrong."""
    version = _text(raw, "version", where)
    sources = _sources(raw.get("source", {}), where)
    years: dict[int, YearNotice] = {}
    for entry in raw.get("year", []):
        notice = _year(entry, sources, version, where)
        if notice.year in years:
            raise _bad(where, f"{notice.year} is given twice")
        years[notice.year] = notice
    return CalendarData(version, digest, years)

def parse_year_notice(raw: Any) -> YearNotice:
    """A year notice as upstream publishes it through the downlink::

        {"year": 2027, "version": "...", "status": "enacted"|"provisional",
         "sources": {"key": {"document", "number", "date", "issuer", "status"}},
         "days": [{"date": "YYYY-MM-DD", "to"?, "kind": "off"|"work", "name_vi", "name_en",
                   "source": "key", "status"?}]}

    ``InvalidInput("calendar.bad_notice")`` when it does not hold together."""
    if not isinstance(raw, Mapping):
        raise _bad("notice", "must be an object")
    version = _text(raw, "version", "notice")
    return _year(raw, _sources(raw.get("sources", {}), "notice"), version, "notice")

def with_notices(base: NationalSource, notices: Iterable[YearNotice] = ()) -> NationalSource:
    """A national source answering each year from its notice in ``notices`` (upstream's,
    the later one of a year winning), else from ``base`` (the shipped file, the package)."""
    years: dict[int, YearNotice] = {}
    for notice in notices:
        years[notice.year] = notice
    if not years:
        return base

    def answer(year: int, language: str) -> NationalYear:
        notice = years.get(year)
        return notice.national(language) if notice is not None else base(year, language)

    return answer

def calendar_version(
    data_version: str, notices: Iterable[YearNotice] = (), overrides: Iterable[CalendarOverride] = ()
) -> str:
    """The name of the calendar in force: the data file's version, the upstream notices
    applied (year:version) and a short digest of the local overrides, e.g.
    ``"2026.12.03-1 2027:TB-1/2026 local:3f2a9c1b"``. Same calendar, same name."""
    parts = [data_version]
    latest: dict[int, str] = {}
    for notice in notices:
        latest[notice.year] = notice.version
    parts += [f"{year}:{version}" for year, version in sorted(latest.items())]
    local = sorted((o.day.isoformat(), o.kind) for o in overrides)
    if local:
        parts.append("local:" + hashlib.sha256(json.dumps(local).encode()).hexdigest()[:8])
    return " ".join(parts)



DATA_FILE = "national_calendar.toml"


@lru_cache(maxsize=1)
def packaged_calendar() -> CalendarData:
    """The calendar file shipped in ``ward_desk/data`` (read once per process).

    It is part of the program as installed, like the ``holidays`` package's own
    tables, not user data: reading it here keeps ``WorkingCalendar()`` the law
    wherever it is built (ward, upstream, tests). A broken file is a broken install
    and raises ``calendar.bad_notice`` naming the entry.
    """
    import sys
    from importlib import resources

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - 3.10
        import tomli as tomllib

    text = resources.files("ward_desk.data").joinpath(DATA_FILE).read_text(encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return parse_calendar_data(tomllib.loads(text), digest, DATA_FILE)
