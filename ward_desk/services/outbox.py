"""Appending committed changes to the outbox: the only way a change reaches upstream."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from ward_desk.store.models import Outbox


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot serialise {type(value).__name__} for the outbox")


def canonical_json(payload: Any) -> str:
    """JSON with sorted keys and no spaces: the one serialisation used for hashes,
    signatures and the outbox, so the same record always gives the same bytes."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def record_change(entity: str, entity_uid: str, version: int, payload: dict[str, Any], at: datetime) -> int:
    """Append one change to the outbox and return its sequence number.

    Must be called inside the transaction that makes the change, so a change and
    its outbox row commit (or roll back) together.
    """
    row = Outbox.create(
        entity=entity,
        entity_uid=entity_uid,
        version=version,
        op="upsert",
        payload=canonical_json(payload),
        created_at=at,
    )
    return int(row.seq)
