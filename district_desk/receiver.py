"""The district receiver: a Starlette ASGI app served by uvicorn.

Routes (all described in the OpenAPI document at ``/openapi.json``):

* ``POST /v1/batches``: an uplink envelope (batch or heartbeat) as the raw body;
  the body is refused with 413 as soon as it passes the size limit, before it
  is read whole.
* ``GET /v1/wards/{office_code}/ack``: the ward's acknowledged position.
* ``GET /v1/wards/{office_code}/documents`` and ``GET /v1/documents/{doc_id}``:
  signed reference data for the ward.
* ``GET /v1/district-key``: the district's public keys (``district.pub``).
* ``GET /health``; ``GET /status``: the citizen status page.

Every store call runs in the thread pool (peewee is synchronous); malformed
input always gets a 4xx JSON answer, a store that is down gets 503.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import peewee
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from district_desk.acks import signed_answer, signed_index
from district_desk.ingest import Rejected, ingest
from district_desk.keys import DistrictKeys
from district_desk.ratelimit import TokenBuckets
from district_desk.store import DistrictStore, StatusView
from sync_agent.envelope import DEFAULT_LIMITS, OFFICE_CODE_RE, Limits
from ward_desk.i18n import LANGUAGES, t

log = logging.getLogger("district_desk.receiver")

OFFICE_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_CODE_LEN = 64
MAX_SECRET_LEN = 32
ENVELOPE_TYPE = "application/vnd.ward-desk.envelope"
# The OpenAPI format of an uplink body: a sealed envelope, which JSON Schema cannot spell
# out (OpenAPI leaves ``format`` open for such a type); a client generates real ones.
ENVELOPE_FORMAT = "ward-desk-envelope"
MAX_ENROL_BODY = 64 * 1024
# Refused envelopes recorded per client: a burst, then one a minute.
REJECTIONS_BURST = 30
REJECTIONS_REFILL_SECONDS = 60.0


@dataclass
class ReceiverConfig:
    """What the app needs besides the store: keys, limits, the status page's rate."""

    keys: DistrictKeys
    limits: Limits = DEFAULT_LIMITS
    status_burst: int = 5
    status_refill_seconds: float = 10.0
    language: str = "vi"
    # Protocol 1 wards read the unsigned GET .../ack and an unsigned document index;
    # once every ward runs protocol 2, ``serve --no-protocol-1`` closes both to anyone
    # but the ward itself (signed heartbeats; a signed index request).
    accept_protocol_1: bool = True


def _error(status: int, code: str, message_id: str | None = None, **params: Any) -> JSONResponse:
    body = {"error": code, "message": t(message_id or f"sync.http.{code}", None, **params)}
    headers = {"Retry-After": "5"} if status == 503 else None
    return JSONResponse(body, status_code=status, headers=headers)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                return None
        except ValueError:
            pass
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class RedactSecrets(logging.Filter):
    """Keeps the citizen's receipt secret out of the access log: uvicorn logs every
    request line, and the status page's secret travels in the query string."""

    _SECRET = re.compile(r"((?:^|[?&])(?:secret|s)=)[^&\s]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._SECRET.sub(r"\1***", a) if isinstance(a, str) and "=" in a else a
                                for a in record.args)
        return True


