"""Users and their key slots: adding, changing passwords, signing in."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from ward_desk.domain.validation import clean_text, validate_password
from ward_desk.errors import InvalidInput, NotFound
from ward_desk.services.outbox import record_change
from ward_desk.store.keys import KeyFile
from ward_desk.store.models import User

ROLES = ("clerk", "leader", "admin")
_USERNAME = re.compile(r"^[a-z0-9._-]{2,32}$")


def validate_new_user(username: str, role: str, password: str) -> None:
    """Check a new account's name, role and password before anything is written."""
    if not _USERNAME.match(username or ""):
        raise InvalidInput("auth.bad_username")
    if role not in ROLES:
        raise InvalidInput("auth.bad_role", role=role)
    validate_password(password)


def user_payload(user: User) -> dict[str, object]:
    # Upstream needs who did what, not passwords: no key material leaves the store.
    return {
        "uid": user.uid,
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "active": user.active,
    }


def insert_user(username: str, full_name: str, role: str, now: datetime) -> User:
    """Insert a user row (the caller holds the transaction and writes the key slot)."""
    full_name = clean_text("full_name", full_name)
    if User.select().where(User.username == username).exists():
        raise InvalidInput("auth.user_exists", username=username)
    user = User.create(
        uid=uuid.uuid4().hex, username=username, full_name=full_name or username, role=role, created_at=now
    )
    record_change("user", user.uid, user.version, user_payload(user), now)
    return user


def add_user(keyfile: KeyFile, keys_path, db_key: bytes, *, username: str, full_name: str, role: str,
             password: str, now: datetime) -> User:
    """Create a user with a password slot. The row commits first, then the slot is
    written; a crash between leaves a user who cannot sign in yet, never a slot
    without its user."""
    validate_new_user(username, role, password)
    with User._meta.database.atomic("IMMEDIATE"):
        user = insert_user(username, full_name, role, now)
    keyfile.set_password(username, password, db_key)
    keyfile.save(keys_path)
    return user


def get_user(username: str) -> User:
    user = User.get_or_none(User.username == username)
    if user is None:
        raise NotFound("auth.unknown_user", username=username)
    return user


def only_username() -> str | None:
    """The user name when the store has exactly one active user, else None."""
    names = [u.username for u in User.select(User.username).where(User.active == True).limit(2)]  # noqa: E712
    return names[0] if len(names) == 1 else None


def remove_user(session, username: str) -> User:
    """A departed clerk: their password slot goes from ``keys.json`` and the account
    is marked inactive (the row stays, since the dossiers' history names its
    officer). Admin only; an admin cannot remove themself, and the last active
    admin stays. The database key itself is unchanged: anyone who copied the store
    while holding this password can still open that copy, until a re-key."""
    session.require_role("admin")
    user = get_user(username)
    if user.username == session.user.username:
        raise InvalidInput("auth.cannot_remove_self")
    if user.role == "admin" and User.select().where(
            (User.role == "admin") & (User.active == True) & (User.id != user.id)).count() == 0:  # noqa: E712
        raise InvalidInput("auth.last_admin")
    keyfile = session.store.keyfile()
    if user.active:
        with User._meta.database.atomic():
            user.active = False
            user.version += 1
            user.save()
            record_change("user", user.uid, user.version, user_payload(user), session.clock())
    # The slot goes after the row commits: a crash between leaves an inactive user whose
    # slot a second run removes, never an active user who cannot sign in.
    keyfile.remove_password(username)
    keyfile.save(session.store.keys_path)
    return user


REKEY_SUFFIX = ".rekey"
"""``keys.json.rekey``: the new slots, written before the database is re-keyed and
renamed over ``keys.json`` after, so a crash between leaves a file that opens it."""


def rekey_store(session, password: str, escrow_wrap=None) -> tuple[str, list[str]]:
    """Give the store a new random database key (``PRAGMA rekey``): copies of the
    store made before (backups, a departed clerk's USB stick) keep the old key and
    no longer match anything on this PC. Admin only, with the admin's password
    typed again. In ``keys.json`` the admin's slot, a new recovery key and, when
    the store is escrowed, the escrow slot (``escrow_wrap(new_key, aad)`` returns
    the blob: the district's wrap) are made for the new key; every other user's
    slot is dropped, since only their passwords could wrap it: the admin gives
    them new passwords (``users passwd NAME``). Returns the new recovery key (to
    be written down) and the users whose slots were dropped.

    Crash safety: the new slots go to ``keys.json.rekey`` first (fsync), then the
    database is re-keyed in place, then that file is renamed over ``keys.json``;
    :func:`ward_desk.store.database.open_store` tries ``keys.json.rekey`` when
    ``keys.json`` no longer opens the database."""
    import os

    from ward_desk.store.database import bind
    from ward_desk.store.keys import new_db_key, new_recovery_key

    session.require_role("admin")
    store = session.store
    old = store.keyfile()
    old.unlock_with_password(session.user.username, password)  # the password typed again is the admin's
    new_key, recovery = new_db_key(), new_recovery_key()
    fresh = KeyFile(store_id=old.store_id, tag_salt=old.tag_salt, db_salt=old.db_salt)
    fresh.set_password(session.user.username, password, new_key)
    fresh.set_recovery(recovery, new_key)
    escrow = old.escrow_slot()
    if escrow is not None and escrow_wrap is not None:
        fresh.set_escrow(escrow_wrap(new_key, fresh.escrow_aad()), dict(escrow.meta))
    tags = {old.user_tag(u.username): u.username for u in User.select(User.username)}
    dropped = sorted(tags.get(s.user_tag, "?") for s in old.slots
                     if s.kind == "password" and s.user_tag != old.user_tag(session.user.username))
    pending = store.keys_path.with_name(store.keys_path.name + REKEY_SUFFIX)
    fresh.save(pending)
    store.db.execute_sql(f"PRAGMA rekey = \"x'{new_key.hex()}'\"")
    os.replace(pending, store.keys_path)
    store.key = new_key
    bind(store.db_path, new_key)  # later connections (other threads, reconnects) use the new key
    return recovery, dropped
