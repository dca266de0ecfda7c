"""The monthly ranking of wards, beside what the district computes itself.

A ward is ranked for month M only when its month is *complete*:

* it submitted a self-assessment for M (the newest revision in state
  ``submitted`` or ``accepted``; a month returned for revision waits for the
  ward's next submission), and
* the district holds every batch up to the one carrying that submission
  (its record's outbox ``seq`` is at or below the ward's contiguous
  acknowledgement). The ward can only submit after M has ended and its outbox
  is in commit order, so everything the ward knew about M when it signed lies
  in those batches: no sequence gap can hide a dossier of M.

Each ranked row puts the self-assessed total beside the same indicators counted
by the district from the ward's synced dossiers (:mod:`district_desk.views`,
:func:`ward_desk.domain.indicators.compute_all`) and the total the ward's own
criteria set gives with the district's indicators and the ward's manual scores.
A self-score above that by more than ``GapRule.points``, or a claimed indicator
above the district's by more than ``GapRule.rate``, is flagged.

Publishing freezes the ranking as shown in :class:`RankingSnapshot` (insert-only;
a later publication is a new numbered snapshot).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import peewee

from district_desk import views
from district_desk.models import (
    Batch,
    DownlinkDoc,
    RankingSnapshot,
    Record,
    SelfAssessment,
    Ward,
    WardProgress,
)
from district_desk.store import DistrictStore, utcnow
from sync_agent.errors import BadInput
from ward_desk.domain import figures
from ward_desk.domain.criteria import CriteriaSet, ManualScore, load_criteria, score
from ward_desk.domain.indicators import IndicatorValue, compute_all
from ward_desk.domain.report_math import Counts

__all__ = [
    "COMPARED",
    "GapRule",
    "compute_ranking",
    "load_snapshot",
    "publish_snapshot",
    "ranking_tables",
]

# The indicators shown beside the self-score (higher is better for each).
COMPARED = ("on_time_rate", "online_share", "digitized_share", "satisfaction_share", "apology_share")
USABLE = ("submitted", "accepted")
CRITERIA_DIR = Path(__file__).resolve().parents[1] / "ward_desk" / "data" / "criteria"


@dataclass(frozen=True)
class GapRule:
    """How far a self-assessment may exceed the district's own figures before it is flagged."""

    points: float = 2.0  # self total minus the total rescored with the district's indicators
    rate: float = 0.05  # a claimed indicator minus the district's (5 percentage points)


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def criteria_sets(store: DistrictStore) -> dict[str, CriteriaSet]:
    """Criteria sets the district knows: the shipped ones and those it published."""
    from sync_agent.envelope import EnvelopeError, open_document

    found: dict[str, CriteriaSet] = {}
    for path in sorted(CRITERIA_DIR.glob("*.toml")):
        try:
            cs = load_criteria(path.read_text(encoding="utf-8"), path.name)
        except Exception:  # a broken shipped file must not hide the ranking
            continue
        found[cs.key] = cs
    docs = list(DownlinkDoc.select(DownlinkDoc.envelope).where(DownlinkDoc.kind == "criteria_set"))
    if docs:
        sign = store.public_keys().sign
        for row in docs:
            try:
                body = open_document(bytes(row.envelope), verify_key=sign).body
                cs = load_criteria(str(body.get("toml", "")), "district")
            except (EnvelopeError, AttributeError, Exception):
                continue
            found[cs.key] = cs
    return found


def _manual(scores: Any) -> dict[str, ManualScore]:
    out: dict[str, ManualScore] = {}
    if not isinstance(scores, dict):
        return out
    for item_id, data in scores.items():
        if isinstance(data, dict) and data.get("kind") == "manual" and data.get("points") is not None:
            try:
                out[str(item_id)] = ManualScore(int(data["points"]), str(data.get("evidence", "")),
                                                str(data.get("attachment", "")))
            except (TypeError, ValueError):
                continue
    return out


def _claimed(indicators_text: str) -> dict[str, float | None]:
    try:
        data = json.loads(indicators_text or "{}")
    except ValueError:
        return {}
    out: dict[str, float | None] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, dict):
                v = value.get("value")
                out[str(key)] = float(v) if isinstance(v, (int, float)) else None
    return out


def _ranks(rows: list[dict[str, Any]], key: str, out: str) -> None:
    """Competition ranking (1, 2, 2, 4) by ``key`` descending; rows without a value come last, unranked."""
    valued = sorted((r for r in rows if r[key] is not None), key=lambda r: -r[key])
    previous: float | None = None
    rank = 0
    for position, row in enumerate(valued, start=1):
        if row[key] != previous:
            rank, previous = position, row[key]
        row[out] = rank
    for row in rows:
        row.setdefault(out, None)


