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
