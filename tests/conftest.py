"""Shared fixtures: real SQLCipher stores in temporary folders, a settable clock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

# Cheap Argon2 for the thousands of unlocks a test run does; the production
# default is exercised by tests/store/test_keys.py explicitly.
os.environ.setdefault("WARD_DESK_KDF_MEMORY_KIB", "64")
os.environ.setdefault("WARD_DESK_TEST_ONLY", "1")  # the switch that lets the line above lower the KDF
os.environ.setdefault("WARD_DESK_LANG", "vi")

_pg_server = None


def pytest_sessionstart(session: pytest.Session) -> None:
    """Start a private PostgreSQL for the run when none is named and one is installed."""
    global _pg_server
    if os.environ.get("WARD_DESK_TEST_PG_URL"):
        return
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from pg_server import start

    _pg_server = start()
    if _pg_server is not None:
        os.environ["WARD_DESK_TEST_PG_URL"] = _pg_server.url


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _pg_server is not None:
        _pg_server.stop()


ADMIN = "admin"
PASSWORD = "mat-khau-123"


@dataclass
class Clock:
    """A settable clock (naive UTC) for services."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock() -> Clock:
    # Tuesday 03/03/2026 09:00 in Hà Nội (02:00 UTC): an ordinary working morning.
    return Clock(datetime(2026, 3, 3, 2, 0))


@pytest.fixture
def store_dir(tmp_path: Path, clock: Clock) -> Path:
    """A fresh store (office 22918, user admin/PASSWORD), closed, ready to open; created an
    hour before the test's clock starts, so none of its rows carry the real date."""
    from ward_desk.services.setup import create_store

    data_dir = tmp_path / "ward"
    store, recovery = create_store(
        data_dir, office_code="22918", office_name="Phường Mũi Né", admin_username=ADMIN,
        admin_password=PASSWORD, admin_full_name="Trần Văn Quản Trị", now=clock.now - timedelta(hours=1),
    )
    (tmp_path / "recovery.txt").write_text(recovery)
    store.close()
    return data_dir


@pytest.fixture
def session(store_dir: Path, clock: Clock) -> Iterator:
    """An open session for the admin with the settable clock."""
    from ward_desk.services.desk import open_session

    s = open_session(store_dir, ADMIN, PASSWORD, clock=clock)
    yield s
    s.store.close()


@dataclass(frozen=True)
class DemoDay:
    """A moment the demo ward's history ends at, for the tests built on the demo ward.

    The demo is built relative to "now"; tests build it at fixed moments instead, so
    their outcome never depends on the day the suite runs. The first is an ordinary
    working morning with the full two-year demo; the others are the days where date
    arithmetic goes wrong (a month and year end, a public holiday, inside Tết), with a
    smaller history to keep the run short. All lie in the past, as the ward CLI (which
    reads the real clock) refuses to submit a month that has not ended yet.
    """

    name: str
    local: datetime  # office time (Asia/Ho_Chi_Minh), naive
    years: float
    seed: int = 1

    @property
    def now(self) -> datetime:
        """The same moment as naive UTC, as the services' clocks read."""
        return self.local - timedelta(hours=7)

    @property
    def as_of(self) -> str:
        """The moment as ``ward-desk demo --as-of`` takes it."""
        return self.local.strftime("%d/%m/%Y %H:%M")

    @property
    def last_month(self) -> str:
        """The last whole month before this moment, ``YYYY-MM``."""
        first = self.local.replace(day=1)
        prev = first - timedelta(days=1)
        return f"{prev.year:04d}-{prev.month:02d}"


DEMO_DAYS = (
    DemoDay("ordinary-wednesday", datetime(2026, 11, 18, 9, 30), years=2),
    DemoDay("year-end", datetime(2025, 12, 31, 16, 40), years=0.3, seed=2),
    DemoDay("new-year-holiday", datetime(2026, 1, 1, 10, 15), years=0.3, seed=3),
    DemoDay("inside-tet", datetime(2026, 2, 18, 9, 0), years=0.3, seed=4),  # Tết Bính Ngọ: 17/02/2026
)


@dataclass(frozen=True)
class DemoWard:
    """A demo ward built once per run at ``day``: copy ``path`` before changing anything."""

    path: Path
    day: DemoDay
    dossiers: int


@pytest.fixture(scope="session", params=DEMO_DAYS, ids=lambda d: d.name)
def demo_ward(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> DemoWard:
    """The demo ward ``ward-desk demo`` builds, ending at each of ``DEMO_DAYS``; the tests
    that take it run once per day."""
    import json
    import subprocess
    import sys

    day: DemoDay = request.param
    data = tmp_path_factory.mktemp(f"demo-{day.name}") / "ward"
    env = {**os.environ, "WARD_DESK_KDF_MEMORY_KIB": "64", "WARD_DESK_LANG": "en"}
    cli = [sys.executable, "-m", "ward_desk.cli.main"]
    subprocess.run([*cli, "demo", "--no-ui", "--data-dir", str(data), "--as-of", day.as_of,
                    "--years", str(day.years), "--seed", str(day.seed)],
                   check=True, capture_output=True, env=env, timeout=300)
    stats = subprocess.run([*cli, "stats", "--json", "--data-dir", str(data), "--user", "admin"],
                           check=True, capture_output=True, text=True, timeout=60,
                           env={**env, "WARD_DESK_PASSWORD": "demo-muine-2026"})
    return DemoWard(data, day, json.loads(stats.stdout)["dossiers"])
