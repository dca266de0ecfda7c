"""Issue 15, item 4: enrolment by key files is confirmed on both sides, another
key for an enrolled (or revoked) office is an explicit replace step with a
reason, a one-time code cannot silently take an office over, and key files
refuse small-order and identity keys."""

from __future__ import annotations

import base64
import json
from argparse import Namespace
from pathlib import Path

import pytest
import requests
from sync_helpers import TEST_PASSWORD, Receiver, SimWard, district_cli

from district_desk.models import Ward
from district_desk.store import DistrictStore
from sync_agent import ward_cli
from sync_agent.errors import BadInput
from sync_agent.keyfiles import DistrictPublicKeys, WardPublicKey

# Ed25519 points of small order (libsodium's blocklist): the identity first.
IDENTITY = bytes([1]) + bytes(31)
ORDER_2 = bytes.fromhex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
# X25519: 0 and a point of order 8.
X_ZERO = bytes(32)
X_ORDER_8 = bytes.fromhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")


def _wards(district_dir: Path) -> dict[str, str]:
    store = DistrictStore.open(district_dir, password=TEST_PASSWORD)
    try:
        return {w.office_code: w.fingerprint for w in Ward.select()}
    finally:
        store.close()


def test_the_district_enrols_a_key_file_only_with_its_fingerprint(district_init: Path, tmp_path: Path) -> None:
    district_cli("key", "--data-dir", str(district_init), "--out", str(tmp_path / "district.pub"))
    ward = SimWard("22918", DistrictPublicKeys.read(tmp_path / "district.pub"))
    pub = ward.write_pub(tmp_path / "ward.pub")
    base = ("enrol", "--data-dir", str(district_init), "--office-code", "22918", "--ward-key", str(pub))
    assert district_cli(*base, check=False).returncode == 2  # --fingerprint is required
    wrong = district_cli(*base, "--fingerprint", "0000-0000-0000-0000-0000", check=False)
    assert wrong.returncode == 2 and "does not match" in wrong.stdout + wrong.stderr
    assert _wards(district_init) == {}
    district_cli(*base, "--fingerprint", ward.public().fingerprint.upper().replace("-", " "))
    assert _wards(district_init) == {"22918": ward.public().fingerprint}


def test_another_key_or_an_unrevoke_needs_the_replace_step_with_a_reason(district_init: Path, tmp_path: Path) -> None:
    district_cli("key", "--data-dir", str(district_init), "--out", str(tmp_path / "district.pub"))
    district = DistrictPublicKeys.read(tmp_path / "district.pub")
    first, second = SimWard("22918", district), SimWard("22918", district)
    pub1, pub2 = first.write_pub(tmp_path / "one.pub"), second.write_pub(tmp_path / "two.pub")

    def enrol(pub: Path, ward: SimWard, *extra: str):
        return district_cli("enrol", "--data-dir", str(district_init), "--office-code", "22918", "--ward-key",
                            str(pub), "--fingerprint", ward.public().fingerprint, *extra, check=False)

    assert enrol(pub1, first).returncode == 0
    assert enrol(pub1, first).returncode == 0  # the same key again changes nothing
    refused = enrol(pub2, second)
    assert refused.returncode == 2 and "--replace" in refused.stdout + refused.stderr
    assert _wards(district_init) == {"22918": first.public().fingerprint}
    assert enrol(pub2, second, "--replace", "--reason", "12/03").returncode == 2  # a date is no reason
    assert enrol(pub2, second, "--replace", "--reason", "máy cũ hỏng ổ cứng, cài máy mới").returncode == 0
    assert _wards(district_init) == {"22918": second.public().fingerprint}
    district_cli("revoke", "--data-dir", str(district_init), "--office-code", "22918")
    assert enrol(pub2, second).returncode == 2  # un-revoking is a replace step too
    assert enrol(pub2, second, "--replace", "--reason", "thu hồi nhầm, khôi phục lại").returncode == 0


