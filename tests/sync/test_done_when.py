"""Issue 5's "done when", in one run on one machine, on SQLite and on PostgreSQL.

A demo ward (two years of dossiers, built by ``ward-desk demo``) enrols with a local
receiver through the two CLIs; a tampered batch is refused and changes nothing; the
whole outbox syncs while the network is cut and restored, with nothing lost or
doubled; the leader submits a month, which the district's ranking then shows; a
citizen looks a dossier up with the code and secret printed on the receipt.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from fault_proxy import FaultProxy
from sync_helpers import (
    FAST,
    Receiver,
    assert_exactly_once,
    district_ack,
    district_cli,
    outbox_max,
    run_through_a_cut,
    ward_entities,
)

from sync_agent.agent import AgentConfig, SyncAgent
from tests.conftest import DemoWard

DEMO_PASSWORD = "demo-muine-2026"  # ward_desk.demo's printed password, the same for every demo user
# The criteria a leader scores by hand in the starter criteria set (the rest are computed).
MANUAL_SCORES = {"disclosure.procedures": "4", "disclosure.progress": "3", "disclosure.feedback": "3",
                 "digitization.results": "6", "online.payment": "3", "online.availability": "3"}


def ward(data: Path, *args: str, user: str = "admin") -> subprocess.CompletedProcess:
    """``ward-desk`` as the ward's staff run it (cheap Argon2, as every test store)."""
    env = {**os.environ, "WARD_DESK_PASSWORD": DEMO_PASSWORD, "WARD_DESK_LANG": "en",
           "WARD_DESK_KDF_MEMORY_KIB": os.environ.get("WARD_DESK_KDF_MEMORY_KIB", "64")}
    proc = subprocess.run([sys.executable, "-m", "ward_desk.cli.main", *args, "--data-dir", str(data),
                           "--user", user], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
    return proc


def test_a_demo_ward_syncs_with_a_district_end_to_end(demo_ward: DemoWard, receiver: Receiver,
                                                     tmp_path: Path) -> None:
    from ward_desk.services.desk import open_session
    from ward_desk.store.models import Dossier

    data = tmp_path / "ward"
    shutil.copytree(demo_ward.path, data)
    month = demo_ward.day.last_month  # the month the leader scores: the last whole one
    district = receiver.data_dir

    # Enrolment, by the commands a district officer and the ward's admin type.
    district_cli("key", "--data-dir", str(district), "--out", str(tmp_path / "district.pub"))
    ward(data, "sync", "key", "--out", str(tmp_path / "ward.pub"))
    district_cli("enrol", "--data-dir", str(district), "--office-code", "22918",
                 "--ward-key", str(tmp_path / "ward.pub"),
                 "--fingerprint", json.loads((tmp_path / "ward.pub").read_text(encoding="utf-8"))["fingerprint"])
    ward(data, "sync", "enrol", "--district-url", receiver.url, "--district-key", str(tmp_path / "district.pub"),
         "--fingerprint", json.loads((tmp_path / "district.pub").read_text(encoding="utf-8"))["fingerprint"])
    counts = json.loads(ward(data, "stats", "--json").stdout)
    assert counts["dossiers"] == demo_ward.dossiers > 2_000
    assert counts["outbox_pending"] > 4 * counts["dossiers"]  # every event, slip and rating waits

    # A batch with one byte flipped (taken from the USB export) is refused; nothing applied.
    ward(data, "sync", "export", "--to", str(tmp_path / "usb"))
    exported = sorted((tmp_path / "usb" / "ward-desk-22918").glob("*.wdu"))
    tampered = bytearray(exported[0].read_bytes())
    tampered[len(tampered) // 2] ^= 0x01
    answer = requests.post(f"{receiver.url}/v1/batches", data=bytes(tampered),
                           headers={"Content-Type": "application/octet-stream"}, timeout=30)
    assert answer.status_code in (400, 403), answer.text
    assert district_ack(receiver, "22918")["acked_seq"] == 0

    # The whole outbox, through a link that is cut and restored mid-sync.
    session = open_session(data, "admin", DEMO_PASSWORD, clock=lambda: demo_ward.day.now)
    try:
        proxy = FaultProxy(receiver.port)
        agent = SyncAgent(data, AgentConfig(url=proxy.url, max_attempts=200, **FAST))
        report = run_through_a_cut(agent, receiver, "22918", proxy, cut_request_bytes=5000, timeout=240)
        assert report.ok, report.error and report.error.render("en")
        assert report.pending == 0 and report.acked_seq == outbox_max()
        wards = json.loads(district_cli("report", "wards", "--json", "--data-dir", str(district)).stdout)
        assert wards[0]["office_code"] == "22918" and wards[0]["dossiers"] == counts["dossiers"]
        assert wards[0]["acked_seq"] == outbox_max()

        # The leader scores the month's manual criteria and submits it; the next sync carries it.
        for criterion, score in MANUAL_SCORES.items():
            ward(data, "assess", "score", "--month", month, "--criterion", criterion, "--score", score,
                 "--evidence", "Biên bản kiểm tra", user="lanhdao")
        submitted = json.loads(ward(data, "assess", "submit", "--month", month, "--json", user="lanhdao").stdout)
        # Counted now: a sync with the session prunes acknowledged rows older than 30 days.
        entities, last_seq = ward_entities(), outbox_max()
        agent = SyncAgent(data, AgentConfig(**FAST))
        try:
            assert agent.run_once(session=session).ok
        finally:
            agent.close()
        ranking = json.loads(district_cli("rank", "--month", month, "--json", "--data-dir", str(district)).stdout)
        ranked = {r["office_code"]: r for r in ranking["ranked"]}
        assert "22918" in ranked, ranking
        assert ranked["22918"]["self_total"] == pytest.approx(submitted["total"])

        # A citizen with the receipt: code and short secret, no personal data on the page. The
        # dossier is chosen by what it holds (an open one with a name, phone and ID number), so
        # the check can fail; which one is newest depends on the demo's day.
        dossier = (Dossier.select()
                   .where(Dossier.closed_at.is_null(), Dossier.applicant_phone != "",
                          Dossier.applicant_id_number != "")
                   .order_by(Dossier.code).first())
        assert dossier is not None and len(dossier.applicant_phone) >= 10 and dossier.applicant_name
        page = requests.get(f"{receiver.url}/status", params={"code": dossier.code, "secret": dossier.lookup_secret},
                            timeout=10)
        assert page.status_code == 200 and 'id="r-state"' in page.text and 'id="r-due"' in page.text
        for personal in (dossier.applicant_name, dossier.applicant_phone, dossier.applicant_id_number):
            assert personal not in page.text, personal
        wrong = requests.get(f"{receiver.url}/status", params={"code": dossier.code, "secret": "SAI000"}, timeout=10)
        assert 'id="r-state"' not in wrong.text and 'id="error"' in wrong.text
    finally:
        session.store.close()
    receiver.stop()
    assert_exactly_once(district, last_seq, entities)
