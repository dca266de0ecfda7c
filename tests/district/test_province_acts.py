"""The province's acts are visible and deliberate: a revoked commune stays in the ranking,
marked; `revoke` names the commune and needs a confirmation; a month not ended cannot be
published; after a USB import the commune no longer shows as waiting; and every act
(enrol, revoke, review, publish, quarantine) is in the audit trail with who did it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from district_helpers import MONTH, build_province, local, open_district
from sync_helpers import TEST_PASSWORD, district_cli
from test_figures_agree import _to_province

from district_desk import audit, ranking, views
from district_desk.models import RankingSnapshot, Ward
from sync_agent.errors import BadInput
from tests.reports.helpers import intake, resolve

ENV = {"DISTRICT_DESK_PASSWORD": TEST_PASSWORD, "WARD_DESK_LANG": "vi"}


def test_a_revoked_commune_stays_in_the_ranking_marked(district) -> None:
    store, keys = district
    build_province(store, keys)
    store.revoke("10001")
    result = ranking.compute_ranking(store, MONTH, now=local(2026, 3, 5))
    row = next(r for r in result["ranked"] if r["office_code"] == "10001")
    assert row["revoked"] is True and row["revoked_at"] is not None
    assert next(r for r in result["excluded"] if r["office_code"] == "10004")["revoked"] is False
    _, tables = ranking.ranking_tables(result, "vi")
    assert "Phường 10001 (đã thu hồi)" in [cells[2] for cells in tables[0].rows]
    communes = {r["office_code"]: r for r in views.commune_rows(store, MONTH, now=local(2026, 3, 5))}
    assert communes["10001"]["revoked"] is True


def test_revoke_names_the_commune_and_needs_confirming(tmp_path: Path) -> None:
    store, keys = open_district(tmp_path / "district", None)
    build_province(store, keys)
    data_dir = str(store.data_dir)
    store.close()
    refused = district_cli("revoke", "--data-dir", data_dir, "--office-code", "10002", env=ENV, check=False)
    assert refused.returncode == 2
    assert "10002 Phường 10002" in refused.stdout and "--yes" in refused.stderr
    store = _reopen(data_dir)
    try:
        assert Ward.get(Ward.office_code == "10002").revoked_at is None  # nothing changed
    finally:
        store.close()
    done = district_cli("revoke", "--data-dir", data_dir, "--office-code", "10002", "--yes", env=ENV)
    assert "10002 Phường 10002" in done.stdout
    trail = json.loads(district_cli("audit", "--json", "--data-dir", data_dir, env=ENV).stdout)
    assert [(e["action"], e["office_code"]) for e in trail if e["action"] == "revoke"] == [("revoke", "10002")]
    assert trail[0]["actor"] == audit.current_actor()
    listing = district_cli("audit", "--data-dir", data_dir, env=ENV).stdout
    assert "Thu hồi quyền đồng bộ" in listing


def test_an_unfinished_or_future_month_cannot_be_published(district, tmp_path: Path) -> None:
    store, keys = district
    build_province(store, keys)
    live = ranking.compute_ranking(store, MONTH, now=local(2026, 2, 20))
    with pytest.raises(BadInput) as refused:
        ranking.publish_snapshot(store, live, now=local(2026, 2, 28, 23, 59))
    assert "2026-02" in str(refused.value) and "01/03/2026" in str(refused.value)
    assert RankingSnapshot.select().count() == 0
    ranking.publish_snapshot(store, live, now=local(2026, 3, 1, 0))
    assert RankingSnapshot.select().count() == 1
    entries = audit.entries(store, action="publish")
    assert [e["subject"] for e in entries] == ["2026-02 #1"]


def test_cli_refuses_to_publish_a_future_month(tmp_path: Path) -> None:
    store, keys = open_district(tmp_path / "district", None)
    build_province(store, keys)
    data_dir = str(store.data_dir)
    store.close()
    out = district_cli("rank", "--month", "2099-01", "--publish", "--data-dir", data_dir, env=ENV, check=False)
    assert out.returncode == 2 and "Chưa thể công bố xếp hạng tháng 2099-01" in out.stderr


def test_after_a_usb_import_the_commune_is_not_waiting(session, clock, district, tmp_path: Path) -> None:
    store, keys = district
    for day in (3, 4):
        d = intake(session, clock, local(2026, 3, day, 9))
        resolve(session, clock, d.code, local(2026, 3, day, 15), returned=True)
    _to_province(session, store, keys, tmp_path)
    row = next(r for r in views.ward_rows(store) if r["office_code"] == session.office.code)
    assert row["pending"] == 0 and row["oldest_pending_s"] is None
    assert not {"old_pending", "backlog_growing"} & set(row["stuck_reasons"]), row["stuck_reasons"]
    assert [e["action"] for e in audit.entries(store)] == ["enrol"]  # store.enrol writes it, whoever calls


def test_reviews_are_in_the_audit_trail(district) -> None:
    store, keys = district
    build_province(store, keys)
    views.record_review(store, keys, office_code="10002", month=MONTH, revision=1, status="returned",
                        comment="Tỷ lệ đúng hạn không khớp")
    views.record_review(store, keys, office_code="10001", month=MONTH, revision=1, status="accepted")
    trail = [e for e in audit.entries(store) if e["action"].startswith("review_")]
    assert [(e["action"], e["office_code"], e["subject"]) for e in trail] == [
        ("review_accepted", "10001", "2026-02 r1"), ("review_returned", "10002", "2026-02 r1")]
    assert trail[1]["detail"] == "Tỷ lệ đúng hạn không khớp"


def _reopen(data_dir: str):
    from district_desk.store import DistrictStore

    return DistrictStore.open(Path(data_dir), password=TEST_PASSWORD)
