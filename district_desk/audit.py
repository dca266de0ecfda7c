"""The province desk's audit trail: who enrolled or revoked a commune, decided on a
self-assessment, published a ranking, released or discarded a quarantined batch.

Rows are only ever inserted (:class:`district_desk.models.AuditEntry`); an act writes
its row in its own transaction where it has one, so an act and its trace stand or
fall together. The actor is the operating-system user running the command (the
province desk has no accounts of its own).
"""

from __future__ import annotations

import getpass
import os
from datetime import datetime
from typing import Any

from district_desk.models import AuditEntry
from district_desk.store import DistrictStore, utcnow

__all__ = ["ACTIONS", "current_actor", "entries", "record"]

ACTIONS = ("enrol", "key_replace", "unrevoke", "revoke", "review_accepted", "review_returned", "publish", "quarantine_release",
           "quarantine_discard")


def current_actor() -> str:
    """The operating-system user name (its uid where there is none, as in containers)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else ""


def record(action: str, *, office_code: str = "", subject: str = "", detail: str = "", actor: str | None = None,
           at: datetime | None = None) -> AuditEntry:
    """Insert one audit row (call inside the act's transaction)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    return AuditEntry.create(at=at or utcnow(), actor=(current_actor() if actor is None else actor)[:255],
                             action=action, office_code=office_code[:255], subject=subject[:255],
                             detail=detail[:4000])


def entries(store: DistrictStore, *, office_code: str | None = None, action: str | None = None,
            limit: int = 200) -> list[dict[str, Any]]:
    """The newest audit rows first, optionally of one commune or one kind of act."""
    del store  # the models are bound to the open store
    query = AuditEntry.select()
    if office_code:
        query = query.where(AuditEntry.office_code == office_code)
    if action:
        query = query.where(AuditEntry.action == action)
    return [
        {"at": e.at.isoformat(timespec="seconds") + "Z", "actor": e.actor, "action": e.action,
         "office_code": e.office_code, "subject": e.subject, "detail": e.detail}
        for e in query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    ]
