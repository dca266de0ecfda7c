"""Benchmark of the reports (not a test): monthly report, self-assessment scoring, 12-month trend.

    taskset -c 0 .venv/bin/python bench/bench_reports.py --data-dir STORE [--user U] [--month YYYY-MM]

The store is one made by ``bench/generate.py`` (user and password from its
bench-store.json, else --user / --password / WARD_DESK_PASSWORD). Opening it applies
pending migrations (0003 builds the report indexes: run it on a copy to keep the
original at its schema). ``--synthetic N`` instead fills a new store at --data-dir with N
dossiers by direct inserts (one intake event each), for measuring before the
project's generator is at hand. Prints median / p95 / max of each measurement.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

T = TypeVar("T")


def _row(name: str, samples: list[float], cpu: list[float], target: str, note: str) -> str:
    """One Markdown table row (bench/run.sh collects lines starting with '|').

    CPU is the process's own CPU time: on a loaded machine the wall time of a pinned
    process also counts the time other processes held its core."""
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return (f"| {name} | {statistics.median(ms):.1f} | {p95:.1f} | {ms[-1]:.1f} | "
            f"{statistics.median(cpu) * 1000:.1f} | {len(ms)} | {target} | {note} |")


def _measure(fn: Callable[[], T], repeat: int) -> tuple[list[float], list[float], T]:
    """Wall and CPU seconds of ``repeat`` calls, and the last result."""
    wall, cpu = [], []
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        result = fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu, result


def synthetic(data_dir: Path, n: int, password: str, months: int = 24, seed: int = 7) -> None:
    """A store with ``n`` dossiers spread over ``months`` months ending now, written row by row in bulk."""
    from ward_desk.services.setup import create_store
    from ward_desk.services.users import insert_user
    from ward_desk.store.models import Dossier, Event, Procedure

    rng = random.Random(seed)
    store, _ = create_store(data_dir, office_code="22918", office_name="Phường Mũi Né", admin_username="lanhdao",
                            admin_password=password, admin_full_name="Lãnh Đạo Bench")
    db = store.db
    with db.atomic():
        from ward_desk.store.models import User

        User.update(role="leader").execute()
        officers = [insert_user(f"canbo{i}", f"Cán bộ {i}", "clerk", datetime(2024, 1, 1)).id for i in range(8)]
    procedures = [p.id for p in Procedure.select()]
    end = datetime(2026, 3, 1)
    start = end - timedelta(days=30 * months)
    span = (end - start).total_seconds()
    batch: list[dict] = []
    events: list[dict] = []
    t0 = time.perf_counter()
    for i in range(n):
        received = start + timedelta(seconds=span * i / n + rng.random() * 60)
        due = received + timedelta(days=rng.choice((0, 1, 3, 3, 5, 7, 10)), hours=8)
        r = rng.random()
        completed = closed = None
        state = "returned"
        if received > end - timedelta(days=10) and r < 0.5:
            state = rng.choice(("received", "in_progress", "in_progress", "supplement_requested"))
        elif r < 0.03:
            state = rng.choice(("rejected", "withdrawn"))
            closed = received + timedelta(days=rng.random() * 3)
        else:
            late = rng.random() < 0.03
            completed = due + timedelta(hours=rng.random() * 72) if late else received + (due - received) * rng.random()
            closed = completed + timedelta(hours=rng.random() * 48)
        uid = uuid.uuid4().hex
        batch.append(dict(
            uid=uid, code=f"B-{i:07d}", procedure=rng.choice(procedures), applicant_name="Nguyễn Văn Bench",
            channel=rng.choices(("direct", "online", "postal"), (6, 3, 1))[0], received_at=received, due_at=due,
            statutory_due_at=due, state=state, officer=rng.choice(officers), digitized=rng.random() < 0.8,
            completed_at=completed, closed_at=closed, rule_set="bench", lookup_secret="BENCH",
            apology_count=int(completed is not None and completed > due and rng.random() < 0.7), updated_at=received,
        ))
        if len(batch) == 5000:
            with db.atomic():
                Dossier.insert_many(batch).execute()
                first = Dossier.select(Dossier.id).where(Dossier.uid == batch[0]["uid"]).scalar()
                for k, row in enumerate(batch):
                    events.append(dict(uid=uuid.uuid4().hex, dossier=first + k, at=row["received_at"], kind="intake",
                                       to_state="received", prev_hash="", hash=""))
                Event.insert_many(events).execute()
            batch, events = [], []
            if i % 100000 < 5000:
                print(f"  {i + 1:>9} dossiers  {time.perf_counter() - t0:6.1f} s", flush=True)
    if batch:
        with db.atomic():
            Dossier.insert_many(batch).execute()
    db.execute_sql("ANALYZE")
    store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--user", default=None)
    parser.add_argument("--password", default=os.environ.get("WARD_DESK_PASSWORD"))
    parser.add_argument("--month", default=None, help="month to report (default: the last full month of the data)")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--synthetic", type=int, default=0, metavar="N")
    args = parser.parse_args()

    if args.synthetic and not args.data_dir.exists():
        print(f"filling a synthetic store with {args.synthetic} dossiers at {args.data_dir}")
        t0 = time.perf_counter()
        synthetic(args.data_dir, args.synthetic, args.password)
        print(f"  done in {time.perf_counter() - t0:.0f} s")

    from bench._stores import read_info

    info = read_info(args.data_dir)
    args.user = args.user or info.get("user")
    args.password = args.password or info.get("password") or "bench-password-1"

    from ward_desk.reports.trend import trend_rows

    from ward_desk.domain.report_math import parse_period
    from ward_desk.services import assessment
    from ward_desk.services.desk import open_session
    from ward_desk.services.reporting import _hints, period_report
    from ward_desk.store.models import Dossier

    session = open_session(args.data_dir, args.user, args.password)
    try:
        last = Dossier.select(Dossier.received_at).order_by(Dossier.received_at.desc()).limit(1).scalar()
        month = args.month or f"{(last.replace(day=1) - timedelta(days=1)):%Y-%m}"
        period = parse_period(month)
        session.clock = lambda: last + timedelta(days=1)  # "now" is just after the newest dossier
        total = Dossier.select().count()
        print(f"store: {args.data_dir}  dossiers: {total}  month: {month}  pid core: "
              f"{sorted(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'}  "
              f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        present = [n for n, hint in _hints(session.store.db).items() if hint]
        print(f"report indexes present: {', '.join(present) or 'none'}")

        print("| reports | median ms | p95 ms | max ms | CPU median ms | n | target | note |")
        print("|---|---|---|---|---|---|---|---|")
        period_report(session, period)  # warm the page cache once, as a desk that has been open would be
        wall, cpu, report = _measure(lambda: period_report(session, period), args.repeat)
        print(_row(f"monthly report {month}", wall, cpu, "≤ 200", f"to handle {report.total.to_handle}, "
                   f"resolved {report.total.resolved}, imbalance {report.total.imbalance}"))

        # What the leader's screen runs for a month with nothing stored yet: the month's
        # counts (one report computation) scored against the active criteria set.
        wall, cpu, view = _measure(lambda: assessment.show(session, month), args.repeat)
        print(_row("self-assessment scoring", wall, cpu, "≤ 200", f"computed items {view.total_c / 100} pts"))

        wall, cpu, rows = _measure(lambda: trend_rows(session, period, 12), args.repeat)
        print(_row("12-month trend", wall, cpu, "≤ 500", f"{len(rows)} months, resolved {sum(r.resolved for r in rows)}"))

        quarter = parse_period(f"{period.start.year}-Q{(period.start.month - 1) // 3 + 1}")
        wall, cpu, _ = _measure(lambda: period_report(session, quarter), max(3, args.repeat // 3))
        print(_row(f"quarter report {quarter.label}", wall, cpu, "-", ""))
    finally:
        session.store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
