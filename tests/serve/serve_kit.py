"""A real ``ward-desk serve`` in a subprocess, on a free port of 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import requests
from wd_testkit import cli_env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    def __init__(self, data: Path, port: int, proc: subprocess.Popen) -> None:
        self.data, self.port, self.proc = data, port, proc
        self.url = f"https://127.0.0.1:{port}"
        self.cert = data / "tls" / "desk-cert.pem"

    def get(self, path: str) -> requests.Response:
        # Verified against the certificate the server made: TLS is real, and it names 127.0.0.1.
        return requests.get(self.url + path, verify=str(self.cert), timeout=10)


@contextlib.contextmanager
def serving(data: Path, *args: str, **env: str) -> Iterator[Served]:
    port = free_port()
    # The password is in the serving process's environment on purpose: no desk may inherit it.
    proc = subprocess.Popen([sys.executable, "-m", "ward_desk.cli.main", "serve", "--data-dir", str(data),
                             "--port", str(port), *args], env=cli_env(**env), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, encoding="utf-8", start_new_session=True)
    served = Served(data, port, proc)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"serve exited {proc.returncode}: {proc.stdout.read()}")
            with contextlib.suppress(requests.RequestException, OSError):
                if served.cert.exists() and served.get("/healthz").ok:
                    break
            if time.monotonic() > deadline:
                raise AssertionError("serve did not start")
            time.sleep(0.2)
        yield served
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)
