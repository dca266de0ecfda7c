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
import contextlib
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
from ward_desk.store.errors import (
    KeyFileUnsupported,
    NoKeySlots,
    NotAWardDeskStore,
    StoreDamaged,
    WrongPassword,
)

KEYFILE_FORMAT = "ward-desk-keys"
KEYFILE_VERSION = 1
KEYFILE_MAX_BYTES = 1024 * 1024  # a few hundred slots; anything larger is not ours
SLOT_KINDS = ("password", "recovery", "escrow")
KDF_ALGORITHMS = ("argon2id",)
# Bounds on a password slot's Argon2id cost, checked before anything is derived: a
# doctored slot must not hang every command (a huge pass count), exhaust memory or
# overflow the library (a huge memory size). They allow 20x today's profile.
KDF_MEMORY_KIB = (8, 1024 * 1024)  # 8 KiB (Argon2's floor per lane) .. 1 GiB
KDF_ITERATIONS = (1, 16)
KDF_LANES = (1, 16)
KDF_MAX_WORK_KIB = 2 * 1024 * 1024  # memory x passes: at most 1 GiB twice (~10 s on an old PC)
KDF_SALT_BYTES = (16, 64)
_WRAPPED_BYTES = 12 + 32 + 16  # nonce, the 256-bit key, the GCM tag
_ESCROW_MAX_CHARS = 1024
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
        """The current profile: the default, lowered only by the test suite's switch
        (``WARD_DESK_TEST_ONLY=1`` *and* ``WARD_DESK_KDF_MEMORY_KIB``, so thousands of
        unlocks stay quick), and never below :data:`TEST_KDF_FLOOR_KIB`. A slot made
        under the switch is weaker than the default profile, so the first unlock
        without the switch re-wraps it (:meth:`KeyFile.unlock`): the switch cannot
        leave a real store with weak slots."""
        memory = os.environ.get("WARD_DESK_KDF_MEMORY_KIB")
        if memory and memory.isdigit() and os.environ.get("WARD_DESK_TEST_ONLY") == "1":
            return cls(memory_kib=min(max(TEST_KDF_FLOOR_KIB, int(memory)), KDF_MEMORY_KIB[1]), iterations=1)
        return cls()

    def weaker_than(self, other: KdfParams) -> bool:
        """True when this cost is below ``other`` in memory or passes."""
        return self.memory_kib < other.memory_kib or self.iterations < other.iterations


