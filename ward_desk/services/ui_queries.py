"""Read-only look-ups the desk UI needs beyond :mod:`ward_desk.services.dossiers`.

Kept apart from the dossier services so the UI can grow its pick lists and
dashboard drill-downs without touching the transactional code.
"""

from __future__ import annotations

from datetime import datetime

from ward_desk.services.dossiers import DossierFilter, list_dossiers
from ward_desk.services.session import Session
from ward_desk.store.models import Dossier, Procedure, User


def list_fields() -> list[str]:
    """The procedure fields (lĩnh vực) in use, sorted, for the list filter."""
    rows = Procedure.select(Procedure.field).where(Procedure.active == True).distinct()  # noqa: E712
    return sorted(r.field for r in rows)


def list_officers() -> list[tuple[str, str]]:
    """(username, full name) of active users, for the officer filter."""
    q = User.select(User.username, User.full_name).where(User.active == True).order_by(User.username)  # noqa: E712
    return [(u.username, u.full_name) for u in q]


def list_page(
    session: Session,
    f: DossierFilter,
    *,
    received: tuple[datetime, datetime] | None = None,
    closed: tuple[datetime, datetime] | None = None,
    completed: tuple[datetime, datetime] | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int = 50,
) -> list[Dossier]:
    """A page of the dossier list, newest received first, keyset-paged by ``after``.

    ``received`` / ``closed`` / ``completed`` are UTC half-open windows for the
    dashboard's "received today", "returned today" and "resolved this month" lines, which
    :class:`DossierFilter` does not express; without them this is exactly
    :func:`ward_desk.services.dossiers.list_dossiers`.
    """
    if received is None and closed is None and completed is None:
        return list_dossiers(session, f, after=after, limit=limit)
    q = Dossier.select(Dossier, Procedure).join(Procedure)
    if f.states:
        q = q.where(Dossier.state.in_(list(f.states)))
    if f.field:
        q = q.where(Procedure.field == f.field)
    if f.officer:
        q = q.where(Dossier.officer == User.select(User.id).where(User.username == f.officer))
    if received is not None:
        q = q.where((Dossier.received_at >= received[0]) & (Dossier.received_at < received[1]))
    if closed is not None:
        q = q.where((Dossier.closed_at >= closed[0]) & (Dossier.closed_at < closed[1]))
    if completed is not None:
        q = q.where((Dossier.completed_at >= completed[0]) & (Dossier.completed_at < completed[1]))
    if after is not None:
        q = q.where((Dossier.received_at < after[0])
                    | ((Dossier.received_at == after[0]) & (Dossier.id < after[1])))
    return list(q.order_by(Dossier.received_at.desc(), Dossier.id.desc()).limit(limit))



def returned_months() -> list[str]:
    """Months ("YYYY-MM") whose latest self-assessment revision upstream returned, newest first."""
    from ward_desk.store.models import SelfAssessment

    latest: dict[str, tuple[int, str]] = {}
    for month, revision, state in (SelfAssessment
                                   .select(SelfAssessment.month, SelfAssessment.revision, SelfAssessment.state)
                                   .tuples()):
        if month not in latest or revision > latest[month][0]:
            latest[month] = (revision, state)
    return sorted((m for m, (_, state) in latest.items() if state == "returned"), reverse=True)


def month_label(session: Session, months_back: int = 0) -> str:
    """"YYYY-MM" of the office-local month ``months_back`` before the current one."""
    from ward_desk.domain.timing import local_day

    today = local_day(session.clock(), session.rules)
    index = today.year * 12 + today.month - 1 - months_back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def shift_month(month: str, step: int) -> str:
    """The month ``step`` months after ``month`` ("YYYY-MM")."""
    year, mon = (int(x) for x in month.split("-"))
    index = year * 12 + mon - 1 + step
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
