"""One definition of each figure (ward_desk.domain.figures): the same ward's dossiers give
the same overdue count on the ward's dashboard, in its self-assessment and in the
province's list, apology-extended dossiers included and shown as such; the ranking's
on-time figure counts unresolved overdue dossiers."""

from __future__ import annotations

from argparse import Namespace
from datetime import datetime, timedelta
from pathlib import Path

from district_helpers import dossier as sim_dossier
from district_helpers import local as d_local
from district_helpers import new_ward, push, self_assessment

from district_desk import ranking, views
from district_desk.ingest import ingest
from sync_agent import ward_cli
from sync_agent.agent import AgentConfig, SyncAgent
from sync_agent.keyfiles import WardPublicKey
from tests.reports.helpers import intake, local, move, resolve
from ward_desk.domain import figures
from ward_desk.domain.report_math import Counts
from ward_desk.services import assessment as A
from ward_desk.services import dossiers

MONTH = "2026-03"
END = local(2026, 4, 1, 0)  # the month's end, office time: every side looks at this instant


def _to_province(session, store, keys, tmp_path: Path) -> None:
    """Enrol the ward with the province in this process and carry its outbox over on a USB stick."""
    district_pub = tmp_path / "district.pub"
    district_pub.write_text(store.public_keys().to_json(), encoding="utf-8")
    ward_pub = tmp_path / "ward.pub"
    ward_cli.cmd_key(Namespace(out=str(ward_pub)), session)
    store.enrol(WardPublicKey.read(ward_pub), session.office.code)
    ward_cli.cmd_enrol(Namespace(district_key=str(district_pub), district_url="http://127.0.0.1:9", fingerprint=None),
                       session)
    agent = SyncAgent(session.store.data_dir, AgentConfig())
    try:
        files = agent.export(tmp_path / "usb")
    finally:
        agent.close()
    for path in files:
        ingest(store, path.read_bytes(), keys, via="file", remote=f"file:{path.name}")


def test_overdue_agrees_on_dashboard_assessment_and_province(session, clock, district, tmp_path: Path) -> None:
    store, keys = district
    plain = intake(session, clock, local(2026, 3, 3, 9))  # overdue, no apology
    extended = intake(session, clock, local(2026, 3, 3, 10))  # overdue, apology's new date after the month
    late = intake(session, clock, local(2026, 3, 4, 9))  # resolved late
    on_time = intake(session, clock, local(2026, 3, 4, 10))  # resolved on time
    paused = intake(session, clock, local(2026, 3, 5, 9))  # waiting for a supplement: its clock stops
    due = dossiers.get(extended.code).statutory_due_at
    clock.now = due - timedelta(days=1)
    new_due = dossiers.apology_due_date(session, dossiers.get(extended.code), 30)
    assert new_due > END
    dossiers.issue_apology(session, extended.code, new_due, "Chờ kết quả xác minh của công an xã")
    resolve(session, clock, late.code, dossiers.get(late.code).statutory_due_at + timedelta(days=2))
    resolve(session, clock, on_time.code, dossiers.get(on_time.code).statutory_due_at - timedelta(hours=1))
    move(session, clock, paused.code, "forward", local(2026, 3, 5, 10))
    move(session, clock, paused.code, "request_supplement", local(2026, 3, 5, 11), reason="Thiếu bản sao giấy khai sinh")

    clock.now = END
    board = dossiers.dashboard(session)
    assessed = A.show(session, MONTH).counts
    assert assessed is not None
    _to_province(session, store, keys, tmp_path)
    listed = views.overdue_rows(store, now=END, office=session.office.code)
    counted = views.month_counts_by_ward(store, views.month_period(MONTH))[session.office.code]

    # The same two dossiers everywhere: the dashboard counted the extended one out before.
    assert board.overdue == assessed.open_overdue == len(listed) == counted.open_overdue == 2
    assert {r["code"] for r in listed} == {plain.code, extended.code}
    # ...and every side says which of them an apology slip extended.
    assert board.overdue_extended == 1
    assert [r["code"] for r in listed if r["apology_extended"]] == [extended.code]
    # The dossier list behind the dashboard's line shows the same dossiers.
    shown = dossiers.list_dossiers(session, dossiers.DossierFilter(overdue_only=True))
    assert {d.code for d in shown} == {plain.code, extended.code}


def test_standing_follows_the_module_definitions() -> None:
    due = datetime(2026, 3, 6, 10)
    at = datetime(2026, 3, 9, 10)
    s = figures.DossierStanding
    assert figures.standing(s("in_progress", due, due), at) is figures.Standing.OVERDUE
    assert figures.standing(s("in_progress", due, at + timedelta(days=3), 1), at) is figures.Standing.APOLOGY_EXTENDED
    assert figures.standing(s("in_progress", due, at - timedelta(days=1), 1), at) is figures.Standing.OVERDUE
    assert figures.standing(s("supplement_requested", due, due), at) is figures.Standing.PAUSED
    assert figures.standing(s("in_progress", at + timedelta(hours=1), at + timedelta(hours=1)), at) \
        is figures.Standing.NOT_DUE
    # Finished after the instant: it was unfinished then, and counted as running.
    assert figures.standing(s("result_ready", due, due, completed_at=at + timedelta(days=1)), at) \
        is figures.Standing.OVERDUE
    assert figures.standing(s("result_ready", due, due, completed_at=at), at) is figures.Standing.FINISHED
    assert figures.on_time_share(Counts(resolved_on_time=3, open_overdue=1)) == (3, 4, 0.75)


def test_unresolved_overdue_keeps_a_ward_off_first_place_at_100(district) -> None:
    store, keys = district
    # Ward A resolved everything it finished on time, but three dossiers are open and late.
    a = new_ward(store, "10011")
    for day in (2, 3):
        sim_dossier(a, received=d_local(2026, 2, day, 9), due=d_local(2026, 2, day + 3, 17),
                    completed=d_local(2026, 2, day + 1, 9))
    for day in (9, 10, 11):
        sim_dossier(a, received=d_local(2026, 2, day, 9), due=d_local(2026, 2, day + 3, 17))
    self_assessment(a, Counts(received_direct=5, resolved_early=2, open_overdue=3))
    push(store, keys, a)
    # Ward B resolved four of five on time and has nothing open.
    b = new_ward(store, "10012")
    for day in (2, 3, 4, 5):
        sim_dossier(b, received=d_local(2026, 2, day, 9), due=d_local(2026, 2, day + 3, 17),
                    completed=d_local(2026, 2, day + 1, 9))
    sim_dossier(b, received=d_local(2026, 2, 9, 9), due=d_local(2026, 2, 12, 17), completed=d_local(2026, 2, 24, 9))
    self_assessment(b, Counts(received_direct=5, resolved_early=4, resolved_late=1))
    push(store, keys, b)

    rows = {r["office_code"]: r for r in ranking.compute_ranking(store, "2026-02", now=d_local(2026, 3, 5))["ranked"]}
    assert rows["10011"]["on_time_rate"] == 1.0  # the criteria indicator: resolved dossiers only
    assert rows["10011"]["on_time_share"] == 2 / 5  # the ranking's figure counts the three late open ones
    assert rows["10012"]["on_time_share"] == 4 / 5
    assert rows["10012"]["rank_on_time"] == 1 and rows["10011"]["rank_on_time"] == 2
