"""Peewee models of the ward store: the one place the schema is described in code.

The database is deferred (``SqlCipherDatabase(None)``) and bound by
:func:`ward_desk.store.database.open_store` after the key is unwrapped.
Migrations (``migrations/NNNN_*.py``) create the tables with raw SQL; these
models must match the latest migration (a test compares them).

All ``DateTimeField`` values are naive UTC. ``uid`` columns are UUID strings
that identify a record across stores (the sync key); ``version`` increases on
every change of a record that travels upstream.
"""

from __future__ import annotations

from peewee import (
    AutoField,
    BlobField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)
from playhouse.sqlcipher_ext import SqlCipherDatabase

database = SqlCipherDatabase(None)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Meta(BaseModel):
    """Key/value facts about the store (schema_version, store_id, created_at)."""

    key = CharField(primary_key=True)
    value = TextField()


class Office(BaseModel):
    """The one office this store belongs to."""

    id = AutoField()
    code = CharField(unique=True)  # official administrative-unit code, e.g. 22918
    agency_id = CharField()  # prefix of dossier codes, e.g. 000.00.25.H12 (defaults to code)
    name = CharField()
    upstream_label = CharField(default="")  # what this installation calls upstream
    upstream_url = CharField(default="")
    upstream_public_key = BlobField(null=True)  # district X25519 encryption key (raw 32 bytes)
    upstream_signing_key = BlobField(null=True)  # district Ed25519 verify key (raw 32 bytes)
    upstream_recovery_key = BlobField(null=True)  # district X25519 escrow key (raw 32 bytes)
    signing_key = BlobField(null=True)  # this office's Ed25519 private key (raw 32 bytes)
    created_at = DateTimeField()


class User(BaseModel):
    id = AutoField()
    uid = CharField(unique=True)
    username = CharField(unique=True)
    full_name = CharField()
    role = CharField()  # clerk | leader | admin
    active = BooleanField(default=True)
    created_at = DateTimeField()
    version = IntegerField(default=1)


class Procedure(BaseModel):
    """A catalogue entry (thủ tục hành chính)."""

    id = AutoField()
    code = CharField(unique=True)
    name = CharField()
    name_folded = CharField(index=True)  # for diacritic-insensitive type-ahead
    field = CharField(index=True)  # lĩnh vực
    processing_days = IntegerField()  # statutory working days; 0 = same day
    fee = CharField(default="")
    documents = TextField(default="[]")  # JSON list of required documents
    online_level = CharField(default="none")  # none | partial | full
    legal_basis = CharField(default="")
    active = BooleanField(default=True)
    version = IntegerField(default=1)
    updated_at = DateTimeField()


class Dossier(BaseModel):
    """A citizen's dossier (hồ sơ). ``state`` and the *_at columns are a projection
    of the dossier's events, kept in the same transaction; ``verify`` re-folds the
    events and checks they agree."""

    id = AutoField()
    uid = CharField(unique=True)
    code = CharField(unique=True)
    # Covered by the (procedure, received_at) index below.
    procedure = ForeignKeyField(Procedure, backref="dossiers", on_delete="RESTRICT", index=False)
    applicant_name = CharField()
    applicant_id_number = CharField(default="")
    applicant_phone = CharField(default="")
    applicant_address = CharField(default="")
    channel = CharField()  # direct | online | postal
    received_at = DateTimeField(index=True)
    due_at = DateTimeField()  # in force now (apology may move it)
    statutory_due_at = DateTimeField()  # due date by the rules, excluding apology changes
    state = CharField()  # lifecycle.State; indexed with due_at below
    officer = ForeignKeyField(User, null=True, backref="dossiers", on_delete="RESTRICT")
    # Users are deactivated, never deleted, so these user references need no index.
    received_by = ForeignKeyField(User, null=True, backref="received", on_delete="RESTRICT", index=False)
    documents = TextField(default="[]")  # JSON checklist [{"name":..., "received": bool}]
    digitized = BooleanField(default=False)
    completed_at = DateTimeField(null=True, index=True)  # result ready
    returned_at = DateTimeField(null=True)
    closed_at = DateTimeField(null=True, index=True)  # terminal state reached
    called_at = DateTimeField(null=True)  # citizen phoned that the result is ready
    fee_paid = IntegerField(default=0)  # đồng
    rule_set = CharField()  # CountingRules.version that produced due_at
    calendar_version = CharField(default="")  # WorkingCalendar.version that produced due_at
    lookup_secret = CharField()  # short secret printed on the receipt for the status page
    apology_count = IntegerField(default=0)
    note = TextField(default="")
    version = IntegerField(default=1)
    updated_at = DateTimeField()

    class Meta:
        indexes = ((("state", "due_at", "apology_count", "statutory_due_at"), False), (("procedure", "received_at"), False))


