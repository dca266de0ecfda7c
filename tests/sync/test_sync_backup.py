"""Issue 12, item 4: ``district-desk backup`` and ``restore`` on both back ends, each backup
proven by reading it back (SQLite: reopened; PostgreSQL: restored into a fresh database)."""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from sync_helpers import TEST_PASSWORD, Receiver, SimWard, district_cli

from district_desk.store import DistrictStore


def _synced(district: Path, db: list[str]) -> tuple[Receiver, SimWard]:
    store = DistrictStore.open(district, password=TEST_PASSWORD)
    ward = SimWard("22918", store.public_keys())
    store.enrol(ward.public())
    store.close()
    ward.add_dossiers(20)
    server = Receiver(district, None).start()
    for sealed in ward.all_batches(10):
        assert requests.post(server.url + "/v1/batches", data=sealed.envelope, timeout=30).ok
    return server, ward


def _wards(district: Path, *db: str) -> list[dict]:
    import json

    return json.loads(district_cli("report", "wards", "--json", "--data-dir", str(district), *db).stdout)


def test_sqlite_backup_while_serving_then_restore(district_dir: Path, tmp_path: Path) -> None:
    district_cli("init", "--data-dir", str(district_dir), "--name", "Tỉnh Thử")
    server, _ = _synced(district_dir, [])
    try:
        out = district_cli("backup", "--data-dir", str(district_dir), "--to", str(tmp_path / "b1")).stdout
        assert "b1" in out
    finally:
        server.stop()
    before = _wards(district_dir)
    assert before[0]["acked_seq"] == 40
    # The store is lost; restore brings it back, keeping what was there aside.
    (district_dir / "district.db").write_bytes(b"damaged")
    district_cli("restore", "--data-dir", str(district_dir), "--from", str(tmp_path / "b1"))
    assert _wards(district_dir) == before
    assert list(district_dir.glob("before-restore-*/district.db"))
    # A folder that is not a backup changes nothing.
    proc = district_cli("restore", "--data-dir", str(district_dir), "--from", str(tmp_path), check=False)
    assert proc.returncode == 2 and "district.key" in proc.stderr
    assert _wards(district_dir) == before
    proc = district_cli("backup", "--data-dir", str(district_dir), "--to", str(tmp_path / "b1"), check=False)
    assert proc.returncode == 2  # never over an existing backup


@pytest.mark.postgres
def test_postgresql_backup_restored_into_a_fresh_database(pg_url: str, district_dir: Path, tmp_path: Path) -> None:
    import psycopg

    district_cli("init", "--data-dir", str(district_dir), "--name", "Tỉnh Thử", "--db", pg_url)
    server, _ = _synced(district_dir, [])
    try:
        district_cli("backup", "--data-dir", str(district_dir), "--to", str(tmp_path / "b1"))
    finally:
        server.stop()
    before = _wards(district_dir)
    assert (tmp_path / "b1" / "district.dump").stat().st_size > 0
    base = urlsplit(pg_url)
    fresh = "wd_restore_" + secrets.token_hex(4)
    with psycopg.connect(urlunsplit(base._replace(query="")), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{fresh}"')
    try:
        target = urlunsplit(base._replace(path="/" + fresh))
        district_cli("restore", "--data-dir", str(district_dir), "--from", str(tmp_path / "b1"), "--db", target)
        assert _wards(district_dir, "--db", target) == before
    finally:
        with psycopg.connect(urlunsplit(base._replace(query="")), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')
