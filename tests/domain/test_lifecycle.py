from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ward_desk.domain.calendar import WorkingCalendar
from ward_desk.domain.lifecycle import (
    PAUSED,
    TERMINAL,
    Action,
    EventRecord,
    State,
    allowed_actions,
    apology_is_late,
    apology_latest_day,
    can_issue_apology,
    fold,
    requires_legal_basis,
    requires_reason,
    target_state,
    timing_of,
    transition,
    validate_apology,
)
from ward_desk.domain.timing import CountingRules, Timing, compute_due, to_utc
from ward_desk.errors import RuleViolation

CAL = WorkingCalendar()
RULES = CountingRules()
S, A = State, Action

EXPECTED = {
    (S.RECEIVED, A.FORWARD): S.IN_PROGRESS,
    (S.RECEIVED, A.REQUEST_SUPPLEMENT): S.SUPPLEMENT_REQUESTED,
    (S.IN_PROGRESS, A.REQUEST_SUPPLEMENT): S.SUPPLEMENT_REQUESTED,
    (S.SUPPLEMENT_REQUESTED, A.COMPLETE_SUPPLEMENT): S.IN_PROGRESS,
    (S.RECEIVED, A.SUSPEND): S.SUSPENDED,
    (S.IN_PROGRESS, A.SUSPEND): S.SUSPENDED,
    (S.SUSPENDED, A.RESUME): S.IN_PROGRESS,
    (S.RECEIVED, A.MARK_RESULT_READY): S.RESULT_READY,
    (S.IN_PROGRESS, A.MARK_RESULT_READY): S.RESULT_READY,
    (S.RESULT_READY, A.RETURN_RESULT): S.RETURNED,
    **{
        (s, A.REJECT): S.REJECTED
        for s in (S.RECEIVED, S.IN_PROGRESS, S.SUPPLEMENT_REQUESTED, S.SUSPENDED)
    },
    **{
        (s, A.WITHDRAW): S.WITHDRAWN
        for s in (S.RECEIVED, S.IN_PROGRESS, S.SUPPLEMENT_REQUESTED, S.SUSPENDED)
    },
}


def _args(action: Action) -> dict[str, str]:
    return {
        "reason": "thiếu bản sao CCCD" if requires_reason(action) else "",
        "legal_basis": "Điều 10 NĐ 118/2025" if requires_legal_basis(action) else "",
    }


def test_table_is_exactly_the_contract() -> None:
    for state in State:
        for action in Action:
            key = (state, action)
            if key in EXPECTED:
                assert target_state(state, action) is EXPECTED[key]
                assert transition(state, action, **_args(action)) is EXPECTED[key]
                assert action in allowed_actions(state)
            else:
                assert action not in allowed_actions(state)
                with pytest.raises(RuleViolation) as err:
                    transition(state, action, "x", "y")
                assert err.value.message.id == "lifecycle.illegal"
                assert err.value.message.params["state"] == state.value
                assert err.value.message.params["action"] == action.value


def test_terminal_and_paused_sets() -> None:
    assert {S.RETURNED, S.REJECTED, S.WITHDRAWN} == TERMINAL
    assert {S.SUPPLEMENT_REQUESTED, S.SUSPENDED} == PAUSED
    for s in TERMINAL:
        assert allowed_actions(s) == ()
    assert A.WITHDRAW not in allowed_actions(S.RESULT_READY)


def test_string_values() -> None:
    assert S("in_progress") is S.IN_PROGRESS and A("forward") is A.FORWARD
    assert S.RECEIVED == "received" and str(A.RESUME) == "resume"


@pytest.mark.parametrize("reason", [None, "", "   ", "\t\n"])
@pytest.mark.parametrize(
    ("state", "action"),
    [
        (S.IN_PROGRESS, A.REQUEST_SUPPLEMENT),
        (S.IN_PROGRESS, A.SUSPEND),
        (S.IN_PROGRESS, A.REJECT),
        (S.SUSPENDED, A.WITHDRAW),
    ],
)
def test_reason_required(state: State, action: Action, reason: str | None) -> None:
    with pytest.raises(RuleViolation) as err:
        transition(state, action, reason, "Điều 10")
    assert err.value.message.id == "lifecycle.reason_required"


