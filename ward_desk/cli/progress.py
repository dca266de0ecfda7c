"""A progress bar for long CLI commands, fed by the services' ``(done, total)`` callback.

Drawn with rich (which Textual already brings) on stderr, only when stderr is a
terminal: piped or redirected output gets no bar, only the command's own result.
The bar shows the count, the rate and the time left."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ward_desk.services.progress import ProgressCallback


@contextmanager
def progress_bar(label: str, *, console: Any = None) -> Iterator[ProgressCallback]:
    """``with progress_bar("Kiểm tra") as report: service(..., progress=report)``."""
    if console is None and not sys.stderr.isatty():
        yield lambda done, total: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TimeRemainingColumn(),
                  console=console or Console(file=sys.stderr), transient=console is None) as bar:
        task = bar.add_task(label, total=None)

        def report(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield report
