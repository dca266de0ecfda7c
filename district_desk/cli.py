"""``district-desk``: the district's command line.

Thin: parse arguments, call the district store / receiver, print catalogue
messages. Exit codes: 0 ok, 2 bad input, 3 locked or wrong passphrase,
4 damaged. No traceback reaches a user unless ``--debug`` is given.

The district passphrase (it unlocks the district's private keys) comes from
``--password-file FILE`` (first line), else ``DISTRICT_DESK_PASSWORD``, else a
prompt when a terminal is attached.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from district_desk.cli_common import (
    add_replace_options,
    district_data_dir,
    district_password,
    normal_fingerprint,
    open_district,
    replace_reason,
    say,
)
from sync_agent.errors import BadInput, Damaged
from ward_desk.errors import EXIT_BAD_INPUT, EXIT_OK, WardDeskError
from ward_desk.i18n import set_language, t

DEFAULT_PORT = 8470
ENVELOPE_SUFFIX = ".wdu"


# ------------------------------------------------------------------- commands


def cmd_init(args: argparse.Namespace) -> int:
    from district_desk.backends import redact_url
    from district_desk.store import DistrictStore

    data_dir = district_data_dir(args)
    store = DistrictStore.create(data_dir, args.name, district_password(args, confirm=True), args.db)
    try:
        say("sync.cli.init_done", name=args.name, path=str(data_dir), db=redact_url(store.url))
        say("sync.cli.fingerprint", fingerprint=store.public_keys().fingerprint)
    finally:
        store.close()
    return EXIT_OK


def cmd_key(args: argparse.Namespace) -> int:
    store = open_district(args)
    try:
        keys = store.public_keys()
    finally:
        store.close()
    out = Path(args.out)
    try:
        out.write_text(keys.to_json(), encoding="utf-8")
    except OSError as exc:
        raise BadInput("sync.cli.cannot_write", path=str(out), detail=exc.strerror or str(exc)) from exc
    say("sync.cli.key_written", path=str(out), fingerprint=keys.fingerprint)
    return EXIT_OK


def cmd_enrol(args: argparse.Namespace) -> int:
    from district_desk.store import check_office_code
    from sync_agent.keyfiles import WardPublicKey

    code = check_office_code(args.office_code)
    ward_key = WardPublicKey.read(Path(args.ward_key))
    # The fingerprint read out by the ward over the phone is the only defence against
    # a swapped file: checked before anything is recorded, and never optional.
    if normal_fingerprint(args.fingerprint) != ward_key.fingerprint:
        raise BadInput("sync.enrol.fingerprint_mismatch", given=args.fingerprint)
    reason = replace_reason(args)
    store = open_district(args)
    try:
        store.enrol(ward_key, code, replace_reason=reason)
    finally:
        store.close()
    say("sync.cli.enrolled", office=code, name=ward_key.office_name, fingerprint=ward_key.fingerprint)
    return EXIT_OK


def cmd_revoke(args: argparse.Namespace) -> int:
    """Revoke a commune's key, after naming it: ``--yes``, or its office code typed back."""
    from district_desk import audit
    from district_desk.models import Ward

    store = open_district(args)
    try:
        ward = Ward.get_or_none(Ward.office_code == args.office_code)
        if ward is None:
            raise BadInput("sync.ward.unknown", office=args.office_code)
        if ward.revoked_at is not None:
            say("district.revoke.already", office=ward.office_code, ward=ward.name)
            return EXIT_OK
        say("district.revoke.naming", office=ward.office_code, ward=ward.name, fingerprint=ward.fingerprint[:16])
        if not args.yes:
            confirm_by_typing(ward.office_code)
        with store.db.atomic():
            store.revoke(ward.office_code)
            audit.record("revoke", office_code=ward.office_code, subject=ward.name,
                         detail=f"fingerprint {ward.fingerprint}")
    finally:
        store.close()
    say("sync.cli.revoked", office=args.office_code)
    return EXIT_OK


