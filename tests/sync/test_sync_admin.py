"""The district's encrypted SQLite store, quarantine handling, one-time enrolment
codes and the multi-worker receiver."""

from __future__ import annotations

import json
import threading
from argparse import Namespace
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sync_helpers import TEST_PASSWORD, Receiver, SimWard, district_cli

from district_desk.ingest import Rejected, ingest
from district_desk.store import KEY_FILE, SQLITE_FILE, SQLITE_MAGIC, DistrictStore
from sync_agent.errors import Damaged, Locked

TIMEOUT = (3, 30)


# ------------------------------------------------------------ encrypted store


def test_sqlite_store_is_encrypted_and_needs_the_passphrase(district_dir: Path) -> None:
    store = DistrictStore.create(district_dir, "Quận Thử", TEST_PASSWORD)
    keys = store.unlock()  # the key derived at create is reused
    ward = SimWard("22918", store.public_keys())
    store.enrol(ward.public())
    ward.add_dossiers(5)
    ingest(store, ward.next_batch().envelope, keys)
    store.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    raw = (district_dir / SQLITE_FILE).read_bytes()
    assert not raw.startswith(SQLITE_MAGIC)
    assert "Trần Thị Bé".encode() not in raw and b"001190000001" not in raw
    assert (district_dir / KEY_FILE).stat().st_mode & 0o077 == 0

    with pytest.raises(Locked):
        DistrictStore.open(district_dir, password="sai mật khẩu")
    with pytest.raises(Locked):
        DistrictStore.open(district_dir)  # no passphrase at all
    proc = district_cli("report", "wards", "--json", "--data-dir", str(district_dir),
                        env={"DISTRICT_DESK_PASSWORD": "wrong"}, check=False)
    assert proc.returncode == 3 and "Wrong district password" in proc.stderr and "Traceback" not in proc.stderr

    again = DistrictStore.open(district_dir, password=lambda: TEST_PASSWORD)
    assert again.report_wards()[0]["dossiers"] == 5
    again.close()

    key_file = district_dir / KEY_FILE
    saved = key_file.read_bytes()
    key_file.unlink()
    with pytest.raises(Damaged, match=r"district\.key"):
        DistrictStore.open(district_dir, password=TEST_PASSWORD)
    key_file.write_bytes(saved)


def test_plain_store_from_an_older_version_is_encrypted_in_place(district_dir: Path) -> None:
    import sqlcipher3

    store = DistrictStore.create(district_dir, "Quận Thử", TEST_PASSWORD)
    keys = store.unlock()
    ward = SimWard("22918", store.public_keys())
    store.enrol(ward.public())
    ward.add_dossiers(3)
    ingest(store, ward.next_batch().envelope, keys)
    db_key = store.db.connect_params["passphrase"]
    store.close()
    # What an older District Desk left: the same store, unencrypted, and no key file.
    path = district_dir / SQLITE_FILE
    conn = sqlcipher3.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA key = \"{db_key}\"")
    conn.execute("ATTACH DATABASE ? AS plain KEY ''", (str(district_dir / "plain.db"),))
    conn.execute("SELECT sqlcipher_export('plain')")
    conn.execute("DETACH DATABASE plain")
    conn.close()
    (district_dir / KEY_FILE).unlink()
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    (district_dir / "plain.db").rename(path)
    assert path.read_bytes().startswith(SQLITE_MAGIC)

    with pytest.raises(Locked):  # a wrong passphrase converts nothing
        DistrictStore.open(district_dir, password="sai")
    assert path.read_bytes().startswith(SQLITE_MAGIC) and not (district_dir / KEY_FILE).exists()

    converted = DistrictStore.open(district_dir, password=TEST_PASSWORD)
    assert converted.converted_from_plain
    assert converted.report_wards()[0]["dossiers"] == 3
    converted.unlock()
    converted.close()
    assert not path.read_bytes().startswith(SQLITE_MAGIC) and (district_dir / KEY_FILE).exists()
    rows = json.loads(district_cli("report", "wards", "--json", "--data-dir", str(district_dir)).stdout)
    assert rows[0]["dossiers"] == 3 and rows[0]["acked_seq"] == 6


# ----------------------------------------------------------------- quarantine


@dataclass
class _Run:
    returncode: int
    stdout: str
    stderr: str


def _q(district_dir: Path, *args: str, check: bool = True) -> _Run:
    """``district-desk quarantine ...`` in this process (the CLI's own entry point;
    a subprocess each would cost most of a second)."""
    import contextlib
    import io
    import os

    from district_desk.cli import main
    from ward_desk.i18n import get_language, set_language

    out, err = io.StringIO(), io.StringIO()
    language = get_language()
    old = os.environ.get("DISTRICT_DESK_PASSWORD")
    os.environ["DISTRICT_DESK_PASSWORD"] = TEST_PASSWORD
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["quarantine", *args, "--data-dir", str(district_dir), "--lang", "en"])
    finally:
        set_language(language)
        if old is None:
            os.environ.pop("DISTRICT_DESK_PASSWORD", None)
        else:
            os.environ["DISTRICT_DESK_PASSWORD"] = old
    result = _Run(code, out.getvalue(), err.getvalue())
    assert not check or code == 0, result
    return result


