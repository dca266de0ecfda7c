"""One-time enrolment codes at the district: issue, prove the district key, enrol.

``district-desk enrol-code --office-code C`` issues a code (the newest one for
an office replaces any older unused one). The receiver answers
``GET /v1/enrol/{office}`` with ``district.pub`` and a proof keyed by the code,
and ``POST /v1/enrol/{office}`` enrols the ward key whose proof matches, once.
A few wrong proofs burn the code.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import peewee

from district_desk.backends import Backend
from district_desk.models import EnrolmentCode, Ward
from district_desk.store import DistrictStore, utcnow
from sync_agent import enrol_code
from sync_agent.errors import BadInput
from sync_agent.keyfiles import WardPublicKey

MAX_FAILURES = 5


@dataclass(frozen=True)
class IssuedCode:
    code: str
    expires_at: datetime


class EnrolmentRefused(Exception):
    """No usable code, or a wrong proof (one answer for both)."""


def new_code(office_code: str, *, hours: float = 24.0, replace_reason: str = "") -> IssuedCode:
    """Issue a code for ``office_code`` valid for ``hours`` and one use. For an
    office already enrolled (or revoked) the code would hand that office to
    whoever types it, so it is refused unless ``replace_reason`` says why."""
    ward = Ward.get_or_none(Ward.office_code == office_code)
    if ward is not None and not replace_reason.strip():
        raise BadInput("sync.enrol.replace_needed", office=office_code, fingerprint=ward.fingerprint,
                       state="revoked" if ward.revoked_at is not None else "enrolled")
    code = enrol_code.new_code()
    now = utcnow()
    db = EnrolmentCode._meta.database
    with db.atomic():
        EnrolmentCode.update(expires_at=now).where(
            (EnrolmentCode.office_code == office_code) & EnrolmentCode.used_at.is_null() & (EnrolmentCode.expires_at > now)
        ).execute()
        row = EnrolmentCode.create(
            office_code=office_code,
            auth_key=enrol_code.derive_auth_key(code, office_code).hex(),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
            replace_reason=replace_reason.strip()[:255],
        )
    return IssuedCode(code, row.expires_at)


def _active(office_code: str, *, lock: Backend | None = None) -> EnrolmentCode | None:
    """The office's usable code, newest first; with ``lock``, locked until the transaction ends."""
    query = (
        EnrolmentCode.select()
        .where(
            (EnrolmentCode.office_code == office_code)
            & EnrolmentCode.used_at.is_null()
            & (EnrolmentCode.expires_at > utcnow())
            & (EnrolmentCode.failures < MAX_FAILURES)
        )
        .order_by(EnrolmentCode.id.desc())
    )
    return (lock.lock(query) if lock is not None else query).first()


def district_offer(store: DistrictStore, office_code: str, keys: Any = None) -> dict[str, str]:
    """``district.pub`` and its proof under the office's active code. With the
    district's ``keys`` and no active code, a decoy proof under a key derived from
    the signing key and the office (the same every time, like a real one), so the
    answer does not reveal whether a code is active; a ward typing any code then
    fails the proof, as with a wrong code. Without ``keys``, no active code is
    :class:`EnrolmentRefused`."""
    row = _active(office_code)
    doc = store.public_keys().to_json()
    if row is None:
        if keys is None:
            raise EnrolmentRefused()
        auth_key = _decoy_key(keys, office_code)
    else:
        auth_key = bytes.fromhex(row.auth_key)
    return {"district_key": doc, "proof": enrol_code.district_proof(auth_key, office_code, doc.encode("utf-8"))}


def _decoy_key(keys: Any, office_code: str) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    from sync_agent.envelope import raw_private

    return HKDF(hashes.SHA256(), 64, salt=b"ward-desk/enrol-decoy/v2", info=office_code.encode()).derive(
        raw_private(keys.sign))


def enrol_with_proof(store: DistrictStore, office_code: str, ward_key_doc: str, proof: str) -> Ward:
    """Enrol the ward key in ``ward_key_doc`` if ``proof`` matches the active code."""
    district_fp = store.public_keys().fingerprint
    with store.db.atomic():
        row = _active(office_code, lock=store.backend)
        if row is None:
            raise EnrolmentRefused()
        expected = enrol_code.ward_proof(bytes.fromhex(row.auth_key), office_code, district_fp, ward_key_doc.encode("utf-8"))
        if not enrol_code.proofs_equal(expected, proof):
            # Counted in a transaction of its own so the refusal cannot roll it back.
            failed = True
        else:
            failed = False
            ward_key = WardPublicKey.from_json(ward_key_doc)  # BadInput on a damaged document
            if ward_key.office_code != office_code:
                raise BadInput("sync.enrol.code_mismatch", given=office_code, in_file=ward_key.office_code)
            ward = store.enrol(ward_key, office_code, replace_reason=row.replace_reason, via="code")
            row.used_at = utcnow()
            row.ward_fingerprint = ward_key.fingerprint
            row.save()
            return ward
    if failed:
        with contextlib.suppress(peewee.PeeweeException):
            EnrolmentCode.update(failures=EnrolmentCode.failures + 1).where(EnrolmentCode.id == row.id).execute()
    raise EnrolmentRefused()
