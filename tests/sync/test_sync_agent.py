"""The ward agent against a real receiver: backlog, network cuts, server faults,
the USB path and key escrow, with nothing lost or doubled."""

from __future__ import annotations

import json
from argparse import Namespace
from datetime import timedelta
from pathlib import Path

import pytest
from fault_proxy import FaultProxy
from sync_helpers import (
    FAST,
    Receiver,
    assert_exactly_once,
    district_ack,
    district_cli,
    free_port,
    outbox_max,
    run_through_a_cut,
    ward_entities,
)

from sync_agent import ward_cli
from sync_agent.agent import AgentConfig, SyncAgent
from ward_desk.services.outbox import sync_status

NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thị Dung", "Hoàng Văn Em"]
ADMIN, PASSWORD = "admin", "mat-khau-123"  # the `session` fixture's user (tests/conftest.py)


def enrol(session, district_dir: Path, url: str) -> None:
    """Both halves of enrolment, as the two CLIs do them."""
    district_cli("key", "--data-dir", str(district_dir), "--out", str(district_dir / "district.pub"))
    ward_pub = district_dir.parent / "ward.pub"
    ward_cli.cmd_key(Namespace(out=str(ward_pub)), session)
    district_cli("enrol", "--data-dir", str(district_dir), "--office-code", session.office.code,
                 "--ward-key", str(ward_pub), "--fingerprint", json.loads(Path(ward_pub).read_text(encoding="utf-8"))["fingerprint"])
    ward_cli.cmd_enrol(Namespace(district_key=str(district_dir / "district.pub"), district_url=url,
                                 fingerprint=json.loads((district_dir / "district.pub").read_text(encoding="utf-8"))["fingerprint"]), session)


def make_dossiers(session, clock, days: int, per_day: int) -> list[str]:
    """A busy ward's days: intakes spread over office hours, most moved on, some finished."""
    from ward_desk.services import dossiers
    from ward_desk.services.catalogue import list_procedures

    procedures = [p.code for p in list_procedures()][:8]
    codes: list[str] = []
    start = clock.now
    for day in range(days):
        for i in range(per_day):
            clock.now = start + timedelta(days=day, minutes=2 * i)
            d = dossiers.intake(session, dossiers.IntakeRequest(
                procedure_code=procedures[i % len(procedures)], applicant_name=NAMES[i % len(NAMES)]))
            codes.append(d.code)
            if i % 2 == 0:
                dossiers.move(session, d.code, "forward")
            if i % 6 == 0:
                dossiers.move(session, d.code, "mark_result_ready")
    return codes


@pytest.fixture
def server(district_init: Path):
    s = Receiver(district_init, None).start()
    yield s
    s.stop()


def test_three_day_backlog_drains_in_one_run(session, clock, server: Receiver) -> None:
    enrol(session, server.data_dir, server.url)
    codes = make_dossiers(session, clock, days=3, per_day=150)
    agent = SyncAgent(session.store.data_dir, AgentConfig(**FAST))
    report = agent.run_once()
    agent.close()
    assert report.ok, report.error and report.error.render("en")
    assert report.pending == 0 and report.acked_seq == outbox_max()
    assert district_ack(server, session.office.code)["acked_seq"] == outbox_max()
    rows = json.loads(district_cli("report", "wards", "--json", "--data-dir", str(server.data_dir)).stdout)
    assert rows[0]["dossiers"] == len(codes) == 450
    assert sync_status(session.clock())["last_error"] is None
    server.stop()
    assert_exactly_once(server.data_dir, outbox_max(), ward_entities())


def test_network_cut_and_restored_mid_sync(session, clock, server: Receiver) -> None:
    enrol(session, server.data_dir, server.url)
    make_dossiers(session, clock, days=1, per_day=150)
    proxy = FaultProxy(server.port)
    agent = SyncAgent(session.store.data_dir, AgentConfig(url=proxy.url, max_batch_records=20,
                                                          max_attempts=200, **FAST))
    report = run_through_a_cut(agent, server, session.office.code, proxy, cut_request_bytes=700)
    assert report.ok, report.error and report.error.render("en")
    assert report.acked_seq == outbox_max() and report.pending == 0
    server.stop()
    assert_exactly_once(server.data_dir, outbox_max(), ward_entities())


