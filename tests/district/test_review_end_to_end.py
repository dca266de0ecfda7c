"""A month returned by the district reaches the ward: a real ward store submits its
self-assessment, syncs to a real receiver, the district returns it with a comment
(`district-desk review`), the ward's next sync applies the signed review, and the
district then sees the month as returned and leaves it out of the ranking."""

from __future__ import annotations

import json
from argparse import Namespace
from pathlib import Path

from sync_helpers import Receiver, district_cli

from sync_agent import ward_cli
from sync_agent.agent import AgentConfig, SyncAgent
from tests.reports.helpers import intake, local, resolve
from ward_desk.services import assessment as A
from ward_desk.services.users import insert_user

FAST = dict(backoff_base=0.02, backoff_max=0.2, connect_timeout=2, read_timeout=5)
MONTH = "2026-02"
COMMENT = "Bổ sung minh chứng tiêu chí 1.1 (ảnh bảng niêm yết)"


def enrol(session, district_dir: Path, url: str) -> None:
    district_cli("key", "--data-dir", str(district_dir), "--out", str(district_dir / "district.pub"))
    ward_pub = district_dir.parent / "ward.pub"
    ward_cli.cmd_key(Namespace(out=str(ward_pub)), session)
    district_cli("enrol", "--data-dir", str(district_dir), "--office-code", session.office.code,
                 "--ward-key", str(ward_pub), "--fingerprint", json.loads(Path(ward_pub).read_text(encoding="utf-8"))["fingerprint"])
    ward_cli.cmd_enrol(Namespace(district_key=str(district_dir / "district.pub"), district_url=url,
                                 fingerprint=json.loads((district_dir / "district.pub").read_text(encoding="utf-8"))["fingerprint"]), session)


def sync(session) -> object:
    agent = SyncAgent(session.store.data_dir, AgentConfig(**FAST))
    try:
        report = agent.run_once(session=session)
    finally:
        agent.close()
    assert report.ok, report.error and report.error.render("en")
    return report


def test_returned_month_reaches_the_ward(session, clock, receiver: Receiver) -> None:
    enrol(session, receiver.data_dir, receiver.url)
    for day in (2, 3, 4):
        d = intake(session, clock, local(2026, 2, day, 9), channel="online")
        resolve(session, clock, d.code, local(2026, 2, day, 15), returned=True, rating="very_satisfied")
    clock.now = local(2026, 3, 3, 9)
    with session.store.db.atomic():
        session.user = insert_user("lanhdao", "Phạm Thị Lãnh Đạo", "leader", clock.now)
    for item_id in A.show(session, MONTH).pending:
        A.score_manual(session, MONTH, item_id, "3", "Báo cáo số 15/BC-UBND")
    submitted = A.submit(session, MONTH)
    sync(session)

    data_dir = str(receiver.data_dir)
    pending = json.loads(district_cli("report", "assessments", "--pending", "--json", "--data-dir", data_dir).stdout)
    assert [(r["office_code"], r["month"], r["revision"]) for r in pending] == [("22918", MONTH, 1)]
    assert pending[0]["total"] == submitted.total_c / 100
    ranked = json.loads(district_cli("rank", "--month", MONTH, "--json", "--data-dir", data_dir).stdout)["ranked"]
    assert [r["office_code"] for r in ranked] == ["22918"] and ranked[0]["flags"] == []  # the ward's own software: honest
    assert ranked[0]["district_total"] == ranked[0]["self_total"] and ranked[0]["on_time_rate"] == 1.0

    refused = district_cli("review", "--data-dir", data_dir, "--office-code", "22918", "--month", MONTH,
                           "--revision", "1", "--return", check=False)
    assert refused.returncode == 2  # a return needs a reason
    out = district_cli("review", "--data-dir", data_dir, "--office-code", "22918", "--month", MONTH,
                       "--revision", "1", "--return", "--comment", COMMENT)
    assert "review-22918-2026-02-r1" in out.stdout
    again = district_cli("review", "--data-dir", data_dir, "--office-code", "22918", "--month", MONTH,
                         "--revision", "1", "--accept", check=False)
    assert again.returncode == 2  # one decision per revision

    report = sync(session)
    assert report.documents_applied == ["review-22918-2026-02-r1"]
    view = A.show(session, MONTH)
    assert (view.state, view.review_comment, view.revision) == ("returned", COMMENT, 1)

    sync(session)  # the ward's returned state travels back up
    rows = json.loads(district_cli("report", "assessments", "--month", MONTH, "--json", "--data-dir", data_dir).stdout)
    assert rows[0]["state"] == "returned" and rows[0]["review"] == "returned" and rows[0]["review_comment"] == COMMENT
    result = json.loads(district_cli("rank", "--month", MONTH, "--json", "--data-dir", data_dir).stdout)
    assert result["ranked"] == [] and result["excluded"][0]["reason"] == "returned"
