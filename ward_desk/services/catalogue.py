"""The procedure catalogue: the shipped starter list, look-ups and imports from CSV/XLSX."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

from ward_desk.domain.text import fold, match_words
from ward_desk.domain.validation import clean_text
from ward_desk.errors import InvalidInput, NotFound, WardDeskError
from ward_desk.services.outbox import record_change
from ward_desk.services.progress import ProgressCallback
from ward_desk.services.tables import DEFAULT_LIMITS, HEADER_SEARCH, TableLimits, read_rows
from ward_desk.store.models import Procedure

ONLINE_LEVELS = ("none", "partial", "full")

# Header names accepted on import, by what they mean (folded, so accents and case don't matter).
PROCEDURE_HEADERS = {
    "code": ("code", "ma", "ma thu tuc", "ma tthc"),
    "name": ("name", "ten", "ten thu tuc", "ten thu tuc hanh chinh", "thu tuc hanh chinh", "ten tthc"),
    "field": ("field", "linh vuc"),
    "days": ("days", "so ngay", "thoi han", "thoi han giai quyet", "thoi gian giai quyet"),
    "fee": ("fee", "phi", "le phi", "phi, le phi"),
    "online_level": ("online_level", "online", "dvc truc tuyen", "muc do truc tuyen"),
    "documents": ("documents", "thanh phan ho so", "giay to"),
    "legal_basis": ("legal_basis", "can cu phap ly", "can cu"),
}


@dataclass(frozen=True)
class ProcedureRow:
    code: str
    name: str
    field: str
    days: int
    fee: str = ""
    online_level: str = "none"
    documents: tuple[str, ...] = ()
    legal_basis: str = ""


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based, as a spreadsheet shows it (the header is row 1)
    column: str
    message_id: str
    value: str = ""
    heading: str = ""  # the column's heading in the file, when it is not the column's own name
    sheet: str = ""  # the workbook's sheet, when the file has several


class ImportFailed(InvalidInput):
    """Raised with every bad row; nothing was imported."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("import.rows_invalid", count=len(errors))
        self.errors = errors


def procedure_payload(p: Procedure) -> dict[str, object]:
    return {
        "code": p.code, "name": p.name, "field": p.field, "processing_days": p.processing_days,
        "fee": p.fee, "documents": json.loads(p.documents), "online_level": p.online_level,
        "legal_basis": p.legal_basis, "active": p.active,
    }


