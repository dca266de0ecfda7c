"""One-time enrolment codes: the crypto both ends share (PROTOCOL.md §10).

A clerk types a 12-character code instead of carrying ``district.pub`` and
``ward.pub`` on a stick. From the code and the office code both ends stretch
the same 64-byte key (scrypt, so a captured proof cannot be brute-forced in
the code's lifetime); its first half lets the district prove its key document
to the ward (a man in the middle cannot swap keys without the code), its
second half lets the ward prove its public key to the district.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

CODE_CHARS = 12  # 60 bits of base32
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
# Look-alikes a person may type for base32 letters (base32 has no 0, 1, 8, 9).
_TYPO = str.maketrans({"0": "O", "1": "I", "8": "B", "9": "G"})
_SALT = b"ward-desk/enrol-code/v1\0"
_DISTRICT_CONTEXT = b"ward-desk/enrol-district/v1\0"
_WARD_CONTEXT = b"ward-desk/enrol-ward/v1\0"
SCRYPT_N = 2**14  # ~50 ms and 16 MiB on an old PC, once per enrolment


def new_code() -> str:
    """A fresh random code, grouped for reading aloud: ``ABCD-EFGH-JKLM``."""
    raw = base64.b32encode(os.urandom(10)).decode("ascii")[:CODE_CHARS]
    return format_code(raw)


def format_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_code(typed: str) -> str | None:
    """The 12 code characters from what a person typed (any case, spaces or
    dashes, 0/1/8 for O/I/B), or None when it cannot be a code."""
    text = "".join(ch for ch in typed.upper().translate(_TYPO) if ch.isalnum())
    if len(text) != CODE_CHARS or any(ch not in ALPHABET for ch in text):
        return None
    return text


def derive_auth_key(code: str, office_code: str) -> bytes:
    """64 bytes: the district's proof key || the ward's proof key."""
    normal = normalise_code(code)
    if normal is None:
        raise ValueError("not an enrolment code")
    return hashlib.scrypt(
        normal.encode("ascii"), salt=_SALT + office_code.encode("utf-8"), n=SCRYPT_N, r=8, p=1,
        maxmem=64 * 1024 * 1024, dklen=64,
    )


def district_proof(auth_key: bytes, office_code: str, district_key_doc: bytes) -> str:
    """The district's MAC over the exact bytes of its key document for this office."""
    msg = _DISTRICT_CONTEXT + office_code.encode("utf-8") + b"\0" + district_key_doc
    return hmac.new(auth_key[:32], msg, hashlib.sha256).hexdigest()


def ward_proof(auth_key: bytes, office_code: str, district_fingerprint: str, ward_key_doc: bytes) -> str:
    """The ward's MAC over its key document, bound to the district key it pinned."""
    msg = (_WARD_CONTEXT + office_code.encode("utf-8") + b"\0" + district_fingerprint.encode("ascii") + b"\0"
           + ward_key_doc)
    return hmac.new(auth_key[32:], msg, hashlib.sha256).hexdigest()


def proofs_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("ascii", "replace"), b.encode("ascii", "replace"))
