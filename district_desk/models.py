"""Peewee models of the district store: one schema for SQLite and PostgreSQL.

The database is a :class:`peewee.DatabaseProxy` bound by
:func:`district_desk.store.open_district_db`, so the same models serve a
single SQLite file and a PostgreSQL server shared by several receivers.
All ``DateTimeField`` values are naive UTC.

The tables are made by the numbered migrations (:mod:`district_desk.migrations`),
never by ``create_tables``: a change here comes with the migration that makes it.
"""

from __future__ import annotations

from peewee import (
    AutoField,
    BigIntegerField,
    BlobField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateTimeField,
    FloatField,
    IntegerField,
    Model,
    SmallIntegerField,
    TextField,
)

database_proxy = DatabaseProxy()


class BaseModel(Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class Setting(BaseModel):
    """Key/value facts about the district: name, schema_version, key KDF parameters."""

    key = CharField(primary_key=True)
    value = TextField()


class DistrictKey(BaseModel):
    """The district's own keys; private halves wrapped under the district passphrase."""

    kind = CharField(primary_key=True)  # sign (Ed25519) | encrypt (X25519) | recovery (X25519)
    public = BlobField()
    wrapped = BlobField()  # nonce (12) + AES-256-GCM(raw private key)
    created_at = DateTimeField()


class Ward(BaseModel):
    """An enrolled ward and the Ed25519 key its batches must be signed with."""

    office_code = CharField(primary_key=True)
    name = CharField(default="")
    sign_key = BlobField()
    fingerprint = CharField()
    enrolled_at = DateTimeField()
    revoked_at = DateTimeField(null=True)


class WardProgress(BaseModel):
    """Per-ward sync position, updated in each batch's transaction so the ack is
    one row read, not a scan of every batch."""

    office_code = CharField(primary_key=True)
    acked_batch_no = IntegerField(default=0)  # highest batch_no with 1..n all held
    acked_seq = BigIntegerField(default=0)  # last_seq of that batch
    acked_hash = CharField(default="")  # its batch_hash: the ward's next prev_hash
    highest_batch_no = IntegerField(default=0)
    last_sync = DateTimeField(null=True)  # last accepted contact (batch or heartbeat)
    last_batch_at = DateTimeField(null=True)


class Batch(BaseModel):
    """An applied batch. Quarantined ones live in :class:`Quarantine` instead."""

    id = AutoField()
    office_code = CharField()
    batch_no = IntegerField()
    batch_id = CharField()
    first_seq = BigIntegerField()
    last_seq = BigIntegerField()
    record_count = IntegerField()
    content_hash = CharField()
    prev_hash = CharField()
    batch_hash = CharField()
    envelope_hash = CharField()
    size = IntegerField()
    via = CharField()  # http | file
    received_at = DateTimeField()

    class Meta:
        indexes = (
            (("office_code", "batch_no"), True),
            (("office_code", "first_seq"), False),
        )


class Record(BaseModel):
    """The latest version of every record a ward sent (full payload, JSON text)."""

    id = AutoField()
    office_code = CharField()
    entity = CharField()
    entity_uid = CharField()
    version = IntegerField()
    seq = BigIntegerField()
    payload = TextField()
    updated_at = DateTimeField()

    class Meta:
        indexes = ((("office_code", "entity", "entity_uid"), True),)


class Heartbeat(BaseModel):
    """Each contact's heartbeat, kept as history so a growing backlog shows."""

    id = AutoField()
    office_code = CharField()
    received_at = DateTimeField()
    ward_clock = DateTimeField()
    clock_offset_s = FloatField()  # ward clock minus district clock at receipt
    pending = IntegerField()
    oldest_pending_s = BigIntegerField(null=True)
    free_disk_bytes = BigIntegerField(null=True)

    class Meta:
        indexes = ((("office_code", "received_at"), False),)


class HeartbeatNote(BaseModel):
    """What was off about a heartbeat (protocol 2), kept only when something was:
    the ward's report of a signed ack it could not adopt (``ack_problem``), or a
    ward clock far from the receiver's at receipt (``skewed``)."""

    id = AutoField()
    heartbeat_id = IntegerField(unique=True)
    office_code = CharField(index=True)
    ack_problem = CharField(default="")
    skewed = BooleanField(default=False)


class Dossier(BaseModel):
    """Typed projection of synced dossiers for the district view and the status page
    (no personal data: applicant fields stay only in :class:`Record`)."""

    id = AutoField()
    office_code = CharField()
    uid = CharField()
    code = CharField(index=True)
    procedure_code = CharField(default="")
    field = CharField(default="")
    state = CharField(default="")
    channel = CharField(default="")
    received_at = DateTimeField(null=True)
    due_at = DateTimeField(null=True)
    completed_at = DateTimeField(null=True)
    returned_at = DateTimeField(null=True)
    lookup_secret = CharField(default="")
    version = IntegerField()
    updated_at = DateTimeField()

    class Meta:
        indexes = ((("office_code", "uid"), True), (("office_code", "state", "due_at"), False))


class SelfAssessment(BaseModel):
    """Typed projection of synced self-assessment revisions."""

    id = AutoField()
    office_code = CharField()
    uid = CharField()
    month = CharField()
    revision = IntegerField(default=1)
    state = CharField(default="")
    total = IntegerField(default=0)  # hundredths of a point, as the ward stores it
    band = CharField(default="")
    criteria_set = CharField(default="")
    submitted_at = DateTimeField(null=True)
    indicators = TextField(default="{}")
    version = IntegerField()
    updated_at = DateTimeField()

    class Meta:
        indexes = ((("office_code", "uid"), True), (("office_code", "month"), False))


class Quarantine(BaseModel):
    """A batch that was authentic but could not be applied without overwriting or
    breaking the chain; kept whole for a person to decide."""

    id = AutoField()
    office_code = CharField()
    batch_no = IntegerField()
    batch_id = CharField()
    content_hash = CharField()
    reason = CharField()  # conflict | chain | overlap | unverified (signature does not match the enrolled key)
    detail = TextField(default="")
    envelope = BlobField()
    received_at = DateTimeField()
    resolved_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("office_code", "batch_no", "content_hash"), True),)


