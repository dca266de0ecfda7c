"""The self-assessment workflow on a real store: roles, locking, revisions, review,
signature, outbox, and a malformed criteria set that changes nothing."""

from __future__ import annotations

import json

import pytest

from tests.reports.helpers import intake, local, resolve
from ward_desk.errors import InvalidInput, NotFound, PermissionDenied, RuleViolation
from ward_desk.services import assessment as A
from ward_desk.services.users import insert_user
from ward_desk.store.models import Office, Outbox, ReferenceData, SelfAssessment

MONTH = "2026-02"


@pytest.fixture
def leader(session, clock):
    with session.store.db.atomic():
        return insert_user("lanhdao", "Phạm Thị Lãnh Đạo", "leader", clock.now)


@pytest.fixture
def month_with_dossiers(session, clock):
    for day in (2, 3, 4):
        d = intake(session, clock, local(2026, 2, day, 9), channel="online")
        resolve(session, clock, d.code, local(2026, 2, day, 15), returned=True, rating="very_satisfied")
    clock.now = local(2026, 3, 3, 9)


def _score_all_manual(session, view):
    for item_id in view.pending:
        A.score_manual(session, MONTH, item_id, "3", "Báo cáo số 15/BC-UBND")


def _outbox(uid):
    return [json.loads(o.payload) for o in Outbox.select().where(Outbox.entity_uid == uid).order_by(Outbox.seq)]


def test_draft_explains_computed_items(session, month_with_dossiers):
    view = A.show(session, MONTH)
    assert view.revision == 0 and view.state == "draft"
    on_time = next(i for i in view.items if i.criterion_id == "timeliness.on_time")
    assert on_time.points_c == 1000
    assert on_time.explanation("vi").render("vi") == "Đúng hạn 100,0% = 3/3 → 10/10 điểm"
    assert "disclosure.procedures" in view.pending
    assert SelfAssessment.select().count() == 0  # showing writes nothing


def test_only_a_leader_scores_and_submits(session, month_with_dossiers, leader):
    assert session.user.role == "admin"
    with pytest.raises(PermissionDenied):
        A.score_manual(session, MONTH, "disclosure.procedures", "5", "ảnh")
    with pytest.raises(PermissionDenied):
        A.submit(session, MONTH)
    assert SelfAssessment.select().count() == 0 and Outbox.select().where(Outbox.entity == "self_assessment").count() == 0


