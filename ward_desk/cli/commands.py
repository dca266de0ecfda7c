"""Handlers of the ``ward-desk`` sub-commands: each one parses, calls one service, prints."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import timedelta
from pathlib import Path

from tabulate import tabulate

from ward_desk.cli.session import announce_upgrade, emit, read_password, with_session
from ward_desk.domain.dates import format_date, format_datetime, parse_local_datetime
from ward_desk.errors import InvalidInput, RuleViolation
from ward_desk.i18n import t


def init(args: argparse.Namespace) -> int:
    from ward_desk.domain.validation import clean_text
    from ward_desk.services.setup import create_store, save_issuer_names

    names = {"centre_name": args.centre_name, "authority_name": args.authority_name, "province_name": args.province}
    for value in names.values():
        clean_text("office_name", value)  # a bad name is refused before the store is made
    password = read_password(args, prompt_id="cli.new_password_prompt", confirm=True)
    store, recovery = create_store(
        args.data_dir, office_code=args.office_code, office_name=args.office_name, admin_username=args.admin,
        admin_password=password, admin_full_name=args.admin_name, agency_id=args.agency_id,
    )
    store.close()
    save_issuer_names(args.data_dir, **names)
    print(t("cli.init_done", path=str(args.data_dir)))
    print(t("cli.recovery_key_heading"))
    print("    " + recovery)
    print(t("cli.recovery_key_warning"))
    return 0


def demo(args: argparse.Namespace) -> int:
    from datetime import time

    from ward_desk.demo import DEMO_PASSWORD, DEMO_USER, build_demo
    from ward_desk.store.database import DB_NAME

    data_dir = args.data_dir if args.data_dir_given else default_demo_dir()
    if (Path(data_dir) / DB_NAME).exists() and not args.force:
        print(t("cli.demo_exists", path=str(data_dir)))
        info_user, info_password = DEMO_USER, DEMO_PASSWORD
    else:
        if args.force:
            _remove_store(Path(data_dir))
        if not 0 < args.years <= 10:
            raise InvalidInput("cli.demo_bad_years", years=args.years)
        as_of = parse_local_datetime(args.as_of, default_time=time(9, 30)) if args.as_of else None
        from ward_desk.cli.progress import progress_bar

        with progress_bar(t("cli.demo_progress")) as shown:
            info = build_demo(Path(data_dir), years=args.years, seed=args.seed, now=as_of, progress=shown)
        info_user, info_password = info.username, info.password
        print(t("cli.demo_built", path=str(data_dir), dossiers=info.dossiers))
    print(t("cli.demo_credentials", user=info_user, password=info_password))
    from ward_desk.demo import DEMO_USERS

    for username, full_name, role in DEMO_USERS:  # every demo user, one per role at least
        print("    " + t("cli.demo_user", user=username, name=full_name, role=t(f"cli.role.{role}"),
                         password=info_password))
    if args.no_ui:
        return 0
    return _run_app(Path(data_dir), username=info_user, password=info_password, language=args.lang)


def default_demo_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("ward-desk", appauthor=False)) / "demo"


def _remove_store(data_dir: Path) -> None:
    """Delete the old demo store, refused while a desk still has it open (it would
    go on writing into a deleted file). The presence folder stays: it holds the lock."""
    import shutil

    from ward_desk.store import presence

    if data_dir.exists() and (data_dir / "keys.json").exists():
        with presence.exclusive(data_dir, "store.in_use_reset"):
            for entry in data_dir.iterdir():
                if entry.name == presence.PRESENCE_DIR:
                    continue
                if entry.is_dir():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()


def ui(args: argparse.Namespace) -> int:
    return _run_app(args.data_dir, username=args.user, language=args.lang)


def serve(args: argparse.Namespace) -> int:
    """Serve the desk to the counters' browsers until stopped (``ward_desk.serve``)."""
    from ward_desk.serve.server import serve as run

    language = args.lang or os.environ.get("WARD_DESK_LANG")
    try:
        run(args.data_dir, host=args.host, port=args.port, cert=args.cert, key=args.key,
            max_sessions=args.max_sessions, title=args.title, language=language)
    except OSError as exc:
        raise InvalidInput("serve.cannot_bind", host=args.host, port=args.port,
                           detail=exc.strerror or type(exc).__name__) from None
    return 0


