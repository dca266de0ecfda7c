"""Many writers on one store, and swaps that refuse while anyone has it open.

Real processes throughout: the CLI in subprocesses, a long-lived "desk" process
that keeps the store open and saves dossiers (as a browser desk does), a process
killed with the store open. A restore attempted meanwhile is refused naming the
holders (exit 6), nothing is swapped, and every code any writer printed is in the
store afterwards; no "database is locked" reaches anyone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from wd_testkit import ADMIN, CODE_RE, PASSWORD, cli_env, make_store, ok, run_cli

from ward_desk.errors import EXIT_IN_USE
from ward_desk.store import presence

# A desk that keeps the store open: saves a dossier every time a line arrives on stdin,
# prints its code, and leaves on EOF (closing the store).
DESK = """
import sys
from pathlib import Path
from ward_desk.services import dossiers
from ward_desk.services.desk import open_session
session = open_session(Path(sys.argv[1]), "admin", sys.argv[2])
print("OPEN", flush=True)
for line in sys.stdin:
    d = dossiers.intake(session, dossiers.IntakeRequest(procedure_code="CT.01", applicant_name=line.strip()))
    print(d.code, flush=True)
session.store.close()
print("CLOSED", flush=True)
"""


# Names take letters only: writer n, turn i is "Quầy <WORD[n]> <WORD[i]>".
WORDS = ["Một", "Hai", "Ba", "Bốn", "Năm"]


@pytest.fixture
def ward(tmp_path: Path) -> Path:
    data = tmp_path / "ward"
    make_store(data)
    return data


def start_desk(data: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", DESK, str(data), PASSWORD], env=cli_env(), text=True,
                            encoding="utf-8", stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "OPEN", proc.stderr.read() if proc.stderr else ""
    return proc


def desk_save(desk: subprocess.Popen, name: str) -> str:
    assert desk.stdin is not None and desk.stdout is not None
    desk.stdin.write(name + "\n")
    desk.stdin.flush()
    code = desk.stdout.readline().strip()
    assert CODE_RE.fullmatch(code), (code, desk.poll(), desk.poll() is not None and desk.stderr.read())
    return code


def stored_codes(data: Path) -> set[str]:
    from ward_desk.services.desk import open_session
    from ward_desk.store.models import Dossier

    session = open_session(data, ADMIN, PASSWORD)
    try:
        return {d.code for d in Dossier.select(Dossier.code)}
    finally:
        session.store.close()


def test_restore_is_refused_while_many_processes_write(ward: Path, tmp_path: Path) -> None:
    backup = tmp_path / "before.db"
    ok(run_cli("backup", "--out", backup, "--data-dir", ward))
    printed: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()

    def cli_writer(n: int) -> None:
        for i in range(3):
            proc = run_cli("intake", "--procedure", "CT.01", "--applicant-name", f"Quầy {WORDS[n]} Lần {WORDS[i]}",
                           "--data-dir", ward)
            with lock:
                if proc.returncode != 0 or "locked" in proc.stderr:
                    errors.append(proc.stderr)
                printed.extend(CODE_RE.findall(proc.stdout))

    desks = [start_desk(ward), start_desk(ward)]
    threads = [threading.Thread(target=cli_writer, args=(n,)) for n in range(3)]
    for th in threads:
        th.start()
    refusals = []
    for round_ in range(3):
        for k, desk in enumerate(desks):
            printed.append(desk_save(desk, f"Bàn {WORDS[k]} Lượt {WORDS[round_]}"))
        refusals.append(run_cli("restore", backup, "--data-dir", ward, "--lang", "en"))
    for th in threads:
        th.join()

    assert errors == []
    for proc in refusals:
        assert proc.returncode == EXIT_IN_USE, proc.stderr
        assert "Not restored" in proc.stderr and f"pid {desks[0].pid}" in proc.stderr, proc.stderr
    assert not list((ward / "backups").glob("replaced-*")), "a refused restore swapped nothing"
    for desk in desks:
        desk.stdin.close()
        assert desk.stdout.readline().strip() == "CLOSED"
        assert desk.wait(30) == 0 and "locked" not in desk.stderr.read()
    assert len(printed) == 3 * 3 + 3 * 2
    assert set(printed) <= stored_codes(ward)

    # Everyone closed: now the restore goes ahead (and what it replaced is kept).
    ok(run_cli("restore", backup, "--data-dir", ward))
    assert stored_codes(ward) == set()
    assert list((ward / "backups").glob("replaced-*.db"))


def test_a_crashed_holder_does_not_block_a_restore(ward: Path, tmp_path: Path) -> None:
    backup = tmp_path / "before.db"
    ok(run_cli("backup", "--out", backup, "--data-dir", ward))
    desk = start_desk(ward)
    desk_save(desk, "Trước Khi Sập")
    assert len(list((ward / presence.PRESENCE_DIR).glob("*.json"))) == 1
    os.kill(desk.pid, signal.SIGKILL)  # no close: the marker stays on disk, unlocked
    desk.wait(30)
    ok(run_cli("restore", backup, "--data-dir", ward))
    assert not list((ward / presence.PRESENCE_DIR).glob("*.json")), "the dead marker was removed"


def test_an_open_store_in_this_process_is_named_and_released(ward: Path, tmp_path: Path) -> None:
    from ward_desk.services.desk import open_session

    backup = tmp_path / "before.db"
    ok(run_cli("backup", "--out", backup, "--data-dir", ward))
    session = open_session(ward, ADMIN, PASSWORD)
    try:
        held = run_cli("restore", backup, "--data-dir", ward)
        assert held.returncode == EXIT_IN_USE
        assert "Không khôi phục" in held.stderr and f"pid {os.getpid()}" in held.stderr
    finally:
        session.store.close()
    ok(run_cli("restore", backup, "--data-dir", ward))


def test_an_opener_waits_for_a_swap_then_names_who_runs_it(ward: Path) -> None:
    """While a swap holds the store, an open waits; past its patience it says who swaps."""
    with (presence.exclusive(ward, "store.in_use_restore"), pytest.raises(presence.StoreInUse) as caught,
          presence.entering(ward, wait=0.3)):
        pass
    assert caught.value.message.id == "store.in_use_swapping"
    assert f"pid {os.getpid()}" in str(caught.value)
    with presence.entering(ward) as mine:  # the swap ended: the open goes ahead
        assert presence.others(ward, mine) == []
    mine.release()


def test_an_upgrade_is_refused_while_another_process_has_the_store_open(tmp_path: Path) -> None:
    from ward_desk.migrations import LATEST_VERSION
    from wd_testkit import build_store_at

    data = tmp_path / "old"
    codes, _key = build_store_at(data, LATEST_VERSION - 1)
    other = presence.Presence(data, "ward-desk ui")  # an old desk still open on it
    try:
        proc = run_cli("stats", "--data-dir", data, "--lang", "en")
        assert proc.returncode == EXIT_IN_USE, proc.stderr
        assert "not upgraded" in proc.stderr and "ward-desk ui" in proc.stderr
        assert not list((data / "backups").glob("*.db")), "no pre-upgrade backup was taken either"
    finally:
        other.release()
    ok(run_cli("stats", "--data-dir", data))  # alone now: upgraded
    assert set(codes) <= stored_codes(data)


def test_the_holder_label_never_carries_option_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["/x/ward-desk", "--password-file", "/secret/pw", "--user", "lan",
                                      "intake", "--applicant-name", "Nguyễn Văn A", "--procedure", "CT.01"])
    label = presence._command_label()
    assert label.startswith("ward-desk intake")
    assert "secret" not in label and "lan" not in label
