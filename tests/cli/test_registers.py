"""Registers as wards keep them (issue 10 item 5).

The tracking book (Sổ theo dõi hồ sơ, form 07 of Circular 03/2025/TT-VPCP) kept in
Excel: titles above a two-row header, a row of column numbers, a serial-number column,
procedures by name, dates without a time, state words as clerks write them. Such a book
imports, and its period report shows the book's own early / on-time / late counts.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from wd_testkit import make_store, run_cli, snapshot

# Form 07's columns (the 2018 book's, kept by Circular 03/2025): a group heading over
# "Ngày, tháng, năm" / "Ký nhận" where a step is dated and signed.
GROUPS = ["STT", "Mã hồ sơ", "Tên thủ tục hành chính", "Số lượng hồ sơ (bộ)", "Tên cá nhân, tổ chức",
          "Địa chỉ, số điện thoại", "Cơ quan chủ trì giải quyết", "Nhận hồ sơ", "Hẹn trả kết quả",
          "Chuyển hồ sơ đến cơ quan giải quyết", None, "Nhận kết quả từ cơ quan giải quyết", None,
          "Trả kết quả cho cá nhân, tổ chức", None, "Ghi chú"]
SUBS = [None] * 7 + ["Ngày, tháng, năm", "Ngày, tháng, năm", "Ngày, tháng, năm", "Ký nhận", "Ngày, tháng, năm",
                     "Ký nhận", "Ngày, tháng, năm", "Ký nhận", None]


def d(day: int, month: int = 2) -> date:
    return date(2026, month, day)


# (procedure as written, name, received, due, forwarded, result, returned, note); February 2026.
# Chứng thực and hộ tịch same-day procedures: received, due and returned on one day.
BOOK = [
    ("chứng thực bản sao từ bản chính", "Nguyễn Văn An", d(2), d(2), None, d(2), d(2), ""),  # on time, same day
    ("CHUNG THUC BAN SAO TU BAN CHINH", "Trần Thị Bình", d(3), d(3), None, d(3), d(4), ""),  # on time (ready that day)
    ("Đăng ký khai sinh", "Lê Văn Cường", d(4), d(4), None, d(5), d(5), "Đã trả kết quả"),  # late by a day
    ("Đăng ký giám hộ", "Phạm Thị Dung", d(5), d(10), d(5), d(9), d(11), ""),  # early
    ("dang ky giam ho", "Hoàng Văn Em", d(6), d(11), d(6), d(11), d(12), ""),  # on time
    ("Đăng ký giám hộ", "Vũ Thị Gấm", d(9), d(12), d(9), d(13), None, ""),  # late, not yet returned
    ("Chứng thực bản sao từ bản chính", "Đỗ Văn Hùng", d(10), d(10), None, None, None, "Rút hồ sơ"),
    ("Chứng thực bản sao từ bản chính", "Bùi Thị Khánh", d(11), d(11), None, None, None, "Trả lại/Từ chối"),
    ("Đăng ký giám hộ", "Ngô Văn Lâm", d(24), d(27), d(24), None, None, "Đang xử lý"),
    ("Đăng ký giám hộ", "Đinh Thị Mai", d(26), d(3, 3), None, None, None, ""),
]
EXPECTED = {"early": 1, "on_time": 3, "late": 2, "rejected": 1, "withdrawn": 1, "open": 2}


def write_book(path: Path, rows=BOOK, *, next_month=()) -> Path:
    """The book as a clerk keeps it in Excel: dates typed as dates (Excel date cells);
    ``next_month``: rows under a second title and header, as a book kept month by month has."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG PHƯỜNG MŨI NÉ"])
    ws.append(["SỔ THEO DÕI HỒ SƠ"])
    ws.append(["Từ ngày 01/02/2026 đến ngày 28/02/2026"])
    ws.append([])
    ws.append(GROUPS)
    ws.append(SUBS)
    ws.append([f"({i})" for i in range(1, len(GROUPS) + 1)])
    for c in ("J", "L", "N"):  # the dated-and-signed groups span two columns
        ws.merge_cells(f"{c}5:{chr(ord(c) + 1)}5")
    for c in "ABCDEFGP":
        ws.merge_cells(f"{c}5:{c}6")
    for i, (proc, name, received, due, forwarded, result, returned, note) in enumerate(rows, start=1):
        ws.append([i, "", proc, 1, name, f"Khu phố {i}, phường Mũi Né; 09{i % 100:02d}345678", "UBND phường",
                   datetime.combine(received, datetime.min.time()) if isinstance(received, date) else received, due, forwarded, "", result, "", returned,
                   "", note])
    if next_month:
        ws.append([])
        ws.append(["SỔ THEO DÕI HỒ SƠ THÁNG 3/2026"])
        ws.append(GROUPS)
        ws.append(SUBS)
        ws.append([f"({i})" for i in range(1, len(GROUPS) + 1)])
        for i, (proc, name, received, due, forwarded, result, returned, note) in enumerate(next_month, start=1):
            ws.append([i, "", proc, 1, name, "", "", received, due, forwarded, "", result, "", returned, "", note])
    ws.append([])
    ws.append(["", "", "Người lập sổ"])  # the signature line under the book
    wb.save(path)
    return path


