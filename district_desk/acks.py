"""The district's signed answers (protocol 2): acknowledgements (``sync_agent/ack.py``)
and the document index (``sync_agent/docindex.py``).

Kept apart from the receiver's routes so the one rule "every answer to an
uplink envelope is signed" lives in one place.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from district_desk.ingest import IngestResult
from district_desk.keys import DistrictKeys
from sync_agent.ack import sign_ack
from sync_agent.docindex import sign_index


def signed_answer(result: IngestResult, keys: DistrictKeys, now: datetime | None = None) -> dict[str, Any]:
    """The JSON answer to one envelope: protocol 1's unsigned fields (which a
    protocol 1 ward reads) plus ``signed_ack``, which a protocol 2 ward requires."""
    at = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None)
    ack = result.ack
    fields = {
        "office": ack.office_code,
        "acked_seq": ack.acked_seq,
        "acked_batch_no": ack.acked_batch_no,
        "acked_batch_hash": ack.acked_batch_hash,
        "highest_batch_no": ack.highest_batch_no,
        "missing_batches": list(ack.missing_batches),
        "batch_no": result.batch_no,
        "batch_hash": result.batch_hash,
        "status": result.status,
        "in_reply_to": result.envelope_hash,
        "issued_at": at.isoformat(timespec="seconds") + "Z",
    }
    return {**result.to_json(), "signed_ack": sign_ack(keys.sign, fields)}


def signed_index(store: Any, keys: DistrictKeys, office: str, nonce: str, docs: list[Any]) -> dict[str, str]:
    """The signed document index for ``office`` answering ``nonce`` (protocol 2)."""
    return sign_index(keys.sign, office, nonce, [{"doc_id": d.doc_id, "kind": d.kind, "seq": d.seq} for d in docs])
