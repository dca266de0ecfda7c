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


# --- Circular 03/2025 forms read from the store -------------------------------------------


def test_the_issuer_is_the_2025_centre_derived_from_the_ward_or_configured(session) -> None:
    from ward_desk.config import save_setting

    d = _intake(session)
    data = slip_data_from(session, d, "receipt")
    assert data.centre_name == "Trung tâm Phục vụ hành chính công phường Mũi Né"
    assert data.authority_name == "UBND phường Mũi Né" and data.province_name == ""
    assert data.form_title == "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
    assert data.return_method == "Trực tiếp tại Trung tâm Phục vụ hành chính công phường Mũi Né"
    data_dir = session.store.data_dir
    save_setting(data_dir, "centre_name", "Trung tâm Phục vụ hành chính công phường Mũi Né - điểm Hàm Tiến")
    save_setting(data_dir, "province_name", "tỉnh Lâm Đồng")
    text = pdf_text(print_slip(session, d, "receipt", "pdf"))
    assert "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG PHƯỜNG MŨI NÉ - ĐIỂM HÀM TIẾN" in text
    assert "TỈNH LÂM ĐỒNG" in text and "UBND PHƯỜNG MŨI NÉ" in text
    assert "Trực tiếp tại Trung tâm Phục vụ hành chính công phường Mũi Né - điểm Hàm Tiến" in text