TEST_KDF_FLOOR_KIB = 64
"""The lowest memory cost the test switch can ask for."""


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
    # The first 16 bytes of the database this file opens (SQLCipher's per-file salt,
    # fixed when the file is made): a key file beside another store's database is
    # then told apart from a damaged database. Empty in files written before it.
    db_salt: str = ""
    path: str = field(default="", compare=False, repr=False)
    rewrapped: bool = field(default=False, compare=False, repr=False)  # a weak slot was re-wrapped

    # --- reading and writing -------------------------------------------------
    @classmethod
    def load(cls, path: Path) -> KeyFile:
        """Read ``keys.json`` and check every part of it before anything is derived
        from it: a file that is not ours, is cut short, names a newer format or an
        unknown algorithm, or asks for a KDF cost out of bounds says which."""
        try:
            with open(path, "rb") as f:
                raw = f.read(KEYFILE_MAX_BYTES + 1)
        except FileNotFoundError:
            raise NotAWardDeskStore("store.no_keyfile", path=str(path)) from None
        if len(raw) > KEYFILE_MAX_BYTES:
            raise StoreDamaged("store.keyfile_damaged", path=str(path))
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise StoreDamaged("store.keyfile_damaged", path=str(path)) from None
        if not isinstance(data, dict) or data.get("format") != KEYFILE_FORMAT:
            raise NotAWardDeskStore("store.not_ward_desk", path=str(path))
        version = data.get("version")
        if type(version) is not int:
            raise StoreDamaged("store.keyfile_damaged", path=str(path))
        if version != KEYFILE_VERSION:
            raise KeyFileUnsupported("store.keyfile_version", path=str(path), found=version,
                                     supported=KEYFILE_VERSION)
        try:
            slots = [Slot(**s) for s in data["slots"]]
            keyfile = cls(store_id=data["store_id"], tag_salt=data["tag_salt"], slots=slots,
                          db_salt=data.get("db_salt", ""), path=str(path))
        except (KeyError, TypeError):
            raise StoreDamaged("store.keyfile_damaged", path=str(path)) from None
        keyfile.check()
        return keyfile

    def check(self) -> None:
        """Refuse a key file whose fields are not what this version writes."""
        where = self.path or "keys.json"
        if not (_is_hex(self.store_id, 32, 32) and _is_hex(self.tag_salt, 32, 32)
                and (self.db_salt == "" or _is_hex(self.db_salt, 32, 32))
                and isinstance(self.slots, list)):
            raise StoreDamaged("store.keyfile_damaged", path=where)
        for slot in self.slots:
            _check_slot(slot, where)

    def save(self, path: Path) -> None:
        """Write atomically (temp file, fsync, rename) so a power cut leaves the old
        file or the new one, never half of either; a full disk leaves the old one and
        no temporary file, and says so."""
        from ward_desk.store.space import os_error

        body = {
            "format": KEYFILE_FORMAT,
            "version": KEYFILE_VERSION,
            "store_id": self.store_id,
            "tag_salt": self.tag_salt,
            "slots": [asdict(s) for s in self.slots],
        }
        if self.db_salt:
            body["db_salt"] = self.db_salt
        tmp = path.with_name(path.name + ".tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(json.dumps(body, indent=1).encode())
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise os_error(exc, path, needed=64 * 1024) from exc
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
        self.require_password_slots()
        slot = self.password_slot(username)
        if slot is None:
            raise WrongPassword("store.wrong_password")
        return self._unlock_password_slot(slot, password)

    def unlock(self, username: str | None, password: str) -> bytes:
        """The database key for ``username``'s password; with no user named, the only
        user's (a store with several needs one named: ``auth.user_required``)."""
        if username is not None:
            return self.unlock_with_password(username, password)
        self.require_password_slots()
        slot = self.sole_password_slot()
        if slot is None:
            from ward_desk.errors import InvalidInput

            raise InvalidInput("auth.user_required")
        return self._unlock_password_slot(slot, password)

    def require_password_slots(self) -> None:
        """A key file whose password slots were all removed cannot be opened by any
        password: say that, not "wrong password" or "several users"."""
        if not any(s.kind == "password" for s in self.slots):
            recovery = any(s.kind == "recovery" for s in self.slots)
            raise NoKeySlots("store.keyfile_no_slots_recovery" if recovery else "store.keyfile_no_slots",
                             path=self.path or "keys.json")

    def sole_password_slot(self) -> Slot | None:
        """The password slot when the store has exactly one user, else None."""
        slots = [s for s in self.slots if s.kind == "password"]
        return slots[0] if len(slots) == 1 else None

    def _unlock_password_slot(self, slot: Slot, password: str) -> bytes:
        _check_slot(slot, self.path or "keys.json")  # bounded before use, whoever built the slot
        kdf = KdfParams(slot.kdf["memory_kib"], slot.kdf["iterations"], slot.kdf["lanes"])
        kek = _argon2(password, bytes.fromhex(slot.kdf["salt"]), kdf)
        key = _unwrap(kek, slot.wrapped, self._aad(slot.id, "password"))
        self._rewrap_if_weak(slot, password, key, kdf)
        return key

    def _rewrap_if_weak(self, slot: Slot, password: str, key: bytes, kdf: KdfParams) -> None:
        """A slot below the current profile (made by an older version, or under the
        test switch) is wrapped again with the current one now that the password is
        known. In memory only: :meth:`save_if_rewrapped` writes it once the store
        has opened with the key (a store that then fails to open is left as it was)."""
        current = KdfParams.from_env()
        if not kdf.weaker_than(current):
            return
        salt = secrets.token_bytes(16)
        stronger = Slot(
            id=slot.id, kind="password", user_tag=slot.user_tag, meta=dict(slot.meta),
            kdf={"alg": "argon2id", "salt": salt.hex(), **asdict(current)},
            wrapped=_wrap(_argon2(password, salt, current), key, self._aad(slot.id, "password")),
        )
        self.slots = [stronger if s.id == slot.id else s for s in self.slots]
        self.rewrapped = True

    def save_if_rewrapped(self) -> None:
        """Write the file back if an unlock re-wrapped a weak slot. Best effort: a
        key file that cannot be written (read-only medium, full disk) still opened
        the store, and the next unlock tries again."""
        if not self.rewrapped or not self.path:
            return
        from ward_desk.errors import WardDeskError

        with contextlib.suppress(OSError, WardDeskError):
            self.save(Path(self.path))
            self.rewrapped = False

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


def _is_hex(value: object, low: int, high: int) -> bool:
    if not isinstance(value, str) or not low <= len(value) <= high or len(value) % 2:
        return False
    try:
        bytes.fromhex(value)
    except ValueError:
        return False
    return True


def _is_b64(value: object, length: int | None = None, max_chars: int = _ESCROW_MAX_CHARS) -> bool:
    if not isinstance(value, str) or len(value) > max_chars:
        return False
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError:
        return False
    return length is None or len(raw) == length


def _bounded(slot_path: str, name: str, value: object, bounds: tuple[int, int]) -> int:
    # bool is an int to Python; a slot saying "memory_kib": true is doctored too.
    if type(value) is not int:
        raise StoreDamaged("store.keyfile_damaged", path=slot_path)
    if not bounds[0] <= value <= bounds[1]:
        raise KeyFileUnsupported("store.keyfile_kdf_bounds", path=slot_path, name=name, value=value,
                                 low=bounds[0], high=bounds[1])
    return value


def _check_slot(slot: Slot, where: str) -> None:
    """One slot as this version writes it, its KDF cost within bounds."""
    if not isinstance(slot.kind, str) or not isinstance(slot.id, str) or not 1 <= len(slot.id) <= 64:
        raise StoreDamaged("store.keyfile_damaged", path=where)
    if slot.kind not in SLOT_KINDS:
        raise KeyFileUnsupported("store.keyfile_algorithm", path=where, what=f"kind={slot.kind[:40]}")
    if not isinstance(slot.kdf, dict) or not isinstance(slot.meta, dict) or not isinstance(slot.user_tag, str):
        raise StoreDamaged("store.keyfile_damaged", path=where)
    if slot.kind == "escrow":
        if not _is_b64(slot.wrapped):
            raise StoreDamaged("store.keyfile_damaged", path=where)
        return
    if not _is_b64(slot.wrapped, _WRAPPED_BYTES):
        raise StoreDamaged("store.keyfile_damaged", path=where)
    if slot.kind == "recovery":
        if slot.kdf:
            raise KeyFileUnsupported("store.keyfile_algorithm", path=where, what="recovery kdf")
        return
    if not _is_hex(slot.user_tag, 32, 32):
        raise StoreDamaged("store.keyfile_damaged", path=where)
    kdf = slot.kdf
    if set(kdf) != {"alg", "salt", "memory_kib", "iterations", "lanes"}:
        raise StoreDamaged("store.keyfile_damaged", path=where)
    if kdf["alg"] not in KDF_ALGORITHMS:
        raise KeyFileUnsupported("store.keyfile_algorithm", path=where, what=f"kdf={str(kdf['alg'])[:40]}")
    if not _is_hex(kdf["salt"], 2 * KDF_SALT_BYTES[0], 2 * KDF_SALT_BYTES[1]):
        raise StoreDamaged("store.keyfile_damaged", path=where)
    lanes = _bounded(where, "lanes", kdf["lanes"], KDF_LANES)
    iterations = _bounded(where, "iterations", kdf["iterations"], KDF_ITERATIONS)
    memory = _bounded(where, "memory_kib", kdf["memory_kib"], (max(KDF_MEMORY_KIB[0], 8 * lanes), KDF_MEMORY_KIB[1]))
    if memory * iterations > KDF_MAX_WORK_KIB:
        raise KeyFileUnsupported("store.keyfile_kdf_bounds", path=where, name="memory_kib x iterations",
                                 value=memory * iterations, low=KDF_MEMORY_KIB[0], high=KDF_MAX_WORK_KIB)


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
