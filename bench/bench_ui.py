"""Desk UI benchmark (issue 3): launch, search keystroke latency, memory, idle CPU.

    taskset -c 0 .venv/bin/python bench/bench_ui.py --data-dir /tmp/ward-bench-1m --user admin
    .venv/bin/python bench/bench_ui.py            # dry run on a small store made here

Password from ``$WARD_DESK_PASSWORD`` (the bench stores': ``bench-password``).
Every figure comes from a separate child process of this script, pinned with
``taskset -c <core>`` like the parent:

- launch: whole-process wall time (spawn to exit) of the desk from start to a
  usable dashboard (unlock submitted at once with the real Argon2 cost, counts
  shown), against a minimal Textual app (Header, Input, DataTable, Footer) that
  exits after its first frame, both on a real pseudo-terminal of 80x24, in the
  same run, best of ``--repeat``; peak RSS of each from ``wait4``.
- keystroke-to-screen: inside one desk process, the time from a key event
  entering the app to the frame that shows it in the search box (echo), and to
  the frame that shows the search results (debounce of 150 ms included, and
  without it).
- RSS with the dossier list open (first page shown).
- idle CPU with the dashboard open (process CPU time over ``--idle-seconds``).

Prints Markdown tables (bench/run.sh collects lines starting with ``|``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pty
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import ClassVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
T0 = time.perf_counter()


# --------------------------------------------------------------------------- children


def _child_minimal() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable, Footer, Header, Input

    class Minimal(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield Input(placeholder="search")
            yield DataTable()
            yield Footer()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns("code", "applicant", "state")
            for i in range(20):
                table.add_row(f"22918-260303-{i:04d}", "Nguyễn Văn An", "received")
            self.call_after_refresh(self.exit)

    Minimal().run(headless=_headless())


def _headless() -> bool:
    return os.environ.get("BENCH_UI_HEADLESS") == "1"


def _desk_class():
    from ward_desk.ui.app import WardDeskApp

    class BenchDesk(WardDeskApp):
        """The desk, unlocking at once with the prefilled credentials."""

        mode = "launch"
        result: ClassVar[dict[str, float]] = {}

        def on_mount(self) -> None:  # runs after WardDeskApp.on_mount (Textual walks the MRO)
            self.result["first_screen_s"] = time.perf_counter() - T0
            self.call_after_refresh(self._submit)

        def _submit(self) -> None:
            self.result["unlock_submitted_s"] = time.perf_counter() - T0
            self.screen.action_unlock()

        def dashboard_ready(self) -> None:
            self.result["dashboard_s"] = time.perf_counter() - T0
            if self.mode == "launch":
                self.call_after_refresh(self.exit)
            elif self.mode == "rss":
                self.switch_mode("dossiers")
                self.set_timer(0.05, self._list_ready)
            elif self.mode == "idle":
                self.set_timer(1.0, self._idle_start)

        def _list_ready(self) -> None:
            screen = self.screen
            if not getattr(screen, "_loaded", False):
                self.set_timer(0.05, self._list_ready)
                return
            status = Path("/proc/self/status").read_text()
            for line in status.splitlines():
                if line.startswith(("VmRSS", "VmHWM")):
                    key, value = line.split(":")
                    self.result[key] = int(value.split()[0]) / 1024
            self.result["rows"] = len(screen._rows)
            self.call_after_refresh(self.exit)

        def _idle_start(self) -> None:
            self._cpu0, self._wall0 = time.process_time(), time.perf_counter()
            self.set_timer(float(os.environ.get("BENCH_UI_IDLE", "10")), self._idle_end)

        def _idle_end(self) -> None:
            cpu, wall = time.process_time() - self._cpu0, time.perf_counter() - self._wall0
            self.result["idle_cpu_pct"] = 100 * cpu / wall
            self.result["idle_wall_s"] = wall
            self.exit()

    return BenchDesk


def _as_the_ward_entry_point() -> None:
    """What ``ward-desk`` does before anything else (no PostgreSQL driver on the ward)."""
    from ward_desk.cli.main import lean_imports

    lean_imports()


def _child_desk(mode: str, data_dir: Path, user: str, password: str) -> None:
    _as_the_ward_entry_point()
    cls = _desk_class()
    cls.mode = mode
    app = cls(data_dir, username=user, password=password, open_viewer=False)
    if _headless():
        app.run(headless=True)
    else:  # on a terminal, as `ward-desk` runs it
        from ward_desk.ui.app import run_until_closed

        cls.result["run_returned_s"] = 0.0
        _report_at_exit(cls.result)
        run_until_closed(app)
        return
    cls.result["run_returned_s"] = time.perf_counter() - T0
    _report(cls.result)


def _report_at_exit(result: dict) -> None:
    # run_until_closed returns after the app; record when, once it has.
    import atexit

    def write() -> None:
        result["run_returned_s"] = time.perf_counter() - T0
        _report(result)

    atexit.register(write)


def _report(result: dict) -> None:
    # Not stdout/stderr: on a terminal Textual draws on them.
    Path(os.environ["BENCH_UI_OUT"]).write_text(json.dumps(result))


async def _search_latency(data_dir: Path, user: str, password: str, query: str) -> dict[str, object]:
    from textual import events
    from textual._compositor import CompositorUpdate

    cls = _desk_class()
    cls.mode = "search"
    app = cls(data_dir, username=user, password=password, open_viewer=False, warm_up=False)
    frames: list[float] = []
    original_display = app._display

    def display(screen, renderable) -> None:  # type: ignore[no-untyped-def]
        original_display(screen, renderable)
        if isinstance(renderable, CompositorUpdate):
            # Headless Textual skips turning the frame into terminal bytes: do it here
            # so that the cost a real terminal pays is inside the figure.
            renderable.render_segments(app.console)
        frames.append(time.perf_counter())

    app._display = display  # type: ignore[method-assign]
    echoes: list[float] = []
    results: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        while "dashboard_s" not in cls.result:
            await asyncio.sleep(0.01)
        await pilot.press("f4")
        screen = app.screen
        while not getattr(screen, "_loaded", False):
            await asyncio.sleep(0.01)
        await pilot.pause(0.3)
        box = screen.query_one("#search")
        for ch in query:
            key = "space" if ch == " " else ch
            expected = box.value + ch
            n = len(frames)
            t0 = time.perf_counter()
            event = events.Key(key, ch)
            event.set_sender(app)
            app._driver.send_message(event)
            while not (box.value == expected and len(frames) > n):
                await asyncio.sleep(0.0005)
            echoes.append(frames[-1] - t0)
            # Results: the list re-rendered for this text, then a frame.
            deadline = time.perf_counter() + 5
            while time.perf_counter() < deadline:
                if screen.current_query().text == expected.strip() and screen._last_fetch_text == expected.strip():
                    break
                await asyncio.sleep(0.001)
            n = len(frames)
            while len(frames) == n and time.perf_counter() < deadline:
                await asyncio.sleep(0.0005)
            results.append(frames[-1] - t0)
            await pilot.pause(0.05)
        rows = len(screen._rows)
    return {"echo_ms": [round(x * 1000, 2) for x in echoes],
            "results_ms": [round(x * 1000, 2) for x in results], "rows": rows}


def _child_search(data_dir: Path, user: str, password: str, query: str) -> None:
    _as_the_ward_entry_point()
    from ward_desk.ui.screens import dossier_list

    # Record which text the last shown result belongs to (the bench's only hook).
    original = dossier_list.DossierListScreen.done_fetch

    def done_fetch(self, result):  # type: ignore[no-untyped-def]
        original(self, result)
        self._last_fetch_text = result[0].text

    dossier_list.DossierListScreen.done_fetch = done_fetch
    dossier_list.DossierListScreen._last_fetch_text = None
    _report(asyncio.run(_search_latency(data_dir, user, password, query)))


# --------------------------------------------------------------------------- parent


def _run_child(args: list[str], core: int | None, env: dict[str, str], use_pty: bool
               ) -> tuple[float, float, dict]:
    """Run one child; return (wall seconds, peak RSS MiB, the result it wrote)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    if core is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(core), *cmd]
    out = Path(tempfile.mkstemp(prefix="bench-ui-", suffix=".json")[1])
    env = {**env, "BENCH_UI_OUT": str(out)}
    master = None
    if use_pty:
        import fcntl
        import struct
        import termios

        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        stdio: dict = {"stdin": slave, "stdout": slave, "stderr": slave}
    else:
        stdio = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL,
                 "stderr": subprocess.PIPE}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, close_fds=True, **stdio)
    tail = bytearray()

    def drain(fd: int) -> None:
        # The terminal must be read or the child blocks once its buffer is full.
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            tail.extend(chunk)
            del tail[:-4000]

    if master is not None:
        os.close(slave)
        reader = threading.Thread(target=drain, args=(master,), daemon=True)
    else:
        reader = threading.Thread(target=drain, args=(proc.stderr.fileno(),), daemon=True)
    reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    reader.join(timeout=1)
    if master is not None:
        os.close(master)
    text = out.read_text()
    out.unlink()
    result = json.loads(text) if text else {}
    # CPU time moves less than wall time when the machine is busy: shown beside it.
    result["cpu_s"] = usage.ru_utime + usage.ru_stime
    if code != 0 or (len(result) == 1 and args[1] != "minimal"):
        raise SystemExit(f"child {args[:2]} failed ({code}):\n{tail.decode(errors='replace')}")
    return wall, usage.ru_maxrss / 1024, result


