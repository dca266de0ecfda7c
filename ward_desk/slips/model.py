"""The slip view model: every value a printed slip shows, already formatted as text.

Pure (no store, no I/O): the renderers take a :class:`SlipData` and a template
and nothing else, so a slip can be previewed, tested or re-printed without a
database. :func:`ward_desk.slips.data.slip_data_from` builds one from the models.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from urllib.parse import urlencode

from ward_desk.errors import InvalidInput

RECEIPT = "receipt"
SUPPLEMENT = "supplement"
REFUSAL = "refusal"
APOLOGY = "apology"
STOP = "stop"
CONTROL = "control"
KINDS: tuple[str, ...] = (RECEIPT, SUPPLEMENT, REFUSAL, APOLOGY, STOP, CONTROL)
BOOK = "book"  # the tracking book covers a period, not one dossier: see ward_desk.reports.book
# The form set of Circular 03/2025/TT-VPCP (Annex I), in force since 1 July 2025.
FORM_SET = "03/2025/TT-VPCP"
FORM_NUMBERS: dict[str, str] = {RECEIPT: "01", SUPPLEMENT: "02", REFUSAL: "03", APOLOGY: "04", STOP: "05",
                                CONTROL: "06", BOOK: "07"}
FORM_TITLES: dict[str, str] = {
    RECEIPT: "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    SUPPLEMENT: "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    REFUSAL: "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
    APOLOGY: "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết",
    STOP: "Thông báo dừng giải quyết hồ sơ",
    CONTROL: "Phiếu kiểm soát quá trình giải quyết hồ sơ",
    BOOK: "Sổ theo dõi hồ sơ",
}
# What every form cites as its basis: the documents in force since 1 July 2025 (the 2018
# decree and circular they replaced are cited nowhere any more). One constant, so the
# next change of law is one edit; an office can still reword it in its templates.
FORMS_BASIS = ("Căn cứ Nghị định số 118/2025/NĐ-CP của Chính phủ về thực hiện thủ tục hành chính theo cơ chế "
               "một cửa, một cửa liên thông tại Bộ phận Một cửa và Cổng Dịch vụ công quốc gia; Thông tư số "
               "03/2025/TT-VPCP của Văn phòng Chính phủ")
FORMATS: tuple[str, ...] = ("pdf", "docx")


def check_kind(kind: str) -> str:
    """Return ``kind`` if it is a slip kind, else raise ``slips.unknown_kind``."""
    if kind not in KINDS:
        raise InvalidInput("slips.unknown_kind", kind=kind, kinds=", ".join(KINDS))
    return kind


def nfc(text: str) -> str:
    """NFC + trimmed. IMEs and pasted text may send decomposed accents (e + U+0301);
    the PDF font maps precomposed glyphs, so everything printed is composed first."""
    return unicodedata.normalize("NFC", text).strip()


@dataclass(frozen=True)
class DocumentRow:
    """One line of the documents table."""

    name: str
    note: str = ""


@dataclass(frozen=True)
class HistoryRow:
    """One step of the control sheet (06): one event of the dossier's history."""

    at: str
    actor: str
    step: str
    result: str
    timing: str = ""