def _served() -> bool:
    """Whether this desk runs under ``ward-desk serve`` (textual-serve sets Textual's web driver)."""
    return os.environ.get("TEXTUAL_DRIVER", "").endswith(":WebDriver")


def _run_app(data_dir: Path, *, username: str | None = None, password: str | None = None,
             language: str | None = None) -> int:
    if not sys.stdout.isatty() and not _served():
        raise InvalidInput("cli.ui_needs_terminal")
    from ward_desk.i18n import get_language
    from ward_desk.ui.app import WardDeskApp, run_until_closed

    # A language named now (--lang, WARD_DESK_LANG: main has set it) wins; else the
    # desk opens in the one it was last switched to (config.toml).
    named = language in ("vi", "en") or os.environ.get("WARD_DESK_LANG") in ("vi", "en")
    run_until_closed(WardDeskApp(Path(data_dir), username=username, password=password,
                                 language=get_language() if named else None))
    return 0


@with_session
def intake(args: argparse.Namespace, session) -> int:
    from ward_desk.services import dossiers

    d = dossiers.intake(session, dossiers.IntakeRequest(
        procedure_code=args.procedure, applicant_name=args.applicant_name, id_number=args.id_number,
        phone=args.phone, address=args.address, channel=args.channel))
    data = {"code": d.code, "due_at": format_datetime(d.due_at), "lookup_secret": d.lookup_secret}
    emit(args, data, f"{d.code}\t{format_datetime(d.due_at)}")
    return 0


def _dossier_dict(d, events) -> dict:
    return {
        "code": d.code, "state": d.state, "procedure": d.procedure.code, "procedure_name": d.procedure.name,
        "field": d.procedure.field, "applicant_name": d.applicant_name, "id_number": d.applicant_id_number,
        "phone": d.applicant_phone, "address": d.applicant_address, "channel": d.channel,
        "documents": [{"name": x["name"], "received": bool(x.get("received", True))}
                      for x in json.loads(d.documents or "[]")],
        "received_at": format_datetime(d.received_at),
        "due_at": format_datetime(d.due_at), "completed_at": format_datetime(d.completed_at),
        "returned_at": format_datetime(d.returned_at), "apology_count": d.apology_count,
        "rule_set": d.rule_set, "calendar_version": d.calendar_version,
        "events": [{"at": format_datetime(e.at), "kind": e.kind, "action": e.action, "from": e.from_state,
                    "to": e.to_state, "by": e.actor.username if e.actor_id else None, "reason": e.reason,
                    **({"late": bool(json.loads(e.data or "{}").get("late"))} if e.kind == "apology" else {})}
                   for e in events],
    }


@with_session
def dossier_show(args: argparse.Namespace, session) -> int:
    from ward_desk.domain.lifecycle import State, state_label
    from ward_desk.services import dossiers

    d = dossiers.get(args.code)
    events = dossiers.history(d)
    data = _dossier_dict(d, events)
    rows = [
        (t("cli.f.code"), d.code),
        (t("cli.f.state"), state_label(State(d.state)).render()),
        (t("cli.f.procedure"), f"{d.procedure.code} — {d.procedure.name}"),
        (t("cli.f.applicant"), d.applicant_name),
        (t("cli.f.id_number"), d.applicant_id_number),
        (t("cli.f.phone"), d.applicant_phone),
        (t("cli.f.channel"), t(f"channel.{d.channel}")),
        (t("cli.f.received_at"), format_datetime(d.received_at)),
        (t("cli.f.due_at"), format_datetime(d.due_at)),
    ]
    late_mark = f" ({t('apology.late_mark')})"
    history = [(format_datetime(e.at), (e.action or e.kind) + (late_mark if e.kind == "apology" and json.loads(
                e.data or "{}").get("late") else ""), e.to_state, e.actor.username if e.actor_id else "",
                e.reason) for e in events]
    text = tabulate(rows, tablefmt="plain") + "\n\n" + tabulate(
        history, headers=[t("cli.h.at"), t("cli.h.what"), t("cli.h.state"), t("cli.h.by"), t("cli.h.reason")])
    emit(args, data, text)
    return 0


