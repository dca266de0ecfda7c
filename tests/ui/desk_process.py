"""The desk as its own process on a terminal, with a fixed office clock.

``python -m tests.ui.desk_process DATA_DIR ISO_UTC [--user NAME]`` runs the same app
``ward-desk`` runs (same entry-point preparation, same ``run_until_closed``), except that
the clock is the given instant, so what a terminal test sees does not depend on the day
it runs. Used by tests that drive the desk through a real pty (tests/ui/terminal.py).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("now", help="naive UTC, ISO format")
    parser.add_argument("--user", default=None)
    parser.add_argument("--lang", default="vi")
    args = parser.parse_args(argv)

    from ward_desk.cli.main import lean_imports

    lean_imports()
    from ward_desk.ui.app import WardDeskApp, run_until_closed

    now = datetime.fromisoformat(args.now)
    run_until_closed(WardDeskApp(args.data_dir, username=args.user, language=args.lang,
                                 clock=lambda: now, open_viewer=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