@dataclass(frozen=True)
class SlipData:
    """What one slip shows. Every ``str`` field can be used in a template as ``{name}``.

    Dates are office-local text: ``*_at`` as ``dd/mm/yyyy HH:MM``, ``issued_on`` as
    ``dd/mm/yyyy``; ``date_line`` is the place-and-date line of official documents.
    Empty strings mean "not known" (a template line made only of empty fields is dropped).
    """

    office_name: str
    dossier_code: str
    applicant_name: str
    procedure_name: str
    office_code: str = ""
    upstream_label: str = ""
    centre_name: str = ""  # "Trung tâm Phục vụ hành chính công phường X" (the issuer)
    authority_name: str = ""  # "UBND phường X" (the issuer's parent)
    province_name: str = ""  # "tỉnh Y" ("" = not printed)
    form_number: str = ""
    form_title: str = ""
    forms_basis: str = FORMS_BASIS
    lookup_secret: str = ""
    status_base_url: str = ""  # upstream's public status page; "" = none known
    applicant_id_number: str = ""
    applicant_phone: str = ""
    applicant_address: str = ""
    procedure_code: str = ""
    procedure_field: str = ""
    legal_basis: str = ""
    processing_time: str = ""  # e.g. "05 ngày làm việc" / "Trong ngày"
    fee: str = ""
    channel: str = ""
    received_at: str = ""
    due_at: str = ""
    previous_due_at: str = ""  # apology: the appointment that was missed
    new_due_at: str = ""  # apology: the new appointment
    reason: str = ""
    officer_name: str = ""
    clerk_name: str = ""
    counter: str = ""  # the counter (quầy) the dossier was received at (its intake event's)
    signer_name: str = ""  # who signs for the office (apology: the head)
    contact_phone: str = ""
    place: str = ""
    issued_on: str = ""
    date_line: str = ""
    return_method: str = ""  # how the result reaches the citizen (receipt; see data.return_method_text)
    documents: tuple[DocumentRow, ...] = ()
    requested_items: tuple[str, ...] = ()
    history: tuple[HistoryRow, ...] = ()

    def __post_init__(self) -> None:
        # Normalise once here so every renderer and the preview print the same code points.
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str):
                object.__setattr__(self, f.name, nfc(value))
        object.__setattr__(self, "documents",
                           tuple(DocumentRow(nfc(d.name), nfc(d.note)) for d in self.documents))
        object.__setattr__(self, "requested_items", tuple(nfc(s) for s in self.requested_items))
        object.__setattr__(self, "history", tuple(
            HistoryRow(*(nfc(getattr(h, f.name)) for f in fields(HistoryRow))) for h in self.history))
        # The issuer's 2025 names follow from the ward's name unless configured.
        if not self.centre_name:
            object.__setattr__(self, "centre_name", centre_name_for(self.office_name))
        if not self.authority_name:
            object.__setattr__(self, "authority_name", authority_name_for(self.office_name))

    def with_(self, **changes: object) -> SlipData:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def text_fields(self) -> dict[str, str]:
        """The values templates may use: every text field plus a few derived ones."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if isinstance(getattr(self, f.name), str)}
        out["document_count"] = f"{len(self.documents):02d}" if self.documents else ""
        out["qr_payload"] = qr_payload(self)
        return out


def template_field_names() -> frozenset[str]:
    """Names a template may reference (for validating templates without data)."""
    names = {f.name for f in fields(SlipData) if f.type in ("str", str)}
    return frozenset(names | {"document_count", "qr_payload"})


def qr_payload(data: SlipData) -> str:
    """What the receipt's QR code carries: the status URL when upstream publishes one
    (code + lookup secret, so a phone camera opens the dossier's status), else the code."""
    if not data.status_base_url:
        return data.dossier_code
    query = {"code": data.dossier_code}
    if data.lookup_secret:
        query["s"] = data.lookup_secret
    return f"{data.status_base_url.rstrip('/')}/status?{urlencode(query)}"


# --- formatting helpers (office-local values in, text out) --------------------------


def format_datetime(local: datetime | None) -> str:
    """``dd/mm/yyyy HH:MM`` (the caller converts to office-local time first)."""
    return local.strftime("%d/%m/%Y %H:%M") if local else ""


def format_date(day: date | None) -> str:
    """``dd/mm/yyyy``."""
    return day.strftime("%d/%m/%Y") if day else ""


def date_line(place: str, day: date) -> str:
    """``"<place>, ngày dd tháng mm năm yyyy"`` as official documents write it.

    Decree 30/2020/NĐ-CP (document formatting) pads days below 10 and months below 3
    with a zero ("ngày 05 tháng 02", but "tháng 3"), so that nobody can add a digit.
    """
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    text = f"ngày {day.day:02d} tháng {month} năm {day.year}"
    return f"{place}, {text}" if place else text[0].upper() + text[1:]


_UNIT_PREFIX = re.compile(r"^(?:UBND\s+)?(?:phường|xã|thị trấn|đặc khu)\s+", re.IGNORECASE)


def place_from_office(office_name: str) -> str:
    """The locality written before the date: "Phường Mũi Né" -> "Mũi Né"."""
    name = nfc(office_name)
    return _UNIT_PREFIX.sub("", name) or name


def _unit_phrase(office_name: str) -> str:
    """"Phường Mũi Né" -> "phường Mũi Né": the unit word is lower-case inside a name."""
    name = nfc(office_name)
    match = _UNIT_PREFIX.match(name)
    if match is None:
        return name
    unit = re.sub(r"^UBND\s+", "", match.group(0), flags=re.IGNORECASE)
    return unit.lower() + name[match.end():]


def centre_name_for(office_name: str) -> str:
    """The 2025 name of the ward's one-stop office: "Trung tâm Phục vụ hành chính công phường Mũi Né"."""
    return f"Trung tâm Phục vụ hành chính công {_unit_phrase(office_name)}".strip()


def authority_name_for(office_name: str) -> str:
    """The centre's parent authority: "UBND phường Mũi Né"."""
    return f"UBND {_unit_phrase(office_name)}".strip()


TIME_UNIT_WORDS = {"working_days": "ngày làm việc", "calendar_days": "ngày", "hours": "giờ làm việc"}


def processing_time_text(amount: int, unit: str = "working_days") -> str:
    """The statutory time as printed on the receipt, in the procedure's unit: working days
    (most procedures), calendar days (complaints: "không quá 30 ngày") or working hours."""
    if unit not in TIME_UNIT_WORDS:
        raise ValueError(f"unknown time unit {unit!r}; known: {sorted(TIME_UNIT_WORDS)}")
    if amount <= 0:
        return "Trong ngày"
    return f"{amount:02d} {TIME_UNIT_WORDS[unit]}"
