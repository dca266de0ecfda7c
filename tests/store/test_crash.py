"""A desk killed with SIGKILL in the middle of a burst of intakes loses nothing it
reported as done (issue 2 item 8).

A child process loops ``dossiers.intake`` and prints each new code once the
transaction has committed; we kill it after it printed a given number of codes,
while it is somewhere inside the next intake. Afterwards every printed code is in
the store, ``ward-desk verify`` passes, the outbox holds exactly the committed
history (no half transaction, no gap in the sequence) and the desk goes on.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest
from wd_testkit import ADMIN, CODE_RE, PASSWORD, cli_env, make_store, ok, run_cli

CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    from ward_desk.services import dossiers
    from ward_desk.services.desk import open_session

    GIVEN = ["An", "Bình", "Châu", "Dũng", "Hạnh", "Khoa", "Lan", "Minh", "Ngọc", "Phúc", "Quyên", "Sơn"]
    session = open_session(Path(sys.argv[1]), sys.argv[2], sys.argv[3])
    print("ready", flush=True)
    i = 0
    while True:
        d = dossiers.intake(session, dossiers.IntakeRequest(
            procedure_code="CT.01" if i % 3 else "HT.01",
            applicant_name="Lê Văn " + GIVEN[i % len(GIVEN)] + " " + GIVEN[(i // len(GIVEN)) % len(GIVEN)],
            phone="0912%06d" % i, address="Tổ %d, khu phố Bình An" % (i % 9 + 1)))
        print(d.code, flush=True)
        i += 1
    """
)
STARTUP_DEADLINE = 30.0
BURST_DEADLINE = 60.0


def _read_lines(stream, out: queue.Queue) -> None:
    for line in stream:
        out.put(line.rstrip("\n"))
    out.put(None)


def _run_and_kill(data_dir: Path, script: Path, kill_after: int) -> list[str]:
    """Start the child, SIGKILL it once ``kill_after`` codes are printed; every code it printed."""
    proc = subprocess.Popen(
        [sys.executable, str(script), str(data_dir), ADMIN, PASSWORD], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, encoding="utf-8", env=cli_env(),
    )
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(proc.stdout, lines), daemon=True)
    reader.start()
    printed: list[str] = []
    try:
        deadline = time.monotonic() + STARTUP_DEADLINE
        first = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        assert first == "ready", (first, proc.stderr.read() if proc.poll() is not None else "")
        deadline = time.monotonic() + BURST_DEADLINE
        while len(printed) < kill_after:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, f"child ended early: {proc.stderr.read()}"
            printed.append(line)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    # Lines already in the pipe when the kill landed were printed, so they count too.
    reader.join(timeout=10)
    while True:
        line = lines.get(timeout=5)
        if line is None:
            break
        printed.append(line)
    proc.stderr.close()
    assert all(CODE_RE.fullmatch(c) for c in printed), printed[:5]
    return printed


@pytest.mark.parametrize("kill_after", [30, 43, 57])
def test_sigkill_mid_burst_loses_nothing_printed(tmp_path: Path, kill_after: int) -> None:
    from ward_desk.services import dossiers
    from ward_desk.services.desk import open_session
    from ward_desk.store.models import Dossier, Event, Outbox

    data_dir = tmp_path / "ward"
    make_store(data_dir)
    script = tmp_path / "burst.py"
    script.write_text(CHILD, encoding="utf-8")

    printed = _run_and_kill(data_dir, script, kill_after)
    assert len(printed) >= kill_after
    assert len(set(printed)) == len(printed)

    ok(run_cli("verify", "--data-dir", data_dir))

    session = open_session(data_dir, ADMIN, PASSWORD)
    try:
        stored = {d.code: d for d in Dossier.select()}
        missing = [c for c in printed if c not in stored]
        assert missing == []
        # At most the intake in flight when the kill landed committed without being printed.
        assert len(printed) <= len(stored) <= len(printed) + 1

        rows = list(Outbox.select().order_by(Outbox.seq))
        seqs = [r.seq for r in rows]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "outbox sequence has a gap"
        versions: dict[tuple[str, str], list[int]] = defaultdict(list)
        for r in rows:
            versions[(r.entity, r.entity_uid)].append(r.version)
        for d in stored.values():
            assert versions[("dossier", d.uid)] == list(range(1, d.version + 1)), d.code
        for e in Event.select():
            assert versions[("event", e.uid)] == [1]
        dossier_rows = sum(1 for (entity, _uid) in versions if entity == "dossier")
        assert dossier_rows == len(stored)
        assert sum(len(v) for (entity, _), v in versions.items() if entity == "event") == Event.select().count()

        fresh = dossiers.intake(session, dossiers.IntakeRequest(procedure_code="CT.01",
                                                                applicant_name="Phạm Thị Sau Sự Cố"))
        assert fresh.code not in stored
        assert dossiers.get(fresh.code).state == "received"
    finally:
        session.store.close()
