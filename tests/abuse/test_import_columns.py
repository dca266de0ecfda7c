"""Hostile cells in every column of an imported register or procedure list (issue 13 item 8).

Each file is either imported clean or refused whole with the row and the column of
every bad cell; never an unexpected error, never half an import, and what is stored
passes the text rules.
"""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_text_fields import HOSTILE

from ward_desk.domain.text import BIDI_CONTROLS, INVISIBLE, first_unsafe
from ward_desk.errors import InvalidInput
from ward_desk.services.catalogue import ImportFailed

FILE_REFUSALS = {"import.not_utf8", "import.empty"}

REGISTER = ["Mã hồ sơ", "Mã thủ tục", "Họ và tên", "Số CCCD", "Điện thoại", "Hình thức", "Ngày tiếp nhận",
            "Hẹn trả", "Ngày có kết quả", "Ngày trả", "Trạng thái"]
GOOD_ROW = ["", "CT.01", "Nguyễn Văn Sổ", "001203047159", "0912 345 678", "Trực tiếp", "02/03/2026 08:30", "", "",
            "", "Đang giải quyết"]
COLUMN_KEYS = ["code", "procedure", "applicant_name", "id_number", "phone", "channel", "received", "due",
               "result_ready", "returned", "state"]
PROCEDURES = ["Mã thủ tục", "Tên thủ tục", "Lĩnh vực", "Thời hạn", "Lệ phí", "Mức trực tuyến", "Thành phần hồ sơ",
              "Căn cứ pháp lý"]
GOOD_PROCEDURE = ["XX.77", "Cấp bản sao trích lục", "Hộ tịch", "3", "8.000 đồng", "partial", "Tờ khai|Giấy tờ",
                  "Nghị định 123/2015"]
CELL = st.text(max_size=60) | st.lists(st.text(max_size=10) | HOSTILE, max_size=8).map("".join) | st.sampled_from(
    ["=HYPERLINK(\"http://x\")", "A" * 5000, "", " ", "\ufeff", "31/02/2026 08:00", "-1", "999999"])
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _write(path: Path, header: list[str], row: list[str]) -> Path:
    with open(path, "w", encoding="utf-8", newline="", errors="surrogatepass") as f:
        csv.writer(f).writerows([header, row])
    return path


def _clean(text: str) -> bool:
    return first_unsafe(text, "\n") is None and not (set(text) & (INVISIBLE | BIDI_CONTROLS))


@SLOW
@given(column=st.integers(0, len(REGISTER) - 1), value=CELL)
def test_register_import_column_by_column(session, tmp_path_factory, column: int, value: str) -> None:
    from ward_desk.services.importer import import_register
    from ward_desk.store.models import Dossier, Event, Outbox

    row = list(GOOD_ROW)
    row[column] = value
    path = _write(tmp_path_factory.mktemp("reg") / "so.csv", REGISTER, row)
    before = (Dossier.select().count(), Event.select().count(), Outbox.select().count())
    try:
        count = import_register(session, path)
    except ImportFailed as exc:
        assert exc.errors and all(e.row == 2 and e.column in COLUMN_KEYS for e in exc.errors), exc.errors
        assert (Dossier.select().count(), Event.select().count(), Outbox.select().count()) == before
        return
    except InvalidInput as exc:  # a whole-file refusal (not UTF-8: a lone surrogate in a cell)
        assert exc.message.id in FILE_REFUSALS, exc.message.id
        assert (Dossier.select().count(), Event.select().count(), Outbox.select().count()) == before
        return
    assert count == 1
    d = Dossier.select().order_by(Dossier.id.desc()).first()
    for text in (d.code, d.applicant_name, d.applicant_id_number, d.applicant_phone):
        assert _clean(text), repr(text)


@SLOW
@given(column=st.integers(0, len(PROCEDURES) - 1), value=CELL)
def test_procedure_import_column_by_column(session, tmp_path_factory, column: int, value: str) -> None:
    from ward_desk.services.catalogue import import_procedures
    from ward_desk.store.models import Procedure

    row = list(GOOD_PROCEDURE)
    row[column] = value
    path = _write(tmp_path_factory.mktemp("proc") / "thu-tuc.csv", PROCEDURES, row)
    before = [(p.code, p.name, p.version) for p in Procedure.select().order_by(Procedure.code)]
    try:
        import_procedures(path, session.clock())
    except ImportFailed as exc:
        assert exc.errors and all(e.row == 2 for e in exc.errors), exc.errors
        assert [(p.code, p.name, p.version) for p in Procedure.select().order_by(Procedure.code)] == before
        return
    except InvalidInput as exc:
        assert exc.message.id in FILE_REFUSALS, exc.message.id
        assert [(p.code, p.name, p.version) for p in Procedure.select().order_by(Procedure.code)] == before
        return
    for p in Procedure.select():
        for text in (p.code, p.name, p.field, p.fee, p.legal_basis, p.documents):
            assert _clean(text), repr(text)
