"""Issue 15, item 7: at least 12 characters and none of the common passwords."""

from __future__ import annotations

import pytest

from ward_desk.demo import DEMO_PASSWORD
from ward_desk.domain.validation import MIN_PASSWORD, validate_password
from ward_desk.errors import InvalidInput


@pytest.mark.parametrize("password", ["mat-khau-1", "12345678901", "ngắn-quá"])
def test_a_password_under_twelve_characters_is_refused(password: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_password(password)
    assert refused.value.message.id == "auth.password_too_short" and MIN_PASSWORD == 12


@pytest.mark.parametrize("password", [
    "matkhau123456", "Mật Khẩu 123456", "PASSWORD-1234", "123456789012", "aaaaaaaaaaaaaa", "abababababab",
    "qwertyuiopasdf", "987654321098", "Administrator",
])
def test_a_common_or_patterned_password_is_refused(password: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_password(password)
    assert refused.value.message.id == "auth.password_common"


@pytest.mark.parametrize("password", [DEMO_PASSWORD, "mat-khau-123", "cây bàng góc sân trụ sở", "Tr4m-Phu0ng-Mu1-Ne"])
def test_a_long_uncommon_password_is_accepted(password: str) -> None:
    validate_password(password)
