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
def store_dir(tmp_path: Path) -> Path:
    """A fresh store (office 22918, user admin/PASSWORD), closed, ready to open."""
    from ward_desk.services.setup import create_store

    data_dir = tmp_path / "ward"
    store, recovery = create_store(
        data_dir, office_code="22918", office_name="Phường Mũi Né", admin_username=ADMIN,
        admin_password=PASSWORD, admin_full_name="Trần Văn Quản Trị",
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


@pytest.fixture(scope="session")
def demo_ward_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo ward ``ward-desk demo`` builds (two years, ~20,000 dossiers), built once per
    run; tests copy it (``shutil.copytree``) before changing anything."""
    import subprocess
    import sys

    data = tmp_path_factory.mktemp("demo") / "ward"
    env = {**os.environ, "WARD_DESK_KDF_MEMORY_KIB": "64"}
    subprocess.run([sys.executable, "-m", "ward_desk.cli.main", "demo", "--no-ui", "--data-dir", str(data)],
                   check=True, capture_output=True, env=env, timeout=300)
    return data
