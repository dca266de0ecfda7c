"""Sync benchmarks (not part of the test run).

1. Throughput, synthetic: records per second from outbox-shaped rows to
   committed at the district, over loopback: seal (JSON lines, zlib,
   X25519+AES-GCM, Ed25519) + HTTP upload + verify/decrypt/apply in one
   transaction per batch, against a real ``district-desk serve`` (uvicorn) on
   SQLite (SQLCipher) or PostgreSQL. The rows are made in memory, so this
   measures the envelope and the receiver, not the ward's outbox.
2. Throughput, real outbox (end to end): a copy of a generated ward store
   (SQLCipher, ``bench/generate.py``; built here when ``--ward-store`` is not
   given) is enrolled with a fresh district by the same commands a person runs
   (``district-desk init/key/enrol/serve``, ``ward-desk sync key/enrol``), then
   the ward's own agent (``SyncAgent.run_once``, what ``ward-desk sync run``
   calls) drains the whole outbox; records/s = outbox rows acknowledged / time
   from the start of the run to the last acknowledged batch. Where the time
   goes is summed per stage (outbox read, seal, upload+apply; sealing runs in
   the agent's helper thread, so the stages overlap).
3. Province: N wards each uploading one day's batch at once (thread pool);
   total time and the receiver's peak memory (VmHWM).

Usage:
    .venv/bin/python bench/bench_sync.py [--db postgresql://...] [--records 40000]
        [--batch 2000] [--wards 300] [--per-ward 450] [--concurrency 32]
        [--ward-store DIR | --ward-dossiers 15000] [--only synthetic,real,province]
Pin to cores with ``taskset -c 0,1`` to match the "2 cores" target.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from sync_agent import envelope as env  # noqa: E402
from sync_agent.keyfiles import WardPublicKey  # noqa: E402

PASSWORD = "bench"


def records(n: int, first: int = 1) -> list[dict]:
    """Outbox-shaped rows: two thirds events, one third dossiers (~600 bytes each)."""
    out = []
    for i in range(n):
        seq = first + i
        uid = str(uuid.uuid4())
        if i % 3 == 0:
            payload = {"uid": uid, "code": f"22918-250303-{seq:04d}", "procedure_code": "HT.01", "field": "Hộ tịch",
                       "state": "in_progress", "channel": "direct", "received_at": "2025-03-03T02:00:00.000000",
                       "due_at": "2025-03-06T10:00:00.000000", "applicant_name": "Nguyễn Văn An",
                       "applicant_id_number": "001190000001", "applicant_phone": "0912345678",
                       "applicant_address": "12 Lê Lợi, phường Một", "lookup_secret": "5W65K6",
                       "documents": [{"name": "Tờ khai", "received": True}], "fee_paid": 0}
            entity = "dossier"
        else:
            payload = {"uid": uid, "dossier_uid": str(uuid.uuid4()), "kind": "transition", "action": "forward",
                       "from_state": "received", "to_state": "in_progress", "at": "2025-03-03T03:00:00.000000",
                       "reason": "", "hash": "ab" * 32, "prev_hash": "cd" * 32}
            entity = "event"
        out.append({"seq": seq, "entity": entity, "entity_uid": uid, "version": 1, "op": "upsert",
                    "payload": payload, "created_at": "2025-03-03T03:00:00.000000"})
    return out


HEARTBEAT = {"pending": 0, "oldest_pending_s": None, "free_disk_bytes": 10**10, "ward_clock": "2025-03-03T03:00:00Z"}


def fresh_schema(url: str) -> tuple[str, str]:
    """A new empty schema on the PostgreSQL server (so runs never meet old data):
    (URL with that schema first on the search path, schema name)."""
    import psycopg

    name = "bench_" + uuid.uuid4().hex[:10]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{name}", name


def drop_schema(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def district(tmp: Path, db: str | None) -> tuple[Path, bytes]:
    from district_desk.store import DistrictStore

    data = tmp / "district"
    store = DistrictStore.create(data, "Bench", PASSWORD, db)
    encrypt = store.public_keys().encrypt
    store.close()
    return data, encrypt


def enrol(data: Path, wards: list[tuple[str, Ed25519PrivateKey]]) -> None:
    from district_desk.store import DistrictStore

    store = DistrictStore.open(data, password=PASSWORD)
    for code, key in wards:
        store.enrol(WardPublicKey(code, code, env.raw_public(key)))
    store.close()


def serve(data: Path, port: int, workers: int = 1) -> subprocess.Popen:
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "district-desk"), "serve", "--data-dir", str(data), "--port", str(port),
         "--workers", str(workers)],
        env={**os.environ, "DISTRICT_DESK_PASSWORD": PASSWORD}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).ok:
                return proc
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit("receiver did not start")


def _tree(pid: int) -> list[int]:
    """pid and all its descendants (uvicorn's worker processes)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return out


def peak_rss_mb(pid: int) -> float:
    """Sum of the peak resident set (VmHWM) of the receiver and its workers."""
    total = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in _tree(pid):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / tick


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seal_chain(code: str, key: Ed25519PrivateKey, encrypt: bytes, rows: list[dict], size: int) -> list[env.SealedBatch]:
    out, prev = [], ""
    for no, i in enumerate(range(0, len(rows), size), start=1):
        chunk = rows[i : i + size]
        sealed = env.build_batch(office_code=code, batch_no=no, first_seq=chunk[0]["seq"], last_seq=chunk[-1]["seq"],
                                 prev_batch_hash=prev, records=chunk, heartbeat=HEARTBEAT, recipient=encrypt,
                                 signer=key)
        prev = sealed.batch_hash
        out.append(sealed)
    return out


# ------------------------------------------------------------ real outbox (end to end)

BIN = Path(sys.executable).parent


def _cli(*argv: str, env: dict[str, str]) -> None:
    """Run one of the project's commands as a person would; stop the bench if it fails."""
    done = subprocess.run([str(BIN / argv[0]), *argv[1:]], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:3])} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")