def test_a_form_07_book_imports_with_its_own_timing(session, tmp_path: Path) -> None:
    from ward_desk.domain.report_math import Period
    from ward_desk.services.importer import import_register
    from ward_desk.services.reporting import period_report
    from ward_desk.store.models import Dossier

    assert import_register(session, write_book(tmp_path / "so-theo-doi.xlsx")) == len(BOOK)
    total = period_report(session, Period.month(2026, 2)).total
    got = {"early": total.resolved_early, "on_time": total.resolved_on_time, "late": total.resolved_late,
           "rejected": total.rejected, "withdrawn": total.withdrawn,
           "open": total.open_not_due + total.open_overdue}
    assert got == EXPECTED
    an = Dossier.get(Dossier.applicant_name == "Nguyễn Văn An")
    assert an.procedure.code == "CT.01" and an.applicant_phone == "0901345678"
    assert an.applicant_address == "Khu phố 1, phường Mũi Né"
    assert Dossier.get(Dossier.applicant_name == "Ngô Văn Lâm").state == "in_progress"
    assert Dossier.get(Dossier.applicant_name == "Vũ Thị Gấm").state == "result_ready"
    assert Dossier.get(Dossier.applicant_name == "Trần Thị Bình").state == "returned"


def test_dates_without_a_time_in_csv(session, tmp_path: Path) -> None:
    """A day means that working day: received at opening, due and done at closing."""
    from ward_desk.domain.dates import format_datetime
    from ward_desk.services.importer import import_register
    from ward_desk.store.models import Dossier

    path = tmp_path / "so.csv"
    path.write_text("STT;Tên thủ tục;Người nộp;Ngày tiếp nhận;Ngày hẹn trả;Ngày trả kết quả;Tình trạng\n"
                    "1;Chung thuc ban sao tu ban chinh;Lê Thị Nga;02/03/2026;02/03/2026;02/03/2026;Đã trả kết quả\n"
                    "2;Đăng ký giám hộ;Lê Văn Phúc;02/03/2026;05/03/2026;;Đã tiếp nhận\n", encoding="utf-8-sig")
    assert import_register(session, path) == 2
    nga = Dossier.get(Dossier.applicant_name == "Lê Thị Nga")
    assert format_datetime(nga.due_at) == "02/03/2026 17:00"
    assert format_datetime(nga.returned_at) == "02/03/2026 17:00"
    assert format_datetime(nga.received_at).startswith("02/03/2026 ")
    assert Dossier.get(Dossier.applicant_name == "Lê Văn Phúc").state == "received"


