"""Migrations: a store built by an older schema opens with the current code, is
migrated to the latest version after a proven encrypted backup, and keeps its
data; the migration files are numbered without gaps; the models describe exactly
the schema the migrations build (issue 2 item 6).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from ward_desk.migrations import LATEST_VERSION, current_version, discover
from wd_testkit import ADMIN, PASSWORD, build_store_at, ok, run_cli

from ward_desk import migrations
from ward_desk.store import models
from ward_desk.store.backup import prove_backup
from ward_desk.store.database import DB_NAME, open_raw, open_store

NOW = datetime(2026, 3, 3, 2, 0)


@pytest.mark.parametrize("old_version", range(1, LATEST_VERSION))
def test_older_store_is_backed_up_then_migrated(tmp_path: Path, old_version: int) -> None:
    from ward_desk.domain.text import fold
    from ward_desk.services import dossiers
    from ward_desk.services.desk import session_for, verify
    from ward_desk.store.models import Dossier

    data_dir = tmp_path / "ward"
    codes, key = build_store_at(data_dir, old_version)
    assert not any((data_dir / "backups").iterdir())
    if old_version < 4:  # migration 0004 rebuilds the search index
        raw = open_raw(data_dir / DB_NAME, key)
        try:  # the search index as schema 1-3 wrote it: the whole code, the office's agency id included
            raw.execute_sql("DELETE FROM dossier_fts")
            for row_id, name, code in raw.execute_sql("SELECT id, applicant_name, code FROM dossier").fetchall():
                raw.execute_sql("INSERT INTO dossier_fts (rowid, body) VALUES (?, ?)",
                                (row_id, f"{fold(name)} 0912345678 {code.lower()} 5678"))
        finally:
            raw.close()

    store = open_store(data_dir, ADMIN, PASSWORD)
    try:
        assert current_version(store.db) == LATEST_VERSION
        db = store.db
        assert db.execute_sql("""SELECT count(*) FROM dossier_fts WHERE dossier_fts MATCH '"22918"'""").fetchone() == (0,)
        assert [d.code for d in dossiers.search("nguyen van cu")] == [codes[0]]
        assert sorted(d.code for d in dossiers.search(codes[1].split("-", 1)[1][:6])) == sorted(codes)
        assert ("automerge", 0) in db.execute_sql("SELECT * FROM dossier_fts_config").fetchall()
        assert "self_assessment" in store.db.get_tables()
        assert sorted(d.code for d in Dossier.select()) == sorted(codes)
        index_columns = [row[2] for row in db.execute_sql("PRAGMA index_info('dossier_state_due_at')").fetchall()]
        assert index_columns == ["state", "due_at", "apology_count", "statutory_due_at"]  # migrations 0005, 0008
        if old_version < 7:  # migration 0007: the calendar of an older dossier was not recorded
            assert {d.calendar_version for d in Dossier.select()} == {""}
        assert Dossier.get(Dossier.code == codes[0]).state == "in_progress"
        report = verify(session_for(store, ADMIN))
        assert report.ok, report.problems
        assert report.dossiers == len(codes)
    finally:
        store.close()

    backups = list((data_dir / "backups").glob("before-schema-*.db"))
    assert len(backups) == 1, list((data_dir / "backups").iterdir())
    assert backups[0].name.startswith(f"before-schema-{old_version + 1}-")
    meta = prove_backup(backups[0], key)
    assert meta["schema_version"] == str(old_version)
    old = open_raw(backups[0], key)
    try:
        assert sorted(c for (c,) in old.execute_sql("SELECT code FROM dossier").fetchall()) == sorted(codes)
        assert "self_assessment" not in old.get_tables() or old_version >= 2
    finally:
        old.close()

    # The pre-upgrade backup carries its key slots, so it can be restored on its own.
    assert Path(str(backups[0]) + ".keys.json").exists()

    # Opening again migrates nothing and takes no second backup.
    open_store(data_dir, ADMIN, PASSWORD).close()
    assert sorted(p.name for p in (data_dir / "backups").iterdir()) == [backups[0].name,
                                                                         backups[0].name + ".keys.json"]


def test_migrations_are_numbered_without_gaps() -> None:
    folder = Path(migrations.__file__).parent
    files = sorted(p.name for p in folder.glob("*.py") if re.match(r"\d{4}_", p.name))
    numbers = [int(name[:4]) for name in files]
    assert numbers == list(range(1, len(files) + 1)), files
    modules = discover()
    assert [m.VERSION for m in modules] == numbers
    assert [m.__name__.rsplit(".", 1)[1] for m in modules] == [f[:-3] for f in files]
    assert len(files) == LATEST_VERSION
    for m in modules:
        assert callable(m.upgrade)
        assert "ward_desk.store.models" not in Path(m.__file__).read_text(encoding="utf-8"), (
            f"{m.__name__} imports the models: migrations hold frozen SQL")


def _real_tables(db) -> set[str]:
    rows = db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {n for (n,) in rows if not n.startswith("sqlite_") and not n.startswith("dossier_fts")}


def test_models_match_the_schema_the_migrations_build(store_dir: Path) -> None:
    store = open_store(store_dir, ADMIN, PASSWORD)
    try:
        db = store.db
        assert _real_tables(db) == {m._meta.table_name for m in models.ALL_MODELS}
        assert db.execute_sql("SELECT 1 FROM sqlite_master WHERE name = 'dossier_fts'").fetchone()
        problems = []
        for model in models.ALL_MODELS:
            table = model._meta.table_name
            info = {row[1]: row for row in db.execute_sql(f'PRAGMA table_info("{table}")').fetchall()}
            fields = {f.column_name: f for f in model._meta.sorted_fields}
            if set(info) != set(fields):
                only_schema, only_model = sorted(set(info) - set(fields)), sorted(set(fields) - set(info))
                problems.append(f"{table}: only in schema {only_schema}, only in model {only_model}")
                continue
            for column, f in fields.items():
                _cid, _name, _type, notnull, _default, pk = info[column]
                if bool(pk) != bool(f.primary_key):
                    problems.append(f"{table}.{column}: primary key schema={bool(pk)} model={f.primary_key}")
                if not f.primary_key and bool(notnull) == f.null:
                    problems.append(f"{table}.{column}: NOT NULL schema={bool(notnull)} model null={f.null}")
        assert problems == []
    finally:
        store.close()


def test_an_upgrade_is_announced_before_its_backup_starts(tmp_path: Path) -> None:
    """The pre-upgrade backup of a big store runs for minutes: whoever opens the
    store is told first (the service's callback; the CLI on stderr, in the user's
    language), once, and an up-to-date store says nothing."""
    from ward_desk.services.desk import open_session

    data_dir = tmp_path / "ward"
    build_store_at(data_dir, LATEST_VERSION - 1)
    told: list[tuple[int, int, int]] = []

    def tell(found: int, target: int, size: int) -> None:
        assert not list((data_dir / "backups").iterdir())  # before the backup, not after
        told.append((found, target, size))

    session = open_session(data_dir, ADMIN, PASSWORD, on_upgrade=tell)
    session.store.close()
    assert told == [(LATEST_VERSION - 1, LATEST_VERSION, told[0][2])] and told[0][2] > 0
    session = open_session(data_dir, ADMIN, PASSWORD, on_upgrade=tell)
    session.store.close()
    assert len(told) == 1

    for lang, words in (("vi", "Đang nâng cấp kho dữ liệu"), ("en", "Upgrading the store")):
        cli_dir = tmp_path / f"cli-{lang}"
        build_store_at(cli_dir, LATEST_VERSION - 1)
        proc = ok(run_cli("stats", "--json", "--data-dir", cli_dir, "--lang", lang))
        assert words in proc.stderr and f"{LATEST_VERSION - 1} → {LATEST_VERSION}" in proc.stderr
        assert json.loads(proc.stdout)["dossiers"] == 3
        again = ok(run_cli("stats", "--json", "--data-dir", cli_dir, "--lang", lang))
        assert again.stderr == "" and json.loads(again.stdout) == json.loads(proc.stdout)
