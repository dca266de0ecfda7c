"""The district view on real district stores (SQLite and PostgreSQL): the monthly
ranking counts only complete months and flags an inflated self-score, a published
snapshot stays frozen, overdue dossiers and stuck wards show across wards."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from district_helpers import MONTH, build_province, dossier, local, new_ward, push, self_assessment
from sync_helpers import district_cli

from district_desk import ranking, views
from district_desk.models import Heartbeat, RankingSnapshot
from ward_desk.domain.report_math import Counts


def test_ranking_counts_only_complete_months_and_flags_inflation(district) -> None:
    store, keys = district
    _, counts, _, _ = build_province(store, keys)
    result = ranking.compute_ranking(store, MONTH)

    assert [r["office_code"] for r in result["ranked"]] == ["10001", "10002"]  # by self-score
    assert [r["rank_total"] for r in result["ranked"]] == [1, 2]
    excluded = {e["office_code"]: e for e in result["excluded"]}
    assert excluded["10003"]["reason"] == "gap" and excluded["10003"]["missing_batches"] == [2]
    assert excluded["10004"]["reason"] == "not_submitted"
    assert excluded["10005"]["reason"] == "returned"

    honest = next(r for r in result["ranked"] if r["office_code"] == "10001")
    # The district counted the same month as the ward: same indicators, same total, no flag.
    from ward_desk.domain.indicators import compute_all

    expected = compute_all(counts)
    for key in ranking.COMPARED:
        assert honest["indicators"][key]["district"] == pytest.approx(expected[key].value), key
    assert honest["indicators"]["on_time_rate"]["district"] == pytest.approx(0.75)
    assert honest["indicators"]["satisfaction_share"]["district"] == pytest.approx(2 / 3)
    assert honest["indicators"]["apology_share"]["district"] == pytest.approx(0.5)  # 1 of (1 late + 1 open overdue)
    assert honest["score_gap"] == 0 and honest["flags"] == [] and not honest["inflated"]
    assert honest["data_as_of"] is not None and honest["rank_on_time"] == 1

    inflated = next(r for r in result["ranked"] if r["office_code"] == "10002")
    assert inflated["inflated"] and inflated["flags"][0] == "total"
    assert {"on_time_rate", "apology_share"} <= set(inflated["flags"])
    assert inflated["indicators"]["on_time_rate"] == {**inflated["indicators"]["on_time_rate"], "self": 1.0,
                                                      "district": 0.5, "gap": 0.5, "flag": True}
    assert inflated["score_gap"] > 2 and inflated["rank_on_time"] == 2


def test_gap_filled_later_makes_the_month_rankable(district) -> None:
    store, keys = district
    ward = new_ward(store, "20001")
    for day in range(2, 7):
        dossier(ward, received=local(2026, 2, day, 9), due=local(2026, 2, day + 3, 17), completed=local(2026, 2, day + 1))
    self_assessment(ward, Counts(received_direct=5, resolved_early=5))
    sealed = []
    while ward.built_seq < len(ward.outbox):
        sealed.append(ward.next_batch(2))
    assert len(sealed) == 3
    from district_desk.ingest import ingest

    for batch in sealed[:1] + sealed[2:]:
        ingest(store, batch.envelope, keys, via="file")
    assert ranking.compute_ranking(store, MONTH)["excluded"][0]["reason"] == "gap"
    ingest(store, sealed[1].envelope, keys, via="file")
    ranked = ranking.compute_ranking(store, MONTH)["ranked"]
    assert [r["office_code"] for r in ranked] == ["20001"] and ranked[0]["on_time_rate"] == 1.0


def test_published_snapshot_stays_frozen(district) -> None:
    store, keys = district
    honest, _, _, silent = build_province(store, keys)
    first = ranking.publish_snapshot(store, ranking.compute_ranking(store, MONTH))
    assert first["snapshot"]["number"] == 1

    # After publication: the silent ward submits, the honest ward's month gets a late dossier.
    self_assessment(silent, Counts(received_direct=1, resolved_early=1))
    push(store, keys, silent)
    dossier(honest, received=local(2026, 2, 9, 9), due=local(2026, 2, 12, 17), completed=local(2026, 2, 20, 9))
    push(store, keys, honest)

    live = ranking.compute_ranking(store, MONTH)
    assert "10004" in [r["office_code"] for r in live["ranked"]]
    live_honest = next(r for r in live["ranked"] if r["office_code"] == "10001")
    assert live_honest["indicators"]["on_time_rate"]["district"] == pytest.approx(0.6)

    frozen = ranking.load_snapshot(store, MONTH)
    assert frozen == first
    assert "10004" not in [r["office_code"] for r in frozen["ranked"]]
    assert next(r for r in frozen["ranked"] if r["office_code"] == "10001")["on_time_rate"] == pytest.approx(0.75)

    second = ranking.publish_snapshot(store, live)
    assert second["snapshot"]["number"] == 2
    assert ranking.load_snapshot(store, MONTH)["snapshot"]["number"] == 2
    assert ranking.load_snapshot(store, MONTH, 1) == first
    assert RankingSnapshot.select().count() == 2


def test_overdue_across_wards(district) -> None:
    store, keys = district
    a = new_ward(store, "30001")
    b = new_ward(store, "30002")
    dossier(a, received=local(2026, 2, 20, 9), due=local(2026, 2, 25, 17), code="A-LATE")
    dossier(a, received=local(2026, 3, 2, 9), due=local(2026, 3, 5, 17), code="A-NOT-DUE")
    dossier(a, received=local(2026, 2, 2, 9), due=local(2026, 2, 5, 17), completed=local(2026, 2, 27), code="A-DONE-LATE")
    dossier(b, received=local(2026, 2, 16, 9), due=local(2026, 2, 19, 17), apology=1, new_due=local(2026, 3, 10, 17),
            code="B-LATE-APOLOGY")
    dossier(b, received=local(2026, 2, 2, 9), due=local(2026, 2, 5, 17), state="supplement_requested", code="B-PAUSED")
    push(store, keys, a)
    push(store, keys, b)
    rows = views.overdue_rows(store, now=local(2026, 3, 3, 9))
    assert [r["code"] for r in rows] == ["B-LATE-APOLOGY", "A-LATE"]  # longest overdue first
    late_b, late_a = rows
    assert late_b["apology"] and late_b["ward"] == "Phường 30002" and late_b["working_days_late"] > late_a["working_days_late"] > 0
    assert "applicant_name" not in late_a and late_a["data_as_of"]
    assert [r["code"] for r in views.overdue_rows(store, now=local(2026, 3, 3, 9), office="30001")] == ["A-LATE"]


def test_stuck_wards_and_growing_backlog(district) -> None:
    from district_desk.store import utcnow

    store, keys = district
    for code in ("40001", "40002", "40003"):
        ward = new_ward(store, code)
        dossier(ward, received=local(2026, 2, 2), due=local(2026, 2, 5, 17))
        push(store, keys, ward)
    now = utcnow()
    Heartbeat.delete().execute()

    def beat(office: str, hours_ago: float, pending: int, oldest: int) -> None:
        at = now - timedelta(hours=hours_ago)
        Heartbeat.create(office_code=office, received_at=at, ward_clock=at, clock_offset_s=0, pending=pending,
                         oldest_pending_s=oldest, free_disk_bytes=10**9)

    beat("40001", 20, 10, 600)  # growing: more pending, the oldest still waiting
    beat("40001", 1, 250, 19 * 3600)
    beat("40002", 20, 300, 3600)  # draining
    beat("40002", 1, 0, 0)
    from district_desk.models import WardProgress

    WardProgress.update(last_sync=now - timedelta(hours=30)).where(WardProgress.office_code == "40003").execute()
    rows = {r["office_code"]: r for r in views.ward_rows(store, now)}
    assert rows["40001"]["stuck"] and rows["40001"]["stuck_reasons"] == ["backlog_growing"]
    assert rows["40001"]["pending"] == 250 and rows["40001"]["pending_window_start"] == 10
    assert not rows["40002"]["stuck"]
    assert rows["40003"]["stuck_reasons"] == ["no_contact"] and rows["40003"]["hours_since_contact"] == 30
    assert [r["office_code"] for r in views.backlog_rows(store, now)] == ["40001", "40003"]
    for row in rows.values():
        assert {"office_code", "dossiers", "last_sync", "acked_seq", "pending", "oldest_pending_s"} <= set(row)


def test_cli_rank_report_and_xlsx(district, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    store, keys = district
    build_province(store, keys)
    data_dir = str(store.data_dir)
    out = json.loads(district_cli("rank", "--month", MONTH, "--json", "--data-dir", data_dir).stdout)
    assert [r["office_code"] for r in out["ranked"]] == ["10001", "10002"] and out["snapshot"] is None
    text_vi = district_cli("rank", "--month", MONTH, "--data-dir", data_dir, "--lang", "vi").stdout
    text_en = district_cli("rank", "--month", MONTH, "--data-dir", data_dir, "--lang", "en").stdout
    first = out["ranked"][0]
    assert f"{first['on_time_share'] * 100:.1f}".replace(".", ",") in text_vi and not re.search(r"\d\.\d", text_vi)
    assert f"{first['on_time_share'] * 100:.1f}" in text_en and not re.search(r"\d,\d", text_en)
    published = district_cli("rank", "--month", MONTH, "--publish", "--data-dir", data_dir, env={"WARD_DESK_LANG": "vi"})
    assert "bản số 1" in published.stdout
    snap = json.loads(district_cli("rank", "--month", MONTH, "--snapshot", "--json", "--data-dir", data_dir).stdout)
    assert snap["snapshot"]["number"] == 1 and snap["ranked"] == out["ranked"]
    xlsx = tmp_path / "rank.xlsx"
    district_cli("rank", "--month", MONTH, "--xlsx", str(xlsx), "--data-dir", data_dir, "--lang", "vi")
    sheet = load_workbook(xlsx).worksheets[0]
    values = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "Tự chấm" in values and "Phường 10001" in values
    assert any(isinstance(v, str) and v.startswith("tổng điểm cao hơn số liệu") for v in values)
    overdue = tmp_path / "overdue.xlsx"
    district_cli("report", "overdue", "--xlsx", str(overdue), "--data-dir", data_dir, "--lang", "vi")
    cells = [c.value for row in load_workbook(overdue).worksheets[0].iter_rows() for c in row]
    assert "10001-OPEN-LATE" in cells
    wards = json.loads(district_cli("report", "wards", "--json", "--data-dir", data_dir).stdout)
    assert {w["office_code"] for w in wards} == {"10001", "10002", "10003", "10004", "10005"}
    assert next(w for w in wards if w["office_code"] == "10003")["stuck_reasons"] == ["gap"]
    listing = json.loads(district_cli("report", "assessments", "--month", MONTH, "--pending", "--json",
                                      "--data-dir", data_dir).stdout)
    assert {r["office_code"] for r in listing} == {"10001", "10002", "10003"}
    bad = district_cli("rank", "--month", "2026-13", "--data-dir", data_dir, check=False)
    assert bad.returncode == 2 and "YYYY-MM" in bad.stderr