def test_server_errors_and_timeouts_back_off_and_recover(session, clock, server: Receiver) -> None:
    enrol(session, server.data_dir, server.url)
    make_dossiers(session, clock, days=1, per_day=30)
    proxy = FaultProxy(server.port)
    try:
        # First, an outage longer than one run's patience: the run ends with a plain error.
        proxy.queue(*[("status", 503)] * 3)
        agent = SyncAgent(session.store.data_dir, AgentConfig(url=proxy.url, max_attempts=3, **FAST))
        report = agent.run_once()
        assert not report.ok and report.error is not None and report.error.transient
        assert report.error.message_id == "sync.agent.server_busy"
        line = sync_status(session.clock())["last_error"]
        assert line and "503" in line
        # Then the server limps: 500, 503, a hang past the read timeout, 502, 429 — and recovers.
        proxy.queue(("status", 500), ("status", 503), "hang", ("status", 502), ("status", 429))
        agent = SyncAgent(session.store.data_dir, AgentConfig(url=proxy.url, max_attempts=10,
                                                              **{**FAST, "read_timeout": 1}))
        report = agent.run_once()
        agent.close()
        assert report.ok, report.error and report.error.render("en")
        assert proxy.connections >= 9
    finally:
        proxy.close()
    assert report.acked_seq == outbox_max()
    assert sync_status(session.clock())["last_error"] is None
    server.stop()
    assert_exactly_once(server.data_dir, outbox_max(), ward_entities())


def test_refusal_stops_with_plain_words(session, clock, server: Receiver) -> None:
    enrol(session, server.data_dir, server.url)
    make_dossiers(session, clock, days=1, per_day=2)
    district_cli("revoke", "--data-dir", str(server.data_dir), "--office-code", session.office.code, "--yes")
    report = SyncAgent(session.store.data_dir, AgentConfig(**FAST)).run_once()
    assert not report.ok and not report.error.transient
    assert report.error.message_id == "sync.reject.revoked_ward"


