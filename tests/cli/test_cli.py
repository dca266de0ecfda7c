"""``ward-desk`` end to end, as a ward's IT person and a clerk would run it: a real
subprocess per command, the password from ``WARD_DESK_PASSWORD`` or
``--password-file``, no terminal. Exit codes: 0 ok, 2 bad input, 3 locked,
4 damaged; no traceback without ``--debug`` (every run checks that).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from wd_testkit import ADMIN, CODE_RE, PASSWORD, RECOVERY_RE, ok, run_cli, snapshot

from ward_desk.domain.lifecycle import State, allowed_actions, target_state

DATETIME_RE = re.compile(r"\b\d{2}/\d{2}/\d{4} \d{2}:\d{2}\b")
REGISTER_HEADER = "Mã hồ sơ,Mã thủ tục,Họ và tên,Số CCCD,Điện thoại,Hình thức,Ngày tiếp nhận,Hẹn trả,Ngày có kết quả,Ngày trả,Trạng thái"
GOOD_REGISTER = [
    ["", "CT.01", "Nguyễn Văn Sổ", "001203047159", "0912 345 678", "Trực tiếp", "02/03/2026 08:30", "", "", "", "Đang giải quyết"],
    ["22918-260227-0007", "HT.01", "Trần Thị Cũ", "", "0386417529", "Bưu chính", "27/02/2026 14:00", "", "27/02/2026 16:00", "02/03/2026 09:00", "Đã trả"],
    ["", "CT.01", "Lê Hoàng Nhập", "", "", "Trực tuyến", "03/03/2026 07:45", "", "03/03/2026 10:00", "", "Có kết quả"],
]  # fmt: skip
# Row 2 fine; row 3 a date that does not exist; row 4 an unknown procedure; row 5 a state
# no one knows; row 6 a phone number that is not one.
BAD_REGISTER = [
    GOOD_REGISTER[0],
    ["", "CT.01", "Phạm Văn Sai", "", "", "Trực tiếp", "31/02/2026 08:00", "", "", "", ""],
    ["", "XX.99", "Đỗ Thị Lỗi", "", "", "Trực tiếp", "02/03/2026 08:00", "", "", "", ""],
    ["", "CT.01", "Vũ Văn Lạ", "", "", "Trực tiếp", "02/03/2026 08:00", "", "", "", "bay lên trời"],
    ["", "CT.01", "Mai Thị Số", "", "12345", "Trực tiếp", "02/03/2026 08:00", "", "", "", ""],
]  # fmt: skip


# --- one store made by `init`, copied for each test ------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("cli-template")
    data = root / "ward"
    pw_file = root / "pw.txt"
    pw_file.write_text(PASSWORD + "\n")
    out = ok(run_cli("init", "--data-dir", data, "--office-code", "22918", "--office-name", "Phường Mũi Né",
                     "--admin", ADMIN, "--admin-name", "Trần Văn Quản Trị", "--password-file", pw_file,
                     password=None)).stdout
    return data, out


@pytest.fixture
def ward(template: tuple[Path, str], tmp_path: Path) -> Path:
    data = tmp_path / "ward"
    shutil.copytree(template[0], data)
    return data


def cli(data: Path, *args: object, **kw) -> str:
    return ok(run_cli(*args, "--data-dir", data, **kw)).stdout


def intake(data: Path, name: str = "Nguyễn Thị Thử", procedure: str = "CT.01", *extra: str) -> dict:
    return json.loads(cli(data, "intake", "--procedure", procedure, "--applicant-name", name, "--json", *extra))


def counts(data: Path) -> tuple[int, int]:
    """(dossiers, outbox rows), read in-process."""
    from ward_desk.store.models import Dossier, Outbox

    return _read(data, lambda: (Dossier.select().count(), Outbox.select().count()))


def codes(data: Path) -> set[str]:
    from ward_desk.store.models import Dossier

    return _read(data, lambda: {c for (c,) in Dossier.select(Dossier.code).tuples()})


def _read(data: Path, query):
    from ward_desk.services.desk import open_session

    session = open_session(data, ADMIN, PASSWORD)
    try:
        return query()
    finally:
        session.store.close()


def write_table(path: Path, header: str, rows: list[list[str]]) -> Path:
    """The same table as CSV or as an XLSX built with openpyxl (dates typed as text)."""
    if path.suffix == ".csv":
        import csv

        with open(path, "w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow(header.split(","))
            w.writerows(rows)
        return path
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(header.split(","))
    for row in rows:
        ws.append([int(v) if v.isdigit() and len(v) < 4 else v for v in row])
    wb.save(path)
    return path


# --- init, intake, dossier, search ------------------------------------------------------------


def test_init_prints_the_recovery_key_once(template: tuple[Path, str]) -> None:
    from ward_desk.store.database import open_with_recovery

    data, out = template
    keys = RECOVERY_RE.findall(out)
    assert len(keys) == 1, out
    assert str(data) in out
    open_with_recovery(data, keys[0]).close()
    assert keys[0] not in (data / "keys.json").read_text()
    before = snapshot(data)
    again = run_cli("init", "--data-dir", data, "--office-code", "22918", "--office-name", "X", "--admin", ADMIN)
    assert again.stderr.strip() and snapshot(data) == before
    # A folder that already holds a store is bad input (2), not a damaged store (4).
    assert again.returncode == 2, again


def test_intake_show_move_and_search(ward: Path) -> None:
    out = cli(ward, "intake", "--procedure", "BT.02", "--applicant-name", "Hoàng Thị Tìm Kiếm", "--id-number",
              "079185062437", "--phone", "0769 253 184", "--channel", "postal")
    code, due = out.strip().split("\t")
    assert CODE_RE.fullmatch(code) and DATETIME_RE.fullmatch(due), out

    shown = cli(ward, "dossier", "show", code)
    assert code in shown and "Hoàng Thị Tìm Kiếm" in shown and due in shown and "BT.02" in shown

    assert "in_progress" in cli(ward, "dossier", "move", code, "--to", "in_progress")
    illegal = run_cli("dossier", "move", code, "--to", "returned", "--data-dir", ward)
    assert illegal.returncode == 2
    allowed = [target_state(State.IN_PROGRESS, a).value for a in allowed_actions(State.IN_PROGRESS)]
    assert allowed and all(state in illegal.stderr for state in allowed), illegal.stderr
    assert "returned" in illegal.stderr

    assert code in cli(ward, "search", "hoang thi tim")  # typed without accents
    # Counter habit: the last four digits of the phone, read out.
    assert [d["code"] for d in json.loads(cli(ward, "search", "3184", "--json"))] == [code]
    detail = json.loads(cli(ward, "dossier", "show", code, "--json"))
    assert detail["state"] == "in_progress" and detail["phone"] == "0769253184" and detail["channel"] == "postal"
    assert [e["to"] for e in detail["events"]] == ["received", "in_progress"]


def test_dossier_late_declares_the_result_will_not_be_ready_in_time(ward: Path) -> None:
    code = intake(ward, "Phạm Văn Trễ", "BT.02")["code"]
    out = cli(ward, "dossier", "late", code, "--reason", "Chờ kết quả xác minh của công an xã")
    assert code in out
    detail = json.loads(cli(ward, "dossier", "show", code, "--json"))
    assert detail["events"][-1]["kind"] == "late_notice"
    assert detail["events"][-1]["reason"] == "Chờ kết quả xác minh của công an xã"
    again = run_cli("dossier", "late", code, "--reason", "Chờ kết quả xác minh", "--data-dir", ward)
    assert again.returncode == 2 and code in again.stderr  # declared once; nothing written
    assert len(json.loads(cli(ward, "dossier", "show", code, "--json"))["events"]) == len(detail["events"])


# --- calendar and catalogue -----------------------------------------------------------------------


def test_calendar_due_and_holidays(tmp_path: Path) -> None:
    # Friday 13/02/2026 10:00, 3 working days: Tết (16–20/02) is skipped.
    due = ok(run_cli("calendar", "due", "--received", "13/02/2026 10:00", "--days", "3", "--data-dir", tmp_path))
    assert due.stdout.strip() == "25/02/2026 17:00"
    holidays = ok(run_cli("calendar", "holidays", "--year", "2026", "--data-dir", tmp_path)).stdout
    days = [line.split("\t")[0] for line in holidays.splitlines()]
    assert "17/02/2026" in days  # Tết Nguyên Đán
    assert {"01/01/2026", "30/04/2026", "01/05/2026", "02/09/2026"} <= set(days)


def test_calendar_due_and_holidays_use_the_stores_overrides(ward: Path, tmp_path: Path) -> None:
    """`calendar due` and `calendar holidays` count with the office's calendar (local and
    upstream overrides, upstream's year notices), not the national one alone; they list
    make-up Saturdays and mark provisional days."""
    from datetime import date

    from ward_desk.services.desk import open_session, set_calendar_override

    due = ["calendar", "due", "--received", "02/03/2026 10:00", "--days", "1"]
    national = ok(run_cli(*due, "--data-dir", tmp_path / "no-store"))
    assert national.stdout.strip() == "03/03/2026 17:00" and national.stderr.strip()  # says it is national only
    assert cli(ward, *due).strip() == "03/03/2026 17:00"
    session = open_session(ward, ADMIN, PASSWORD)
    try:
        set_calendar_override(session, date(2026, 3, 3), "off", "Nghỉ bù lễ hội địa phương")
        set_calendar_override(session, date(2026, 3, 7), "work", "Làm bù")
    finally:
        session.store.close()
    assert cli(ward, *due).strip() == "04/03/2026 17:00"
    out = json.loads(cli(ward, *due, "--json"))
    assert out["due_at"] == "04/03/2026 17:00" and " local:" in out["calendar_version"]

    lines = cli(ward, "calendar", "holidays", "--year", "2026").splitlines()
    assert "03/03/2026\tNghỉ bù lễ hội địa phương" in lines
    assert "07/03/2026\tNgày làm bù" in lines and "10/01/2026\tNgày làm bù" in lines  # make-up Saturdays
    assert "02/01/2026\tNghỉ hoán đổi (làm bù thứ Bảy 10/01/2026)" in lines  # 12729/VPCP-KGVX
    assert "24/11/2026\tNgày Văn hóa Việt Nam\t(tạm tính)" in lines  # announced, not yet in law

    held_back = json.loads(cli(ward, "calendar", "holidays", "--year", "2027", "--json"))
    assert held_back["days"] and all(d["provisional"] for d in held_back["days"])
    over = json.loads(cli(ward, "calendar", "due", "--received", "03/02/2027 10:00", "--days", "1", "--json"))
    assert over["due_at"] == "11/02/2027 17:00" and "04/02/2027" in over["provisional_days"]


def test_procedures_list(template: tuple[Path, str]) -> None:
    lines = cli(template[0], "procedures", "list").splitlines()
    assert len(lines) >= 25
    for line in lines:
        cols = line.split("\t")
        assert len(cols) == 4 and all(c.strip() for c in cols), line
        assert cols[2].isdigit()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_procedures_import_with_vietnamese_headers(ward: Path, tmp_path: Path, suffix: str) -> None:
    path = write_table(tmp_path / f"danh-muc{suffix}", "Mã thủ tục,Tên thủ tục,Lĩnh vực,Thời hạn giải quyết,Lệ phí",
                       [["TN.91", "Xác nhận đơn đề nghị thử nghiệm", "Tài nguyên môi trường", "5", "Miễn phí"],
                        ["TN.92", "Đăng ký thử nghiệm thứ hai", "Tài nguyên môi trường", "12", ""]])
    cli(ward, "procedures", "import", path)
    listed = [line.split("\t") for line in cli(ward, "procedures", "list").splitlines()]
    assert ["TN.91", "Tài nguyên môi trường", "5", "Xác nhận đơn đề nghị thử nghiệm"] in listed
    assert ["TN.92", "Tài nguyên môi trường", "12", "Đăng ký thử nghiệm thứ hai"] in listed


# --- importing an old register --------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_import_of_a_malformed_register_changes_nothing(ward: Path, tmp_path: Path, suffix: str) -> None:
    path = write_table(tmp_path / f"so-cu{suffix}", REGISTER_HEADER, BAD_REGISTER)
    before_counts = counts(ward)
    before = snapshot(ward)
    proc = run_cli("import", "dossiers", path, "--data-dir", ward)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    err = proc.stderr
    for row, column in ((3, "received"), (4, "procedure"), (5, "state"), (6, "phone")):
        assert re.search(rf"Dòng {row}, cột {column}\b", err), (row, column, err)
    assert "Dòng 2," not in err, "the good row is not named"
    assert snapshot(ward) == before
    assert counts(ward) == before_counts


def test_import_refuses_an_impossible_chronology(ward: Path, tmp_path: Path) -> None:
    """Each row on its own looks fine, but its dates cannot have happened: the result
    handed back before it was ready, an appointment before the receipt, a receipt
    years in the future (a typo for 2020). A register import must name them."""
    rows = [
        ["", "CT.01", "Lê Văn Ngược", "", "", "Trực tiếp", "27/02/2026 08:00", "", "27/02/2026 16:00", "27/02/2026 10:00", "Đã trả"],
        ["", "CT.01", "Lê Thị Hẹn", "", "", "Trực tiếp", "27/02/2026 08:00", "20/02/2026 17:00", "", "", ""],
        ["", "CT.01", "Lê Văn Tương Lai", "", "", "Trực tiếp", "27/02/2030 08:00", "", "", "", ""],
    ]  # fmt: skip
    path = write_table(tmp_path / "so-ngay-sai.csv", REGISTER_HEADER, rows)
    before = snapshot(ward)
    proc = run_cli("import", "dossiers", path, "--data-dir", ward)
    assert snapshot(ward) == before, "an impossible register was imported"
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    for row, column in ((2, "returned"), (3, "due"), (4, "received")):
        assert re.search(rf"Dòng {row}, cột {column}\b", proc.stderr), (row, column, proc.stderr)


def test_import_dry_run_then_real_import(ward: Path, tmp_path: Path) -> None:
    path = write_table(tmp_path / "so-tot.csv", REGISTER_HEADER, GOOD_REGISTER)
    before = snapshot(ward)
    dossiers_before, outbox_before = counts(ward)
    dry = cli(ward, "import", "dossiers", path, "--dry-run")
    assert "3" in dry
    assert snapshot(ward) == before

    cli(ward, "import", "dossiers", path)
    dossiers_after, outbox_after = counts(ward)
    assert dossiers_after == dossiers_before + 3
    assert outbox_after > outbox_before
    old = json.loads(cli(ward, "dossier", "show", "22918-260227-0007", "--json"))
    assert old["state"] == "returned" and old["channel"] == "postal"
    assert "3" in cli(ward, "verify")
    # The same file again: the row whose code is now taken is refused, and with it the file.
    again = run_cli("import", "dossiers", path, "--data-dir", ward)
    assert again.returncode == 2 and "Dòng 3, cột code" in again.stderr
    assert counts(ward)[0] == dossiers_after


# --- backup, restore, users, verify, stats ----------------------------------------------------------


def test_backup_and_restore(ward: Path, tmp_path: Path) -> None:
    kept_code = intake(ward, "Trước Khi Sao")["code"]
    dest = tmp_path / "sao-luu" / "ward-backup.db"
    assert str(dest) in cli(ward, "backup", "--out", dest)
    assert dest.exists() and Path(str(dest) + ".keys.json").exists()
    lost_code = intake(ward, "Sau Khi Sao")["code"]

    out = cli(ward, "restore", dest)
    kept = [p for p in (ward / "backups").iterdir() if p.name.startswith("replaced-")]
    assert len(kept) >= 1 and any(str(p) in out for p in kept), out
    assert codes(ward) == {kept_code}
    gone = run_cli("dossier", "show", lost_code, "--data-dir", ward)
    assert gone.returncode == 2 and lost_code in gone.stderr
    cli(ward, "verify")
    # Refusing to overwrite an existing file is bad input (2), not a damaged store (4).
    before = dest.read_bytes()
    again = run_cli("backup", "--out", dest, "--data-dir", ward)
    assert again.stderr.strip() and dest.read_bytes() == before
    assert again.returncode == 2, again


def test_users_add_passwd_and_list(ward: Path, tmp_path: Path) -> None:
    pw_admin = tmp_path / "admin.txt"
    pw_admin.write_text(PASSWORD)
    first, second = tmp_path / "clerk1.txt", tmp_path / "clerk2.txt"
    first.write_text("mot-cua-pass-1")
    second.write_text("mot-cua-pass-2")
    cli(ward, "users", "add", "motcua", "--role", "clerk", "--full-name", "Bùi Thị Một Cửa", "--user", ADMIN,
        "--password-file", pw_admin, "--new-password-file", first, password=None)
    listed = cli(ward, "users", "list", "--user", ADMIN)
    assert "motcua\tclerk\tBùi Thị Một Cửa" in listed and f"{ADMIN}\tadmin" in listed
    # With two users the CLI no longer guesses who is signing in.
    who = run_cli("verify", "--data-dir", ward)
    assert who.returncode == 2 and "--user" in who.stderr

    cli(ward, "users", "passwd", "motcua", "--user", ADMIN, "--new-password-file", second)
    assert run_cli("verify", "--data-dir", ward, "--user", "motcua", password="mot-cua-pass-1").returncode == 3
    cli(ward, "verify", "--user", "motcua", password="mot-cua-pass-2")
    # A clerk may not change someone else's password.
    refused = run_cli("users", "passwd", ADMIN, "--data-dir", ward, "--user", "motcua",
                      "--new-password-file", first, password="mot-cua-pass-2")
    assert refused.returncode == 2


def test_verify_and_stats(ward: Path, tmp_path: Path) -> None:
    intake(ward, "Đinh Văn Thống Kê")
    pw = tmp_path / "pw.txt"
    pw.write_text(PASSWORD)
    out = cli(ward, "verify", "--password-file", pw, password=None)
    assert out.strip()
    stats = json.loads(cli(ward, "stats", "--json"))
    assert stats["office_code"] == "22918"
    assert stats["dossiers"] == 1 and stats["events"] == 1
    assert stats["outbox_pending"] >= 3  # the starter catalogue, the admin, the dossier and its event


# --- bad input never shows a traceback -------------------------------------------------------------


BAD_INPUTS = {
    "bad-date": (["calendar", "due", "--received", "31/02/2026 10:00", "--days", "3"], False),
    "bad-date-shape": (["calendar", "due", "--received", "hôm qua 10 giờ", "--days", "3"], False),
    "bad-time": (["calendar", "due", "--received", "13/02/2026 25:00", "--days", "3"], False),
    "bad-days": (["calendar", "due", "--received", "13/02/2026 10:00", "--days", "-4"], False),
    "days-not-a-number": (["calendar", "due", "--received", "13/02/2026 10:00", "--days", "ba"], False),
    "unknown-procedure": (["intake", "--procedure", "XX.99", "--applicant-name", "Lý Văn Lạ"], True),
    "bad-name": (["intake", "--procedure", "CT.01", "--applicant-name", "R2-D2"], True),
    "unknown-code": (["dossier", "show", "22918-200101-9999"], True),
    "unknown-state": (["dossier", "move", "22918-200101-9999", "--to", "bay-di"], True),
    "missing-import-file": (["import", "dossiers", "/nonexistent/so.csv"], True),
    "missing-password-no-tty": (["verify"], None),
}


@pytest.fixture(scope="module")
def bad_input_runs(template: tuple[Path, str]) -> dict[str, object]:
    """Every bad input run once against the template store, a few at a time (each
    run is mostly interpreter start-up), with the store's bytes before and after."""
    from concurrent.futures import ThreadPoolExecutor

    data = template[0]
    before = snapshot(data)

    def run(case: str):
        args, needs_store = BAD_INPUTS[case]
        return run_cli(*args, "--data-dir", data, password=None if needs_store is None else PASSWORD)

    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = dict(zip(BAD_INPUTS, pool.map(run, BAD_INPUTS), strict=True))
    return {"runs": runs, "unchanged": snapshot(data) == before}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_a_message_not_a_traceback(bad_input_runs: dict, case: str) -> None:
    proc = bad_input_runs["runs"][case]
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stderr.strip() and "Traceback" not in proc.stderr + proc.stdout
    if case == "missing-password-no-tty":
        assert "WARD_DESK_PASSWORD" in proc.stderr
    assert bad_input_runs["unchanged"], "a refused command changed the store"


