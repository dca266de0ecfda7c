"""The outbox and the sync state: the one owner of both on the ward.

The outbox is the only way a change reaches upstream (:func:`record_change`, in
the transaction that makes the change). It is a transport queue: rows the
district has acknowledged may be pruned (:func:`prune_outbox`); the records
themselves (dossiers, events, ...) never are.

The sync state (the ``sync_state`` key/value table, written in short
transactions of its own: it never enters the outbox) is read and written only
through :class:`SyncStateStore` here; the pending counts, the rows a batch is
cut from and the status line's facts are read here too, so the agent, the CLI
(``stats``, ``sync status``), the desk's status line and enrolment all see one
parse of the same rows. Keys:

``acked_seq``, ``acked_batch_no``, ``acked_hash``
    the district's last contiguous acknowledgement (``sync_agent/PROTOCOL.md`` §3);
``built``
    JSON list of batches sealed but not yet acknowledged,
    ``[[batch_no, first_seq, last_seq, prev_hash, batch_hash], ...]``, so a batch
    sent (or exported to USB) is always re-sealed with the same range;
``known``
    JSON list of the positions this ward computed and the district signed,
    ``[[batch_no, last_seq, batch_hash], ...]`` (the latest :data:`KNOWN_KEEP`):
    a signed ack naming one of them may be adopted, even one behind ours (a
    district restored from a backup); any other is an error (protocol 2);
``ack_problem``
    ``{"code": ..., "batch_no": ..., "seq": ...}`` when the last signed ack named
    a position this ward never computed (restored from an older backup, or
    another PC speaking for this office); shown to the clerk and carried in
    every heartbeat until resolved;
``downlink_seq``
    JSON ``{kind: seq}``: the district's signed number of the latest document of
    each kind applied here; anything not above it is refused (protocol 2);
``downlink_fresh_until``, ``downlink_problem``
    the expiry of the last verified document index (after it the ward's
    reference data is stale, and says so) and why the last index was refused;
``last_success``, ``last_attempt``, ``last_error``
    for the status line; ``last_error`` is ``{"id": message id, "params": {...},
    "transient": bool}`` so it is shown in the reader's language.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ward_desk.i18n import Message
from ward_desk.store.models import Office, Outbox, SyncState

if TYPE_CHECKING:
    from ward_desk.services.session import Session

OutboxRow = tuple[str, str, int, str, str, datetime]
"""``(entity, entity_uid, version, op, payload, created_at)``: the outbox columns after ``seq``."""

INSERT_OUTBOX_SQL = (
    'INSERT INTO "outbox" ("entity", "entity_uid", "version", "op", "payload", "created_at") '
    "VALUES (?, ?, ?, ?, ?, ?)"
)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot serialise {type(value).__name__} for the outbox")


def canonical_json(payload: Any) -> str:
    """JSON with sorted keys and no spaces: the one serialisation used for hashes,
    signatures and the outbox, so the same record always gives the same bytes."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def outbox_row(entity: str, entity_uid: str, version: int, payload: dict[str, Any] | str, at: datetime) -> OutboxRow:
    """One outbox row's values, in :data:`INSERT_OUTBOX_SQL` order. ``payload`` is the
    record (serialised here with :func:`canonical_json`) or its canonical JSON already.
    Bulk writers (the demo, the bench generator) insert these with ``executemany``."""
    text = payload if isinstance(payload, str) else canonical_json(payload)
    return (entity, entity_uid, version, "upsert", text, at)


def event_outbox_json(body_json: str, event_hash: str, dossier_code: str) -> str:
    """``canonical_json({**body, "hash": event_hash, "dossier_code": dossier_code})`` from
    the body's canonical JSON (already made for the chain hash) without serialising it
    again: the two keys go where sorted order puts them (``dossier_code`` before
    ``due_at``, ``hash`` before ``kind``; the body's keys are fixed, see
    ``services.dossiers.event_body``). A test compares it with ``canonical_json``."""
    dc = canonical_json(dossier_code)
    a = body_json.index(',"due_at":')
    b = body_json.index(',"kind":', a)
    return f'{body_json[:a]},"dossier_code":{dc}{body_json[a:b]},"hash":"{event_hash}"{body_json[b:]}'


