"""Templates: office overrides win, and a bad template is refused with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
from slip_testkit import make_data

from ward_desk.errors import InvalidInput
from ward_desk.i18n import t
from ward_desk.slips import load_template, preview_text
from ward_desk.slips.model import KINDS
from ward_desk.slips.templates import SHIPPED_DIR


@pytest.mark.parametrize("kind", KINDS)
def test_shipped_templates_are_valid(kind: str) -> None:
    assert load_template(kind).source == SHIPPED_DIR / f"{kind}.toml"


def _override(data_dir: Path, kind: str, text: str) -> Path:
    folder = data_dir / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _shipped(kind: str) -> str:
    return (SHIPPED_DIR / f"{kind}.toml").read_text(encoding="utf-8")


def test_office_override_replaces_the_default(tmp_path: Path) -> None:
    text = _shipped("receipt").replace('title = "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"',
                                       'title = "GIẤY BIÊN NHẬN HỒ SƠ"')
    path = _override(tmp_path, "receipt", text)
    assert load_template("receipt", tmp_path).source == path
    assert "GIẤY BIÊN NHẬN HỒ SƠ" in preview_text(make_data(), "receipt", data_dir=tmp_path)
    # Other kinds still come from the shipped files.
    assert load_template("refusal", tmp_path).source == SHIPPED_DIR / "refusal.toml"


def _error(tmp_path: Path, text: str, kind: str = "receipt") -> InvalidInput:
    _override(tmp_path, kind, text)
    with pytest.raises(InvalidInput) as info:
        load_template(kind, tmp_path)
    return info.value


def test_unknown_field_names_the_field_file_line_and_key(tmp_path: Path) -> None:
    text = _shipped("receipt").replace('value = "{applicant_phone}"', 'value = "{applicant_fone}"')
    err = _error(tmp_path, text)
    assert err.message.id == "slips.template_bad_field"
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "{applicant_fone}" in s)
    message = err.message.render("vi")
    assert "{applicant_fone}" in message
    assert "receipt.toml" in message
    assert f"dòng {line}" in message
    assert "body[" in message and "].value" in message
    assert "{applicant_phone}?" in message  # the near miss is suggested
    english = err.message.render("en")
    assert f"line {line}" in english and "applicant_fone" in english


@pytest.mark.parametrize("bad", ["{applicant_name.__class__}", "{applicant_name[0]}", "{}", "{0}"])
def test_attribute_index_and_positional_fields_are_refused(tmp_path: Path, bad: str) -> None:
    text = _shipped("refusal").replace('value = "{reason}"', f'value = "{bad}"')
    assert _error(tmp_path, text, "refusal").message.id == "slips.template_bad_field"


def test_unbalanced_brace(tmp_path: Path) -> None:
    text = _shipped("receipt").replace('value = "{applicant_phone}"', 'value = "{applicant_phone"')
    err = _error(tmp_path, text)
    assert err.message.id == "slips.template_bad_format"


def test_bad_format_spec(tmp_path: Path) -> None:
    text = _shipped("receipt").replace('value = "{applicant_phone}"', 'value = "{applicant_phone:d}"')
    assert _error(tmp_path, text).message.id == "slips.template_bad_format"


def test_misspelt_key_is_named_with_a_suggestion(tmp_path: Path) -> None:
    err = _error(tmp_path, _shipped("receipt").replace("\ntitle = ", "\ntitel = "))
    assert err.message.id == "slips.template_unknown_key"
    assert "titel" in str(err) and "(title?)" in str(err)


def test_missing_title(tmp_path: Path) -> None:
    text = "\n".join(s for s in _shipped("apology").splitlines() if not s.startswith("title ="))
    err = _error(tmp_path, text, "apology")
    assert err.message.id == "slips.template_missing_key"
    assert "'title'" in str(err)


def test_wrong_type_and_table_source(tmp_path: Path) -> None:
    err = _error(tmp_path, _shipped("receipt").replace('header_left = [', 'header_left = "x"\nx = ['))
    assert err.message.id in ("slips.template_bad_value", "slips.template_unknown_key")
    err = _error(tmp_path, _shipped("receipt").replace('table = "documents"', 'table = "papers"'))
    assert err.message.id == "slips.template_bad_value"
    assert "documents | requested_items" in str(err)


def test_toml_syntax_error_names_the_file(tmp_path: Path) -> None:
    err = _error(tmp_path, 'title = "unterminated\n')
    assert err.message.id == "slips.template_unreadable"
    assert "receipt.toml" in str(err) and "line 1" in str(err)


def test_error_messages_exist_in_both_languages() -> None:
    for message_id in ("slips.template_bad_field", "slips.template_bad_format", "slips.template_unknown_key",
                       "slips.template_missing_key", "slips.template_bad_value", "slips.template_unreadable",
                       "slips.unknown_kind", "slips.unknown_format", "slips.font_missing", "slips.no_viewer"):
        assert t(message_id, "vi") != message_id
        assert t(message_id, "en") != message_id


def test_table_widths_and_column_counts_are_checked(tmp_path: Path) -> None:
    shipped = _shipped("control")
    err = _error(tmp_path, shipped.replace("widths = [9, 24, 23, 24, 27, 16]", "widths = [9, 24]"), "control")
    assert err.message.id == "slips.template_bad_value" and "widths" in str(err)
    err = _error(tmp_path, shipped.replace("widths = [9, 24, 23, 24, 27, 16]", 'widths = [9, 24, 23, 24, 27, "x"]'),
                 "control")
    assert err.message.id == "slips.template_bad_value"
    seven = shipped.replace('"Tiến độ"]', '"Tiến độ", "Ghi chú"]').replace("widths = [9, 24, 23, 24, 27, 16]\n", "")
    err = _error(tmp_path, seven, "control")
    assert err.message.id == "slips.template_bad_value" and "2 to 6 column titles" in str(err)
    # A documents table keeps its three columns at most.
    err = _error(tmp_path, _shipped("receipt").replace('columns = ["STT", "Tên giấy tờ", "Ghi chú"]',
                                                       'columns = ["STT", "Tên giấy tờ", "Ghi chú", "Số bản"]'))
    assert "2 to 3 column titles" in str(err)
