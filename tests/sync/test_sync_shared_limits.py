"""Issue 12, item 3: one limit however many receivers, honest client addresses, and a
citizen's lookup keyed by office and code. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import requests
from sync_helpers import TEST_PASSWORD, Receiver, SimWard

from district_desk.ingest import ingest
from district_desk.ratelimit import SharedTokenBuckets
from district_desk.store import DistrictStore

TIMEOUT = (3, 30)
SLOW = ["--status-burst", "3", "--status-refill-seconds", "3600"]


@pytest.fixture
def two_receivers(district_init: Path) -> Iterator[list[Receiver]]:
    servers = [Receiver(district_init, None, extra=SLOW).start(), Receiver(district_init, None, extra=SLOW).start()]
    yield servers
    for server in servers:
        server.stop()


def _status(server: Receiver, headers: dict[str, str] | None = None) -> int:
    return requests.get(server.url + "/status", params={"code": "22918-250303-0001", "secret": "NOPE00"},
                        headers=headers, timeout=TIMEOUT).status_code


def test_two_receivers_enforce_one_status_limit_and_forwarded_headers_do_not_bypass_it(
    two_receivers: list[Receiver],
) -> None:
    a, b = two_receivers
    # A burst of 3 for this client over both processes together (each had 3 of its own before).
    assert [_status(s) for s in (a, b, a)] == [404, 404, 404]
    assert [_status(s) for s in (b, a)] == [429, 429]
    # A made-up X-Forwarded-For from loopback is not believed: still the same client.
    for forwarded in ("203.0.113.7", "198.51.100.1, 127.0.0.1"):
        assert _status(b, {"X-Forwarded-For": forwarded}) == 429


def test_two_receivers_enforce_one_enrolment_limit(two_receivers: list[Receiver]) -> None:
    a, b = two_receivers
    answers = [requests.get(f"{s.url}/v1/enrol/99999", timeout=TIMEOUT).status_code for s in (a, b, a, b, a)]
    # Answered (however an office without a code is answered), then limited.
    assert [a == 429 for a in answers] == [False, False, False, True, True], answers


def test_forwarded_headers_are_believed_from_a_named_proxy_only(district_init: Path) -> None:
    server = Receiver(district_init, None, extra=[*SLOW, "--forwarded-allow-ips", "127.0.0.1"]).start()
    try:
        first = {"X-Forwarded-For": "203.0.113.7"}
        assert [_status(server, first) for _ in range(4)] == [404, 404, 404, 429]
        # Another citizen behind the same proxy has a bucket of their own.
        assert _status(server, {"X-Forwarded-For": "203.0.113.8"}) == 404
    finally:
        server.stop()


def test_a_shared_bucket_refills_by_the_clock_and_is_pruned_when_full(district_dir: Path, db_url: str | None) -> None:
    from district_desk.models import RateLimit

    store = DistrictStore.create(district_dir, "Tỉnh Thử", TEST_PASSWORD, db_url)
    try:
        now = [1_000_000.0]
        bucket = SharedTokenBuckets(store, "status", burst=2, refill_seconds=10, clock=lambda: now[0])
        other = SharedTokenBuckets(store, "status", burst=2, refill_seconds=10, clock=lambda: now[0])
        assert bucket.take("10.0.0.1") == (True, 0)
        assert other.take("10.0.0.1") == (True, 0)  # another process: the same bucket
        assert bucket.take("10.0.0.1") == (False, 10)
        assert bucket.take("10.0.0.2")[0]  # another client
        now[0] += 5
        assert bucket.take("10.0.0.1") == (False, 5)
        now[0] += 5
        assert bucket.take("10.0.0.1") == (True, 0)
        assert "10.0.0.1" not in {r.client for r in RateLimit.select()}  # the address is not kept
        now[0] += 21
        assert bucket.prune() == 2 and RateLimit.select().count() == 0
    finally:
        store.close()


def _ward_with_code(store: DistrictStore, office: str, code: str, secret: str, state: str) -> SimWard:
    ward = SimWard(office, store.public_keys())
    store.enrol(ward.public())
    uid = str(uuid.uuid4())
    at = datetime(2026, 3, 3, 2, 0)
    ward.append("dossier", uid, 1, {
        "uid": uid, "code": code, "procedure_code": "1.001193", "field": "Hộ tịch", "state": state,
        "channel": "direct", "received_at": at.isoformat(), "due_at": "2026-03-06T02:00:00",
        "applicant_name": "Trần Thị Bé", "applicant_id_number": "001190000001", "lookup_secret": secret,
    }, at)
    return ward


def test_the_citizen_lookup_is_keyed_by_office_and_code(district_dir: Path, db_url: str | None) -> None:
    # Two wards holding one code (an agency id shared by mistake, a re-used one after a
    # merger): each citizen sees their own dossier, never the other's, or nothing.
    store = DistrictStore.create(district_dir, "Tỉnh Thử", TEST_PASSWORD, db_url)
    try:
        keys = store.unlock()
        code = "000.00.25.H12-260303-0001"
        first = _ward_with_code(store, "22918", code, "AAA111", "received")
        second = _ward_with_code(store, "22921", code, "BBB222", "result_ready")
        ingest(store, second.next_batch().envelope, keys)  # the newer row
        ingest(store, first.next_batch().envelope, keys)
        assert store.lookup_status(code, "AAA111").state == "received"
        assert store.lookup_status(code, "BBB222").state == "result_ready"
        assert store.lookup_status(code, "AAA111", "22918").state == "received"
        assert store.lookup_status(code, "BBB222", "22921").state == "result_ready"
        # The other office's secret does not open a dossier of this office.
        assert store.lookup_status(code, "BBB222", "22918") is None
        assert store.lookup_status(code, "AAA111", "22921") is None
        assert store.lookup_status(code, "CCC333") is None
    finally:
        store.close()