def record_change(entity: str, entity_uid: str, version: int, payload: dict[str, Any], at: datetime) -> int:
    """Append one change to the outbox and return its sequence number.

    Must be called inside the transaction that makes the change, so a change and
    its outbox row commit (or roll back) together.
    """
    cursor = Outbox._meta.database.execute_sql(INSERT_OUTBOX_SQL, outbox_row(entity, entity_uid, version, payload, at))
    return int(cursor.lastrowid)


def prune_outbox(session: Session, keep_days: int = 30, *, batch: int = 5000) -> int:
    """Delete outbox rows the district has acknowledged (``seq`` at or below the sync
    state's ``acked_seq``) that are older than ``keep_days``; return how many went.

    The sync agent only reads rows after ``acked_seq`` (new batches, and re-seals of
    sealed-but-unacknowledged ranges), so acknowledged rows are never read again;
    ``keep_days`` is a margin for a district restored from an older backup. A ward
    that enrols with a *new* district starts again at seq 1 and so sends only the
    rows still here. Deletes in short transactions of ``batch`` rows, so a desk
    writing at the same time waits at most for one of them.
    """
    db = Outbox._meta.database
    acked = SyncStateStore().acked_seq()
    if acked <= 0:
        return 0
    cutoff = session.clock() - timedelta(days=keep_days)
    # Up to the first row made within keep_days (scanning from the oldest row left, so
    # after the first prune this reads at most keep_days of rows), and never past the ack.
    recent = db.execute_sql('SELECT "seq" FROM "outbox" WHERE "created_at" >= ? ORDER BY "seq" LIMIT 1',
                            (cutoff,)).fetchone()
    top = min(acked, recent[0] - 1) if recent else acked
    deleted = 0
    while True:
        with db.atomic("IMMEDIATE"):
            low = db.execute_sql('SELECT min("seq") FROM "outbox"').fetchone()[0]
            if top < 1 or low is None or low > top:
                break
            hi = min(top, low + batch - 1)
            deleted += db.execute_sql('DELETE FROM "outbox" WHERE "seq" >= ? AND "seq" <= ?', (low, hi)).rowcount
    return deleted


# ----------------------------------------------------------------- sync state


KNOWN_KEEP = 500
"""How many acknowledged positions the ward remembers (a district restored from a
backup older than that many batches is an error for a person to resolve)."""


def _int(text: str) -> int:
    """A stored position; anything unreadable counts as 0 (nothing acknowledged),
    which at worst re-sends rows the district already holds."""
    try:
        return int(text)
    except ValueError:
        return 0


