"""Issue 15, item 5: the downlink cannot be rolled back or frozen, and a review
must name its office."""

from __future__ import annotations

import json
from argparse import Namespace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests
from ack_relay import AckRelay
from sync_helpers import FAST, TEST_PASSWORD, Receiver, district_cli
from test_sync_agent import enrol

from district_desk.store import DistrictStore
from sync_agent import downlink, ward_cli
from sync_agent import envelope as env
from sync_agent.agent import AgentConfig, SyncAgent
from ward_desk.services.outbox import sync_status
from ward_desk.store.models import CalendarOverride


def _district_sign(district_dir: Path):
    store = DistrictStore.open(district_dir, password=TEST_PASSWORD)
    try:
        return store.unlock().sign
    finally:
        store.close()


def _v1_document(sign, kind: str, body: dict, audience: str = "*", doc_id: str = "old-v1") -> bytes:
    """A version 1 document (no number), as the district signed them before protocol 2."""
    import hashlib

    body_bytes = env.canonical_json(body)
    header = {"v": 1, "kind": kind, "doc_id": doc_id, "version": "v1", "audience": audience,
              "issued_at": "2025-01-01T00:00:00Z", "issuer": env.fingerprint(env.raw_public(sign)),
              "body_size": len(body_bytes), "body_sha256": hashlib.sha256(body_bytes).hexdigest()}
    _, signed = env._frame(env.DOWNLINK_MAGIC, header, body_bytes)
    return signed + sign.sign(env._DOWNLINK_SIG_CONTEXT + signed)


def test_a_review_must_name_its_office(district_init: Path) -> None:
    sign = _district_sign(district_init)
    body = {"month": "2026-01", "revision": 1, "status": "accepted", "comment": ""}
    with pytest.raises(env.EnvelopeError):
        env.build_document(kind="review", version="x", body=body, signer=sign, audience="*")
    for_all = _v1_document(sign, "review", body)  # signed by the district, addressed to every ward
    with pytest.raises(env.EnvelopeError) as refused:
        env.open_document(for_all, verify_key=sign.public_key(), office_code="22918")
    assert refused.value.code == "wrong_audience"
    path = district_init / "review.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    proc = district_cli("publish", "--data-dir", str(district_init), "--kind", "review", "--version", "x", str(path),
                        check=False)
    assert proc.returncode == 2 and "--office" in proc.stdout + proc.stderr


def test_a_document_older_than_the_one_held_is_refused(session, district_init: Path) -> None:
    enrol(session, district_init, "http://127.0.0.1:9")
    sign = _district_sign(district_init)

    def calendar(seq: int, day: str) -> bytes:
        return env.build_document(kind="calendar", version=f"c{seq}", seq=seq, signer=sign,
                                  body={"overrides": [{"day": day, "kind": "work", "note": f"số {seq}"}]})

    downlink.receive(session, calendar(2, "2026-04-25"))
    for older in (calendar(1, "2026-04-26"), _v1_document(sign, "calendar", {"overrides": []})):
        with pytest.raises(env.EnvelopeError) as refused:
            downlink.receive(session, older)
        assert refused.value.code == "rolled_back"
    assert [o.day.isoformat() for o in CalendarOverride.select()] == ["2026-04-25"]
    downlink.receive(session, calendar(3, "2026-05-02"))
    assert CalendarOverride.select().count() == 2


def test_a_frozen_or_swapped_index_is_refused_and_stale_data_is_said(session, clock, server: Receiver,
                                                                     tmp_path: Path, capsys) -> None:
    enrol(session, server.data_dir, server.url)

    def publish(version: str, day: str) -> None:
        path = tmp_path / f"{version}.json"
        path.write_text(json.dumps({"overrides": [{"day": day, "kind": "work", "note": version}]}), encoding="utf-8")
        district_cli("publish", "--data-dir", str(server.data_dir), "--kind", "calendar", "--version", version,
                     str(path))

    def run(url: str):
        agent = SyncAgent(session.store.data_dir, AgentConfig(url=url, **FAST))
        try:
            return agent.run_once(session=session)
        finally:
            agent.close()

    publish("2026.1", "2026-04-25")
    relay = AckRelay(server.url)
    try:
        first = run(relay.url)
        assert first.ok and first.documents_applied == ["calendar-all-2026.1"]
        assert sync_status(session.clock())["downlink"]["stale"] is False
        old_blob = requests.get(f"{server.url}/v1/documents/calendar-all-2026.1", timeout=10).content
        publish("2026.2", "2026-05-02")
        relay.mode = "freeze"  # the first index, replayed: "nothing new"
        frozen = run(relay.url)
        assert frozen.documents_failed == ["index"] and frozen.documents_applied == []
        assert sync_status(session.clock())["downlink"]["problem"] == "replayed"
        relay.mode, relay.swap_blob = "swap", old_blob  # the old document for the new one
        swapped = run(relay.url)
        assert swapped.documents_failed == ["calendar-all-2026.2"] and swapped.documents_applied == []
        assert CalendarOverride.select().count() == 1
        # Without a fresh index the data goes stale when the last one expires, and the ward says so.
        fresh_until = datetime.fromisoformat(sync_status(session.clock())["downlink"]["fresh_until"])
        clock.now = fresh_until + timedelta(minutes=1)
        assert sync_status(session.clock())["downlink"]["stale"] is True
        capsys.readouterr()
        ward_cli.cmd_status(Namespace(json=False), session)
        assert "có thể đã cũ" in capsys.readouterr().out  # the status line says the data may be stale
        clock.now = fresh_until - timedelta(hours=1)
        relay.mode = "pass"
        honest = run(relay.url)
    finally:
        relay.close()
    assert honest.ok and honest.documents_applied == ["calendar-all-2026.2"]
    assert CalendarOverride.select().count() == 2
    assert sync_status(session.clock())["downlink"] == {**sync_status(session.clock())["downlink"], "stale": False,
                                                        "problem": None}


@pytest.fixture
def server(district_init: Path):
    s = Receiver(district_init, None).start()
    yield s
    s.stop()
