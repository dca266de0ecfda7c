"""``district-desk report|rank|review|ui``: the district view's commands.

Registered into the ``district-desk`` parser by :func:`register`; the work is in
:mod:`district_desk.views` and :mod:`district_desk.ranking`. Text
goes through the message catalogue (``catalog/district.toml``); ``--json`` gives
plain data for scripts; ``--xlsx`` uses the shared report writer.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sync_agent.errors import BadInput
from ward_desk.errors import EXIT_OK
from ward_desk.i18n import t

_password_source: Callable[[argparse.Namespace], str] | None = None  # set by register()


def _open(args: argparse.Namespace) -> Any:
    """Open the district store; the passphrase (the SQLite file is encrypted) is
    asked for only if the store needs it."""
    from district_desk.store import DistrictStore, default_data_dir

    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    source = _password_source
    password = (lambda: source(args)) if source is not None else None
    return DistrictStore.open(data_dir, getattr(args, "db", None), password=password)


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def _local(iso: str | None) -> str:
    if not iso:
        return ""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    dt = datetime.fromisoformat(iso.rstrip("Z")).replace(tzinfo=timezone.utc)
    return dt.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y %H:%M")


def _tabulate(headers: list[str], rows: list[list[Any]], empty_id: str) -> None:
    from tabulate import tabulate

    print(tabulate(rows, headers=headers, disable_numparse=True) if rows else t(empty_id))


def _write_xlsx(path: str, headline: list[str], tables: list[Any]) -> None:
    from ward_desk.reports.xlsx import workbook_bytes

    try:
        Path(path).write_bytes(workbook_bytes(headline, tables))
    except OSError as exc:
        raise BadInput("sync.cli.cannot_write", path=path, detail=exc.strerror or str(exc)) from exc
    print(t("district.cli.written", path=path))


def _rule(args: argparse.Namespace) -> Any:
    from district_desk.views import BacklogRule

    return BacklogRule(stale_hours=args.stale_hours, window_hours=args.window_hours)


# --------------------------------------------------------------------------- report


def _read(args: argparse.Namespace, query: Callable[..., Any], *params: Any, **options: Any) -> Any:
    """Open the district store, run one read-only view query, close the store."""
    store = _open(args)
    try:
        return query(store, *params, **options)
    finally:
        store.close()


def cmd_report_wards(args: argparse.Namespace) -> int:
    from district_desk.views import reasons_text, ward_rows

    rows = _read(args, ward_rows, rule=_rule(args))
    if args.json:
        _print_json(rows)
        return EXIT_OK
    headers = [t(f"district.wards.col.{k}") for k in
               ("office_code", "name", "dossiers", "last_sync", "acked_seq", "pending", "oldest", "stuck")]
    table = [
        [
            r["office_code"] + (" ✗" if r["revoked"] else ""), r["name"], r["dossiers"],
            _local(r["last_sync"]) or t("sync.report.never"), r["acked_seq"],
            "" if r["pending"] is None else r["pending"],
            _age(r["oldest_pending_s"]),
            ("⚠ " + reasons_text(r["stuck_reasons"])) if r["stuck"] else "",
        ]
        for r in rows
    ]
    _tabulate(headers, table, "sync.report.no_wards")
    return EXIT_OK


def _age(seconds: int | None) -> str:
    if not seconds:
        return ""
    hours = seconds / 3600
    return t("district.age.hours", n=f"{hours:.0f}") if hours < 48 else t("district.age.days", n=f"{hours / 24:.0f}")


def cmd_report_backlog(args: argparse.Namespace) -> int:
    from district_desk.views import backlog_rows, reasons_text

    rows = _read(args, backlog_rows, rule=_rule(args))
    if args.json:
        _print_json(rows)
        return EXIT_OK
    headers = [t(f"district.wards.col.{k}") for k in
               ("office_code", "name", "pending", "pending_before", "oldest", "last_sync", "stuck")]
    table = [
        [r["office_code"], r["name"], "" if r["pending"] is None else r["pending"],
         "" if r["pending_window_start"] is None else r["pending_window_start"], _age(r["oldest_pending_s"]),
         _local(r["last_sync"]) or t("sync.report.never"), reasons_text(r["stuck_reasons"])]
        for r in rows
    ]
    _tabulate(headers, table, "district.backlog.none")
    return EXIT_OK


OVERDUE_COLUMNS = ("office_code", "ward", "code", "procedure_code", "field", "state", "statutory_due_at",
                   "working_days_late", "apology", "data_as_of")


def overdue_table(rows: list[dict[str, Any]], language: str | None = None) -> Any:
    """The overdue list as a :class:`reports.cells.Table` (text and XLSX)."""
    from ward_desk.reports.cells import Table

    header = [t(f"district.overdue.col.{k}", language) for k in OVERDUE_COLUMNS]
    body = [
        [r["office_code"], r["ward"], r["code"], r["procedure_code"], r["field"],
         t(f"district.state.{r['state']}", language), _local(r["statutory_due_at"]), r["working_days_late"],
         t("district.yes", language) if r["apology"] else "", _local(r["data_as_of"])]
        for r in rows
    ]
    return Table(title=t("district.overdue.title", language), header=header, rows=body, total=[])


def cmd_report_overdue(args: argparse.Namespace) -> int:
    from district_desk.views import overdue_rows

    rows = _read(args, overdue_rows, office=args.office, limit=args.limit)
    if args.json:
        _print_json(rows)
        return EXIT_OK
    table = overdue_table(rows)
    if args.xlsx:
        _write_xlsx(args.xlsx, [table.title], [table])
        return EXIT_OK
    _tabulate(table.header, table.rows, "district.overdue.none")
    return EXIT_OK


def cmd_report_assessments(args: argparse.Namespace) -> int:
    from district_desk.views import assessment_rows, score_text

    rows = _read(args, assessment_rows, args.month, pending_only=args.pending)
    if args.json:
        _print_json(rows)
        return EXIT_OK
    headers = [t(f"district.assess.col.{k}") for k in
               ("office_code", "ward", "month", "revision", "state", "total", "submitted_at", "review")]
    table = [
        [r["office_code"], r["ward"], r["month"], r["revision"], t(f"district.assess.state.{r['state']}"),
         score_text(r["total"]), _local(r["submitted_at"]),
         t(f"district.assess.state.{r['review']}") if r["review"] else t("district.assess.to_review")]
        for r in rows
    ]
    _tabulate(headers, table, "district.assess.none")
    return EXIT_OK


# --------------------------------------------------------------------------- drill-down


def _count_text(value: int, extended: int = 0) -> str:
    return f"{value} " + t("district.drill.of_which_extended", n=extended) if extended else str(value)


def cmd_report_communes(args: argparse.Namespace) -> int:
    """Per-commune counts of a month, every enrolled commune (revoked ones marked)."""
    from district_desk.views import commune_rows, rate_text, score_text

    rows = _read(args, commune_rows, args.month)
    if args.json:
        _print_json(rows)
        return EXIT_OK
    headers = [t(f"district.drill.col.{k}") for k in
               ("office_code", "ward", "received", "early", "on_time", "late", "overdue", "on_time_share",
                "assessment")]
    table = [
        [r["office_code"] + (" " + t("district.drill.revoked_mark") if r["revoked"] else ""), r["ward"],
         r["received"], r["early"], r["on_time"], r["late"], _count_text(r["overdue"], r["apology_extended"]),
         rate_text(r["on_time_share"]),
         score_text(r["assessment_total"]) if r["assessment_total"] is not None else "-"]
        for r in rows
    ]
    print(t("district.drill.communes_title", month=rows[0]["month"] if rows else args.month))
    _tabulate(headers, table, "sync.report.no_wards")
    return EXIT_OK


def _commune(store: Any, office: str, month: str) -> dict[str, Any]:
    from district_desk.views import assessment_criteria, commune_dossiers, commune_rows

    row = next((r for r in commune_rows(store, month) if r["office_code"] == office), None)
    if row is None:
        raise BadInput("district.drill.unknown_commune", office=office)
    try:
        criteria: dict[str, Any] | None = assessment_criteria(store, office, month)
    except BadInput:
        criteria = None
    return {"counts": row, "assessment": criteria, "dossiers": commune_dossiers(store, office, month)}


def cmd_report_commune(args: argparse.Namespace) -> int:
    """One commune's month: its counts, its self-assessment criterion by criterion, its dossiers."""
    from district_desk.views import indicator_text, rate_text, score_text

    data = _read(args, _commune, args.office_code, args.month)
    if args.json:
        _print_json(data)
        return EXIT_OK
    c = data["counts"]
    print(t("district.drill.commune_title", office=c["office_code"], ward=c["ward"], month=c["month"])
          + (" — " + t("district.drill.revoked") if c["revoked"] else ""))
    print(t("district.drill.counts_line", received=c["received"], early=c["early"], on_time=c["on_time"],
            late=c["late"], overdue=_count_text(c["overdue"], c["apology_extended"]),
            share=rate_text(c["on_time_share"])))
    print()
    a = data["assessment"]
    if a is None:
        print(t("district.drill.no_assessment", office=c["office_code"], month=c["month"]))
    else:
        print(t("district.drill.assessment_title", revision=a["revision"], state=t(f"district.assess.state.{a['state']}"),
                total=score_text(a["total"])))
        headers = [t(f"district.drill.col.{k}") for k in
                   ("criterion", "kind", "points", "max", "self_value", "district_value", "evidence")]
        table = [
            [f"{i['id']} {i['title']}".strip(), t(f"district.drill.kind.{i['kind']}") if i["kind"] else "",
             score_text(i["points"]) if i["points"] is not None else "-",
             score_text(i["max"]) if i["max"] is not None else "-",
             indicator_text(i, "self_value"), indicator_text(i, "district_value"),
             " · ".join(x for x in (i["evidence"], i["attachment"]) if x)]
            for i in a["items"]
        ]
        _tabulate(headers, table, "district.drill.no_assessment")
    print()
    headers = [t(f"district.drill.col.{k}") for k in
               ("code", "procedure_code", "state", "received_at", "statutory_due_at", "standing")]
    table = [
        [d["code"], d["procedure_code"], t(f"district.state.{d['state']}"), _local(d["received_at"]),
         _local(d["statutory_due_at"]),
         t(f"district.drill.timing.{d['timing']}") if d["timing"] else t(f"district.drill.standing.{d['standing']}")]
        for d in data["dossiers"]
    ]
    _tabulate(headers, table, "district.drill.no_dossiers")
    return EXIT_OK


