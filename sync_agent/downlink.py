"""Applying the district's signed reference data on the ward (PROTOCOL.md §5).

Each document is verified against the district signing key recorded at
enrolment and against this office's code (a review addressed to a neighbour, or
to every ward, is refused), must carry a signed per-kind number above the one
held for its kind (protocol 2: a rolled-back catalogue, criteria set, calendar
or review is refused), and must be listed in the district's signed index for
this request (:mod:`sync_agent.docindex`: a frozen index is refused, and once
the last good one expires the ward says its data is stale); it is kept as received in ``reference_data`` (the whole signed envelope in
``signature``, so it can be verified again later), then applied once:

* ``procedures``: ``{"procedures": [{"code", "name", "field", "days", "fee",
  "online_level", "documents": [...], "legal_basis"}]}`` -> catalogue upsert;
* ``calendar``: ``{"overrides": [{"day": "YYYY-MM-DD", "kind": "off"|"work", "note"}]}``
  and/or ``{"notice": {...}}``, a whole year of days off and make-up days with their
  documents and status (``ward_desk.domain.notices.parse_year_notice``): kept, it
  replaces that year of the shipped calendar file; the calendar is reloaded;
* ``criteria_set``: ``{"toml": "<criteria set file>"}`` (validated before it is kept);
* ``review``: ``{"month": "YYYY-MM", "revision": n, "status": "accepted"|"returned", "comment"}``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from sync_agent.envelope import Document, EnvelopeError, open_document
from ward_desk.errors import WardDeskError

log = logging.getLogger("ward_desk.sync")


def already_received(doc_id: str) -> bool:
    from ward_desk.store.models import ReferenceData

    return ReferenceData.select().where(ReferenceData.version == doc_id).exists()


def receive(session: Any, blob: bytes) -> Document:
    """Verify one downlink envelope, keep it and apply it. Raises EnvelopeError
    for a document that is not authentic, WardDeskError when it cannot apply."""
    from ward_desk.store.models import Office, ReferenceData

    office = Office.select().get()
    if not office.upstream_signing_key:
        raise EnvelopeError("bad_key", "not enrolled")
    doc = open_document(blob, verify_key=bytes(office.upstream_signing_key), office_code=office.code)
    if already_received(doc.doc_id):
        return doc
    from ward_desk.services.outbox import SyncStateStore

    state = SyncStateStore()
    held = state.downlink_seq(doc.kind)
    # A version 1 document (no number) is accepted only while no numbered one of its
    # kind is held, so it can never roll a numbered one back.
    if (doc.seq == 0 and held > 0) or (doc.seq != 0 and doc.seq <= held):
        raise EnvelopeError("rolled_back", f"{doc.kind} {doc.seq} <= {held}")
    body_text = _apply(session, doc)
    now = session.clock()
    with session.store.db.atomic("IMMEDIATE"):
        ReferenceData.create(
            kind=doc.kind, version=doc.doc_id, body=body_text, signature=doc.envelope,
            received_at=now, applied_at=now,
        )
    if doc.seq:
        state.set_downlink_seq(doc.kind, doc.seq)
    if doc.kind == "calendar":
        from ward_desk.services.desk import load_calendar

        session.calendar = load_calendar(session.store.data_dir)  # a year notice counts from now on
    return doc


def _apply(session: Any, doc: Document) -> str:
    """Apply ``doc``; returns the text kept as its body."""
    import json

    body = doc.body if isinstance(doc.body, dict) else {}
    if doc.kind == "review":
        from ward_desk.services.assessment import apply_review

        apply_review(session, str(body.get("month", "")), int(body.get("revision", 1)),
                     str(body.get("status", "")), str(body.get("comment", "")))
    elif doc.kind == "calendar":
        from ward_desk.domain.notices import parse_year_notice
        from ward_desk.services.desk import set_calendar_override

        if "notice" in body:
            parse_year_notice(body["notice"])  # refuses a notice that does not hold together

        for item in body.get("overrides", []):
            set_calendar_override(session, date.fromisoformat(str(item["day"])), str(item["kind"]),
                                  str(item.get("note", "")), source="upstream")
    elif doc.kind == "procedures":
        from ward_desk.services.catalogue import ProcedureRow, upsert_procedures

        rows = [
            ProcedureRow(
                code=str(p["code"]), name=str(p["name"]), field=str(p.get("field", "")), days=int(p["days"]),
                fee=str(p.get("fee", "")), online_level=str(p.get("online_level", "none")),
                documents=tuple(str(d) for d in p.get("documents", [])), legal_basis=str(p.get("legal_basis", "")),
            )
            for p in body.get("procedures", [])
        ]
        with session.store.db.atomic("IMMEDIATE"):
            upsert_procedures(rows, session.clock())
    elif doc.kind == "criteria_set":
        from ward_desk.services.assessment import _parse

        text = str(body.get("toml", ""))
        _parse(text, f"upstream:{doc.doc_id}")  # refuses a set that does not validate
        return text
    return json.dumps(doc.body, ensure_ascii=False, sort_keys=True)


def fetch_and_apply(
    session: Any, get: Callable[[str], tuple[int, bytes]], base_url: str, office_code: str
) -> tuple[list[str], list[str]]:
    """Fetch the district's signed document index (for a fresh nonce) and apply
    what is new, in its order. ``get(url) -> (status, body bytes)``. Returns
    (applied ids, failed ids; "index" when the index itself was refused); one
    bad document never blocks the others."""
    import json
    import secrets

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from sync_agent.docindex import (
        IndexRefused,
        document_request_signature,
        index_request_signature,
        verify_index,
    )
    from ward_desk.services.outbox import SyncStateStore
    from ward_desk.store.models import Office

    state = SyncStateStore()
    office = Office.select().get()
    nonce = secrets.token_hex(16)
    ward_key = Ed25519PrivateKey.from_private_bytes(bytes(office.signing_key or b""))
    sig = index_request_signature(ward_key, office_code, nonce)
    status, raw = get(f"{base_url}/v1/wards/{office_code}/documents?nonce={nonce}&sig={sig}")
    if status != 200:
        state.mark_index(None, f"http_{status}")
        return [], ["index"]
    try:
        answer = json.loads(raw)
        index = verify_index(answer.get("signed_index") if isinstance(answer, dict) else None,
                             bytes(office.upstream_signing_key or b""), office_code, nonce, session.clock())
    except IndexRefused as exc:
        log.warning("downlink index refused: %s", exc.code)
        state.mark_index(None, exc.code)
        return [], ["index"]
    except ValueError:
        state.mark_index(None, "malformed")
        return [], ["index"]
    applied: list[str] = []
    failed: list[str] = []
    for entry in index.documents:
        if already_received(entry.doc_id):
            continue
        doc_sig = document_request_signature(ward_key, office_code, entry.doc_id)
        status, blob = get(f"{base_url}/v1/documents/{entry.doc_id}?office={office_code}&sig={doc_sig}")
        if status != 200:
            failed.append(entry.doc_id)
            continue
        try:
            doc = open_document(blob, verify_key=bytes(office.upstream_signing_key or b""), office_code=office_code)
            if (doc.doc_id, doc.kind, doc.seq) != (entry.doc_id, entry.kind, entry.seq):
                raise EnvelopeError("malformed", "not the document the signed index names")
            receive(session, blob)
            applied.append(entry.doc_id)
        except (EnvelopeError, WardDeskError, KeyError, ValueError, TypeError) as exc:
            log.warning("downlink document %s not applied: %s", entry.doc_id, exc)
            failed.append(entry.doc_id)
    state.mark_index(index.expires_at, "")
    return applied, failed
