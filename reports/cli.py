"""CLI commands ``report`` and ``assess``, contributed to ``ward-desk``.

``register(sub, add, with_session)`` is called by ``ward_desk.cli.main`` with its
sub-parser group, its ``add(name, handler, help, parent)`` helper and its session
wrapper; handlers here take ``(args, session)`` and are wrapped so they get an
unlocked session (this module never imports the ward CLI back).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ward_desk.i18n import t

SessionHandler = Callable[[argparse.Namespace, Any], int]


def _period_text(args: argparse.Namespace) -> str:
    for name in ("month", "quarter", "half", "nine_months", "year"):
        value = getattr(args, name, None)
        if value:
            return f"{value}-9M" if name == "nine_months" else str(value)
    raise AssertionError("argparse requires one period option")


def _write(args: argparse.Namespace, data: bytes, fmt: str) -> int:
    from ward_desk.reports.export import BINARY

    from ward_desk.errors import InvalidInput

    if args.out:
        path = Path(args.out)
        path.write_bytes(data)
        print(t("report.written", path=str(path)))
        return 0
    if fmt in BINARY:
        raise InvalidInput("report.out_required", format=fmt)
    sys.stdout.write(data.decode("utf-8").lstrip("\ufeff") if fmt != "csv" else data.decode("utf-8"))
    return 0


def report_monthly(args: argparse.Namespace, session: Any) -> int:
    """``report monthly``: the periodic dossier report of a month, quarter, half, nine months or year."""
    from ward_desk.reports.export import render_report

    from ward_desk.domain.report_math import parse_period
    from ward_desk.services.reporting import period_report

    report = period_report(session, parse_period(_period_text(args)))
    return _write(args, render_report(report, args.format), args.format)


def report_trend(args: argparse.Namespace, session: Any) -> int:
    """``report trend``: on-time rate and self-assessment score of the last N months."""
    from ward_desk.reports.trend import render_trend, trend_rows

    from ward_desk.domain.report_math import parse_period

    rows = trend_rows(session, parse_period(args.month), args.months)
    if args.json:
        print(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=1))
    else:
        print(render_trend(rows))
    return 0


def report_book(args: argparse.Namespace, session: Any) -> int:
    """``report book``: form 07, the tracking book (Sổ theo dõi hồ sơ) of a period, as XLSX and/or PDF."""
    from ward_desk.reports.book import book_pdf, book_xlsx

    from ward_desk.domain.dates import parse_date
    from ward_desk.errors import InvalidInput
    from ward_desk.services.tracking_book import tracking_book

    if not (args.xlsx or args.pdf):
        raise InvalidInput("slips.book_no_output")
    book = tracking_book(session, parse_date(args.start), parse_date(args.end))
    for path, render in ((args.xlsx, book_xlsx), (args.pdf, book_pdf)):
        if path:
            Path(path).write_bytes(render(book))
            print(t("slips.book_written", count=len(book.rows), path=str(path)))
    return 0


def assess_show(args: argparse.Namespace, session: Any) -> int:
    """``assess show``: the month's self-assessment (computed items explained, manual ones pending)."""
    from ward_desk.reports.export import render_assessment

    from ward_desk.services.assessment import show

    view = show(session, args.month, args.revision)
    fmt = "json" if args.json else args.format
    return _write(args, render_assessment(view, session.office.name, fmt), fmt)


def assess_score(args: argparse.Namespace, session: Any) -> int:
    """``assess score``: the leader scores one manual criterion, with evidence."""
    from ward_desk.domain.criteria import format_points, parse_points
    from ward_desk.i18n import get_language
    from ward_desk.services.assessment import score_manual

    view = score_manual(session, args.month, args.criterion, args.score, args.evidence, args.attachment or "")
    if args.json:
        print(json.dumps(view.as_dict(), ensure_ascii=False, indent=1))
        return 0
    print(t("assess.scored", points=format_points(parse_points(args.score), get_language()), criterion=args.criterion))
    if view.pending:
        print(t("assess.pending", n=len(view.pending), pending=", ".join(view.pending)))
    return 0


