"""What district staff read: wards and their backlog, overdue dossiers across wards,
submitted self-assessments and their review, and each ward's month counted by the
district itself.

The district's own counts come from two derived tables, :class:`DossierFacts`
and :class:`RatingFacts`, filled from the synced records by :func:`refresh_facts`
(incrementally: only wards that sent a batch since the last refresh, only records
whose version moved). Every month figure is then an SQL ``GROUP BY`` over
indexed columns, the same statements on SQLite and PostgreSQL. Early / on time /
late is decided per dossier by :func:`ward_desk.domain.timing.classify` with the
Vietnamese working calendar, exactly as on the ward, when its facts are written.

All datetimes are naive UTC, as in the rest of the district store.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import peewee
from peewee import SQL, Case, fn

from district_desk.models import (
    AssessmentReview,
    Batch,
    DossierFacts,
    DownlinkDoc,
    FactsWatermark,
    Heartbeat,
    RatingFacts,
    Record,
    SelfAssessment,
    Ward,
    WardProgress,
)
from district_desk.store import DistrictStore, utcnow
from sync_agent.errors import BadInput
from ward_desk.domain import figures
from ward_desk.domain.calendar import CalendarOverride, WorkingCalendar, national_year
from ward_desk.domain.report_math import Counts, Period, parse_period
from ward_desk.domain.timing import Timing, classify, working_days_late

__all__ = [
    "OPEN_STATES",
    "PAUSED_STATES",
    "BacklogRule",
    "assessment_rows",
    "backlog_rows",
    "district_calendar",
    "month_counts_by_ward",
    "month_period",
    "overdue_rows",
    "reasons_text",
    "record_review",
    "refresh_facts",
    "ward_rows",
]

OPEN_STATES = (*figures.CLOCK_RUNNING_STATES, *figures.PAUSED_STATES)
PAUSED_STATES = figures.PAUSED_STATES
SATISFIED = ("satisfied", "very_satisfied")
_TIMING_CODE = {Timing.EARLY: 0, Timing.ON_TIME: 1, Timing.LATE: 2}
CHUNK = 2000  # records read and written per statement while refreshing


def month_period(text: str) -> Period:
    """``YYYY-MM`` as a :class:`Period`; anything else is refused with a clear message."""
    try:
        period = parse_period(text)
    except Exception as exc:  # InvalidInput from the domain: say it in the district's words
        raise BadInput("district.bad_month", text=text) from exc
    if period.kind != "month":
        raise BadInput("district.bad_month", text=text)
    return period


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") + "Z" if dt else None


def _as_dt(value: Any) -> datetime | None:
    """A stored or synced timestamp -> naive UTC datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    if not isinstance(value, str):
        return None
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(timezone.utc).replace(tzinfo=None) if parsed.tzinfo else parsed


# --------------------------------------------------------------------------- calendar


def district_calendar(store: DistrictStore) -> WorkingCalendar:
    """The national calendar plus the year notices and calendar overrides this district
    published to every ward (the same days the wards count with)."""
    from sync_agent.envelope import EnvelopeError, open_document
    from ward_desk.domain.notices import YearNotice, parse_year_notice, with_notices
    from ward_desk.errors import InvalidInput

    overrides: list[CalendarOverride] = []
    notices: list[YearNotice] = []
    docs = list(
        DownlinkDoc.select(DownlinkDoc.envelope)
        .where((DownlinkDoc.kind == "calendar") & (DownlinkDoc.audience == "*"))
        .order_by(DownlinkDoc.published_at)
    )
    if docs:
        sign = store.public_keys().sign
        for row in docs:
            try:
                body = open_document(bytes(row.envelope), verify_key=sign).body
                if "notice" in body:
                    notices.append(parse_year_notice(body["notice"]))
                for item in body.get("overrides", []):
                    from datetime import date

                    overrides.append(CalendarOverride(date.fromisoformat(str(item["day"])), item["kind"]))
            except (EnvelopeError, InvalidInput, KeyError, ValueError, TypeError, AttributeError):
                continue
    return WorkingCalendar(overrides, national=with_notices(national_year, notices))


