"""A ward store opened through its escrow slot: what ``district-desk recover`` needs.

When every password and the printed recovery key of a ward are lost, the
district unwraps the store's escrowed database key with its recovery key and
gives one user a new password slot. The district never reads the ward's data:
this module is the only part of the ward's store it uses (the one, commented
exception in the import contracts), and it touches key slots only, plus the
one look-up that the user exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ward_desk.store.database import DB_NAME, KEYS_NAME, check_readable, open_raw
from ward_desk.store.keys import KeyFile


@dataclass
class EscrowedStore:
    """The key file of a ward store, for a password reset by the escrow slot."""

    keys_path: Path
    keyfile: KeyFile

    @classmethod
    def load(cls, target: Path) -> EscrowedStore:
        """``target`` is the store's folder or its ``keys.json``."""
        target = Path(target)
        keys_path = target / KEYS_NAME if target.is_dir() else target
        return cls(keys_path, KeyFile.load(keys_path))

    @property
    def wrapped_key(self) -> str | None:
        """The escrow slot's wrapped database key (base64 text), or None without one."""
        slot = self.keyfile.escrow_slot()
        return slot.wrapped if slot is not None else None

    @property
    def aad(self) -> bytes:
        """What the escrow wrap is bound to (this store's id)."""
        return self.keyfile.escrow_aad()

    def has_user(self, username: str, db_key: bytes) -> bool:
        """Whether ``username`` exists in the store ``db_key`` opens (refuses a key
        or a file that does not open, with the store's own errors)."""
        db_path = self.keys_path.parent / DB_NAME
        db = open_raw(db_path, db_key)
        try:
            check_readable(db, db_path)
            return db.execute_sql('SELECT 1 FROM "user" WHERE username = ?', (username,)).fetchone() is not None
        finally:
            db.close()

    def set_password(self, username: str, password: str, db_key: bytes) -> None:
        """Give ``username`` a password slot for ``db_key`` and save the key file."""
        self.keyfile.set_password(username, password, db_key)
        self.keyfile.save(self.keys_path)
