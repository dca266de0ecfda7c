"""Long work reports its progress (counts, at most every 0.25 s, always the end) and can
be cancelled; the CLI draws it as a bar with the count and the time left."""

from __future__ import annotations

import io
import threading

import pytest

from ward_desk.services import dossiers
from ward_desk.services.desk import verify
from ward_desk.services.progress import Cancelled, Reporter


def _fill(session, n: int) -> None:
    for i in range(n):
        dossiers.intake(session, dossiers.IntakeRequest(procedure_code="CT.01", applicant_name="Nguyễn Văn " + "ABCDEFGHIKLMNOPQRSTUVXY"[i % 23]))


def test_verify_reports_counts_up_to_its_total_and_stops_when_cancelled(session):
    _fill(session, 30)
    seen: list[tuple[int, int]] = []
    report = verify(session, batch=7, progress=lambda done, total: seen.append((done, total)))
    assert report.ok
    total = seen[-1][1]
    assert total == 60 and seen[-1] == (60, 60)  # 30 events, 30 dossiers
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        verify(session, batch=7, cancel=cancel)


def test_reports_are_throttled_but_the_end_is_always_told():
    seen: list[tuple[int, int]] = []
    reporter = Reporter(10_000, lambda d, t: seen.append((d, t)), every=3600)
    for _ in range(10_000):
        reporter.advance()
    reporter.finish()
    assert seen == [(1, 10_000), (10_000, 10_000)]  # the first at once, then only the end


def test_the_cli_bar_shows_the_count():
    from rich.console import Console

    from ward_desk.cli.progress import progress_bar

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    with progress_bar("Kiểm tra sự toàn vẹn", console=console) as report:
        report(50, 200)
        report(200, 200)
    shown = out.getvalue()
    assert "Kiểm tra sự toàn vẹn" in shown and "200/200" in shown


def _rising_to_the_end(seen: list[tuple[int, int]]) -> None:
    assert seen, "no progress was told"
    total = seen[-1][1]
    assert total > 0 and seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and all(t == total for _, t in seen[1:])


def test_backup_and_restore_tell_their_progress_up_to_the_end(session, tmp_path):
    from ward_desk.store.backup import backup_store, restore_from_backup

    _fill(session, 40)
    copied: list[tuple[int, int]] = []
    dest = backup_store(session.store.db, session.store.key, tmp_path / "b.db", keyfile=session.store.keyfile(),
                        progress=lambda d, t: copied.append((d, t)))
    _rising_to_the_end(copied)
    data_dir = session.store.data_dir
    session.store.close()
    restored: list[tuple[int, int]] = []
    restore_from_backup(data_dir, dest, "admin", "mat-khau-123", progress=lambda d, t: restored.append((d, t)))
    _rising_to_the_end(restored)
    assert restored[-1][1] == dest.stat().st_size


def test_the_demo_build_tells_its_progress_in_dossiers(tmp_path):
    """Dossiers planned day by day, then the end as written (planned ones received after
    the demo's moment are not written: the last report says the true count)."""
    from datetime import datetime

    from ward_desk.demo import build_demo

    seen: list[tuple[int, int]] = []
    info = build_demo(tmp_path / "demo", years=0.05, per_day=3, seed=7, now=datetime(2026, 3, 3, 2, 0),
                      progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (info.dossiers, info.dossiers) and len(seen) > 3  # day by day
    assert [d for d, _ in seen[:-1]] == sorted(d for d, _ in seen[:-1])
    assert all(d <= t for d, t in seen) and seen[-2][0] >= info.dossiers


def test_the_cli_backup_draws_a_bar_on_a_terminal_and_none_when_piped(tmp_path):
    """On a pty (stderr a terminal) ``backup`` draws rich's bar; piped, only its result line."""
    import os
    import pty
    import subprocess
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent.parent / "store"))
    from wd_testkit import cli_env, ok, run_cli

    data = tmp_path / "ward"
    ok(run_cli("init", "--data-dir", data, "--office-code", "22918", "--office-name", "Phường Thử",
               "--admin", "admin"))
    piped = ok(run_cli("backup", "--data-dir", data, "--out", tmp_path / "piped.db"))
    assert "Sao lưu" not in piped.stderr and "━" not in piped.stderr
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "ward_desk.cli.main", "backup", "--data-dir", str(data),
                             "--out", str(tmp_path / "tty.db")], env=cli_env("mat-khau-123"),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=child)
    os.close(child)
    out = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:
            break  # the child closed its end
        if not chunk:
            break
        out += chunk
    assert proc.wait(timeout=60) == 0
    os.close(main)
    shown = out.decode("utf-8", "replace")
    assert "Sao lưu" in shown, shown
    assert (tmp_path / "tty.db").exists()