@with_session
def dossier_move(args: argparse.Namespace, session) -> int:
    from ward_desk.domain.lifecycle import State, allowed_actions, target_state
    from ward_desk.services import dossiers

    d = dossiers.get(args.code)
    try:
        wanted = State(args.to)
    except ValueError:
        raise InvalidInput("cli.bad_state", state=args.to, states=", ".join(s.value for s in State)) from None
    current = State(d.state)
    action = next((a for a in allowed_actions(current) if target_state(current, a) is wanted), None)
    if action is None:
        allowed = ", ".join(target_state(current, a).value for a in allowed_actions(current)) or "-"
        raise RuleViolation("cli.no_such_move", code=d.code, state=current.value, target=wanted.value,
                            allowed=allowed)
    d = dossiers.move(session, d.code, action, reason=args.reason, legal_basis=args.legal_basis,
                      officer=args.officer, rating=args.rating, requested_items=args.item)
    print(t("cli.moved", code=d.code, state=d.state))
    return 0


@with_session
def dossier_slip(args: argparse.Namespace, session) -> int:
    """``dossier slip``: render one form of the dossier and say where it is."""
    from ward_desk.services import dossiers
    from ward_desk.slips import print_slip

    path = print_slip(session, dossiers.get(args.code), args.kind, args.format)
    print(t("slips.saved", path=str(path)))
    return 0


@with_session
def dossier_apology(args: argparse.Namespace, session) -> int:
    from datetime import time

    from ward_desk.services import dossiers

    new_due = parse_local_datetime(args.new_date, default_time=time(17, 0))
    slip = dossiers.issue_apology(session, args.code, new_due, args.reason)
    print(t("cli.apology_issued", code=args.code, date=format_datetime(slip.new_due_at)))
    return 0


@with_session
def dossier_late(args: argparse.Namespace, session) -> int:
    from ward_desk.services import dossiers

    d = dossiers.declare_late(session, args.code, args.reason)
    print(t("cli.late_declared", code=d.code))
    return 0


@with_session
def search(args: argparse.Namespace, session) -> int:
    from ward_desk.services import dossiers

    found = dossiers.search(args.text, limit=max(1, min(args.limit, 500)))
    data = [{"code": d.code, "applicant_name": d.applicant_name, "state": d.state,
             "procedure": d.procedure.name, "received_at": format_date(d.received_at)} for d in found]
    rows = [(d.code, d.applicant_name, d.procedure.name[:30], d.state, format_date(d.received_at)) for d in found]
    text = tabulate(rows, headers=[t("cli.f.code"), t("cli.f.applicant"), t("cli.f.procedure"), t("cli.f.state"),
                                   t("cli.f.received_at")]) if rows else t("cli.nothing_found")
    emit(args, data, text)
    return 0


def _office_calendar(args: argparse.Namespace):
    """The calendar the office counts with: the store's (upstream's year notices, local
    and upstream overrides) when ``--data-dir`` holds a store, else the national one
    (said on stderr)."""
    from ward_desk.cli.session import open_cli_session
    from ward_desk.domain.calendar import WorkingCalendar
    from ward_desk.domain.notices import packaged_calendar
    from ward_desk.i18n import get_language
    from ward_desk.store.database import DB_NAME, KEYS_NAME

    folder = Path(args.data_dir)
    if (folder / DB_NAME).exists() or (folder / KEYS_NAME).exists():
        session = open_cli_session(args)
        try:
            return session.calendar.with_language(get_language())
        finally:
            session.store.close()
    print(t("calendar.national_only"), file=sys.stderr)
    return WorkingCalendar(language=get_language(), version=packaged_calendar().version)


