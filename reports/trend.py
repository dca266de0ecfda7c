"""The 12-month trend: on-time rate from the dossiers and the self-assessment total
(the submitted one when there is one, else the provisional score of the month)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ward_desk.domain.criteria import format_points, score
from ward_desk.domain.indicators import compute_all
from ward_desk.domain.report_math import Period
from ward_desk.i18n import get_language, t
from ward_desk.services import assessment
from ward_desk.services.reporting import trend
from ward_desk.services.session import Session
from ward_desk.store.models import SelfAssessment

_SPARK = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class TrendRow:
    """One month of the trend."""

    month: str
    on_time_rate: float | None
    resolved: int
    total_c: int
    state: str  # draft (provisional score) | submitted | returned | accepted

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` and the app's plot."""
        return {"month": self.month, "on_time_rate": self.on_time_rate, "resolved": self.resolved,
                "total": self.total_c / 100, "state": self.state}


def trend_rows(session: Session, last: Period, months: int = 12) -> list[TrendRow]:
    """The ``months`` months ending with ``last``, oldest first."""
    reports = trend(session, last, months)
    stored: dict[str, SelfAssessment] = {}
    for row in SelfAssessment.select().where(SelfAssessment.month.in_([r.period.label for r in reports])):
        if row.month not in stored or row.revision > stored[row.month].revision:
            stored[row.month] = row
    criteria_set = assessment.active_set()
    out = []
    for report in reports:
        counts = report.total
        row = stored.get(report.period.label)
        if row is not None and row.state != "draft":
            total, state = row.total, row.state
        else:
            # Provisional: computed items only, manual ones from the draft if any.
            manual = assessment._manual_from(row) if row is not None else {}
            total, state = score(criteria_set, compute_all(counts), manual).total_c, "draft"
        out.append(TrendRow(report.period.label, counts.on_time_rate, counts.resolved, total, state))
    return out


def sparkline(values: list[float | None]) -> str:
    """A one-line chart of ``values`` (blank where a value is missing)."""
    present = [v for v in values if v is not None]
    if not present:
        return " " * len(values)
    low, high = min(present), max(present)
    span = (high - low) or 1.0
    return "".join(" " if v is None else _SPARK[int((v - low) / span * (len(_SPARK) - 1))] for v in values)


def render_trend(rows: list[TrendRow], language: str | None = None) -> str:
    """The trend as a table with sparklines of the on-time rate and the total."""
    from tabulate import tabulate

    lang = language or get_language()
    header = [t("report.trend.col.month", lang), t("report.col.on_time_rate", lang), t("report.col.resolved", lang),
              t("report.trend.col.total", lang), t("report.trend.col.state", lang)]
    body = [[r.month, None if r.on_time_rate is None else round(r.on_time_rate * 100, 1), r.resolved,
             format_points(r.total_c, lang), t(f"assess.state.{r.state}", lang)] for r in rows]
    lines = [
        t("report.trend.title", lang),
        tabulate(body, headers=header, tablefmt="simple", missingval="-", disable_numparse=True),
        "",
        f"{t('report.col.on_time_rate', lang)}: {sparkline([r.on_time_rate for r in rows])}",
        f"{t('report.trend.col.total', lang)}: {sparkline([r.total_c / 100 for r in rows])}",
    ]
    return "\n".join(lines)
