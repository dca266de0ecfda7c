"""A full disk is a full disk (issue 13 item 1).

Every command that meets a full disk says so, with the folder and how much it
needs, exits 5, changes nothing, and the store opens as before once space is
freed; it never says the store is damaged. The disks are real: a tmpfs of a few
MB (``small_disk``), and ``/dev/full`` for the plain file writes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from abuse_kit import DAMAGED_EN, DAMAGED_VI, unchanged_files
from wd_testkit import ADMIN, PASSWORD, make_store, ok, run_cli, snapshot

from ward_desk.errors import EXIT_DISK

FULL_VI = "đã đầy"
FULL_EN = "is full"
NEEDED_VI = re.compile(r"cần ít nhất \d+ (MB|KB)")
NEEDED_EN = re.compile(r"needs at least \d+ (MB|KB)")
DISK = 8 * 1024 * 1024


def _assert_full(proc: subprocess.CompletedProcess, folder: Path, lang: str = "vi") -> None:
    """Exit 5; the message is the full-disk one, names ``folder`` and what is needed."""
    err = proc.stderr
    assert proc.returncode == EXIT_DISK, (proc.returncode, proc.stdout, err)
    assert str(folder) in err, err
    if lang == "vi":
        assert FULL_VI in err and NEEDED_VI.search(err), err
    else:
        assert FULL_EN in err and NEEDED_EN.search(err), err
    assert DAMAGED_VI not in err and DAMAGED_EN not in err, err


def _intake(data: Path, name: str = "Nguyễn Thị Đầy") -> str:
    out = ok(run_cli("intake", "--procedure", "CT.01", "--applicant-name", name, "--json", "--data-dir", data))
    return json.loads(out.stdout)["code"]


def _count(data: Path) -> int:
    return json.loads(ok(run_cli("stats", "--json", "--data-dir", data)).stdout)["dossiers"]


@pytest.fixture
def ward_on_small_disk(small_disk, tmp_path: Path):
    """A store with two dossiers on an 8 MB disk, opened once (its cache written)."""
    disk = small_disk(DISK)
    data = disk.root / "ward"
    make_store(data)
    code = _intake(data)
    _intake(data, "Trần Văn Hai")
    return disk, data, code


COMMANDS = {
    "intake": (["intake", "--procedure", "CT.01", "--applicant-name", "Lê Thị Ba"], 0),
    "intake-commit": (["intake", "--procedure", "CT.01", "--applicant-name", "Lê Thị Ba"], 40 * 1024),
    "move": (["dossier", "move", "{code}", "--to", "in_progress"], 40 * 1024),
    "search": (["search", "nguyen"], 0),
    "show": (["dossier", "show", "{code}"], 0),
    "verify": (["verify"], 0),
    "stats": (["stats"], 0),
    "backup": (["backup"], 0),
    "passwd": (["users", "passwd", ADMIN, "--new-password-file", "{pw}"], 0),
}


@pytest.mark.parametrize("case", list(COMMANDS))
def test_a_full_data_disk_is_reported_as_full_and_changes_nothing(ward_on_small_disk, tmp_path: Path,
                                                                  case: str) -> None:
    disk, data, code = ward_on_small_disk
    new_pw = tmp_path / "new.txt"
    new_pw.write_text("mat-khau-moi-789\n")
    args, leave = COMMANDS[case]
    argv = [a.format(code=code, pw=new_pw) for a in args]
    before = snapshot(data)
    disk.fill(leave)
    proc = run_cli(*argv, "--data-dir", data)
    _assert_full(proc, data)
    unchanged_files(data, before)
    english = run_cli(*argv, "--data-dir", data, "--lang", "en")
    _assert_full(english, data, "en")
    unchanged_files(data, before)

    disk.release()
    assert _count(data) == 2, "the store must open as usual once space is freed"
    ok(run_cli("verify", "--data-dir", data))
    password = "mat-khau-moi-789" if case == "passwd" else PASSWORD
    ok(run_cli(*argv, "--data-dir", data, password=PASSWORD))
    ok(run_cli("verify", "--data-dir", data, password=password))


def test_backup_to_a_full_disk_says_so_and_leaves_no_part_files(store_dir: Path, small_disk) -> None:
    """The copy is refused before anything is written when the destination cannot
    hold the store; the message names the destination and the store's size."""
    usb = small_disk(4 * 1024 * 1024)
    usb.fill(64 * 1024)
    before = snapshot(usb.root)
    dest = usb.root / "sao-luu" / "ward.db"
    proc = run_cli("backup", "--out", dest, "--data-dir", store_dir)
    _assert_full(proc, dest.parent)
    size_mb = (store_dir / "ward.db").stat().st_size / 2**20
    needed = int(NEEDED_VI.search(proc.stderr).group(0).split()[-2])
    assert needed >= size_mb
    assert not list(usb.root.rglob("*.part*")) and not dest.exists()
    assert {k: v for k, v in snapshot(usb.root).items() if not k.startswith(".filler")} == \
        {k: v for k, v in before.items() if not k.startswith(".filler")}
    usb.release()
    ok(run_cli("backup", "--out", dest, "--data-dir", store_dir))
    assert dest.exists() and Path(str(dest) + ".keys.json").exists()


