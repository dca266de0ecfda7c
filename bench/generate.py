"""Generate a big store for the benchmarks with the demo's generator.

    python bench/generate.py --out /tmp/wd-1m --dossiers 1000000
    python bench/generate.py --out /tmp/wd-1m-plain --dossiers 1000000 --plain

The dossiers are spread over enough years of a busy office (``--per-day``, 400 by
default: a town-level one-stop office receives 300–350 a day) to reach the
count exactly, ending now, and committed in chunks. Prints progress and the
size on disk. Same ``--seed``, same content in both stores (uids differ).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._stores import (
    BENCH_PASSWORD,
    BENCH_USER,
    create_encrypted,
    create_plain,
    write_info,
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="folder of the new store (must not hold one)")
    ap.add_argument("--dossiers", type=int, default=1_000_000)
    ap.add_argument("--per-day", type=float, default=400, help="dossiers on an ordinary working day")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--chunk", type=int, default=25_000, help="dossiers per commit")
    ap.add_argument("--plain", action="store_true", help="plain SQLite (no encryption), same schema")
    args = ap.parse_args(argv)

    from ward_desk.demo import fill_store
    from ward_desk.domain.timing import local_day, to_utc
    from ward_desk.services.desk import session_for
    from ward_desk.services.session import utc_now
    from ward_desk.store.database import file_size

    now = utc_now()
    # ~250 working days a year; a little slack so the scaled volumes stay near --per-day.
    years = args.dossiers / (args.per_day * 248)
    start = local_day(now) - timedelta(days=math.ceil(years * 365.25))
    created = to_utc(datetime.combine(start - timedelta(days=3), datetime.min.time().replace(hour=8)))
    t0 = time.perf_counter()
    store = create_plain(args.out, created) if args.plain else create_encrypted(args.out, created)
    session = session_for(store, BENCH_USER, clock=lambda: now)
    last = [t0]

    def progress(done: int, total: int) -> None:
        t = time.perf_counter()
        if t - last[0] >= 5 or done == total:
            rate = done / (t - t0)
            print(f"  {done:>9,} / {total:,} dossiers  {t - t0:7.1f} s  {rate:,.0f}/s", file=sys.stderr, flush=True)
            last[0] = t

    kind = "plain SQLite" if args.plain else "SQLCipher"
    print(f"generating {args.dossiers:,} dossiers ({kind}) from {start} to {local_day(now)} into {args.out}",
          file=sys.stderr, flush=True)
    count = fill_store(session, start=start, now=now, per_day=args.per_day, seed=args.seed, total=args.dossiers,
                       chunk=args.chunk, rebuild_indexes=True, progress=progress)
    t_fill = time.perf_counter() - t0
    counts = {t: store.db.execute_sql(f'SELECT count(*) FROM "{t}"').fetchone()[0]
              for t in ("dossier", "event", "outbox", "rating", "apology_slip")}
    store.close()  # checkpoints the WAL back into the database
    elapsed = time.perf_counter() - t0
    size = file_size(args.out / "ward.db")
    write_info(args.out, kind="plain" if args.plain else "sqlcipher", user=BENCH_USER, password=BENCH_PASSWORD,
               dossiers=count, rows=counts, seed=args.seed, per_day=args.per_day, start=start, now=now,
               generate_seconds=round(elapsed, 1), size_bytes=size)
    print(f"done: {count:,} dossiers, rows {counts}, {t_fill:.0f} s to write, {elapsed:.0f} s in all; "
          f"size on disk {size / 1e9:.2f} GB ({size / count:,.0f} bytes per dossier)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
