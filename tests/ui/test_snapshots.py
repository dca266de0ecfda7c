"""SVG snapshots of the main screens at 80x24 and 120x40.

Deterministic by construction: fixed clock, fixed seed data (dossier codes
follow the receipt date and sequence), no random values on screen (the
recovery key is not snapshotted), no toasts, no slip paths.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.ui.conftest import make_app, settle, unlock

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def seed(store_dir, clock) -> None:
    """Three dossiers: one ready to return, one overdue, one received today."""
    from ward_desk.services import dossiers
    from ward_desk.services.desk import open_session
    from ward_desk.services.dossiers import IntakeRequest

    now = clock.now
    session = open_session(store_dir, "admin", "mat-khau-123", clock=clock)
    try:
        clock.now = datetime(2026, 2, 20, 2, 0)
        late = dossiers.intake(session, IntakeRequest(
            "CT.04", "Trần Văn Bình", id_number="079088001234", phone="0903123456",
            address="5 Nguyễn Đình Chiểu, Mũi Né"))
        dossiers.move(session, late.code, "forward")
        clock.now = datetime(2026, 3, 3, 1, 0)
        ready = dossiers.intake(session, IntakeRequest(
            "HT.01", "Nguyễn Thị Đào", id_number="001199004567", phone="0912345678",
            address="12 Võ Thị Sáu, Mũi Né"))
        dossiers.move(session, ready.code, "forward")
        clock.now = datetime(2026, 3, 3, 1, 30)
        dossiers.move(session, ready.code, "mark_result_ready")
        dossiers.intake(session, IntakeRequest(
            "HT.04", "Lê Thị Hoa", phone="0987654321", channel="online"))
    finally:
        session.store.close()
        clock.now = now


def desk(store_dir, clock):
    seed(store_dir, clock)
    return make_app(store_dir, clock, username="admin")


@pytest.mark.parametrize("size", SIZES)
def test_unlock_screen(snap_compare, store_dir, clock, size):
    assert snap_compare(make_app(store_dir, clock, username="admin"), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_dashboard(snap_compare, store_dir, clock, size):
    assert snap_compare(desk(store_dir, clock), terminal_size=size, run_before=unlock)


@pytest.mark.parametrize("size", SIZES)
def test_intake_form(snap_compare, store_dir, clock, size):
    async def fill(pilot):
        await unlock(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press(*"khai sinh")
        await settle(pilot)
        await pilot.press("enter", *"Pham Van Nam", "enter", *"0011", "enter", *"0912345678")
        await settle(pilot)

    assert snap_compare(desk(store_dir, clock), terminal_size=size, run_before=fill)


@pytest.mark.parametrize("size", SIZES)
def test_dossier_list_search(snap_compare, store_dir, clock, size):
    async def search(pilot):
        await unlock(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press(*"thi")
        await pilot.pause(0.3)
        await settle(pilot)

    assert snap_compare(desk(store_dir, clock), terminal_size=size, run_before=search)


@pytest.mark.parametrize("size", SIZES)
def test_overdue_list_and_detail(snap_compare, store_dir, clock, size):
    async def overdue(pilot):
        await unlock(pilot)
        lines = pilot.app.screen.query_one("#lines")
        lines.highlighted = 3  # "Quá hạn"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("tab", "tab", "tab", "tab", "tab", "enter")
        await settle(pilot)

    assert snap_compare(desk(store_dir, clock), terminal_size=size, run_before=overdue)


@pytest.mark.parametrize("size", SIZES)
def test_call_list(snap_compare, store_dir, clock, size):
    async def calls(pilot):
        await unlock(pilot)
        await pilot.press("f5")
        await settle(pilot)

    assert snap_compare(desk(store_dir, clock), terminal_size=size, run_before=calls)


@pytest.mark.parametrize("size", SIZES)
def test_help_in_english(snap_compare, store_dir, clock, size):
    async def help_en(pilot):
        await unlock(pilot)
        await pilot.press("f9", "f1")
        await settle(pilot)

    assert snap_compare(desk(store_dir, clock), terminal_size=size, run_before=help_en)


def leader_desk(store_dir, clock):
    """The seeded desk with a leader, signed in as the leader."""
    from ward_desk.services.desk import open_session
    from ward_desk.services.users import add_user

    seed(store_dir, clock)
    session = open_session(store_dir, "admin", "mat-khau-123", clock=clock)
    try:
        store = session.store
        add_user(store.keyfile(), store.keys_path, store.key, username="lanhdao", full_name="Nguyễn Văn Lãnh Đạo",
                 role="leader", password="mat-khau-123", now=clock.now)
    finally:
        session.store.close()
    return make_app(store_dir, clock, username="lanhdao")


@pytest.mark.parametrize("size", SIZES)
def test_self_assessment(snap_compare, store_dir, clock, size):
    async def assess(pilot):
        await unlock(pilot)
        await pilot.press("f7")
        await settle(pilot)

    assert snap_compare(leader_desk(store_dir, clock), terminal_size=size, run_before=assess)


@pytest.mark.parametrize("size", SIZES)
def test_monthly_report(snap_compare, store_dir, clock, size):
    async def report(pilot):
        await unlock(pilot)
        await pilot.press("f7")
        await settle(pilot)
        await pilot.press("right_square_bracket", "m")  # March: the seeded dossiers
        await settle(pilot)

    assert snap_compare(leader_desk(store_dir, clock), terminal_size=size, run_before=report)


@pytest.mark.parametrize("size", SIZES)
def test_trend(snap_compare, store_dir, clock, size):
    async def trend(pilot):
        await unlock(pilot)
        await pilot.press("f7")
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)

    assert snap_compare(leader_desk(store_dir, clock), terminal_size=size, run_before=trend)
