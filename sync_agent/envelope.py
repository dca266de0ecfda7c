"""Envelopes: the bytes that travel between a ward and its district.

Three kinds, all described byte by byte in ``sync_agent/PROTOCOL.md``:

* uplink (``WDU1``): a *batch* of outbox records, or a *heartbeat* alone, from a
  ward to the district. JSON lines, zlib-compressed, encrypted to the district's
  X25519 key (ephemeral X25519 per envelope + HKDF-SHA256 + AES-256-GCM, the
  cleartext header as associated data) and signed with the ward's Ed25519 key.
* downlink (``WDD1``): a reference-data document from the district, signed with
  the district's Ed25519 key (not encrypted: it is the same for every ward).
* escrow blob (``WDK1``): a key wrapped to an X25519 public key.

Everything here is pure: bytes in, bytes or records out; no I/O, no clocks
except a default ``created_at``. Only :mod:`cryptography` primitives are used.
Opening is defensive in a fixed order: parse the header within size limits,
verify the signature against the key the *caller* trusts, then decrypt, then
decompress under a hard cap, then validate every record.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ward_desk.errors import EXIT_DAMAGED, WardDeskError

FORMAT_VERSION = 1
UPLINK_MAGIC = b"WDU1"
DOWNLINK_MAGIC = b"WDD1"
ESCROW_MAGIC = b"WDK1"

# Domain separation: the ward's Ed25519 key also signs self-assessments, so
# every signature made here is over a context string that no other use shares.
_UPLINK_SIG_CONTEXT = b"ward-desk/uplink-signature/v1\x00"
_DOWNLINK_SIG_CONTEXT = b"ward-desk/downlink-signature/v1\x00"
_UPLINK_KDF_INFO = b"ward-desk/uplink-encryption/v1"
_ESCROW_KDF_INFO = b"ward-desk/escrow-wrap/v1"
_BATCH_HASH_CONTEXT = b"ward-desk/batch-hash/v1\x00"

_PREFIX = struct.Struct(">4sI")  # magic, header length
_SIG_LEN = 64
_TAG_LEN = 16

OFFICE_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}\Z")
_ENTITY_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}\Z")
# Any printable text: uids are UUIDs, but procedure codes are the catalogue's own.
_UID_RE = re.compile(r"^[^\x00-\x1f\x7f]{1,128}\Z")
_HASH_RE = re.compile(r"^(|[0-9a-f]{64})\Z")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_MAX_INT = 2**53  # JSON numbers that every reader (JS included) reads exactly
_MAX_INT32 = 2**31 - 1  # columns that are INTEGER on PostgreSQL

DOWNLINK_KINDS = ("procedures", "criteria_set", "calendar", "review")
RECORD_OPS = ("upsert",)


class EnvelopeError(WardDeskError):
    """An envelope that cannot be trusted or read. ``code`` names why, in one word,
    for logs and HTTP answers; the message is for people."""

    exit_code = EXIT_DAMAGED

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"sync.envelope.{code}", detail=detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Limits:
    """Hard bounds applied while opening; a sender that exceeds one is refused
    before the expensive step it would inflate."""

    max_envelope: int = 8 * 1024 * 1024
    max_header: int = 4096
    max_plain: int = 64 * 1024 * 1024
    max_records: int = 20_000
    max_line: int = 1024 * 1024
    max_document: int = 16 * 1024 * 1024


DEFAULT_LIMITS = Limits()


# --------------------------------------------------------------------------- keys


def raw_public(key: Ed25519PublicKey | X25519PublicKey | Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    """The 32 raw bytes of a public key (of the private key's public half)."""
    if isinstance(key, (Ed25519PrivateKey, X25519PrivateKey)):
        key = key.public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def raw_private(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    """The 32 raw bytes of a private key (callers must keep them wrapped at rest)."""
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def fingerprint(*public_keys: bytes) -> str:
    """A short, human-comparable fingerprint of one or more raw public keys:
    the first 80 bits of SHA-256 in 5 groups of 4 hex digits (read over the phone
    during enrolment)."""
    digest = hashlib.sha256(b"ward-desk/fingerprint/v1\x00" + b"".join(public_keys)).hexdigest()
    return "-".join(digest[i : i + 4] for i in range(0, 20, 4))


def _x25519_public(key: X25519PublicKey | bytes) -> X25519PublicKey:
    if isinstance(key, X25519PublicKey):
        return key
    try:
        return X25519PublicKey.from_public_bytes(bytes(key))
    except ValueError as exc:
        raise EnvelopeError("bad_key", "X25519 public key must be 32 bytes") from exc


def _ed25519_public(key: Ed25519PublicKey | bytes) -> Ed25519PublicKey:
    if isinstance(key, Ed25519PublicKey):
        return key
    try:
        return Ed25519PublicKey.from_public_bytes(bytes(key))
    except ValueError as exc:
        raise EnvelopeError("bad_key", "Ed25519 public key must be 32 bytes") from exc


# ---------------------------------------------------------------------- helpers


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same definition as the ward outbox's
    ``canonical_json`` (kept here so the envelope code stays free of the store)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str, length: int) -> bytes:
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise EnvelopeError("malformed", "bad base64") from exc
    if len(data) != length:
        raise EnvelopeError("malformed", f"expected {length} bytes")
    return data


def _utc_now_iso() -> str:
    return datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _is_int(value: Any, low: int = 0, high: int = _MAX_INT) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _check_timestamp(value: Any, what: str) -> str:
    if not isinstance(value, str) or len(value) > 40:
        raise EnvelopeError("bad_content", f"{what} is not a timestamp")
    try:
        datetime.fromisoformat(value[:-1] if value.endswith("Z") else value)
    except ValueError as exc:
        raise EnvelopeError("bad_content", f"{what} is not a timestamp") from exc
    return value


def batch_id_for(office_code: str, first_seq: int, last_seq: int) -> str:
    """The deterministic batch id: the same outbox range always has the same id,
    so sending a batch again is always safe."""
    return f"{office_code}:{first_seq}-{last_seq}"


def batch_hash_for(
    *,
    office_code: str,
    batch_no: int,
    first_seq: int,
    last_seq: int,
    record_count: int,
    prev_hash: str,
    content_hash: str,
) -> str:
    """The link of the ward's batch chain: commits to the batch's place and its
    records, not to its ciphertext (which changes on every re-encryption)."""
    core = {
        "office": office_code,
        "batch_no": batch_no,
        "first_seq": first_seq,
        "last_seq": last_seq,
        "count": record_count,
        "prev_hash": prev_hash,
        "content_hash": content_hash,
    }
    return hashlib.sha256(_BATCH_HASH_CONTEXT + canonical_json(core)).hexdigest()


def _split(blob: bytes, magic: bytes, limits: Limits, max_total: int) -> tuple[bytes, dict[str, Any], bytes, bytes]:
    """Split ``magic | len | header | body | signature`` and parse the header.
    Returns (signed part, header dict, body, signature). Trusts nothing."""
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise EnvelopeError("malformed", "not bytes")
    blob = bytes(blob)
    if len(blob) > max_total:
        raise EnvelopeError("too_large", f"{len(blob)} bytes > {max_total}")
    if len(blob) < _PREFIX.size + 2 + _SIG_LEN:
        raise EnvelopeError("malformed", "too short")
    found, header_len = _PREFIX.unpack_from(blob, 0)
    if found != magic:
        if found[:3] == magic[:3]:
            raise EnvelopeError("unsupported_version", found.decode("ascii", "replace"))
        raise EnvelopeError("malformed", "not a Ward Desk envelope")
    if header_len > limits.max_header or _PREFIX.size + header_len + _SIG_LEN > len(blob):
        raise EnvelopeError("malformed", "header length out of range")
    header_bytes = blob[_PREFIX.size : _PREFIX.size + header_len]
    try:
        header = json.loads(header_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise EnvelopeError("malformed", "header is not JSON") from exc
    if not isinstance(header, dict):
        raise EnvelopeError("malformed", "header is not an object")
    # Downlink documents are at version 2 (a signed per-kind number); version 1 ones
    # are still read (the caller treats them as number 0).
    versions = (FORMAT_VERSION, 2) if magic == DOWNLINK_MAGIC else (FORMAT_VERSION,)
    if header.get("v") not in versions:
        raise EnvelopeError("unsupported_version", str(header.get("v")))
    signed = blob[: len(blob) - _SIG_LEN]
    body = blob[_PREFIX.size + header_len : len(blob) - _SIG_LEN]
    return signed, header, body, blob[len(blob) - _SIG_LEN :]


def _frame(magic: bytes, header: Mapping[str, Any], body: bytes) -> tuple[bytes, bytes]:
    header_bytes = canonical_json(dict(header))
    prefix = _PREFIX.pack(magic, len(header_bytes)) + header_bytes
    return prefix, prefix + body


# ----------------------------------------------------------------------- uplink

_BATCH_HEADER_KEYS = {
    "v": int,
    "kind": str,
    "office": str,
    "batch_id": str,
    "batch_no": int,
    "first_seq": int,
    "last_seq": int,
    "prev_hash": str,
    "count": int,
    "plain_size": int,
    "cipher_size": int,
    "compression": str,
    "epk": str,
    "recipient": str,
    "created_at": str,
}
_HEARTBEAT_HEADER_KEYS = {
    k: v
    for k, v in _BATCH_HEADER_KEYS.items()
    if k not in {"batch_id", "batch_no", "first_seq", "last_seq", "prev_hash", "count"}
}


@dataclass(frozen=True)
class UplinkHeader:
    """The cleartext, signed header of an uplink envelope (see PROTOCOL.md §2)."""

    kind: str  # batch | heartbeat
    office_code: str
    plain_size: int
    cipher_size: int
    ephemeral_key: bytes
    recipient: str  # fingerprint of the district X25519 key it is encrypted to
    created_at: str
    batch_id: str = ""
    batch_no: int = 0
    first_seq: int = 0
    last_seq: int = 0
    prev_hash: str = ""
    record_count: int = 0


@dataclass(frozen=True)
class SealedBatch:
    """What :func:`build_batch` returns: the bytes to send and the chain facts the
    ward keeps (``batch_hash`` becomes the next batch's ``prev_hash``)."""

    envelope: bytes
    batch_id: str
    batch_no: int
    first_seq: int
    last_seq: int
    record_count: int
    content_hash: str
    batch_hash: str


@dataclass(frozen=True)
class OpenedUplink:
    """A verified, decrypted uplink envelope."""

    header: UplinkHeader
    heartbeat: dict[str, Any]
    records: list[dict[str, Any]]
    content_hash: str  # "" for a heartbeat
    batch_hash: str  # "" for a heartbeat
    envelope_hash: str  # SHA-256 of the exact bytes received (for logs)


def _validate_heartbeat(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise EnvelopeError("bad_content", "heartbeat is not an object")
    out: dict[str, Any] = {}
    if not _is_int(value.get("pending"), 0, _MAX_INT32):
        raise EnvelopeError("bad_content", "heartbeat.pending")
    out["pending"] = value["pending"]
    for key in ("oldest_pending_s", "free_disk_bytes"):
        item = value.get(key)
        if item is not None and not _is_int(item):
            raise EnvelopeError("bad_content", f"heartbeat.{key}")
        out[key] = item
    out["ward_clock"] = _check_timestamp(value.get("ward_clock"), "heartbeat.ward_clock")
    agent = value.get("agent", "")
    out["agent"] = agent[:64] if isinstance(agent, str) else ""
    # Protocol 2: a ward that could not adopt the district's signed ack says so.
    problem = value.get("ack_problem", "")
    out["ack_problem"] = problem[:120] if isinstance(problem, str) and problem.isprintable() else ""
    return out


def _validate_record(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != {
        "seq", "entity", "entity_uid", "version", "op", "payload", "created_at"
    }:
        raise EnvelopeError("bad_content", "record fields")
    if not _is_int(value["seq"], 1):
        raise EnvelopeError("bad_content", "record.seq")
    if not isinstance(value["entity"], str) or not _ENTITY_RE.match(value["entity"]):
        raise EnvelopeError("bad_content", f"record {value['seq']}: entity")
    if not isinstance(value["entity_uid"], str) or not _UID_RE.match(value["entity_uid"]):
        raise EnvelopeError("bad_content", f"record {value['seq']}: entity_uid")
    if not _is_int(value["version"], 1, _MAX_INT32):
        raise EnvelopeError("bad_content", f"record {value['seq']}: version")
    if value["op"] not in RECORD_OPS:
        raise EnvelopeError("bad_content", f"record {value['seq']}: op")
    if not isinstance(value["payload"], dict):
        raise EnvelopeError("bad_content", f"record {value['seq']}: payload")
    _check_timestamp(value["created_at"], f"record {value['seq']}: created_at")
    return value


def _record_line(record: Mapping[str, Any]) -> bytes:
    created = record["created_at"]
    if isinstance(created, datetime):
        created = created.isoformat(timespec="microseconds")
    clean = {
        "seq": record["seq"],
        "entity": record["entity"],
        "entity_uid": record["entity_uid"],
        "version": record["version"],
        "op": record.get("op", "upsert"),
        "payload": record["payload"],
        "created_at": created,
    }
    _validate_record(clean)
    return canonical_json(clean)


def _seal(
    header: dict[str, Any],
    plaintext: bytes,
    recipient: X25519PublicKey | bytes,
    signer: Ed25519PrivateKey,
) -> bytes:
    recipient_key = _x25519_public(recipient)
    recipient_raw = raw_public(recipient_key)
    ephemeral = X25519PrivateKey.generate()
    epk = raw_public(ephemeral)
    compressed = zlib.compress(plaintext, 6)
    header.update(
        v=FORMAT_VERSION,
        compression="zlib",
        plain_size=len(plaintext),
        cipher_size=len(compressed) + _TAG_LEN,
        epk=_b64(epk),
        recipient=fingerprint(recipient_raw),
    )
    key, nonce = _derive(ephemeral.exchange(recipient_key), epk, recipient_raw, _UPLINK_KDF_INFO)
    prefix, _ = _frame(UPLINK_MAGIC, header, b"")
    ciphertext = AESGCM(key).encrypt(nonce, compressed, prefix)
    signed = prefix + ciphertext
    return signed + signer.sign(_UPLINK_SIG_CONTEXT + signed)


def _derive(shared: bytes, epk: bytes, recipient_raw: bytes, info: bytes) -> tuple[bytes, bytes]:
    # Salt binds both public keys, so a ciphertext cannot be re-targeted; key and
    # nonce come from one HKDF output because each ephemeral key is used once.
    okm = HKDF(algorithm=hashes.SHA256(), length=44, salt=epk + recipient_raw, info=info).derive(shared)
    return okm[:32], okm[32:]


def build_batch(
    *,
    office_code: str,
    batch_no: int,
    first_seq: int,
    last_seq: int,
    prev_batch_hash: str,
    records: Sequence[Mapping[str, Any]],
    heartbeat: Mapping[str, Any],
    recipient: X25519PublicKey | bytes,
    signer: Ed25519PrivateKey,
    created_at: str | None = None,
) -> SealedBatch:
    """Seal one batch of outbox records for the district.

    ``records`` are outbox rows as dicts (``payload`` a dict, ``created_at`` an ISO
    string or naive UTC datetime) with strictly increasing ``seq`` inside
    ``[first_seq, last_seq]``, the last one equal to ``last_seq``. Raises
    :class:`EnvelopeError` (``bad_content``) on anything the receiver would refuse,
    so a ward never uploads a batch that cannot be applied.
    """
    if not OFFICE_CODE_RE.match(office_code):
        raise EnvelopeError("bad_content", "office code")
    if not (_is_int(batch_no, 1, _MAX_INT32) and _is_int(first_seq, 1) and _is_int(last_seq, first_seq)):
        raise EnvelopeError("bad_content", "batch_no / seq range")
    if not _HASH_RE.match(prev_batch_hash) or (batch_no == 1) != (prev_batch_hash == ""):
        raise EnvelopeError("bad_content", "prev_batch_hash")
    if not records:
        raise EnvelopeError("bad_content", "a batch needs at least one record")
    lines = [_record_line(r) for r in records]
    _check_sequence([r["seq"] for r in records], first_seq, last_seq)
    content_hash = _content_hash(lines)
    batch_hash = batch_hash_for(
        office_code=office_code,
        batch_no=batch_no,
        first_seq=first_seq,
        last_seq=last_seq,
        record_count=len(lines),
        prev_hash=prev_batch_hash,
        content_hash=content_hash,
    )
    meta = canonical_json({"heartbeat": _validate_heartbeat(dict(heartbeat))})
    plaintext = b"\n".join([meta, *lines]) + b"\n"
    header: dict[str, Any] = {
        "kind": "batch",
        "office": office_code,
        "batch_id": batch_id_for(office_code, first_seq, last_seq),
        "batch_no": batch_no,
        "first_seq": first_seq,
        "last_seq": last_seq,
        "prev_hash": prev_batch_hash,
        "count": len(lines),
        "created_at": created_at or _utc_now_iso(),
    }
    envelope = _seal(header, plaintext, recipient, signer)
    return SealedBatch(
        envelope=envelope,
        batch_id=header["batch_id"],
        batch_no=batch_no,
        first_seq=first_seq,
        last_seq=last_seq,
        record_count=len(lines),
        content_hash=content_hash,
        batch_hash=batch_hash,
    )


def build_heartbeat(
    *,
    office_code: str,
    heartbeat: Mapping[str, Any],
    recipient: X25519PublicKey | bytes,
    signer: Ed25519PrivateKey,
    created_at: str | None = None,
) -> bytes:
    """Seal a heartbeat alone (a contact with nothing pending)."""
    if not OFFICE_CODE_RE.match(office_code):
        raise EnvelopeError("bad_content", "office code")
    meta = canonical_json({"heartbeat": _validate_heartbeat(dict(heartbeat))})
    header: dict[str, Any] = {
        "kind": "heartbeat",
        "office": office_code,
        "created_at": created_at or _utc_now_iso(),
    }
    return _seal(header, meta + b"\n", recipient, signer)


def _content_hash(lines: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line)
        digest.update(b"\n")
    return digest.hexdigest()


def _check_sequence(seqs: Sequence[int], first_seq: int, last_seq: int) -> None:
    previous = first_seq - 1
    for seq in seqs:
        if seq <= previous:
            raise EnvelopeError("bad_content", f"record seq {seq} out of order")
        previous = seq
    if previous != last_seq:
        raise EnvelopeError("bad_content", "last record seq differs from last_seq")


def read_uplink_header(envelope: bytes, limits: Limits = DEFAULT_LIMITS) -> UplinkHeader:
    """Parse an uplink envelope's header WITHOUT verifying anything, so the
    receiver can find which enrolled key to verify it with. Never act on the
    result before :func:`open_uplink` succeeds."""
    return _parse_uplink(envelope, limits)[0]


def _parse_uplink(envelope: bytes, limits: Limits) -> tuple[UplinkHeader, bytes, bytes, bytes]:
    signed, header, body, signature = _split(envelope, UPLINK_MAGIC, limits, limits.max_envelope)
    kind = header.get("kind")
    expected = {"batch": _BATCH_HEADER_KEYS, "heartbeat": _HEARTBEAT_HEADER_KEYS}.get(str(kind))
    if expected is None:
        raise EnvelopeError("malformed", "unknown envelope kind")
    if set(header) != set(expected):
        raise EnvelopeError("malformed", "header fields")
    for key, typ in expected.items():
        if typ is int:
            if not _is_int(header[key]):
                raise EnvelopeError("malformed", f"header.{key}")
        elif not isinstance(header[key], str) or len(header[key]) > 128:
            raise EnvelopeError("malformed", f"header.{key}")
    if not OFFICE_CODE_RE.match(header["office"]):
        raise EnvelopeError("malformed", "header.office")
    if header["compression"] != "zlib":
        raise EnvelopeError("unsupported_version", "compression " + header["compression"])
    if header["cipher_size"] != len(body) or header["cipher_size"] < _TAG_LEN:
        raise EnvelopeError("malformed", "ciphertext size differs from header")
    if header["plain_size"] > limits.max_plain:
        raise EnvelopeError("too_large", f"plain size {header['plain_size']} > {limits.max_plain}")
    _check_timestamp(header["created_at"], "header.created_at")
    is_batch = kind == "batch"
    if is_batch:
        if not (1 <= header["first_seq"] <= header["last_seq"]) or not 1 <= header["batch_no"] <= _MAX_INT32:
            raise EnvelopeError("malformed", "seq range")
        span = header["last_seq"] - header["first_seq"] + 1
        if header["count"] > limits.max_records:
            raise EnvelopeError("too_large", "record count")
        if not 1 <= header["count"] <= span:
            raise EnvelopeError("malformed", "record count")
        if header["batch_id"] != batch_id_for(header["office"], header["first_seq"], header["last_seq"]):
            raise EnvelopeError("malformed", "batch id does not match office and seq range")
        if not _HASH_RE.match(header["prev_hash"]) or (header["batch_no"] == 1) != (header["prev_hash"] == ""):
            raise EnvelopeError("malformed", "prev_hash")
    parsed = UplinkHeader(
        kind=str(kind),
        office_code=header["office"],
        plain_size=header["plain_size"],
        cipher_size=header["cipher_size"],
        ephemeral_key=_unb64(header["epk"], 32),
        recipient=header["recipient"],
        created_at=header["created_at"],
        batch_id=header["batch_id"] if is_batch else "",
        batch_no=header["batch_no"] if is_batch else 0,
        first_seq=header["first_seq"] if is_batch else 0,
        last_seq=header["last_seq"] if is_batch else 0,
        prev_hash=header["prev_hash"] if is_batch else "",
        record_count=header["count"] if is_batch else 0,
    )
    return parsed, signed, body, signature


def _bounded_inflate(data: bytes, expected: int) -> bytes:
    # max_length stops a decompression bomb after `expected + 1` bytes, whatever
    # the compressed stream claims; the +1 detects "more than announced".
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, expected + 1)
    except zlib.error as exc:
        raise EnvelopeError("bad_content", "compressed data is damaged") from exc
    if len(out) > expected or inflater.unconsumed_tail:
        raise EnvelopeError("too_large", "decompressed data exceeds the announced size")
    if not inflater.eof or inflater.unused_data or len(out) != expected:
        raise EnvelopeError("bad_content", "decompressed size differs from header")
    return out


def open_uplink(
    envelope: bytes,
    *,
    signer_key: Ed25519PublicKey | bytes,
    recipient: X25519PrivateKey,
    limits: Limits = DEFAULT_LIMITS,
) -> OpenedUplink:
    """Verify, decrypt and validate an uplink envelope.

    ``signer_key`` is the Ed25519 key enrolled for the header's office (the caller
    looks it up with :func:`read_uplink_header`). Order matters: the signature is
    checked before any decryption or decompression work is done for the sender.
    """
    header, signed, ciphertext, signature = _parse_uplink(envelope, limits)
    try:
        _ed25519_public(signer_key).verify(signature, _UPLINK_SIG_CONTEXT + signed)
    except InvalidSignature as exc:
        raise EnvelopeError("bad_signature", header.office_code) from exc
    recipient_raw = raw_public(recipient)
    if header.recipient != fingerprint(recipient_raw):
        raise EnvelopeError("wrong_recipient", header.recipient)
    try:
        shared = recipient.exchange(X25519PublicKey.from_public_bytes(header.ephemeral_key))
    except ValueError as exc:  # low-order point: the shared secret would be all zeros
        raise EnvelopeError("decrypt_failed", "bad ephemeral key") from exc
    key, nonce = _derive(shared, header.ephemeral_key, recipient_raw, _UPLINK_KDF_INFO)
    aad = signed[: len(signed) - len(ciphertext)]
    try:
        compressed = AESGCM(key).decrypt(nonce, ciphertext, aad)
    except InvalidTag as exc:
        raise EnvelopeError("decrypt_failed", "") from exc
    plaintext = _bounded_inflate(compressed, header.plain_size)
    lines = plaintext.split(b"\n")
    if lines[-1] != b"":
        raise EnvelopeError("bad_content", "missing final newline")
    lines.pop()
    if not lines or any(len(line) > limits.max_line for line in lines):
        raise EnvelopeError("bad_content", "line length")
    try:
        meta = json.loads(lines[0])
    except ValueError as exc:
        raise EnvelopeError("bad_content", "meta line") from exc
    if not isinstance(meta, dict) or set(meta) != {"heartbeat"}:
        raise EnvelopeError("bad_content", "meta line")
    heartbeat = _validate_heartbeat(meta["heartbeat"])
    envelope_hash = hashlib.sha256(envelope).hexdigest()
    if header.kind == "heartbeat":
        if len(lines) != 1:
            raise EnvelopeError("bad_content", "a heartbeat carries no records")
        return OpenedUplink(header, heartbeat, [], "", "", envelope_hash)
    record_lines = lines[1:]
    if len(record_lines) != header.record_count:
        raise EnvelopeError("bad_content", "record count differs from header")
    records: list[dict[str, Any]] = []
    for line in record_lines:
        try:
            value = json.loads(line)
            if _SURROGATE_ESCAPE.search(line):
                # A lone "\ud800" escape decodes to a str no database can store.
                canonical_json(value)
        except (ValueError, UnicodeEncodeError) as exc:
            raise EnvelopeError("bad_content", "record is not valid UTF-8 JSON") from exc
        records.append(_validate_record(value))
    _check_sequence([r["seq"] for r in records], header.first_seq, header.last_seq)
    content_hash = _content_hash(record_lines)
    batch_hash = batch_hash_for(
        office_code=header.office_code,
        batch_no=header.batch_no,
        first_seq=header.first_seq,
        last_seq=header.last_seq,
        record_count=header.record_count,
        prev_hash=header.prev_hash,
        content_hash=content_hash,
    )
    return OpenedUplink(header, heartbeat, records, content_hash, batch_hash, envelope_hash)


# --------------------------------------------------------------------- downlink


@dataclass(frozen=True)
class Document:
    """A verified downlink document (reference data from the district)."""

    kind: str
    doc_id: str
    version: str
    audience: str  # "*" for every ward, or one office code
    issued_at: str
    issuer: str  # fingerprint of the district signing key
    body: Any
    envelope: bytes
    seq: int = 0  # protocol 2: the district's signed per-kind sequence (0: a version 1 document)


_DOC_HEADER_KEYS = {"v", "kind", "doc_id", "version", "audience", "issued_at", "issuer", "body_size", "body_sha256"}
# Version 2 adds ``seq``: per kind, strictly increasing over everything the district
# publishes, signed with the rest, so a ward can refuse anything older than it holds.
DOC_FORMAT_VERSION = 2
_DOC_HEADER_KEYS_V2 = _DOC_HEADER_KEYS | {"seq"}


def build_document(
    *,
    kind: str,
    version: str,
    body: Any,
    signer: Ed25519PrivateKey,
    audience: str = "*",
    doc_id: str | None = None,
    issued_at: str | None = None,
    seq: int = 1,
) -> bytes:
    """Sign a reference-data document for wards (``kind`` one of
    :data:`DOWNLINK_KINDS`; ``audience`` "*" or an office code; ``seq`` the
    district's next number for the kind). A review decides one office's month,
    so it must name that office."""
    if kind not in DOWNLINK_KINDS:
        raise EnvelopeError("bad_content", f"document kind {kind!r}")
    if audience != "*" and not OFFICE_CODE_RE.match(audience):
        raise EnvelopeError("bad_content", "audience")
    if kind == "review" and audience == "*":
        raise EnvelopeError("bad_content", "a review names its office")
    if not _is_int(seq, 1, _MAX_INT):
        raise EnvelopeError("bad_content", "seq")
    if not isinstance(version, str) or not 0 < len(version) <= 64:
        raise EnvelopeError("bad_content", "version")
    body_bytes = canonical_json(body)
    # The id appears in URLs: keep it to characters that need no quoting.
    default_id = re.sub(r"[^A-Za-z0-9._-]", "_", f"{kind}-{audience if audience != '*' else 'all'}-{version}")
    header = {
        "v": DOC_FORMAT_VERSION,
        "seq": seq,
        "kind": kind,
        "doc_id": doc_id or default_id,
        "version": version,
        "audience": audience,
        "issued_at": issued_at or _utc_now_iso(),
        "issuer": fingerprint(raw_public(signer)),
        "body_size": len(body_bytes),
        "body_sha256": hashlib.sha256(body_bytes).hexdigest(),
    }
    _, signed = _frame(DOWNLINK_MAGIC, header, body_bytes)
    return signed + signer.sign(_DOWNLINK_SIG_CONTEXT + signed)


def open_document(
    blob: bytes,
    *,
    verify_key: Ed25519PublicKey | bytes,
    office_code: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Document:
    """Verify a downlink document against the district's Ed25519 key and return it.

    With ``office_code``, a document addressed to another ward is refused
    (``wrong_audience``), so a review result cannot be replayed to a neighbour.
    """
    signed, header, body, signature = _split(blob, DOWNLINK_MAGIC, limits, limits.max_document)
    try:
        _ed25519_public(verify_key).verify(signature, _DOWNLINK_SIG_CONTEXT + signed)
    except InvalidSignature as exc:
        raise EnvelopeError("bad_signature", "district") from exc
    v1 = header.get("v") == 1 and set(header) == _DOC_HEADER_KEYS
    v2 = header.get("v") == DOC_FORMAT_VERSION and set(header) == _DOC_HEADER_KEYS_V2 and _is_int(
        header.get("seq"), 1, _MAX_INT)
    if not (v1 or v2) or header["kind"] not in DOWNLINK_KINDS:
        raise EnvelopeError("malformed", "document header")
    if header["kind"] == "review" and header["audience"] == "*":
        # A review addressed to every ward would decide every ward's month.
        raise EnvelopeError("wrong_audience", "*")
    if header["body_size"] != len(body) or hashlib.sha256(body).hexdigest() != header["body_sha256"]:
        raise EnvelopeError("malformed", "document body")
    if office_code is not None and header["audience"] not in ("*", office_code):
        raise EnvelopeError("wrong_audience", header["audience"])
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise EnvelopeError("bad_content", "document body is not JSON") from exc
    return Document(
        kind=header["kind"],
        doc_id=str(header["doc_id"]),
        version=str(header["version"]),
        audience=str(header["audience"]),
        issued_at=str(header["issued_at"]),
        issuer=str(header["issuer"]),
        body=value,
        envelope=bytes(blob),
        seq=int(header["seq"]) if v2 else 0,
    )


# ----------------------------------------------------------------------- escrow


def wrap_key_to(public_x25519: X25519PublicKey | bytes, key_bytes: bytes, aad: bytes) -> bytes:
    """Wrap ``key_bytes`` (e.g. a store's database key) so that only the holder of
    the matching X25519 private key can unwrap it. ``aad`` binds the blob to its
    slot (store id + slot id): a blob moved to another slot does not open.

    Blob: ``WDK1 | ephemeral public key (32) | AES-256-GCM(key_bytes) + tag``.
    """
    recipient = _x25519_public(public_x25519)
    recipient_raw = raw_public(recipient)
    ephemeral = X25519PrivateKey.generate()
    epk = raw_public(ephemeral)
    key, nonce = _derive(ephemeral.exchange(recipient), epk, recipient_raw, _ESCROW_KDF_INFO)
    return ESCROW_MAGIC + epk + AESGCM(key).encrypt(nonce, bytes(key_bytes), ESCROW_MAGIC + aad)


def unwrap_key(private_x25519: X25519PrivateKey, blob: bytes, aad: bytes) -> bytes:
    """Unwrap a :func:`wrap_key_to` blob; raises :class:`EnvelopeError`
    (``escrow_failed``) for a wrong key, wrong slot (aad) or damaged blob."""
    blob = bytes(blob)
    if len(blob) < 4 + 32 + _TAG_LEN or blob[:4] != ESCROW_MAGIC:
        raise EnvelopeError("escrow_failed", "not an escrow blob")
    epk = blob[4:36]
    recipient_raw = raw_public(private_x25519)
    try:
        shared = private_x25519.exchange(X25519PublicKey.from_public_bytes(epk))
        key, nonce = _derive(shared, epk, recipient_raw, _ESCROW_KDF_INFO)
        return AESGCM(key).decrypt(nonce, blob[36:], ESCROW_MAGIC + aad)
    except (ValueError, InvalidTag) as exc:
        raise EnvelopeError("escrow_failed", "") from exc