# --------------------------------------------------------------------------- facts


def _facts_row(office: str, uid: str, version: int, payload: dict[str, Any], calendar: WorkingCalendar) -> dict[str, Any]:
    def text(name: str, limit: int = 255) -> str:
        value = payload.get(name)
        return str(value).replace("\x00", "")[:limit] if isinstance(value, (str, int)) and not isinstance(value, bool) else ""

    completed = _as_dt(payload.get("completed_at"))
    statutory = _as_dt(payload.get("statutory_due_at")) or _as_dt(payload.get("due_at"))
    timing = None
    if completed is not None:
        timing = _TIMING_CODE[classify(completed, statutory, calendar)] if statutory else 1
    channel = text("channel", 32)
    apology = payload.get("apology_count", 0)
    return {
        "office_code": office,
        "uid": uid,
        "version": int(version),
        "code": text("code"),
        "procedure_code": text("procedure_code"),
        "field": text("field"),
        "state": text("state", 32),
        "channel": channel,
        "digitized": bool(payload.get("digitized")) or channel == "online",
        "received_at": _as_dt(payload.get("received_at")),
        "due_at": _as_dt(payload.get("due_at")),
        "statutory_due_at": statutory,
        "completed_at": completed,
        "closed_at": _as_dt(payload.get("closed_at")),
        "apology_count": apology if isinstance(apology, int) and not isinstance(apology, bool) else 0,
        "timing": timing,
    }


def _rating_row(office: str, uid: str, payload: dict[str, Any]) -> dict[str, Any]:
    level = str(payload.get("level") or "")[:32]
    return {
        "office_code": office,
        "uid": uid,
        "dossier_uid": str(payload.get("dossier") or "")[:128],
        "level": level,
        "satisfied": level in SATISFIED,
        "at": _as_dt(payload.get("at")),
    }


def _stale_records(store: DistrictStore, office: str, entity: str, facts_table: str, after: str,
                   version_check: bool) -> list[tuple[str, int, str]]:
    """The next chunk of ``entity`` records of ``office`` (uid order, after ``after``)
    whose facts row is missing or older."""
    p = store.db.param
    record = Record._meta.table_name  # type: ignore[attr-defined]
    stale = "(f.version IS NULL OR f.version < r.version)" if version_check else "f.uid IS NULL"
    sql = (
        f'SELECT r.entity_uid, r.version, r.payload FROM "{record}" r '
        f'LEFT JOIN "{facts_table}" f ON f.office_code = r.office_code AND f.uid = r.entity_uid '
        f"WHERE r.office_code = {p} AND r.entity = {p} AND r.entity_uid > {p} AND {stale} "
        f"ORDER BY r.entity_uid LIMIT {CHUNK}"
    )
    return [(str(u), int(v), str(t)) for u, v, t in store.db.execute_sql(sql, (office, entity, after)).fetchall()]


def _refresh_office(store: DistrictStore, office: str, calendar: WorkingCalendar) -> int:
    done = 0
    for entity, model, version_check in (("dossier", DossierFacts, True), ("rating", RatingFacts, False)):
        table = model._meta.table_name  # type: ignore[attr-defined]
        after = ""
        while True:
            chunk = _stale_records(store, office, entity, table, after, version_check)
            if not chunk:
                break
            rows: list[dict[str, Any]] = []
            for uid, version, text in chunk:
                try:
                    payload = json.loads(text)
                except ValueError:
                    continue
                if not isinstance(payload, dict):
                    continue
                if entity == "dossier":
                    rows.append(_facts_row(office, uid, version, payload, calendar))
                else:
                    rows.append(_rating_row(office, uid, payload))
            with store.db.atomic():
                # A dossier's facts follow its version; a rating is replaced as it comes.
                store.backend.upsert(store.db, model, rows, ("office_code", "uid"), "version" if version_check else None)
            done += len(rows)
            after = chunk[-1][0]
            if len(chunk) < CHUNK:
                break
    return done