def calendar_due(args: argparse.Namespace) -> int:
    from ward_desk.domain.timing import compute_due, effective_receipt_day, local_day

    if args.days < 0 or args.days > 365:
        raise InvalidInput("cli.bad_days", days=args.days)
    received = parse_local_datetime(args.received)
    cal = _office_calendar(args)
    due = compute_due(received, args.days, cal)
    start = effective_receipt_day(received, cal)
    # Days before the effective receipt day do not move the date: only those counted over.
    provisional = cal.provisional_between(start - timedelta(days=1), local_day(due))
    data = {"due_at": format_datetime(due), "calendar_version": cal.version,
            "provisional_days": [format_date(d) for d in provisional]}
    text = format_datetime(due)
    if provisional:
        text += "\n" + t("calendar.due_provisional", days=", ".join(data["provisional_days"]))
    emit(args, data, text)
    return 0


def calendar_holidays(args: argparse.Namespace) -> int:
    if not 1990 <= args.year <= 2100:
        raise InvalidInput("cli.bad_year", year=args.year)
    cal = _office_calendar(args)
    rows = [(day, "off", name) for day, name in cal.holidays(args.year)]
    rows += [(day, "work", t("calendar.make_up_day")) for day in cal.make_up_days(args.year)]
    rows.sort()
    data = {"year": args.year, "calendar_version": cal.version,
            "days": [{"day": format_date(d), "kind": kind, "name": name, "provisional": cal.is_provisional(d)}
                     for d, kind, name in rows]}
    mark = t("calendar.provisional")
    text = "\n".join(f"{format_date(d)}\t{name}" + (f"\t({mark})" if cal.is_provisional(d) else "")
                     for d, _kind, name in rows)
    emit(args, data, text)
    return 0


@with_session
def procedures_list(args: argparse.Namespace, session) -> int:
    from ward_desk.services.catalogue import list_procedures

    procs = list_procedures()
    if getattr(args, "json", False):
        print(json.dumps([{"code": p.code, "field": p.field, "days": p.processing_days, "name": p.name}
                          for p in procs], ensure_ascii=False, indent=1))
        return 0
    for p in procs:
        print(f"{p.code}\t{p.field}\t{p.processing_days}\t{p.name}")
    return 0


# More errors than this are summarised by kind on the terminal (the rest go to the error file).
SHOWN_ERRORS = 20


def _print_row_errors(errors, error_file=None) -> None:
    """Each bad cell on a line, or for a long list a few lines by kind of error; then
    where the error file is (``error_file``: its path, and a function that writes it there)."""
    from collections import Counter

    from ward_desk.domain.text import visible
    from ward_desk.services.importer import error_column

    def problem(e) -> str:
        return t(e.message_id, value=visible(e.value))  # a cell's escape codes never reach the terminal

    def row(e) -> str:
        return f"{e.row} «{visible(e.sheet)}»" if e.sheet else str(e.row)  # a book of several sheets

    if len(errors) <= SHOWN_ERRORS:
        for e in errors:
            print("  " + t("import.row_error", row=row(e), column=error_column(e), problem=problem(e)), file=sys.stderr)
    else:
        kinds = Counter((e.column, e.message_id) for e in errors)
        first = {}
        for e in errors:
            first.setdefault((e.column, e.message_id), e)
        print(t("import.summary_heading"), file=sys.stderr)
        for key, count in kinds.most_common(10):
            e = first[key]
            print(t("import.summary_line", count=count, column=error_column(e), problem=problem(e), row=row(e)),
                  file=sys.stderr)
        rest = sum(count for _, count in kinds.most_common()[10:])
        if rest:
            print(t("import.more_errors", count=rest), file=sys.stderr)
    if error_file is not None:
        path, write = error_file
        try:
            write(path)
        except (OSError, InvalidInput) as exc:  # the refusal stands; only its worksheet is missing
            reason = exc.message.render() if isinstance(exc, InvalidInput) else (exc.strerror or str(exc))
            print(t("import.error_file_failed", path=str(path), problem=reason), file=sys.stderr)
        else:
            print(t("import.error_file", path=str(path)), file=sys.stderr)


