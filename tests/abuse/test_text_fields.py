"""Text fields are bounded and clean, and no stored text can break a slip (issue 13 item 3).

The rule lives once (``domain.validation.clean_text`` over ``TEXT_FIELDS``); hypothesis
feeds every field arbitrary text; the services refuse what the rule refuses before
anything is written; the renderers survive text that came in before the rule.
"""

from __future__ import annotations

import io
import json
import unicodedata
from pathlib import Path

import pytest
from abuse_kit import DAMAGED_VI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wd_testkit import ok, run_cli, snapshot

from ward_desk.domain.text import BIDI_CONTROLS, INVISIBLE, first_unsafe, printable
from ward_desk.domain.validation import TEXT_FIELDS, clean_text, validate_person_name
from ward_desk.errors import InvalidInput

TEXT_ERRORS = {"validation.text.control", "validation.text.bidi", "validation.text.invalid",
               "validation.text.too_long", "validation.text.lines"}
# What hostile text looks like: terminal escapes, bidi overrides, zero-width joiners,
# lone surrogates, C1 controls, NUL, line separators, decomposed Vietnamese.
HOSTILE = st.sampled_from([
    "\x1b[31m", "\x1b]0;pwned\x07", "\x9b2J", "\x00", "\x7f", "\u202e", "\u2066", "\u200f", "\u200b", "\ufeff",
    "\u2028", "\r\n", "\t", "\ud800", "\U000e0041", "\ue000", "e\u0301", "Nguye\u0302\u0303n",
])
TEXT = st.text(max_size=300) | st.lists(st.text(max_size=20) | HOSTILE, max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(sorted(TEXT_FIELDS)), value=TEXT)
def test_every_field_accepts_clean_text_or_names_the_problem(field: str, value: str) -> None:
    rule = TEXT_FIELDS[field]
    try:
        out = clean_text(field, value)
    except InvalidInput as exc:
        assert exc.message.id in TEXT_ERRORS, exc.message.id
        rendered = exc.message.render("vi") + exc.message.render("en")
        assert "\x1b" not in rendered and "\u202e" not in rendered  # the message itself is safe to print
        return
    assert out == unicodedata.normalize("NFC", out)
    assert first_unsafe(out) is None or (rule.multiline and first_unsafe(out, "\n") is None)
    assert not (set(out) & (INVISIBLE | BIDI_CONTROLS))
    assert len(out) <= rule.max_length and out == out.strip()
    assert ("\n" not in out) if not rule.multiline else out.count("\n") < rule.max_lines
    assert clean_text(field, out) == out  # what was stored passes again unchanged


