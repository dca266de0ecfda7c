r"""The ward's report and self-assessment laid out as :class:`reports.cells.Table`\s."""

from __future__ import annotations

from collections.abc import Callable

from ward_desk.reports.cells import Cell, Table

from ward_desk.domain.criteria import format_points
from ward_desk.domain.report_math import Counts, Period
from ward_desk.i18n import get_language, t
from ward_desk.services.assessment import AssessmentView
from ward_desk.services.reporting import UNASSIGNED, PeriodReport

# Columns of the report, in the order of the layout real one-stop software uses (domain notes §6).
COUNT_COLUMNS: tuple[str, ...] = (
    "opening",
    "received_online",
    "received_direct",
    "received_postal",
    "to_handle",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "closed_without_result",
    "open_not_due",
    "open_overdue",
    "open_waiting_supplement",
    "apology_slips",
)
RATE_COLUMNS: tuple[str, ...] = ("on_time_rate", "satisfaction")


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _rates(c: Counts) -> dict[str, float | None]:
    return {
        "on_time_rate": _percent(c.on_time_rate),
        "satisfaction": _percent(c.ratings_satisfied / c.ratings if c.ratings else None),
    }


def period_label(period: Period, language: str | None = None) -> str:
    """"Tháng 3/2025", "Quý 1 năm 2025", ... in the current (or given) language."""
    y = period.start.year
    if period.kind == "month":
        return t("report.period.month", language, month=period.start.month, year=y)
    if period.kind == "quarter":
        return t("report.period.quarter", language, n=(period.start.month - 1) // 3 + 1, year=y)
    if period.kind == "half":
        which = t(f"report.period.half.{1 if period.start.month == 1 else 2}", language)
        return t("report.period.half", language, which=which, year=y)
    if period.kind == "nine_months":
        return t("report.period.nine_months", language, year=y)
    return t("report.period.year", language, year=y)


def _row(label: str, c: Counts) -> list[Cell]:
    values = c.as_dict()
    rates = _rates(c)
    return [label, *(values[k] for k in COUNT_COLUMNS), *(rates[k] for k in RATE_COLUMNS)]


def _table(title: str, first: str, rows: dict[str, Counts], label: Callable[[str], str],
           language: str | None) -> Table:
    header = [t(first, language)] + [t(f"report.col.{k}", language) for k in (*COUNT_COLUMNS, *RATE_COLUMNS)]
    total = Counts()
    body = []
    for key in sorted(rows, key=lambda k: (k == "", label(k).casefold())):
        body.append(_row(label(key), rows[key]))
        total.add(rows[key])
    return Table(title, header, body, _row(t("report.total", language), total))


def report_tables(report: PeriodReport, language: str | None = None) -> list[Table]:
    """The by-field and by-officer tables of ``report``."""

    def field_label(key: str) -> str:
        return key or t("report.no_field", language)

    def officer_label(key: str) -> str:
        if key == UNASSIGNED:
            return t("report.unassigned", language)
        return report.officer_names.get(key, key)

    return [
        _table(t("report.section.field", language), "report.col.field", report.by_field.rows, field_label, language),
        _table(t("report.section.officer", language), "report.col.officer", report.by_officer.rows, officer_label,
               language),
    ]


def indicator_table(report: PeriodReport, language: str | None = None) -> Table:
    """Every indicator of the office total with its numerator and denominator."""
    header = [t(f"report.col.{k}", language) for k in ("indicator", "value", "numerator", "denominator")]
    rows: list[list[Cell]] = []
    for key, value in report.indicators().items():
        shown: Cell = value.value if value.kind == "count" else _percent(value.value)
        if value.kind == "count" and value.value is not None:
            shown = int(value.value)
        rows.append([t(f"indicator.{key}", language), shown, value.numerator, value.denominator])
    return Table(t("report.section.indicators", language), header, rows, [])


def report_headline(report: PeriodReport, language: str | None = None) -> list[str]:
    """Title lines: report title, office and period, generation time."""
    return [
        t("report.title", language),
        t("report.subtitle", language, office=report.office_name, period=period_label(report.period, language),
          start=report.period.start.strftime("%d/%m/%Y"),
          end=(report.period.end.fromordinal(report.period.end.toordinal() - 1)).strftime("%d/%m/%Y")),
        t("report.generated", language, at=report.generated_at.strftime("%d/%m/%Y %H:%M UTC")),
    ]


def assessment_table(view: AssessmentView, language: str | None = None) -> Table:
    """One row per scored item: id, title, max, points, explanation; totals row."""
    language = language or get_language()
    header = [t(f"assess.col.{k}", language) for k in ("criterion", "title", "max", "points", "explanation")]
    titles = {}
    if view.criteria_set is not None:
        titles = {c.id: c.title(language) for _, c in view.criteria_set.items()}
    rows: list[list[Cell]] = []
    for item in view.items:
        points = "" if item.points_c is None else format_points(item.points_c, language)
        rows.append([item.criterion_id, titles.get(item.criterion_id, ""), format_points(item.max_c, language),
                     points, item.explanation(language).render(language)])
    total = [t("report.total", language), view.band_name(language), format_points(view.max_c, language),
             format_points(view.total_c, language), ""]
    return Table(t("report.sheet.assessment", language), header, rows, total)


def assessment_headline(view: AssessmentView, office_name: str, language: str | None = None) -> list[str]:
    """Title and status lines of a self-assessment."""
    language = language or get_language()
    lines = [
        t("assess.title", language, month=view.month),
        t("assess.subtitle", language, office=office_name,
          set=view.criteria_set.title(language) if view.criteria_set else view.set_key),
        t("assess.state", language, state=t(f"assess.state.{view.state}", language), revision=view.revision),
        t("assess.total", language, total=format_points(view.total_c, language),
          max=format_points(view.max_c, language), band=view.band_name(language) or t("assess.no_band", language)),
    ]
    if view.revision_reason:
        lines.append(t("assess.revision_reason", language, reason=view.revision_reason))
    if view.signature and view.submitted_at:
        lines.append(t("assess.signed", language, name=view.signed_by,
                       at=view.submitted_at.strftime("%d/%m/%Y %H:%M UTC"), signature=view.signature.hex()[:32] + "…"))
    if view.review_comment:
        at = view.reviewed_at.strftime("%d/%m/%Y") if view.reviewed_at else ""
        lines.append(t("assess.review", language, at=at, comment=view.review_comment))
    return lines
