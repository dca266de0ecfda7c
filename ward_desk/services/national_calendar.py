"""The national calendar's answers, kept in the data folder between runs.

Working out a year of Vietnam's holidays needs the ``holidays`` package: importing
it (with ``dateutil`` and ``importlib.metadata``) and computing the lunar dates
costs 50–80 ms of every desk start on one core of the test machine, for answers
that only change when the package does. :class:`CachedNationalCalendar` keeps
them in ``<data dir>/cache/national-calendar.json`` (public facts: dates and
their names), stamped with the package's files and with the version and digest of
the sourced calendar file (``ward_desk/data/national_calendar.toml``), and asks
again only for a year it has not seen or after the package or the file changed.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import threading
from datetime import date
from pathlib import Path
from typing import Any

from ward_desk.domain.calendar import NationalYear, national_year
from ward_desk.domain.notices import packaged_calendar

CACHE_FILE = Path("cache") / "national-calendar.json"
# The files whose change (a new holidays release) makes every cached year stale.
_STAMPED = ("holiday_base.py", "version.py", os.path.join("countries", "vietnam.py"))


def package_stamp() -> list[list[Any]]:
    """Size and modification time of the holidays package's deciding files, found
    without importing the package, then the sourced calendar file's version and
    digest (a new file, even one whose version was not bumped, makes the cache
    stale); empty if the package cannot be found."""
    spec = importlib.util.find_spec("holidays")
    folders = list(spec.submodule_search_locations or []) if spec else []
    if not folders:
        return []
    stamp = []
    for name in _STAMPED:
        try:
            st = os.stat(os.path.join(folders[0], name))
        except OSError:
            return []
        stamp.append([name, st.st_size, st.st_mtime_ns])
    data = packaged_calendar()
    stamp.append(["national_calendar", data.version, data.digest])
    return stamp


class CachedNationalCalendar:
    """A :data:`~ward_desk.domain.calendar.NationalSource` that remembers the package's
    answers in ``path``. A damaged, foreign or stale file is recomputed and replaced;
    a file that cannot be written is not an error (the answers are then computed once
    per process, as without a cache)."""

    def __init__(self, path: Path, compute=national_year) -> None:
        self.path = Path(path)
        self._compute = compute
        self._lock = threading.Lock()
        self._stamp = package_stamp()
        self._years: dict[str, Any] = self._load()

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or not self._stamp or data.get("stamp") != self._stamp:
            return {}
        years = data.get("years")
        return years if isinstance(years, dict) else {}

    def __call__(self, year: int, language: str) -> NationalYear:
        key = f"{year}|{language}"
        with self._lock:
            entry = self._years.get(key)
            if entry is not None:
                try:
                    return NationalYear({date.fromisoformat(d): str(n) for d, n in entry["holidays"].items()},
                                        frozenset(date.fromisoformat(d) for d in entry["weekend_workdays"]),
                                        frozenset(date.fromisoformat(d) for d in entry["provisional"]),
                                        str(entry["basis"]))
                except (KeyError, TypeError, ValueError, AttributeError):
                    pass  # a damaged entry: computed again below
            answer = self._compute(year, language)
            self._years[key] = {
                "holidays": {d.isoformat(): n for d, n in sorted(answer.holidays.items())},
                "weekend_workdays": sorted(d.isoformat() for d in answer.weekend_workdays),
                "provisional": sorted(d.isoformat() for d in answer.provisional),
                "basis": answer.basis,
            }
            self._save()
            return answer

    def _save(self) -> None:
        if not self._stamp:
            return  # without a stamp a later package could not be told apart: keep nothing
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps({"stamp": self._stamp, "years": self._years}, ensure_ascii=False),
                           encoding="utf-8")
            os.replace(tmp, self.path)  # whole or not at all, whichever desk writes last
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()  # a full disk keeps no half-written cache beside the store
