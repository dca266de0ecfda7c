"""Every key typed reaches the field that had focus when it was typed, in order, at any
speed: the desk runs as its own process on a real pseudo-terminal (80x24), a whole intake
is typed from the dashboard (``n``, the procedure, Enter, the applicant's fields with Tab,
Ctrl+S) at 100, 30 and 5 ms per key and as one burst (a scanner, a paste), and the dossier
saved is read back with the CLI field by field. One run types while another counter keeps
the store busy with intakes of its own."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.ui.terminal import Terminal, keystrokes

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-03-03T02:00:00"  # Tuesday 09:00 in Hà Nội
CODE = re.compile(r"22918-260303-\d{4}")

APPLICANT = {
    "name": "Võ Thị Lan",
    "id_number": "079190123458",
    "phone": "0912345678",
    "address": "12 đường số 3, khu phố 2",
}


def _env() -> dict[str, str]:
    return {**os.environ, "WARD_DESK_KDF_MEMORY_KIB": "64", "WARD_DESK_LANG": "vi",
            "PYTHONPATH": str(ROOT)}


def _cli(store_dir: Path, *args: str) -> str:
    pw = store_dir.parent / "pw.txt"
    pw.write_text(PASSWORD + "\n")
    out = subprocess.run([sys.executable, "-m", "ward_desk.cli.main", "--data-dir", str(store_dir),
                          "--password-file", str(pw), *args],
                         capture_output=True, text=True, env=_env(), timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _desk(store_dir: Path, size: tuple[int, int] = (80, 24)) -> Terminal:
    term = Terminal([sys.executable, "-m", "tests.ui.desk_process", str(store_dir), NOW],
                    env=_env(), cwd=ROOT, size=size)
    term.wait_for("Mật khẩu", 60)
    term.type(keystrokes(["tab", PASSWORD, "enter"]), 0.01)
    term.wait_for("Tỷ lệ đúng hạn", 60)  # the dashboard's last line
    term.wait_for("Hôm nay 03/03/2026")
    return term


def _intake_keys() -> list[bytes]:
    a = APPLICANT
    return keystrokes(["n", "chung thuc ban sao", "enter", a["name"], "tab", a["id_number"], "tab",
                       a["phone"], "tab", a["address"], "ctrl+s"])


def _busy_counter(store_dir: Path, stop: threading.Event) -> threading.Thread:
    """Another counter on the same store, receiving dossiers as fast as it can."""
    pw = store_dir.parent / "pw-busy.txt"
    pw.write_text(PASSWORD + "\n")

    def run() -> None:
        while not stop.is_set():
            subprocess.run([sys.executable, "-m", "ward_desk.cli.main", "--data-dir", str(store_dir),
                            "--password-file", str(pw), "intake", "--procedure", "CT.02",
                            "--applicant-name", "Quầy bên cạnh"],
                           capture_output=True, env=_env(), timeout=60, cwd=ROOT)

    thread = threading.Thread(target=run, name="busy-counter", daemon=True)
    thread.start()
    return thread


@pytest.mark.timeout(120)
@pytest.mark.parametrize("per_key", [0.1, 0.03, 0.005, 0.0], ids=["100ms", "30ms", "5ms", "burst"])
def test_a_whole_intake_typed_at_any_speed_lands_field_by_field(store_dir: Path, per_key: float) -> None:
    stop = threading.Event()
    busy = _busy_counter(store_dir, stop) if per_key == 0.03 else None
    term = _desk(store_dir)
    try:
        term.type(_intake_keys(), per_key)
        shown = term.wait_for("Đã tiếp nhận hồ sơ", 60)
        code = CODE.search(shown)
        assert code, shown
        if per_key == 0.0:
            # From the dashboard, a search and Enter twice in one burst: the dossier opens
            # (the second Enter, typed before the results came, once went nowhere).
            term.write(keystrokes(["escape"])[0])
            term.wait_for("Tỷ lệ đúng hạn")
            term.write(b"svo thi lan\r\r")
            opened = term.wait_for("Việc tiếp theo", 30)
            assert code.group(0) in opened.splitlines()[1], opened
        term.write(keystrokes(["ctrl+q"])[0])
        assert term.wait_exit(30) == 0
    finally:
        stop.set()
        term.close()
        if busy is not None:
            busy.join(60)
    saved = json.loads(_cli(store_dir, "dossier", "show", code.group(0), "--json"))
    assert saved["procedure"] == "CT.01"
    assert saved["applicant_name"] == APPLICANT["name"]
    assert saved["id_number"] == APPLICANT["id_number"]
    assert saved["phone"] == APPLICANT["phone"]
    assert saved["address"] == APPLICANT["address"]
    assert saved["channel"] == "direct"
