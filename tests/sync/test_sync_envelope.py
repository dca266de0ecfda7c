"""Envelope crypto: round trips, and every way a batch can be forged or inflated."""

from __future__ import annotations

import struct
import zlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from sync_agent import envelope as env

HEARTBEAT = {"pending": 3, "oldest_pending_s": 60, "free_disk_bytes": 10**9, "ward_clock": "2025-03-01T02:03:04Z"}


def _records(first: int, n: int) -> list[dict]:
    return [
        {
            "seq": first + i,
            "entity": "dossier",
            "entity_uid": f"uid-{first + i}",
            "version": 1,
            "op": "upsert",
            "payload": {"code": f"X-{i}", "applicant_name": "Nguyễn Văn Á", "state": "received"},
            "created_at": "2025-03-01T01:00:00.000000",
        }
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def keys() -> dict:
    return {
        "ward": Ed25519PrivateKey.generate(),
        "other_ward": Ed25519PrivateKey.generate(),
        "district": X25519PrivateKey.generate(),
        "district_sign": Ed25519PrivateKey.generate(),
    }


def _batch(keys: dict, office: str = "22918", first: int = 1, n: int = 5, **kw) -> env.SealedBatch:
    args = dict(
        office_code=office,
        batch_no=1,
        first_seq=first,
        last_seq=first + n - 1,
        prev_batch_hash="",
        records=_records(first, n),
        heartbeat=HEARTBEAT,
        recipient=keys["district"].public_key(),
        signer=keys["ward"],
    )
    args.update(kw)
    return env.build_batch(**args)


def test_round_trip(keys: dict) -> None:
    sealed = _batch(keys)
    opened = env.open_uplink(sealed.envelope, signer_key=keys["ward"].public_key(), recipient=keys["district"])
    assert opened.header.batch_id == "22918:1-5" == sealed.batch_id
    assert [r["seq"] for r in opened.records] == [1, 2, 3, 4, 5]
    assert opened.records[0]["payload"]["applicant_name"] == "Nguyễn Văn Á"
    assert opened.heartbeat["pending"] == 3
    assert opened.content_hash == sealed.content_hash
    assert opened.batch_hash == sealed.batch_hash


def test_personal_data_is_not_visible(keys: dict) -> None:
    sealed = _batch(keys)
    assert "Nguyễn".encode() not in sealed.envelope
    assert b"applicant" not in sealed.envelope


def test_reencryption_keeps_ids_and_chain(keys: dict) -> None:
    a, b = _batch(keys), _batch(keys)
    assert a.envelope != b.envelope  # fresh ephemeral key each time
    assert (a.batch_id, a.content_hash, a.batch_hash) == (b.batch_id, b.content_hash, b.batch_hash)


def test_heartbeat_round_trip(keys: dict) -> None:
    blob = env.build_heartbeat(
        office_code="22918", heartbeat=HEARTBEAT, recipient=keys["district"].public_key(), signer=keys["ward"]
    )
    opened = env.open_uplink(blob, signer_key=keys["ward"].public_key(), recipient=keys["district"])
    assert opened.header.kind == "heartbeat" and opened.records == []


def test_every_flipped_byte_is_rejected(keys: dict) -> None:
    sealed = _batch(keys, n=2)
    blob = sealed.envelope
    for i in range(len(blob)):
        for bit in (0x01, 0x80):
            tampered = bytearray(blob)
            tampered[i] ^= bit
            with pytest.raises(env.EnvelopeError):
                env.open_uplink(bytes(tampered), signer_key=keys["ward"].public_key(), recipient=keys["district"])


def test_truncated_and_extended_are_rejected(keys: dict) -> None:
    blob = _batch(keys).envelope
    for bad in (blob[:-1], blob + b"\x00", blob[:10], b"", b"WDU1", blob[:-64]):
        with pytest.raises(env.EnvelopeError):
            env.open_uplink(bad, signer_key=keys["ward"].public_key(), recipient=keys["district"])


def test_wrong_signer_is_rejected(keys: dict) -> None:
    sealed = _batch(keys, signer=keys["other_ward"])
    with pytest.raises(env.EnvelopeError) as err:
        env.open_uplink(sealed.envelope, signer_key=keys["ward"].public_key(), recipient=keys["district"])
    assert err.value.code == "bad_signature"


def test_replay_relabelled_as_another_ward_is_rejected(keys: dict) -> None:
    """Ward B re-sends ward A's batch under its own office code: the header
    changes, so A's signature no longer verifies (and the AAD would not match)."""
    sealed = _batch(keys, office="11111")
    blob = sealed.envelope
    header_len = struct.unpack_from(">I", blob, 4)[0]
    header = blob[8 : 8 + header_len].replace(b'"11111', b'"22222')
    forged = blob[:4] + struct.pack(">I", len(header)) + header + blob[8 + header_len :]
    parsed = env.read_uplink_header(forged)
    assert parsed.office_code == "22222"
    for key in (keys["ward"], keys["other_ward"]):
        with pytest.raises(env.EnvelopeError) as err:
            env.open_uplink(forged, signer_key=key.public_key(), recipient=keys["district"])
        assert err.value.code == "bad_signature"


def test_wrong_recipient(keys: dict) -> None:
    sealed = _batch(keys)
    with pytest.raises(env.EnvelopeError) as err:
        env.open_uplink(sealed.envelope, signer_key=keys["ward"].public_key(), recipient=X25519PrivateKey.generate())
    assert err.value.code == "wrong_recipient"


def test_oversized_envelope_is_refused_before_work(keys: dict) -> None:
    limits = env.Limits(max_envelope=200)
    with pytest.raises(env.EnvelopeError) as err:
        env.open_uplink(_batch(keys).envelope, signer_key=keys["ward"].public_key(), recipient=keys["district"], limits=limits)
    assert err.value.code == "too_large"


def test_too_many_records(keys: dict) -> None:
    with pytest.raises(env.EnvelopeError) as err:
        env.open_uplink(
            _batch(keys, n=10).envelope,
            signer_key=keys["ward"].public_key(),
            recipient=keys["district"],
            limits=env.Limits(max_records=5),
        )
    assert err.value.code == "too_large"


def _sign_raw(keys: dict, header: dict, plaintext: bytes, *, compressed: bytes | None = None) -> bytes:
    """A validly signed envelope around arbitrary content: what a compromised or
    buggy enrolled ward could send."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    recipient = keys["district"].public_key()
    recipient_raw = env.raw_public(recipient)
    eph = X25519PrivateKey.generate()
    epk = env.raw_public(eph)
    data = compressed if compressed is not None else zlib.compress(plaintext)
    full = {
        "v": 1,
        "compression": "zlib",
        "cipher_size": len(data) + 16,
        "epk": env._b64(epk),
        "recipient": env.fingerprint(recipient_raw),
        "created_at": "2025-01-01T00:00:00Z",
        **header,
    }
    key, nonce = env._derive(eph.exchange(recipient), epk, recipient_raw, env._UPLINK_KDF_INFO)
    prefix, _ = env._frame(env.UPLINK_MAGIC, full, b"")
    signed = prefix + AESGCM(key).encrypt(nonce, data, prefix)
    return signed + keys["ward"].sign(env._UPLINK_SIG_CONTEXT + signed)


def test_decompression_bomb_is_capped(keys: dict) -> None:
    bomb = zlib.compress(b"\x00" * (50 * 1024 * 1024), 9)  # ~50 KB that inflates to 50 MB
    header = {"kind": "heartbeat", "office": "22918", "plain_size": 1000}
    blob = _sign_raw(keys, header, b"", compressed=bomb)
    with pytest.raises(env.EnvelopeError) as err:
        env.open_uplink(blob, signer_key=keys["ward"].public_key(), recipient=keys["district"])
    assert err.value.code == "too_large"
    # And a header that announces a huge plain size is refused before decrypting.
    header["plain_size"] = 10**12
    blob = _sign_raw(keys, header, b"", compressed=bomb)
    with pytest.raises(env.EnvelopeError) as err:
        env.open_uplink(blob, signer_key=keys["ward"].public_key(), recipient=keys["district"])
    assert err.value.code == "too_large"


@pytest.mark.parametrize(
    "lines",
    [
        [b'{"heartbeat":{"pending":1,"ward_clock":"2025-01-01T00:00:00Z"}}', b'{"seq":1}'],
        [b'{"heartbeat":{"pending":1,"ward_clock":"2025-01-01T00:00:00Z"}}', b"not json"],
        [b'{"heartbeat":{"pending":-1,"ward_clock":"2025-01-01T00:00:00Z"}}', b"{}"],
        [
            b'{"heartbeat":{"pending":1,"ward_clock":"2025-01-01T00:00:00Z"}}',
            b'{"created_at":"2025","entity":"Dossier; drop","entity_uid":"u","op":"upsert","payload":{},"seq":1,"version":1}',
        ],
        [
            b'{"heartbeat":{"pending":1,"ward_clock":"2025-01-01T00:00:00Z"}}',
            b'{"created_at":"2025-01-01","entity":"dossier","entity_uid":"u","op":"delete","payload":{},"seq":1,"version":1}',
        ],
        [
            b'{"heartbeat":{"pending":1,"ward_clock":"2025-01-01T00:00:00Z"}}',
            b'{"created_at":"2025-01-01","entity":"dossier","entity_uid":"u","op":"upsert","payload":[],"seq":1,"version":1}',
        ],
    ],
)
def test_signed_but_invalid_records_are_rejected(keys: dict, lines: list[bytes]) -> None:
    plaintext = b"\n".join(lines) + b"\n"
    header = {
        "kind": "batch",
        "office": "22918",
        "batch_id": "22918:1-1",
        "batch_no": 1,
        "first_seq": 1,
        "last_seq": 1,
        "prev_hash": "",
        "count": 1,
        "plain_size": len(plaintext),
    }
    blob = _sign_raw(keys, header, plaintext)
    with pytest.raises(env.EnvelopeError) as err:
        env.open_uplink(blob, signer_key=keys["ward"].public_key(), recipient=keys["district"])
    assert err.value.code == "bad_content"


def test_builder_refuses_what_the_receiver_would() -> None:
    k = Ed25519PrivateKey.generate()
    d = X25519PrivateKey.generate().public_key()
    base = dict(office_code="22918", batch_no=1, first_seq=1, last_seq=2, prev_batch_hash="",
                records=_records(1, 2), heartbeat=HEARTBEAT, recipient=d, signer=k)
    for change in (
        {"last_seq": 3},  # last record is not last_seq
        {"records": list(reversed(_records(1, 2)))},
        {"batch_no": 2},  # batch 2 needs a prev hash
        {"records": []},
        {"office_code": "bad code"},
    ):
        with pytest.raises(env.EnvelopeError):
            env.build_batch(**{**base, **change})


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=600))
def test_garbage_never_crashes(data: bytes) -> None:
    k = X25519PrivateKey.generate()
    for blob in (data, b"WDU1" + data, b"WDU1\x00\x00\x00\x10" + data):
        with pytest.raises(env.EnvelopeError):
            env.open_uplink(blob, signer_key=Ed25519PrivateKey.generate().public_key(), recipient=k)


def test_document_round_trip_and_tamper(keys: dict) -> None:
    body = {"procedures": [{"code": "1.001", "name": "Đăng ký khai sinh", "days": 1}]}
    blob = env.build_document(kind="procedures", version="2025.1", body=body, signer=keys["district_sign"])
    doc = env.open_document(blob, verify_key=keys["district_sign"].public_key(), office_code="22918")
    assert doc.body == body and doc.kind == "procedures" and doc.audience == "*"
    for i in range(0, len(blob), 7):
        tampered = bytearray(blob)
        tampered[i] ^= 0x04
        with pytest.raises(env.EnvelopeError):
            env.open_document(bytes(tampered), verify_key=keys["district_sign"].public_key())
    with pytest.raises(env.EnvelopeError) as err:
        env.open_document(blob, verify_key=keys["ward"].public_key())
    assert err.value.code == "bad_signature"


def test_document_for_another_ward_is_refused(keys: dict) -> None:
    blob = env.build_document(
        kind="review", version="2025-03#1", body={"month": "2025-03", "decision": "returned"},
        signer=keys["district_sign"], audience="11111",
    )
    env.open_document(blob, verify_key=keys["district_sign"].public_key(), office_code="11111")
    with pytest.raises(env.EnvelopeError) as err:
        env.open_document(blob, verify_key=keys["district_sign"].public_key(), office_code="22918")
    assert err.value.code == "wrong_audience"


def test_escrow_wrap_unwrap() -> None:
    recovery = X25519PrivateKey.generate()
    secret = bytes(range(32))
    blob = env.wrap_key_to(recovery.public_key(), secret, b"store-1/escrow")
    assert env.unwrap_key(recovery, blob, b"store-1/escrow") == secret
    assert env.wrap_key_to(env.raw_public(recovery), secret, b"a") != env.wrap_key_to(recovery.public_key(), secret, b"a")
    with pytest.raises(env.EnvelopeError):
        env.unwrap_key(recovery, blob, b"store-2/escrow")
    with pytest.raises(env.EnvelopeError):
        env.unwrap_key(X25519PrivateKey.generate(), blob, b"store-1/escrow")
    with pytest.raises(env.EnvelopeError):
        env.unwrap_key(recovery, blob[:-1] + bytes([blob[-1] ^ 1]), b"store-1/escrow")