def _small_store() -> tuple[Path, str, str]:
    """A dry-run store: the bench generator's, small."""
    out = Path(tempfile.mkdtemp(prefix="ward-bench-ui-")) / "store"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--out", str(out),
                    "--dossiers", "5000"], check=True, stdout=subprocess.DEVNULL)
    from bench._stores import BENCH_PASSWORD, BENCH_USER

    return out, BENCH_USER, BENCH_PASSWORD


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, help="store to open (default: a small one made here)")
    ap.add_argument("--user", default="admin")
    ap.add_argument("--core", type=int, default=0, help="CPU core for taskset (-1: do not pin)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--idle-seconds", type=float, default=10.0)
    ap.add_argument("--query", default="nguyen van")
    ap.add_argument("--headless", action="store_true", help="no pseudo-terminal (Textual headless)")
    ap.add_argument("--only", default="launch,search,rss,idle",
                    help="comma-separated parts to run (launch, search, rss, idle)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    password = os.environ.get("WARD_DESK_PASSWORD", "bench-password")
    if args.child == "minimal":
        _child_minimal()
        return 0
    if args.child in ("launch", "rss", "idle"):
        _child_desk(args.child, args.data_dir, args.user, password)
        return 0
    if args.child == "search":
        _child_search(args.data_dir, args.user, password, args.query)
        return 0

    data_dir, user = args.data_dir, args.user
    if data_dir is None:
        data_dir, user, password = _small_store()
        print(f"(dry run on a small generated store: {data_dir})")
    core = None if args.core < 0 else args.core
    env = {**os.environ, "WARD_DESK_PASSWORD": password, "BENCH_UI_IDLE": str(args.idle_seconds),
           "TERM": os.environ.get("TERM", "xterm-256color")}
    if args.headless:
        env["BENCH_UI_HEADLESS"] = "1"
    use_pty = not args.headless
    common = ["--data-dir", str(data_dir), "--user", user]

    only = set(args.only.split(","))
    print()
    print(f"Desk UI on {data_dir} (core {core}, {'headless' if args.headless else 'pty 80x24'}, "
          f"best of {args.repeat})")
    print()
    print("| measure | desk | minimal Textual app | target |")
    print("|---|---|---|---|")
    if "launch" in only:
        minimal, desk = [], []
        for _ in range(args.repeat):  # interleaved, so a noisy moment hits both alike
            minimal.append(_run_child(["--child", "minimal"], core, env, use_pty))
            desk.append(_run_child(["--child", "launch", *common], core, env, use_pty))
        m_wall = min(w for w, _, _ in minimal)
        d_wall = min(w for w, _, _ in desk)
        d_best = min(desk, key=lambda r: r[0])
        m_rss = max(r for _, r, _ in minimal)
        d_rss = max(r for _, r, _ in desk)
        m_med = statistics.median(w for w, _, _ in minimal)
        d_med = statistics.median(w for w, _, _ in desk)
        print(f"| launch to usable dashboard, whole process, best | {d_wall:.3f} s ({d_wall / m_wall:.2f}x) "
              f"| {m_wall:.3f} s | <= 0.8 s and <= 2x |")
        print(f"| launch, median of {args.repeat} | {d_med:.3f} s ({d_med / m_med:.2f}x) | {m_med:.3f} s | |")
        m_cpu = min(r["cpu_s"] for _, _, r in minimal)
        d_cpu = min(r["cpu_s"] for _, _, r in desk)
        print(f"| launch, process CPU time (user + system), best | {d_cpu:.3f} s ({d_cpu / m_cpu:.2f}x) "
              f"| {m_cpu:.3f} s | |")
        print(f"| in the desk process: first screen / unlock sent / dashboard counts / app closed | "
              f"{d_best[2]['first_screen_s']:.3f} / {d_best[2]['unlock_submitted_s']:.3f} / "
              f"{d_best[2]['dashboard_s']:.3f} / {d_best[2]['run_returned_s']:.3f} s | | |")
        print(f"| peak RSS at launch | {d_rss:.1f} MiB | {m_rss:.1f} MiB | |")
    if "search" in only:
        _, _, search = _run_child(["--child", "search", *common, "--query", args.query], core, env, False)
        echo, res = search["echo_ms"], search["results_ms"]
        print(f"| search keystroke to echo on screen, median / max | {statistics.median(echo):.1f} / "
              f"{max(echo):.1f} ms | | <= 50 ms |")
        print(f"| keystroke to results shown (150 ms debounce incl.), median / max | "
              f"{statistics.median(res):.1f} / {max(res):.1f} ms | | |")
        print(f"| same without the debounce, median | {statistics.median(res) - 150:.1f} ms | | |")
    if "rss" in only:
        _, list_peak, rss = _run_child(["--child", "rss", *common], core, env, use_pty)
        print(f"| RSS with the list open ({rss.get('rows')} rows) / peak | {rss['VmRSS']:.1f} / "
              f"{max(rss['VmHWM'], list_peak):.1f} MiB | | <= 80 MB |")
    if "idle" in only:
        _, _, idle = _run_child(["--child", "idle", *common], core, env, use_pty)
        print(f"| idle CPU, dashboard open, {idle['idle_wall_s']:.0f} s | {idle['idle_cpu_pct']:.2f} % "
              f"| | < 1 % |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
