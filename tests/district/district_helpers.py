"""Building wards' synced months for the district-view tests: dossiers, ratings and
self-assessments as the ward's outbox carries them, sealed and applied for real."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sync_helpers import TEST_PASSWORD, SimWard, utc_iso

from district_desk.ingest import ingest
from district_desk.store import DistrictStore
from ward_desk.domain.report_math import Counts
from ward_desk.domain.timing import TZ, to_utc

MONTH = "2026-02"


def local(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    """Office-local wall time -> naive UTC."""
    return to_utc(datetime.combine(date(y, m, d), time(hh, mm), tzinfo=TZ), TZ)


def open_district(data_dir: Path, db_url: str | None) -> tuple[DistrictStore, Any]:
    store = DistrictStore.create(data_dir, "Quận Thử", TEST_PASSWORD, db_url)
    return store, store.unlock(TEST_PASSWORD)


def new_ward(store: DistrictStore, code: str) -> SimWard:
    ward = SimWard(code, store.public_keys())
    store.enrol(ward.public(), code)
    return ward


def push(store: DistrictStore, keys: Any, ward: SimWard, *, size: int = 500, skip: tuple[int, ...] = ()) -> list:
    """Seal every record not yet built into batches and apply them (except batch numbers in ``skip``)."""
    results = []
    while ward.built_seq < len(ward.outbox):
        sealed = ward.next_batch(size)
        if sealed.batch_no in skip:
            continue
        results.append(ingest(store, sealed.envelope, keys, via="file"))
    return results


def dossier(ward: SimWard, *, received: datetime, due: datetime, completed: datetime | None = None,
            channel: str = "direct", digitized: bool = False, apology: int = 0, state: str | None = None,
            code: str | None = None, new_due: datetime | None = None) -> str:
    uid = uuid.uuid4().hex
    n = sum(1 for r in ward.outbox if r["entity"] == "dossier")
    state = state or ("result_ready" if completed else "in_progress")
    ward.append("dossier", uid, 1, {
        "uid": uid, "code": code or f"{ward.office_code}-{received:%y%m%d}-{n:04d}", "procedure_code": "HT.04",
        "field": "Hộ tịch", "processing_days": 3, "applicant_name": "Nguyễn Thị Hoa", "channel": channel,
        "received_at": utc_iso(received), "due_at": utc_iso(new_due or due), "statutory_due_at": utc_iso(due),
        "state": state, "digitized": digitized, "completed_at": utc_iso(completed) if completed else None,
        "returned_at": None, "closed_at": None, "apology_count": apology, "lookup_secret": f"S{n:05d}",
    }, completed or received)
    return uid


def rating(ward: SimWard, dossier_uid: str, level: str, at: datetime) -> None:
    uid = uuid.uuid4().hex
    ward.append("rating", uid, 1, {"uid": uid, "dossier": dossier_uid, "level": level, "comment": "", "at": utc_iso(at)}, at)


def criteria_set():
    from ward_desk.services.assessment import load_set_file

    return load_set_file("default-766-2025")


def self_assessment(ward: SimWard, counts: Any, *, month: str = MONTH, revision: int = 1, state: str = "submitted",
                    claimed: dict[str, float] | None = None, submitted_at: datetime | None = None,
                    uid: str | None = None, version: int = 1) -> str:
    """A signed-looking self-assessment as the ward's outbox carries it. Honest by
    default (indicators computed from ``counts`` by the ward's own functions);
    ``claimed`` overrides indicator values to make an inflated one."""
    from ward_desk.domain.criteria import ManualScore, score
    from ward_desk.domain.indicators import IndicatorValue, compute_all

    cs = criteria_set()
    indicators = compute_all(counts)
    for key, value in (claimed or {}).items():
        old = indicators[key]
        indicators[key] = IndicatorValue(key, old.kind, old.numerator, old.denominator, value)
    manual = {c.id: ManualScore(c.max_c // 2, "Biên bản kiểm tra") for _, c in cs.items() if c.rule.kind == "manual"}
    card = score(cs, indicators, manual)
    uid = uid or uuid.uuid4().hex
    at = submitted_at or local(2026, 3, 3, 10)
    ward.append("self_assessment", uid, version, {
        "uid": uid, "office_code": ward.office_code, "month": month, "revision": revision,
        "criteria_set": cs.key, "state": state, "scores": {i.criterion_id: i.as_dict() for i in card.items},
        "indicators": {k: v.as_dict() for k, v in indicators.items()}, "total": card.total_c,
        "band": card.band.id if card.band else "", "revision_reason": "", "submitted_at": utc_iso(at),
        "review_comment": "", "reviewed_at": None,
    }, at)
    return uid


def honest_ward(store, keys, code: str = "10001"):

    """February: 4 dossiers resolved (2 early, 1 on time, 1 late with an apology
    slip), one still open and overdue at the month's end, 3 ratings (2 satisfied)."""
    ward = new_ward(store, code)
    d1 = dossier(ward, received=local(2026, 2, 2, 9), due=local(2026, 2, 5, 17), completed=local(2026, 2, 5, 10))
    d2 = dossier(ward, received=local(2026, 2, 2, 10), due=local(2026, 2, 5, 17), completed=local(2026, 2, 3, 9),
                 channel="online")
    d3 = dossier(ward, received=local(2026, 2, 3, 9), due=local(2026, 2, 6, 17), completed=local(2026, 2, 4, 9),
                 channel="online")
    dossier(ward, received=local(2026, 2, 3, 10), due=local(2026, 2, 6, 17), completed=local(2026, 2, 10, 9),
            digitized=True, apology=1, new_due=local(2026, 2, 10, 17))
    dossier(ward, received=local(2026, 2, 20, 9), due=local(2026, 2, 25, 17), code=f"{code}-OPEN-LATE")
    rating(ward, d1, "satisfied", local(2026, 2, 5, 11))
    rating(ward, d2, "very_satisfied", local(2026, 2, 3, 10))
    rating(ward, d3, "unsatisfied", local(2026, 2, 4, 10))
    counts = Counts(received_direct=3, received_online=2, received_digitized=3, resolved_early=2, resolved_on_time=1,
                    resolved_late=1, resolved_late_with_apology=1, open_overdue=1, ratings=3, ratings_satisfied=2)
    self_assessment(ward, counts)
    push(store, keys, ward)
    return ward, counts


def inflating_ward(store, keys, code: str = "10002"):

    """Two of four dossiers late with no apology slip, but the self-assessment claims
    every dossier on time and an apology for every late one."""
    ward = new_ward(store, code)
    for day, late in ((2, False), (3, False), (4, True), (5, True)):
        due = local(2026, 2, day + 3, 17)
        done = due + timedelta(days=3) if late else due - timedelta(hours=2)
        dossier(ward, received=local(2026, 2, day, 9), due=due, completed=done)
    counts = Counts(received_direct=4, resolved_on_time=2, resolved_late=2)
    self_assessment(ward, counts, claimed={"on_time_rate": 1.0, "apology_share": 1.0})
    push(store, keys, ward)
    return ward


def build_province(store, keys):

    honest, counts = honest_ward(store, keys)
    inflated = inflating_ward(store, keys)
    gap = new_ward(store, "10003")  # submitted, but batch 2 of 3 never arrived
    for day in range(2, 8):
        dossier(gap, received=local(2026, 2, day, 9), due=local(2026, 2, day + 3, 17), completed=local(2026, 2, day + 1))
    self_assessment(gap, Counts(received_direct=6, resolved_early=6))
    push(store, keys, gap, size=3, skip=(2,))
    silent = new_ward(store, "10004")  # dossiers, no self-assessment
    dossier(silent, received=local(2026, 2, 2, 9), due=local(2026, 2, 5, 17), completed=local(2026, 2, 3))
    push(store, keys, silent)
    returned = new_ward(store, "10005")  # returned for revision, not resubmitted yet
    self_assessment(returned, Counts(), state="returned")
    push(store, keys, returned)
    return honest, counts, inflated, silent
