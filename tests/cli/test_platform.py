"""Windows specifics (ward_desk.platform), tested on Linux: output in a Vietnamese or
Western code page, cmd.exe command lines, Windows paths; and the packaging basics."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path, PureWindowsPath

import pytest
from wd_testkit import cli_env, ok, run_cli

from ward_desk import __version__
from ward_desk.platform import all_users_data_dir, command_line, is_network_path, utf8_console

TEXT = "Đã tiếp nhận hồ sơ — Phường Mũi Né, hẹn trả 05/03/2026"


@pytest.mark.parametrize("code_page", ["cp1258", "cp1252"])
def test_output_in_an_ansi_code_page_becomes_utf8(code_page: str) -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding=code_page)
    with pytest.raises(UnicodeEncodeError):  # what a redirected Windows console did
        stream.write(TEXT)
        stream.flush()
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding=code_page)
    utf8_console(stream)
    stream.write(TEXT)
    stream.flush()
    assert raw.getvalue().decode("utf-8") == TEXT


@pytest.mark.parametrize("code_page", ["cp1258", "cp1252"])
def test_a_command_redirected_in_a_code_page_writes_utf8(tmp_path: Path, code_page: str) -> None:
    """The real CLI with its output redirected as Windows would encode it."""
    env = cli_env(PYTHONIOENCODING=code_page)
    env.pop("PYTHONUTF8")
    proc = subprocess.run([sys.executable, "-m", "ward_desk.cli.main", "calendar", "holidays", "--year", "2026"],
                          env=env, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    out = proc.stdout.decode("utf-8")
    assert "Tết" in out or "Quốc khánh" in out, out[:500]


def test_cmd_exe_quoting_of_windows_paths() -> None:
    python = PureWindowsPath(r"C:\Program Files\Python312\python.exe")
    data = PureWindowsPath(r"C:\ProgramData\WardDesk\Phường Mũi Né")
    line = command_line([python, "-m", "ward_desk.cli.main", "--data-dir", data, "ui"], windows=True)
    assert line == (r'"C:\Program Files\Python312\python.exe" -m ward_desk.cli.main '
                    r'--data-dir "C:\ProgramData\WardDesk\Phường Mũi Né" ui')
    posix = command_line(["/usr/bin/python3", "--data-dir", "/srv/a b"], windows=False)
    assert posix == "/usr/bin/python3 --data-dir '/srv/a b'"


def test_the_all_users_data_folder_and_network_shares() -> None:
    assert all_users_data_dir({"ProgramData": r"D:\ProgramData"}) == PureWindowsPath(r"D:\ProgramData\WardDesk")
    assert all_users_data_dir({}) == PureWindowsPath(r"C:\ProgramData\WardDesk")
    assert is_network_path(r"\\may-chu\chung\ward", windows=True)
    assert not is_network_path(r"C:\ProgramData\WardDesk", windows=True)
    assert is_network_path("//nas/ward", windows=False) and not is_network_path("/srv/ward", windows=False)


def test_version_and_licences() -> None:
    assert ok(run_cli("--version")).stdout.strip() == f"ward-desk {__version__}"
    root = Path(__file__).resolve().parents[2]
    assert "MIT License" in (root / "LICENSE").read_text(encoding="utf-8")
    fonts = root / "ward_desk" / "data" / "fonts"
    assert "Apache License" in (fonts / "LICENSE-Roboto-Apache-2.0.txt").read_text(encoding="utf-8")


def test_pdf_fonts_come_from_the_package() -> None:
    from ward_desk import fonts

    paths = fonts.pdf_font_paths()
    assert set(paths) == {"", "B", "I", "BI"}
    assert all(p.parent == fonts.FONT_DIR and p.stat().st_size > 100_000 for p in paths.values())