def confirm_by_typing(office_code: str) -> None:
    """Ask for the commune's office code to be typed back; refuse without a terminal
    (a script says ``--yes``) or when what is typed differs. Nothing is changed then."""
    if not sys.stdin.isatty():
        raise BadInput("district.revoke.needs_yes", office=office_code)
    try:
        typed = input(t("district.revoke.type_code", None, office=office_code))
    except EOFError:
        typed = ""
    if typed.strip() != office_code:
        raise BadInput("district.revoke.not_confirmed", office=office_code)


def cmd_serve(args: argparse.Namespace) -> int:
    from district_desk.admin_cli import cmd_serve as serve

    return serve(args)


def _envelope_files(paths: Sequence[str]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob(f"*{ENVELOPE_SUFFIX}") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise BadInput("sync.cli.no_such_file", path=name)
    return files


def cmd_import(args: argparse.Namespace) -> int:
    """Apply envelopes carried on a USB stick (files or directories of ``*.wdu``)."""
    from district_desk.ingest import Rejected, ingest

    files = _envelope_files(args.files)
    password = district_password(args)
    store = open_district(args)
    counts = {"applied": 0, "duplicate": 0, "heartbeat": 0, "quarantined": 0, "rejected": 0}
    last = None
    try:
        keys = store.unlock(password)
        # Batch numbers are zero-padded in exported names, so name order is chain order.
        for path in files:
            try:
                blob = path.read_bytes()
            except OSError as exc:
                raise BadInput("sync.cli.no_such_file", path=str(path)) from exc
            try:
                result = ingest(store, blob, keys, via="file", remote=f"file:{path.name}")
            except Rejected as exc:
                counts["rejected"] += 1
                say("sync.cli.import_rejected", path=str(path), reason=t(f"sync.reject.{exc.code}", None, detail=exc.detail))
                continue
            counts[result.status] += 1
            if result.status == "quarantined":
                say("sync.cli.import_quarantined", path=str(path), detail=result.detail)
            last = result.ack
        say("sync.cli.import_done", **counts)
        if last is not None:
            say("sync.cli.ack", office=last.office_code, seq=last.acked_seq, batch=last.acked_batch_no)
            if last.missing_batches:
                say("sync.cli.missing", office=last.office_code, batches=", ".join(map(str, last.missing_batches)))
    finally:
        store.close()
    return EXIT_OK if counts["rejected"] == 0 and counts["quarantined"] == 0 else 4


def cmd_publish(args: argparse.Namespace) -> int:
    """Sign a reference-data document (JSON file) for wards."""
    try:
        body = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInput("sync.cli.bad_json", path=args.file, detail=str(exc)) from exc
    if args.kind == "calendar" and isinstance(body, dict) and "notice" in body:
        from ward_desk.domain.notices import parse_year_notice

        parse_year_notice(body["notice"])  # a notice wards would refuse is never signed
    password = district_password(args)
    store = open_district(args)
    try:
        keys = store.unlock(password)
        doc = store.publish(keys, kind=args.kind, version=args.version, body=body, audience=args.office or "*")
    finally:
        store.close()
    say("sync.cli.published", doc_id=doc.doc_id)
    return EXIT_OK


def _recovery_password(args: argparse.Namespace, option: str = "recovery_password_file") -> str | None:
    """The recovery key's own passphrase (``--recovery-password-file``), if given."""
    path = getattr(args, option, None)
    if not path:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput("sync.cli.password_file_unreadable", path=path) from exc
    return text.splitlines()[0] if text else ""


def cmd_protect_recovery(args: argparse.Namespace) -> int:
    """Give the escrow recovery key its own passphrase, kept offline: afterwards only
    ``recover --recovery-password-file`` opens it."""
    new = _recovery_password(args)
    if not new or len(new) < 12:
        raise BadInput("sync.district.recovery_password_short")
    password = district_password(args)
    store = open_district(args)
    try:
        store.protect_recovery(new, password, current=_recovery_password(args, "current_recovery_password_file"))
    finally:
        store.close()
    say("sync.district.recovery_protected")
    return EXIT_OK


def cmd_passphrase(args: argparse.Namespace) -> int:
    """Change the district passphrase (the private keys and, for SQLite, the store key)."""
    new = _recovery_password(args, "new_password_file")
    if not new or len(new) < 12:
        raise BadInput("sync.district.passphrase_short")
    password = district_password(args)
    store = open_district(args)
    try:
        store.change_passphrase(new, password)
    finally:
        store.close()
    say("sync.district.passphrase_changed")
    return EXIT_OK


def _new_ward_password(args: argparse.Namespace) -> str:
    if args.new_password_file:
        try:
            text = Path(args.new_password_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise BadInput("sync.cli.password_file_unreadable", path=args.new_password_file) from exc
        return text.splitlines()[0] if text else ""
    if os.environ.get("WARD_DESK_NEW_PASSWORD"):
        return os.environ["WARD_DESK_NEW_PASSWORD"]
    if not sys.stdin.isatty():
        raise BadInput("sync.recover.password_required")
    password = getpass.getpass(t("sync.recover.password_prompt"))
    if getpass.getpass(t("sync.cli.password_again")) != password:
        raise BadInput("sync.cli.password_mismatch")
    return password


def cmd_recover(args: argparse.Namespace) -> int:
    """Open a ward store whose every password and recovery sheet are lost: unwrap
    its escrowed database key with the district recovery key and give one of its
    users a new password. The district never reads the ward's data."""
    import base64

    from sync_agent.envelope import unwrap_key
    from ward_desk.domain.validation import validate_password
    from ward_desk.store.escrow import EscrowedStore

    ward = EscrowedStore.load(Path(args.store))
    if ward.wrapped_key is None:
        raise BadInput("sync.recover.no_escrow", path=str(ward.keys_path))
    new_password = _new_ward_password(args)
    validate_password(new_password)
    password = district_password(args)
    store = open_district(args)
    try:
        from district_desk.keys import KEY_KINDS

        district_keys = store.unlock(password, kinds=KEY_KINDS, recovery_password=_recovery_password(args))
    finally:
        store.close()
    try:
        blob = base64.b64decode(ward.wrapped_key, validate=True)
    except ValueError as exc:
        raise Damaged("sync.envelope.escrow_failed") from exc
    assert district_keys.recovery is not None  # recover unlocks all three
    db_key = unwrap_key(district_keys.recovery, blob, ward.aad)
    if not ward.has_user(args.user, db_key):
        raise BadInput("sync.recover.no_such_user", user=args.user)
    ward.set_password(args.user, new_password, db_key)
    say("sync.recover.done", user=args.user, path=str(ward.keys_path.parent))
    return EXIT_OK


# --------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", help=t("sync.cli.help.data_dir"))
    # DATABASE_URL, as most services are told where their database is.
    common.add_argument("--db", default=os.environ.get("DATABASE_URL") or None, help=t("sync.cli.help.db"))
    common.add_argument("--debug", action="store_true", help=t("sync.cli.help.debug"))
    common.add_argument("--lang", choices=["vi", "en"], help=t("sync.cli.help.lang"))
    secret = argparse.ArgumentParser(add_help=False)
    secret.add_argument("--password-file", default=os.environ.get("DISTRICT_DESK_PASSWORD_FILE") or None,
                        help=t("sync.cli.help.password_file"))

    # The common options sit on each subcommand (argparse would let a subcommand's
    # defaults overwrite the same options given before it).
    parser = argparse.ArgumentParser(prog="district-desk", description=t("sync.cli.description"))
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", parents=[common, secret], help=t("sync.cli.help.init"))
    p.add_argument("--name", required=True)
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("key", parents=[common], help=t("sync.cli.help.key"))
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_key)

    p = sub.add_parser("enrol", parents=[common], help=t("sync.cli.help.enrol"))
    p.add_argument("--office-code", required=True)
    p.add_argument("--ward-key", required=True)
    p.add_argument("--fingerprint", required=True, help=t("sync.enrol.help.fingerprint"))
    add_replace_options(p)
    p.set_defaults(func=cmd_enrol)

    p = sub.add_parser("revoke", parents=[common], help=t("sync.cli.help.revoke"))
    p.add_argument("--office-code", required=True)
    p.add_argument("--yes", action="store_true", help=t("district.help.yes"))
    p.set_defaults(func=cmd_revoke)

    p = sub.add_parser("serve", parents=[common, secret], help=t("sync.cli.help.serve"))
    from district_desk.service import LOG_FORMATS, env_default

    # Each option's default is its environment variable's value (district_desk.service.SERVE_ENV).
    p.add_argument("--host", default=env_default("host", "127.0.0.1"))
    p.add_argument("--port", type=int, default=env_default("port", DEFAULT_PORT))
    p.add_argument("--max-envelope-mb", type=float, default=env_default("max_envelope_mb", 8.0))
    p.add_argument("--status-burst", type=int, default=env_default("status_burst", 5))
    p.add_argument("--status-refill-seconds", type=float, default=env_default("status_refill_seconds", 10.0))
    p.add_argument("--workers", type=int, default=env_default("workers", 1), help=t("sync.cli.help.workers"))
    p.add_argument("--forwarded-allow-ips", default=env_default("forwarded_allow_ips", ""), metavar="IPS",
                   help=t("district.ops.help.forwarded_allow_ips"))
    p.add_argument("--ssl-certfile", default=env_default("ssl_certfile", None), metavar="FILE",
                   help=t("district.ops.help.ssl_certfile"))
    p.add_argument("--ssl-keyfile", default=env_default("ssl_keyfile", None), metavar="FILE",
                   help=t("district.ops.help.ssl_keyfile"))
    p.add_argument("--log-format", choices=LOG_FORMATS, default=env_default("log_format", "text"),
                   help=t("district.ops.help.log_format"))
    p.add_argument("--no-protocol-1", dest="protocol_1", action="store_false", help=t("sync.cli.help.no_protocol_1"))
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("import", parents=[common, secret], help=t("sync.cli.help.import"))
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_import)

    from district_desk import view_cli

    view_cli.register(sub, common, secret, district_password)  # report, rank, review, ui

    p = sub.add_parser("publish", parents=[common, secret], help=t("sync.cli.help.publish"))
    p.add_argument("--kind", required=True, choices=["procedures", "criteria_set", "calendar", "review"])
    p.add_argument("--version", required=True)
    p.add_argument("--office", help=t("sync.cli.help.office"))
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("recover", parents=[common, secret], help=t("sync.cli.help.recover"))
    p.add_argument("--store", required=True, help=t("sync.cli.help.store"))
    p.add_argument("--user", required=True, help=t("sync.cli.help.user"))
    p.add_argument("--new-password-file", default=None, help=t("sync.cli.help.new_password_file"))
    p.add_argument("--recovery-password-file", default=None, help=t("sync.district.help.recovery_password"))
    p.set_defaults(func=cmd_recover)

    p = sub.add_parser("passphrase", parents=[common, secret], help=t("sync.district.help.passphrase"))
    p.add_argument("--new-password-file", required=True, help=t("sync.district.help.new_passphrase"))
    p.set_defaults(func=cmd_passphrase)

    p = sub.add_parser("protect-recovery", parents=[common, secret], help=t("sync.district.help.protect_recovery"))
    p.add_argument("--recovery-password-file", required=True, help=t("sync.district.help.recovery_password"))
    p.add_argument("--current-recovery-password-file", default=None, help=t("sync.district.help.recovery_password"))
    p.set_defaults(func=cmd_protect_recovery)

    from district_desk.admin_cli import register as register_admin  # quarantine, enrol-code

    register_admin(sub, common, secret)
    from district_desk.backup import register as register_backup  # backup, restore

    register_backup(sub, common, secret)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``district-desk``; returns the exit code."""
    lang = os.environ.get("WARD_DESK_LANG")
    if lang in ("vi", "en"):
        set_language(lang)
    from ward_desk.i18n import argparse_words

    argparse_words.install()  # "usage:", "error:" ... in the user's language
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "lang", None):
        set_language(args.lang)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except WardDeskError as exc:
        if getattr(args, "debug", False):
            traceback.print_exc()
        print(t("sync.cli.error", None, message=str(exc)), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug or an environment problem: one plain line, details with --debug
        if getattr(args, "debug", False):
            traceback.print_exc()
        print(t("sync.cli.unexpected", None, kind=type(exc).__name__, detail=str(exc)), file=sys.stderr)
        return Damaged.exit_code if isinstance(exc, OSError) else EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