@pytest.mark.parametrize("value, message_id, shown", [
    ("Số 12\x1b[2J đường Trần Phú", "validation.text.control", "U+001B"),
    ("Số 12 \u202eúhP nầrT", "validation.text.bidi", "U+202E"),
    ("Khu phố \ud800", "validation.text.invalid", "U+D800"),
    ("A" * 201, "validation.text.too_long", "201"),
])
def test_an_address_is_refused_with_the_character_and_where(value: str, message_id: str, shown: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        clean_text("address", value)
    assert exc.value.message.id == message_id
    for lang, word in (("vi", "Địa chỉ"), ("en", "The address")):
        text = exc.value.message.render(lang)
        assert shown in text and word in text, text


def test_zero_width_is_removed_and_text_normalised() -> None:
    assert clean_text("address", "Nguye\u0302\u0303n\u200b  Tra\u0302\u0300n\tPhú ") == "Nguyễn Trần Phú"
    assert clean_text("note", "một\r\n\r\n\r\n\r\nhai\u2028ba") == "một\n\nhai\nba"
    assert validate_person_name("Lê\u200b Văn\ufeff Tám") == "Lê Văn Tám"
    with pytest.raises(InvalidInput):
        validate_person_name("Lê \x1b[1mVăn")


# --- the services refuse before anything is written ---------------------------------------------


CLI_CASES = {
    "intake-address": ["intake", "--procedure", "CT.01", "--applicant-name", "Lê Thị Địa",
                       "--address", "Số 1\x1b]0;pwned\x07"],
    "intake-long-address": ["intake", "--procedure", "CT.01", "--applicant-name", "Lê Thị Dài",
                            "--address", "Khu phố " * 400],
    "intake-bidi-name": ["intake", "--procedure", "CT.01", "--applicant-name", "Lê \u202eThị"],
    "move-reason": ["dossier", "move", "{code}", "--to", "suspended", "--reason", "Chờ\x9b2J",
                    "--legal-basis", "Nghị định 118/2025"],
    "move-legal-basis": ["dossier", "move", "{code}", "--to", "suspended", "--reason", "Chờ xác minh",
                         "--legal-basis", "\u2066Nghị định\u2069"],
    "apology-reason": ["dossier", "apology", "{code}", "--new-date", "20/03/2026", "--reason", "x" * 1001],
    "user-full-name": ["users", "add", "hoa", "--full-name", "Hoa\x07", "--role", "clerk",
                       "--new-password-file", "{pw}"],
}


@pytest.fixture(scope="module")
def ward_with_a_dossier(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    root = tmp_path_factory.mktemp("text")
    data = root / "ward"
    from wd_testkit import make_store

    make_store(data)
    out = ok(run_cli("intake", "--procedure", "CT.01", "--applicant-name", "Nguyễn Văn Một", "--json",
                     "--data-dir", data)).stdout
    pw = root / "pw.txt"
    pw.write_text("mat-khau-hoa-123\n")
    return data, json.loads(out)["code"], pw


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_hostile_text_on_the_command_line_is_refused_and_changes_nothing(ward_with_a_dossier, case: str) -> None:
    data, code, pw = ward_with_a_dossier
    args = [a.format(code=code, pw=pw) for a in CLI_CASES[case]]
    before = snapshot(data)
    proc = run_cli(*args, "--data-dir", data)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    err = proc.stderr
    assert any(w in err for w in ("ký tự", "quá dài")), err  # names the character or the length
    assert "\x1b" not in err and "\x9b" not in err and "\u202e" not in err and "\x00" not in err
    assert DAMAGED_VI not in err
    assert snapshot(data) == before
    english = run_cli(*args, "--data-dir", data, "--lang", "en")
    assert english.returncode == 2 and any(w in english.stderr for w in ("character", "too long", "not allowed")), english.stderr


def test_init_refuses_a_hostile_office_name_and_creates_nothing(tmp_path: Path) -> None:
    pw = tmp_path / "pw.txt"
    pw.write_text("mat-khau-123\n")
    data = tmp_path / "ward"
    proc = run_cli("init", "--data-dir", data, "--office-code", "22918", "--office-name", "Phường\x1b[5m Mũi Né",
                   "--admin", "lan", "--password-file", pw, password=None)
    assert proc.returncode == 2 and "U+001B" in proc.stderr, proc.stderr
    assert not data.exists() or not any(data.iterdir())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(address=TEXT, note=TEXT, reason=TEXT, doc=TEXT)
def test_services_store_only_clean_text(session, address: str, note: str, reason: str, doc: str) -> None:
    """Whatever reaches the intake and the lifecycle is stored clean or refused whole."""
    from ward_desk.services import dossiers
    from ward_desk.store.models import Dossier, Event

    before = (Dossier.select().count(), Event.select().count())
    try:
        d = dossiers.intake(session, dossiers.IntakeRequest(
            procedure_code="CT.01", applicant_name="Phạm Thị Thử", address=address, note=note,
            documents=[dossiers.DocumentItem(doc)]))
    except InvalidInput as exc:
        assert exc.message.id in TEXT_ERRORS | {"dossier.document_name_required"}, exc.message.id
        assert (Dossier.select().count(), Event.select().count()) == before
        return
    stored = Dossier.get_by_id(d.id)
    for text in (stored.applicant_address, stored.note, *[i["name"] for i in json.loads(stored.documents)]):
        assert first_unsafe(text, "\n") is None and not (set(text) & (INVISIBLE | BIDI_CONTROLS))
    try:
        dossiers.move(session, d.code, "forward")
        dossiers.move(session, d.code, "suspend", reason=reason, legal_basis="Nghị định 118/2025")
    except InvalidInput as exc:
        assert exc.message.id in TEXT_ERRORS, exc.message.id
    except Exception as exc:  # a blank reason is the lifecycle's own refusal
        assert getattr(getattr(exc, "message", None), "id", "") == "lifecycle.reason_required", exc
    for event in Event.select().where(Event.dossier == d.id):
        assert first_unsafe(event.reason, "\n") is None


# --- no stored text can break a slip -----------------------------------------------------------


def _slip_pages(data, kind: str = "receipt") -> tuple[int, bytes]:
    from pypdf import PdfReader

    from ward_desk.slips.output import render_bytes

    pdf = render_bytes(data, kind, "pdf")
    return len(PdfReader(io.BytesIO(pdf)).pages), render_bytes(data, kind, "docx")


def _docx_text(blob: bytes) -> str:
    from docx import Document

    doc = Document(io.BytesIO(blob))
    return " ".join(p.text for p in doc.paragraphs) + " ".join(
        c.text for t in doc.tables for r in t.rows for c in r.cells)


def test_the_address_that_made_the_docx_receipt_unrenderable(slip_data) -> None:
    """A control character (here U+0001, as an old import stored it) made python-docx
    refuse the whole receipt; the receipt now renders, without it."""
    pages, docx = _slip_pages(slip_data(applicant_address="Số 7\x01 ngõ 3\x0b, khu phố 2"))
    assert pages == 1
    text = _docx_text(docx)
    assert "Số 7 ngõ 3 , khu phố 2" in text or "Số 7 ngõ 3, khu phố 2" in text


def test_the_address_that_made_a_five_page_pdf_receipt(slip_data) -> None:
    pages, docx = _slip_pages(slip_data(applicant_address="Khu phố 5, phường Mũi Né " * 120))
    assert pages == 1
    assert "…" in _docx_text(docx)  # cut where the sheet ends, and said so


@pytest.mark.parametrize("kind", ["receipt", "supplement", "refusal", "apology", "stop", "control"])
@pytest.mark.parametrize("field", ["applicant_address", "procedure_name", "legal_basis", "reason", "fee",
                                   "office_name", "procedure_field", "applicant_name", "clerk_name"])
def test_any_one_field_at_its_longest_keeps_the_slip_on_one_sheet(slip_data, kind: str, field: str) -> None:
    """The widest letters Vietnamese has, as many as the field may hold."""
    limits = {"applicant_address": "address", "procedure_name": "procedure_name", "legal_basis": "legal_basis",
              "reason": "reason", "fee": "fee", "office_name": "office_name",
              "procedure_field": "procedure_field", "applicant_name": "full_name", "clerk_name": "full_name"}
    value = "Ẅ" * TEXT_FIELDS[limits[field]].max_length
    pages, _docx = _slip_pages(slip_data(kind, **{field: value}), kind)
    assert pages == 1


@settings(max_examples=25, deadline=None)
@given(address=TEXT, name=TEXT, procedure=TEXT, reason=TEXT)
def test_stored_text_of_any_kind_renders_both_formats(address: str, name: str, procedure: str, reason: str) -> None:
    """As if stored before the checks (or by another program): both files are made."""
    from slip_testkit import make_data

    for kind in ("receipt", "refusal"):
        pages, docx = _slip_pages(make_data(kind, applicant_address=address, applicant_name=name,
                                            procedure_name=procedure, reason=reason), kind)
        assert pages == 1
        assert "\x1b" not in _docx_text(docx)


def test_printable_is_what_the_renderers_draw() -> None:
    assert printable("a\x1b[31mb\u202ec\u200bd\ud800e") == "a[31mbcde"
    assert printable("x" * 50, 10) == "x" * 9 + "…"


@pytest.fixture
def slip_data():
    from slip_testkit import make_data

    return make_data
