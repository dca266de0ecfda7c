"""CLI tests share the subprocess helpers of the store tests (``wd_testkit``)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "store"))