class QuarantineAction(BaseModel):
    """What a person did about a quarantined batch (``district-desk quarantine
    release|discard``): an audit trail; the quarantined envelope itself is never
    deleted."""

    id = AutoField()
    quarantine_id = IntegerField(index=True)
    action = CharField()  # release | discard
    outcome = CharField()  # applied | duplicate | still_quarantined | rejected | discarded
    detail = TextField(default="")
    actor = CharField(default="")  # the operating-system user who ran the command
    at = DateTimeField()


class EnrolmentCode(BaseModel):
    """A one-time enrolment code (``district-desk enrol-code``). The code itself is
    not kept, only the authentication key stretched from it (scrypt), which the
    receiver needs to prove its key document to the ward and to check the ward's
    proof; it is useless once the code is used, expired or replaced."""

    id = AutoField()
    office_code = CharField(index=True)
    auth_key = CharField()  # hex, 64 bytes: district half || ward half
    created_at = DateTimeField()
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)
    failures = IntegerField(default=0)  # wrong proofs; the code is burnt after a few
    ward_fingerprint = CharField(default="")
    replace_reason = CharField(default="")  # non-empty: issued to replace an enrolled office's key


class Rejection(BaseModel):
    """Envelopes refused before anything was applied (bad signature, unknown ward...)."""

    id = AutoField()
    at = DateTimeField(index=True)
    office_code = CharField(default="")  # as claimed by the (unverified) header
    code = CharField()
    detail = TextField(default="")
    remote = CharField(default="")
    size = IntegerField(default=0)


