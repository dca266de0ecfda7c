"""The agent's outbox side without a district: what a batch is cut from, and the
pending count and age every heartbeat carries, kept right across a run."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sync_agent.agent import make_heartbeat, utcnow
from ward_desk.services.outbox import PendingCounter, outbox_records, pending_stats


def intake(session, clock, count: int) -> None:
    """``count`` intakes at the clock's time, a minute apart (each writes outbox rows)."""
    from ward_desk.services import dossiers
    from ward_desk.services.catalogue import list_procedures

    code = list_procedures()[0].code
    for _ in range(count):
        dossiers.intake(session, dossiers.IntakeRequest(procedure_code=code, applicant_name="Nguyễn Văn An"))
        clock.now += timedelta(minutes=1)


def true_pending(after_seq: int) -> int:
    from ward_desk.store.models import Outbox

    return Outbox.select().where(Outbox.seq > after_seq).count()


def test_pending_carried_forward_matches_a_fresh_count(session, clock) -> None:
    from ward_desk.store.models import Outbox

    intake(session, clock, 12)
    seqs = [row.seq for row in Outbox.select(Outbox.seq).order_by(Outbox.seq)]
    counter = PendingCounter()
    now = utcnow()
    for position in (0, seqs[3], seqs[3], seqs[10]):
        assert counter.stats(position, now)[0] == true_pending(position)
    intake(session, clock, 5)  # rows written while a run goes on land above the highest seq
    for position in (seqs[11], seqs[-1], max(r.seq for r in Outbox.select(Outbox.seq))):
        assert counter.stats(position, now)[0] == true_pending(position)
    assert counter.stats(seqs[2], now)[0] == true_pending(seqs[2])  # a step back counts afresh
    assert counter.stats(10**9, now)[0] == 0


def test_oldest_pending_is_the_first_row_waiting_even_when_the_clock_went_back(session, clock, store_dir) -> None:
    # The office PC's clock is put back a day after some intakes: later rows carry an
    # earlier created_at. The row that has waited longest is still the first pending
    # one, and its age is what the status line and the heartbeat report.
    from ward_desk.store.models import Outbox

    acked = max(r.seq for r in Outbox.select(Outbox.seq))  # the new store's own rows (users, catalogue)
    start = clock.now
    intake(session, clock, 2)
    clock.now = start - timedelta(days=1)
    intake(session, clock, 2)
    now = start + timedelta(hours=1)
    assert pending_stats(acked, now) == (true_pending(acked), 3600)
    assert PendingCounter().stats(acked, now)[1] == 3600
    before = int((utcnow() - start).total_seconds())
    beat = make_heartbeat(store_dir, acked, PendingCounter())  # the heartbeat reads the real clock
    after = int((utcnow() - start).total_seconds())
    assert beat["pending"] == true_pending(acked)
    assert before <= beat["oldest_pending_s"] <= after


def test_records_read_as_the_model_reads_them(session, clock) -> None:
    # A batch sealed before an upgrade is re-sealed from the same range after it: the
    # record lines (and so the batch hash) must not change with the way rows are read.
    from ward_desk.store.models import Outbox

    clock.now = datetime(2026, 3, 3, 2, 0, 0, 123456)
    intake(session, clock, 3)
    clock.now = datetime(2026, 3, 3, 2, 30)
    intake(session, clock, 3)
    expected = [
        {"seq": r.seq, "entity": r.entity, "entity_uid": r.entity_uid, "version": r.version, "op": r.op,
         "payload": json.loads(r.payload), "created_at": r.created_at.isoformat(timespec="microseconds")}
        for r in Outbox.select().order_by(Outbox.seq)
    ]
    assert {e["created_at"][-6:] for e in expected} >= {"123456", "000000"}
    assert outbox_records(1, None, max_records=2000, max_bytes=1_000_000) == expected
    assert outbox_records(expected[2]["seq"], expected[4]["seq"], max_records=2000, max_bytes=1_000_000) == expected[2:5]
    assert outbox_records(1, None, max_records=4, max_bytes=1_000_000) == expected[:4]
