"""``district-desk`` sub-commands for running the receiver and for the people who
look after it: ``serve`` (one process or several workers), ``quarantine
list|show|release|discard`` and ``enrol-code``.

:func:`register` is called by :func:`district_desk.cli.build_parser` with
its sub-parsers and the shared option parents; handlers return exit codes
(0 ok, 2 bad input, 3 wrong passphrase, 4 damaged; ``quarantine release``
answers 5 when the batch is still not applicable).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import Any

from district_desk.cli_common import (
    add_replace_options,
    district_data_dir,
    district_password,
    open_district,
    replace_reason,
    say,
)
from sync_agent.errors import BadInput
from ward_desk.errors import EXIT_OK
from ward_desk.i18n import t

EXIT_STILL_QUARANTINED = 5


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (containers)
        return str(os.getuid()) if hasattr(os, "getuid") else ""


def register(sub: Any, common: argparse.ArgumentParser, secret: argparse.ArgumentParser) -> None:
    """Add ``quarantine`` and ``enrol-code`` to the ``district-desk`` parser."""
    p = sub.add_parser("quarantine", help=t("sync.admin.help.quarantine"))
    qsub = p.add_subparsers(dest="quarantine_command", metavar="COMMAND", required=True)
    q = qsub.add_parser("list", parents=[common], help=t("sync.admin.help.q_list"))
    q.add_argument("--all", action="store_true", help=t("sync.admin.help.q_all"))
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_quarantine_list)
    q = qsub.add_parser("show", parents=[common], help=t("sync.admin.help.q_show"))
    q.add_argument("id", type=int)
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_quarantine_show)
    q = qsub.add_parser("release", parents=[common, secret], help=t("sync.admin.help.q_release"))
    q.add_argument("id", type=int)
    q.set_defaults(func=cmd_quarantine_release)
    q = qsub.add_parser("discard", parents=[common], help=t("sync.admin.help.q_discard"))
    q.add_argument("id", type=int)
    q.add_argument("--note", required=True, help=t("sync.admin.help.q_note"))
    q.set_defaults(func=cmd_quarantine_discard)

    p = sub.add_parser("enrol-code", parents=[common], help=t("sync.admin.help.enrol_code"))
    p.add_argument("--office-code", required=True)
    p.add_argument("--hours", type=float, default=24.0, help=t("sync.admin.help.hours"))
    add_replace_options(p)
    p.set_defaults(func=cmd_enrol_code)


# ---------------------------------------------------------------------- serve


def cmd_serve(args: argparse.Namespace) -> int:
    """``district-desk serve``: uvicorn in this process, or ``--workers N``
    processes sharing the port (uvicorn's supervisor, an app factory per worker)."""
    import uvicorn

    from district_desk.receiver import (
        WORKER_ENV,
        ReceiverConfig,
        create_app,
        setup_logging,
        worker_config,
    )
    from sync_agent.envelope import Limits

    if args.workers < 1:
        raise BadInput("sync.admin.bad_workers", workers=args.workers)
    district_password(args)
    store = open_district(args)
    from district_desk.keys import SERVING_KINDS

    # A wrong passphrase stops here, before any worker starts. The escrow recovery key
    # is never unwrapped by the internet-facing process: only ``recover`` uses it.
    keys = store.unlock(kinds=SERVING_KINDS)
    data_dir = district_data_dir(args)
    fingerprint = store.public_keys().fingerprint
    limits = Limits(max_envelope=int(args.max_envelope_mb * 1024 * 1024))
    common: dict[str, Any] = dict(
        host=args.host, port=args.port, log_level="info", server_header=False, timeout_keep_alive=10
    )
    if args.workers == 1:
        setup_logging(data_dir)
        config = ReceiverConfig(
            keys=keys, limits=limits, status_burst=args.status_burst, status_refill_seconds=args.status_refill_seconds,
            accept_protocol_1=getattr(args, "protocol_1", True),
        )
        app = create_app(store, config)
        say("sync.cli.serving", host=args.host, port=args.port, fingerprint=fingerprint)
        sys.stdout.flush()
        uvicorn.run(app, **common)
        store.close()
        return EXIT_OK
    # Workers are fresh interpreters: they get the derived key, not the passphrase,
    # through this process's environment (readable only by its user and root).
    derived = store.derived_key()
    assert derived is not None
    os.environ[WORKER_ENV] = worker_config(
        data_dir=data_dir, db_url=store.url, derived=derived, max_envelope=limits.max_envelope,
        status_burst=args.status_burst, status_refill_seconds=args.status_refill_seconds,
        accept_protocol_1=getattr(args, "protocol_1", True),
    )
    store.close()
    say("sync.admin.serving_workers", host=args.host, port=args.port, workers=args.workers, fingerprint=fingerprint)
    sys.stdout.flush()
    try:
        uvicorn.run("district_desk.receiver:app_from_environment", factory=True, workers=args.workers, **common)
    finally:
        os.environ.pop(WORKER_ENV, None)
    return EXIT_OK


# ----------------------------------------------------------------- quarantine


def _local(dt: Any) -> str:
    if dt is None:
        return ""
    from datetime import timezone
    from zoneinfo import ZoneInfo

    return dt.replace(tzinfo=timezone.utc).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y %H:%M")


def cmd_quarantine_list(args: argparse.Namespace) -> int:
    from district_desk.quarantine import list_quarantined

    store = open_district(args)
    try:
        rows = list_quarantined(include_resolved=args.all)
    finally:
        store.close()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not rows:
        say("sync.admin.q_none")
        return EXIT_OK
    from tabulate import tabulate

    headers = [t(f"sync.admin.q_col.{k}") for k in ("id", "office", "batch", "reason", "received", "state")]
    table = [
        [r["id"], r["office_code"], f'{r["batch_no"]} ({r["batch_id"]})', t(f"sync.admin.q_reason.{r['reason']}"),
         _local_iso(r["received_at"]), t(f"sync.admin.q_state.{r['state']}")]
        for r in rows
    ]
    print(tabulate(table, headers=headers))
    return EXIT_OK


def _local_iso(iso: str | None) -> str:
    if not iso:
        return ""
    from datetime import datetime

    return _local(datetime.fromisoformat(iso.rstrip("Z")))


def cmd_quarantine_show(args: argparse.Namespace) -> int:
    from district_desk.quarantine import describe

    store = open_district(args)
    try:
        info = describe(args.id)
    finally:
        store.close()
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
        return EXIT_OK
    say("sync.admin.q_show_head", id=info["id"], office=info["office_code"], batch=info["batch_no"],
         batch_id=info["batch_id"], state=t(f"sync.admin.q_state.{info['state']}"))
    say("sync.admin.q_show_reason", reason=t(f"sync.admin.q_reason.{info['reason']}"), detail=info["detail"])
    say("sync.admin.q_show_envelope", received=_local_iso(info["received_at"]), size=info["size"],
         first=info["header"].get("first_seq", "?"), last=info["header"].get("last_seq", "?"),
         count=info["header"].get("count", "?"), created=info["header"].get("created_at", "?"))
    held = info.get("held")
    if held:
        say("sync.admin.q_show_held", batch=held["batch_no"], batch_id=held["batch_id"],
             received=_local_iso(held["received_at"]))
    for action in info["actions"]:
        say("sync.admin.q_show_action", at=_local_iso(action["at"]), actor=action["actor"],
             action=action["action"], outcome=action["outcome"], detail=action["detail"])
    return EXIT_OK


def cmd_quarantine_release(args: argparse.Namespace) -> int:
    from district_desk.quarantine import release

    district_password(args)
    store = open_district(args)
    try:
        keys = store.unlock()
        outcome = release(store, keys, args.id, actor=_actor())
    finally:
        store.close()
    if outcome.outcome in ("applied", "duplicate"):
        say(f"sync.admin.released.{outcome.outcome}", id=args.id, batch=outcome.batch_no,
             acked=outcome.acked_seq)
        return EXIT_OK
    say("sync.admin.release_refused", id=args.id, detail=outcome.detail)
    return EXIT_STILL_QUARANTINED


def cmd_quarantine_discard(args: argparse.Namespace) -> int:
    from district_desk.quarantine import discard

    if not args.note.strip():
        raise BadInput("sync.admin.note_required")
    store = open_district(args)
    try:
        discard(args.id, note=args.note.strip(), actor=_actor())
    finally:
        store.close()
    say("sync.admin.discarded", id=args.id)
    return EXIT_OK


# ---------------------------------------------------------------- enrol-code


def cmd_enrol_code(args: argparse.Namespace) -> int:
    from district_desk.enrolment import new_code
    from district_desk.store import check_office_code

    code = check_office_code(args.office_code)
    if not 0 < args.hours <= 24 * 14:
        raise BadInput("sync.admin.bad_hours", hours=args.hours)
    reason = replace_reason(args)
    store = open_district(args)
    try:
        issued = new_code(code, hours=args.hours, replace_reason=reason)
        fingerprint = store.public_keys().fingerprint
    finally:
        store.close()
    say("sync.admin.enrol_code", office=code, code=issued.code, expires=_local(issued.expires_at))
    say("sync.admin.enrol_code_ward", code=issued.code)
    say("sync.cli.fingerprint", fingerprint=fingerprint)
    return EXIT_OK
