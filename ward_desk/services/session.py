"""The unlocked context every service works in: who, where, which rules, what time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ward_desk.domain.calendar import WorkingCalendar
from ward_desk.domain.timing import CountingRules
from ward_desk.errors import PermissionDenied
from ward_desk.store.database import Store
from ward_desk.store.models import Office, User


def utc_now() -> datetime:
    """Naive UTC now: the one clock the services read (tests and the demo inject their own)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass
class Session:
    """An unlocked store with its signed-in user.

    ``clock`` returns naive UTC; services never call ``datetime.now`` themselves so
    that tests, imports and the demo generator can set the time.
    """

    store: Store
    user: User
    office: Office
    calendar: WorkingCalendar
    rules: CountingRules = field(default_factory=CountingRules)
    clock: Callable[[], datetime] = utc_now
    # The counter (quầy) this desk session serves at, recorded on every event it makes
    # and printed on receipts; "" when none is set (one counter, or not configured).
    counter: str = ""

    def require_role(self, *roles: str) -> None:
        """Refuse unless the signed-in user has one of ``roles``."""
        if self.user.role not in roles:
            raise PermissionDenied("auth.role_required", roles=", ".join(roles), role=self.user.role)
