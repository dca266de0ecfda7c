"""Fixtures for the sync tests: district stores on SQLite and on PostgreSQL.

PostgreSQL comes from ``WARD_DESK_TEST_PG_URL`` (a ``postgresql://`` URL of a
database where the user may create schemas); each test gets a fresh schema.
Without the variable the PostgreSQL cases are skipped on a developer machine
but FAIL in CI (``CI`` set), because CI must prove both back ends.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from sync_helpers import Receiver, district_cli, in_ci

PG_ENV = "WARD_DESK_TEST_PG_URL"

# Cheap Argon2 for the many district inits of a test run; production cost is
# the default and is what `init` uses outside tests.
os.environ.setdefault("DISTRICT_DESK_KDF_MEMORY_KIB", "64")


def _pg_base_url() -> str:
    url = os.environ.get(PG_ENV, "").strip()
    if not url:
        message = f"{PG_ENV} is not set: PostgreSQL tests cannot run"
        if in_ci():
            pytest.fail(message + " (CI must run them; .ci/run starts a server)", pytrace=False)
        pytest.skip(message)
    return url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL schema for one test (first on the search path of
    the URL returned), dropped afterwards. A schema, not a database: CREATE
    DATABASE costs most of a second of fsyncs per test."""
    import psycopg

    base = _pg_base_url()
    name = "wd_sync_" + secrets.token_hex(6)
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    parts = urlsplit(base)
    query = "&".join(p for p in (parts.query, f"options=-csearch_path%3D{name}") if p)
    yield urlunsplit(parts._replace(query=query))
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """None (the default SQLite file in the data dir) or a PostgreSQL URL."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def district_dir(tmp_path: Path) -> Path:
    return tmp_path / "district"


@pytest.fixture
def district_init(district_dir: Path, db_url: str | None) -> Path:
    """An initialised district data dir (SQLite or PostgreSQL) made with the CLI."""
    args = ["init", "--data-dir", str(district_dir), "--name", "Quận Thử"]
    if db_url:
        args += ["--db", db_url]
    district_cli(*args)
    return district_dir


@pytest.fixture
def receiver(district_init: Path, db_url: str | None) -> Iterator[Receiver]:
    server = Receiver(district_init, None).start()  # the URL recorded at init is used
    yield server
    server.stop()
