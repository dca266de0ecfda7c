"""Sync benchmarks (not part of the test run).

1. Throughput: records per second from outbox rows to committed at the district,
   over loopback: seal (JSON lines, zlib, X25519+AES-GCM, Ed25519) + HTTP upload +
   verify/decrypt/apply in one transaction per batch, against a real
   ``district-desk serve`` (uvicorn) on SQLite (SQLCipher) or PostgreSQL. Like
   the agent, the next batch is sealed while the current one is uploaded.
2. Province: N wards each uploading one day's batch at once (thread pool);
   total time and the receiver's peak memory (VmHWM).

Usage:
    .venv/bin/python bench/bench_sync.py [--db postgresql://...] [--records 40000]
        [--batch 2000] [--wards 300] [--per-ward 450] [--concurrency 32]
Pin to cores with ``taskset -c 0,1`` to match the "2 cores" target.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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
    from sync_agent.district.store import DistrictStore

    data = tmp / "district"
    store = DistrictStore.create(data, "Bench", PASSWORD, db)
    encrypt = store.public_keys().encrypt
    store.close()
    return data, encrypt


def enrol(data: Path, wards: list[tuple[str, Ed25519PrivateKey]]) -> None:
    from sync_agent.district.store import DistrictStore

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=None)
    parser.add_argument("--records", type=int, default=40_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--wards", type=int, default=300)
    parser.add_argument("--per-ward", type=int, default=450)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1, help="receiver processes (serve --workers)")
    args = parser.parse_args()
    os.environ.setdefault("DISTRICT_DESK_KDF_MEMORY_KIB", "1024")
    backend = "PostgreSQL" if args.db else "SQLite (SQLCipher)"
    db_url, schema = fresh_schema(args.db) if args.db else (None, "")
    print(f"# {platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"affinity {sorted(os.sched_getaffinity(0))}, load {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}")

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
            print(f"[{backend}, {args.workers} worker(s)] {args.records} records in {len(chunks)} batches of {args.batch}")
            print(f"  seal alone (ward side):      {args.records / t_seal:10,.0f} records/s")
            print(f"  upload+apply (receiver):     {args.records / t_upload:10,.0f} records/s "
                  f"(median {statistics.median(per_batch) * 1000:.0f} ms per batch)")
            print(f"  outbox -> committed, total:  {args.records / total:10,.0f} records/s "
                  f"(sealing overlapped with upload, as the agent does)")

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


if __name__ == "__main__":
    main()