def compute_ranking(store: DistrictStore, month: str, rule: GapRule = GapRule(),
                    now: datetime | None = None) -> dict[str, Any]:
    """The ranking of ``month`` (``YYYY-MM``) as of now: ranked rows, excluded wards
    with the reason, and the rule used. Plain JSON-ready data."""
    period = views.month_period(month)
    now = now or utcnow()
    views.refresh_facts(store)
    wards = list(Ward.select().where(Ward.revoked_at.is_null()).order_by(Ward.office_code))
    progress = {p.office_code: p for p in WardProgress.select()}
    acked_batch_at = {
        office: at for office, at in views._rows(Batch.select(Batch.office_code, Batch.received_at)
        .join(WardProgress, on=((WardProgress.office_code == Batch.office_code)
                                & (WardProgress.acked_batch_no == Batch.batch_no)))
        .tuples())
    }
    revisions: dict[str, list[SelfAssessment]] = {}
    for s in SelfAssessment.select().where(SelfAssessment.month == period.label).order_by(SelfAssessment.revision.desc()):
        revisions.setdefault(s.office_code, []).append(s)
    counts = views.month_counts_by_ward(store, period)
    criteria = criteria_sets(store)

    ranked: list[dict[str, Any]] = []
    excluded: list[dict[str, Any]] = []
    for ward in wards:
        office = ward.office_code
        p = progress.get(office)
        acked_seq = int(p.acked_seq) if p else 0
        base = {"office_code": office, "ward": ward.name, "data_as_of": views._iso(acked_batch_at.get(office))}
        district = compute_all(counts.get(office, Counts()))
        revs = revisions.get(office, [])
        usable = next((s for s in revs if s.state in USABLE), None)
        if usable is None:
            reason = "returned" if revs and revs[0].state == "returned" else "not_submitted"
            excluded.append({**base, "reason": reason, "missing_batches": [], "revision": revs[0].revision if revs else None})
            continue
        record = Record.get_or_none((Record.office_code == office) & (Record.entity == "self_assessment")
                                    & (Record.entity_uid == usable.uid))
        if record is None or int(record.seq) > acked_seq:
            missing = store.missing_batches(office, p) if p else []
            excluded.append({**base, "reason": "gap", "missing_batches": missing, "revision": usable.revision})
            continue
        row = _ranked_row(base, usable, record, district, criteria, rule)
        # The on-time rank counts unresolved overdue dossiers (domain.figures.on_time_share):
        # a ward cannot come first at 100% while dossiers it has not resolved are late.
        row["on_time_share"] = figures.on_time_share(counts.get(office, Counts()))[2]
        ranked.append(row)
    _ranks(ranked, "self_total", "rank_total")
    _ranks(ranked, "on_time_share", "rank_on_time")
    ranked.sort(key=lambda r: (r["rank_total"] or 10**6, r["office_code"]))
    return {
        "month": period.label,
        "generated_at": views._iso(now),
        "rule": asdict(rule),
        "ranked": ranked,
        "excluded": excluded,
        "snapshot": None,
    }


def _ranked_row(base: dict[str, Any], usable: SelfAssessment, record: Record,
                district: dict[str, IndicatorValue], criteria: dict[str, CriteriaSet], rule: GapRule) -> dict[str, Any]:
    claimed = _claimed(usable.indicators)
    try:
        payload = json.loads(record.payload)
    except ValueError:
        payload = {}
    criteria_set = criteria.get(usable.criteria_set)
    district_total: float | None = None
    if criteria_set is not None:
        card = score(criteria_set, district, _manual(payload.get("scores")))
        district_total = card.total_c / 100
    self_total = usable.total / 100
    indicators: dict[str, Any] = {}
    flags: list[str] = []
    for key in COMPARED:
        mine, theirs = claimed.get(key), district[key].value
        gap = None if mine is None or theirs is None else round(mine - theirs, 4)
        flagged = (gap is not None and gap > rule.rate) or (mine is not None and theirs is None)
        if flagged:
            flags.append(key)
        indicators[key] = {
            "self": mine, "district": theirs, "gap": gap, "flag": flagged,
            "numerator": district[key].numerator, "denominator": district[key].denominator,
        }
    score_gap = None if district_total is None else round(self_total - district_total, 2)
    if score_gap is not None and score_gap > rule.points:
        flags.insert(0, "total")
    return {
        **base,
        "revision": usable.revision,
        "state": usable.state,
        "band": usable.band,
        "criteria_set": usable.criteria_set,
        "submitted_at": views._iso(usable.submitted_at),
        "self_total": self_total,
        "district_total": district_total,
        "score_gap": score_gap,
        "on_time_rate": district["on_time_rate"].value,
        "indicators": indicators,
        "flags": flags,
        "inflated": bool(flags),
    }


