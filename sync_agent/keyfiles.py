"""The small public-key files carried between a ward and its district at enrolment.

``district.pub`` holds the district's Ed25519 verify key, X25519 encryption key
and X25519 recovery (escrow) key; ``ward.pub`` holds a ward's Ed25519 verify key.
Both are JSON with a fingerprint a person can read over the phone to confirm
the file was not swapped on the way (see PROTOCOL.md §6).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sync_agent.envelope import OFFICE_CODE_RE, fingerprint
from sync_agent.errors import BadInput

DISTRICT_FORMAT = "ward-desk/district-key"
WARD_FORMAT = "ward-desk/ward-key"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _key(obj: dict[str, Any], name: str, path: str, kind: str) -> bytes:
    try:
        raw = base64.b64decode(str(obj[name]), validate=True)
    except (KeyError, ValueError) as exc:
        raise BadInput("sync.keyfile.invalid", path=path, detail=name) from exc
    if len(raw) != 32:
        raise BadInput("sync.keyfile.invalid", path=path, detail=name)
    if not usable_public_key(kind, raw):
        raise BadInput("sync.keyfile.weak_key", path=path, detail=name)
    return raw


def usable_public_key(kind: str, raw: bytes) -> bool:
    """False for a key nobody should trust: an Ed25519 identity or small-order
    point (a signature "by" the identity key verifies for anyone who wants it,
    so such a ward key would let anyone forge that office) or a non-canonical
    encoding; an X25519 point of low order (every shared secret with it is
    zero, so whatever is sealed to it is readable by anyone)."""
    if kind == "ed25519":
        from nacl.bindings import crypto_core_ed25519_is_valid_point

        # libsodium: on the curve, canonical, in the main subgroup, not of small order.
        return bool(crypto_core_ed25519_is_valid_point(raw))
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

    try:
        # cryptography refuses the all-zero shared secret a low-order point gives.
        X25519PrivateKey.generate().exchange(X25519PublicKey.from_public_bytes(raw))
    except ValueError:
        return False
    return True


def _load(text: str, path: str, expected_format: str) -> dict[str, Any]:
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise BadInput("sync.keyfile.invalid", path=path, detail="JSON") from exc
    if not isinstance(obj, dict) or obj.get("format") != expected_format or obj.get("v") != 1:
        raise BadInput("sync.keyfile.invalid", path=path, detail="format")
    return obj


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput("sync.keyfile.unreadable", path=str(path)) from exc


@dataclass(frozen=True)
class DistrictPublicKeys:
    """The district's three public keys (raw 32 bytes each)."""

    name: str
    sign: bytes
    encrypt: bytes
    recovery: bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.sign, self.encrypt, self.recovery)

    def to_json(self) -> str:
        """The text of ``district.pub``."""
        return json.dumps(
            {
                "format": DISTRICT_FORMAT,
                "v": 1,
                "name": self.name,
                "ed25519": _b64(self.sign),
                "x25519": _b64(self.encrypt),
                "recovery_x25519": _b64(self.recovery),
                "fingerprint": self.fingerprint,
            },
            ensure_ascii=False,
            indent=2,
        ) + "\n"

    @classmethod
    def from_json(cls, text: str, path: str = "district.pub") -> DistrictPublicKeys:
        """Parse ``district.pub``; a fingerprint that does not match its keys is refused."""
        obj = _load(text, path, DISTRICT_FORMAT)
        keys = cls(
            name=str(obj.get("name", "")),
            sign=_key(obj, "ed25519", path, "ed25519"),
            encrypt=_key(obj, "x25519", path, "x25519"),
            recovery=_key(obj, "recovery_x25519", path, "x25519"),
        )
        if obj.get("fingerprint") != keys.fingerprint:
            raise BadInput("sync.keyfile.fingerprint", path=path)
        return keys

    @classmethod
    def read(cls, path: Path) -> DistrictPublicKeys:
        return cls.from_json(_read(path), str(path))


@dataclass(frozen=True)
class WardPublicKey:
    """A ward's Ed25519 verify key as carried in ``ward.pub``."""

    office_code: str
    office_name: str
    sign: bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.sign)

    def to_json(self) -> str:
        """The text of ``ward.pub``."""
        return json.dumps(
            {
                "format": WARD_FORMAT,
                "v": 1,
                "office_code": self.office_code,
                "office_name": self.office_name,
                "ed25519": _b64(self.sign),
                "fingerprint": self.fingerprint,
            },
            ensure_ascii=False,
            indent=2,
        ) + "\n"

    @classmethod
    def from_json(cls, text: str, path: str = "ward.pub") -> WardPublicKey:
        """Parse ``ward.pub``; a fingerprint that does not match its key is refused."""
        obj = _load(text, path, WARD_FORMAT)
        code = str(obj.get("office_code", ""))
        if not OFFICE_CODE_RE.match(code):
            raise BadInput("sync.keyfile.invalid", path=path, detail="office_code")
        key = cls(office_code=code, office_name=str(obj.get("office_name", "")), sign=_key(obj, "ed25519", path, "ed25519"))
        if obj.get("fingerprint") != key.fingerprint:
            raise BadInput("sync.keyfile.fingerprint", path=path)
        return key

    @classmethod
    def read(cls, path: Path) -> WardPublicKey:
        return cls.from_json(_read(path), str(path))