class Event(BaseModel):
    """Append-only history. ``hash`` chains every event to the previous one in the
    whole store, so a deleted or edited event breaks ``verify``."""

    id = AutoField()
    uid = CharField(unique=True)
    dossier = ForeignKeyField(Dossier, backref="events", on_delete="RESTRICT")
    at = DateTimeField()
    actor = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    kind = CharField()  # intake | transition | apology | note | call | attachment | late_notice
    action = CharField(null=True)  # lifecycle.Action value for transitions
    from_state = CharField(null=True)
    to_state = CharField()
    due_at = DateTimeField(null=True)  # set when the event (re)computed the due date
    reason = TextField(default="")
    legal_basis = TextField(default="")
    data = TextField(default="{}")  # JSON
    prev_hash = CharField()
    hash = CharField()
    # The counter (quầy) of the desk session that made it; "" before migration 0006 and
    # where none is set (then also absent from the hashed body).
    counter = CharField(default="")


class ApologySlip(BaseModel):
    id = AutoField()
    uid = CharField(unique=True)
    dossier = ForeignKeyField(Dossier, backref="apology_slips", on_delete="RESTRICT")
    issued_at = DateTimeField(index=True)
    issued_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    reason = TextField()
    previous_due_at = DateTimeField()
    new_due_at = DateTimeField()


class Rating(BaseModel):
    """Citizen satisfaction captured when the result is returned."""

    id = AutoField()
    uid = CharField(unique=True)
    dossier = ForeignKeyField(Dossier, backref="ratings", unique=True, on_delete="RESTRICT")
    level = CharField()  # very_satisfied | satisfied | neutral | unsatisfied
    comment = TextField(default="")
    at = DateTimeField(index=True)


class Attachment(BaseModel):
    """A reference to a digitized file (the scan itself lives in the office's file store)."""

    id = AutoField()
    uid = CharField(unique=True)
    dossier = ForeignKeyField(Dossier, backref="attachments", on_delete="RESTRICT")
    name = CharField()
    ref = CharField()  # path or URI of the scan
    sha256 = CharField(default="")
    added_at = DateTimeField()
    added_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)


class CalendarOverride(BaseModel):
    day = DateField(primary_key=True)
    kind = CharField()  # off | work
    note = CharField(default="")
    source = CharField(default="local")  # local | upstream


class Outbox(BaseModel):
    """Every committed change, in commit order; the sync agent's source."""

    seq = AutoField()
    entity = CharField()
    entity_uid = CharField()
    version = IntegerField()
    op = CharField(default="upsert")
    payload = TextField()  # JSON
    created_at = DateTimeField()


class SyncState(BaseModel):
    key = CharField(primary_key=True)
    value = TextField()


class ReferenceData(BaseModel):
    """Signed reference data received from upstream, kept as received (for audit)."""

    id = AutoField()
    kind = CharField()  # procedures | criteria_set | calendar | review
    version = CharField()
    body = TextField()
    signature = BlobField()
    received_at = DateTimeField()
    applied_at = DateTimeField(null=True)


class SelfAssessment(BaseModel):
    """One revision of a month's self-assessment. A submitted revision is never
    changed again: a change makes a new revision (``revision`` + 1) with a reason."""

    id = AutoField()
    uid = CharField(unique=True)
    month = CharField(index=True)  # YYYY-MM
    revision = IntegerField(default=1)
    criteria_set = CharField()  # "<set id>@<set version>"
    state = CharField()  # draft | submitted | returned | accepted
    scores = TextField(default="{}")  # JSON {criterion_id: {score, evidence, attachment, computed}}
    indicators = TextField(default="{}")  # JSON of computed indicators at scoring time
    total = IntegerField(default=0)  # in hundredths of a point
    band = CharField(default="")
    revision_reason = TextField(default="")
    created_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    signed_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", backref="signed", index=False)
    submitted_at = DateTimeField(null=True)
    signature = BlobField(null=True)  # Ed25519 over the canonical JSON of the submission
    review_comment = TextField(default="")
    reviewed_at = DateTimeField(null=True)
    created_at = DateTimeField()
    updated_at = DateTimeField()
    version = IntegerField(default=1)

    class Meta:
        indexes = ((("month", "revision"), True),)


ALL_MODELS: tuple[type[BaseModel], ...] = (
    Meta,
    Office,
    User,
    Procedure,
    Dossier,
    Event,
    ApologySlip,
    Rating,
    Attachment,
    CalendarOverride,
    Outbox,
    SyncState,
    ReferenceData,
    SelfAssessment,
)
