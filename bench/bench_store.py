"""Store benchmarks (issue 2): intake commit, search, SQLCipher/plain ratio, size, raw floor.

    taskset -c 0 python bench/bench_store.py --store /tmp/wd-1m --plain-store /tmp/wd-1m-plain

Everything user-facing goes through the services (``dossiers.intake``,
``dossiers.search``) on a store made by ``bench/generate.py``. Intakes are
timed one by one (the commit is part of it: dossier + event + outbox + FTS
row, BEGIN IMMEDIATE ... COMMIT), in these variants:

- ``full``: the store as the app opens it (WAL, synchronous=FULL, the connection
  pragmas' wal_autocheckpoint, no idle moment ever);
- ``normal``: the same with synchronous=NORMAL;
- ``full+idle-ckpt`` / ``normal+idle-ckpt``: ``database.maybe_checkpoint`` (an FTS
  merge step + a PASSIVE checkpoint) between bursts of intakes, what the app does
  when the clerk is idle; the idle call itself is timed separately.

The plain store is migrated to the latest schema first (the app migrates the
SQLCipher one when it opens it), so both have the same schema.

The raw floor is plain SQL (no peewee, no services) committing one
dossier-shaped row + FTS row + event + outbox per transaction into a scratch
database of the same schema holding 200,000 rows, encrypted and plain.
Prints a JSON summary and a Markdown table; ``--json-out`` also writes the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._stores import BENCH_USER, open_encrypted, open_plain, read_info

TARGETS = {"intake_median_ms": 1.5, "intake_p99_ms": 10.0, "search_median_ms": 5.0, "ratio": 1.5}


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * len(s) + 0.5) - 1))
    return s[k]


def summary(ms: list[float]) -> dict[str, float]:
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 3), "p90_ms": round(pct(ms, 90), 3),
            "p99_ms": round(pct(ms, 99), 3), "max_ms": round(max(ms), 3), "mean_ms": round(statistics.fmean(ms), 3)}


# --- intake -------------------------------------------------------------------------------


def intake_requests(n: int, seed: int):
    """``n`` realistic counter intakes (procedure mix and people as in the demo)."""
    from ward_desk.demo import DEFAULT_WEIGHT, PROCEDURE_WEIGHTS, People
    from ward_desk.services.dossiers import IntakeRequest
    from ward_desk.services.session import utc_now
    from ward_desk.store.models import Procedure

    rng = random.Random(seed)
    people = People(rng, "Phường Mũi Né")
    procs = [p.code for p in Procedure.select(Procedure.code).where(Procedure.active == True)]  # noqa: E712
    weights = [PROCEDURE_WEIGHTS.get(c, DEFAULT_WEIGHT) for c in procs]
    today = utc_now().date()
    out = []
    for _ in range(n):
        person = people.applicant(today)
        channel = rng.choices(("direct", "online", "postal"), (65, 32, 3))[0]
        out.append(IntakeRequest(procedure_code=rng.choices(procs, weights)[0], applicant_name=person.name,
                                 id_number=person.id_number, phone=person.phone, address=person.address,
                                 channel=channel))
    return out


def fresh_day_clock(session):
    """A clock on the first day after the store's newest dossier, running in real time:
    a dossier code has four digits for the day's sequence, so thousands of bench
    intakes must not all land on one day."""
    from datetime import datetime, timedelta

    from ward_desk.services.session import utc_now

    last = session.store.db.execute_sql("SELECT max(received_at) FROM dossier").fetchone()[0]
    real_start = utc_now()
    base = max(real_start, datetime.fromisoformat(last) + timedelta(days=1)) if last else real_start
    return lambda: base + (utc_now() - real_start)


def run_intakes(session, requests, *, synchronous: str, idle_checkpoint: bool, burst: int) -> dict:
    from ward_desk.services import dossiers
    from ward_desk.store.database import maybe_checkpoint

    db = session.store.db
    session.clock = fresh_day_clock(session)
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # every variant starts from an empty WAL
    auto = db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0]
    sync = db.execute_sql("PRAGMA synchronous").fetchone()[0]
    db.execute_sql(f"PRAGMA synchronous={synchronous}")
    times: list[float] = []
    checkpoints: list[float] = []
    try:
        for i, req in enumerate(requests):
            t = time.perf_counter_ns()
            dossiers.intake(session, req)
            times.append((time.perf_counter_ns() - t) / 1e6)
            if idle_checkpoint and (i + 1) % burst == 0:
                t = time.perf_counter_ns()
                maybe_checkpoint(session.store, idle_seconds=60)  # between bursts: the clerk is idle
                checkpoints.append((time.perf_counter_ns() - t) / 1e6)
    finally:
        db.execute_sql(f"PRAGMA synchronous={sync}")
        db.execute_sql(f"PRAGMA wal_autocheckpoint={auto}")
    out = summary(times)
    if checkpoints:
        out["idle_checkpoint"] = summary(checkpoints)
    return out


# --- search -------------------------------------------------------------------------------


def search_queries(session, n_samples: int, seed: int) -> list[tuple[str, str]]:
    """(kind, text): names typed with and without accents, phone tails, IDs, code fragments."""
    from ward_desk.domain.text import fold
    from ward_desk.store.models import Dossier

    db = session.store.db
    top = db.execute_sql("SELECT max(id) FROM dossier").fetchone()[0]
    rng = random.Random(seed)
    queries: list[tuple[str, str]] = [
        ("common name", "nguyen van"), ("common name", "Nguyễn Thị"), ("common name", "tran thi hoa"),
        ("common name", "le minh"), ("family name", "Phạm"), ("prefix", "ngu"), ("prefix", "huy"),
    ]
    for _ in range(n_samples):
        d = Dossier.get_by_id(rng.randint(1, top))
        parts = d.applicant_name.split()
        queries.append(("full name, accented", d.applicant_name))
        queries.append(("family + given, folded", fold(f"{parts[0]} {parts[-1]}")))
        if d.applicant_phone:
            queries.append(("phone, last 4", d.applicant_phone[-4:]))
            queries.append(("phone, spaced", f"{d.applicant_phone[:4]} {d.applicant_phone[4:7]} {d.applicant_phone[7:]}"))
        if d.applicant_id_number:
            queries.append(("ID number", d.applicant_id_number))
        queries.append(("dossier code", d.code))
    return queries


def run_searches(session, queries: list[tuple[str, str]], reps: int) -> dict:
    from ward_desk.services import dossiers

    def one(text: str) -> tuple[float, int]:
        t = time.perf_counter_ns()
        rows = dossiers.search(text, limit=50)
        for d in rows:  # touch the rows as a list screen would
            _ = (d.code, d.applicant_name, d.state, d.due_at, d.procedure.name)
        return (time.perf_counter_ns() - t) / 1e6, len(rows)

    first = [one(q)[0] for _, q in queries]
    by_kind: dict[str, list[float]] = {}
    all_ms: list[float] = []
    hits: list[int] = []
    for _ in range(reps):
        for kind, q in queries:
            ms, n = one(q)
            by_kind.setdefault(kind, []).append(ms)
            all_ms.append(ms)
            hits.append(n)
    out = summary(all_ms)
    out["first_pass"] = summary(first)
    out["queries"] = len(queries)
    out["mean_hits"] = round(statistics.fmean(hits), 1)
    out["by_kind_median_ms"] = {k: round(statistics.median(v), 3) for k, v in by_kind.items()}
    return out


# --- raw floor ------------------------------------------------------------------------------


def raw_floor(encrypted: bool, rows: int, n: int, synchronous: str) -> dict:
    """Plain SQL into a scratch store of the same schema: the cost of SQLite (+ SQLCipher) alone."""
    import hashlib
    import secrets
    import uuid

    from sqlcipher3 import dbapi2 as sqlcipher
    from ward_desk.migrations import discover

    tmp = Path(tempfile.mkdtemp(prefix="wd-raw-"))
    path = tmp / "raw.db"
    conn = sqlcipher.connect(str(path), isolation_level=None)
    if encrypted:
        conn.execute(f"PRAGMA key = \"x'{secrets.token_bytes(32).hex()}'\"")
    for pragma in ("journal_mode=wal", f"synchronous={synchronous}", "foreign_keys=1", "temp_store=MEMORY",
                   "cache_size=-16000", "wal_autocheckpoint=4000"):
        conn.execute(f"PRAGMA {pragma}")

    class _Db:  # the migrations want execute_sql
        def execute_sql(self, sql, params=()):
            return conn.execute(sql, params)

    for m in discover():
        m.upgrade(_Db())
    conn.execute("INSERT INTO procedure VALUES (1,'CT.01','x','x','x',0,'','[]','none','',1,1,'2026-01-01')")
    conn.execute("INSERT INTO user VALUES (1,'u','admin','a','admin',1,'2026-01-01',1)")
    rng = random.Random(1)
    payload = json.dumps({"k": "v" * 600})
    body = "nguyen van an 060123456789 0912345678 22918-260101-0001 5678 6789"
    prev = "0" * 64

    def one(i: int) -> None:
        nonlocal prev
        uid = uuid.uuid4().hex
        conn.execute("BEGIN IMMEDIATE")
        cur = conn.execute(
            "INSERT INTO dossier (uid, code, procedure_id, applicant_name, applicant_id_number, applicant_phone,"
            " applicant_address, channel, received_at, due_at, statutory_due_at, state, officer_id, received_by_id,"
            " documents, digitized, fee_paid, rule_set, lookup_secret, apology_count, note, version, updated_at)"
            " VALUES (?, ?, 1, ?, '060123456789', '0912345678', '12 Lê Lợi, khu phố 3', 'direct',"
            " '2026-01-01 02:00:00', '2026-01-05 10:00:00', '2026-01-05 10:00:00', 'received', NULL, 1,"
            " '[]', 0, 0, 'r', 'ABCDEF', 0, '', 1, '2026-01-01 02:00:00')",
            (uid, f"22918-{i:06d}-{rng.randint(0, 9999):04d}-{i}", f"Nguyễn Văn {i}"))
        did = cur.lastrowid
        conn.execute("INSERT INTO dossier_fts (rowid, body) VALUES (?, ?)", (did, f"{body} {i}"))
        h = hashlib.sha256(f"{prev}{uid}".encode()).hexdigest()
        conn.execute("INSERT INTO event (uid, dossier_id, at, actor_id, kind, action, from_state, to_state, due_at,"
                     " reason, legal_basis, data, prev_hash, hash) VALUES (?, ?, '2026-01-01 02:00:00', 1, 'intake',"
                     " NULL, NULL, 'received', '2026-01-05 10:00:00', '', '', '{}', ?, ?)",
                     (uuid.uuid4().hex, did, prev, h))
        prev = h
        conn.execute("INSERT INTO outbox (entity, entity_uid, version, op, payload, created_at)"
                     " VALUES ('dossier', ?, 1, 'upsert', ?, '2026-01-01 02:00:00')", (uid, payload))
        conn.execute("COMMIT")

    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    for i in range(rows):  # the pre-fill, in one transaction (untimed)
        uid = uuid.uuid4().hex
        cur = conn.execute(
            "INSERT INTO dossier (uid, code, procedure_id, applicant_name, applicant_id_number, applicant_phone,"
            " applicant_address, channel, received_at, due_at, statutory_due_at, state, officer_id, received_by_id,"
            " documents, digitized, fee_paid, rule_set, lookup_secret, apology_count, note, version, updated_at)"
            " VALUES (?, ?, 1, ?, '060123456789', '0912345678', '12 Lê Lợi', 'direct', '2026-01-01 02:00:00',"
            " '2026-01-05 10:00:00', '2026-01-05 10:00:00', 'received', NULL, 1, '[]', 0, 0, 'r', 'ABCDEF', 0, '',"
            " 1, '2026-01-01 02:00:00')", (uid, f"pre-{i}", f"Nguyễn Văn {i}"))
        conn.execute("INSERT INTO dossier_fts (rowid, body) VALUES (?, ?)", (cur.lastrowid, f"{body} {i}"))
        conn.execute("INSERT INTO event (uid, dossier_id, at, actor_id, kind, to_state, reason, legal_basis, data,"
                     " prev_hash, hash) VALUES (?, ?, '2026-01-01', 1, 'intake', 'received', '', '', '{}', '', '')",
                     (uuid.uuid4().hex, cur.lastrowid))
        conn.execute("INSERT INTO outbox (entity, entity_uid, version, op, payload, created_at)"
                     " VALUES ('dossier', ?, 1, 'upsert', ?, '2026-01-01')", (uid, payload))
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    times = []
    for i in range(n):
        t = time.perf_counter_ns()
        one(i)
        times.append((time.perf_counter_ns() - t) / 1e6)
    fts = []
    for i in range(200):
        t = time.perf_counter_ns()
        conn.execute("SELECT rowid FROM dossier_fts WHERE dossier_fts MATCH ? ORDER BY rowid DESC LIMIT 50",
                     (f'"nguyen"* "{i % 90 + 10}"*',)).fetchall()
        fts.append((time.perf_counter_ns() - t) / 1e6)
    conn.close()
    for p in tmp.iterdir():
        p.unlink()
    tmp.rmdir()
    out = summary(times)
    out["fts_prefix_top50_median_ms"] = round(statistics.median(fts), 3)
    return out


# --- main -----------------------------------------------------------------------------------


def machine() -> dict:
    info = {"python": platform.python_version(), "platform": platform.platform()}
    try:
        import sqlcipher3

        conn = sqlcipher3.connect(":memory:")
        info["sqlite"] = conn.execute("select sqlite_version()").fetchone()[0]
        info["sqlcipher"] = conn.execute("pragma cipher_version").fetchone()[0]
    except Exception:  # pragma: no cover
        pass
    if hasattr(os, "sched_getaffinity"):
        info["affinity"] = sorted(os.sched_getaffinity(0))
    info["loadavg_start"] = [round(x, 2) for x in os.getloadavg()]
    return info


def open_plain_migrated(path: Path):
    """The plain store at the latest schema (``open_plain`` does not migrate)."""
    from ward_desk.migrations import apply_all

    t = time.perf_counter()
    store = open_plain(path)
    applied = apply_all(store.db, path, backup_first=False)
    if applied:
        print(f"plain store migrated to {applied} in {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
        store.close()
        store = open_plain(path)
    return store


def run_verify(session) -> dict:
    from ward_desk.services.desk import verify

    db = session.store.db
    t = time.perf_counter()
    db.execute_sql("PRAGMA cipher_integrity_check").fetchall()
    t1 = time.perf_counter()
    db.execute_sql("PRAGMA quick_check").fetchone()
    t2 = time.perf_counter()
    report = verify(session)  # runs both checks again, then the chain and the projections
    t3 = time.perf_counter()
    return {"total_s": round(t3 - t2, 1), "cipher_integrity_check_s": round(t1 - t, 1),
            "quick_check_s": round(t2 - t1, 1), "events": report.events, "dossiers": report.dossiers,
            "ok": report.ok}


def bench_store(open_fn, path: Path, args, variants) -> dict:
    from ward_desk.migrations import current_version

    from ward_desk.services.desk import session_for
    from ward_desk.store.database import file_size

    t = time.perf_counter()
    store = open_fn(path)
    session = session_for(store, BENCH_USER)
    out: dict = {"open_s": round(time.perf_counter() - t, 3), "schema_version": current_version(store.db)}
    info = read_info(path)
    size = file_size(path / "ward.db")
    dossiers = store.db.execute_sql("SELECT count(*) FROM dossier").fetchone()[0]
    out["dossiers"] = dossiers
    out["size_bytes"] = size
    out["size_gb_per_1m_dossiers"] = round(size / dossiers * 1e6 / 1e9, 3)
    out["generate_s"] = info.get("generate_seconds")
    try:
        if "search" in variants:
            queries = search_queries(session, args.search_samples, args.seed)
            out["search"] = run_searches(session, queries, args.search_reps)
        requests = intake_requests(args.intakes * len(variants), args.seed)
        k = 0
        out["intake"] = {}
        for name in variants:
            if name == "search":
                continue
            sync = "FULL" if name.startswith("full") else "NORMAL"
            reqs = requests[k : k + args.intakes]
            k += args.intakes
            out["intake"][name] = run_intakes(session, reqs, synchronous=sync,
                                              idle_checkpoint=name.endswith("idle-ckpt"), burst=args.burst)
        if args.verify and open_fn is open_encrypted:
            print("verify ...", file=sys.stderr, flush=True)
            out["verify"] = run_verify(session)
    finally:
        store.close()
    return out


def markdown(result: dict) -> str:
    enc = result["sqlcipher"]
    plain = result.get("plain") or {}
    lines = ["| measure | SQLCipher | plain SQLite | target |", "|---|---|---|---|"]

    def row(name, a, b="", target=""):
        lines.append(f"| {name} | {a} | {b} | {target} |")

    for v, r in enc["intake"].items():
        p = plain.get("intake", {}).get(v)
        row(f"intake commit, {v}: median / p99 (ms)", f"{r['median_ms']} / {r['p99_ms']}",
            f"{p['median_ms']} / {p['p99_ms']}" if p else "",
            "≤ 1.5 / ≤ 10" if v == "full" else "")
        if "idle_checkpoint" in r:
            c = r["idle_checkpoint"]
            pc = p.get("idle_checkpoint") if p else None
            row(f"  idle maybe_checkpoint (FTS merge step + PASSIVE) every {result['burst']} intakes: median / max (ms)",
                f"{c['median_ms']} / {c['max_ms']}", f"{pc['median_ms']} / {pc['max_ms']}" if pc else "")
    if "ratio" in result:
        for v, r in result["ratio"].items():
            row(f"SQLCipher / plain, intake median ({v})", r, "", "≤ 1.5" if v == "full" else "")
    s = enc.get("search")
    if s:
        ps = plain.get("search")
        row("search top 50 with rows: median / p99 (ms)", f"{s['median_ms']} / {s['p99_ms']}",
            f"{ps['median_ms']} / {ps['p99_ms']}" if ps else "", "≤ 5")
        row("search, first (cold) pass: median / max (ms)", f"{s['first_pass']['median_ms']} / "
            f"{s['first_pass']['max_ms']}", f"{ps['first_pass']['median_ms']} / {ps['first_pass']['max_ms']}"
            if ps else "")
    row("dossiers in store", f"{enc['dossiers']:,}", f"{plain['dossiers']:,}" if plain else "")
    row("size on disk per 1M dossiers (GB)", enc["size_gb_per_1m_dossiers"],
        plain.get("size_gb_per_1m_dossiers", ""))
    row("open (unlock + first read) (s)", enc["open_s"], plain.get("open_s", ""))
    if "verify" in enc:
        v = enc["verify"]
        row("verify (cipher_integrity_check + quick_check + chain + projections) (s)",
            f"{v['total_s']} (of which cipher check {v['cipher_integrity_check_s']}, quick_check "
            f"{v['quick_check_s']}); ok={v['ok']}", "")
    raw = result.get("raw_floor") or {}
    for key, r in raw.items():
        enc_r, plain_r = r.get("sqlcipher"), r.get("plain")
        row(f"raw floor {key}: median / p99 (ms)", f"{enc_r['median_ms']} / {enc_r['p99_ms']}",
            f"{plain_r['median_ms']} / {plain_r['p99_ms']}")
        row(f"raw FTS5 prefix top 50 ({key}) median (ms)", enc_r["fts_prefix_top50_median_ms"],
            plain_r["fts_prefix_top50_median_ms"])
    if s:
        lines.append("")
        lines.append("Search median by query kind (SQLCipher, ms): " + ", ".join(
            f"{k} {v}" for k, v in s["by_kind_median_ms"].items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", "--data-dir", dest="store", type=Path,
                    default=os.environ.get("WARD_BENCH_STORE"), help="a SQLCipher store made by bench/generate.py")
    ap.add_argument("--plain-store", type=Path, default=os.environ.get("WARD_BENCH_PLAIN_STORE") or None,
                    help="the same made with --plain (default: $WARD_BENCH_PLAIN_STORE)")
    ap.add_argument("--user", default=BENCH_USER, help="the store's user (password from bench-store.json)")
    ap.add_argument("--intakes", type=int, default=2000, help="intakes per variant")
    ap.add_argument("--burst", type=int, default=25, help="intakes between idle checkpoints")
    ap.add_argument("--search-samples", type=int, default=12, help="dossiers to derive search queries from")
    ap.add_argument("--search-reps", type=int, default=5)
    ap.add_argument("--raw-rows", type=int, default=200_000)
    ap.add_argument("--no-raw", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--verify", action="store_true", help="also time verify on the SQLCipher store (minutes; its two integrity pragmas are run once more alone to time them)")
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args(argv)
    if args.store is None:
        ap.error("--store (or $WARD_BENCH_STORE) is required")
    if args.plain_store is not None and not (args.plain_store / "ward.db").exists():
        args.plain_store = None

    variants = ["search", "full", "normal", "full+idle-ckpt", "normal+idle-ckpt"]
    result: dict = {"bench": "store", "at": time.strftime("%Y-%m-%d %H:%M:%S %z"), "machine": machine(),
                    "burst": args.burst, "targets": TARGETS}
    print(f"SQLCipher store {args.store} ...", file=sys.stderr, flush=True)
    result["sqlcipher"] = bench_store(open_encrypted, args.store, args, variants)
    if args.plain_store:
        print(f"plain store {args.plain_store} ...", file=sys.stderr, flush=True)
        result["plain"] = bench_store(open_plain_migrated, args.plain_store, args, variants)
        result["ratio"] = {v: round(result["sqlcipher"]["intake"][v]["median_ms"] / r["median_ms"], 2)
                           for v, r in result["plain"]["intake"].items()}
    if not args.no_raw:
        print("raw floor ...", file=sys.stderr, flush=True)
        result["raw_floor"] = {}
        for sync in ("NORMAL", "FULL"):
            key = f"{args.raw_rows // 1000}k rows, WAL + {sync}"
            result["raw_floor"][key] = {
                "sqlcipher": raw_floor(True, args.raw_rows, args.intakes, sync),
                "plain": raw_floor(False, args.raw_rows, args.intakes, sync),
            }
    result["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(result, indent=1, ensure_ascii=False)
    print(text)
    print()
    print(markdown(result))
    if args.json_out:
        args.json_out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