@pytest.mark.parametrize("basis", [None, "", "  "])
def test_legal_basis_required_for_suspension(basis: str | None) -> None:
    with pytest.raises(RuleViolation) as err:
        transition(S.IN_PROGRESS, A.SUSPEND, "chờ kết quả xác minh", basis)
    assert err.value.message.id == "lifecycle.legal_basis_required"


def test_illegal_is_reported_before_missing_reason() -> None:
    with pytest.raises(RuleViolation) as err:
        transition(S.RETURNED, A.REJECT)
    assert err.value.message.id == "lifecycle.illegal"


def test_requirements() -> None:
    assert {a for a in Action if requires_reason(a)} == {
        A.REQUEST_SUPPLEMENT,
        A.SUSPEND,
        A.REJECT,
        A.WITHDRAW,
    }
    assert {a for a in Action if requires_legal_basis(a)} == {A.SUSPEND}


def test_error_renders_in_plain_language() -> None:
    with pytest.raises(RuleViolation) as err:
        transition(S.RETURNED, A.FORWARD)
    text = err.value.message.render("vi")
    assert "Đã trả kết quả" in text and "{" not in text


def _reachable() -> set[State]:
    seen, todo = {S.RECEIVED}, [S.RECEIVED]
    while todo:
        state = todo.pop()
        for action in allowed_actions(state):
            t = target_state(state, action)
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen


T0 = datetime(2026, 3, 2, 2, 0)  # Mon 09:00 local


def _intake(at: datetime = T0, days: int = 5) -> EventRecord:
    return EventRecord(at, "intake", None, S.RECEIVED, compute_due(at, days, CAL, RULES))


def _ev(at: datetime, state: State, action: Action, due_at: datetime | None = None) -> EventRecord:
    return EventRecord(
        at, "transition", state, target_state(state, action), due_at, {"action": action.value}
    )


actions = st.lists(st.sampled_from(list(Action)), max_size=25)


@settings(max_examples=300, deadline=None)
@given(actions)
def test_random_sequences_stay_in_the_table(seq: list[Action]) -> None:
    reachable = _reachable()
    state = S.RECEIVED
    events = [_intake()]
    at = T0
    for action in seq:
        at += timedelta(hours=5)
        try:
            new = transition(state, action, **_args(action))
        except RuleViolation as err:
            assert action not in allowed_actions(state)
            assert err.message.id == "lifecycle.illegal"
            continue
        assert action in allowed_actions(state)
        assert new in reachable
        events.append(_ev(at, state, action))
        state = new
    projection = fold(events)
    assert projection.state is state
    assert projection.is_terminal == (state in TERMINAL)
    assert projection.is_paused == (state in PAUSED)
    if state in TERMINAL:
        assert projection.closed_at == events[-1].at
    else:
        assert projection.closed_at is None
    opened = sum(1 for e in events[1:] if e.data["action"] in ("request_supplement", "suspend"))
    assert len(projection.paused_intervals) == opened
    for _start, end in projection.paused_intervals[:-1]:
        assert end is not None


@settings(max_examples=200, deadline=None)
@given(actions, st.data())
def test_forged_history_is_rejected(seq: list[Action], data: st.DataObject) -> None:
    state, events, at = S.RECEIVED, [_intake()], T0
    for action in seq:
        if action in allowed_actions(state):
            at += timedelta(hours=1)
            events.append(_ev(at, state, action))
            state = target_state(state, action)
    i = data.draw(st.integers(min_value=0, max_value=len(events) - 1))
    ev = events[i]
    forged_to = data.draw(st.sampled_from([s for s in State if s != ev.to_state]))
    forged = list(events)
    forged[i] = replace(ev, to_state=forged_to)
    with pytest.raises(RuleViolation) as err:
        fold(forged)
    assert err.value.message.id == "lifecycle.broken_history"
    assert err.value.message.params["index"] <= i + 1