class SyncStateStore:
    """Typed access to the ward's ``sync_state`` rows (the keys are listed in the
    module's docstring). Every write is one short transaction of its own."""

    def _get(self, key: str, default: str = "") -> str:
        row = SyncState.get_or_none(SyncState.key == key)
        return row.value if row is not None else default

    def _put(self, **values: Any) -> None:
        with SyncState._meta.database.atomic():
            for key, value in values.items():
                text = value if isinstance(value, str) else json.dumps(value)
                SyncState.replace(key=key, value=text).execute()

    # -- the position ------------------------------------------------------

    def acked(self) -> tuple[int, int, str]:
        """The district's last acknowledgement: (seq, batch number, batch hash)."""
        return _int(self._get("acked_seq", "0")), _int(self._get("acked_batch_no", "0")), self._get("acked_hash")

    def acked_seq(self) -> int:
        """The highest outbox seq the district acknowledged (0: none)."""
        return _int(self._get("acked_seq", "0"))

    def built(self) -> list[list[Any]]:
        """Batches sealed but not yet acknowledged, oldest first."""
        try:
            value = json.loads(self._get("built", "[]"))
        except ValueError:
            return []
        return value if isinstance(value, list) else []

    def adopt_ack(self, acked: tuple[int, int, str]) -> None:
        """Take the district's (verified) position as ours and forget the batches it
        acknowledged; they are kept among the :meth:`known` positions."""
        built = [e for e in self.built() if int(e[0]) > acked[1]]
        done = [[int(e[0]), int(e[2]), str(e[4])] for e in self.built() if int(e[0]) <= acked[1]]
        known = self._known_list() + done + [[acked[1], acked[0], acked[2]]]
        seen: dict[int, list[Any]] = {}
        for entry in known:
            seen[int(entry[0])] = entry
        known = [seen[n] for n in sorted(seen)][-KNOWN_KEEP:]
        self._put(acked_seq=str(acked[0]), acked_batch_no=str(acked[1]), acked_hash=acked[2], built=built,
                  known=known)

    def _known_list(self) -> list[list[Any]]:
        try:
            value = json.loads(self._get("known", "[]"))
        except ValueError:
            return []
        return [e for e in value if isinstance(e, list) and len(e) == 3] if isinstance(value, list) else []

    def known_positions(self) -> set[tuple[int, int, str]]:
        """Every (seq, batch number, batch hash) this ward computed itself: nothing
        acknowledged (0, 0, ""), the current position, the batches sealed and not
        yet acknowledged and the latest acknowledged ones."""
        out = {(0, 0, ""), self.acked()}
        out.update((int(e[2]), int(e[0]), str(e[4])) for e in self.built())
        out.update((int(e[1]), int(e[0]), str(e[2])) for e in self._known_list())
        return out

    def ack_problem(self) -> dict[str, Any] | None:
        """The unresolved problem with the district's signed ack (None: none)."""
        raw = self._get("ack_problem")
        try:
            value = json.loads(raw) if raw else None
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def set_ack_problem(self, problem: dict[str, Any] | None) -> None:
        """Record (or, with None, clear) a problem with the district's signed ack."""
        self._put(ack_problem=problem if problem is not None else "")

    def rebase_after_restore(self, acked: tuple[int, int, str]) -> int:
        """Resolve a ward restored from an older backup: the district holds batches
        up to ``acked`` (verified, signed) that this store never made. Every outbox
        row after our own acknowledged seq is moved above the district's ``acked``
        seq, in order (so no seq the district holds is ever used again for another
        record; rows the district may already hold are sent again, which changes
        nothing there: records keep their highest version), the autoincrement
        counter follows, and the district's position becomes ours. Returns the
        number of rows moved. One transaction."""
        db = Outbox._meta.database
        ours = self.acked_seq()
        offset = max(0, acked[0] - ours)
        with db.atomic("IMMEDIATE"):
            moved = 0
            if offset:
                # Two steps through negative seqs: a single "seq = seq + k" may hit
                # a row not yet moved (the primary key is checked row by row).
                moved = db.execute_sql('UPDATE "outbox" SET "seq" = -("seq" + ?) WHERE "seq" > ?',
                                       (offset, ours)).rowcount
                db.execute_sql('UPDATE "outbox" SET "seq" = -"seq" WHERE "seq" < 0')
            top = max(highest_seq(), acked[0])
            db.execute_sql("UPDATE sqlite_sequence SET seq = ? WHERE name = 'outbox' AND seq < ?", (top, top))
            self._put(acked_seq=str(acked[0]), acked_batch_no=str(acked[1]), acked_hash=acked[2], built=[],
                      known=[[acked[1], acked[0], acked[2]]], ack_problem="")
        return moved

    def remember_sealed(self, batch_no: int, first_seq: int, last_seq: int, prev_hash: str, batch_hash: str) -> None:
        """Record a sealed batch's range before it leaves the machine (later entries
        are dropped: they followed a batch that is now cut differently)."""
        entries = [e for e in self.built() if int(e[0]) < batch_no]
        entries.append([batch_no, first_seq, last_seq, prev_hash, batch_hash])
        self._put(built=entries)

    def reset_position(self) -> None:
        """Back to batch 1 with nothing acknowledged (a new district knows nothing of our chain)."""
        self._put(acked_seq="0", acked_batch_no="0", acked_hash="", built=[], known=[], ack_problem="",
                  last_error="")

    # -- transport ---------------------------------------------------------

    def plain_http_lab(self) -> bool:
        """True when enrolment chose plain HTTP to a non-loopback host (lab only)."""
        return self._get("plain_http_lab") == "1"

    def set_plain_http_lab(self, allowed: bool) -> None:
        self._put(plain_http_lab="1" if allowed else "")

    # -- the downlink (protocol 2) -----------------------------------------

    def downlink_seq(self, kind: str) -> int:
        """The signed number of the latest ``kind`` document applied here (0: none)."""
        try:
            value = json.loads(self._get("downlink_seq", "{}"))
        except ValueError:
            return 0
        seq = value.get(kind, 0) if isinstance(value, dict) else 0
        return seq if isinstance(seq, int) else 0

    def set_downlink_seq(self, kind: str, seq: int) -> None:
        try:
            value = json.loads(self._get("downlink_seq", "{}"))
        except ValueError:
            value = {}
        value = value if isinstance(value, dict) else {}
        value[kind] = max(seq, int(value.get(kind, 0) or 0))
        self._put(downlink_seq=value)

    def mark_index(self, fresh_until: datetime | None, problem: str) -> None:
        """After fetching the document index: its expiry when it verified, else why not."""
        if fresh_until is not None:
            self._put(downlink_fresh_until=fresh_until.isoformat(), downlink_problem="")
        else:
            self._put(downlink_problem=problem)

    def downlink_freshness(self, now: datetime) -> dict[str, Any]:
        """``{"fresh_until", "stale", "problem"}`` for the status line."""
        until = self._get("downlink_fresh_until") or None
        stale = until is None or datetime.fromisoformat(until) <= now
        return {"fresh_until": until, "stale": stale, "problem": self._get("downlink_problem") or None}

    # -- the status line ---------------------------------------------------

    def mark_attempt(self, at: datetime) -> None:
        self._put(last_attempt=at.isoformat())

    def mark_success(self, at: datetime) -> None:
        """A run that ended without error (clears the last error)."""
        self._put(last_success=at.isoformat(), last_error="")

    def record_error(self, message_id: str, params: dict[str, Any], transient: bool) -> None:
        self._put(last_error={"id": message_id, "params": params, "transient": transient})

    def last_error(self) -> Message | None:
        """The last run's error, to be worded in the reader's language (None: none)."""
        raw = self._get("last_error")
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return Message(str(data["id"]), dict(data.get("params", {})))
        except (ValueError, KeyError, TypeError):
            return None

    def last_success(self) -> str | None:
        return self._get("last_success") or None

    def last_attempt(self) -> str | None:
        return self._get("last_attempt") or None


