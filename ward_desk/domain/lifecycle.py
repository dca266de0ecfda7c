"""The dossier lifecycle: states, actions, the transition table and event folding.

The table follows the one-stop rules in force since 1 July 2025 (Decree 118/2025/NĐ-CP,
Circular 03/2025/TT-VPCP):

================================  ===================================================
action                            from -> to
================================  ===================================================
forward                           received -> in_progress
request_supplement (reason)       received | in_progress -> supplement_requested
complete_supplement               supplement_requested -> in_progress (clock restarts)
suspend (reason + legal basis)    received | in_progress -> suspended
resume                            suspended -> in_progress
mark_result_ready                 received | in_progress -> result_ready
return_result                     result_ready -> returned
reject (reason)                   received | in_progress | supplement_requested |
                                  suspended -> rejected
withdraw (reason)                 received | in_progress | supplement_requested |
                                  suspended -> withdrawn
================================  ===================================================

A citizen may ask to stop a dossier only while no decision has been issued
(Decree 118/2025), so ``withdraw`` is not allowed once the result is ready.

A dossier's state is never stored as a flag: :func:`fold` replays its events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any

from ward_desk.domain.calendar import WorkingCalendar
from ward_desk.domain.timing import (
    DEFAULT_RULES,
    CountingRules,
    Timing,
    classify,
    local_day,
)
from ward_desk.errors import RuleViolation
from ward_desk.i18n import Message

__all__ = [
    "PAUSED",
    "TERMINAL",
    "Action",
    "EventRecord",
    "Projection",
    "State",
    "action_label",
    "allowed_actions",
    "apology_is_late",
    "apology_latest_day",
    "can_issue_apology",
    "fold",
    "requires_legal_basis",
    "requires_reason",
    "state_label",
    "target_state",
    "timing_of",
    "transition",
    "validate_apology",
]


class State(str, Enum):
    """Where a dossier stands."""

    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    SUSPENDED = "suspended"
    RESULT_READY = "result_ready"
    RETURNED = "returned"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    def __str__(self) -> str:
        return self.value


class Action(str, Enum):
    """What an officer does to a dossier."""

    FORWARD = "forward"
    REQUEST_SUPPLEMENT = "request_supplement"
    COMPLETE_SUPPLEMENT = "complete_supplement"
    SUSPEND = "suspend"
    RESUME = "resume"
    MARK_RESULT_READY = "mark_result_ready"
    RETURN_RESULT = "return_result"
    REJECT = "reject"
    WITHDRAW = "withdraw"

    def __str__(self) -> str:
        return self.value


TERMINAL: frozenset[State] = frozenset({State.RETURNED, State.REJECTED, State.WITHDRAWN})
"""States that allow no further action."""

PAUSED: frozenset[State] = frozenset({State.SUPPLEMENT_REQUESTED, State.SUSPENDED})
"""States in which the processing clock does not run."""

_S, _A = State, Action
_TABLE: dict[State, dict[Action, State]] = {
    _S.RECEIVED: {
        _A.FORWARD: _S.IN_PROGRESS,
        _A.REQUEST_SUPPLEMENT: _S.SUPPLEMENT_REQUESTED,
        _A.SUSPEND: _S.SUSPENDED,
        _A.MARK_RESULT_READY: _S.RESULT_READY,
        _A.REJECT: _S.REJECTED,
        _A.WITHDRAW: _S.WITHDRAWN,
    },
    _S.IN_PROGRESS: {
        _A.REQUEST_SUPPLEMENT: _S.SUPPLEMENT_REQUESTED,
        _A.SUSPEND: _S.SUSPENDED,
        _A.MARK_RESULT_READY: _S.RESULT_READY,
        _A.REJECT: _S.REJECTED,
        _A.WITHDRAW: _S.WITHDRAWN,
    },
    _S.SUPPLEMENT_REQUESTED: {
        _A.COMPLETE_SUPPLEMENT: _S.IN_PROGRESS,
        _A.REJECT: _S.REJECTED,
        _A.WITHDRAW: _S.WITHDRAWN,
    },
    _S.SUSPENDED: {
        _A.RESUME: _S.IN_PROGRESS,
        _A.REJECT: _S.REJECTED,
        _A.WITHDRAW: _S.WITHDRAWN,
    },
    _S.RESULT_READY: {_A.RETURN_RESULT: _S.RETURNED},
    _S.RETURNED: {},
    _S.REJECTED: {},
    _S.WITHDRAWN: {},
}

_ALLOWED: dict[State, tuple[Action, ...]] = {s: tuple(moves) for s, moves in _TABLE.items()}
_NEEDS_REASON = frozenset({_A.REQUEST_SUPPLEMENT, _A.SUSPEND, _A.REJECT, _A.WITHDRAW})
_NEEDS_LEGAL_BASIS = frozenset({_A.SUSPEND})
_PAUSING = frozenset({_A.REQUEST_SUPPLEMENT, _A.SUSPEND})
_UNPAUSING = frozenset({_A.COMPLETE_SUPPLEMENT, _A.RESUME})


def state_label(state: State) -> Message:
    """The catalogue message naming ``state`` for people."""
    return Message(f"lifecycle.state.{State(state).value}")


def action_label(action: Action) -> Message:
    """The catalogue message naming ``action`` for people."""
    return Message(f"lifecycle.action.{Action(action).value}")


def allowed_actions(state: State) -> tuple[Action, ...]:
    """The actions allowed in ``state``, in a stable order (empty for terminal states)."""
    return _ALLOWED[State(state)]


def requires_reason(action: Action) -> bool:
    """True if ``action`` needs a written reason (what is missing, why refused...)."""
    return Action(action) in _NEEDS_REASON


def requires_legal_basis(action: Action) -> bool:
    """True if ``action`` needs the legal basis (the document that allows it)."""
    return Action(action) in _NEEDS_LEGAL_BASIS


def _illegal(state: State, action: Action, **extra: Any) -> RuleViolation:
    return RuleViolation(
        "lifecycle.illegal",
        state=state.value,
        action=action.value,
        state_label=state_label(state),
        action_label=action_label(action),
        **extra,
    )


def target_state(state: State, action: Action) -> State:
    """The state ``action`` leads to from ``state``; RuleViolation if not allowed."""
    state, action = State(state), Action(action)
    target = _TABLE[state].get(action)
    if target is None:
        raise _illegal(state, action)
    return target


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def transition(
    state: State,
    action: Action,
    reason: str | None = None,
    legal_basis: str | None = None,
) -> State:
    """Apply ``action`` to a dossier in ``state`` and return the new state.

    Raises ``RuleViolation("lifecycle.illegal")`` when the table does not allow
    the move, ``"lifecycle.reason_required"`` when a needed reason is missing or
    blank, ``"lifecycle.legal_basis_required"`` likewise for the legal basis.
    """
    target = target_state(state, action)
    action = Action(action)
    if action in _NEEDS_REASON and _blank(reason):
        raise RuleViolation(
            "lifecycle.reason_required", action=action.value, action_label=action_label(action)
        )
    if action in _NEEDS_LEGAL_BASIS and _blank(legal_basis):
        raise RuleViolation(
            "lifecycle.legal_basis_required",
            action=action.value,
            action_label=action_label(action),
        )
    return target


# -- events and their projection ----------------------------------------------------

INTAKE = "intake"
TRANSITION = "transition"
APOLOGY = "apology"


@dataclass(frozen=True)
class EventRecord:
    """One entry of a dossier's history, as the domain needs it.

    ``kind`` is ``"intake"`` (from_state None, to_state RECEIVED, due_at set),
    ``"transition"`` (``data["action"]`` holds the Action value; ``due_at`` set
    when the event recomputed the statutory due date, e.g. complete_supplement,
    resume) or ``"apology"`` (state unchanged; ``due_at`` = the new appointment).
    """

    at: datetime
    kind: str
    from_state: State | None
    to_state: State
    due_at: datetime | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Projection:
    """What a dossier's events add up to.

    ``due_at`` is the date in force (an apology's new appointment included);
    ``statutory_due_at`` excludes apology dates and is what timing is judged
    against; ``original_due_at`` is the date set at intake.
    ``completed_at`` is when the result was marked ready; ``closed_at`` when a
    terminal state was reached. ``paused_intervals`` are (start, end) pairs, end
    None while the pause is open.
    """

    state: State
    due_at: datetime | None
    original_due_at: datetime | None
    statutory_due_at: datetime | None
    completed_at: datetime | None
    returned_at: datetime | None
    closed_at: datetime | None
    paused_intervals: tuple[tuple[datetime, datetime | None], ...]
    apology_count: int
    supplement_count: int
    apology_due_at: datetime | None = None

    @property
    def is_terminal(self) -> bool:
        """True once the dossier is closed (returned, rejected or withdrawn)."""
        return self.state in TERMINAL

    @property
    def is_paused(self) -> bool:
        """True while the processing clock is stopped."""
        return self.state in PAUSED


def _broken(index: int) -> RuleViolation:
    return RuleViolation("lifecycle.broken_history", index=index, number=index + 1)


def fold(events: Iterable[EventRecord]) -> Projection:
    """Replay a dossier's events (oldest first) into its :class:`Projection`.

    Each event must start from the running state and make a move the table
    allows; otherwise ``RuleViolation("lifecycle.broken_history", index=i)``.
    Reasons are not re-checked here (they were checked when the event was
    written); timestamps are not required to increase, because an office PC's
    clock may be set back and its history must still be readable.

    A transition event carrying ``due_at`` replaces the statutory due date; the
    date in force becomes the later of it and any apology appointment, so a
    recomputation never silently drops a promise made to the citizen.
    """
    state: State | None = None
    due_at = original = statutory = apology_due = None
    completed_at = returned_at = closed_at = None
    pauses: list[tuple[datetime, datetime | None]] = []
    apologies = supplements = 0

    for i, ev in enumerate(events):
        if ev.kind == INTAKE:
            if i != 0 or ev.from_state is not None or ev.to_state != State.RECEIVED:
                raise _broken(i)
            if ev.due_at is None:
                raise _broken(i)
            state = State.RECEIVED
            due_at = original = statutory = ev.due_at
            continue
        if state is None or ev.from_state != state:
            raise _broken(i)
        if ev.kind == APOLOGY:
            if (
                ev.to_state != state
                or ev.due_at is None
                or state in TERMINAL
                or state == State.RESULT_READY
                or apologies >= 1
            ):
                raise _broken(i)
            apologies += 1
            due_at = apology_due = ev.due_at
            continue
        if ev.kind != TRANSITION:
            raise _broken(i)
        try:
            action = Action(ev.data.get("action"))
        except ValueError:
            raise _broken(i) from None
        target = _TABLE[state].get(action)
        if target is None or target != ev.to_state:
            raise _broken(i)

        if action in _PAUSING:
            pauses.append((ev.at, None))
            if action == Action.REQUEST_SUPPLEMENT:
                supplements += 1
        elif action in _UNPAUSING and pauses and pauses[-1][1] is None:
            pauses[-1] = (pauses[-1][0], ev.at)
        if action == Action.MARK_RESULT_READY:
            completed_at = ev.at
        elif action == Action.RETURN_RESULT:
            returned_at = ev.at
        if ev.due_at is not None:
            statutory = ev.due_at
            due_at = max(ev.due_at, apology_due) if apology_due is not None else ev.due_at
        if target in TERMINAL:
            closed_at = ev.at
        state = target

    if state is None:
        raise _broken(0)
    return Projection(
        state=state,
        due_at=due_at,
        original_due_at=original,
        statutory_due_at=statutory,
        completed_at=completed_at,
        returned_at=returned_at,
        closed_at=closed_at,
        paused_intervals=tuple(pauses),
        apology_count=apologies,
        supplement_count=supplements,
        apology_due_at=apology_due,
    )


def timing_of(
    projection: Projection,
    calendar: WorkingCalendar,
    rules: CountingRules = DEFAULT_RULES,
) -> Timing | None:
    """Early / on time / late of a completed dossier, judged against the statutory
    due date (an apology's new appointment never makes a late dossier on time).
    None while the result is not ready (and for dossiers closed without a result)."""
    if projection.completed_at is None or projection.statutory_due_at is None:
        return None
    return classify(projection.completed_at, projection.statutory_due_at, calendar, rules)


# -- apology slips (form 04, Decree 118/2025/NĐ-CP) -------------------------------------


def apology_latest_day(due_at_utc: datetime, calendar: WorkingCalendar,
                       rules: CountingRules = DEFAULT_RULES) -> date:
    """The last day an apology slip is on time: one working day before the due day
    (Decree 118/2025/NĐ-CP). It is a latest date: an officer
    who knows a week ahead issues it then."""
    return calendar.previous_working_day(local_day(due_at_utc, rules))


def apology_is_late(now_utc: datetime, due_at_utc: datetime, calendar: WorkingCalendar,
                    rules: CountingRules = DEFAULT_RULES) -> bool:
    """True when an apology slip issued at ``now_utc`` comes after its latest day: still
    allowed (the citizen must be told), but recorded as late."""
    return local_day(now_utc, rules) > apology_latest_day(due_at_utc, calendar, rules)


def _apology_problem(
    projection: Projection,
    now_utc: datetime,
    calendar: WorkingCalendar,
    rules: CountingRules,
    declared_late: bool = False,
) -> str | None:
    # Any time is allowed: too late is recorded (apology_is_late), never refused; so an
    # officer's "will not be ready" declaration (declared_late) no longer has to open a window.
    del now_utc, calendar, rules, declared_late
    if projection.state in TERMINAL or projection.state == State.RESULT_READY:
        return "apology.not_open"
    if projection.apology_count >= 1:
        return "apology.already_issued"
    if projection.due_at is None:
        return "apology.not_open"
    return None


def can_issue_apology(
    projection: Projection,
    now_utc: datetime,
    calendar: WorkingCalendar,
    rules: CountingRules = DEFAULT_RULES,
    declared_late: bool = False,
) -> bool:
    """True when an apology slip with a new appointment may be issued now: the
    dossier is open and not yet ready and no apology was issued before (the date may
    be reset only once). Early is always fine (an officer's ``declared_late`` is
    accepted and changes nothing now); after :func:`apology_latest_day` it is
    allowed and :func:`apology_is_late` says so."""
    return _apology_problem(projection, now_utc, calendar, rules, declared_late) is None


def validate_apology(
    projection: Projection,
    new_due_at_utc: datetime,
    now_utc: datetime,
    calendar: WorkingCalendar,
    rules: CountingRules = DEFAULT_RULES,
    declared_late: bool = False,
) -> None:
    """Check an apology slip's new appointment; raise RuleViolation if it is not acceptable.

    Ids: ``apology.not_open`` (closed or result ready), ``apology.already_issued``
    (only once), ``apology.date_not_later`` (must be after the current due date),
    ``apology.date_in_past`` (must be in the future), ``apology.date_not_working_day``
    (the citizen must be able to come on that day).
    """
    problem = _apology_problem(projection, now_utc, calendar, rules, declared_late)
    if problem is not None:
        raise RuleViolation(problem, state=projection.state.value)
    assert projection.due_at is not None  # checked by _apology_problem
    if new_due_at_utc <= now_utc:
        raise RuleViolation("apology.date_in_past")
    if new_due_at_utc <= projection.due_at:
        raise RuleViolation("apology.date_not_later", due_day=local_day(projection.due_at, rules))
    day = local_day(new_due_at_utc, rules)
    if not calendar.is_working_day(day):
        raise RuleViolation("apology.date_not_working_day", day=day)
