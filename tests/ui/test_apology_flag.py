"""The "needs an apology slip" flag is for dossiers that will be late, not for those
merely due today: a same-day procedure received minutes ago is due today, nothing more."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.ui.conftest import make_app, settle, unlock
from tests.ui.test_desk_flow import open_in_list, run, screen_text
from ward_desk.domain.lateness import will_be_late


async def receive_same_day(pilot, name: str) -> str:
    await pilot.press("f3")
    await settle(pilot)
    await pilot.press(*"chung thuc ban sao", "enter", *name, "ctrl+s")
    await settle(pilot)
    return pilot.app.screen._last_code


def test_a_same_day_dossier_is_due_today_and_flagged_only_once_its_time_has_passed(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            code = await receive_same_day(pilot, "Nguyen Van An")
            clock.advance(minutes=5)
            await pilot.press("f6", "r")
            await settle(pilot)
            counts = app.screen._counts
            assert counts.due_today == 1 and counts.apology_needed == 0 and counts.overdue == 0
            await open_in_list(pilot, "nguyen van", code)
            assert "Cần phiếu xin lỗi" not in screen_text(app)
            # The office closes at 17:00 without a result: now it will be late.
            clock.now = datetime(2026, 3, 3, 10, 30)  # 17:30 in Hà Nội
            await pilot.press("f6", "r")
            await settle(pilot)
            counts = app.screen._counts
            assert counts.apology_needed == 1 and counts.due_today == 0
            await pilot.press("f4", "ctrl+f", *"nguyen van", "enter", "enter")
            await settle(pilot)
            assert app.screen._code == code
            assert "Cần phiếu xin lỗi" in screen_text(app)

    run(scenario)


@pytest.mark.parametrize("state, due_hours, apologies, late", [
    ("received", -1, 0, True), ("in_progress", -1, 0, True), ("received", 1, 0, False),
    ("received", -1, 1, False), ("result_ready", -1, 0, False), ("suspended", -1, 0, False),
])
def test_will_be_late(state: str, due_hours: int, apologies: int, late: bool) -> None:
    from datetime import timedelta

    now = datetime(2026, 3, 3, 2, 0)
    assert will_be_late(state, now + timedelta(hours=due_hours), apologies, now) is late


# -- "the result will not be ready in time" (the officer's declaration) -----------------

def test_lateness_tells_due_today_and_due_soon_from_will_be_late() -> None:
    from datetime import timedelta

    from ward_desk.domain.calendar import WorkingCalendar
    from ward_desk.domain.lateness import Lateness, lateness

    cal = WorkingCalendar()
    now = datetime(2026, 3, 3, 2, 0)  # Tuesday 09:00 in Hà Nội
    today_17h, wed_17h, fri_17h = (datetime(2026, 3, d, 10, 0) for d in (3, 4, 6))
    assert lateness("received", today_17h, 0, now, cal) is Lateness.DUE_TODAY
    assert lateness("in_progress", wed_17h, 0, now, cal) is Lateness.DUE_SOON
    assert lateness("received", fri_17h, 0, now, cal) is None
    assert lateness("received", fri_17h, 0, now, cal, declared_late=True) is Lateness.WILL_BE_LATE
    assert lateness("received", now - timedelta(minutes=1), 0, now, cal) is Lateness.WILL_BE_LATE
    # An apology slip already issued, or no result being worked on: nothing more is due.
    assert lateness("received", fri_17h, 1, now, cal, declared_late=True) is None
    assert lateness("result_ready", today_17h, 0, now, cal) is None
    assert will_be_late("received", fri_17h, 0, now, declared_late=True)
    assert not will_be_late("suspended", fri_17h, 0, now, declared_late=True)


def test_a_declared_dossier_will_be_late_before_its_due_time_and_its_slip_may_go_out(session, clock) -> None:
    from datetime import timedelta

    from ward_desk.errors import InvalidInput
    from ward_desk.services import dossiers

    d = dossiers.intake(session, dossiers.IntakeRequest(procedure_code="HT.04", applicant_name="Trần Thị Bình"))
    other = dossiers.intake(session, dossiers.IntakeRequest(procedure_code="HT.04", applicant_name="Lê Văn Cường"))
    assert d.due_at > clock() + timedelta(days=2)  # three working days: due on Friday
    assert dossiers.dashboard(session).apology_needed == 0
    with pytest.raises(InvalidInput) as err:
        dossiers.declare_late(session, d.code, "03/03/2026")  # a date is no reason
    assert err.value.message.id == "validation.reason_date_only"
    assert not dossiers.declared_late(d)

    dossiers.declare_late(session, d.code, "Chờ kết quả xác minh của công an xã")
    assert dossiers.declared_late(d) and not dossiers.declared_late(other)
    assert dossiers.dashboard(session).apology_needed == 1
    assert [x.code for x in dossiers.apology_candidates(session)] == [d.code]
    assert dossiers.history(d)[-1].kind == "late_notice"
    assert dossiers.projection(d).state.value == "received"  # the state does not change
    with pytest.raises(InvalidInput) as err:
        dossiers.declare_late(session, d.code, "Chờ kết quả xác minh của công an xã")
    assert err.value.message.id == "dossier.late_already_declared"

    # Now the slip may go out before the due day, and then nothing more is due.
    dossiers.issue_apology(session, d.code, d.due_at + timedelta(days=3), "Chờ kết quả xác minh của công an")
    assert dossiers.dashboard(session).apology_needed == 0
    with pytest.raises(InvalidInput) as err:
        dossiers.declare_late(session, d.code, "Chờ kết quả xác minh của công an xã")
    assert err.value.message.id == "dossier.late_apology_issued"
    dossiers.move(session, other.code, "mark_result_ready")
    with pytest.raises(InvalidInput) as err:
        dossiers.declare_late(session, other.code, "Chờ kết quả xác minh của công an xã")
    assert err.value.message.id == "dossier.late_not_running"


def test_the_officer_declares_from_the_detail_screen_and_the_flags_differ(store_dir, clock):
    async def scenario():
        app = make_app(store_dir, clock, username="admin")
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            today = await receive_same_day(pilot, "Nguyen Van An")
            await open_in_list(pilot, "nguyen van", today)
            shown = screen_text(app)
            assert "Đến hạn trả hôm nay" in shown and "Cần phiếu xin lỗi" not in shown
            await pilot.press("f3")
            await settle(pilot)
            await pilot.press(*"dang ky giam ho", "enter", *"Tran Thi Binh", "ctrl+s")
            await settle(pilot)
            code = app.screen._last_code
            await pilot.press("f4", "ctrl+f", *"tran thi binh")
            await pilot.pause(0.3)  # the debounce
            await pilot.press("enter", "enter")
            await settle(pilot)
            assert app.screen._code == code
            shown = screen_text(app)
            assert "Đến hạn" not in shown and "Sắp đến hạn" not in shown and "Cần phiếu xin lỗi" not in shown
            # Not flagged, yet a slip may already go out: an apology has a latest day, not
            # an earliest one (issue 10, Decree 118/2025).
            await pilot.press("t")
            await settle(pilot)
            await pilot.press("1", "ctrl+s")  # the first common reason
            await settle(pilot)
            view = app.screen._view
            assert view.declared_late and view.will_be_late and view.can_apologize
            shown = screen_text(app)
            assert "Cần phiếu xin lỗi" in shown  # the timeline (below the fold) says why
            assert [e.kind for e in view.events][-1] == "late_notice"
            assert view.events[-1].reason == "Chờ ý kiến, kết quả xác minh của cơ quan liên quan"
            await pilot.press("f6", "r")
            await settle(pilot)
            assert app.screen._counts.apology_needed == 1 and app.screen._counts.due_today == 1

    run(scenario)
