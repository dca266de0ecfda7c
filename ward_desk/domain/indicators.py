"""Named indicators over a period's dossier counts, the inputs of computed criteria.

Each indicator is a pure function of :class:`~ward_desk.domain.report_math.Counts`
and returns an :class:`IndicatorValue` carrying its numerator and denominator,
so an explanation can always show where a score came from
("on-time 96.4% = 482/500 -> 4/4 pts"). A rate whose denominator is zero has
``value None``: the criterion rule decides what an empty month scores.

Definitions (documented for users in reports/CRITERIA_FORMAT.md):

- ``on_time_rate``  (early + on time) / resolved
- ``early_rate``    early / resolved
- ``late_rate``     late / resolved
- ``online_share``  received online / received
- ``postal_share``  received by public postal service / received
- ``direct_share``  received at the desk / received
- ``digitized_share`` received dossiers digitized (or filed online, which is born digital) / received
- ``satisfaction_share`` ratings satisfied or very satisfied / ratings given in the period
- ``rating_coverage`` ratings given / dossiers resolved in the period
- ``apology_share`` late dossiers that got an apology slip / late dossiers
  (resolved late in the period + still open and overdue at its end)
- ``overdue_count`` dossiers open and past their statutory due date at period end
- ``refusal_share`` (rejected + withdrawn) / dossiers finished in the period
- ``supplement_share`` open dossiers waiting for a supplement / open at period end
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ward_desk.domain.report_math import Counts

__all__ = ["INDICATORS", "IndicatorSpec", "IndicatorValue", "compute_all", "compute_indicator"]


@dataclass(frozen=True)
class IndicatorValue:
    """The value of one indicator: a rate in [0, 1] (``kind == "rate"``) or a count."""

    id: str
    kind: str  # rate | count
    numerator: int
    denominator: int | None  # None for counts
    value: float | None  # None when a rate has nothing to divide by

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON and the stored self-assessment."""
        return {
            "id": self.id,
            "kind": self.kind,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "value": self.value,
        }


@dataclass(frozen=True)
class IndicatorSpec:
    """What the criteria validator needs to know about an indicator."""

    id: str
    kind: str  # rate | count
    higher_is_better: bool
    compute: Callable[[Counts], IndicatorValue]


def _rate(indicator_id: str, numerator: int, denominator: int) -> IndicatorValue:
    value = numerator / denominator if denominator else None
    return IndicatorValue(indicator_id, "rate", numerator, denominator, value)


def _count(indicator_id: str, n: int) -> IndicatorValue:
    return IndicatorValue(indicator_id, "count", n, None, float(n))


def on_time_rate(c: Counts) -> IndicatorValue:
    """(early + on time) / resolved."""
    return _rate("on_time_rate", c.resolved_early + c.resolved_on_time, c.resolved)


def early_rate(c: Counts) -> IndicatorValue:
    """early / resolved."""
    return _rate("early_rate", c.resolved_early, c.resolved)


def late_rate(c: Counts) -> IndicatorValue:
    """late / resolved."""
    return _rate("late_rate", c.resolved_late, c.resolved)


def online_share(c: Counts) -> IndicatorValue:
    """Received online / received."""
    return _rate("online_share", c.received_online, c.received)


def postal_share(c: Counts) -> IndicatorValue:
    """Received through the public postal service / received."""
    return _rate("postal_share", c.received_postal, c.received)


def direct_share(c: Counts) -> IndicatorValue:
    """Received at the desk / received."""
    return _rate("direct_share", c.received_direct, c.received)


def digitized_share(c: Counts) -> IndicatorValue:
    """Received dossiers digitized (or filed online) / received."""
    return _rate("digitized_share", c.received_digitized, c.received)


def satisfaction_share(c: Counts) -> IndicatorValue:
    """Satisfied or very satisfied ratings / ratings given in the period."""
    return _rate("satisfaction_share", c.ratings_satisfied, c.ratings)


def rating_coverage(c: Counts) -> IndicatorValue:
    """Ratings given / dossiers resolved in the period (capped at 100%)."""
    value = _rate("rating_coverage", c.ratings, c.resolved)
    if value.value is not None and value.value > 1:
        return IndicatorValue(value.id, value.kind, value.numerator, value.denominator, 1.0)
    return value


def apology_share(c: Counts) -> IndicatorValue:
    """Late dossiers with an apology slip / late dossiers (resolved late + open overdue)."""
    late = c.resolved_late + c.open_overdue
    with_slip = c.resolved_late_with_apology + c.open_overdue_with_apology
    return _rate("apology_share", with_slip, late)


def overdue_count(c: Counts) -> IndicatorValue:
    """Open dossiers past their statutory due date at period end."""
    return _count("overdue_count", c.open_overdue)


def refusal_share(c: Counts) -> IndicatorValue:
    """(Rejected + withdrawn) / dossiers finished in the period."""
    finished = c.resolved + c.closed_without_result
    return _rate("refusal_share", c.closed_without_result, finished)


def supplement_share(c: Counts) -> IndicatorValue:
    """Open dossiers waiting for a supplement / open at period end."""
    return _rate("supplement_share", c.open_waiting_supplement, c.open_at_end)


INDICATORS: dict[str, IndicatorSpec] = {
    spec.id: spec
    for spec in (
        IndicatorSpec("on_time_rate", "rate", True, on_time_rate),
        IndicatorSpec("early_rate", "rate", True, early_rate),
        IndicatorSpec("late_rate", "rate", False, late_rate),
        IndicatorSpec("online_share", "rate", True, online_share),
        IndicatorSpec("postal_share", "rate", True, postal_share),
        IndicatorSpec("direct_share", "rate", False, direct_share),
        IndicatorSpec("digitized_share", "rate", True, digitized_share),
        IndicatorSpec("satisfaction_share", "rate", True, satisfaction_share),
        IndicatorSpec("rating_coverage", "rate", True, rating_coverage),
        IndicatorSpec("apology_share", "rate", True, apology_share),
        IndicatorSpec("overdue_count", "count", False, overdue_count),
        IndicatorSpec("refusal_share", "rate", False, refusal_share),
        IndicatorSpec("supplement_share", "rate", False, supplement_share),
    )
}
"""Every indicator a criteria set may name, by id."""


def compute_indicator(indicator_id: str, counts: Counts) -> IndicatorValue:
    """The named indicator over ``counts`` (KeyError for an unknown id)."""
    return INDICATORS[indicator_id].compute(counts)


def compute_all(counts: Counts) -> dict[str, IndicatorValue]:
    """Every indicator over ``counts``, by id."""
    return {key: spec.compute(counts) for key, spec in INDICATORS.items()}
