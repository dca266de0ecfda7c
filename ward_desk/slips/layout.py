"""A slip as neutral blocks: the one place where template + data become content.

PDF, DOCX and the screen preview all draw the same :class:`SlipDocument`, so the
three can never disagree about what a slip says; they differ only in how they
place it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ward_desk.slips.model import SlipData, qr_payload
from ward_desk.slips.templates import DEFAULT_MOTTO, SlipTemplate, field_names, render_text

BLANK = "…………………………"  # where the value is unknown: a line to fill in by hand


@dataclass(frozen=True)
class Block:
    """One body item. ``kind`` is ``text``, ``field`` (label + value) or ``table``."""

    kind: str
    text: str = ""
    label: str = ""
    align: str = "left"
    bold: bool = False
    italic: bool = False
    heading: str = ""
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    widths: tuple[float, ...] = ()  # relative column widths ("" = the renderer's default)


@dataclass(frozen=True)
class Signature:
    title: str
    note: str
    name: str


@dataclass(frozen=True)
class SlipDocument:
    """Everything a renderer draws, top to bottom."""

    header_left: tuple[str, ...]
    motto: tuple[str, ...]
    form_label: str
    number_line: str
    date_line: str
    title: str
    subtitle: str
    blocks: tuple[Block, ...]
    signatures: tuple[Signature, ...]
    qr_payload: str | None
    qr_caption: str


def column_widths(block: Block, total: float, default: tuple[float, ...]) -> tuple[float, ...]:
    """Widths (in the renderer's unit) of a table's columns that add up to ``total``:
    the template's relative ``widths`` scaled, else ``default``."""
    weights = block.widths if len(block.widths) == len(block.columns) else default
    scale = total / sum(weights)
    return tuple(w * scale for w in weights)


def _uses_empty(template: str, values: dict[str, str]) -> bool:
    return any(not values.get(name) for name in field_names(template))


def _table_rows(source: str, data: SlipData, columns: int) -> tuple[tuple[str, ...], ...]:
    items: list[tuple[str, ...]]
    if source == "documents":
        items = [(d.name, d.note) for d in data.documents]
    elif source == "history":
        items = [(h.at, h.actor, h.step, h.result, h.timing) for h in data.history]
    else:
        items = [(name, "") for name in data.requested_items]
    return tuple((f"{number}", *values)[:columns] for number, values in enumerate(items, start=1))


def _block(item: dict[str, Any], data: SlipData, values: dict[str, str]) -> Block | None:
    optional = item.get("optional", False)
    style = {"align": item.get("align", "left"), "bold": item.get("bold", False),
             "italic": item.get("italic", False)}
    if "text" in item:
        if optional and _uses_empty(item["text"], values):
            return None
        return Block("text", text=render_text(item["text"], values), **style)
    if "label" in item:
        if optional and _uses_empty(item["value"], values):
            return None
        value = render_text(item["value"], values).strip()
        return Block("field", label=render_text(item["label"], values), text=value or BLANK, **style)
    columns = tuple(render_text(c, values) for c in item.get("columns", ()))
    rows = _table_rows(item["table"], data, len(columns))
    if not rows and optional:
        return None
    if not rows:
        rows = (("", render_text(item.get("empty", ""), values)) + ("",) * (len(columns) - 2),)
    return Block("table", heading=render_text(item.get("heading", ""), values), columns=columns, rows=rows,
                 widths=tuple(float(w) for w in item.get("widths", ())), **style)


def build_document(template: SlipTemplate, data: SlipData) -> SlipDocument:
    """Fill ``template`` with ``data``. Pure; the template was validated when loaded."""
    spec = template.spec
    values = data.text_fields()

    def text(key: str) -> str:
        return render_text(spec.get(key, ""), values)

    blocks = tuple(b for b in (_block(item, data, values) for item in spec["body"]) if b is not None)
    signatures = tuple(
        Signature(render_text(s["title"], values), render_text(s.get("note", ""), values),
                  render_text(s.get("name", ""), values))
        for s in spec["signatures"]
    )
    qr = spec.get("qr")
    return SlipDocument(
        header_left=tuple(line for line in (render_text(x, values) for x in spec["header_left"]) if line.strip()),
        motto=tuple(render_text(x, values) for x in spec.get("motto", DEFAULT_MOTTO)),
        form_label=text("form_label"),
        number_line=text("number_line"),
        date_line=text("date_line"),
        title=text("title"),
        subtitle=text("subtitle"),
        blocks=blocks,
        signatures=signatures,
        qr_payload=qr_payload(data) if qr is not None and data.dossier_code else None,
        qr_caption=render_text(qr.get("caption", ""), values) if qr is not None else "",
    )


# How much of one value a slip prints: a receipt stays one A5 sheet whatever was stored
# (a 3,000-character address once made it five pages).
FIELD_CHARS, TEXT_CHARS, CELL_CHARS, LINE_CHARS = 240, 480, 160, 120


def printable_document(doc: SlipDocument) -> SlipDocument:
    """``doc`` with every text made safe to draw (``domain.text.printable``): no control
    character (python-docx refuses them: the DOCX could not be made), no bidi override
    or invisible character, each value cut to what its place on the sheet can hold.

    Stored text is checked when typed; this guards what came before those checks."""
    from dataclasses import replace

    from ward_desk.domain.text import printable

    def line(s: str, limit: int = LINE_CHARS) -> str:
        return printable(s, limit)

    blocks = tuple(
        replace(b, text=line(b.text, TEXT_CHARS if b.kind == "text" else FIELD_CHARS), label=line(b.label),
                heading=line(b.heading), columns=tuple(line(c) for c in b.columns),
                rows=tuple(tuple(line(c, CELL_CHARS) for c in row) for row in b.rows))
        for b in doc.blocks
    )
    return replace(
        doc, header_left=tuple(line(x) for x in doc.header_left), motto=tuple(line(x) for x in doc.motto),
        form_label=line(doc.form_label), number_line=line(doc.number_line), date_line=line(doc.date_line),
        title=line(doc.title), subtitle=line(doc.subtitle), blocks=blocks,
        signatures=tuple(Signature(line(s.title), line(s.note), line(s.name)) for s in doc.signatures),
        qr_caption=line(doc.qr_caption, FIELD_CHARS),
    )