# --------------------------------------------------------------------------- snapshots


def publish_snapshot(store: DistrictStore, ranking: dict[str, Any]) -> dict[str, Any]:
    """Freeze ``ranking`` as the next snapshot of its month; returns it as stored."""
    frozen = {k: v for k, v in ranking.items() if k != "snapshot"}
    body = _canonical(frozen)
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    for _ in range(3):
        try:
            with store.db.atomic():
                last = (RankingSnapshot.select(RankingSnapshot.number).where(RankingSnapshot.month == ranking["month"])
                        .order_by(RankingSnapshot.number.desc()).first())
                row = RankingSnapshot.create(month=ranking["month"], number=(last.number if last else 0) + 1,
                                             published_at=utcnow(), body=body, digest=digest)
            return _with_snapshot(frozen, row)
        except peewee.IntegrityError:  # another desk published the same month at the same moment
            continue
    raise BadInput("district.rank.publish_busy", month=ranking["month"])


def _with_snapshot(frozen: dict[str, Any], row: RankingSnapshot) -> dict[str, Any]:
    return {**frozen, "snapshot": {"number": row.number, "published_at": views._iso(row.published_at),
                                   "digest": row.digest}}


def load_snapshot(store: DistrictStore, month: str, number: int | None = None) -> dict[str, Any]:
    """A published snapshot of ``month`` (the latest, or ``number``), exactly as frozen;
    its digest is checked so a hand-edited row is refused."""
    from sync_agent.errors import Damaged

    label = views.month_period(month).label
    query = RankingSnapshot.select().where(RankingSnapshot.month == label)
    if number is not None:
        query = query.where(RankingSnapshot.number == number)
    row = query.order_by(RankingSnapshot.number.desc()).first()
    if row is None:
        raise BadInput("district.rank.no_snapshot", month=label)
    if hashlib.sha256(row.body.encode("utf-8")).hexdigest() != row.digest:
        raise Damaged("district.rank.snapshot_damaged", month=label, number=row.number)
    return _with_snapshot(json.loads(row.body), row)


# --------------------------------------------------------------------------- tables for text / XLSX


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def local_text(iso: str | None) -> str:
    """``2026-03-03T02:00:00Z`` -> ``03/03/2026 09:00`` in office time ("" for None)."""
    if not iso:
        return ""
    from datetime import timezone

    from ward_desk.domain.timing import TZ

    dt = datetime.fromisoformat(iso.rstrip("Z")).replace(tzinfo=timezone.utc).astimezone(TZ)
    return dt.strftime("%d/%m/%Y %H:%M")


def ranking_tables(ranking: dict[str, Any], language: str | None = None) -> tuple[list[str], list[Any]]:
    """Headline and tables of a ranking for :mod:`ward_desk.reports` (text, XLSX)."""
    from ward_desk.reports.cells import Table

    from ward_desk.i18n import t

    def h(key: str) -> str:
        return t(f"district.rank.col.{key}", language)

    header = [h(k) for k in ("rank_total", "office_code", "ward", "self_total", "district_total", "score_gap",
                             "rank_on_time", "on_time_share", *COMPARED, "flags", "data_as_of")]
    rows: list[list[Any]] = []
    for r in ranking["ranked"]:
        rows.append([
            r["rank_total"], r["office_code"], r["ward"], r["self_total"], r["district_total"], r["score_gap"],
            r["rank_on_time"], _pct(r.get("on_time_share")),
            *[_pct(r["indicators"][k]["district"]) for k in COMPARED],
            ", ".join(t(f"district.rank.flag.{f}", language) for f in r["flags"]),
            local_text(r["data_as_of"]),
        ])
    ranked = Table(title=t("district.rank.title", language, month=ranking["month"]), header=header, rows=rows, total=[])
    ex_header = [h(k) for k in ("office_code", "ward", "reason", "data_as_of")]
    ex_rows: list[list[Any]] = [
        [e["office_code"], e["ward"],
         t(f"district.rank.reason.{e['reason']}", language, batches=", ".join(map(str, e["missing_batches"]))),
         local_text(e["data_as_of"])]
        for e in ranking["excluded"]
    ]
    excluded = Table(title=t("district.rank.excluded_title", language), header=ex_header, rows=ex_rows, total=[])
    headline = [t("district.rank.headline", language, month=ranking["month"])]
    snap = ranking.get("snapshot")
    if snap:
        headline.append(t("district.rank.snapshot_line", language, number=snap["number"],
                          at=local_text(snap["published_at"]), digest=snap["digest"][:16]))
    else:
        headline.append(t("district.rank.live_line", language, at=local_text(ranking["generated_at"])))
    return headline, [ranked, excluded]