def refresh_facts(store: DistrictStore, calendar: WorkingCalendar | None = None) -> int:
    """Bring the facts tables up to date with every batch applied so far; returns the
    number of rows written. Wards with no batch since the last refresh cost one
    comparison each; a ward's records are read in uid order, a chunk at a time."""
    latest: dict[str, int] = dict(
        _rows(Batch.select(Batch.office_code, fn.MAX(Batch.id)).group_by(Batch.office_code).tuples()))  # type: ignore[arg-type]
    marks: dict[str, int] = dict(
        _rows(FactsWatermark.select(FactsWatermark.office_code, FactsWatermark.batch_id).tuples()))  # type: ignore[arg-type]
    todo = sorted(office for office, top in latest.items() if int(top) > int(marks.get(office, 0)))
    if not todo:
        return 0
    calendar = calendar or district_calendar(store)
    written = 0
    for office in todo:
        written += _refresh_office(store, office, calendar)
        with store.db.atomic():
            FactsWatermark.insert(office_code=office, batch_id=int(latest[office]), refreshed_at=utcnow()).on_conflict(
                conflict_target=[FactsWatermark.office_code],
                update={FactsWatermark.batch_id: int(latest[office]), FactsWatermark.refreshed_at: utcnow()},
            ).execute()
    return written


# --------------------------------------------------------------------------- month counts


def _one(expr: Any) -> Any:
    return Case(None, ((expr, 1),), 0)


def _rows(query: Any) -> list[tuple[Any, ...]]:
    """A peewee ``.tuples()`` query as a typed list (peewee has no precise stubs)."""
    return [tuple(row) for row in query]


def _by(n: int) -> list[Any]:
    # GROUP BY output positions: PostgreSQL does not see two parameterised CASE
    # expressions (SELECT list and GROUP BY) as the same expression.
    return [SQL(str(i)) for i in range(1, n + 1)]


def month_counts_by_ward(store: DistrictStore, period: Period, offices: list[str] | None = None) -> dict[str, Counts]:
    """Each ward's counts of ``period`` as the district sees them (the facts must be
    refreshed first). ``opening`` and ``apology_slips`` are not counted: no
    indicator needs them. A dossier unfinished at the period end counts as paused
    only if it is still paused now (the district does not replay events)."""
    from ward_desk.domain.timing import TZ

    start, end = period.utc_bounds(TZ)
    out: dict[str, Counts] = defaultdict(Counts)
    F = DossierFacts
    scope = F.office_code.in_(offices) if offices is not None else SQL("1 = 1")

    for office, channel, digitized, n in _rows(
        F.select(F.office_code, F.channel, F.digitized, fn.COUNT(SQL("*")))
        .where((F.received_at >= start) & (F.received_at < end) & scope)
        .group_by(*_by(3))
        .tuples()
    ):
        c = out[office]
        if channel == "online":
            c.received_online += n
        elif channel == "postal":
            c.received_postal += n
        else:
            c.received_direct += n
        if digitized:
            c.received_digitized += n

    late_apology = _one(F.apology_count > 0)
    for office, timing, apology, n in _rows(
        F.select(F.office_code, F.timing, late_apology, fn.COUNT(SQL("*")))
        .where((F.completed_at >= start) & (F.completed_at < end) & scope)
        .group_by(*_by(3))
        .tuples()
    ):
        c = out[office]
        if timing == 0:
            c.resolved_early += n
        elif timing == 2:
            c.resolved_late += n
            c.resolved_late_with_apology += n if apology else 0
        else:
            c.resolved_on_time += n

    rejected = _one(F.state == "rejected")
    for office, is_rejected, n in _rows(
        F.select(F.office_code, rejected, fn.COUNT(SQL("*")))
        .where((F.closed_at >= start) & (F.closed_at < end) & F.completed_at.is_null() & scope)
        .group_by(*_by(2))
        .tuples()
    ):
        if is_rejected:
            out[office].rejected += n
        else:
            out[office].withdrawn += n

    # Unfinished at the end: three disjoint index ranges (open now; resolved since;
    # closed without result since), never a scan of all history.
    paused_now = F.state.in_(PAUSED_STATES) & F.completed_at.is_null() & F.closed_at.is_null()
    overdue = _one((F.statutory_due_at < end) & ~paused_now)
    apology = _one(F.apology_count > 0)
    waiting = _one((F.state == "supplement_requested") & F.completed_at.is_null() & F.closed_at.is_null())
    parts = (
        F.state.in_(OPEN_STATES) & F.completed_at.is_null() & F.closed_at.is_null(),
        F.completed_at >= end,
        (F.closed_at >= end) & F.completed_at.is_null(),
    )
    for part in parts:
        for office, is_overdue, has_apology, is_waiting, n in _rows(
            F.select(F.office_code, overdue, apology, waiting, fn.COUNT(SQL("*")))
            .where(part & (F.received_at < end) & scope)
            .group_by(*_by(4))
            .tuples()
        ):
            c = out[office]
            if is_overdue:
                c.open_overdue += n
                c.open_overdue_with_apology += n if has_apology else 0
            else:
                c.open_not_due += n
            c.open_waiting_supplement += n if is_waiting else 0

    R = RatingFacts
    r_scope = R.office_code.in_(offices) if offices is not None else SQL("1 = 1")
    for office, satisfied, n in _rows(
        R.select(R.office_code, R.satisfied, fn.COUNT(SQL("*")))
        .where((R.at >= start) & (R.at < end) & r_scope)
        .group_by(*_by(2))
        .tuples()
    ):
        out[office].ratings += n
        out[office].ratings_satisfied += n if satisfied else 0
    return dict(out)


