from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ward_desk.domain.text import fold


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Nguyễn Thị Đào", "nguyen thi dao"),
        ("ĐẶNG", "dang"),
        ("đường Lê Lợi", "duong le loi"),
        ("  Trần   Văn\tƯớc \n", "tran van uoc"),
        ("Phường Mũi Né", "phuong mui ne"),
        ("HỒ CHÍ MINH", "ho chi minh"),
        ("Bùi Thị Xuân\u00a0Hương", "bui thi xuan huong"),
        ("Ơn ưu ỷ ỵ ỹ ỳ ý", "on uu y y y y y"),
        ("079203012345", "079203012345"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_examples(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_nfd_and_mixed_input() -> None:
    nfc = "Nguyễn Thị Đào"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    assert fold(nfd) == "nguyen thi dao"
    mixed = unicodedata.normalize("NFD", "Nguyễn") + " Thị " + unicodedata.normalize("NFD", "Đào")
    assert fold(mixed) == "nguyen thi dao"


def test_non_latin_text_survives() -> None:
    assert fold("Straße") == "strasse"
    assert fold("日本 語") == "日本 語"


@given(st.text())
def test_idempotent_and_normal_form_blind(s: str) -> None:
    once = fold(s)
    assert fold(once) == once
    assert fold(unicodedata.normalize("NFD", s)) == fold(unicodedata.normalize("NFC", s))
    assert once == once.strip() and "  " not in once


vietnamese = st.text(
    alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ "
)


@given(vietnamese)
def test_vietnamese_letters_fold_to_ascii(s: str) -> None:
    assert fold(s).isascii()
    assert fold(s.upper()) == fold(s)
