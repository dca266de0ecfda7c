"""District-view fixtures: the sync tests' district stores (SQLite and PostgreSQL,
``db_url``) re-exported, plus an open in-process district with its keys."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_SYNC = Path(__file__).resolve().parent.parent / "sync"
sys.path.insert(0, str(_SYNC))
sys.path.insert(0, str(Path(__file__).resolve().parent))

_spec = importlib.util.spec_from_file_location("_sync_fixtures", _SYNC / "conftest.py")
assert _spec and _spec.loader
_sync = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_sync)

pg_url = _sync.pg_url
db_url = _sync.db_url
district_dir = _sync.district_dir
district_init = _sync.district_init
receiver = _sync.receiver


@pytest.fixture
def district(tmp_path: Path, db_url: str | None) -> Iterator:
    """An initialised district opened in this process: (store, unlocked keys)."""
    from district_helpers import open_district

    store, keys = open_district(tmp_path / "district", db_url)
    yield store, keys
    store.close()