@with_session
def procedures_import(args: argparse.Namespace, session) -> int:
    from ward_desk.services.catalogue import ImportFailed, import_procedures

    try:
        added, updated = import_procedures(args.file, session.clock(), dry_run=args.dry_run)
    except ImportFailed as exc:
        from ward_desk.services.catalogue import procedure_list_header
        from ward_desk.services.importer import error_file_for, write_row_errors

        def write(out: Path, errors=exc.errors) -> None:
            write_row_errors(args.file, errors, out, header_row=procedure_list_header(args.file))

        print(t("cli.error_prefix") + " " + exc.message.render(), file=sys.stderr)
        _print_row_errors(exc.errors, (error_file_for(args.file), write))
        return exc.exit_code
    print(t("cli.procedures_imported" if not args.dry_run else "cli.procedures_dry_run", added=added,
            updated=updated))
    return 0


@with_session
def import_dossiers(args: argparse.Namespace, session) -> int:
    from ward_desk.cli.progress import progress_bar
    from ward_desk.services.catalogue import ImportFailed
    from ward_desk.services.importer import import_register
    from ward_desk.services.tables import DEFAULT_LIMITS, TableLimits

    if args.max_rows is not None and not 0 < args.max_rows <= 10 * DEFAULT_LIMITS.max_rows:
        raise InvalidInput("import.bad_max_rows", value=args.max_rows, max=10 * DEFAULT_LIMITS.max_rows)
    limits = TableLimits(max_rows=args.max_rows) if args.max_rows else DEFAULT_LIMITS
    try:
        with progress_bar(t("cli.import_progress")) as shown:
            count = import_register(session, args.file, dry_run=args.dry_run, limits=limits, progress=shown)
    except ImportFailed as exc:
        from ward_desk.services.importer import error_file_for, write_register_errors

        def write(out: Path, errors=exc.errors) -> None:
            write_register_errors(args.file, errors, out, limits=limits)

        print(t("cli.error_prefix") + " " + exc.message.render(), file=sys.stderr)
        _print_row_errors(exc.errors, (error_file_for(args.file), write))
        return exc.exit_code
    print(t("cli.dossiers_dry_run" if args.dry_run else "cli.dossiers_imported", count=count))
    return 0


@with_session
def backup(args: argparse.Namespace, session) -> int:
    from ward_desk.cli.progress import progress_bar
    from ward_desk.store.backup import backup_store, default_backup_name

    dest = args.out or default_backup_name(session.store.data_dir)
    with progress_bar(t("cli.backup_progress")) as shown:  # pages copied
        backup_store(session.store.db, session.store.key, dest, keyfile=session.store.keyfile(), progress=shown)
    print(t("cli.backup_done", path=str(dest)))
    return 0


def restore(args: argparse.Namespace) -> int:
    from ward_desk.cli.progress import progress_bar
    from ward_desk.store.backup import restore_from_backup

    # The present store is not opened (it may be the damaged one being replaced), nor
    # upgraded first: the restored one is upgraded, with its notice, when next opened.
    password = read_password(args)
    with progress_bar(t("cli.restore_progress")) as shown:  # bytes copied
        kept = restore_from_backup(args.data_dir, args.file, args.user, password, progress=shown)
    print(t("cli.restore_done", path=str(args.file), kept=str(kept)))
    return 0


def users_add(args: argparse.Namespace) -> int:
    from ward_desk.services.users import add_user

    @with_session
    def run(args: argparse.Namespace, session) -> int:
        session.require_role("admin")
        new_password = _new_password(args)
        add_user(session.store.keyfile(), session.store.keys_path, session.store.key, username=args.username,
                 full_name=args.full_name or args.username, role=args.role, password=new_password,
                 now=session.clock())
        print(t("cli.user_added", username=args.username, role=args.role))
        return 0

    return run(args)


def _new_password(args: argparse.Namespace) -> str:
    from ward_desk.domain.validation import validate_password

    if args.new_password_file:
        try:
            pw = Path(args.new_password_file).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError:
            raise InvalidInput("cli.password_file_unreadable", path=args.new_password_file) from None
    else:
        import getpass
        import os

        pw = os.environ.get("WARD_DESK_NEW_PASSWORD", "")
        if not pw:
            if not sys.stdin.isatty():
                raise InvalidInput("cli.password_needed")
            pw = getpass.getpass(t("cli.new_password_prompt") + " ")
            if getpass.getpass(t("cli.password_again") + " ") != pw:
                raise InvalidInput("auth.password_mismatch")
    validate_password(pw)
    return pw