class DownlinkDoc(BaseModel):
    """A signed reference-data document published to wards."""

    doc_id = CharField(primary_key=True)
    kind = CharField()
    version = CharField()
    audience = CharField(index=True)  # "*" or an office code
    issued_at = CharField()
    envelope = BlobField()
    published_at = DateTimeField(index=True)
    seq = IntegerField(default=0)  # protocol 2's signed per-kind number (0: published as version 1)


# --- the district view (district_desk.views / ranking) -----------------------


class DossierFacts(BaseModel):
    """What the district's own indicators need of each synced dossier, derived from
    its latest :class:`Record` by :func:`district_desk.views.refresh_facts`
    (no personal data). ``timing`` is :func:`ward_desk.domain.timing.classify`
    against the statutory due date with the Vietnamese working calendar, computed
    once per record version so that a month's split is a plain GROUP BY."""

    id = AutoField()
    office_code = CharField()
    uid = CharField()
    version = IntegerField()
    code = CharField(default="")
    procedure_code = CharField(default="")
    field = CharField(default="")
    state = CharField(default="")
    channel = CharField(default="")
    digitized = BooleanField(default=False)  # digitized at intake, or filed online
    received_at = DateTimeField(null=True)
    due_at = DateTimeField(null=True)  # the appointment in force (an apology slip moves it)
    statutory_due_at = DateTimeField(null=True)  # what early / on time / late is measured against
    completed_at = DateTimeField(null=True)
    closed_at = DateTimeField(null=True)
    apology_count = IntegerField(default=0)
    timing = SmallIntegerField(null=True)  # 0 early, 1 on time, 2 late; NULL while unresolved

    class Meta:
        indexes = (
            (("office_code", "uid"), True),
            (("received_at",), False),
            (("completed_at",), False),
            (("closed_at",), False),
            (("state", "statutory_due_at"), False),
        )


class RatingFacts(BaseModel):
    """Satisfaction ratings synced by wards (immutable on the ward, one row each)."""

    id = AutoField()
    office_code = CharField()
    uid = CharField()
    dossier_uid = CharField(default="")
    level = CharField(default="")
    satisfied = BooleanField(default=False)
    at = DateTimeField(null=True)

    class Meta:
        indexes = ((("office_code", "uid"), True), (("at",), False))


class FactsWatermark(BaseModel):
    """The highest :class:`Batch` id of a ward already folded into the facts tables,
    so a refresh skips wards that sent nothing since."""

    office_code = CharField(primary_key=True)
    batch_id = BigIntegerField(default=0)
    refreshed_at = DateTimeField()


class RankingSnapshot(BaseModel):
    """A published monthly ranking, frozen: rows are only ever inserted. A later
    publication of the same month is a new snapshot with the next ``number``."""

    id = AutoField()
    month = CharField()
    number = IntegerField()
    published_at = DateTimeField()
    body = TextField()  # canonical JSON of the whole ranking as shown when published
    digest = CharField()  # SHA-256 of ``body``

    class Meta:
        indexes = ((("month", "number"), True),)


class AssessmentReview(BaseModel):
    """The district's decision on one submitted self-assessment revision, and the
    signed downlink document that carries it to the ward."""

    id = AutoField()
    office_code = CharField()
    month = CharField()
    revision = IntegerField()
    status = CharField()  # accepted | returned
    comment = TextField(default="")
    reviewed_at = DateTimeField()
    doc_id = CharField()

    class Meta:
        indexes = ((("office_code", "month", "revision"), True),)


VIEW_MODELS: tuple[type[BaseModel], ...] = (
    DossierFacts,
    RatingFacts,
    FactsWatermark,
    RankingSnapshot,
    AssessmentReview,
)


ALL_MODELS: tuple[type[BaseModel], ...] = (
    Setting,
    DistrictKey,
    Ward,
    WardProgress,
    Batch,
    Record,
    Heartbeat,
    HeartbeatNote,
    Dossier,
    SelfAssessment,
    Quarantine,
    QuarantineAction,
    EnrolmentCode,
    Rejection,
    DownlinkDoc,
    *VIEW_MODELS,
)
