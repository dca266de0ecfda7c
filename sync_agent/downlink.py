"""Applying the district's signed reference data on the ward (PROTOCOL.md §5).

Each document is verified against the district signing key recorded at
enrolment and against this office's code (a review addressed to a neighbour is
refused), kept as received in ``reference_data`` (the whole signed envelope in
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
    body_text = _apply(session, doc)
    now = session.clock()
    with session.store.db.atomic():
        ReferenceData.create(
            kind=doc.kind, version=doc.doc_id, body=body_text, signature=doc.envelope,
            received_at=now, applied_at=now,
        )
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
        with session.store.db.atomic():
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
    """Fetch the district's document index and apply what is new.
    ``get(url) -> (status, body bytes)``. Returns (applied ids, failed ids); one
    bad document never blocks the others."""
    import json

    status, raw = get(f"{base_url}/v1/wards/{office_code}/documents")
    if status != 200:
        return [], []
    try:
        index = json.loads(raw).get("documents", [])
    except (ValueError, AttributeError):
        return [], []
    applied: list[str] = []
    failed: list[str] = []
    for entry in index:
        doc_id = str(entry.get("doc_id", "")) if isinstance(entry, dict) else ""
        if not doc_id or already_received(doc_id):
            continue
        status, blob = get(f"{base_url}/v1/documents/{doc_id}")
        if status != 200:
            failed.append(doc_id)
            continue
        try:
            receive(session, blob)
            applied.append(doc_id)
        except (EnvelopeError, WardDeskError, KeyError, ValueError, TypeError) as exc:
            log.warning("downlink document %s not applied: %s", doc_id, exc)
            failed.append(doc_id)
    return applied, failed
