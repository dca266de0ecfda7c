"""Building dossiers in a real store for report tests: through the services (hand-built
months) or as rows (generated data), with a settable clock."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from ward_desk.domain.timing import TZ, to_utc
from ward_desk.services import dossiers
from ward_desk.services.dossiers import IntakeRequest


def local(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    """Office-local wall time -> naive UTC."""
    return to_utc(datetime.combine(date(y, m, d), time(hh, mm), tzinfo=TZ), TZ)


def intake(session, clock, at: datetime, procedure: str = "HT.04", channel: str = "direct", digitized: bool = False):
    clock.now = at
    return dossiers.intake(session, IntakeRequest(procedure_code=procedure, applicant_name="Nguyễn Thị Hoa",
                                                  channel=channel, digitized=digitized))


def move(session, clock, code: str, action: str, at: datetime, **kwargs):
    clock.now = at
    return dossiers.move(session, code, action, **kwargs)


def resolve(session, clock, code: str, at: datetime, returned: bool = False, rating: str | None = None):
    if dossiers.get(code).state == "received":
        move(session, clock, code, "forward", at)
    d = move(session, clock, code, "mark_result_ready", at)
    if returned:
        d = move(session, clock, code, "return_result", at, rating=rating)
    return d


def new_uid() -> str:
    return uuid.uuid4().hex
