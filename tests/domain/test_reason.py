"""A written reason says why: a date alone or a few letters is refused."""

from __future__ import annotations

import pytest

from ward_desk.domain.validation import validate_reason
from ward_desk.errors import InvalidInput


@pytest.mark.parametrize("text", ["03/03/2026", " 3-3-2026 ", "2026.03.03", "12/3", "0912345678"])
def test_a_date_or_numbers_alone_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as err:
        validate_reason(text)
    assert err.value.message.id == "validation.reason_date_only"


@pytest.mark.parametrize("text", ["sai", "x", "thiếu", "ok ok", "03/03/2026 thiếu", "khongduocphep"])
def test_a_few_letters_or_one_word_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as err:
        validate_reason(text)
    assert err.value.message.id == "validation.reason_too_short"


@pytest.mark.parametrize("text, kept", [
    ("Chờ xác minh", "Chờ xác minh"),
    ("  Công dân   xin rút hồ sơ ", "Công dân xin rút hồ sơ"),
    ("Thiếu giấy khai sinh, hẹn bổ sung trước 10/03/2026", "Thiếu giấy khai sinh, hẹn bổ sung trước 10/03/2026"),
])
def test_a_real_reason_is_kept_trimmed(text: str, kept: str) -> None:
    assert validate_reason(text) == kept
