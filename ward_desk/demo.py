"""A demo ward: an encrypted store filled with years of realistic dossiers, built fast.

``build_demo`` creates a store (Phường Mũi Né, 22918) with an admin, a leader and
two clerks, then writes about two years of dossiers ending now. The histories
follow a ward's real rhythm: Monday busiest, weekends closed except make-up
Saturdays, a lull after Tết and a rush before it, more paperwork in the summer
school season; copies and civil-status registrations dominate, land and
construction are rarer, slower and more often late.

Speed: the services commit one transaction with an fsync per action, which
would take minutes for 20,000 dossiers. The generator instead plans each
dossier's whole history in memory with the same domain rules the services use
(``compute_due``, ``due_after_supplement``, ``due_after_pause``,
``lifecycle.transition``, ``lifecycle.validate_apology``, ``lifecycle.fold``)
and writes rows in bulk with the same payload helpers (``dossier_payload``,
``event_body``, ``chain_hash``, ``canonical_json``, the search body), so the
result is indistinguishable from a store filled through the services:
``verify`` passes, the outbox carries every event, and the search index is
complete. Events are written in time order across all dossiers, so the hash
chain and the outbox sequence follow the clock as they would in real use.

The outbox holds one row per event, apology slip and rating, and one row per
dossier with its final version: the versions in between would be superseded
upstream anyway (the receiver keeps the highest version).

``fill_store`` is the generator on its own, for ``bench/generate.py``.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import json
import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from ward_desk import demo_names as names
from ward_desk.domain import lifecycle
from ward_desk.domain.calendar import WorkingCalendar
from ward_desk.domain.codes import dossier_code
from ward_desk.domain.lifecycle import Action, EventRecord, State
from ward_desk.domain.timing import (
    CountingRules,
    compute_due,
    due_after_pause,
    due_after_supplement,
    effective_receipt_day,
    local_day,
    to_utc,
)
from ward_desk.services.dossiers import (
    GENESIS_HASH,
    dossier_payload,
    event_body,
    search_body,
)
from ward_desk.services.outbox import (
    INSERT_OUTBOX_SQL,
    canonical_json,
    event_outbox_json,
    outbox_row,
)
from ward_desk.services.session import Session
from ward_desk.store.models import (
    ApologySlip,
    Dossier,
    Event,
    Procedure,
    Rating,
    User,
)

__all__ = ["DEMO_OFFICE_CODE", "DEMO_OFFICE_NAME", "DEMO_PASSWORD", "DEMO_USER", "DemoInfo",
           "build_demo", "fill_store"]

DEMO_OFFICE_CODE = "22918"
DEMO_OFFICE_NAME = "Phường Mũi Né"
DEMO_USER = "admin"
# A fixed, printed password: the demo holds invented people only, and a visitor
# must be able to sign in again tomorrow without a note.
DEMO_PASSWORD = "demo-muine-2026"
DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    # (username, full name, role); the admin comes from create_store
    ("admin", "Trần Văn Quản", "admin"),
    ("lanhdao", "Lê Văn Hòa", "leader"),
    ("canbo1", "Nguyễn Thị Mai", "clerk"),
    ("canbo2", "Phạm Minh Tuấn", "clerk"),
)


@dataclass(frozen=True)
class DemoInfo:
    """Where the demo is and how to get in (every demo user has the same password)."""

    data_dir: Path
    username: str
    password: str
    recovery_key: str
    dossiers: int
    users: tuple[str, ...] = ()


def build_demo(
    data_dir: Path,
    *,
    years: float = 2,
    per_day: int = 40,
    seed: int = 1,
    now: datetime | None = None,
) -> DemoInfo:
    """Create a demo store in ``data_dir`` with ``years`` of dossiers ending at
    ``now`` (naive UTC; default: the current time), about ``per_day`` on an
    ordinary working day. Same ``seed`` and ``now``, same people and histories.
    Prints nothing; the store is closed on return."""
    from ward_desk.services.desk import session_for
    from ward_desk.services.session import utc_now
    from ward_desk.services.setup import create_store
    from ward_desk.services.users import add_user

    now = now or utc_now()
    rules = CountingRules()
    start = local_day(now, rules) - timedelta(days=round(years * 365.25))
    created = to_utc(datetime.combine(start - timedelta(days=3), time(8, 0)), rules.tz)
    admin = DEMO_USERS[0]
    store, recovery = create_store(
        Path(data_dir), office_code=DEMO_OFFICE_CODE, office_name=DEMO_OFFICE_NAME,
        admin_username=admin[0], admin_password=DEMO_PASSWORD, admin_full_name=admin[1], now=created,
    )
    try:
        keyfile = store.keyfile()
        for username, full_name, role in DEMO_USERS[1:]:
            add_user(keyfile, store.keys_path, store.key, username=username, full_name=full_name,
                     role=role, password=DEMO_PASSWORD, now=created)
        session = session_for(store, DEMO_USER, clock=lambda: now)
        count = fill_store(session, start=start, now=now, per_day=per_day, seed=seed, rebuild_indexes=True)
    finally:
        store.close()
    return DemoInfo(data_dir=Path(data_dir), username=DEMO_USER, password=DEMO_PASSWORD,
                    recovery_key=recovery, dossiers=count, users=tuple(u[0] for u in DEMO_USERS))


# --- the procedure mix ---------------------------------------------------------------

# Share of a ward's dossiers by procedure (percent, roughly): certified copies and
# civil status dominate; land and construction are rare but slow.
PROCEDURE_WEIGHTS: dict[str, float] = {
    "CT.01": 34.0, "CT.02": 7.0, "CT.03": 0.8, "CT.04": 3.5, "CT.05": 0.8, "CT.06": 0.3, "CT.07": 1.5,
    "HT.01": 9.0, "HT.02": 3.0, "HT.03": 2.0, "HT.04": 0.3, "HT.05": 0.1, "HT.06": 0.4, "HT.07": 2.2,
    "HT.08": 0.6, "HT.09": 7.0, "HT.10": 0.6, "HT.11": 6.0,
    "DD.01": 0.3, "DD.02": 1.2, "DD.03": 1.6, "XD.01": 1.1, "XD.02": 0.2,
    "BT.01": 2.0, "BT.02": 0.6, "BT.03": 0.3, "NCC.01": 0.4, "NCC.02": 0.3, "GD.01": 0.9,
    "VH.01": 0.1, "HKD.01": 1.6, "HKD.02": 0.9, "KN.01": 0.2, "KN.02": 0.1,
}  # fmt: skip
DEFAULT_WEIGHT = 0.3  # procedures an office imported beyond the starter catalogue

# Fees actually collected (đồng) for the procedures that charge one.
FEES: dict[str, int] = {"CT.02": 10000, "CT.03": 10000, "CT.04": 50000, "CT.05": 30000,
                        "CT.06": 25000, "HT.11": 8000, "XD.01": 75000, "XD.02": 15000,
                        "HKD.01": 100000, "HKD.02": 50000, "HT.07": 15000, "HT.09": 10000}

# By field: (late, supplement requested, suspended) probabilities.
FIELD_RISK: dict[str, tuple[float, float, float]] = {
    "Hộ tịch": (0.004, 0.04, 0.004),
    "Chứng thực": (0.002, 0.02, 0.0),
    "Đất đai": (0.10, 0.16, 0.06),
    "Xây dựng": (0.08, 0.15, 0.03),
    "Khiếu nại tố cáo": (0.05, 0.05, 0.05),
    "Bảo trợ xã hội": (0.02, 0.08, 0.005),
    "Người có công": (0.02, 0.08, 0.005),
}
DEFAULT_RISK = (0.015, 0.06, 0.005)
REJECT_P, WITHDRAW_P = 0.022, 0.013
STUCK_P = 0.025  # multi-day files that overrun without an apology slip
ONLINE_P = {"full": 0.74, "partial": 0.55, "none": 0.0}
RATING_P = 0.87
RATINGS_ON_TIME = (("very_satisfied", 47), ("satisfied", 42), ("neutral", 8), ("unsatisfied", 3))
RATINGS_LATE = (("very_satisfied", 10), ("satisfied", 35), ("neutral", 27), ("unsatisfied", 28))
WEEKDAY_FACTOR = (1.32, 1.08, 1.0, 0.95, 0.85, 0.6, 0.6)  # Mon..Sun (weekend = make-up day)
MONTH_FACTOR = (1.1, 0.9, 1.0, 0.95, 1.0, 1.1, 1.15, 1.15, 0.95, 0.95, 1.0, 1.05)


def _cumulative(pairs) -> tuple[list[Any], list[float]]:
    values, cum, total = [], [], 0.0
    for v, w in pairs:
        total += w
        values.append(v)
        cum.append(total)
    return values, cum


# --- daily volume ----------------------------------------------------------------------


def _tet_days(cal: WorkingCalendar, year: int) -> tuple[date, date] | None:
    """First and last day off of Tết (the block of days off in late Jan–Feb)."""
    days = [d for d, _ in cal.holidays(year) if date(year, 1, 15) <= d <= date(year, 2, 28)]
    return (min(days), max(days)) if days else None


def daily_counts(cal: WorkingCalendar, start: date, end: date, per_day: float,
                 rng: random.Random) -> list[tuple[date, int]]:
    """How many dossiers arrive on each working day in [start, end]."""
    tet_factor: dict[date, float] = {}
    for year in range(start.year, end.year + 1):
        tet = _tet_days(cal, year)
        if tet is None:
            continue
        day = tet[0]
        for f in (1.3, 1.3, 1.2, 1.15):  # the rush before Tết
            day = cal.add_working_days(day, -1)
            tet_factor[day] = f
        day = tet[1]
        for f in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9):  # the lull after it
            day = cal.add_working_days(day, 1)
            tet_factor[day] = f
    out = []
    day = start
    span = max(1, (end - start).days)
    while day <= end:
        if cal.is_working_day(day):
            growth = 0.9 + 0.1 * (day - start).days / span  # a little busier every year
            mean = (per_day * WEEKDAY_FACTOR[day.weekday()] * MONTH_FACTOR[day.month - 1]
                    * tet_factor.get(day, 1.0) * growth * math.exp(rng.gauss(0, 0.12)))
            count = max(0, round(rng.gauss(mean, math.sqrt(mean)))) if mean > 0 else 0
            out.append((day, count))
        day += timedelta(days=1)
    return out


def scale_counts(counts: list[tuple[date, int]], total: int) -> list[tuple[date, int]]:
    """Rescale daily counts to sum to exactly ``total`` (largest remainders)."""
    have = sum(c for _, c in counts)
    if have == 0:
        raise ValueError("no working days to spread dossiers over")
    exact = [c * total / have for _, c in counts]
    base = [math.floor(x) for x in exact]
    short = total - sum(base)
    order = sorted(range(len(exact)), key=lambda i: exact[i] - base[i], reverse=True)
    for i in order[:short]:
        base[i] += 1
    return [(d, n) for (d, _), n in zip(counts, base, strict=True)]


# --- people --------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    name: str
    id_number: str
    phone: str
    address: str


class People:
    """Invented applicants; some come back (a family files several papers a year)."""

    def __init__(self, rng: random.Random, ward: str) -> None:
        self.rng = rng
        self.ward = ward[:1].lower() + ward[1:]  # "phường Mũi Né" inside an address
        self.family = _cumulative(names.FAMILY_NAMES)
        self.male_mid = _cumulative(names.MALE_MIDDLE)
        self.female_mid = _cumulative(names.FEMALE_MIDDLE)
        self.provinces = _cumulative(names.ID_PROVINCES)
        self.recent: list[Person] = []

    def _pick(self, table) -> str:
        values, cum = table
        return self.rng.choices(values, cum_weights=cum)[0]

    def new(self, received: date) -> Person:
        rng = self.rng
        female = rng.random() < 0.55  # women file more of a ward's paperwork
        family = self._pick(self.family)
        middle = self._pick(self.female_mid if female else self.male_mid)
        given = rng.choice(names.FEMALE_GIVEN if female else names.MALE_GIVEN)
        if rng.random() < 0.15:  # four-part names: Nguyễn Thị Thanh Hương
            second = self._pick(self.female_mid if female else self.male_mid)
            if second not in (middle, "Thị", "Văn"):
                middle = f"{middle} {second}"
        name = f"{family} {middle} {given}"
        born = rng.randint(received.year - 80, received.year - 18)
        if received.year < 2024 and rng.random() < 0.03:
            id_number = f"{rng.randint(250000000, 289999999)}"  # legacy 9-digit CMND
        else:
            century = (0 if born < 2000 else 2) + (1 if female else 0)
            id_number = f"{self._pick(self.provinces)}{century}{born % 100:02d}{rng.randint(0, 999999):06d}"
        phone = ""
        if rng.random() < 0.93:
            phone = f"{rng.choice(names.MOBILE_PREFIXES)}{rng.randint(0, 9999999):07d}"
        if rng.random() < 0.85:
            address = (f"{rng.randint(1, 220)} {rng.choice(names.STREETS)}, khu phố {rng.randint(1, 14)}, "
                       f"{self.ward}")
        else:
            address = f"Số {rng.randint(1, 150)}, {rng.choice(names.OTHER_PLACES)}"
        return Person(name, id_number, phone, address)

    def applicant(self, received: date) -> Person:
        if self.recent and self.rng.random() < 0.22:
            return self.rng.choice(self.recent)
        person = self.new(received)
        if len(self.recent) < 4000:
            self.recent.append(person)
        else:
            self.recent[self.rng.randrange(4000)] = person
        return person


# --- planning one dossier's history ---------------------------------------------------------


class PlannedEvent:
    """An event as the services would write it (attributes read by ``event_body``)."""

    __slots__ = ("action", "actor", "at", "data", "due_at", "extra", "from_state", "hash", "kind",
                 "legal_basis", "prev_hash", "reason", "to_state", "uid")

    def __init__(self, at: datetime, kind: str, from_state: str | None, to_state: str, actor: User,
                 action: str | None = None, due_at: datetime | None = None, reason: str = "",
                 legal_basis: str = "", data: dict[str, Any] | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        self.at, self.kind, self.from_state, self.to_state = at, kind, from_state, to_state
        self.actor, self.action, self.due_at = actor, action, due_at
        self.reason, self.legal_basis = reason, legal_basis
        self.data: Any = data or {}
        self.extra = extra
        self.uid = self.prev_hash = self.hash = ""

    def record(self) -> EventRecord:
        kind = self.kind if self.kind in ("intake", "transition", "apology") else "note"
        return EventRecord(at=self.at, kind=kind, from_state=State(self.from_state) if self.from_state else None,
                           to_state=State(self.to_state), due_at=self.due_at, data=self.data)


@dataclass
class PlannedDossier:
    dossier: Dossier
    events: list[PlannedEvent] = field(default_factory=list)


class Planner:
    """Plans dossier histories with the services' rules, cut at ``now``."""

    def __init__(self, session: Session, rng: random.Random, uid_rng: random.Random, now: datetime,
                 start: date, check: bool = False) -> None:
        self.check = check
        self.cal = session.calendar
        self.rules = session.rules
        self.rng = rng
        self.uid_rng = uid_rng
        self.now = now
        self.start = start
        self.span = max(1, (local_day(now, self.rules) - start).days)
        self.agency = session.office.agency_id
        users = list(User.select().where(User.active == True))  # noqa: E712
        self.clerks = [u for u in users if u.role == "clerk"] or users
        self.officers = [u for u in users if u.role in ("clerk", "leader")] or users
        self.officers_by_name = {u.username: u for u in users}
        procs = list(Procedure.select().where(Procedure.active == True))  # noqa: E712
        self.procedures = _cumulative((p, PROCEDURE_WEIGHTS.get(p.code, DEFAULT_WEIGHT)) for p in procs)
        self.documents = {p.code: json.dumps([{"name": n, "received": True} for n in json.loads(p.documents)],
                                             ensure_ascii=False) for p in procs}
        self.people = People(rng, session.office.name)
        self.ratings_ok = _cumulative(RATINGS_ON_TIME)
        self.ratings_late = _cumulative(RATINGS_LATE)
        self.closing = self.cal.hours.closing
        self._midnights: dict[date, datetime] = {}

    # -- time helpers --
    def utc(self, day: date, at: time) -> datetime:
        # Local midnight in UTC, cached per day: the office zone has no DST, so a
        # time of day is an offset from it (the generator asks this ~5 times a dossier).
        midnight = self._midnights.get(day)
        if midnight is None:
            midnight = self._midnights[day] = to_utc(datetime.combine(day, time(0, 0)), self.rules.tz)
        return midnight + timedelta(hours=at.hour, minutes=at.minute, seconds=at.second)

    def work_time(self, day: date, after: datetime | None = None) -> datetime:
        """A random moment of office hours on ``day`` (mornings busier), not before ``after``."""
        rng = self.rng
        if rng.random() < 0.62:
            minute = rng.randint(7 * 60 + 30, 11 * 60 + 25)
        else:
            minute = rng.randint(13 * 60 + 30, 16 * 60 + 55)
        t = self.utc(day, time(minute // 60, minute % 60, rng.randint(0, 59)))
        if after is not None and t <= after:
            t = after + timedelta(minutes=rng.randint(3, 40))
            close = self.utc(day, self.closing)
            if t >= close and after < close:
                t = after + (close - after) / 2
        return t

    def uid(self) -> str:
        return uuid.UUID(int=self.uid_rng.getrandbits(128), version=4).hex

    def received_times(self, day: date, count: int, online_flags: list[bool]) -> list[datetime]:
        rng = self.rng
        out = []
        for online in online_flags[:count]:
            if online:  # online forms arrive from early morning to late evening
                minute = rng.randint(6 * 60, 22 * 60 + 30)
                out.append(self.utc(day, time(minute // 60, minute % 60, rng.randint(0, 59))))
            else:
                out.append(self.work_time(day))
        return out

    def trend(self, day: date) -> float:
        """0 at the start of the history, 1 today: online and digitized shares rise."""
        return min(1.0, max(0.0, (day - self.start).days / self.span))

    # -- one day --
    def plan_day(self, day: date, count: int, seq_start: int = 1) -> list[PlannedDossier]:
        rng = self.rng
        trend = self.trend(day)
        values, cum = self.procedures
        procs = rng.choices(values, cum_weights=cum, k=count)
        channels = []
        for p in procs:
            if rng.random() < ONLINE_P.get(p.online_level, 0.0) * (0.7 + 0.5 * trend):
                channels.append("online")
            elif rng.random() < (0.08 if p.processing_days > 0 else 0.02):
                channels.append("postal")
            else:
                channels.append("direct")
        times = self.received_times(day, count, [c == "online" for c in channels])
        order = sorted(range(count), key=lambda i: times[i])
        out = []
        for seq, i in enumerate(order, start=seq_start):
            if times[i] > self.now:
                continue
            out.append(self.plan(procs[i], channels[i], times[i], day, seq, trend))
        return out

    def plan(self, proc: Procedure, channel: str, received_at: datetime, day: date, seq: int,
             trend: float) -> PlannedDossier:
        rng, cal, rules = self.rng, self.cal, self.rules
        n = proc.processing_days
        person = self.people.applicant(day)
        receiver = rng.choice(self.clerks)
        due = compute_due(received_at, n, cal, rules)
        fee = FEES.get(proc.code, 0)
        if proc.code == "CT.01":
            fee = 2000 * rng.choice((1, 1, 2, 2, 2, 3, 4, 6)) * rng.choice((1, 1, 1, 2, 3))
        digitized = channel == "online" or rng.random() < 0.5 + 0.4 * trend
        d = Dossier(
            uid=self.uid(), code=dossier_code(self.agency, day, seq), procedure=proc, channel=channel,
            received_at=received_at, due_at=due, statutory_due_at=due, state=State.RECEIVED.value,
            received_by=receiver, documents=self.documents[proc.code], digitized=digitized, fee_paid=fee,
            rule_set=rules.version, lookup_secret=_demo_secret(rng, seq, day), note="",
            applicant_name=person.name, applicant_id_number=person.id_number,
            applicant_phone=person.phone, applicant_address=person.address, version=1, updated_at=received_at,
        )
        plan = PlannedDossier(d)
        h = _History(self, plan, receiver, due)
        h.add(PlannedEvent(received_at, "intake", None, State.RECEIVED.value, receiver, due_at=due,
                           data={"procedure": proc.code, "days": n, "rule_set": rules.version}))
        with contextlib.suppress(_Cut):
            h.run(proc, channel, received_at)
        self.finish(plan, h)
        return plan

    def finish(self, plan: PlannedDossier, h: _History) -> None:
        """Set the dossier's projection columns from its history as kept (cut at now).

        The history tracks the projection as it goes, like ``services.dossiers.move``
        does; ``check=True`` re-folds every history with ``lifecycle.fold`` (the
        tests do, and ``verify`` does on the finished store)."""
        d = plan.dossier
        if self.check:
            proj = lifecycle.fold(e.record() for e in plan.events if e.kind != "call")
            got = (h.state, h.due, h.statutory, h.completed_at, h.returned_at, h.closed_at, h.apologies)
            want = (proj.state, proj.due_at, proj.statutory_due_at, proj.completed_at, proj.returned_at,
                    proj.closed_at, proj.apology_count)
            if got != want:
                raise AssertionError(f"demo history of {d.code} disagrees with its fold: {got} != {want}")
        d.state = h.state.value
        d.due_at, d.statutory_due_at = h.due, h.statutory
        d.completed_at, d.returned_at, d.closed_at = h.completed_at, h.returned_at, h.closed_at
        d.apology_count = h.apologies
        d.version = len(plan.events)  # intake makes version 1, each later event one more
        d.updated_at = plan.events[-1].at
        for ev in plan.events:
            if ev.kind == "call":
                d.called_at = ev.at
            elif ev.action == Action.FORWARD.value:
                d.officer = self.officers_by_name[ev.data["officer"]]


_SECRET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class _Cut(Exception):
    """The next event would be after ``now``: the history stops here."""


class _History:
    """Builds one dossier's events step by step, refusing what the rules refuse."""

    def __init__(self, planner: Planner, plan: PlannedDossier, receiver: User, due: datetime) -> None:
        self.p = planner
        self.plan = plan
        self.receiver = receiver
        self.state = State.RECEIVED
        self.statutory = due
        self.due = due
        self.apology_due: datetime | None = None
        self.completed_at: datetime | None = None
        self.returned_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.apologies = 0
        self.officer = receiver
        self.t = plan.dossier.received_at

    def add(self, ev: PlannedEvent) -> None:
        if ev.at > self.p.now:
            raise _Cut
        self.plan.events.append(ev)
        self.t = ev.at

    def later(self, t: datetime) -> datetime:
        return t if t > self.t else self.t + timedelta(minutes=self.p.rng.randint(2, 30))

    def move(self, at: datetime, action: Action, actor: User, *, reason: str = "", legal_basis: str = "",
             due_at: datetime | None = None, data: dict[str, Any] | None = None,
             extra: dict[str, Any] | None = None) -> None:
        old = self.state
        new = lifecycle.transition(old, action, reason or None, legal_basis or None)
        self.add(PlannedEvent(self.later(at), "transition", old.value, new.value, actor, action=action.value,
                              due_at=due_at, reason=reason, legal_basis=legal_basis,
                              data={"action": action.value, **(data or {})}, extra=extra))
        self.state = new
        at = self.t
        if action is Action.MARK_RESULT_READY:
            self.completed_at = at
        elif action is Action.RETURN_RESULT:
            self.returned_at = at
        if new in lifecycle.TERMINAL:
            self.closed_at = at
        if due_at is not None:
            self.statutory = due_at
            self.due = max(due_at, self.apology_due) if self.apology_due else due_at

    def day_of(self, t: datetime) -> date:
        return local_day(t, self.p.rules)

    def run(self, proc: Procedure, channel: str, received_at: datetime) -> None:
        p, rng, cal = self.p, self.p.rng, self.p.cal
        n = proc.processing_days
        late_p, supp_p, susp_p = FIELD_RISK.get(proc.field, DEFAULT_RISK)
        start = effective_receipt_day(received_at, cal, p.rules)
        officer = self.receiver
        if n > 0:
            officer = rng.choice(p.officers)
            at = p.work_time(start, after=received_at) if start != self.day_of(received_at) else \
                self.later(received_at + timedelta(minutes=rng.randint(10, 90)))
            self.move(at, Action.FORWARD, self.receiver, data={"officer": officer.username})
        self.officer = officer

        roll = rng.random()
        if roll < REJECT_P + WITHDRAW_P:
            self.close_early(roll < REJECT_P, start, n, officer)
            return
        if rng.random() < supp_p:
            ask_day = cal.add_working_days(start, rng.randint(0, min(2, n))) if n else start
            self.move(p.work_time(ask_day, after=self.t), Action.REQUEST_SUPPLEMENT, officer,
                      reason=rng.choice(names.SUPPLEMENT_REASONS))
            if rng.random() < 0.12:  # never completed: refused or withdrawn after a while
                self.close_early(rng.random() < 0.6, cal.add_working_days(ask_day, rng.randint(10, 20)), 0,
                                 officer, waited=True)
                return
            back_day = cal.add_working_days(ask_day, rng.choice((1, 1, 2, 2, 3, 4, 5, 7, 10)))
            back = p.work_time(back_day, after=self.t)
            self.move(back, Action.COMPLETE_SUPPLEMENT, self.receiver,
                      due_at=due_after_supplement(self.later(back), n, cal, p.rules))
            start = effective_receipt_day(self.t, cal, p.rules)
        if n > 0 and rng.random() < susp_p:
            due_day = self.day_of(self.due)
            pause_day = cal.add_working_days(start, rng.randint(0, max(0, cal.working_days_between(start, due_day) - 1)))
            reason, basis = rng.choice(names.SUSPEND_REASONS)
            self.move(p.work_time(pause_day, after=self.t), Action.SUSPEND, officer, reason=reason,
                      legal_basis=basis)
            paused_at = self.t
            resume = p.work_time(cal.add_working_days(pause_day, rng.randint(3, 12)), after=self.t)
            resume = self.later(resume)
            self.move(resume, Action.RESUME, officer,
                      due_at=due_after_pause(self.statutory, paused_at, resume, cal, p.rules))
            start = self.day_of(self.t)

        due_day = self.day_of(self.due)
        # A few files get stuck (waiting on another agency, an officer away) and
        # nobody issues the apology slip: the backlog the app's overdue list is for.
        stuck = n > 0 and rng.random() < STUCK_P
        late = stuck or rng.random() < late_p
        if late:
            if not stuck and rng.random() < 0.7:
                self.apologise(due_day)
            extra = rng.randint(5, 25) if stuck else rng.choice((1, 1, 2, 2, 3, 4, 6, 9))
            ready_day = cal.add_working_days(due_day, extra)
            ready = p.work_time(ready_day, after=self.t)
        else:
            ready = self.on_time_ready(start, due_day, n)
        self.move(ready, Action.MARK_RESULT_READY, officer)
        self.collect(late, channel, n)

    def on_time_ready(self, start: date, due_day: date, n: int) -> datetime:
        p, rng, cal = self.p, self.p.rng, self.p.cal
        if n == 0:
            # Same-day work: done within hours of receipt (or of the start of the day).
            opening = p.utc(start, cal.hours.opening)
            base = max(self.t, opening)
            ready = base + timedelta(minutes=rng.randint(10, 150))
            return min(ready, max(self.due - timedelta(minutes=rng.randint(1, 8)), self.t + timedelta(minutes=1)))
        span = cal.working_days_between(start, due_day)
        if span <= 0 or rng.random() < 0.55:
            day = due_day
        else:
            day = cal.add_working_days(start, rng.randint(1 if span > 1 else 0, span - 1)) if span > 1 else start
        ready = p.work_time(day, after=self.t)
        if ready > self.due:
            ready = max(self.t + timedelta(minutes=1), self.due - timedelta(minutes=rng.randint(5, 60)))
        return ready

    def apologise(self, due_day: date) -> None:
        """The apology slip goes out on the working day before the due day."""
        p, rng, cal = self.p, self.p.rng, self.p.cal
        day = cal.add_working_days(due_day, -1)
        at = self.later(p.work_time(day, after=self.t))
        new_due = p.utc(cal.add_working_days(due_day, rng.randint(3, 10)), cal.hours.closing)
        proj = lifecycle.fold(e.record() for e in self.plan.events if e.kind != "call")
        try:
            lifecycle.validate_apology(proj, new_due, at, cal, p.rules)
        except Exception:
            return  # too early or otherwise not allowed: this one goes late without a slip
        slip = {"uid": p.uid(), "reason": rng.choice(names.APOLOGY_REASONS), "previous_due_at": self.due,
                "new_due_at": new_due}
        self.add(PlannedEvent(at, "apology", self.state.value, self.state.value, self.officer, due_at=new_due, reason=slip["reason"],
                              data={"slip": slip["uid"]}, extra={"apology": slip}))
        self.apology_due = new_due
        self.due = new_due
        self.apologies += 1

    def collect(self, late: bool, channel: str, n: int) -> None:
        p, rng, cal = self.p, self.p.rng, self.p.cal
        ready_day = self.day_of(self.t)
        if n > 0 and rng.random() < 0.55:
            call_at = p.work_time(ready_day, after=self.t)
            self.add(PlannedEvent(self.later(call_at), "call", self.state.value, self.state.value, self.receiver,
                                  reason="Đã gọi điện báo công dân đến nhận kết quả", extra={"call": True}))
        if n == 0 and channel == "direct" and rng.random() < 0.85:
            back = self.t + timedelta(minutes=rng.randint(3, 45))  # the citizen waits at the counter
        else:
            wait = rng.choice((0, 0, 1, 1, 1, 2, 2, 3, 4, 5, 7, 10))
            back = p.work_time(cal.add_working_days(ready_day, wait), after=self.t)
        extra = None
        if rng.random() < RATING_P:
            values, cum = p.ratings_late if late else p.ratings_ok
            level = rng.choices(values, cum_weights=cum)[0]
            extra = {"rating": (p.uid(), level, rng.choice(names.RATING_COMMENTS[level]))}
        self.move(back, Action.RETURN_RESULT, self.receiver, extra=extra)

    def close_early(self, reject: bool, from_day: date, n: int, officer: User, waited: bool = False) -> None:
        p, rng, cal = self.p, self.p.rng, self.p.cal
        day = from_day if waited else cal.add_working_days(from_day, rng.randint(0, max(0, min(n, 5))))
        at = p.work_time(day, after=self.t)
        if reject:
            reason = names.REJECT_REASONS[2] if waited else rng.choice(names.REJECT_REASONS)
            self.move(at, Action.REJECT, officer, reason=reason)
        else:
            self.move(at, Action.WITHDRAW, self.receiver, reason=rng.choice(names.WITHDRAW_REASONS))


# --- writing -------------------------------------------------------------------------------


class _Table:
    """Bulk INSERT for a model: column order and defaults read from the model itself."""

    def __init__(self, model, skip: tuple[str, ...] = ()) -> None:
        self.fields = [f for f in model._meta.sorted_fields if f.name not in skip]
        cols = ", ".join(f'"{f.column_name}"' for f in self.fields)
        marks = ", ".join("?" for _ in self.fields)
        self.sql = f'INSERT INTO "{model._meta.table_name}" ({cols}) VALUES ({marks})'
        self.names = tuple(f.name for f in self.fields)
        self.defaults = {f.name: f.default for f in self.fields if f.default is not None and not callable(f.default)}
        self.rows: list[tuple] = []

    def add(self, values: dict[str, Any]) -> None:
        d = self.defaults
        self.rows.append(tuple(values[n] if n in values else d.get(n) for n in self.names))


# The hot tables get their rows as tuples in this order; _Writer checks it against the models.
_EVENT_ORDER = ("id", "uid", "dossier", "at", "actor", "kind", "action", "from_state", "to_state", "due_at",
                "reason", "legal_basis", "data", "prev_hash", "hash", "counter")
# (``event_outbox_json`` is the services' own, imported above and kept importable from here.)


class _Writer:
    """Pops planned events in time order and turns them into rows."""

    def __init__(self, session: Session, first_id: int, first_event_id: int, prev_hash: str,
                 uid: Callable[[], str]) -> None:
        self.db = session.store.db
        self.uid = uid
        self.next_id = first_id
        self.next_event_id = first_event_id
        self.prev_hash = prev_hash
        self.dossiers = _Table(Dossier)
        self.events = _Table(Event)
        self.outbox: list[tuple] = []  # services.outbox.outbox_row tuples
        self.agency = session.office.agency_id
        self.slips = _Table(ApologySlip)
        self.ratings = _Table(Rating)
        if self.events.names != _EVENT_ORDER:
            raise RuntimeError("ward_desk.demo: the event model changed; update _EVENT_ORDER")
        self.fts: list[tuple[int, str]] = []
        self.pending: list[tuple[datetime, int, PlannedEvent, PlannedDossier]] = []
        self.data_json: dict[tuple, str] = {}
        self.counter = 0
        self.written = 0

    def push(self, plan: PlannedDossier) -> None:
        for ev in plan.events:
            self.counter += 1
            heapq.heappush(self.pending, (ev.at, self.counter, ev, plan))  # type: ignore[misc]

    def drain(self, before: datetime | None) -> None:
        pending = self.pending
        while pending and (before is None or pending[0][0] < before):
            _, _, ev, plan = heapq.heappop(pending)
            self.write_event(ev, plan)

    def outbox_row(self, entity: str, uid: str, version: int, payload: dict[str, Any] | str, at: datetime) -> None:
        self.outbox.append(outbox_row(entity, uid, version, payload, at))

    def event_data(self, data: dict[str, Any]) -> str:
        # Event data repeat endlessly ({"action": "forward", "officer": "canbo1"}...): serialise each once.
        key = tuple(sorted(data.items()))
        text = self.data_json.get(key)
        if text is None:
            text = self.data_json[key] = json.dumps(data, ensure_ascii=False, sort_keys=True)
        return text

    def write_event(self, ev: PlannedEvent, plan: PlannedDossier) -> None:
        d = plan.dossier
        if ev.kind == "intake":
            d.id = self.next_id
            self.next_id += 1
            self.dossiers.add(d.__data__)
            self.fts.append((d.id, search_body(d, self.agency)))
            self.written += 1
        ev.uid = self.uid()
        ev.prev_hash = self.prev_hash
        ev.data = self.event_data(ev.data)
        body = event_body(ev, d.uid, ev.actor.uid)  # type: ignore[arg-type]
        body_json = canonical_json(body)
        ev.hash = hashlib.sha256(body_json.encode()).hexdigest()  # == chain_hash(body)
        self.prev_hash = ev.hash
        event_id = self.next_event_id
        self.next_event_id += 1
        self.events.rows.append((event_id, ev.uid, d.id, ev.at, ev.actor.id, ev.kind, ev.action, ev.from_state,
                                 ev.to_state, ev.due_at, ev.reason, ev.legal_basis, ev.data, ev.prev_hash,
                                 ev.hash, ""))
        self.outbox_row("event", ev.uid, 1, event_outbox_json(body_json, ev.hash, d.code), ev.at)
        extra = ev.extra
        if extra:
            if "apology" in extra:
                s = extra["apology"]
                self.slips.add({"uid": s["uid"], "dossier": d.id, "issued_at": ev.at, "issued_by": ev.actor.id,
                                "reason": s["reason"], "previous_due_at": s["previous_due_at"],
                                "new_due_at": s["new_due_at"]})
                self.outbox_row("apology_slip", s["uid"], 1, {
                    "uid": s["uid"], "dossier": d.uid, "dossier_code": d.code, "issued_at": ev.at,
                    "reason": s["reason"], "previous_due_at": s["previous_due_at"],
                    "new_due_at": s["new_due_at"]}, ev.at)
            if "rating" in extra:
                uid, level, comment = extra["rating"]
                self.ratings.add({"uid": uid, "dossier": d.id, "level": level, "comment": comment, "at": ev.at})
                self.outbox_row("rating", uid, 1, {"uid": uid, "dossier": d.uid, "dossier_code": d.code,
                                                   "level": level, "comment": comment, "at": ev.at}, ev.at)
        if ev is plan.events[-1]:
            # The dossier's final version: the one upstream keeps.
            self.outbox_row("dossier", d.uid, d.version, dossier_payload(d), ev.at)

    def flush(self) -> None:
        cur = self.db.cursor()
        for table in (self.dossiers, self.events):
            if table.rows:
                cur.executemany(table.sql, table.rows)
                table.rows.clear()
        if self.outbox:
            cur.executemany(INSERT_OUTBOX_SQL, self.outbox)
            self.outbox.clear()
        for table in (self.slips, self.ratings):
            if table.rows:
                cur.executemany(table.sql, table.rows)
                table.rows.clear()
        if self.fts:
            cur.executemany("INSERT INTO dossier_fts (rowid, body) VALUES (?, ?)", self.fts)
            self.fts.clear()


# Indexes dropped during a bulk build and rebuilt after: building a B-tree from
# sorted input is several times faster than a million random-uuid inserts.
_BULK_TABLES = ("dossier", "event", "outbox", "rating", "apology_slip")


def _drop_indexes(db) -> list[str]:
    marks = ", ".join("?" for _ in _BULK_TABLES)
    rows = db.execute_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})",
        _BULK_TABLES).fetchall()
    for name, _ in rows:
        db.execute_sql(f'DROP INDEX "{name}"')
    return [sql for _, sql in rows]


def fill_store(
    session: Session,
    *,
    start: date,
    now: datetime,
    per_day: float,
    seed: int = 1,
    total: int | None = None,
    chunk: int = 0,
    rebuild_indexes: bool = False,
    check: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write dossiers received on working days from ``start`` (office-local) to ``now``
    (naive UTC) into the open store of ``session``; return how many.

    ``total`` rescales the daily volumes to exactly that many dossiers. With
    ``chunk`` > 0 the rows are committed every ``chunk`` dossiers (a million
    dossiers need not sit in one transaction); otherwise all in one.
    ``rebuild_indexes`` drops the indexes of the bulk tables first and rebuilds
    them at the end (faster for big builds; meanwhile the store is not for use).
    ``check`` re-folds every history with ``lifecycle.fold`` as it is planned.
    ``progress(done, total)`` is called after each commit.
    """
    db = session.store.db
    rules = session.rules
    rng = random.Random(seed)
    # Content (names, histories) follows the seed; uids must differ between stores.
    uid_rng = random.Random(f"{seed}:{session.store.store_id}")
    counts = daily_counts(session.calendar, start, local_day(now, rules), per_day, rng)
    if total is not None:
        counts = scale_counts(counts, total)
    expected = sum(c for _, c in counts)
    planner = Planner(session, rng, uid_rng, now, start, check=check)
    first_id = (db.execute_sql('SELECT max(id) FROM "dossier"').fetchone()[0] or 0) + 1
    last = db.execute_sql('SELECT id, hash FROM "event" ORDER BY id DESC LIMIT 1').fetchone()
    writer = _Writer(session, first_id, (last[0] + 1) if last else 1, last[1] if last else GENESIS_HASH,
                     planner.uid)

    sync = db.execute_sql("PRAGMA synchronous").fetchone()[0]
    cache = db.execute_sql("PRAGMA cache_size").fetchone()[0]
    # A bulk build is all or nothing anyway (a crash means building it again), so
    # it need not fsync every page; the store's own setting is restored after.
    db.execute_sql("PRAGMA synchronous=OFF")
    db.execute_sql("PRAGMA cache_size=-262144")
    try:
        indexes = _drop_indexes(db) if rebuild_indexes else []
        done_in_chunk = 0
        tx = db.atomic()
        tx.__enter__()
        try:
            for day, count in counts:
                if count <= 0:
                    continue
                day_start = planner.utc(day, time(0, 0))
                writer.drain(day_start)
                for plan in planner.plan_day(day, count):
                    writer.push(plan)
                done_in_chunk += count
                if chunk and done_in_chunk >= chunk:
                    # Everything before the next day can be written and committed.
                    writer.drain(day_start + timedelta(days=1))
                    writer.flush()
                    tx.__exit__(None, None, None)
                    if progress:
                        progress(writer.written, expected)
                    done_in_chunk = 0
                    tx = db.atomic()
                    tx.__enter__()
            writer.drain(None)
            writer.flush()
            for sql in indexes:
                db.execute_sql(sql)
        except BaseException as exc:
            tx.__exit__(type(exc), exc, exc.__traceback__)
            raise
        tx.__exit__(None, None, None)
        if progress:
            progress(writer.written, expected)
    finally:
        db.execute_sql(f"PRAGMA synchronous={int(sync)}")
        db.execute_sql(f"PRAGMA cache_size={int(cache)}")
    return writer.written


def _demo_secret(rng: random.Random, seq: int, day: date) -> str:
    """A receipt secret as long as a real one (8 characters). Six come from the demo's
    random stream as before, two from the dossier's day and number, so lengthening
    the secret did not reshuffle the rest of the invented history."""
    tail = hashlib.sha256(f"{day.isoformat()}/{seq}".encode()).digest()
    return "".join(rng.choices(_SECRET, k=6)) + "".join(_SECRET[b % len(_SECRET)] for b in tail[:2])
