"""A relay on loopback that lies about acknowledgements, for protocol 2's tests.

It stands between the ward and the receiver (an HTTP server from the standard
library forwarding with ``requests``) and, by ``mode``:

* ``"pass"``: forwards everything unchanged;
* ``"forge"``: answers every ack question and every upload itself, without
  forwarding, with "everything received" (protocol 1's attack);
* ``"tamper"``: forwards, then rewrites the position in the answer, in the
  unsigned fields and inside the signed body (the signature is kept);
* ``"resign"``: forwards, then re-signs a rewritten body with a key of its own;
* ``"replay"``: forwards the first upload, then answers every later one with
  that first (genuinely signed) answer, forwarding nothing;
* ``"freeze"``: answers every document index with the first one it forwarded
  (genuinely signed, for an earlier request): the ward would see no new document;
* ``"swap"``: serves ``swap_blob`` (another genuinely signed document) for every
  document fetched.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

FORGED = {"acked_seq": 10**6, "acked_batch_no": 10**4, "acked_batch_hash": "ab" * 32,
          "highest_batch_no": 10**4, "missing_batches": []}


class AckRelay:
    def __init__(self, upstream: str, mode: str = "pass") -> None:
        self.upstream = upstream.rstrip("/")
        self.mode = mode
        self.forwarded = 0
        self.first_answer: tuple[int, bytes] | None = None
        self.first_index: tuple[int, bytes] | None = None
        self.swap_blob: bytes = b""
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                relay._handle(self, "GET")

            def do_POST(self) -> None:
                relay._handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ internals

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        office = h.path.split("/")[3] if h.path.startswith("/v1/wards/") else ""
        if self.mode == "forge" and (h.path.endswith("/ack") or h.path == "/v1/batches"):
            answer = {"office_code": office or "22918", "status": "applied", "batch_id": "", "batch_no": 0,
                      "last_sync": None, **FORGED}
            return self._send(h, 200, json.dumps(answer).encode())
        if self.mode == "replay" and h.path == "/v1/batches" and self.first_answer is not None:
            return self._send(h, *self.first_answer)
        is_index = h.path.startswith("/v1/wards/") and "/documents" in h.path
        if self.mode == "freeze" and is_index and self.first_index is not None:
            return self._send(h, *self.first_index)
        if self.mode == "swap" and h.path.startswith("/v1/documents/"):
            return self._send(h, 200, self.swap_blob)
        headers = {k: v for k, v in h.headers.items() if k.lower() in ("content-type", "user-agent")}
        response = requests.request(method, self.upstream + h.path, data=body or None, headers=headers, timeout=30)
        self.forwarded += 1
        status, content = response.status_code, response.content
        if h.path == "/v1/batches" and self.first_answer is None:
            self.first_answer = (status, content)
        if is_index and self.first_index is None:
            self.first_index = (status, content)
        if self.mode in ("tamper", "resign") and h.path == "/v1/batches" and status == 200:
            content = self._rewrite(content)
        return self._send(h, status, content)

    def _rewrite(self, content: bytes) -> bytes:
        answer = json.loads(content)
        answer.update(FORGED)
        signed = answer.get("signed_ack")
        if isinstance(signed, dict):
            inner = json.loads(signed["body"])
            inner.update(FORGED)
            if self.mode == "tamper":
                signed["body"] = json.dumps(inner, sort_keys=True, separators=(",", ":"))
            else:
                from sync_agent.ack import sign_ack

                fields = {k: v for k, v in inner.items() if k not in ("v", "issuer")}
                answer["signed_ack"] = sign_ack(Ed25519PrivateKey.generate(), fields)
        return json.dumps(answer).encode()

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, content: bytes) -> None:
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(content)))
        h.end_headers()
        h.wfile.write(content)
