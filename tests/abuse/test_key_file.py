"""The key file is checked, not trusted (issue 13 item 2).

A doctored ``keys.json`` is refused before any key is derived from it, each way
with its own message and exit code, and nothing changes; every backup the
software makes can be restored on its own, with the key file it needs.
"""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from abuse_kit import DAMAGED_EN, DAMAGED_VI
from wd_testkit import ADMIN, PASSWORD, build_store_at, make_store, ok, run_cli, snapshot

from ward_desk.errors import EXIT_DAMAGED


def _doctor(data: Path, change: Callable[[dict[str, Any]], None]) -> None:
    keys = data / "keys.json"
    body = json.loads(keys.read_text())
    change(body)
    keys.write_text(json.dumps(body))


def _password_slot(body: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in body["slots"] if s["kind"] == "password")


def _set_kdf(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        _password_slot(body)["kdf"][name] = value
    return change


def _set(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        body[name] = value
    return change


def _only(kinds: tuple[str, ...]) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        body["slots"] = [s for s in body["slots"] if s["kind"] in kinds]
    return change


def _slot_kind(kind: str) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        _password_slot(body)["kind"] = kind
    return change


# case -> (doctoring, exit code, words of the Vietnamese message, words of the English one)
CASES: dict[str, tuple[Callable[[dict[str, Any]], None], int, str, str]] = {
    "newer-version": (_set("version", 2), EXIT_DAMAGED, "phiên bản 2", "format version 2"),
    "version-text": (_set("version", "1"), EXIT_DAMAGED, "Tệp khóa", "key file"),
    "unknown-kdf": (_set_kdf("alg", "scrypt"), EXIT_DAMAGED, "kdf=scrypt", "kdf=scrypt"),
    "unknown-slot-kind": (_slot_kind("fido2"), EXIT_DAMAGED, "kind=fido2", "kind=fido2"),
    # 2**40 KiB overflowed the library; a billion passes hung every command.
    "memory-overflow": (_set_kdf("memory_kib", 2**40), EXIT_DAMAGED, "memory_kib = 1099511627776",
                        "memory_kib = 1099511627776"),
    "passes-hang": (_set_kdf("iterations", 10**9), EXIT_DAMAGED, "iterations = 1000000000",
                    "iterations = 1000000000"),
    "no-lanes": (_set_kdf("lanes", 0), EXIT_DAMAGED, "lanes = 0", "lanes = 0"),
    "many-lanes": (_set_kdf("lanes", 2**24), EXIT_DAMAGED, "lanes = 16777216", "lanes = 16777216"),
    "memory-as-bool": (_set_kdf("memory_kib", True), EXIT_DAMAGED, "Tệp khóa", "key file"),
    "negative-memory": (_set_kdf("memory_kib", -1), EXIT_DAMAGED, "memory_kib = -1", "memory_kib = -1"),
    "cost-too-high": (lambda b: (_set_kdf("memory_kib", 1024 * 1024)(b), _set_kdf("iterations", 16)(b)),
                      EXIT_DAMAGED, "memory_kib x iterations", "memory_kib x iterations"),
    "slots-removed": (_only(()), EXIT_DAMAGED, "không còn khe khóa nào", "no key slots left"),
    "only-recovery-left": (_only(("recovery",)), EXIT_DAMAGED, "mã khôi phục", "recovery key"),
}


@pytest.mark.parametrize("user", [None, ADMIN], ids=["only-user", "named-user"])
@pytest.mark.parametrize("case", list(CASES))
def test_a_doctored_key_file_is_refused_with_its_own_message(store_dir: Path, case: str,
                                                             user: str | None) -> None:
    change, code, vi_words, en_words = CASES[case]
    _doctor(store_dir, change)
    before = snapshot(store_dir)
    named = ["--user", user] if user else []
    for lang, words in (("vi", vi_words), ("en", en_words)):
        proc = run_cli("stats", "--data-dir", store_dir, "--lang", lang, *named)
        assert proc.returncode == code, (proc.returncode, proc.stderr)
        assert words in proc.stderr, proc.stderr
        # Not the messages a clerk got before: "several users, choose one", "wrong
        # password", "the store is damaged, restore a backup".
        assert "nhiều người dùng" not in proc.stderr and "several users" not in proc.stderr
        assert "mật khẩu không đúng" not in proc.stderr and "Wrong user name" not in proc.stderr
        assert DAMAGED_VI not in proc.stderr and DAMAGED_EN not in proc.stderr
    assert snapshot(store_dir) == before


def test_the_recovery_key_still_works_when_the_password_slots_are_gone(store_dir: Path, tmp_path: Path) -> None:
    """The message's advice is true: the printed key resets a password and the store opens."""
    _doctor(store_dir, _only(("recovery",)))
    recovery_file = tmp_path / "recovery-key.txt"
    shutil.copy(tmp_path / "recovery.txt", recovery_file)
    new_pw = tmp_path / "new.txt"
    new_pw.write_text("mat-khau-moi-2026\n")
    ok(run_cli("users", "passwd", ADMIN, "--recovery-key-file", recovery_file, "--new-password-file", new_pw,
               "--data-dir", store_dir))
    ok(run_cli("verify", "--data-dir", store_dir, password="mat-khau-moi-2026"))


def test_production_kdf_and_test_kdf_are_within_the_bounds() -> None:
    from ward_desk.store.keys import KDF_ITERATIONS, KDF_MAX_WORK_KIB, KDF_MEMORY_KIB, KdfParams

    for kdf in (KdfParams(), KdfParams.from_env()):
        assert KDF_MEMORY_KIB[0] <= kdf.memory_kib <= KDF_MEMORY_KIB[1]
        assert KDF_ITERATIONS[0] <= kdf.iterations <= KDF_ITERATIONS[1]
        assert kdf.memory_kib * kdf.iterations <= KDF_MAX_WORK_KIB


# --- every backup restores on its own -------------------------------------------------------------


def _codes(data: Path, password: str = PASSWORD) -> set[str]:
    out = ok(run_cli("search", "22918", "--json", "--data-dir", data, password=password)).stdout
    return {d["code"] for d in json.loads(out)}


def _intake(data: Path, name: str) -> str:
    out = ok(run_cli("intake", "--procedure", "CT.01", "--applicant-name", name, "--json", "--data-dir", data))
    return json.loads(out.stdout)["code"]


@pytest.mark.parametrize("loss", ["store-and-keys-gone", "store-damaged", "keys-gone", "keys-of-no-slots"])
def test_a_cli_backup_restores_on_its_own(tmp_path: Path, loss: str) -> None:
    """What one restores for is a store that no longer opens: the backup and the key file
    beside it are all it takes."""
    data = tmp_path / "ward"
    make_store(data)
    kept = _intake(data, "Trước Sự Cố")
    dest = tmp_path / "usb" / "ward.db"
    ok(run_cli("backup", "--out", dest, "--data-dir", data))
    _intake(data, "Sau Sao Lưu")
    if loss == "store-and-keys-gone":
        for name in ("ward.db", "keys.json"):
            (data / name).unlink()
    elif loss == "store-damaged":
        size = (data / "ward.db").stat().st_size
        with open(data / "ward.db", "r+b") as f:
            f.seek(size // 2)
            f.write(secrets.token_bytes(8192))
    elif loss == "keys-gone":
        (data / "keys.json").unlink()
    else:
        _doctor(data, _only(()))
    out = ok(run_cli("restore", dest, "--data-dir", data)).stdout
    assert str(dest) in out
    assert _codes(data) == {kept}
    ok(run_cli("verify", "--data-dir", data))


def test_the_pre_upgrade_backup_restores_on_its_own(tmp_path: Path) -> None:
    from ward_desk.migrations import LATEST_VERSION

    data = tmp_path / "ward"
    codes, _key = build_store_at(data, LATEST_VERSION - 1)
    ok(run_cli("stats", "--data-dir", data))  # the upgrade, and its backup
    [before_upgrade] = (data / "backups").glob("before-schema-*.db")
    assert Path(str(before_upgrade) + ".keys.json").exists()
    # The clerk's PC dies; the backups folder is all that was saved (to a stick).
    stick = tmp_path / "stick"
    shutil.copytree(data / "backups", stick)
    shutil.rmtree(data)
    data.mkdir()
    ok(run_cli("restore", stick / before_upgrade.name, "--data-dir", data))
    assert _codes(data) == set(codes)
    ok(run_cli("verify", "--data-dir", data))


def test_the_copy_a_restore_keeps_restores_on_its_own(tmp_path: Path) -> None:
    data = tmp_path / "ward"
    make_store(data)
    first = _intake(data, "Một")
    dest = tmp_path / "b.db"
    ok(run_cli("backup", "--out", dest, "--data-dir", data))
    second = _intake(data, "Hai")
    ok(run_cli("restore", dest, "--data-dir", data))
    [replaced] = (data / "backups").glob("replaced-*.db")
    assert Path(str(replaced) + ".keys.json").exists()
    (data / "keys.json").unlink()
    ok(run_cli("restore", replaced, "--data-dir", data))
    assert _codes(data) == {first, second}


def test_a_backup_without_any_key_file_says_what_is_missing(tmp_path: Path) -> None:
    data = tmp_path / "ward"
    make_store(data)
    dest = tmp_path / "b.db"
    ok(run_cli("backup", "--out", dest, "--data-dir", data))
    Path(str(dest) + ".keys.json").unlink()
    (data / "keys.json").unlink()
    before = snapshot(data)
    proc = run_cli("restore", dest, "--data-dir", data)
    assert proc.returncode == EXIT_DAMAGED and f"{dest}.keys.json" in proc.stderr, proc.stderr
    assert "Không có tệp khóa nào" in proc.stderr
    assert snapshot(data) == before


def test_a_backup_of_another_store_is_refused_from_the_key_files(tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    make_store(ours)
    make_store(theirs)
    dest = tmp_path / "theirs.db"
    ok(run_cli("backup", "--out", dest, "--data-dir", theirs))
    (ours / "ward.db").write_bytes(b"\0" * 4096)  # even with our store unreadable
    before = snapshot(ours)
    proc = run_cli("restore", dest, "--data-dir", ours, "--lang", "en")
    assert proc.returncode == EXIT_DAMAGED and "belongs to another store" in proc.stderr, proc.stderr
    assert snapshot(ours) == before
