"""Key slots: the random database key, wrapped once per user, once by the printed
recovery key and (after enrolment) once to the district's escrow key.

The slots live in ``keys.json`` beside the database because they must be read
before the database can be decrypted. The file holds no personal data: user
names appear only as keyed hashes, and every wrapped key is bound (AES-GCM
associated data) to the store id, the slot id and the slot kind, so a slot
cannot be moved to another store or relabelled.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ward_desk.domain.text import fold
from ward_desk.store.errors import NotAWardDeskStore, StoreDamaged, WrongPassword

KEYFILE_FORMAT = "ward-desk-keys"
KEYFILE_VERSION = 1
DB_KEY_BYTES = 32
RECOVERY_KEY_BYTES = 20  # 160 bits: 32 base32 characters, typed from paper in eight groups

_B32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost: OWASP's first recommended profile (46 MiB, one pass). It
    takes ~0.15 s on one pinned core of the test machine. A clerk unlocks many
    times a day (the idle lock), so RFC 9106's 64 MiB x 3 profile (~0.5 s here,
    well over a second on an old office PC) was judged too slow for the counter.
    The parameters are stored in each slot, so raising them later only affects
    new or changed passwords."""

    memory_kib: int = 47104
    iterations: int = 1
    lanes: int = 1

    @classmethod
    def from_env(cls) -> KdfParams:
        """Default params, lowered only where ``WARD_DESK_KDF_MEMORY_KIB`` says so
        (the test suite sets it so thousands of unlocks stay quick)."""
        memory = os.environ.get("WARD_DESK_KDF_MEMORY_KIB")
        if memory and memory.isdigit():
            return cls(memory_kib=max(8, int(memory)), iterations=1)
        return cls()


@dataclass
class Slot:
    id: str
    kind: str  # password | recovery | escrow
    wrapped: str  # base64 (nonce || AES-GCM ciphertext) or the escrow blob
    user_tag: str = ""  # keyed hash of the folded user name (password slots only)
    kdf: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class KeyFile:
    store_id: str
    tag_salt: str
    slots: list[Slot] = field(default_factory=list)

    # --- reading and writing -------------------------------------------------
    @classmethod
    def load(cls, path: Path) -> KeyFile:
        """Read ``keys.json``; a file that is not ours or is cut short says so."""
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise NotAWardDeskStore("store.no_keyfile", path=str(path)) from None
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise StoreDamaged("store.keyfile_damaged", path=str(path)) from None
        if not isinstance(data, dict) or data.get("format") != KEYFILE_FORMAT:
            raise NotAWardDeskStore("store.not_ward_desk", path=str(path))
        try:
            slots = [Slot(**s) for s in data["slots"]]
            return cls(store_id=str(data["store_id"]), tag_salt=str(data["tag_salt"]), slots=slots)
        except (KeyError, TypeError):
            raise StoreDamaged("store.keyfile_damaged", path=str(path)) from None

    def save(self, path: Path) -> None:
        """Write atomically (temp file, fsync, rename) so a power cut leaves the old
        file or the new one, never half of either."""
        body = {
            "format": KEYFILE_FORMAT,
            "version": KEYFILE_VERSION,
            "store_id": self.store_id,
            "tag_salt": self.tag_salt,
            "slots": [asdict(s) for s in self.slots],
        }
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(json.dumps(body, indent=1).encode())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)

    # --- slots -----------------------------------------------------------------
    def user_tag(self, username: str) -> str:
        return hmac.new(bytes.fromhex(self.tag_salt), fold(username).encode(), hashlib.sha256).hexdigest()[:32]

    def password_slot(self, username: str) -> Slot | None:
        tag = self.user_tag(username)
        return next((s for s in self.slots if s.kind == "password" and s.user_tag == tag), None)

    def set_password(self, username: str, password: str, db_key: bytes, kdf: KdfParams | None = None) -> None:
        """Add or replace ``username``'s slot: a password change never re-encrypts the store."""
        kdf = kdf or KdfParams.from_env()
        existing = self.password_slot(username)
        slot_id = existing.id if existing else uuid.uuid4().hex
        salt = secrets.token_bytes(16)
        kek = _argon2(password, salt, kdf)
        slot = Slot(
            id=slot_id,
            kind="password",
            user_tag=self.user_tag(username),
            kdf={"alg": "argon2id", "salt": salt.hex(), **asdict(kdf)},
            wrapped=_wrap(kek, db_key, self._aad(slot_id, "password")),
        )
        self.slots = [s for s in self.slots if s.id != slot_id] + [slot]

    def remove_password(self, username: str) -> None:
        tag = self.user_tag(username)
        self.slots = [s for s in self.slots if not (s.kind == "password" and s.user_tag == tag)]

    def unlock_with_password(self, username: str, password: str) -> bytes:
        slot = self.password_slot(username)
        if slot is None:
            raise WrongPassword("store.wrong_password")
        return self._unlock_password_slot(slot, password)

    def sole_password_slot(self) -> Slot | None:
        """The password slot when the store has exactly one user, else None."""
        slots = [s for s in self.slots if s.kind == "password"]
        return slots[0] if len(slots) == 1 else None

    def _unlock_password_slot(self, slot: Slot, password: str) -> bytes:
        try:
            kdf = KdfParams(slot.kdf["memory_kib"], slot.kdf["iterations"], slot.kdf["lanes"])
            kek = _argon2(password, bytes.fromhex(slot.kdf["salt"]), kdf)
        except (KeyError, ValueError):
            raise StoreDamaged("store.keyfile_damaged", path="keys.json") from None
        return _unwrap(kek, slot.wrapped, self._aad(slot.id, "password"))

    def set_recovery(self, recovery_key: str, db_key: bytes) -> None:
        slot_id = uuid.uuid4().hex
        kek = _recovery_kek(recovery_key)
        slot = Slot(id=slot_id, kind="recovery", wrapped=_wrap(kek, db_key, self._aad(slot_id, "recovery")))
        self.slots = [s for s in self.slots if s.kind != "recovery"] + [slot]

    def unlock_with_recovery(self, recovery_key: str) -> bytes:
        kek = _recovery_kek(recovery_key)
        for slot in self.slots:
            if slot.kind == "recovery":
                return _unwrap(kek, slot.wrapped, self._aad(slot.id, "recovery"), "store.wrong_recovery_key")
        raise WrongPassword("store.wrong_recovery_key")

    def set_escrow(self, wrapped_blob: str, meta: dict[str, Any]) -> None:
        """Store a slot wrapped to the district's recovery key (see sync enrolment)."""
        slot = Slot(id=uuid.uuid4().hex, kind="escrow", wrapped=wrapped_blob, meta=meta)
        self.slots = [s for s in self.slots if s.kind != "escrow"] + [slot]

    def escrow_slot(self) -> Slot | None:
        return next((s for s in self.slots if s.kind == "escrow"), None)

    def escrow_aad(self) -> bytes:
        """Associated data the escrow wrap must be bound to."""
        return f"ward-desk-escrow|{self.store_id}".encode()

    def _aad(self, slot_id: str, kind: str) -> bytes:
        return f"ward-desk-keyslot|{self.store_id}|{slot_id}|{kind}".encode()


