"""The monthly self-assessment: draft, score manual criteria, sign, submit, revise, review.

One row of ``self_assessment`` per revision of a month. A draft is filled with
the computed criteria (from the month's dossiers) and the leader's manual
scores; submitting signs it with the office's Ed25519 key and locks it. Any
later change is a new revision (with a reason) that starts as a draft copy of
the last one. Upstream's review (accepted / returned with a comment) arrives by
sync and lands through :func:`apply_review`. Every write appends the revision's
full state to the outbox in the same transaction.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from ward_desk.domain.criteria import (
    CriteriaSet,
    ItemScore,
    ManualScore,
    Scorecard,
    check_manual,
    load_criteria,
    parse_points,
    score,
)
from ward_desk.domain.indicators import IndicatorValue, compute_all
from ward_desk.domain.report_math import Counts, Period, parse_period
from ward_desk.domain.validation import clean_text
from ward_desk.errors import InvalidInput, NotFound, RuleViolation
from ward_desk.services.outbox import canonical_json, record_change
from ward_desk.services.reporting import month_counts
from ward_desk.services.session import Session
from ward_desk.store.models import Office, ReferenceData, SelfAssessment, User

__all__ = [
    "DEFAULT_SET",
    "AssessmentView",
    "active_set",
    "apply_review",
    "ensure_signing_key",
    "history",
    "revise",
    "score_manual",
    "show",
    "signed_payload",
    "submit",
    "verify_signature",
]

DEFAULT_SET = "default-766-2025"
CRITERIA_DIR = Path(__file__).resolve().parent.parent / "data" / "criteria"
DRAFT, SUBMITTED, RETURNED, ACCEPTED = "draft", "submitted", "returned", "accepted"
LOCKED = (SUBMITTED, RETURNED, ACCEPTED)


# --- criteria sets ----------------------------------------------------------------


@lru_cache(maxsize=16)
def _parse(text: str, source: str) -> CriteriaSet:
    return load_criteria(text, source)


def load_set_file(name: str) -> CriteriaSet:
    """A criteria set shipped with the app (``ward_desk/data/criteria/<name>.toml``)."""
    path = CRITERIA_DIR / f"{name}.toml"
    if not path.is_file():
        raise NotFound("criteria.not_found", name=name)
    return _parse(path.read_text(encoding="utf-8"), path.name)


def _upstream_sets() -> list[CriteriaSet]:
    rows = (ReferenceData.select().where((ReferenceData.kind == "criteria_set") & ReferenceData.applied_at.is_null(False))
            .order_by(ReferenceData.applied_at.desc(), ReferenceData.id.desc()))
    return [_parse(r.body, f"upstream:{r.version}") for r in rows]


def active_set() -> CriteriaSet:
    """The set a new draft uses: the newest one applied from upstream, else the shipped default."""
    for found in _upstream_sets():
        if found.status == "in_force":
            return found
    return load_set_file(DEFAULT_SET)


def find_set(key: str) -> CriteriaSet | None:
    """The set recorded on a revision (``id@version``), if this installation still has it."""
    candidates = [*_upstream_sets(), *(load_set_file(p.stem) for p in sorted(CRITERIA_DIR.glob("*.toml")))]
    return next((c for c in candidates if c.key == key), None)


# --- keys and signatures ----------------------------------------------------------------


def ensure_signing_key(session: Session) -> bytes:
    """The office's Ed25519 private key (raw 32 bytes), generated and stored on first use.

    ``init`` normally creates it; this covers stores made before that, in its own
    short transaction so two desks never make two keys.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if session.office.signing_key:
        return bytes(session.office.signing_key)
    with session.store.db.atomic("IMMEDIATE"):
        office = Office.get_by_id(session.office.id)
        if not office.signing_key:
            office.signing_key = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
            )
            office.save(only=[Office.signing_key])
    session.office = office
    return bytes(office.signing_key)


def public_key(session: Session) -> bytes:
    """The office's Ed25519 public key (raw 32 bytes): what upstream verifies submissions with."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.from_private_bytes(ensure_signing_key(session))
    return private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def signed_payload(row: SelfAssessment, office_code: str) -> str:
    """The canonical JSON a submission's signature covers."""
    return canonical_json({
        "office_code": office_code,
        "month": row.month,
        "revision": row.revision,
        "uid": row.uid,
        "criteria_set": row.criteria_set,
        "scores": json.loads(row.scores),
        "indicators": json.loads(row.indicators),
        "total": row.total,
        "band": row.band,
        "revision_reason": row.revision_reason,
        "signed_by": row.signed_by.uid if row.signed_by_id else None,
        "submitted_at": row.submitted_at,
    })


