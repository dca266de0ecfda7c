"""The province drills down from its lists to one commune: per-commune counts, the
commune's dossiers, and its self-assessment criterion by criterion as the batch carried
it (hand-scored points with their evidence), in the CLI and at 80x24 in the UI."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from district_helpers import MONTH, build_province, local, open_district
from sync_helpers import TEST_PASSWORD, district_cli

from district_desk import views
from ward_desk.i18n import set_language


def test_criteria_evidence_and_counts_reach_the_province(district) -> None:
    store, keys = district
    build_province(store, keys)
    rows = {r["office_code"]: r for r in views.commune_rows(store, MONTH, now=local(2026, 3, 3, 9))}
    honest = rows["10001"]
    assert (honest["received"], honest["early"], honest["on_time"], honest["late"], honest["overdue"]) == (5, 2, 1, 1, 1)
    assert honest["on_time_share"] == 3 / 5 and honest["assessment_total"] is not None
    assert rows["10004"]["assessment_total"] is None  # dossiers, no self-assessment: still listed

    detail = views.assessment_criteria(store, "10001", MONTH, language="vi")
    manual = [i for i in detail["items"] if i["kind"] == "manual"]
    assert manual and all(i["evidence"] == "Biên bản kiểm tra" and i["points"] is not None for i in manual)
    assert all(i["title"] for i in detail["items"])  # named from the criteria set, not only by key
    computed = next(i for i in detail["items"] if i["indicator"] == "on_time_rate")
    assert computed["self_value"] == computed["district_value"] == 0.75

    dossiers = views.commune_dossiers(store, "10001", MONTH, now=local(2026, 3, 3, 9))
    assert len(dossiers) == 5
    assert next(d for d in dossiers if d["code"] == "10001-OPEN-LATE")["standing"] == "overdue"
    assert sorted(d["timing"] for d in dossiers if d["timing"]) == ["early", "early", "late", "on_time"]


def test_cli_commune_drill_down(tmp_path: Path) -> None:
    store, keys = open_district(tmp_path / "district", None)
    build_province(store, keys)
    data_dir = str(store.data_dir)
    store.close()
    env = {"DISTRICT_DESK_PASSWORD": TEST_PASSWORD, "WARD_DESK_LANG": "vi"}
    listing = district_cli("report", "communes", "--month", MONTH, "--data-dir", data_dir, env=env).stdout
    assert "10001" in listing and "10004" in listing and "Quá hạn chưa giải quyết" in listing
    text = district_cli("report", "commune", "--office-code", "10001", "--month", MONTH, "--data-dir", data_dir,
                        env=env).stdout
    assert "Biên bản kiểm tra" in text and "Tự chấm tay" in text and "10001-OPEN-LATE" in text
    data = json.loads(district_cli("report", "commune", "--office-code", "10001", "--month", MONTH, "--json",
                                   "--data-dir", data_dir, env=env).stdout)
    assert data["assessment"]["revision"] == 1 and data["counts"]["overdue"] == 1
    unknown = district_cli("report", "commune", "--office-code", "99999", "--month", MONTH, "--data-dir", data_dir,
                           env=env, check=False)
    assert unknown.returncode == 2 and "99999" in (unknown.stdout + unknown.stderr)


def test_ui_enter_opens_the_commune(tmp_path: Path) -> None:
    from district_desk.ui.app import DistrictApp
    from district_desk.ui.screens.commune import CommuneScreen

    set_language("vi")
    store, keys = open_district(tmp_path / "district", None)
    build_province(store, keys)
    data_dir = store.data_dir
    store.close()
    app = DistrictApp(data_dir, password=lambda: TEST_PASSWORD, month=MONTH, now=lambda: local(2026, 3, 3, 9))

    async def settle(pilot) -> None:
        for _ in range(200):
            await pilot.pause()
            if not [w for w in pilot.app.workers if not w.is_finished]:
                break
            await asyncio.sleep(0.02)
        await pilot.pause()

    def text() -> str:
        return "\n".join(strip.text for strip in app.screen._compositor.render_strips())

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("2")
            await settle(pilot)
            ranked = app.screen.query_one("#ranking-table")
            assert ranked.get_row_at(0)[1] == "10001"
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, CommuneScreen)
            await pilot.pause(0.2)
            shown = text()
            assert "10001" in shown and "quá hạn chưa giải quyết 1" in shown
            assert "Biên bản kiểm" in shown  # a hand-scored criterion's evidence
            await pilot.press("escape")
            await settle(pilot)
            assert not isinstance(app.screen, CommuneScreen)

    asyncio.run(scenario())
