"""Dates as Vietnamese offices write them: dd/mm/yyyy and dd/mm/yyyy HH:MM, in office time."""

from __future__ import annotations

import re
from datetime import date, datetime, time

from ward_desk.domain.timing import TZ, to_local, to_utc
from ward_desk.errors import InvalidInput

_DATE = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")
_DATETIME = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T]+(\d{1,2})[:hg](\d{2}))?\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?)?\s*$")


def parse_date(text: str) -> date:
    """Parse ``dd/mm/yyyy`` (also with '.' or '-'); raise ``InvalidInput('validation.date')``."""
    m = _DATE.match(text or "")
    if not m:
        iso = _ISO.match(text or "")
        if iso and iso.group(4) is None:
            m_day, m_month, m_year = int(iso.group(3)), int(iso.group(2)), int(iso.group(1))
        else:
            raise InvalidInput("validation.date", value=text)
    else:
        m_day, m_month, m_year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    try:
        return date(m_year, m_month, m_day)
    except ValueError:
        raise InvalidInput("validation.date", value=text) from None


def parse_local_datetime(text: str, *, default_time: time = time(8, 0), tz=TZ) -> datetime:
    """Parse ``dd/mm/yyyy HH:MM`` (or ISO) typed in office time; return naive UTC."""
    m = _DATETIME.match(text or "")
    iso = None if m else _ISO.match(text or "")
    if m:
        d, mo, y, hh, mm = m.groups()
    elif iso:
        y, mo, d, hh, mm = iso.groups()
    else:
        raise InvalidInput("validation.datetime", value=text)
    try:
        local = datetime(int(y), int(mo), int(d), int(hh) if hh else default_time.hour,
                         int(mm) if mm else default_time.minute, tzinfo=tz)
    except ValueError:
        raise InvalidInput("validation.datetime", value=text) from None
    return to_utc(local, tz)


def format_date(value: date | datetime | None, tz=TZ) -> str:
    """``dd/mm/yyyy``; a datetime is naive UTC and shown in office time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value, tz).date()
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime | None, tz=TZ) -> str:
    """``dd/mm/yyyy HH:MM`` in office time from naive UTC."""
    if value is None:
        return ""
    return to_local(value, tz).strftime("%d/%m/%Y %H:%M")
