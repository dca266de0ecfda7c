"""The ward's side of enrolment as a service: checks first, then one transaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from sync_agent import envelope as env
from sync_agent.enrolment import record_district, ward_public_key
from sync_agent.errors import BadInput
from sync_agent.keyfiles import DistrictPublicKeys
from ward_desk.errors import PermissionDenied
from ward_desk.services.outbox import SyncStateStore


def _district(name: str) -> DistrictPublicKeys:
    def x25519() -> bytes:
        return env.raw_public(X25519PrivateKey.generate())

    return DistrictPublicKeys(name=name, encrypt=x25519(), sign=env.raw_public(Ed25519PrivateKey.generate()),
                              recovery=x25519())


def test_record_district_checks_then_records_in_one_go(session, store_dir: Path) -> None:
    from ward_desk.services.users import add_user
    from ward_desk.store.models import Office

    first, second = _district("Quận Một"), _district("Quận Hai")
    with pytest.raises(BadInput) as bad:
        record_district(session, "ftp://quan1.example", first)
    assert bad.value.message.id == "sync.ward.bad_url"
    assert Office.get().upstream_url in (None, "")

    record_district(session, " https://quan1.example:8080/ ", first)
    office = Office.get()
    assert office.upstream_url == "https://quan1.example:8080" and bytes(office.upstream_public_key) == first.encrypt
    escrow = session.store.keyfile().escrow_slot()
    assert escrow is not None and escrow.meta["fingerprint"] == first.fingerprint

    state = SyncStateStore()
    state.adopt_ack((120, 3, "ab" * 32))
    record_district(session, "https://quan1.example:8080", first)  # the same district again: position kept
    assert state.acked()[0] == 120
    record_district(session, "https://quan2.example", second)  # a new district starts the chain again
    assert state.acked() == (0, 0, "")
    assert session.store.keyfile().escrow_slot().meta["fingerprint"] == second.fingerprint

    add_user(session.store.keyfile(), session.store.keys_path, session.store.key, username="hoa",
             full_name="Lê Thị Hoa", role="clerk", password="mat-khau-cua-hoa", now=session.clock())
    from ward_desk.services.desk import open_session

    clerk = open_session(store_dir, "hoa", "mat-khau-cua-hoa")
    try:
        with pytest.raises(PermissionDenied):
            record_district(clerk, "https://quan3.example", _district("Quận Ba"))
        assert Office.get().upstream_url == "https://quan2.example"
    finally:
        clerk.store.close()


def test_ward_public_key_is_the_office_signing_key(session) -> None:
    key = ward_public_key(session.office)
    assert key.office_code == session.office.code and len(key.sign) == 32


def test_plain_http_to_another_host_needs_the_lab_option(session) -> None:
    """Issue 15, item 2: HTTPS is required unless the district is on this machine."""
    from sync_agent.agent import AgentConfig, SyncAgent
    from ward_desk.store.models import Office

    keys = _district("Quận Một")
    with pytest.raises(BadInput) as refused:
        record_district(session, "http://quan1.example", keys)
    assert refused.value.message.id == "sync.ward.https_required"
    assert Office.get().upstream_url in (None, "") and session.store.keyfile().escrow_slot() is None
    record_district(session, "http://127.0.0.1:8080", keys)  # loopback: a receiver on this PC
    record_district(session, "http://[::1]:8080", keys)
    record_district(session, "http://quan1.example", keys, allow_plain_http=True)  # the loudly named lab option
    assert Office.get().upstream_url == "http://quan1.example"
    # And at run time: a --url override to a plain-HTTP host is refused without the option.
    record_district(session, "https://quan1.example", keys)
    report = SyncAgent(session.store.data_dir, AgentConfig(url="http://10.0.0.9:8080")).run_once()
    assert not report.ok and report.error.message_id == "sync.ward.https_required"