def read_table(path: Path, limits: TableLimits = DEFAULT_LIMITS, progress: ProgressCallback | None = None,
               aliases: dict[str, tuple[str, ...]] | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV (UTF-8, with or without BOM; comma or semicolon) or XLSX file as
    ``(row number, {folded header: text})``, bounded by ``limits``
    (:func:`ward_desk.services.tables.read_rows`). The header is the first non-blank row;
    given ``aliases``, the row among the first few that names the most of them (a
    province's list has its title above the header), and a row of column numbers
    "(1) (2) …" under it is skipped."""
    rows = list(read_rows(Path(path), limits, progress))
    if not rows:
        raise InvalidInput("import.empty", path=str(path))
    at = _header_index(rows, aliases) if aliases is not None else 0
    keys = [fold(h) for h in rows[at][1]]
    data = rows[at + 1:]
    if data and sum(1 for c in data[0][1] if c) >= 3 and all(
            re.fullmatch(r"\(?\d{1,3}\)?", c) for c in data[0][1] if c):
        data = data[1:]
    for n, values in data:
        yield n, dict(zip(keys, values, strict=False))


def _header_index(rows: list[tuple[int, list[str]]], aliases: dict[str, tuple[str, ...]]) -> int:
    """Which of the first rows is the header: the one naming the most ``aliases`` (the first on a tie)."""
    known = {a for accepted in aliases.values() for a in accepted}
    scores = [sum(fold(c) in known for c in cells) for _, cells in rows[:HEADER_SEARCH]]
    return max(range(len(scores)), key=lambda i: (scores[i], -i))


def procedure_list_header(path: Path, limits: TableLimits = DEFAULT_LIMITS) -> int | None:
    """The row number of a procedure list's header (for its error file), None if it has no rows."""
    rows = list(read_rows(Path(path), limits))
    return rows[_header_index(rows, PROCEDURE_HEADERS)][0] if rows else None


def map_headers(row: dict[str, str], aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Pick each known column out of a row whose headers may be Vietnamese or English."""
    out: dict[str, str] = {}
    for name, accepted in aliases.items():
        for key in accepted:
            if key in row:
                out[name] = row[key]
                break
    return out


def parse_procedure_rows(rows: Iterable[tuple[int, dict[str, str]]]) -> tuple[list[ProcedureRow], list[RowError]]:
    """Validate every row; return the good ones and an error per bad cell."""
    good: list[ProcedureRow] = []
    errors: list[RowError] = []
    seen: set[str] = set()
    for n, raw in rows:
        row = map_headers(raw, PROCEDURE_HEADERS)
        bad = len(errors)
        # Required and repeated values are judged once cleaned: a cell of invisible
        # characters only (a stray BOM) is empty, and was stored as a code or a name.
        texts = _clean_cells(n, row, errors)
        refused = {e.column for e in errors[bad:]}
        code = texts["code"]
        for column in ("code", "name", "field"):
            if not texts[column] and column not in refused:
                errors.append(RowError(n, column, "import.required"))
        if code and code in seen:
            errors.append(RowError(n, "code", "import.duplicate", code))
        days_text = row.get("days", "").strip()
        days = 0
        if not days_text.isdigit() or int(days_text) > 365:
            errors.append(RowError(n, "days", "import.bad_days", days_text))
        else:
            days = int(days_text)
        level = (row.get("online_level") or "none").strip().lower()
        if level not in ONLINE_LEVELS:
            errors.append(RowError(n, "online_level", "import.bad_online_level", level))
        if len(errors) == bad:
            seen.add(code)
            docs = tuple(d for d in texts["documents"].split("|") if d)
            good.append(ProcedureRow(code, texts["name"], texts["field"], days, texts["fee"], level, docs,
                                     texts["legal_basis"]))
    return good, errors


# Free-text columns of a procedure list and the rule each is cleaned by (domain.validation).
_PROCEDURE_TEXT = {"code": "procedure_code", "name": "procedure_name", "field": "procedure_field", "fee": "fee",
                   "legal_basis": "legal_basis"}


def _clean_cells(n: int, row: dict[str, str], errors: list[RowError]) -> dict[str, str]:
    """The row's free-text cells cleaned (NFC, bounded, no control or bidi characters);
    each refusal is a row error naming the column."""
    out: dict[str, str] = {}
    for column, rule in (*_PROCEDURE_TEXT.items(), ("documents", "document")):
        try:
            if column == "documents":
                out[column] = "|".join(clean_text(rule, d) for d in row.get(column, "").split("|"))
            else:
                out[column] = clean_text(rule, row.get(column, ""))
        except WardDeskError as exc:
            errors.append(RowError(n, column, "import.bad_value", exc.message.render()))
            out[column] = ""
    return out


def upsert_procedures(rows: Iterable[ProcedureRow], now: datetime) -> tuple[int, int]:
    """Insert new procedures and update changed ones (caller holds the transaction).
    Returns (added, updated)."""
    added = updated = 0
    for r in rows:
        values = dict(name=r.name, name_folded=fold(r.name), field=r.field, processing_days=r.days, fee=r.fee,
                      online_level=r.online_level, documents=json.dumps(list(r.documents), ensure_ascii=False),
                      legal_basis=r.legal_basis, active=True, updated_at=now)
        existing = Procedure.get_or_none(Procedure.code == r.code)
        if existing is None:
            p = Procedure.create(code=r.code, **values)
            added += 1
        else:
            if all(getattr(existing, k) == v for k, v in values.items() if k != "updated_at"):
                continue
            for k, v in values.items():
                setattr(existing, k, v)
            existing.version += 1
            existing.save()
            p = existing
            updated += 1
        record_change("procedure", p.code, p.version, procedure_payload(p), now)
    return added, updated


def load_starter_catalogue(now: datetime) -> int:
    """Load the catalogue shipped with the app (caller holds the transaction)."""
    text = resources.files("ward_desk.data").joinpath("procedures.csv").read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    rows = [(n, {fold(k): v for k, v in r.items()}) for n, r in enumerate(reader, start=2)]
    good, errors = parse_procedure_rows(rows)
    if errors:  # the shipped file is checked by a test; this guards a bad edit
        raise ImportFailed(errors)
    added, _ = upsert_procedures(good, now)
    return added


def import_procedures(path: Path, now: datetime, *, dry_run: bool = False) -> tuple[int, int]:
    """Import a province's procedure list; all rows or none."""
    good, errors = parse_procedure_rows(read_table(Path(path), aliases=PROCEDURE_HEADERS))
    if errors:
        raise ImportFailed(errors)
    if not good:
        raise InvalidInput("import.empty", path=str(path))
    if dry_run:
        existing = {p.code for p in Procedure.select(Procedure.code)}
        return sum(r.code not in existing for r in good), sum(r.code in existing for r in good)
    with Procedure._meta.database.atomic("IMMEDIATE"):
        return upsert_procedures(good, now)


def list_procedures(include_inactive: bool = False) -> list[Procedure]:
    q = Procedure.select().order_by(Procedure.field, Procedure.code)
    if not include_inactive:
        q = q.where(Procedure.active == True)  # noqa: E712
    return list(q)


def procedure_haystack(name_folded: str, field: str, code: str) -> str:
    """What procedure type-ahead searches in: the folded name, field and code."""
    return f"{name_folded} {fold(field)} {code.lower()}"


def find_procedures(text: str, limit: int = 20) -> list[Procedure]:
    """Type-ahead: every word typed (accents optional) must appear in the name, field or code."""
    return match_words(list_procedures(), text, lambda p: procedure_haystack(p.name_folded, p.field, p.code),
                       lambda p: p.name_folded, limit)


def get_procedure(code: str) -> Procedure:
    p = Procedure.get_or_none(Procedure.code == code.strip())
    if p is None:
        raise NotFound("catalogue.unknown_procedure", code=code)
    return p
