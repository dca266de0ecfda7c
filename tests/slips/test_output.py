"""Slip files: atomic writes, purge, the default viewer, and light imports."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from slip_testkit import make_data

from ward_desk.errors import InvalidInput
from ward_desk.slips import open_with_default_viewer, purge_old_slips, render_slip, slips_dir
from ward_desk.slips.output import slip_filename


def test_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as info:
        render_slip(make_data(), "receipt", tmp_path, "odt")
    assert info.value.message.id == "slips.unknown_format"
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch) -> None:
    path = render_slip(make_data(), "receipt", tmp_path, "pdf")
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(InvalidInput) as info:
        render_slip(make_data(applicant_name="Lê Thị Hoa"), "receipt", tmp_path, "pdf")
    assert info.value.message.id == "slips.write_failed"
    assert "No space left on device" in str(info.value)
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]


def test_filename_is_safe_for_odd_codes() -> None:
    assert slip_filename(make_data(dossier_code="../../etc/passwd"), "receipt", "pdf") == "etc_passwd-receipt.pdf"
    assert slip_filename(make_data(dossier_code="HS 2024/15"), "apology", "docx") == "HS_2024_15-apology.docx"
    assert slip_filename(make_data(dossier_code=""), "refusal", "pdf") == "slip-refusal.pdf"


def test_purge_removes_only_old_slip_files(tmp_path: Path) -> None:
    folder = slips_dir(tmp_path)
    old = render_slip(make_data(), "receipt", folder, "pdf")
    new = render_slip(make_data(), "refusal", folder, "docx")
    stray = folder / ".abc.part"
    stray.write_bytes(b"x")
    keep = folder / "notes.txt"
    keep.write_text("not ours")
    now = time.time()
    ten_days_ago = now - 10 * 86400
    for p in (old, stray, keep):
        os.utime(p, (ten_days_ago, ten_days_ago))
    assert purge_old_slips(tmp_path, 7, now=now) == 2
    assert sorted(p.name for p in folder.iterdir()) == sorted([new.name, keep.name])
    assert purge_old_slips(tmp_path / "nothing-here", 7) == 0


def test_no_viewer_without_a_display(monkeypatch, tmp_path: Path) -> None:
    if sys.platform.startswith("win") or sys.platform == "darwin":
        pytest.skip("the display check is for X11/Wayland desktops")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert open_with_default_viewer(tmp_path / "x.pdf") is False


def test_viewer_runs_without_blocking(monkeypatch, tmp_path: Path) -> None:
    if sys.platform.startswith("win") or sys.platform == "darwin":
        pytest.skip("xdg-open is the Linux opener")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    marker, release = tmp_path / "opened", tmp_path / "release"
    opener = bin_dir / "xdg-open"
    # A viewer that stays open until the test releases it, recording what it was asked to
    # open: if open_with_default_viewer waited for it, the call could not return before
    # the release file exists (the viewer gives up after 20 s, failing the checks below).
    opener.write_text(
        f'#!/bin/sh\necho "$1" > {marker}\n'
        f'i=0; while [ ! -e {release} ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done\n'
        f'[ -e {release} ] && echo released >> {marker}\n'
    )
    opener.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DISPLAY", ":0")
    assert open_with_default_viewer(tmp_path / "slip.pdf") is True
    assert not release.exists()  # the call returned while the viewer was still waiting
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.read_text().splitlines()[0] == str(tmp_path / "slip.pdf")
    release.touch()
    deadline = time.monotonic() + 10
    while "released" not in marker.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.read_text().splitlines()[-1] == "released"


def test_no_opener_installed(monkeypatch, tmp_path: Path) -> None:
    if sys.platform.startswith("win"):
        pytest.skip("Windows always has os.startfile")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("DISPLAY", ":0")
    assert open_with_default_viewer(tmp_path / "slip.pdf") is False


def test_importing_slips_does_not_load_heavy_libraries() -> None:
    code = (
        "import sys, ward_desk.slips, ward_desk.slips.output, ward_desk.slips.preview\n"
        "from ward_desk.slips import preview_text\n"
        "heavy = [m for m in ('fpdf', 'docx', 'segno', 'PIL', 'peewee') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
