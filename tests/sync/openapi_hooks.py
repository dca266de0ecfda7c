"""Schemathesis hooks for the receiver's conformance run (``SCHEMATHESIS_HOOKS``).

The receiver's document says an upload body has the format ``ward-desk-envelope``: a
sealed envelope, which JSON Schema cannot spell out. As schemathesis asks of any
custom format, this module says how to make one: real envelopes (heartbeats and
first batches) sealed by a ward the district enrolled, whose keys the test hands over
in the JSON file named by ``WARD_DESK_TEST_ENVELOPE_KEYS``.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import schemathesis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import strategies as st

from district_desk.receiver import ENVELOPE_FORMAT
from sync_agent import envelope as env
from sync_agent.keyfiles import DistrictPublicKeys

_KEYS = json.loads(Path(os.environ["WARD_DESK_TEST_ENVELOPE_KEYS"]).read_text(encoding="utf-8"))
OFFICE = _KEYS["office"]
SIGNER = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(_KEYS["signing_key"]))
RECIPIENT = DistrictPublicKeys.read(Path(_KEYS["district_pub"])).encrypt
START = datetime(2025, 3, 3, 1, 0)


def _heartbeat(pending: int) -> dict[str, object]:
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    return {"pending": pending, "oldest_pending_s": 0, "free_disk_bytes": 10**10,
            "ward_clock": now.isoformat(timespec="microseconds") + "Z"}


def _records(n: int) -> list[dict[str, object]]:
    out = []
    for i in range(n):
        uid, at = str(uuid.uuid4()), START + timedelta(minutes=i)
        out.append({"seq": i + 1, "entity": "dossier", "entity_uid": uid, "version": 1, "op": "upsert",
                    "created_at": at.isoformat(timespec="microseconds"), "payload": {
                        "uid": uid, "code": f"{OFFICE}-250303-{i:04d}", "procedure_code": "1.001193",
                        "field": "Hộ tịch", "state": "received", "channel": "direct",
                        "received_at": at.isoformat(timespec="microseconds"),
                        "due_at": (at + timedelta(days=3)).isoformat(timespec="microseconds"),
                        "applicant_name": "Trần Thị Bé", "lookup_secret": f"S{i:05d}"}})
    return out


def _seal(kind: str, n: int) -> bytes:
    if kind == "heartbeat":
        return env.build_heartbeat(office_code=OFFICE, heartbeat=_heartbeat(0), recipient=RECIPIENT, signer=SIGNER)
    return env.build_batch(office_code=OFFICE, batch_no=1, first_seq=1, last_seq=n, prev_batch_hash="",
                           records=_records(n), heartbeat=_heartbeat(n), recipient=RECIPIENT,
                           signer=SIGNER).envelope


schemathesis.openapi.format(
    ENVELOPE_FORMAT,
    st.builds(_seal, st.sampled_from(["heartbeat", "batch"]), st.integers(min_value=1, max_value=5)),
)