def test_procedure_names_unknown_misspelt_and_ambiguous(session, tmp_path: Path) -> None:
    from ward_desk.services.catalogue import ImportFailed, ProcedureRow, upsert_procedures
    from ward_desk.services.importer import import_register
    from ward_desk.store.models import Dossier

    with session.store.db.atomic():  # the same name in two fields: a name alone cannot say which
        upsert_procedures([ProcedureRow("XX.01", "Cấp bản sao trích lục", "Hộ tịch", 1),
                           ProcedureRow("XX.02", "Cấp bản sao trích lục", "Tư pháp", 1)], datetime(2026, 1, 1))
    rows = [("Chứng thực bản sao từ bản chín", "Lê Văn Một", d(2), d(2), None, None, None, ""),
            ("Cấp giấy phép bay", "Lê Văn Hai", d(2), d(2), None, None, None, ""),
            ("cap ban sao trich luc", "Lê Văn Ba", d(2), d(2), None, None, None, "")]
    with pytest.raises(ImportFailed) as caught:
        import_register(session, write_book(tmp_path / "so.xlsx", rows))
    by_row = {e.row: e for e in caught.value.errors}
    assert set(by_row) == {8, 9, 10} and all(e.column == "procedure" for e in by_row.values())
    assert by_row[8].message_id == "import.procedure_misspelt"
    assert "Chứng thực bản sao từ bản chính" in by_row[8].value and "CT.01" in by_row[8].value
    assert by_row[9].message_id == "import.unknown_procedure_name" and "CT.01" not in by_row[9].value
    assert by_row[10].message_id == "import.ambiguous_procedure"
    assert "XX.01" in by_row[10].value and "XX.02" in by_row[10].value
    assert Dossier.select().count() == 0


@pytest.fixture
def ward(tmp_path: Path) -> Path:
    data = tmp_path / "ward"
    make_store(data)
    return data


