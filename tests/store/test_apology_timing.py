"""Apology timing (issue 10.3): a week ahead is allowed and on time; after the latest
day (one working day before the due date), even after the due date, it is allowed and
recorded as late, in the event's data and in `dossier show`."""

from __future__ import annotations

import json
from datetime import datetime

from ward_desk.domain.timing import to_utc


def local(y: int, mo: int, d: int, h: int = 9) -> datetime:
    return to_utc(datetime(y, mo, d, h))


def _open(session, clock, name: str):
    from ward_desk.services import dossiers

    clock.now = local(2026, 3, 2, 9)  # Monday; HT.10 is 5 working days: due Mon 09/03 17:00
    d = dossiers.intake(session, dossiers.IntakeRequest(procedure_code="HT.10", applicant_name=name))
    dossiers.move(session, d.code, "forward")
    return d


def _apology_event(code: str) -> dict:
    from ward_desk.services import dossiers

    events = dossiers.history(dossiers.get(code))
    return json.loads(next(e for e in events if e.kind == "apology").data)


def test_a_week_ahead_is_on_time_and_after_the_due_date_is_late(session, clock) -> None:
    from ward_desk.cli.commands import _dossier_dict
    from ward_desk.services import dossiers

    early = _open(session, clock, "Nguyễn Văn Sớm")
    assert early.due_at == local(2026, 3, 9, 17)
    clock.now = local(2026, 3, 2, 14)  # a week before: the old rule refused this as too early
    dossiers.issue_apology(session, early.code, local(2026, 3, 16, 17), "Chờ kết quả xác minh của Sở Tư pháp")
    assert _apology_event(early.code) == {"slip": _apology_event(early.code)["slip"], "late": False,
                                          "latest_day": "2026-03-06"}

    late = _open(session, clock, "Trần Thị Muộn")
    clock.now = local(2026, 3, 10, 10)  # the day after the due date: allowed, recorded late
    dossiers.issue_apology(session, late.code, local(2026, 3, 17, 17), "Chờ ý kiến của cơ quan chuyên môn")
    assert _apology_event(late.code)["late"] is True
    stored = dossiers.get(late.code)
    shown = _dossier_dict(stored, dossiers.history(stored))
    assert [e["late"] for e in shown["events"] if e["kind"] == "apology"] == [True]
    assert [e.get("late") for e in _dossier_dict(dossiers.get(early.code), dossiers.history(
        dossiers.get(early.code)))["events"] if e["kind"] == "apology"] == [False]
