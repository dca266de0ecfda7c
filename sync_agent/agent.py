"""The ward's sync agent: outbox -> sealed batches -> the district, resumably.

State (the district's acknowledgement, the batches sealed but not yet
acknowledged, the status line's facts) and every read of the outbox go through
the ward's one owner of both, :mod:`ward_desk.services.outbox`.

A run: ask the district for its ack (resume point), then seal and upload the
next batch until nothing is pending, then send a heartbeat. Connection errors,
timeouts and 429/5xx answers back off exponentially with jitter and retry; a
refusal (4xx) or a quarantine (409) stops the run with a plain-words error,
because a person has to act.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync_agent.ack import AckError, SignedAck, envelope_digest, verify_ack
from sync_agent.envelope import EnvelopeError, SealedBatch, build_batch, build_heartbeat
from ward_desk.i18n import t
from ward_desk.services.outbox import (
    PendingCounter,
    SyncStateStore,
    close_connection,
    highest_seq,
    outbox_records,
    pending_stats,
    prune_outbox,
)

log = logging.getLogger("ward_desk.sync")

AGENT_NAME = "ward-desk-sync/2"  # protocol 2: signed acknowledgements
TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504}


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass
class AgentConfig:
    """Tunables. Defaults suit a 3G link and a 10-year-old PC."""

    url: str = ""
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_batch_records: int = 2000
    max_batch_bytes: int = 1_000_000  # plaintext estimate; ~150-300 KB once compressed
    max_attempts: int = 6  # per request, within one run
    backoff_base: float = 1.0
    backoff_max: float = 300.0


@dataclass
class SyncError:
    """A plain-words error (catalogue id + params), and whether retrying may help."""

    message_id: str
    params: dict[str, Any] = field(default_factory=dict)
    transient: bool = False

    def render(self, language: str | None = None) -> str:
        return t(self.message_id, language, **self.params)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.message_id, "params": self.params, "transient": self.transient}


@dataclass
class SyncReport:
    """What one run did."""

    batches_sent: int = 0
    records_sent: int = 0
    acked_seq: int = 0
    pending: int = 0
    error: SyncError | None = None
    missing_batches: list[int] = field(default_factory=list)
    documents_applied: list[str] = field(default_factory=list)
    documents_failed: list[str] = field(default_factory=list)
    pruned: int = 0  # acknowledged outbox rows removed after the run

    @property
    def ok(self) -> bool:
        return self.error is None


class SyncFailed(Exception):
    def __init__(self, error: SyncError) -> None:
        super().__init__(error.message_id)
        self.error = error


# ---------------------------------------------------------------------- agent


@dataclass
class WardIdentity:
    """What the agent needs from the office row."""

    office_code: str
    signing_key: Ed25519PrivateKey
    district_encrypt: bytes
    district_sign: bytes  # verifies the district's signed acks and documents
    district_url: str
    data_dir: Path

    @classmethod
    def load(cls, data_dir: Path) -> WardIdentity:
        """Read the office row; refuses a ward that is not enrolled."""
        from ward_desk.store.models import Office

        office = Office.select().get()
        if not office.upstream_public_key or not office.upstream_url or not office.upstream_signing_key:
            raise SyncFailed(SyncError("sync.agent.not_enrolled"))
        if not office.signing_key:
            raise SyncFailed(SyncError("sync.agent.no_signing_key"))
        return cls(
            office_code=office.code,
            signing_key=Ed25519PrivateKey.from_private_bytes(bytes(office.signing_key)),
            district_encrypt=bytes(office.upstream_public_key),
            district_sign=bytes(office.upstream_signing_key),
            district_url=office.upstream_url.rstrip("/"),
            data_dir=data_dir,
        )


def make_heartbeat(
    data_dir: Path, acked_seq: int, counter: PendingCounter | None = None, *, problem: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The heartbeat every contact carries (``counter`` carries the pending count
    forward between the batches of one run instead of counting afresh; ``problem``
    is an unresolved problem with the district's signed ack, reported to it)."""
    now = utcnow()
    pending, oldest = counter.stats(acked_seq, now) if counter is not None else pending_stats(acked_seq, now)
    try:
        free = shutil.disk_usage(data_dir).free
    except OSError:
        free = None
    return {
        "pending": pending,
        "oldest_pending_s": max(0, oldest) if oldest is not None else None,
        "free_disk_bytes": free,
        "ward_clock": now.isoformat(timespec="microseconds") + "Z",
        "agent": AGENT_NAME,
        **({"ack_problem": _problem_text(problem)} if problem else {}),
    }