# --------------------------------------------------------------------------- wards and backlog


@dataclass(frozen=True)
class BacklogRule:
    """When a ward counts as stuck.

    * ``stale_hours``: no contact for longer than this;
    * ``window_hours``: heartbeats compared over this window: the backlog is
      *growing* when the pending count and the age of the oldest pending change
      both rose from the first heartbeat of the window to the last (nothing
      drained while more piled up);
    * a pending change older than ``stale_hours`` is stuck too (the ward keeps
      calling but its batches do not get through).
    """

    stale_hours: float = 24.0
    window_hours: float = 24.0


def _beats(since: datetime) -> dict[str, list[Heartbeat]]:
    out: dict[str, list[Heartbeat]] = defaultdict(list)
    for beat in (
        Heartbeat.select(Heartbeat.office_code, Heartbeat.received_at, Heartbeat.pending, Heartbeat.oldest_pending_s)
        .where(Heartbeat.received_at >= since)
        .order_by(Heartbeat.office_code, Heartbeat.received_at)
    ):
        out[beat.office_code].append(beat)
    return out


def ward_rows(store: DistrictStore, now: datetime | None = None, rule: BacklogRule = BacklogRule()) -> list[dict[str, Any]]:
    """``report wards``: each enrolled ward with its sync position, dossier count and
    heartbeat backlog, flagged ``stuck`` with the reasons (see :class:`BacklogRule`)."""
    now = now or utcnow()
    rows = store.report_wards()
    _pending_after_acks(rows)
    window = _beats(now - timedelta(hours=rule.window_hours))
    batch_at: dict[str, datetime | None] = dict(
        _rows(WardProgress.select(WardProgress.office_code, WardProgress.last_batch_at).tuples()))  # type: ignore[arg-type]
    for row in rows:
        beats = window.get(row["office_code"], [])
        last_sync = _as_dt(row["last_sync"])
        hours = (now - last_sync).total_seconds() / 3600 if last_sync else None
        growing = (
            len(beats) >= 2
            and (row["pending"] or 0) > beats[0].pending
            and (beats[-1].oldest_pending_s or 0) > (beats[0].oldest_pending_s or 0)
        )
        reasons: list[str] = []
        if not row["revoked"]:
            if hours is None or hours > rule.stale_hours:
                reasons.append("no_contact")
            if growing:
                reasons.append("backlog_growing")
            if (row["oldest_pending_s"] or 0) > rule.stale_hours * 3600:
                reasons.append("old_pending")
            if row["missing_batches"]:
                reasons.append("gap")
            if row["quarantined"]:
                reasons.append("quarantined")
        row.update(
            hours_since_contact=None if hours is None else round(hours, 1),
            last_batch_at=_iso(batch_at.get(row["office_code"])),
            pending_window_start=beats[0].pending if beats else None,
            heartbeats_in_window=len(beats),
            backlog_growing=growing,
            stuck=bool(reasons),
            stuck_reasons=reasons,
        )
    return rows