def test_debug_shows_the_traceback(template: tuple[Path, str]) -> None:
    proc = run_cli("dossier", "show", "22918-200101-9999", "--data-dir", template[0], "--debug")
    assert proc.returncode != 0 and "Traceback" in proc.stderr


def test_common_options_work_before_and_after_the_command_name(ward: Path, tmp_path: Path) -> None:
    """``--data-dir`` written before the command (as ``--help`` shows it) must not be
    overwritten by the sub-command's own default, also two levels deep."""
    before = json.loads(ok(run_cli("--data-dir", ward, "stats", "--json")).stdout)
    after = json.loads(ok(run_cli("stats", "--json", "--data-dir", ward)).stdout)
    assert before == after and before["dossiers"] == 0
    new_pw = tmp_path / "new.txt"
    new_pw.write_text("mat-khau-moi-2026\n")
    ok(run_cli("--data-dir", ward, "--lang", "en", "users", "passwd", ADMIN, "--new-password-file", new_pw))
    assert run_cli("--data-dir", ward, "stats", "--json").returncode == 3  # the old password no longer opens it
    assert json.loads(ok(run_cli("--data-dir", ward, "stats", "--json", password="mat-khau-moi-2026")).stdout) == before


def test_restore_does_not_upgrade_the_store_it_replaces(tmp_path: Path) -> None:
    """Restoring into a store one schema behind must not first back it up and upgrade
    it (minutes on a big store, for a file about to be replaced); the restored store
    is upgraded, with its notice, when it is next opened."""
    from ward_desk.migrations import LATEST_VERSION
    from wd_testkit import build_store_at

    data = tmp_path / "ward"
    build_store_at(data, LATEST_VERSION - 1)
    copy = tmp_path / "copy.db"
    shutil.copy2(data / "ward.db", copy)
    restored = ok(run_cli("restore", copy, "--data-dir", data))
    assert "nâng cấp" not in restored.stderr
    assert not list((data / "backups").glob("before-schema-*"))
    opened = ok(run_cli("stats", "--json", "--data-dir", data))
    assert "Đang nâng cấp kho dữ liệu" in opened.stderr and json.loads(opened.stdout)["dossiers"] == 3
    assert len(list((data / "backups").glob("before-schema-*.db"))) == 1


def test_the_ward_process_loads_one_sqlite_engine(ward: Path) -> None:
    """peewee would load the standard library's SQLite next to SQLCipher's; the ward's
    entry point leaves only SQLCipher's (and no PostgreSQL driver) in the process."""
    import subprocess
    import sys

    from wd_testkit import cli_env

    code = (
        "import sys, io, contextlib\n"
        "from ward_desk.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        f"    code = main(['stats', '--json', '--data-dir', {str(ward)!r}])\n"
        "loaded = sorted(m for m in sys.modules if m in ('_sqlite3', 'sqlcipher3._sqlite3', 'psycopg', 'psycopg2')"
        " and sys.modules[m] is not None)\n"
        "print(code, loaded, out.getvalue().count('dossiers'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=cli_env(), timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "['sqlcipher3._sqlite3']", "1"]
