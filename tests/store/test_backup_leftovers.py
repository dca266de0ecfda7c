"""A backup killed half-way leaves a ``.part`` file; the next backup clears it."""

from __future__ import annotations

from pathlib import Path

from ward_desk.store.backup import backup_store


def test_next_backup_removes_unfinished_parts(session, tmp_path: Path) -> None:
    folder = tmp_path / "copies"
    folder.mkdir()
    stale = folder / "before-schema-4-20261122T121849Z.db.part"
    stale.write_bytes(b"\\0" * 4096)
    done = backup_store(session.store.db, session.store.key, folder / "ward.db")
    assert done.exists()
    assert not stale.exists()
    assert not list(folder.glob("*.part"))