# ------------------------------------------------------- reading the outbox


def highest_seq() -> int:
    """The highest outbox seq this store ever handed out (pruned rows included:
    the autoincrement counter remembers them)."""
    db = Outbox._meta.database
    row = db.execute_sql("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
    top = db.execute_sql('SELECT max("seq") FROM "outbox"').fetchone()
    return max(int(row[0]) if row and row[0] is not None else 0, int(top[0] or 0) if top else 0)


def pending_stats(acked_seq: int, now: datetime) -> tuple[int, int | None]:
    """(pending outbox rows, age in seconds of the first of them: the one that has waited longest)."""
    return PendingCounter().stats(acked_seq, now)


class PendingCounter:
    """Pending outbox rows after a position, for the heartbeat every batch carries.

    Counting ``seq > n`` reads every pending row's page (the table holds the
    payloads; on SQLCipher each page is decrypted), so counting afresh for each
    batch of a long backlog costs as much as reading the whole backlog again
    per batch (half of a drain's time on a 76k-row outbox). The count is
    therefore taken in full once and then carried forward exactly: rows are only
    ever appended above the highest seq (one writer at a time hands out seqs in
    commit order) and only acknowledged rows, below any position the agent
    seals from, are ever deleted. So the rows after ``q`` are the rows after the
    last position ``p``, plus the rows appended above the last highest seq, minus
    the rows in ``(p, q]`` (the batch just read, whose pages are warm).
    """

    def __init__(self) -> None:
        self._after: int | None = None  # position of the last answer
        self._count = 0  # rows with seq > _after at that time
        self._top = 0  # highest seq seen at that time

    def stats(self, after_seq: int, now: datetime) -> tuple[int, int | None]:
        """(pending rows with seq > ``after_seq``, age in seconds of the first of them)."""
        from peewee import fn

        if self._after is None or after_seq < self._after:
            # First call, or a step back (the district's ack went back): count in full.
            row: Any = (
                Outbox.select(fn.COUNT(Outbox.seq), fn.MAX(Outbox.seq)).where(Outbox.seq > after_seq).tuples().get()
            )
            count, top = int(row[0] or 0), int(row[1] or after_seq)
        else:
            row = Outbox.select(fn.COUNT(Outbox.seq), fn.MAX(Outbox.seq)).where(Outbox.seq > self._top).tuples().get()
            appended, top = int(row[0] or 0), max(self._top, int(row[1] or 0))
            gone = (
                Outbox.select(fn.COUNT(Outbox.seq))
                .where((Outbox.seq > self._after) & (Outbox.seq <= after_seq))
                .scalar()
            )
            count = self._count + appended - int(gone or 0)
        self._after, self._count, self._top = after_seq, count, max(top, after_seq)
        # The row that has waited longest is the first one still pending (seqs are
        # handed out in commit order): found by the key, not by scanning for MIN.
        oldest = Outbox.select(Outbox.created_at).where(Outbox.seq > after_seq).order_by(Outbox.seq).limit(1).scalar()
        if isinstance(oldest, str):
            oldest = datetime.fromisoformat(oldest)
        age = int((now - oldest).total_seconds()) if oldest else None
        return count, age


_OUTBOX_COLUMNS = 'SELECT "seq", "entity", "entity_uid", "version", "op", "payload", "created_at" FROM "outbox"'


def _created_text(value: Any) -> str:
    """A row's ``created_at`` as the record line carries it: exactly what reading it
    through the model and calling ``isoformat`` gives, without the model's slow
    generic parser for the two forms the store writes."""
    if isinstance(value, str) and len(value) in (19, 26) and value[10] == " ":
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is None:
            return parsed.isoformat(timespec="microseconds")
    value = Outbox.created_at.python_value(value)
    return value.isoformat(timespec="microseconds") if isinstance(value, datetime) else str(value)


def outbox_records(first_seq: int, last_seq: int | None, *, max_records: int, max_bytes: int) -> list[dict[str, Any]]:
    """Outbox rows from ``first_seq`` as batch records: up to ``last_seq`` exactly (a
    re-seal), or as many as fit ``max_records`` and ``max_bytes`` of payload (a new
    cut; at least one row). One keyset query on the primary key per batch, read as
    plain tuples: building model instances (and the model's per-field
    conversions) cost more than the query itself."""
    if last_seq is not None:
        sql, params = f'{_OUTBOX_COLUMNS} WHERE "seq" >= ? AND "seq" <= ? ORDER BY "seq"', (first_seq, last_seq)
    else:
        sql, params = f'{_OUTBOX_COLUMNS} WHERE "seq" >= ? ORDER BY "seq" LIMIT ?', (first_seq, max_records)
    records: list[dict[str, Any]] = []
    size = 0
    cursor = Outbox._meta.database.execute_sql(sql, params)
    try:
        for seq, entity, entity_uid, version, op, payload, created in cursor:
            if last_seq is None and records and size + len(payload) > max_bytes:
                break
            records.append(
                {
                    "seq": int(seq),
                    "entity": entity,
                    "entity_uid": entity_uid,
                    "version": int(version),
                    "op": op,
                    "payload": json.loads(payload),
                    "created_at": _created_text(created),
                }
            )
            size += len(payload) + 100
    finally:
        cursor.close()
    return records


def close_connection() -> None:
    """Close the calling thread's store connection (a helper thread that read the outbox)."""
    Outbox._meta.database.close()


def sync_status(now: datetime) -> dict[str, Any]:
    """The status line's facts (plain data; the CLI and UI render them)."""
    state = SyncStateStore()
    acked_seq, acked_no, _ = state.acked()
    pending, oldest = pending_stats(acked_seq, now)
    office = Office.select().get()
    error = state.last_error()
    return {
        "office_code": office.code,
        "enrolled": bool(office.upstream_public_key and office.upstream_url),
        "district_url": office.upstream_url,
        "acked_seq": acked_seq,
        "acked_batch_no": acked_no,
        "pending": pending,
        "oldest_pending_s": oldest,
        "last_success": state.last_success(),
        "last_attempt": state.last_attempt(),
        "last_error": error.render() if error else None,
        "last_error_id": error.id if error else None,
        "ack_problem": state.ack_problem(),
        "downlink": state.downlink_freshness(now),
    }