def test_a_config_name_that_is_not_text_is_refused_with_the_file(tmp_path) -> None:
    from ward_desk.config import load_settings
    from ward_desk.errors import InvalidInput

    (tmp_path / "config.toml").write_text("province_name = 5\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        load_settings(tmp_path)
    assert info.value.message.id == "config.bad_value" and "province_name" in str(info.value)


def test_supplement_lists_the_items_the_clerk_asked_for(session, clock) -> None:
    """Form 02's table printed empty: the request's items were never recorded. They are
    now kept on the request event and printed, one row each."""
    from slip_testkit import docx_text

    d = _intake(session, code="HT.04")
    clock.advance(hours=1)
    dossiers.move(session, d.code, "request_supplement", reason="Hồ sơ chưa đủ giấy tờ theo quy định",
                  requested_items=["Văn bản cử người giám hộ (bản chính)", "Bản sao giấy khai sinh của người được giám hộ"])
    data = slip_data_from(session, dossiers.get(d.code), "supplement")
    assert data.requested_items == ("Văn bản cử người giám hộ (bản chính)",
                                    "Bản sao giấy khai sinh của người được giám hộ")
    pdf = pdf_text(print_slip(session, dossiers.get(d.code), "supplement", "pdf"))
    assert "1 Văn bản cử người giám hộ (bản chính)" in pdf
    assert "2 Bản sao giấy khai sinh của người được giám hộ" in pdf
    assert "Mẫu số 02" in pdf and "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in pdf
    docx = docx_text(print_slip(session, dossiers.get(d.code), "supplement", "docx"))
    assert "Bản sao giấy khai sinh của người được giám hộ" in docx


def test_supplement_reason_listing_several_things_gives_one_row_each(session, clock) -> None:
    d = _intake(session, code="HT.04")
    dossiers.move(session, d.code, "request_supplement",
                  reason="Thiếu văn bản cử người giám hộ; thiếu bản sao giấy khai sinh.")
    data = slip_data_from(session, dossiers.get(d.code), "supplement")
    assert data.requested_items == ("Thiếu văn bản cử người giám hộ", "thiếu bản sao giấy khai sinh")


def test_items_on_another_move_or_too_many_are_refused_and_change_nothing(session) -> None:
    from ward_desk.errors import InvalidInput
    from ward_desk.store.models import Event

    d = _intake(session, code="HT.04")
    before = Event.select().count()
    with pytest.raises(InvalidInput) as info:
        dossiers.move(session, d.code, "forward", requested_items=["Giấy tờ A"])
    assert info.value.message.id == "dossier.items_only_for_supplement"
    with pytest.raises(InvalidInput) as info:
        dossiers.move(session, d.code, "request_supplement", reason="Thiếu nhiều giấy tờ",
                      requested_items=[f"Giấy tờ số {i}" for i in range(31)])
    assert info.value.message.id == "dossier.too_many_items"
    assert Event.select().count() == before and dossiers.get(d.code).state == "received"


def test_stop_notice_after_the_citizen_withdraws(session, clock) -> None:
    """Form 05 (Thông báo dừng giải quyết hồ sơ): the withdraw event's reason, dated the
    day the dossier was stopped, whenever it is printed."""
    from slip_testkit import docx_text

    d = _intake(session, code="HT.04")
    clock.advance(days=1)  # Wed 04/03
    dossiers.move(session, d.code, "withdraw", reason="Công dân đề nghị dừng giải quyết để nộp lại hồ sơ khác")
    clock.advance(days=2)  # printed again on Fri 06/03: still dated the day it was stopped
    data = slip_data_from(session, dossiers.get(d.code), "stop")
    assert data.form_number == "05" and data.form_title == "Thông báo dừng giải quyết hồ sơ"
    assert data.reason == "Công dân đề nghị dừng giải quyết để nộp lại hồ sơ khác"
    assert data.date_line == "Mũi Né, ngày 04 tháng 3 năm 2026" and data.issued_on == "04/03/2026"
    for fmt, read in (("pdf", pdf_text), ("docx", docx_text)):
        text = read(print_slip(session, dossiers.get(d.code), "stop", fmt))
        for expected in ("Mẫu số 05", "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ", "Căn cứ Nghị định số 118/2025/NĐ-CP",
                         "Thông tư số 03/2025/TT-VPCP", "kể từ ngày 04/03/2026", "Nguyễn Thị Đào",
                         "Lý do dừng giải quyết: Công dân đề nghị dừng giải quyết để nộp lại hồ sơ khác"):
            assert expected in text, (fmt, expected)


def test_control_sheet_is_the_dossiers_history(session, clock) -> None:
    """Form 06 from the events: who, when, which step, what came of it, in time or not."""
    from slip_testkit import docx_text

    from ward_desk.slips.model import HistoryRow

    d = _intake(session, code="HT.04")  # Tue 03/03 09:00, 3 working days: due Fri 06/03 17:00
    clock.advance(minutes=30)
    dossiers.move(session, d.code, "forward")
    clock.advance(days=1)
    dossiers.move(session, d.code, "request_supplement", reason="Thiếu văn bản cử người giám hộ")
    clock.advance(days=1)  # Thu 05/03 09:30: the clock restarts, due three working days on (Tue 10/03)
    dossiers.move(session, d.code, "complete_supplement")
    clock.advance(days=6)  # Wed 11/03 09:30: past the restarted due date
    dossiers.move(session, d.code, "mark_result_ready")
    clock.advance(hours=1)
    dossiers.move(session, d.code, "return_result")
    data = slip_data_from(session, dossiers.get(d.code), "control")
    admin = "Trần Văn Quản Trị"
    assert data.history == (
        HistoryRow("03/03/2026 09:00", admin, "Tiếp nhận hồ sơ", "Đã tiếp nhận", ""),
        HistoryRow("03/03/2026 09:30", admin, "Chuyển xử lý", "Đang giải quyết", "Trong hạn"),
        HistoryRow("04/03/2026 09:30", admin, "Yêu cầu bổ sung hồ sơ",
                   "Chờ bổ sung hồ sơ: Thiếu văn bản cử người giám hộ", "Trong hạn"),
        HistoryRow("05/03/2026 09:30", admin, "Nhận đủ hồ sơ bổ sung", "Đang giải quyết", ""),
        HistoryRow("11/03/2026 09:30", admin, "Ghi nhận đã có kết quả", "Đã có kết quả", "Trễ hạn"),
        HistoryRow("11/03/2026 10:30", admin, "Trả kết quả", "Đã trả kết quả", "Trễ hạn"),
    )
    for fmt, read in (("pdf", pdf_text), ("docx", docx_text)):
        text = read(print_slip(session, dossiers.get(d.code), "control", fmt))
        for expected in ("Mẫu số 06", "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", "Nhận đủ hồ sơ bổ sung",
                         "Trễ hạn", "Trong hạn", "Chờ bổ sung hồ sơ: Thiếu văn bản cử người giám hộ"):
            assert expected in text, (fmt, expected)


def test_control_sheet_early_result_and_a_counter_named_by_the_step(session, clock) -> None:
    from ward_desk.slips.data import history_rows
    from ward_desk.store.models import Event

    d = _intake(session, code="HT.04")
    clock.advance(days=1)
    dossiers.move(session, d.code, "mark_result_ready")  # Wed, due Fri: early
    # A step that says at which counter it was done (the intake desk may record one).
    Event.update(data='{"counter": "2"}').where((Event.dossier == d.id) & (Event.kind == "intake")).execute()
    rows = history_rows(session, dossiers.get(d.code))
    assert rows[0].actor == "Trần Văn Quản Trị (quầy 2)"
    assert rows[-1].timing == "Trước hạn"


def test_setup_records_the_issuer_names_and_refuses_a_bad_one(session) -> None:
    from ward_desk.config import load_settings
    from ward_desk.errors import InvalidInput
    from ward_desk.services.setup import save_issuer_names

    data_dir = session.store.data_dir
    assert save_issuer_names(data_dir, province_name="  tỉnh Lâm Đồng ", centre_name=None) == {
        "province_name": "tỉnh Lâm Đồng"}
    settings = load_settings(data_dir)
    assert (settings.province_name, settings.centre_name) == ("tỉnh Lâm Đồng", "")
    with pytest.raises(InvalidInput):
        save_issuer_names(data_dir, centre_name="Trung tâm\x1b[31m")
    assert load_settings(data_dir).centre_name == ""  # nothing written
    assert slip_data_from(session, _intake(session), "receipt").province_name == "tỉnh Lâm Đồng"


def test_control_sheet_names_an_event_kind_it_does_not_know_as_a_note(session) -> None:
    from ward_desk.slips.data import history_rows
    from ward_desk.store.models import Event

    d = _intake(session)
    Event.update(kind="something_new").where(Event.dossier == d.id).execute()
    assert history_rows(session, d)[0].step == "Ghi chú"
