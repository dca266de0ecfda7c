"""The demo ward: built fast, verifiable, realistic, and openable with what it prints."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from ward_desk.demo import DEMO_PASSWORD, DEMO_USER, build_demo, event_outbox_json, fill_store
from ward_desk.domain.timing import local_day
from ward_desk.domain.validation import validate_id_number, validate_person_name, validate_phone
from ward_desk.services.outbox import canonical_json

# Tuesday 03/03/2026 09:00 in Mũi Né: the demo's history ends here.
NOW = datetime(2026, 3, 3, 2, 0)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, float, object]:
    data_dir = tmp_path_factory.mktemp("demo") / "ward"
    # CPU time, not wall time: the build is CPU-bound (no fsync while filling), and
    # a shared test machine's load must not fail it.
    t = time.process_time()
    info = build_demo(data_dir, years=0.5, per_day=40, now=NOW)
    return data_dir, time.process_time() - t, info


@pytest.fixture
def demo_session(demo):
    from ward_desk.services.desk import open_session

    data_dir, _, info = demo
    s = open_session(data_dir, info.username, info.password, clock=lambda: NOW)
    yield s
    s.store.close()


def q(session, sql: str, *params):
    return session.store.db.execute_sql(sql, params).fetchall()


def test_builds_within_budget_and_says_how_to_get_in(demo):
    data_dir, seconds, info = demo
    # A quarter of the default size; the default (2 years) must stay well under 15 s.
    assert seconds < 5, f"demo took {seconds:.1f} s of CPU"
    assert info.data_dir == data_dir
    assert (info.username, info.password) == (DEMO_USER, DEMO_PASSWORD)
    assert info.dossiers > 4000
    assert set(info.users) >= {"admin", "lanhdao", "canbo1", "canbo2"}


def test_every_user_and_the_recovery_key_open_it(demo):
    from ward_desk.services.desk import open_session
    from ward_desk.store.database import open_with_recovery
    from ward_desk.store.errors import WrongPassword

    data_dir, _, info = demo
    for user in info.users:
        s = open_session(data_dir, user, info.password)
        assert s.user.username == user
        s.store.close()
    store = open_with_recovery(data_dir, info.recovery_key)
    store.close()
    with pytest.raises(WrongPassword):
        open_session(data_dir, DEMO_USER, "not-the-password")


def test_verify_passes(demo_session, demo):
    from ward_desk.services.desk import verify

    report = verify(demo_session)
    assert report.ok, report.problems[:5]
    assert report.dossiers == demo[2].dossiers
    assert report.events > 3 * report.dossiers


def test_outbox_rows_are_canonical_and_cover_every_change(demo_session, demo):
    rows = q(demo_session, "SELECT entity, payload FROM outbox")
    by_entity: dict[str, int] = {}
    for entity, payload in rows:
        assert canonical_json(json.loads(payload)) == payload
        by_entity[entity] = by_entity.get(entity, 0) + 1
    counts = {t: q(demo_session, f'SELECT count(*) FROM "{t}"')[0][0]
              for t in ("dossier", "event", "rating", "apology_slip")}
    assert by_entity["dossier"] == counts["dossier"]
    assert by_entity["event"] == counts["event"]
    assert by_entity["rating"] == counts["rating"]
    assert by_entity.get("apology_slip", 0) == counts["apology_slip"]
    # Outbox order follows the clock, as it would in use.
    times = [r[0] for r in q(demo_session, "SELECT created_at FROM outbox WHERE entity = 'event' ORDER BY seq")]
    assert times == sorted(times)


def test_event_outbox_splice_equals_canonical_json():
    body = {"uid": "u", "dossier": "d", "at": NOW, "actor": None, "kind": "transition", "action": "reject",
            "from_state": "received", "to_state": "rejected", "due_at": None,
            "reason": 'có "ngoặc", "kind": x', "legal_basis": "", "data": {"action": "reject"}, "prev_hash": "0"}
    spliced = event_outbox_json(canonical_json(body), "ab" * 32, "22918-260303-0001")
    assert spliced == canonical_json({**body, "hash": "ab" * 32, "dossier_code": "22918-260303-0001"})


def test_shares_look_like_a_real_ward(demo_session):
    s = demo_session
    total = q(s, "SELECT count(*) FROM dossier")[0][0]
    channel = dict(q(s, "SELECT channel, count(*) FROM dossier GROUP BY channel"))
    assert 0.25 <= channel["online"] / total <= 0.40
    assert 0.005 <= channel["postal"] / total <= 0.05
    fields = dict(q(s, "SELECT p.field, count(*) FROM dossier d JOIN procedure p ON p.id = d.procedure_id "
                       "GROUP BY p.field"))
    assert fields["Chứng thực"] + fields["Hộ tịch"] > 0.75 * total
    assert fields["Đất đai"] < 0.06 * total
    completed, late = q(s, "SELECT count(*), sum(completed_at > statutory_due_at) FROM dossier "
                           "WHERE completed_at IS NOT NULL")[0]
    assert 0.003 <= late / completed <= 0.05
    late_by_field = dict(q(s, "SELECT p.field, avg(d.completed_at > d.statutory_due_at) FROM dossier d "
                              "JOIN procedure p ON p.id = d.procedure_id WHERE completed_at IS NOT NULL "
                              "GROUP BY p.field"))
    assert late_by_field["Đất đai"] > 5 * late_by_field["Chứng thực"]
    assert q(s, "SELECT count(*) FROM apology_slip")[0][0] > 0
    states = dict(q(s, "SELECT state, count(*) FROM dossier GROUP BY state"))
    assert 0.03 <= (states.get("rejected", 0) + states.get("withdrawn", 0)) / total <= 0.06
    ratings = dict(q(s, "SELECT level, count(*) FROM rating GROUP BY level"))
    rated = sum(ratings.values())
    assert 0.75 <= rated / states["returned"] <= 0.95
    assert (ratings["very_satisfied"] + ratings["satisfied"]) / rated >= 0.8
    supplements = q(s, "SELECT count(DISTINCT dossier_id) FROM event WHERE action = 'request_supplement'")[0][0]
    suspended = q(s, "SELECT count(DISTINCT dossier_id) FROM event WHERE action = 'resume'")[0][0]
    assert supplements > 0.01 * total
    assert suspended > 0


def test_recent_weeks_are_still_open(demo_session):
    from ward_desk.services import dossiers

    s = demo_session
    board = dossiers.dashboard(s)
    assert board.ready_to_return > 0
    assert board.overdue > 0
    open_states = q(s, "SELECT state, min(received_at) FROM dossier WHERE closed_at IS NULL GROUP BY state")
    assert {st for st, _ in open_states} >= {"received", "in_progress", "result_ready"}
    # Nothing open is older than a few months, and nothing is dated after now.
    oldest = min(datetime.fromisoformat(r) for _, r in open_states)
    assert NOW - oldest < timedelta(days=120)
    assert q(s, "SELECT max(at) FROM event")[0][0] <= str(NOW)
    assert dossiers.call_list(s)


def test_dashboard_month_counts_match_a_recount(demo_session):
    """The month's on-time count is taken in SQL; it must equal the rule applied
    dossier by dossier in Python (completed no later than the statutory due instant)."""
    from ward_desk.domain.timing import local_day
    from ward_desk.services import dossiers
    from ward_desk.store.models import Dossier

    s = demo_session
    board = dossiers.dashboard(s)
    today = local_day(s.clock(), s.rules)
    start = dossiers.local_day_bounds(s, today.replace(day=1))[0]
    end = dossiers.local_day_bounds(s)[1]
    rows = [(d.completed_at, d.statutory_due_at) for d in
            Dossier.select().where((Dossier.completed_at >= start) & (Dossier.completed_at < end))]
    assert board.month_resolved == len(rows) > 0
    assert board.month_on_time == sum(1 for done, due in rows if done <= due)
    assert 0 < board.month_on_time < board.month_resolved  # the demo month has late files too


def test_weekly_rhythm_and_tet(demo_session):
    s = demo_session
    by_day: dict[date, int] = {}
    for (received,) in q(s, "SELECT received_at FROM dossier"):
        day = local_day(datetime.fromisoformat(received), s.rules)
        by_day[day] = by_day.get(day, 0) + 1
    for day in by_day:
        assert s.calendar.is_working_day(day), day
    per_weekday = {wd: [n for d, n in by_day.items() if d.weekday() == wd] for wd in range(5)}
    mean = {wd: sum(v) / len(v) for wd, v in per_weekday.items()}
    assert mean[0] == max(mean.values())  # Monday busiest
    assert mean[0] > 1.25 * mean[4]
    # Tết 2026: 14–22/02. The first working days after it are quiet.
    after = [by_day.get(s.calendar.add_working_days(date(2026, 2, 22), k), 0) for k in (1, 2, 3)]
    assert sum(after) / 3 < 0.6 * sum(by_day.values()) / len(by_day)


def test_applicants_are_valid_and_searchable(demo_session):
    from ward_desk.domain.text import fold
    from ward_desk.services import dossiers

    s = demo_session
    rows = q(s, "SELECT code, applicant_name, applicant_id_number, applicant_phone FROM dossier")
    families: dict[str, int] = {}
    for _code, name, id_number, phone in rows:
        assert validate_person_name(name) == name
        assert validate_id_number(id_number) == id_number
        if phone:
            assert validate_phone(phone) == phone
        families[name.split()[0]] = families.get(name.split()[0], 0) + 1
    assert 0.32 <= families["Nguyễn"] / len(rows) <= 0.44
    assert families["Trần"] > families["Đặng"]
    code, name, _, phone = rows[len(rows) // 2]
    found = dossiers.search(fold(name))
    assert code in {d.code for d in found} or len(found) == 50
    assert code in {d.code for d in dossiers.search(code)}


def test_histories_agree_with_their_fold_and_are_deterministic(session, clock, tmp_path):
    """fill_store(check=True) re-folds every history; the same seed gives the same people."""
    start = local_day(clock.now) - timedelta(days=60)
    n = fill_store(session, start=start, now=clock.now, per_day=30, seed=5, check=True)
    assert n > 500
    names = [r[0] for r in q(session, "SELECT applicant_name FROM dossier ORDER BY id LIMIT 50")]

    from ward_desk.services.desk import open_session
    from ward_desk.services.setup import create_store

    other = tmp_path / "other"
    store, _ = create_store(other, office_code="22918", office_name="Phường Mũi Né", admin_username="admin",
                            admin_password="mat-khau-123")
    store.close()
    s2 = open_session(other, "admin", "mat-khau-123", clock=clock)
    try:
        fill_store(s2, start=start, now=clock.now, per_day=30, seed=5)
        assert [r[0] for r in q(s2, "SELECT applicant_name FROM dossier ORDER BY id LIMIT 50")] == names
        uids = {r[0] for r in q(s2, "SELECT uid FROM dossier")}
    finally:
        s2.store.close()
    # Re-open the first store (the fixture's database binding was moved to the second).
    s1 = open_session(session.store.data_dir, "admin", "mat-khau-123", clock=clock)
    try:
        assert not uids & {r[0] for r in q(s1, "SELECT uid FROM dossier")}  # uids differ between stores
    finally:
        s1.store.close()
