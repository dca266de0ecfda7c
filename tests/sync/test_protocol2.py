"""Protocol 2 (issue 15): acknowledgements are evidence, not hearsay.

Real receiver on loopback, real ward store; a relay between them lies."""

from __future__ import annotations

from pathlib import Path

import pytest
from ack_relay import AckRelay
from sync_helpers import (
    FAST,
    Receiver,
    assert_exactly_once,
    outbox_max,
    ward_entities,
)
from test_sync_agent import enrol, make_dossiers

from sync_agent.agent import AgentConfig, SyncAgent
from ward_desk.services.outbox import SyncStateStore, prune_outbox, sync_status
from ward_desk.store.models import Outbox


@pytest.fixture
def server(district_init: Path):
    s = Receiver(district_init, None).start()
    yield s
    s.stop()


def _run(session, url: str) -> object:
    agent = SyncAgent(session.store.data_dir, AgentConfig(url=url, max_batch_records=40, **FAST))
    try:
        return agent.run_once(session=session)
    finally:
        agent.close()


def test_a_forged_ack_through_a_relay_is_refused_then_the_honest_run_delivers_everything(
    session, clock, server: Receiver
) -> None:
    enrol(session, server.data_dir, server.url)
    make_dossiers(session, clock, days=1, per_day=30)
    rows, top, entities = Outbox.select().count(), outbox_max(), ward_entities()
    clock.advance(days=40)  # past the prune margin: a believed ack would delete rows now
    relay = AckRelay(server.url)
    try:
        for mode in ("forge", "tamper", "resign", "replay"):
            relay.mode, relay.first_answer = mode, None
            report = _run(session, relay.url)
            assert not report.ok, f"{mode}: the lie was believed"
            assert report.error.message_id.startswith("sync.ack."), (mode, report.error.message_id)
            assert SyncStateStore().acked_seq() == 0 and report.pending == rows, mode
            assert prune_outbox(session, keep_days=30) == 0 and Outbox.select().count() == rows, mode
            status = sync_status(session.clock())
            assert status["pending"] == rows and status["last_error_id"] == report.error.message_id, mode
        relay.mode = "pass"
        honest = _run(session, relay.url)
    finally:
        relay.close()
    assert honest.ok, honest.error and honest.error.render("en")
    assert honest.acked_seq == top and honest.pending == 0
    server.stop()
    assert_exactly_once(server.data_dir, top, entities)


def test_a_ward_restored_from_an_older_backup_is_detected_then_resolved_without_reusing_a_seq(
    session, clock, server: Receiver, tmp_path: Path
) -> None:
    from sync_helpers import TEST_PASSWORD
    from test_sync_agent import ADMIN, PASSWORD

    from district_desk.models import HeartbeatNote, Quarantine, Record
    from district_desk.store import DistrictStore
    from ward_desk.services.desk import open_session
    from ward_desk.store.backup import backup_store, restore_from_backup
    from ward_desk.store.models import Dossier

    enrol(session, server.data_dir, server.url)
    make_dossiers(session, clock, days=1, per_day=10)
    assert _run(session, server.url).ok
    make_dossiers(session, clock, days=1, per_day=3)  # still pending when the backup is taken
    backup = backup_store(session.store.db, session.store.key, tmp_path / "old.wdb", session.store.keyfile())
    make_dossiers(session, clock, days=1, per_day=8)  # made after the backup, delivered, then the PC dies
    assert _run(session, server.url).ok
    district_seq = SyncStateStore().acked_seq()
    data_dir = session.store.data_dir
    session.store.close()

    restore_from_backup(data_dir, backup, ADMIN, PASSWORD)
    restored = open_session(data_dir, ADMIN, PASSWORD, clock=clock)
    try:
        make_dossiers(restored, clock, days=1, per_day=5)  # made since the restore
        report = _run(restored, server.url)
        assert not report.ok and report.error.message_id == "sync.ack.ack_ahead"
        status = sync_status(restored.clock())
        assert status["ack_problem"]["code"] == "ack_ahead" and status["pending"] > 0
        restored_acked = SyncStateStore().acked_seq()
        agent = SyncAgent(data_dir, AgentConfig(url=server.url, **FAST))
        moved = agent.resolve_restore()
        agent.close()
        assert moved > 0
        # Every row not acknowledged in the backup now follows what the district holds.
        assert Outbox.select().where((Outbox.seq > restored_acked) & (Outbox.seq <= district_seq)).count() == 0
        assert Outbox.select().where(Outbox.seq > district_seq).count() == moved
        again = _run(restored, server.url)
        assert again.ok, again.error and again.error.render("en")
        assert again.pending == 0 and sync_status(restored.clock())["ack_problem"] is None
        ours = {d.uid for d in Dossier.select()}
    finally:
        restored.store.close()
    server.stop()
    store = DistrictStore.open(server.data_dir, password=TEST_PASSWORD)
    try:
        held = {r.entity_uid for r in Record.select().where(Record.entity == "dossier")}
        assert ours <= held  # every dossier of the restored PC, those made since included
        assert Quarantine.select().count() == 0
        problems = [n.ack_problem for n in HeartbeatNote.select() if n.ack_problem]
        assert problems and problems[0].startswith("ack_ahead:")  # the province was told
    finally:
        store.db.close()