def _problem_text(problem: dict[str, Any]) -> str:
    """``code:batch_no:seq``, the heartbeat's short form of an ack problem."""
    return f"{problem.get('code', '')}:{problem.get('batch_no', '')}:{problem.get('seq', '')}"[:120]


def _seal_after(cutter: BatchCutter, batch: SealedBatch) -> SealedBatch | None:
    """The batch after ``batch`` (run in the sealing thread; closes that thread's
    store connection afterwards)."""
    try:
        return cutter.after(batch)
    finally:
        close_connection()


class BatchCutter:
    """Seals the ward's next batches, consistently with what was sealed before."""

    def __init__(self, ward: WardIdentity, state: SyncStateStore, config: AgentConfig) -> None:
        self.ward = ward
        self.state = state
        self.config = config
        self.pending = PendingCounter()

    def next_batch(self, acked: tuple[int, int, str]) -> SealedBatch | None:
        """The batch after ``acked`` (seq, batch_no, hash): re-sealed from ``built``
        when it was sealed before, else newly cut; None when nothing is pending."""
        acked_seq, acked_no, acked_hash = acked
        built = {int(entry[0]): entry for entry in self.state.built()}
        entry = built.get(acked_no + 1)
        if entry is not None and int(entry[1]) == acked_seq + 1 and entry[3] == acked_hash:
            return self._seal(acked_no + 1, int(entry[1]), int(entry[2]), acked_hash, exact=True)
        return self._seal(acked_no + 1, acked_seq + 1, None, acked_hash, exact=False)

    def after(self, batch: SealedBatch) -> SealedBatch | None:
        """The batch that follows ``batch`` (for export, before any ack)."""
        return self.next_batch((batch.last_seq, batch.batch_no, batch.batch_hash))

    def _seal(self, batch_no: int, first_seq: int, last_seq: int | None, prev_hash: str, *, exact: bool) -> SealedBatch | None:
        records = outbox_records(
            first_seq, last_seq, max_records=self.config.max_batch_records, max_bytes=self.config.max_batch_bytes
        )
        if not records:
            return None
        sealed = build_batch(
            office_code=self.ward.office_code,
            batch_no=batch_no,
            first_seq=first_seq,
            last_seq=records[-1]["seq"],
            prev_batch_hash=prev_hash,
            records=records,
            heartbeat=make_heartbeat(self.ward.data_dir, first_seq - 1, self.pending),
            recipient=self.ward.district_encrypt,
            signer=self.ward.signing_key,
        )
        if not exact:
            self.remember(sealed, prev_hash)
        return sealed

    def remember(self, sealed: SealedBatch, prev_hash: str) -> None:
        """Record a sealed batch's range before it leaves the machine (later
        entries are dropped: they followed a batch that is now cut differently)."""
        self.state.remember_sealed(sealed.batch_no, sealed.first_seq, sealed.last_seq, prev_hash, sealed.batch_hash)


