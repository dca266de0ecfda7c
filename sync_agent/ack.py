"""Signed acknowledgements (protocol 2): the district's answer as evidence.

In protocol 1 the ward adopted whatever JSON answered it and pruned its outbox
against it, so anything between the two (a relay, a captive portal, a proxy)
could say "all received" and make the ward delete records the district never
got. In protocol 2 every answer to an uplink envelope carries ``signed_ack``:

```
{"body": "<canonical JSON of the fields below>", "signature": "<base64url Ed25519>"}
```

signed by the district's Ed25519 ``sign`` key (the one the ward pinned at
enrolment) over ``ward-desk/ack-signature/v2\\0 || body``. The body names the
office, the position (``acked_batch_no``, ``acked_seq``, ``acked_batch_hash``),
the batch the answer is about (``batch_no``, ``batch_hash``, both 0/"" for a
heartbeat) and ``in_reply_to``: the SHA-256 of the exact envelope it answers.
Every envelope has a fresh ephemeral key, so ``in_reply_to`` is the ward's
fresh challenge: an ack recorded earlier cannot be replayed to a later request.

Pure: bytes and dicts in, a verified :class:`SignedAck` or :class:`AckError` out.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync_agent.envelope import canonical_json, fingerprint, raw_public

ACK_VERSION = 2
_ACK_SIG_CONTEXT = b"ward-desk/ack-signature/v2\x00"
_HASH_RE = re.compile(r"^(|[0-9a-f]{64})\Z")
_MAX_BODY = 8192
_INT_FIELDS = ("acked_seq", "acked_batch_no", "highest_batch_no", "batch_no")
_FIELDS = {
    "v", "office", "acked_seq", "acked_batch_no", "acked_batch_hash", "highest_batch_no",
    "missing_batches", "batch_no", "batch_hash", "status", "in_reply_to", "issued_at", "issuer",
}


class AckError(Exception):
    """An answer the ward must not act on; ``code`` names why (catalogue
    ``sync.ack.<code>``)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class SignedAck:
    """A verified acknowledgement."""

    office: str
    acked_seq: int
    acked_batch_no: int
    acked_batch_hash: str
    highest_batch_no: int
    missing_batches: list[int]
    batch_no: int
    batch_hash: str
    status: str
    in_reply_to: str
    issued_at: str

    @property
    def position(self) -> tuple[int, int, str]:
        """(seq, batch number, batch hash): the ward's resume point."""
        return self.acked_seq, self.acked_batch_no, self.acked_batch_hash


def envelope_digest(envelope: bytes) -> str:
    """The ``in_reply_to`` of an answer to ``envelope``."""
    return hashlib.sha256(envelope).hexdigest()


def sign_ack(signer: Ed25519PrivateKey, fields: dict[str, Any]) -> dict[str, str]:
    """The ``signed_ack`` object for ``fields`` (the district side)."""
    body = dict(fields)
    body["v"] = ACK_VERSION
    body["issuer"] = fingerprint(raw_public(signer))
    text = canonical_json(body)
    signature = signer.sign(_ACK_SIG_CONTEXT + text)
    return {"body": text.decode("utf-8"), "signature": base64.urlsafe_b64encode(signature).rstrip(b"=").decode()}


def verify_ack(signed: Any, district_sign: bytes, office: str, in_reply_to: str) -> SignedAck:
    """Check ``signed`` (the ``signed_ack`` of an answer) was made by the district
    key ``district_sign`` for ``office`` in answer to the envelope whose digest is
    ``in_reply_to``; raise :class:`AckError` otherwise. The position it names is
    checked by the caller against what the ward itself computed."""
    if not isinstance(signed, dict):
        raise AckError("unsigned")
    body_text, signature_text = signed.get("body"), signed.get("signature")
    if not isinstance(body_text, str) or not isinstance(signature_text, str) or len(body_text) > _MAX_BODY:
        raise AckError("unsigned")
    try:
        signature = base64.urlsafe_b64decode(signature_text + "=" * (-len(signature_text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise AckError("bad_signature") from exc
    body_bytes = body_text.encode("utf-8")
    try:
        Ed25519PublicKey.from_public_bytes(district_sign).verify(signature, _ACK_SIG_CONTEXT + body_bytes)
    except (InvalidSignature, ValueError) as exc:
        raise AckError("bad_signature") from exc
    try:
        body = json.loads(body_text)
    except ValueError as exc:
        raise AckError("malformed", "JSON") from exc
    if not isinstance(body, dict) or set(body) != _FIELDS or body["v"] != ACK_VERSION:
        raise AckError("malformed", "fields")
    if any(not isinstance(body[k], int) or isinstance(body[k], bool) or body[k] < 0 for k in _INT_FIELDS):
        raise AckError("malformed", "numbers")
    for key in ("acked_batch_hash", "batch_hash"):
        if not isinstance(body[key], str) or not _HASH_RE.match(body[key]):
            raise AckError("malformed", key)
    missing = body["missing_batches"]
    if not isinstance(missing, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in missing):
        raise AckError("malformed", "missing_batches")
    if body["office"] != office:
        raise AckError("wrong_office", str(body["office"]))
    if body["in_reply_to"] != in_reply_to:
        # Signed by the district, but for another request: a replayed answer.
        raise AckError("replayed")
    return SignedAck(
        office=office,
        acked_seq=body["acked_seq"],
        acked_batch_no=body["acked_batch_no"],
        acked_batch_hash=body["acked_batch_hash"],
        highest_batch_no=body["highest_batch_no"],
        missing_batches=list(missing),
        batch_no=body["batch_no"],
        batch_hash=body["batch_hash"],
        status=str(body["status"]),
        in_reply_to=in_reply_to,
        issued_at=str(body["issued_at"]),
    )
