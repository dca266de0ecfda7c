"""The receiver as a real uvicorn subprocess on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import pytest
import requests
from sync_helpers import TEST_PASSWORD, Receiver, SimWard, district_cli, wait_until

from sync_agent.keyfiles import DistrictPublicKeys

TIMEOUT = (3, 30)


def enrolled_ward(data_dir: Path, code: str = "22918") -> SimWard:
    district_cli("key", "--data-dir", str(data_dir), "--out", str(data_dir / "district.pub"))
    ward = SimWard(code, DistrictPublicKeys.read(data_dir / "district.pub"))
    ward.write_pub(data_dir / f"ward-{code}.pub")
    district_cli("enrol", "--data-dir", str(data_dir), "--office-code", code, "--ward-key", str(data_dir / f"ward-{code}.pub"),
                 "--fingerprint", ward.public().fingerprint)
    return ward


def post(server: Receiver, blob: bytes) -> requests.Response:
    return requests.post(server.url + "/v1/batches", data=blob, timeout=TIMEOUT,
                         headers={"Content-Type": "application/octet-stream"})


def ack(server: Receiver, code: str) -> dict:
    r = requests.get(f"{server.url}/v1/wards/{code}/ack", timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


def test_upload_out_of_order_and_duplicates(receiver: Receiver) -> None:
    ward = enrolled_ward(receiver.data_dir)
    ward.add_dossiers(60)
    batches = ward.all_batches(25)  # 120 records -> 5 batches
    order = [2, 0, 4, 1, 1, 3, 0]
    for i in order:
        r = post(receiver, batches[i].envelope)
        assert r.status_code == 200, r.text
    state = ack(receiver, ward.office_code)
    assert state["acked_seq"] == 120 and state["acked_batch_no"] == 5 and state["missing_batches"] == []
    assert state["acked_batch_hash"] == batches[-1].batch_hash
    again = post(receiver, ward.rebuild(3).envelope).json()
    assert again["status"] == "duplicate"
    rows = json.loads(district_cli("report", "wards", "--json", "--data-dir", str(receiver.data_dir)).stdout)
    assert rows[0]["office_code"] == "22918" and rows[0]["dossiers"] == 60 and rows[0]["acked_seq"] == 120


def test_gap_is_named(receiver: Receiver) -> None:
    ward = enrolled_ward(receiver.data_dir)
    ward.add_dossiers(20)
    batches = ward.all_batches(10)
    post(receiver, batches[0].envelope)
    body = post(receiver, batches[3].envelope).json()
    assert body["acked_batch_no"] == 1 and body["missing_batches"] == [2, 3]


def test_refusals(receiver: Receiver) -> None:
    ward = enrolled_ward(receiver.data_dir)
    ward.add_dossiers(3)
    good = ward.next_batch()
    flipped = bytearray(good.envelope)
    flipped[-100] ^= 0x10
    r = post(receiver, bytes(flipped))
    assert r.status_code in (400, 403) and r.json()["error"] in ("bad_signature", "decrypt_failed", "malformed")

    stranger = SimWard("77777", ward.district)
    stranger.add_dossiers(1)
    r = post(receiver, stranger.next_batch().envelope)
    assert r.status_code == 403 and r.json()["error"] == "unknown_ward"

    impostor = SimWard(ward.office_code, ward.district)  # another key claiming this ward
    impostor.add_dossiers(1)
    r = post(receiver, impostor.next_batch().envelope)
    assert r.status_code == 403 and r.json()["error"] == "bad_signature"

    for junk in (b"", b"hello", b"WDU1" + b"\xff" * 100, b"\x00" * 5000):
        r = post(receiver, junk)
        assert 400 <= r.status_code < 500, (junk[:10], r.status_code)
    assert ack(receiver, ward.office_code)["acked_seq"] == 0
    log = (receiver.data_dir / "logs" / "receiver.log").read_text(encoding="utf-8")
    assert "rejected envelope: bad_signature" in log and "unknown_ward" in log

    # after revocation even the genuine batch is refused
    district_cli("revoke", "--data-dir", str(receiver.data_dir), "--office-code", ward.office_code)
    r = post(receiver, good.envelope)
    assert r.status_code == 403 and r.json()["error"] == "revoked_ward"


def test_conflict_is_quarantined(receiver: Receiver) -> None:
    ward = enrolled_ward(receiver.data_dir)
    ward.add_dossiers(4)
    assert post(receiver, ward.next_batch().envelope).status_code == 200
    fork = SimWard(ward.office_code, ward.district, key=ward.key)
    fork.add_dossiers(4)
    r = post(receiver, fork.next_batch().envelope)
    assert r.status_code == 409
    body = r.json()
    assert body["status"] == "quarantined" and body["reason"] == "conflict" and body["acked_seq"] == 8
    rows = json.loads(district_cli("report", "wards", "--json", "--data-dir", str(receiver.data_dir)).stdout)
    assert rows[0]["quarantined"] == 1


@pytest.fixture
def small_receiver(district_init: Path) -> Receiver:
    server = Receiver(district_init, None, extra=["--max-envelope-mb", "0.01"]).start()
    yield server
    server.stop()


def test_oversized_body_refused_before_reading(small_receiver: Receiver) -> None:
    limit = int(0.01 * 1024 * 1024)
    r = post(small_receiver, b"\x00" * (limit + 1))
    assert r.status_code == 413
    # Chunked upload (no Content-Length): refused once the stream passes the limit.
    def gen():
        for _ in range(100):
            yield b"\x00" * 4096
    r = requests.post(small_receiver.url + "/v1/batches", data=gen(), timeout=TIMEOUT)
    assert r.status_code == 413


def test_status_page_and_rate_limit(district_init: Path) -> None:
    server = Receiver(district_init, None, extra=["--status-burst", "3", "--status-refill-seconds", "3600"]).start()
    try:
        ward = enrolled_ward(district_init)
        codes = ward.add_dossiers(2)
        post(server, ward.next_batch().envelope)
        r = requests.get(server.url + "/status", params={"code": codes[0], "secret": "S00000", "lang": "en"}, timeout=TIMEOUT)
        assert r.status_code == 200 and "Received" in r.text and "Trần" not in r.text and "001190000001" not in r.text
        r = requests.get(server.url + "/status", params={"code": codes[0], "secret": "WRONG"}, timeout=TIMEOUT)
        assert r.status_code == 404 and "Không tìm thấy" in r.text
        r = requests.get(server.url + "/status", params={"code": codes[1], "secret": "S00001"}, timeout=TIMEOUT)
        assert r.status_code == 200
        r = requests.get(server.url + "/status", params={"code": codes[1], "secret": "S00001"}, timeout=TIMEOUT)
        assert r.status_code == 429 and "Retry-After" in r.headers
        assert requests.get(server.url + "/status", timeout=TIMEOUT).status_code == 200  # the bare form is free
    finally:
        server.stop()


def test_killed_mid_upload_then_restarted(district_init: Path, db_url: str | None) -> None:
    """SIGKILL the receiver while uploads are in flight (one of them half sent),
    restart it, resume from the ack: every record exactly once."""
    ward = enrolled_ward(district_init)
    ward.add_dossiers(400)  # 800 records
    batches = ward.all_batches(40)  # 20 batches
    server = Receiver(district_init, None).start()
    try:
        # A half-sent body: headers announce the full length, half the bytes arrive.
        half = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        blob = batches[0].envelope
        half.sendall(
            b"POST /v1/batches HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
            + f"Content-Length: {len(blob)}\r\n\r\n".encode() + blob[: len(blob) // 2]
        )
        sent: list[int] = []
        stop = threading.Event()

        def uploader() -> None:
            for i, b in enumerate(batches):
                if stop.is_set():
                    return
                try:
                    if post(server, b.envelope).status_code == 200:
                        sent.append(i)
                except requests.RequestException:
                    return

        thread = threading.Thread(target=uploader)
        thread.start()
        wait_until(lambda: len(sent) >= 5, what="some batches applied")
        server.kill()
        stop.set()
        thread.join(timeout=30)
        half.close()
    finally:
        server.kill()

    server = Receiver(district_init, None, port=0).start()
    try:
        state = ack(server, ward.office_code)
        assert state["acked_batch_no"] >= 5
        for b in batches[state["acked_batch_no"]:]:
            assert post(server, b.envelope).status_code == 200
        for b in batches[:3]:  # and whatever the ward re-sends is harmless
            assert post(server, b.envelope).json()["status"] == "duplicate"
        final = ack(server, ward.office_code)
        assert final["acked_seq"] == 800 and final["missing_batches"] == []
    finally:
        server.stop()
    rows = json.loads(district_cli("report", "wards", "--json", "--data-dir", str(district_init)).stdout)
    assert rows[0]["dossiers"] == 400
    from district_desk.models import Batch, Record
    from district_desk.store import DistrictStore

    store = DistrictStore.open(district_init, password=TEST_PASSWORD)
    try:
        assert Record.select().count() == 800
        assert Batch.select().count() == 20
        if db_url is None:
            assert store.db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        store.close()


def test_downlink_documents(receiver: Receiver) -> None:
    from sync_agent.envelope import open_document

    ward = enrolled_ward(receiver.data_dir)
    body = receiver.data_dir / "review.json"
    body.write_text(json.dumps({"month": "2025-02", "decision": "returned", "comment": "Bổ sung minh chứng"}), encoding="utf-8")
    district_cli("publish", "--data-dir", str(receiver.data_dir), "--kind", "review", "--version", "2025-02#1",
                 "--office", ward.office_code, str(body))
    index = requests.get(f"{receiver.url}/v1/wards/{ward.office_code}/documents", timeout=TIMEOUT).json()
    (entry,) = index["documents"]
    blob = requests.get(f"{receiver.url}/v1/documents/{entry['doc_id']}", timeout=TIMEOUT).content
    doc = open_document(blob, verify_key=ward.district.sign, office_code=ward.office_code)
    assert doc.body["comment"] == "Bổ sung minh chứng"
    assert requests.get(f"{receiver.url}/v1/wards/99999/documents", timeout=TIMEOUT).json() == {"documents": []}
