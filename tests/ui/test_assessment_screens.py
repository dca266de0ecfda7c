"""Self-assessment, monthly report, trend and the sync status line, at 80x24 on a real store."""

from __future__ import annotations

import asyncio
from datetime import datetime

from tests.ui.conftest import make_app, settle, unlock

LEADER, CLERK, PASSWORD = "lanhdao", "vanthu", "mat-khau-123"
MONTH = "2026-02"  # the clock says 03/03/2026: February is the month to assess


def run(scenario) -> None:
    asyncio.run(scenario())


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def prepare(store_dir, clock) -> None:
    """A leader and a clerk; a few dossiers in February; five of the six manual
    criteria already scored, so the leader has one left to score in the app."""
    from ward_desk.services import assessment, dossiers
    from ward_desk.services.desk import open_session, session_for
    from ward_desk.services.dossiers import IntakeRequest
    from ward_desk.services.users import add_user

    now = clock.now
    session = open_session(store_dir, "admin", PASSWORD, clock=clock)
    try:
        store = session.store
        for username, name, role in ((LEADER, "Nguyễn Văn Lãnh Đạo", "leader"), (CLERK, "Lê Thị Văn Thư", "clerk")):
            add_user(store.keyfile(), store.keys_path, store.key, username=username, full_name=name, role=role,
                     password=PASSWORD, now=now)
        clock.now = datetime(2026, 2, 10, 2, 0)
        for name in ("Trần Văn Bình", "Phạm Thị Cúc"):
            d = dossiers.intake(session, IntakeRequest("HT.01", name, phone="0912345678"))
            dossiers.move(session, d.code, "forward")
            clock.advance(hours=2)
            dossiers.move(session, d.code, "mark_result_ready")
        clock.now = now
        leader = session_for(store, LEADER, clock=clock)
        manual = [i.criterion_id for i in assessment.show(leader, MONTH).items if i.kind == "manual"]
        for criterion in manual[1:]:
            assessment.score_manual(leader, MONTH, criterion, "2", "Biên bản kiểm tra tháng 2")
    finally:
        session.store.close()
        clock.now = now


def test_leader_scores_a_manual_criterion_with_evidence_and_submits(store_dir, clock):
    prepare(store_dir, clock)

    async def scenario():
        from ward_desk.ui.screens.assessment import AssessmentScreen
        from ward_desk.ui.screens.dialogs import ConfirmDialog, ScoreDialog

        app = make_app(store_dir, clock, username=LEADER)
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot, PASSWORD)
            await pilot.press("f7")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, AssessmentScreen)
            view = screen._data.view
            assert view.month == MONTH and view.state == "draft" and len(view.pending) == 1
            assert "02/2026" in screen_text(app)
            # Computed items come explained ("… = n/d → p/max").
            assert any(i.kind == "computed" for i in view.items)
            pending = [i.criterion_id for i in view.items].index(view.pending[0])
            screen.query_one("#items").move_cursor(row=pending)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, ScoreDialog)
            await pilot.press("9", "9", "enter")  # over the maximum: refused, the dialog comes back
            await pilot.press(*"Niem yet du 45 thu tuc", "enter", "enter")
            await settle(pilot)
            assert isinstance(app.screen, ScoreDialog)
            assert app.screen.query_one("#problem").render().plain
            app.screen.query_one("#points").value = ""
            await pilot.press("5", "ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, AssessmentScreen), app.screen.query_one("#problem").render()
            item = next(i for i in screen._data.view.items if i.criterion_id == view.pending[0])
            assert item.points_c == 500 and item.evidence == "Niem yet du 45 thu tuc"
            assert not screen._data.view.pending
            await pilot.press("s")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog)
            await pilot.press("enter")
            await settle(pilot)
            view = screen._data.view
            assert view.state == "submitted" and view.signature
            assert not app.screen.check_action("submit", ())  # locked now
            assert app.screen.check_action("revise", ())

    run(scenario)