def assess_submit(args: argparse.Namespace, session: Any) -> int:
    """``assess submit``: sign and submit the month (leader only)."""
    from ward_desk.domain.criteria import format_points
    from ward_desk.i18n import get_language
    from ward_desk.services.assessment import submit

    view = submit(session, args.month)
    if args.json:
        print(json.dumps(view.as_dict(), ensure_ascii=False, indent=1))
        return 0
    lang = get_language()
    print(t("assess.submitted", month=view.month, revision=view.revision, total=format_points(view.total_c, lang),
            band=view.band_name(lang) or t("assess.no_band")))
    return 0


def assess_revise(args: argparse.Namespace, session: Any) -> int:
    """``assess revise``: open a new revision of a submitted or returned month, with a reason."""
    from ward_desk.reports.export import render_assessment

    from ward_desk.services.assessment import revise

    view = revise(session, args.month, args.reason)
    fmt = "json" if args.json else "text"
    return _write(args, render_assessment(view, session.office.name, fmt), fmt)


def register(
    sub: Any,
    add: Callable[..., argparse.ArgumentParser],
    with_session: Callable[[SessionHandler], Callable[[argparse.Namespace], int]],
) -> None:
    """Add ``report`` and ``assess`` to the ``ward-desk`` parser; ``with_session``
    turns an ``(args, session)`` handler into one that opens the store first."""
    from ward_desk.reports.export import FORMATS

    report = sub.add_parser("report", help=t("report.help.report"))
    rsub = report.add_subparsers(dest="report_command", metavar="REPORT", required=True)
    p = add("monthly", with_session(report_monthly), t("report.help.monthly"), rsub)
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--month", metavar="YYYY-MM")
    when.add_argument("--quarter", metavar="YYYY-Qn")
    when.add_argument("--half", metavar="YYYY-H1|H2")
    when.add_argument("--nine-months", metavar="YYYY")
    when.add_argument("--year", metavar="YYYY")
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("--out", metavar="FILE", default=None)
    p = add("trend", with_session(report_trend), t("report.help.trend"), rsub)
    p.add_argument("--month", metavar="YYYY-MM", required=True, help=t("report.help.last_month"))
    p.add_argument("--months", type=int, default=12)
    p.add_argument("--json", action="store_true")

    p = add("book", with_session(report_book), t("report.help.book"), rsub)
    p.add_argument("--from", dest="start", metavar="DD/MM/YYYY", required=True)
    p.add_argument("--to", dest="end", metavar="DD/MM/YYYY", required=True)
    p.add_argument("--xlsx", metavar="FILE", default=None)
    p.add_argument("--pdf", metavar="FILE", default=None)

    assess = sub.add_parser("assess", help=t("assess.help.assess"))
    asub = assess.add_subparsers(dest="assess_command", metavar="ACTION", required=True)
    p = add("show", with_session(assess_show), t("assess.help.show"), asub)
    p.add_argument("--month", metavar="YYYY-MM", required=True)
    p.add_argument("--revision", type=int, default=None)
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("--out", metavar="FILE", default=None)
    p.add_argument("--json", action="store_true")
    p = add("score", with_session(assess_score), t("assess.help.score"), asub)
    p.add_argument("--month", metavar="YYYY-MM", required=True)
    p.add_argument("--criterion", required=True)
    p.add_argument("--score", required=True)
    p.add_argument("--evidence", required=True)
    p.add_argument("--attachment", default="", help=t("assess.help.attachment"))
    p.add_argument("--json", action="store_true")
    p = add("submit", with_session(assess_submit), t("assess.help.submit"), asub)
    p.add_argument("--month", metavar="YYYY-MM", required=True)
    p.add_argument("--json", action="store_true")
    p = add("revise", with_session(assess_revise), t("assess.help.revise"), asub)
    p.add_argument("--month", metavar="YYYY-MM", required=True)
    p.add_argument("--reason", required=True)
    p.add_argument("--json", action="store_true")
    p.add_argument("--out", metavar="FILE", default=None)
