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