def test_thousands_of_bad_rows_get_a_summary_and_an_error_file(ward: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    good = ("Chứng thực bản sao từ bản chính", "Lê Văn Đúng", d(2), d(2), None, d(2), d(2), "")
    bad_day = ("Chứng thực bản sao từ bản chính", "Lê Văn Sai", "31/02/2026", d(2), None, None, None, "")
    unknown = ("Thủ tục không có", "Lê Thị Lạ", d(2), d(2), None, None, None, "")
    rows = [good] + [bad_day] * 1000 + [unknown] * 1000 + [good]
    path = write_book(tmp_path / "so-loi.xlsx", rows)
    before = snapshot(ward)
    proc = run_cli("import", "dossiers", path, "--data-dir", ward)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert snapshot(ward) == before
    err = proc.stderr
    assert len(err.splitlines()) < 30, err
    assert "2000" in err
    assert re.search(r"1000\b.*received", err) and re.search(r"1000\b.*procedure", err), err
    errors_file = tmp_path / "so-loi.errors.xlsx"
    assert str(errors_file) in err and errors_file.exists()
    ws = load_workbook(errors_file).active
    table = [[c.value for c in row] for row in ws.iter_rows()]
    header = next(r for r in table if r and "Tên thủ tục hành chính" in r)
    data = table[table.index(header) + 1:]
    data = [r for r in data if r and isinstance(r[4], str) and r[4].startswith("Lê ")]
    assert len(data) == len(rows)
    messages = [r[len(header) - 1] for r in data]
    assert not messages[0] and not messages[-1]  # the good rows are there, with no message
    assert all("31/02/2026" in m for m in messages[1:1001]) and all("không có" in m for m in messages[1001:2001])


def test_the_error_file_imports_once_fixed(ward: Path, tmp_path: Path) -> None:
    """The error file is the clerk's worksheet: fix the cells, import it as it is."""
    from openpyxl import load_workbook

    rows = [("Chứng thực bản sao từ bản chính", "Lê Văn Sửa", "31/02/2026", d(2), None, None, None, "")] * 25
    path = write_book(tmp_path / "so.xlsx", rows)
    assert run_cli("import", "dossiers", path, "--data-dir", ward).returncode == 2
    fixed = tmp_path / "so.errors.xlsx"
    wb = load_workbook(fixed)
    for row in wb.active.iter_rows():
        for c in row:
            if c.value == "31/02/2026":
                c.value = "02/02/2026"
    wb.save(fixed)
    proc = run_cli("import", "dossiers", fixed, "--data-dir", ward)
    assert proc.returncode == 0, proc.stderr
    assert "25" in proc.stdout


def book_from_store(path: Path) -> Path:
    """The store's dossiers written as a form 07 book (dates as days, the state of a
    dossier closed without a result in Ghi chú), as the forms' export lays it out."""
    from ward_desk.domain.timing import local_day
    from ward_desk.store.models import Dossier, Event

    rows = []
    for x in Dossier.select().order_by(Dossier.received_at):
        forwarded = Event.select().where((Event.dossier == x) & (Event.action == "forward")).first()
        note = {"rejected": "Trả lại/Từ chối", "withdrawn": "Rút hồ sơ"}.get(x.state, "")
        returned = x.returned_at or x.closed_at

        def day(at):
            return local_day(at) if at else None

        rows.append((x.procedure.name, x.applicant_name, day(x.received_at), day(x.statutory_due_at),
                     day(forwarded.at) if forwarded else None, day(x.completed_at), day(returned), note))
    return write_book(path, rows)


def _work_a_month(session, clock) -> None:
    """February 2026 at the desk: early, on time, late, same-day, across Tết, refused,
    withdrawn, open, waiting for a supplement."""
    from tests.reports.helpers import intake, local, move, resolve

    def worked(at, procedure, done=None, returned=False):
        d = intake(session, clock, at, procedure)
        if done is not None:
            resolve(session, clock, d.code, done, returned=returned)
        return d

    worked(local(2026, 2, 2, 8), "CT.01", local(2026, 2, 2, 10), returned=True)  # same day, on time
    worked(local(2026, 2, 2, 16), "CT.01", local(2026, 2, 3, 9))  # after 15:00: due the next day
    worked(local(2026, 2, 3, 9), "HT.04", local(2026, 2, 4, 11), returned=True)  # early
    worked(local(2026, 2, 4, 9), "HT.04", local(2026, 2, 9, 10), returned=True)  # due 09/02: on time
    worked(local(2026, 2, 5, 14), "HT.04", local(2026, 2, 23, 9))  # across Tết, late
    worked(local(2026, 2, 10, 9), "HT.01", local(2026, 2, 11, 9), returned=True)  # late by a day
    open_one = worked(local(2026, 2, 24, 9), "HT.04")
    move(session, clock, open_one.code, "forward", local(2026, 2, 24, 10))
    worked(local(2026, 2, 26, 9), "HT.04")
    refused = worked(local(2026, 2, 11, 9), "CT.01")
    move(session, clock, refused.code, "reject", local(2026, 2, 11, 10), reason="Giấy tờ không hợp lệ")
    stopped = worked(local(2026, 2, 12, 9), "HT.04")
    move(session, clock, stopped.code, "withdraw", local(2026, 2, 12, 10), reason="Công dân xin rút")
    clock.now = local(2026, 3, 3, 9)


def _report_after_import(tmp_path: Path, clock, book: Path, count: int):
    """The February report of a new store into which ``book`` was imported."""
    from tests.reports.helpers import local
    from ward_desk.domain.report_math import Period
    from ward_desk.services.desk import open_session
    from ward_desk.services.importer import import_register
    from ward_desk.services.reporting import period_report
    from ward_desk.services.setup import create_store

    store, _ = create_store(tmp_path / "ward2", office_code="22918", office_name="Phường Mũi Né",
                            admin_username="admin", admin_password="mat-khau-123", now=local(2026, 1, 1))
    store.close()
    other = open_session(tmp_path / "ward2", "admin", "mat-khau-123", clock=clock)
    try:
        assert import_register(other, book) == count
        return period_report(other, Period.month(2026, 2)).total
    finally:
        other.store.close()


def test_a_register_exported_as_form_07_imports_back_to_the_same_figures(session, clock, tmp_path: Path) -> None:
    """Round trip: dossiers worked at the desk, written as a book of days (as a clerk
    keeps it), imported into a new store: the month's report is the same."""
    from ward_desk.domain.report_math import Period
    from ward_desk.services.reporting import period_report

    _work_a_month(session, clock)
    expected = period_report(session, Period.month(2026, 2)).total
    assert (expected.resolved_early, expected.resolved_on_time, expected.resolved_late) == (1, 3, 2)
    book = book_from_store(tmp_path / "so-07.xlsx")
    assert _report_after_import(tmp_path, clock, book, 10) == expected


def test_the_form_07_export_imports_back_to_the_same_figures(session, clock, tmp_path: Path) -> None:
    """Round trip through the software's own form 07 export (report book --xlsx)."""
    from ward_desk.reports.book import book_xlsx

    from tests.reports.helpers import intake, local, move
    from ward_desk.domain.report_math import Period
    from ward_desk.services.reporting import period_report
    from ward_desk.services.tracking_book import tracking_book

    _work_a_month(session, clock)
    waiting = intake(session, clock, local(2026, 2, 25, 9), "HT.04")
    move(session, clock, waiting.code, "request_supplement", local(2026, 2, 25, 10), reason="Thiếu tờ khai")
    clock.now = local(2026, 3, 3, 9)
    expected = period_report(session, Period.month(2026, 2)).total
    path = tmp_path / "so-07.xlsx"
    path.write_bytes(book_xlsx(tracking_book(session, date(2026, 2, 1), date(2026, 2, 28))))
    assert _report_after_import(tmp_path, clock, path, 11) == expected


def test_an_export_of_the_provincial_system(session, tmp_path: Path) -> None:
    """The provincial system writes seconds, or the time before the day; Excel drops the
    leading zeros of a phone or an ID number kept as a number."""
    from ward_desk.domain.dates import format_datetime
    from ward_desk.services.importer import import_register
    from ward_desk.store.models import Dossier

    path = tmp_path / "xuat-tu-he-thong.csv"
    path.write_text("STT,Mã hồ sơ,Tên thủ tục,Chủ hồ sơ,Số CCCD,Số điện thoại,Kênh nộp,Ngày tiếp nhận,"
                    "Ngày hẹn trả,Trạng thái\n"
                    "1,000.00.25.H12-260302-0001,Đăng ký giám hộ,Trần Văn Tỉnh,1203047159,912345678,Trực tuyến,"
                    "02/03/2026 08:30:15,08:00 05/03/2026,Đang xử lý\n", encoding="utf-8")
    assert import_register(session, path) == 1
    x = Dossier.get(Dossier.code == "000.00.25.H12-260302-0001")
    assert (x.applicant_id_number, x.applicant_phone, x.channel) == ("001203047159", "0912345678", "online")
    assert format_datetime(x.received_at) == "02/03/2026 08:30"
    assert format_datetime(x.due_at) == "05/03/2026 08:00"
    assert x.state == "in_progress"


def test_a_retired_procedure_is_named_on_its_row(session, tmp_path: Path) -> None:
    from ward_desk.services.catalogue import ImportFailed
    from ward_desk.services.importer import import_register
    from ward_desk.store.models import Dossier, Procedure

    with session.store.db.atomic():
        Procedure.update(active=False).where(Procedure.code == "HT.04").execute()
    rows = [("Chứng thực bản sao từ bản chính", "Lê Văn Còn", d(2), d(2), None, None, None, ""),
            ("Đăng ký giám hộ", "Lê Văn Cũ", d(2), d(5), None, None, None, "")]
    with pytest.raises(ImportFailed) as caught:
        import_register(session, write_book(tmp_path / "so.xlsx", rows))
    assert [(e.row, e.column) for e in caught.value.errors] == [(9, "procedure")]
    assert "HT.04" in caught.value.errors[0].value
    assert Dossier.select().count() == 0


def test_a_procedure_list_with_many_bad_rows_gets_the_same_report(ward: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "danh-muc.csv"
    lines = ["Mã thủ tục,Tên thủ tục,Lĩnh vực,Thời hạn"] + [f"TN.{i:02d},Thủ tục {i},Tài nguyên,ba" for i in range(40)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = snapshot(ward)
    proc = run_cli("procedures", "import", path, "--data-dir", ward)
    assert proc.returncode == 2 and snapshot(ward) == before
    assert len(proc.stderr.splitlines()) < 10 and re.search(r"40 lỗi — cột days", proc.stderr), proc.stderr
    ws = load_workbook(tmp_path / "danh-muc.errors.xlsx").active
    table = [[c.value for c in row] for row in ws.iter_rows()]
    assert table[0][-1] == "Lỗi nhập" and len(table) == 41
    assert all("'ba'" in r[-1] for r in table[1:])


def test_an_error_file_that_cannot_be_written_is_said_so(ward: Path, tmp_path: Path) -> None:
    rows = [("Chứng thực bản sao từ bản chính", "Lê Văn Sai", "31/02/2026", d(2), None, None, None, "")] * 3
    path = write_book(tmp_path / "so.xlsx", rows)
    (tmp_path / "so.errors.xlsx").mkdir()  # where the error file would go: taken
    before = snapshot(ward)
    proc = run_cli("import", "dossiers", path, "--data-dir", ward)
    assert proc.returncode == 2 and snapshot(ward) == before
    assert re.search(r"Dòng 8, cột received", proc.stderr), proc.stderr
    assert f"Không ghi được tệp lỗi {tmp_path / 'so.errors.xlsx'}" in proc.stderr, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["so.errors.xlsx", "so.xlsx", "ward"]  # no .part left


def test_a_book_kept_month_by_month_repeats_its_header(session, tmp_path: Path) -> None:
    from ward_desk.services.importer import import_register
    from ward_desk.store.models import Dossier

    march = [("Đăng ký giám hộ", "Lê Thị Tháng Ba", d(2, 3), d(5, 3), None, None, None, "")]
    assert import_register(session, write_book(tmp_path / "so.xlsx", BOOK[:2], next_month=march)) == 3
    assert Dossier.get(Dossier.applicant_name == "Lê Thị Tháng Ba").procedure.code == "HT.04"


def test_a_day_that_is_today(session, clock, tmp_path: Path) -> None:
    """Received and returned today, written as days: done by now (not at closing, which is
    still to come); due today: at closing, as the receipt said."""
    from ward_desk.domain.dates import format_datetime
    from ward_desk.services.importer import import_register
    from ward_desk.store.models import Dossier

    path = tmp_path / "so.csv"  # the clock: Tuesday 03/03/2026 09:00
    path.write_text("Tên thủ tục,Người nộp,Ngày tiếp nhận,Ngày hẹn trả,Ngày trả kết quả\n"
                    "Chứng thực bản sao từ bản chính,Lê Thị Hôm Nay,03/03/2026,03/03/2026,03/03/2026\n",
                    encoding="utf-8")
    assert import_register(session, path) == 1
    x = Dossier.get(Dossier.applicant_name == "Lê Thị Hôm Nay")
    assert format_datetime(x.due_at) == "03/03/2026 17:00"
    assert format_datetime(x.returned_at) == "03/03/2026 09:00" and x.returned_at <= clock.now
    assert format_datetime(x.received_at) == "03/03/2026 07:30"


def _book_of_sheets(path: Path, months: dict[str, list]) -> Path:
    """A workbook of one form 07 sheet a month and a summary sheet with no register in it."""
    from openpyxl import load_workbook

    first = None
    for title, rows in months.items():
        part = write_book(path.with_name(f"{title}.xlsx"), rows)
        if first is None:
            first = load_workbook(part)
            first.active.title = title
            continue
        source = load_workbook(part).active
        ws = first.create_sheet(title)
        for row in source.iter_rows(values_only=True):
            ws.append(list(row))
    summary = first.create_sheet("Tổng hợp", 0)  # Excel opens on it: the active sheet is no register
    summary.append(["Tháng", "Số hồ sơ"])
    summary.append(["T2", 2])
    first.active = 0
    first.save(path)
    return path


def test_a_book_of_a_sheet_a_month(session, tmp_path: Path) -> None:
    from ward_desk.services.importer import import_register
    from ward_desk.store.models import Dossier

    march = [("Đăng ký giám hộ", "Lê Thị Tháng Ba", d(2, 3), d(5, 3), None, None, None, "")]
    path = _book_of_sheets(tmp_path / "so.xlsx", {"T2": BOOK[:2], "T3": march})
    assert import_register(session, path) == 3
    assert Dossier.get(Dossier.applicant_name == "Lê Thị Tháng Ba").state == "received"


def test_errors_in_a_book_of_sheets_name_the_sheet(ward: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    bad = [("Chứng thực bản sao từ bản chính", "Lê Văn Sai", "31/02/2026", d(2), None, None, None, "")]
    path = _book_of_sheets(tmp_path / "so.xlsx", {"T2": BOOK[:2], "T3": bad})
    before = snapshot(ward)
    proc = run_cli("import", "dossiers", path, "--data-dir", ward)
    assert proc.returncode == 2 and snapshot(ward) == before
    assert re.search(r"Dòng 8 «T3», cột received", proc.stderr), proc.stderr
    book = load_workbook(tmp_path / "so.errors.xlsx")
    assert book.sheetnames == ["T2", "T3"]
    marked = [[c.value for c in r] for r in book["T3"].iter_rows() if r[-1].value and "31/02/2026" in r[-1].value]
    assert len(marked) == 1 and marked[0][4] == "Lê Văn Sai"


def test_a_provinces_procedure_list_with_its_title_above_the_header(ward: Path, tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["DANH MỤC THỦ TỤC HÀNH CHÍNH THUỘC THẨM QUYỀN GIẢI QUYẾT CỦA UBND CẤP XÃ"])
    ws.append(["(Ban hành kèm theo Quyết định số 123/QĐ-UBND)"])
    ws.append(["STT", "Mã TTHC", "Tên thủ tục hành chính", "Lĩnh vực", "Thời hạn giải quyết", "Phí, lệ phí"])
    ws.append(["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"])
    ws.append([1, "TN.93", "Xác nhận thử nghiệm có tiêu đề", "Tài nguyên môi trường", 5, "Miễn phí"])
    wb.save(tmp_path / "danh-muc.xlsx")
    proc = run_cli("procedures", "import", tmp_path / "danh-muc.xlsx", "--data-dir", ward)
    assert proc.returncode == 0, proc.stderr
    listed = run_cli("procedures", "list", "--data-dir", ward).stdout
    assert "TN.93\tTài nguyên môi trường\t5\tXác nhận thử nghiệm có tiêu đề" in listed
    ws.append([2, "TN.94", "Thử nghiệm sai thời hạn", "Tài nguyên môi trường", "năm", ""])
    wb.save(tmp_path / "danh-muc.xlsx")
    assert run_cli("procedures", "import", tmp_path / "danh-muc.xlsx", "--data-dir", ward).returncode == 2
    from openpyxl import load_workbook

    table = [[c.value for c in r] for r in load_workbook(tmp_path / "danh-muc.errors.xlsx").active.iter_rows()]
    assert table[2][-1] == "Lỗi nhập" and table[0][-1] is None  # beside the header, not the title
    assert "'năm'" in table[5][-1] and table[4][-1] is None
