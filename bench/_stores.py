"""Opening and creating the bench stores: the SQLCipher store as the app makes it,
and the same schema on plain SQLite for the encryption-cost ratio.

The plain store is opened through the same peewee models, the same migrations
and the same connection pragmas; only the key is missing. It uses the SQLite
that ships inside ``sqlcipher3`` (3.5x), not the stdlib's, so the two stores
differ by encryption alone (and the stdlib SQLite may be too old for the
schema's ``contentless_delete`` FTS5 option).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path

BENCH_USER = "admin"
BENCH_PASSWORD = "bench-password"
INFO = "bench-store.json"
OFFICE_CODE, OFFICE_NAME = "22918", "Phường Mũi Né"


def write_info(data_dir: Path, **info) -> None:
    (Path(data_dir) / INFO).write_text(json.dumps(info, indent=1, default=str))


def read_info(data_dir: Path) -> dict:
    path = Path(data_dir) / INFO
    return json.loads(path.read_text()) if path.exists() else {}


def create_encrypted(data_dir: Path, now: datetime):
    """A new SQLCipher store made by the app's own create_store, plus the demo's users."""
    from ward_desk.demo import DEMO_USERS
    from ward_desk.services.setup import create_store
    from ward_desk.services.users import add_user

    store, _recovery = create_store(Path(data_dir), office_code=OFFICE_CODE, office_name=OFFICE_NAME,
                                    admin_username=BENCH_USER, admin_password=BENCH_PASSWORD, now=now)
    keyfile = store.keyfile()
    for username, full_name, role in DEMO_USERS[1:]:
        add_user(keyfile, store.keys_path, store.key, username=username, full_name=full_name, role=role,
                 password=BENCH_PASSWORD, now=now)
    return store


def _bind_plain(path: Path):
    from ward_desk.store import models
    from ward_desk.store.database import connection_pragmas

    db = models.database
    if not db.is_closed():
        db.close()
    # No passphrase: sqlcipher3 then opens an ordinary, unencrypted SQLite file.
    db.init(str(path), passphrase="", pragmas=connection_pragmas(), timeout=10)
    db.connect()
    return db


def create_plain(data_dir: Path, now: datetime):
    """The same schema, rows and users on plain SQLite."""
    from ward_desk.migrations import apply_all

    from ward_desk.demo import DEMO_USERS
    from ward_desk.services.catalogue import load_starter_catalogue
    from ward_desk.services.users import insert_user
    from ward_desk.store import models
    from ward_desk.store.database import DB_NAME, Store

    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    if (data_dir / DB_NAME).exists():
        raise SystemExit(f"{data_dir / DB_NAME} exists; remove it first")
    db = _bind_plain(data_dir / DB_NAME)
    apply_all(db, data_dir, backup_first=False)
    store_id = uuid.uuid4().hex
    with db.atomic():
        models.Meta.create(key="store_id", value=store_id)
        models.Meta.create(key="created_at", value=now.isoformat())
        models.Office.create(code=OFFICE_CODE, agency_id=OFFICE_CODE, name=OFFICE_NAME, created_at=now)
        for username, full_name, role in DEMO_USERS:
            insert_user(username, full_name, role, now)
        load_starter_catalogue(now)
    return Store(data_dir=data_dir, db=db, store_id=store_id, key=b"")


def open_encrypted(data_dir: Path):
    from ward_desk.store.database import open_store

    return open_store(Path(data_dir), BENCH_USER, BENCH_PASSWORD)


def open_plain(data_dir: Path):
    from ward_desk.store import models
    from ward_desk.store.database import DB_NAME, Store

    db = _bind_plain(Path(data_dir) / DB_NAME)
    store_id = models.Meta.get(models.Meta.key == "store_id").value
    return Store(data_dir=Path(data_dir), db=db, store_id=store_id, key=b"")
