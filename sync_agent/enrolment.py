"""The ward's side of enrolment, as a service: who we are to the district, and
recording the district we report to (its keys, its URL, the key escrow).

The CLI (``ward-desk sync key|enrol``) and any screen call these; they hold the
transaction, the callers only parse and print.
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any

from sync_agent.errors import BadInput
from sync_agent.keyfiles import DistrictPublicKeys, WardPublicKey


def ward_public_key(office: Any) -> WardPublicKey:
    """The public half of the office's signing key, as the district enrols it."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from sync_agent.envelope import raw_public

    if not office.signing_key:
        raise BadInput("sync.agent.no_signing_key")
    public = raw_public(Ed25519PrivateKey.from_private_bytes(bytes(office.signing_key)))
    return WardPublicKey(office_code=office.code, office_name=office.name, sign=public)


PLAIN_HTTP_LAB_FLAG = "--insecure-plain-http-lab-only"


def is_loopback_url(url: str) -> bool:
    """True when ``url``'s host is this machine (127.0.0.0/8, ::1, localhost)."""
    import ipaddress
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normal_district_url(url: str, *, allow_plain_http: bool = False) -> str:
    """``url`` without surrounding spaces or a trailing slash. HTTPS is required
    (certificates verified) unless the host is this machine; plain HTTP to another
    host only with ``allow_plain_http`` (the loudly named lab option,
    :data:`PLAIN_HTTP_LAB_FLAG`): on a real network it shows everything but the
    sealed envelopes to anyone on the way and lets them cut or stall the sync."""
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise BadInput("sync.ward.bad_url", url=url)
    if url.startswith("http://") and not is_loopback_url(url) and not allow_plain_http:
        raise BadInput("sync.ward.https_required", url=url, flag=PLAIN_HTTP_LAB_FLAG)
    return url


def record_district(session: Any, url: str, keys: DistrictPublicKeys, *, allow_plain_http: bool = False) -> None:
    """Make ``keys``' district at ``url`` the one this ward reports to (admin only).

    In one transaction: the office's upstream URL and keys and, when the district
    is a new one, the sync position back to batch 1 (another district knows
    nothing of our chain). Then the store key is escrowed to the district's
    recovery key in ``keys.json``: re-running enrolment redoes it, so a failure
    between the two leaves nothing that a second run does not mend.
    """
    from sync_agent.envelope import wrap_key_to
    from ward_desk.services.outbox import SyncStateStore

    session.require_role("admin")
    url = normal_district_url(url, allow_plain_http=allow_plain_http)
    office = session.office
    new_district = bytes(office.upstream_public_key or b"") != keys.encrypt
    with session.store.db.atomic("IMMEDIATE"):
        office.upstream_url = url
        office.upstream_label = keys.name
        office.upstream_public_key = keys.encrypt
        office.upstream_signing_key = keys.sign
        office.upstream_recovery_key = keys.recovery
        office.save()
        if new_district:
            SyncStateStore().reset_position()
        SyncStateStore().set_plain_http_lab(allow_plain_http and url.startswith("http://"))
    keyfile = session.store.keyfile()
    blob = wrap_key_to(keys.recovery, session.store.key, keyfile.escrow_aad())
    keyfile.set_escrow(
        base64.b64encode(blob).decode("ascii"),
        {"district": keys.name, "fingerprint": keys.fingerprint,
         "created_at": datetime.now(timezone.utc).replace(tzinfo=None).isoformat()},
    )
    keyfile.save(session.store.keys_path)
