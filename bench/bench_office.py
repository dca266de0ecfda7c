"""The office bench (issue 11): several browser desks on one store through ``ward-desk serve``.

    .venv/bin/python bench/bench_office.py [--desks 5] [--intakes 8] [--out bench/office.json]

Measures, against the issue's targets:

* intake latency (Ctrl+S to the desk drawing "Đã tiếp nhận hồ sơ ..."), p50/p99, with one
  browser desk alone and with ``--desks`` desks saving at once (one headless Chromium per
  desk, each in its own thread): p99 with 5 ≤ 2x p99 with 1;
* keystroke echo (a letter typed in the intake form's name box until the desk draws it),
  median, served over TLS on loopback vs the terminal desk on a pty: ≤ 2x;
* ready to unlock (launch until the unlock screen is drawn), served (page load, desk
  process start) vs the terminal desk's launch: ≤ 2x;
* memory of the office PC with ``--desks`` sessions open: the serving process and every
  desk process under it, RSS summed (Chromium is the counters' PCs', not counted): ≤ 600 MB.

Runs the real processes (the test kit's ``serving`` and browser ``Desk``). Timings here,
never in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "store"), str(ROOT / "tests" / "serve")]

from serve_kit import serving  # noqa: E402
from test_browser_desks import Desk, _browser  # noqa: E402
from wd_testkit import PASSWORD, make_store  # noqa: E402

NAMES = ["An", "Bình", "Cường", "Dung", "Em", "Giang", "Hà", "Khánh", "Lan", "Minh", "Nga", "Oanh"]


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _tree_rss_mb(root_pid: int) -> float:
    """RSS of ``root_pid`` and every process in its process group, in MB."""
    group = os.getpgid(root_pid)
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != group:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, ProcessLookupError, ValueError):
            continue
    return total / 1024


def open_desk(driver, url: str, first: bool) -> tuple[Desk, float]:
    started = time.perf_counter()
    desk = Desk(driver, url, first=first)
    desk.wait_for("Mật khẩu")
    ready = time.perf_counter() - started
    desk.keys("tab", PASSWORD, "enter")
    desk.wait_for("Tỷ lệ đúng hạn")
    return desk, ready


def intakes(desk: Desk, n: int, tag: str, known: set[str], lock: threading.Lock) -> list[float]:
    times = []
    for i in range(n):
        desk.keys("n")
        desk.wait_for("Thủ tục")
        desk.keys("chung thuc ban sao", "enter")
        desk.wait_for("Họ và tên")
        name = f"{tag} {NAMES[i % len(NAMES)]}"
        desk.keys(name)
        desk.wait_for(name.split()[-1])  # typed before the save is timed: a loaded PC is slow to echo
        desk.pace, pace = 0.0, desk.pace
        started = time.perf_counter()
        desk.keys("ctrl+s")
        desk.pace = pace
        with lock:
            seen = set(known)
        code = desk.saved_code(seen)
        times.append((time.perf_counter() - started) * 1000)
        with lock:
            known.add(code)
        desk.keys("escape")
        desk.wait_for("Tỷ lệ đúng hạn")
    return times


def echo_served(desk: Desk, letters: str) -> list[float]:
    desk.keys("n", "chung thuc ban sao", "enter")
    desk.wait_for("Họ")
    time.sleep(1)
    out = []
    for ch in letters:
        before = len(desk.screen())
        desk.pace, pace = 0.0, desk.pace
        started = time.perf_counter()
        desk.keys(ch)
        desk.pace = pace
        # Textual redraws only the cells that changed: the echo is the first drawing after the key.
        while len(desk.screen()) <= before:
            time.sleep(0.002)
        out.append((time.perf_counter() - started) * 1000)
    desk.keys("escape")
    return out


def terminal_desk(data: Path) -> tuple[float, list[float]]:
    """The terminal desk's launch-to-unlock-screen time and its echo (pty, pyte)."""
    from tests.ui.terminal import Terminal, keystrokes

    env = {**os.environ, "WARD_DESK_KDF_MEMORY_KIB": "64", "WARD_DESK_LANG": "vi", "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    term = Terminal([sys.executable, "-m", "ward_desk.cli.main", "--data-dir", str(data), "ui"], env=env,
                    cwd=ROOT)
    try:
        term.wait_for("Mật khẩu", 60)
        ready = time.perf_counter() - started
        term.type(keystrokes(["tab", PASSWORD, "enter"]), 0.01)
        term.wait_for("Tỷ lệ đúng hạn", 60)
        term.type(keystrokes(["n", "chung thuc ban sao", "enter"]), 0.01)
        term.wait_for("Họ", 30)
        time.sleep(1)
        echo, typed = [], ""
        for ch in "Nguyenvanbinh":
            typed += ch
            started = time.perf_counter()
            term.write(ch.encode())
            term.wait_for(typed, 30)
            echo.append((time.perf_counter() - started) * 1000)
        return ready, echo
    finally:
        term.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--desks", type=int, default=5)
    parser.add_argument("--intakes", type=int, default=8)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    os.environ.setdefault("WARD_DESK_KDF_MEMORY_KIB", "64")
    Desk.poll = 0.005
    result: dict[str, object] = {"load_start": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "ward"
        make_store(data)
        term_ready, term_echo = terminal_desk(data)
        with serving(data) as served:
            url = served.url + "/"
            known: set[str] = set()
            lock = threading.Lock()
            # One desk alone.
            driver = _browser()
            try:
                desk, served_ready = open_desk(driver, url, True)
                one = intakes(desk, args.intakes, "Một Mình", known, lock)
                served_echo = echo_served(desk, "Nguyenvanbinh")
            finally:
                driver.quit()
            # N desks at once, one browser each.
            drivers = [_browser() for _ in range(args.desks)]
            try:
                desks = [open_desk(d, url, True)[0] for d in drivers]
                rss = _tree_rss_mb(served.proc.pid)
                many: list[float] = []
                words = ["Quầy A", "Quầy B", "Quầy C", "Quầy D", "Quầy E", "Quầy G", "Quầy H", "Quầy K"]

                def run(k: int, d: Desk) -> None:
                    got = intakes(d, args.intakes, words[k % len(words)], known, lock)
                    with lock:
                        many.extend(got)

                threads = [threading.Thread(target=run, args=(k, d)) for k, d in enumerate(desks)]
                for th in threads:
                    th.start()
                for th in threads:
                    th.join()
                rss_after = _tree_rss_mb(served.proc.pid)
            finally:
                for d in drivers:
                    d.quit()
    result.update({
        "desks": args.desks, "intakes_per_desk": args.intakes,
        "intake_ms_one": {"p50": statistics.median(one), "p99": p(one, 0.99)},
        "intake_ms_many": {"p50": statistics.median(many), "p99": p(many, 0.99)},
        "echo_ms": {"served_median": statistics.median(served_echo), "terminal_median": statistics.median(term_echo)},
        "ready_s": {"served": served_ready, "terminal": term_ready},
        "office_rss_mb": {"sessions_open": rss, "after_intakes": rss_after},
        "load_end": os.getloadavg(),
    })
    text = json.dumps(result, indent=1, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