def test_fold_rejects_wrong_from_state_and_unknown_action() -> None:
    good = [_intake(), _ev(T0 + timedelta(hours=1), S.RECEIVED, A.FORWARD)]
    assert fold(good).state is S.IN_PROGRESS
    bad_from = [*good, replace(_ev(T0, S.IN_PROGRESS, A.MARK_RESULT_READY), from_state=S.RECEIVED)]
    bad_action = [
        *good,
        EventRecord(T0, "transition", S.IN_PROGRESS, S.RETURNED, data={"action": "teleport"}),
    ]
    bad_kind = [*good, EventRecord(T0, "scribble", S.IN_PROGRESS, S.IN_PROGRESS)]
    for history in (bad_from, bad_action, bad_kind, [], good[1:], [good[0], good[0]]):
        with pytest.raises(RuleViolation) as err:
            fold(history)
        assert err.value.message.id == "lifecycle.broken_history"
    with pytest.raises(RuleViolation):
        fold([replace(good[0], due_at=None)])


def test_projection_of_a_full_story() -> None:
    h = timedelta(hours=1)
    intake = _intake(days=5)
    due1 = intake.due_at
    assert due1 is not None
    resupplied = T0 + 30 * h
    due2 = compute_due(resupplied, 5, CAL, RULES)
    events = [
        intake,
        _ev(T0 + h, S.RECEIVED, A.FORWARD),
        _ev(T0 + 2 * h, S.IN_PROGRESS, A.REQUEST_SUPPLEMENT),
        _ev(resupplied, S.SUPPLEMENT_REQUESTED, A.COMPLETE_SUPPLEMENT, due2),
        _ev(T0 + 40 * h, S.IN_PROGRESS, A.SUSPEND),
        _ev(T0 + 50 * h, S.SUSPENDED, A.RESUME, due2 + timedelta(days=1)),
        _ev(T0 + 60 * h, S.IN_PROGRESS, A.MARK_RESULT_READY),
        _ev(T0 + 70 * h, S.RESULT_READY, A.RETURN_RESULT),
    ]
    p = fold(events)
    assert p.state is S.RETURNED
    assert p.original_due_at == due1
    assert p.statutory_due_at == p.due_at == due2 + timedelta(days=1)
    assert p.completed_at == T0 + 60 * h
    assert p.returned_at == p.closed_at == T0 + 70 * h
    assert p.paused_intervals == ((T0 + 2 * h, resupplied), (T0 + 40 * h, T0 + 50 * h))
    assert p.supplement_count == 1 and p.apology_count == 0
    assert timing_of(p, CAL, RULES) is Timing.EARLY


def test_same_day_procedure_straight_to_result() -> None:
    intake = _intake(days=0)
    p = fold([intake, _ev(T0 + timedelta(hours=2), S.RECEIVED, A.MARK_RESULT_READY)])
    assert p.state is S.RESULT_READY
    assert timing_of(p, CAL, RULES) is Timing.ON_TIME


def test_timing_is_none_until_completed() -> None:
    assert timing_of(fold([_intake()]), CAL, RULES) is None
    rejected = fold([_intake(), _ev(T0, S.RECEIVED, A.REJECT)])
    assert timing_of(rejected, CAL, RULES) is None


# -- apology slips --------------------------------------------------------------


def local(y: int, mo: int, d: int, h: int = 9) -> datetime:
    return to_utc(datetime(y, mo, d, h))


def _open_dossier() -> list[EventRecord]:
    # Received Mon 02/03/2026 09:00, 5 days -> due Mon 09/03 17:00.
    return [_intake(days=5), _ev(T0 + timedelta(hours=1), S.RECEIVED, A.FORWARD)]


