"""The district store's numbered schema migrations, on the real SQLite (SQLCipher)
file and the real PostgreSQL (issue 12 item 4): they run on the ward's runner;
a store made at any earlier version (the current schema included) opens with the
current code, is migrated and keeps every row; the migrations build exactly the
schema the models describe; a failing migration changes nothing; receivers
opening one old store at once apply each migration once.
"""

from __future__ import annotations

import importlib
import re
import secrets
import sys
import threading
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import peewee
import pytest
from sync_helpers import TEST_PASSWORD, SimWard, wait_until
from ward_desk.migrations.runner import MigrationFailed, MigrationSet

from district_desk import keys as keymod
from district_desk.backends import backend_for
from district_desk.ingest import ingest
from district_desk.migrations import DISTRICT
from district_desk.models import ALL_MODELS, Batch, Dossier, Record
from district_desk.store import (
    KEY_FILE,
    SQLITE_FILE,
    DistrictStore,
    _write_key_file,
    _write_settings,
)
from ward_desk import migrations

FOLDER = Path(importlib.import_module("district_desk.migrations").__file__).parent
CREATED = datetime(2026, 3, 2, 1, 0)


def _url(data_dir: Path, db_url: str | None) -> str:
    return db_url or f"sqlite:///{data_dir / SQLITE_FILE}"


def build_district_at(data_dir: Path, version: int, db_url: str | None) -> None:
    """A district store whose schema stops at ``version``, made as ``init`` makes one
    (settings file, key file, keys and name), closed.

    The identity rows (``setting``, ``district_key``) are written with frozen SQL:
    those tables have not changed since version 1; a migration that changes them
    must make this builder write them as the older code did.
    """
    data_dir.mkdir(parents=True)
    backend = backend_for(_url(data_dir, db_url))
    params = keymod.new_kdf_params()
    kek = keymod.derive_kek(TEST_PASSWORD, params)
    db_key = None
    if backend.encrypted_file is not None:
        db_key = secrets.token_bytes(32)
        _write_key_file(backend.encrypted_file.with_name(KEY_FILE), params, kek, db_key)
    db = backend.database(db_key)
    db.connect()
    try:
        assert DISTRICT.apply(db, target=version) == list(range(1, version + 1))
        p = db.param
        with db.atomic():
            for kind, (public, private) in keymod.DistrictKeys.generate().raw().items():
                db.execute_sql(f'INSERT INTO "district_key" ("kind", "public", "wrapped", "created_at") '
                               f"VALUES ({p}, {p}, {p}, {p})",
                               (kind, public, keymod.wrap_private(kek, kind, private), str(CREATED)))
            for key, value in (("name", "Tỉnh Thử"), ("kdf", keymod.dump_params(params)),
                               ("created_at", CREATED.isoformat())):
                db.execute_sql(f'INSERT INTO "setting" ("key", "value") VALUES ({p}, {p})', (key, value))
    finally:
        db.close()
    _write_settings(data_dir, {"name": "Tỉnh Thử", **({"db_url": db_url} if db_url else {})})


def schema_of(db: peewee.Database) -> dict[str, object]:
    """Every table's columns (type, NULL, primary key) and indexes (columns, unique),
    as the database itself reports them."""
    tables: dict[str, object] = {}
    for table in sorted(db.get_tables()):
        columns = {c.name: (c.data_type.upper(), c.null, c.primary_key) for c in db.get_columns(table)}
        indexes = {(i.name, tuple(i.columns), i.unique) for i in db.get_indexes(table)
                   if not i.name.startswith(("sqlite_autoindex", f"{table}_pkey"))}
        tables[table] = (columns, indexes)
    return tables


def _models_schema(db_url: str | None, tmp_path: Path) -> dict[str, object]:
    """The schema peewee makes from the models on the same back end (a scratch database)."""
    if db_url is None:
        reference: peewee.Database = peewee.SqliteDatabase(str(tmp_path / "models.db"))
    else:
        import psycopg

        name = "wd_models_" + secrets.token_hex(4)
        base = db_url.split("?", 1)[0]
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        parts = urlsplit(base)
        reference = peewee.PostgresqlDatabase(urlunsplit(parts._replace(query=f"options=-csearch_path%3D{name}")))
    try:
        with reference.bind_ctx(ALL_MODELS):
            reference.create_tables(ALL_MODELS)
        return schema_of(reference)
    finally:
        if db_url is not None:
            reference.execute_sql(f'DROP SCHEMA "{name}" CASCADE')
        reference.close()