# --------------------------------------------------------------------------- rank


def cmd_rank(args: argparse.Namespace) -> int:
    from district_desk.ranking import (
        GapRule,
        compute_ranking,
        load_snapshot,
        publish_snapshot,
        ranking_tables,
    )

    store = _open(args)
    try:
        if args.snapshot is not None:
            if args.publish:
                raise BadInput("district.rank.snapshot_and_publish")
            ranking = load_snapshot(store, args.month, args.snapshot or None)
        else:
            ranking = compute_ranking(store, args.month, GapRule(points=args.gap_points, rate=args.gap_rate))
            if args.publish:
                ranking = publish_snapshot(store, ranking)
    finally:
        store.close()
    if args.json:
        _print_json(ranking)
        return EXIT_OK
    headline, tables = ranking_tables(ranking)
    if args.xlsx:
        _write_xlsx(args.xlsx, headline, tables)
    else:
        print("\n".join(headline))
        print()
        print(_rank_text(ranking))
    if args.publish and ranking.get("snapshot"):
        print(t("district.rank.published", month=ranking["month"], number=ranking["snapshot"]["number"]))
    return EXIT_OK


def _rank_text(ranking: dict[str, Any]) -> str:
    """A narrow text table (the full one, with every indicator, is in --xlsx / --json)."""
    from tabulate import tabulate

    from district_desk.views import rate_text, score_text

    headers = [t(f"district.rank.col.{k}") for k in
               ("rank_total", "office_code", "ward", "self_total", "district_total", "rank_on_time", "on_time_share",
                "flags", "data_as_of")]
    rows = [
        [r["rank_total"], r["office_code"], r["ward"], score_text(r["self_total"]),
         score_text(r["district_total"]), r["rank_on_time"] or "-",
         rate_text(r.get("on_time_share")),
         ("⚠ " + ", ".join(t(f"district.rank.flag.{f}") for f in r["flags"])) if r["flags"] else "",
         _local(r["data_as_of"])]
        for r in ranking["ranked"]
    ]
    out = tabulate(rows, headers=headers, disable_numparse=True) if rows else t("district.rank.none")
    if ranking["excluded"]:
        out += "\n\n" + t("district.rank.excluded_title") + "\n"
        out += "\n".join(
            f"  {e['office_code']} {e['ward']}: "
            + t(f"district.rank.reason.{e['reason']}", batches=", ".join(map(str, e["missing_batches"])))
            for e in ranking["excluded"]
        )
    return out


