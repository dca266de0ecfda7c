"""The 12-month trend: one pass over the dossiers that agrees with the twelve month
reports, and totals read from the stored self-assessments (never re-scored)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

import pytest
from ward_desk.reports.trend import render_trend, trend_rows

from ward_desk.demo import fill_store
from ward_desk.domain.report_math import Period
from ward_desk.domain.timing import local_day
from ward_desk.services.reporting import period_report
from ward_desk.store.models import SelfAssessment


def _assessment(month: str, revision: int, state: str, total: int, now) -> None:
    SelfAssessment.create(uid=uuid.uuid4().hex, month=month, revision=revision, criteria_set="default@1",
                          state=state, total=total, created_at=now, updated_at=now)


@pytest.mark.parametrize("zone", ["Asia/Ho_Chi_Minh", "Europe/Berlin"])  # fixed offset: SQL; DST: Python
def test_trend_equals_the_month_reports_and_reads_stored_totals(session, clock, zone):
    start = local_day(clock.now) - timedelta(days=400)
    assert fill_store(session, start=start, now=clock.now, per_day=6, seed=3) > 1500
    session.rules = dataclasses.replace(session.rules, tz_name=zone)
    last = Period.month(2026, 2)  # the clock is 03/03/2026: the last full month
    with session.store.db.atomic():
        _assessment("2025-12", 1, "submitted", 8150, clock.now)
        _assessment("2025-12", 2, "draft", 8300, clock.now)  # a revision after submitting: the latest wins
        _assessment("2026-01", 1, "draft", 7000, clock.now)
        _assessment("2026-01", 2, "returned", 7725, clock.now)
        _assessment("2026-02", 1, "submitted", 9000, clock.now)
    rows = trend_rows(session, last, 12)

    assert [r.month for r in rows] == [p.label for p in _months(last, 12)]
    for row, period in zip(rows, _months(last, 12), strict=True):
        total = period_report(session, period).total
        assert (row.on_time_rate, row.resolved) == (total.on_time_rate, total.resolved), row.month
    assert sum(r.resolved for r in rows) > 1000
    assert any(r.on_time_rate is not None and r.on_time_rate < 1 for r in rows)  # some late ones to split
    by_month = {r.month: r.as_dict() for r in rows}
    assert by_month["2025-12"] == {**by_month["2025-12"], "total": 83.0, "state": "draft", "submitted": False}
    assert by_month["2026-01"] == {**by_month["2026-01"], "total": 77.25, "state": "returned", "submitted": True}
    assert by_month["2026-02"] == {**by_month["2026-02"], "total": 90.0, "state": "submitted", "submitted": True}
    assert by_month["2025-03"]["total"] is None and by_month["2025-03"]["state"] is None
    text = render_trend(rows, "en")
    assert "2026-02" in text and "submitted" in text


def test_trend_of_an_empty_store(session, clock):
    rows = trend_rows(session, Period.month(2026, 2), 3)
    assert [(r.month, r.on_time_rate, r.resolved, r.total_c) for r in rows] == [
        ("2025-12", None, 0, None), ("2026-01", None, 0, None), ("2026-02", None, 0, None)]
    assert "2026-01" in render_trend(rows, "vi")


def _months(last: Period, n: int) -> list[Period]:
    out = [last]
    while len(out) < n:
        out.append(out[-1].previous())
    return out[::-1]


def test_trend_text_writes_the_language_decimal_mark() -> None:
    from ward_desk.reports.trend import TrendRow

    rows = [TrendRow("2026-01", 0.9642, 28, 8750, "submitted"), TrendRow("2026-02", None, 0, None, None)]
    vi, en = render_trend(rows, "vi"), render_trend(rows, "en")
    assert "96,4" in vi and "87,5" in vi and "96.4" not in vi
    assert "96.4" in en and "87.5" in en and "96,4" not in en