def test_district_migrations_are_numbered_without_gaps_and_frozen() -> None:
    files = sorted(p.name for p in FOLDER.glob("*.py") if re.match(r"\d{4}_", p.name))
    numbers = [int(name[:4]) for name in files]
    assert numbers == list(range(1, len(files) + 1)), files
    modules = DISTRICT.discover()
    assert [m.VERSION for m in modules] == numbers and DISTRICT.latest == len(files) >= 2
    for m in modules:
        assert callable(m.upgrade)
        assert "district_desk.models" not in Path(m.__file__).read_text(encoding="utf-8"), (
            f"{m.__name__} imports the models: migrations hold frozen SQL")
    # One runner for both products: the ward's set is the same class over its own folder.
    assert isinstance(migrations.WARD, MigrationSet) and migrations.WARD.version_table == "meta"
    assert DISTRICT.version_table == "setting"


def test_a_new_store_has_exactly_the_schema_the_models_describe(district, db_url: str | None,
                                                                tmp_path: Path) -> None:
    store, _keys = district
    assert DISTRICT.current_version(store.db) == DISTRICT.latest
    built = schema_of(store.db)
    assert built == _models_schema(db_url, tmp_path)


@pytest.mark.parametrize("old_version", range(1, DISTRICT.latest + 1))
def test_a_store_at_each_version_is_migrated_and_keeps_its_data(tmp_path: Path, db_url: str | None,
                                                                 old_version: int) -> None:
    data_dir = tmp_path / "district"
    build_district_at(data_dir, old_version, db_url)
    # Rows written by the current code into the old schema, as the older code did
    # (these tables have not changed since version 1).
    store = DistrictStore.open(data_dir, password=TEST_PASSWORD, migrate=False)
    try:
        assert DISTRICT.current_version(store.db) == old_version
        keys = store.unlock()
        ward = SimWard("22918", store.public_keys())
        store.enrol(ward.public())
        codes = ward.add_dossiers(30)
        first, second = ward.all_batches(40)[:2]
        assert [ingest(store, b.envelope, keys).status for b in (first, second)] == ["applied", "applied"]
    finally:
        store.close()

    store = DistrictStore.open(data_dir, password=TEST_PASSWORD)
    try:
        assert DISTRICT.current_version(store.db) == DISTRICT.latest
        assert Record.select().count() == 60 and Batch.select().count() == 2
        assert sorted(d.code for d in Dossier.select()) == sorted(codes)
        ward.add_dossiers(5)
        result = ingest(store, ward.next_batch(40).envelope, store.unlock())
        assert result.status == "applied" and result.ack.acked_seq == 70
        assert schema_of(store.db) == _models_schema(db_url, tmp_path)
    finally:
        store.close()
    # Opening again migrates nothing.
    assert DistrictStore.open(data_dir, password=TEST_PASSWORD).close() is None


def test_a_store_from_before_numbered_migrations_gains_the_tables_added_within_version_1(
        tmp_path: Path, db_url: str | None) -> None:
    """Stores made before numbered migrations all say version 1, but tables were added
    to version 1 later (created on open when missing): such a store gets them back."""
    data_dir = tmp_path / "district"
    build_district_at(data_dir, 1, db_url)
    later = ("quarantine_action", "enrolment_code", "dossier_facts", "rating_facts", "facts_watermark",
             "ranking_snapshot", "assessment_review")
    store = DistrictStore.open(data_dir, password=TEST_PASSWORD, migrate=False)
    try:
        ward = SimWard("22918", store.public_keys())
        store.enrol(ward.public())
        ward.add_dossiers(10)
        assert ingest(store, ward.next_batch(40).envelope, store.unlock()).status == "applied"
        with store.db.atomic():
            for table in later:
                store.db.execute_sql(f'DROP TABLE "{table}"')
    finally:
        store.close()
    store = DistrictStore.open(data_dir, password=TEST_PASSWORD)
    try:
        assert set(later) <= set(store.db.get_tables())
        assert Record.select().count() == 20
        assert schema_of(store.db) == _models_schema(db_url, tmp_path)
    finally:
        store.close()


def _migration_package(tmp_path: Path, modules: dict[str, str]) -> str:
    """A throwaway migration folder importable as a package; returns its name."""
    name = "wd_test_migrations_" + secrets.token_hex(4)
    folder = tmp_path / "pkgs" / name
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    for filename, body in modules.items():
        (folder / filename).write_text(body)
    if str(folder.parent) not in sys.path:
        sys.path.insert(0, str(folder.parent))
    importlib.invalidate_caches()
    return name


