"""A loopback TCP proxy that misbehaves on request, for network-fault tests.

Each new client connection takes the next action from a queue (then "pass"):

* ``"pass"``: forward both ways until either side closes;
* ``("cut_request", n)``: forward the first n bytes of the request, then drop
  the connection (the upload is cut mid-way; the receiver sees a short body);
* ``("cut_response", n)``: forward the whole request, but only n bytes of the
  answer (the receiver applied the batch; the ward never hears so);
* ``("status", code)``: answer ``code`` itself without contacting the receiver;
* ``"hang"``: read the request and never answer (the client's read timeout fires).

``down()`` drops every open connection and refuses new ones (closing them at
once) until ``up()``: the network is cut and restored.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections import deque
from typing import Any


class FaultProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.actions: deque[Any] = deque()
        self.connections = 0
        self.refused = 0
        self._down = threading.Event()
        self._closed = threading.Event()
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def queue(self, *actions: Any) -> None:
        self.actions.extend(actions)

    def down(self) -> None:
        self._down.set()
        with self._lock:
            for s in list(self._open):
                self._shut(s)

    def up(self) -> None:
        self._down.clear()

    def close(self) -> None:
        self._closed.set()
        self.down()
        self.listener.close()

    # ------------------------------------------------------------------ internals

    @staticmethod
    def _shut(s: socket.socket) -> None:
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)
        s.close()

    def _track(self, *socks: socket.socket) -> None:
        with self._lock:
            self._open.update(socks)

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self._down.is_set():
                self.refused += 1
                self._shut(client)
                continue
            self.connections += 1
            action = self.actions.popleft() if self.actions else "pass"
            threading.Thread(target=self._handle, args=(client, action), daemon=True).start()

    def _handle(self, client: socket.socket, action: Any) -> None:
        self._track(client)
        try:
            if action == "hang":
                while client.recv(65536):
                    pass
                return
            if isinstance(action, tuple) and action[0] == "status":
                self._read_request(client)
                body = b'{"error":"unavailable","message":"injected"}'
                client.sendall(
                    f"HTTP/1.1 {action[1]} Injected\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body
                )
                return
            upstream = socket.create_connection(self.upstream, timeout=30)
            self._track(upstream)
            if isinstance(action, tuple) and action[0] == "cut_request":
                self._pipe(client, upstream, limit=action[1])
                return
            response_limit = action[1] if isinstance(action, tuple) and action[0] == "cut_response" else None
            back = threading.Thread(target=self._pipe, args=(upstream, client, response_limit), daemon=True)
            back.start()
            self._pipe(client, upstream)
            back.join(timeout=60)
        except OSError:
            pass
        finally:
            with self._lock:
                for s in list(self._open):
                    if s is client:
                        self._open.discard(s)
            self._shut(client)

    @staticmethod
    def _read_request(client: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = client.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        while len(rest) < length:
            chunk = client.recv(65536)
            if not chunk:
                return
            rest += chunk

    def _pipe(self, src: socket.socket, dst: socket.socket, limit: int | None = None) -> None:
        sent = 0
        try:
            while True:
                chunk = src.recv(65536)
                if not chunk:
                    break
                if limit is not None and sent + len(chunk) >= limit:
                    dst.sendall(chunk[: limit - sent])
                    break
                dst.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass
        finally:
            self._shut(src)
            self._shut(dst)
