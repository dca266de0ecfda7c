"""Issue 15, item 7: a departed clerk's slot is removed (``users remove``), and the
admin is told the database key itself is unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from wd_testkit import ADMIN, PASSWORD, ok, run_cli


def test_users_remove_drops_the_slot_and_says_the_key_is_unchanged(tmp_path: Path) -> None:
    data, pw = tmp_path / "ward", tmp_path / "pw.txt"
    pw.write_text(PASSWORD + "\n")
    ok(run_cli("init", "--data-dir", data, "--office-code", "22918", "--office-name", "Phường Mũi Né",
               "--admin", ADMIN, "--admin-name", "Trần Văn Quản Trị", "--password-file", pw, password=None))
    clerk = tmp_path / "clerk.txt"
    clerk.write_text("mot-cua-pass-1")
    ok(run_cli("users", "add", "motcua", "--role", "clerk", "--data-dir", data, "--user", ADMIN,
               "--new-password-file", clerk))
    assert len(json.loads((data / "keys.json").read_text())["slots"]) == 3  # admin, clerk, recovery
    ok(run_cli("verify", "--data-dir", data, "--user", "motcua", password="mot-cua-pass-1"))
    refused = run_cli("users", "remove", ADMIN, "--data-dir", data, "--user", ADMIN, "--lang", "en")
    assert refused.returncode == 2 and "own account" in refused.stderr
    out = ok(run_cli("users", "remove", "motcua", "--data-dir", data, "--user", ADMIN, "--lang", "en")).stdout
    assert "motcua" in out and "database key itself is unchanged" in out
    assert len(json.loads((data / "keys.json").read_text())["slots"]) == 2
    assert run_cli("verify", "--data-dir", data, "--user", "motcua", password="mot-cua-pass-1").returncode == 3
    listed = ok(run_cli("users", "list", "--data-dir", data, "--user", ADMIN)).stdout
    assert "motcua\tclerk\tmotcua\t-" in listed.splitlines()  # inactive, kept for the dossiers' history
    ok(run_cli("verify", "--data-dir", data, "--user", ADMIN))


def test_users_rekey_changes_the_database_key_and_old_slots_stop_matching(tmp_path: Path) -> None:
    import shutil

    data, pw = tmp_path / "ward", tmp_path / "pw.txt"
    pw.write_text(PASSWORD + "\n")
    ok(run_cli("init", "--data-dir", data, "--office-code", "22918", "--office-name", "Phường Mũi Né",
               "--admin", ADMIN, "--admin-name", "Trần Văn Quản Trị", "--password-file", pw, password=None))
    clerk = tmp_path / "clerk.txt"
    clerk.write_text("mot-cua-pass-1")
    ok(run_cli("users", "add", "motcua", "--role", "clerk", "--data-dir", data, "--user", ADMIN,
               "--new-password-file", clerk))
    shutil.copy2(data / "keys.json", tmp_path / "old-keys.json")  # what a departed clerk may have kept
    out = ok(run_cli("users", "rekey", "--data-dir", data, "--user", ADMIN, "--lang", "en")).stdout
    assert "database key was changed" in out and "motcua" in out
    recovery = next(line for line in out.splitlines() if line.count("-") == 7)
    ok(run_cli("verify", "--data-dir", data, "--user", ADMIN))  # the admin's password still opens it
    assert run_cli("verify", "--data-dir", data, "--user", "motcua", password="mot-cua-pass-1").returncode == 3
    # The old key file still unwraps the old key, which no longer opens the database.
    stale = tmp_path / "stale"
    stale.mkdir()
    shutil.copy2(data / "ward.db", stale / "ward.db")
    shutil.copy2(tmp_path / "old-keys.json", stale / "keys.json")
    assert run_cli("verify", "--data-dir", stale, "--user", "motcua", password="mot-cua-pass-1").returncode != 0
    # The new recovery key works, and the admin gives the clerk a new password.
    (tmp_path / "recovery.txt").write_text(recovery)
    ok(run_cli("users", "passwd", ADMIN, "--data-dir", data, "--recovery-key-file", tmp_path / "recovery.txt",
               "--new-password-file", pw))
    (tmp_path / "clerk2.txt").write_text("mot-cua-pass-2")
    ok(run_cli("users", "passwd", "motcua", "--data-dir", data, "--user", ADMIN,
               "--new-password-file", tmp_path / "clerk2.txt"))
    ok(run_cli("verify", "--data-dir", data, "--user", "motcua", password="mot-cua-pass-2"))


def test_rekey_rewraps_the_escrow_and_an_interrupted_rekey_still_opens(session, store_dir: Path, monkeypatch) -> None:
    import base64
    import os

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from sync_agent.enrolment import record_district
    from sync_agent.envelope import raw_public, unwrap_key, wrap_key_to
    from sync_agent.keyfiles import DistrictPublicKeys
    from ward_desk.services.users import rekey_store
    from ward_desk.store.database import open_store

    recovery = X25519PrivateKey.generate()
    record_district(session, "https://quan.example", DistrictPublicKeys(
        "Quận", raw_public(Ed25519PrivateKey.generate()), raw_public(X25519PrivateKey.generate()),
        raw_public(recovery)))

    def wrap(key: bytes, aad: bytes) -> str:
        return base64.b64encode(wrap_key_to(raw_public(recovery), key, aad)).decode()

    old_key = session.store.key
    rekey_store(session, PASSWORD, wrap)
    keyfile = session.store.keyfile()
    assert unwrap_key(recovery, base64.b64decode(keyfile.escrow_slot().wrapped), keyfile.escrow_aad()) \
        == session.store.key != old_key
    # A crash after the database took the new key, before keys.json was replaced:
    real_replace = os.replace

    def crash(src, dst):
        if str(src).endswith(".rekey"):
            raise OSError("power cut")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        rekey_store(session, PASSWORD, wrap)
    monkeypatch.setattr(os, "replace", real_replace)
    session.store.close()
    reopened = open_store(store_dir, ADMIN, PASSWORD)  # keys.json no longer opens it; keys.json.rekey does
    try:
        assert not (store_dir / "keys.json.rekey").exists()
        assert reopened.keyfile().unlock_with_password(ADMIN, PASSWORD) == reopened.key
    finally:
        reopened.close()
