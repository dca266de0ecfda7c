"""Who changed which ward's key, and why: re-enrolment and un-revocation are a
replace step with a reason (issue 15, item 4).

:func:`record_key_change` is the one place such a change is written down. It
logs to ``district_desk.audit`` and writes a row of the audit trail
(:mod:`district_desk.audit`) in the caller's transaction.
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
    from district_desk import audit

    detail = f"{old_fingerprint or '-'} -> {new_fingerprint} ({via})" + (f": {reason}" if reason else "")
    audit.record({"replace": "key_replace"}.get(action, action), office_code=office_code,
                 subject=new_fingerprint[:16], detail=detail)
