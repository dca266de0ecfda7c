"""A throwaway PostgreSQL server for the test run, from the machine's own packages.

When ``WARD_DESK_TEST_PG_URL`` is not set and PostgreSQL's server binaries are
installed (Debian: ``apt-get install postgresql``), the test session starts a
private cluster in a temporary folder on a free loopback port and stops it at
the end. PostgreSQL refuses to run as root, so under root the server runs as
the ``postgres`` user (``runuser``).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PgServer:
    bin_dir: Path
    data_dir: Path
    port: int
    run_as: list[str]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def _root(self) -> Path:
        return self.data_dir.parent

    def _pg_ctl(self, *args: str) -> None:
        # -l always: without a log file the server would hold our pipes open.
        subprocess.run([*self.run_as, str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args],
                       check=True, capture_output=True, timeout=90)

    def start_again(self) -> None:
        """Start a stopped server on the same port and data."""
        opts = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self._root} "
                "-c fsync=off")
        self._pg_ctl("-o", opts, "-l", str(self._root / "log"), "-w", "-t", "60", "start")

    def stop_fast(self) -> None:
        """Stop the server as an operator's restart does (sessions are terminated)."""
        self._pg_ctl("-m", "fast", "-w", "-t", "60", "stop")

    def restart(self) -> None:
        """Restart the server (every open connection is cut)."""
        self.stop_fast()
        self.start_again()

    def stop(self) -> None:
        subprocess.run([*self.run_as, str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate",
                        "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def find_bin_dir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for c in candidates:
        if (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start() -> PgServer | None:
    """Start a private cluster, or return None when PostgreSQL is not installed."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        return None
    root = Path(tempfile.mkdtemp(prefix="wd-pg-"))
    data_dir = root / "data"
    run_as: list[str] = []
    if os.geteuid() == 0:
        run_as = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
        os.chmod(root, 0o700)
    port = _free_port()
    subprocess.run([*run_as, str(bin_dir / "initdb"), "-D", str(data_dir), "-U", "postgres", "-A", "trust",
                    "--no-sync", "-E", "UTF8"], check=True, capture_output=True, timeout=120)
    opts = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={root} -c fsync=off"
    subprocess.run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-o", opts, "-l",
                    str(root / "log"), "-w", "-t", "60", "start"], check=True, capture_output=True, timeout=90)
    return PgServer(bin_dir, data_dir, port, run_as)
