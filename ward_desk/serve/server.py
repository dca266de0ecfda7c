"""``ward-desk serve``: the desk for the other counters' browsers, over TLS on the LAN.

Built on textual-serve (Textualize's own server for Textual apps: each browser tab
gets its own app process running the unchanged desk through Textual's web driver,
so every tab has its own unlock, role and idle lock, and all of them write the one
store on this PC, kept apart by SQLite and the store's presence lock). Its
``Server`` is subclassed for what an office needs and the stock one lacks: TLS
(its ``serve`` passes no SSL context), a session limit, and a page that fetches
nothing from outside this PC (the stock page loads a web font from the internet
and shows the launched command line as its title). textual-serve's own static
files (xterm.js and the Roboto Mono TTFs it ships) are served as they are.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from textual_serve.server import Server

from ward_desk.i18n import get_language, t
from ward_desk.platform import command_line

TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_PORT = 8443
DEFAULT_MAX_SESSIONS = 8
# Never handed to a desk process: the served desks unlock on their own screens.
SECRET_ENV = ("WARD_DESK_PASSWORD",)


def textual_serve_static() -> Path:
    import textual_serve

    return Path(textual_serve.__file__).parent / "static"


def desk_command(data_dir: Path, language: str | None = None) -> str:
    """The shell command textual-serve starts per browser tab: this Python, the data
    folder and the language, never a password (it runs through the shell, and a
    command line is visible to every account on the PC)."""
    argv = [sys.executable, "-m", "ward_desk.cli.main", "--data-dir", str(data_dir)]
    if language:
        argv += ["--lang", language]
    argv.append("ui")
    return command_line(argv)


class DeskServer(Server):
    """textual-serve's server with TLS, a session limit and an offline page."""

    def __init__(self, command: str, *, host: str, port: int, ssl_context: Any, fingerprint: str,
                 title: str, max_sessions: int = DEFAULT_MAX_SESSIONS) -> None:
        shown = f"[{host}]" if ":" in host else host
        super().__init__(command, host=host, port=port, title=title, public_url=f"https://{shown}:{port}",
                         statics_path=textual_serve_static(), templates_path=TEMPLATES)
        self.ssl_context = ssl_context
        self.fingerprint = fingerprint
        self.max_sessions = max_sessions
        self.sessions = 0

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.router.add_get("/healthz", self.handle_health)
        return app

    async def handle_health(self, request: web.Request) -> web.Response:
        """Open sessions and the limit, for the office's IT officer and the tests."""
        return web.json_response({"sessions": self.sessions, "max_sessions": self.max_sessions})

    @aiohttp_jinja2.template("index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:  # type: ignore[override]
        """The page: same-origin URLs (whatever name or address the browser used), the
        office's title, the certificate's fingerprint, a notice when the desk is full."""
        font_size = 16
        with contextlib.suppress(ValueError):
            font_size = max(8, min(40, int(request.query.get("fontsize", "16"))))
        return {
            "font_size": font_size,
            "app_websocket_url": f"wss://{request.host}/ws",
            "static_url": "/static/",
            "title": self.title,
            "lang": get_language(),
            "fingerprint": self.fingerprint,
            "guidance": t("serve.page_guidance", fingerprint=self.fingerprint),
            "full": self.sessions >= self.max_sessions,
            "full_text": t("serve.full", max=self.max_sessions),
            "ended_text": t("serve.ended"),
            "restart_text": t("serve.restart"),
            "loading_text": t("serve.loading"),
        }

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One desk process per connection, at most ``max_sessions`` at once."""
        if self.sessions >= self.max_sessions:
            raise web.HTTPServiceUnavailable(text=t("serve.full", max=self.max_sessions))
        self.sessions += 1
        try:
            return await super().handle_websocket(request)
        finally:
            self.sessions -= 1

    async def on_startup(self, app: web.Application) -> None:
        """Say where the desk is served and the fingerprint to check (on the office PC)."""
        self.console.print(t("serve.started", url=self.public_url, max=self.max_sessions), highlight=False, soft_wrap=True)
        self.console.print(t("serve.fingerprint", fingerprint=self.fingerprint), highlight=False, soft_wrap=True)
        self.console.print(t("serve.stop_hint"), highlight=False, soft_wrap=True)

    def serve(self, debug: bool = False) -> None:
        """Run until Ctrl+C (or SIGTERM), over TLS only."""
        import signal

        self.debug = debug
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        for sig in (signal.SIGINT, signal.SIGTERM):
            # Windows has no add_signal_handler: Ctrl+C still raises KeyboardInterrupt there.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.request_exit)
        web.run_app(self._make_app(), host=self.host, port=self.port, ssl_context=self.ssl_context,
                    handle_signals=False, loop=loop, print=lambda *args: None)


def serve(data_dir: Path, *, host: str, port: int, cert: Path | None, key: Path | None,
          max_sessions: int, title: str | None = None, language: str | None = None) -> None:
    """Check the store and the certificate, then serve the desk until stopped."""
    from ward_desk.errors import InvalidInput
    from ward_desk.serve import tls
    from ward_desk.store.database import locate

    locate(Path(data_dir))  # no store here: said now, not in every browser tab
    if not 1 <= max_sessions <= 64:
        raise InvalidInput("serve.bad_max_sessions", value=max_sessions)
    if not 1 <= port <= 65535:
        raise InvalidInput("serve.bad_port", value=port)
    chosen = tls.certificate(Path(data_dir), host, cert, key)
    if chosen.generated:
        print(t("serve.cert_generated", path=str(chosen.cert_path)), flush=True)
    for name in SECRET_ENV:
        os.environ.pop(name, None)  # the desk processes inherit this environment
    server = DeskServer(desk_command(Path(data_dir).resolve(), language), host=host, port=port,
                        ssl_context=tls.ssl_context(chosen.cert_path, chosen.key_path),
                        fingerprint=chosen.fingerprint, title=title or t("serve.title"),
                        max_sessions=max_sessions)
    server.serve()
