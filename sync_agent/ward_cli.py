"""``ward-desk sync ...``: the ward side of enrolment, upload, status and USB export.

``ward_desk.cli.main`` calls :func:`register` with its subparsers, its ``add``
helper (which gives every command the common options: ``--data-dir``,
``--user``, ``--password-file``, ``--lang``, ``--debug``) and its session
wrapper, so this module never imports the ward CLI back. Handlers take the
parsed arguments and return an exit code: 0 done; 1 not finished (network
down or district busy: try again later); 2 refused or bad input; 3 wrong
password; 4 damaged.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sync_agent.errors import BadInput
from ward_desk.i18n import t

EXIT_RETRY_LATER = 1
OFFICE_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


SessionHandler = Callable[[argparse.Namespace, Any], int]


def register(
    sub: Any,
    add: Callable[..., argparse.ArgumentParser],
    with_session: Callable[[SessionHandler], Callable[[argparse.Namespace], int]],
) -> None:
    """Add ``sync`` and its subcommands to the ``ward-desk`` parser; ``with_session``
    turns an ``(args, session)`` handler into one that opens the store first."""
    sync = sub.add_parser("sync", help=t("sync.ward.help.sync"), description=t("sync.ward.help.sync"))
    ssub = sync.add_subparsers(dest="sync_command", metavar="COMMAND", required=True)

    p = add("run", with_session(cmd_run), t("sync.ward.help.run"), parent=ssub)
    p.add_argument("--url", default=None, help=t("sync.ward.help.url"))
    p.add_argument("--json", action="store_true")

    p = add("daemon", with_session(cmd_daemon), t("sync.ward.help.daemon"), parent=ssub)
    p.add_argument("--url", default=None, help=t("sync.ward.help.url"))
    p.add_argument("--interval", type=float, default=300.0, help=t("sync.ward.help.interval"))

    p = add("status", with_session(cmd_status), t("sync.ward.help.status"), parent=ssub)
    p.add_argument("--json", action="store_true")

    p = add("key", with_session(cmd_key), t("sync.ward.help.key"), parent=ssub)
    p.add_argument("--out", required=True)

    p = add("enrol", with_session(cmd_enrol), t("sync.ward.help.enrol"), parent=ssub)
    p.add_argument("--district-url", required=True)
    p.add_argument("--district-key", default=None, help="district.pub")
    p.add_argument("--code", default=None, help=t("sync.ward.help.code"))
    p.add_argument("--fingerprint", default=None, help=t("sync.ward.help.fingerprint"))
    p.add_argument("--insecure-plain-http-lab-only", dest="plain_http_lab", action="store_true",
                   help=t("sync.ward.help.plain_http_lab"))

    p = add("resolve-restore", with_session(cmd_resolve_restore), t("sync.ward.help.resolve_restore"), parent=ssub)
    p.add_argument("--url", default=None, help=t("sync.ward.help.url"))

    p = add("export", with_session(cmd_export), t("sync.ward.help.export"), parent=ssub)
    p.add_argument("--to", required=True, help=t("sync.ward.help.to"))


# ------------------------------------------------------------------- handlers


def _local(iso: str | None) -> str:
    if not iso:
        return t("sync.report.never")
    dt = datetime.fromisoformat(iso.rstrip("Z")).replace(tzinfo=timezone.utc)
    return dt.astimezone(OFFICE_TZ).strftime("%d/%m/%Y %H:%M")


def _print_report(report: Any, as_json: bool) -> int:
    if as_json:
        print(json.dumps({
            "ok": report.ok,
            "batches_sent": report.batches_sent,
            "records_sent": report.records_sent,
            "acked_seq": report.acked_seq,
            "pending": report.pending,
            "error": report.error.render() if report.error else None,
            "error_id": report.error.message_id if report.error else None,
            "documents_applied": report.documents_applied,
        }, ensure_ascii=False))
    else:
        print(t("sync.ward.run_summary", batches=report.batches_sent, records=report.records_sent,
                acked=report.acked_seq, pending=report.pending))
        if report.documents_applied:
            print(t("sync.ward.documents_applied", count=len(report.documents_applied)))
        if report.error:
            print(t("sync.ward.last_error", error=report.error.render()))
    if report.ok:
        return 0
    return EXIT_RETRY_LATER if report.error.transient else 2


def cmd_run(args: argparse.Namespace, session: Any) -> int:
    """Upload everything pending once."""
    from sync_agent.agent import AgentConfig, SyncAgent

    agent = SyncAgent(session.store.data_dir, AgentConfig(url=args.url or ""))
    try:
        report = agent.run_once(session=session)
    finally:
        agent.close()
    return _print_report(report, args.json)


def cmd_daemon(args: argparse.Namespace, session: Any) -> int:
    """Run again and again. Sleeps between runs (never polls), backs off longer
    after failures, and the next run starts only when the last one ended."""
    import random

    from sync_agent.agent import AgentConfig, SyncAgent

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    agent = SyncAgent(session.store.data_dir, AgentConfig(url=args.url or "", max_attempts=3), cancel=stop)
    failures = 0
    interval = max(5.0, args.interval)
    try:
        while not stop.is_set():
            _purge_slips(session.store.data_dir)
            report = agent.run_once(session=session)
            _print_report(report, False)
            failures = 0 if report.ok else failures + 1
            wait = min(3600.0, interval * (2 ** min(failures, 4)))
            stop.wait(random.uniform(wait * 0.8, wait))
    finally:
        agent.close()
    return 0


def _purge_slips(data_dir: Path) -> None:
    """The daemon runs for weeks on a PC nobody opens the desk on: it applies the
    office's retention of printed slips (plaintext personal data) on every run too."""
    import contextlib

    from ward_desk.slips.output import purge_slips

    with contextlib.suppress(Exception):  # a slip that cannot go now goes next run
        purge_slips(data_dir)