def test_a_one_time_code_cannot_silently_take_an_enrolled_office_over(district_init: Path, tmp_path: Path) -> None:
    from sync_agent import enrol_code

    district_cli("key", "--data-dir", str(district_init), "--out", str(tmp_path / "district.pub"))
    district = DistrictPublicKeys.read(tmp_path / "district.pub")
    real = SimWard("22918", district)
    district_cli("enrol", "--data-dir", str(district_init), "--office-code", "22918", "--ward-key",
                 str(real.write_pub(tmp_path / "real.pub")), "--fingerprint", real.public().fingerprint)
    issue = ("enrol-code", "--data-dir", str(district_init), "--office-code", "22918")
    refused = district_cli(*issue, check=False)
    assert refused.returncode == 2 and "--replace" in refused.stdout + refused.stderr
    # A code issued while the office was free, used after it was enrolled: refused too.
    code = _issue(district_init, "22919")
    other = SimWard("22919", district)
    district_cli("enrol", "--data-dir", str(district_init), "--office-code", "22919", "--ward-key",
                 str(other.write_pub(tmp_path / "other.pub")), "--fingerprint", other.public().fingerprint)
    intruder = SimWard("22919", district)
    server = Receiver(district_init, None).start()
    try:
        key = enrol_code.derive_auth_key(code, "22919")
        doc = intruder.public().to_json()
        proof = enrol_code.ward_proof(key, "22919", district.fingerprint, doc.encode())
        answer = requests.post(f"{server.url}/v1/enrol/22919", json={"ward_key": doc, "proof": proof}, timeout=10)
        assert answer.status_code in (400, 403), answer.text
    finally:
        server.stop()
    assert _wards(district_init)["22919"] == other.public().fingerprint
    # The explicit way: a code issued as a replacement, with a reason.
    district_cli(*issue, "--replace", "--reason", "máy mới thay máy bị mất trộm")


def _issue(district_dir: Path, office: str) -> str:
    import re

    out = district_cli("enrol-code", "--data-dir", str(district_dir), "--office-code", office).stdout
    match = re.search(r"\b([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})\b", out)
    assert match, out
    return match.group(1)


def test_the_ward_records_nothing_and_escrows_nothing_without_the_fingerprint(
    session, district_init: Path, tmp_path: Path
) -> None:
    district_cli("key", "--data-dir", str(district_init), "--out", str(tmp_path / "district.pub"))
    pub = tmp_path / "district.pub"
    args = Namespace(district_key=str(pub), district_url="http://127.0.0.1:9", code=None, fingerprint=None)
    with pytest.raises(BadInput) as refused:
        ward_cli.cmd_enrol(args, session)
    assert refused.value.message.id == "sync.ward.fingerprint_required"
    assert not session.office.upstream_url and session.store.keyfile().escrow_slot() is None
    args.fingerprint = "1111-2222-3333-4444-5555"
    with pytest.raises(BadInput):
        ward_cli.cmd_enrol(args, session)
    assert not session.office.upstream_url and session.store.keyfile().escrow_slot() is None
    args.fingerprint = json.loads(pub.read_text(encoding="utf-8"))["fingerprint"]
    assert ward_cli.cmd_enrol(args, session) == 0
    assert session.store.keyfile().escrow_slot() is not None


@pytest.mark.parametrize("raw", [IDENTITY, ORDER_2, bytes(32)])
def test_a_ward_key_file_with_a_small_order_or_identity_key_is_refused(raw: bytes) -> None:
    weak = WardPublicKey("22918", "Phường Một", raw)
    with pytest.raises(BadInput) as refused:
        WardPublicKey.from_json(weak.to_json())
    assert refused.value.message.id == "sync.keyfile.weak_key"


@pytest.mark.parametrize("field", ["x25519", "recovery_x25519", "ed25519"])
def test_a_district_key_file_with_a_low_order_key_is_refused(field: str) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from sync_agent.envelope import raw_public

    keys = {"sign": raw_public(Ed25519PrivateKey.generate()), "encrypt": raw_public(X25519PrivateKey.generate()),
            "recovery": raw_public(X25519PrivateKey.generate())}
    weak = {"x25519": ("encrypt", X_ORDER_8), "recovery_x25519": ("recovery", X_ZERO), "ed25519": ("sign", IDENTITY)}
    name, value = weak[field]
    keys[name] = value
    doc = DistrictPublicKeys("Quận", **keys).to_json()
    assert base64.b64encode(value).decode() in doc
    with pytest.raises(BadInput) as refused:
        DistrictPublicKeys.from_json(doc)
    assert refused.value.message.id == "sync.keyfile.weak_key"
