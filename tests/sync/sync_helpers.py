"""A simulated ward for the sync tests: keys, an outbox and the batch chain."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync_agent import envelope as env
from sync_agent.keyfiles import DistrictPublicKeys, WardPublicKey


def utc_iso(dt: datetime) -> str:
    return dt.isoformat(timespec="microseconds")


@dataclass
class SimWard:
    """Builds batches the way the ward agent does, from an in-memory outbox."""

    office_code: str
    district: DistrictPublicKeys
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    batch_no: int = 0
    last_hash: str = ""
    acked_seq: int = 0
    built_seq: int = 0
    history: list[tuple[int, int, int, str]] = field(default_factory=list)

    def public(self) -> WardPublicKey:
        return WardPublicKey(self.office_code, f"Phường {self.office_code}", env.raw_public(self.key))

    def write_pub(self, path: Path) -> Path:
        path.write_text(self.public().to_json(), encoding="utf-8")
        return path

    def add_dossiers(self, n: int, *, start: datetime | None = None) -> list[str]:
        """Append n dossier intakes (dossier + event records) and return the codes."""
        start = start or datetime(2025, 3, 3, 1, 0)
        codes = []
        base = sum(1 for r in self.outbox if r["entity"] == "dossier")
        for k in range(n):
            i = base + k
            uid = str(uuid.uuid4())
            code = f"{self.office_code}-250303-{i:04d}"
            at = start + timedelta(minutes=i)
            self.append("dossier", uid, 1, {
                "uid": uid, "code": code, "procedure_code": "1.001193", "field": "Hộ tịch",
                "state": "received", "channel": "direct", "received_at": utc_iso(at),
                "due_at": utc_iso(at + timedelta(days=3)), "applicant_name": "Trần Thị Bé",
                "applicant_id_number": "001190000001", "lookup_secret": f"S{i:05d}",
            }, at)
            self.append("event", str(uuid.uuid4()), 1, {"dossier_uid": uid, "kind": "intake", "to_state": "received"}, at)
            codes.append(code)
        return codes

    def update_dossier(self, code: str, **changes: Any) -> None:
        last = [r for r in self.outbox if r["entity"] == "dossier" and r["payload"]["code"] == code][-1]
        payload = {**last["payload"], **changes}
        self.append("dossier", last["entity_uid"], last["version"] + 1, payload, datetime(2025, 3, 4))

    def append(self, entity: str, uid: str, version: int, payload: dict[str, Any], at: datetime) -> None:
        self.outbox.append({
            "seq": len(self.outbox) + 1, "entity": entity, "entity_uid": uid, "version": version,
            "op": "upsert", "payload": payload, "created_at": utc_iso(at),
        })

    def heartbeat(self) -> dict[str, Any]:
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        return {"pending": len(self.outbox) - self.acked_seq, "oldest_pending_s": 0,
                "free_disk_bytes": 10**10, "ward_clock": now.isoformat(timespec="microseconds") + "Z"}

    def next_batch(self, size: int = 100, *, advance: bool = True, first: int | None = None) -> env.SealedBatch:
        """Cut the next batch after the last one built (not the last acked)."""
        first_seq = first if first is not None else (self.built_seq + 1)
        records = [r for r in self.outbox if first_seq <= r["seq"] < first_seq + size]
        sealed = env.build_batch(
            office_code=self.office_code, batch_no=self.batch_no + 1, first_seq=first_seq,
            last_seq=records[-1]["seq"], prev_batch_hash=self.last_hash, records=records,
            heartbeat=self.heartbeat(), recipient=self.district.encrypt, signer=self.key,
        )
        if advance:
            self.history.append((self.batch_no + 1, first_seq, sealed.last_seq, self.last_hash))
            self.batch_no += 1
            self.last_hash = sealed.batch_hash
            self.built_seq = sealed.last_seq
        return sealed


    def rebuild(self, batch_no: int) -> env.SealedBatch:
        """Build batch ``batch_no`` again (fresh encryption, same content)."""
        no, first, last, prev = self.history[batch_no - 1]
        records = [r for r in self.outbox if first <= r["seq"] <= last]
        return env.build_batch(
            office_code=self.office_code, batch_no=no, first_seq=first, last_seq=last,
            prev_batch_hash=prev, records=records, heartbeat=self.heartbeat(),
            recipient=self.district.encrypt, signer=self.key,
        )

    def all_batches(self, size: int = 100) -> list[env.SealedBatch]:
        out = []
        while self.built_seq < len(self.outbox):
            out.append(self.next_batch(size))
        return out
