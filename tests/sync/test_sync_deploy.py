"""Issue 12, item 4: the systemd unit and example environment file in
``district_desk/deploy`` start the receiver.

systemd is not PID 1 here, so the unit cannot be started by systemctl. What is run
instead: ``systemd-analyze verify`` on the unit (its program path pointed at this
checkout's ``district-desk``), then the unit's exact ``ExecStart`` command with the
environment the unit gives it (the example file's settings, the passphrase file
and the metrics folder the unit sets), only the data folder and port changed to
the test's. What is not run: ``User=``, ``LoadCredential=`` and the sandboxing
options, which need systemd itself.
"""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import requests
from sync_helpers import TEST_PASSWORD, VENV_BIN, district_cli, free_port, wait_until

DEPLOY = Path(__file__).parents[2] / "district_desk" / "deploy"
UNIT = DEPLOY / "district-desk.service"
ENV_FILE = DEPLOY / "district-desk.env.example"
INSTALLED = "/opt/district-desk/.venv/bin/district-desk"


def _unit() -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def _env_file(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def test_the_unit_verifies(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    unit = tmp_path / "district-desk.service"
    unit.write_text(UNIT.read_text(encoding="utf-8").replace(INSTALLED, str(VENV_BIN / "district-desk"))
                    .replace("/etc/district-desk/district-desk.env", str(ENV_FILE)), encoding="utf-8")
    proc = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "district-desk.service" not in proc.stderr, proc.stderr


def test_the_units_command_and_example_environment_start_the_receiver(district_init: Path, tmp_path: Path) -> None:
    unit = _unit()
    command = shlex.split(unit.get("Service", "ExecStart"))
    assert command[0] == INSTALLED
    env = _env_file(ENV_FILE)
    assert "DISTRICT_DESK_PASSWORD" not in env and "DATABASE_URL" not in env  # no secret in the example
    passphrase = tmp_path / "credentials" / "passphrase"
    passphrase.parent.mkdir()
    passphrase.write_text(TEST_PASSWORD + "\n")
    passphrase.chmod(0o600)
    port = free_port()
    # What the unit's Environment= lines give, with systemd's %d and %t filled in.
    unit_env = {}
    lines = [line.split("=", 1)[1] for line in UNIT.read_text(encoding="utf-8").splitlines()
             if line.startswith("Environment=")]  # repeated keys: configparser keeps one
    assert len(lines) == 2
    for value in lines:
        key, _, val = value.partition("=")
        unit_env[key] = val.replace("%d", str(passphrase.parent)).replace("%t", str(tmp_path / "run"))
    env.update(unit_env)
    env.update({"DISTRICT_DESK_DATA_DIR": str(district_init), "DISTRICT_DESK_PORT": str(port),
                "DISTRICT_DESK_HOST": "127.0.0.1"})
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DISTRICT_DESK_", "DATABASE_URL"))}
    out = tmp_path / "journal.out"
    proc = subprocess.Popen([str(VENV_BIN / "district-desk"), *command[1:]], env={**base, **env},
                            stdout=out.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        def up() -> bool:
            assert proc.poll() is None, out.read_text(errors="replace")
            try:
                return requests.get(url + "/ready", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        wait_until(up, timeout=60, what="the unit's receiver")
        assert requests.get(url + "/metrics", timeout=10).status_code == 200
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0
    text = out.read_text(encoding="utf-8")
    assert text.count("receiver worker") == int(env["DISTRICT_DESK_WORKERS"])  # the example's workers
    assert (tmp_path / "run" / "district-desk" / "metrics").is_dir()
    district_cli("report", "wards", "--data-dir", str(district_init))  # the store is intact after the stop
