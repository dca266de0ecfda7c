"""Creating a new ward store: the one place a store is born with its office, its
first administrator and the starter catalogue.

A service, not part of the store layer: the first user and the catalogue are
written by the services' own code (with their outbox rows), so the store never
imports the services above it.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import datetime, timezone
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from ward_desk.domain.codes import validate_agency_id
from ward_desk.domain.validation import clean_text
from ward_desk.errors import InvalidInput
from ward_desk.services.catalogue import load_starter_catalogue
from ward_desk.services.users import insert_user, validate_new_user
from ward_desk.store import models, presence
from ward_desk.store.database import BACKUP_DIR, DB_NAME, KEYS_NAME, Store, bind, db_salt
from ward_desk.store.errors import StoreExists
from ward_desk.store.keys import new_db_key, new_keyfile, new_recovery_key

ISSUER_SETTINGS = ("centre_name", "authority_name", "province_name")


def save_issuer_names(data_dir: Path, **names: str | None) -> dict[str, str]:
    """Record how the printed forms name the office (``config.toml``: ``centre_name``,
    ``authority_name``, ``province_name``; None leaves a setting as it is, "" returns it to
    the name derived from the ward's). Each is checked as an office name (length, no
    control characters) before anything is written; returns what was saved."""
    from ward_desk.config import save_setting

    unknown = set(names) - set(ISSUER_SETTINGS)
    if unknown:
        raise ValueError(f"unknown issuer settings {sorted(unknown)}")
    clean = {key: clean_text("office_name", value) for key, value in names.items() if value is not None}
    for key, value in clean.items():
        save_setting(data_dir, key, value)
    return clean


def create_store(
    data_dir: Path,
    *,
    office_code: str,
    office_name: str,
    admin_username: str,
    admin_password: str,
    admin_full_name: str | None = None,
    agency_id: str | None = None,
    upstream_label: str = "",
    now: datetime | None = None,
) -> tuple[Store, str]:
    """Create a new store and return it open, with the recovery key to print once."""
    from ward_desk.migrations import apply_all  # imported when used: the runner is only needed here

    data_dir = Path(data_dir)
    if (data_dir / DB_NAME).exists() or (data_dir / KEYS_NAME).exists():
        raise StoreExists("store.exists", path=str(data_dir))
    office_code = validate_agency_id(office_code.strip())
    agency = validate_agency_id((agency_id or office_code).strip())
    validate_new_user(admin_username, "admin", admin_password)
    # Checked before any file exists: these print on every slip.
    office_name = clean_text("office_name", office_name)
    if not office_name:
        raise InvalidInput("validation.office_name_required")
    upstream_label = clean_text("label", upstream_label)
    admin_full_name = clean_text("full_name", admin_full_name)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / BACKUP_DIR).mkdir(exist_ok=True)
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)

    key = new_db_key()
    store_id = uuid.uuid4().hex
    recovery = new_recovery_key()
    keyfile = new_keyfile(store_id)
    keyfile.set_password(admin_username, admin_password, key)
    keyfile.set_recovery(recovery, key)

    mine = presence.Presence(data_dir)  # open from birth: a restore into it now is refused
    db = bind(data_dir / DB_NAME, key)
    try:
        db.connect()
        apply_all(db, data_dir, backup_first=False)
        signing = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        with db.atomic():
            models.Meta.create(key="store_id", value=store_id)
            models.Meta.create(key="created_at", value=now.isoformat())
            models.Office.create(
                code=office_code,
                agency_id=agency,
                name=office_name,
                upstream_label=upstream_label,
                signing_key=signing,
                created_at=now,
            )
            insert_user(admin_username, admin_full_name or admin_username, "admin", now)
            load_starter_catalogue(now)
        keyfile.db_salt = db_salt(data_dir / DB_NAME) or ""  # the key file knows its database
        keyfile.save(data_dir / KEYS_NAME)
    except BaseException:
        db.close()
        mine.release()
        for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", KEYS_NAME):
            with contextlib.suppress(FileNotFoundError):
                (data_dir / name).unlink()
        raise
    return Store(data_dir=data_dir, db=db, store_id=store_id, key=key, presence=mine), recovery
