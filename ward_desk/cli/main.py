"""``ward-desk``: the command line. Thin: parse, call a service, print.

Exit codes: 0 ok, 2 bad input, 3 locked / wrong password, 4 damaged store, 5 the disk
(full, read-only or failing: nothing changed), 6 another process has the store open (a restore
or an upgrade refused, naming who).
No traceback reaches a user unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ward_desk.cli.session import Handler, default_data_dir, with_session
from ward_desk.errors import EXIT_BAD_INPUT, WardDeskError
from ward_desk.i18n import set_language, t


def _report_commands(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    from ward_desk.reports import cli as report_cli

    report_cli.register(sub, add, with_session)


def _sync_commands(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    from sync_agent import ward_cli
    from ward_desk.cli.progress import progress_bar

    ward_cli.register(sub, add, with_session, progress_bar=progress_bar)


# Sub-commands contributed by the ward's other packages, registered explicitly
# (they get the session wrapper from here, so they never import this CLI back);
# each is imported only when named, or for --help: importing them all would add
# a quarter second to every command.
OPTIONAL_COMMANDS: dict[str, Callable[[Any, Callable[..., argparse.ArgumentParser]], None]] = {
    "report": _report_commands,
    "assess": _report_commands,
    "sync": _sync_commands,
}


# --- parser ------------------------------------------------------------------------


def _common(p: argparse.ArgumentParser, top: bool = False) -> None:
    """The options every command takes, before or after its name. Only the top
    parser sets defaults: a sub-command's default would overwrite the value given
    before the command name (``ward-desk --data-dir X stats`` would ignore X)."""
    default = None if top else argparse.SUPPRESS
    p.add_argument("--data-dir", type=Path, default=default, help="store folder (env WARD_DESK_DATA_DIR)")
    p.add_argument("--user", default=default, help="user name (default: the only user)")
    p.add_argument("--password-file", default=default, help="read the password from this file")
    p.add_argument("--lang", choices=("vi", "en"), default=default, help="language of messages")
    p.add_argument("--counter", default=default,
                   help="the counter (quầy) this session serves at, recorded on its events and printed on "
                        "receipts (env WARD_DESK_COUNTER; default: counter in config.toml)")
    p.add_argument("--debug", action="store_true", default=False if top else argparse.SUPPRESS,
                   help="show tracebacks")


def build_parser(wanted: str | None = None) -> argparse.ArgumentParser:
    """The full parser; ``wanted`` (the sub-command named on the command line) limits
    which optional packages are imported: None imports them all, for help."""
    from ward_desk import __version__
    from ward_desk.cli import commands

    parser = argparse.ArgumentParser(prog="ward-desk", description="Ward Desk — Bộ phận một cửa")
    parser.add_argument("--version", action="version", version=f"ward-desk {__version__}")
    _common(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, handler: Handler, help_text: str, parent=sub) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=help_text, description=help_text)
        _common(p)
        p.set_defaults(handler=handler)
        return p

    p = add("init", commands.init, "create a new ward store")
    p.add_argument("--office-code", required=True)
    p.add_argument("--office-name", required=True)
    p.add_argument("--admin", required=True, help="the administrator's user name")
    p.add_argument("--admin-name", default=None, help="the administrator's full name")
    p.add_argument("--agency-id", default=None, help="prefix of dossier codes (default: office code)")
    p.add_argument("--centre-name", default=None,
                   help='issuer of the forms (default: "Trung tâm Phục vụ hành chính công" + the office name)')
    p.add_argument("--authority-name", default=None, help='its parent authority (default: "UBND" + the office name)')
    p.add_argument("--province", default=None, help='printed above the authority, e.g. "tỉnh Lâm Đồng"')

    p = add("serve", commands.serve, "serve the desk to the other counters' browsers over TLS (LAN)")
    p.add_argument("--host", default="127.0.0.1",
                   help="the address to listen on: this PC's LAN address (default 127.0.0.1: this PC only)")
    p.add_argument("--port", type=int, default=8443)
    p.add_argument("--cert", type=Path, default=None, help="a PEM certificate (e.g. the province's)")
    p.add_argument("--key", type=Path, default=None, help="the PEM key of --cert")
    p.add_argument("--max-sessions", type=int, default=8, help="desk sessions open at once (default 8)")
    p.add_argument("--title", default=None, help="the page's title (default: Ward Desk and the desk's name)")

    p = add("demo", commands.demo, "create a demo ward with two years of dossiers and open it")
    p.add_argument("--no-ui", action="store_true", help="build the demo and print where it is, without the app")
    p.add_argument("--force", action="store_true", help="rebuild even if a demo store exists there")
    p.add_argument("--as-of", default=None, metavar="DD/MM/YYYY [HH:MM]",
                   help="end the demo's history at this office time instead of now (training, tests)")
    p.add_argument("--seed", type=int, default=1, help="the same seed and --as-of give the same ward")
    p.add_argument("--years", type=float, default=2.0, help="years of history (default 2)")

    add("ui", commands.ui, "open the desk app (the default)")

    p = add("intake", commands.intake, "receive a dossier")
    p.add_argument("--procedure", required=True)
    p.add_argument("--applicant-name", required=True)
    p.add_argument("--id-number", default="")
    p.add_argument("--phone", default="")
    p.add_argument("--address", default="")
    p.add_argument("--channel", default="direct", choices=("direct", "online", "postal"))
    p.add_argument("--json", action="store_true")

    dossier = sub.add_parser("dossier", help="show or move a dossier")
    dsub = dossier.add_subparsers(dest="dossier_command", metavar="ACTION", required=True)
    p = add("show", commands.dossier_show, "show a dossier and its history", dsub)
    p.add_argument("code")
    p.add_argument("--json", action="store_true")
    p = add("move", commands.dossier_move, "move a dossier to another state", dsub)
    p.add_argument("code")
    p.add_argument("--to", required=True, help="target state, e.g. in_progress, result_ready, returned")
    p.add_argument("--reason", default=None)
    p.add_argument("--legal-basis", default=None)
    p.add_argument("--officer", default=None)
    p.add_argument("--rating", default=None, choices=("very_satisfied", "satisfied", "neutral", "unsatisfied"))
    p.add_argument("--item", action="append", default=None, metavar="TEXT",
                   help="supplement request: one thing the citizen must bring (repeat for each; form 02)")
    p = add("slip", commands.dossier_slip, "write one of the dossier's forms (01-06) under <data dir>/slips", dsub)
    p.add_argument("code")
    p.add_argument("--kind", required=True,
                   choices=("receipt", "supplement", "refusal", "apology", "stop", "control"),
                   help="01 receipt, 02 supplement, 03 refusal, 04 apology, 05 stop, 06 control sheet")
    p.add_argument("--format", choices=("pdf", "docx"), default="pdf")
    p = add("apology", commands.dossier_apology, "issue the apology slip with a new appointment", dsub)
    p.add_argument("code")
    p.add_argument("--new-date", required=True, help="dd/mm/yyyy [HH:MM]")
    p.add_argument("--reason", required=True)
    p = add("late", commands.dossier_late, "declare that the result will not be ready in time", dsub)
    p.add_argument("code")
    p.add_argument("--reason", required=True)

    p = add("search", commands.search, "find dossiers by name, ID, phone or code (accents optional)")
    p.add_argument("text")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")

    cal = sub.add_parser("calendar", help="working-day calendar")
    csub = cal.add_subparsers(dest="calendar_command", metavar="ACTION", required=True)
    p = add("due", commands.calendar_due, "due date of a procedure received at a given time", csub)
    p.add_argument("--received", required=True, help='"dd/mm/yyyy HH:MM" office time')
    p.add_argument("--days", required=True, type=int)
    p.add_argument("--json", action="store_true")
    p = add("holidays", commands.calendar_holidays,
            "days off and make-up working days of a year (provisional ones marked)", csub)
    p.add_argument("--year", required=True, type=int)
    p.add_argument("--json", action="store_true")

    procs = sub.add_parser("procedures", help="the procedure catalogue")
    psub = procs.add_subparsers(dest="procedures_command", metavar="ACTION", required=True)
    p = add("list", commands.procedures_list, "list the catalogue", psub)
    p.add_argument("--json", action="store_true")
    p = add("import", commands.procedures_import, "import a province's list (CSV or XLSX)", psub)
    p.add_argument("file", type=Path)
    p.add_argument("--dry-run", action="store_true")

    imp = sub.add_parser("import", help="import records from files")
    isub = imp.add_subparsers(dest="import_command", metavar="WHAT", required=True)
    p = add("dossiers", commands.import_dossiers, "import an existing register (CSV or XLSX), all or nothing", isub)
    p.add_argument("file", type=Path)
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--max-rows", type=int, default=None,
                   help="refuse a file with more rows than this (default 100000)")

    p = add("backup", commands.backup, "encrypted backup while the app runs, then proven by reopening it")
    p.add_argument("--out", type=Path, default=None)
    p = add("restore", commands.restore, "restore a backup (the replaced store is kept)")
    p.add_argument("file", type=Path)

    users = sub.add_parser("users", help="users and passwords")
    usub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    p = add("add", commands.users_add, "add a user", usub)
    p.add_argument("username")
    p.add_argument("--full-name", default="")
    p.add_argument("--role", default="clerk", choices=("clerk", "leader", "admin"))
    p.add_argument("--new-password-file", default=None)
    p = add("passwd", commands.users_passwd, "change a password (or reset it with the recovery key)", usub)
    p.add_argument("username", nargs="?")
    p.add_argument("--new-password-file", default=None)
    p.add_argument("--recovery-key-file", default=None, help="reset with the printed recovery key")
    p = add("list", commands.users_list, "list users", usub)
    p = add("remove", commands.users_remove, "remove a departed user's password slot", usub)
    p.add_argument("username")
    p = add("rekey", commands.users_rekey, "give the store a new database key (old copies stop matching)", usub)

    p = add("verify", commands.verify, "check integrity: encryption, structure, event hash chain, projections")
    p = add("stats", commands.stats, "the ward's own counts (for comparison with upstream)")
    p.add_argument("--json", action="store_true")

    registrars = list(dict.fromkeys(OPTIONAL_COMMANDS.values())) if wanted is None else (
        [OPTIONAL_COMMANDS[wanted]] if wanted in OPTIONAL_COMMANDS else [])
    for register in registrars:
        register(sub, add)
    return parser


def _named_command(argv: list[str]) -> str | None:
    """The sub-command named in ``argv`` (skipping options), or None when asking for help."""
    if any(a in ("-h", "--help") for a in argv):
        return None
    skip = False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ("--data-dir", "--user", "--password-file", "--lang"):
            skip = True
            continue
        if not a.startswith("-"):
            return a
    return ""


# --- entry point ---------------------------------------------------------------------


def lean_imports() -> None:
    """What the ward's entry point tells Python before anything imports peewee.

    peewee imports any PostgreSQL driver it finds (~0.1 s here, a third of
    start-up) and the standard library's ``sqlite3``, a second SQLite engine next
    to SQLCipher's (~10 ms and ~0.8 MiB): the ward never uses either. So the
    drivers are marked absent, and peewee is offered sqlcipher3's DB-API module
    where it looks for ``pysqlite3``, with the stdlib one hidden, so its
    module-level helpers (adapters, ``Binary``, version checks) are SQLCipher's
    too. District code runs in its own process (``district-desk``), unaffected.
    """
    if "peewee" in sys.modules:
        return
    sys.modules.setdefault("psycopg2", None)  # type: ignore[arg-type]
    sys.modules.setdefault("psycopg", None)  # type: ignore[arg-type]
    if "sqlite3" not in sys.modules:
        try:
            import sqlcipher3
            from sqlcipher3 import dbapi2
        except ImportError:  # not installed: peewee finds what there is, as before
            return
        sys.modules.setdefault("pysqlite3", sqlcipher3)
        sys.modules.setdefault("pysqlite3.dbapi2", dbapi2)
        sys.modules["sqlite3"] = None  # type: ignore[assignment]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from ward_desk.platform import utf8_console

    utf8_console()  # `ward-desk report ... > file` on a Vietnamese Windows (cp1258)
    lean_imports()
    lang = os.environ.get("WARD_DESK_LANG")
    if "--lang" in argv:
        i = argv.index("--lang")
        if i + 1 < len(argv):
            lang = argv[i + 1]
    if lang in ("vi", "en"):
        set_language(lang)
    from ward_desk.i18n import argparse_words

    argparse_words.install()  # "usage:", "error:" ... in the user's language
    parser = build_parser(_named_command(argv))
    args = parser.parse_args(argv)
    args.data_dir_given = args.data_dir is not None
    if args.data_dir is None:
        args.data_dir = default_data_dir()
    if getattr(args, "counter", None) is not None:
        # Through the environment, so the desk, the CLI and anything they start agree
        # (services.desk.desk_counter reads it); a counter's name is no secret.
        os.environ["WARD_DESK_COUNTER"] = args.counter
    handler: Handler = getattr(args, "handler", None) or _default_handler(args)
    try:
        return _run(handler, args)
    finally:
        purge_slips_quietly(args.data_dir)


def purge_slips_quietly(data_dir: Path) -> None:
    """Printed slips are plaintext personal data: whatever command ran, the office's
    retention (``slips_keep_days``) is applied to them. It never changes the outcome of
    the command: a slip that cannot be removed now is removed next time."""
    import contextlib

    with contextlib.suppress(Exception):
        if not (Path(data_dir) / "slips").is_dir():
            return  # the usual case, one stat: the slip printer is not even imported
        from ward_desk.slips.output import purge_slips

        purge_slips(Path(data_dir))


def _run(handler: Handler, args: argparse.Namespace) -> int:
    """The handler's exit code; every failure a plain message with its own code."""
    try:
        return handler(args)
    except WardDeskError as exc:
        if args.debug:
            raise
        print(t("cli.error_prefix") + " " + exc.message.render(), file=sys.stderr)
        for line in getattr(exc, "details", lambda: [])():
            print("  " + line, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `ward-desk procedures list | head`: the reader left; not an error.
        sys.stderr.close()
        return 0
    except Exception as exc:  # the last line of defence: a plain message, never a traceback
        if args.debug:
            raise
        err = _store_error(exc, args.data_dir)
        if err is not None:
            print(t("cli.error_prefix") + " " + err.message.render(), file=sys.stderr)
            return err.exit_code
        print(t("cli.unexpected", error=type(exc).__name__), file=sys.stderr)
        return EXIT_BAD_INPUT


def _store_error(exc: Exception, data_dir: Path) -> WardDeskError | None:
    """The store's own error for a database or disk failure that reached the top: a
    full disk is a full disk, never "damaged" (``translate_db_error``)."""
    import peewee

    from ward_desk.store.database import translate_db_error
    from ward_desk.store.space import is_disk_errno

    driver_error = getattr(sys.modules.get("sqlcipher3.dbapi2"), "Error", peewee.DatabaseError)
    if isinstance(exc, (peewee.DatabaseError, driver_error)):
        return translate_db_error(exc, data_dir)
    if is_disk_errno(exc):
        assert isinstance(exc, OSError)
        where = Path(exc.filename) if isinstance(exc.filename, str) else data_dir
        return translate_db_error(exc, where)
    return None


def _default_handler(args: argparse.Namespace) -> Handler:
    from ward_desk.cli import commands

    return commands.ui


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
