"""The district store: where it lives, how it opens, and the reads around ingest.

A district data dir holds ``district.toml`` (name, database URL) and, by
default, the SQLite file ``district.db``. With ``--db postgresql://...`` at
``init`` (or on any command) the same schema lives in PostgreSQL instead.
Only one district store is open per process (the models use one proxy).
"""

from __future__ import annotations

import hmac
import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import peewee
from peewee import PostgresqlDatabase, SqliteDatabase, fn

from sync_agent.district import keys as keymod
from sync_agent.district.models import (
    ALL_MODELS,
    SCHEMA_VERSION,
    Batch,
    DistrictKey,
    Dossier,
    DownlinkDoc,
    Heartbeat,
    Quarantine,
    Setting,
    Ward,
    WardProgress,
    database_proxy,
)
from sync_agent.envelope import OFFICE_CODE_RE, build_document, fingerprint
from sync_agent.errors import BadInput, Damaged
from sync_agent.keyfiles import DistrictPublicKeys, WardPublicKey

SETTINGS_FILE = "district.toml"
SQLITE_FILE = "district.db"
MAX_MISSING_LISTED = 50


def utcnow() -> datetime:
    """Naive UTC now (the store's convention)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def default_data_dir() -> Path:
    """``DISTRICT_DESK_DATA_DIR`` or the platform's user data dir."""
    env = os.environ.get("DISTRICT_DESK_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("district-desk"))


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def make_database(url: str) -> peewee.Database:
    """A peewee database for ``url``: ``postgresql://...`` or ``sqlite:///path``."""
    if is_postgres_url(url):
        return PostgresqlDatabase(url)
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        # Every batch is one IMMEDIATE transaction (no lock-upgrade deadlocks between
        # threads); synchronous=FULL because an acked batch must survive power loss.
        return SqliteDatabase(
            path,
            pragmas={"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 30_000},
            lock_type="IMMEDIATE",
            timeout=30,
        )
    raise BadInput("sync.district.bad_db_url", url=redact_url(url))


def redact_url(url: str) -> str:
    """A database URL without its password, for messages and logs."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return url


def _read_settings(data_dir: Path) -> dict[str, str]:
    path = data_dir / SETTINGS_FILE
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError as exc:
        raise BadInput("sync.district.not_initialised", path=str(data_dir)) from exc
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise Damaged("sync.district.bad_settings", path=str(path), detail=str(exc)) from exc
    return {k: str(v) for k, v in data.items()}


def _write_settings(data_dir: Path, settings: dict[str, str]) -> None:
    import tomlkit

    doc = tomlkit.document()
    doc.add(tomlkit.comment("District Desk settings (written by `district-desk init`)."))
    for key, value in settings.items():
        doc[key] = value
    path = data_dir / SETTINGS_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(tomlkit.dumps(doc), encoding="utf-8")
    os.replace(tmp, path)


@dataclass(frozen=True)
class AckState:
    """What the district holds of one ward: the answer to every contact."""

    office_code: str
    acked_seq: int
    acked_batch_no: int
    acked_batch_hash: str
    highest_batch_no: int
    missing_batches: list[int]
    last_sync: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StatusView:
    """What the citizen status page may show: no personal data."""

    code: str
    state: str
    due_at: datetime | None
    completed_at: datetime | None
    returned_at: datetime | None
    as_of: datetime | None


class DistrictStore:
    """An open district store. Use :meth:`create` once, then :meth:`open`."""

    def __init__(self, db: peewee.Database, data_dir: Path, url: str) -> None:
        self.db = db
        self.data_dir = data_dir
        self.url = url

    # ------------------------------------------------------------- lifecycle

    @classmethod
    def create(cls, data_dir: Path, name: str, password: str, db_url: str | None = None) -> DistrictStore:
        """Make a new district: settings, schema and freshly generated keys."""
        if not name.strip():
            raise BadInput("sync.district.name_required")
        data_dir.mkdir(parents=True, exist_ok=True)
        if (data_dir / SETTINGS_FILE).exists():
            raise BadInput("sync.district.already_initialised", path=str(data_dir))
        url = db_url or f"sqlite:///{data_dir / SQLITE_FILE}"
        store = cls._connect(data_dir, url)
        with store.db.atomic():
            if Setting.table_exists() and Setting.get_or_none(Setting.key == "name") is not None:
                raise BadInput("sync.district.already_initialised", path=redact_url(url))
            store.db.create_tables(ALL_MODELS, safe=True)
            now = utcnow()
            params = keymod.new_kdf_params()
            kek = keymod.derive_kek(password, params)
            for kind, (public, private) in keymod.DistrictKeys.generate().raw().items():
                DistrictKey.create(
                    kind=kind, public=public, wrapped=keymod.wrap_private(kek, kind, private), created_at=now
                )
            Setting.insert_many(
                [
                    {"key": "name", "value": name.strip()},
                    {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                    {"key": "kdf", "value": keymod.dump_params(params)},
                    {"key": "created_at", "value": now.isoformat()},
                ]
            ).execute()
        settings = {"name": name.strip()}
        if db_url:
            settings["db_url"] = db_url
        _write_settings(data_dir, settings)
        return store

    @classmethod
    def open(cls, data_dir: Path, db_url: str | None = None) -> DistrictStore:
        """Open an initialised district (``db_url`` overrides the one in settings)."""
        settings = _read_settings(data_dir)
        url = db_url or settings.get("db_url") or f"sqlite:///{data_dir / SQLITE_FILE}"
        store = cls._connect(data_dir, url)
        try:
            version = Setting.get_or_none(Setting.key == "schema_version")
        except peewee.DatabaseError as exc:
            raise Damaged("sync.district.damaged", detail=str(exc).splitlines()[0]) from exc
        if version is None:
            raise Damaged("sync.district.damaged", detail="schema_version")
        if int(version.value) > SCHEMA_VERSION:
            raise Damaged("sync.district.newer", version=version.value)
        return store

    @classmethod
    def _connect(cls, data_dir: Path, url: str) -> DistrictStore:
        db = make_database(url)
        try:
            db.connect(reuse_if_open=True)
        except peewee.OperationalError as exc:
            raise Damaged("sync.district.cannot_connect", url=redact_url(url), detail=str(exc).splitlines()[0]) from exc
        database_proxy.initialize(db)
        return cls(db, data_dir, url)

    def close(self) -> None:
        if not self.db.is_closed():
            self.db.close()

    # ------------------------------------------------------------------- keys

    @property
    def name(self) -> str:
        row = Setting.get_or_none(Setting.key == "name")
        return row.value if row else ""

    def public_keys(self) -> DistrictPublicKeys:
        """The district's public keys (what ``district-desk key`` writes)."""
        pub = {row.kind: bytes(row.public) for row in DistrictKey.select()}
        if set(pub) != set(keymod.KEY_KINDS):
            raise Damaged("sync.district.damaged", detail="keys")
        return DistrictPublicKeys(name=self.name, sign=pub["sign"], encrypt=pub["encrypt"], recovery=pub["recovery"])

    def unlock(self, password: str) -> keymod.DistrictKeys:
        """Unwrap the private keys; a wrong passphrase raises ``Locked`` (exit 3)."""
        row = Setting.get_or_none(Setting.key == "kdf")
        if row is None:
            raise Damaged("sync.district.damaged", detail="kdf")
        kek = keymod.derive_kek(password, json.loads(row.value))
        publics: dict[str, bytes] = {}
        privates: dict[str, bytes] = {}
        for key in DistrictKey.select():
            publics[key.kind] = bytes(key.public)
            privates[key.kind] = keymod.unwrap_private(kek, key.kind, bytes(key.wrapped))
        if set(privates) != set(keymod.KEY_KINDS):
            raise Damaged("sync.district.damaged", detail="keys")
        return keymod.keys_from_raw(privates, publics)

    # ------------------------------------------------------------------ wards

    def enrol(self, ward_key: WardPublicKey, office_code: str | None = None) -> Ward:
        """Enrol (or re-enrol with a new key) a ward. The office code on the command
        line must match the one in ``ward.pub`` so a swapped file is caught."""
        code = office_code or ward_key.office_code
        if code != ward_key.office_code:
            raise BadInput("sync.enrol.code_mismatch", given=code, in_file=ward_key.office_code)
        now = utcnow()
        with self.db.atomic():
            ward = Ward.get_or_none(Ward.office_code == code)
            if ward is None:
                ward = Ward.create(
                    office_code=code,
                    name=ward_key.office_name,
                    sign_key=ward_key.sign,
                    fingerprint=fingerprint(ward_key.sign),
                    enrolled_at=now,
                )
            else:
                ward.name = ward_key.office_name or ward.name
                ward.sign_key = ward_key.sign
                ward.fingerprint = fingerprint(ward_key.sign)
                ward.enrolled_at = now
                ward.revoked_at = None
                ward.save()
            WardProgress.insert(office_code=code).on_conflict_ignore().execute()
        return ward

    def revoke(self, office_code: str) -> Ward:
        """Refuse every later envelope signed with this ward's key."""
        ward = Ward.get_or_none(Ward.office_code == office_code)
        if ward is None:
            raise BadInput("sync.ward.unknown", office=office_code)
        if ward.revoked_at is None:
            ward.revoked_at = utcnow()
            ward.save()
        return ward

    # -------------------------------------------------------------------- ack

    def ack_state(self, office_code: str) -> AckState | None:
        """The ward's position, or None for a ward that is not enrolled."""
        if Ward.get_or_none(Ward.office_code == office_code) is None:
            return None
        progress = WardProgress.get_or_none(WardProgress.office_code == office_code)
        if progress is None:
            return AckState(office_code, 0, 0, "", 0, [], None)
        return AckState(
            office_code=office_code,
            acked_seq=int(progress.acked_seq),
            acked_batch_no=int(progress.acked_batch_no),
            acked_batch_hash=progress.acked_hash,
            highest_batch_no=int(progress.highest_batch_no),
            missing_batches=self.missing_batches(office_code, progress),
            last_sync=progress.last_sync.isoformat() + "Z" if progress.last_sync else None,
        )

    def missing_batches(self, office_code: str, progress: WardProgress) -> list[int]:
        """Batch numbers below the highest received that the district does not hold."""
        if progress.highest_batch_no <= progress.acked_batch_no + 1:
            return []
        held = {
            row.batch_no
            for row in Batch.select(Batch.batch_no).where(
                (Batch.office_code == office_code) & (Batch.batch_no > progress.acked_batch_no)
            )
        }
        missing: list[int] = []
        for no in range(progress.acked_batch_no + 1, progress.highest_batch_no):
            if no not in held:
                missing.append(no)
                if len(missing) >= MAX_MISSING_LISTED:
                    break
        return missing

    # ---------------------------------------------------------------- reports

    def report_wards(self) -> list[dict[str, Any]]:
        """One row per enrolled ward for ``district-desk report wards``."""
        dossier_rows: Any = (
            Dossier.select(Dossier.office_code, fn.COUNT(Dossier.id)).group_by(Dossier.office_code).tuples()
        )
        dossiers: dict[str, int] = {str(row[0]): int(row[1]) for row in dossier_rows}
        quarantine_rows: Any = (
            Quarantine.select(Quarantine.office_code, fn.COUNT(Quarantine.id))
            .where(Quarantine.resolved_at.is_null())
            .group_by(Quarantine.office_code)
            .tuples()
        )
        quarantined: dict[str, int] = {str(row[0]): int(row[1]) for row in quarantine_rows}
        rows: list[dict[str, Any]] = []
        for ward in Ward.select().order_by(Ward.office_code):
            ack = self.ack_state(ward.office_code)
            assert ack is not None
            beat = (
                Heartbeat.select()
                .where(Heartbeat.office_code == ward.office_code)
                .order_by(Heartbeat.received_at.desc())
                .first()
            )
            rows.append(
                {
                    "office_code": ward.office_code,
                    "name": ward.name,
                    "enrolled_at": ward.enrolled_at.isoformat() + "Z",
                    "revoked": ward.revoked_at is not None,
                    "dossiers": int(dossiers.get(ward.office_code, 0)),
                    "last_sync": ack.last_sync,
                    "acked_seq": ack.acked_seq,
                    "acked_batch_no": ack.acked_batch_no,
                    "missing_batches": ack.missing_batches,
                    "quarantined": int(quarantined.get(ward.office_code, 0)),
                    "pending": beat.pending if beat else None,
                    "oldest_pending_s": beat.oldest_pending_s if beat else None,
                }
            )
        return rows

    # --------------------------------------------------------------- downlink

    def publish(
        self, keys: keymod.DistrictKeys, *, kind: str, version: str, body: Any, audience: str = "*"
    ) -> DownlinkDoc:
        """Sign and publish a reference-data document for wards."""
        if audience != "*" and Ward.get_or_none(Ward.office_code == audience) is None:
            raise BadInput("sync.ward.unknown", office=audience)
        blob = build_document(kind=kind, version=version, body=body, signer=keys.sign, audience=audience)
        from sync_agent.envelope import open_document

        doc = open_document(blob, verify_key=keys.sign.public_key())
        if DownlinkDoc.get_or_none(DownlinkDoc.doc_id == doc.doc_id) is not None:
            raise BadInput("sync.downlink.exists", doc_id=doc.doc_id)
        return DownlinkDoc.create(
            doc_id=doc.doc_id,
            kind=doc.kind,
            version=doc.version,
            audience=doc.audience,
            issued_at=doc.issued_at,
            envelope=blob,
            published_at=utcnow(),
        )

    def documents_for(self, office_code: str) -> list[DownlinkDoc]:
        """Documents addressed to every ward or to this one, oldest first."""
        return list(
            DownlinkDoc.select(
                DownlinkDoc.doc_id, DownlinkDoc.kind, DownlinkDoc.version, DownlinkDoc.audience,
                DownlinkDoc.issued_at, DownlinkDoc.published_at,
            )
            .where(DownlinkDoc.audience.in_(["*", office_code]))
            .order_by(DownlinkDoc.published_at, DownlinkDoc.doc_id)
        )

    def document(self, doc_id: str) -> bytes | None:
        row = DownlinkDoc.get_or_none(DownlinkDoc.doc_id == doc_id)
        return bytes(row.envelope) if row else None

    # ----------------------------------------------------------- status page

    def lookup_status(self, code: str, secret: str) -> StatusView | None:
        """The state of dossier ``code`` if ``secret`` matches its receipt secret.

        A wrong code and a wrong secret look the same to the caller, and the
        comparison is constant-time, so the page cannot be used to probe codes.
        """
        row = Dossier.select().where(Dossier.code == code).order_by(Dossier.updated_at.desc()).first()
        expected = row.lookup_secret if row is not None else "\x00" * 16
        ok = hmac.compare_digest(expected.encode("utf-8"), secret.strip().upper().encode("utf-8"))
        ok = ok or hmac.compare_digest(expected.encode("utf-8"), secret.strip().encode("utf-8"))
        if row is None or not ok or not expected:
            return None
        progress = WardProgress.get_or_none(WardProgress.office_code == row.office_code)
        return StatusView(
            code=row.code,
            state=row.state,
            due_at=row.due_at,
            completed_at=row.completed_at,
            returned_at=row.returned_at,
            as_of=progress.last_batch_at if progress else None,
        )


def check_office_code(code: str) -> str:
    """Validate an office code typed by a person."""
    if not OFFICE_CODE_RE.match(code or ""):
        raise BadInput("sync.office_code.invalid", office=code)
    return code