# --------------------------------------------------------------------------- review


def cmd_review(args: argparse.Namespace, password: Callable[[argparse.Namespace], str]) -> int:
    from district_desk.views import record_review

    status = "accepted" if args.accept else "returned"
    if status == "returned" and not (args.comment or "").strip():
        raise BadInput("district.review.comment_required")
    secret = password(args)
    store = _open(args)
    try:
        keys = store.unlock(secret)
        decision = record_review(store, keys, office_code=args.office_code, month=args.month,
                                 revision=args.revision, status=status, comment=args.comment or "")
    finally:
        store.close()
    print(t(f"district.review.done_{status}", office=decision.office_code, month=decision.month,
            revision=decision.revision, doc_id=decision.doc_id))
    return EXIT_OK


# --------------------------------------------------------------------------- ui


def cmd_ui(args: argparse.Namespace, password: Callable[[argparse.Namespace], str]) -> int:
    from district_desk.store import DistrictStore, default_data_dir
    from district_desk.ui.app import DistrictApp

    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    known: dict[str, str] = {}

    def unlock() -> str:
        # Asked at most once, and only before the app takes the terminal: an
        # encrypted SQLite store needs it to open at all; later calls reuse it.
        if "value" not in known:
            known["value"] = password(args)
        return known["value"]

    # Open once here so a wrong passphrase or an unreachable database is a plain
    # message on the terminal, not a half-drawn screen.
    DistrictStore.open(data_dir, args.db, password=unlock).close()
    ready = "value" in known or bool(args.password_file) or _env_password()
    DistrictApp(data_dir, db_url=args.db, password=unlock if ready else None, month=args.month).run()
    return EXIT_OK