def new_keyfile(store_id: str) -> KeyFile:
    return KeyFile(store_id=store_id, tag_salt=secrets.token_hex(16))


def new_db_key() -> bytes:
    return secrets.token_bytes(DB_KEY_BYTES)


def new_recovery_key() -> str:
    """A printable recovery key: 32 base32 characters in groups of four."""
    raw = base64.b32encode(secrets.token_bytes(RECOVERY_KEY_BYTES)).decode()
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalise_recovery_key(text: str) -> str:
    """Accept the key as typed from paper: any case, spaces or dashes, O/0 and I/1 mixed."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    cleaned = cleaned.replace("0", "O").replace("1", "I").replace("8", "B")
    return cleaned


def _recovery_kek(recovery_key: str) -> bytes:
    cleaned = normalise_recovery_key(recovery_key)
    if len(cleaned) != 32 or any(ch not in _B32_ALPHABET for ch in cleaned):
        raise WrongPassword("store.wrong_recovery_key")
    raw = base64.b32decode(cleaned)
    # The recovery key is already 160 random bits: HKDF, not a slow KDF, is enough.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ward-desk-recovery").derive(raw)


def _argon2(password: str, salt: bytes, kdf: KdfParams) -> bytes:
    return Argon2id(
        salt=salt, length=32, iterations=kdf.iterations, lanes=kdf.lanes, memory_cost=kdf.memory_kib
    ).derive(password.encode("utf-8"))


def _wrap(kek: bytes, key: bytes, aad: bytes) -> str:
    nonce = secrets.token_bytes(12)
    return base64.b64encode(nonce + AESGCM(kek).encrypt(nonce, key, aad)).decode()


def _unwrap(kek: bytes, wrapped: str, aad: bytes, error: str = "store.wrong_password") -> bytes:
    try:
        blob = base64.b64decode(wrapped)
        return AESGCM(kek).decrypt(blob[:12], blob[12:], aad)
    except InvalidTag:
        raise WrongPassword(error) from None
    except ValueError:
        raise StoreDamaged("store.keyfile_damaged", path="keys.json") from None


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # Windows cannot open directories; rename is durable enough there
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