def ward_copy(tmp: Path, source: Path | None, dossiers: int) -> tuple[Path, str, str]:
    """A ward store to drain (a run changes its sync state, so never the original):
    a copy of ``source``, or one generated here. Returns (folder, user, password)."""
    from bench._stores import BENCH_PASSWORD, BENCH_USER, read_info

    ward = tmp / "ward"
    if source is not None:
        shutil.copytree(source, ward)
    else:
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--out", str(ward),
                        "--dossiers", str(dossiers)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    info = read_info(ward)
    return ward, info.get("user", BENCH_USER), info.get("password", BENCH_PASSWORD)


class StageTimer:
    """Wall time summed per stage over threads (sealing runs in the agent's helper thread)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()

    def wrap(self, name: str, fn: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
                    self.calls[name] = self.calls.get(name, 0) + 1

        return timed


def real_outbox(args: argparse.Namespace, backend: str) -> None:
    """Enrol a copy of a real ward store with a fresh district and time its agent draining the outbox."""
    from sync_agent import agent as agent_mod
    from ward_desk.services.desk import open_session

    db_url, schema = fresh_schema(args.db) if args.db else (None, "")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        ward, user, ward_password = ward_copy(tmp, args.ward_store, args.ward_dossiers)
        env = {**os.environ, "DISTRICT_DESK_PASSWORD": PASSWORD, "WARD_DESK_PASSWORD": ward_password}
        data = tmp / "district"
        port = free_port()
        ward_cmd = ("ward-desk", "--data-dir", str(ward), "--user", user, "--lang", "en")
        _cli("district-desk", "init", "--data-dir", str(data), "--name", "Bench", *(["--db", db_url] if db_url else []),
             env=env)
        _cli("district-desk", "key", "--data-dir", str(data), "--out", str(tmp / "district.pub"), env=env)
        _cli(*ward_cmd, "sync", "key", "--out", str(tmp / "ward.pub"), env=env)
        office = json.loads((tmp / "ward.pub").read_text())["office_code"]
        _cli("district-desk", "enrol", "--data-dir", str(data), "--office-code", office,
             "--ward-key", str(tmp / "ward.pub"),
             "--fingerprint", json.loads((tmp / "ward.pub").read_text())["fingerprint"], env=env)
        proc = serve(data, port, args.workers)
        try:
            _cli(*ward_cmd, "sync", "enrol", "--district-url", f"http://127.0.0.1:{port}",
                 "--district-key", str(tmp / "district.pub"),
                 "--fingerprint", json.loads((tmp / "district.pub").read_text())["fingerprint"], env=env)
            # The session `ward-desk sync run` opens (unlocking is not part of the timed run).
            session = open_session(ward, user, ward_password)
            try:
                outbox = session.store.db.execute_sql("SELECT count(*) FROM outbox").fetchone()[0]
                timer = StageTimer()
                patches = {"outbox_records": "outbox read", "build_batch": "seal", "make_heartbeat": "heartbeat"}
                originals = {name: getattr(agent_mod, name) for name in patches}
                for name, stage in patches.items():
                    setattr(agent_mod, name, timer.wrap(stage, originals[name]))
                agent = agent_mod.SyncAgent(ward, agent_mod.AgentConfig())
                agent._request = timer.wrap("HTTP (upload+apply, ack)", agent._request)  # type: ignore[method-assign]
                last_ack = [0.0]

                def progress(_report: Any) -> None:
                    last_ack[0] = time.perf_counter()

                try:
                    cpu_receiver, cpu_ward = cpu_seconds(proc.pid), time.process_time()
                    t0 = time.perf_counter()
                    report = agent.run_once(progress, session=session)
                    t_run = time.perf_counter() - t0
                    cpu_receiver = cpu_seconds(proc.pid) - cpu_receiver
                    cpu_ward = time.process_time() - cpu_ward
                finally:
                    agent.close()
                    for name, fn in originals.items():
                        setattr(agent_mod, name, fn)
            finally:
                session.store.close()
            assert report.ok, report.error and report.error.render("en")
            assert report.records_sent == outbox and report.pending == 0, (report.records_sent, outbox, report.pending)
            drained = last_ack[0] - t0
            print(f"[{backend}, {args.workers} worker(s)] real outbox: {outbox:,} rows of a generated ward store "
                  f"in {report.batches_sent} batches (agent defaults: <= {agent.config.max_batch_records} records, "
                  f"~{agent.config.max_batch_bytes // 1000} kB)")
            print(f"  outbox -> committed, total:  {outbox / drained:10,.0f} records/s "
                  f"({drained:.2f} s from the start of the run to the last ack; whole run_once {t_run:.2f} s)")
            print(f"  CPU: ward agent {cpu_ward:.2f} s, receiver {cpu_receiver:.2f} s (whole run); "
                  f"wall time per stage, summed over the agent's threads:")
            for stage, seconds in timer.seconds.items():
                print(f"    {stage:<28} {seconds:6.2f} s in {timer.calls[stage]} calls")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            if schema:
                assert args.db
                drop_schema(args.db, schema)


# ------------------------------------------------------------------ synthetic and province


def synthetic_and_province(args: argparse.Namespace, backend: str, parts: set[str]) -> None:
    """The synthetic throughput run and the province run, on one fresh district."""
    db_url, schema = fresh_schema(args.db) if args.db else (None, "")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        data, encrypt = district(tmp, db_url)
        ward_key = Ed25519PrivateKey.generate()
        province = [(f"W{i:04d}", Ed25519PrivateKey.generate()) for i in range(args.wards)]
        enrol(data, [("22918", ward_key), *province])
        port = free_port()
        proc = serve(data, port, args.workers)
        url = f"http://127.0.0.1:{port}/v1/batches"
        try:
            if "synthetic" in parts:
                synthetic(args, backend, url, ward_key, encrypt)
            if "province" in parts:
                day = {code: seal_chain(code, key, encrypt, records(args.per_ward), args.per_ward)[0]
                       for code, key in province}
                t2 = time.perf_counter()

                def upload(code: str) -> int:
                    with requests.Session() as s:
                        return s.post(url, data=day[code].envelope, timeout=300).status_code

                with ThreadPoolExecutor(args.concurrency) as pool:
                    statuses = list(pool.map(upload, day))
                t_prov = time.perf_counter() - t2
                assert all(s == 200 for s in statuses), statuses[:5]
                print(f"  province: {args.wards} wards x {args.per_ward} records, {args.concurrency} at once: "
                      f"{t_prov:.1f} s ({args.wards * args.per_ward / t_prov:,.0f} records/s); "
                      f"receiver peak RSS {peak_rss_mb(proc.pid):.0f} MB")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            if schema:
                assert args.db
                drop_schema(args.db, schema)


def synthetic(args: argparse.Namespace, backend: str, url: str, ward_key: Ed25519PrivateKey, encrypt: bytes) -> None:
    """One ward's in-memory outbox-shaped rows, sealed and uploaded one batch ahead."""
    rows = records(args.records)
    t0 = time.perf_counter()
    seal_chain("22918", ward_key, encrypt, rows, args.batch)  # sealing alone, for reference
    t_seal = time.perf_counter() - t0
    chunks = [rows[i : i + args.batch] for i in range(0, len(rows), args.batch)]

    def seal(no: int, prev: str) -> env.SealedBatch:
        chunk = chunks[no - 1]
        return env.build_batch(office_code="22918", batch_no=no, first_seq=chunk[0]["seq"],
                               last_seq=chunk[-1]["seq"], prev_batch_hash=prev, records=chunk,
                               heartbeat=HEARTBEAT, recipient=encrypt, signer=ward_key)

    # As the agent does: the next batch is sealed while this one uploads and is applied.
    http = requests.Session()
    per_batch = []
    t1 = time.perf_counter()
    with ThreadPoolExecutor(1) as pool:
        ahead = pool.submit(seal, 1, "")
        for no in range(1, len(chunks) + 1):
            b = ahead.result()
            if no < len(chunks):
                ahead = pool.submit(seal, no + 1, b.batch_hash)
            s = time.perf_counter()
            r = http.post(url, data=b.envelope, timeout=120)
            assert r.status_code == 200 and r.json()["status"] == "applied", r.text
            per_batch.append(time.perf_counter() - s)
    total = time.perf_counter() - t1
    t_upload = sum(per_batch)
    print(f"[{backend}, {args.workers} worker(s)] synthetic: {args.records} records in {len(chunks)} batches of {args.batch}")
    print(f"  seal alone (ward side):      {args.records / t_seal:10,.0f} records/s")
    print(f"  upload+apply (receiver):     {args.records / t_upload:10,.0f} records/s "
          f"(median {statistics.median(per_batch) * 1000:.0f} ms per batch)")
    print(f"  outbox -> committed, total:  {args.records / total:10,.0f} records/s "
          f"(sealing overlapped with upload, as the agent does)")


PARTS = ("synthetic", "real", "province")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=None)
    parser.add_argument("--records", type=int, default=40_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--wards", type=int, default=300)
    parser.add_argument("--per-ward", type=int, default=450)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1, help="receiver processes (serve --workers)")
    parser.add_argument("--ward-store", type=Path, default=None,
                        help="a generated ward store (bench/generate.py) for the real-outbox run; it is copied")
    parser.add_argument("--ward-dossiers", type=int, default=15_000,
                        help="without --ward-store, generate a store of this many dossiers (~5 outbox rows each)")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts to run ({', '.join(PARTS)})")
    args = parser.parse_args()
    parts = {p.strip() for p in args.only.split(",") if p.strip()}
    if not parts or parts - set(PARTS):
        parser.error(f"--only takes {', '.join(PARTS)}")
    os.environ.setdefault("DISTRICT_DESK_KDF_MEMORY_KIB", "1024")
    backend = "PostgreSQL" if args.db else "SQLite (SQLCipher)"
    print(f"# {platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"affinity {sorted(os.sched_getaffinity(0))}, load {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    if parts & {"synthetic", "province"}:
        synthetic_and_province(args, backend, parts)
    if "real" in parts:
        real_outbox(args, backend)
    print(f"# load at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