def test_submit_signs_locks_and_revises(session, month_with_dossiers, leader):
    session.user = leader
    view = A.show(session, MONTH)
    with pytest.raises(InvalidInput) as info:
        A.score_manual(session, MONTH, "disclosure.procedures", "6,5", "ảnh")
    assert info.value.message.id == "assess.score_out_of_bounds"
    _score_all_manual(session, view)
    with pytest.raises(InvalidInput) as info:
        A.score_manual(session, MONTH, "disclosure.procedures", "5", "  ")
    assert info.value.message.id == "assess.evidence_required"
    submitted = A.submit(session, MONTH)
    assert submitted.state == "submitted" and submitted.locked and not submitted.pending
    row = SelfAssessment.get(SelfAssessment.month == MONTH)
    assert row.total == submitted.total_c and row.band == submitted.band_id
    assert A.verify_signature(A.public_key(session), A.signed_payload(row, session.office.code), bytes(row.signature))
    # Every change went to the outbox with a rising version; the last one carries the signature.
    changes = _outbox(row.uid)
    assert [c["state"] for c in changes][-1] == "submitted"
    assert len(changes) == row.version and changes[-1]["signature"] == bytes(row.signature).hex()
    assert A.verify_signature(A.public_key(session), changes[-1]["signed_payload"], bytes(row.signature))

    # Locked: no score, no second submit, the stored row is untouched.
    before = (row.scores, row.total, row.version, bytes(row.signature))
    with pytest.raises(RuleViolation) as info:
        A.score_manual(session, MONTH, "disclosure.procedures", "1", "sửa")
    assert info.value.message.id == "assess.locked"
    with pytest.raises(RuleViolation):
        A.submit(session, MONTH)
    row = SelfAssessment.get_by_id(row.id)
    assert (row.scores, row.total, row.version, bytes(row.signature)) == before

    # Upstream returns it; the leader revises with a reason and resubmits.
    returned = A.apply_review(session, MONTH, 1, "returned", "Bổ sung minh chứng tiêu chí 1.1")
    assert returned.state == "returned"
    n = Outbox.select().count()
    A.apply_review(session, MONTH, 1, "returned", "Bổ sung minh chứng tiêu chí 1.1")  # replayed downlink
    assert Outbox.select().count() == n
    with pytest.raises(InvalidInput):
        A.revise(session, MONTH, " ")
    draft = A.revise(session, MONTH, "Bổ sung minh chứng theo ý kiến của tỉnh")
    assert (draft.revision, draft.state, draft.pending) == (2, "draft", ())
    A.score_manual(session, MONTH, "disclosure.procedures", "6", "Ảnh bảng niêm yết ngày 01/02")
    again = A.submit(session, MONTH)
    assert again.revision == 2 and again.total_c == submitted.total_c + 300
    first = A.show(session, MONTH, revision=1)
    assert first.state == "returned" and first.total_c == submitted.total_c
    accepted = A.apply_review(session, MONTH, 2, "accepted", "")
    assert accepted.state == "accepted"


def test_review_needs_a_submitted_revision(session, month_with_dossiers, leader):
    session.user = leader
    with pytest.raises(NotFound):
        A.apply_review(session, MONTH, 1, "accepted", "")
    A.score_manual(session, MONTH, "disclosure.procedures", "5", "ảnh")
    with pytest.raises(RuleViolation):
        A.apply_review(session, MONTH, 1, "accepted", "")
    with pytest.raises(InvalidInput):
        A.apply_review(session, MONTH, 1, "maybe", "")


def test_cannot_submit_incomplete_or_unfinished_month(session, month_with_dossiers, leader):
    session.user = leader
    with pytest.raises(InvalidInput) as info:
        A.submit(session, MONTH)
    assert info.value.message.id == "assess.incomplete"
    with pytest.raises(RuleViolation) as info:
        A.submit(session, "2026-03")  # the clock is on 03/03/2026
    assert info.value.message.id == "assess.future_month"
    with pytest.raises(InvalidInput):
        A.show(session, "2026-Q1")


def test_signing_key_created_once(session):
    with session.store.db.atomic():
        Office.update(signing_key=None).execute()
    session.office = Office.get()
    key = A.ensure_signing_key(session)
    assert len(key) == 32 and A.ensure_signing_key(session) == key
    assert bytes(Office.get().signing_key) == key


def test_malformed_upstream_set_changes_nothing(session, month_with_dossiers, leader, clock):
    session.user = leader
    A.score_manual(session, MONTH, "disclosure.procedures", "5", "ảnh")
    before = [(r.id, r.scores, r.version) for r in SelfAssessment.select()]
    outbox = Outbox.select().count()
    bad = (A.CRITERIA_DIR / "default-766-2025.toml").read_text(encoding="utf-8").replace(
        "max_points = 14", "max_points = 15", 1)
    with session.store.db.atomic():
        ReferenceData.create(kind="criteria_set", version="bad", body=bad, signature=b"", received_at=clock.now,
                             applied_at=clock.now)
    with pytest.raises(InvalidInput) as info:
        A.score_manual(session, MONTH, "disclosure.progress", "3", "ảnh")
    assert info.value.message.id == "criteria.group_sum" and "upstream:bad" in str(info.value)
    assert [(r.id, r.scores, r.version) for r in SelfAssessment.select()] == before
    assert Outbox.select().count() == outbox
