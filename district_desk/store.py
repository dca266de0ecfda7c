"""The district store: where it lives, how it opens, and the reads around ingest.

A district data dir holds ``district.toml`` (name, database URL) and, by
default, the SQLite file ``district.db``. With ``--db postgresql://...`` at
``init`` (or on any command) the same schema lives in PostgreSQL instead.
Only one district store is open per process (the models use one proxy).

The SQLite file holds citizens' personal data (full dossier payloads), so it
is a SQLCipher database: a random 256-bit key, wrapped in ``district.key``
under the key derived from the district passphrase (Argon2id, the same
derivation and parameters that wrap the district's private keys, so one
passphrase and one derivation open both). A PostgreSQL store is not encrypted
by us: at-rest encryption there is the server's (disk or tablespace) job.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import peewee
from peewee import fn

from district_desk import keys as keymod
from district_desk.backends import Backend, backend_for, redact_url
from district_desk.migrations import DISTRICT
from district_desk.models import (
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
from sync_agent.errors import BadInput, Damaged, Locked
from sync_agent.keyfiles import DistrictPublicKeys, WardPublicKey

SETTINGS_FILE = "district.toml"
SQLITE_FILE = "district.db"
KEY_FILE = "district.key"
KEY_FILE_FORMAT = "ward-desk/district-store-key"
SQLITE_MAGIC = b"SQLite format 3\x00"
MAX_MISSING_LISTED = 50
PASSWORD_ENV = "DISTRICT_DESK_PASSWORD"

log = logging.getLogger("district_desk.store")

RECOVERY_KDF = "recovery_kdf"  # setting: the recovery key's own KDF parameters, once protected

# A passphrase, or a function that asks for it only when it is needed (the
# SQLite store is encrypted; a PostgreSQL store opens without it).
PasswordSource = str | Callable[[], str] | None


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


def _resolve_password(password: PasswordSource) -> str:
    value = password() if callable(password) else password
    if not value:
        raise Locked("sync.cli.password_required", env=PASSWORD_ENV)
    return value


class _Unlocker:
    """Derives the passphrase's key-encryption key once per process, however many
    things it opens (the store file, then the district's private keys)."""

    def __init__(self, password: PasswordSource = None, kek: bytes | None = None, params: str = "") -> None:
        self._password = password
        self._cache: dict[tuple[str, bytes], bytes] = {}
        if kek is not None:
            self._cache[(params, b"")] = kek

    def kek(self, params: dict[str, object], password: str | None = None) -> bytes:
        key_params = keymod.dump_params(params)
        if password is None:
            for (cached_params, _), kek in self._cache.items():
                if cached_params == key_params:
                    return kek
            password = _resolve_password(self._password)
        digest = hashlib.sha256(password.encode("utf-8")).digest()
        for (cached_params, cached_digest), kek in self._cache.items():
            if cached_params == key_params and (not cached_digest or hmac.compare_digest(cached_digest, digest)):
                return kek
        kek = keymod.derive_kek(password, params)
        self._cache[(key_params, digest)] = kek
        return kek

    def cached(self) -> tuple[str, bytes] | None:
        """(KDF parameters, KEK) last derived, for handing to worker processes."""
        for (params, _), kek in self._cache.items():
            return params, kek
        return None


def _write_key_file(path: Path, params: dict[str, object], kek: bytes, db_key: bytes) -> None:
    nonce = os.urandom(12)
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    wrapped = nonce + AESGCM(kek).encrypt(nonce, db_key, KEY_FILE_FORMAT.encode())
    text = json.dumps(
        {"format": KEY_FILE_FORMAT, "v": 1, "kdf": params, "db_key": base64.b64encode(wrapped).decode("ascii")},
        indent=2,
    )
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _read_key_file(path: Path) -> tuple[dict[str, object], bytes]:
    """(KDF parameters, wrapped database key) from ``district.key``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != KEY_FILE_FORMAT or data.get("v") != 1:
            raise ValueError("format")
        return dict(data["kdf"]), base64.b64decode(data["db_key"], validate=True)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise Damaged("sync.district.bad_key_file", path=str(path)) from exc


def _unwrap_db_key(kek: bytes, wrapped: bytes) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], KEY_FILE_FORMAT.encode())
    except (InvalidTag, ValueError) as exc:
        raise Locked("sync.district.wrong_password") from exc


def _is_plain_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(16) == SQLITE_MAGIC
    except OSError:
        return False


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

    def __init__(self, db: peewee.Database, data_dir: Path, backend: Backend, unlocker: _Unlocker | None = None) -> None:
        self.db = db
        self.data_dir = data_dir
        self.backend = backend  # everything that differs between SQLite and PostgreSQL
        self.url = backend.url
        self._unlocker = unlocker or _Unlocker()
        self.converted_from_plain = False  # True when open() just encrypted a plain SQLite file

    # ------------------------------------------------------------- lifecycle

    @classmethod
    def create(cls, data_dir: Path, name: str, password: str, db_url: str | None = None) -> DistrictStore:
        """Make a new district: settings, schema and freshly generated keys (an
        encrypted SQLite file unless ``db_url`` names PostgreSQL)."""
        if not name.strip():
            raise BadInput("sync.district.name_required")
        data_dir.mkdir(parents=True, exist_ok=True)
        if (data_dir / SETTINGS_FILE).exists():
            raise BadInput("sync.district.already_initialised", path=str(data_dir))
        url = db_url or f"sqlite:///{data_dir / SQLITE_FILE}"
        backend = backend_for(url)
        params = keymod.new_kdf_params()
        unlocker = _Unlocker(password)
        kek = unlocker.kek(params, password)
        db_key: bytes | None = None
        sqlite_path = backend.encrypted_file
        if sqlite_path is not None:
            if sqlite_path.exists() and sqlite_path.stat().st_size > 0:
                raise BadInput("sync.district.already_initialised", path=str(sqlite_path))
            db_key = os.urandom(32)
            _write_key_file(sqlite_path.with_name(KEY_FILE), params, kek, db_key)
        store = cls._connect(data_dir, backend, db_key, unlocker)
        if Setting.table_exists() and Setting.get_or_none(Setting.key == "name") is not None:
            store.close()
            raise BadInput("sync.district.already_initialised", path=redact_url(url))
        store._migrate()
        with store.db.atomic():
            now = utcnow()
            for kind, (public, private) in keymod.DistrictKeys.generate().raw().items():
                DistrictKey.create(
                    kind=kind, public=public, wrapped=keymod.wrap_private(kek, kind, private), created_at=now
                )
            Setting.insert_many(
                [
                    {"key": "name", "value": name.strip()},
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
    def open(
        cls,
        data_dir: Path,
        db_url: str | None = None,
        password: PasswordSource = None,
        *,
        kek: tuple[str, bytes] | None = None,
        migrate: bool = True,
    ) -> DistrictStore:
        """Open an initialised district (``db_url`` overrides the one in settings),
        bringing its schema to the latest version unless ``migrate`` is False.

        The SQLite store is encrypted: ``password`` (or a function returning it,
        called only when needed) unlocks it, and is remembered so that
        :meth:`unlock` does not derive the key again. ``kek`` (KDF parameters,
        key) is the already-derived key, for receiver worker processes. A plain
        SQLite store left by an older version is encrypted in place on first open.
        """
        settings = _read_settings(data_dir)
        url = db_url or settings.get("db_url") or f"sqlite:///{data_dir / SQLITE_FILE}"
        backend = backend_for(url)
        unlocker = _Unlocker(password, *(reversed(kek) if kek else ()))
        db_key: bytes | None = None
        converted = False
        sqlite_path = backend.encrypted_file
        if sqlite_path is not None:
            key_path = sqlite_path.with_name(KEY_FILE)
            # A plain file beside a key file is a conversion cut short: the plain
            # file is still the whole truth, so convert again.
            if _is_plain_sqlite(sqlite_path):
                _encrypt_plain_file(sqlite_path, key_path, unlocker)
                converted = True
            if not key_path.exists():
                if not sqlite_path.exists():
                    raise Damaged("sync.district.cannot_connect", url=redact_url(url), detail="no such file")
                raise Damaged("sync.district.no_key_file", path=str(key_path))
            params, wrapped = _read_key_file(key_path)
            db_key = _unwrap_db_key(unlocker.kek(params), wrapped)
        store = cls._connect(data_dir, backend, db_key, unlocker)
        store.converted_from_plain = converted
        try:
            version = Setting.get_or_none(Setting.key == "schema_version")
        except peewee.DatabaseError as exc:
            store.close()
            if db_key is not None and "not a database" in str(exc):
                # The key file unwrapped (right passphrase) but does not open this file.
                raise Damaged("sync.district.key_file_mismatch", path=str(sqlite_path)) from exc
            raise Damaged("sync.district.damaged", detail=str(exc).splitlines()[0]) from exc
        if version is None:
            raise Damaged("sync.district.damaged", detail="schema_version")
        if int(version.value) > DISTRICT.latest:
            store.close()
            raise Damaged("sync.district.newer", version=version.value)
        if migrate and int(version.value) < DISTRICT.latest:
            store._migrate()
        return store

    def _migrate(self) -> list[int]:
        """Apply the numbered migrations this store lacks (:mod:`district_desk.migrations`),
        each in its own transaction; receivers opening one old store at once apply
        each migration once (the back end's lock)."""
        from ward_desk.migrations.runner import MigrationFailed

        try:
            applied = DISTRICT.apply(self.db, lock=self.backend.migration_lock)
        except MigrationFailed as exc:
            self.close()
            cause = exc.__cause__
            detail = str(cause).splitlines()[0] if cause and str(cause) else type(cause).__name__
            raise Damaged("district.ops.migration_failed", version=exc.version, detail=detail) from cause
        if applied:
            log.info("district store migrated to schema %d (applied %s)", applied[-1], applied)
        return applied

    @classmethod
    def _connect(
        cls, data_dir: Path, backend: Backend, db_key: bytes | None = None, unlocker: _Unlocker | None = None
    ) -> DistrictStore:
        db = backend.database(db_key)
        try:
            db.connect(reuse_if_open=True)
        except peewee.OperationalError as exc:
            detail = str(exc).splitlines()[0]
            raise Damaged("sync.district.cannot_connect", url=redact_url(backend.url), detail=detail) from exc
        database_proxy.initialize(db)
        return cls(db, data_dir, backend, unlocker)

    def derived_key(self) -> tuple[str, bytes] | None:
        """(KDF parameters, key-encryption key) derived so far in this process:
        what a receiver worker process needs instead of the passphrase."""
        return self._unlocker.cached()

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

    def unlock(
        self, password: str | None = None, *, kinds: tuple[str, ...] = keymod.SERVING_KINDS,
        recovery_password: str | None = None,
    ) -> keymod.DistrictKeys:
        """Unwrap the private keys named in ``kinds``: by default the ones every
        command but ``recover`` uses (:data:`keys.SERVING_KINDS`); the escrow
        recovery key, which opens every ward's store, only when asked for, and
        under its own passphrase once :meth:`protect_recovery` gave it one
        (``recovery_password``). A wrong passphrase raises ``Locked`` (exit 3).
        Without ``password``, the one this store was opened with is used (and the
        key derived then is reused: the passphrase is asked and stretched once)."""
        row = Setting.get_or_none(Setting.key == "kdf")
        if row is None:
            raise Damaged("sync.district.damaged", detail="kdf")
        kek = self._unlocker.kek(json.loads(row.value), password)
        own = Setting.get_or_none(Setting.key == RECOVERY_KDF)
        publics: dict[str, bytes] = {}
        privates: dict[str, bytes] = {}
        for key in DistrictKey.select():
            publics[key.kind] = bytes(key.public)
            if key.kind not in kinds:
                continue
            wrapping = kek
            if key.kind == "recovery" and own is not None:
                if not recovery_password:
                    raise Locked("sync.district.recovery_password_needed")
                wrapping = keymod.derive_kek(recovery_password, json.loads(own.value))
            privates[key.kind] = keymod.unwrap_private(wrapping, key.kind, bytes(key.wrapped))
        if set(privates) != set(kinds) or set(publics) != set(keymod.KEY_KINDS):
            raise Damaged("sync.district.damaged", detail="keys")
        return keymod.keys_from_raw(privates, publics)

    def protect_recovery(self, recovery_password: str, password: str | None = None, *,
                         current: str | None = None) -> None:
        """Give the escrow recovery key its own passphrase (kept offline, by whoever
        may run ``recover``): it is re-wrapped under a key derived from
        ``recovery_password`` (own Argon2id parameters, setting ``recovery_kdf``),
        so the district passphrase that ``serve`` and every other command use no
        longer opens it. Running it again (with the ``current`` one) changes it."""
        keys = self.unlock(password, kinds=keymod.KEY_KINDS, recovery_password=current)
        assert keys.recovery is not None
        params = keymod.new_kdf_params()
        wrapped = keymod.wrap_private(keymod.derive_kek(recovery_password, params), "recovery",
                                      keymod.raw_private(keys.recovery))
        with self.db.atomic():
            DistrictKey.update(wrapped=wrapped).where(DistrictKey.kind == "recovery").execute()
            Setting.delete().where(Setting.key == RECOVERY_KDF).execute()
            Setting.create(key=RECOVERY_KDF, value=keymod.dump_params(params))

    # ------------------------------------------------------------------ wards

    def enrol(
        self, ward_key: WardPublicKey, office_code: str | None = None, *, replace_reason: str = "", via: str = "key-file"
    ) -> Ward:
        """Enrol a ward. The office code on the command line must match the one in
        ``ward.pub`` so a swapped file is caught. Enrolling the same key again is
        harmless; another key for an enrolled office, or any key for a revoked one,
        takes over that office's name at the district, so it is refused unless
        ``replace_reason`` says why (the replace step, written to the audit trail)."""
        from district_desk.enrol_audit import record_key_change

        code = office_code or ward_key.office_code
        if code != ward_key.office_code:
            raise BadInput("sync.enrol.code_mismatch", given=code, in_file=ward_key.office_code)
        now = utcnow()
        new_fp = fingerprint(ward_key.sign)
        with self.db.atomic():
            ward = self.backend.lock(Ward.select().where(Ward.office_code == code)).first()
            if ward is None:
                ward = Ward.create(
                    office_code=code,
                    name=ward_key.office_name,
                    sign_key=ward_key.sign,
                    fingerprint=new_fp,
                    enrolled_at=now,
                )
                record_key_change(office_code=code, action="enrol", old_fingerprint="", new_fingerprint=new_fp,
                                  reason=replace_reason, via=via)
            elif bytes(ward.sign_key) == ward_key.sign and ward.revoked_at is None:
                pass  # the same key again: nothing changes
            else:
                if not replace_reason.strip():
                    raise BadInput("sync.enrol.replace_needed", office=code, fingerprint=ward.fingerprint,
                                   state="revoked" if ward.revoked_at is not None else "enrolled")
                action = "unrevoke" if ward.revoked_at is not None else "replace"
                record_key_change(office_code=code, action=action, old_fingerprint=ward.fingerprint,
                                  new_fingerprint=new_fp, reason=replace_reason.strip(), via=via)
                ward.name = ward_key.office_name or ward.name
                ward.sign_key = ward_key.sign
                ward.fingerprint = new_fp
                ward.enrolled_at = now
                ward.revoked_at = None
                ward.save()
            WardProgress.insert(office_code=code).on_conflict_ignore().execute()
        return ward

    def enrolled(self, office_code: str) -> Ward | None:
        """The office's ward row (enrolled or revoked), or None."""
        return Ward.get_or_none(Ward.office_code == office_code)

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
        if kind == "review" and audience == "*":
            raise BadInput("sync.downlink.review_needs_office")
        # The next number for the kind, over every audience: a ward refuses anything
        # not above what it holds (protocol 2). Should two publishers ever take the
        # same number, the ward applies the first and refuses the second: never both.
        top = DownlinkDoc.select(peewee.fn.MAX(DownlinkDoc.seq)).where(DownlinkDoc.kind == kind).scalar()
        seq = int(top or 0) + 1
        blob = build_document(kind=kind, version=version, body=body, signer=keys.sign, audience=audience, seq=seq)
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
            seq=doc.seq,
        )

    def documents_for(self, office_code: str) -> list[DownlinkDoc]:
        """Documents addressed to every ward or to this one, oldest first."""
        return list(
            DownlinkDoc.select(
                DownlinkDoc.doc_id, DownlinkDoc.kind, DownlinkDoc.version, DownlinkDoc.audience,
                DownlinkDoc.issued_at, DownlinkDoc.published_at, DownlinkDoc.seq,
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


def _encrypt_plain_file(path: Path, key_path: Path, unlocker: _Unlocker) -> None:
    """Encrypt a plain district SQLite file left by an older version, in place.

    The passphrase is checked first (it must unwrap the district's keys stored
    in that file), so a mistyped one never locks the data under an unknown key.
    The copy is made with ``sqlcipher_export`` into a new file, synced, and
    swapped in; the key file is written before the swap, so a crash leaves
    either the plain file (and no key file) or the encrypted one with its key.
    """
    import sqlcipher3

    conn = sqlcipher3.connect(str(path), isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        row = conn.execute("SELECT value FROM setting WHERE key = 'kdf'").fetchone()
        wrapped_sign = conn.execute("SELECT wrapped FROM district_key WHERE kind = 'sign'").fetchone()
        if row is None or wrapped_sign is None:
            raise Damaged("sync.district.damaged", detail="kdf")
        params = json.loads(row[0])
        kek = unlocker.kek(params)
        keymod.unwrap_private(kek, "sign", bytes(wrapped_sign[0]))  # Locked on a wrong passphrase
        db_key = os.urandom(32)
        target = path.with_name(path.name + ".encrypting")
        for leftover in (target, Path(str(target) + "-journal")):
            leftover.unlink(missing_ok=True)
        conn.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{db_key.hex()}'\"", (str(target),))
        conn.execute("SELECT sqlcipher_export('encrypted')")
        conn.execute("DETACH DATABASE encrypted")
    except sqlcipher3.DatabaseError as exc:
        raise Damaged("sync.district.damaged", detail=str(exc).splitlines()[0]) from exc
    finally:
        conn.close()
    with target.open("rb+") as f:
        os.fsync(f.fileno())
    _write_key_file(key_path, params, kek, db_key)
    os.replace(target, path)
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    log.warning("encrypted the plain district store %s with SQLCipher (key in %s)", path, key_path.name)


def check_office_code(code: str) -> str:
    """Validate an office code typed by a person."""
    if not OFFICE_CODE_RE.match(code or ""):
        raise BadInput("sync.office_code.invalid", office=code)
    return code
