"""Fixtures for the sync tests: district stores on SQLite and on PostgreSQL.

PostgreSQL comes from ``WARD_DESK_TEST_PG_URL`` (a ``postgresql://`` URL of a
server where the user may create databases); each test gets a fresh database.
Without the variable the PostgreSQL cases are skipped on a developer machine
but FAIL in CI (``CI`` set), because CI must prove both back ends.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

sys.path.insert(0, str(Path(__file__).parent))

PG_ENV = "WARD_DESK_TEST_PG_URL"
TEST_PASSWORD = "district passphrase for tests"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


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
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    import psycopg

    base = _pg_base_url()
    name = "wd_sync_" + secrets.token_hex(6)
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(base)
    yield urlunsplit(parts._replace(path="/" + name))
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """None (the default SQLite file in the data dir) or a PostgreSQL URL."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def district_dir(tmp_path: Path) -> Path:
    return tmp_path / "district"


# ------------------------------------------------------------ real receiver


VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(condition, timeout: float = 20.0, interval: float = 0.05, what: str = "condition"):
    """Poll ``condition`` until it returns a truthy value; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def district_cli(*args: str, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``district-desk`` as a user would, in a subprocess."""
    full_env = {**os.environ, "DISTRICT_DESK_PASSWORD": TEST_PASSWORD, "WARD_DESK_LANG": "en", **(env or {})}
    proc = subprocess.run(
        [str(VENV_BIN / "district-desk"), *args], capture_output=True, text=True, env=full_env, timeout=60
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"district-desk {' '.join(args)} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


@dataclass
class Receiver:
    """A ``district-desk serve`` subprocess on a loopback port."""

    data_dir: Path
    db_url: str | None
    extra: list[str] = field(default_factory=list)
    port: int = 0
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Receiver:
        import requests

        self.port = self.port or free_port()
        args = [str(VENV_BIN / "district-desk"), "serve", "--data-dir", str(self.data_dir),
                "--host", "127.0.0.1", "--port", str(self.port), *self.extra]
        if self.db_url:
            args += ["--db", self.db_url]
        log = (self.data_dir / "serve.out").open("ab")
        self.proc = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "DISTRICT_DESK_PASSWORD": TEST_PASSWORD},
        )

        def healthy() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError("receiver exited: " + (self.data_dir / "serve.out").read_text(errors="replace"))
            try:
                return requests.get(self.url + "/health", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        wait_until(healthy, timeout=30, what="receiver health")
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


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
