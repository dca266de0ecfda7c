"""No plaintext personal data anywhere on disk (issue 2 item 2).

A canary applicant goes through the whole desk with the real CLI: intake, moves
to returned with a rating, a user added, a backup, a register import carrying a
second canary, ``dossier show`` and ``search``. Then every byte the programs
could have written is scanned: the data folder (database, WAL, shared memory,
key file, backups, logs), the private temp folder and home folder the
subprocesses were given. No form of the canaries may appear.
"""

from __future__ import annotations

import json
from pathlib import Path

from wd_testkit import ADMIN, PASSWORD, cli_env, ok, run_cli

from ward_desk.domain.text import fold
from ward_desk.services import dossiers
from ward_desk.services.desk import open_session

CANARY_NAME = "Zyxwvư Canarỹ Qqq"
CANARY_ID = "001203047159"
CANARY_PHONE = "0386417529"
CANARY_ADDRESS = "Số 7 ngõ Xơquyzt, tổ Canarỹ"
SECOND_NAME = "Qwxyzơ Thứhai Vvvkj"
SECOND_ID = "079185062437"
SECOND_PHONE = "0769253184"
STAFF_NAME = "Jqxwzư Nhânviên Kkkv"  # a user's full name is personal data too


def _needles() -> dict[str, bytes]:
    texts = [CANARY_NAME, CANARY_ADDRESS, SECOND_NAME, STAFF_NAME]
    # Distinctive single words as well, in case a name is stored split up.
    words = [w for t in texts for w in t.split() if len(w) >= 6]
    forms: dict[str, bytes] = {}
    for text in [*texts, *words]:
        for variant in {text, fold(text), text.lower(), text.upper()}:
            forms[f"utf8:{variant}"] = variant.encode("utf-8")
            forms[f"utf16:{variant}"] = variant.encode("utf-16-le")
            forms[f"json:{variant}"] = json.dumps(variant).strip('"').encode("ascii")
    for number in (CANARY_ID, CANARY_PHONE, SECOND_ID, SECOND_PHONE):
        forms[f"utf8:{number}"] = number.encode()
        forms[f"utf16:{number}"] = number.encode("utf-16-le")
    return forms


def _scan(roots: list[Path], exclude: list[Path]) -> list[str]:
    needles = _needles()
    found = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            if not path.is_file() or any(path.is_relative_to(x) for x in exclude):
                continue
            data = path.read_bytes()
            found += [f"{path}: {label}" for label, needle in needles.items() if needle in data]
    return found


def test_no_canary_bytes_anywhere_on_disk(tmp_path: Path) -> None:
    data = tmp_path / "data"
    tmpdir = tmp_path / "tmp"
    home = tmp_path / "home"
    inbox = tmp_path / "inbox"  # the user's own import file lives here; not ours to scan
    for d in (tmpdir, home, inbox):
        d.mkdir()
    env = cli_env(
        TMPDIR=str(tmpdir), TEMP=str(tmpdir), TMP=str(tmpdir), SQLITE_TMPDIR=str(tmpdir), HOME=str(home),
        XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"), XDG_STATE_HOME=str(home / "state"),
        WARD_DESK_NEW_PASSWORD="mat-khau-nhan-vien",
    )

    def cli(*args: object) -> str:
        user = () if args[0] == "init" else ("--user", ADMIN)
        return ok(run_cli(*args, "--data-dir", data, *user, env=env)).stdout

    cli("init", "--office-code", "22918", "--office-name", "Phường Mũi Né", "--admin", ADMIN)
    intake = json.loads(cli("intake", "--procedure", "HT.01", "--applicant-name", CANARY_NAME, "--id-number",
                            CANARY_ID, "--phone", CANARY_PHONE, "--address", CANARY_ADDRESS, "--json"))
    code = intake["code"]
    for target in ("in_progress", "result_ready"):
        cli("dossier", "move", code, "--to", target)
    cli("dossier", "move", code, "--to", "returned", "--rating", "satisfied")
    cli("users", "add", "clerk1", "--full-name", STAFF_NAME, "--role", "clerk")
    cli("backup")

    register = inbox / "so-theo-doi.csv"
    register.write_text(
        "Mã thủ tục,Họ và tên,Số CCCD,Điện thoại,Hình thức,Ngày tiếp nhận,Trạng thái\n"
        f"CT.01,{SECOND_NAME},{SECOND_ID},{SECOND_PHONE},Trực tiếp,02/03/2026 09:15,Đang giải quyết\n",
        encoding="utf-8",
    )
    cli("import", "dossiers", register)

    shown = cli("dossier", "show", code)
    assert CANARY_NAME in shown and CANARY_ID in shown
    found = cli("search", fold(CANARY_NAME))
    assert code in found

    # The scanner itself works: it finds the canary in the user's import file.
    assert _scan([inbox], exclude=[]), "the scan must be able to see a canary"
    assert any((data / "backups").iterdir()), "the backup under test was written"

    # Slip PDFs (<data>/slips) are printed documents handed to the citizen, made on
    # purpose to carry the name: they are the only thing left out of the scan.
    excluded = [data / "slips"]
    assert _scan([data, tmpdir, home], exclude=excluded) == []

    # A closed store has folded its WAL away; look again while one is live and
    # holds a fresh intake of the canary (the test process is the desk now).
    session = open_session(data, ADMIN, PASSWORD)
    try:
        dossiers.intake(session, dossiers.IntakeRequest(
            procedure_code="HT.01", applicant_name=CANARY_NAME, id_number=CANARY_ID, phone=CANARY_PHONE,
            address=CANARY_ADDRESS))
        wal = data / "ward.db-wal"
        assert wal.exists() and wal.stat().st_size > 0
        assert _scan([data, tmpdir, home], exclude=excluded) == []
    finally:
        session.store.close()
