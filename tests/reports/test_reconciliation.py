"""Property: on any generated store, every row of every period reconciles, and the
SQL early/on-time/late split agrees with ``domain.timing.classify`` dossier by dossier."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reports.helpers import new_uid
from ward_desk.domain.report_math import Period
from ward_desk.domain.timing import classify
from ward_desk.services.reporting import period_report
from ward_desk.services.users import insert_user
from ward_desk.store.models import Dossier, Event, Procedure

BASE = datetime(2025, 12, 1)
PERIODS = [Period.month(2026, 1), Period.month(2026, 2), Period.month(2026, 3), Period.quarter(2026, 1),
           Period.month(2025, 12)]

dossier_spec = st.fixed_dictionaries({
    "received": st.integers(0, 150 * 24 * 60),  # minutes after BASE
    "due_after": st.integers(0, 20 * 24 * 60),
    "outcome": st.sampled_from(["open", "paused", "resolved", "returned", "rejected", "withdrawn"]),
    "finish_after": st.integers(0, 40 * 24 * 60),
    "channel": st.sampled_from(["direct", "online", "postal"]),
    "digitized": st.booleans(),
    "officer": st.integers(0, 2),
    "procedure": st.integers(0, 5),
    "apology": st.booleans(),
})


def _insert(spec, n, procedures, officers):
    received = BASE + timedelta(minutes=spec["received"])
    due = received + timedelta(minutes=spec["due_after"])
    finish = received + timedelta(minutes=spec["finish_after"])
    outcome = spec["outcome"]
    state = {"open": "in_progress", "paused": "supplement_requested", "resolved": "result_ready",
             "returned": "returned", "rejected": "rejected", "withdrawn": "withdrawn"}[outcome]
    completed = finish if outcome in ("resolved", "returned") else None
    closed = finish + timedelta(hours=1) if outcome == "returned" else (
        finish if outcome in ("rejected", "withdrawn") else None)
    d = Dossier.create(
        uid=new_uid(), code=f"T-{n:06d}", procedure=procedures[spec["procedure"] % len(procedures)],
        applicant_name="Lê Văn Thử", channel=spec["channel"], received_at=received, due_at=due,
        statutory_due_at=due, state=state, officer=officers[spec["officer"]], digitized=spec["digitized"],
        completed_at=completed, closed_at=closed, rule_set="test", lookup_secret="X",
        apology_count=int(spec["apology"]), updated_at=finish,
    )
    Event.create(uid=new_uid(), dossier=d, at=received, kind="intake", to_state="received", prev_hash="", hash="")
    if outcome == "paused":
        Event.create(uid=new_uid(), dossier=d, at=finish, kind="transition", from_state="received",
                     to_state="supplement_requested", prev_hash="", hash="")
    return d


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(dossier_spec, min_size=0, max_size=60))
def test_every_row_reconciles_and_timing_matches_classify(session, clock, specs):
    clock.now = datetime(2026, 6, 1)
    db = session.store.db
    with db.atomic() as tx:
        procedures = list(Procedure.select().limit(6))
        officers = [None] + [insert_user(f"cb{i}_{new_uid()[:6]}", f"Cán bộ {i}", "clerk", clock.now) for i in (1, 2)]
        made = [_insert(spec, n, procedures, officers) for n, spec in enumerate(specs)]
        for period in PERIODS:
            report = period_report(session, period)
            for table in (report.by_field, report.by_officer):
                for key, row in table.rows.items():
                    assert row.imbalance == 0, (period.label, key, row)
            total = report.total
            assert total.as_dict() == report.by_officer.total().as_dict()
            start, end = period.utc_bounds(session.rules.tz)
            expected = Counter(
                str(classify(d.completed_at, d.statutory_due_at, session.calendar, session.rules))
                for d in made if d.completed_at is not None and start <= d.completed_at < end
            )
            assert (total.resolved_early, total.resolved_on_time, total.resolved_late) == (
                expected["early"], expected["on_time"], expected["late"])
            assert total.received == sum(1 for d in made if start <= d.received_at < end)
            assert total.opening == sum(
                1 for d in made if d.received_at < start and (
                    (d.completed_at or d.closed_at) is None or (d.completed_at or d.closed_at) >= start))
        tx.rollback()
