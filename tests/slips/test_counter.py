"""The counter (quầy) of a desk session: recorded on each event it makes, kept in the
hash chain, printed on the receipt, set by --counter, WARD_DESK_COUNTER or config.toml."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from slip_testkit import pdf_text

from ward_desk.errors import InvalidInput
from ward_desk.services import dossiers
from ward_desk.services.desk import desk_counter, open_session, verify
from ward_desk.slips import print_slip
from ward_desk.store.models import Dossier, Event

sys.path.insert(0, str(Path(__file__).parent.parent / "store"))
from wd_testkit import ADMIN, PASSWORD, ok, run_cli


def _intake(session, name: str = "Nguyễn Thị Đào") -> dossiers.Dossier:
    return dossiers.intake(session, dossiers.IntakeRequest(procedure_code="HT.01", applicant_name=name))


def test_each_event_records_its_sessions_counter_and_the_chain_verifies(session, clock) -> None:
    before = _intake(session, "Trước Khi Có Quầy")  # no counter set: as every event before 0006
    session.counter = "Quầy 2 - Hộ tịch"
    d = _intake(session)
    clock.advance(hours=1)
    session.counter = "Quầy 3"
    dossiers.move(session, d.code, "forward", officer=ADMIN)
    counters = [e.counter for e in Event.select().where(Event.dossier == d.id).order_by(Event.id)]
    assert counters == ["Quầy 2 - Hộ tịch", "Quầy 3"]
    assert Event.get(Event.dossier == before.id).counter == ""
    assert verify(session).problems == []
    # The counter is hashed: changed afterwards, the chain no longer verifies.
    Event.update(counter="Quầy 9").where(Event.dossier == d.id, Event.kind == "intake").execute()
    assert verify(session).problems != []


def test_the_receipt_prints_the_counter_the_dossier_was_received_at(session) -> None:
    session.counter = "Quầy 2"
    d = _intake(session)
    session.counter = "Quầy 5"  # reprinted at another counter: still where it was received
    text = pdf_text(print_slip(session, d, "receipt", "pdf"))
    assert "Quầy tiếp nhận: Quầy 2" in text and "Quầy 5" not in text
    session.counter = ""
    plain = _intake(session, "Không Có Quầy")
    assert "Quầy tiếp nhận" not in pdf_text(print_slip(session, plain, "receipt", "pdf"))


def test_the_counter_comes_from_the_option_the_environment_or_the_config(store_dir: Path, clock,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WARD_DESK_COUNTER", raising=False)
    assert desk_counter(store_dir) == ""
    (store_dir / "config.toml").write_text('counter = "Quầy 1 - Một cửa"\n', encoding="utf-8")
    assert desk_counter(store_dir) == "Quầy 1 - Một cửa"
    monkeypatch.setenv("WARD_DESK_COUNTER", "  Quầy   4 ")
    assert desk_counter(store_dir) == "Quầy 4"  # cleaned like any stored text
    assert desk_counter(store_dir, "Quầy 6") == "Quầy 6"
    session = open_session(store_dir, ADMIN, PASSWORD, clock=clock)
    try:
        assert session.counter == "Quầy 4"
    finally:
        session.store.close()
    with pytest.raises(InvalidInput):
        desk_counter(store_dir, "Quầy\x1b[31m")


def test_the_cli_records_its_counter_and_refuses_a_bad_one(store_dir: Path) -> None:
    out = ok(run_cli("intake", "--procedure", "HT.01", "--applicant-name", "Lê Văn Quầy", "--counter",
                     "Quầy 7", "--data-dir", store_dir)).stdout
    code = out.split()[0]
    bad = run_cli("intake", "--procedure", "HT.01", "--applicant-name", "Lê Văn Sai", "--counter", "Q" * 41,
                  "--data-dir", store_dir)
    assert bad.returncode == 2 and "Quầy" in bad.stderr
    session = open_session(store_dir, ADMIN, PASSWORD)
    try:
        assert [e.counter for e in Event.select().join(Dossier).where(Dossier.code == code)] \
            == ["Quầy 7"]
        assert Dossier.select().count() == 1
    finally:
        session.store.close()