def test_apology_window() -> None:
    # A latest date, not an earliest one (issue 10.3): the slip may go out any time while
    # the dossier is open; after the working day before the due day it is late.
    p = fold(_open_dossier())
    assert p.due_at == local(2026, 3, 9, 17)
    assert apology_latest_day(p.due_at, CAL, RULES) == date(2026, 3, 6)  # Fri before Mon's due day
    for now, late in ((local(2026, 3, 2, 16), False),  # a week ahead: allowed, on time
                      (local(2026, 3, 5, 16), False),
                      (local(2026, 3, 6, 16), False),  # Fri: the latest day itself
                      (local(2026, 3, 7, 8), True),  # the weekend before the due day
                      (local(2026, 3, 9, 10), True),  # the due day
                      (local(2026, 3, 12, 8), True)):  # already overdue: allowed, recorded late
        assert can_issue_apology(p, now, CAL, RULES), now
        validate_apology(p, local(2026, 3, 16, 17), now, CAL, RULES)
        assert apology_is_late(now, p.due_at, CAL, RULES) is late, now


def test_apology_date_checks() -> None:
    p = fold(_open_dossier())
    now = local(2026, 3, 9, 10)
    validate_apology(p, local(2026, 3, 12, 17), now, CAL, RULES)
    cases = {
        "apology.date_not_later": local(2026, 3, 9, 16),
        "apology.date_not_working_day": local(2026, 3, 14, 17),
    }
    for message_id, new_due in cases.items():
        with pytest.raises(RuleViolation) as err:
            validate_apology(p, new_due, now, CAL, RULES)
        assert err.value.message.id == message_id
    late_now = local(2026, 3, 16, 10)
    with pytest.raises(RuleViolation) as err:
        validate_apology(p, local(2026, 3, 13, 17), late_now, CAL, RULES)
    assert err.value.message.id == "apology.date_in_past"


def test_apology_only_once_and_never_rescues_a_late_dossier() -> None:
    events = _open_dossier()
    apology = EventRecord(
        local(2026, 3, 9, 10), "apology", S.IN_PROGRESS, S.IN_PROGRESS, local(2026, 3, 13, 17)
    )
    p = fold([*events, apology])
    assert p.apology_count == 1
    assert p.due_at == local(2026, 3, 13, 17)
    assert p.statutory_due_at == p.original_due_at == local(2026, 3, 9, 17)
    assert not can_issue_apology(p, local(2026, 3, 10), CAL, RULES)
    with pytest.raises(RuleViolation) as err:
        validate_apology(p, local(2026, 3, 20, 17), local(2026, 3, 10), CAL, RULES)
    assert err.value.message.id == "apology.already_issued"
    # A second apology in the history is forged.
    with pytest.raises(RuleViolation):
        fold([*events, apology, replace(apology, due_at=local(2026, 3, 20, 17))])
    # Result ready on the new appointment day: still late against the statutory date.
    done = fold([*events, apology, _ev(local(2026, 3, 12, 10), S.IN_PROGRESS, A.MARK_RESULT_READY)])
    assert timing_of(done, CAL, RULES) is Timing.LATE
    assert not can_issue_apology(done, local(2026, 3, 12, 11), CAL, RULES)


def test_apology_refused_when_closed() -> None:
    p = fold([*_open_dossier(), _ev(T0 + timedelta(hours=2), S.IN_PROGRESS, A.REJECT)])
    assert not can_issue_apology(p, local(2026, 3, 12), CAL, RULES)
    with pytest.raises(RuleViolation) as err:
        validate_apology(p, local(2026, 3, 20, 17), local(2026, 3, 12), CAL, RULES)
    assert err.value.message.id == "apology.not_open"
    with pytest.raises(RuleViolation):
        fold(
            [
                *_open_dossier(),
                _ev(T0, S.IN_PROGRESS, A.REJECT),
                EventRecord(T0, "apology", S.REJECTED, S.REJECTED, T0),
            ]
        )


def test_recomputed_due_keeps_the_apology_promise() -> None:
    events = _open_dossier()
    promised = local(2026, 3, 13, 17)
    apology = EventRecord(local(2026, 3, 9, 10), "apology", S.IN_PROGRESS, S.IN_PROGRESS, promised)
    suspend = _ev(local(2026, 3, 9, 11), S.IN_PROGRESS, A.SUSPEND)
    resume = _ev(local(2026, 3, 10, 11), S.SUSPENDED, A.RESUME, local(2026, 3, 10, 17))
    p = fold([*events, apology, suspend, resume])
    assert p.statutory_due_at == local(2026, 3, 10, 17)
    assert p.due_at == promised