TEST_SET = {
    "0001_meta.py": (
        "VERSION = 1\n"
        "def upgrade(db):\n"
        "    db.execute_sql('CREATE TABLE \"tmeta\" (\"key\" VARCHAR(255) NOT NULL PRIMARY KEY, \"value\" TEXT NOT NULL)')\n"
        "    db.execute_sql('CREATE TABLE \"applied\" (\"version\" INTEGER NOT NULL)')\n"
        "    db.execute_sql('INSERT INTO \"applied\" VALUES (1)')\n"
    ),
    "0002_more.py": (
        "VERSION = 2\n"
        "def upgrade(db):\n"
        "    db.execute_sql('CREATE TABLE \"added\" (\"x\" INTEGER NOT NULL)')\n"
        "    db.execute_sql('INSERT INTO \"applied\" VALUES (2)')\n"
    ),
}


def _scratch_db(db_url: str | None, tmp_path: Path) -> peewee.Database:
    url = db_url or f"sqlite:///{tmp_path / 'scratch.db'}"
    return backend_for(url).database(None)


def test_a_failing_migration_changes_nothing_and_names_its_version(tmp_path: Path, db_url: str | None) -> None:
    failing = {**TEST_SET, "0002_more.py": TEST_SET["0002_more.py"] + "    db.execute_sql('SELECT * FROM no_such_table')\n"}
    subject = MigrationSet(_migration_package(tmp_path, failing), "tmeta")
    db = _scratch_db(db_url, tmp_path)
    try:
        with pytest.raises(MigrationFailed) as failed:
            subject.apply(db)
        assert failed.value.version == 2 and isinstance(failed.value.__cause__, peewee.DatabaseError)
        assert subject.current_version(db) == 1
        assert "added" not in db.get_tables()  # its DDL rolled back with it, on both back ends
        assert db.execute_sql('SELECT "version" FROM "applied"').fetchall() == [(1,)]
    finally:
        db.close()


def test_a_failing_district_migration_is_a_clear_refusal_and_the_store_stays_usable(
        tmp_path: Path, db_url: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    from sync_agent.errors import Damaged

    data_dir = tmp_path / "district"
    build_district_at(data_dir, DISTRICT.latest - 1, db_url)
    last = DISTRICT.discover()[-1]

    def broken(db: peewee.Database) -> None:
        db.execute_sql('CREATE TABLE "half_done" ("x" INTEGER)')
        raise peewee.OperationalError("disk full")

    monkeypatch.setattr(last, "upgrade", broken)
    with pytest.raises(Damaged) as refused:
        DistrictStore.open(data_dir, password=TEST_PASSWORD)
    assert refused.value.message.id == "district.ops.migration_failed"
    assert refused.value.message.params == {"version": DISTRICT.latest, "detail": "disk full"}
    monkeypatch.undo()
    store = DistrictStore.open(data_dir, password=TEST_PASSWORD)
    try:
        assert DISTRICT.current_version(store.db) == DISTRICT.latest
        assert "half_done" not in store.db.get_tables()
    finally:
        store.close()


@pytest.mark.postgres
def test_two_processes_migrating_one_old_store_apply_each_migration_once(pg_url: str, tmp_path: Path) -> None:
    """The second to come waits on the first's advisory lock, then finds the work done."""
    subject = MigrationSet(_migration_package(tmp_path, TEST_SET), "tmeta")
    backend = backend_for(pg_url)
    first, second = backend.database(), backend.database()
    holding = threading.Event()

    def lock_then_wait_for_a_waiter(db: peewee.Database) -> None:
        backend.migration_lock(db)
        if not holding.is_set():
            holding.set()
            wait_until(lambda: first.execute_sql(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").fetchone()[0] >= 1,
                what="the second migrator waiting on the lock")

    results: dict[str, object] = {}

    def run_second() -> None:
        holding.wait(30)
        try:
            results["second"] = subject.apply(second, lock=backend.migration_lock)
        except Exception as exc:  # surfaced by the assertion below
            results["second"] = exc

    thread = threading.Thread(target=run_second)
    thread.start()
    try:
        results["first"] = subject.apply(first, lock=lock_then_wait_for_a_waiter)
    finally:
        thread.join(60)
    assert not thread.is_alive()
    assert results["first"] == [1, 2] or sorted([*results["first"], *results["second"]]) == [1, 2], results
    assert sorted(v for (v,) in first.execute_sql('SELECT "version" FROM "applied"').fetchall()) == [1, 2]
    assert subject.current_version(first) == subject.current_version(second) == 2
    first.close()
    second.close()
