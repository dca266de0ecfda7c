"""Issue 15, item 7: a departed clerk's slot is removed (``users remove``), and the
admin is told the database key itself is unchanged."""

from __future__ import annotations

import json
from pathlib import Path

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
