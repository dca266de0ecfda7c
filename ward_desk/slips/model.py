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
KINDS: tuple[str, ...] = (RECEIPT, SUPPLEMENT, REFUSAL, APOLOGY)
# Circular 01/2018 Art. 9 numbering (kept by Circular 03/2025 for 01–04).
FORM_NUMBERS: dict[str, str] = {RECEIPT: "01", SUPPLEMENT: "02", REFUSAL: "03", APOLOGY: "04"}
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
    form_number: str = ""
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
    documents: tuple[DocumentRow, ...] = ()
    requested_items: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Normalise once here so every renderer and the preview print the same code points.
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str):
                object.__setattr__(self, f.name, nfc(value))
        object.__setattr__(self, "documents",
                           tuple(DocumentRow(nfc(d.name), nfc(d.note)) for d in self.documents))
        object.__setattr__(self, "requested_items", tuple(nfc(s) for s in self.requested_items))

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


def processing_time_text(days: int) -> str:
    """The statutory time as printed on the receipt."""
    return "Trong ngày" if days <= 0 else f"{days:02d} ngày làm việc"
