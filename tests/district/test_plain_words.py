"""Plain words (issue 12.6 / 10.6): since 2025 a commune's upstream is the province, named
by configuration; no message and no district screen says "quận/huyện" or "district"."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from district_helpers import MONTH, build_province, local
from sync_helpers import TEST_PASSWORD

from district_desk.store import DistrictStore
from ward_desk.i18n import LANGUAGES, _catalog, set_language, t

# File and command names keep their spelling: district.pub, district-desk, --district-url.
_DISTRICT_WORD = re.compile(r"(?<![\w\-./])district(?![\w\-]|\.[a-z]|_)", re.IGNORECASE)


def test_no_catalogue_string_says_quan_huyen_or_district() -> None:
    for lang in LANGUAGES:
        for key, text in _catalog(lang).items():
            assert "quận" not in text.casefold() and "huyện" not in text.casefold(), (lang, key, text)
            assert not _DISTRICT_WORD.search(text), (lang, key, text)


def test_the_upstream_is_named_by_configuration(monkeypatch) -> None:
    assert "cấp tỉnh" in t("sync.agent.no_connection", "vi", url="https://x", detail="")
    assert t("district.rank.col.district_total", "vi") == "Cấp tỉnh tính lại"
    assert "the province" in t("sync.agent.no_connection", "en", url="https://x", detail="")
    monkeypatch.setenv("WARD_DESK_UPSTREAM", "Sở Nội vụ tỉnh Lâm Đồng")
    assert "Sở Nội vụ tỉnh Lâm Đồng" in t("sync.reject.revoked_ward", "vi")
    assert t("district.rank.col.district_total", "vi") == "Sở Nội vụ tỉnh Lâm Đồng tính lại"


def test_no_district_screen_says_quan_huyen(tmp_path: Path) -> None:
    from district_desk.ui.app import DistrictApp

    set_language("vi")
    store = DistrictStore.create(tmp_path / "province", "Tỉnh Lâm Đồng", TEST_PASSWORD, None)
    build_province(store, store.unlock(TEST_PASSWORD))
    data_dir = store.data_dir
    store.close()
    app = DistrictApp(data_dir, password=lambda: TEST_PASSWORD, month=MONTH, now=lambda: local(2026, 3, 3, 9))
    seen: list[str] = []

    async def settle(pilot) -> None:
        for _ in range(200):
            await pilot.pause()
            if not [w for w in pilot.app.workers if not w.is_finished]:
                break
            await asyncio.sleep(0.02)
        await pilot.pause()

    def grab() -> None:
        seen.append("\n".join(strip.text for strip in app.screen._compositor.render_strips()))

    async def scenario() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            for key in ("1", "2", "3", "4"):
                await pilot.press(key)
                await settle(pilot)
                grab()
            await pilot.press("2", "enter")
            await settle(pilot)
            grab()
            await pilot.press("escape", "m")
            await settle(pilot)
            grab()

    asyncio.run(scenario())
    assert len(seen) == 6 and "Tỉnh Lâm Đồng" in seen[0]
    for text in seen:
        assert "quận" not in text.casefold() and "huyện" not in text.casefold(), text
        assert not _DISTRICT_WORD.search(text), text


def test_months_as_clerks_write_them(district) -> None:
    from district_desk import ranking, views
    from ward_desk.domain.report_math import parse_period

    assert [parse_period(m).label for m in ("11/2026", "3/2026", "tháng 11/2026", "2026-11")] == [
        "2026-11", "2026-03", "2026-11", "2026-11"]
    store, keys = district
    build_province(store, keys)
    assert views.month_period("02/2026").label == MONTH
    assert ranking.compute_ranking(store, "2/2026", now=local(2026, 3, 5))["month"] == MONTH
    assert [r["month"] for r in views.assessment_rows(store, "02/2026")][:1] == [MONTH]


def test_argparse_speaks_the_users_language() -> None:
    from sync_helpers import district_cli

    vi = district_cli("rank", check=False, env={"WARD_DESK_LANG": "vi"})
    assert vi.returncode == 2 and "Cách dùng: district-desk rank" in vi.stderr
    assert "lỗi: còn thiếu tham số bắt buộc: --month" in vi.stderr and "usage:" not in vi.stderr
    en = district_cli("rank", check=False, env={"WARD_DESK_LANG": "en"})
    assert "the following arguments are required: --month" in en.stderr