def _env_password() -> bool:
    import os

    return bool(os.environ.get("DISTRICT_DESK_PASSWORD"))


# --------------------------------------------------------------------------- parser


def register(sub: Any, common: argparse.ArgumentParser, secret: argparse.ArgumentParser,
             password: Callable[[argparse.Namespace], str]) -> None:
    """Add ``report``, ``rank``, ``review`` and ``ui`` to the ``district-desk`` parser."""
    global _password_source
    _password_source = password
    backlog = argparse.ArgumentParser(add_help=False)
    backlog.add_argument("--stale-hours", type=float, default=24.0, help=t("district.help.stale_hours"))
    backlog.add_argument("--window-hours", type=float, default=24.0, help=t("district.help.window_hours"))

    p = sub.add_parser("report", help=t("sync.cli.help.report"))
    rsub = p.add_subparsers(dest="report", required=True)
    r = rsub.add_parser("wards", parents=[common, secret, backlog], help=t("sync.cli.help.report_wards"))
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=cmd_report_wards)
    r = rsub.add_parser("backlog", parents=[common, secret, backlog], help=t("district.help.backlog"))
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=cmd_report_backlog)
    r = rsub.add_parser("overdue", parents=[common, secret], help=t("district.help.overdue"))
    out = r.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true")
    out.add_argument("--xlsx", metavar="FILE")
    r.add_argument("--office", help=t("district.help.office"))
    r.add_argument("--limit", type=int, default=1000)
    r.set_defaults(func=cmd_report_overdue)
    r = rsub.add_parser("assessments", parents=[common, secret], help=t("district.help.assessments"))
    r.add_argument("--month", help=t("district.help.month"))
    r.add_argument("--pending", action="store_true", help=t("district.help.pending"))
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=cmd_report_assessments)

    r = rsub.add_parser("communes", parents=[common, secret], help=t("district.help.communes"))
    r.add_argument("--month", required=True, help=t("district.help.month"))
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=cmd_report_communes)
    r = rsub.add_parser("commune", parents=[common, secret], help=t("district.help.commune"))
    r.add_argument("--office-code", required=True, help=t("district.help.office"))
    r.add_argument("--month", required=True, help=t("district.help.month"))
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=cmd_report_commune)

    p = sub.add_parser("rank", parents=[common, secret], help=t("district.help.rank"))
    p.add_argument("--month", required=True, help=t("district.help.month"))
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true")
    out.add_argument("--xlsx", metavar="FILE")
    p.add_argument("--publish", action="store_true", help=t("district.help.publish"))
    p.add_argument("--snapshot", nargs="?", type=int, const=0, default=None, metavar="N",
                   help=t("district.help.snapshot"))
    p.add_argument("--gap-points", type=float, default=2.0, help=t("district.help.gap_points"))
    p.add_argument("--gap-rate", type=float, default=0.05, help=t("district.help.gap_rate"))
    p.set_defaults(func=cmd_rank)

    p = sub.add_parser("review", parents=[common, secret], help=t("district.help.review"))
    p.add_argument("--office-code", required=True)
    p.add_argument("--month", required=True, help=t("district.help.month"))
    p.add_argument("--revision", type=int, required=True)
    decision = p.add_mutually_exclusive_group(required=True)
    decision.add_argument("--accept", action="store_true")
    decision.add_argument("--return", dest="return_", action="store_true")
    p.add_argument("--comment", default="", help=t("district.help.comment"))
    p.set_defaults(func=lambda a: cmd_review(a, password))

    p = sub.add_parser("ui", parents=[common, secret], help=t("district.help.ui"))
    p.add_argument("--month", help=t("district.help.month"))
    p.set_defaults(func=lambda a: cmd_ui(a, password))
