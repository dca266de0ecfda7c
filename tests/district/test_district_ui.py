"""The district desk driven by keys at 80x24 on a real (encrypted SQLite) district store:
stuck wards in red, the ranking with the inflated ward flagged, overdue across
wards, a self-assessment returned with a reason, and the language switch."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from district_helpers import build_province, local, open_district
from sync_helpers import TEST_PASSWORD

from ward_desk.i18n import set_language


@pytest.fixture(autouse=True)
def _vietnamese():
    set_language("vi")
    yield
    set_language("vi")


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def settle(pilot) -> None:
    """Wait for the screen's workers, then for the messages they posted."""
    for _ in range(200):
        await pilot.pause()
        if not [w for w in pilot.app.workers if not w.is_finished]:
            break
        await asyncio.sleep(0.02)
    await pilot.pause()


def test_district_desk_at_80x24(tmp_path: Path) -> None:
    from district_desk.models import AssessmentReview, DownlinkDoc
    from district_desk.ui.app import DistrictApp

    store, keys = open_district(tmp_path / "district", None)
    build_province(store, keys)
    data_dir = store.data_dir
    store.close()
    app = DistrictApp(data_dir, password=lambda: TEST_PASSWORD, month="2026-02", now=lambda: local(2026, 3, 3, 9))

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            text = screen_text(app)
            assert "Quận Thử" in text and "Tháng 2026-02" in text
            assert "1 Phường/xã" in text and "4 Thẩm định" in text
            assert "10003" in text and "thiếu gói" in text  # the ward with a gap is flagged...
            wards = app.screen.query_one("#wards-table")
            stuck_cell = wards.get_row_at(2)[0]
            assert stuck_cell.plain == "10003" and "red" in str(stuck_cell.style)  # ...in red

            await pilot.press("2")
            await settle(pilot)
            text = screen_text(app)
            assert "10001" in text and "10002" in text and "10004" in text
            ranked = app.screen.query_one("#ranking-table")
            inflated = ranked.get_row_at(1)
            assert inflated[1] == "10002" and "red" in str(inflated[3].style)

            await pilot.press("3")
            await settle(pilot)
            assert "10001-OPEN-LATE" in screen_text(app)

            await pilot.press("4")
            await settle(pilot)
            reviews = app.screen.query_one("#reviews-table")
            codes = [reviews.get_row_at(i)[0] for i in range(reviews.row_count)]
            reviews.move_cursor(row=codes.index("10002"))
            await pilot.press("t")
            await settle(pilot)
            await pilot.press("enter")  # an empty reason is refused in the dialog
            await pilot.pause()
            assert "Hãy ghi lý do" in screen_text(app)
            await pilot.press(*"Ty le dung han khong khop du lieu", "enter")
            await settle(pilot)
            assert "Trả lại" in screen_text(app)

            reviews.move_cursor(row=codes.index("10001"))
            await pilot.press("a")
            await settle(pilot)

            await pilot.press("l")
            await settle(pilot)
            text = screen_text(app)
            assert "4 Reviews" in text and "Returned" in text and "Accepted" in text

    asyncio.run(scenario())

    store, _ = _reopen(data_dir)
    try:
        decisions = {r.office_code: r for r in AssessmentReview.select()}
        assert decisions["10002"].status == "returned"
        assert decisions["10002"].comment == "Ty le dung han khong khop du lieu"
        assert decisions["10001"].status == "accepted"
        assert {d.audience for d in DownlinkDoc.select().where(DownlinkDoc.kind == "review")} == {"10001", "10002"}
    finally:
        store.close()


def _reopen(data_dir: Path):
    from district_desk.store import DistrictStore

    store = DistrictStore.open(data_dir, password=TEST_PASSWORD)
    return store, None