def install_log_redaction() -> None:
    """Put :class:`RedactSecrets` on uvicorn's access logger (once)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSecrets) for f in access.filters):
        access.addFilter(RedactSecrets())


def create_app(store: DistrictStore, config: ReceiverConfig) -> Starlette:
    """The receiver app over an open district store."""
    install_log_redaction()
    buckets = TokenBuckets(config.status_burst, config.status_refill_seconds)
    reject_buckets = TokenBuckets(REJECTIONS_BURST, REJECTIONS_REFILL_SECONDS)
    district_fp = store.public_keys().fingerprint
    district_pub = store.public_keys().to_json()

    async def health(request: Request) -> JSONResponse:
        try:
            await run_in_threadpool(lambda: store.db.execute_sql("SELECT 1"))
        except peewee.PeeweeException:
            return _error(503, "unavailable")
        return JSONResponse({"status": "ok", "district": district_fp})

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(openapi_document(config.limits))

    async def district_key(request: Request) -> Response:
        return Response(district_pub, media_type="application/json")

    async def post_batch(request: Request) -> Response:
        try:
            body = await _read_limited(request, config.limits.max_envelope)
        except ClientDisconnect:
            return Response(status_code=400)
        if body is None:
            log.warning("rejected envelope: too_large remote=%s", _client(request))
            return _error(413, "too_large", limit=config.limits.max_envelope)
        client = _client(request)
        try:
            result = await run_in_threadpool(
                ingest, store, body, config.keys, via="http", remote=client, limits=config.limits,
                # A client that keeps sending refused envelopes fills nothing: past its
                # budget they are logged only (the per-office cap is in ingest).
                record_rejections=reject_buckets.has_token(client),
            )
        except Rejected as exc:
            reject_buckets.take(client)
            return _error(exc.http_status, exc.code, f"sync.reject.{exc.code}", detail=exc.detail)
        except peewee.DataError as exc:
            # A value the database refuses: the transaction rolled back, nothing applied.
            log.warning("rejected envelope: bad_content (database refused a value: %s)", exc)
            return _error(400, "bad_content", "sync.reject.bad_content", detail="")
        except peewee.DatabaseError as exc:
            log.error("store unavailable while applying a batch: %s", exc)
            return _error(503, "unavailable")
        status = 409 if result.status == "quarantined" else 200
        return JSONResponse(signed_answer(result, config.keys), status_code=status)

    def _office(request: Request) -> str | None:
        office = str(request.path_params.get("office_code", ""))
        return office if OFFICE_CODE_RE.match(office) else None

    async def get_ack(request: Request) -> JSONResponse:
        office = _office(request)
        if office is None:
            return _error(400, "bad_office")
        if not config.accept_protocol_1:
            # Protocol 2 wards learn their position from the signed answer to a signed heartbeat.
            return _error(403, "protocol_1_off", "sync.http.protocol_1_off")
        try:
            ack = await run_in_threadpool(store.ack_state, office)
        except (peewee.OperationalError, peewee.InterfaceError):
            return _error(503, "unavailable")
        if ack is None:
            return _error(404, "unknown_ward")
        return JSONResponse(ack.to_json())

    async def list_documents(request: Request) -> JSONResponse:
        office = _office(request)
        if office is None:
            return _error(400, "bad_office")
        nonce = request.query_params.get("nonce", "")
        signature = request.query_params.get("sig", "")
        if "nonce" in request.query_params and not (
                16 <= len(nonce) <= 64 and all(c in "0123456789abcdef" for c in nonce)):
            return _error(400, "bad_request")
        if len(signature) > 100:
            return _error(400, "bad_request")
        if "sig" in request.query_params:
            if not await run_in_threadpool(_index_request_signed, office, nonce, signature):
                return _error(403, "bad_signature", "sync.reject.bad_signature", detail="")
        elif not config.accept_protocol_1:
            return _error(403, "protocol_1_off", "sync.http.protocol_1_off")
        docs = await run_in_threadpool(store.documents_for, office)
        answer: dict[str, Any] = {
            "documents": [
                {
                    "doc_id": d.doc_id,
                    "kind": d.kind,
                    "version": d.version,
                    "audience": d.audience,
                    "issued_at": d.issued_at,
                    "published_at": d.published_at.isoformat() + "Z",
                }
                for d in docs
            ]
        }
        if nonce:
            # Protocol 2: the index signed for this request (its nonce) with an expiry.
            answer["signed_index"] = signed_index(store, config.keys, office, nonce, docs)
        return JSONResponse(answer)

    async def get_document(request: Request) -> Response:
        doc_id = str(request.path_params.get("doc_id", ""))
        if not 0 < len(doc_id) <= 200:
            return _error(400, "bad_request")
        blob = await run_in_threadpool(store.document, doc_id)
        if blob is None:
            return _error(404, "not_found")
        return Response(blob, media_type=ENVELOPE_TYPE)

    async def status_page(request: Request) -> HTMLResponse:
        lang = request.query_params.get("lang", config.language)
        lang = lang if lang in LANGUAGES else config.language
        code = request.query_params.get("code", "").strip()
        secret = request.query_params.get("secret", "").strip()
        if not code and not secret:
            return HTMLResponse(_status_html(lang, "", None, None))
        client = _client(request)
        if not buckets.take(client):
            return HTMLResponse(
                _status_html(lang, code, None, t("sync.status.slow_down", lang)),
                status_code=429,
                headers={"Retry-After": str(buckets.retry_after(client))},
            )
        view = None
        # Control characters (NUL above all, which PostgreSQL refuses in text) cannot
        # be in a code or secret: such a lookup finds nothing, without a query.
        if 0 < len(code) <= MAX_CODE_LEN and 0 < len(secret) <= MAX_SECRET_LEN and (code + secret).isprintable():
            try:
                view = await run_in_threadpool(store.lookup_status, code, secret)
            except (peewee.OperationalError, peewee.InterfaceError):
                return HTMLResponse(_status_html(lang, code, None, t("sync.status.unavailable", lang)), 503)
        if view is None:
            return HTMLResponse(_status_html(lang, code, None, t("sync.status.not_found", lang)), 404)
        return HTMLResponse(_status_html(lang, code, view, None))

    enrol_buckets = TokenBuckets(config.status_burst, config.status_refill_seconds)

    async def enrol_offer(request: Request) -> JSONResponse:
        from district_desk.enrolment import EnrolmentRefused, district_offer

        office = _office(request)
        if office is None:
            return _error(400, "bad_office")
        if not enrol_buckets.take(_client(request)):
            return _error(429, "slow_down", "sync.status.slow_down")
        try:
            # Protocol 2: the same answer whether or not a code is active (a decoy proof
            # when none is), so the endpoint does not tell who is about to enrol.
            offer = await run_in_threadpool(district_offer, store, office, config.keys)
        except EnrolmentRefused:
            return _error(404, "enrol_failed")
        except (peewee.OperationalError, peewee.InterfaceError):
            return _error(503, "unavailable")
        return JSONResponse(offer)

    async def enrol_ward(request: Request) -> JSONResponse:
        from district_desk.enrolment import EnrolmentRefused, enrol_with_proof
        from sync_agent.errors import BadInput

        office = _office(request)
        if office is None:
            return _error(400, "bad_office")
        if not enrol_buckets.take(_client(request)):
            return _error(429, "slow_down", "sync.status.slow_down")
        try:
            raw = await _read_limited(request, MAX_ENROL_BODY)
        except ClientDisconnect:
            return _error(400, "bad_enrolment")
        if raw is None:
            return _error(413, "too_large", limit=MAX_ENROL_BODY)
        try:
            body = json.loads(raw)
            ward_key, proof = body["ward_key"], body["proof"]
            if not isinstance(ward_key, str) or not isinstance(proof, str) or len(proof) > 128:
                raise ValueError("types")
        except (ValueError, KeyError, TypeError):
            return _error(400, "bad_enrolment")
        try:
            ward = await run_in_threadpool(enrol_with_proof, store, office, ward_key, proof)
        except EnrolmentRefused:
            log.warning("enrolment refused: office=%s remote=%s", office, _client(request))
            return _error(403, "enrol_failed")
        except BadInput as exc:
            return JSONResponse({"error": "bad_enrolment", "message": str(exc)}, status_code=400)
        except peewee.DataError:  # a value the database refuses (NUL, too long): nothing was enrolled
            return _error(400, "bad_enrolment")
        except (peewee.OperationalError, peewee.InterfaceError):
            return _error(503, "unavailable")
        log.info("enrolled ward %s with a one-time code (key %s)", office, ward.fingerprint)
        return JSONResponse({"office_code": office, "fingerprint": ward.fingerprint, "district_fingerprint": district_fp})

    async def enrol(request: Request) -> Response:
        # One route per path: two (GET and POST) made a 405 say "Allow: GET, HEAD" only.
        return await (enrol_ward(request) if request.method == "POST" else enrol_offer(request))

    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/v1/enrol/{office_code}", enrol, methods=["GET", "POST"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/v1/district-key", district_key, methods=["GET"]),
        Route("/v1/batches", post_batch, methods=["POST"]),
        Route("/v1/wards/{office_code}/ack", get_ack, methods=["GET"]),
        Route("/v1/wards/{office_code}/documents", list_documents, methods=["GET"]),
        Route("/v1/documents/{doc_id}", get_document, methods=["GET"]),
        Route("/status", status_page, methods=["GET"]),
    ]
    return Starlette(routes=routes)


def _index_request_signed(office: str, nonce: str, signature: str) -> bool:
    """Whether ``signature`` is the enrolled, unrevoked ward's signature of its
    document index request (:func:`sync_agent.docindex.index_request_signature`)."""
    from district_desk.models import Ward
    from sync_agent.docindex import verify_index_request

    ward = Ward.get_or_none(Ward.office_code == office)
    if ward is None or ward.revoked_at is not None:
        return False
    return verify_index_request(bytes(ward.sign_key), office, nonce, signature)


# ------------------------------------------------------------ worker processes

WORKER_ENV = "DISTRICT_DESK_WORKER_CONFIG"


def worker_config(
    *,
    data_dir: Path,
    db_url: str,
    derived: tuple[str, bytes],
    max_envelope: int,
    status_burst: int,
    status_refill_seconds: float,
    accept_protocol_1: bool = True,
) -> str:
    """What ``serve --workers N`` hands each worker process (JSON for the environment).

    The workers get the key derived from the passphrase (and its KDF parameters),
    never the passphrase itself, so they open the store without running Argon2.
    """
    params, kek = derived
    return json.dumps({
        "data_dir": str(data_dir), "db_url": db_url, "kdf": params, "kek": kek.hex(),
        "max_envelope": max_envelope, "status_burst": status_burst, "status_refill_seconds": status_refill_seconds,
        "accept_protocol_1": accept_protocol_1,
    })


def setup_logging(data_dir: Path) -> None:
    """The receiver's log: ``<data dir>/logs/receiver.log`` (rotated) and stderr."""
    from logging.handlers import RotatingFileHandler

    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(logs / "receiver.log", maxBytes=5_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    stream = logging.StreamHandler()
    stream.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("district_desk")
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    root.addHandler(stream)


def app_from_environment() -> Starlette:
    """App factory run by each uvicorn worker process (``serve --workers N``):
    opens its own connection to the store and unlocks the keys from
    :data:`WORKER_ENV`. Several workers share one port; over PostgreSQL the
    per-ward row lock serialises contacts of one ward across them."""
    cfg = json.loads(os.environ[WORKER_ENV])
    data_dir = Path(cfg["data_dir"])
    store = DistrictStore.open(data_dir, cfg["db_url"], kek=(cfg["kdf"], bytes.fromhex(cfg["kek"])))
    from district_desk.keys import SERVING_KINDS

    keys = store.unlock(kinds=SERVING_KINDS)  # never the escrow recovery key
    setup_logging(data_dir)
    log.info("receiver worker %d ready", os.getpid())
    return create_app(
        store,
        ReceiverConfig(
            keys=keys,
            limits=Limits(max_envelope=int(cfg["max_envelope"])),
            status_burst=int(cfg["status_burst"]),
            status_refill_seconds=float(cfg["status_refill_seconds"]),
            accept_protocol_1=bool(cfg.get("accept_protocol_1", True)),
        ),
    )


# ------------------------------------------------------------------ status page

_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title>
<style>body{{font-family:sans-serif;max-width:30em;margin:1em auto;padding:0 1em;line-height:1.4}}
label,input,button{{display:block;width:100%;font-size:1.1em;margin:.3em 0}}
.r{{border:1px solid #888;padding:.6em;margin:1em 0}}.e{{color:#a00}}</style></head>
<body><h1>{title}</h1>{result}
<form method="get" action="/status">
<label for="code">{code_label}</label><input id="code" name="code" value="{code}" maxlength="64" autocomplete="off">
<label for="secret">{secret_label}</label><input id="secret" name="secret" maxlength="32" autocomplete="off">
<input type="hidden" name="lang" value="{lang}">
<button type="submit">{submit}</button></form>
<p><small>{privacy}</small></p></body></html>
"""


def _local(dt: datetime | None) -> str:
    if dt is None:
        return "—"
    return dt.replace(tzinfo=timezone.utc).astimezone(OFFICE_TZ).strftime("%d/%m/%Y %H:%M")


def _status_html(lang: str, code: str, view: StatusView | None, error: str | None) -> str:
    result = ""
    if error:
        result = f'<p class="e" id="error">{html.escape(error)}</p>'
    elif view is not None:
        state = t(f"sync.state.{view.state}", lang)
        rows = [
            (t("sync.status.code", lang), html.escape(view.code), "r-code"),
            (t("sync.status.state", lang), html.escape(state), "r-state"),
        ]
        if view.returned_at is not None:
            rows.append((t("sync.status.returned_at", lang), _local(view.returned_at), "r-returned"))
        else:
            rows.append((t("sync.status.appointment", lang), _local(view.due_at), "r-due"))
        rows.append((t("sync.status.as_of", lang), _local(view.as_of), "r-asof"))
        cells = "".join(f'<div>{label}: <b id="{ident}">{value}</b></div>' for label, value, ident in rows)
        result = f'<div class="r" id="result">{cells}</div>'
    return _PAGE.format(
        lang=lang,
        title=html.escape(t("sync.status.title", lang)),
        result=result,
        code_label=html.escape(t("sync.status.code", lang)),
        secret_label=html.escape(t("sync.status.secret", lang)),
        submit=html.escape(t("sync.status.submit", lang)),
        privacy=html.escape(t("sync.status.privacy", lang)),
        code=html.escape(code[:MAX_CODE_LEN], quote=True),
    )


# --------------------------------------------------------------------- OpenAPI


def openapi_document(limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """The OpenAPI 3.0 description of every route (served at ``/openapi.json``)."""
    office = {
        "name": "office_code",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$", "maxLength": 32},
    }
    error = {"$ref": "#/components/schemas/Error"}
    err = {"application/json": {"schema": error}}
    ack_ref = {"$ref": "#/components/schemas/Ack"}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "District Desk receiver",
            "version": "1",
            "description": "Receives signed, encrypted uplink envelopes from wards (see sync_agent/PROTOCOL.md) "
            "and serves acknowledgements, signed reference data and the citizen status page.",
        },
        "paths": {
            "/health": {
                "get": {
                    "summary": "Liveness and store reachability",
                    "responses": {
                        "200": {"description": "Up", "content": {"application/json": {"schema": {"type": "object"}}}},
                        "503": {"description": "Store unreachable", "content": err},
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI", "content": {"application/json": {"schema": {"type": "object"}}}}},
                }
            },
            "/v1/district-key": {
                "get": {
                    "summary": "The district's public keys (district.pub); confirm its fingerprint out of band",
                    "responses": {"200": {"description": "Key file", "content": {"application/json": {"schema": {"type": "object"}}}}},
                }
            },
            "/v1/batches": {
                "post": {
                    "summary": "Upload one uplink envelope (a batch or a heartbeat)",
                    "requestBody": {
                        "required": True,
                        "description": "One uplink envelope as sync_agent/PROTOCOL.md defines it: the bytes a "
                        "ward's agent seals (format ward-desk-envelope), not any bytes at all; a body that is "
                        "not one is refused with 400.",
                        "content": {
                            "application/octet-stream": {
                                "schema": {"type": "string", "format": ENVELOPE_FORMAT,
                                           "maxLength": limits.max_envelope}
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "Applied, duplicate (acknowledged again) or heartbeat recorded",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IngestResult"}}},
                        },
                        "400": {"description": "Malformed or unreadable envelope", "content": err},
                        "403": {"description": "Unknown or revoked ward, or bad signature", "content": err},
                        "409": {
                            "description": "Authentic but conflicting batch: quarantined for a person",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IngestResult"}}},
                        },
                        "413": {"description": "Envelope larger than the limit", "content": err},
                        "503": {"description": "Store unavailable; retry later", "content": err},
                    },
                }
            },
            "/v1/enrol/{office_code}": {
                "get": {
                    "summary": "District key document and its proof under the office's one-time enrolment code",
                    "parameters": [office],
                    "responses": {
                        "200": {"description": "Offer", "content": {"application/json": {"schema": {
                            "type": "object", "required": ["district_key", "proof"],
                            "properties": {"district_key": {"type": "string"}, "proof": {"type": "string"}}}}}},
                        "400": {"description": "Bad office code", "content": err},
                        "404": {"description": "No active enrolment code for this office", "content": err},
                        "429": {"description": "Too many attempts from this client", "content": err},
                        "503": {"description": "Store unavailable", "content": err},
                    },
                },
                "post": {
                    "summary": "Enrol a ward key proven with the office's one-time enrolment code",
                    "parameters": [office],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                        "type": "object", "required": ["ward_key", "proof"],
                        "properties": {"ward_key": {"type": "string"}, "proof": {"type": "string", "maxLength": 128}}}}}},
                    "responses": {
                        "200": {"description": "Enrolled", "content": {"application/json": {"schema": {"type": "object"}}}},
                        "400": {"description": "Malformed request or ward key", "content": err},
                        "403": {"description": "Wrong, used or expired code", "content": err},
                        "413": {"description": "Body too large", "content": err},
                        "429": {"description": "Too many attempts from this client", "content": err},
                        "503": {"description": "Store unavailable", "content": err},
                    },
                },
            },
            "/v1/wards/{office_code}/ack": {
                "get": {
                    "summary": "The ward's acknowledged position (resume point)",
                    "parameters": [office],
                    "responses": {
                        "200": {"description": "Position", "content": {"application/json": {"schema": ack_ref}}},
                        "400": {"description": "Bad office code", "content": err},
                        "403": {"description": "Protocol 1 turned off (serve --no-protocol-1)", "content": err},
                        "404": {"description": "Ward not enrolled", "content": err},
                        "503": {"description": "Store unavailable", "content": err},
                    },
                }
            },
            "/v1/wards/{office_code}/documents": {
                "get": {
                    "summary": "Reference-data documents addressed to all wards or to this one; with a nonce, "
                    "also signed for that nonce with an expiry (protocol 2)",
                    "parameters": [office, {
                        "name": "nonce", "in": "query", "required": False,
                        "description": "The ward's fresh random value, 16-64 lower-case hex digits",
                        "schema": {"type": "string", "pattern": "^[0-9a-f]{16,64}$"},
                    }, {
                        "name": "sig", "in": "query", "required": False,
                        "description": "The ward's Ed25519 signature of the request (protocol 2), base64url",
                        "schema": {"type": "string", "maxLength": 100},
                    }],
                    "responses": {
                        "200": {
                            "description": "Index",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DocumentIndex"}}},
                        },
                        "400": {"description": "Bad office code", "content": err},
                        "403": {"description": "Bad request signature, or protocol 1 turned off", "content": err},
                    },
                }
            },
            "/v1/documents/{doc_id}": {
                "get": {
                    "summary": "One signed downlink document (WDD1 envelope)",
                    "parameters": [
                        {"name": "doc_id", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 200}}
                    ],
                    "responses": {
                        "200": {
                            "description": "Envelope",
                            "content": {ENVELOPE_TYPE: {"schema": {"type": "string", "format": "binary"}}},
                        },
                        "400": {"description": "Bad id", "content": err},
                        "404": {"description": "No such document", "content": err},
                    },
                }
            },
            "/status": {
                "get": {
                    "summary": "Citizen status page (HTML): state and appointment date only; rate-limited per client",
                    "parameters": [
                        {"name": "code", "in": "query", "required": False, "schema": {"type": "string", "maxLength": MAX_CODE_LEN}},
                        {"name": "secret", "in": "query", "required": False, "schema": {"type": "string", "maxLength": MAX_SECRET_LEN}},
                        {"name": "lang", "in": "query", "required": False,
                         "description": "The page's language: " + " or ".join(LANGUAGES) + "; any other value "
                         "(a link from elsewhere) shows the page in the district's default language.",
                         "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": {"description": "Form, or the dossier's state", "content": {"text/html": {"schema": {"type": "string"}}}},
                        "404": {"description": "No dossier with that code and secret", "content": {"text/html": {"schema": {"type": "string"}}}},
                        "429": {"description": "Too many lookups from this client", "content": {"text/html": {"schema": {"type": "string"}}}},
                        "503": {"description": "Store unavailable", "content": {"text/html": {"schema": {"type": "string"}}}},
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
                },
                "Ack": {
                    "type": "object",
                    "required": ["office_code", "acked_seq", "acked_batch_no", "acked_batch_hash", "highest_batch_no", "missing_batches"],
                    "properties": {
                        "office_code": {"type": "string"},
                        "acked_seq": {"type": "integer", "minimum": 0},
                        "acked_batch_no": {"type": "integer", "minimum": 0},
                        "acked_batch_hash": {"type": "string"},
                        "highest_batch_no": {"type": "integer", "minimum": 0},
                        "missing_batches": {"type": "array", "items": {"type": "integer"}},
                        "last_sync": {"type": "string", "nullable": True},
                    },
                },
                "IngestResult": {
                    "allOf": [
                        ack_ref,
                        {
                            "type": "object",
                            "required": ["status", "batch_id", "batch_no"],
                            "properties": {
                                "status": {"type": "string", "enum": ["applied", "duplicate", "heartbeat", "quarantined"]},
                                "batch_id": {"type": "string"},
                                "batch_no": {"type": "integer"},
                                "reason": {"type": "string"},
                                "detail": {"type": "string"},
                            },
                        },
                    ]
                },
                "DocumentIndex": {
                    "type": "object",
                    "required": ["documents"],
                    "properties": {
                        "documents": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["doc_id", "kind", "version", "audience", "issued_at"],
                                "properties": {
                                    "doc_id": {"type": "string"},
                                    "kind": {"type": "string"},
                                    "version": {"type": "string"},
                                    "audience": {"type": "string"},
                                    "issued_at": {"type": "string"},
                                    "published_at": {"type": "string"},
                                },
                            },
                        }
                    },
                },
            }
        },
    }
