"""One definition of each figure an officer acts on, shared by the ward and the province.

The ward's dashboard, its reports and self-assessment, and the province's lists and
ranking all count with these rules (the ward and the province evaluate them in SQL
over their own tables; a test holds each SQL form equal to the functions here).

Definitions, for a dossier looked at an instant ``at`` (naive UTC):

- **due date that counts**: the *statutory* due date (``statutory_due_at``: the
  procedure's time limit, moved only by pauses and a restarted clock). An apology
  slip gives the citizen a new appointment (``due_at``) but does not make a late
  dossier on time: Decree 118/2025/NĐ-CP keeps the time limit and asks the office
  to apologise for missing it. So every count below uses the statutory date.
- **early / on time / late** (resolved dossiers): :func:`ward_desk.domain.timing.classify`
  against the statutory due date.
- **overdue** (the same as *unresolved-overdue*): no result yet, not closed, the clock
  running (not waiting for a supplement, not suspended) and the statutory due date
  passed. A paused dossier is not overdue: its clock does not run.
- **apology-extended**: an overdue dossier with an apology slip whose new appointment
  has not passed yet. It is *counted as overdue* (it is late against the law) and shown
  as its own line "of which extended by an apology slip", so a count that used the
  new appointment (the dashboard did, and showed fewer) can be explained.
- **overdue past the appointment**: overdue and not apology-extended (no slip, or the
  slip's new date has passed too): the dossiers needing action first.
- **on-time share** (the ranking's figure): (early + on time) / (resolved + overdue at
  the period end). A ward cannot rank first at 100% while dossiers it has not
  resolved are already late. The criteria indicator ``on_time_rate`` stays
  (early + on time) / resolved, as the 766 criteria set scores it; both are shown.

Pure: no store, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from ward_desk.domain.report_math import Counts

__all__ = [
    "CLOCK_RUNNING_STATES",
    "OVERDUE_AGAINST",
    "PAUSED_STATES",
    "DossierStanding",
    "Standing",
    "is_apology_extended",
    "is_overdue",
    "on_time_share",
    "standing",
]

CLOCK_RUNNING_STATES: tuple[str, ...] = ("received", "in_progress")
"""States of an unfinished dossier whose processing clock runs (the others are paused)."""

PAUSED_STATES: tuple[str, ...] = ("supplement_requested", "suspended")
"""States of an unfinished dossier whose clock does not run (``lifecycle.PAUSED``)."""

OVERDUE_AGAINST = "statutory_due_at"
"""The column (on the ward's ``dossier`` and the province's facts) every overdue count compares."""


class Standing(str, Enum):
    """Where one dossier stands at an instant, as the figures count it."""

    FINISHED = "finished"  # result ready, returned, refused or withdrawn
    PAUSED = "paused"  # waiting for a supplement or suspended: the clock does not run
    NOT_DUE = "not_due"
    APOLOGY_EXTENDED = "apology_extended"  # overdue, new appointment not passed
    OVERDUE = "overdue"  # overdue past any appointment

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class DossierStanding:
    """What the figures need of one dossier (both sides have these columns)."""

    state: str
    statutory_due_at: datetime | None
    due_at: datetime | None  # the appointment: the statutory date, or an apology slip's new date
    apology_count: int = 0
    completed_at: datetime | None = None
    closed_at: datetime | None = None


def standing(d: DossierStanding, at: datetime) -> Standing:
    """The standing of ``d`` at ``at`` (see the module's definitions)."""
    if d.completed_at is not None and d.completed_at <= at:
        return Standing.FINISHED
    if d.closed_at is not None and d.closed_at <= at:
        return Standing.FINISHED
    finished_later = d.completed_at is not None or d.closed_at is not None
    # Finished after ``at``: it was unfinished then, and (as neither side replays the
    # events of a finished dossier) counted as running, never as paused.
    if not finished_later and d.state not in CLOCK_RUNNING_STATES:
        return Standing.PAUSED if d.state in PAUSED_STATES else Standing.FINISHED
    if d.statutory_due_at is None or at <= d.statutory_due_at:
        return Standing.NOT_DUE
    if d.apology_count > 0 and d.due_at is not None and at <= d.due_at:
        return Standing.APOLOGY_EXTENDED
    return Standing.OVERDUE


def is_overdue(d: DossierStanding, at: datetime) -> bool:
    """Unresolved and past the statutory due date with the clock running (apology or not)."""
    return standing(d, at) in (Standing.OVERDUE, Standing.APOLOGY_EXTENDED)


def is_apology_extended(d: DossierStanding, at: datetime) -> bool:
    """Overdue, but an apology slip's new appointment has not passed yet."""
    return standing(d, at) is Standing.APOLOGY_EXTENDED


def on_time_share(c: Counts) -> tuple[int, int, float | None]:
    """(early + on time, resolved + overdue at the end, their ratio or None): the ranking's on-time figure."""
    numerator = c.resolved_early + c.resolved_on_time
    denominator = c.resolved + c.open_overdue
    return numerator, denominator, (numerator / denominator if denominator else None)
