"""Sending a slip's file to the system print queue: the one platform-specific call.

Linux and macOS: CUPS's ``lp`` (default printer). Windows: the shell's "print" verb
(``os.startfile(path, "print")``, the printer the file's program prints to). Where
neither can print (no ``lp``, no default destination, no program registered for
printing), the caller is told so, with the file, which is always kept.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PrintOutcome:
    """What became of a print request: ``queued`` with the queue's answer (``lp``'s
    "request id is ..."), or not, with why (``no_printer``, ``failed``) in ``detail``."""

    queued: bool
    reason: str = ""  # "" | "no_printer" | "failed"
    detail: str = ""


def send_to_printer(path: Path, *, timeout: float = 30.0) -> PrintOutcome:
    """Queue ``path`` on the default printer; never raises for a missing printer."""
    path = Path(path)
    if sys.platform.startswith("win"):
        try:
            os.startfile(str(path), "print")  # type: ignore[attr-defined]
        except OSError as exc:  # no program registered to print this kind of file
            return PrintOutcome(False, "no_printer", str(exc))
        return PrintOutcome(True)
    lp = shutil.which("lp")
    if lp is None:
        return PrintOutcome(False, "no_printer", "lp")
    try:
        done = subprocess.run([lp, "--", str(path)], capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return PrintOutcome(False, "failed", str(exc))
    said = (done.stdout or done.stderr).strip()
    if done.returncode != 0:
        # CUPS without a default printer: "lp: Error - No default destination."
        lowered = said.lower()
        no_printer = "destination" in lowered or "no default" in lowered or "scheduler" in lowered
        return PrintOutcome(False, "no_printer" if no_printer else "failed", said)
    return PrintOutcome(True, "", said)
