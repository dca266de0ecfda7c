"""Opening a store that cannot be opened: each failure has its own clear error and
CLI exit code, never a traceback, and never changes a byte of the files.

Wrong key, wrong file, damaged file and a store from a newer version must be
told apart (DESIGN.md "Encrypted store and keys"; issue 2 item 2).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
from pathlib import Path

import pytest
from wd_testkit import ADMIN, PASSWORD, make_store, run_cli, snapshot

from ward_desk.store.database import DB_NAME, KEYS_NAME, open_store
from ward_desk.store.errors import (
    KeyFileMismatch,
    NoStore,
    NotAWardDeskStore,
    StoreDamaged,
    StoreError,
    StoreTooNew,
    WrongPassword,
)

VI_WRONG = "Tên đăng nhập hoặc mật khẩu không đúng"
EN_WRONG = "Wrong user name or password"
VI_DAMAGED = "bị hỏng"
VI_NOT_OURS = "không phải kho dữ liệu"
VI_MISMATCH = "không đi cùng nhau"
PAGE = 4096
GIVEN = ("An", "Bình", "Châu", "Dũng", "Hạnh", "Khoa", "Lan", "Minh", "Ngọc", "Phúc", "Quyên", "Sơn", "Thảo")


@pytest.fixture
def filled_store(tmp_path: Path) -> Path:
    """A store with a few dossiers in it, closed (WAL folded into ward.db)."""
    from ward_desk.services import dossiers
    from ward_desk.services.desk import open_session

    data_dir = tmp_path / "ward"
    make_store(data_dir)
    session = open_session(data_dir, ADMIN, PASSWORD)
    try:
        for i in range(40):
            dossiers.intake(session, dossiers.IntakeRequest(
                procedure_code="CT.01", applicant_name=f"Nguyễn Thị {GIVEN[i % len(GIVEN)]}",
                phone=f"09123456{i:02d}",
                address="12 đường Trần Phú, khu phố 3"))
    finally:
        session.store.close()
    return data_dir


def _open_and_close(data_dir: Path, user: str = ADMIN, password: str = PASSWORD) -> None:
    store = open_store(data_dir, user, password)
    store.close()


def _cli_fails(data_dir: Path, exit_code: int, *args: str, **kw) -> str:
    proc = run_cli("verify", "--data-dir", data_dir, *args, **kw)
    assert proc.returncode == exit_code, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stderr.strip(), "a failure must say what went wrong"
    return proc.stderr


# --- wrong password / unknown user -------------------------------------------------------


def test_wrong_password_and_unknown_user_read_the_same(store_dir: Path) -> None:
    """Wrong password -> WrongPassword, exit 3, in Vietnamese or English; an unknown
    user gets the very same message (no user enumeration)."""
    before = _store_files(store_dir)
    with pytest.raises(WrongPassword) as wrong:
        _open_and_close(store_dir, ADMIN, PASSWORD + "x")
    with pytest.raises(WrongPassword) as unknown:
        _open_and_close(store_dir, "khong-co-ai", PASSWORD)
    assert str(unknown.value) == str(wrong.value)
    assert _store_files(store_dir) == before

    by_wrong = _cli_fails(store_dir, 3, "--user", ADMIN, password="mat-khau-sai")
    assert VI_WRONG in by_wrong
    by_unknown = _cli_fails(store_dir, 3, "--user", "khong-co-ai")
    assert by_unknown == by_wrong
    assert "khong-co-ai" not in by_unknown
    in_english = _cli_fails(store_dir, 3, "--lang", "en", password="mat-khau-sai")
    assert EN_WRONG in in_english and VI_WRONG not in in_english
    assert _store_files(store_dir) == before


def _store_files(folder: Path) -> dict[str, str]:
    # The failed-attempts count beside the store (services.unlock_guard) is meant to change.
    return {k: v for k, v in snapshot(folder).items() if k != "unlock-attempts.json"}


# --- no store / not ours -------------------------------------------------------------------


def test_folder_without_a_store(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(NoStore):
        _open_and_close(empty)
    with pytest.raises(NoStore):
        _open_and_close(tmp_path / "does-not-exist")
    stderr = _cli_fails(empty, 2)
    assert "ward-desk init" in stderr
    assert list(empty.iterdir()) == [], "a failed open must not create files"
    assert not (tmp_path / "does-not-exist").exists()


def _plain_sqlite(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE ho_so (ten TEXT)")
    conn.execute("INSERT INTO ho_so VALUES ('Nguyễn Văn Bình')")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("with_keys", [False, True], ids=["alone", "beside-real-keys"])
def test_plain_sqlite_file_is_not_a_ward_desk_store(store_dir: Path, tmp_path: Path, with_keys: bool) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    _plain_sqlite(folder / DB_NAME)
    if with_keys:
        shutil.copy2(store_dir / KEYS_NAME, folder / KEYS_NAME)
    before = snapshot(folder)
    with pytest.raises(NotAWardDeskStore):
        _open_and_close(folder)
    if with_keys:
        stderr = _cli_fails(folder, 4)
        assert VI_NOT_OURS in stderr
    assert snapshot(folder) == before


def test_random_bytes_with_valid_keys_is_damaged_or_not_ours(store_dir: Path) -> None:
    """The whole file replaced by other bytes: the key file records the database's salt,
    so the two are said not to belong together (not "damaged, restore a backup")."""
    size = (store_dir / DB_NAME).stat().st_size
    (store_dir / DB_NAME).write_bytes(secrets.token_bytes(size))
    before = snapshot(store_dir)
    with pytest.raises(KeyFileMismatch):
        _open_and_close(store_dir)
    stderr = _cli_fails(store_dir, 4)
    assert VI_MISMATCH in stderr and VI_DAMAGED not in stderr
    assert snapshot(store_dir) == before


def test_empty_database_file_with_valid_keys_is_refused_untouched(store_dir: Path) -> None:
    """A 0-byte ward.db (a copy cut short, a full disk) is not a new store to build:
    SQLCipher would happily start a blank database in it."""
    (store_dir / DB_NAME).write_bytes(b"")
    before = snapshot(store_dir)
    with pytest.raises((StoreDamaged, NotAWardDeskStore)):
        _open_and_close(store_dir)
    assert snapshot(store_dir) == before
    stderr = _cli_fails(store_dir, 4)
    assert VI_DAMAGED in stderr or VI_NOT_OURS in stderr
    assert snapshot(store_dir) == before


def test_database_without_its_key_file(store_dir: Path) -> None:
    (store_dir / KEYS_NAME).unlink()
    before = snapshot(store_dir)
    with pytest.raises(NotAWardDeskStore):
        _open_and_close(store_dir)
    assert snapshot(store_dir) == before


# --- damage -------------------------------------------------------------------------------


def test_page_in_the_middle_overwritten_is_reported_damaged(filled_store: Path) -> None:
    from ward_desk.services.desk import open_session, verify

    db = filled_store / DB_NAME
    pages = db.stat().st_size // PAGE
    assert pages > 20
    victim = pages // 2
    with open(db, "r+b") as f:
        f.seek(victim * PAGE)
        f.write(secrets.token_bytes(PAGE))
    before = snapshot(filled_store)

    with pytest.raises(StoreDamaged):
        session = open_session(filled_store, ADMIN, PASSWORD)
        try:
            verify(session)
        finally:
            session.store.close()
    stderr = _cli_fails(filled_store, 4)
    assert VI_DAMAGED in stderr
    assert snapshot(filled_store) == before


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "other-json", "no-slots", "bad-slot-salt"])
def test_damaged_key_file(store_dir: Path, damage: str) -> None:
    keys = store_dir / KEYS_NAME
    raw = keys.read_bytes()
    if damage == "truncated":
        keys.write_bytes(raw[: len(raw) // 2])
    elif damage == "garbage":
        keys.write_bytes(secrets.token_bytes(len(raw)))
    elif damage == "empty":
        keys.write_bytes(b"")
    elif damage == "other-json":
        keys.write_text('{"name": "cấu hình khác", "slots": []}')
    elif damage == "no-slots":
        data = json.loads(raw)
        del data["slots"]
        keys.write_text(json.dumps(data))
    elif damage == "bad-slot-salt":
        data = json.loads(raw)
        for slot in data["slots"]:
            if slot["kind"] == "password":
                slot["kdf"]["salt"] = "not hex at all"
        keys.write_text(json.dumps(data))
    before = snapshot(store_dir)
    with pytest.raises((StoreDamaged, NotAWardDeskStore)):
        _open_and_close(store_dir)
    if damage == "garbage":
        stderr = _cli_fails(store_dir, 4)
        assert VI_DAMAGED in stderr or VI_NOT_OURS in stderr
    assert snapshot(store_dir) == before


def test_key_file_of_another_store_is_refused(store_dir: Path, tmp_path: Path) -> None:
    """Same user, same password, but the key slots of a different store."""
    other = tmp_path / "other"
    make_store(other)
    shutil.copy2(other / KEYS_NAME, store_dir / KEYS_NAME)
    before = snapshot(store_dir)
    with pytest.raises(StoreError) as exc:
        _open_and_close(store_dir)
    assert isinstance(exc.value, KeyFileMismatch), type(exc.value)
    stderr = _cli_fails(store_dir, 4)
    assert VI_MISMATCH in stderr and VI_DAMAGED not in stderr
    en = _cli_fails(store_dir, 4, "--lang", "en")
    assert "do not belong together" in en
    assert snapshot(store_dir) == before


# --- newer version -----------------------------------------------------------------------


def test_store_from_a_newer_version_is_refused_untouched(store_dir: Path) -> None:
    from ward_desk.migrations import LATEST_VERSION

    store = open_store(store_dir, ADMIN, PASSWORD)
    store.db.execute_sql("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(LATEST_VERSION + 1),))
    store.close()
    before = snapshot(store_dir)
    mtimes = {p.name: p.stat().st_mtime_ns for p in store_dir.iterdir() if p.is_file()}

    with pytest.raises(StoreTooNew) as exc:
        _open_and_close(store_dir)
    assert str(LATEST_VERSION + 1) in str(exc.value)
    stderr = _cli_fails(store_dir, 4)
    assert "mới hơn" in stderr
    assert snapshot(store_dir) == before
    assert {p.name: p.stat().st_mtime_ns for p in store_dir.iterdir() if p.is_file()} == mtimes
    assert not any((store_dir / "backups").iterdir()), "no migration backup for a store we refuse"
    assert os.environ.get("WARD_DESK_KDF_MEMORY_KIB")  # the fixtures kept Argon2 cheap
