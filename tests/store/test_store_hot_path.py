"""The intake hot path, search routing, idle upkeep and outbox pruning (issue 2, bench item 9):
the fast paths must keep the exact rows, payloads, chain and search results."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from wd_testkit import ADMIN, PASSWORD, make_store

from ward_desk.services import dossiers
from ward_desk.services.desk import open_session, verify
from ward_desk.services.outbox import SyncStateStore, canonical_json, prune_outbox
from ward_desk.store.database import maybe_checkpoint
from ward_desk.store.models import Dossier, Event, Outbox

# Wednesday 18/11/2026 09:30 in Mũi Né; the store is created an hour before.
NOW = datetime(2026, 11, 18, 2, 30)


@pytest.fixture
def session(tmp_path: Path):
    make_store(tmp_path / "ward", now=NOW - timedelta(hours=1))
    clock = {"now": NOW}
    s = open_session(tmp_path / "ward", ADMIN, PASSWORD, clock=lambda: clock["now"])
    s.test_clock = clock  # type: ignore[attr-defined]
    yield s
    s.store.close()


def _intake(session, name: str, phone: str = "0912345678", id_number: str = "") -> Dossier:
    return dossiers.intake(session, dossiers.IntakeRequest(
        procedure_code="CT.01", applicant_name=name, phone=phone, id_number=id_number))


def test_intake_rows_match_the_models_and_payloads(session) -> None:
    d = _intake(session, "Nguyễn Văn Ất", id_number="060123456789")
    stored = Dossier.get_by_id(d.id)
    for f in Dossier._meta.sorted_fields:
        assert getattr(stored, f.name) == getattr(d, f.name), f.name
    rows = list(Outbox.select().where(Outbox.entity.in_(["dossier", "event"])).order_by(Outbox.seq))
    assert [(r.entity, r.entity_uid, r.version) for r in rows] == [
        ("dossier", d.uid, 1), ("event", Event.get(Event.dossier == d.id).uid, 1)]
    assert json.loads(rows[0].payload) == json.loads(canonical_json(dossiers.dossier_payload(stored)))
    e = Event.get(Event.dossier == d.id)
    body = dossiers.event_body(e, d.uid, session.user.uid)
    assert e.hash == dossiers.chain_hash(body)
    assert rows[1].payload == canonical_json({**body, "hash": e.hash, "dossier_code": d.code})
    assert len(d.uid) == 32 and d.uid[12] == "7"  # time-ordered uid, UUIDv7 layout
    later = _intake(session, "Trần Thị Bé")
    assert later.uid > d.uid
    assert verify(session).ok


def test_procedure_cache_sees_catalogue_changes(session) -> None:
    from ward_desk.services.catalogue import ProcedureRow, upsert_procedures

    assert _intake(session, "Lê Văn Một").procedure.processing_days != 9
    with session.store.db.atomic():
        p = dossiers.cached_procedure("CT.01")
        upsert_procedures([ProcedureRow("CT.01", p.name, p.field, 9)], NOW)
    assert _intake(session, "Lê Văn Hai").procedure.processing_days == 9


def test_search_routes_codes_and_matches_words(session) -> None:
    a = _intake(session, "Nguyễn Thị Hương", phone="0987654321", id_number="060123456789")
    b = _intake(session, "Nguyễn Văn Huy", phone="0912000111")
    codes = lambda text: [d.code for d in dossiers.search(text)]  # noqa: E731
    assert codes(a.code) == [a.code]
    assert codes(a.code.lower()) == [a.code]
    assert codes(a.code[:-2]) == [b.code, a.code]  # a code prefix: newest first
    assert codes(a.code.split("-", 1)[1]) == [a.code]  # date-sequence part alone
    assert codes(a.code.split("-")[1]) == [b.code, a.code]  # the day alone
    assert codes("nguyen") == [b.code, a.code]
    assert codes("nguyen thi huo") == [a.code]  # the last word may be unfinished
    assert codes("ngu thi") == []  # earlier words are whole words
    assert codes("Nguyễn Văn") == [b.code]
    assert codes("4321") == [a.code]
    assert codes("0912 000 111") == [b.code]
    assert codes("060123456789") == [a.code]
    assert codes("22918") == [b.code, a.code]  # the office code: every code starts with it
    rows = dossiers.search("nguyen")
    assert rows[0].procedure.code == "CT.01" and rows[0].received_at == b.received_at


def test_maybe_checkpoint_runs_only_when_idle(session) -> None:
    for i in range(20):
        _intake(session, f"Người Thứ {chr(65 + i)}")
    assert maybe_checkpoint(session.store, idle_seconds=0.1) is False
    assert maybe_checkpoint(session.store, idle_seconds=30) is True
    assert [d.applicant_name for d in dossiers.search("nguoi thu a")] == ["Người Thứ A"]
    assert verify(session).ok


def test_prune_outbox_keeps_unacknowledged_and_recent_rows(session) -> None:
    clock = session.test_clock
    old = [_intake(session, f"Cũ Số {chr(65 + i)}") for i in range(3)]
    clock["now"] = NOW + timedelta(days=40)
    first_new = _intake(session, "Mới Một")
    seqs = [r.seq for r in Outbox.select(Outbox.seq).order_by(Outbox.seq)]
    recent = Outbox.get(Outbox.entity_uid == first_new.uid).seq
    assert prune_outbox(session) == 0  # nothing acknowledged yet
    SyncStateStore().adopt_ack((seqs[-1], 1, ""))
    assert prune_outbox(session, keep_days=30) == seqs.index(recent)  # the old rows; the recent ones stay
    assert [r.seq for r in Outbox.select(Outbox.seq).order_by(Outbox.seq)] == seqs[seqs.index(recent):]
    SyncStateStore().adopt_ack((recent, 1, ""))
    clock["now"] += timedelta(seconds=1)
    assert prune_outbox(session, keep_days=0) == 1  # never past the acknowledgement
    assert min(r.seq for r in Outbox.select(Outbox.seq)) == recent + 1
    _intake(session, "Mới Hai")
    assert max(r.seq for r in Outbox.select(Outbox.seq)) > seqs[-1]  # seq never reused
    assert len(Dossier.select()) == len(old) + 2 and verify(session).ok


def test_dashboard_counts_never_scan_and_the_apology_count_is_covered(session) -> None:
    """The dashboard refreshes every minute on a store that only grows: each of its
    queries must go through an index, and the counts over open dossiers (overdue,
    due today, needs an apology slip, by state) must be answered from the index
    alone, so no table row (and no page of it) is read for them (migration 0005)."""
    for name in ("Lê Văn An", "Trần Thị Bình", "Phạm Cường", "Đỗ Thị Dung", "Vũ Văn Em"):
        _intake(session, name)
    db = session.store.db
    plans: list[tuple[str, list[str]]] = []
    original = db.execute_sql

    def traced(sql, params=None, *args, **kwargs):
        if sql.lstrip().upper().startswith("SELECT"):
            plan = [row[-1] for row in original("EXPLAIN QUERY PLAN " + sql, params).fetchall()]
            plans.append((sql, plan))
        return original(sql, params, *args, **kwargs)

    db.execute_sql = traced
    try:
        board = dossiers.dashboard(session)
    finally:
        del db.execute_sql
    assert board.received_today == 5
    assert len(plans) >= 8
    for sql, plan in plans:
        # A subquery's own line ("CORRELATED SCALAR SUBQUERY 1") is a heading, not a read:
        # its reads are the SEARCH lines under it, held to the same rule.
        reads = [step for step in plan if "SUBQUERY" not in step]
        assert reads and all(step.startswith("SEARCH") for step in reads), (sql, plan)
        if '"state"' in sql and "closed_at" not in sql:
            assert all("COVERING INDEX" in step for step in reads), (sql, plan)
    assert any("apology_count" in sql for sql, _ in plans)
