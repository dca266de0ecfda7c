"""Build a :class:`SlipData` from the store (the services side of slips).

Rendering stays pure; this module is the only one in ``ward_desk.slips`` that
reads models, and it only reads. It runs in the caller's thread (the UI calls
it from a worker, like every store access).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from ward_desk.domain.timing import to_local
from ward_desk.services.session import Session
from ward_desk.slips.model import (
    APOLOGY,
    FORM_NUMBERS,
    RECEIPT,
    REFUSAL,
    SUPPLEMENT,
    DocumentRow,
    SlipData,
    check_kind,
    date_line,
    format_date,
    format_datetime,
    place_from_office,
    processing_time_text,
)
from ward_desk.slips.output import render_slip, slips_dir
from ward_desk.store.models import ApologySlip, Dossier, Event

CHANNEL_LABELS = {"direct": "Trực tiếp", "online": "Trực tuyến", "postal": "Qua dịch vụ bưu chính công ích"}
# What a caller may pass in ``extra`` (anything else is a programming error).
EXTRA_KEYS = frozenset({
    "reason", "requested_items", "new_due_at", "previous_due_at", "signer_name", "clerk_name",
    "contact_phone", "place", "issued_at", "status_base_url",
})
_REASON_ACTIONS = {SUPPLEMENT: "request_supplement", REFUSAL: "reject"}


def _money(dong: int) -> str:
    return f"{dong:,} đồng".replace(",", ".")  # Vietnamese groups thousands with dots


def _last_reason(dossier: Dossier, action: str) -> tuple[str, str]:
    event = (Event.select(Event.reason, Event.legal_basis)
             .where((Event.dossier == dossier) & (Event.action == action))
             .order_by(Event.id.desc()).first())
    return (event.reason, event.legal_basis) if event else ("", "")


def slip_data_from(session: Session, dossier: Dossier, kind: str,
                   extra: Mapping[str, Any] | None = None) -> SlipData:
    """The slip ``kind`` for ``dossier`` as the office would print it now.

    Reads the office, the procedure, the dossier's documents checklist and, where
    the kind needs them, the latest supplement/refusal event (reason) or apology
    slip (reason, missed and new appointment). ``extra`` overrides or supplies
    values the store does not hold (keys in :data:`EXTRA_KEYS`; datetimes are
    naive UTC like everything stored), e.g. a new appointment to preview before
    the apology is issued.
    """
    check_kind(kind)
    extra = dict(extra or {})
    unknown = set(extra) - EXTRA_KEYS
    if unknown:
        raise ValueError(f"unknown slip extra keys {sorted(unknown)}; allowed: {sorted(EXTRA_KEYS)}")
    tz = session.rules.tz
    office = session.office
    procedure = dossier.procedure
    officer = dossier.officer

    def local(dt: datetime | None) -> str:
        return format_datetime(to_local(dt, tz)) if dt else ""

    checklist = json.loads(dossier.documents or "[]")
    received_docs = tuple(DocumentRow(d["name"]) for d in checklist if d.get("received", True))
    missing_docs = tuple(d["name"] for d in checklist if not d.get("received", True))

    reason, legal_basis = "", procedure.legal_basis
    previous_due, new_due = dossier.statutory_due_at, None
    issued_at: datetime = session.clock()
    clerk = session.user.full_name
    if kind == RECEIPT:
        issued_at = dossier.received_at
        received_by = dossier.received_by
        if received_by is not None:
            clerk = received_by.full_name
    elif kind in _REASON_ACTIONS:
        reason, basis = _last_reason(dossier, _REASON_ACTIONS[kind])
        legal_basis = basis or legal_basis
    elif kind == APOLOGY:
        slip = (ApologySlip.select().where(ApologySlip.dossier == dossier)
                .order_by(ApologySlip.id.desc()).first())
        if slip is not None:
            reason, previous_due, new_due, issued_at = (slip.reason, slip.previous_due_at,
                                                        slip.new_due_at, slip.issued_at)
    issued_at = extra.get("issued_at", issued_at)
    place = extra.get("place") or place_from_office(office.name)
    issued_day = to_local(issued_at, tz).date()

    return SlipData(
        office_name=office.name,
        office_code=office.code,
        upstream_label=office.upstream_label or "",
        form_number=FORM_NUMBERS[kind],
        dossier_code=dossier.code,
        lookup_secret=dossier.lookup_secret or "",
        status_base_url=extra.get("status_base_url", office.upstream_url or ""),
        applicant_name=dossier.applicant_name,
        applicant_id_number=dossier.applicant_id_number,
        applicant_phone=dossier.applicant_phone,
        applicant_address=dossier.applicant_address,
        procedure_name=procedure.name,
        procedure_code=procedure.code,
        procedure_field=procedure.field,
        legal_basis=legal_basis,
        processing_time=processing_time_text(procedure.processing_days),
        fee=_money(dossier.fee_paid) if dossier.fee_paid else procedure.fee,
        channel=CHANNEL_LABELS.get(dossier.channel, dossier.channel),
        received_at=local(dossier.received_at),
        due_at=local(dossier.due_at),
        previous_due_at=local(extra.get("previous_due_at", previous_due)),
        new_due_at=local(extra.get("new_due_at", new_due)),
        reason=extra.get("reason", reason),
        officer_name=officer.full_name if officer is not None else "",
        clerk_name=extra.get("clerk_name", clerk),
        counter=Event.select(Event.counter).where(Event.dossier == dossier, Event.kind == "intake")
        .scalar() or "",
        signer_name=extra.get("signer_name", ""),
        contact_phone=extra.get("contact_phone", ""),
        place=place,
        issued_on=format_date(issued_day),
        date_line=date_line(place, issued_day),
        documents=received_docs,
        requested_items=tuple(extra.get("requested_items", missing_docs)),
    )


def print_slip(session: Session, dossier: Dossier, kind: str, fmt: str = "pdf",
               extra: Mapping[str, Any] | None = None) -> Path:
    """Build, render and write the slip under ``<data_dir>/slips/`` (with the
    office's template overrides from ``<data_dir>/templates/``); return its path."""
    data_dir = session.store.data_dir
    data = slip_data_from(session, dossier, kind, extra)
    return render_slip(data, kind, slips_dir(data_dir), fmt, data_dir=data_dir)