def test_usb_path_end_to_end(session, clock, district_init: Path, tmp_path: Path) -> None:
    dead_url = f"http://127.0.0.1:{free_port()}"  # no network at all
    enrol(session, district_init, dead_url)
    make_dossiers(session, clock, days=1, per_day=40)
    agent = SyncAgent(session.store.data_dir, AgentConfig(max_batch_records=25))
    usb = tmp_path / "usb"
    first = agent.export(usb)
    assert len(first) >= 3 and all(p.suffix == ".wdu" for p in first)
    out = district_cli("import", "--data-dir", str(district_init), str(usb))
    assert "0" in out.stdout
    # More work, another trip; the stick still holds the old files: re-importing them is harmless.
    make_dossiers(session, clock, days=1, per_day=10)
    second = agent.export(usb)
    assert [p.name for p in second[: len(first)]] == [p.name for p in first]
    proc = district_cli("import", "--data-dir", str(district_init), str(usb), env={"WARD_DESK_LANG": "en"})
    assert "refused" in proc.stdout and ", 0 refused" in proc.stdout
    rows = json.loads(district_cli("report", "wards", "--json", "--data-dir", str(district_init)).stdout)
    assert rows[0]["dossiers"] == 50 and rows[0]["acked_seq"] == outbox_max()
    # A damaged file on the stick is refused by name; nothing of it applied.
    bad = usb / "ward-desk-22918" / "zz-damaged.wdu"
    blob = bytearray(second[0].read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    bad.write_bytes(bytes(blob))
    proc = district_cli("import", "--data-dir", str(district_init), str(bad), check=False)
    assert proc.returncode == 4 and "zz-damaged.wdu" in proc.stdout
    held = json.loads(district_cli("quarantine", "list", "--json", "--data-dir", str(district_init)).stdout)
    assert [r["reason"] for r in held] == ["unverified"]  # kept for a person, nothing of it applied
    # When a network appears, the ward learns the district's position and sends nothing twice.
    server = Receiver(district_init, None).start()
    try:
        report = SyncAgent(session.store.data_dir, AgentConfig(url=server.url, **FAST)).run_once()
        assert report.ok and report.batches_sent == 0 and report.acked_seq == outbox_max()
    finally:
        server.stop()
    assert_exactly_once(district_init, outbox_max(), ward_entities())


def test_escrow_recovers_a_store_whose_passwords_are_lost(session, district_init: Path, tmp_path: Path) -> None:
    from ward_desk.services.desk import open_session
    from ward_desk.store.errors import WrongPassword

    enrol(session, district_init, "http://127.0.0.1:9")
    data_dir = session.store.data_dir
    session.store.close()
    new_password = tmp_path / "new.txt"
    new_password.write_text("mat-khau-moi-456\n", encoding="utf-8")
    proc = district_cli("recover", "--data-dir", str(district_init), "--store", str(data_dir),
                        "--user", ADMIN, "--new-password-file", str(new_password))
    assert ADMIN in proc.stdout
    reopened = open_session(data_dir, ADMIN, "mat-khau-moi-456")
    assert reopened.office.code == "22918"
    reopened.store.close()
    with pytest.raises(WrongPassword):
        open_session(data_dir, ADMIN, PASSWORD)
    # The wrong district password, or another district, opens nothing.
    proc = district_cli("recover", "--data-dir", str(district_init), "--store", str(data_dir), "--user", ADMIN,
                        "--new-password-file", str(new_password), env={"DISTRICT_DESK_PASSWORD": "sai"}, check=False)
    assert proc.returncode == 3


def test_downlink_reference_data_is_verified_and_applied(session, server: Receiver, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from sync_agent import downlink
    from sync_agent.envelope import EnvelopeError, build_document
    from ward_desk.store.models import CalendarOverride, Procedure, ReferenceData

    enrol(session, server.data_dir, server.url)
    docs = {
        "calendar": {"overrides": [{"day": "2026-04-25", "kind": "work", "note": "Làm bù"}]},
        "procedures": {"procedures": [{"code": "HT.99", "name": "Thủ tục thử", "field": "Hộ tịch", "days": 3}]},
        "review": {"month": "2026-01", "revision": 1, "status": "accepted", "comment": ""},  # no such month here
    }
    for kind, body in docs.items():
        path = tmp_path / f"{kind}.json"
        path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        district_cli("publish", "--data-dir", str(server.data_dir), "--kind", kind, "--version", "2026.1",
                     *(["--office", session.office.code] if kind == "review" else []), str(path))
    report = SyncAgent(session.store.data_dir, AgentConfig(**FAST)).run_once(session=session)
    assert report.ok
    assert sorted(report.documents_applied) == ["calendar-all-2026.1", "procedures-all-2026.1"]
    assert report.documents_failed == ["review-22918-2026.1"]  # refused by the service, others still applied
    assert CalendarOverride.get(CalendarOverride.source == "upstream").kind == "work"
    assert Procedure.get(Procedure.code == "HT.99").processing_days == 3
    assert ReferenceData.select().count() == 2
    again = SyncAgent(session.store.data_dir, AgentConfig(**FAST)).run_once(session=session)
    assert again.documents_applied == []  # applied once
    forged = build_document(kind="calendar", version="x", body={"overrides": []}, signer=Ed25519PrivateKey.generate())
    with pytest.raises(EnvelopeError):
        downlink.receive(session, forged)


NOTICE_2027 = {
    "year": 2027, "version": "TB-2027/1", "status": "enacted",
    "sources": {"tb": {"document": "Thông báo nghỉ Tết Âm lịch 2027", "number": "1/TB-BNV", "date": "01/12/2026",
                       "issuer": "Bộ Nội vụ", "status": "enacted"}},
    "days": [{"date": "2027-01-01", "kind": "off", "name_vi": "Tết Dương lịch", "source": "tb"},
             {"date": "2027-02-03", "to": "2027-02-10", "kind": "off", "name_vi": "Tết Nguyên Đán", "source": "tb"},
             {"date": "2027-01-30", "kind": "work", "name_vi": "Làm bù", "source": "tb"}],
}


def test_a_year_notice_published_upstream_is_applied_and_named_on_dossiers(
        session, clock, server: Receiver, tmp_path: Path) -> None:
    """Upstream signs a year's notice (days off, make-up days, sources, status); the ward
    counts by it from the next sync, and each dossier records the calendar it was dated by."""
    from datetime import date, datetime, timezone

    from sync_helpers import TEST_PASSWORD

    from district_desk.store import DistrictStore
    from district_desk.views import district_calendar
    from ward_desk.cli.commands import _dossier_dict
    from ward_desk.domain.timing import local_day
    from ward_desk.services import dossiers
    from ward_desk.services.catalogue import list_procedures

    enrol(session, server.data_dir, server.url)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"notice": {**NOTICE_2027, "status": "perhaps"}}), encoding="utf-8")
    refused = district_cli("publish", "--data-dir", str(server.data_dir), "--kind", "calendar", "--version", "bad",
                           str(bad), check=False)
    assert refused.returncode == 2 and "status" in refused.stderr  # never signed

    procedure = next(p for p in list_procedures() if p.processing_days == 2)
    clock.now = datetime(2027, 2, 2, 2, 0)  # Tuesday 02/02/2027 09:00: the shipped 2027 is provisional
    before = dossiers.intake(session, dossiers.IntakeRequest(procedure_code=procedure.code, applicant_name="Lê Văn Tết"))
    assert local_day(before.due_at) == date(2027, 2, 11)  # 03/02, then Tết 04-10/02 off
    assert session.calendar.is_provisional(date(2027, 2, 4))
    assert "2027:" not in before.calendar_version and before.calendar_version

    path = tmp_path / "notice.json"
    path.write_text(json.dumps({"notice": NOTICE_2027}, ensure_ascii=False), encoding="utf-8")
    district_cli("publish", "--data-dir", str(server.data_dir), "--kind", "calendar", "--version", "2027.1", str(path))
    # The receiver signs its short-lived document index by its own (real) clock; a ward
    # whose clock stood two months ahead would rightly call it stale, so the sync runs at
    # the real moment and the dossiers after it are dated in 2027 again.
    dated_in_2027 = clock.now
    clock.now = datetime.now(timezone.utc).replace(tzinfo=None)
    report = SyncAgent(session.store.data_dir, AgentConfig(**FAST)).run_once(session=session)
    clock.now = dated_in_2027
    assert report.ok and report.documents_applied == ["calendar-all-2027.1"]

    after = dossiers.intake(session, dossiers.IntakeRequest(procedure_code=procedure.code, applicant_name="Lê Văn Tết"))
    assert local_day(after.due_at) == date(2027, 2, 12)  # 03/02 is now off: the notice's first Tết day
    assert after.calendar_version.endswith("2027:TB-2027/1")
    assert session.calendar.provisional_days(2027) == []
    assert session.calendar.is_working_day(date(2027, 1, 30))  # its make-up Saturday
    for d in (before, after):  # what `ward-desk dossier show --json` prints
        stored = dossiers.get(d.code)
        assert _dossier_dict(stored, dossiers.history(stored))["calendar_version"] == d.calendar_version

    store = DistrictStore.open(server.data_dir, password=TEST_PASSWORD)  # upstream counts with the notice it published
    try:
        assert not district_calendar(store).is_working_day(date(2027, 2, 3))
    finally:
        store.close()


