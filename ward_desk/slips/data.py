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

from peewee import JOIN

from ward_desk.domain.lifecycle import PAUSED, Action, State
from ward_desk.domain.text import split_items
from ward_desk.domain.timing import Timing, classify, to_local
from ward_desk.i18n import t
from ward_desk.services.session import Session
from ward_desk.slips.model import (
    APOLOGY,
    CONTROL,
    FORM_NUMBERS,
    FORM_TITLES,
    RECEIPT,
    REFUSAL,
    STOP,
    SUPPLEMENT,
    DocumentRow,
    HistoryRow,
    SlipData,
    centre_name_for,
    check_kind,
    date_line,
    format_date,
    format_datetime,
    place_from_office,
    processing_time_text,
)
from ward_desk.slips.output import render_slip, slips_dir
from ward_desk.store.models import ApologySlip, Dossier, Event, User

CHANNEL_LABELS = {"direct": "Trực tiếp", "online": "Trực tuyến", "postal": "Qua dịch vụ bưu chính công ích"}
# What a caller may pass in ``extra`` (anything else is a programming error).
EXTRA_KEYS = frozenset({
    "reason", "requested_items", "new_due_at", "previous_due_at", "signer_name", "clerk_name",
    "contact_phone", "place", "issued_at", "status_base_url",
})
_REASON_ACTIONS = {SUPPLEMENT: "request_supplement", REFUSAL: "reject", STOP: "withdraw"}
# The forms are official Vietnamese documents whatever language the desk speaks.
FORM_LANGUAGE = "vi"


def _money(dong: int) -> str:
    return f"{dong:,} đồng".replace(",", ".")  # Vietnamese groups thousands with dots


def _last_event(dossier: Dossier, action: str) -> Event | None:
    return (Event.select(Event.reason, Event.legal_basis, Event.data, Event.at)
            .where((Event.dossier == dossier) & (Event.action == action))
            .order_by(Event.id.desc()).first())


def return_method_text(channel: str, centre_name: str, address: str = "") -> str:
    """The receipt's "how the result is returned" sentence (item 6 of form 01), by the
    channel the dossier came in through."""
    if channel == "online":
        return f"Trên Cổng Dịch vụ công hoặc trực tiếp tại {centre_name}"
    return f"Trực tiếp tại {centre_name}"


def office_names(session: Session) -> dict[str, str]:
    """The issuer's names printed on every form: from ``config.toml`` (``centre_name``,
    ``authority_name``, ``province_name``), else derived from the office's name. A config
    file that cannot be read leaves the derived names (the desk reports the file at start)."""
    from ward_desk.config import Settings, load_settings
    from ward_desk.errors import WardDeskError

    try:
        settings = load_settings(session.store.data_dir)
    except WardDeskError:
        settings = Settings()
    return {"centre_name": settings.centre_name or centre_name_for(session.office.name),
            "authority_name": settings.authority_name, "province_name": settings.province_name}


def requested_items_of(event: Event | None, missing_docs: tuple[str, ...]) -> tuple[str, ...]:
    """What the supplement request asked for: the items recorded on the request event
    (``data["items"]``, see ``dossiers.move``), else, for a request recorded before items
    were, the checklist's papers marked not received, else the reason's parts."""
    if event is None:
        return missing_docs
    items = json.loads(event.data or "{}").get("items") or []
    if items:
        return tuple(str(i) for i in items)
    if missing_docs:
        return missing_docs
    return split_items(event.reason)


_RESULT_STEPS = (Action.MARK_RESULT_READY.value, Action.RETURN_RESULT.value)
_TIMING_TEXT = {Timing.EARLY: "Trước hạn", Timing.ON_TIME: "Đúng hạn", Timing.LATE: "Trễ hạn"}


