"""Issue 15, items 3 and 8: what the internet-facing receiver holds and tells.

* ``serve`` never unwraps the escrow recovery key (only ``recover`` does);
* ``GET /v1/enrol/{office}`` answers alike whether or not a code is active;
* refused envelopes are bounded per client;
* the citizen's secret never reaches the access log, and is 40 bits long;
* with ``--no-protocol-1`` the ack and the document index go to the signed ward only.
"""

from __future__ import annotations

from pathlib import Path

import requests
from sync_helpers import TEST_PASSWORD, Receiver, SimWard, district_cli
from test_sync_receiver import enrolled_ward, post

from district_desk.models import DistrictKey, Rejection
from district_desk.store import DistrictStore


def _open(data_dir: Path) -> DistrictStore:
    return DistrictStore.open(data_dir, password=TEST_PASSWORD)


def test_serve_never_unwraps_the_recovery_key(district_init: Path) -> None:
    ward = enrolled_ward(district_init)
    store = _open(district_init)
    try:  # the recovery key's wrapped blob made unreadable: anything unwrapping it fails
        row = DistrictKey.get(DistrictKey.kind == "recovery")
        row.wrapped = b"\x00" * len(bytes(row.wrapped))
        row.save()
    finally:
        store.close()
    server = Receiver(district_init, None).start()  # it starts, so it never touched that key
    try:
        ward.add_dossiers(3)
        assert post(server, ward.next_batch(10).envelope).json()["status"] == "applied"
    finally:
        server.stop()
    store = _open(district_init)
    try:
        assert store.unlock(kinds=("sign", "encrypt")).recovery is None
    finally:
        store.close()


def test_the_enrolment_offer_does_not_tell_whether_a_code_is_active(receiver: Receiver) -> None:
    def offer(office: str) -> requests.Response:
        return requests.get(f"{receiver.url}/v1/enrol/{office}", timeout=10)

    none = offer("22918")
    district_cli("enrol-code", "--data-dir", str(receiver.data_dir), "--office-code", "22917")
    active = offer("22917")
    assert none.status_code == active.status_code == 200
    assert set(none.json()) == set(active.json()) == {"district_key", "proof"}
    assert offer("22918").json() == none.json()  # a decoy is as stable as a real proof


def test_refused_envelopes_from_one_client_fill_nothing_past_its_budget(receiver: Receiver) -> None:
    from district_desk.receiver import REJECTIONS_BURST

    stranger = SimWard("99999", enrolled_ward(receiver.data_dir).district)  # not enrolled
    stranger.add_dossiers(1)
    blob = stranger.next_batch(10).envelope
    for _ in range(REJECTIONS_BURST + 20):
        assert post(receiver, blob).status_code == 403
    receiver.stop()
    store = _open(receiver.data_dir)
    try:
        assert Rejection.select().where(Rejection.office_code == "99999").count() == REJECTIONS_BURST
    finally:
        store.close()


def test_the_citizen_secret_is_long_and_never_in_the_access_log(receiver: Receiver) -> None:
    from ward_desk.services.dossiers import new_lookup_secret

    assert len(new_lookup_secret()) == 8  # 32 letters, 8 of them: 40 bits
    secret = "QWERTY7Z"
    r = requests.get(f"{receiver.url}/status", params={"code": "22918-260303-0001", "secret": secret}, timeout=10)
    assert r.status_code == 404
    receiver.stop()
    log = (receiver.data_dir / "serve.out").read_text(errors="replace")
    assert "GET /status?code=22918-260303-0001&secret=***" in log and secret not in log


def test_without_protocol_1_the_ack_and_index_go_to_the_signed_ward_only(district_init: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from sync_agent.docindex import index_request_signature

    ward = enrolled_ward(district_init)
    server = Receiver(district_init, None, extra=["--no-protocol-1"]).start()
    try:
        base = f"{server.url}/v1/wards/{ward.office_code}"
        assert requests.get(f"{base}/ack", timeout=10).status_code == 403
        nonce = "ab" * 16
        assert requests.get(f"{base}/documents", params={"nonce": nonce}, timeout=10).status_code == 403
        forged = index_request_signature(Ed25519PrivateKey.generate(), ward.office_code, nonce)
        assert requests.get(f"{base}/documents", params={"nonce": nonce, "sig": forged}, timeout=10).status_code == 403
        signed = index_request_signature(ward.key, ward.office_code, nonce)
        answer = requests.get(f"{base}/documents", params={"nonce": nonce, "sig": signed}, timeout=10)
        assert answer.status_code == 200 and "signed_index" in answer.json()
        ward.add_dossiers(2)  # and the ward still syncs: its answers are signed acks
        assert post(server, ward.next_batch(10).envelope).json()["signed_ack"]
    finally:
        server.stop()


def test_the_recovery_key_can_have_its_own_passphrase_used_only_by_recover(session, district_init: Path,
                                                                           tmp_path: Path) -> None:
    from test_sync_agent import ADMIN, enrol

    enrol(session, district_init, "http://127.0.0.1:9")
    data_dir = session.store.data_dir
    session.store.close()
    own, wrong, new = tmp_path / "own.txt", tmp_path / "wrong.txt", tmp_path / "new.txt"
    own.write_text("khoa-khoi-phuc-cat-ngoai\n")
    wrong.write_text("khong-phai-mat-khau-nay\n")
    new.write_text("mat-khau-moi-456\n")
    district_cli("protect-recovery", "--data-dir", str(district_init), "--recovery-password-file", str(own))
    base = ("recover", "--data-dir", str(district_init), "--store", str(data_dir), "--user", ADMIN,
            "--new-password-file", str(new))
    assert district_cli(*base, check=False).returncode == 3  # the district passphrase alone no longer opens it
    assert district_cli(*base, "--recovery-password-file", str(wrong), check=False).returncode == 3
    assert ADMIN in district_cli(*base, "--recovery-password-file", str(own)).stdout
    store = _open(district_init)
    try:
        assert store.unlock().recovery is None  # every other command: sign and encrypt only
    finally:
        store.close()