def cmd_status(args: argparse.Namespace, session: Any) -> int:
    """The sync status line: last success, pending, last error in plain words."""
    from ward_desk.services.outbox import sync_status

    data = sync_status(session.clock())
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
        return 0
    if not data["enrolled"]:
        print(t("sync.agent.not_enrolled"))
        return 0
    print(t("sync.ward.status_line", url=data["district_url"], success=_local(data["last_success"]),
            pending=data["pending"], acked=data["acked_seq"]))
    if data["last_error"]:
        print(t("sync.ward.last_error", error=data["last_error"]))
    downlink = data["downlink"]
    if downlink["stale"]:
        # Protocol 2: without a fresh signed index the ward may be fed old reference data.
        print(t("sync.index.stale", until=_local(downlink["fresh_until"]),
                problem=t(f"sync.index.{downlink['problem']}") if downlink["problem"] in INDEX_PROBLEMS
                else (downlink["problem"] or "-")))
    return 0


INDEX_PROBLEMS = ("unsigned", "bad_signature", "malformed", "wrong_office", "replayed", "expired")


def cmd_resolve_restore(args: argparse.Namespace, session: Any) -> int:
    """After a restore from an older backup (the district's signed ack is ahead of
    this store): renumber the changes not yet sent to follow the district's
    position, so no sequence number is used twice and nothing made since is lost."""
    from sync_agent.agent import AgentConfig, SyncAgent, SyncFailed

    session.require_role("admin")
    agent = SyncAgent(session.store.data_dir, AgentConfig(url=args.url or ""))
    try:
        moved = agent.resolve_restore()
    except SyncFailed as exc:
        raise BadInput(exc.error.message_id, **exc.error.params) from exc
    finally:
        agent.close()
    print(t("sync.ward.resolved_restore", moved=moved))
    return 0


def cmd_key(args: argparse.Namespace, session: Any) -> int:
    """Write ``ward.pub`` for the district."""
    from sync_agent.enrolment import ward_public_key

    key = ward_public_key(session.office)
    out = Path(args.out)
    try:
        out.write_text(key.to_json(), encoding="utf-8")
    except OSError as exc:
        raise BadInput("sync.cli.cannot_write", path=str(out), detail=exc.strerror or str(exc)) from exc
    print(t("sync.ward.key_written", path=str(out), fingerprint=key.fingerprint))
    return 0


def _normal_fingerprint(text: str) -> str:
    digits = "".join(ch for ch in text.lower() if ch in "0123456789abcdef")
    return "-".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def cmd_enrol(args: argparse.Namespace, session: Any) -> int:
    """Record the district's keys and URL, and escrow the store key to the district."""
    from sync_agent.enrolment import normal_district_url, record_district
    from sync_agent.keyfiles import DistrictPublicKeys

    session.require_role("admin")
    lab = bool(getattr(args, "plain_http_lab", False))
    url = normal_district_url(args.district_url, allow_plain_http=lab)
    if bool(getattr(args, "code", None)) == bool(args.district_key):
        raise BadInput("sync.ward.key_or_code")
    if getattr(args, "code", None):
        keys = _district_keys_by_code(session, url, args.code)
    else:
        keys = DistrictPublicKeys.read(Path(args.district_key))
    # With a key file the fingerprint read out by the district over the phone is the
    # only defence against a swapped file: required, and checked before anything is
    # recorded or escrowed (a code's proof does that job when enrolling by code).
    if not getattr(args, "code", None) and not args.fingerprint:
        raise BadInput("sync.ward.fingerprint_required")
    if args.fingerprint and _normal_fingerprint(args.fingerprint) != keys.fingerprint:
        raise BadInput("sync.ward.fingerprint_mismatch", given=args.fingerprint, actual=keys.fingerprint)
    record_district(session, url, keys, allow_plain_http=lab)
    print(t("sync.ward.enrolled", name=keys.name, url=url, fingerprint=keys.fingerprint))
    return 0


def _district_keys_by_code(session: Any, url: str, code: str) -> Any:
    """Enrol at the district with a one-time code; the district key it proves."""
    from sync_agent.agent import SyncFailed, enrol_with_code
    from sync_agent.enrolment import ward_public_key

    ward_doc = ward_public_key(session.office).to_json()
    try:
        return enrol_with_code(url, session.office.code, code, ward_doc)
    except SyncFailed as exc:
        raise BadInput(exc.error.message_id, **exc.error.params) from exc


def cmd_export(args: argparse.Namespace, session: Any) -> int:
    """Write every pending batch to a folder (a USB stick) for ``district-desk import``."""
    from sync_agent.agent import SyncAgent, SyncFailed

    agent = SyncAgent(session.store.data_dir)
    try:
        files = agent.export(Path(args.to))
    except SyncFailed as exc:
        raise BadInput(exc.error.message_id, **exc.error.params) from exc
    except OSError as exc:
        from ward_desk.store.space import MIB, is_disk_errno, os_error

        if is_disk_errno(exc):  # a full stick is a full disk (exit 5), with what it needs
            raise os_error(exc, Path(args.to), needed=MIB) from exc
        raise BadInput("sync.cli.cannot_write", path=str(args.to), detail=exc.strerror or str(exc)) from exc
    if files:
        print(t("sync.ward.exported", count=len(files), path=str(files[0].parent)))
    else:
        print(t("sync.ward.nothing_to_export"))
    return 0
