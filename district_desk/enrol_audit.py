"""Who changed which ward's key, and why: re-enrolment and un-revocation are a
replace step with a reason (issue 15, item 4).

:func:`record_key_change` is the one place such a change is written down. It
logs to ``district_desk.audit`` now; the district's audit trail table (another
branch) is wired in here at merge, so every caller already passes what an audit
entry needs.
"""

from __future__ import annotations

import logging

log = logging.getLogger("district_desk.audit")


def record_key_change(
    *, office_code: str, action: str, old_fingerprint: str, new_fingerprint: str, reason: str, via: str
) -> None:
    """Write down one change of a ward's enrolled key: ``action`` is ``enrol``
    (first enrolment), ``replace`` (another key for an enrolled office) or
    ``unrevoke`` (a revoked office enrolled again); ``via`` is ``key-file`` or
    ``code``."""
    log.warning(
        "ward key %s: office=%s old=%s new=%s via=%s reason=%r",
        action, office_code, old_fingerprint or "-", new_fingerprint, via, reason,
    )