def test_a_protocol_1_ward_still_syncs_during_the_rollout(receiver: Receiver) -> None:
    """A ward on protocol 1 asks GET .../ack and reads the unsigned fields: the
    receiver still answers it (the signed ack is an extra field it ignores)."""
    import requests
    from test_sync_receiver import enrolled_ward, post

    ward = enrolled_ward(receiver.data_dir)
    ward.add_dossiers(30)
    start = requests.get(f"{receiver.url}/v1/wards/{ward.office_code}/ack", timeout=10).json()
    assert start["acked_seq"] == 0
    for batch in ward.all_batches(20):
        answer = post(receiver, batch.envelope).json()
        assert answer["status"] == "applied" and answer["acked_seq"] == batch.last_seq
    end = requests.get(f"{receiver.url}/v1/wards/{ward.office_code}/ack", timeout=10).json()
    assert end["acked_seq"] == 60 and end["missing_batches"] == []


def test_a_replayed_envelope_does_not_make_a_ward_look_alive_and_a_skewed_clock_is_recorded(
    receiver: Receiver,
) -> None:
    """Item 6: last_sync moves on a new heartbeat or an applied batch only."""
    from datetime import datetime, timedelta, timezone

    import requests
    from sync_helpers import TEST_PASSWORD
    from test_sync_receiver import enrolled_ward, post

    from district_desk.models import Heartbeat, HeartbeatNote
    from district_desk.store import DistrictStore
    from sync_agent import envelope as env

    ward = enrolled_ward(receiver.data_dir)
    ward.add_dossiers(5)

    def last_sync() -> str:
        return requests.get(f"{receiver.url}/v1/wards/{ward.office_code}/ack", timeout=10).json()["last_sync"]

    batch = ward.next_batch(50)
    assert post(receiver, batch.envelope).json()["status"] == "applied"
    after_batch = last_sync()
    assert after_batch is not None
    assert post(receiver, batch.envelope).json()["status"] == "duplicate"  # the same bytes, replayed
    assert last_sync() == after_batch
    beat = env.build_heartbeat(office_code=ward.office_code, heartbeat=ward.heartbeat(),
                               recipient=ward.district.encrypt, signer=ward.key)
    assert post(receiver, beat).status_code == 200
    after_beat = last_sync()
    assert after_beat > after_batch
    assert post(receiver, beat).status_code == 200  # replayed heartbeat
    assert last_sync() == after_beat
    late = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(hours=3)
    skewed = env.build_heartbeat(office_code=ward.office_code,
                                 heartbeat={**ward.heartbeat(), "ward_clock": late.isoformat() + "Z"},
                                 recipient=ward.district.encrypt, signer=ward.key)
    assert post(receiver, skewed).status_code == 200
    receiver.stop()
    store = DistrictStore.open(receiver.data_dir, password=TEST_PASSWORD)
    try:
        beats = list(Heartbeat.select().order_by(Heartbeat.ward_clock))
        skewed = {n.heartbeat_id for n in HeartbeatNote.select() if n.skewed}
        assert [b.id in skewed for b in beats] == [False, False, True]
        assert beats[-1].clock_offset_s > 3 * 3600 - 60
    finally:
        store.db.close()
