"""A real terminal for the desk: the app runs as its own process on a pseudo-terminal,
keys are written to it as a keyboard (or a barcode scanner) would, and what it draws is
read back through a VT emulator (pyte), so tests see the screen a clerk sees."""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyte

# Key names to the bytes a terminal sends for them (xterm).
KEYS = {
    "tab": b"\t",
    "enter": b"\r",
    "escape": b"\x1b",
    "ctrl+s": b"\x13",
    "ctrl+q": b"\x11",
    "f2": b"\x1bOQ",
    "f3": b"\x1bOR",
    "f4": b"\x1bOS",
    "f6": b"\x1b[17~",
    "f8": b"\x1b[19~",
    "down": b"\x1b[B",
    "up": b"\x1b[A",
}


def keystrokes(text_and_keys: Iterable[str]) -> list[bytes]:
    """``["abc", "tab", "d"]`` -> one entry per key: b"a", b"b", b"c", b"\\t", b"d".
    Items that are key names (``KEYS``) are one key; anything else is typed character
    by character (UTF-8, so "Lan" and "Lân" both work)."""
    out: list[bytes] = []
    for item in text_and_keys:
        if item in KEYS:
            out.append(KEYS[item])
        else:
            out.extend(ch.encode() for ch in item)
    return out


class Terminal:
    """One process on a pty of ``size`` (columns, rows), its screen kept up to date."""

    def __init__(self, argv: Sequence[str], *, env: dict[str, str], cwd: Path | None = None,
                 size: tuple[int, int] = (80, 24)) -> None:
        cols, rows = size
        self.screen = pyte.Screen(cols, rows)
        self._stream = pyte.ByteStream(self.screen)
        self._changed = threading.Condition()
        self._raw = bytearray()
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self._master = master
        self.process = subprocess.Popen(
            list(argv), stdin=slave, stdout=slave, stderr=slave, env={**env, "TERM": "xterm-256color",
                                                                      "COLUMNS": str(cols),
                                                                      "LINES": str(rows)},
            cwd=cwd, start_new_session=True, close_fds=True)
        os.close(slave)
        self._reader = threading.Thread(target=self._read, name="pty-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self._master, 65536)
            except OSError:  # the child closed the pty (EIO on Linux)
                data = b""
            with self._changed:
                if not data:
                    self._closed = True
                    self._changed.notify_all()
                    return
                self._raw.extend(data)
                self._stream.feed(data)
                self._changed.notify_all()

    _closed = False

    def text(self) -> str:
        """What is on screen now, one line per row."""
        with self._changed:
            return "\n".join(self.screen.display)

    def wait_for(self, needle: str, timeout: float = 30.0) -> str:
        """Wait (bounded) until ``needle`` is on screen; the screen's text."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                shown = "\n".join(self.screen.display)
                if needle in shown:
                    return shown
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise AssertionError(f"{needle!r} not on screen after {timeout}s:\n{shown}")
                self._changed.wait(left)

    def write(self, data: bytes) -> None:
        """Send bytes as they are (a burst: a scanner, a paste)."""
        os.write(self._master, data)

    def type(self, keys: Sequence[bytes], per_key: float) -> None:
        """Type ``keys`` one at a time, ``per_key`` seconds apart (0: all in one write)."""
        if per_key <= 0:
            self.write(b"".join(keys))
            return
        pace = threading.Event()  # never set: its wait is the typist's pace, not a wait for the app
        for key in keys:
            os.write(self._master, key)
            pace.wait(per_key)

    def wait_exit(self, timeout: float = 30.0) -> int:
        """Wait for the process to end; its exit code."""
        try:
            return self.process.wait(timeout)
        finally:
            self.close()

    def close(self) -> None:
        """End the process if it still runs, and free the pty."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._reader.join(5)
        with contextlib.suppress(OSError):
            os.close(self._master)
