"""The 12-month trend: the on-time rate of each month from the dossiers and the
self-assessment total the office stored for it.

Shape (``TrendRow.as_dict``, what ``ward-desk report trend --json`` prints and the
app plots), one object per month, oldest first::

    {"month": "2026-01", "on_time_rate": 0.964 | null, "resolved": 482,
     "total": 87.5 | null, "state": "draft" | "submitted" | "returned" | "accepted" | null,
     "submitted": true | false}

``on_time_rate`` and ``resolved`` equal the month's report (one range scan of
``completed_at`` over the twelve months, the report's own SQL rule). ``total`` is
the latest stored revision of the month's self-assessment: the signed total once
submitted (``submitted`` true, also after a return or acceptance), else the draft's
total as last saved. A month with no stored self-assessment has ``total`` and
``state`` null: the trend never re-scores months (the self-assessment screen shows
the current month's provisional score).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ward_desk.domain.criteria import format_points, format_rate
from ward_desk.domain.report_math import Period
from ward_desk.i18n import get_language, t
from ward_desk.services.reporting import resolved_by_month
from ward_desk.services.session import Session
from ward_desk.store.models import SelfAssessment

_SPARK = "▁▂▃▄▅▆▇█"
_SIGNED = ("submitted", "returned", "accepted")


@dataclass(frozen=True)
class TrendRow:
    """One month of the trend."""

    month: str
    on_time_rate: float | None
    resolved: int
    total_c: int | None  # hundredths of a point; None: no self-assessment stored for the month
    state: str | None  # the stored revision's state (draft | submitted | returned | accepted), None if none

    @property
    def submitted(self) -> bool:
        """True when the total is a signed submission (submitted, returned or accepted)."""
        return self.state in _SIGNED

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` and the app's plot (the shape in the module docstring)."""
        return {"month": self.month, "on_time_rate": self.on_time_rate, "resolved": self.resolved,
                "total": None if self.total_c is None else self.total_c / 100, "state": self.state,
                "submitted": self.submitted}


def _latest_revisions(months: list[str]) -> dict[str, tuple[int, str]]:
    """(total, state) of the latest revision of each month that has one."""
    latest: dict[str, tuple[int, int, str]] = {}
    query = (SelfAssessment.select(SelfAssessment.month, SelfAssessment.revision, SelfAssessment.total,
                                   SelfAssessment.state)
             .where(SelfAssessment.month.in_(months)).tuples())
    for month, revision, total, state in query:
        if month not in latest or revision > latest[month][0]:
            latest[month] = (revision, total, state)
    return {m: (total, state) for m, (_, total, state) in latest.items()}


def trend_rows(session: Session, last: Period, months: int = 12) -> list[TrendRow]:
    """The ``months`` months ending with ``last``, oldest first: one query over the
    dossiers and one over the stored self-assessments."""
    timings = resolved_by_month(session, last, months)
    stored = _latest_revisions([m.period.label for m in timings])
    out = []
    for m in timings:
        total, state = stored.get(m.period.label, (None, None))
        out.append(TrendRow(m.period.label, m.on_time_rate, m.resolved, total, state))
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
    body = [[r.month, None if r.on_time_rate is None else format_rate(r.on_time_rate, lang), r.resolved,
             None if r.total_c is None else format_points(r.total_c, lang),
             None if r.state is None else t(f"assess.state.{r.state}", lang)] for r in rows]
    lines = [
        t("report.trend.title", lang),
        tabulate(body, headers=header, tablefmt="simple", missingval="-", disable_numparse=True),
        "",
        f"{t('report.col.on_time_rate', lang)}: {sparkline([r.on_time_rate for r in rows])}",
        f"{t('report.trend.col.total', lang)}: {sparkline([None if r.total_c is None else r.total_c / 100 for r in rows])}",
    ]
    return "\n".join(lines)