def history_rows(session: Session, dossier: Dossier) -> tuple[HistoryRow, ...]:
    """The control sheet's rows: every recorded step of the dossier, who did it (and at
    which counter, when the step says), what came of it, and whether it was in time.

    A result step (ready, returned) is early / on time / late by the statutory due date,
    as the period report counts it; another step is within or past that date; a step
    taken while the clock was paused (waiting for a supplement, suspended) is neither."""
    tz, lang = session.rules.tz, FORM_LANGUAGE
    events = (Event.select(Event, User).join(User, JOIN.LEFT_OUTER, on=(Event.actor == User.id))
              .where(Event.dossier == dossier).order_by(Event.id))
    rows: list[HistoryRow] = []
    due: datetime | None = None
    for e in events:
        data = json.loads(e.data or "{}")
        actor = e.actor.full_name if e.actor_id else ""
        # The counter (quầy) the step was done at: a column of the event where the store has
        # one, else in the event's data (as an import may have recorded it).
        counter = getattr(e, "counter", "") or data.get("counter", "")
        if counter:
            actor = f"{actor} (quầy {counter})".strip()
        if e.kind == "transition" and e.action:
            step = t(f"lifecycle.action.{e.action}", lang)
        else:
            step = t(f"slips.step.{e.kind}", lang)
            if step == f"slips.step.{e.kind}":  # a kind of event newer than this sheet: still a row
                step = t("slips.step.note", lang)
        result = t(f"lifecycle.state.{e.to_state}", lang)
        if e.reason:
            result = f"{result}: {e.reason}"
        timing = ""
        if e.kind == "intake":
            due = e.due_at
        elif e.kind == "transition":
            if due is not None and e.from_state not in {s.value for s in PAUSED}:
                if e.action in _RESULT_STEPS:
                    timing = _TIMING_TEXT[classify(e.at, due, session.calendar, session.rules)]
                elif e.to_state not in (State.REJECTED.value, State.WITHDRAWN.value):
                    timing = "Trong hạn" if e.at <= due else "Quá hạn"
            if e.due_at is not None:  # a supplement completed or a pause ended: a new statutory date
                due = e.due_at
        rows.append(HistoryRow(format_datetime(to_local(e.at, tz)), actor, step, result, timing))
    return tuple(rows)


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
    requested = missing_docs
    if kind == RECEIPT:
        issued_at = dossier.received_at
        received_by = dossier.received_by
        if received_by is not None:
            clerk = received_by.full_name
    elif kind in _REASON_ACTIONS:
        event = _last_event(dossier, _REASON_ACTIONS[kind])
        if event is not None:
            reason, legal_basis = event.reason, event.legal_basis or legal_basis
        if kind == SUPPLEMENT:
            requested = requested_items_of(event, missing_docs)
        if kind == STOP and event is not None:
            issued_at = event.at  # the notice is dated the day the dossier was stopped
    elif kind == APOLOGY:
        slip = (ApologySlip.select().where(ApologySlip.dossier == dossier)
                .order_by(ApologySlip.id.desc()).first())
        if slip is not None:
            reason, previous_due, new_due, issued_at = (slip.reason, slip.previous_due_at,
                                                        slip.new_due_at, slip.issued_at)
    issued_at = extra.get("issued_at", issued_at)
    place = extra.get("place") or place_from_office(office.name)
    issued_day = to_local(issued_at, tz).date()
    names = office_names(session)

    return SlipData(
        office_name=office.name,
        office_code=office.code,
        upstream_label=office.upstream_label or "",
        **names,
        form_number=FORM_NUMBERS[kind],
        form_title=FORM_TITLES[kind],
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
        return_method=return_method_text(dossier.channel, names["centre_name"], dossier.applicant_address),
        documents=received_docs,
        requested_items=tuple(extra.get("requested_items", requested)),
        history=history_rows(session, dossier) if kind == CONTROL else (),
    )


def print_slip(session: Session, dossier: Dossier, kind: str, fmt: str = "pdf",
               extra: Mapping[str, Any] | None = None) -> Path:
    """Build, render and write the slip under ``<data_dir>/slips/`` (with the
    office's template overrides from ``<data_dir>/templates/``); return its path."""
    data_dir = session.store.data_dir
    data = slip_data_from(session, dossier, kind, extra)
    return render_slip(data, kind, slips_dir(data_dir), fmt, data_dir=data_dir)
