"""Form 07, the tracking book (Sổ theo dõi hồ sơ): a period's dossiers, numbered through the
year, with their result; as XLSX (read back with openpyxl) and PDF (read back with pypdf)."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from slip_testkit import squash
from ward_desk.reports.book import XLSX_HEADER_ROW, book_pdf, book_xlsx

from ward_desk.errors import InvalidInput
from ward_desk.services import dossiers
from ward_desk.services.tracking_book import COLUMNS, tracking_book


def _intake(session, name: str, at: datetime, code: str = "HT.04") -> str:
    return dossiers.intake(session, dossiers.IntakeRequest(
        procedure_code=code, applicant_name=name, id_number="068190012345", phone="0912345678",
        address="Số 12 Huỳnh Thúc Kháng", received_at=at)).code


@pytest.fixture
def book_store(session, clock):
    """Five dossiers of March 2026 (HT.04, 3 working days) and one of February, each ending
    differently: early, on time, late, overdue and still open, withdrawn."""
    _intake(session, "Trước Tháng Hai", datetime(2026, 2, 10, 2, 0))
    early = _intake(session, "Nguyễn Văn Sớm", datetime(2026, 3, 2, 2, 0))  # Mon, due Thu 05/03
    on_time = _intake(session, "Trần Thị Đúng", datetime(2026, 3, 2, 3, 0))
    late = _intake(session, "Lê Văn Trễ", datetime(2026, 3, 3, 2, 0))  # Tue, due Fri 06/03
    overdue = _intake(session, "Phạm Thị Quá", datetime(2026, 3, 3, 3, 0))
    stopped = _intake(session, "Võ Văn Dừng", datetime(2026, 3, 4, 2, 0))
    clock.now = datetime(2026, 3, 3, 4, 0)
    dossiers.move(session, early, "mark_result_ready")
    clock.now = datetime(2026, 3, 5, 8, 0)  # Thu 15:00, the due day
    dossiers.move(session, on_time, "mark_result_ready")
    dossiers.move(session, on_time, "return_result")
    dossiers.move(session, stopped, "withdraw", reason="Công dân xin rút hồ sơ")
    clock.now = datetime(2026, 3, 9, 3, 0)  # Mon 09/03, past Fri's due date
    dossiers.move(session, late, "mark_result_ready")
    clock.now = datetime(2026, 3, 10, 3, 0)
    return {"early": early, "on_time": on_time, "late": late, "overdue": overdue, "stopped": stopped}


def test_the_book_numbers_through_the_year_and_says_how_each_ended(session, book_store) -> None:
    book = tracking_book(session, date(2026, 3, 1), date(2026, 3, 31))
    col = {name: i for i, name in enumerate(COLUMNS)}
    assert [r[col["STT"]] for r in book.rows] == ["02", "03", "04", "05", "06"]  # February's is 01
    by_code = {r[col["Mã hồ sơ"]]: r for r in book.rows}
    assert {k: by_code[v][col["Kết quả giải quyết"]] for k, v in book_store.items()} == {
        "early": "Trước hạn", "on_time": "Đúng hạn", "late": "Trễ hạn", "overdue": "Quá hạn", "stopped": ""}
    assert book.counts() == {"Trước hạn": 1, "Đúng hạn": 1, "Trễ hạn": 1, "Quá hạn": 1}
    on_time = by_code[book_store["on_time"]]
    assert on_time[col["Tên cá nhân, tổ chức"]] == "Trần Thị Đúng"
    assert on_time[col["Ngày giờ tiếp nhận"]] == "02/03/2026 10:00"
    assert on_time[col["Ngày hẹn trả kết quả"]] == "05/03/2026 17:00"
    assert on_time[col["Ngày trả kết quả"]] == "05/03/2026 15:00"
    assert on_time[col["Tình trạng"]] == "Đã trả kết quả"
    assert by_code[book_store["stopped"]][col["Ghi chú"]] == "Công dân xin rút hồ sơ"
    assert book.centre_name == "Trung tâm Phục vụ hành chính công phường Mũi Né"
    # A period of one day: its own rows, numbered where the year had got to.
    day = tracking_book(session, date(2026, 3, 3), date(2026, 3, 3))
    assert [r[col["STT"]] for r in day.rows] == ["04", "05"]


def test_xlsx_and_pdf_carry_the_form_and_every_row(session, book_store) -> None:
    from openpyxl import load_workbook
    from pypdf import PdfReader

    book = tracking_book(session, date(2026, 3, 1), date(2026, 3, 31))
    ws = load_workbook(io.BytesIO(book_xlsx(book))).active
    cells = [str(c.value) for row in ws.iter_rows(max_row=XLSX_HEADER_ROW - 1) for c in row if c.value]
    for expected in ("UBND PHƯỜNG MŨI NÉ", "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG PHƯỜNG MŨI NÉ",
                     "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "Mẫu số 07 — Thông tư số 03/2025/TT-VPCP", "SỔ THEO DÕI HỒ SƠ",
                     "Từ ngày 01/03/2026 đến ngày 31/03/2026"):
        assert expected in cells, expected
    header = [c.value for c in ws[XLSX_HEADER_ROW]]
    assert tuple(header) == COLUMNS
    body = [tuple(c.value or "" for c in row) for row in ws.iter_rows(min_row=XLSX_HEADER_ROW + 1)]
    assert body == [tuple(r) for r in book.rows]

    reader = PdfReader(io.BytesIO(book_pdf(book)))
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # A4 landscape
    text = squash(" ".join(p.extract_text() for p in reader.pages))
    for expected in ("SỔ THEO DÕI HỒ SƠ", "Mẫu số 07", "Thông tư số 03/2025/TT-VPCP", "UBND PHƯỜNG MŨI NÉ",
                     "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Nguyễn Văn Sớm", "Võ Văn Dừng", "Trước hạn", "Trễ hạn",
                     "Quá hạn", "Ký nhận", "NGƯỜI LẬP SỔ", book_store["late"]):
        assert expected in text, expected


def test_an_empty_period_still_prints_its_book(session) -> None:
    book = tracking_book(session, date(2026, 1, 1), date(2026, 1, 31))
    assert book.rows == ()
    from pypdf import PdfReader

    text = squash(PdfReader(io.BytesIO(book_pdf(book))).pages[0].extract_text())
    assert "không có hồ sơ nào được tiếp nhận trong kỳ" in text


@pytest.mark.parametrize(("start", "end", "message"), [
    (date(2026, 3, 31), date(2026, 3, 1), "slips.book_bad_period"),
    (date(2025, 1, 1), date(2026, 3, 1), "slips.book_period_too_long"),
])
def test_a_period_that_is_not_one_is_refused(session, start, end, message) -> None:
    with pytest.raises(InvalidInput) as info:
        tracking_book(session, start, end)
    assert info.value.message.id == message


def test_the_cli_writes_the_book_and_records_supplement_items(session, book_store, tmp_path) -> None:
    """``ward-desk report book --from --to --xlsx --pdf`` and ``dossier move --item``, as
    an office runs them (another process on the same store)."""
    import json
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent.parent / "store"))
    from wd_testkit import ok, run_cli

    from ward_desk.store.models import Event

    data_dir = session.store.data_dir
    xlsx, pdf = tmp_path / "so-theo-doi.xlsx", tmp_path / "so-theo-doi.pdf"
    out = ok(run_cli("report", "book", "--from", "01/03/2026", "--to", "31/03/2026", "--xlsx", xlsx, "--pdf", pdf,
                     "--data-dir", data_dir)).stdout
    assert out.count("(5 hồ sơ)") == 2 and str(xlsx) in out and str(pdf) in out
    assert xlsx.read_bytes()[:2] == b"PK" and pdf.read_bytes()[:5] == b"%PDF-"
    refused = run_cli("report", "book", "--from", "31/03/2026", "--to", "01/03/2026", "--xlsx", xlsx,
                      "--data-dir", data_dir)
    assert refused.returncode == 2 and "31/03/2026" in refused.stderr
    assert run_cli("report", "book", "--from", "01/03/2026", "--to", "31/03/2026", "--data-dir",
                   data_dir).returncode == 2  # no file named: said, nothing written

    code = book_store["overdue"]
    ok(run_cli("dossier", "move", code, "--to", "supplement_requested", "--reason", "Hồ sơ còn thiếu giấy tờ",
               "--item", "Văn bản cử người giám hộ", "--item", "Giấy khai sinh (bản sao)", "--data-dir", data_dir))
    event = Event.select().where(Event.action == "request_supplement").order_by(Event.id.desc()).first()
    assert json.loads(event.data)["items"] == ["Văn bản cử người giám hộ", "Giấy khai sinh (bản sao)"]


def test_the_cli_writes_one_form_of_a_dossier(session, book_store) -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent.parent / "store"))
    from slip_testkit import pdf_text
    from wd_testkit import ok, run_cli

    data_dir = session.store.data_dir
    code = book_store["late"]
    out = ok(run_cli("dossier", "slip", code, "--kind", "control", "--data-dir", data_dir)).stdout
    path = data_dir / "slips" / f"{code}-control.pdf"
    assert str(path) in out
    text = pdf_text(path)
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text and "Trễ hạn" in text and "Lê Văn Trễ" in text
