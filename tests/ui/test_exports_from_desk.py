"""The monthly report, the dossier list and the call list are exported to XLSX (Ctrl+T)
and printed (Ctrl+R) from the desk; list files, which hold names and phones, go where
printed slips go (and are cleared with them)."""

from __future__ import annotations

from pathlib import Path

from tests.ui.conftest import settle, unlock
from tests.ui.test_desk_flow import run
from tests.ui.test_snapshots import leader_desk


def _cells(path: Path) -> list[object]:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    return [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def _new(folder: Path, suffix: str, before: set[Path]) -> Path:
    made = [p for p in folder.glob(f"*{suffix}") if p not in before]
    assert len(made) == 1, made
    return made[0]


def test_report_and_lists_export_to_xlsx_and_print_from_the_desk(store_dir, clock):
    async def scenario():
        app = leader_desk(store_dir, clock)
        exports, slips = store_dir / "exports", store_dir / "slips"
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            await pilot.press("f7")
            await settle(pilot)
            await pilot.press("right_square_bracket", "m")  # March: the seeded dossiers
            await settle(pilot)
            await pilot.press("ctrl+t")
            await settle(pilot)
            report = _new(exports, ".xlsx", set())
            assert report.name.startswith("bao-cao-2026-03-")
            cells = _cells(report)
            assert "Hộ tịch" in cells and "Chứng thực" in cells and "Tổng cộng" in cells
            assert any(str(report) in str(n.message) for n in app._notifications)
            await pilot.press("ctrl+r")  # no printer here (the stand-in lp): said, file kept
            await settle(pilot)
            pdf = _new(exports, ".pdf", set())
            assert pdf.read_bytes().startswith(b"%PDF")
            said = str(list(app._notifications)[-1].message)
            assert "Không có máy in" in said or "máy in" in said.lower(), said
            assert str(pdf) in said

            await pilot.press("f5")
            await settle(pilot)
            await pilot.press("ctrl+t")
            await settle(pilot)
            calls = _new(slips, ".xlsx", set())
            assert "Nguyễn Thị Đào" in _cells(calls) and "0912345678" in _cells(calls)

            await pilot.press("f4")
            await settle(pilot)
            before = set(slips.glob("*.xlsx"))
            await pilot.press("ctrl+t")
            await settle(pilot)
            listed = _cells(_new(slips, ".xlsx", before))
            assert {"Trần Văn Bình", "Nguyễn Thị Đào", "Lê Thị Hoa"} <= set(listed)
            await pilot.press("ctrl+r")
            await settle(pilot)
            assert len(list(slips.glob("ho-so-*.pdf"))) == 1

    run(scenario)
    # A list's files hold personal data: the slips' retention clears them too.
    from ward_desk.slips.output import purge_old_slips

    assert purge_old_slips(store_dir, 0) >= 3 and not list((store_dir / "slips").glob("*.xlsx"))
