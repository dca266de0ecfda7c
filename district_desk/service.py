"""Running the receiver as a service: configuration from the environment, logs.

Every ``serve`` option can also come from the environment (systemd's
``EnvironmentFile=``, a container's ``-e``), a flag winning over its variable;
:data:`SERVE_ENV` lists them. ``DATABASE_URL`` names the database for every
command, as ``--db`` does. Secrets are never options: the passphrase comes
from ``--password-file`` / ``DISTRICT_DESK_PASSWORD_FILE`` (a file only its
owner reads, or systemd's credentials) or ``DISTRICT_DESK_PASSWORD``.

Logs go to stdout, one line each (plain text, or one JSON object a line with
``--log-format json``), for the service manager to keep and rotate: no
process writes or rotates a log file, so any number of workers can run.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import datetime, timezone
from typing import Any

DATABASE_URL_ENV = "DATABASE_URL"
LOG_FORMAT_ENV = "DISTRICT_DESK_LOG_FORMAT"
LOG_FORMATS = ("text", "json")

#: ``serve`` options and the variables that give them when the flag is absent.
SERVE_ENV = {
    "host": "DISTRICT_DESK_HOST",
    "port": "DISTRICT_DESK_PORT",
    "workers": "DISTRICT_DESK_WORKERS",
    "forwarded_allow_ips": "DISTRICT_DESK_FORWARDED_ALLOW_IPS",
    "ssl_certfile": "DISTRICT_DESK_SSL_CERTFILE",
    "ssl_keyfile": "DISTRICT_DESK_SSL_KEYFILE",
    "log_format": LOG_FORMAT_ENV,
    "status_burst": "DISTRICT_DESK_STATUS_BURST",
    "status_refill_seconds": "DISTRICT_DESK_STATUS_REFILL_SECONDS",
    "max_envelope_mb": "DISTRICT_DESK_MAX_ENVELOPE_MB",
}
PASSWORD_FILE_ENV = "DISTRICT_DESK_PASSWORD_FILE"


def env_default(option: str, fallback: Any) -> Any:
    """The default of ``serve``'s ``option``: its environment variable, else ``fallback``
    (argparse converts a string default with the option's type, so a bad value is
    refused with the option's own message)."""
    value = os.environ.get(SERVE_ENV[option], "").strip()
    return value if value else fallback


class JsonLines(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, process."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def log_format() -> str:
    """``text`` or ``json`` (``DISTRICT_DESK_LOG_FORMAT``; text when unset or unknown)."""
    value = os.environ.get(LOG_FORMAT_ENV, "text").strip().lower()
    return value if value in LOG_FORMATS else "text"


def setup_logging(fmt: str | None = None) -> None:
    """Send the receiver's and uvicorn's logs to stdout in ``fmt`` (default: the
    environment's). Idempotent: a second call replaces the handler."""
    fmt = fmt or log_format()
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLines() if fmt == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"))
    handler._district_desk = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_district_desk", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # uvicorn's own handlers are not installed (log_config=None): its records come here.
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