class SyncAgent:
    """One ward's uploader. Thread-safe to cancel (``cancel`` event)."""

    def __init__(
        self,
        data_dir: Path,
        config: AgentConfig | None = None,
        *,
        cancel: threading.Event | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.config = config or AgentConfig()
        self.cancel = cancel or threading.Event()
        self.state = SyncStateStore()
        self.rng = rng or random.Random()
        self._http: Any = None

    # -- HTTP --------------------------------------------------------------

    @property
    def http(self) -> Any:
        if self._http is None:
            import requests

            self._http = requests.Session()
            self._http.headers["User-Agent"] = AGENT_NAME
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def _backoff(self, attempt: int, retry_after: float | None = None) -> float:
        # "Full jitter": a random delay up to the exponential cap, so wards that lost
        # the network together do not all come back in the same second.
        cap = min(self.config.backoff_max, self.config.backoff_base * (2**attempt))
        delay = self.rng.uniform(cap / 2, cap)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.config.backoff_max))
        return delay

    def _request(self, method: str, url: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        """One request with retries on transient failures: returns the status and the
        JSON body; raises SyncFailed. A 200 whose body is cut or unreadable is retried
        like a dropped connection (the district may have applied it: re-sending is safe)."""
        import requests

        last: SyncError | None = None
        for attempt in range(self.config.max_attempts):
            if self.cancel.is_set():
                raise SyncFailed(SyncError("sync.agent.cancelled", transient=True))
            retry_after: float | None = None
            try:
                response = self.http.request(
                    method, url, timeout=(self.config.connect_timeout, self.config.read_timeout), **kwargs
                )
                body = self._body(response)
            except requests.Timeout:
                last = SyncError("sync.agent.timeout", {"url": self.ward.district_url}, transient=True)
            except requests.ConnectionError:
                last = SyncError("sync.agent.no_connection", {"url": self.ward.district_url}, transient=True)
            except requests.RequestException as exc:
                last = SyncError("sync.agent.network_error", {"detail": type(exc).__name__}, transient=True)
            else:
                if response.status_code == 200 and body is None:
                    last = SyncError("sync.agent.bad_answer", {"detail": "JSON"}, transient=True)
                elif response.status_code not in TRANSIENT_STATUS:
                    return response.status_code, body or {}
                else:
                    last = SyncError("sync.agent.server_busy", {"status": response.status_code}, transient=True)
                    header = response.headers.get("Retry-After", "")
                    retry_after = float(header) if header.isdigit() else None
            if attempt + 1 < self.config.max_attempts:
                delay = self._backoff(attempt, retry_after)
                log.info("sync: %s; retrying in %.1fs", last.message_id, delay)
                if self.cancel.wait(delay):
                    raise SyncFailed(SyncError("sync.agent.cancelled", transient=True))
        assert last is not None
        raise SyncFailed(last)

    def _get_bytes(self, url: str) -> tuple[int, bytes]:
        """A plain GET for downlink documents (one try: the next run fetches again)."""
        import requests

        try:
            response = self.http.get(url, timeout=(self.config.connect_timeout, self.config.read_timeout))
            return response.status_code, response.content
        except requests.RequestException:
            return 0, b""

    @staticmethod
    def _body(response: Any) -> dict[str, Any] | None:
        """The JSON object of a response, or None (reading it may raise a
        requests error when the connection drops mid-body)."""
        content = response.content
        try:
            body = json.loads(content)
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    @staticmethod
    def _refusal(status_code: int, body: dict[str, Any]) -> SyncError:
        code = str(body.get("error") or "")
        detail = str(body.get("detail") or "")
        if status_code == 409:
            return SyncError("sync.agent.quarantined", {"batch": body.get("batch_no", "?"), "detail": detail})
        if code:
            return SyncError(f"sync.reject.{code}", {"detail": detail})
        return SyncError("sync.agent.refused", {"status": status_code})

    # -- the run -----------------------------------------------------------

    ward: WardIdentity

    def run_once(
        self, on_progress: Callable[[SyncReport], None] | None = None, *, session: Any = None
    ) -> SyncReport:
        """Upload everything pending, then a heartbeat; with a ``session``, also fetch
        and apply the district's new reference data. Never raises for network or
        district problems: they end up in the report and in ``last_error``."""
        report = SyncReport()
        self.state.mark_attempt(utcnow())
        try:
            self.ward = WardIdentity.load(self.data_dir)
            if self.config.url:
                self.ward.district_url = self.config.url.rstrip("/")
            self._check_transport()
            self._drain(report, on_progress)
            self._heartbeat()
            if session is not None:
                from sync_agent.downlink import fetch_and_apply

                report.documents_applied, report.documents_failed = fetch_and_apply(
                    session, self._get_bytes, self.ward.district_url, self.ward.office_code
                )
        except SyncFailed as exc:
            report.error = exc.error
        except EnvelopeError as exc:  # a record the district would refuse: a bug to report
            report.error = SyncError("sync.agent.bad_record", {"detail": str(exc)})
        acked_seq, _, _ = self.state.acked()
        report.acked_seq = acked_seq
        report.pending, _ = pending_stats(acked_seq, utcnow())
        if report.error is None:
            self.state.mark_success(utcnow())
            if session is not None:
                # The district holds every acknowledged row: the transport queue may shrink
                # (rows stay 30 days as a margin for a district restored from a backup).
                report.pruned = prune_outbox(session, keep_days=30)
        elif report.error.message_id != "sync.agent.cancelled":
            self.state.record_error(report.error.message_id, report.error.params, report.error.transient)
            log.info("sync: %s", report.error.render("en"))  # the CLI and UI show it in the user's language
        return report

    def _check_transport(self) -> None:
        """HTTPS (certificates verified, as ``requests`` does by default) unless the
        district is on this machine or enrolment chose the lab option."""
        from sync_agent.enrolment import is_loopback_url

        url = self.ward.district_url
        if url.startswith("http://") and not is_loopback_url(url) and not self.state.plain_http_lab():
            raise SyncFailed(SyncError("sync.ward.https_required", {"url": url,
                                                                   "flag": "--insecure-plain-http-lab-only"}))

    # -- protocol 2: every answer is a signed acknowledgement ---------------

    def _exchange(self, envelope: bytes) -> tuple[dict[str, Any], SignedAck]:
        """POST one envelope; return the answer and its verified signed ack. A
        refusal, a quarantine or an answer whose ack is missing, unsigned, signed
        by another key or made for another request stops the run: nothing of such
        an answer is adopted (PROTOCOL.md §3, protocol 2)."""
        code, body = self._request(
            "POST", f"{self.ward.district_url}/v1/batches", data=envelope,
            headers={"Content-Type": "application/octet-stream"},
        )
        if code not in (200, 409):
            raise SyncFailed(self._refusal(code, body))
        try:
            ack = verify_ack(body.get("signed_ack"), self.ward.district_sign, self.ward.office_code,
                             envelope_digest(envelope))
        except AckError as exc:
            log.warning("sync: refused the district's answer: %s", exc)
            raise SyncFailed(SyncError(f"sync.ack.{exc.code}", {"url": self.ward.district_url})) from exc
        if code == 409:
            raise SyncFailed(self._refusal(code, body))
        return body, ack

    def _accept(self, ack: SignedAck, sent: SealedBatch | None = None) -> tuple[int, int, str]:
        """Adopt a verified ack's position if this ward computed it itself; else
        record the problem (status line, heartbeats) and stop."""
        if sent is not None and (ack.batch_no != sent.batch_no or ack.batch_hash != sent.batch_hash):
            raise SyncFailed(SyncError("sync.ack.batch_mismatch", {"batch": sent.batch_no}))
        known = self.state.known_positions()
        if sent is not None:
            known.add((sent.last_seq, sent.batch_no, sent.batch_hash))
        if ack.position not in known:
            top_no = max(no for _, no, _ in known)
            code = "ack_ahead" if ack.acked_seq > highest_seq() or ack.acked_batch_no > top_no else "ack_unknown"
            self.state.set_ack_problem({"code": code, "batch_no": ack.acked_batch_no, "seq": ack.acked_seq})
            self._report_problem()
            raise SyncFailed(SyncError(f"sync.ack.{code}", {"batch": ack.acked_batch_no, "seq": ack.acked_seq}))
        if self.state.ack_problem() is not None:
            self.state.set_ack_problem(None)
        self.state.adopt_ack(ack.position)
        return ack.position

    def _heartbeat_envelope(self) -> bytes:
        acked_seq, _, _ = self.state.acked()
        return build_heartbeat(
            office_code=self.ward.office_code,
            heartbeat=make_heartbeat(self.data_dir, acked_seq, problem=self.state.ack_problem()),
            recipient=self.ward.district_encrypt,
            signer=self.ward.signing_key,
        )

    def _report_problem(self) -> None:
        """Tell the district at once that its ack names a position we never made
        (best effort: every later heartbeat says it again until it is resolved)."""
        with contextlib.suppress(SyncFailed):
            self._request("POST", f"{self.ward.district_url}/v1/batches", data=self._heartbeat_envelope(),
                          headers={"Content-Type": "application/octet-stream"})

    def _drain(self, report: SyncReport, on_progress: Callable[[SyncReport], None] | None) -> None:
        # The run opens with a signed heartbeat instead of asking for the ack: the
        # answer is signed and bound to this envelope (a fresh challenge), and only
        # this ward can make one (its signature), so the position goes to it alone.
        _, ack = self._exchange(self._heartbeat_envelope())
        acked = self._accept(ack)
        cutter = BatchCutter(self.ward, self.state, self.config)
        batch = cutter.next_batch(acked)
        # While a batch travels and the district applies it, the next one is sealed
        # (JSON, zlib, X25519, AES-GCM, Ed25519: about a third of an upload's time)
        # in a helper thread with its own store connection. Its range is recorded
        # before it is used, as always; the helper has finished before the answer is
        # adopted, so the two never write the sync state at the same time.
        with ThreadPoolExecutor(1, thread_name_prefix="sync-seal") as pool:
            while not self.cancel.is_set():
                if batch is None:
                    return
                ahead = pool.submit(_seal_after, cutter, batch)
                try:
                    _body, ack = self._exchange(batch.envelope)
                finally:
                    following = ahead.result()
                new_acked = self._accept(ack, batch)
                expected = (batch.last_seq, batch.batch_no, batch.batch_hash)
                sent, batch = batch, (following if new_acked == expected else cutter.next_batch(new_acked))
                report.batches_sent += 1
                report.records_sent += sent.record_count
                report.missing_batches = list(ack.missing_batches)
                if new_acked[1] < sent.batch_no and new_acked == acked:
                    # The district holds this batch but not an earlier one it should have:
                    # nothing more we send can move the ack; a person must look.
                    raise SyncFailed(SyncError("sync.agent.gap", {"batches": ", ".join(map(str, report.missing_batches))}))
                acked = new_acked
                if on_progress is not None:
                    on_progress(report)
        raise SyncFailed(SyncError("sync.agent.cancelled", transient=True))

    def _heartbeat(self) -> None:
        _, ack = self._exchange(self._heartbeat_envelope())
        self._accept(ack)

    # -- a ward restored from an older backup ------------------------------

    def resolve_restore(self) -> int:
        """After ``sync.ack.ack_ahead``: ask the district for its signed position
        and, if it is ahead of ours (this store was restored from an older
        backup), move our unacknowledged rows above it and adopt it
        (:meth:`SyncStateStore.rebase_after_restore`). Returns the rows moved;
        raises :class:`SyncFailed` when there is nothing of the kind to resolve."""
        self.ward = WardIdentity.load(self.data_dir)
        if self.config.url:
            self.ward.district_url = self.config.url.rstrip("/")
        problem = self.state.ack_problem()
        if problem is None or problem.get("code") != "ack_ahead":
            raise SyncFailed(SyncError("sync.ack.nothing_to_resolve"))
        _, ack = self._exchange(self._heartbeat_envelope())
        ours_seq, ours_no, _ = self.state.acked()
        if ack.acked_batch_no <= ours_no or ack.acked_seq < ours_seq:
            raise SyncFailed(SyncError("sync.ack.nothing_to_resolve"))
        moved = self.state.rebase_after_restore(ack.position)
        log.warning("sync: restored store rebased on the district's batch %d (seq %d); %d rows renumbered",
                    ack.acked_batch_no, ack.acked_seq, moved)
        return moved

    # -- USB ---------------------------------------------------------------

    def export(self, target: Path) -> list[Path]:
        """Write every pending batch as files for a USB stick (PROTOCOL.md §8).
        Re-exporting is safe: already sealed ranges are sealed again identically."""
        ward = WardIdentity.load(self.data_dir)
        self.ward = ward
        folder = Path(target) / f"ward-desk-{ward.office_code}"
        folder.mkdir(parents=True, exist_ok=True)
        cutter = BatchCutter(ward, self.state, self.config)
        written: list[Path] = []
        batch = cutter.next_batch(self.state.acked())
        while batch is not None:
            path = folder / f"{ward.office_code}-{batch.batch_no:08d}.wdu"
            tmp = path.with_suffix(".tmp")
            try:
                tmp.write_bytes(batch.envelope)
                tmp.replace(path)
            except OSError:
                tmp.unlink(missing_ok=True)  # a full stick keeps no half-written batch
                raise
            written.append(path)
            batch = cutter.after(batch)
        return written


# ----------------------------------------------------------- enrolment by code


def enrol_with_code(
    district_url: str, office_code: str, code: str, ward_key_doc: str, *, timeout: tuple[float, float] = (10.0, 60.0)
) -> Any:
    """Both halves of enrolment with a one-time code (PROTOCOL.md §10): fetch the
    district's key document, accept it only if its proof matches the code, then
    send our key with our proof. Returns the pinned :class:`DistrictPublicKeys`;
    raises :class:`SyncFailed` with a plain-words error, having changed nothing
    on the district when the first step fails."""
    import requests

    from sync_agent import enrol_code
    from sync_agent.errors import BadInput
    from sync_agent.keyfiles import DistrictPublicKeys

    if enrol_code.normalise_code(code) is None:
        raise SyncFailed(SyncError("sync.enrol.code_format"))
    auth_key = enrol_code.derive_auth_key(code, office_code)
    base = district_url.rstrip("/")
    endpoint = f"{base}/v1/enrol/{office_code}"
    with requests.Session() as http:
        http.headers["User-Agent"] = AGENT_NAME
        try:
            offer = http.get(endpoint, timeout=timeout)
        except requests.RequestException as exc:
            raise SyncFailed(SyncError("sync.enrol.network", {"url": base, "detail": type(exc).__name__}, True)) from exc
        body = SyncAgent._body(offer) or {}
        if offer.status_code != 200:
            raise SyncFailed(_enrol_refusal(offer.status_code, body))
        doc, proof = body.get("district_key"), body.get("proof")
        if not isinstance(doc, str) or not isinstance(proof, str) or not enrol_code.proofs_equal(
            enrol_code.district_proof(auth_key, office_code, doc.encode("utf-8")), proof
        ):
            raise SyncFailed(SyncError("sync.enrol.district_proof_failed", {"url": base}))
        try:
            district = DistrictPublicKeys.from_json(doc, f"{base}/v1/enrol")
        except BadInput as exc:
            raise SyncFailed(SyncError("sync.enrol.refused", {"detail": str(exc)})) from exc
        ours = enrol_code.ward_proof(auth_key, office_code, district.fingerprint, ward_key_doc.encode("utf-8"))
        try:
            answer = http.post(endpoint, json={"ward_key": ward_key_doc, "proof": ours}, timeout=timeout)
        except requests.RequestException as exc:
            raise SyncFailed(SyncError("sync.enrol.network", {"url": base, "detail": type(exc).__name__}, True)) from exc
        body = SyncAgent._body(answer) or {}
        if answer.status_code != 200:
            raise SyncFailed(_enrol_refusal(answer.status_code, body))
    return district


def _enrol_refusal(status_code: int, body: dict[str, Any]) -> SyncError:
    if body.get("error") == "enrol_failed":
        return SyncError("sync.enrol.code_invalid")
    if status_code in TRANSIENT_STATUS:
        return SyncError("sync.agent.server_busy", {"status": status_code}, transient=True)
    return SyncError("sync.enrol.refused", {"detail": str(body.get("message") or status_code)})
