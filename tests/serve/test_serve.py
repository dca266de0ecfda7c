"""``ward-desk serve`` without a browser: TLS with a certificate made at first start, a page
that fetches nothing from outside the PC and is titled for the office, a session limit,
and no password on any desk's command line or in its environment."""

from __future__ import annotations

import asyncio
import os
import re
import ssl
import sys
from pathlib import Path

import pytest
from serve_kit import serving
from wd_testkit import PASSWORD, make_store, run_cli

from ward_desk.serve import tls
from ward_desk.serve.server import desk_command


@pytest.fixture
def ward(tmp_path: Path) -> Path:
    data = tmp_path / "ward"
    make_store(data)
    return data


def test_the_page_is_served_over_tls_offline_and_titled_for_the_office(ward: Path) -> None:
    with serving(ward, "--lang", "en") as served:
        page = served.get("/").text
        out_so_far = served.proc  # the console lines are read after it stops
    output = out_so_far.stdout.read()
    fingerprint = tls.fingerprint_of(served.cert.read_bytes())
    assert "<title>Ward Desk — one-stop reception and results desk</title>" in page
    assert "ward_desk.cli.main" not in page and sys.executable not in page  # not the command line
    # Every URL the page loads is this server's own: no web font, no script from outside.
    urls = re.findall(r'(?:src|href)=["\']([^"\']+)', page) + re.findall(r'url\(["\']?([^"\')]+)', page)
    assert urls and all(u.startswith("/static/") for u in urls), urls
    assert "googleapis" not in page and "http://" not in page
    assert 'data-session-websocket-url="wss://127.0.0.1:' in page
    # The fingerprint of the certificate made at first start, on the page and on the console.
    assert fingerprint in page and fingerprint in output
    assert str(served.cert) in output


def test_the_static_files_the_page_needs_are_there(ward: Path) -> None:
    with serving(ward) as served:
        for path in ("/static/js/textual.js", "/static/css/xterm.css",
                     "/static/fonts/RobotoMono-VariableFont_wght.ttf"):
            assert served.get(path).status_code == 200, path


def test_the_certificate_is_made_once_and_a_given_one_is_checked(ward: Path, tmp_path: Path) -> None:
    first = tls.certificate(ward, "192.168.1.10")
    again = tls.certificate(ward, "192.168.1.10")
    assert first.generated and not again.generated and first.fingerprint == again.fingerprint
    assert (ward / "tls" / "desk-key.pem").stat().st_mode & 0o077 == 0  # the key: this account only
    other_cert, other_key = tls.generate(tmp_path / "other", "127.0.0.1")
    given = tls.certificate(ward, "127.0.0.1", other_cert, other_key)
    assert given.fingerprint != first.fingerprint and not given.generated
    # Half a pair, or a key of another certificate, is refused before anything listens.
    proc = run_cli("serve", "--data-dir", ward, "--cert", other_cert, "--lang", "en")
    assert proc.returncode == 2 and "both --cert and --key" in proc.stderr
    proc = run_cli("serve", "--data-dir", ward, "--cert", other_cert, "--key", first.key_path, "--lang", "en")
    assert proc.returncode == 2 and "does not match" in proc.stderr


def test_no_store_and_a_bad_limit_are_said_before_serving(tmp_path: Path, ward: Path) -> None:
    assert run_cli("serve", "--data-dir", tmp_path / "none").returncode == 2
    assert run_cli("serve", "--data-dir", ward, "--max-sessions", "0").returncode == 2
    assert not (tmp_path / "none").exists()


def test_no_password_on_a_desks_command_line() -> None:
    command = desk_command(Path("/srv/ward"), "vi")
    assert command.endswith("--data-dir /srv/ward --lang vi ui")
    assert "password" not in command.lower()


def test_sessions_beyond_the_limit_are_refused(ward: Path) -> None:
    import aiohttp

    with serving(ward, "--max-sessions", "1", WARD_DESK_PASSWORD=PASSWORD) as served:
        context = ssl.create_default_context(cafile=str(served.cert))

        async def run() -> tuple[int, str]:
            async with (aiohttp.ClientSession() as http,
                        http.ws_connect(f"wss://127.0.0.1:{served.port}/ws", ssl=context) as first):
                    # The first session's desk is up once it draws its unlock screen.
                    seen = b""
                    while b"ward" not in seen.lower() and len(seen) < 2_000_000:
                        msg = await asyncio.wait_for(first.receive(), 60)
                        seen += msg.data if isinstance(msg.data, bytes) else b""
                    health = served.get("/healthz").json()
                    assert health == {"sessions": 1, "max_sessions": 1}
                    full = served.get("/").text
                    assert 'id="desk-full"' in full and "textual.js" not in full
                    try:
                        async with http.ws_connect(f"wss://127.0.0.1:{served.port}/ws", ssl=context):
                            return 101, full
                    except aiohttp.WSServerHandshakeError as exc:
                        return exc.status, full
                    finally:
                        # The desk running for the first session never saw the password the
                        # serving process has in its environment.
                        desks = _desk_processes(served.proc.pid)
                        assert desks, "a desk process runs for the first session"
                        for pid in desks:
                            env = Path(f"/proc/{pid}/environ").read_bytes()
                            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                            assert PASSWORD.encode() not in env and PASSWORD.encode() not in cmdline

        status, _ = asyncio.run(run())
        assert status == 503


def _desk_processes(server_pid: int) -> list[int]:
    """The desk processes textual-serve started (through the shell) under ``server_pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if b"ward_desk.cli.main" in cmdline and b"ui" in cmdline and int(stat[3]) != 0:
            found.append(int(entry.name))
    return [pid for pid in found if os.getpgid(pid) == os.getpgid(server_pid)]
