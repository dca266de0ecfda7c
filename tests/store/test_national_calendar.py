"""The national calendar's cache in the data folder: same answers as the holidays
package, no package import on a warm start, rebuilt when stale or damaged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from wd_testkit import ADMIN, PASSWORD, make_store

from ward_desk.domain.calendar import NationalYear, WorkingCalendar, national_year
from ward_desk.services.national_calendar import CACHE_FILE, CachedNationalCalendar


def test_cached_answers_are_the_package_answers_and_are_reused(tmp_path: Path) -> None:
    path = tmp_path / CACHE_FILE
    calls: list[tuple[int, str]] = []

    def counting(year: int, language: str) -> NationalYear:
        calls.append((year, language))
        return national_year(year, language)

    first = CachedNationalCalendar(path, compute=counting)
    for year in range(2024, 2029):
        for language in ("vi", "en"):
            assert first(year, language) == national_year(year, language)
    assert len(calls) == 10 and path.exists()

    again = CachedNationalCalendar(path, compute=counting)  # another run of the desk
    cached = WorkingCalendar(national=again)
    plain = WorkingCalendar()
    for year in range(2025, 2028):
        assert cached.holidays(year) == plain.holidays(year)
        assert cached.make_up_days(year) == plain.make_up_days(year)
    assert len(calls) == 10  # nothing computed again


def test_stale_or_damaged_cache_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / CACHE_FILE
    CachedNationalCalendar(path)(2026, "vi")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["stamp"][0][2] += 1  # as if the holidays package had been upgraded
    data["years"]["2026|vi"]["holidays"] = {"2026-03-03": "Không có thật"}
    path.write_text(json.dumps(data), encoding="utf-8")
    assert CachedNationalCalendar(path)(2026, "vi") == national_year(2026, "vi")

    path.write_text("{half a file", encoding="utf-8")
    assert CachedNationalCalendar(path)(2026, "en") == national_year(2026, "en")
    assert json.loads(path.read_text(encoding="utf-8"))["years"]  # replaced by a whole one

    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    unwritable = CachedNationalCalendar(blocked / "cache.json")  # cannot be written: still answers
    assert unwritable(2026, "vi") == national_year(2026, "vi")


def test_a_warm_desk_start_never_imports_the_holidays_package(tmp_path: Path) -> None:
    data = tmp_path / "ward"
    make_store(data)
    code = (
        "import sys\n"
        "from datetime import date\n"
        "from pathlib import Path\n"
        "from ward_desk.services.desk import open_session\n"
        "from ward_desk.services import dossiers\n"
        f"s = open_session(Path({str(data)!r}), {ADMIN!r}, {PASSWORD!r})\n"
        "board = dossiers.dashboard(s)\n"
        "due = s.calendar.add_working_days(date(2030, 3, 2), 5)\n"  # a year the notice file leaves to the package
        "s.store.close()\n"
        "print('holidays' in sys.modules)\n"
    )
    env_cmd = [sys.executable, "-c", code]
    first = subprocess.run(env_cmd, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "True"  # the first start computes and keeps the answers
    assert (data / CACHE_FILE).exists()
    second = subprocess.run(env_cmd, capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "False"