def verify_signature(public_key_raw: bytes, payload: str, signature: bytes) -> bool:
    """True if ``signature`` is the office key's Ed25519 signature over ``payload``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(public_key_raw).verify(signature, payload.encode("utf-8"))
    except (InvalidSignature, ValueError):
        return False
    return True


# --- views ----------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentView:
    """What the leader sees: the scorecard of a month's latest (or a given) revision."""

    month: str
    revision: int  # 0: nothing stored yet (a preview)
    state: str
    criteria_set: CriteriaSet | None
    set_key: str
    items: tuple[ItemScore, ...]
    total_c: int
    max_c: int
    band_id: str
    counts: Counts | None  # None for a stored, locked revision (its indicators are stored instead)
    revision_reason: str = ""
    review_comment: str = ""
    reviewed_at: datetime | None = None
    signed_by: str = ""  # full name
    submitted_at: datetime | None = None
    signature: bytes | None = None
    uid: str = ""

    @property
    def pending(self) -> tuple[str, ...]:
        """Manual items with no score yet."""
        return tuple(i.criterion_id for i in self.items if i.points_c is None)

    @property
    def locked(self) -> bool:
        """True once submitted (and after review): changes need a new revision."""
        return self.state in LOCKED

    def band_name(self, language: str) -> str:
        """The band's name in ``language`` ("" when none or the set is unknown here)."""
        if self.criteria_set is None:
            return self.band_id
        band = next((b for b in self.criteria_set.bands if b.id == self.band_id), None)
        return band.name(language) if band else ""

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` and exports."""
        return {
            "month": self.month,
            "revision": self.revision,
            "state": self.state,
            "criteria_set": self.set_key,
            "total": self.total_c / 100,
            "max": self.max_c / 100,
            "band": self.band_id,
            "complete": not self.pending,
            "pending": list(self.pending),
            "items": [{"id": i.criterion_id, **i.as_dict(), "points": None if i.points_c is None else i.points_c / 100,
                       "max": i.max_c / 100} for i in self.items],
            "revision_reason": self.revision_reason,
            "review_comment": self.review_comment,
            "reviewed_at": self.reviewed_at.isoformat() if self.reviewed_at else None,
            "signed_by": self.signed_by,
            "submitted_at": self.submitted_at.isoformat() if self.submitted_at else None,
            "signature": self.signature.hex() if self.signature else None,
        }


def _month(text: str) -> Period:
    try:
        period = parse_period(text)
    except InvalidInput:
        raise InvalidInput("assess.bad_month", text=text) from None
    if period.kind != "month":
        raise InvalidInput("assess.bad_month", text=text)
    return period


def _latest(month: str) -> SelfAssessment | None:
    return (SelfAssessment.select().where(SelfAssessment.month == month)
            .order_by(SelfAssessment.revision.desc()).first())


def _manual_from(row: SelfAssessment) -> dict[str, ManualScore]:
    out: dict[str, ManualScore] = {}
    for item_id, data in json.loads(row.scores).items():
        if data.get("kind") == "manual" and data.get("points") is not None:
            out[item_id] = ManualScore(int(data["points"]), data.get("evidence", ""), data.get("attachment", ""))
    return out


def _card(session: Session, period: Period, criteria_set: CriteriaSet,
          manual: dict[str, ManualScore]) -> tuple[Scorecard, Counts, dict[str, IndicatorValue]]:
    counts = month_counts(session, period)
    indicators = compute_all(counts)
    return score(criteria_set, indicators, manual), counts, indicators


def _stored_items(row: SelfAssessment) -> tuple[ItemScore, ...]:
    items = []
    for item_id, data in json.loads(row.scores).items():
        ind = data.get("indicator")
        items.append(ItemScore(
            criterion_id=item_id, group_id=data.get("group", ""), kind=data["kind"], points_c=data.get("points"),
            max_c=int(data["max"]), evidence=data.get("evidence", ""), attachment=data.get("attachment", ""),
            indicator=IndicatorValue(ind["id"], ind["kind"], ind["numerator"], ind["denominator"], ind["value"])
            if ind else None,
        ))
    return tuple(items)


def _view_of(session: Session, row: SelfAssessment,
             computed: tuple[Scorecard, Counts] | None = None) -> AssessmentView:
    if row.state == DRAFT:
        # A draft follows the dossiers until it is submitted: recompute its computed items.
        criteria_set = find_set(row.criteria_set) or active_set()
        if computed is None:
            card, counts, _ = _card(session, _month(row.month), criteria_set, _manual_from(row))
        else:
            card, counts = computed
        items, total, band = card.items, card.total_c, (card.band.id if card.band else "")
    else:
        criteria_set = find_set(row.criteria_set)
        items, total, band, counts = _stored_items(row), row.total, row.band, None
        if criteria_set is not None:
            # The stored JSON has sorted keys; show the items in the set's order.
            order = {c.id: n for n, (_, c) in enumerate(criteria_set.items())}
            items = tuple(sorted(items, key=lambda i: order.get(i.criterion_id, len(order))))
    signer = User.get_by_id(row.signed_by_id).full_name if row.signed_by_id else ""
    return AssessmentView(
        month=row.month, revision=row.revision, state=row.state, criteria_set=criteria_set,
        set_key=row.criteria_set, items=items, total_c=total,
        max_c=criteria_set.total_c if criteria_set else sum(i.max_c for i in items), band_id=band, counts=counts,
        revision_reason=row.revision_reason, review_comment=row.review_comment, reviewed_at=row.reviewed_at,
        signed_by=signer, submitted_at=row.submitted_at,
        signature=bytes(row.signature) if row.signature else None, uid=row.uid,
    )


def show(session: Session, month: str, revision: int | None = None) -> AssessmentView:
    """The month's latest revision (or ``revision``), or a preview when none is stored. Read-only."""
    period = _month(month)
    if revision is not None:
        row = SelfAssessment.get_or_none((SelfAssessment.month == period.label) & (SelfAssessment.revision == revision))
        if row is None:
            raise NotFound("assess.revision_not_found", month=period.label, revision=revision)
        return _view_of(session, row)
    row = _latest(period.label)
    if row is not None:
        return _view_of(session, row)
    criteria_set = active_set()
    card, counts, _ = _card(session, period, criteria_set, {})
    return AssessmentView(
        month=period.label, revision=0, state=DRAFT, criteria_set=criteria_set, set_key=criteria_set.key,
        items=card.items, total_c=card.total_c, max_c=criteria_set.total_c,
        band_id=card.band.id if card.band else "", counts=counts,
    )


def history(month: str) -> list[SelfAssessment]:
    """Every revision of ``month``, oldest first."""
    period = _month(month)
    return list(SelfAssessment.select().where(SelfAssessment.month == period.label).order_by(SelfAssessment.revision))


# --- writes ----------------------------------------------------------------


def _payload(row: SelfAssessment, office_code: str) -> dict[str, Any]:
    return {
        "uid": row.uid,
        "office_code": office_code,
        "month": row.month,
        "revision": row.revision,
        "criteria_set": row.criteria_set,
        "state": row.state,
        "scores": json.loads(row.scores),
        "indicators": json.loads(row.indicators),
        "total": row.total,
        "band": row.band,
        "revision_reason": row.revision_reason,
        "created_by": row.created_by.uid if row.created_by_id else None,
        "signed_by": row.signed_by.uid if row.signed_by_id else None,
        "submitted_at": row.submitted_at,
        "signature": bytes(row.signature) if row.signature else None,
        "signed_payload": signed_payload(row, office_code) if row.signature else None,
        "review_comment": row.review_comment,
        "reviewed_at": row.reviewed_at,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def _save(session: Session, row: SelfAssessment, now: datetime, *, new: bool = False) -> None:
    row.updated_at = now
    if new:
        row.version = 1
        row.save(force_insert=True)
    else:
        row.version += 1
        row.save()
    record_change("self_assessment", row.uid, row.version, _payload(row, session.office.code), now)


def _fill(row: SelfAssessment, card: Scorecard, indicators: dict[str, IndicatorValue]) -> None:
    row.scores = canonical_json({i.criterion_id: i.as_dict() for i in card.items})
    row.indicators = canonical_json({k: v.as_dict() for k, v in indicators.items()})
    row.total = card.total_c
    row.band = card.band.id if card.band else ""


def _editable_draft(session: Session, period: Period, now: datetime) -> SelfAssessment:
    """The month's draft, created (revision 1) if the month has none; refuses a locked month."""
    row = _latest(period.label)
    if row is None:
        return SelfAssessment(
            uid=uuid.uuid4().hex, month=period.label, revision=1, criteria_set=active_set().key, state=DRAFT,
            created_by=session.user, created_at=now, updated_at=now, version=0,
        )
    if row.state != DRAFT:
        raise RuleViolation("assess.locked", month=period.label, revision=row.revision)
    return row


def score_manual(session: Session, month: str, criterion_id: str, points: str | float,
                 evidence: str, attachment: str = "") -> AssessmentView:
    """Record the leader's score of a manual criterion on the month's draft.

    Bounds, step and evidence are checked by the criteria set's rule; a
    submitted month is refused (``assess.locked``): revise it first.
    """
    session.require_role("leader")
    period = _month(month)
    evidence, attachment = clean_text("evidence", evidence), clean_text("attachment", attachment)
    now = session.clock()
    with session.store.db.atomic("IMMEDIATE"):
        row = _editable_draft(session, period, now)
        criteria_set = find_set(row.criteria_set) or active_set()
        given = check_manual(criteria_set.item(criterion_id), parse_points(points), evidence, attachment)
        manual = _manual_from(row) if row.version else {}
        manual[criterion_id] = given
        card, counts, indicators = _card(session, period, criteria_set, manual)
        _fill(row, card, indicators)
        _save(session, row, now, new=row.version == 0)
    return _view_of(session, row, (card, counts))


def submit(session: Session, month: str) -> AssessmentView:
    """Sign the month's draft with the office key and submit it; it is locked from then on.

    Only a leader may submit; the month must be over and every manual item scored.
    The computed items are recomputed at this moment, so what is signed is what
    the dossiers said when the leader signed.
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    session.require_role("leader")
    period = _month(month)
    now = session.clock()
    if period.utc_bounds(session.rules.tz)[1] > now:
        raise RuleViolation("assess.future_month", month=period.label)
    key = Ed25519PrivateKey.from_private_bytes(ensure_signing_key(session))
    with session.store.db.atomic("IMMEDIATE"):
        row = _editable_draft(session, period, now)
        criteria_set = find_set(row.criteria_set) or active_set()
        card, _, indicators = _card(session, period, criteria_set, _manual_from(row) if row.version else {})
        if not card.complete:
            raise InvalidInput("assess.incomplete", pending=", ".join(card.pending))
        _fill(row, card, indicators)
        row.criteria_set = criteria_set.key
        row.state = SUBMITTED
        row.signed_by = session.user
        row.submitted_at = now
        row.signature = key.sign(signed_payload(row, session.office.code).encode("utf-8"))
        _save(session, row, now, new=row.version == 0)
    return _view_of(session, row)


def revise(session: Session, month: str, reason: str) -> AssessmentView:
    """Start a new revision of a submitted (or returned, or accepted) month, with a reason.

    The new revision is a draft carrying the last one's manual scores; the old
    revision stays as it was signed.
    """
    session.require_role("leader")
    period = _month(month)
    reason = clean_text("reason", reason)
    if not reason:
        raise InvalidInput("assess.revision_reason_required", month=period.label)
    now = session.clock()
    with session.store.db.atomic("IMMEDIATE"):
        last = _latest(period.label)
        if last is None:
            raise NotFound("assess.not_found", month=period.label)
        if last.state not in LOCKED:
            raise RuleViolation("assess.not_revisable", month=period.label, state=last.state)
        row = SelfAssessment(
            uid=uuid.uuid4().hex, month=period.label, revision=last.revision + 1, criteria_set=active_set().key,
            state=DRAFT, revision_reason=reason, created_by=session.user, created_at=now, updated_at=now, version=0,
        )
        criteria_set = find_set(row.criteria_set) or active_set()
        manual = {k: v for k, v in _manual_from(last).items() if _is_manual(criteria_set, k)}
        card, counts, indicators = _card(session, period, criteria_set, manual)
        _fill(row, card, indicators)
        _save(session, row, now, new=True)
    return _view_of(session, row, (card, counts))


def _is_manual(criteria_set: CriteriaSet, item_id: str) -> bool:
    try:
        return criteria_set.item(item_id).rule.kind == "manual"  # type: ignore[union-attr]
    except InvalidInput:
        return False


def apply_review(session: Session, month: str, revision: int, status: str, comment: str,
                 at: datetime | None = None) -> AssessmentView:
    """Record upstream's review of a submitted revision: ``accepted`` or ``returned`` (with a comment).

    Called by the sync downlink after it verified the review's signature.
    Applying the same review twice changes nothing (no new outbox row).
    """
    if status not in (ACCEPTED, RETURNED):
        raise InvalidInput("assess.bad_review", status=status)
    comment = clean_text("comment", comment)
    if status == RETURNED and not comment:
        raise InvalidInput("assess.review_comment_required")
    period = _month(month)
    now = session.clock()
    with session.store.db.atomic("IMMEDIATE"):
        row = SelfAssessment.get_or_none((SelfAssessment.month == period.label) & (SelfAssessment.revision == revision))
        if row is None:
            raise NotFound("assess.revision_not_found", month=period.label, revision=revision)
        if row.state == status and row.review_comment == comment:
            return _view_of(session, row)
        if row.state != SUBMITTED:
            raise RuleViolation("assess.not_submitted", month=period.label, revision=revision)
        row.state = status
        row.review_comment = comment
        row.reviewed_at = at or now
        _save(session, row, now)
    return _view_of(session, row)
