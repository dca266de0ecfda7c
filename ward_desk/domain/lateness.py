"""Which open dossiers will be late: the ones an apology slip is due for now.

Kept apart from "due today / due soon" on purpose: a same-day procedure received a
minute ago is due today, and flagging it for an apology teaches clerks to ignore the
flag. A dossier will be late when its due time has passed without a result (still
being worked on) and no apology slip has been issued for it yet.
"""

from __future__ import annotations

from datetime import datetime

# The states in which a result is still being worked on (services.dossiers.RUNNING_STATES).
RUNNING = frozenset({"received", "in_progress"})


def will_be_late(state: str, due_at_utc: datetime, apology_count: int, now_utc: datetime) -> bool:
    """True when the dossier's apology slip is due: running, past its due time, none issued."""
    return state in RUNNING and due_at_utc < now_utc and apology_count == 0
