"""Checks and normalisation of what a clerk types about an applicant, and the
password rule every key slot's password follows.

Each validator returns the normalised value or raises
:class:`ward_desk.errors.InvalidInput` with a catalogue id under ``validation.``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from ward_desk.domain.text import codepoint, drop_invisible, first_unsafe, fold
from ward_desk.errors import InvalidInput, WardDeskError
from ward_desk.i18n import Message

__all__ = [
    "CCCD_PROVINCE_CODES",
    "MIN_PASSWORD",
    "TEXT_FIELDS",
    "CitizenCard",
    "TextRule",
    "clean_text",
    "parse_citizen_card_qr",
    "validate_id_number",
    "validate_password",
    "validate_person_name",
    "validate_phone",
]

MIN_PASSWORD = 12

# Passwords people pick first, compared after :func:`_password_core` (accents,
# case, spaces and punctuation dropped). Only ones at least MIN_PASSWORD long
# matter: shorter ones are refused by length already. Vietnamese office ones
# first, then the international lists' long entries.
COMMON_PASSWORDS = frozenset({
    "matkhau123456", "matkhau12345", "matkhaumoi123", "matkhaucuatoi", "matkhaumotcua", "motcua123456",
    "motcuaphuong", "ubndphuong123", "ubndxa123456", "phuong123456", "anhyeuem1234", "anhyeuem123456",
    "emyeuanh1234", "emyeuanh123456", "khongbiet123", "khongcomatkhau", "vietnam12345", "vietnam123456",
    "hanoi1234567", "saigon123456", "quantrivien1", "quantrivien123", "nhanvien1234", "lanhdao12345",
    "123456789012", "1234567890123", "12345678901234", "123456789abc", "abc123456789", "12345678abcd",
    "abcd12345678", "qwertyuiop12", "qwertyuiop123", "qwertyuiopasdf", "1qaz2wsx3edc", "qazwsxedcrfv",
    "zaq12wsxcde3", "1q2w3e4r5t6y", "q1w2e3r4t5y6", "password1234", "password12345", "password123456",
    "passwordpassword", "iloveyou1234", "admin1234567", "admin123456789", "administrator", "administrator1",
    "welcome12345", "letmein12345", "changeme1234", "abcdefghijkl", "abcdefgh1234", "asdfghjkl123",
    "football1234", "princess1234", "sunshine1234", "superman1234", "trustno11234", "000000000000",
})


def _password_core(password: str) -> str:
    return "".join(ch for ch in fold(password) if ch.isalnum())


def validate_password(password: str) -> None:
    """Refuse a password that cannot protect a key slot: shorter than
    ``MIN_PASSWORD`` (``auth.password_too_short``), one of the common passwords,
    one character repeated or a run of consecutive keys or digits
    (``auth.password_common``). A pure rule, so the ward's services and the
    district's ``recover`` apply the same one. Existing passwords keep working;
    the rule applies when one is set."""
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput("auth.password_too_short", min=MIN_PASSWORD)
    core = _password_core(password)
    runs = ("01234567890123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm")
    if (core in COMMON_PASSWORDS or len(set(core)) <= 2
            or any(core in run or core in run[::-1] for run in runs)):
        raise InvalidInput("auth.password_common")

# Province codes that open a 12-digit citizen identity number (CCCD), by Circular
# 07/2016/TT-BCA (replaced by Circular 59/2021/TT-BCA): the 63 pre-2025 provinces'
# administrative codes. The 2025 merger kept one old code per new province, so
# cards issued after it still start with one of these.
CCCD_PROVINCE_CODES: dict[str, str] = {
    "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn",
    "008": "Tuyên Quang", "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu",
    "014": "Sơn La", "015": "Yên Bái", "017": "Hòa Bình", "019": "Thái Nguyên",
    "020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang", "025": "Phú Thọ",
    "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
    "033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định",
    "037": "Ninh Bình", "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh",
    "044": "Quảng Bình", "045": "Quảng Trị", "046": "Thừa Thiên Huế", "048": "Đà Nẵng",
    "049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định", "054": "Phú Yên",
    "056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
    "064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng",
    "070": "Bình Phước", "072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai",
    "077": "Bà Rịa - Vũng Tàu", "079": "Hồ Chí Minh", "080": "Long An", "082": "Tiền Giang",
    "083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long", "087": "Đồng Tháp",
    "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ", "093": "Hậu Giang",
    "094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}  # fmt: skip

# Separators people type inside numbers (spaces, dots, dashes, brackets).
_SEPARATORS = re.compile(r"[\s.\-()/]+")
_MOBILE_PREFIXES = ("03", "05", "07", "08", "09")
_NAME_PUNCTUATION = frozenset(" '’-.")
NAME_MIN, NAME_MAX = 2, 100


def validate_id_number(s: str) -> str:
    """A citizen ID: 12-digit CCCD with a known province prefix, or a legacy 9-digit CMND.

    Spaces and dots are ignored; returns the digits only. Raises ``InvalidInput``
    with ``validation.id_number`` (not digits), ``validation.id_number.length``
    or ``validation.id_number.province``.
    """
    digits = _SEPARATORS.sub("", s)
    if not digits or not (digits.isascii() and digits.isdigit()):
        raise InvalidInput("validation.id_number", value=s)
    if len(digits) == 9:
        return digits
    if len(digits) != 12:
        raise InvalidInput("validation.id_number.length", value=s, length=len(digits))
    if digits[:3] not in CCCD_PROVINCE_CODES:
        raise InvalidInput("validation.id_number.province", value=s, prefix=digits[:3])
    # The 4th digit is the century-and-sex code: any digit 0-9 (checked above).
    return digits


def validate_phone(s: str) -> str:
    """A Vietnamese phone number, normalised to digits with a leading 0.

    Accepts ``+84``/``84``/``0084`` prefixes and separators. Mobile: 10 digits
    starting 03, 05, 07, 08 or 09; landline: 11 digits starting 02. Raises
    ``InvalidInput("validation.phone", value=...)``.
    """
    raw = _SEPARATORS.sub("", s)
    national: str | None = None
    if raw.startswith("+84"):
        national = raw[3:]
    elif raw.startswith("0084"):
        national = raw[4:]
    elif raw.startswith("84") and len(raw) in (11, 12):
        national = raw[2:]
    digits = raw
    if national is not None:
        # "+84 0912..." is often typed with the trunk zero kept.
        digits = national if national.startswith("0") else "0" + national
    if digits.isascii() and digits.isdigit():
        if len(digits) == 10 and digits.startswith(_MOBILE_PREFIXES):
            return digits
        if len(digits) == 11 and digits.startswith("02"):
            return digits
    raise InvalidInput("validation.phone", value=s)


def validate_person_name(s: str) -> str:
    """A person's name: NFC, trimmed, inner spaces collapsed, 2–100 characters of
    letters (Vietnamese included), spaces, apostrophes, hyphens and dots, starting
    with a letter. Raises ``InvalidInput`` with ``validation.name`` (empty),
    ``validation.name.length`` or ``validation.name.characters``.
    """
    name = " ".join(unicodedata.normalize("NFC", drop_invisible(s)).split())
    if not name:
        raise InvalidInput("validation.name", value=s)
    if not NAME_MIN <= len(name) <= NAME_MAX:
        raise InvalidInput(
            "validation.name.length", value=name, length=len(name), min=NAME_MIN, max=NAME_MAX
        )
    for ch in name:
        if ch in _NAME_PUNCTUATION:
            continue
        category = unicodedata.category(ch)
        # Combining marks left after NFC belong to the letter before them.
        if category[0] == "L" or category[0] == "M":
            continue
        raise InvalidInput("validation.name.characters", value=name, char=_shown(ch))
    if not unicodedata.category(name[0]).startswith("L"):
        raise InvalidInput("validation.name.characters", value=name, char=_shown(name[0]))
    return name


def _shown(ch: str) -> str:
    # A control or invisible character is named by its code point, never echoed.
    return ch if ch.isprintable() and not unicodedata.category(ch).startswith(("C", "Z")) else codepoint(ch)


@dataclass(frozen=True)
class TextRule:
    """How long a free-text field may be, and whether it may hold line breaks."""

    max_length: int
    multiline: bool = False
    max_lines: int = 30


# Every free-text field a clerk, a leader or an imported file can fill, with its bound.
# A slip prints the single-line ones on a line or two of an A5 sheet; the multi-line
# ones are reasons, notes and evidence that print in a block or not at all.
TEXT_FIELDS: dict[str, TextRule] = {
    "address": TextRule(200),
    "note": TextRule(2000, multiline=True),
    "reason": TextRule(1000, multiline=True, max_lines=12),
    "legal_basis": TextRule(300),
    "document": TextRule(200),
    "comment": TextRule(1000, multiline=True),
    "evidence": TextRule(2000, multiline=True),
    "attachment": TextRule(500),
    "full_name": TextRule(100),
    "office_name": TextRule(120),
    "label": TextRule(100),
    "dossier_code": TextRule(40),
    "procedure_code": TextRule(40),
    "procedure_name": TextRule(500),
    "procedure_field": TextRule(100),
    "fee": TextRule(200),
    "calendar_note": TextRule(200),
    "counter": TextRule(40),  # the counter (quầy) a desk session serves at, printed on receipts
}


def clean_text(field: str, value: str | None) -> str:
    """``value`` made fit to store in the free-text ``field`` (see :data:`TEXT_FIELDS`):
    NFC, zero-width and other invisible characters removed, spaces collapsed (line
    breaks kept in a multi-line field, at most one blank line in a row), trimmed.

    Refused with ``InvalidInput``: a control character or terminal escape
    (``validation.text.control``), a bidirectional override (``validation.text.bidi``),
    a character that is not printable text (``validation.text.invalid``), too long
    (``validation.text.too_long``) or too many lines (``validation.text.lines``). An
    empty value is returned as "" (whether it may be empty is the caller's rule).
    """
    rule = TEXT_FIELDS[field]
    label = Message(f"validation.field.{field}")
    if not value:
        return ""
    if len(value) > 4 * rule.max_length + 64:
        # Far too long to be worth normalising first (a 1 MB paste): refuse as it is.
        raise InvalidInput("validation.text.too_long", field=label, length=len(value), max=rule.max_length)
    text = unicodedata.normalize("NFC", drop_invisible(value.replace("\r\n", "\n")))
    allowed = "\t\n\r\x0b\x0c\x85\u2028\u2029"  # whitespace: laid out below, never stored raw
    bad = first_unsafe(text, allowed)
    if bad is not None:
        position, ch, kind = bad
        raise InvalidInput(f"validation.text.{kind}", field=label, char=codepoint(ch), position=position + 1)
    if rule.multiline:
        lines = [" ".join(line.split()) for line in text.translate(_BREAKS).split("\n")]
        kept: list[str] = []
        for line in lines:
            if line or (kept and kept[-1]):
                kept.append(line)
        text = "\n".join(kept).strip("\n")
        if text.count("\n") + 1 > rule.max_lines:
            raise InvalidInput("validation.text.lines", field=label, lines=text.count("\n") + 1,
                               max=rule.max_lines)
    else:
        text = " ".join(text.split())
    if len(text) > rule.max_length:
        raise InvalidInput("validation.text.too_long", field=label, length=len(text), max=rule.max_length)
    return text


_BREAKS = {ord(c): "\n" for c in "\r\x0b\x0c\x85\u2028\u2029"}


@dataclass(frozen=True)
class CitizenCard:
    """What the QR code on a chip-based citizen identity card (CCCD) says."""

    id_number: str
    old_id_number: str  # the 9-digit CMND it replaced, or ""
    full_name: str
    birth_date: date | None
    sex: str
    address: str  # permanent residence (nơi thường trú)
    issued_on: date | None


def _card_date(text: str) -> date | None:
    text = text.strip()
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError:
        return None


def parse_citizen_card_qr(text: str) -> CitizenCard | None:
    """Read the text a QR scanner types from a CCCD card, or None if ``text`` is not one.

    The card's QR code holds ``id|old id|full name|ddmmyyyy|sex|address|ddmmyyyy``
    (birth date, then date of issue); the old CMND number may be empty and some
    readers append further fields, which are ignored. The ID number and the name
    must pass the same checks as typed ones, so a stray "|" in a name is never
    mistaken for a card.
    """
    parts = [p.strip() for p in text.strip().split("|")]
    if len(parts) < 7:
        return None
    try:
        id_number = validate_id_number(parts[0])
        full_name = validate_person_name(parts[2])
    except WardDeskError:
        return None
    if len(id_number) != 12:
        return None
    old = _SEPARATORS.sub("", parts[1])
    return CitizenCard(
        id_number=id_number,
        old_id_number=old if len(old) == 9 and old.isdigit() else "",
        full_name=full_name,
        birth_date=_card_date(parts[3]),
        sex=parts[4],
        address=" ".join(unicodedata.normalize("NFC", parts[5]).split()),
        issued_on=_card_date(parts[6]),
    )


# A reason is read by the citizen on the slip and by upstream in the record: a few letters
# or a date alone (what a hurried clerk types) say nothing.
REASON_MIN_LETTERS = 10
_DATE_LIKE = re.compile(r"\b\d{1,4}\s*[/.\-]\s*\d{1,2}(?:\s*[/.\-]\s*\d{1,4})?\b")


def validate_reason(s: str) -> str:
    """A written reason (refusal, withdrawal, supplement, suspension), trimmed, with its
    spaces collapsed. Raises ``InvalidInput("validation.reason_date_only")`` when it is
    only a date (or numbers), ``InvalidInput("validation.reason_too_short")`` when it
    has fewer than ``REASON_MIN_LETTERS`` letters or fewer than two words."""
    text = " ".join(unicodedata.normalize("NFC", s or "").split())
    without_dates = _DATE_LIKE.sub(" ", text)
    letters = sum(ch.isalpha() for ch in without_dates)
    if text and letters == 0:
        raise InvalidInput("validation.reason_date_only", value=text)
    words = [w for w in without_dates.split() if any(ch.isalpha() for ch in w)]
    if letters < REASON_MIN_LETTERS or len(words) < 2:
        raise InvalidInput("validation.reason_too_short", value=text, min=REASON_MIN_LETTERS)
    return text
