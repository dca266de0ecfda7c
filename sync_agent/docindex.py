"""The signed document index (protocol 2): TUF's timestamp idea for the downlink.

``GET /v1/wards/{office}/documents?nonce=N`` answers, besides protocol 1's
unsigned list, ``signed_index``:

```
{"body": "<canonical JSON>", "signature": "<base64url Ed25519>"}
body = {"v": 2, "office", "nonce", "issued_at", "expires_at", "issuer",
        "documents": [{"doc_id", "kind", "seq"}, ...]}
```

signed by the district's ``sign`` key over ``ward-desk/document-index/v2\\0 ||
body``. ``nonce`` is the ward's fresh random value, so a recorded index cannot
be replayed to freeze a ward on old data; ``expires_at`` (a day after
``issued_at``) is how long the ward may treat what it holds as current without
a fresh index: after it, the ward says its reference data is stale.

Pure: dicts in, a verified :class:`SignedIndex` or :class:`IndexRefused` out.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync_agent.envelope import DOWNLINK_KINDS, canonical_json, fingerprint, raw_public

INDEX_VERSION = 2
INDEX_LIFETIME = timedelta(days=1)
_CONTEXT = b"ward-desk/document-index/v2\x00"
_FIELDS = {"v", "office", "nonce", "issued_at", "expires_at", "issuer", "documents"}
_MAX_BODY = 1024 * 1024


class IndexRefused(Exception):
    """A document index the ward must not act on (catalogue ``sync.index.<code>``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class IndexEntry:
    doc_id: str
    kind: str
    seq: int


@dataclass(frozen=True)
class SignedIndex:
    office: str
    issued_at: datetime  # naive UTC
    expires_at: datetime  # naive UTC
    documents: list[IndexEntry]


def _iso(dt: datetime) -> str:
    return dt.replace(microsecond=0).isoformat() + "Z"


def _parse(text: Any) -> datetime:
    if not isinstance(text, str) or not text.endswith("Z"):
        raise IndexRefused("malformed")
    try:
        return datetime.fromisoformat(text[:-1])
    except ValueError as exc:
        raise IndexRefused("malformed") from exc


def sign_index(signer: Ed25519PrivateKey, office: str, nonce: str, documents: list[dict[str, Any]],
               now: datetime | None = None) -> dict[str, str]:
    """The ``signed_index`` of ``documents`` (dicts with doc_id, kind, seq) for
    ``office``, answering ``nonce`` (the district side)."""
    at = (now or datetime.now(timezone.utc).replace(tzinfo=None)).replace(tzinfo=None)
    body = {
        "v": INDEX_VERSION, "office": office, "nonce": nonce, "issued_at": _iso(at),
        "expires_at": _iso(at + INDEX_LIFETIME), "issuer": fingerprint(raw_public(signer)),
        "documents": [{"doc_id": d["doc_id"], "kind": d["kind"], "seq": int(d["seq"])} for d in documents],
    }
    text = canonical_json(body)
    signature = signer.sign(_CONTEXT + text)
    return {"body": text.decode("utf-8"), "signature": base64.urlsafe_b64encode(signature).rstrip(b"=").decode()}


def verify_index(signed: Any, district_sign: bytes, office: str, nonce: str, now: datetime) -> SignedIndex:
    """Check ``signed`` was made by the district key for ``office`` in answer to
    ``nonce`` and has not expired at ``now`` (naive UTC); raise :class:`IndexRefused`."""
    if not isinstance(signed, dict) or not isinstance(signed.get("body"), str) \
            or not isinstance(signed.get("signature"), str) or len(signed["body"]) > _MAX_BODY:
        raise IndexRefused("unsigned")
    text = signed["body"]
    try:
        sig_text = signed["signature"]
        signature = base64.urlsafe_b64decode(sig_text + "=" * (-len(sig_text) % 4))
        Ed25519PublicKey.from_public_bytes(district_sign).verify(signature, _CONTEXT + text.encode("utf-8"))
    except (binascii.Error, InvalidSignature, ValueError) as exc:
        raise IndexRefused("bad_signature") from exc
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise IndexRefused("malformed") from exc
    if not isinstance(body, dict) or set(body) != _FIELDS or body["v"] != INDEX_VERSION:
        raise IndexRefused("malformed")
    if body["office"] != office:
        raise IndexRefused("wrong_office")
    if body["nonce"] != nonce:
        raise IndexRefused("replayed")
    issued, expires = _parse(body["issued_at"]), _parse(body["expires_at"])
    if expires <= now:
        raise IndexRefused("expired")
    entries: list[IndexEntry] = []
    if not isinstance(body["documents"], list):
        raise IndexRefused("malformed")
    for item in body["documents"]:
        if not isinstance(item, dict) or set(item) != {"doc_id", "kind", "seq"} or item["kind"] not in DOWNLINK_KINDS \
                or not isinstance(item["doc_id"], str) or not isinstance(item["seq"], int) or item["seq"] < 0:
            raise IndexRefused("malformed")
        entries.append(IndexEntry(item["doc_id"], item["kind"], item["seq"]))
    return SignedIndex(office, issued, expires, entries)


_REQUEST_CONTEXT = b"ward-desk/index-request/v2\x00"


def index_request_signature(ward_key: Ed25519PrivateKey, office: str, nonce: str) -> str:
    """The ward's signature of its index request (``sig``), so the index of a
    ward's documents (its reviews among them) goes to that ward only."""
    signed = _REQUEST_CONTEXT + office.encode() + b"\x00" + nonce.encode()
    return base64.urlsafe_b64encode(ward_key.sign(signed)).rstrip(b"=").decode()


def verify_index_request(ward_public: bytes, office: str, nonce: str, signature: str) -> bool:
    """Whether ``signature`` is :func:`index_request_signature` by ``ward_public``."""
    try:
        raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        Ed25519PublicKey.from_public_bytes(ward_public).verify(
            raw, _REQUEST_CONTEXT + office.encode() + b"\x00" + nonce.encode())
    except (binascii.Error, InvalidSignature, ValueError):
        return False
    return True