def test_quarantine_list_show_release_discard(district_init: Path) -> None:
    store = DistrictStore.open(district_init, password=TEST_PASSWORD)
    keys = store.unlock()
    try:
        ward = SimWard("22918", store.public_keys())
        store.enrol(ward.public())
        ward.add_dossiers(10)
        assert ingest(store, ward.next_batch(10).envelope, keys).status == "applied"
        # The ward is reinstalled with a new key and goes on before the district re-enrols it.
        old_key, ward.key = ward.key, Ed25519PrivateKey.generate()
        batch2 = ward.next_batch(10)
        with pytest.raises(Rejected) as err:
            ingest(store, batch2.envelope, keys)
        assert err.value.code == "bad_signature"
        # Another copy of batch 1 with other content: a conflict.
        fork = SimWard("22918", store.public_keys(), key=old_key)
        fork.add_dossiers(5)
        assert ingest(store, fork.next_batch(10).envelope, keys).status == "quarantined"
        new_pub = ward.write_pub(district_init / "ward-new.pub")
    finally:
        store.close()

    listed = json.loads(_q(district_init, "list", "--json").stdout)
    assert [(r["batch_no"], r["reason"], r["state"]) for r in listed] == [(2, "unverified", "open"), (1, "conflict", "open")]
    unverified, conflict = listed[0]["id"], listed[1]["id"]
    text = district_cli("quarantine", "list", "--data-dir", str(district_init)).stdout  # once as a user runs it
    assert "signature does not match" in text and "same batch number" in text

    proc = _q(district_init, "release", str(unverified), check=False)
    assert proc.returncode == 5 and "still cannot be applied" in proc.stdout
    from sync_agent.keyfiles import WardPublicKey

    store = DistrictStore.open(district_init, password=TEST_PASSWORD)
    # what `district-desk enrol --replace --reason ...` does
    store.enrol(WardPublicKey.read(new_pub), "22918", replace_reason="máy cài lại, khóa mới")
    store.close()
    proc = _q(district_init, "release", str(unverified))
    assert "Applied quarantined batch" in proc.stdout and "change 20" in proc.stdout
    shown = json.loads(_q(district_init, "show", str(unverified), "--json").stdout)
    assert shown["state"] == "released" and shown["header"]["first_seq"] == 11
    assert [(a["action"], a["outcome"]) for a in shown["actions"]] == [("release", "rejected"), ("release", "applied")]

    assert _q(district_init, "release", str(conflict), check=False).returncode == 5
    _q(district_init, "discard", str(conflict), "--note", "bản sao cũ từ máy cài lại")
    shown = json.loads(_q(district_init, "show", str(conflict), "--json").stdout)
    assert shown["state"] == "discarded" and shown["held"]["batch_no"] == 1 and shown["size"] > 0
    assert shown["actions"][-1]["detail"] == "bản sao cũ từ máy cài lại"
    assert _q(district_init, "release", str(conflict), check=False).returncode == 2
    assert "bản sao cũ" in _q(district_init, "show", str(conflict)).stdout
    assert json.loads(_q(district_init, "list", "--json").stdout) == []
    assert len(json.loads(_q(district_init, "list", "--all", "--json").stdout)) == 2  # evidence kept
    store = DistrictStore.open(district_init, password=TEST_PASSWORD)
    rows = store.report_wards()
    store.close()
    assert rows[0]["acked_seq"] == 20 and rows[0]["quarantined"] == 0 and rows[0]["dossiers"] == 10
    assert _q(district_init, "show", "999", check=False).returncode == 2


# ------------------------------------------------------- one-time enrolment