def test_acknowledged_rows_are_pruned_after_a_month(session, clock, server: Receiver) -> None:
    """After a successful sync, acknowledged outbox rows older than 30 days go; nothing
    unacknowledged is ever removed, and later syncs carry on from the ack."""
    from ward_desk.store.models import Outbox

    enrol(session, server.data_dir, server.url)
    make_dossiers(session, clock, days=1, per_day=20)
    agent = SyncAgent(session.store.data_dir, AgentConfig(**FAST))
    first = agent.run_once(session=session)
    assert first.ok and first.pruned == 0  # everything is younger than 30 days
    first_rows = Outbox.select().count()
    acked = outbox_max()
    assert first.acked_seq == acked

    # Every first-round row (the store's catalogue and users included) is now over 30 days old.
    clock.now += timedelta(days=31)
    make_dossiers(session, clock, days=1, per_day=5)
    pending = Outbox.select().where(Outbox.seq > acked).count()
    second = agent.run_once(session=session)
    assert second.ok and second.records_sent == pending
    assert second.pruned == first_rows  # acknowledged and older than 30 days
    assert Outbox.select().where(Outbox.seq <= acked).count() == 0
    assert Outbox.select().count() == pending  # acknowledged but recent: kept
    third = agent.run_once(session=session)
    agent.close()
    assert third.ok and third.records_sent == 0 and third.acked_seq == second.acked_seq


def test_a_first_run_tells_its_progress_batch_by_batch_up_to_the_backlog(session, clock, server: Receiver) -> None:
    enrol(session, server.data_dir, server.url)
    make_dossiers(session, clock, days=1, per_day=30)
    backlog = outbox_max()
    seen: list[tuple[int, int]] = []
    agent = SyncAgent(session.store.data_dir, AgentConfig(max_batch_records=20, **FAST))
    report = ward_cli.run_with_progress(agent, session, lambda done, total: seen.append((done, total)))
    agent.close()
    assert report.ok, report.error and report.error.render("en")
    assert seen[0] == (0, backlog) and seen[-1] == (backlog, backlog)
    assert len(seen) >= backlog // 20  # one report per acknowledged batch
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and {t for _, t in seen} == {backlog}


def test_the_desk_shows_the_sync_runs_count_on_the_dashboard(session, clock, server: Receiver) -> None:
    import asyncio

    from tests.ui.conftest import make_app, settle, unlock

    enrol(session, server.data_dir, server.url)
    make_dossiers(session, clock, days=1, per_day=30)
    backlog = outbox_max()
    data_dir = session.store.data_dir
    session.store.close()
    lines: list[str] = []

    async def scenario():
        app = make_app(data_dir, clock, username="admin", sync_delay_seconds=0.01)
        told = app._sync_progressed

        def progressed(done: int, total: int) -> None:
            told(done, total)
            lines.append(app.screen.query_one("#sync").render().plain)

        app._sync_progressed = progressed
        async with app.run_test(size=(80, 24)) as pilot:
            await unlock(pilot)
            for _ in range(400):
                if lines and not app.sync_running:
                    break
                await pilot.pause(0.05)
            await settle(pilot)
            assert not app.sync_running and app.sync_progress is None

    asyncio.run(scenario())
    assert lines[0].endswith(f"0/{backlog} bản ghi (0%)"), lines
    assert lines[-1].endswith(f"{backlog}/{backlog} bản ghi (100%)"), lines
    assert all("Đồng bộ: đang gửi" in line for line in lines)