def _pending_after_acks(rows: list[dict[str, Any]]) -> None:
    """Correct each ward's last heartbeat for what the province has acknowledged since.

    A batch's heartbeat counts the changes pending *from that batch on* when it was
    sealed, the batch's own records included: the ward cannot know they will arrive.
    Over the network the ward's next heartbeat, sent after the ack, says 0; a USB stick
    carries no such heartbeat, so after ``import`` the ward kept showing as waiting with
    its oldest change "waiting too long". Here the pending count of a heartbeat that came
    with a batch is reduced by the records acknowledged from that batch's first one on;
    with nothing left, nothing is waiting.
    """
    offices = [r["office_code"] for r in rows]
    if not offices:
        return
    latest: dict[str, Heartbeat] = {}
    for beat in (Heartbeat.select(Heartbeat.office_code, Heartbeat.received_at, Heartbeat.pending)
                 .where(Heartbeat.office_code.in_(offices)).order_by(Heartbeat.received_at)):
        latest[beat.office_code] = beat
    for row in rows:
        last = latest.get(row["office_code"])
        if last is None or row["pending"] is None:
            continue
        batch = Batch.get_or_none((Batch.office_code == row["office_code"]) & (Batch.received_at == last.received_at))
        if batch is None:
            continue  # a bare heartbeat, sent after the ward's last ack: already right
        delivered = max(0, int(row["acked_seq"]) - (int(batch.first_seq) - 1))
        row["pending"] = max(0, int(last.pending) - delivered)
        if row["pending"] == 0:
            row["oldest_pending_s"] = None


def backlog_rows(store: DistrictStore, now: datetime | None = None, rule: BacklogRule = BacklogRule()) -> list[dict[str, Any]]:
    """``report backlog``: wards whose backlog grows, whose oldest change waits too
    long, or that have not called for too long; worst first."""
    rows = [
        r for r in ward_rows(store, now, rule)
        if {"backlog_growing", "old_pending", "no_contact"} & set(r["stuck_reasons"])
    ]
    return sorted(rows, key=lambda r: (-(r["oldest_pending_s"] or 0), -(r["pending"] or 0), r["office_code"]))


# --------------------------------------------------------------------------- overdue


def overdue_rows(store: DistrictStore, now: datetime | None = None, *, office: str | None = None,
                 limit: int = 1000, calendar: WorkingCalendar | None = None) -> list[dict[str, Any]]:
    """Open dossiers past their statutory due date, across wards, longest overdue
    first (paused dossiers are not overdue: their clock does not run). No personal
    data: code, procedure, field, dates, state."""
    now = now or utcnow()
    refresh_facts(store, calendar)
    calendar = calendar or district_calendar(store)
    F = DossierFacts
    # domain.figures.is_overdue in SQL: the statutory date, the clock running.
    where = (
        F.state.in_(list(figures.CLOCK_RUNNING_STATES))
        & F.completed_at.is_null() & F.closed_at.is_null() & (getattr(F, figures.OVERDUE_AGAINST) < now)
    )
    if office:
        where &= F.office_code == office
    names: dict[str, str] = dict(_rows(Ward.select(Ward.office_code, Ward.name).tuples()))  # type: ignore[arg-type]
    progress: dict[str, datetime | None] = dict(
        _rows(WardProgress.select(WardProgress.office_code, WardProgress.last_batch_at).tuples()))  # type: ignore[arg-type]
    out: list[dict[str, Any]] = []
    for f in F.select().where(where).order_by(F.statutory_due_at, F.office_code, F.code).limit(limit):
        out.append({
            "office_code": f.office_code,
            "ward": names.get(f.office_code, ""),
            "code": f.code,
            "procedure_code": f.procedure_code,
            "field": f.field,
            "state": f.state,
            "channel": f.channel,
            "received_at": _iso(f.received_at),
            "statutory_due_at": _iso(f.statutory_due_at),
            "due_at": _iso(f.due_at),
            "apology": f.apology_count > 0,
            "apology_extended": figures.is_apology_extended(_standing_of(f), now),
            "working_days_late": working_days_late(f.statutory_due_at, now, calendar) if f.statutory_due_at else 0,
            "data_as_of": _iso(progress.get(f.office_code)),
        })
    return out