def test_backup_that_runs_out_of_space_midway_removes_every_partial_file(session, small_disk,
                                                                         monkeypatch) -> None:
    """Even past the up-front check (another program filling the disk meanwhile), a
    copy cut short by the disk leaves neither ``.part`` nor ``.part-journal``."""
    from datetime import datetime

    from ward_desk.store import backup
    from ward_desk.store.errors import DiskFull
    from ward_desk.store.models import ReferenceData

    with session.store.db.atomic():  # a store bigger than the room left: 2 MB of data
        ReferenceData.create(kind="padding", version="1", body=os.urandom(2 * 2**20).hex()[: 2 * 2**20],
                             signature=b"", received_at=datetime(2026, 1, 1))
    usb = small_disk(1024 * 1024)
    monkeypatch.setattr(backup, "ensure_free", lambda path, needed: None)  # the check passed, then the disk filled
    dest = usb.root / "ward.db"
    with pytest.raises(DiskFull) as exc:
        backup.backup_store(session.store.db, session.store.key, dest, keyfile=session.store.keyfile())
    assert exc.value.message.params["path"] == str(usb.root)
    assert sorted(p.name for p in usb.root.iterdir()) == [], list(usb.root.iterdir())


def test_leftover_part_journal_files_are_cleaned_by_the_next_backup(session, tmp_path: Path) -> None:
    from ward_desk.store.backup import backup_store

    folder = tmp_path / "copies"
    folder.mkdir()
    for name in ("old.db.part", "old.db.part-journal", "older.db.part-journal"):
        (folder / name).write_bytes(b"\0" * 4096)
    backup_store(session.store.db, session.store.key, folder / "new.db", keyfile=session.store.keyfile())
    assert sorted(p.name for p in folder.iterdir()) == ["new.db", "new.db.keys.json"]


def test_migration_on_a_full_disk_leaves_the_store_as_it_was(small_disk) -> None:
    """The pre-upgrade backup does not fit: the upgrade is refused as a full disk (not
    "upgrade failed"), the old schema is untouched, and it upgrades once there is room."""
    from ward_desk.migrations import LATEST_VERSION
    from wd_testkit import build_store_at

    disk = small_disk(DISK)
    data = disk.root / "ward"
    build_store_at(data, LATEST_VERSION - 1)
    before = snapshot(data)
    disk.fill(128 * 1024)
    proc = run_cli("stats", "--json", "--data-dir", data)
    _assert_full(proc, data / "backups")
    unchanged_files(data, before)
    assert not list((data / "backups").iterdir())
    disk.release()
    opened = ok(run_cli("stats", "--json", "--data-dir", data))
    assert json.loads(opened.stdout)["dossiers"] == 3
    assert len(list((data / "backups").glob("before-schema-*.db.keys.json"))) == 1


def test_restore_onto_a_full_disk_changes_nothing(ward_on_small_disk, tmp_path: Path) -> None:
    disk, data, _code = ward_on_small_disk
    dest = tmp_path / "b" / "ward.db"
    ok(run_cli("backup", "--out", dest, "--data-dir", data))
    _intake(data, "Sau Sao Lưu")
    before = snapshot(data)
    disk.fill(64 * 1024)
    proc = run_cli("restore", dest, "--data-dir", data)
    _assert_full(proc, data)
    unchanged_files(data, before)
    disk.release()
    assert _count(data) == 3
    ok(run_cli("restore", dest, "--data-dir", data))
    assert _count(data) == 2


def test_sync_export_to_a_full_stick(store_dir: Path, small_disk, tmp_path: Path) -> None:
    """The stick fills up: the export says so (the stick's folder, not the store), keeps
    no half-written batch, and a second trip with room writes them all."""
    district, pub = tmp_path / "district", tmp_path / "district.pub"
    env = {**os.environ, "DISTRICT_DESK_PASSWORD": "mat khau quan huyen", "WARD_DESK_LANG": "en"}
    bin_dir = Path(sys.executable).parent
    for args in (["init", "--data-dir", str(district), "--name", "Tỉnh Thử"],
                 ["key", "--data-dir", str(district), "--out", str(pub)]):
        subprocess.run([str(bin_dir / "district-desk"), *args], check=True, capture_output=True, env=env,
                       timeout=60)
    ok(run_cli("sync", "enrol", "--district-url", "http://127.0.0.1:9", "--district-key", pub,
               "--fingerprint", json.loads(Path(pub).read_text(encoding="utf-8"))["fingerprint"], "--data-dir", store_dir))
    _intake(store_dir)
    stick = small_disk(512 * 1024)
    stick.fill(0)
    before = json.loads(ok(run_cli("stats", "--json", "--data-dir", store_dir)).stdout)
    proc = run_cli("sync", "export", "--to", stick.root, "--data-dir", store_dir)
    _assert_full(proc, stick.root)
    assert not [p for p in stick.root.rglob("*") if p.is_file() and not p.name.startswith(".filler")]
    # The store records the range it cut before the batch leaves (PROTOCOL.md), so its
    # bytes may move; what it holds and what is still to send do not.
    assert json.loads(ok(run_cli("stats", "--json", "--data-dir", store_dir)).stdout) == before
    stick.release()
    ok(run_cli("sync", "export", "--to", stick.root, "--data-dir", store_dir))
    assert list((stick.root / "ward-desk-22918").glob("*.wdu"))


