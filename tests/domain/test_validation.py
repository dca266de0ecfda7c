from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from ward_desk.domain.validation import (
    CCCD_PROVINCE_CODES,
    CitizenCard,
    parse_citizen_card_qr,
    validate_id_number,
    validate_person_name,
    validate_phone,
)
from ward_desk.errors import InvalidInput


def _error_id(func, value: str) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as err:
        func(value)
    return err.value.message.id


def test_province_codes() -> None:
    assert len(CCCD_PROVINCE_CODES) == 63
    assert CCCD_PROVINCE_CODES["001"] == "Hà Nội"
    assert CCCD_PROVINCE_CODES["079"] == "Hồ Chí Minh"
    assert CCCD_PROVINCE_CODES["096"] == "Cà Mau"
    assert all(1 <= int(c) <= 96 for c in CCCD_PROVINCE_CODES)
    for gap in ("000", "003", "005", "007", "009", "097", "099"):
        assert gap not in CCCD_PROVINCE_CODES


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("001203012345", "001203012345"),
        ("079 185 000 123", "079185000123"),
        ("048.099.001.234", "048099001234"),
        ("  096 9 12345678 ", "096912345678"),
        ("123456789", "123456789"),  # legacy CMND
        ("023 456 789", "023456789"),
    ],
)
def test_good_id_numbers(raw: str, normal: str) -> None:
    assert validate_id_number(raw) == normal


@pytest.mark.parametrize(
    ("raw", "message_id"),
    [
        ("", "validation.id_number"),
        ("07920301234a", "validation.id_number"),
        ("０７９２０３０１２３４５", "validation.id_number"),  # full-width digits
        ("07920301234", "validation.id_number.length"),
        ("0792030123456", "validation.id_number.length"),
        ("1234567890", "validation.id_number.length"),
        ("003203012345", "validation.id_number.province"),
        ("099203012345", "validation.id_number.province"),
        ("000203012345", "validation.id_number.province"),
    ],
)
def test_bad_id_numbers(raw: str, message_id: str) -> None:
    assert _error_id(validate_id_number, raw) == message_id


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("0912345678", "0912345678"),
        ("091 234 5678", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("+84912345678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0084 912 345 678", "0912345678"),
        ("+84 (0) 912 345 678", "0912345678"),
        ("0387654321", "0387654321"),
        ("0561234567", "0561234567"),
        ("0701234567", "0701234567"),
        ("0851234567", "0851234567"),
        ("028 3829 1234", "02838291234"),
        ("024-3825-1234", "02438251234"),
        ("+84 24 3825 1234", "02438251234"),
    ],
)
def test_good_phones(raw: str, normal: str) -> None:
    assert validate_phone(raw) == normal


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "091234567",  # 9 digits
        "09123456789",  # 11-digit mobile
        "0123456789",  # old 01x prefix, gone since 2018
        "0412345678",
        "0612345678",
        "02838291",  # short landline
        "+1 202 555 0143",
        "09123abc78",
        "+84",
    ],
)
def test_bad_phones(raw: str) -> None:
    assert _error_id(validate_phone, raw) == "validation.phone"


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("Nguyễn Thị Đào", "Nguyễn Thị Đào"),
        ("  Trần   Văn  Ước ", "Trần Văn Ước"),
        ("ĐẶNG THỊ HỒNG", "ĐẶNG THỊ HỒNG"),
        (unicodedata.normalize("NFD", "Lê Thị Ngọc Hà"), "Lê Thị Ngọc Hà"),
        ("H'Hen Niê", "H'Hen Niê"),
        ("Y-Moan Ênuôl", "Y-Moan Ênuôl"),
        ("Nguyễn T. Bình", "Nguyễn T. Bình"),
        ("Lý", "Lý"),
    ],
)
def test_good_names(raw: str, normal: str) -> None:
    result = validate_person_name(raw)
    assert result == normal
    assert unicodedata.is_normalized("NFC", result)


@pytest.mark.parametrize(
    ("raw", "message_id"),
    [
        ("", "validation.name"),
        ("   ", "validation.name"),
        ("A", "validation.name.length"),
        ("A" * 101, "validation.name.length"),
        ("Nguyễn Văn 3", "validation.name.characters"),
        ("Trần@Văn", "validation.name.characters"),
        ("-Trần", "validation.name.characters"),
        ("Lê_Văn", "validation.name.characters"),
    ],
)
def test_bad_names(raw: str, message_id: str) -> None:
    assert _error_id(validate_person_name, raw) == message_id


# --- the CCCD card's QR code ---------------------------------------------------------

def test_citizen_card_qr_as_a_scanner_types_it() -> None:
    card = parse_citizen_card_qr(
        "060199012345|261234567|Nguyễn  Thị Thu Hà|15081999|Nữ|Khu phố 3, Phường Mũi Né,  Lâm Đồng|02072021")
    assert card == CitizenCard(
        id_number="060199012345", old_id_number="261234567", full_name="Nguyễn Thị Thu Hà",
        birth_date=date(1999, 8, 15), sex="Nữ", address="Khu phố 3, Phường Mũi Né, Lâm Đồng",
        issued_on=date(2021, 7, 2))
    # No old CMND, an extra field some readers add, decomposed accents (NFD) from a reader.
    nfd = unicodedata.normalize("NFD", "Lê Văn Bảy|01011960|Nam|Thôn 2, xã Hòa Phú|31022024")
    card = parse_citizen_card_qr(f"001060000123||{nfd}|extra")
    assert card is not None and card.old_id_number == "" and card.full_name == "Lê Văn Bảy"
    assert card.address == "Thôn 2, xã Hòa Phú" and card.birth_date == date(1960, 1, 1)
    assert card.issued_on is None  # 31/02 does not exist: the date is dropped, the card still read


@pytest.mark.parametrize("text", [
    "Nguyễn Văn An",                                               # a plain name
    "060199012345|261234567|Nguyễn Văn An|15081999|Nam|Địa chỉ",   # too few fields
    "999199012345||Nguyễn Văn An|15081999|Nam|Địa chỉ|02072021",   # unknown province
    "261234567||Nguyễn Văn An|15081999|Nam|Địa chỉ|02072021",      # a 9-digit CMND is not a card
    "060199012345||N|15081999|Nam|Địa chỉ|02072021",               # not a name
    "060199012345||Nguyễn Văn 2|15081999|Nam|Địa chỉ|02072021",    # digits in the name
])
def test_not_a_citizen_card_qr(text: str) -> None:
    assert parse_citizen_card_qr(text) is None