def _standing_of(f: DossierFacts) -> figures.DossierStanding:
    return figures.DossierStanding(state=f.state, statutory_due_at=f.statutory_due_at, due_at=f.due_at,
                                   apology_count=f.apology_count, completed_at=f.completed_at, closed_at=f.closed_at)


# --------------------------------------------------------------------------- self-assessments and review


def assessment_rows(store: DistrictStore, month: str | None = None, *, pending_only: bool = False) -> list[dict[str, Any]]:
    """Submitted self-assessment revisions (state as the ward last sent it) with the
    district's decision, newest month first. ``pending_only``: submitted and not
    yet reviewed here."""
    S = SelfAssessment
    where = S.state.in_(["submitted", "returned", "accepted"])
    if month:
        where &= S.month == month_period(month).label
    decisions = {
        (r.office_code, r.month, r.revision): r for r in AssessmentReview.select().where(
            AssessmentReview.month == month_period(month).label if month else SQL("1 = 1"))
    }
    names: dict[str, str] = dict(_rows(Ward.select(Ward.office_code, Ward.name).tuples()))  # type: ignore[arg-type]
    out: list[dict[str, Any]] = []
    for s in S.select().where(where).order_by(S.month.desc(), S.office_code, S.revision):
        decision = decisions.get((s.office_code, s.month, s.revision))
        if pending_only and (s.state != "submitted" or decision is not None):
            continue
        out.append({
            "office_code": s.office_code,
            "ward": names.get(s.office_code, ""),
            "month": s.month,
            "revision": s.revision,
            "state": s.state,
            "total": s.total / 100,
            "band": s.band,
            "submitted_at": _iso(s.submitted_at),
            "review": decision.status if decision else None,
            "review_comment": decision.comment if decision else "",
            "reviewed_at": _iso(decision.reviewed_at) if decision else None,
            "doc_id": decision.doc_id if decision else None,
        })
    return out


def record_review(store: DistrictStore, keys: Any, *, office_code: str, month: str, revision: int,
                  status: str, comment: str = "") -> AssessmentReview:
    """Decide on a submitted revision and publish the signed ``review`` document to
    that ward alone (its next sync applies it). One decision per revision; a
    returned month comes back as a new revision, which gets its own decision."""
    if status not in ("accepted", "returned"):
        raise BadInput("district.review.bad_status", status=status)
    comment = (comment or "").strip()
    if status == "returned" and not comment:
        raise BadInput("district.review.comment_required")
    label = month_period(month).label
    row = SelfAssessment.get_or_none(
        (SelfAssessment.office_code == office_code) & (SelfAssessment.month == label)
        & (SelfAssessment.revision == revision)
    )
    if row is None:
        raise BadInput("district.review.not_found", office=office_code, month=label, revision=revision)
    if row.state != "submitted":
        raise BadInput("district.review.not_submitted", office=office_code, month=label, revision=revision,
                       state=row.state)
    now = utcnow()
    with store.db.atomic():
        if AssessmentReview.get_or_none(
            (AssessmentReview.office_code == office_code) & (AssessmentReview.month == label)
            & (AssessmentReview.revision == revision)
        ) is not None:
            raise BadInput("district.review.already", office=office_code, month=label, revision=revision)
        body = {"month": label, "revision": revision, "status": status, "comment": comment}
        doc = store.publish(keys, kind="review", version=f"{label}-r{revision}", body=body, audience=office_code)
        try:
            decision = AssessmentReview.create(office_code=office_code, month=label, revision=revision,
                                               status=status, comment=comment, reviewed_at=now, doc_id=doc.doc_id)
            from district_desk import audit

            audit.record(f"review_{status}", office_code=office_code, subject=f"{label} r{revision}",
                         detail=comment, at=now)
            return decision
        except peewee.IntegrityError as exc:  # a concurrent decision on the same revision won
            raise BadInput("district.review.already", office=office_code, month=label, revision=revision) from exc


