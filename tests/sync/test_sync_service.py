"""Issue 12, item 4: the receiver operated as a service: configured by the environment,
logging to stdout (JSON lines on request), serving HTTPS, answering readiness."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
import requests
from sync_helpers import TEST_PASSWORD, VENV_BIN, district_cli, free_port, wait_until

TIMEOUT = (3, 30)


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (PEM files), made with ``cryptography``."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    start = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(start).not_valid_after(start + dt.timedelta(days=36500))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def serve_from_environment(env: dict[str, str], out: Path, *args: str) -> subprocess.Popen:
    """``district-desk serve`` with nothing on its command line but ``args``."""
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DISTRICT_DESK_PASSWORD")}
    return subprocess.Popen([str(VENV_BIN / "district-desk"), "serve", *args], stdout=out.open("wb"),
                            stderr=subprocess.STDOUT, env={**base, **env})


def test_serve_configured_by_the_environment_over_https_with_json_logs(
    district_init: Path, db_url: str | None, tmp_path: Path
) -> None:
    cert, key = self_signed(tmp_path)
    secret_file = tmp_path / "passphrase"
    secret_file.write_text(TEST_PASSWORD + "\n")
    secret_file.chmod(0o600)
    port = free_port()
    env = {
        "DISTRICT_DESK_DATA_DIR": str(district_init), "DISTRICT_DESK_PORT": str(port),
        "DISTRICT_DESK_HOST": "127.0.0.1", "DISTRICT_DESK_PASSWORD_FILE": str(secret_file),
        "DISTRICT_DESK_SSL_CERTFILE": str(cert), "DISTRICT_DESK_SSL_KEYFILE": str(key),
        "DISTRICT_DESK_LOG_FORMAT": "json",
    }
    if db_url:
        env["DATABASE_URL"] = db_url
    out = tmp_path / "serve.out"
    proc = serve_from_environment(env, out)
    url = f"https://127.0.0.1:{port}"
    try:
        def up() -> bool:
            assert proc.poll() is None, out.read_text(errors="replace")
            try:
                return requests.get(url + "/health", timeout=1, verify=str(cert)).status_code == 200
            except requests.RequestException:
                return False

        wait_until(up, timeout=30, what="receiver over HTTPS")
        ready = requests.get(url + "/ready", timeout=TIMEOUT, verify=str(cert))
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/health", timeout=TIMEOUT)  # TLS only
        requests.get(url + "/status", params={"code": "X-1", "secret": "ABC123"}, timeout=TIMEOUT, verify=str(cert))
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    entries = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.startswith("{")]
    assert entries and all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    access = [e["message"] for e in entries if e["logger"] == "uvicorn.access"]
    assert any("/ready" in m for m in access), access
    assert any("secret=***" in m for m in access) and not any("ABC123" in m for m in access)
    assert not (district_init / "logs").exists()  # no log file, nothing to rotate


def test_settings_file_is_readable_by_its_owner_only(district_init: Path) -> None:
    mode = stat.S_IMODE((district_init / "district.toml").stat().st_mode)
    assert mode == 0o600, oct(mode)


def test_tls_needs_both_files_and_a_bad_environment_value_is_refused(district_init: Path, tmp_path: Path) -> None:
    cert, _ = self_signed(tmp_path)
    proc = district_cli("serve", "--data-dir", str(district_init), "--ssl-certfile", str(cert), check=False)
    assert proc.returncode == 2 and "--ssl-keyfile" in proc.stderr
    proc = district_cli("serve", "--data-dir", str(district_init), env={"DISTRICT_DESK_PORT": "tám"}, check=False)
    assert proc.returncode == 2 and "--port" in proc.stderr


def _scrape(url: str) -> dict[str, float]:
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(url + "/metrics", timeout=TIMEOUT).text
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()) if k != "le")
            if sample.name.endswith("_bucket"):
                continue
            values[f"{sample.name}{{{labels}}}"] = sample.value
    return values


@pytest.mark.postgres
def test_metrics_add_up_over_two_workers(pg_url: str, district_dir: Path) -> None:
    from sync_helpers import Receiver, SimWard

    from district_desk.store import DistrictStore

    district_cli("init", "--data-dir", str(district_dir), "--name", "Tỉnh Thử", "--db", pg_url)
    store = DistrictStore.open(district_dir)
    wards = [SimWard(f"W{i:03d}", store.public_keys()) for i in range(3)]
    for ward in wards:
        store.enrol(ward.public())
        ward.add_dossiers(10)  # 20 records -> 4 batches of 5
    store.close()
    server = Receiver(district_dir, None, extra=["--workers", "2"]).start()
    try:
        with requests.Session() as http:
            for ward in wards:
                for sealed in ward.all_batches(5):
                    assert http.post(server.url + "/v1/batches", data=sealed.envelope, timeout=TIMEOUT).ok
                http.post(server.url + "/v1/batches", data=ward.rebuild(1).envelope, timeout=TIMEOUT)  # duplicate
            assert http.post(server.url + "/v1/batches", data=b"not an envelope", timeout=TIMEOUT).status_code == 400
        # Each scrape may land on either worker: both report the sum of both.
        for _ in range(4):
            m = _scrape(server.url)
            assert m["district_batches_total{status=applied}"] == 12
            assert m["district_batches_total{status=duplicate}"] == 3
            assert m["district_records_applied_total{}"] == 60
            assert sum(v for k, v in m.items() if k.startswith("district_rejects_total")) == 1
            assert m["district_apply_seconds_count{}"] == 16  # the refused one is timed too
            assert m["district_ward_backlog_records{office=W000}"] >= 0
            assert {k for k in m if k.startswith("district_ward_last_contact_age_seconds")} == {
                f"district_ward_last_contact_age_seconds{{office={w.office_code}}}" for w in wards}
    finally:
        server.stop()