# --- without mounting anything: /dev/full answers every write with ENOSPC -----------------


needs_dev_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")


@needs_dev_full
def test_password_change_on_a_full_disk_keeps_the_old_key_file(store_dir: Path, tmp_path: Path) -> None:
    """The new slots cannot be written: the old ``keys.json`` stays, no ``.tmp`` beside it."""
    keys = store_dir / "keys.json"
    before = keys.read_bytes()
    (store_dir / "keys.json.tmp").symlink_to("/dev/full")
    new_pw = tmp_path / "new.txt"
    new_pw.write_text("mat-khau-moi-789\n")
    proc = run_cli("users", "passwd", ADMIN, "--new-password-file", new_pw, "--data-dir", store_dir)
    _assert_full(proc, store_dir)
    assert keys.read_bytes() == before
    assert not (store_dir / "keys.json.tmp").exists()
    ok(run_cli("verify", "--data-dir", store_dir))  # the old password still opens it


@needs_dev_full
def test_os_level_disk_full_anywhere_in_a_command_is_a_full_disk(tmp_path: Path) -> None:
    """The CLI's last line of defence: an ``ENOSPC`` from any file write says "full"."""
    from ward_desk.store.database import translate_db_error
    from ward_desk.store.errors import DiskFull

    target = tmp_path / "report.xlsx"
    target.symlink_to("/dev/full")
    with pytest.raises(OSError) as raised, open(target, "wb") as f:
        f.write(b"x" * 65536)
        f.flush()
    err = translate_db_error(raised.value, target)
    assert isinstance(err, DiskFull) and err.exit_code == EXIT_DISK
    assert err.message.params["path"] == str(tmp_path)


def test_an_io_error_with_room_left_is_not_called_full_or_damaged(store_dir: Path) -> None:
    """SQLite's bare "disk I/O error" with plenty of space: a disk problem (exit 5), not
    "damaged, restore a backup"."""
    import peewee

    from ward_desk.store.database import translate_db_error
    from ward_desk.store.errors import DiskError

    err = translate_db_error(peewee.OperationalError("disk I/O error"), store_dir)
    assert isinstance(err, DiskError) and err.message.id == "store.io_error" and err.exit_code == EXIT_DISK
    readonly = translate_db_error(peewee.OperationalError("attempt to write a readonly database"), store_dir)
    assert readonly.message.id == "store.read_only"


def test_a_read_only_disk_is_not_damaged(ward_on_small_disk) -> None:
    """A write-protected disk: "read-only" (exit 5), nothing changed, and it works again
    once writable; never "damaged"."""
    disk, data, _code = ward_on_small_disk
    before = snapshot(data)
    disk.read_only()
    try:
        for lang, word in (("vi", "chỉ cho phép đọc"), ("en", "read-only")):
            proc = run_cli("intake", "--procedure", "CT.01", "--applicant-name", "Chỉ Đọc", "--data-dir", data,
                           "--lang", lang)
            assert proc.returncode == EXIT_DISK and word in proc.stderr, (proc.returncode, proc.stderr)
            assert DAMAGED_VI not in proc.stderr and DAMAGED_EN not in proc.stderr
    finally:
        disk.read_only(False)
    unchanged_files(data, before)
    _intake(data, "Ghi Được")
    assert _count(data) == 3


def test_exit_code_five_is_documented() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert "5 the disk (full, read-only or failing" in readme


def test_the_desk_store_thread_reports_a_full_disk_as_full(ward_on_small_disk) -> None:
    """The desk runs every store call on its store thread: an intake the full disk
    refuses comes back as the store's DiskFull (the desk shows its message), not as an
    unexpected OperationalError."""
    import asyncio

    from ward_desk.services import dossiers
    from ward_desk.services.desk import open_session
    from ward_desk.store.errors import DiskFull
    from ward_desk.ui.workers import StoreThread

    disk, data, _code = ward_on_small_disk
    thread = StoreThread()
    session = thread.submit(open_session, data, ADMIN, PASSWORD).result(timeout=60)
    try:
        disk.fill(40 * 1024)

        async def intake() -> object:
            return await thread.call(dossiers.intake, session, dossiers.IntakeRequest(
                procedure_code="CT.01", applicant_name="Võ Thị Đầy", address="Số 5 đường Lê Lợi"))

        with pytest.raises(DiskFull) as exc:
            asyncio.run(intake())
        assert str(data) in str(exc.value) and FULL_VI in str(exc.value)
    finally:
        thread.close(session.store.close)
        disk.release()
    assert _count(data) == 2
