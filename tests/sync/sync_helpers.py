"""A simulated ward for the sync tests: keys, an outbox and the batch chain."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync_agent import envelope as env
from sync_agent.keyfiles import DistrictPublicKeys, WardPublicKey

TEST_PASSWORD = "district passphrase for tests"


def in_ci() -> bool:
    """True under CI (``CI`` set), where tests that need a service must not skip."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def utc_iso(dt: datetime) -> str:
    return dt.isoformat(timespec="microseconds")


@dataclass
class SimWard:
    """Builds batches the way the ward agent does, from an in-memory outbox."""

    office_code: str
    district: DistrictPublicKeys
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    batch_no: int = 0
    last_hash: str = ""
    acked_seq: int = 0
    built_seq: int = 0
    history: list[tuple[int, int, int, str]] = field(default_factory=list)

    def public(self) -> WardPublicKey:
        return WardPublicKey(self.office_code, f"Phường {self.office_code}", env.raw_public(self.key))

    def write_pub(self, path: Path) -> Path:
        path.write_text(self.public().to_json(), encoding="utf-8")
        return path

    def add_dossiers(self, n: int, *, start: datetime | None = None) -> list[str]:
        """Append n dossier intakes (dossier + event records) and return the codes."""
        start = start or datetime(2025, 3, 3, 1, 0)
        codes = []
        base = sum(1 for r in self.outbox if r["entity"] == "dossier")
        for k in range(n):
            i = base + k
            uid = str(uuid.uuid4())
            code = f"{self.office_code}-250303-{i:04d}"
            at = start + timedelta(minutes=i)
            self.append("dossier", uid, 1, {
                "uid": uid, "code": code, "procedure_code": "1.001193", "field": "Hộ tịch",
                "state": "received", "channel": "direct", "received_at": utc_iso(at),
                "due_at": utc_iso(at + timedelta(days=3)), "applicant_name": "Trần Thị Bé",
                "applicant_id_number": "001190000001", "lookup_secret": f"S{i:05d}",
            }, at)
            self.append("event", str(uuid.uuid4()), 1, {"dossier_uid": uid, "kind": "intake", "to_state": "received"}, at)
            codes.append(code)
        return codes

    def update_dossier(self, code: str, **changes: Any) -> None:
        last = [r for r in self.outbox if r["entity"] == "dossier" and r["payload"]["code"] == code][-1]
        payload = {**last["payload"], **changes}
        self.append("dossier", last["entity_uid"], last["version"] + 1, payload, datetime(2025, 3, 4))

    def append(self, entity: str, uid: str, version: int, payload: dict[str, Any], at: datetime) -> None:
        self.outbox.append({
            "seq": len(self.outbox) + 1, "entity": entity, "entity_uid": uid, "version": version,
            "op": "upsert", "payload": payload, "created_at": utc_iso(at),
        })

    def heartbeat(self) -> dict[str, Any]:
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        return {"pending": len(self.outbox) - self.acked_seq, "oldest_pending_s": 0,
                "free_disk_bytes": 10**10, "ward_clock": now.isoformat(timespec="microseconds") + "Z"}

    def next_batch(self, size: int = 100, *, advance: bool = True, first: int | None = None) -> env.SealedBatch:
        """Cut the next batch after the last one built (not the last acked)."""
        first_seq = first if first is not None else (self.built_seq + 1)
        records = [r for r in self.outbox if first_seq <= r["seq"] < first_seq + size]
        sealed = env.build_batch(
            office_code=self.office_code, batch_no=self.batch_no + 1, first_seq=first_seq,
            last_seq=records[-1]["seq"], prev_batch_hash=self.last_hash, records=records,
            heartbeat=self.heartbeat(), recipient=self.district.encrypt, signer=self.key,
        )
        if advance:
            self.history.append((self.batch_no + 1, first_seq, sealed.last_seq, self.last_hash))
            self.batch_no += 1
            self.last_hash = sealed.batch_hash
            self.built_seq = sealed.last_seq
        return sealed


    def rebuild(self, batch_no: int) -> env.SealedBatch:
        """Build batch ``batch_no`` again (fresh encryption, same content)."""
        no, first, last, prev = self.history[batch_no - 1]
        records = [r for r in self.outbox if first <= r["seq"] <= last]
        return env.build_batch(
            office_code=self.office_code, batch_no=no, first_seq=first, last_seq=last,
            prev_batch_hash=prev, records=records, heartbeat=self.heartbeat(),
            recipient=self.district.encrypt, signer=self.key,
        )

    def all_batches(self, size: int = 100) -> list[env.SealedBatch]:
        out = []
        while self.built_seq < len(self.outbox):
            out.append(self.next_batch(size))
        return out


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


# ------------------------------------------------------------ checks on a real ward and district

# Agent timings for tests: the same logic, quick retries.
FAST = dict(backoff_base=0.02, backoff_max=0.2, connect_timeout=2, read_timeout=3)


def outbox_max() -> int:
    from ward_desk.store.models import Outbox

    return Outbox.select().order_by(Outbox.seq.desc()).get().seq


def ward_entities() -> int:
    from ward_desk.store.models import Outbox

    return Outbox.select(Outbox.entity, Outbox.entity_uid).distinct().count()


def district_ack(server: Receiver, office: str) -> dict:
    import requests

    return requests.get(f"{server.url}/v1/wards/{office}/ack", timeout=5).json()


def assert_exactly_once(district_dir: Path, expected_seq: int, expected_records: int) -> None:
    """Batches tile 1..expected_seq with no overlap, every record is held once,
    nothing is quarantined."""
    from district_desk.models import Batch, Quarantine, Record
    from district_desk.store import DistrictStore

    store = DistrictStore.open(district_dir, password=TEST_PASSWORD)
    try:
        batches = list(Batch.select().order_by(Batch.batch_no))
        assert [b.batch_no for b in batches] == list(range(1, len(batches) + 1))
        assert batches[0].first_seq == 1 and batches[-1].last_seq == expected_seq
        for prev, nxt in itertools.pairwise(batches):
            assert nxt.first_seq == prev.last_seq + 1 and nxt.prev_hash == prev.batch_hash
        assert Record.select().count() == expected_records
        # Envelopes whose signature does not verify are kept as evidence, never applied.
        assert Quarantine.select().where(Quarantine.reason != "unverified").count() == 0
    finally:
        store.close()


def run_through_a_cut(agent: Any, server: Receiver, office: str, proxy: Any, cut_request_bytes: int,
                      timeout: float = 120) -> Any:
    """Run ``agent.run_once()`` (its URL is ``proxy``'s) and, once the district holds three
    batches, cut the link: the live connection drops, reconnects are refused; then
    restore it with the first two connections dying half-way up and half-way down.
    Returns the run's report; the agent is closed."""
    import threading

    result: dict = {}
    thread = threading.Thread(target=lambda: result.setdefault("report", agent.run_once()))
    try:
        thread.start()
        wait_until(lambda: district_ack(server, office)["acked_batch_no"] >= 3, timeout=60, what="first batches")
        proxy.down()
        wait_until(lambda: proxy.refused >= 3, what="refused reconnects")
        proxy.queue(("cut_request", cut_request_bytes), ("cut_response", 40))
        proxy.up()
        thread.join(timeout=timeout)
        assert not thread.is_alive()
    finally:
        agent.cancel.set()
        proxy.close()
        agent.close()
    return result["report"]
