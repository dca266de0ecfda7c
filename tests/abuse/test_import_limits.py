"""Imports are bounded (issue 13 item 5).

File size, rows, columns and the length of a cell each have a limit; a file past one
is refused whole, with the row and the column where the limit was crossed (the size
with the file's size), exit 2, and nothing in the store changes. An XLSX is read in
openpyxl's read-only mode and reading stops at the limit: a 300,000-row sheet is
refused at the first row past it, not after reading it all.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from abuse_kit import DAMAGED_VI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wd_testkit import make_store, run_cli, snapshot

from ward_desk.services.tables import DEFAULT_LIMITS

HEADER = ["STT", "Mã thủ tục", "Họ và tên", "Ngày tiếp nhận", "Ghi chú"]


def _row(i: int) -> list[str]:
    return [str(i), "CT.01", "Nguyễn Văn " + "ABCDEGHKLMNPQRSTUVXY"[i % 20], "02/03/2026 08:30", ""]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("limits") / "ward"
    make_store(data)
    return data


@pytest.fixture
def ward(template: Path, tmp_path: Path) -> Path:
    data = tmp_path / "ward"
    shutil.copytree(template, data)
    return data


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def _raw_xlsx(path: Path, rows: int, *, extra_cell: tuple[int, str] | None = None) -> Path:
    """An XLSX of ``rows`` data rows written as raw sheet XML (openpyxl takes seconds to
    write 300,000 rows; the reader is the same either way)."""
    from openpyxl import Workbook

    def cell(ref: str, text: str) -> str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'

    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f'<dimension ref="A1:E{rows + 1}"/><sheetData>']
    letters = "ABCDE"
    parts.append('<row r="1">' + "".join(cell(f"{letters[i]}1", h) for i, h in enumerate(HEADER)) + "</row>")
    for r in range(2, rows + 2):
        cells = "".join(cell(f"{letters[i]}{r}", v) for i, v in enumerate(_row(r - 1)) if v)
        if extra_cell and extra_cell[0] == r:
            cells += cell(f"{extra_cell[1]}{r}", "x")
        parts.append(f'<row r="{r}">{cells}</row>')
    parts.append("</sheetData></worksheet>")
    buf = io.BytesIO()
    Workbook().save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for item in zin.infolist():
            data = "".join(parts).encode() if item.filename == "xl/worksheets/sheet1.xml" else zin.read(item)
            z.writestr(item, data)
    return path


def _refused(ward: Path, path: Path, *extra: str, lang: str = "vi"):
    """Run the import; assert exit 2, no traceback, no 'damaged', the store unchanged."""
    before = snapshot(ward)
    proc = run_cli("import", "dossiers", path, *extra, "--data-dir", ward, WARD_DESK_LANG=lang)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr[-2000:])
    assert "Lỗi không lường trước" not in proc.stderr and "unexpected" not in proc.stderr.lower(), proc.stderr
    assert DAMAGED_VI not in proc.stderr
    assert snapshot(ward) == before, "a refused import changed the store"
    assert len(proc.stderr) < 2000, "a refusal is a few lines, not the file echoed back"
    return proc.stderr


def test_a_one_mib_field_is_refused_with_its_row_and_column(ward: Path, tmp_path: Path) -> None:
    rows = [HEADER, _row(1), _row(2)]
    rows[2][4] = "A" * (1 << 20)
    err = _refused(ward, _csv(tmp_path / "so.csv", rows))
    assert re.search(r"Dòng 3, cột E \(Ghi chú\)", err), err
    assert "1048576" in err and str(DEFAULT_LIMITS.max_cell) in err, err


def test_a_long_field_in_xlsx_too(ward: Path, tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(HEADER)
    wb.active.append([*_row(1)[:2], "B" * 20000, *_row(1)[3:]])
    wb.save(tmp_path / "so.xlsx")
    err = _refused(ward, tmp_path / "so.xlsx", lang="en")
    assert re.search(r"Row 2, column C \(Họ và tên\)", err), err
    assert "20000" in err, err


def test_rows_past_the_limit_are_refused_at_the_first_one(ward: Path, tmp_path: Path) -> None:
    limit = DEFAULT_LIMITS.max_rows
    rows = [HEADER] + [_row(i) for i in range(1, limit + 2)]
    err = _refused(ward, _csv(tmp_path / "so.csv", rows))
    assert f"Dòng {limit + 2}" in err and str(limit) in err, err


def test_a_300000_row_xlsx_stops_at_the_limit(ward: Path, tmp_path: Path) -> None:
    path = _raw_xlsx(tmp_path / "so.xlsx", 300_000)
    err = _refused(ward, path, "--max-rows", "2000")
    assert "Dòng 2002" in err and "2000" in err, err
    assert "--max-rows" in err, err


def test_too_many_columns(ward: Path, tmp_path: Path) -> None:
    limit = DEFAULT_LIMITS.max_columns
    header = HEADER + [f"Cột thêm {i}" for i in range(limit)]
    err = _refused(ward, _csv(tmp_path / "rong.csv", [header, _row(1)]))
    assert re.search(r"Dòng 1, cột CW\b", err) and str(limit) in err, err  # column 101 is CW


def test_a_cell_far_to_the_right_of_the_header(ward: Path, tmp_path: Path) -> None:
    path = _raw_xlsx(tmp_path / "so.xlsx", 5, extra_cell=(4, "ZZ"))
    err = _refused(ward, path)
    assert re.search(r"Dòng 4, cột ZZ\b", err), err


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_file_past_the_size_limit_is_refused_before_reading(ward: Path, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"to{suffix}"
    with open(path, "wb") as f:  # sparse: no disk is filled to make it
        f.truncate(DEFAULT_LIMITS.max_bytes + 1)
    err = _refused(ward, path)
    limit = DEFAULT_LIMITS.max_bytes // (1 << 20)
    assert str(path) in err and f"{limit + 1} MB" in err and f"{limit} MB" in err, err  # never "64 MB, over 64 MB"


def test_an_xlsx_that_unpacks_past_the_limit(ward: Path, tmp_path: Path) -> None:
    """A zip whose members claim far more than a register could (a zip bomb) is refused
    from its directory, before any member is inflated."""
    path = _raw_xlsx(tmp_path / "bom.xlsx", 3)
    blob = bytearray(path.read_bytes())
    # Claim 3 GiB uncompressed for the sheet in the central directory (offset 24 of its entry).
    entry = blob.rfind(b"xl/worksheets/sheet1.xml") - 46  # the last mention is the directory's
    assert blob[entry:entry + 4] == b"PK\x01\x02"
    blob[entry + 24:entry + 28] = (3 << 30).to_bytes(4, "little")
    path.write_bytes(bytes(blob))
    err = _refused(ward, path)
    assert str(path) in err and "MB" in err, err


def test_progress_is_reported_while_reading(session, tmp_path: Path) -> None:
    from ward_desk.services.importer import import_register

    path = _csv(tmp_path / "so.csv", [HEADER] + [_row(i) for i in range(1, 41)])
    seen: list[tuple[int, int]] = []
    assert import_register(session, path, progress=lambda done, total: seen.append((done, total))) == 40
    assert seen and seen[-1][0] == seen[-1][1] and seen[-1][1] > 0
    assert all(a <= b for (a, _), (b, _) in itertools.pairwise(seen))


# A form 07 book as CSV: a title, the two-row header, the row of column numbers, one dossier.
BOOK_HEAD = [["SỔ THEO DÕI HỒ SƠ"],
             ["STT", "Tên thủ tục hành chính", "Tên cá nhân, tổ chức", "Địa chỉ, số điện thoại", "Nhận hồ sơ",
              "Hẹn trả kết quả", "Trả kết quả cho cá nhân, tổ chức", "", "Ghi chú"],
             ["", "", "", "", "Ngày, tháng, năm", "Ngày, tháng, năm", "Ngày, tháng, năm", "Ký nhận", ""],
             [f"({i})" for i in range(1, 10)]]
BOOK_ROW = ["1", "Chứng thực bản sao từ bản chính", "Nguyễn Văn Sổ", "Khu phố 2; 0912 345 678", "02/03/2026",
            "02/03/2026", "02/03/2026", "", "Đã trả kết quả"]
BOOK_KEYS = {"procedure", "applicant_name", "address", "address_phone", "phone", "received", "due", "returned",
             "result_ready", "state", "row"}
BOOK_CELL = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "31/02/2026", "02/03/2026 25:00", "2026-03-02", "08:30 02/03/2026", "02/03/2026 08:30:15",
                     "03/03/2030", "(3)", "Trả lại/Từ chối", "RUT HO SO", "đang xử lý", "=1+1", "\x1b[31m", "A" * 11_000,
                     "chứng thực bản sao từ bản chín", "0912345678", "912345678"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(column=st.integers(0, len(BOOK_ROW) - 1), value=BOOK_CELL)
def test_a_form_07_book_column_by_column(session, tmp_path_factory, column: int, value: str) -> None:
    """Any cell in any column of a form 07 book: imported, or refused naming its row and
    a known column (or, for a cell past the limit, the file); never an unexpected error."""
    from ward_desk.errors import InvalidInput
    from ward_desk.services.catalogue import ImportFailed
    from ward_desk.services.importer import import_register
    from ward_desk.store.models import Dossier, Event, Outbox

    row = list(BOOK_ROW)
    row[column] = value
    path = tmp_path_factory.mktemp("book") / "so.csv"
    with open(path, "w", encoding="utf-8", newline="", errors="surrogatepass") as f:
        csv.writer(f).writerows([*BOOK_HEAD, row])
    before = (Dossier.select().count(), Event.select().count(), Outbox.select().count())
    try:
        assert import_register(session, path) == 1
    except ImportFailed as exc:
        assert exc.errors and all(e.row == 5 and e.column in BOOK_KEYS for e in exc.errors), exc.errors
    except InvalidInput as exc:
        assert exc.message.id in {"import.not_utf8", "import.cell_too_long", "import.empty", "import.csv_broken"}, (
            exc.message.id)
    else:
        return
    assert (Dossier.select().count(), Event.select().count(), Outbox.select().count()) == before
