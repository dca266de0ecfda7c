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
    from ward_desk.services.setup import create_store

    password = read_password(args, prompt_id="cli.new_password_prompt", confirm=True)
    store, recovery = create_store(
        args.data_dir, office_code=args.office_code, office_name=args.office_name, admin_username=args.admin,
        admin_password=password, admin_full_name=args.admin_name, agency_id=args.agency_id,
    )
    store.close()
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
        info = build_demo(Path(data_dir), years=args.years, seed=args.seed, now=as_of)
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
    import shutil

    if data_dir.exists() and (data_dir / "keys.json").exists():
        shutil.rmtree(data_dir)


def ui(args: argparse.Namespace) -> int:
    return _run_app(args.data_dir, username=args.user, language=args.lang)


def _run_app(data_dir: Path, *, username: str | None = None, password: str | None = None,
             language: str | None = None) -> int:
    if not sys.stdout.isatty():
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
                      officer=args.officer, rating=args.rating)
    print(t("cli.moved", code=d.code, state=d.state))
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


def _print_row_errors(errors) -> None:
    from ward_desk.domain.text import visible

    for e in errors:
        problem = t(e.message_id, value=visible(e.value))  # a cell's escape codes never reach the terminal
        print("  " + t("import.row_error", row=e.row, column=e.column, problem=problem), file=sys.stderr)


@with_session
def procedures_import(args: argparse.Namespace, session) -> int:
    from ward_desk.services.catalogue import ImportFailed, import_procedures

    try:
        added, updated = import_procedures(args.file, session.clock(), dry_run=args.dry_run)
    except ImportFailed as exc:
        print(t("cli.error_prefix") + " " + exc.message.render(), file=sys.stderr)
        _print_row_errors(exc.errors)
        return exc.exit_code
    print(t("cli.procedures_imported" if not args.dry_run else "cli.procedures_dry_run", added=added,
            updated=updated))
    return 0


@with_session
def import_dossiers(args: argparse.Namespace, session) -> int:
    from ward_desk.services.catalogue import ImportFailed
    from ward_desk.services.importer import import_register

    try:
        count = import_register(session, args.file, dry_run=args.dry_run)
    except ImportFailed as exc:
        print(t("cli.error_prefix") + " " + exc.message.render(), file=sys.stderr)
        _print_row_errors(exc.errors)
        return exc.exit_code
    print(t("cli.dossiers_dry_run" if args.dry_run else "cli.dossiers_imported", count=count))
    return 0


@with_session
def backup(args: argparse.Namespace, session) -> int:
    from ward_desk.store.backup import backup_store, default_backup_name

    dest = args.out or default_backup_name(session.store.data_dir)
    backup_store(session.store.db, session.store.key, dest, keyfile=session.store.keyfile())
    print(t("cli.backup_done", path=str(dest)))
    return 0


def restore(args: argparse.Namespace) -> int:
    from ward_desk.store.backup import restore_from_backup

    # The present store is not opened (it may be the damaged one being replaced), nor
    # upgraded first: the restored one is upgraded, with its notice, when next opened.
    kept = restore_from_backup(args.data_dir, args.file, args.user, read_password(args))
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