class _Mitm(ThreadingHTTPServer):
    """Forwards to the receiver but hands the ward another district's key document."""

    def __init__(self, upstream: str, fake_doc: str) -> None:
        upstream_url, doc = upstream, fake_doc

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                r = requests.get(upstream_url + self.path, timeout=TIMEOUT)
                body = r.content
                if r.status_code == 200 and self.path.startswith("/v1/enrol/"):
                    body = json.dumps({**r.json(), "district_key": doc}).encode()
                self.send_response(r.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def _issue_code(district_dir: Path, office: str) -> str:
    out = district_cli("enrol-code", "--data-dir", str(district_dir), "--office-code", office).stdout
    import re

    match = re.search(r"\b([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})\b", out)
    assert match, out
    return match.group(1)


def test_enrolment_code_end_to_end(session, clock, district_dir: Path, tmp_path: Path) -> None:
    # On SQLite only: the code's single use under concurrency (a row lock on
    # PostgreSQL) is the multi-worker path; this test is about the two ends.
    district_cli("init", "--data-dir", str(district_dir), "--name", "Quận Thử")
    district_init = district_dir
    from sync_agent import ward_cli
    from sync_agent.agent import AgentConfig, SyncAgent
    from sync_agent.errors import BadInput
    from sync_agent.keyfiles import DistrictPublicKeys

    server = Receiver(district_init, None).start()
    other = DistrictStore.create(tmp_path / "other", "Quận Khác", TEST_PASSWORD)
    fake_doc = other.public_keys().to_json()
    other.close()
    mitm = _Mitm(server.url, fake_doc)
    try:
        def enrol(url: str, code: str) -> None:
            ward_cli.cmd_enrol(Namespace(district_url=url, code=code, district_key=None, fingerprint=None), session)

        code = _issue_code(district_init, session.office.code)
        # A man in the middle swapping the district key is caught before anything is sent.
        with pytest.raises(BadInput, match=r"does not match the enrolment code|không khớp với mã"):
            enrol(mitm.url, code)
        # So is a mistyped code (and the district enrols nothing).
        typo = ("A" if code[0] != "A" else "B") + code[1:]
        with pytest.raises(BadInput):
            enrol(server.url, typo)
        assert json.loads(district_cli("report", "wards", "--json", "--data-dir", str(district_init)).stdout) == []
        # Typed in lower case without dashes: accepted; enrolled on both sides.
        enrol(server.url, code.replace("-", "").lower())
        rows = json.loads(district_cli("report", "wards", "--json", "--data-dir", str(district_init)).stdout)
        assert [r["office_code"] for r in rows] == [session.office.code]
        district_cli("key", "--data-dir", str(district_init), "--out", str(tmp_path / "district.pub"))
        pinned = DistrictPublicKeys.read(tmp_path / "district.pub")
        assert bytes(session.office.upstream_public_key) == pinned.encrypt
        assert session.store.keyfile().escrow_slot() is not None
        # The code was for one use.
        with pytest.raises(BadInput):
            enrol(server.url, code)
        # And the ward syncs.
        from ward_desk.services import dossiers
        from ward_desk.services.catalogue import list_procedures

        procedure = list_procedures()[0].code
        for _ in range(3):
            dossiers.intake(session, dossiers.IntakeRequest(procedure_code=procedure, applicant_name="Lê Văn Ba"))
        report = SyncAgent(session.store.data_dir, AgentConfig(backoff_base=0.02, backoff_max=0.2)).run_once()
        assert report.ok and report.pending == 0 and report.records_sent > 0
        # Guessing: a few wrong proofs burn an unused code.
        code2 = _issue_code(district_init, "99999")
        for _ in range(5):
            r = requests.post(f"{server.url}/v1/enrol/99999", json={"ward_key": "{}", "proof": "00" * 32}, timeout=TIMEOUT)
            assert r.status_code in (403, 429)
        assert code2
    finally:
        mitm.shutdown()
        server.stop()


# ------------------------------------------------------------- many workers


@pytest.mark.postgres
def test_two_workers_over_postgresql_lose_and_double_nothing(pg_url: str, district_dir: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    district_cli("init", "--data-dir", str(district_dir), "--name", "Quận Thử", "--db", pg_url)
    store = DistrictStore.open(district_dir)  # PostgreSQL: no passphrase needed to enrol
    wards = [SimWard(f"W{i:03d}", store.public_keys()) for i in range(6)]
    for ward in wards:
        store.enrol(ward.public())
        ward.add_dossiers(60)  # 120 records -> 6 batches of 20
    store.close()
    chains = {w.office_code: w.all_batches(20) for w in wards}
    server = Receiver(district_dir, None, extra=["--workers", "2"]).start()
    try:
        def upload(code: str) -> list[int]:
            batches = chains[code]
            order = [*reversed(range(len(batches))), 0, 3]  # out of order, and twice
            with requests.Session() as http:
                return [http.post(server.url + "/v1/batches", data=batches[i].envelope, timeout=TIMEOUT).status_code
                        for i in order]

        with ThreadPoolExecutor(12) as pool:
            statuses = list(pool.map(upload, [*chains, *chains]))  # each ward twice at once
        assert all(s == 200 for per in statuses for s in per), statuses
        for ward in wards:
            state = requests.get(f"{server.url}/v1/wards/{ward.office_code}/ack", timeout=TIMEOUT).json()
            assert state["acked_seq"] == 120 and state["acked_batch_no"] == 6 and state["missing_batches"] == []
    finally:
        server.stop()
    log = (district_dir / "logs" / "receiver.log").read_text(encoding="utf-8")
    assert log.count("receiver worker") >= 2
    from district_desk.models import Batch, Quarantine, Record

    store = DistrictStore.open(district_dir)  # PostgreSQL: no passphrase needed to read
    try:
        assert Record.select().count() == 6 * 120
        assert Batch.select().count() == 6 * 6
        assert Quarantine.select().count() == 0
        assert [r["dossiers"] for r in store.report_wards()] == [60] * 6
    finally:
        store.close()
