"""District store and ingest rules, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sync_helpers import TEST_PASSWORD, SimWard

from district_desk.ingest import Rejected, ingest
from district_desk.models import Batch, Dossier, Quarantine, Record, Rejection
from district_desk.store import DistrictStore
from sync_agent.errors import Locked


@pytest.fixture
def district(district_dir: Path, db_url: str | None):
    store = DistrictStore.create(district_dir, "Quận Thử", TEST_PASSWORD, db_url)
    keys = store.unlock(TEST_PASSWORD)
    yield store, keys
    store.close()


def _enrolled(store: DistrictStore, code: str = "22918") -> SimWard:
    ward = SimWard(code, store.public_keys())
    store.enrol(ward.public())
    return ward


def test_wrong_password_is_locked(district) -> None:
    store, _ = district
    with pytest.raises(Locked):
        store.unlock("wrong")


def test_reopen_uses_recorded_db(district, district_dir: Path, db_url: str | None) -> None:
    store, _keys = district
    store.close()
    again = DistrictStore.open(district_dir, password=TEST_PASSWORD)
    assert again.public_keys().fingerprint == store.public_keys().fingerprint
    assert again.unlock(TEST_PASSWORD).sign.public_key() is not None


def test_apply_duplicate_out_of_order(district) -> None:
    store, keys = district
    ward = _enrolled(store)
    ward.add_dossiers(50)
    b1, b2, b3 = ward.all_batches(40)[:3]
    # out of order: 3, then 1, then 2 — the ack only moves when contiguous
    r3 = ingest(store, b3.envelope, keys)
    assert r3.status == "applied" and r3.ack.acked_seq == 0 and r3.ack.missing_batches == [1, 2]
    r1 = ingest(store, b1.envelope, keys)
    assert r1.ack.acked_seq == 40 and r1.ack.missing_batches == [2]
    r2 = ingest(store, b2.envelope, keys)
    assert r2.ack.acked_seq == 100 and r2.ack.acked_batch_no == 3 and r2.ack.acked_batch_hash == b3.batch_hash
    # duplicates, even re-encrypted, change nothing
    for again in (b2.envelope, ward.rebuild(2).envelope):
        assert ingest(store, again, keys).status in ("duplicate",)
    assert Batch.select().count() == 3
    assert Record.select().count() == 100
    assert Dossier.select().count() == 50
    assert Quarantine.select().count() == 0


def test_highest_version_wins_whatever_the_order(district) -> None:
    store, keys = district
    ward = _enrolled(store)
    (code,) = ward.add_dossiers(1)
    ward.update_dossier(code, state="in_progress")
    ward.update_dossier(code, state="result_ready")
    b1 = ward.next_batch(2)  # dossier v1 + event
    b2 = ward.next_batch(1)  # v2
    b3 = ward.next_batch(1)  # v3
    for b in (b3, b1, b2):
        ingest(store, b.envelope, keys)
    row = Dossier.get(Dossier.code == code)
    assert (row.state, row.version) == ("result_ready", 3)


def test_same_batch_no_different_content_is_quarantined(district) -> None:
    store, keys = district
    ward = _enrolled(store)
    ward.add_dossiers(5)
    first = ward.next_batch(10)
    ingest(store, first.envelope, keys)
    # The ward is restored from an old backup and makes different changes with
    # the same sequence numbers: same batch id, different content.
    fork = SimWard(ward.office_code, ward.district, key=ward.key)
    fork.add_dossiers(5)
    forged = fork.next_batch(10)
    assert forged.batch_id == first.batch_id and forged.content_hash != first.content_hash
    result = ingest(store, forged.envelope, keys)
    assert result.status == "quarantined" and result.reason == "conflict"
    assert ingest(store, forged.envelope, keys).status == "quarantined"  # idempotent too
    assert Quarantine.select().count() == 1
    assert {d.code for d in Dossier.select()} == {r["payload"]["code"] for r in ward.outbox if r["entity"] == "dossier"}


def test_broken_chain_is_quarantined(district) -> None:
    store, keys = district
    ward = _enrolled(store)
    ward.add_dossiers(10)
    ingest(store, ward.next_batch(5).envelope, keys)
    ward.last_hash = "0" * 64  # a batch 2 that does not point at batch 1
    result = ingest(store, ward.next_batch(5).envelope, keys)
    assert result.status == "quarantined" and result.reason == "chain"
    assert result.ack.acked_batch_no == 1


def test_refused_envelopes_are_logged_and_not_applied(district) -> None:
    store, keys = district
    ward = _enrolled(store)
    stranger = SimWard("99999", store.public_keys())  # never enrolled
    stranger.add_dossiers(2)
    with pytest.raises(Rejected) as err:
        ingest(store, stranger.next_batch().envelope, keys)
    assert err.value.code == "unknown_ward" and err.value.http_status == 403

    impostor = SimWard(ward.office_code, store.public_keys())  # right code, wrong key
    impostor.add_dossiers(2)
    with pytest.raises(Rejected) as err:
        ingest(store, impostor.next_batch().envelope, keys)
    assert err.value.code == "bad_signature"

    ward.add_dossiers(2)
    blob = bytearray(ward.next_batch().envelope)
    blob[len(blob) // 2] ^= 1
    with pytest.raises(Rejected):
        ingest(store, bytes(blob), keys)

    store.revoke(ward.office_code)
    with pytest.raises(Rejected) as err:
        ingest(store, ward.rebuild(1).envelope, keys)
    assert err.value.code == "revoked_ward"
    assert Record.select().count() == 0 and Batch.select().count() == 0
    assert Rejection.select().count() == 4


def test_heartbeat_and_report(district) -> None:
    from sync_agent.envelope import build_heartbeat

    store, keys = district
    ward = _enrolled(store)
    ward.add_dossiers(3)
    ingest(store, ward.next_batch().envelope, keys)
    beat = build_heartbeat(office_code=ward.office_code, heartbeat={**ward.heartbeat(), "pending": 7},
                           recipient=store.public_keys().encrypt, signer=ward.key)
    assert ingest(store, beat, keys).status == "heartbeat"
    (row,) = store.report_wards()
    assert row["office_code"] == "22918" and row["dossiers"] == 3 and row["acked_seq"] == 6
    assert row["last_sync"] and row["pending"] == 7


def test_status_lookup(district) -> None:
    store, keys = district
    ward = _enrolled(store)
    codes = ward.add_dossiers(2)
    ingest(store, ward.next_batch().envelope, keys)
    view = store.lookup_status(codes[1], "S00001")
    assert view is not None and view.state == "received" and view.due_at is not None
    assert store.lookup_status(codes[1], "S00000") is None
    assert store.lookup_status("nope", "S00001") is None


def test_downlink_publish(district) -> None:
    from sync_agent.envelope import open_document

    store, keys = district
    _enrolled(store)
    doc = store.publish(keys, kind="calendar", version="2025.2", body={"overrides": []})
    blob = store.document(doc.doc_id)
    assert blob is not None
    assert open_document(blob, verify_key=store.public_keys().sign, office_code="22918").version == "2025.2"
    assert [d.doc_id for d in store.documents_for("22918")] == [doc.doc_id]
