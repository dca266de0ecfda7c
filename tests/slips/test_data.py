"""slip_data_from on a real encrypted store: office-local dates, reasons, apology, printing."""

from __future__ import annotations

import stat
import sys
from datetime import datetime

import pytest
from slip_testkit import pdf_text

from ward_desk.services import dossiers
from ward_desk.slips import print_slip, slip_data_from
from ward_desk.store.models import Office


def _intake(session, code: str = "HT.01", **kw) -> dossiers.Dossier:
    return dossiers.intake(session, dossiers.IntakeRequest(
        procedure_code=code, applicant_name="Nguyễn Thị Đào", id_number="068190012345",
        phone="0912345678", address="Số 12 Huỳnh Thúc Kháng, khu phố 5", **kw))


def test_receipt_from_intake(session) -> None:
    d = _intake(session)
    data = slip_data_from(session, d, "receipt")
    assert data.form_number == "01"
    assert data.office_name == "Phường Mũi Né" and data.office_code == "22918"
    assert data.dossier_code == d.code and data.lookup_secret == d.lookup_secret
    assert data.received_at == "03/03/2026 09:00"  # 02:00 UTC is 09:00 in Hà Nội
    assert data.due_at == "03/03/2026 17:00"  # same-day procedure, closing time
    assert data.date_line == "Mũi Né, ngày 03 tháng 3 năm 2026"
    assert data.procedure_name == "Đăng ký khai sinh" and data.procedure_field == "Hộ tịch"
    assert data.processing_time == "Trong ngày"
    assert [doc.name for doc in data.documents] == [
        "Tờ khai đăng ký khai sinh", "Giấy chứng sinh", "Giấy tờ tùy thân của người đi đăng ký"]
    assert data.clerk_name == "Trần Văn Quản Trị"
    assert data.status_base_url == ""  # no upstream enrolled: the QR carries only the code


def test_status_url_comes_from_the_office(session) -> None:
    Office.update(upstream_url="https://tinh.example.vn/wd").execute()
    session.office = Office.get()
    d = _intake(session)
    from ward_desk.slips.model import qr_payload

    payload = qr_payload(slip_data_from(session, d, "receipt"))
    assert payload == f"https://tinh.example.vn/wd/status?code={d.code}&s={d.lookup_secret}"


def test_refusal_and_supplement_take_the_reason_from_the_event(session, clock) -> None:
    d = _intake(session, code="HT.04")
    clock.advance(hours=1)
    dossiers.move(session, d.code, "request_supplement", reason="Thiếu văn bản cử người giám hộ")
    data = slip_data_from(session, dossiers.get(d.code), "supplement",
                          {"requested_items": ["Văn bản cử người giám hộ (bản chính)"]})
    assert data.reason == "Thiếu văn bản cử người giám hộ"
    assert data.requested_items == ("Văn bản cử người giám hộ (bản chính)",)
    assert data.form_number == "02"

    other = _intake(session, code="HT.04")
    dossiers.move(session, other.code, "reject", reason="Không thuộc thẩm quyền giải quyết của phường")
    refusal = slip_data_from(session, dossiers.get(other.code), "refusal")
    assert refusal.reason == "Không thuộc thẩm quyền giải quyết của phường"


def test_apology_uses_the_issued_slip(session, clock) -> None:
    d = _intake(session, code="HT.04")  # 3 working days: due Fri 06/03 17:00
    assert slip_data_from(session, d, "receipt").due_at == "06/03/2026 17:00"
    clock.now = datetime(2026, 3, 5, 3, 0)  # Thu 10:00, the working day before the due day
    new_due = dossiers.apology_due_date(session, d, 3)
    dossiers.issue_apology(session, d.code, new_due, "Chờ kết quả xác minh từ Sở Tư pháp")
    data = slip_data_from(session, dossiers.get(d.code), "apology", {"signer_name": "Trần Quốc Dũng"})
    assert data.previous_due_at == "06/03/2026 17:00"
    assert data.new_due_at == "10/03/2026 17:00"
    assert data.reason == "Chờ kết quả xác minh từ Sở Tư pháp"
    assert data.date_line == "Mũi Né, ngày 05 tháng 3 năm 2026"
    assert data.signer_name == "Trần Quốc Dũng"


def test_unknown_extra_key_is_a_programming_error(session) -> None:
    d = _intake(session)
    with pytest.raises(ValueError, match="new_due"):
        slip_data_from(session, d, "apology", {"new_due": datetime(2026, 3, 9)})


def test_print_slip_writes_under_data_dir_slips_only(session) -> None:
    d = _intake(session)
    path = print_slip(session, d, "receipt", "pdf")
    data_dir = session.store.data_dir
    assert path.parent == data_dir / "slips"
    assert "Nguyễn Thị Đào" in pdf_text(path)
    if sys.platform != "win32":  # personal data: owner-only
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert print_slip(session, d, "receipt", "pdf") == path  # re-printing replaces the file
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
