"""The district store's back-end interface, on the real SQLite (SQLCipher) file and
the real PostgreSQL: which back end a URL names, what it encrypts, and the one
upsert both ingest and the views use (a higher version wins, a lower one changes
nothing, row by row or a column at a time)."""

from __future__ import annotations

from datetime import datetime

import pytest

from district_desk.backends import PostgresBackend, SqliteBackend, backend_for, redact_url
from district_desk.models import Record
from sync_agent.errors import BadInput

AT = datetime(2026, 3, 2, 1, 30, 0, 123456)


def test_a_url_names_its_back_end_and_a_bad_one_is_refused_without_its_password(tmp_path) -> None:
    sqlite = backend_for(f"sqlite:///{tmp_path / 'district.db'}")
    assert isinstance(sqlite, SqliteBackend) and sqlite.encrypted_file == tmp_path / "district.db"
    postgres = backend_for("postgresql://desk:secret@db.example/district")
    assert isinstance(postgres, PostgresBackend) and postgres.encrypted_file is None
    with pytest.raises(BadInput) as refused:
        backend_for("mysql://desk:secret@db.example/district")
    assert refused.value.message.id == "sync.district.bad_db_url"
    assert "secret" not in str(refused.value.message.params)
    assert redact_url("postgresql://desk:secret@db.example/d") == "postgresql://desk:***@db.example/d"


def _row(uid: str, version: int, payload: str) -> dict:
    return {"office_code": "22918", "entity": "dossier", "entity_uid": uid, "version": version, "seq": version,
            "payload": payload, "updated_at": AT}


@pytest.mark.parametrize("columnar", [False, True])
def test_upsert_keeps_the_highest_version_on_each_back_end(district, columnar: bool) -> None:
    store, _keys = district
    assert (store.backend.encrypted_file is None) == store.url.startswith("postgresql")
    upsert = store.backend.upsert
    with store.db.atomic():
        upsert(store.db, Record, [_row("a", 2, "a2"), _row("b", 1, "b1")], ("office_code", "entity", "entity_uid"),
               columnar=columnar)
    with store.db.atomic():
        upsert(store.db, Record, [_row("a", 1, "a1-old"), _row("b", 3, "b3")], ("office_code", "entity", "entity_uid"),
               columnar=columnar)
        upsert(store.db, Record, [], ("office_code", "entity", "entity_uid"), columnar=columnar)  # nothing to do
    rows = {r.entity_uid: (r.version, r.payload, r.updated_at) for r in Record.select()}
    assert rows == {"a": (2, "a2", AT), "b": (3, "b3", AT)}
    with store.db.atomic():  # without a guard the incoming row always wins
        upsert(store.db, Record, [_row("a", 1, "a1-forced")], ("office_code", "entity", "entity_uid"), None)
    assert Record.get(Record.entity_uid == "a").payload == "a1-forced"