def rate_text(value: float | None) -> str:
    """A rate as the district's tables print it: "96,4" in Vietnamese, "-" when none."""
    from ward_desk.domain.criteria import format_rate
    from ward_desk.i18n import get_language

    return "-" if value is None else format_rate(value, get_language())


def score_text(points: float | None) -> str:
    """A self-assessment total as the district's tables print it ("87,5" in Vietnamese)."""
    from ward_desk.domain.criteria import format_score
    from ward_desk.i18n import get_language

    return format_score(points, get_language())


def reasons_text(reasons: list[str]) -> str:
    """A ward's stuck reasons (:func:`ward_rows`) in the current language."""
    from ward_desk.i18n import t

    return ", ".join(t(f"district.stuck.{r}") for r in reasons)


# --------------------------------------------------------------------------- drill-down: communes


def commune_rows(store: DistrictStore, month: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """Per-commune counts of ``month`` (``domain.figures`` definitions), every enrolled
    commune, revoked ones included and marked: received, resolved early / on time /
    late, overdue at the month's end (of which apology-extended now), the on-time
    share and the latest self-assessment's total."""
    period = month_period(month)
    now = now or utcnow()
    refresh_facts(store)
    counts = month_counts_by_ward(store, period)
    from ward_desk.domain.timing import TZ

    _, end = period.utc_bounds(TZ)
    at = min(end, now)
    F = DossierFacts
    extended: dict[str, int] = dict(_rows(
        F.select(F.office_code, fn.COUNT(SQL("*")))
        .where(F.state.in_(list(figures.CLOCK_RUNNING_STATES)) & F.completed_at.is_null() & F.closed_at.is_null()
               & (getattr(F, figures.OVERDUE_AGAINST) < at) & (F.apology_count > 0) & (F.due_at >= at)
               & (F.received_at < end))
        .group_by(F.office_code).tuples()))  # type: ignore[arg-type]
    latest: dict[str, SelfAssessment] = {}
    for s in SelfAssessment.select().where(SelfAssessment.month == period.label).order_by(SelfAssessment.revision):
        latest[s.office_code] = s
    out: list[dict[str, Any]] = []
    for ward in Ward.select().order_by(Ward.office_code):
        c = counts.get(ward.office_code, Counts())
        _, _, share = figures.on_time_share(c)
        sa = latest.get(ward.office_code)
        out.append({
            "office_code": ward.office_code, "ward": ward.name, "revoked": ward.revoked_at is not None,
            "month": period.label, "received": c.received, "resolved": c.resolved, "early": c.resolved_early,
            "on_time": c.resolved_on_time, "late": c.resolved_late, "overdue": c.open_overdue,
            "apology_extended": int(extended.get(ward.office_code, 0)), "on_time_share": share,
            "on_time_rate": c.on_time_rate,
            "assessment_total": sa.total / 100 if sa else None, "assessment_state": sa.state if sa else None,
            "assessment_revision": sa.revision if sa else None,
        })
    return out


def commune_dossiers(store: DistrictStore, office: str, month: str, now: datetime | None = None,
                     limit: int = 500) -> list[dict[str, Any]]:
    """A commune's dossiers of ``month`` (received in it, or still open at its end), each
    with its standing (``domain.figures.standing``) at the month's end, or now for the
    running month. No personal data."""
    from ward_desk.domain.timing import TZ

    period = month_period(month)
    now = now or utcnow()
    refresh_facts(store)
    start, end = period.utc_bounds(TZ)
    at = min(end, now)
    F = DossierFacts
    unfinished = (F.completed_at.is_null() | (F.completed_at >= end)) & (F.closed_at.is_null() | (F.closed_at >= end))
    where = (F.office_code == office) & (F.received_at < end) & (((F.received_at >= start)) | unfinished)
    names = {0: "early", 1: "on_time", 2: "late"}
    out: list[dict[str, Any]] = []
    for f in F.select().where(where).order_by(F.received_at, F.code).limit(limit):
        out.append({
            "code": f.code, "procedure_code": f.procedure_code, "field": f.field, "state": f.state,
            "received_at": _iso(f.received_at), "statutory_due_at": _iso(f.statutory_due_at),
            "due_at": _iso(f.due_at), "completed_at": _iso(f.completed_at), "apology": f.apology_count > 0,
            "timing": names.get(f.timing) if f.timing is not None else None,
            "standing": figures.standing(_standing_of(f), at).value,
        })
    return out


def indicator_text(item: dict[str, Any], key: str) -> str:
    """An assessment item's indicator value (``self_value`` or ``district_value``): a rate
    as a percentage, a count as a whole number, "" for a hand-scored item."""
    value = item.get(key)
    if not item.get("indicator"):
        return ""
    if item.get("indicator_kind") == "count":
        return "-" if value is None else str(int(value))
    return rate_text(value)


def assessment_criteria(store: DistrictStore, office: str, month: str, revision: int | None = None,
                        language: str | None = None) -> dict[str, Any]:
    """A commune's self-assessment of ``month`` criterion by criterion, as its batch carried
    it (the record's ``scores``): the criterion's name, kind, points and maximum, the
    evidence and attachment of hand-scored points, and for computed items the ward's
    indicator beside the province's own. The latest revision unless ``revision``."""
    from district_desk.ranking import criteria_sets

    label = month_period(month).label
    query = SelfAssessment.select().where((SelfAssessment.office_code == office) & (SelfAssessment.month == label))
    if revision is not None:
        query = query.where(SelfAssessment.revision == revision)
    row = query.order_by(SelfAssessment.revision.desc()).first()
    if row is None:
        raise BadInput("district.drill.no_assessment", office=office, month=label)
    record = Record.get_or_none((Record.office_code == office) & (Record.entity == "self_assessment")
                                & (Record.entity_uid == row.uid))
    try:
        payload = json.loads(record.payload) if record is not None else {}
    except ValueError:
        payload = {}
    scores = payload.get("scores") if isinstance(payload, dict) else None
    scores = scores if isinstance(scores, dict) else {}
    cs = criteria_sets(store).get(row.criteria_set)
    from ward_desk.domain.indicators import compute_all
    from ward_desk.i18n import get_language

    lang = language or get_language()
    refresh_facts(store)
    district = compute_all(month_counts_by_ward(store, month_period(label), [office]).get(office, Counts()))
    order = [c.id for _, c in cs.items()] if cs is not None else []
    ids = [i for i in order if i in scores] + sorted(i for i in scores if i not in order)
    items: list[dict[str, Any]] = []
    for item_id in ids:
        data = scores[item_id] if isinstance(scores[item_id], dict) else {}
        title = ""
        if cs is not None and item_id in order:
            criterion = cs.item(item_id)
            title = criterion.title_en if lang == "en" and criterion.title_en else criterion.title_vi
        indicator = data.get("indicator") if isinstance(data.get("indicator"), dict) else None
        theirs = district.get(str(indicator.get("id"))) if indicator else None
        points = data.get("points")
        items.append({
            "id": item_id, "title": title, "group": str(data.get("group", "")), "kind": str(data.get("kind", "")),
            "points": points / 100 if isinstance(points, (int, float)) else None,
            "max": data["max"] / 100 if isinstance(data.get("max"), (int, float)) else None,
            "evidence": str(data.get("evidence") or ""), "attachment": str(data.get("attachment") or ""),
            "indicator": indicator.get("id") if indicator else None,
            "indicator_kind": str(indicator.get("kind") or "rate") if indicator else None,
            "self_value": indicator.get("value") if indicator else None,
            "district_value": theirs.value if theirs is not None else None,
        })
    return {"office_code": office, "month": label, "revision": row.revision, "state": row.state,
            "criteria_set": row.criteria_set, "total": row.total / 100, "band": row.band,
            "submitted_at": _iso(row.submitted_at), "items": items}