def users_passwd(args: argparse.Namespace) -> int:
    from ward_desk.services.users import get_user
    from ward_desk.store.database import open_with_recovery

    if args.recovery_key_file:
        try:
            recovery = Path(args.recovery_key_file).read_text(encoding="utf-8")
        except OSError:
            raise InvalidInput("cli.password_file_unreadable", path=args.recovery_key_file) from None
        store = open_with_recovery(args.data_dir, recovery, on_upgrade=announce_upgrade)
        try:
            if not args.username:
                raise InvalidInput("auth.user_required")
            get_user(args.username)
            new_password = _new_password(args)
            keyfile = store.keyfile()
            keyfile.set_password(args.username, new_password, store.key)
            keyfile.save(store.keys_path)
        finally:
            store.close()
        print(t("cli.password_changed", username=args.username))
        return 0

    @with_session
    def run(args: argparse.Namespace, session) -> int:
        target = args.username or session.user.username
        if target != session.user.username:
            session.require_role("admin")
        get_user(target)
        new_password = _new_password(args)
        keyfile = session.store.keyfile()
        keyfile.set_password(target, new_password, session.store.key)
        keyfile.save(session.store.keys_path)
        print(t("cli.password_changed", username=target))
        return 0

    return run(args)


@with_session
def users_remove(args: argparse.Namespace, session) -> int:
    """Remove a departed user's password slot, and say that the database key is unchanged."""
    from ward_desk.services.users import remove_user

    remove_user(session, args.username)
    print(t("cli.user_removed", username=args.username))
    print(t("cli.user_removed_key_unchanged"))
    print(t("cli.user_removed_rekey_offer"))
    return 0


@with_session
def users_rekey(args: argparse.Namespace, session) -> int:
    """A new database key: the admin's password again, a new recovery key printed,
    the escrow re-wrapped to the district; other users get new passwords after."""
    import base64

    from ward_desk.cli.session import read_password
    from ward_desk.services.users import rekey_store

    def escrow_wrap(key: bytes, aad: bytes) -> str:
        from sync_agent.envelope import wrap_key_to

        return base64.b64encode(wrap_key_to(bytes(session.office.upstream_recovery_key), key, aad)).decode("ascii")

    enrolled = bool(session.office.upstream_recovery_key)
    recovery, dropped = rekey_store(session, read_password(args), escrow_wrap if enrolled else None)
    print(t("cli.rekey_done"))
    print(t("cli.recovery_key_heading"))
    print(recovery)
    if dropped:
        print(t("cli.rekey_users", users=", ".join(dropped)))
    return 0


@with_session
def users_list(args: argparse.Namespace, session) -> int:
    from ward_desk.store.models import User

    for u in User.select().order_by(User.username):
        print(f"{u.username}\t{u.role}\t{u.full_name}\t{'' if u.active else '-'}")
    return 0


@with_session
def verify(args: argparse.Namespace, session) -> int:
    from ward_desk.cli.progress import progress_bar
    from ward_desk.errors import EXIT_DAMAGED
    from ward_desk.services.desk import verify as run_verify

    with progress_bar(t("cli.verify_progress")) as shown:
        report = run_verify(session, progress=shown)
    if report.ok:
        print(t("cli.verify_ok", events=report.events, dossiers=report.dossiers))
        return 0
    for p in report.problems[:50]:
        print(p, file=sys.stderr)
    print(t("cli.verify_failed", count=len(report.problems)), file=sys.stderr)
    return EXIT_DAMAGED


@with_session
def stats(args: argparse.Namespace, session) -> int:
    from ward_desk.services.dossiers import stats as dossier_stats
    from ward_desk.services.outbox import SyncStateStore, pending_stats

    counts = dossier_stats()
    acked_seq = SyncStateStore().acked_seq()
    data = {
        "office_code": session.office.code,
        "dossiers": counts["dossiers"],
        "events": counts["events"],
        "open": counts["open"],
        "outbox_pending": pending_stats(acked_seq, session.clock())[0],
        "acked_seq": acked_seq,
    }
    emit(args, data, tabulate(list(data.items()), tablefmt="plain"))
    return 0