def test_clerk_sees_the_month_read_only(store_dir, clock):
    prepare(store_dir, clock)

    async def scenario():
        from ward_desk.ui.screens.assessment import AssessmentScreen

        app = make_app(store_dir, clock, username=CLERK)
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot, PASSWORD)
            await pilot.press("f7")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, AssessmentScreen)
            assert not screen.check_action("score", ()) and not screen.check_action("submit", ())
            await pilot.press("enter", "e", "s")
            await settle(pilot)
            assert app.screen is screen  # no dialog opened
            assert screen._data.view.state == "draft"
            assert "lãnh đạo" in screen.query_one("#hint").render().plain
            # Criteria by their names, never their keys (it showed "timeliness.on_time").
            from tests.ui.test_desk_flow import screen_text

            shown = screen_text(app)
            assert "timeliness." not in shown and "disclosure." not in shown
            name = screen._data.view.criteria_set.item("timeliness.on_time").title("vi")
            assert name[:21] in shown

    run(scenario)


def test_returned_month_is_revised_and_resubmitted(store_dir, clock):
    prepare(store_dir, clock)
    from ward_desk.services import assessment
    from ward_desk.services.desk import open_session

    session = open_session(store_dir, LEADER, PASSWORD, clock=clock)
    try:
        first = next(i for i in assessment.show(session, MONTH).items if i.points_c is None)
        assessment.score_manual(session, MONTH, first.criterion_id, "3", "Có biên bản")
        assessment.submit(session, MONTH)
        assessment.apply_review(session, MONTH, 1, "returned", "Thiếu minh chứng tiêu chí 1")
    finally:
        session.store.close()

    async def scenario():
        from ward_desk.ui.screens.dialogs import ConfirmDialog, ReasonDialog

        app = make_app(store_dir, clock, username=LEADER)
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot, PASSWORD)
            await pilot.press("f7")
            await settle(pilot)
            screen = app.screen
            assert screen._data.view.state == "returned"
            assert "Thiếu minh chứng tiêu chí 1" in screen_text(app)
            await pilot.press("v")
            await settle(pilot)
            assert isinstance(app.screen, ReasonDialog)
            await pilot.press(*"Bo sung minh chung", "enter")
            await settle(pilot)
            assert screen._data.view.state == "draft" and screen._data.view.revision == 2
            await pilot.press("s")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDialog)
            await pilot.press("enter")
            await settle(pilot)
            assert screen._data.view.state == "submitted" and screen._data.view.revision == 2

    run(scenario)


def test_report_and_trend_render_a_month(store_dir, clock):
    prepare(store_dir, clock)

    async def scenario():
        from ward_desk.ui.screens.report import ReportScreen
        from ward_desk.ui.screens.trend import TrendScreen

        app = make_app(store_dir, clock, username=CLERK)
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot, PASSWORD)
            await pilot.press("f7")
            await settle(pilot)
            await pilot.press("m")
            await settle(pilot)
            assert isinstance(app.screen, ReportScreen)
            report = app.screen._report
            assert report.period.label == MONTH and report.total.received == 2
            assert "2/2026" in screen_text(app)
            table = app.screen.query_one("#report")
            assert table.row_count >= 2  # a field row and the total
            await pilot.press("g")
            await pilot.press("left_square_bracket")
            await settle(pilot)
            assert app.screen._report.period.label == "2026-01"
            await pilot.press("escape", "t")
            await settle(pilot)
            assert isinstance(app.screen, TrendScreen)
            rows = app.screen._rows
            assert len(rows) == 12 and rows[-1].month == MONTH and rows[-1].resolved == 2
            assert app.screen.query_one("#trend").row_count == 12
            assert any(ch in screen_text(app) for ch in "▁▂▃▄▅▆▇█")

    run(scenario)


def test_sync_status_line_says_not_enrolled(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin", sync_delay_seconds=0.01)
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            for _ in range(50):
                if app.sync_facts is not None:
                    break
                await pilot.pause(0.05)
            await settle(pilot)
            assert app.sync_facts == {"enrolled": False}
            assert not app.sync_running
            assert "chưa đăng ký" in app.screen.query_one("#sync").render().plain
            await pilot.press("f9")
            await settle(pilot)
            assert "not enrolled" in app.screen.query_one("#sync").render().plain

    run(scenario)
